//! The interface in a real headless Chromium (Debian's chromium + chromium-driver): sign in,
//! browse the tree, search without accents, switch languages, sign out. The test fails, never
//! skips, when the browser is missing; `.ci/run` installs it.

mod common;
use common::Call;

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
    browser_with(None).await
}

/// A browser that lays pages out as a phone 390 px wide (device emulation: a window cannot be
/// made that narrow in headless Chromium).
async fn phone() -> (fantoccini::Client, Driver) {
    browser_with(Some(
        serde_json::json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1}}),
    ))
    .await
}

async fn browser_with(mobile: Option<serde_json::Value>) -> (fantoccini::Client, Driver) {
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
        &app::auth::random_token()[..8]
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
    if let (Some(m), Some(o)) = (mobile, caps.get_mut("goog:chromeOptions")) {
        o["mobileEmulation"] = m;
    }
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
        .send_keys(seed::DEMO_PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Sign-in lands on the home of the role (an administrator's is the directory's).
    c.wait().for_url(&url_of(&app.url("/"))).await.unwrap();
    assert!(text(&c, "header .me").await.contains("Quản trị hệ thống"));
    c.goto(&app.url("/org")).await.unwrap();

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
        .send_keys(seed::DEMO_PASSWORD)
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

/// Đắk Lắk's plan for Resolution 57 with the tasks of `annex` (expected: `tasks`); its id.
async fn dak_lak_plan(app: &common::TestApp, annex: &str, tasks: usize) -> i64 {
    let meta = app::programmes::ProgrammeMeta {
        code: "KH-57/DLK",
        name: "Kế hoạch thực hiện Nghị quyết 57-NQ/TW của tỉnh Đắk Lắk",
        document_number: "57/KH-UBND",
        document_type: "plan",
        issuer: "UBND tỉnh Đắk Lắk",
        issued_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 1),
        owner_code: "66",
    };
    let r = app::programmes::import_annex(
        &app.db,
        &store::audit::Actor::system("test"),
        &meta,
        annex,
        false,
    )
    .await
    .unwrap();
    assert_eq!(r.tasks, tasks, "{:?}", r.problems);
    r.programme_id.unwrap()
}

/// Clicks a form's submit button and waits until the browser has left the page: the next page
/// often has the same elements (`#fb-state`, `#fb-act`), so waiting for them alone would read the
/// old page.
async fn submit(c: &fantoccini::Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    click(c, css).await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css}: the page did not change");
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
    let yesterday = domain::clock::local_date(chrono::Utc::now()) - chrono::Duration::days(1);
    let annex = format!(
        "| TT | Tên nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Kết quả | Thời gian hoàn thành |\n|---|---|---|---|---|---|\n| **I.** | Hạ tầng số | | | | |\n| 1. | Phủ sóng 5G đến các xã vùng sâu | Đắk Lắk | | Báo cáo | 12/2026 |\n| 2. | Số hóa hồ sơ đất đai | Đắk Lắk | | Cơ sở dữ liệu | {} |\n",
        yesterday.format("%d/%m/%Y")
    );
    let pid = dak_lak_plan(&app, &annex, 2).await;
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
    let evidence =
        std::env::temp_dir().join(format!("bien-ban-{}.pdf", &app::auth::random_token()[..6]));
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
    submit(&c, "#report-submit").await;
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

    // The leader works in English: the same journey, in the other language.
    sign_in(&c, &app, "daklak.leader").await;
    c.goto(&app.url(&format!("/lang/en?next=/tasks/{t1}")))
        .await
        .unwrap();
    landed(&c, "html[lang=en]").await;
    click(&c, ".verify-approve").await;
    landed(&c, "#task-status.completed_on_time").await;
    assert_eq!(text(&c, "#task-status").await, "Completed on time");
    c.goto(&app.url(&format!("/programmes/{pid}")))
        .await
        .unwrap();
    let summary = text(&c, "#summary").await;
    assert!(
        summary.starts_with("2 tasks (") && summary.contains("): 1 completed on time"),
        "{summary}"
    );
    assert!(summary.contains("1 overdue"), "{summary}");

    // The second task is overdue; the reminder runs and reaches the sink.
    c.goto(&app.url(&format!("/tasks/{t2}"))).await.unwrap();
    assert_eq!(text(&c, "#task-status").await, "Overdue");
    let token = app.token("admin").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/jobs/run"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .call()
        .await;
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
    // Reminders in words, one line per unit and kind, never the internal key.
    let reminders = text(&c, "#reminder-list").await;
    assert!(reminders.to_lowercase().contains("overdue"), "{reminders}");
    assert!(!reminders.contains("overdue-0"), "{reminders}");
    c.close().await.unwrap();
    let _ = std::fs::remove_file(evidence);
}

