//! Public pages from the response cache (issue 12), on SQLite and PostgreSQL: each is served
//! from memory while nothing it shows has changed, shows a write on the very next request,
//! answers `304` to a matching `If-None-Match`, and is never given to (or taken from) a
//! signed-in visitor or a sender holding the secret.

mod common;

use app::programmes::{NQ03, NQ03_ANNEX, import_annex};
use common::{Call, bearer};
use serde_json::json;
use store::audit::Actor;

/// (x-cache, ETag, body) of an anonymous GET.
async fn get(app: &common::TestApp, c: &reqwest::Client, path: &str) -> (String, String, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let h = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (x, etag) = (h("x-cache"), h("etag"));
    (x, etag, r.text().await.unwrap())
}

/// Two anonymous requests: the second comes from the cache with the same bytes.
async fn warm(app: &common::TestApp, c: &reqwest::Client, path: &str) -> String {
    let (_, _, first) = get(app, c, path).await;
    let (x, _, second) = get(app, c, path).await;
    assert_eq!(x, "hit", "{path} is served from the cache");
    assert!(first == second, "{path}: the same bytes");
    second
}

/// After a write: rendered again, and different from before.
async fn fresh(app: &common::TestApp, c: &reqwest::Client, path: &str, before: &str) -> String {
    let (x, _, now) = get(app, c, path).await;
    assert_eq!(x, "miss", "{path} is rendered again after the write");
    assert!(now != before, "{path} shows the write");
    now
}

/// The Ministry of Science and Technology's assignment of task 1 of the programme.
async fn most_task_one(app: &common::TestApp, pid: i64) -> i64 {
    let most = app.unit_id("BKHCN").await;
    app.scalar_i64(&format!(
        "SELECT a.id FROM assignments a JOIN tasks t ON t.id = a.task_id
         WHERE t.programme_id = {pid} AND t.code = '1' AND a.unit_id = {most}"
    ))
    .await
}

/// The ministry's officer claims the assignment complete (reported on 20 June 2025).
async fn claim(app: &common::TestApp, a: i64) {
    let (s, v) = bearer(&app.token("most.officer").await)
        .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
        .json(&json!({"percent": 100, "narrative": "Đã ban hành", "claims_completion": true, "reported_on": "2025-06-20"}))
        .call_json()
        .await;
    assert_eq!(s, 201, "{v}");
}

/// The Steering Committee decides the claim.
async fn decide(app: &common::TestApp, a: i64, decision: serde_json::Value) {
    let (s, v) = bearer(&app.token("steering").await)
        .post(app.url(&format!("/api/v1/assignments/{a}/verification")))
        .json(&decision)
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
}

/// The item's id, once a Steering Committee member has accepted and answered it.
async fn answer(app: &common::TestApp, by: &reqwest::Client, code: &str, text: &str) -> i64 {
    let id = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    for body in [
        json!({"action": "accept"}),
        json!({"action": "answer", "answer": text}),
    ] {
        let (s, v) = by
            .post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body)
            .call_json()
            .await;
        assert_eq!(s, 200, "{v}");
    }
    id
}

