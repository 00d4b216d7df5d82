//! The work on tasks beyond reporting: visibility, cascading, proposals, evidence, mergers,
//! reminders by email, exports and calendars. Each test runs on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use app::programmes::{ProgrammeMeta, import_annex};
use chrono::{Datelike, NaiveDate, Utc};
use common::smtp_sink::SmtpSink;
use common::{Call, bearer};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use store::audit::Actor;

const ANNEX: &str = "\
| TT | Tên nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Kết quả | Thời gian hoàn thành |
|---|---|---|---|---|---|
| **I.** | Hạ tầng số | | | | |
| 1. | Phủ sóng 5G đến tất cả các xã | Đắk Lắk | | Báo cáo | 12/2026 |
| 2. | Số hóa hồ sơ địa chính | Hà Nội | | Báo cáo | 12/2026 |
| 3. | Ban hành quy định về dữ liệu mở | Bộ Khoa học và Công nghệ | Đắk Lắk | Nghị định | 6/2026 |
| 4. | Chuyển đổi số trong cơ quan | Đắk Lắk | | Báo cáo | Thường xuyên |
";

const META: ProgrammeMeta<'static> = ProgrammeMeta {
    code: "KH-TEST",
    name: "Kế hoạch thử nghiệm",
    document_number: "01/KH-TEST",
    document_type: "plan",
    issuer: "Chính phủ",
    issued_on: NaiveDate::from_ymd_opt(2025, 3, 1),
    owner_code: "VN",
};

/// The small programme; returns (programme id, task id by code).
async fn programme(app: &common::TestApp) -> (i64, impl Fn(&str) -> String) {
    let r = import_annex(&app.db, &Actor::system("test"), &META, ANNEX, false)
        .await
        .unwrap();
    assert_eq!(r.tasks, 4, "{:?}", r.problems);
    let pid = r.programme_id.unwrap();
    (pid, move |code: &str| {
        format!("(SELECT id FROM tasks WHERE programme_id = {pid} AND code = '{code}')")
    })
}

async fn assignment(app: &common::TestApp, task: &str, unit_code: &str) -> i64 {
    let unit = app.unit_id(unit_code).await;
    app.scalar_i64(&format!(
        "SELECT id FROM assignments WHERE task_id = {task} AND unit_id = {unit}"
    ))
    .await
}

async fn status_of(c: &reqwest::Client, app: &common::TestApp, path: &str) -> StatusCode {
    c.get(app.url(path)).call().await.status()
}