fn url_of(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

/// The Done-when flow of feedback: a citizen sends a recommendation in Vietnamese with an
/// attachment and gets a tracking code; the Steering Committee's triage officer routes it to the
/// ministry; the ministry's officer answers; its leader (who asked to approve answers) approves;
/// the citizen reads the answer, rates it 2 and appeals; the appeal lands one level up. A second
/// item passes its deadline and shows as overdue in the ministry's statistics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendation_routed_answered_approved_rated_and_appealed() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let (most, steering_unit) = (app.unit_id("BKHCN").await, app.unit_id("BCDTW").await);
    let attachment =
        std::env::temp_dir().join(format!("de-xuat-{}.pdf", &app::auth::random_token()[..6]));
    std::fs::write(&attachment, b"%PDF-1.4\n% de xuat chi tiet\n%%EOF\n").unwrap();
    let (c, _driver) = browser().await;

    // The ministry's leader asks that answers wait for approval.
    sign_in(&c, &app, "most.leader").await;
    c.goto(&app.url(&format!("/feedback/inbox?unit={most}")))
        .await
        .unwrap();
    click(&c, "#approve_answers").await;
    submit(&c, "#fb-settings button").await;
    landed(&c, "#approve_answers[checked]").await;
    click(&c, "#logout").await;
    landed(&c, "#login-link").await;

    // A citizen, without an account.
    c.goto(&app.url("/lang/vi?next=/feedback/new"))
        .await
        .unwrap();
    c.find(Locator::Id("kind"))
        .await
        .unwrap()
        .select_by_value("recommendation")
        .await
        .unwrap();
    c.find(Locator::Id("category"))
        .await
        .unwrap()
        .select_by_value("data")
        .await
        .unwrap();
    type_in(&c, "title", "Đề nghị mở dữ liệu đăng ký doanh nghiệp").await;
    type_in(
        &c,
        "body",
        "Kính đề nghị Bộ công bố dữ liệu mở về đăng ký doanh nghiệp theo định dạng máy đọc được, cập nhật hằng tháng.",
    )
    .await;
    type_in(&c, "file", attachment.to_str().unwrap()).await;
    type_in(&c, "name", "Nguyễn Thị Hoa").await;
    type_in(&c, "email", "hoa.nguyen@example.vn").await;
    click(&c, "#fb-submit").await;
    let code = text(&c, "#fb-code").await;
    let secret = text(&c, "#fb-secret").await;
    assert!(code.starts_with("PAKN-"), "{code}");
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM feedback_files WHERE item_id = {id}"
        ))
        .await,
        1,
        "the attachment is kept"
    );

    // Nobody named a unit: the Steering Committee's standing agency triages and routes it.
    sign_in(&c, &app, "steering").await;
    c.goto(&app.url(&format!("/feedback/inbox?unit={steering_unit}")))
        .await
        .unwrap();
    c.find(Locator::LinkText(&code))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    landed(&c, "#fb-act").await;
    c.find(Locator::Id("action"))
        .await
        .unwrap()
        .select_by_value("transfer")
        .await
        .unwrap();
    type_in(&c, "to_unit", &most.to_string()).await;
    type_in(&c, "note", "Thuộc thẩm quyền Bộ Khoa học và Công nghệ").await;
    submit(&c, "#fb-act-submit").await;
    landed(&c, "#fb-state").await;
    assert_eq!(text(&c, "#fb-state").await, "Đã chuyển đơn vị khác");
    click(&c, "#logout").await;
    landed(&c, "#login-link").await;

    // The ministry's officer takes it and answers: the answer waits for the leader.
    sign_in(&c, &app, "most.officer").await;
    c.goto(&app.url(&format!("/feedback/items/{id}")))
        .await
        .unwrap();
    c.find(Locator::Id("action"))
        .await
        .unwrap()
        .select_by_value("accept_transfer")
        .await
        .unwrap();
    submit(&c, "#fb-act-submit").await;
    landed(&c, "#fb-act").await;
    assert_eq!(text(&c, "#fb-state").await, "Đã thụ lý");
    c.find(Locator::Id("action"))
        .await
        .unwrap()
        .select_by_value("answer")
        .await
        .unwrap();
    let answer =
        "Bộ sẽ công bố bộ dữ liệu đăng ký doanh nghiệp trên Cổng dữ liệu quốc gia từ quý I/2027.";
    type_in(&c, "answer", answer).await;
    submit(&c, "#fb-act-submit").await;
    landed(&c, "#fb-draft").await;
    assert_eq!(text(&c, "#fb-state").await, "Chờ lãnh đạo duyệt");
    assert!(
        c.find(Locator::Css("#action option[value=approve]"))
            .await
            .is_err(),
        "an officer cannot approve"
    );
    click(&c, "#logout").await;
    landed(&c, "#login-link").await;

    // Before approval the citizen sees no answer.
    c.goto(&app.url(&format!("/feedback/track/{code}?secret={secret}")))
        .await
        .unwrap();
    landed(&c, "#fb-private").await;
    assert!(c.find(Locator::Id("fb-answer")).await.is_err());

    sign_in(&c, &app, "most.leader").await;
    c.goto(&app.url(&format!("/feedback/items/{id}")))
        .await
        .unwrap();
    c.find(Locator::Id("action"))
        .await
        .unwrap()
        .select_by_value("approve")
        .await
        .unwrap();
    submit(&c, "#fb-act-submit").await;
    landed(&c, "#fb-answer").await;
    assert_eq!(text(&c, "#fb-state").await, "Đã trả lời");
    click(&c, "#logout").await;
    landed(&c, "#login-link").await;

    // The citizen reads the answer, rates it 2 and appeals, this time in English.
    c.goto(&app.url("/lang/en?next=/")).await.unwrap();
    landed(&c, "html[lang=en]").await;
    c.goto(&app.url(&format!("/feedback/track/{code}?secret={secret}")))
        .await
        .unwrap();
    assert!(text(&c, "#fb-answer").await.contains(answer));
    assert!(
        text(&c, "#fb-private")
            .await
            .contains("hoa.nguyen@example.vn")
    );
    c.find(Locator::Id("rating"))
        .await
        .unwrap()
        .select_by_value("2")
        .await
        .unwrap();
    submit(&c, "#fb-rate button").await;
    landed(&c, "#fb-appeal").await;
    type_in(
        &c,
        "reason",
        "Câu trả lời chưa nêu lộ trình cụ thể và định dạng dữ liệu.",
    )
    .await;
    submit(&c, "#fb-appeal button").await;
    landed(&c, "#fb-state").await;
    assert_eq!(text(&c, "#fb-state").await, "Received");
    assert!(
        text(&c, "#fb-history")
            .await
            .contains("Appealed to the higher level")
    );
    c.goto(&app.url("/lang/vi?next=/")).await.unwrap();
    landed(&c, "html[lang=vi]").await;

    // One level up: the ministry's appeal goes to the Steering Committee.
    sign_in(&c, &app, "steering").await;
    c.goto(&app.url(&format!("/feedback/inbox?unit={steering_unit}")))
        .await
        .unwrap();
    assert!(text(&c, "#fb-inbox").await.contains(&code));

    // A second item, sent to the ministry in January and never answered, is overdue.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/feedback"))
        .json(&serde_json::json!({
            "kind": "report", "category": "data", "title": "Chậm cấp phép", "unit_id": most,
            "body": "Hồ sơ cấp phép hoạt động khoa học nộp từ tháng Một vẫn chưa có kết quả.",
            "submitter_kind": "business"
        }))
        .call()
        .await;
    assert_eq!(r.status(), 201);
    let late: serde_json::Value = r.json().await.unwrap();
    app.exec(&format!(
        "UPDATE feedback_items SET submitted_on = '2026-01-05', clock_from = '2026-01-05', deadline_on = '2026-01-26' WHERE code = '{}'",
        late["code"].as_str().unwrap()
    ))
    .await;
    c.goto(&app.url(&format!("/feedback/stats?unit={most}")))
        .await
        .unwrap();
    assert_eq!(text(&c, "#stat-fb-overdue").await, "1");
    c.close().await.unwrap();
    let _ = std::fs::remove_file(attachment);
}