both!(every_cached_page_shows_a_write_on_the_next_request, |app| {
    let pid = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
        .await
        .unwrap()
        .programme_id
        .unwrap();
    let c = app.anon();
    let admin = bearer(&app.token("admin").await);
    let steering = bearer(&app.token("steering").await);
    let dl = app.unit_id("66").await;

    // The organisation: a new commune shows on the directory's counts and on its province.
    let home = warm(&app, &c, "/").await;
    let province = warm(&app, &c, &format!("/org/{dl}")).await;
    let (s, v) = admin
        .post(app.url("/api/v1/org-units"))
        .json(&json!({"kind": "commune", "name_vi": "Xã Thử Nghiệm Bộ Đệm", "parent_id": dl}))
        .call_json()
        .await;
    assert_eq!(s, 201, "{v}");
    fresh(&app, &c, "/", &home).await;
    let province = fresh(&app, &c, &format!("/org/{dl}"), &province).await;
    assert!(province.contains("Xã Thử Nghiệm Bộ Đệm"));

    // Feedback: an item answered appears in the public list, the API, Open311 and the figures.
    // (Per-unit figures: the national ones may be served from a moment ago, and then are not
    // cached at all.)
    let feedback_pages = [
        "/feedback".to_string(),
        format!("/feedback/stats?unit={dl}"),
        "/api/v1/feedback/published".into(),
        format!("/api/v1/feedback/stats?unit={dl}"),
        "/open311/v2/requests.json".into(),
    ];
    let mut before = vec![];
    for p in &feedback_pages {
        before.push(warm(&app, &c, p).await);
    }
    let (s, r) = c
        .post(app.url("/api/v1/feedback"))
        .json(&json!({
            "kind": "report", "category": "public_services",
            "title": "Đèn đường thôn Ea Tu không sáng", "body": "Ba tuần nay đèn đường không sáng.",
            "unit_id": dl, "submitter_kind": "citizen", "email": "an@example.vn", "publish_name": false
        }))
        .call_json()
        .await;
    assert_eq!(s, 201, "{r}");
    let code = r["code"].as_str().unwrap().to_string();
    let secret = r["secret"].as_str().unwrap().to_string();
    answer(&app, &steering, &code, "Đã thay bóng đèn ngày 2/12.").await;
    for (p, b) in feedback_pages.iter().zip(&before) {
        fresh(&app, &c, p, b).await;
    }
    assert!(
        warm(&app, &c, "/feedback")
            .await
            .contains("Đèn đường thôn Ea Tu")
    );
    assert!(
        warm(&app, &c, "/open311/v2/requests.json")
            .await
            .contains(&code)
    );

    // The tracking page of an answered report (no support form, no secret) is shared; the
    // sender's rating adds to its history.
    let track = format!("/feedback/track/{code}");
    let page = warm(&app, &c, &track).await;
    let (s, v) = c
        .post(app.url(&format!("/api/v1/feedback/track/{code}/rating")))
        .json(&json!({"secret": secret, "rating": 5}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    fresh(&app, &c, &track, &page).await;

    // Tasks: a verified completion moves the programme's page and its API figures.
    let task_pages = [
        format!("/programmes/{pid}"),
        format!("/programmes/{pid}/tasks"),
        format!("/programmes/{pid}/deadlines?list=overdue"),
        format!("/programmes/{pid}/briefing"),
        format!("/api/v1/programmes/{pid}/overview"),
        format!("/api/v1/programmes/{pid}/charts"),
    ];
    warm(&app, &c, "/feedback").await;
    let mut before = vec![];
    for p in &task_pages {
        before.push(warm(&app, &c, p).await);
    }
    let a = most_task_one(&app, pid).await;
    claim(&app, a).await;
    decide(&app, a, json!({"approve": true})).await;
    for (p, b) in task_pages.iter().zip(&before) {
        fresh(&app, &c, p, b).await;
    }
    // Feedback pages did not depend on that write: still served from the cache.
    let (x, _, _) = get(&app, &c, "/feedback").await;
    assert_eq!(x, "hit");
});

both!(
    a_private_page_is_never_served_from_the_anonymous_cache,
    |app| {
        let c = app.anon();
        // The anonymous directory, cached; the Steering Committee's home is its own.
        warm(&app, &c, "/").await;
        let steering = app.signed_in("steering").await;
        let r = steering.get(app.url("/")).send().await.unwrap();
        assert!(r.headers().get("x-cache").is_none());
        let national = r.text().await.unwrap();
        assert!(national.contains("id=\"logout\""), "the signed-in page");
        let (_, _, anon) = get(&app, &c, "/").await;
        assert!(!anon.contains("id=\"logout\""));
        assert_ne!(anon, national);

        // What a signed-in visitor was shown is never stored for others.
        let dl = app.unit_id("66").await;
        let r = steering
            .get(app.url(&format!("/org/{dl}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (x, _, page) = get(&app, &c, &format!("/org/{dl}")).await;
        assert_eq!(x, "miss");
        assert!(!page.contains("id=\"logout\""));
        // Nor are bearer-token calls served from it.
        let token = bearer(&app.token("steering").await);
        warm(&app, &c, "/api/v1/feedback/published").await;
        let r = token
            .get(app.url("/api/v1/feedback/published"))
            .send()
            .await
            .unwrap();
        assert!(r.headers().get("x-cache").is_none());

        // The sender's page with the secret shows private details: never cached. The page without
        // it is shared, without them.
        let (s, r) = c
        .post(app.url("/api/v1/feedback"))
        .json(&json!({
            "kind": "recommendation", "category": "public_services",
            "title": "Cần thêm điểm phát wifi công cộng", "body": "Ở trung tâm xã chưa có wifi.",
            "unit_id": dl, "submitter_kind": "citizen", "email": "binh@example.vn", "publish_name": false
        }))
        .call_json()
        .await;
        assert_eq!(s, 201, "{r}");
        let code = r["code"].as_str().unwrap();
        let secret = r["secret"].as_str().unwrap();
        let private = format!("/feedback/track/{code}?secret={secret}");
        for _ in 0..2 {
            let (x, _, body) = get(&app, &c, &private).await;
            assert_eq!(x, "", "{private} is not cached");
            assert!(body.contains("binh@example.vn"));
        }
        let plain = format!("/feedback/track/{code}");
        let (x, _, body) = get(&app, &c, &plain).await;
        assert_eq!(x, "miss");
        assert!(!body.contains("binh@example.vn"));
        // Once answered, a recommendation takes supports. The anonymous form holds no form token
        // (an anonymous support only mails a confirmation link), so the page is still shared...
        answer(&app, &token, code, "Xã sẽ lắp wifi trong quý I/2027.").await;
        let (x, _, body) = get(&app, &c, &plain).await;
        assert_eq!(x, "miss");
        assert!(body.contains("id=\"fb-support\"") && !body.contains("name=\"_csrf\""));
        let (x, _, again) = get(&app, &c, &plain).await;
        assert_eq!((x.as_str(), &again), ("hit", &body));
        // ...and its form works as it is, for anyone.
        let stranger = app.anon();
        let r = stranger
            .post(app.url(&format!("{plain}/support")))
            .form(&[("email", "an@example.vn")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], format!("{plain}?support=sent"));
        let mailed = app
            .scalar_i64("SELECT COUNT(*) FROM jobs WHERE dedupe_key LIKE 'mail:support:%'")
            .await;
        assert_eq!(mailed, 1, "the confirmation link is mailed");
        // A signed-in visitor's page is theirs, with their token, which their support must carry.
        let signed = app.signed_in("hanoi.officer").await;
        let r = signed.get(app.url(&plain)).send().await.unwrap();
        assert!(r.headers().get("x-cache").is_none());
        let mine = r.text().await.unwrap();
        let csrf = common::extract_csrf(&mine).expect("the signed-in form carries a token");
        let forged = signed
            .post(app.url(&format!("{plain}/support")))
            .form(&[("email", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403, "no token, no support");
        let r = signed
            .post(app.url(&format!("{plain}/support")))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], format!("{plain}?support=done"));
    }
);

both!(
    a_matching_etag_is_answered_304_until_the_data_change,
    |app| {
        let c = app.anon();
        let dl = app.unit_id("66").await;
        let stats = format!("/feedback/stats?unit={dl}");
        let (_, etag, _) = get(&app, &c, &stats).await;
        assert!(etag.starts_with("W/\""), "{etag}");
        let revalidate = || {
            c.get(app.url(&stats))
                .header("if-none-match", etag.clone())
                .send()
        };
        let r = revalidate().await.unwrap();
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()["cache-control"], "public, no-cache");
        assert!(r.text().await.unwrap().is_empty());
        // The other language is another representation with its own tag.
        let r = c
            .get(app.url(&stats))
            .header("accept-language", "en")
            .header("if-none-match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // A new item changes the figures: the old tag no longer matches.
        let (s, v) = c
        .post(app.url("/api/v1/feedback"))
        .json(&json!({
            "kind": "report", "category": "public_services",
            "title": "Thủ tục cấp chữ ký số", "body": "Xin hỏi thủ tục cấp chữ ký số cá nhân.",
            "unit_id": dl, "submitter_kind": "citizen", "email": "chi@example.vn", "publish_name": false
        }))
        .call_json()
        .await;
        assert_eq!(s, 201, "{v}");
        let r = revalidate().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
    }
);

both!(
    a_cached_page_keeps_its_security_headers_and_nobody_elses_cookie,
    |app| {
        // Clients without a cookie store: each request is a first visit.
        let c = reqwest::Client::new();
        let first = c.get(app.url("/feedback")).send().await.unwrap();
        assert_eq!(first.headers()["x-cache"], "miss");
        let cookie = first.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("nqt_csrf="), "{cookie}");
        let second = c
            .get(app.url("/feedback"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        let h = second.headers();
        assert_eq!(h["x-cache"], "hit");
        assert_eq!(h["content-encoding"], "gzip");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        // The first visitor's form token is never handed to the next one.
        assert!(
            h.get_all("set-cookie")
                .iter()
                .all(|v| v.to_str().unwrap() != cookie)
        );
    }
);

both!(
    a_reader_that_goes_away_mid_read_does_not_hold_up_the_others,
    |app| {
        // The first request to need the versions reads them for everyone waiting; if its client
        // disconnects, the future is dropped mid-read. The next request must still get an answer
        // (found under load: every later anonymous GET hung).
        let fresh = app::freshness::Freshness::default();
        let mut dropped = 0;
        for _ in 0..20 {
            // A write of this process ends first, so that no earlier answer may be reused.
            app.db.begin().await.unwrap().commit().await.unwrap();
            let r = tokio::time::timeout(std::time::Duration::ZERO, fresh.current(&app.db)).await;
            dropped += r.is_err() as usize;
        }
        // On PostgreSQL a read waits for the server, so some of those were dropped mid-read
        // (before the guard, one was enough to hang every later call); SQLite may answer within
        // the first poll.
        if app.backend == common::Backend::Postgres {
            assert!(dropped > 0);
        }
        let v = tokio::time::timeout(std::time::Duration::from_secs(10), fresh.current(&app.db))
            .await
            .expect("answered, not left waiting")
            .unwrap();
        assert!(v.org >= 1);
    }
);

both!(
    a_nul_character_in_a_filter_is_refused_not_a_server_error,
    |app| {
        // Found by schemathesis on PostgreSQL: `category=…%00…` reached the database as text.
        for path in [
            "/api/v1/feedback/published?category=a%00b",
            "/feedback?category=a%00b",
        ] {
            let r = app.anon().get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), 400, "{path}");
        }
    }
);

both!(
    pages_outside_the_cache_are_still_compressed_for_visitors,
    |app| {
        // The cache asks for plain bytes only of the pages it keeps; the rest stay compressed.
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/org-units?per_page=100"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], "gzip");
        assert!(r.headers().get("x-cache").is_none());
    }
);

both!(
    this_process_s_writes_are_seen_at_once_and_others_within_the_bound,
    |app| {
        use app::freshness::{Freshness, OTHERS_WITHIN};
        let fresh = Freshness::default();
        let before = fresh.current(&app.db).await.unwrap();
        // A write transaction of this process: the very next call reads again.
        let mut tx = app.db.begin().await.unwrap();
        store::org::bump_version(&mut tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
        let after = fresh.current(&app.db).await.unwrap();
        assert_eq!(after.org, before.org + 1);
        // Another process's write (a bare statement on its own connection, not counted here)
        // is seen once the last read is older than the bound.
        const SQL: &str = "UPDATE task_version SET v = v + 1 WHERE id = 1";
        match &app.db {
            store::db::Db::Sqlite(p) => sqlx::query(SQL).execute(p).await.map(drop),
            store::db::Db::Pg(p) => sqlx::query(SQL).execute(p).await.map(drop),
        }
        .unwrap();
        tokio::time::sleep(OTHERS_WITHIN).await;
        let later = fresh.current(&app.db).await.unwrap();
        assert_eq!(later.tasks, after.tasks + 1);
        assert_eq!(later.org, after.org);
    }
);

both!(
    signed_in_charts_and_overview_are_shared_by_readers_alike_and_fresh_after_a_write,
    |app| {
        // The signed-in charts are computed once per (data version, role and unit): a reader of
        // another unit gets what that unit may read, not what an earlier reader was given, and a
        // write shows on the next request.
        let pid = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
            .await
            .unwrap()
            .programme_id
            .unwrap();
        // A task held by one ministry alone, with a deadline: restricted, it is that ministry's,
        // its superiors' and the Committee's only.
        let hidden = app
            .scalar_i64(&format!(
                "SELECT MIN(t.id) FROM tasks t JOIN assignments a ON a.task_id = t.id
                 WHERE t.programme_id = {pid} AND t.code <> '1' AND a.is_lead = TRUE
                   AND a.parent_id IS NULL AND a.original_due IS NOT NULL
                   AND (SELECT COUNT(*) FROM assignments b WHERE b.task_id = t.id) = 1"
            ))
            .await;
        app.exec(&format!(
            "UPDATE tasks SET visibility = 'restricted' WHERE id = {hidden}"
        ))
        .await;
        let charts = app.url(&format!("/api/v1/programmes/{pid}/charts"));
        let overview = app.url(&format!("/api/v1/programmes/{pid}/overview"));
        let steering = bearer(&app.token("steering").await);
        let other = bearer(&app.token("daklak.officer").await);
        let get = |c: reqwest::Client, url: String| async move {
            let (s, v) = c.get(url).call_json().await;
            assert_eq!(s, 200, "{v}");
            v
        };
        let read = |c: reqwest::Client| get(c, charts.clone());
        let total = |v: serde_json::Value| v["overview"]["tasks"]["total"].as_i64().unwrap();
        // The reader of another unit may not read that task at all.
        let (s, _) = other
            .get(app.url(&format!("/api/v1/tasks/{hidden}")))
            .call_json()
            .await;
        assert_eq!(s, 404);
        let all = read(steering.clone()).await;
        let theirs = read(other.clone()).await;
        let public = read(app.anon()).await;
        assert_ne!(
            all["timeline"], theirs["timeline"],
            "the restricted task counts for the Committee only"
        );
        assert_eq!(
            theirs, public,
            "a unit not concerned reads what the public reads"
        );
        assert_eq!(
            read(steering.clone()).await,
            all,
            "the same reader, the same figures"
        );
        // The overview likewise counts the task for the Committee only.
        let counted = total(get(steering.clone(), overview.clone()).await);
        assert_eq!(
            total(get(other.clone(), overview.clone()).await),
            counted - 1
        );
        assert_eq!(total(get(app.anon(), overview.clone()).await), counted - 1);
        let done = |v: serde_json::Value| {
            v["overview"]["tasks"]["by_status"]["completed_on_time"]
                .as_i64()
                .unwrap_or(0)
                + v["overview"]["tasks"]["by_status"]["completed_late"]
                    .as_i64()
                    .unwrap_or(0)
        };
        let done_before = done(get(steering.clone(), overview.clone()).await);
        // A completion verified: the next request counts it.
        let a = most_task_one(&app, pid).await;
        claim(&app, a).await;
        decide(&app, a, json!({"approve": true})).await;
        let completed = |v: &serde_json::Value| {
            v["trend"].as_array().unwrap().last().unwrap()["completed"]
                .as_i64()
                .unwrap()
        };
        let after = read(steering.clone()).await;
        assert_eq!(completed(&after), completed(&all) + 1, "{after}");
        assert_eq!(completed(&read(other).await), completed(&theirs) + 1);
        assert_eq!(done(get(steering, overview).await), done_before + 1);
    }
);

both!(an_inbox_shows_a_new_item_on_the_next_request, |app| {
    // Inbox pages are kept per state of the feedback data and per unit: another unit's
    // officers get their own, and an item sent meanwhile is there on the next request.
    let dl = app.unit_id("66").await;
    let hn = app.unit_id("01").await;
    let send = |unit: i64, title: &'static str| {
        let req = app.anon().post(app.url("/api/v1/feedback")).json(&json!({
            "kind": "report", "category": "public_services", "title": title,
            "body": "Cầu treo đã hỏng nhiều tấm ván, người dân đi lại nguy hiểm.",
            "unit_id": unit, "submitter_kind": "citizen", "publish_name": false
        }));
        async move {
            let (s, r) = req.call_json().await;
            assert_eq!(s, 201, "{r}");
            r["code"].as_str().unwrap().to_string()
        }
    };
    let ours = send(dl, "Cầu treo buôn Đôn xuống cấp").await;
    let hanoi = send(hn, "Cầu khỉ xã Ba Vì xuống cấp").await;
    let officer = bearer(&app.token("daklak.officer").await);
    let other = bearer(&app.token("hanoi.officer").await);
    let read = |c: &reqwest::Client, unit: i64| {
        let req = c.get(app.url(&format!("/api/v1/feedback?unit={unit}")));
        async move {
            let (s, v) = req.call_json().await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    let before = read(&officer, dl).await;
    assert_eq!(read(&officer, dl).await, before);
    assert!(before.to_string().contains(&ours) && !before.to_string().contains(&hanoi));
    let theirs = read(&other, hn).await.to_string();
    assert!(
        theirs.contains(&hanoi) && !theirs.contains(&ours),
        "{theirs}"
    );
    let (s, _) = other
        .get(app.url(&format!("/api/v1/feedback?unit={dl}")))
        .call_json()
        .await;
    assert_eq!(s, 403, "nor may Hà Nội read Đắk Lắk's, kept or not");
    let new = send(dl, "Đèn đường buôn Đôn không sáng").await;
    let after = read(&officer, dl).await;
    assert_eq!(
        after["total"],
        before["total"].as_i64().unwrap() + 1,
        "{after}"
    );
    assert!(after.to_string().contains(&new));
    // The page too.
    let page = app.signed_in("daklak.officer").await;
    let (_, body) = page.get(app.url("/feedback/inbox")).call_text().await;
    assert!(body.contains(&new), "{body}");
});

both!(a_returned_claim_shows_on_the_officers_home_at_once, |app| {
    // The work returned to a unit is kept per task data version: the return is on the
    // officer's home on the next request, and the claim made again takes it off.
    let pid = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
        .await
        .unwrap()
        .programme_id
        .unwrap();
    let a = most_task_one(&app, pid).await;
    let returned = |html: &str| -> i64 {
        let at = html
            .find("id=\"n-returned\"")
            .expect("the figure is on the home");
        html[at..]
            .split("<strong>")
            .nth(1)
            .and_then(|r| r.split("</strong>").next())
            .unwrap()
            .parse()
            .unwrap()
    };
    let home = app.signed_in("most.officer").await;
    let read = || {
        let req = home.get(app.url("/"));
        async move { req.call_text().await.1 }
    };
    assert_eq!(returned(&read().await), 0);
    claim(&app, a).await;
    assert_eq!(returned(&read().await), 0);
    decide(
        &app,
        a,
        json!({"approve": false, "comment": "Thiếu văn bản ban hành"}),
    )
    .await;
    let page = read().await;
    assert_eq!(returned(&page), 1);
    assert!(page.contains("Thiếu văn bản ban hành"));
    claim(&app, a).await;
    assert_eq!(returned(&read().await), 0);
});

both!(indicator_pages_show_a_value_on_the_next_request, |app| {
    let set = app::indicators::builtin::create_province_set(&app.db, &Actor::system("test"))
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
    let c = app.anon();
    let paths = [
        "/indicators".to_string(),
        format!("/indicators/{dvctt}?period=2026Q2"),
        format!("/indicators/units/{province}?period=2026Q2"),
        "/api/v1/indicators".to_string(),
        format!("/api/v1/indicators/{dvctt}/figures?period=2026Q2"),
        format!("/api/v1/indicators/units/{province}?period=2026Q2"),
    ];
    let mut before = vec![];
    for p in &paths {
        before.push(warm(&app, &c, p).await);
    }
    let officer = bearer(&app.token("daklak.officer").await);
    let r = officer
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": commune, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": "7", "denominator": "10"}]}))
        .call()
        .await;
    assert_eq!(r.status(), 200);
    for (p, b) in paths.iter().zip(&before) {
        let now = fresh(&app, &c, p, b).await;
        assert!(now.contains("70"), "{p} shows 70 %");
    }
    // A signed-in reader is never given the anonymous copy.
    let steering = app.signed_in("steering").await;
    let r = steering.get(app.url("/indicators")).send().await.unwrap();
    assert!(r.headers().get("x-cache").is_none());
});

both!(
    ranking_pages_show_a_publication_on_the_next_request,
    |app| {
        let c = app.anon();
        let admin = bearer(&app.token("admin").await);
        let steering = bearer(&app.token("steering").await);
        let inspector = bearer(&app.token("inspector").await);
        let dl = app.unit_id("66").await;
        common::finding(&app, &inspector, dl, "2026", 80.0).await;
        let (method, version) = common::example_method(&app, &steering, "CACHE", true).await;
        let edition = || async {
            let (s, e) = steering
                .post(app.url("/api/v1/rankings"))
                .json(&json!({"version_id": version, "period": "2026"}))
                .call_json()
                .await;
            assert_eq!(s, 201, "{e}");
            let id = e["id"].as_i64().unwrap();
            let (s, v) = steering
                .post(app.url(&format!("/api/v1/rankings/{id}/publish")))
                .json(&json!({"detail": "full"}))
                .call_json()
                .await;
            assert_eq!(s, 200, "{v}");
            id
        };
        let first = edition().await;
        let list = warm(&app, &c, "/rankings").await;
        let page = warm(&app, &c, &format!("/rankings/{first}")).await;
        let card = warm(&app, &c, &format!("/rankings/{first}/units/{dl}")).await;
        let method_page = warm(&app, &c, &format!("/methods/{method}/versions/1")).await;
        let report = warm(&app, &c, &format!("/rankings/{first}/units/{dl}/report")).await;

        // A second edition, computed: not public yet, so what the public reads is the same.
        let (s, e) = steering
            .post(app.url("/api/v1/rankings"))
            .json(&json!({"version_id": version, "period": "2026"}))
            .call_json()
            .await;
        assert_eq!(s, 201, "{e}");
        let draft = e["id"].as_i64().unwrap();
        let r = c
            .get(app.url(&format!("/rankings/{draft}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "an unpublished edition does not exist for the public"
        );
        let (x, _, again) = get(&app, &c, "/rankings").await;
        assert_eq!(x, "miss", "rendered again after the write");
        assert_eq!(
            again, list,
            "the public list is unchanged by an unpublished edition"
        );
        // Published: on the list at the next request.
        let (s, v) = steering
            .post(app.url(&format!("/api/v1/rankings/{draft}/publish")))
            .json(&json!({"detail": "scores"}))
            .call_json()
            .await;
        assert_eq!(s, 200, "{v}");
        let now = fresh(&app, &c, "/rankings", &again).await;
        assert!(now.contains(&format!("/rankings/{draft}\"")));
        let (x, _, same) = get(&app, &c, &format!("/methods/{method}/versions/1")).await;
        assert_eq!(x, "miss");
        assert_eq!(
            same, method_page,
            "a published method version never changes"
        );

        // The unit renamed: its name on the edition and on its scorecard at the next request.
        let (s, v) = admin
            .patch(app.url(&format!("/api/v1/org-units/{dl}")))
            .json(&json!({"name_vi": "Tỉnh Đắk Lắk Thử Bộ Đệm"}))
            .call_json()
            .await;
        assert_eq!(s, 200, "{v}");
        for (path, before) in [
            (format!("/rankings/{first}"), &page),
            (format!("/rankings/{first}/units/{dl}"), &card),
            (format!("/rankings/{first}/units/{dl}/report"), &report),
        ] {
            let now = fresh(&app, &c, &path, before).await;
            assert!(now.contains("Tỉnh Đắk Lắk Thử Bộ Đệm"), "{path}");
        }
        // The Committee is never given the public copy, and sees the draft desk links.
        let committee = app.signed_in("steering").await;
        let r = committee.get(app.url("/rankings")).send().await.unwrap();
        assert!(r.headers().get("x-cache").is_none());
        assert!(r.text().await.unwrap().contains("/rankings/manage"));
    }
);