both!(
    internal_and_restricted_tasks_are_hidden_from_others,
    |app| {
        let (pid, task) = programme(&app).await;
        let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
        let t2 = app.scalar_i64(&format!("SELECT {}", task("2"))).await;
        app.exec(&format!(
            "UPDATE tasks SET visibility = 'restricted' WHERE id = {t1}"
        ))
        .await;
        app.exec(&format!(
            "UPDATE tasks SET visibility = 'internal' WHERE id = {t2}"
        ))
        .await;
        let anon = app.anon();
        let daklak = bearer(&app.token("daklak.officer").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let inspector = bearer(&app.token("inspector").await);
        let path = format!("/api/v1/tasks/{t1}");
        assert_eq!(status_of(&anon, &app, &path).await, StatusCode::NOT_FOUND);
        assert_eq!(status_of(&hanoi, &app, &path).await, StatusCode::NOT_FOUND);
        assert_eq!(status_of(&daklak, &app, &path).await, StatusCode::OK);
        assert_eq!(status_of(&inspector, &app, &path).await, StatusCode::OK);
        // The page answers the same way.
        assert_eq!(
            status_of(&anon, &app, &format!("/tasks/{t1}")).await,
            StatusCode::NOT_FOUND
        );
        let path2 = format!("/api/v1/tasks/{t2}");
        assert_eq!(status_of(&anon, &app, &path2).await, StatusCode::NOT_FOUND);
        assert_eq!(status_of(&hanoi, &app, &path2).await, StatusCode::OK);
        // Lists and the overview count only what the caller may read.
        let count = |c: reqwest::Client| {
            let url = app.url(&format!("/api/v1/tasks?programme={pid}"));
            async move { c.get(url).call_json().await.1.as_array().unwrap().len() }
        };
        assert_eq!(count(anon.clone()).await, 2);
        assert_eq!(count(hanoi.clone()).await, 3);
        assert_eq!(count(daklak.clone()).await, 4);
        let (_, o) = anon
            .get(app.url(&format!("/api/v1/programmes/{pid}/overview")))
            .call_json()
            .await;
        assert_eq!(o["overview"]["tasks"]["total"], 2);
        // A unit's worklist shows another unit's restricted task to nobody outside it.
        let dl = app.unit_id("66").await;
        let (_, w) = hanoi
            .get(app.url(&format!("/api/v1/org-units/{dl}/worklist")))
            .call_json()
            .await;
        assert!(w.as_array().unwrap().iter().all(|i| i["task"]["id"] != t1));
    }
);

both!(
    a_province_cascades_to_its_communes_and_progress_rolls_up,
    |app| {
        let (_, task) = programme(&app).await;
        let a = assignment(&app, &task("1"), "66").await;
        let leader = bearer(&app.token("daklak.leader").await);
        let officer = bearer(&app.token("daklak.officer").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let url = app.url(&format!("/api/v1/assignments/{a}/cascade"));
        // Officers do not decide assignments; other provinces even less.
        let (s, _) = officer.post(&url).json(&json!({})).call_json().await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = hanoi.post(&url).json(&json!({})).call_json().await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A unit that is not below the province is refused, and nothing is written.
        let hn = app.unit_id("01").await;
        let before = app.scalar_i64("SELECT COUNT(*) FROM assignments").await;
        let (s, p) = leader
            .post(&url)
            .json(&json!({ "units": [hn] }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM assignments").await,
            before
        );
        let dl = app.unit_id("66").await;
        let communes = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {dl} AND valid_to IS NULL AND kind IN ('commune', 'ward', 'special_zone')"
        ))
        .await;
        assert!(communes > 50, "Đắk Lắk has about a hundred communes");
        let (s, r) = leader
            .post(&url)
            .json(&json!({ "all": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["created"].as_array().unwrap().len() as i64, communes);
        // Cascading again creates nothing new.
        let (_, r2) = leader.post(&url).json(&json!({})).call_json().await;
        assert_eq!(r2["created"].as_array().unwrap().len(), 0);
        assert_eq!(r2["already"].as_i64().unwrap(), communes);
        // One commune finishes; steering verifies; the province shows the share completed.
        let child = app
            .scalar_i64(&format!(
                "SELECT MIN(id) FROM assignments WHERE parent_id = {a}"
            ))
            .await;
        let admin = bearer(&app.token("admin").await);
        let (s, _) = admin
            .post(app.url(&format!("/api/v1/assignments/{child}/reports")))
            .json(&json!({ "percent": 100, "narrative": "Đã phủ sóng", "claims_completion": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let steering = bearer(&app.token("steering").await);
        let (s, _) = steering
            .post(app.url(&format!("/api/v1/assignments/{child}/verification")))
            .json(&json!({ "approve": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, w) = leader
            .get(app.url(&format!("/api/v1/org-units/{dl}/worklist")))
            .call_json()
            .await;
        let item = w
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["assignment"]["id"] == a)
            .expect("the province's assignment")
            .clone();
        assert_eq!(item["cascaded_to"].as_i64().unwrap(), communes);
        assert_eq!(item["cascade_percent"].as_i64().unwrap(), 100 / communes);
        // The overview still counts the province's task once: cascaded work rolls up, not out.
        let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
        let (_, d) = app
            .anon()
            .get(app.url(&format!("/api/v1/tasks/{t1}")))
            .call_json()
            .await;
        assert_eq!(
            d["assignments"].as_array().unwrap().len() as i64,
            communes + 1
        );
        // The commune's own worklist lists it.
        let commune_unit = app
            .scalar_i64(&format!(
                "SELECT unit_id FROM assignments WHERE id = {child}"
            ))
            .await;
        let (_, cw) = app
            .anon()
            .get(app.url(&format!("/api/v1/org-units/{commune_unit}/worklist")))
            .call_json()
            .await;
        assert_eq!(cw[0]["status"], "completed_on_time");
    }
);

both!(units_propose_tasks_and_the_assigning_level_decides, |app| {
    let (pid, _) = programme(&app).await;
    let officer = bearer(&app.token("daklak.officer").await);
    let url = app.url(&format!("/api/v1/programmes/{pid}/proposals"));
    let (s, p) = officer
        .post(&url)
        .json(&json!({ "title": "Xây dựng bản đồ số nông nghiệp", "deadline": "bao giờ xong" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "deadline", "{p}");
    let (s, t) = officer
        .post(&url)
        .json(&json!({ "title": "Xây dựng bản đồ số nông nghiệp", "deadline": "Quý II/2027" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["state"], "proposed");
    assert_eq!(t["due_on"], "2027-06-30");
    let id = t["id"].as_i64().unwrap();
    let listed = |c: reqwest::Client| {
        let u = app.url(&format!("/api/v1/tasks?programme={pid}"));
        async move {
            c.get(u)
                .call_json()
                .await
                .1
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == id)
        }
    };
    assert!(!listed(app.anon()).await, "a proposal is not a task yet");
    // The proposing unit cannot approve its own proposal.
    let decide = app.url(&format!("/api/v1/tasks/{id}/decision"));
    let leader = bearer(&app.token("daklak.leader").await);
    let (s, _) = leader
        .post(&decide)
        .json(&json!({ "approve": true }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let steering = bearer(&app.token("steering").await);
    let (s, _) = steering
        .post(&decide)
        .json(&json!({ "approve": false }))
        .call_json()
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "declining needs a reason"
    );
    let (s, t) = steering
        .post(&decide)
        .json(&json!({ "approve": true }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["state"], "active");
    assert!(listed(app.anon()).await);
    let (s, _) = steering
        .post(&decide)
        .json(&json!({ "approve": true }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "decided once");
});

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n".to_vec()
}

both!(evidence_is_checked_stored_and_served, |app| {
    let (_, task) = programme(&app).await;
    let a = assignment(&app, &task("1"), "66").await;
    let officer = bearer(&app.token("daklak.officer").await);
    let (s, r) = officer
        .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
        .json(&json!({ "percent": 40, "narrative": "Đã lắp đặt 40 trạm" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let rid = r["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/reports/{rid}/evidence"));
    let send = |name: &'static str, bytes: Vec<u8>, c: reqwest::Client| {
        let url = url.clone();
        async move {
            let form = Form::new().part("file", Part::bytes(bytes).file_name(name));
            c.post(url).multipart(form).call_json().await
        }
    };
    // An executable named .pdf, and a PDF named .docx, are refused; nothing is recorded.
    let (s, p) = send(
        "bien-ban.pdf",
        b"MZ\x90\x00binary".to_vec(),
        officer.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "err-file-type");
    let (s, p) = send("bien-ban.docx", pdf(), officer.clone()).await;
    assert_eq!(p["errors"][0]["code"], "err-file-type-mismatch", "{s} {p}");
    // Over the limit (20 MB by default).
    let (s, p) = send(
        "lon.pdf",
        [pdf(), vec![b' '; 21 * 1_048_576]].concat(),
        officer.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "err-file-too-large");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM evidence").await, 0);
    // Another province may not add evidence to Đắk Lắk's report.
    let hanoi = bearer(&app.token("hanoi.officer").await);
    let (s, _) = send("x.pdf", pdf(), hanoi).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = send("Biên bản nghiệm thu.pdf", pdf(), officer.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    use sha2::Digest;
    assert_eq!(e["sha256"], hex::encode(sha2::Sha256::digest(pdf())));
    assert_eq!(e["file_name"], "Biên bản nghiệm thu.pdf");
    // Anyone may download evidence of a public task, byte for byte.
    let got = app
        .anon()
        .get(app.url(&format!("/api/v1/evidence/{}", e["id"])))
        .call()
        .await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert!(
        got.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("UTF-8''Bi%C3%AAn")
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf());
    // The report form of a public task says so before anything is attached; a restricted one does not.
    let task_id = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let form_page = || async {
        app.signed_in("daklak.officer")
            .await
            .get(app.url(&format!("/tasks/{task_id}")))
            .call()
            .await
            .text()
            .await
            .unwrap()
    };
    let page = form_page().await;
    assert!(
        page.contains("id=\"report-form\"")
            && page.contains("<p class=\"notice\" id=\"evidence-public\">Nhiệm vụ này công khai"),
        "{page}"
    );
    // Evidence of a restricted task is as hidden as the task.
    app.exec(&format!(
        "UPDATE tasks SET visibility = 'restricted' WHERE id = {}",
        task("1")
    ))
    .await;
    let page = form_page().await;
    assert!(
        page.contains("id=\"report-form\"") && !page.contains("id=\"evidence-public\""),
        "{page}"
    );
    let s = status_of(&app.anon(), &app, &format!("/api/v1/evidence/{}", e["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, d) = officer
        .get(app.url(&format!(
            "/api/v1/tasks/{}",
            app.scalar_i64(&format!("SELECT {}", task("1"))).await
        )))
        .call_json()
        .await;
    assert_eq!(d["evidence"].as_array().unwrap().len(), 1);
});

both!(a_merger_hands_open_work_to_the_successor, |app| {
    let (_, task) = programme(&app).await;
    // Đắk Lắk holds tasks 1 and 4 (lead) and 3 (coordinating); merging it into Hà Nội exercises
    // the mechanics on real units.
    let a3 = assignment(&app, &task("3"), "66").await;
    let a1 = assignment(&app, &task("1"), "66").await;
    let a4 = assignment(&app, &task("4"), "66").await;
    let admin = bearer(&app.token("admin").await);
    let dl = app.unit_id("66").await;
    let hn = app.unit_id("01").await;
    // Hà Nội already holds task 2 only; give it task 4 too so one assignment is superseded.
    app.exec(&format!("INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on) VALUES ({}, {hn}, TRUE, '2025-03-01')", task("4"))).await;
    let leader = bearer(&app.token("daklak.leader").await);
    let (s, _) = leader
        .post(app.url(&format!("/api/v1/org-units/{dl}/merge")))
        .json(&json!({ "into": hn }))
        .call_json()
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "structural changes are for administrators"
    );
    let (s, p) = admin
        .post(app.url(&format!("/api/v1/org-units/{dl}/merge")))
        .json(&json!({ "into": dl }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = admin
        .post(app.url(&format!("/api/v1/org-units/{dl}/merge")))
        .json(&json!({ "into": 999999999 }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let communes = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {dl} AND valid_to IS NULL"
        ))
        .await;
    assert!(communes > 0);
    let (s, r) = admin
        .post(app.url(&format!("/api/v1/org-units/{dl}/merge")))
        .json(&json!({ "into": hn, "on": "2026-07-01" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["handed_over"], 2);
    assert_eq!(r["superseded"], 1);
    // Its communes (and departments) in force now belong to the successor; none is left under
    // the closed unit.
    assert_eq!(r["moved_units"], communes);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {dl} AND valid_to IS NULL"
        ))
        .await,
        0
    );
    for a in [a1, a3] {
        assert_eq!(
            app.scalar_i64(&format!("SELECT unit_id FROM assignments WHERE id = {a}"))
                .await,
            hn
        );
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT handed_over_from FROM assignments WHERE id = {a}"
            ))
            .await,
            dl
        );
    }
    let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let (_, d) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{t1}")))
        .call_json()
        .await;
    let av = &d["assignments"][0];
    assert_eq!(av["unit_id"], hn);
    assert!(
        av["handed_over_from_name"]
            .as_str()
            .unwrap()
            .contains("Đắk Lắk")
    );
    let t4 = app.scalar_i64(&format!("SELECT {}", task("4"))).await;
    let (_, d4) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{t4}")))
        .call_json()
        .await;
    let old = d4["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == a4)
        .unwrap()
        .clone();
    assert_eq!(old["status"], "superseded");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'assignment.hand_over'")
            .await,
        3
    );
});

both!(reminders_reach_the_smtp_sink_once_and_escalate, |app| {
    let (_, task) = programme(&app).await;
    let a = assignment(&app, &task("1"), "66").await;
    let today = domain::clock::local_date(Utc::now());
    let due = today + chrono::Duration::days(3);
    app.exec(&format!(
        "UPDATE assignments SET original_due = '{due}' WHERE id = {a}"
    ))
    .await;
    let sink = SmtpSink::start().await;
    let smtp = app::config::Smtp {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: "none".into(),
        ..Default::default()
    };
    let mailer = app::mail::Mailer::from_config(&smtp, std::path::Path::new("/tmp")).unwrap();
    let now = Utc::now();
    let r = app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", now, today)
        .await
        .unwrap();
    assert!(r.reminders >= 1 && r.mails >= 1, "{r:?}");
    let m = sink
        .wait_for(
            |m| {
                m.to.iter().any(|t| t.starts_with("daklak.officer"))
                    && !m.subject().unwrap_or_default().contains("Tổng hợp tuần")
            },
            Duration::from_secs(10),
        )
        .await
        .expect("the officer's reminder");
    // One message for the officer's day, naming this reminder (alone, or among the day's others).
    let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let body = m.body_text();
    assert!(
        body.contains("còn 3 ngày") && body.contains(&format!("http://nqtrack.test/tasks/{t1}\n")),
        "{body}"
    );
    // The weekly digest also goes out when the test runs on a Monday (Hà Nội time): not a reminder.
    let officer_mails = sink
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.starts_with("daklak.officer")))
        .filter(|m| !m.subject().unwrap_or_default().contains("Tổng hợp tuần"))
        .count();
    assert_eq!(officer_mails, 1, "one mail per person per day");
    // The same day again: nothing new (idempotent), even from a second runner.
    let again = app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", now, today)
        .await
        .unwrap();
    assert_eq!((again.reminders, again.mails), (0, 0));
    // Eight days after the deadline: an overdue reminder and the leader's escalation.
    let later = due + chrono::Duration::days(8);
    let r = app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", now, later)
        .await
        .unwrap();
    assert!(r.reminders >= 2, "{r:?}");
    let esc = sink
        .wait_for(
            // Each unit's leaders get their own escalation (a ministry may share the task).
            |m| {
                m.body_text().contains("Báo cáo lãnh đạo")
                    && m.to.iter().any(|t| t.starts_with("daklak.leader"))
            },
            Duration::from_secs(10),
        )
        .await
        .expect("escalation to Đắk Lắk's leader");
    assert!(
        !esc.to.iter().any(|t| t.starts_with("daklak.officer")),
        "escalation goes to leaders"
    );
    // Visible on the task, and as notifications.
    let (_, d) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{t1}")))
        .call_json()
        .await;
    let kinds: Vec<&str> = d["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"before-3")
            && kinds.contains(&"overdue-1")
            && kinds.contains(&"escalate-leader"),
        "{kinds:?}"
    );
    let officer = bearer(&app.token("daklak.officer").await);
    let (_, n) = officer
        .get(app.url("/api/v1/notifications"))
        .call_json()
        .await;
    assert!(n["unread"].as_i64().unwrap() >= 2, "{n}");
    let (s, _) = officer
        .post(app.url("/api/v1/notifications/read"))
        .json(&json!({}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, n) = officer
        .get(app.url("/api/v1/notifications"))
        .call_json()
        .await;
    assert_eq!(n["unread"], 0);
    // Only administrators run the jobs by hand.
    let (s, _) = officer
        .post(app.url("/api/v1/jobs/run"))
        .json(&json!({}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(exports_open_in_spreadsheets_and_calendars, |app| {
    let (pid, _) = programme(&app).await;
    let anon = app.anon();
    let r = anon
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&format=csv")))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(body[3..].to_vec()).unwrap();
    assert!(text.contains("Phủ sóng 5G đến tất cả các xã"));
    assert_eq!(text.lines().count(), 5, "{text}");
    let r = anon
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&format=xlsx")))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let x = r.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(x.to_vec())).unwrap();
    let mut shared = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/sharedStrings.xml").unwrap(),
        &mut shared,
    )
    .unwrap();
    assert!(shared.contains("Số hóa hồ sơ địa chính"));
    let (s, p) = anon
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&format=pdf")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "format");
    let dl = app.unit_id("66").await;
    let r = anon
        .get(app.url(&format!("/api/v1/org-units/{dl}/calendar.ics")))
        .call()
        .await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
    // Tasks 1 and 3 have deadlines; the ongoing task 4 has none.
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("DTSTART;VALUE=DATE:20261231"));
    let r = anon
        .get(app.url(&format!(
            "/api/v1/org-units/{dl}/worklist?format=xlsx&status=overdue"
        )))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
});

both!(cancelled_work_and_bad_input_get_clear_answers, |app| {
    let (_, task) = programme(&app).await;
    let a = assignment(&app, &task("2"), "01").await;
    let steering = bearer(&app.token("steering").await);
    let hanoi = bearer(&app.token("hanoi.officer").await);
    let cancel = app.url(&format!("/api/v1/assignments/{a}/cancel"));
    let (s, _) = hanoi
        .post(&cancel)
        .json(&json!({ "reason": "x" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only the assigning level cancels");
    let (s, _) = steering
        .post(&cancel)
        .json(&json!({ "reason": "  " }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = steering
        .post(&cancel)
        .json(&json!({ "reason": "Nhiệm vụ đã được gộp vào nhiệm vụ khác" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let audit = app.audit_count().await;
    let (s, p) = hanoi
        .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
        .json(&json!({ "percent": 100, "narrative": "Xong", "claims_completion": true }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-assignment-cancelled");
    assert_eq!(app.audit_count().await, audit, "nothing written");
    let t2 = app.scalar_i64(&format!("SELECT {}", task("2"))).await;
    let (_, d) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{t2}")))
        .call_json()
        .await;
    assert_eq!(d["status"], "cancelled");
    // A comment: empty is refused, anonymous must sign in, a long one is refused.
    let c = app.url(&format!("/api/v1/tasks/{t2}/comments"));
    let (s, _) = hanoi
        .post(&c)
        .json(&json!({ "body": "" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = hanoi
        .post(&c)
        .json(&json!({ "body": "x".repeat(2001) }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .anon()
        .post(&c)
        .json(&json!({ "body": "xin chào" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = hanoi
        .post(&c)
        .json(&json!({ "body": "Đề nghị Bộ Tài chính bố trí kinh phí" }))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Unknown status filter and an inverted window on the worklist.
    let hn = app.unit_id("01").await;
    let (s, _) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{hn}/worklist?status=done")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .anon()
        .get(app.url(&format!(
            "/api/v1/org-units/{hn}/worklist?due_from=2026-12-01&due_to=2026-01-01"
        )))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
});

/// Two servers on one PostgreSQL database, as in production: what one writes the other reads at
/// once (its caches follow the version counters), and when both run the jobs at the same moment
/// each reminder is recorded once and each person gets one mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_share_writes_caches_and_jobs() {
    use common::{Backend, TestApp};
    let a = TestApp::start(Backend::Postgres).await;
    let b = TestApp::start_on(Backend::Postgres, a.db_url.clone(), |_| {}).await;
    let admin = bearer(&a.token("admin").await);
    let dl = a.unit_id("66").await;
    // Warm B's unit cache, then write through A and read through B.
    let (s, _) = admin
        .get(b.url("/api/v1/org-units?q=hai%20may"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, u) = admin
        .post(a.url("/api/v1/org-units"))
        .json(&json!({"kind": "department", "name_vi": "Phòng Hai Máy", "parent_id": dl, "code": "HAIMAY"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let id = u["id"].as_i64().unwrap();
    let (_, list) = admin
        .get(b.url("/api/v1/org-units?q=hai%20may"))
        .call_json()
        .await;
    assert_eq!(list["items"][0]["id"], id, "{list}");
    // Renamed through B, read through A.
    let (s, _) = admin
        .patch(b.url(&format!("/api/v1/org-units/{id}")))
        .json(&json!({"name_vi": "Phòng Hai Máy Chủ"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, d) = a
        .anon()
        .get(a.url(&format!("/api/v1/org-units/{id}")))
        .call_json()
        .await;
    assert_eq!(
        d["unit"]["name_vi"].as_str().or(d["name_vi"].as_str()),
        Some("Phòng Hai Máy Chủ"),
        "{d}"
    );
    // A submission through A is tracked through B.
    let (s, f) = a
        .anon()
        .post(a.url("/api/v1/feedback"))
        .json(&json!({"kind": "report", "category": "public_services", "title": "Hai máy chủ",
                      "body": "Cổng dịch vụ công báo lỗi khi nộp hồ sơ trực tuyến.", "submitter_kind": "citizen"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let code = f["code"].as_str().unwrap();
    let (s, _) = b
        .anon()
        .get(b.url(&format!(
            "/api/v1/feedback/track/{code}?secret={}",
            f["secret"].as_str().unwrap()
        )))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    // Both run the day's jobs at the same moment.
    let (_, task) = programme(&a).await;
    let asg = assignment(&a, &task("1"), "66").await;
    let today = domain::clock::local_date(Utc::now());
    let due = today + chrono::Duration::days(3);
    a.exec(&format!(
        "UPDATE assignments SET original_due = '{due}' WHERE id = {asg}"
    ))
    .await;
    let (ma, mb) = (app::mail::Mailer::memory(), app::mail::Mailer::memory());
    let now = Utc::now();
    let (ra, rb) = tokio::join!(
        app::jobs::tick(&a.db, &ma, "http://nqtrack.test", now, today),
        app::jobs::tick(&b.db, &mb, "http://nqtrack.test", now, today)
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let recorded = a
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM reminders WHERE sent_on = '{today}'"
        ))
        .await;
    assert!(recorded >= 1);
    assert_eq!(
        (ra.reminders + rb.reminders) as i64,
        recorded,
        "each reminder recorded by one instance"
    );
    assert_eq!(
        a.scalar_i64(&format!(
            "SELECT COUNT(*) FROM reminders WHERE assignment_id = {asg} AND kind = 'before-3'"
        ))
        .await,
        1
    );
    // The weekly digest also goes out when the test runs on a Monday (Hà Nội time): not a reminder.
    let mut to: Vec<String> = ma
        .sent()
        .into_iter()
        .chain(mb.sent())
        .filter(|m| !m.subject.contains("Tổng hợp tuần"))
        .flat_map(|m| m.to)
        .collect();
    assert!(to.iter().any(|t| t.starts_with("daklak.officer")), "{to:?}");
    let all = to.len();
    to.sort();
    to.dedup();
    assert_eq!(
        to.len(),
        all,
        "one mail per person, from one instance: {to:?}"
    );
    // Every mail the two ticks report was sent, digests included.
    assert_eq!(ra.mails + rb.mails, ma.sent().len() + mb.sent().len());
    let officer = a
        .scalar_i64("SELECT id FROM users WHERE username = 'daklak.officer'")
        .await;
    assert_eq!(
        a.scalar_i64(&format!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = {officer}"
        ))
        .await,
        1,
        "one notification for the officer's day"
    );
}

/// A day's mail reuses its connections: with one allowed, every message goes over one session;
/// with three, concurrent sending opens no more than three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_few_reused_smtp_connections() {
    for (connections, mails) in [(1u32, 20usize), (3, 30)] {
        let sink = SmtpSink::start().await;
        let smtp = app::config::Smtp {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: "none".into(),
            connections,
            ..Default::default()
        };
        let mailer = app::mail::Mailer::from_config(&smtp, std::path::Path::new("/tmp")).unwrap();
        let mut set = tokio::task::JoinSet::new();
        for i in 0..mails {
            let mailer = mailer.clone();
            set.spawn(async move {
                mailer
                    .send(&app::mail::Mail {
                        to: vec![format!("person{i}@example.vn")],
                        subject: format!("Nhắc việc {i}"),
                        text: "Nội dung".into(),
                    })
                    .await
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap().unwrap();
        }
        assert_eq!(sink.messages().len(), mails);
        let sessions = sink.sessions();
        assert!(
            (1..=connections as usize).contains(&sessions),
            "{mails} mails over {sessions} connections, at most {connections} allowed"
        );
    }
}

both!(a_long_day_lists_ten_items_and_counts_the_rest, |app| {
    // 25 feedback items of Đắk Lắk a day past their deadline: the officer's day is one
    // notification listing ten and counting the other fifteen; a second run adds nothing.
    let dl = app.unit_id("66").await;
    for i in 0..25 {
        let (s, f) = app
            .anon()
            .post(app.url("/api/v1/feedback"))
            .json(&json!({"kind": "report", "category": "public_services", "title": format!("Phản ánh số {i}"),
                          "body": "Cổng dịch vụ công báo lỗi khi nộp hồ sơ trực tuyến.", "submitter_kind": "citizen"}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
    }
    let today = domain::clock::local_date(Utc::now());
    let yesterday = today - chrono::Duration::days(1);
    app.exec(&format!(
        "UPDATE feedback_items SET unit_id = {dl}, deadline_on = '{yesterday}'"
    ))
    .await;
    let officer = app.user_id("daklak.officer").await;
    let mailer = app::mail::Mailer::memory();
    for _ in 0..2 {
        app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", Utc::now(), today)
            .await
            .unwrap();
    }
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM feedback_escalations WHERE kind = 'overdue' AND sent_on = '{today}'"
        ))
        .await,
        25
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = {officer}"
        ))
        .await,
        1,
        "one notification for the day, also after a second run"
    );
    let subject = app
        .scalar_text(&format!(
            "SELECT subject FROM notifications WHERE user_id = {officer}"
        ))
        .await;
    assert!(subject.ends_with(": 25 việc"), "{subject}");
    let body = app
        .scalar_text(&format!(
            "SELECT body FROM notifications WHERE user_id = {officer}"
        ))
        .await;
    assert!(body.contains("\n10. "), "{body}");
    assert!(!body.contains("\n11. "), "{body}");
    assert!(body.contains("và 15 việc khác"), "{body}");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM notices").await
            + app.scalar_i64("SELECT COUNT(*) FROM notice_overflow").await,
        0,
        "everything delivered"
    );
});

both!(
    notifications_come_in_the_language_each_person_reads,
    |app| {
        // The officer signs in on the English page; the leader switches to French once signed in;
        // the Steering Committee never chose. One Đắk Lắk item 11 days past its deadline reaches
        // all three, each in their own language.
        let officer = app.browser();
        let r = officer.get(app.url("/lang/en?next=/login")).call().await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .sign_in(&officer, "daklak.officer", seed::DEMO_PASSWORD)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let leader = app.signed_in("daklak.leader").await;
        // A switch another site started changes the page's language only.
        let r = leader
            .get(app.url("/lang/en?next=/"))
            .header("sec-fetch-site", "cross-site")
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let lang_of = |u: &'static str| {
            let app = &app;
            async move {
                app.scalar_text(&format!("SELECT lang FROM users WHERE username = '{u}'"))
                    .await
            }
        };
        assert_eq!(lang_of("daklak.leader").await, "vi");
        let r = leader.get(app.url("/lang/fr?next=/")).call().await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(lang_of("daklak.leader").await, "fr");
        assert_eq!(lang_of("daklak.officer").await, "en");
        assert_eq!(lang_of("steering").await, "vi");
        // The choice is audited, once.
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'user.lang'")
                .await,
            1
        );

        let (s, f) = app
        .anon()
        .post(app.url("/api/v1/feedback"))
        .json(&json!({"kind": "report", "category": "public_services", "title": "Cổng dịch vụ công lỗi",
                      "body": "Cổng dịch vụ công báo lỗi khi nộp hồ sơ trực tuyến.", "submitter_kind": "citizen"}))
        .call_json()
        .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        let code = f["code"].as_str().unwrap().to_string();
        let dl = app.unit_id("66").await;
        let today = domain::clock::local_date(Utc::now());
        let due = today - chrono::Duration::days(11);
        app.exec(&format!(
            "UPDATE feedback_items SET unit_id = {dl}, deadline_on = '{due}'"
        ))
        .await;
        let mailer = app::mail::Mailer::memory();
        app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", Utc::now(), today)
            .await
            .unwrap();
        let subject_of = |u: &'static str| {
            let app = &app;
            async move {
                let id = app.user_id(u).await;
                app.scalar_text(&format!(
                "SELECT subject FROM notifications WHERE user_id = {id} ORDER BY id DESC LIMIT 1"
            ))
            .await
            }
        };
        assert_eq!(
            subject_of("daklak.officer").await,
            format!("[nqtrack] {code} is 11 days past its answer deadline")
        );
        // The leader's day holds two items (overdue, and the escalation to leaders).
        let fr = subject_of("daklak.leader").await;
        assert!(
            fr.starts_with("[nqtrack] Vos rappels du ")
                && fr.ends_with(" : 2 éléments, dont pour la direction : 1"),
            "{fr}"
        );
        assert_eq!(
            subject_of("steering").await,
            format!("[nqtrack] Báo cáo cơ quan thường trực: {code} quá hạn trả lời 11 ngày")
        );

        // The weekly digest of the unit's tasks: one mail per language read in the unit.
        let _tasks = programme(&app).await;
        app.exec(&format!(
            "UPDATE users SET email = username || '@daklak.example' WHERE unit_id = {dl}"
        ))
        .await;
        let monday =
            today + chrono::Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
        let mailer = app::mail::Mailer::memory();
        app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", Utc::now(), monday)
            .await
            .unwrap();
        let digest_to = |who: &str| {
            mailer
                .sent()
                .into_iter()
                .filter(|m| m.to == [format!("{who}@daklak.example")])
                .map(|m| m.subject)
                .filter(|s| s.contains("Weekly") || s.contains("hebdo") || s.contains("tuần"))
                .collect::<Vec<_>>()
        };
        let en = digest_to("daklak.officer");
        assert!(
            en.len() == 1 && en[0].starts_with("[nqtrack] Weekly digest: "),
            "{en:?}"
        );
        let fr = digest_to("daklak.leader");
        assert!(
            fr.len() == 1 && fr[0].starts_with("[nqtrack] Résumé hebdomadaire : "),
            "{fr:?}"
        );
    }
);

both!(a_cascade_from_the_page_says_how_many_units_first, |app| {
    // The button leads to a confirmation that counts the communes and wards; a post without
    // the confirmation writes nothing; after it, the same page counts them as holding the task.
    let (_, task) = programme(&app).await;
    let a = assignment(&app, &task("1"), "66").await;
    let dl = app.unit_id("66").await;
    let communes = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {dl} AND valid_to IS NULL AND kind IN ('commune', 'ward', 'special_zone')"
        ))
        .await;
    let leader = app.signed_in("daklak.leader").await;
    let page = |c: &reqwest::Client| {
        let req = c.get(app.url(&format!("/assignments/{a}/cascade")));
        async move {
            let r = req.call().await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = page(&leader).await;
    assert_eq!(s, StatusCode::OK);
    let shown = |html: &str, id: &str| -> Option<i64> {
        let rest = html.split(&format!("id=\"{id}\">")).nth(1)?;
        rest.split('<').next()?.replace(['.', ','], "").parse().ok()
    };
    assert_eq!(shown(&html, "cascade-new"), Some(communes), "{html}");
    assert_eq!(html.matches("<li>").count() as i64, communes);
    let csrf = common::extract_csrf(&html).unwrap();
    let before = app.scalar_i64("SELECT COUNT(*) FROM assignments").await;
    let url = app.url(&format!("/assignments/{a}/cascade"));
    let r = leader
        .post(&url)
        .form(&[("_csrf", csrf.as_str())])
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/assignments/{a}/cascade").as_str()
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM assignments").await,
        before,
        "nothing written without the confirmation"
    );
    let r = leader
        .post(&url)
        .form(&[("_csrf", csrf.as_str()), ("confirm", "yes")])
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM assignments").await,
        before + communes
    );
    let (_, html) = page(&leader).await;
    assert_eq!(shown(&html, "cascade-new"), Some(0));
    assert_eq!(shown(&html, "cascade-already"), Some(communes));
    // Nobody else sees the preview: an officer does not decide assignments, Hà Nội even less.
    for user in ["daklak.officer", "hanoi.officer"] {
        let (s, _) = page(&app.signed_in(user).await).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}");
    }
});

both!(the_task_page_groups_reminders_in_words, |app| {
    // Three overdue reminders and one escalation of one assignment: two lines, counted, dated,
    // in words, without the internal keys.
    let (_, task) = programme(&app).await;
    let a = assignment(&app, &task("1"), "66").await;
    let task_id = app
        .scalar_i64(&format!("SELECT task_id FROM assignments WHERE id = {a}"))
        .await;
    for (kind, day) in [
        ("overdue-0", "2026-01-05"),
        ("overdue-1", "2026-01-12"),
        ("overdue-2", "2026-01-19"),
        ("escalate-leader", "2026-01-12"),
    ] {
        app.exec(&format!(
            "INSERT INTO reminders (assignment_id, kind, sent_on, dedupe_key, recipients, created_at)
             VALUES ({a}, '{kind}', '{day}', '{a}:{kind}', '', '2026-01-19T00:00:00Z')"
        ))
        .await;
    }
    let html = app
        .signed_in("daklak.officer")
        .await
        .get(app.url(&format!("/tasks/{task_id}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let list = html
        .split("id=\"reminder-list\">")
        .nth(1)
        .and_then(|r| r.split("</ul>").next())
        .unwrap();
    assert_eq!(list.matches("<li").count(), 2, "{list}");
    assert!(
        list.contains("Đôn đốc quá hạn · <strong>3</strong> lần · 05/01/2026 – 19/01/2026"),
        "{list}"
    );
    assert!(
        list.contains("Báo cáo lãnh đạo đơn vị · <strong>1</strong> lần · 12/01/2026<"),
        "{list}"
    );
    assert!(!list.contains("overdue-"), "{list}");
    // Another unit's overdue reminder joins the same line, which then names both units.
    let hanoi = app.unit_id("01").await;
    app.exec(&format!(
        "INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on) VALUES ({task_id}, {hanoi}, FALSE, '2025-06-01')"
    ))
    .await;
    let other = app
        .scalar_i64(&format!(
            "SELECT id FROM assignments WHERE task_id = {task_id} AND unit_id = {hanoi}"
        ))
        .await;
    app.exec(&format!(
        "INSERT INTO reminders (assignment_id, kind, sent_on, dedupe_key, recipients, created_at)
         VALUES ({other}, 'overdue-0', '2026-01-20', '{other}:overdue-0', '', '2026-01-20T00:00:00Z')"
    ))
    .await;
    let html = app
        .signed_in("daklak.officer")
        .await
        .get(app.url(&format!("/tasks/{task_id}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let list = html
        .split("id=\"reminder-list\">")
        .nth(1)
        .and_then(|r| r.split("</ul>").next())
        .unwrap();
    assert_eq!(list.matches("<li").count(), 2, "{list}");
    assert!(
        list.contains("Đôn đốc quá hạn · <strong>4</strong> lần · 05/01/2026 – 20/01/2026<details><summary>2 đơn vị</summary>"),
        "{list}"
    );
});

both!(
    the_province_verifies_its_communes_claims_from_its_queue,
    |app| {
        let (_, task) = programme(&app).await;
        let a = assignment(&app, &task("1"), "66").await;
        let leader = bearer(&app.token("daklak.leader").await);
        let (s, _) = leader
            .post(app.url(&format!("/api/v1/assignments/{a}/cascade")))
            .json(&json!({ "all": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (child, commune) = {
            let child = app
                .scalar_i64(&format!(
                    "SELECT MIN(id) FROM assignments WHERE parent_id = {a}"
                ))
                .await;
            let unit = app
                .scalar_i64(&format!(
                    "SELECT unit_id FROM assignments WHERE id = {child}"
                ))
                .await;
            (child, unit)
        };
        // The commune's own leader, who reports for it but cannot approve it.
        let admin = app.token("admin").await;
        let (s, u) = app
            .anon()
            .post(app.url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&json!({"username": "xa.leader", "display_name": "Chủ tịch xã", "unit_id": commune, "role": "unit_leader", "password": "long enough pw", "email": "xa@example.invalid"}))
            .call_json()
            .await;
        assert_eq!(s, 201, "{u}");
        let commune_leader = bearer(&app.token("xa.leader").await);
        let dl = app.unit_id("66").await;
        let queue = |c: reqwest::Client| {
            let url = app.url(&format!("/org/{dl}/claims"));
            async move { c.get(url).call().await }
        };
        // Nothing waits yet; the page says so.
        let page = app.signed_in("daklak.leader").await;
        let r = queue(page.clone()).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"claims-total\">0<"), "{body}");
        let notes_before = app
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM notifications WHERE user_id = {}",
                app.user_id("daklak.leader").await
            ))
            .await;
        // The commune claims completion: the province's leader is told, its queue lists it.
        let (s, _) = commune_leader
            .post(app.url(&format!("/api/v1/assignments/{child}/reports")))
            .json(&json!({ "percent": 100, "narrative": "Đã phủ sóng", "claims_completion": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let leader_id = app.user_id("daklak.leader").await;
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM notifications WHERE user_id = {leader_id}"
            ))
            .await,
            notes_before + 1
        );
        let subject = app
            .scalar_text(&format!(
                "SELECT subject FROM notifications WHERE user_id = {leader_id} ORDER BY id DESC LIMIT 1"
            ))
            .await;
        assert!(subject.contains("Chờ xác nhận hoàn thành"), "{subject}");
        // Officers are not told: approving is the leaders' work.
        let officer_id = app.user_id("daklak.officer").await;
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM notifications WHERE user_id = {officer_id} AND subject LIKE '%Chờ xác nhận%'"
            ))
            .await,
            0
        );
        let body = queue(page.clone()).await.text().await.unwrap();
        assert!(body.contains("id=\"claims-total\">1<"), "{body}");
        assert!(body.contains(&format!("id=\"claim-{child}\"")));
        // The same queue through the API; another province's officer may not read it.
        let api = app.url(&format!("/api/v1/org-units/{dl}/claims"));
        let (s, q) = leader.get(&api).call_json().await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(q["total"], 1);
        assert_eq!(q["items"][0]["assignment_id"], child);
        assert_eq!(q["items"][0]["unit_id"], commune);
        let claim = app
            .scalar_i64(&format!(
                "SELECT MAX(id) FROM reports WHERE assignment_id = {child} AND claims_completion = TRUE"
            ))
            .await;
        assert_eq!(
            q["items"][0]["report_id"], claim,
            "the report that claims it"
        );
        let (s, _) = bearer(&app.token("hanoi.officer").await)
            .get(&api)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The commune cannot approve its own claim, nor can another province or an officer.
        let verify = app.url(&format!("/api/v1/assignments/{child}/verification"));
        for c in [
            commune_leader.clone(),
            bearer(&app.token("daklak.officer").await),
            bearer(&app.token("hanoi.officer").await),
        ] {
            let (s, _) = c
                .post(&verify)
                .json(&json!({ "approve": true }))
                .call_json()
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN);
        }
        // Nor see the province's queue.
        let hanoi = app.signed_in("hanoi.officer").await;
        assert_eq!(queue(hanoi).await.status(), StatusCode::FORBIDDEN);
        let csrf = app.csrf(&page, &format!("/org/{dl}/claims")).await;
        // A decision sent from the queue page.
        let decide = |decision: &'static str, comment: &'static str| {
            let req = page
                .post(app.url(&format!("/assignments/{child}/verify")))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("decision", decision),
                    ("comment", comment),
                    ("next", "claims"),
                ]);
            async move { req.call().await }
        };
        // Returning a claim needs a reason: refused on the queue itself, under that claim's
        // comment box (which keeps what was typed), nothing written.
        let r = decide("return", "   ").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!(
                "<p class=\"error\" id=\"err-comment-{child}\" role=\"alert\">Ý kiến: "
            )) && body.contains("id=\"claims-total\">1<"),
            "{body}"
        );
        // The province's leader approves from the queue page and lands back on it, emptied.
        let r = decide("approve", "Đạt").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            format!("/org/{dl}/claims")
        );
        let body = queue(page.clone()).await.text().await.unwrap();
        assert!(body.contains("id=\"claims-total\">0<"), "{body}");
        assert!(
            app.scalar_text(&format!(
                "SELECT CAST(verified_on AS TEXT) FROM assignments WHERE id = {child}"
            ))
            .await
            .len()
                >= 10
        );
        // The commune's leader is told it was verified.
        let cl = app.user_id("xa.leader").await;
        let subject = app
            .scalar_text(&format!(
                "SELECT subject FROM notifications WHERE user_id = {cl} ORDER BY id DESC LIMIT 1"
            ))
            .await;
        assert!(subject.contains("Đã xác nhận hoàn thành"), "{subject}");
        // A province's own claim on the national programme still goes to the programme's owner.
        let (s, _) = leader
            .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
            .json(&json!({ "percent": 100, "narrative": "Xong", "claims_completion": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, _) = leader
            .post(app.url(&format!("/api/v1/assignments/{a}/verification")))
            .json(&json!({ "approve": true }))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let sid = app.user_id("steering").await;
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM notifications WHERE user_id = {sid} AND subject LIKE '%Chờ xác nhận hoàn thành%'"
            ))
            .await,
            1,
            "the Steering Committee is told of the province's claim, not of the commune's"
        );
        let steering = app.signed_in("steering").await;
        let r = steering.get(app.url("/claims")).call().await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let vn = app.unit_id("VN").await;
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            format!("/org/{vn}/claims")
        );
        let body = steering
            .get(app.url(&format!("/org/{vn}/claims")))
            .call()
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains(&format!("id=\"claim-{a}\"")), "{body}");
        assert!(!body.contains(&format!("id=\"claim-{child}\"")));
    }
);

both!(extensions_cancellations_and_proposals_have_pages, |app| {
    let (pid, task) = programme(&app).await;
    let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let a = assignment(&app, &task("1"), "66").await;
    let officer = app.signed_in("daklak.officer").await;
    let page = officer
        .get(app.url(&format!("/tasks/{t1}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    // The unit asks for more time from its task page; the cancel form is not its to use.
    assert!(page.contains(&format!("action=\"/assignments/{a}/extension\"")));
    assert!(!page.contains("id=\"cancel-form\""));
    let csrf = app.csrf(&officer, &format!("/tasks/{t1}")).await;
    let post = |c: &reqwest::Client, path: String, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = app.url(&path);
        async move { c.post(url).form(&form).call().await }
    };
    // A malformed date is a message on the page, not a 400 or a 500, and nothing is written.
    let r = post(
        &officer,
        format!("/assignments/{a}/extension"),
        vec![
            ("_csrf", csrf.clone()),
            ("requested_due", "31/02/2027".into()),
            ("reason", "Chờ hướng dẫn".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Ngày không hợp lệ"), "{body}");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM extensions").await, 0);
    let r = post(
        &officer,
        format!("/assignments/{a}/extension"),
        vec![
            ("_csrf", csrf.clone()),
            ("requested_due", "2027-06-30".into()),
            ("reason", "Chờ hướng dẫn của Bộ".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ext = app.scalar_i64("SELECT MAX(id) FROM extensions").await;
    // The assigning level (the programme's owner: the Steering Committee) decides on the page.
    let steering = app.signed_in("steering").await;
    let page = steering
        .get(app.url(&format!("/tasks/{t1}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("action=\"/extensions/{ext}/decide\"")));
    // The unit cannot decide its own request.
    let r = post(
        &officer,
        format!("/extensions/{ext}/decide"),
        vec![("_csrf", csrf.clone()), ("decision", "approve".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let sc = app.csrf(&steering, &format!("/tasks/{t1}")).await;
    let r = post(
        &steering,
        format!("/extensions/{ext}/decide"),
        vec![("_csrf", sc.clone()), ("decision", "approve".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT CAST(extension_due AS TEXT) FROM assignments WHERE id = {a}"
        ))
        .await,
        "2027-06-30"
    );
    // Cancelling names the unit and needs a reason; a unit of another task is refused.
    let cancel = |c: &reqwest::Client, token: &str, assignment: i64, reason: &str| {
        post(
            c,
            format!("/tasks/{t1}/cancel"),
            vec![
                ("_csrf", token.to_string()),
                ("assignment", assignment.to_string()),
                ("reason", reason.to_string()),
            ],
        )
    };
    let other = assignment(&app, &task("2"), "01").await;
    let r = cancel(&steering, &sc, other, "Không còn phù hợp").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = cancel(&steering, &sc, a, "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM assignments WHERE cancelled_on IS NOT NULL")
            .await,
        0
    );
    // The unit cannot cancel its own assignment.
    let r = cancel(&officer, &csrf, a, "Không làm").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = cancel(&steering, &sc, a, "Không còn phù hợp").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM assignments WHERE id = {a} AND cancelled_on IS NOT NULL"
        ))
        .await,
        1
    );
    // A leader proposes a task from the programme page; a refused form keeps what was typed.
    let leader = app.signed_in("daklak.leader").await;
    let lc = app.csrf(&leader, &format!("/programmes/{pid}")).await;
    let r = post(
        &leader,
        format!("/programmes/{pid}/proposals"),
        vec![
            ("_csrf", lc.clone()),
            ("title", "Số hóa hồ sơ hộ tịch cấp xã".into()),
            ("deadline", "".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Số hóa hồ sơ hộ tịch cấp xã</textarea>"));
    // The reason sits under the deadline it is about.
    let under = page
        .split("id=\"err-p-deadline\">")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    assert!(!under.is_empty(), "{page}");
    let r = post(
        &leader,
        format!("/programmes/{pid}/proposals"),
        vec![
            ("_csrf", lc.clone()),
            ("title", "Số hóa hồ sơ hộ tịch cấp xã".into()),
            ("deadline", "12/2026".into()),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let proposed = app
        .scalar_i64("SELECT id FROM tasks WHERE state = 'proposed'")
        .await;
    let page = steering
        .get(app.url(&format!("/programmes/{pid}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("action=\"/proposals/{proposed}/decide\"")));
    // The proposals are in the page's content, once, not in its title.
    let title = page
        .split("<title>")
        .nth(1)
        .unwrap()
        .split("</title>")
        .next()
        .unwrap();
    assert!(!title.contains('<'), "{title}");
    assert_eq!(page.matches("id=\"proposal-list\"").count(), 1);
    let r = post(
        &steering,
        format!("/proposals/{proposed}/decide"),
        vec![("_csrf", sc.clone()), ("decision", "approve".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.scalar_text(&format!("SELECT state FROM tasks WHERE id = {proposed}"))
            .await,
        "active"
    );
});

both!(
    a_refused_report_keeps_what_was_typed_next_to_its_message,
    |app| {
        let (_, task) = programme(&app).await;
        let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
        let a = assignment(&app, &task("1"), "66").await;
        let officer = app.signed_in("daklak.officer").await;
        let csrf = app.csrf(&officer, &format!("/tasks/{t1}")).await;
        let form = Form::new()
            .text("_csrf", csrf)
            .text("percent", "60")
            .text(
                "narrative",
                "Đã lắp đặt 40 trạm phát sóng tại các xã vùng sâu",
            )
            .text("difficulties", "Thiếu kinh phí")
            .text("needs_steering", "on")
            .text("claims_completion", "on");
        let r = officer
            .post(app.url(&format!("/assignments/{a}/report")))
            .multipart(form)
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        // The message sits with its field; every value is still in the form.
        assert!(body.contains("id=\"claims-error\""), "{body}");
        assert!(body.contains("value=\"60\""));
        assert!(body.contains("Đã lắp đặt 40 trạm phát sóng tại các xã vùng sâu</textarea>"));
        assert!(body.contains("Thiếu kinh phí</textarea>"));
        assert!(body.contains("id=\"needs_steering\" checked"));
        assert!(body.contains("id=\"claims_completion\" checked"));
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM reports WHERE assignment_id = {a}"
            ))
            .await,
            0
        );
    }
);

both!(a_report_sent_twice_is_stored_once, |app| {
    let (_, task) = programme(&app).await;
    let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let a = assignment(&app, &task("1"), "66").await;
    let reports = |a: i64| {
        let app = &app;
        async move {
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM reports WHERE assignment_id = {a}"
            ))
            .await
        }
    };
    // The page's form: a refresh or a second click sends the same token; one report is stored.
    let officer = app.signed_in("daklak.officer").await;
    let page = officer
        .get(app.url(&format!("/tasks/{t1}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the report form carries a one-time token")
        .to_string();
    assert!(token.len() >= 16, "{token}");
    let csrf = common::extract_csrf(&page).unwrap();
    for _ in 0..2 {
        let form = Form::new()
            .text("_csrf", csrf.clone())
            .text("form_token", token.clone())
            .text("percent", "30")
            .text("narrative", "Đã khảo sát 30 xã vùng sâu");
        let r = officer
            .post(app.url(&format!("/assignments/{a}/report")))
            .multipart(form)
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(reports(a).await, 1);
    // Another showing of the page has another token.
    let again = officer
        .get(app.url(&format!("/tasks/{t1}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&token));

    // Through the API: a retry with the token answers the first report.
    let api = bearer(&app.token("daklak.officer").await);
    let send = |a: i64, token: &'static str| {
        let req = api
            .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
            .json(
                &json!({ "percent": 50, "narrative": "Đã lắp đặt 50 trạm", "form_token": token }),
            );
        async move { req.call_json().await }
    };
    let (s1, r1) = send(a, "retry-after-a-lost-answer-01").await;
    let (s2, r2) = send(a, "retry-after-a-lost-answer-01").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{r1} {r2}"
    );
    assert_eq!(r1["id"], r2["id"]);
    assert_eq!(reports(a).await, 2);
    // The same token on another assignment of the unit is refused, and stores nothing.
    let a4 = assignment(&app, &task("4"), "66").await;
    let (s, p) = send(a4, "retry-after-a-lost-answer-01").await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["errors"][0]["field"], "form_token");
    assert_eq!(reports(a4).await, 0);
    let (s, p) = send(a4, "short").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(reports(a4).await, 0);
});

both!(
    a_programme_briefing_prints_and_downloads_the_same_figures,
    |app| {
        let (pid, task) = programme(&app).await;
        // Task 3 (the ministry's) is internal: the public briefing does not show it.
        let t3 = app.scalar_i64(&format!("SELECT {}", task("3"))).await;
        app.exec(&format!(
            "UPDATE tasks SET visibility = 'internal' WHERE id = {t3}"
        ))
        .await;
        let url = |q: &str| app.url(&format!("/programmes/{pid}/briefing?as_of=2027-01-31{q}"));
        // The overview through the API, as the page's first table must show it.
        let (s, o) = app
            .anon()
            .get(app.url(&format!(
                "/api/v1/programmes/{pid}/overview?as_of=2027-01-31"
            )))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{o}");
        let total = o["overview"]["tasks"]["total"].as_i64().unwrap();
        let overdue = o["overview"]["tasks"]["by_status"]["overdue"]
            .as_i64()
            .unwrap_or(0);
        assert!(overdue >= 2, "{o}");

        let page = app.anon().get(url("")).call().await;
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(
            page.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            "{page}"
        );
        assert!(
            page.contains("(Số liệu tính đến ngày 31/01/2027)"),
            "{page}"
        );
        let section = |n: usize| {
            page.split(&format!("id=\"briefing-s{n}\""))
                .nth(1)
                .unwrap()
                .split("</section>")
                .next()
                .unwrap()
                .to_string()
        };
        let s1 = section(1);
        assert!(
            s1.contains(&format!(
                ">Quá hạn</td><td data-label=\"Số nhiệm vụ\" class=\"num\">{overdue}</td>"
            )),
            "{s1}"
        );
        assert!(
            s1.contains(&format!(
                ">Tổng số</td><td data-label=\"Số nhiệm vụ\" class=\"num\">{total}</td>"
            )),
            "{s1}"
        );
        // Overdue work: task 1 of Đắk Lắk, due 31/12/2026, 31 days late on 31/01/2027; the
        // internal task is not listed to an anonymous reader.
        let s4_html = section(4);
        assert!(
            s4_html.contains("1. Phủ sóng 5G đến tất cả các xã</td><td data-label=\"Cơ quan, đơn vị chủ trì\">Tỉnh Đắk Lắk</td><td data-label=\"Thời hạn\">31/12/2026</td><td data-label=\"Số ngày quá hạn\" class=\"num\">31</td>"),
            "{s4_html}"
        );
        assert!(!s4_html.contains("Ban hành quy định"), "{s4_html}");
        // The ministry's own officer sees its internal task in its briefing, 215 days late.
        let most = app.signed_in("most.officer").await;
        let mine = most.get(url("")).call().await.text().await.unwrap();
        assert!(
            mine.contains("3. Ban hành quy định về dữ liệu mở</td>")
                && mine.contains(
                    "30/06/2026</td><td data-label=\"Số ngày quá hạn\" class=\"num\">215</td>"
                ),
            "{mine}"
        );

        // The workbook: the same four tables, numbers as numbers.
        let r = app.anon().get(url("&format=xlsx")).call().await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()[reqwest::header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("bao-cao-2027-01-31.xlsx")
        );
        let bytes = r.bytes().await.unwrap().to_vec();
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names[0].starts_with("I. Kết quả chung"), "{names:?}");
        let s4 = book.worksheet_range(&names[3]).unwrap();
        let row: Vec<String> = s4
            .rows()
            .nth(1)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(row[0], "1. Phủ sóng 5G đến tất cả các xã", "{row:?}");
        assert_eq!(row[3], "31", "{row:?}");
        assert_eq!(s4.rows().count() - 1, s4_html.matches("<tr>").count() - 1);
        let s1 = book.worksheet_range(&names[0]).unwrap();
        let total_row = s1.rows().next_back().unwrap();
        assert_eq!(total_row[1].to_string(), total.to_string());

        // A format nobody offers is a clear error, not a 500.
        let r = app.anon().get(url("&format=pdf")).call().await;
        assert!(r.status().is_client_error(), "{}", r.status());
    }
);

both!(
    a_units_briefing_counts_its_lead_work_as_the_league_does,
    |app| {
        let _programme = programme(&app).await;
        let dl = app.unit_id("66").await;
        // Đắk Lắk leads task 1 (due 31/12/2026) and the ongoing task 4; on 15/12/2026 task 1
        // falls due within 30 days, nothing is overdue yet.
        let page = |q: &'static str| {
            let app = &app;
            async move {
                let r = app
                    .anon()
                    .get(app.url(&format!("/org/{dl}/briefing?as_of={q}")))
                    .call()
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
                r.text().await.unwrap()
            }
        };
        let section = |page: &str, n: usize| {
            page.split(&format!("id=\"briefing-s{n}\""))
                .nth(1)
                .unwrap()
                .split("</section>")
                .next()
                .unwrap()
                .to_string()
        };
        let before = page("2026-12-15").await;
        assert!(before.contains("Tình hình thực hiện nhiệm vụ chủ trì của Tỉnh Đắk Lắk"));
        let soon = section(&before, 3);
        assert!(
            soon.contains("1. Phủ sóng 5G đến tất cả các xã</td><td data-label=\"Chương trình, kế hoạch\">KH-TEST</td><td data-label=\"Thời hạn\">31/12/2026</td><td data-label=\"Số ngày còn lại\" class=\"num\">16</td>"),
            "{soon}"
        );
        assert!(section(&before, 2).contains("Không có."));
        // A month later the same task is overdue, and the record per programme is the one the
        // Committee's league table gives the province.
        let after = page("2027-01-31").await;
        let late = section(&after, 2);
        assert!(
            late.contains(
                "31/12/2026</td><td data-label=\"Số ngày quá hạn\" class=\"num\">31</td>"
            ),
            "{late}"
        );
        let record = section(&after, 1);
        let row = record
            .split("\">KH-TEST · ")
            .nth(1)
            .expect("the test programme's row")
            .split("</tr>")
            .next()
            .unwrap();
        let nums: Vec<String> = row
            .split("class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_string())
            .collect();
        // Two lead tasks; task 1 due and not completed, nothing completed; the share is "—"
        // or 0 (nothing on time).
        assert_eq!(nums[0], "2", "{row}");
        let n = |i: usize| nums[i].parse::<i64>().unwrap();
        assert!(n(1) >= 1, "{row}");
        assert_eq!((n(2), n(3)), (0, 0), "{row}");
        assert_eq!(n(4), n(1), "due and not completed: {row}");
        // The workbook has the same three tables.
        let r = app
            .anon()
            .get(app.url(&format!("/org/{dl}/briefing?as_of=2027-01-31&format=xlsx")))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        use calamine::Reader;
        let mut book =
            calamine::Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
        let names = book.sheet_names();
        assert_eq!(names.len(), 3, "{names:?}");
        let s2 = book.worksheet_range(&names[1]).unwrap();
        assert_eq!(s2.rows().count() - 1, late.matches("<tr>").count() - 1);
        // An unknown unit is a 404 page, not an empty report.
        let r = app
            .anon()
            .get(app.url("/org/987654321/briefing"))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
);

both!(notifications_page_by_cursor, |app| {
    // 130 notifications more than anyone reads at once: the list pages by id, each page one
    // key range, and the pages together are every notification once, newest first.
    let user = app.user_id("daklak.officer").await;
    app.exec(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 130)
         INSERT INTO notifications (user_id, subject, body, link, created_at)
         SELECT {user}, 'Thông báo ' || i, 'Nội dung', NULL, '2026-01-01T00:00:00Z' FROM n"
    ))
    .await;
    let all = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = {user}"
        ))
        .await;
    assert!(all >= 130);
    let unread = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM notifications WHERE user_id = {user} AND read_at IS NULL"
        ))
        .await;
    let officer = bearer(&app.token("daklak.officer").await);
    let mut ids: Vec<i64> = vec![];
    let mut url = app.url("/api/v1/notifications");
    let mut pages = 0;
    loop {
        let (s, v) = officer.get(&url).call_json().await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["unread"], unread, "{v}");
        let items = v["items"].as_array().unwrap();
        assert!(items.len() <= 100);
        ids.extend(items.iter().map(|n| n["id"].as_i64().unwrap()));
        pages += 1;
        match v["next"].as_i64() {
            Some(n) => {
                assert_eq!(
                    Some(n),
                    ids.last().copied(),
                    "the cursor is the last id listed"
                );
                url = app.url(&format!("/api/v1/notifications?before={n}"));
            }
            None => break,
        }
    }
    assert_eq!(pages, (all + 99) / 100);
    assert_eq!(ids.len() as i64, all, "each notification once");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    // A smaller page, and a cursor that is not a number.
    let (_, v) = officer
        .get(app.url("/api/v1/notifications?limit=7"))
        .call_json()
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 7);
    assert_eq!(v["next"], ids[6]);
    let (s, _) = officer
        .get(app.url("/api/v1/notifications?before=moi"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The page: the older ones behind a link, and from there back to the newest.
    let page = app.signed_in("daklak.officer").await;
    let (_, body) = page.get(app.url("/notifications")).call_text().await;
    let older = format!("href=\"/notifications?before={}\"", ids[99]);
    assert!(body.contains(&older), "{body}");
    assert!(!body.contains("id=\"notifications-newest\""));
    let (_, body) = page
        .get(app.url(&format!("/notifications?before={}", ids[99])))
        .call_text()
        .await;
    assert!(body.contains("id=\"notifications-newest\""), "{body}");
    assert!(body.contains(&format!("value=\"{}\"", ids[100])));
    assert!(!body.contains(&format!("value=\"{}\"", ids[99])));
});

both!(budgets_roll_up_and_feed_the_disbursement_indicator, |app| {
    let (pid, task) = programme(&app).await;
    let t1 = app.scalar_i64(&format!("SELECT {}", task("1"))).await;
    let a1 = assignment(&app, &task("1"), "66").await;
    let a3 = assignment(&app, &task("3"), "66").await;
    let officer = bearer(&app.token("daklak.officer").await);
    let put = |c: &reqwest::Client, a: i64, body: serde_json::Value| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/assignments/{a}/budget"));
        async move { c.put(url).json(&body).call_json().await }
    };
    // Refused, by field: more disbursed than planned, a year out of range, not a number.
    let (s, e) = put(
        &officer,
        a1,
        json!({"year": 2026, "planned": "100", "disbursed": "150"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (422, Some("err-disbursed-above"))
    );
    let (s, e) = put(&officer, a1, json!({"year": 1999, "planned": "100"})).await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["field"].as_str()),
        (422, Some("year"))
    );
    let (s, e) = put(&officer, a1, json!({"year": 2026, "planned": "nhiều"})).await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["field"].as_str()),
        (422, Some("planned"))
    );
    // Another province's officer cannot enter Đắk Lắk's budget.
    let hanoi = bearer(&app.token("hanoi.officer").await);
    assert_eq!(
        put(&hanoi, a1, json!({"year": 2026, "planned": "1"}))
            .await
            .0,
        403
    );
    // The state budget of one task, another source on a second (a decimal comma is read).
    let (s, r) = put(
        &officer,
        a1,
        json!({"year": 2026, "source": "state", "planned": "1200", "disbursed": "300,5"}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["planned"].as_f64(), r["disbursed"].as_f64()),
        (Some(1200.0), Some(300.5))
    );
    let (s, _) = put(
        &officer,
        a3,
        json!({"year": 2026, "source": "other", "planned": "800", "disbursed": "500"}),
    )
    .await;
    assert_eq!(s, 200);
    // The task's lines, and the programme's sums per unit and year (public tasks).
    let (_, b) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{t1}/budget")))
        .call_json()
        .await;
    assert_eq!(
        (b["lines"].as_array().unwrap().len(), b["planned"].as_f64()),
        (1, Some(1200.0))
    );
    let (_, p) = app
        .anon()
        .get(app.url(&format!("/api/v1/programmes/{pid}/budget")))
        .call_json()
        .await;
    let y = &p["years"][0];
    assert_eq!(
        (
            y["year"].as_i64(),
            y["planned_state"].as_f64(),
            y["planned_other"].as_f64(),
            y["disbursed_state"]
                .as_f64()
                .zip(y["disbursed_other"].as_f64())
                .map(|(a, b)| a + b)
        ),
        (Some(2026), Some(1200.0), Some(800.0), Some(800.5))
    );
    assert!((y["rate"].as_f64().unwrap() - 800.5 / 2000.0).abs() < 1e-9);
    assert_eq!(
        p["units"][0]["unit_id"].as_i64(),
        Some(app.unit_id("66").await)
    );
    // The unit's rate is the value of NS.GIAINGAN for the year: 800.5 / 2000 = 40.025 %.
    let ns = app
        .scalar_i64("SELECT id FROM indicators WHERE code = 'NS.GIAINGAN'")
        .await;
    let rate = || async {
        app.anon()
            .get(app.url(&format!(
                "/api/v1/indicators/{ns}/figures?unit={}&period=2026",
                app.unit_id("66").await
            )))
            .call_json()
            .await
            .1
    };
    let f = rate().await;
    assert!(
        (f["unit"]["value"].as_f64().unwrap() - 40.025).abs() < 1e-9,
        "{f}"
    );
    assert_eq!(f["unit"]["target"]["value"].as_f64(), Some(95.0));
    assert_ne!(f["unit"]["status"], "achieved");
    // The rate comes from the budgets: neither the sheet nor a DHIS2 import may overwrite it.
    let (s, e) = officer
        .post(app.url(&format!(
            "/api/v1/indicator-sets/{}/sheet",
            app.scalar_i64(&format!("SELECT set_id FROM indicators WHERE id = {ns}"))
                .await
        )))
        .json(&json!({"unit": app.unit_id("66").await, "period": "2026", "values": [{"indicator_id": ns, "value": "99"}]}))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (422, Some("err-derived-value")),
        "{e}"
    );
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets"))
        .json(&json!({"dataValues": [{"dataElement": "NS.GIAINGAN", "orgUnit": "66", "period": "2026", "value": "99"}]}))
        .call_json()
        .await;
    assert_eq!(
        (
            v["importCount"]["imported"].as_i64(),
            v["conflicts"][0]["errorCode"].as_str()
        ),
        (Some(0), Some("err-derived-value")),
        "{v}"
    );
    let f = rate().await;
    assert!((f["unit"]["value"].as_f64().unwrap() - 40.025).abs() < 1e-9);
    // Its entry sheet says where the figure comes from, with nothing to save or submit.
    let sheet = app
        .signed_in("daklak.officer")
        .await
        .get(app.url(&format!(
            "/indicators/entry?set={}&unit={}&period=2026",
            app.scalar_i64(&format!("SELECT set_id FROM indicators WHERE id = {ns}"))
                .await,
            app.unit_id("66").await
        )))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        sheet.contains("id=\"derived\"")
            && !sheet.contains("id=\"sheet-save\"")
            && !sheet.contains("id=\"move-submit\""),
        "{sheet}"
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'budget.set'")
            .await,
        2
    );
    // The pages: the task's budget with the officer's form, a refusal next to its field, the
    // programme's sums.
    let c = app.signed_in("daklak.officer").await;
    let html = c
        .get(app.url(&format!("/tasks/{t1}/budget")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("id=\"budget-form-{a1}\"")) && html.contains("300,5"),
        "{html}"
    );
    let csrf = common::extract_csrf(&html).unwrap();
    let r = c
        .post(app.url(&format!("/assignments/{a1}/budget")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("year", "2026"),
            ("source", "state"),
            ("planned", "100"),
            ("disbursed", "200"),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"disbursed-error\""));
    let html = app
        .page_in(&format!("/programmes/{pid}/budget"), "vi")
        .await;
    assert!(
        html.contains("id=\"budget-years\"") && html.contains("40,0%"),
        "{html}"
    );
});