/// A citizen on a phone names the ward concerned as people say it: the province from the list,
/// the ward typed without diacritics. The item goes to that ward; a name that repeats within no
/// province is refused next to the field, with everything typed kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_on_a_phone_picks_the_province_and_types_the_ward() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    for (lang, unknown) in [
        (
            "vi",
            "Đơn vị: Không có đơn vị đang hoạt động với mã hoặc tên này.",
        ),
        ("en", "Unit: No unit in force has this code or name."),
    ] {
        let (c, _driver) = phone().await;
        c.goto(&app.url(&format!("/lang/{lang}?next=/feedback/new")))
            .await
            .unwrap();
        let fill = |unit: &'static str| {
            let c = c.clone();
            async move {
                c.find(Locator::Id("province"))
                    .await
                    .unwrap()
                    .select_by_value("66")
                    .await
                    .unwrap();
                type_in(&c, "title", "Đèn đường hỏng trên đường Lê Duẩn").await;
                type_in(
                &c,
                "body",
                "Nhiều bóng đèn đường trên đoạn gần chợ đã hỏng hơn hai tuần, buổi tối rất tối và nguy hiểm.",
            )
            .await;
                type_in(&c, "unit", unit).await;
                click(&c, "#fb-submit").await;
            }
        };
        fill("Xa Khong Co That").await;
        assert_eq!(text(&c, "#unit-error").await, unknown);
        let kept = c
            .find(Locator::Id("title"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("Đèn đường hỏng trên đường Lê Duẩn"));
        let wide: bool = c
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth",
                vec![],
            )
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        assert!(!wide, "the form fits a 390 px screen");
        if let Ok(dir) = std::env::var("NQTRACK_SCREENSHOTS") {
            std::fs::write(
                format!("{dir}/feedback-form-phone-error-{lang}.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        c.goto(&app.url("/feedback/new")).await.unwrap();
        fill("buon ma thuot").await;
        let code = text(&c, "#fb-code").await;
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT concerned_unit_id FROM feedback_items WHERE code = '{code}'"
            ))
            .await,
            app.unit_id("24133").await,
            "Phường Buôn Ma Thuột, Đắk Lắk"
        );
        c.close().await.unwrap();
    }
}

