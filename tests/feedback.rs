//! Feedback, recommendations and initiatives through the API, on SQLite and PostgreSQL: intake,
//! tracking with the secret, routing, the officers' moves, the working-day clock, rating, appeal,
//! supports, statistics, the rate limit and Open311.

mod common;

use common::{Call, bearer};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn submission(unit: Option<i64>) -> Value {
    json!({
        "kind": "recommendation",
        "category": "public_services",
        "title": "Cổng dịch vụ công thường xuyên lỗi khi nộp hồ sơ",
        "body": "Trong tuần qua, tôi không thể nộp hồ sơ đăng ký kinh doanh trực tuyến vì hệ thống báo lỗi.",
        "unit_id": unit,
        "submitter_kind": "citizen",
        "name": "Nguyễn Văn An",
        "email": "an.nguyen@example.vn",
        "publish_name": false
    })
}

async fn submit(app: &common::TestApp, body: &Value) -> (StatusCode, Value) {
    app.anon()
        .post(app.url("/api/v1/feedback"))
        .json(body)
        .call_json()
        .await
}

/// The token of the link in a queued mail.
fn link_token(mail: &str) -> String {
    mail.split("token=")
        .nth(1)
        .expect("a link with a token")
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_')
        .next()
        .unwrap()
        .to_string()
}

