//! The interface in a real headless Chromium (Debian's chromium + chromium-driver): sign in,
//! browse the tree, search without accents, switch languages, sign out. The test fails, never
//! skips, when the browser is missing; `.ci/run` installs it.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> (fantoccini::Client, Driver) {
    let driver_bin =
        std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chrome_bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "{driver_bin} missing: install chromium and chromium-driver (apt-get install chromium chromium-driver)"
    );
    let port = free_port();
    let child = Command::new(&driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let profile = std::env::temp_dir().join(format!(
        "nqtrack-chrome-{}",
        &nqtrack::auth::random_token()[..8]
    ));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chrome_bin,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--window-size=1200,900",
                     format!("--user-data-dir={}", profile.display())]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let conn = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(conn)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => return (c, driver),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not start on {url}");
}

/// The text of the first element matching `css`, retried while a navigation replaces the page.
async fn text(c: &fantoccini::Client, css: &str) -> String {
    for _ in 0..50 {
        if let Ok(e) = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            && let Ok(t) = e.text().await
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: not found");
}

/// Waits until the page shows `css`, i.e. the navigation that was started has landed.
async fn landed(c: &fantoccini::Client, css: &str) {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_browse_search_switch_language_sign_out() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let (c, _driver) = browser().await;

    // Headless Chromium asks for English; start from Vietnamese, the product's default.
    c.goto(&app.url("/lang/vi?next=/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("admin")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(nqtrack::seed::DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_url(&url_of(&app.url("/org"))).await.unwrap();
    assert!(text(&c, "header .me").await.contains("Quản trị hệ thống"));

    // Browse: national level → Đắk Lắk → its communes and the provinces it absorbed.
    c.find(Locator::LinkText("Tỉnh Đắk Lắk"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&c, "#unit-name").await, "Tỉnh Đắk Lắk");
    assert!(text(&c, "#predecessors").await.contains("Tỉnh Phú Yên"));
    assert!(text(&c, "#children").await.contains("Phường"));

    // Search without accents.
    c.goto(&app.url("/org")).await.unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("dak lak")
        .await
        .unwrap();
    c.find(Locator::Id("search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    landed(&c, "input#q[value='dak lak']").await;
    assert!(text(&c, "#org-results").await.contains("Tỉnh Đắk Lắk"));

    // Switch to English, then French, on the same page.
    c.find(Locator::Css("a[hreflang=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    landed(&c, "html[lang=en]").await;
    assert_eq!(text(&c, "#logout").await, "Sign out");
    assert!(text(&c, "#org-results").await.contains("Đắk Lắk Province"));
    c.find(Locator::Css("a[hreflang=fr]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    landed(&c, "html[lang=fr]").await;
    assert_eq!(text(&c, "#logout").await, "Se déconnecter");
    assert!(
        c.current_url().await.unwrap().as_str().contains("q=dak"),
        "the language switch keeps the page"
    );

    // Sign out.
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text(&c, "#login-link").await, "Se connecter");
    c.goto(&app.url("/admin/audit")).await.unwrap();
    assert!(
        c.current_url().await.unwrap().as_str().contains("/login"),
        "signed out for real"
    );
    c.close().await.unwrap();
}

fn url_of(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}
