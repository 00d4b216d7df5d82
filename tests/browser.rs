//! The interface in a real headless Chromium (Debian's chromium + chromium-driver): sign in,
//! browse the tree, search without accents, switch languages, sign out. The test fails, never
//! skips, when the browser is missing; `.ci/run` installs it.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

/// Chromedriver, and the profile directory of the browser it starts.
struct Driver {
    child: Child,
    profile: std::path::PathBuf,
}

/// Stops chromedriver and any browser left on this test's own profile (a failing test never
/// reaches `close()`). Matching the unique profile path touches no other process: signalling a
/// process group through `kill` turned out to reach far more than the driver's group.
impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("pkill")
            .args(["-9", "-f", &self.profile.display().to_string()])
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
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
    let profile = std::env::temp_dir().join(format!(
        "nqtrack-chrome-{}",
        &nqtrack::auth::random_token()[..8]
    ));
    let driver = Driver {
        child,
        profile: profile.clone(),
    };
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

async fn sign_in(c: &fantoccini::Client, app: &common::TestApp, user: &str) {
    c.goto(&app.url("/lang/vi?next=/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(user)
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
    landed(c, "#logout").await;
}

async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_in(c: &fantoccini::Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// The Done-when flow of task monitoring: an officer reports with evidence and claims completion;
/// the leader verifies; the task and the overview say "completed on time"; another task is
/// overdue and its reminder reaches the SMTP sink.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_with_evidence_verify_and_the_overdue_reminder() {
    let sink = common::smtp_sink::SmtpSink::start().await;
    let port = sink.port;
    let app = common::TestApp::start_with(common::Backend::Sqlite, |cfg| {
        cfg.smtp.host = "127.0.0.1".into();
        cfg.smtp.port = port;
        cfg.smtp.security = "none".into();
    })
    .await;
    // Đắk Lắk's own plan: it assigns and verifies; one task due at the end of the year, one
    // that was due yesterday.
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let annex = format!(
        "| TT | Tên nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Kết quả | Thời gian hoàn thành |\n|---|---|---|---|---|---|\n| **I.** | Hạ tầng số | | | | |\n| 1. | Phủ sóng 5G đến các xã vùng sâu | Đắk Lắk | | Báo cáo | 12/2026 |\n| 2. | Số hóa hồ sơ đất đai | Đắk Lắk | | Cơ sở dữ liệu | {} |\n",
        yesterday.format("%d/%m/%Y")
    );
    let meta = nqtrack::ops::programmes::ProgrammeMeta {
        code: "KH-57/DLK",
        name: "Kế hoạch thực hiện Nghị quyết 57-NQ/TW của tỉnh Đắk Lắk",
        document_number: "57/KH-UBND",
        document_type: "plan",
        issuer: "UBND tỉnh Đắk Lắk",
        issued_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
        owner_code: "66",
    };
    let r = nqtrack::ops::programmes::import_annex(
        &app.db,
        &nqtrack::store::audit::Actor::system("test"),
        &meta,
        &annex,
        false,
    )
    .await
    .unwrap();
    assert_eq!(r.tasks, 2, "{:?}", r.problems);
    let pid = r.programme_id.unwrap();
    let task = |code: &str| {
        let app = &app;
        let code = code.to_string();
        async move {
            app.scalar_i64(&format!(
                "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '{code}'"
            ))
            .await
        }
    };
    let (t1, t2) = (task("1").await, task("2").await);
    let evidence = std::env::temp_dir().join(format!(
        "bien-ban-{}.pdf",
        &nqtrack::auth::random_token()[..6]
    ));
    std::fs::write(&evidence, b"%PDF-1.4\n% nghiem thu\n%%EOF\n").unwrap();

    let (c, _driver) = browser().await;
    sign_in(&c, &app, "daklak.officer").await;
    c.goto(&app.url(&format!("/tasks/{t1}"))).await.unwrap();
    // Assigned in March 2025 and never reported on: the early warning is up.
    assert_eq!(text(&c, "#task-status").await, "Có nguy cơ chậm");
    type_in(&c, "percent", "100").await;
    type_in(&c, "narrative", "Đã phủ sóng 5G tại 45 xã vùng sâu").await;
    type_in(&c, "results", "Biên bản nghiệm thu số 12/BB-STTTT").await;
    type_in(&c, "evidence", evidence.to_str().unwrap()).await;
    click(&c, "#claims_completion").await;
    click(&c, "#report-submit").await;
    landed(&c, "#report-list li").await;
    let reports = text(&c, "#report-list").await;
    assert!(
        reports.contains("Đã phủ sóng 5G tại 45 xã vùng sâu"),
        "{reports}"
    );
    assert!(
        reports.contains(evidence.file_name().unwrap().to_str().unwrap()),
        "{reports}"
    );
    assert!(
        text(&c, "#assignment-list")
            .await
            .contains("Chờ công nhận hoàn thành")
    );
    click(&c, "#logout").await;
    landed(&c, "#login-link").await;

    sign_in(&c, &app, "daklak.leader").await;
    c.goto(&app.url(&format!("/tasks/{t1}"))).await.unwrap();
    click(&c, ".verify-approve").await;
    landed(&c, "#task-status.completed_on_time").await;
    assert_eq!(text(&c, "#task-status").await, "Hoàn thành đúng hạn");
    c.goto(&app.url(&format!("/programmes/{pid}")))
        .await
        .unwrap();
    let summary = text(&c, "#summary").await;
    assert!(
        summary.starts_with("2 nhiệm vụ đến hạn: 1 hoàn thành đúng hạn"),
        "{summary}"
    );
    assert!(summary.contains("1 quá hạn"), "{summary}");

    // The second task is overdue; the reminder runs and reaches the sink.
    c.goto(&app.url(&format!("/tasks/{t2}"))).await.unwrap();
    assert_eq!(text(&c, "#task-status").await, "Quá hạn");
    let token = app.token("admin").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/jobs/run"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mail = sink
        .wait_for(
            |m| {
                m.subject().is_some_and(|s| s.contains("Quá hạn"))
                    && m.to.iter().any(|t| t.starts_with("daklak.officer"))
            },
            Duration::from_secs(15),
        )
        .await
        .expect("the overdue reminder reaches the SMTP sink");
    assert!(mail.body_text().contains(&format!("/tasks/{t2}")));
    c.refresh().await.unwrap();
    assert!(text(&c, "#reminder-list").await.contains("overdue-0"));
    c.close().await.unwrap();
    let _ = std::fs::remove_file(evidence);
}

fn url_of(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}