/// The Steering Committee accepts item `id` and answers it.
async fn accept_and_answer(app: &common::TestApp, id: i64, answer: &str) {
    let steering = bearer(&app.token("steering").await);
    for body in [
        json!({"action": "accept"}),
        json!({"action": "answer", "answer": answer}),
    ] {
        let (s, v) = steering
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
}

async fn items(app: &common::TestApp) -> i64 {
    app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await
}

both!(
    intake_gives_a_code_and_a_secret_and_refuses_bad_input,
    |app| {
        let (s, r) = submit(&app, &submission(None)).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let code = r["code"].as_str().unwrap().to_string();
        let secret = r["secret"].as_str().unwrap().to_string();
        let today = domain::clock::local_date(chrono::Utc::now())
            .format("%Y%m%d")
            .to_string();
        assert_eq!(code, format!("PAKN-{today}-0001"));
        let (_, r2) = submit(&app, &submission(None)).await;
        assert_eq!(r2["code"], format!("PAKN-{today}-0002"));
        // The public view has no private details; with the secret it has them; a wrong secret is an error.
        let (s, t) = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/track/{code}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(t["private"].is_null());
        assert!(
            t["item"]["name"].is_null(),
            "the name is not published without consent"
        );
        assert_eq!(t["item"]["state"], "received");
        assert_eq!(t["history"][0]["action"], "submit");
        let (_, t) = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/track/{code}?secret={secret}")))
            .call_json()
            .await;
        assert_eq!(t["private"]["email"], "an.nguyen@example.vn");
        let (s, p) = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/track/{code}?secret=wrong")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["code"], "err-wrong-secret");
        let (s, _) = app
            .anon()
            .get(app.url("/api/v1/feedback/track/PAKN-20990101-0001"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A confirmation mail is queued.
        assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM jobs WHERE kind = 'mail' AND dedupe_key LIKE 'mail:feedback:%'").await, 2);
        // Sent, it links to the tracking page by its absolute address (a mail reader cannot
        // follow "/feedback/track/…").
        let mailer = app::mail::Mailer::memory();
        let now = chrono::Utc::now();
        app::jobs::tick(
            &app.db,
            &mailer,
            "https://nqtrack.example.vn/",
            now,
            domain::clock::local_date(now),
        )
        .await
        .unwrap();
        let received = mailer
            .sent()
            .into_iter()
            .find(|m| m.subject.contains(&code))
            .expect("the confirmation");
        assert!(
            received.text.contains(&format!(
                "\nhttps://nqtrack.example.vn/feedback/track/{code}\n"
            )),
            "{}",
            received.text
        );
        // Bad input: a clear message per field, nothing written.
        let before = items(&app).await;
        for (patch, field, code) in [
            (json!({"title": ""}), "title", "err-required"),
            (json!({"body": "ngắn"}), "body", "err-too-short"),
            (json!({"body": "x".repeat(10_001)}), "body", "err-too-long"),
            (
                json!({"category": "weather"}),
                "category",
                "err-unknown-category",
            ),
            (
                json!({"unit_id": 999_999_999}),
                "unit_id",
                "err-no-such-unit",
            ),
            (
                json!({"kind": "complaint"}),
                "kind",
                "err-unknown-kind-feedback",
            ),
            (json!({"email": "not-an-address"}), "email", "err-email"),
            (
                json!({"website": "http://spam.example"}),
                "website",
                "err-spam",
            ),
        ] {
            let mut b = submission(None);
            for (k, v) in patch.as_object().unwrap() {
                b[k] = v.clone();
            }
            let (s, p) = submit(&app, &b).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{patch}: {p}");
            assert!(
                p["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["field"] == field && e["code"] == code),
                "{patch}: {p}"
            );
            assert!(
                p["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty())
            );
        }
        assert_eq!(items(&app).await, before);
    }
);

both!(mails_to_a_sender_are_in_the_language_they_wrote_in, |app| {
    let payloads = |like: &'static str| {
        let app = &app;
        async move {
            app.scalar_texts(&format!(
                "SELECT payload FROM jobs WHERE dedupe_key LIKE '{like}' ORDER BY id"
            ))
            .await
        }
    };
    let mut codes = vec![];
    for lang in ["en", "fr", "vi"] {
        let (s, r) = app
            .anon()
            .post(app.url("/api/v1/feedback"))
            .header("accept-language", lang)
            .json(&submission(None))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        codes.push(r["code"].as_str().unwrap().to_string());
    }
    let received = payloads("mail:feedback:%:received:%").await;
    assert_eq!(received.len(), 3, "{received:?}");
    for (mail, (code, words)) in
        received
            .iter()
            .zip(codes.iter().zip(["Received:", "Reçu", "Đã tiếp nhận"]))
    {
        assert!(mail.contains(code) && mail.contains(words), "{mail}");
    }
    // A later step, written by an officer who reads Vietnamese, still goes out in English.
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{}'",
            codes[0]
        ))
        .await;
    accept_and_answer(&app, id, "Đã chuyển doanh nghiệp viễn thông xử lý.").await;
    // Its public history says what happened, in the past tense (the buttons say what to do).
    let page = app
        .page_in(&format!("/feedback/track/{}", codes[0]), "en")
        .await;
    let history = page.split("id=\"fb-history\"").nth(1).unwrap();
    for event in [" · Sent<", " · Accepted for handling<", " · Answered<"] {
        assert!(history.contains(event), "{event}: {history}");
    }
    assert!(!history.contains("Accept:"), "{history}");
    let answered = payloads("mail:feedback:%:answered:%").await;
    assert_eq!(answered.len(), 1, "{answered:?}");
    assert!(
        answered[0].contains(&format!("{} has been answered", codes[0])),
        "{answered:?}"
    );
    // A sign-up in English is confirmed in English.
    let (s, v) = app
        .anon()
        .post(app.url("/api/v1/register"))
        .header("accept-language", "en")
        .json(&json!({"username": "le.binh", "display_name": "Lê Bình", "email": "binh@example.vn", "password": "mai-theo-doi-kien-nghi-2026"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let register = payloads("mail:register:%").await;
    assert!(
        register[0].contains("Activate the account le.binh"),
        "{register:?}"
    );
});

both!(routing_moves_and_the_clock, |app| {
    let dl = app.unit_id("66").await;
    let commune = app.scalar_i64(&format!("SELECT MIN(id) FROM org_units WHERE parent_id = {dl} AND kind = 'commune' AND valid_to IS NULL")).await;
    let (_, r) = submit(&app, &submission(Some(commune))).await;
    let code = r["code"].as_str().unwrap().to_string();
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT unit_id FROM feedback_items WHERE id = {id}"
        ))
        .await,
        commune,
        "the unit concerned answers"
    );
    let daklak = bearer(&app.token("daklak.officer").await);
    let hanoi = bearer(&app.token("hanoi.officer").await);
    // The province sees its communes' inbox; another province does not.
    let (s, inbox) = daklak
        .get(app.url(&format!("/api/v1/feedback?unit={commune}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(inbox["total"], 1);
    assert!(inbox["items"][0]["days_left"].as_i64().unwrap() > 0);
    // Received: to be accepted within the kind's 3 working days.
    let accept_by = domain::workdays::Calendar::builtin()
        .add_working_days(domain::clock::local_date(chrono::Utc::now()), 3);
    assert_eq!(inbox["items"][0]["accept_by"], accept_by.to_string());
    let (s, _) = hanoi
        .get(app.url(&format!("/api/v1/feedback?unit={commune}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let act = |c: &reqwest::Client, body: Value| {
        let req = c
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body);
        async move { req.call_json().await }
    };
    let (s, _) = act(&hanoi, json!({"action": "accept"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = act(&daklak, json!({"action": "answer", "answer": "x"})).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "answering before accepting is not a legal move: {p}"
    );
    assert_eq!(p["errors"][0]["code"], "err-illegal-transition");
    let (s, i) = act(&daklak, json!({"action": "accept"})).await;
    assert_eq!((s, i["state"].as_str()), (StatusCode::OK, Some("accepted")));
    let deadline = i["deadline_on"].as_str().unwrap().to_string();
    // Waiting for the submitter stops the clock.
    let (s, _) = act(&daklak, json!({"action": "request_info"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a reason is needed");
    let (_, i) = act(
        &daklak,
        json!({"action": "request_info", "note": "Đề nghị cung cấp ảnh chụp màn hình lỗi"}),
    )
    .await;
    assert_eq!(i["state"], "waiting");
    assert!(i["deadline_on"].is_null(), "the clock is stopped");
    let (_, i) = act(&daklak, json!({"action": "info_received"})).await;
    assert_eq!(i["state"], "accepted");
    assert_eq!(
        i["deadline_on"], deadline,
        "resumed the same day: nothing lost"
    );
    // Extensions: at most two.
    for _ in 0..2 {
        let (s, _) = act(
            &daklak,
            json!({"action": "extend", "days": 5, "note": "Cần phối hợp với Sở KH&CN"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, p) = act(
        &daklak,
        json!({"action": "extend", "days": 5, "note": "again"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-extensions-exhausted");
    // A transfer needs a unit that exists, then the receiving unit takes it.
    let (s, _) = act(
        &daklak,
        json!({"action": "transfer", "to_unit": 999_999_999, "note": "Không thuộc thẩm quyền"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let hn = app.unit_id("01").await;
    let (s, i) = act(
        &daklak,
        json!({"action": "transfer", "to_unit": hn, "note": "Thuộc thẩm quyền Hà Nội"}),
    )
    .await;
    assert_eq!(
        (s, i["state"].as_str(), i["unit_id"].as_i64()),
        (StatusCode::OK, Some("transferred"), Some(hn))
    );
    let (s, i) = act(&hanoi, json!({"action": "accept_transfer"})).await;
    assert_eq!((s, i["state"].as_str()), (StatusCode::OK, Some("accepted")));
    let (s, i) = act(
        &hanoi,
        json!({"action": "answer", "answer": "Hệ thống đã được khắc phục từ ngày 20/11."}),
    )
    .await;
    assert_eq!((s, i["state"].as_str()), (StatusCode::OK, Some("answered")));
    let (s, _) = act(&hanoi, json!({"action": "answer", "answer": "again"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The public sees every public step and the answer.
    let (_, t) = app
        .anon()
        .get(app.url(&format!("/api/v1/feedback/track/{code}")))
        .call_json()
        .await;
    let steps: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "submit",
            "accept",
            "request_info",
            "info_received",
            "extend",
            "extend",
            "transfer",
            "accept_transfer",
            "answer"
        ]
    );
    assert_eq!(
        t["item"]["answer"],
        "Hệ thống đã được khắc phục từ ngày 20/11."
    );
    let (_, pubs) = app
        .anon()
        .get(app.url("/api/v1/feedback/published?type=recommendation"))
        .call_json()
        .await;
    assert_eq!(pubs["total"], 1);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'feedback.%'")
            .await,
        9,
        "the submission and eight moves; refused moves write nothing"
    );
    // The inbox totals follow every move, the transfer included.
    app.assert_inbox_counts().await;
    let hanoi_total = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM feedback_items WHERE unit_id = {hn}"
        ))
        .await;
    let (s, inbox) = hanoi
        .get(app.url(&format!("/api/v1/feedback?unit={hn}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{inbox}");
    assert_eq!(inbox["total"].as_i64(), Some(hanoi_total));
    assert!(hanoi_total > 0);
});

both!(rating_appeal_support_and_statistics, |app| {
    let dl = app.unit_id("66").await;
    let commune = app.scalar_i64(&format!("SELECT MIN(id) FROM org_units WHERE parent_id = {dl} AND kind = 'commune' AND valid_to IS NULL")).await;
    let (_, r) = submit(&app, &submission(Some(commune))).await;
    let (code, secret) = (
        r["code"].as_str().unwrap().to_string(),
        r["secret"].as_str().unwrap().to_string(),
    );
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let rate = |body: Value| {
        let req = app
            .anon()
            .post(app.url(&format!("/api/v1/feedback/track/{code}/rating")))
            .json(&body);
        async move { req.call_json().await }
    };
    let (s, p) = rate(json!({"secret": secret, "rating": 2})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["errors"][0]["code"], "err-not-answered");
    accept_and_answer(&app, id, "Đã chuyển doanh nghiệp viễn thông xử lý.").await;
    let (s, _) = rate(json!({"secret": "nope", "rating": 2})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = rate(json!({"secret": secret, "rating": 9})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) =
        rate(json!({"secret": secret, "rating": 2, "comment": "Chưa giải quyết được"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = rate(json!({"secret": secret, "rating": 5})).await;
    assert_eq!(s, StatusCode::CONFLICT, "rated once");
    // Statistics as of today for the commune: one received, answered on time, rated 2.
    let (_, st) = app
        .anon()
        .get(app.url(&format!("/api/v1/feedback/stats?unit={commune}")))
        .call_json()
        .await;
    assert_eq!(
        (
            st["received"].as_i64(),
            st["answered"].as_i64(),
            st["answered_on_time"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{st}"
    );
    assert_eq!(st["mean_rating"], 2.0);
    assert_eq!(st["median_days_to_answer"], 0.0);
    let (_, before) = app
        .anon()
        .get(app.url(&format!(
            "/api/v1/feedback/stats?unit={commune}&as_of=2020-01-01"
        )))
        .call_json()
        .await;
    assert_eq!(before["received"], 0, "as of a day before it existed");
    // An appeal without a reason, from the tracking page: the reason's box says why, under it.
    {
        let c = app.browser();
        let csrf = app
            .csrf(&c, &format!("/feedback/track/{code}?secret={secret}"))
            .await;
        let r = c
            .post(app.url(&format!("/feedback/track/{code}/appeal")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("secret", secret.as_str()),
                ("reason", "   "),
            ])
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        let under = page
            .split("id=\"err-reason\">")
            .nth(1)
            .expect("the appeal form, with its error")
            .split("</p>")
            .next()
            .unwrap();
        assert!(!under.is_empty(), "{page}");
        assert!(!page.contains("id=\"form-errors\""), "{page}");
    }
    // The appeal reopens it at the province.
    let (s, a) = app
        .anon()
        .post(app.url(&format!("/api/v1/feedback/track/{code}/appeal")))
        .json(&json!({"secret": secret, "reason": "Lỗi vẫn còn"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(
        (a["state"].as_str(), a["unit_id"].as_i64()),
        (Some("received"), Some(dl))
    );
    // An appeal after the period is refused.
    app.exec(&format!("UPDATE feedback_items SET state = 'answered', answered_on = '2020-01-01', rating = 1 WHERE id = {id}")).await;
    let (s, p) = app
        .anon()
        .post(app.url(&format!("/api/v1/feedback/track/{code}/appeal")))
        .json(&json!({"secret": secret, "reason": "again"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-appeal-too-late");
    // The same from a tracking page opened before: the form is no longer offered, so the
    // reason is said above the page, not lost with the form.
    let c = app.browser();
    let csrf = app.csrf(&c, "/feedback/new").await;
    let appeal_page = |reason: &'static str| {
        let req = c
            .post(app.url(&format!("/feedback/track/{code}/appeal")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("secret", secret.as_str()),
                ("reason", reason),
            ]);
        async move {
            let r = req.call().await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, page) = appeal_page("Đèn vẫn chưa sáng").await;
    assert!(s.is_client_error(), "{s}");
    assert!(page.contains("id=\"form-errors\""), "{page}");
    assert!(!page.contains("id=\"err-reason\""), "{page}");
    // Support: once per account, only on published recommendations and initiatives.
    app.exec(&format!(
        "UPDATE feedback_items SET answered_on = '2026-01-01' WHERE id = {id}"
    ))
    .await;
    let officer = bearer(&app.token("hanoi.officer").await);
    let url = app.url(&format!("/api/v1/feedback/track/{code}/support"));
    let (s, v) = officer.post(&url).call_json().await;
    assert_eq!((s, v["supports"].as_i64()), (StatusCode::OK, Some(1)));
    let (s, p) = officer.post(&url).call_json().await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-already-supported");
    let (s, _) = app.anon().post(&url).call_json().await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

both!(a_flood_from_one_address_is_stopped, |app| {
    let mut last = StatusCode::OK;
    let mut accepted = 0;
    for i in 0..32 {
        let mut b = submission(None);
        b["email"] = json!(format!("nguoi{i}@example.vn"));
        let (s, _) = submit(&app, &b).await;
        if s == StatusCode::CREATED {
            accepted += 1;
        }
        last = s;
    }
    assert_eq!(accepted, 30);
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(items(&app).await, 30);
});

/// The fields GeoReport v2 gives a service request (wiki.open311.org/GeoReport_v2).
const REQUEST_FIELDS: [&str; 17] = [
    "address",
    "address_id",
    "agency_responsible",
    "description",
    "expected_datetime",
    "lat",
    "long",
    "media_url",
    "requested_datetime",
    "service_code",
    "service_name",
    "service_notice",
    "service_request_id",
    "status",
    "status_notes",
    "updated_datetime",
    "zipcode",
];

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    k.sort();
    k
}

/// A W3C datetime in the product's zone, e.g. `2026-07-01T08:30:00+07:00`.
fn is_w3c(v: &Value) -> bool {
    v.as_str().is_some_and(|t| {
        t.len() == 25 && t.ends_with("+07:00") && chrono::DateTime::parse_from_rfc3339(t).is_ok()
    })
}

/// GeoReport's JSON answers, errors included (a list of `{code, description}`, not problem
/// details).
trait CallGeo {
    async fn call_geo(self) -> (StatusCode, Value);
}

impl CallGeo for reqwest::RequestBuilder {
    async fn call_geo(self) -> (StatusCode, Value) {
        let r = self.call().await;
        let s = r.status();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("application/json"), "{ct}");
        (s, r.json().await.unwrap())
    }
}

/// An XML answer: its status, that it is XML, and its text.
async fn xml(app: &common::TestApp, path: &str) -> (StatusCode, String) {
    let r = app.anon().get(app.url(path)).call().await;
    let s = r.status();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/xml"), "{path}: {ct}");
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{body}"
    );
    (s, body)
}

both!(open311_georeport_v2_in_json_and_xml, |app| {
    let anon = app.anon();
    // Discovery.
    let (s, d) = anon
        .get(app.url("/open311/v2/discovery.json"))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        keys(&d),
        ["changeset", "contact", "endpoints", "key_service"]
    );
    let e = &d["endpoints"][0];
    assert_eq!(
        keys(e),
        ["changeset", "formats", "specification", "type", "url"]
    );
    assert_eq!(e["formats"], json!(["text/xml", "application/json"]));
    assert!(is_w3c(&d["changeset"]), "{d}");
    let (s, x) = xml(&app, "/open311/v2/discovery.xml").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        x.contains("<endpoints><endpoint>") && x.contains("<format>text/xml</format>"),
        "{x}"
    );
    // Services and a service's definition.
    let (s, v) = anon
        .get(app.url("/open311/v2/services.json"))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::OK);
    for svc in v.as_array().unwrap() {
        assert_eq!(
            keys(svc),
            [
                "description",
                "group",
                "keywords",
                "metadata",
                "service_code",
                "service_name",
                "type"
            ]
        );
    }
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|x| x["service_code"] == "public_services")
    );
    let (_, x) = xml(&app, "/open311/v2/services.xml").await;
    assert!(
        x.contains("<services><service>")
            && x.contains("<service_code>public_services</service_code>"),
        "{x}"
    );
    let (s, def) = anon
        .get(app.url("/open311/v2/services/public_services.json"))
        .call_geo()
        .await;
    assert_eq!(
        (s, def),
        (
            StatusCode::OK,
            json!({"service_code": "public_services", "attributes": []})
        )
    );
    let (s, err) = anon
        .get(app.url("/open311/v2/services/nothing.json"))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(keys(&err[0]), ["code", "description"]);
    assert_eq!(err[0]["code"], 404);
    let (s, x) = xml(&app, "/open311/v2/services/nothing.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        x.contains("<errors><error><code>404</code><description>"),
        "{x}"
    );
    // Another jurisdiction is not served here; this one is.
    let (s, _) = anon
        .get(app.url("/open311/v2/services.json?jurisdiction_id=elsewhere.example"))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A citizen posts; a wrong category is a GeoReport error, in the reader's language.
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (anon, url) = (app.anon(), app.url(path));
        async move { anon.post(url).form(&form).call().await }
    };
    let r = post(
        "/open311/v2/requests.json",
        vec![
            ("service_code", "digital_infrastructure".into()),
            (
                "description",
                "Khu vực thôn 3 không có sóng di động từ tháng trước.".into(),
            ),
            ("first_name", "Lan".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        keys(&v[0]),
        [
            "account_id",
            "service_notice",
            "service_request_id",
            "token"
        ]
    );
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();
    let r = post(
        "/open311/v2/requests.json",
        vec![
            ("service_code", "nothing".into()),
            ("description", "Không có".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v.as_array().unwrap().iter().any(|e| e["code"] == 400
            && e["description"]
                .as_str()
                .unwrap()
                .starts_with("service_code: ")),
        "{v}"
    );
    // Nothing but a category: the missing description is named as GeoReport names it.
    let r = post(
        "/open311/v2/requests.json",
        vec![("service_code", "digital_infrastructure".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v.as_array().unwrap().iter().any(|e| e["description"]
            .as_str()
            .unwrap()
            .starts_with("description: ")),
        "{v}"
    );
    // An organisation posts with its API token; a wrong key is refused, nothing written.
    let before = app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await;
    let r = post(
        "/open311/v2/requests.xml",
        vec![
            ("service_code", "digital_infrastructure".into()),
            (
                "description",
                "Đề nghị mở rộng vùng phủ sóng 5G tại khu công nghiệp.".into(),
            ),
            ("api_key", "not-a-token".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<errors><error><code>403</code>")
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await,
        before
    );
    let key = app.token("daklak.officer").await;
    let r = post(
        "/open311/v2/requests.xml",
        vec![
            ("service_code", "digital_infrastructure".into()),
            (
                "description",
                "Đề nghị mở rộng vùng phủ sóng 5G tại khu công nghiệp.".into(),
            ),
            ("api_key", key),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let x = r.text().await.unwrap();
    let org_code = x
        .split("<service_request_id>")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap()
        .to_string();
    assert_eq!(
        app.scalar_text(&format!(
            "SELECT submitter_kind FROM feedback_items WHERE code = '{org_code}'"
        ))
        .await,
        "organisation"
    );

    // One request, every field of the standard, in both formats.
    let (s, one) = anon
        .get(app.url(&format!("/open311/v2/requests/{id}.json")))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::OK, "{one}");
    let r = &one[0];
    assert_eq!(keys(r), REQUEST_FIELDS);
    assert_eq!(
        (r["status"].as_str(), r["service_code"].as_str()),
        (Some("open"), Some("digital_infrastructure"))
    );
    assert!(
        is_w3c(&r["requested_datetime"]) && is_w3c(&r["expected_datetime"]),
        "{r}"
    );
    let unit = app
        .scalar_text(&format!(
            "SELECT o.name_vi FROM feedback_items f JOIN org_units o ON o.id = f.unit_id WHERE f.code = '{id}'"
        ))
        .await;
    assert_eq!(r["agency_responsible"], unit.as_str());
    let (s, x) = xml(&app, &format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        x.contains("<service_requests><request>")
            && x.contains(&format!("<service_request_id>{id}</service_request_id>")),
        "{x}"
    );
    let (s, _) = xml(&app, "/open311/v2/requests/PAKN-20260101-99999.xml").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The list: published items, filtered by service, status and the day they were sent.
    let (st, r) = submit(&app, &submission(None)).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let code = r["code"].as_str().unwrap().to_string();
    let item = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    accept_and_answer(&app, item, "Đã khắc phục lỗi cổng dịch vụ công.").await;
    let today = app
        .scalar_text(&format!(
            "SELECT CAST(submitted_on AS TEXT) FROM feedback_items WHERE id = {item}"
        ))
        .await;
    let list = |q: String| {
        let (anon, url) = (
            app.anon(),
            app.url(&format!("/open311/v2/requests.json?{q}")),
        );
        async move {
            let (s, v) = anon.get(url).call_geo().await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(String::new()).await, std::slice::from_ref(&code));
    let (_, whole) = anon
        .get(app.url("/open311/v2/requests.json"))
        .call_geo()
        .await;
    assert_eq!(keys(&whole[0]), REQUEST_FIELDS);
    assert_eq!(whole[0]["status"], "closed");
    assert!(is_w3c(&whole[0]["updated_datetime"]), "{whole}");
    assert_eq!(
        list("status=closed&service_code=public_services".into()).await,
        std::slice::from_ref(&code)
    );
    assert!(list("status=open".into()).await.is_empty());
    assert!(list("service_code=ai".into()).await.is_empty());
    let day = format!("{today}T00:00:00%2B07:00");
    assert_eq!(
        list(format!(
            "start_date={day}&end_date={today}T23:59:59%2B07:00"
        ))
        .await,
        std::slice::from_ref(&code)
    );
    let next = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
        .unwrap()
        .succ_opt()
        .unwrap();
    assert!(
        list(format!("start_date={next}T00:00:00%2B07:00"))
            .await
            .is_empty()
    );
    let (s, err) = anon
        .get(app.url("/open311/v2/requests.json?start_date=yesterday&status=pending"))
        .call_geo()
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(err.as_array().unwrap().len(), 2, "{err}");
    let (_, x) = xml(&app, "/open311/v2/requests.xml").await;
    assert!(
        x.contains(&format!("<service_request_id>{code}</service_request_id>")),
        "{x}"
    );
});

both!(initiatives_are_reviewed_and_adopted_as_tasks, |app| {
    let mut b = submission(None);
    b["kind"] = json!("initiative");
    b["category"] = json!("ai");
    b["title"] = json!("Trợ lý ảo trả lời thủ tục hành chính cho người dân");
    let (_, r) = submit(&app, &b).await;
    let code = r["code"].as_str().unwrap().to_string();
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let reviewer = bearer(&app.token("reviewer").await);
    let url = app.url(&format!("/api/v1/feedback/{id}/reviews"));
    let (s, p) = reviewer
        .post(&url)
        .json(&json!({"scores": {"novelty": 4, "feasibility": 6}}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, r) = reviewer.post(&url).json(&json!({"scores": {"novelty": 4, "feasibility": 3, "impact": 5, "cost": 2}, "comment": "Khả thi"})).call_json().await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["total"], 4 * 2 + 3 * 3 + 5 * 3 + 2 * 2);
    let (s, _) = reviewer
        .post(&url)
        .json(&json!({"scores": {"novelty": 4, "feasibility": 3, "impact": 5, "cost": 2}}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "one review per reviewer");
    // Steering adopts it as a task in the national programme.
    let nq03 = app::programmes::import_annex(
        &app.db,
        &store::audit::Actor::system("test"),
        &app::programmes::NQ03,
        app::programmes::NQ03_ANNEX,
        false,
    )
    .await
    .unwrap()
    .programme_id
    .unwrap();
    let steering = bearer(&app.token("steering").await);
    let most = app.unit_id("BKHCN").await;
    let decide = app.url(&format!("/api/v1/feedback/{id}/decision"));
    let (s, _) = steering.post(&decide).json(&json!({"decision": "adopted", "reason": "Phù hợp", "programme_id": nq03, "unit_id": most, "deadline": "khi nào xong"})).call_json().await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let tasks_before = app.scalar_i64("SELECT COUNT(*) FROM tasks").await;
    let (s, d) = steering.post(&decide).json(&json!({"decision": "adopted", "reason": "Phù hợp định hướng AI", "programme_id": nq03, "unit_id": most, "deadline": "Quý IV/2027"})).call_json().await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let task = d["task_id"].as_i64().unwrap();
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM tasks").await,
        tasks_before + 1
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT source_feedback_id FROM tasks WHERE id = {task}"
        ))
        .await,
        id
    );
    // The submitter sees the decision and the task; the task is real work with a status.
    let (_, t) = app
        .anon()
        .get(app.url(&format!("/api/v1/feedback/track/{code}")))
        .call_json()
        .await;
    assert_eq!(t["item"]["decision"], "adopted");
    assert_eq!(t["item"]["task_id"], task);
    let (_, td) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks/{task}")))
        .call_json()
        .await;
    assert_eq!(td["due_on"], "2027-12-31");
    assert_eq!(td["assignments"][0]["unit_id"], most);
    let (s, _) = steering
        .post(&decide)
        .json(&json!({"decision": "declined", "reason": "x"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "decided once");
});

both!(moderation_routing_rules_and_holidays, |app| {
    // A routing rule sends "data" items about Hà Nội to Đắk Lắk (for the test's sake).
    let admin = bearer(&app.token("admin").await);
    let hn = app.unit_id("01").await;
    let dl = app.unit_id("66").await;
    let (s, _) = bearer(&app.token("steering").await)
        .post(app.url("/api/v1/feedback/routes"))
        .json(&json!({"category": "data", "unit_id": hn, "target_unit_id": dl}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "rules are for administrators");
    let (s, _) = admin
        .post(app.url("/api/v1/feedback/routes"))
        .json(&json!({"category": "weather", "target_unit_id": dl}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, r) = admin
        .post(app.url("/api/v1/feedback/routes"))
        .json(&json!({"category": "data", "unit_id": hn, "target_unit_id": dl}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut b = submission(Some(hn));
    b["category"] = json!("data");
    let (_, sub) = submit(&app, &b).await;
    let code = sub["code"].as_str().unwrap().to_string();
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT unit_id FROM feedback_items WHERE code = '{code}'"
        ))
        .await,
        dl
    );
    let (s, _) = admin
        .post(app.url(&format!("/api/v1/feedback/routes/{}/retire", r["id"])))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, sub2) = submit(&app, &b).await;
    let code2 = sub2["code"].as_str().unwrap().to_string();
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT unit_id FROM feedback_items WHERE code = '{code2}'"
        ))
        .await,
        hn,
        "retired rules no longer route"
    );
    let (_, rows) = admin
        .get(app.url("/api/v1/feedback/routes"))
        .call_json()
        .await;
    assert!(rows[0]["retired_at"].is_string(), "history kept");
    // Moderation hides the item publicly, keeps the original, tells the submitter why.
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let officer = bearer(&app.token("daklak.officer").await);
    let (s, _) = officer
        .post(app.url(&format!("/api/v1/feedback/{id}/moderation")))
        .json(&json!({"hidden": true, "note": ""}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, m) = officer
        .post(app.url(&format!("/api/v1/feedback/{id}/moderation")))
        .json(&json!({"hidden": true, "note": "Có thông tin cá nhân của người khác"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (_, t) = app
        .anon()
        .get(app.url(&format!(
            "/api/v1/feedback/track/{code}?secret={}",
            sub["secret"].as_str().unwrap()
        )))
        .call_json()
        .await;
    assert_eq!(t["item"]["title"], "");
    assert_eq!(
        t["item"]["moderation_note"],
        "Có thông tin cá nhân của người khác"
    );
    assert!(
        t["private"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Cổng dịch vụ công"),
        "the original is kept"
    );
    // The moderation queue: answered items nobody has reviewed; passing one as it is needs no
    // reason, tells the sender nothing and takes it off the queue.
    let steering = bearer(&app.token("steering").await);
    for a in [
        json!({"action": "accept"}),
        json!({"action": "answer", "answer": "Đã tiếp thu."}),
    ] {
        let (s, r) = steering
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&a)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let id2 = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code2}'"
        ))
        .await;
    for a in [
        json!({"action": "accept"}),
        json!({"action": "answer", "answer": "Đã xử lý."}),
    ] {
        steering
            .post(app.url(&format!("/api/v1/feedback/{id2}/actions")))
            .json(&a)
            .call_json()
            .await;
    }
    let queue = |unit: i64| {
        let req =
            steering.get(app.url(&format!("/api/v1/feedback?unit={unit}&moderation=pending")));
        async move { req.call_json().await.1["total"].as_i64().unwrap() }
    };
    assert_eq!(
        queue(dl).await,
        0,
        "already moderated before it was answered"
    );
    assert_eq!(queue(hn).await, 1);
    let mails = app
        .scalar_i64("SELECT COUNT(*) FROM jobs WHERE kind = 'mail'")
        .await;
    let (s, r) = steering
        .post(app.url(&format!("/api/v1/feedback/{id2}/moderation")))
        .json(&json!({}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(queue(hn).await, 0);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM jobs WHERE kind = 'mail'")
            .await,
        mails
    );
    let (s, p) = steering
        .get(app.url(&format!("/api/v1/feedback?unit={hn}&moderation=later")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "moderation");
    // Holidays: administrators add a day off; it moves deadlines computed afterwards.
    let (s, _) = admin
        .post(app.url("/api/v1/holidays"))
        .json(&json!({"day": "2027-01-04", "kind": "vacation", "name_vi": "x"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = admin
        .post(app.url("/api/v1/holidays"))
        .json(&json!({"day": "2027-01-04", "kind": "holiday", "name_vi": "Nghỉ bù"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, h) = app
        .anon()
        .get(app.url("/api/v1/holidays"))
        .call_json()
        .await;
    assert_eq!(h[0]["day"], "2027-01-04");
});

both!(overdue_feedback_is_escalated_once, |app| {
    let dl = app.unit_id("66").await;
    let (_, r) = submit(&app, &submission(Some(dl))).await;
    let code = r["code"].as_str().unwrap().to_string();
    app.exec(&format!(
        "UPDATE feedback_items SET deadline_on = '2026-01-05' WHERE code = '{code}'"
    ))
    .await;
    let mailer = app::mail::Mailer::memory();
    let now = chrono::Utc::now();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 20).unwrap();
    app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", now, day)
        .await
        .unwrap();
    // The day's mail of each person concerned names the item: the unit's officer (overdue), its
    // leader (overdue and the leader's escalation, in one mail), the standing agency (steering).
    let about = |m: &app::mail::Sent| {
        (m.subject.contains(&code) || m.text.contains(&code)) && m.text.contains("quá hạn")
    };
    let to: Vec<String> = mailer
        .sent()
        .into_iter()
        .filter(|m| about(m))
        .map(|m| m.to.join(","))
        .collect();
    assert_eq!(to.len(), 3, "{to:?}");
    assert!(to.iter().any(|t| t.contains("steering@")), "{to:?}");
    let leader = mailer
        .sent()
        .into_iter()
        .find(|m| about(m) && m.to.iter().any(|t| t.starts_with("daklak.leader")))
        .expect("the leader's day");
    assert!(
        leader.text.contains("Báo cáo lãnh đạo") && leader.text.contains("chưa được trả lời"),
        "the overdue notice and the leader's escalation, in one mail: {}",
        leader.text
    );
    assert!(leader.subject.contains("2 việc"), "{}", leader.subject);
    // One mail per person that day, whatever else the day brought them.
    let mut people: Vec<String> = mailer.sent().into_iter().flat_map(|m| m.to).collect();
    let all = people.len();
    people.sort();
    people.dedup();
    assert_eq!(people.len(), all, "one mail per person per day");
    app::jobs::tick(&app.db, &mailer, "http://nqtrack.test", now, day)
        .await
        .unwrap();
    assert_eq!(
        mailer.sent().into_iter().filter(|m| about(m)).count(),
        3,
        "once each"
    );
    // The next day brings nothing new about it: each escalation happens once.
    app::jobs::tick(
        &app.db,
        &mailer,
        "http://nqtrack.test",
        now,
        day.succ_opt().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        mailer.sent().into_iter().filter(|m| about(m)).count(),
        3,
        "once each, also on later days"
    );
});

both!(
    private_details_never_reach_public_pages_or_the_public_api,
    |app| {
        let mut b = submission(None);
        b["name"] = json!("Trần Thị Riêng Tư");
        b["email"] = json!("rieng.tu@example.vn");
        b["phone"] = json!("0912 345 678");
        b["publish_name"] = json!(false);
        let (_, r) = submit(&app, &b).await;
        let code = r["code"].as_str().unwrap().to_string();
        let id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{code}'"
            ))
            .await;
        accept_and_answer(&app, id, "Đã xử lý.").await;
        let anon = app.anon();
        for path in [
            "/api/v1/feedback/published".to_string(),
            format!("/api/v1/feedback/track/{code}"),
            "/open311/v2/requests.json".to_string(),
            format!("/open311/v2/requests.json?service_request_id={code}"),
            "/feedback".to_string(),
            format!("/feedback/track/{code}"),
            "/feedback/stats".to_string(),
        ] {
            let r = anon.get(app.url(&path)).call().await;
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let text = r.text().await.unwrap();
            assert!(
                text.contains(&code) || path.contains("stats"),
                "{path} lists the item"
            );
            for secret in ["Riêng Tư", "rieng.tu@example.vn", "0912 345 678"] {
                assert!(!text.contains(secret), "{path} leaks {secret}");
            }
        }
        // With consent, the name (only the name) is published.
        app.exec(&format!(
            "UPDATE feedback_items SET publish_name = TRUE WHERE id = {id}"
        ))
        .await;
        let text = anon
            .get(app.url(&format!("/api/v1/feedback/track/{code}")))
            .call()
            .await
            .text()
            .await
            .unwrap();
        assert!(text.contains("Trần Thị Riêng Tư"));
        assert!(!text.contains("rieng.tu@example.vn") && !text.contains("0912 345 678"));
    }
);

both!(leader_approval_interim_replies_and_exports, |app| {
    let most = app.unit_id("BKHCN").await;
    let officer = bearer(&app.token("most.officer").await);
    let leader = bearer(&app.token("most.leader").await);
    let settings = format!("/api/v1/feedback/units/{most}/settings");
    // Only the unit's leader turns approval on; the setting is audited.
    let (s, _) = officer
        .put(app.url(&settings))
        .json(&json!({"approve_answers": true}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let audits = app.audit_count().await;
    let (s, r) = leader
        .put(app.url(&settings))
        .json(&json!({"approve_answers": true}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(app.audit_count().await, audits + 1);
    let (_, r) = officer.get(app.url(&settings)).call_json().await;
    assert_eq!(r["approve_answers"], true);

    let (_, r) = submit(&app, &submission(Some(most))).await;
    let (code, secret) = (
        r["code"].as_str().unwrap().to_string(),
        r["secret"].as_str().unwrap().to_string(),
    );
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let act = |c: &reqwest::Client, body: Value| {
        let req = c
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body);
        async move { req.call_json().await }
    };
    let track = || {
        let req = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/track/{code}")));
        async move { req.call_json().await.1 }
    };
    let mails = || app.scalar_i64("SELECT COUNT(*) FROM jobs WHERE kind = 'mail'");
    assert_eq!(
        act(&officer, json!({"action": "accept"})).await.0,
        StatusCode::OK
    );
    // An interim reply needs a message, keeps the state, is public and mailed.
    let (s, p) = act(&officer, json!({"action": "interim"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "err-reason-required");
    let before = mails().await;
    let (s, r) = act(
        &officer,
        json!({"action": "interim", "note": "Bộ đang tổng hợp ý kiến các đơn vị."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "accepted");
    assert_eq!(mails().await, before + 1);
    let t = track().await;
    assert!(
        t["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "interim")
    );

    // The officer's answer waits; nothing of it is public; the officer cannot approve it.
    let (s, r) = act(
        &officer,
        json!({"action": "answer", "answer": "Dự thảo thứ nhất."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "awaiting_approval");
    let t = track().await;
    assert!(t["item"]["answer"].is_null(), "{t}");
    assert!(!t.to_string().contains("Dự thảo thứ nhất"), "{t}");
    let (s, _) = act(&officer, json!({"action": "approve"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, item) = officer
        .get(app.url(&format!("/api/v1/feedback/{id}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(item["draft_answer"], "Dự thảo thứ nhất.");
    assert!(
        !item["moves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "approve")
    );
    // Sent back with a reason, answered again, approved with an edit.
    let (s, _) = act(&leader, json!({"action": "return_draft"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, r) = act(
        &leader,
        json!({"action": "return_draft", "note": "Cần nêu mốc thời gian."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["state"], "in_progress");
    let (_, r) = act(
        &officer,
        json!({"action": "answer", "answer": "Dự thảo thứ hai."}),
    )
    .await;
    assert_eq!(r["state"], "awaiting_approval");
    let (s, r) = act(
        &leader,
        json!({"action": "approve", "answer": "Bộ sẽ hoàn thành trong quý I/2027."}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "answered");
    let t = track().await;
    assert_eq!(t["item"]["answer"], "Bộ sẽ hoàn thành trong quý I/2027.");
    let history: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        !history.contains(&"submit_answer") && !history.contains(&"return_draft"),
        "{history:?}"
    );
    assert!(history.contains(&"approve"));

    // Exports of the inbox (officers) and of the published list (public), in CSV and XLSX.
    let r = officer
        .get(app.url(&format!("/api/v1/feedback?unit={most}&format=csv")))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.contains(&code) && csv.contains("Đã trả lời"), "{csv}");
    let r = app
        .anon()
        .get(app.url("/api/v1/feedback/published?format=xlsx"))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let (s, p) = officer
        .get(app.url(&format!("/api/v1/feedback?unit={most}&format=pdf")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "format");
    let (s, _) = app
        .anon()
        .get(app.url(&format!("/api/v1/feedback?unit={most}&format=csv")))
        .call_json()
        .await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the inbox export is not public"
    );

    // Support without an account: counted once the mailed link is confirmed, once per address.
    let support = |body: Value| {
        let req = app
            .anon()
            .post(app.url(&format!("/api/v1/feedback/track/{code}/support")))
            .header("accept-language", "fr")
            .json(&body);
        async move { req.call_json().await }
    };
    let (s, p) = support(json!({"email": "khong-hop-le"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "err-email");
    let (s, _) = support(json!({"email": "binh@example.vn"})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(t["item"]["supports"], 0);
    let mail = app
        .scalar_text("SELECT payload FROM jobs WHERE dedupe_key LIKE 'mail:support:%'")
        .await;
    // Written in the language the supporter used.
    assert!(mail.contains("Confirmez votre soutien"), "{mail}");
    let token = link_token(&mail);
    let confirm = || {
        let req = app
            .anon()
            .post(app.url("/api/v1/feedback/support/confirm"))
            .json(&json!({"token": token}));
        async move { req.call_json().await }
    };
    let (s, r) = confirm().await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["supports"], 1);
    let (s, p) = confirm().await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a link counts once");
    assert_eq!(p["errors"][0]["code"], "err-support-link");
    let (s, p) = support(json!({"email": "Binh@Example.vn"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-already-supported");
    assert_eq!(track().await["item"]["supports"], 1);
    let _ = secret;
});

both!(deadline_rules_per_kind_and_the_transfer_clock, |app| {
    let admin = bearer(&app.token("admin").await);
    let officer = bearer(&app.token("most.officer").await);
    let (s, rules) = app
        .anon()
        .get(app.url("/api/v1/feedback/rules"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rules.as_array().unwrap().len(), 3);
    let put = |c: &reqwest::Client, body: Value| {
        let req = c.put(app.url("/api/v1/feedback/rules/report")).json(&body);
        async move { req.call_json().await }
    };
    let rule = json!({"kind": "report", "accept_days": 3, "answer_days": 20, "appeal_days": 30, "transfer_clock": "continue"});
    assert_eq!(put(&officer, rule.clone()).await.0, StatusCode::FORBIDDEN);
    let (s, p) = put(&admin, json!({"kind": "report", "accept_days": 0, "answer_days": 500, "appeal_days": 30, "transfer_clock": "sometimes"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["accept_days", "answer_days", "transfer_clock"]);
    let (s, r) = put(&admin, rule).await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // A report now gets 20 working days.
    let most = app.unit_id("BKHCN").await;
    let hanoi_unit = app.unit_id("01").await;
    let mut b = submission(Some(most));
    b["kind"] = json!("report");
    let (_, r) = submit(&app, &b).await;
    let code = r["code"].as_str().unwrap().to_string();
    let item = |col: &str| {
        let sql = format!("SELECT CAST({col} AS TEXT) FROM feedback_items WHERE code = '{code}'");
        let app = &app;
        async move { app.scalar_text(&sql).await }
    };
    assert_eq!(item("allowed_days").await, "20");
    let id: i64 = item("id").await.parse().unwrap();
    let act = |c: &reqwest::Client, body: Value| {
        let req = c
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body);
        async move { req.call_json().await }
    };
    let hanoi = bearer(&app.token("hanoi.officer").await);
    // "continue": the clock started at the first unit runs on after a transfer.
    app.exec(&format!(
        "UPDATE feedback_items SET clock_from = '2026-01-05' WHERE id = {id}"
    ))
    .await;
    let (s, r) = act(
        &officer,
        json!({"action": "transfer", "to_unit": hanoi_unit, "note": "Thuộc thẩm quyền Hà Nội"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = act(&hanoi, json!({"action": "accept_transfer"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(item("clock_from").await, "2026-01-05");
    // "restart": the receiving unit gets the full time again, from the day it accepts.
    let (s, _) = put(&admin, json!({"kind": "report", "accept_days": 3, "answer_days": 15, "appeal_days": 30, "transfer_clock": "restart"})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = act(
        &hanoi,
        json!({"action": "transfer", "to_unit": most, "note": "Trả về Bộ"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = act(&officer, json!({"action": "accept_transfer"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        item("clock_from").await,
        domain::clock::local_date(chrono::Utc::now()).to_string()
    );
    assert_eq!(item("allowed_days").await, "15");
});

both!(an_account_follows_all_its_items, |app| {
    let officer = bearer(&app.token("hanoi.officer").await);
    let other = bearer(&app.token("daklak.officer").await);
    for _ in 0..2 {
        let (s, r) = officer
            .post(app.url("/api/v1/feedback"))
            .json(&submission(None))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    submit(&app, &submission(None)).await;
    let (s, mine) = officer
        .get(app.url("/api/v1/feedback/mine"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["total"], 2, "{mine}");
    let (_, theirs) = other
        .get(app.url("/api/v1/feedback/mine"))
        .call_json()
        .await;
    assert_eq!(theirs["total"], 0, "nobody else's items");
    let (s, _) = app
        .anon()
        .get(app.url("/api/v1/feedback/mine"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

both!(national_figures_are_served_at_once_and_catch_up, |app| {
    let get = || {
        let req = app.anon().get(app.url("/api/v1/feedback/stats"));
        async move { req.call_json().await.1 }
    };
    let first = get().await;
    assert_eq!(first["fresh"], true, "{first}");
    let n0 = first["received"].as_i64().unwrap();
    submit(&app, &submission(None)).await;
    // The previous figures, marked as such, until the background computation lands; then exact.
    let mut caught_up = false;
    for _ in 0..200 {
        let st = get().await;
        if st["fresh"] == true {
            assert_eq!(st["received"].as_i64().unwrap(), n0 + 1, "{st}");
            caught_up = true;
            break;
        }
        assert_eq!(st["received"].as_i64().unwrap(), n0, "{st}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(caught_up, "the national figures never caught up");
    // One unit's figures are always exact.
    let most = app.unit_id("BKHCN").await;
    submit(&app, &submission(Some(most))).await;
    let (_, st) = app
        .anon()
        .get(app.url(&format!("/api/v1/feedback/stats?unit={most}")))
        .call_json()
        .await;
    assert_eq!(
        (st["received"].as_i64(), st["fresh"].as_bool()),
        (Some(1), Some(true))
    );
});

both!(a_citizen_signs_up_and_follows_their_items, |app| {
    let c = app.browser();
    let csrf = app.csrf(&c, "/register").await;
    let post = |form: Vec<(&'static str, String)>| {
        let req = c.post(app.url("/register")).form(&form);
        async move { req.call().await }
    };
    // Bad input: the form again, with the reasons; nothing stored.
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("username", "A B".into()),
        ("display_name", "Trần Thị Mai".into()),
        ("email", "khong-phai-email".into()),
        ("password", "ngan".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    // Each reason under its own field, what was typed kept (but the password).
    let under = |field: &str| {
        page.split(&format!("id=\"err-{field}\">"))
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(!under("username").is_empty(), "{page}");
    assert!(!under("email").is_empty(), "{page}");
    assert!(!under("password").is_empty(), "{page}");
    assert!(under("display_name").is_empty(), "{page}");
    assert!(page.contains("value=\"khong-phai-email\""), "{page}");
    assert!(
        !page.contains("form-errors"),
        "no error left without a field: {page}"
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM registrations").await,
        0
    );
    let password = "mai-theo-doi-kien-nghi-2026";
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("username", "tran.mai".into()),
        ("display_name", "Trần Thị Mai".into()),
        ("email", "mai.tran@example.vn".into()),
        ("password", password.into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("register-sent"));
    // No account before the mailed link is opened.
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM users WHERE username = 'tran.mai'")
            .await,
        0
    );
    let mail = app
        .scalar_text("SELECT payload FROM jobs WHERE dedupe_key LIKE 'mail:register:%'")
        .await;
    assert!(mail.contains("mai.tran@example.vn"));
    let token = link_token(&mail);
    let confirm = || {
        let req = c
            .post(app.url("/register/confirm"))
            .form(&[("_csrf", csrf.as_str()), ("token", token.as_str())]);
        async move { req.call().await }
    };
    // The mailed link opens a page with one button; opening it creates nothing.
    let page = c
        .get(app.url(&format!("/register/confirm?token={token}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("value=\"{token}\"")), "{page}");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM users WHERE username = 'tran.mai'")
            .await,
        0
    );
    let r = confirm().await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?registered=tran.mai");
    assert_eq!(
        confirm().await.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a link works once"
    );
    assert_eq!(
        app.scalar_text("SELECT role FROM users WHERE username = 'tran.mai'")
            .await,
        "citizen"
    );

    // Signed in, what she sends is hers to follow; the administration's pages stay closed.
    let r = app.sign_in(&c, "tran.mai", password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let csrf = app.csrf(&c, "/feedback/new").await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("kind", "recommendation")
        .text("category", "digital_government")
        .text(
            "title",
            "Cho phép nộp hồ sơ bằng tài khoản định danh điện tử",
        )
        .text(
            "body",
            "Đề nghị cho phép đăng nhập cổng dịch vụ công bằng tài khoản định danh điện tử mức 2.",
        )
        .text("submitter_kind", "citizen");
    let r = c
        .post(app.url("/feedback/new"))
        .multipart(form)
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, mine) = c.get(app.url("/api/v1/feedback/mine")).call_json().await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["total"], 1, "{mine}");
    let code = mine["items"][0]["code"].as_str().unwrap().to_string();
    let page = c
        .get(app.url("/feedback/mine"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&code));
    let vn = app.unit_id("VN").await;
    let (s, _) = c
        .get(app.url(&format!("/api/v1/feedback?unit={vn}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = c.get(app.url("/api/v1/audit")).call_json().await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The same through the JSON API.
    let api = |path: &'static str, body: Value| {
        let req = app.anon().post(app.url(path)).json(&body);
        async move { req.call_json().await }
    };
    let (s, p) = api("/api/v1/register", json!({"username": "le.binh", "display_name": "Lê Bình", "email": "binh@", "password": "x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    let body = json!({"username": "le.binh", "display_name": "Lê Bình", "email": "binh.le@example.vn", "password": "binh-theo-doi-2026"});
    let (s, _) = api("/api/v1/register", body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let mail = app
        .scalar_text("SELECT payload FROM jobs WHERE payload LIKE '%binh.le@example.vn%'")
        .await;
    let token = link_token(&mail);
    let (s, u) = api("/api/v1/register/confirm", json!({"token": token})).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(
        (u["username"].as_str(), u["role"].as_str()),
        (Some("le.binh"), Some("citizen"))
    );
    let (s, p) = api("/api/v1/register", body).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(p["errors"][0]["code"], "err-duplicate-username");
});

both!(attachments_are_checked_by_their_content, |app| {
    let send = |name: &'static str, bytes: Vec<u8>| {
        let mut sub = submission(None);
        sub["email"] = json!(null);
        let form = reqwest::multipart::Form::new()
            .text("submission", sub.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        let req = app
            .anon()
            .post(app.url("/api/v1/feedback/with-files"))
            .multipart(form);
        async move { req.call_json().await }
    };
    let before = items(&app).await;
    // A program, and a program named like a PDF: refused by what the bytes are.
    let (s, p) = send("huong-dan.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "err-file-type");
    let (s, p) = send("bien-ban.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "file");
    // A PNG named .pdf: the name lies about the type.
    let (s, p) = send("anh.pdf", b"\x89PNG\r\n\x1a\n0000000000000000".to_vec()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "err-file-type-mismatch");
    assert_eq!(items(&app).await, before, "nothing half-written");
    let (s, r) = send("de-xuat.pdf", b"%PDF-1.4\n% de xuat\n%%EOF\n".to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let code = r["code"].as_str().unwrap();
    let secret = r["secret"].as_str().unwrap();
    assert_eq!(
        app.scalar_i64(&format!("SELECT COUNT(*) FROM feedback_files f JOIN feedback_items i ON i.id = f.item_id WHERE i.code = '{code}'")).await,
        1
    );
    // The file is shown to those who handle the item and to its sender, to nobody else.
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let steering = bearer(&app.token("steering").await);
    let (s, item) = steering
        .get(app.url(&format!("/api/v1/feedback/{id}")))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{item}");
    assert_eq!(item["files"][0]["file_name"], "de-xuat.pdf", "{item}");
    let fid = item["files"][0]["id"].as_i64().unwrap();
    let file = format!("/feedback/files/{fid}");
    let got = steering.get(app.url(&file)).call().await;
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(
        got.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4\n% de xuat\n%%EOF\n"
    );
    let (_, page) = steering
        .get(app.url(&format!("/feedback/items/{id}")))
        .call_text()
        .await;
    assert!(
        page.contains(&format!("<a href=\"{file}\">de-xuat.pdf</a>")),
        "officer's page lists it"
    );
    // The inbox export counts each item's files and names its unit.
    let unit = app
        .scalar_i64(&format!(
            "SELECT unit_id FROM feedback_items WHERE id = {id}"
        ))
        .await;
    let unit_name = app
        .scalar_text(&format!("SELECT name_vi FROM org_units WHERE id = {unit}"))
        .await;
    let (_, csv) = steering
        .get(app.url(&format!("/api/v1/feedback?unit={unit}&format=csv")))
        .call_text()
        .await;
    let header = csv.lines().next().unwrap().trim_end();
    assert!(header.ends_with(",Tệp đính kèm"), "{header}");
    let row = csv
        .lines()
        .find(|l| l.contains(code))
        .expect("the item in the export")
        .trim_end();
    assert!(row.ends_with(",1"), "{row}");
    assert!(row.contains(&unit_name), "{row} {unit_name}");
    let other = bearer(&app.token("hanoi.officer").await);
    assert_eq!(
        other.get(app.url(&file)).call().await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.anon().get(app.url(&file)).call().await.status(),
        StatusCode::NOT_FOUND
    );
    let wrong = format!("{file}?code={code}&secret=not-the-secret");
    assert_eq!(
        app.anon().get(app.url(&wrong)).call().await.status(),
        StatusCode::NOT_FOUND
    );
    let mine = format!("{file}?code={code}&secret={secret}");
    assert_eq!(
        app.anon().get(app.url(&mine)).call().await.status(),
        StatusCode::OK
    );
    let (_, track) = app
        .anon()
        .get(app.url(&format!("/feedback/track/{code}?secret={secret}")))
        .call_text()
        .await;
    assert!(
        track.contains("de-xuat.pdf")
            && track.contains(&format!("/feedback/files/{fid}?code={code}"))
    );
    let (_, public) = app
        .anon()
        .get(app.url(&format!("/feedback/track/{code}")))
        .call_text()
        .await;
    assert!(
        !public.contains("de-xuat.pdf"),
        "not on the public tracking page"
    );
    // Without the JSON part: a clear error.
    let form = reqwest::multipart::Form::new().text("title", "x");
    let (s, p) = app
        .anon()
        .post(app.url("/api/v1/feedback/with-files"))
        .multipart(form)
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "submission");
});

// Another writer holds the database longer than a request may wait (on SQLite the write lock;
// on PostgreSQL an exclusive lock on the items): the citizen gets a 503 problem with
// Retry-After in their language, nothing half-written, and the same submission succeeds once
// the lock is gone.
both!(a_busy_database_answers_503_with_retry_after, |app| {
    use sqlx::Connection;
    let items = || app.scalar_i64("SELECT COUNT(*) FROM feedback_items");
    let before = items().await;
    let release = match app.backend {
        common::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut c)
                .await
                .unwrap();
            Box::pin(async move {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        }
        common::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.db_url).await.unwrap();
            sqlx::query("BEGIN").execute(&mut c).await.unwrap();
            sqlx::query("LOCK TABLE feedback_items IN EXCLUSIVE MODE")
                .execute(&mut c)
                .await
                .unwrap();
            Box::pin(async move {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            })
        }
    };
    let r = app
        .anon()
        .post(app.url("/api/v1/feedback"))
        .header("accept-language", "en")
        .json(&submission(None))
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["status"], 503);
    assert!(p["title"].as_str().unwrap().contains("busy"), "{p}");
    release.await;
    assert_eq!(items().await, before, "nothing was written");
    let (s, v) = submit(&app, &submission(None)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(items().await, before + 1);
});

both!(
    the_unit_concerned_is_found_by_code_or_name_without_diacritics,
    |app| {
        let concerned = |code: String| {
            let app = &app;
            async move {
                app.scalar_i64(&format!(
                    "SELECT concerned_unit_id FROM feedback_items WHERE code = '{code}'"
                ))
                .await
            }
        };
        let with_unit = |u: &str| {
            let mut s = submission(None);
            s["unit"] = json!(u);
            s
        };
        let bmt = app.unit_id("24133").await;
        let hoa_phu_dl = app.unit_id("24175").await;
        for (text, want) in [
            ("24133", bmt),
            ("Buon Ma Thuot", bmt),
            ("phường buôn ma thuột", bmt),
            ("Xa Hoa Phu, Dak Lak", hoa_phu_dl),
            ("Hoa Phu, 66", hoa_phu_dl),
        ] {
            let (s, r) = submit(&app, &with_unit(text)).await;
            assert_eq!(s, StatusCode::CREATED, "{text}: {r}");
            assert_eq!(
                concerned(r["code"].as_str().unwrap().to_string()).await,
                want,
                "{text}"
            );
        }
        // Two communes are called Hòa Phú (Hà Nội, Đắk Lắk): the province is asked for.
        let before = items(&app).await;
        let (s, p) = submit(&app, &with_unit("Hoa Phu")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], "unit");
        assert_eq!(p["errors"][0]["code"], "err-unit-ambiguous", "{p}");
        let (s, p) = submit(&app, &with_unit("Xa Khong Co That")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["code"], "err-no-such-unit", "{p}");
        assert_eq!(items(&app).await, before, "nothing stored");
        // The public list's unit filter takes names too, and explains what it cannot find.
        let (s, html) = app
            .anon()
            .get(app.url("/feedback?unit=Dak+Lak"))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!html.contains("unit-error") && html.contains("value=\"Dak Lak\""));
        let (s, html) = app
            .anon()
            .get(app.url("/feedback?unit=Xa+Khong+Co+That"))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains(
                "id=\"unit-error\">Đơn vị: Không có đơn vị đang hoạt động với mã hoặc tên này."
            ),
            "{html}"
        );
    }
);

both!(
    a_form_sent_twice_stores_one_item_and_redirects_to_its_result,
    |app| {
        // The public form: each page carries its own one-time token; the answer is a redirect (303)
        // to the result page, so a refresh sends nothing.
        let c = app.browser();
        let page = c
            .get(app.url("/feedback/new"))
            .call()
            .await
            .text()
            .await
            .unwrap();
        let token = page
            .split("name=\"form_token\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a one-time token in the form")
            .to_string();
        assert_eq!(token.len(), 64);
        let csrf = common::extract_csrf(&page).unwrap();
        let form = |token: &str| {
            reqwest::multipart::Form::new()
                .text("_csrf", csrf.clone())
                .text("form_token", token.to_string())
                .text("kind", "report")
                .text("category", "public_services")
                .text("title", "Đèn đường hỏng trên quốc lộ 14")
                .text(
                    "body",
                    "Đoạn đèn đường trước chợ phường đã hỏng hơn một tuần, buổi tối rất tối.",
                )
                .text("submitter_kind", "citizen")
        };
        let before = items(&app).await;
        let mut places = vec![];
        for _ in 0..2 {
            let r = c
                .post(app.url("/feedback/new"))
                .multipart(form(&token))
                .call()
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            places.push(r.headers()["location"].to_str().unwrap().to_string());
        }
        assert_eq!(items(&app).await, before + 1, "the repeat stored nothing");
        assert_eq!(places[0], places[1], "the repeat leads to the same result");
        assert!(
            places[0].starts_with("/feedback/sent/PAKN-"),
            "{}",
            places[0]
        );
        let code = app
            .scalar_text("SELECT code FROM feedback_items ORDER BY id DESC LIMIT 1")
            .await;
        let r = c.get(app.url(&places[0])).call().await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body = r.text().await.unwrap();
        assert!(body.contains(&code), "the result page names the code");
        // Without the secret, or with another, the result page is nobody's.
        let bare = places[0].split('?').next().unwrap().to_string();
        let r = c.get(app.url(&bare)).call().await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = c
            .get(app.url(&format!("{bare}?secret={}", "0".repeat(64))))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);

        // A refused form says each error under its field, naming it, and keeps what was typed.
        let refused = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("form_token", "c".repeat(64))
            .text("kind", "report")
            .text("category", "public_services")
            .text("title", "")
            .text("body", "Quá ngắn")
            .text("submitter_kind", "citizen")
            .text("name", "Nguyễn Văn An")
            .text("email", "khong-phai-thu")
            .text("publish_name", "on");
        let r = c
            .post(app.url("/feedback/new"))
            .multipart(refused)
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().await.unwrap();
        let under = |field: &str| {
            page.split(&format!("<p class=\"error\" id=\"err-{field}\">"))
                .nth(1)
                .and_then(|r| r.split("</p>").next())
                .unwrap_or_else(|| panic!("no error line for {field}: {page}"))
                .to_string()
        };
        assert_eq!(under("title"), "Tiêu đề: Trường này là bắt buộc.");
        assert!(under("body").starts_with("Nội dung: "), "{page}");
        assert!(under("email").starts_with("Thư điện tử: "), "{page}");
        assert_eq!(under("name"), "");
        assert!(
            !page.contains("id=\"form-errors\""),
            "all shown at their fields: {page}"
        );
        assert!(page.contains(">Quá ngắn</textarea>") && page.contains("value=\"Nguyễn Văn An\""));
        assert!(page.contains("id=\"publish_name\" checked"), "{page}");
        assert_eq!(items(&app).await, before + 1, "nothing stored");

        // A new form (another token) is another item.
        let r = c
            .post(app.url("/feedback/new"))
            .multipart(form(&"b".repeat(64)))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(items(&app).await, before + 2);

        // The same through the API: the token makes a retry answer with the first item and secret;
        // two sent at once store one.
        let mut body = submission(None);
        body["form_token"] = json!("retry-after-a-lost-answer-0001");
        let (s1, r1) = submit(&app, &body).await;
        let (s2, r2) = submit(&app, &body).await;
        assert_eq!(
            (s1, s2),
            (StatusCode::CREATED, StatusCode::CREATED),
            "{r1} {r2}"
        );
        assert_eq!((&r1["code"], &r1["secret"]), (&r2["code"], &r2["secret"]));
        body["form_token"] = json!("sent-twice-at-the-same-moment");
        let (a, b) = tokio::join!(submit(&app, &body), submit(&app, &body));
        assert_eq!(a.1["code"], b.1["code"], "{} {}", a.1, b.1);
        assert_eq!(items(&app).await, before + 4);
        body["form_token"] = json!("short");
        let (s, p) = submit(&app, &body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], "form_token", "{p}");
    }
);

both!(the_public_list_pages_by_position_with_exact_totals, |app| {
    let dl = app.unit_id("66").await;
    let steering = bearer(&app.token("steering").await);
    let mut ids = vec![];
    for n in 0..7 {
        let mut body = submission(Some(dl));
        body["kind"] = json!("report");
        body["title"] = json!(format!("Phản ánh số {n} về đèn đường"));
        let (s, r) = submit(&app, &body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{}'",
                r["code"].as_str().unwrap()
            ))
            .await;
        for a in [
            json!({"action": "accept"}),
            json!({"action": "answer", "answer": "Đã xử lý."}),
        ] {
            let (s, v) = steering
                .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
                .json(&a)
                .call_json()
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        ids.push(id);
    }
    // Answers on three different days, several on the same day: the order is (day, id) descending.
    for (i, id) in ids.iter().enumerate() {
        app.exec(&format!(
            "UPDATE feedback_items SET answered_on = '2026-11-0{}' WHERE id = {id}",
            1 + i % 3
        ))
        .await;
    }
    let list = |q: String| {
        let req = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/published?{q}")));
        async move { req.call_json().await }
    };
    let codes = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap().to_string())
            .collect()
    };
    let real = "SELECT COUNT(*) FROM feedback_items WHERE state IN ('answered', 'closed') AND hidden = FALSE";
    let (_, whole) = list("per_page=200".into()).await;
    assert_eq!(whole["total"], 7);
    assert!(whole["next"].is_null());
    // Following `next` three at a time gives the same items in the same order, each once.
    let mut walked = vec![];
    let mut after = String::new();
    loop {
        let (s, p) = list(format!("per_page=3{after}")).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["total"], 7, "the total on every page");
        walked.extend(codes(&p));
        match p["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(walked, codes(&whole));
    assert_eq!(walked.len(), 7);
    // Hiding one takes it off the list and the totals, filtered or not, at once.
    let (s, v) = steering
        .post(app.url(&format!("/api/v1/feedback/{}/moderation", ids[0])))
        .json(&json!({"hidden": true, "note": "Thông tin cá nhân"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for q in [
        "per_page=200".to_string(),
        format!("unit={dl}&type=report"),
        "type=initiative".into(),
    ] {
        let (_, p) = list(q.clone()).await;
        let expected = if q.contains("initiative") {
            0
        } else {
            app.scalar_i64(real).await
        };
        assert_eq!(p["total"], expected, "{q}");
        assert_eq!(p["items"].as_array().unwrap().len() as i64, expected, "{q}");
    }
    assert_eq!(app.scalar_i64(real).await, 6);
    // A position nobody could have been given is refused in words, naming the field.
    let (s, p) = list("after=yesterday".into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "after");
    // The page takes the same positions: after the third item, the rest (less the hidden one).
    let third = &walked[2];
    let day = app
        .scalar_text(&format!(
            "SELECT CAST(answered_on AS TEXT) FROM feedback_items WHERE code = '{third}'"
        ))
        .await;
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{third}'"
        ))
        .await;
    let page = app
        .anon()
        .get(app.url(&format!("/feedback?after={day}.{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hidden = app
        .scalar_text(&format!(
            "SELECT code FROM feedback_items WHERE id = {}",
            ids[0]
        ))
        .await;
    for (i, code) in walked.iter().enumerate() {
        assert_eq!(
            page.contains(code.as_str()),
            i > 2 && *code != hidden,
            "{code}"
        );
    }
    assert!(page.contains("id=\"pager-first\""));
});

both!(
    feedback_per_province_counts_each_province_with_everything_below_it,
    |app| {
        let (dl, hn, most) = (
            app.unit_id("66").await,
            app.unit_id("01").await,
            app.unit_id("BKHCN").await,
        );
        let ward = app.unit_id("24133").await; // Phường Buôn Ma Thuột, Đắk Lắk
        let by_province = || {
            let req = app.anon().get(app.url("/api/v1/feedback/stats/provinces"));
            async move {
                // Figures of a moment ago may come first; the current ones follow.
                for _ in 0..200 {
                    let (s, v) = req.try_clone().unwrap().call_json().await;
                    assert_eq!(s, StatusCode::OK, "{v}");
                    if v["fresh"] == true {
                        return v;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                panic!("the figures per province never caught up");
            }
        };
        let row = |v: &Value, unit: i64| -> [i64; 4] {
            let r = v["provinces"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["unit_id"] == unit)
                .unwrap_or_else(|| panic!("{unit} missing: {v}"));
            ["received", "answered", "answered_on_time", "overdue"].map(|k| r[k].as_i64().unwrap())
        };
        let central = |v: &Value| -> [i64; 4] {
            ["received", "answered", "answered_on_time", "overdue"]
                .map(|k| v["central"][k].as_i64().unwrap())
        };
        let before = by_province().await;
        assert_eq!(before["provinces"].as_array().unwrap().len(), 34);
        let (dl0, hn0, c0) = (row(&before, dl), row(&before, hn), central(&before));

        // Two items to a ward of Đắk Lắk, one to the province itself, one to Hà Nội, one to a
        // ministry and one naming nobody (the Committee's triage).
        let mut ids = vec![];
        for unit in [Some(ward), Some(ward), Some(dl), Some(hn), Some(most), None] {
            let (s, r) = submit(&app, &submission(unit)).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
            ids.push(
                app.scalar_i64(&format!(
                    "SELECT id FROM feedback_items WHERE code = '{}'",
                    r["code"].as_str().unwrap()
                ))
                .await,
            );
        }
        // The first is answered today (on time); the second is long past its deadline.
        let steering = bearer(&app.token("steering").await);
        for body in [
            json!({"action": "accept"}),
            json!({"action": "answer", "answer": "Đã khắc phục lỗi cổng dịch vụ công."}),
        ] {
            let (s, r) = steering
                .post(app.url(&format!("/api/v1/feedback/{}/actions", ids[0])))
                .json(&body)
                .call_json()
                .await;
            assert_eq!(s, StatusCode::OK, "{r}");
        }
        app.exec(&format!(
            "UPDATE feedback_items SET submitted_on = '2026-01-05', clock_from = '2026-01-05', deadline_on = '2026-01-26' WHERE id = {}",
            ids[1]
        ))
        .await;

        let after = by_province().await;
        let delta = |a: [i64; 4], b: [i64; 4]| [0, 1, 2, 3].map(|i| a[i] - b[i]);
        assert_eq!(delta(row(&after, dl), dl0), [3, 1, 1, 1], "{after}");
        assert_eq!(delta(row(&after, hn), hn0), [1, 0, 0, 0], "{after}");
        assert_eq!(delta(central(&after), c0), [2, 0, 0, 0], "{after}");
        // Every item is counted once: the provinces and the rest add up to the national figure.
        let (_, national) = app
            .anon()
            .get(app.url("/api/v1/feedback/stats"))
            .call_json()
            .await;
        let sum: i64 = after["provinces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["received"].as_i64().unwrap())
            .sum::<i64>()
            + after["central"]["received"].as_i64().unwrap();
        assert_eq!(
            sum,
            app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await
        );
        if national["fresh"] == true {
            assert_eq!(national["received"].as_i64().unwrap(), sum, "{national}");
        }
        // The province's own figures, with and without the units below it.
        let (_, below) = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/stats?unit={dl}&below=true")))
            .call_json()
            .await;
        assert_eq!(below["below"], true);
        assert_eq!(
            ["received", "answered", "answered_on_time", "overdue"]
                .map(|k| below[k].as_i64().unwrap()),
            row(&after, dl),
            "{below}"
        );
        let (_, own) = app
            .anon()
            .get(app.url(&format!("/api/v1/feedback/stats?unit={dl}")))
            .call_json()
            .await;
        // At least the two items of the ward are below the province, not at it.
        assert!(
            below["received"].as_i64().unwrap() - own["received"].as_i64().unwrap() >= 2,
            "{own} {below}"
        );

        // The Committee's home shows the same figures, and links to the province's statistics.
        let home = app
            .signed_in("steering")
            .await
            .get(app.url("/"))
            .call()
            .await
            .text()
            .await
            .unwrap();
        let table = home
            .split("id=\"feedback-by-province\"")
            .nth(1)
            .expect("the table of feedback per province");
        let tr = table
            .split(&format!("<tr data-unit=\"{dl}\">"))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            tr.contains(&format!("/feedback/stats?unit={dl}&amp;below=true")),
            "{tr}"
        );
        let cells: Vec<i64> = tr
            .split("<td class=\"num\"")
            .skip(1)
            .map(|c| {
                c.split('>')
                    .nth(1)
                    .unwrap()
                    .split('<')
                    .next()
                    .unwrap()
                    .replace('.', "")
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(cells, row(&after, dl).to_vec(), "{tr}");

        // The map beside it: one area per province, each naming the share the table shows and
        // linking where the table links.
        let share = tr
            .split("<td class=\"num share\"")
            .nth(1)
            .unwrap()
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let map = home
            .split("id=\"map-feedback\"")
            .nth(1)
            .expect("the map of feedback per province")
            .split("</figure>")
            .next()
            .unwrap();
        assert_eq!(map.matches("<use href=\"#pv-").count(), 34, "{map}");
        let area = map
            .split(&format!(
                "<a href=\"/feedback/stats?unit={dl}&amp;below=true\""
            ))
            .nth(1)
            .expect("the province's area links to its statistics")
            .split("</a>")
            .next()
            .unwrap();
        assert!(
            area.contains(&format!(": {share}</title>")),
            "{area} {share}"
        );
        // Each shape is defined once on the page, whatever the number of maps.
        assert_eq!(home.matches("<path id=\"pv-").count(), 34);
    }
);

both!(an_officers_refused_move_keeps_what_was_typed, |app| {
    // A transfer without a unit: the reason sits under the unit field, and the note, the
    // chosen move and the other values stay as typed.
    let dl = app.unit_id("66").await;
    let (s, r) = submit(&app, &submission(Some(dl))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let code = r["code"].as_str().unwrap();
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let officer = app.signed_in("daklak.officer").await;
    let page = format!("/feedback/items/{id}");
    let csrf = app.csrf(&officer, &page).await;
    let r = officer
        .post(app.url(&format!("{page}/act")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("action", "transfer"),
            ("note", "Việc này thuộc thẩm quyền của phường"),
            ("answer", ""),
            ("to_unit", ""),
            ("into", ""),
            ("days", "7"),
        ])
        .call()
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    let under = |field: &str| {
        body.split(&format!("id=\"err-{field}\">"))
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        under("to_unit"),
        "Đơn vị nhận: Trường này là bắt buộc.",
        "{body}"
    );
    assert!(under("note").is_empty());
    assert!(
        body.contains(">Việc này thuộc thẩm quyền của phường</textarea>"),
        "{body}"
    );
    assert!(
        body.contains("<option value=\"transfer\" selected>"),
        "{body}"
    );
    assert!(body.contains("name=\"days\" type=\"number\" min=\"1\" max=\"15\" value=\"7\""));
    assert!(!body.contains("id=\"form-errors\""), "{body}");
    // Nothing moved.
    assert_eq!(
        app.scalar_text(&format!("SELECT state FROM feedback_items WHERE id = {id}"))
            .await,
        "received"
    );
});

both!(
    a_unit_moderating_first_keeps_new_text_off_public_pages_until_reviewed,
    |app| {
        let dl = app.unit_id("66").await;
        let hn = app.unit_id("01").await;
        let officer = bearer(&app.token("daklak.officer").await);
        let leader = bearer(&app.token("daklak.leader").await);
        let settings = format!("/api/v1/feedback/units/{dl}/settings");
        let (_, earlier) = submit(&app, &submission(Some(dl))).await;
        let earlier = earlier["code"].as_str().unwrap().to_string();
        let (s, _) = officer
            .put(app.url(&settings))
            .json(&json!({"moderate_first": true}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "the unit's leader decides");
        let (s, r) = leader
            .put(app.url(&settings))
            .json(&json!({"moderate_first": true}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["moderate_first"], true);
        assert_eq!(
            r["approve_answers"], false,
            "a setting left out keeps its value"
        );

        let mut body = submission(Some(dl));
        body["publish_name"] = json!(true);
        let (_, sub) = submit(&app, &body).await;
        let (code, secret) = (
            sub["code"].as_str().unwrap().to_string(),
            sub["secret"].as_str().unwrap().to_string(),
        );
        let track = |code: String, secret: &str| {
            let req = app
                .anon()
                .get(app.url(&format!("/api/v1/feedback/track/{code}?secret={secret}")));
            async move { req.call_json().await.1 }
        };
        // Public: no title, text or name until a moderator has looked; the sender still reads it.
        let t = track(code.clone(), "").await;
        assert_eq!(t["item"]["awaiting_moderation"], true);
        assert_eq!(
            (t["item"]["title"].as_str(), t["item"]["body"].as_str()),
            (Some(""), Some(""))
        );
        assert!(t["item"]["name"].is_null());
        let t = track(code.clone(), &secret).await;
        assert!(
            t["private"]["title"]
                .as_str()
                .unwrap()
                .starts_with("Cổng dịch vụ công")
        );
        let t = track(earlier.clone(), "").await;
        assert_eq!(
            t["item"]["awaiting_moderation"], false,
            "only what arrives from now on waits"
        );
        // Handling it later does not hide it either.
        let earlier_id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{earlier}'"
            ))
            .await;
        let (s, r) = officer
            .post(app.url(&format!("/api/v1/feedback/{earlier_id}/actions")))
            .json(&json!({"action": "accept"}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(
            track(earlier.clone(), "").await["item"]["awaiting_moderation"],
            false
        );
        assert!(
            t["item"]["title"]
                .as_str()
                .unwrap()
                .starts_with("Cổng dịch vụ công")
        );
        for lang in ["vi", "en"] {
            let page = app.page_in(&format!("/feedback/track/{code}"), lang).await;
            assert!(page.contains("id=\"fb-awaiting\""), "{lang}");
            assert!(
                !page.contains("Cổng dịch vụ công"),
                "{lang}: the text leaks"
            );
        }
        let (_, o) = app
            .anon()
            .get(app.url(&format!(
                "/open311/v2/requests.json?service_request_id={code}"
            )))
            .call_json()
            .await;
        assert_eq!(o[0]["description"], "");
        // The unit's officers read it, with a notice, and find it in the moderation queue.
        let id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{code}'"
            ))
            .await;
        let queue = || {
            let req =
                officer.get(app.url(&format!("/api/v1/feedback?unit={dl}&moderation=pending")));
            async move { req.call_json().await.1 }
        };
        let q = queue().await;
        assert_eq!(q["total"], 1, "{q}");
        assert!(
            q["items"][0]["title"]
                .as_str()
                .unwrap()
                .starts_with("Cổng dịch vụ công")
        );
        let page = app
            .signed_in("daklak.officer")
            .await
            .get(app.url(&format!("/feedback/items/{id}")))
            .call_text()
            .await
            .1;
        assert!(page.contains("id=\"fb-held\""));
        // Answered, it is in the public list, still without its text.
        accept_and_answer(&app, id, "Đã tiếp thu, sẽ khắc phục trong tuần.").await;
        let (_, list) = app
            .anon()
            .get(app.url("/api/v1/feedback/published"))
            .call_json()
            .await;
        let listed = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code.as_str())
            .expect("answered items are listed")
            .clone();
        assert_eq!(listed["title"], "");
        assert_eq!(listed["answer"], "Đã tiếp thu, sẽ khắc phục trong tuần.");
        // Nobody supports a text they cannot read.
        let support = app.url(&format!("/api/v1/feedback/track/{code}/support"));
        let (s, p) = bearer(&app.token("hanoi.officer").await)
            .post(&support)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        assert!(
            !app.page_in(&format!("/feedback/track/{code}"), "vi")
                .await
                .contains("id=\"fb-support\"")
        );
        // Reviewed as it is: public at the next request, off the queue.
        let (s, r) = officer
            .post(app.url(&format!("/api/v1/feedback/{id}/moderation")))
            .json(&json!({}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let t = track(code.clone(), "").await;
        assert_eq!(t["item"]["awaiting_moderation"], false);
        assert!(
            t["item"]["title"]
                .as_str()
                .unwrap()
                .starts_with("Cổng dịch vụ công")
        );
        assert_eq!(t["item"]["name"], "Nguyễn Văn An");
        assert!(
            app.page_in(&format!("/feedback/track/{code}"), "vi")
                .await
                .contains("Cổng dịch vụ công")
        );
        assert_eq!(queue().await["total"], 0);
        let (s, _) = bearer(&app.token("hanoi.officer").await)
            .post(&support)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "supported once it is public");
        // An unreviewed item transferred to the unit waits as well.
        let (_, other) = submit(&app, &submission(Some(hn))).await;
        let other = other["code"].as_str().unwrap().to_string();
        assert_eq!(
            track(other.clone(), "").await["item"]["awaiting_moderation"],
            false
        );
        let other_id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{other}'"
            ))
            .await;
        let (s, r) = bearer(&app.token("steering").await)
            .post(app.url(&format!("/api/v1/feedback/{other_id}/actions")))
            .json(
                &json!({"action": "transfer", "to_unit": dl, "note": "Thuộc thẩm quyền của tỉnh"}),
            )
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(track(other, "").await["item"]["awaiting_moderation"], true);
    }
);

both!(
    the_inbox_pages_by_cursor_in_the_same_order_as_by_number,
    |app| {
        let dl = app.unit_id("66").await;
        let officer = bearer(&app.token("daklak.officer").await);
        // Without an address: an address may send only a few a day.
        let mut body = submission(Some(dl));
        body["email"] = Value::Null;
        for _ in 0..23 {
            let (s, _) = submit(&app, &body).await;
            assert_eq!(s, StatusCode::CREATED);
        }
        // Every part of the order: shared deadlines, open items without one (waiting for the
        // sender), finished ones with and without a deadline.
        let ids: Vec<i64> = app
            .scalar_texts(&format!(
                "SELECT CAST(id AS TEXT) FROM feedback_items WHERE unit_id = {dl} ORDER BY id"
            ))
            .await
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for (k, id) in ids.iter().enumerate() {
            let sql = match k % 5 {
                0 => "state = 'waiting', deadline_on = NULL".to_string(),
                1 => "state = 'answered', deadline_on = NULL".to_string(),
                2 => "state = 'closed', deadline_on = '2026-03-02'".to_string(),
                3 => "deadline_on = '2026-02-16'".to_string(),
                _ => format!("deadline_on = '2026-02-{:02}'", 10 + k % 3),
            };
            app.exec(&format!("UPDATE feedback_items SET {sql} WHERE id = {id}"))
                .await;
        }
        let page = |q: String| {
            let req = officer.get(app.url(&format!("/api/v1/feedback?unit={dl}{q}")));
            async move {
                let (s, v) = req.call_json().await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v
            }
        };
        let ids_of = |v: &Value| -> Vec<i64> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect()
        };
        let whole = page("&per_page=100".into()).await;
        let all = ids_of(&whole);
        assert_eq!(all.len(), 23);
        assert!(whole["next"].is_null(), "one page holds them all");
        // Followed by cursor, four at a time: the same items in the same order, and the end says so.
        let mut walked = vec![];
        let mut after = String::new();
        loop {
            let v = page(format!("&per_page=4{after}")).await;
            assert_eq!(v["total"], 23);
            walked.extend(ids_of(&v));
            match v["next"].as_str() {
                Some(n) => after = format!("&after={n}"),
                None => break,
            }
        }
        assert_eq!(walked, all);
        // A filter holds across pages; numbered pages still work.
        let answered: Vec<i64> = {
            let mut out = vec![];
            let mut after = String::new();
            loop {
                let v = page(format!("&status=answered&per_page=2{after}")).await;
                out.extend(ids_of(&v));
                match v["next"].as_str() {
                    Some(n) => after = format!("&after={n}"),
                    None => break,
                }
            }
            out
        };
        assert_eq!(answered.len(), 5);
        assert_eq!(ids_of(&page("&page=2&per_page=4".into()).await), all[4..8]);
        let (s, p) = officer
            .get(app.url(&format!("/api/v1/feedback?unit={dl}&after=2026-01-01.5")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], "after");
        // The page links to the next one.
        let html = app
            .signed_in("daklak.officer")
            .await
            .get(app.url(&format!("/feedback/inbox?unit={dl}&status=answered")))
            .call_text()
            .await
            .1;
        assert!(
            !html.contains("id=\"pager-next\""),
            "five answered items fit one page"
        );
    }
);

both!(open311_requests_page_by_a_link_header, |app| {
    // GeoReport v2 answers a bare array: the next page is announced in a `Link` header, and the
    // pages together hold the whole published list once, in its order.
    for i in 0..5 {
        let (s, r) = submit(&app, &submission(None)).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let code = r["code"].as_str().unwrap();
        let id = app
            .scalar_i64(&format!(
                "SELECT id FROM feedback_items WHERE code = '{code}'"
            ))
            .await;
        accept_and_answer(&app, id, &format!("Đã xử lý {i}")).await;
    }
    let anon = app.anon();
    let (s, whole) = anon
        .get(app.url("/open311/v2/requests.json?page_size=200"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let whole: Vec<String> = whole
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap().to_string())
        .collect();
    assert!(whole.len() > 2, "{whole:?}");
    let mut url = "/open311/v2/requests.json?page_size=2".to_string();
    let mut walked = vec![];
    loop {
        let r = anon.get(app.url(&url)).call().await;
        assert_eq!(r.status(), StatusCode::OK);
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_string());
        let page: Value = r.json().await.unwrap();
        let page = page.as_array().unwrap();
        assert!(page.len() <= 2);
        walked.extend(
            page.iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_string()),
        );
        match link {
            Some(l) => {
                assert!(l.ends_with("; rel=\"next\""), "{l}");
                url = l[1..l.find('>').unwrap()].to_string();
                assert!(url.contains("page_size=2"), "{url}");
            }
            None => break,
        }
    }
    assert_eq!(walked, whole);
});