/// Vietnamese interface texts (values of vi.txt that English words differently) of five
/// syllables or more: shorter ones also occur in names and titles, which stay Vietnamese. One of
/// them on an English or French page is a text left untranslated.
fn vietnamese_ui_phrases() -> Vec<String> {
    let read = |lang: &str| {
        let path = format!(
            "{}/crates/domain/locales/{lang}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect::<std::collections::HashMap<String, String>>()
    };
    let (vi, en) = (read("vi"), read("en"));
    vi.iter()
        .filter(|(k, v)| {
            en.get(*k) != Some(*v)
                && !v.contains('{')
                && v.split_whitespace().count() >= 5
                && !v.is_ascii()
                // Task titles of the imported annex are data, not interface text.
                && !app::programmes::NQ03_ANNEX.contains(v.as_str())
        })
        .map(|(_, v)| v.clone())
        .collect()
}

/// The Government's action programme (03/NQ-CP), imported with the demo's progress; its id.
async fn national_programme(app: &common::TestApp) -> i64 {
    let pid = app::programmes::import_annex(
        &app.db,
        &app::Actor::system("test"),
        &app::programmes::NQ03,
        app::programmes::NQ03_ANNEX,
        false,
    )
    .await
    .unwrap()
    .programme_id
    .unwrap();
    seed::demo_progress(&app.db, pid).await.unwrap();
    pid
}

/// Every page, as the citizen, a provincial leader and the Steering Committee see it, fits a
/// 390 px phone without sideways scrolling, in each language, and shows no message key and, in
/// English and French, no Vietnamese interface text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_speaks_its_language() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let pid = national_programme(&app).await;
    let dl = app.unit_id("66").await;
    let vn = app.unit_id("VN").await;
    let task = app
        .scalar_i64(&format!(
            "SELECT MIN(id) FROM tasks WHERE programme_id = {pid}"
        ))
        .await;
    let keys: Vec<String> = std::fs::read_to_string(format!(
        "{}/crates/domain/locales/en.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
    .filter(|k| k.contains('-'))
    .collect();
    let phrases = vietnamese_ui_phrases();
    assert!(phrases.len() > 100, "{}", phrases.len());
    // The demo catalogue, so that its pages are there to look at.
    seed::demo_catalogue::demo_catalogue(&app.db).await.unwrap();
    let entry = app
        .scalar_i64("SELECT id FROM catalogue_entries WHERE code = 'DLK-DATDAI'")
        .await;
    // Its data dictionaries are the units' own words (descriptions of their fields), not
    // interface text, even where they match a label.
    let dictionaries = app
        .scalar_texts("SELECT dictionary FROM catalogue_entries")
        .await
        .join("\n");
    let phrases: Vec<String> = phrases
        .into_iter()
        .filter(|v| !dictionaries.contains(v.as_str()))
        .collect();
    let public = vec![
        "/catalogue".to_string(),
        "/catalogue/dashboard".into(),
        "/catalogue/graph".into(),
        format!("/catalogue/units/{dl}"),
        format!("/catalogue/{entry}"),
        "/".to_string(),
        "/rankings".into(),
        "/org".into(),
        format!("/org/{dl}"),
        format!("/org/{dl}/worklist"),
        "/programmes".into(),
        format!("/programmes/{pid}"),
        format!("/programmes/{pid}/deadlines?list=soon"),
        format!("/programmes/{pid}/briefing"),
        format!("/org/{dl}/briefing"),
        format!("/tasks/{task}"),
        "/feedback".into(),
        "/feedback/new".into(),
        "/feedback/stats".into(),
        "/feedback/track".into(),
        "/login".into(),
        "/register".into(),
    ];
    let leader = vec![
        "/".to_string(),
        format!("/catalogue/{entry}"),
        format!("/catalogue/units/{dl}"),
        format!("/catalogue/import?owner={dl}"),
        format!("/catalogue/{entry}/edit"),
        format!("/org/{dl}/claims"),
        format!("/org/{dl}/worklist?open=true"),
        "/notifications".into(),
        "/feedback/inbox".into(),
        format!("/tasks/{task}"),
        format!("/programmes/{pid}"),
    ];
    let steering = vec![
        "/".to_string(),
        format!("/org/{vn}/claims"),
        format!("/programmes/{pid}/deadlines?list=overdue"),
        format!("/tasks/{task}"),
    ];
    let mut problems = vec![];
    for (user, pages) in [
        (None, public),
        (Some("daklak.leader"), leader),
        (Some("steering"), steering),
    ] {
        let (c, _driver) = phone().await;
        if let Some(u) = user {
            sign_in(&c, &app, u).await;
        }
        for lang in ["vi", "en", "fr"] {
            c.goto(&app.url(&format!("/lang/{lang}?next=/")))
                .await
                .unwrap();
            for path in &pages {
                c.goto(&app.url(path)).await.unwrap();
                let width = c
                    .execute("return document.documentElement.scrollWidth", vec![])
                    .await
                    .unwrap()
                    .as_i64()
                    .unwrap();
                if width > 390 {
                    problems.push(format!("{lang} {path} ({user:?}): {width} px wide"));
                }
                let title = c.title().await.unwrap();
                if title.contains('<') || title.contains('{') || !title.ends_with("nqtrack") {
                    problems.push(format!("{lang} {path} ({user:?}): title {title:?}"));
                }
                let body = text(&c, "body").await;
                for k in &keys {
                    if body
                        .split(|ch: char| ch.is_whitespace() || ",.:;()".contains(ch))
                        .any(|w| w == k)
                    {
                        problems.push(format!("{lang} {path} ({user:?}): message key {k}"));
                    }
                }
                if lang != "vi" {
                    for v in &phrases {
                        if body.contains(v.as_str()) {
                            problems
                                .push(format!("{lang} {path} ({user:?}): untranslated \"{v}\""));
                        }
                    }
                }
            }
        }
        c.close().await.unwrap();
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The integers of a figure as a language writes them ("1.234", "1,234", "1 234").
fn figure(s: &str) -> i64 {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("not a figure: {s:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_home_shows_what_the_units_lists_add_up_to() {
    // Every row of the provinces' and ministries' tables on the Steering Committee's home, read
    // in the browser in Vietnamese at desktop width and in English on a phone, equals the count
    // the test makes itself from each unit's worklist (API): due = deadline in force on or
    // before today, then completed on time, completed late, or not completed.
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let pid = national_programme(&app).await;
    let api = common::bearer(&app.token("steering").await);
    let today = domain::clock::local_date(chrono::Utc::now());
    let mut expected = std::collections::HashMap::new();
    let read_rows = format!(
        "return Array.from(document.querySelectorAll('#league-provinces-{pid} tbody tr, #league-ministries-{pid} tbody tr'))
           .map(tr => [tr.dataset.unit].concat(Array.from(tr.querySelectorAll('td.num:not(.share)')).map(td => td.textContent)))"
    );
    for (lang, phone_width) in [("vi", false), ("en", true)] {
        let (c, _driver) = if phone_width {
            phone().await
        } else {
            browser().await
        };
        sign_in(&c, &app, "steering").await;
        c.goto(&app.url(&format!("/lang/{lang}?next=/")))
            .await
            .unwrap();
        landed(&c, &format!("#league-provinces-{pid}")).await;
        let rows = c.execute(&read_rows, vec![]).await.unwrap();
        let rows = rows.as_array().unwrap();
        // 34 provinces, and the ministries that lead work.
        let provinces = c
            .execute(
                &format!(
                    "return document.querySelectorAll('#league-provinces-{pid} tbody tr').length"
                ),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(provinces, 34, "{lang}");
        assert!(rows.len() > 34, "{lang}: {}", rows.len());
        for r in rows {
            let r = r.as_array().unwrap();
            let unit: i64 = r[0].as_str().unwrap().parse().unwrap();
            let shown: Vec<i64> = r[1..].iter().map(|v| figure(v.as_str().unwrap())).collect();
            if let std::collections::hash_map::Entry::Vacant(slot) = expected.entry(unit) {
                let (s, items) = api
                    .get(app.url(&format!(
                        "/api/v1/org-units/{unit}/worklist?programme={pid}&lead=true"
                    )))
                    .call_json()
                    .await;
                assert_eq!(s, 200, "{items}");
                let (mut due, mut on_time, mut late, mut open) = (0, 0, 0, 0);
                for i in items.as_array().unwrap() {
                    let status = i["status"].as_str().unwrap();
                    let is_due = i["due"]
                        .as_str()
                        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
                        .is_some_and(|d| d <= today);
                    if !is_due || matches!(status, "cancelled" | "superseded") {
                        continue;
                    }
                    due += 1;
                    match status {
                        "completed_on_time" => on_time += 1,
                        "completed_late" => late += 1,
                        _ => open += 1,
                    }
                }
                slot.insert(vec![due, on_time, late, open]);
            }
            assert_eq!(shown, expected[&unit], "{lang}: unit {unit}");
        }
        // Some unit has work due, so the comparison compared something.
        assert!(expected.values().any(|v| v[0] > 0));
    }
}

/// The indicators' Done-when flow: a commune officer enters a quarter with a percentage of 130,
/// sees the error next to the field, corrects it and submits; the commune's leader approves; the
/// province accepts; the national indicator page and its map show the new figure and status on
/// the next request; the CSV export opens with the figure in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commune_enters_a_quarter_and_the_nation_sees_it() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let set = app::indicators::builtin::create_province_set(
        &app.db,
        &store::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    let dvctt = app
        .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.DVCTT'")
        .await;
    let province = app.unit_id("66").await;
    let commune = app
        .scalar_i64(&format!(
            "SELECT MIN(id) FROM org_units WHERE parent_id = {province} AND valid_to IS NULL"
        ))
        .await;
    let admin = common::bearer(&app.token("admin").await);
    for (user, role) in [("xa.officer", "unit_officer"), ("xa.leader", "unit_leader")] {
        let r = admin
            .post(app.url("/api/v1/users"))
            .json(&serde_json::json!({"username": user, "display_name": user, "unit_id": commune, "role": role, "password": seed::DEMO_PASSWORD}))
            .call()
            .await;
        assert_eq!(r.status(), 201);
    }
    let sheet = format!("/indicators/entry?set={set}&unit={commune}&period=2026Q2");
    let (c, _driver) = browser().await;
    sign_in(&c, &app, "xa.officer").await;
    c.goto(&app.url(&sheet)).await.unwrap();
    let key = format!("{dvctt}-0");
    type_in(&c, &format!("v-{key}"), "130").await;
    submit(&c, "#sheet-save").await;
    let err = text(&c, &format!("#err-{key}")).await;
    assert!(err.contains("130"), "the error names the value: {err}");
    // Corrected: the parts of the ratio, the figure computed from them.
    c.find(Locator::Id(&format!("v-{key}")))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_in(&c, &format!("n-{key}"), "17").await;
    type_in(&c, &format!("d-{key}"), "20").await;
    submit(&c, "#sheet-save").await;
    assert!(text(&c, "#saved").await.contains('1'));
    submit(&c, "#move-submit").await;
    assert_eq!(
        text(&c, "#sheet-state").await,
        "Đã gửi, chờ lãnh đạo đơn vị phê duyệt"
    );
    submit(&c, "#logout").await;
    for (user, button, state) in [
        (
            "xa.leader",
            "#move-approve",
            "Đã phê duyệt, chờ cấp trên tiếp nhận",
        ),
        ("daklak.leader", "#move-accept", "Cấp trên đã tiếp nhận"),
    ] {
        sign_in(&c, &app, user).await;
        c.goto(&app.url(&sheet)).await.unwrap();
        submit(&c, button).await;
        assert_eq!(text(&c, "#sheet-state").await, state, "{user}");
        submit(&c, "#logout").await;
    }
    // The nation's page, on the next request: 17 / 20 = 85 %, above the 2027 target of 65 %.
    c.goto(&app.url(&format!("/indicators/{dvctt}?period=2026Q2")))
        .await
        .unwrap();
    assert_eq!(text(&c, "#figure-value").await, "85% Đã đạt");
    // On the map, Đắk Lắk carries its share of the target: from the baseline 45 % to 65 %, 85 % is 200 %.
    let title: String = c
        .execute(
            "return document.querySelector('#ind-map use[href=\"#pv-66\"] title').textContent",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(title, "Tỉnh Đắk Lắk: 200,0%");
    let href = c
        .find(Locator::Id("export-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.close().await.unwrap();
    let csv = app
        .anon()
        .get(app.url(&href))
        .call()
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "a BOM, so that Excel reads UTF-8"
    );
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.contains("Tỉnh Đắk Lắk") && l.contains(",85,")),
        "{csv}"
    );
}

/// Issue 14, the reader's part: the Steering Committee's method and edition are made through the
/// API (its management pages are still to come); an anonymous visitor opens the provincial
/// ranking with its grades and rank intervals, opens Đắk Lắk's scorecard, and follows the overdue
/// measure down to the overdue task on the province's worklist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_visitor_follows_a_ranking_down_to_an_overdue_task() {
    use serde_json::json;
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let today = domain::clock::local_date(chrono::Utc::now());
    let yesterday = today - chrono::Duration::days(1);
    let annex = format!(
        "| TT | Tên nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Kết quả | Thời gian hoàn thành |\n|---|---|---|---|---|---|\n| **I.** | Dữ liệu | | | | |\n| 1. | Số hóa hồ sơ đất đai | Đắk Lắk | | Cơ sở dữ liệu | {} |\n",
        yesterday.format("%d/%m/%Y")
    );
    dak_lak_plan(&app, &annex, 1).await;
    let steering = common::bearer(&app.token("steering").await);
    let inspector = common::bearer(&app.token("inspector").await);
    let dl = app.unit_id("66").await;
    let ids = app
        .scalar_text("SELECT STRING_AGG(CAST(id AS TEXT), ',' ORDER BY code) FROM org_units WHERE kind = 'province' AND valid_to IS NULL")
        .await;
    for (i, id) in ids
        .split(',')
        .take(5)
        .chain([dl.to_string().as_str()])
        .enumerate()
    {
        let year = today.format("%Y").to_string();
        common::finding(
            &app,
            &inspector,
            id.parse().unwrap(),
            &year,
            95.0 - 9.0 * i as f64,
        )
        .await;
    }
    let (_, version) = common::example_method(&app, &steering, "VD-TINH", true).await;
    let (s, e) = steering
        .post(app.url("/api/v1/rankings"))
        .json(&json!({"version_id": version, "period": today.format("%Y").to_string()}))
        .call_json()
        .await;
    assert_eq!(s, 201, "{e}");
    let edition = e["id"].as_i64().unwrap();
    let (s, v) = steering
        .post(app.url(&format!("/api/v1/rankings/{edition}/publish")))
        .json(&json!({"detail": "full"}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");

    let (c, _driver) = browser().await;
    c.goto(&app.url("/lang/vi?next=/rankings")).await.unwrap();
    landed(&c, "#rk-editions").await;
    click(&c, &format!("a[href='/rankings/{edition}']")).await;
    landed(&c, "#rk-table").await;
    assert!(
        text(&c, "#rk-example")
            .await
            .contains("không phải phương pháp chính thức")
    );
    let table = text(&c, "#rk-table").await;
    // Six provinces have data: six ranks, each with its grade and interval; the rest unranked.
    let ranked = c
        .find_all(Locator::Css("#rk-table svg.whisker"))
        .await
        .unwrap()
        .len();
    assert_eq!(ranked, 6, "{table}");
    assert!(
        c.find_all(Locator::Css("#rk-table .grade"))
            .await
            .unwrap()
            .len()
            >= 6
    );
    assert!(table.contains("Tỉnh Đắk Lắk"), "{table}");
    click(&c, &format!("a[href='/rankings/{edition}/units/{dl}']")).await;
    landed(&c, "#rk-lines").await;
    let overdue = text(&c, "#rk-line-overdue").await;
    // One task, one day late: 1 + 1/30 per task due, between the goalposts 2 (0 points) and 0
    // (100 points): 48.3 points.
    assert!(overdue.contains("48,3"), "{overdue}");
    // The leader's accountability report: the result, the overdue task it leads (one day late),
    // and the edition's hash to check it by.
    click(&c, "#rk-report-link").await;
    landed(&c, "#rk-report").await;
    assert_eq!(text(&c, "#rk-report-overdue-n").await, "1");
    let late = text(&c, "#rk-report-overdue").await;
    assert!(
        late.contains("Số hóa hồ sơ đất đai") && late.ends_with('1'),
        "{late}"
    );
    let result = text(&c, "#rk-report-result").await;
    assert!(result.contains("/ 6"), "six provinces ranked: {result}");
    assert!(
        text(&c, "#rk-report-source")
            .await
            .contains(e["inputs_hash"].as_str().unwrap())
    );
    let indicators = c
        .find(Locator::Css(
            "#rk-report-indicators, #rk-report-no-indicators",
        ))
        .await;
    assert!(
        indicators.is_ok(),
        "the report names the indicators off their path, or says none is"
    );
    let report = app.url(&format!("/rankings/{edition}/units/{dl}/report"));
    let r = reqwest::Client::new()
        .get(format!("{report}?format=xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "a workbook");
    let r = reqwest::Client::new()
        .get(format!("{report}?format=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "several tables make no single CSV");
    c.back().await.unwrap();
    landed(&c, "#rk-lines").await;
    click(&c, "#rk-line-overdue a.rk-evidence").await;
    landed(&c, "main").await;
    let page = text(&c, "main").await;
    assert!(page.contains("Số hóa hồ sơ đất đai"), "{page}");
    assert!(page.contains("Quá hạn"), "{page}");
    c.close().await.unwrap();
}

/// The Committee's desk, as the Committee and an inspector use it: an inspector enters an
/// expert score with its evidence (a wrong unit code first); the Committee edits the weights of a
/// draft method, approves and publishes it, computes an edition, tries other weights on it, and
/// publishes it; the public then reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_edits_a_method_computes_tries_and_publishes_an_edition() {
    use serde_json::json;
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let year = domain::clock::local_date(chrono::Utc::now())
        .format("%Y")
        .to_string();
    let steering = common::bearer(&app.token("steering").await);
    let inspector = common::bearer(&app.token("inspector").await);
    let ids = app
        .scalar_text("SELECT STRING_AGG(CAST(id AS TEXT), ',' ORDER BY code) FROM org_units WHERE kind = 'province' AND valid_to IS NULL AND code <> '66'")
        .await;
    for (i, id) in ids.split(',').take(4).enumerate() {
        common::finding(
            &app,
            &inspector,
            id.parse().unwrap(),
            &year,
            90.0 - 10.0 * i as f64,
        )
        .await;
    }
    let (method, version) = common::example_method(&app, &steering, "VD-TINH", false).await;

    // The inspector: a unit code that does not exist is said next to the field; then Đắk Lắk.
    let (c, _driver) = browser().await;
    sign_in(&c, &app, "inspector").await;
    c.goto(&app.url("/rankings/manage")).await.unwrap();
    landed(&c, "#rk-expert").await;
    assert!(
        c.find(Locator::Id("rk-compute")).await.is_err(),
        "an inspector does not compute editions"
    );
    type_in(&c, "rk-e-unit", "9999").await;
    type_in(&c, "rk-e-period", &year).await;
    type_in(&c, "rk-e-value", "85,5").await;
    type_in(&c, "rk-e-evidence", "Biên bản kiểm tra số 12/BB-KT").await;
    submit(&c, "#rk-expert-submit").await;
    let form = text(&c, "#rk-expert").await;
    assert!(form.contains("Không có đơn vị"), "{form}");
    let unit = c.find(Locator::Id("rk-e-unit")).await.unwrap();
    unit.clear().await.unwrap();
    unit.send_keys("66").await.unwrap();
    submit(&c, "#rk-expert-submit").await;
    landed(&c, "#rk-done").await;
    let dl = app.unit_id("66").await;
    let stored = app
        .scalar_text(&format!(
            "SELECT CAST(value AS TEXT) || ' ' || evidence FROM rank_expert_scores WHERE unit_id = {dl}"
        ))
        .await;
    assert_eq!(stored, "85.5 Biên bản kiểm tra số 12/BB-KT");
    c.delete_all_cookies().await.unwrap();

    // The Committee: the draft's weights.
    sign_in(&c, &app, "steering").await;
    c.goto(&app.url("/rankings")).await.unwrap();
    click(&c, "#rk-desk-link").await;
    landed(&c, &format!("#rk-version-{version}")).await;
    click(&c, &format!("#rk-version-{version} a.button")).await;
    landed(&c, "#rk-weights").await;
    let w = c.find(Locator::Id("w-work")).await.unwrap();
    w.clear().await.unwrap();
    w.send_keys("0").await.unwrap();
    submit(&c, "#rk-save").await;
    let weights = text(&c, "#rk-edit-tree").await;
    assert!(weights.contains("Trọng số phải là số dương"), "{weights}");
    let w = c.find(Locator::Id("w-work")).await.unwrap();
    w.clear().await.unwrap();
    w.send_keys("3").await.unwrap();
    c.find(Locator::Id("m-answered"))
        .await
        .unwrap()
        .select_by_value("zero")
        .await
        .unwrap();
    submit(&c, "#rk-save").await;
    landed(&c, "#rk-saved").await;
    let (_, v) = steering
        .get(app.url(&format!("/api/v1/methods/{method}/versions/1")))
        .call_json()
        .await;
    let pillars = &v["document"]["pillars"];
    assert_eq!(pillars[0]["node"]["weight"], 3.0, "{v}");
    assert_eq!(
        pillars[1]["node"]["children"][0]["measure"]["missing"], "zero",
        "{v}"
    );

    // Approved, published, computed.
    c.goto(&app.url("/rankings/manage")).await.unwrap();
    submit(&c, &format!("#rk-approve-{version}")).await;
    landed(&c, "#rk-done").await;
    submit(&c, &format!("#rk-publish-version-{version}")).await;
    landed(&c, "#rk-done").await;
    assert!(
        text(&c, &format!("#rk-version-{version}"))
            .await
            .contains("Đã công bố")
    );
    type_in(&c, "rk-c-period", "2026-13").await;
    submit(&c, "#rk-compute-submit").await;
    let form = text(&c, "#rk-compute").await;
    assert!(form.contains("Kỳ"), "{form}");
    let period = c.find(Locator::Id("rk-c-period")).await.unwrap();
    period.clear().await.unwrap();
    period.send_keys(&year).await.unwrap();
    submit(&c, "#rk-compute-submit").await;
    landed(&c, "#rk-publish").await;
    let url = c.current_url().await.unwrap();
    let edition: i64 = url.path().rsplit('/').next().unwrap().parse().unwrap();
    let ranked = c
        .find_all(Locator::Css("#rk-table svg.whisker"))
        .await
        .unwrap()
        .len();
    assert_eq!(ranked, 5, "four provinces and Đắk Lắk have data");

    // What if the inspection weighed ten times as much: the page's count of moves is the API's.
    click(&c, "#rk-what-if-link").await;
    landed(&c, "#rk-what-if").await;
    let w = c.find(Locator::Id("wi-inspection")).await.unwrap();
    w.clear().await.unwrap();
    w.send_keys("10").await.unwrap();
    submit(&c, "#rk-what-if-go").await;
    landed(&c, "#rk-moved").await;
    let (s, tried) = steering
        .post(app.url(&format!("/api/v1/rankings/{edition}/what-if")))
        .json(&json!({"weights": {"inspection": 10.0}}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{tried}");
    let moved = tried
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["rank"] != u["was"])
        .count();
    let shown = text(&c, "#rk-moved").await;
    assert!(shown.ends_with(&format!(": {moved}")), "{shown} / {tried}");

    // Published with its full detail: the public reads it.
    c.goto(&app.url(&format!("/rankings/{edition}")))
        .await
        .unwrap();
    click(&c, "#rk-detail-full").await;
    submit(&c, "#rk-publish-submit").await;
    landed(&c, "#rk-table").await;
    assert!(c.find(Locator::Id("rk-publish")).await.is_err());
    let (s, v) = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/rankings/{edition}")))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["edition"]["public_detail"], "full", "{v}");
    c.close().await.unwrap();
}

/// The catalogue's Done-when walk: a province officer declares a database with its dictionary
/// and security level, the leader approves, the Steering Committee's office returns it once with
/// a reason and then accepts; a heartbeat makes it live; the dashboard and the province's
/// catalogue task move on the next request; an anonymous visitor on a phone finds it by a query
/// without diacritics and never sees its security details.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_declares_a_database_that_is_reviewed_made_live_and_found_by_the_public() {
    use serde_json::json;
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let daklak = app.unit_id("66").await;
    let (c, _driver) = browser().await;

    // The officer: a dictionary line that cannot be read is said next to the field.
    sign_in(&c, &app, "daklak.officer").await;
    c.goto(&app.url("/catalogue")).await.unwrap();
    click(&c, "#cat-new-link").await;
    landed(&c, "#cat-form").await;
    type_in(&c, "code", "dlk-hotich").await;
    type_in(&c, "name_vi", "Cơ sở dữ liệu hộ tịch tỉnh Đắk Lắk").await;
    c.find(Locator::Id("kind"))
        .await
        .unwrap()
        .select_by_value("local")
        .await
        .unwrap();
    type_in(
        &c,
        "dictionary",
        "so_dinh_danh | code | Số định danh cá nhân | personal_id | *\nngay_dang_ky | ngày",
    )
    .await;
    c.find(Locator::Id("security_level"))
        .await
        .unwrap()
        .select_by_value("4")
        .await
        .unwrap();
    type_in(&c, "services", "https://lgsp.daklak.example/hotich").await;
    type_in(&c, "expected_population", "2000").await;
    click(&c, "input[name=themes][value=SOCI]").await;
    click(&c, "#is_public").await;
    submit(&c, "#cat-save").await;
    let err = text(&c, "#dictionary-error").await;
    assert!(err.contains("dòng 2"), "{err}");
    let dict = c.find(Locator::Id("dictionary")).await.unwrap();
    dict.clear().await.unwrap();
    dict.send_keys("so_dinh_danh | code | Số định danh cá nhân | personal_id | *\nngay_dang_ky | date | Ngày đăng ký").await.unwrap();
    submit(&c, "#cat-save").await;
    landed(&c, "#cat-entry-name").await;
    let id: i64 = c
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(text(&c, "#cat-security-level").await, "4");
    assert!(
        text(&c, "#cat-dictionary")
            .await
            .contains("Số định danh cá nhân")
    );
    submit(&c, "#cat-do-declare").await;
    assert_eq!(
        text(&c, "#cat-entry-state").await,
        "Đã kê khai, chờ lãnh đạo"
    );
    c.delete_all_cookies().await.unwrap();

    // The leader approves; the Committee's office returns it, first without a reason.
    let entry = app.url(&format!("/catalogue/{id}"));
    sign_in(&c, &app, "daklak.leader").await;
    c.goto(&entry).await.unwrap();
    submit(&c, "#cat-do-approve").await;
    assert_eq!(
        text(&c, "#cat-entry-state").await,
        "Đã phê duyệt, chờ thẩm định"
    );
    c.delete_all_cookies().await.unwrap();
    sign_in(&c, &app, "steering").await;
    c.goto(&entry).await.unwrap();
    submit(&c, "#cat-do-return").await;
    assert!(text(&c, "#cat-reason-error").await.contains("bắt buộc"));
    type_in(&c, "cat-reason", "Thiếu căn cứ pháp lý").await;
    submit(&c, "#cat-do-return").await;
    assert!(
        text(&c, "#cat-return-reason")
            .await
            .contains("Thiếu căn cứ pháp lý")
    );
    c.delete_all_cookies().await.unwrap();

    // Declared again, approved, accepted.
    for (user, step) in [
        ("daklak.officer", "declare"),
        ("daklak.leader", "approve"),
        ("steering", "accept"),
    ] {
        sign_in(&c, &app, user).await;
        c.goto(&entry).await.unwrap();
        submit(&c, &format!("#cat-do-{step}")).await;
        c.delete_all_cookies().await.unwrap();
    }

    // The system's heartbeat makes it live: the unit's page says so on the next request.
    let officer = common::bearer(&app.token("daklak.officer").await);
    let (s, v) = officer
        .post(app.url(&format!("/api/v1/catalogue/{id}/heartbeat")))
        .json(&json!({"records": 1500, "checked": 200, "valid": 190, "complete": 1500}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    sign_in(&c, &app, "daklak.officer").await;
    c.goto(&entry).await.unwrap();
    assert_eq!(text(&c, "#cat-entry-state").await, "Đã chấp nhận");
    assert!(text(&c, "#cat-word-live").await.contains("100"));
    assert!(text(&c, "#cat-word-correct").await.contains("95"));
    landed(&c, "#cat-last-heartbeat").await;
    c.delete_all_cookies().await.unwrap();

    // The national dashboard and the province's task of completing its catalogue.
    c.goto(&app.url("/lang/vi?next=/catalogue/dashboard"))
        .await
        .unwrap();
    let line = text(&c, &format!("#cat-line-{daklak}")).await;
    assert!(line.contains("100 %"), "{line}");
    let task = app
        .scalar_i64("SELECT id FROM tasks WHERE code = 'DMCSDL'")
        .await;
    let (_, v) = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/tasks/{task}")))
        .call_json()
        .await;
    let mine = v["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unit_id"] == daklak)
        .unwrap()
        .clone();
    assert_eq!(mine["last_percent"], 100, "{mine}");
    c.close().await.unwrap();

    // The public, on a phone: found without diacritics; no security detail anywhere on the page.
    let (p, _driver) = phone().await;
    p.goto(&app.url("/lang/vi?next=/catalogue")).await.unwrap();
    type_in(&p, "cat-q", "ho tich dak lak").await;
    submit(&p, "#cat-search").await;
    assert_eq!(text(&p, "#cat-total").await, "1 kết quả");
    click(&p, "#cat-list a").await;
    landed(&p, "#cat-entry-name").await;
    let html = p.source().await.unwrap();
    assert!(
        !html.contains("lgsp.daklak") && !html.contains("cat-security"),
        "security details shown to the public"
    );
    assert!(
        html.contains("Số định danh cá nhân"),
        "the dictionary is public"
    );
    p.close().await.unwrap();
}

/// Duplicates (issue 16): a citizen writing a report sees a published item that says the same;
/// a second one is sent anyway; the unit's officer sees it flagged as a duplicate on the item
/// page, merges it with one click, and the citizen's tracking page says where it went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_similar_item_is_suggested_while_typing_and_the_duplicate_is_merged() {
    let app = common::TestApp::start(common::Backend::Sqlite).await;
    let daklak = app.unit_id("66").await;
    let submit_api = |title: &'static str, body: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .anon()
                .post(app.url("/api/v1/feedback"))
                .json(&serde_json::json!({"kind": "report", "category": "public_services", "title": title,
                    "body": body, "unit_id": daklak, "submitter_kind": "citizen"}))
                .call_json()
                .await;
            assert_eq!(s, 201, "{v}");
            (
                v["code"].as_str().unwrap().to_string(),
                v["secret"].as_str().unwrap().to_string(),
            )
        }
    };
    let (first, _) = submit_api(
        "Đèn đường hỏng tại thôn Ea Kao, xã Hòa Phú",
        "Hệ thống đèn chiếu sáng công cộng không hoạt động vào ban đêm tại thôn Ea Kao, người dân đi lại rất nguy hiểm.",
    )
    .await;
    let first_id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{first}'"
        ))
        .await;
    let steering = common::bearer(&app.token("steering").await);
    for body in [
        serde_json::json!({"action": "accept"}),
        serde_json::json!({"action": "answer", "answer": "Điện lực sẽ thay bóng trong tuần."}),
    ] {
        let (s, v) = steering
            .post(app.url(&format!("/api/v1/feedback/{first_id}/actions")))
            .json(&body)
            .call_json()
            .await;
        assert_eq!(s, 200, "{v}");
    }
    // The published item is in the index once the public can find it.
    for _ in 0..200 {
        let (_, v) = app
            .anon()
            .get(app.url("/api/v1/search?q=den%20duong%20ea%20kao&type=feedback"))
            .call_json()
            .await;
        if v["total"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (c, _driver) = browser().await;
    c.goto(&app.url("/lang/vi?next=/feedback/new"))
        .await
        .unwrap();
    type_in(&c, "title", "Đèn đường hỏng ở thôn Ea Kao, xã Hòa Phú").await;
    type_in(&c, "body", "Hệ thống đèn chiếu sáng công cộng không hoạt động vào ban đêm ở thôn Ea Kao, bà con đi lại rất nguy hiểm.").await;
    let suggested = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!(
            "#fb-similar a[href='/feedback/track/{first}']"
        )))
        .await
        .expect("the similar item is suggested while typing");
    assert!(suggested.text().await.unwrap().contains("Đèn đường hỏng"));
    assert!(
        text(&c, "#fb-similar")
            .await
            .contains("Có thể đã có người gửi")
    );
    // Sent anyway; the officer of Đắk Lắk sees the duplicate and merges it.
    let (second, secret) = submit_api(
        "Đèn đường hỏng ở thôn Ea Kao, xã Hòa Phú",
        "Hệ thống đèn chiếu sáng công cộng không hoạt động vào ban đêm ở thôn Ea Kao, bà con đi lại rất nguy hiểm.",
    )
    .await;
    let second_id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{second}'"
        ))
        .await;
    sign_in(&c, &app, "daklak.officer").await;
    for _ in 0..100 {
        c.goto(&app.url(&format!("/feedback/items/{second_id}")))
            .await
            .unwrap();
        if c.find(Locator::Css("#fb-duplicates")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let line = text(&c, &format!("#fb-duplicates li[data-id='{first_id}']")).await;
    assert!(line.contains(&first) && line.contains('%'), "{line}");
    submit(
        &c,
        &format!("#fb-duplicates li[data-id='{first_id}'] button.fb-merge"),
    )
    .await;
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT state FROM feedback_items WHERE id = {second_id}"
        ))
        .await,
        "merged"
    );
    c.goto(&app.url(&format!("/feedback/track/{second}?secret={secret}")))
        .await
        .unwrap();
    let page = text(&c, "main").await;
    assert!(
        page.contains(&first),
        "the tracking page leads to the item it was merged into: {page}"
    );
    c.close().await.unwrap();
}

/// A triage officer follows the routing suggestions: after items about intellectual property were
/// handled by the Ministry of Science and Technology and planning-data items by Đắk Lắk, a new
/// intellectual-property item filed with Đắk Lắk under the wrong category shows the ministry and
/// the right category first; the officer takes the category in one click and the transfer through
/// the move form the suggestion fills in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_triage_officer_follows_the_routing_suggestions() {
    use seed::topics::{Handler, TOPICS};
    let app =
        common::TestApp::start_with(common::Backend::Sqlite, |c| c.feedback_per_ip_hour = 1000)
            .await;
    let daklak = app.unit_id("66").await;
    let most = app.unit_id("BKHCN").await;
    let steering = common::bearer(&app.token("steering").await);
    let submit_api = |title: String, body: String, category: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .anon()
                .post(app.url("/api/v1/feedback"))
                .json(
                    &serde_json::json!({"kind": "report", "category": category, "title": title,
                    "body": body, "unit_id": daklak, "submitter_kind": "citizen"}),
                )
                .call_json()
                .await;
            assert_eq!(s, 201, "{v}");
            let code = v["code"].as_str().unwrap().to_string();
            app.scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{code}'"
            ))
            .await
        }
    };
    let ip = TOPICS
        .iter()
        .find(|t| t.handler == Handler::Agency("BKHCN") && t.category == "intellectual_property")
        .unwrap();
    let planning = TOPICS
        .iter()
        .find(|t| t.handler == Handler::Province && t.category == "data")
        .unwrap();
    for i in 0..12 {
        for (t, moves) in [
            (
                ip,
                vec![
                    serde_json::json!({"action": "transfer", "to_unit": most, "note": "Thuộc thẩm quyền của Bộ"}),
                    serde_json::json!({"action": "accept_transfer"}),
                ],
            ),
            (planning, vec![serde_json::json!({"action": "accept"})]),
        ] {
            let id = submit_api(
                t.titles[i % t.titles.len()].to_string(),
                format!(
                    "{} {}",
                    t.details[i % t.details.len()],
                    t.details[(i + 1) % t.details.len()]
                ),
                t.category,
            )
            .await;
            for m in moves {
                let (s, v) = steering
                    .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
                    .json(&m)
                    .call_json()
                    .await;
                assert_eq!(s, 200, "{v}");
            }
        }
    }
    app::feedback::train(&app.db, &|_, _| {}).await.unwrap();
    let id = submit_api(
        ip.titles[1].to_string(),
        ip.details[0].to_string(),
        "awareness",
    )
    .await;

    let (c, _driver) = browser().await;
    sign_in(&c, &app, "daklak.officer").await;
    c.goto(&app.url(&format!("/lang/en?next=/feedback/items/{id}")))
        .await
        .unwrap();
    let first_unit = text(&c, "#fb-suggest-units li:first-child").await;
    assert!(
        first_unit.contains("Ministry of Science and Technology") && first_unit.contains('%'),
        "{first_unit}"
    );
    assert!(text(&c, "#fb-suggest-model").await.contains("learnt from"));
    submit(
        &c,
        "#fb-suggest-categories li[data-category='intellectual_property'] button.fb-categorise",
    )
    .await;
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT category FROM feedback_items WHERE id = {id}"
        ))
        .await,
        "intellectual_property"
    );
    assert_eq!(text(&c, "#fb-category").await, "Intellectual property");
    submit(&c, &format!("#fb-suggest-units li[data-unit='{most}'] a")).await;
    let chosen = c
        .find(Locator::Css("#action"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(chosen.as_deref(), Some("transfer"));
    let to = c
        .find(Locator::Id("to_unit"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(to, Some(most.to_string()));
    type_in(
        &c,
        "note",
        "Sở hữu trí tuệ thuộc thẩm quyền của Bộ Khoa học và Công nghệ",
    )
    .await;
    submit(&c, "#fb-act-submit").await;
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT state || ' ' || unit_id FROM feedback_items WHERE id = {id}"
        ))
        .await,
        format!("transferred {most}")
    );
    c.close().await.unwrap();
}
