//! Search across the platform, on SQLite and PostgreSQL: folded and exact matching, what each
//! reader may find, freshness after a write, a rebuild from the tables giving the same answers,
//! and a second instance on the same database keeping its own index current.

mod common;

use std::time::{Duration, Instant};

use common::{Call, bearer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// (type, id, title) of each hit, in rank order.
async fn hits(
    c: &reqwest::Client,
    app: &common::TestApp,
    q: &str,
    kind: &str,
) -> Vec<(String, i64, String)> {
    let mut url = reqwest::Url::parse(&app.url("/api/v1/search")).unwrap();
    url.query_pairs_mut()
        .append_pair("q", q)
        .append_pair("type", kind);
    let (s, v) = c.get(url).call_json().await;
    assert_eq!(s, StatusCode::OK, "{q}: {v}");
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["type"].as_str().unwrap().to_string(),
                h["id"].as_i64().unwrap(),
                h["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Waits until `q` finds record `id` for `c` (the indexer applies writes a few times a second).
/// Returns how long it took.
async fn until_found(
    c: &reqwest::Client,
    app: &common::TestApp,
    q: &str,
    kind: &str,
    id: i64,
) -> Duration {
    let t = Instant::now();
    for _ in 0..600 {
        let mut url = reqwest::Url::parse(&app.url("/api/v1/search")).unwrap();
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("type", kind);
        let (s, v) = c.get(url).call_json().await;
        if s == StatusCode::OK
            && v["hits"]
                .as_array()
                .is_some_and(|h| h.iter().any(|h| h["id"] == id))
        {
            return t.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{q} never found {kind} {id}");
}

async fn new_task(
    app: &common::TestApp,
    programme: i64,
    code: &str,
    title: &str,
    vis: &str,
) -> i64 {
    app.exec(&format!(
        "INSERT INTO tasks (programme_id, code, title, deadline_text, deadline_json, visibility, created_at) \
         VALUES ({programme}, '{code}', '{title}', '2026', '{{}}', '{vis}', '2025-01-09T00:00:00Z')"
    ))
    .await;
    app.scalar_i64(&format!(
        "SELECT id FROM tasks WHERE programme_id = {programme} AND code = '{code}'"
    ))
    .await
}

both!(search_folds_ranks_filters_and_stays_fresh, |app| {
    let programme = app::programmes::import_annex(
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
    let anon = app.anon();
    let hanoi_unit = app.unit_id("01").await;
    let daklak = app.unit_id("66").await;
    // Two public tasks that differ only by the diacritics of one syllable, a restricted task of
    // Hà Nội, an internal one.
    let exact = new_task(
        &app,
        programme,
        "S1",
        "Kiểm tra đường dây thôn Một",
        "public",
    )
    .await;
    let folded = new_task(
        &app,
        programme,
        "S2",
        "Kiểm tra đương dây thôn Hai",
        "public",
    )
    .await;
    let secret = new_task(
        &app,
        programme,
        "S3",
        "Kế hoạch bảo mật hạ tầng thủ đô",
        "restricted",
    )
    .await;
    app.exec(&format!(
        "INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on) VALUES ({secret}, {hanoi_unit}, TRUE, '2025-01-09')"
    ))
    .await;
    let internal = new_task(
        &app,
        programme,
        "S4",
        "Rà soát nội bộ quy trình thẩm định",
        "internal",
    )
    .await;
    until_found(&anon, &app, "kiem tra duong day", "task", folded).await;

    // Folded: typed without diacritics, found with them.
    let found = hits(&anon, &app, "chu ky so", "task").await;
    assert!(!found.is_empty(), "the annex speaks of chữ ký số");
    let (s, v) = anon
        .get(app.url("/api/v1/search?q=chu%20ky%20so&type=task"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK);
    let marked: Vec<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| {
            h["snippet"]
                .as_array()
                .unwrap()
                .iter()
                .chain(h["title_pieces"].as_array().unwrap())
        })
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().unwrap().to_lowercase())
        .collect();
    assert!(marked.iter().any(|m| m.contains("chữ ký số")), "{marked:?}");
    let units = hits(&anon, &app, "Dak Lak", "unit").await;
    assert_eq!(units.first().map(|u| u.1), Some(daklak), "{units:?}");
    assert_eq!(units[0].2, "Tỉnh Đắk Lắk");
    // Facets count every type; a type filter keeps only its own.
    assert!(
        v["facets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["type"] == "task")
    );
    assert!(v["total"].as_u64().unwrap() >= found.len() as u64);

    // The exact spelling ranks first; without diacritics both are found.
    let ranked = hits(&anon, &app, "đường dây", "task").await;
    let pos = |id| ranked.iter().position(|h| h.1 == id);
    assert!(pos(exact).unwrap() < pos(folded).unwrap(), "{ranked:?}");
    let both: Vec<i64> = hits(&anon, &app, "duong day", "task")
        .await
        .iter()
        .map(|h| h.1)
        .collect();
    assert!(both.contains(&exact) && both.contains(&folded));
    // A typo on a longer syllable is forgiven; a prefix being typed finds the word.
    let typo: Vec<i64> = hits(&anon, &app, "kiểm tra đườgn dây", "task")
        .await
        .iter()
        .map(|h| h.1)
        .collect();
    assert!(typo.contains(&exact), "{typo:?}");
    let prefix: Vec<i64> = hits(&anon, &app, "rà soát nội bộ quy trình thẩm địn", "task")
        .await
        .iter()
        .map(|h| h.1)
        .collect();
    assert!(
        !prefix.contains(&internal),
        "an internal task is not public: {prefix:?}"
    );

    // Typos are forgiven only when the words as typed find few records: twenty tasks say
    // "nhiễm mặn" and one says "nhiễn mặn" (a real syllable, one letter away).
    let mut salty = vec![];
    for i in 1..=20 {
        let title = format!("Lắp cảm biến nhiễm mặn tại cống số {i}");
        salty.push(new_task(&app, programme, &format!("M{i}"), &title, "public").await);
    }
    let near = new_task(
        &app,
        programme,
        "M21",
        "Lắp cảm biến nhiễn mặn tại cống Cái Lớn",
        "public",
    )
    .await;
    until_found(&anon, &app, "cam bien nhiem man", "task", salty[19]).await;
    until_found(&anon, &app, "cam bien nhien man", "task", near).await;
    // (ids of the tasks found, best first; the tasks' count and whether it was capped)
    let tasks = |q: &'static str| {
        let mut url = reqwest::Url::parse(&app.url("/api/v1/search")).unwrap();
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("type", "task")
            .append_pair("limit", "50");
        let req = anon.get(url);
        async move {
            let (_, v) = req.call_json().await;
            let ids: Vec<i64> = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_i64().unwrap())
                .collect();
            let count = v["facets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["type"] == "task")
                .map(|f| (f["count"].as_i64().unwrap(), f["capped"].as_bool().unwrap()));
            (ids, count, v)
        }
    };
    let (ids, count, v) = tasks("cảm biến nhiễm mặn").await;
    assert!(salty.iter().all(|id| ids.contains(id)), "{v}");
    assert!(!ids.contains(&near), "plenty found as typed: no typo: {v}");
    assert_eq!(count, Some((20, false)), "{v}");
    // As typed, "nhiễn" finds one task: too few, so its neighbours count too.
    let (ids, count, v) = tasks("cảm biến nhiễn mặn").await;
    assert_eq!(ids.first(), Some(&near), "the spelling typed first: {v}");
    assert!(salty.iter().all(|id| ids.contains(id)), "{v}");
    assert_eq!(count, Some((21, false)), "{v}");

    // Who finds what: the restricted task only for Hà Nội, its superiors and the roles that
    // read everything; the internal one for every account of the administration.
    let hanoi = bearer(&app.token("hanoi.officer").await);
    let daklak_officer = bearer(&app.token("daklak.officer").await);
    let steering = bearer(&app.token("steering").await);
    let citizen = bearer(&app.token("citizen").await);
    // A filter is not evidence: the same words score the same, public or internal.
    let twin_public = new_task(
        &app,
        programme,
        "T1",
        "Số hóa sổ địa chính xã đảo",
        "public",
    )
    .await;
    let twin_internal = new_task(
        &app,
        programme,
        "T2",
        "Số hóa sổ địa chính xã đảo",
        "internal",
    )
    .await;
    until_found(
        &steering,
        &app,
        "so hoa so dia chinh xa dao",
        "task",
        twin_internal,
    )
    .await;
    until_found(
        &steering,
        &app,
        "so hoa so dia chinh xa dao",
        "task",
        twin_public,
    )
    .await;
    let mut url = reqwest::Url::parse(&app.url("/api/v1/search")).unwrap();
    url.query_pairs_mut()
        .append_pair("q", "số hóa sổ địa chính xã đảo")
        .append_pair("type", "task");
    let (_, v) = steering.get(url).call_json().await;
    let score = |id: i64| {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .map(|h| h["score"].as_f64().unwrap())
    };
    let (p, i) = (score(twin_public), score(twin_internal));
    assert!(p.is_some() && p == i, "{p:?} {i:?}: {v}");
    until_found(&hanoi, &app, "bảo mật hạ tầng", "task", secret).await;
    until_found(&steering, &app, "bao mat ha tang", "task", secret).await;
    // The same question, asked first by Hà Nội: answers are kept per state of the index, never
    // handed to a reader who may not see them.
    assert!(
        hits(&hanoi, &app, "bao mat ha tang thu do", "")
            .await
            .iter()
            .any(|h| h.1 == secret && h.0 == "task")
    );
    for c in [&anon, &daklak_officer, &citizen] {
        assert!(
            hits(c, &app, "bao mat ha tang thu do", "")
                .await
                .iter()
                .all(|h| h.1 != secret || h.0 != "task")
        );
    }
    until_found(
        &daklak_officer,
        &app,
        "rà soát nội bộ quy trình thẩm địn",
        "task",
        internal,
    )
    .await;
    assert!(
        !hits(&citizen, &app, "rà soát nội bộ quy trình", "task")
            .await
            .iter()
            .any(|h| h.1 == internal)
    );

    // Feedback: the citizen's own words are read only by the unit that holds the item; once
    // answered, the public finds the published text.
    let (s, v) = anon
        .post(app.url("/api/v1/feedback"))
        .json(&json!({"kind": "report", "category": "public_services",
            "title": "Đèn đường hỏng ở thôn Cư Êbur", "body": "Ba cột đèn đường trên tỉnh lộ không sáng từ tháng trước, rất nguy hiểm.",
            "unit_id": daklak, "submitter_kind": "citizen", "name": "Y Bih", "email": "ybih@example.vn"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let code = v["code"].as_str().unwrap().to_string();
    let item = app
        .scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await;
    let took = until_found(&daklak_officer, &app, "den duong", "feedback", item).await;
    println!(
        "a new feedback item was found {} ms after its submission",
        took.as_millis()
    );
    assert!(
        hits(&hanoi, &app, "đèn đường hỏng", "feedback")
            .await
            .is_empty()
    );
    assert!(
        hits(&anon, &app, "đèn đường hỏng", "feedback")
            .await
            .is_empty(),
        "not published yet"
    );
    // The inbox filtered by words: the item, and nothing for words it lacks.
    let (s, v) = daklak_officer
        .get(app.url(&format!(
            "/api/v1/feedback?unit={daklak}&q=den%20duong%20hong"
        )))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let inbox_ids: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!((inbox_ids, v["total"].as_i64()), (vec![item], Some(1)));
    let (_, v) = daklak_officer
        .get(app.url(&format!("/api/v1/feedback?unit={daklak}&q=cap%20nuoc")))
        .call_json()
        .await;
    assert_eq!(v["total"].as_i64(), Some(0), "{v}");
    for body in [
        json!({"action": "accept"}),
        json!({"action": "answer", "answer": "Điện lực đã thay bóng đèn."}),
    ] {
        let (s, v) = steering
            .post(app.url(&format!("/api/v1/feedback/{item}/actions")))
            .json(&body)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    until_found(&anon, &app, "đèn đường", "feedback", item).await;
    // The public list filtered by words, as data and as the page.
    let (_, v) = anon
        .get(app.url("/api/v1/feedback/published?q=den%20duong"))
        .call_json()
        .await;
    assert_eq!(v["total"].as_i64(), Some(1), "{v}");
    assert_eq!(v["items"][0]["code"], code.as_str());
    let (_, v) = anon
        .get(app.url("/api/v1/feedback/published?q=cap%20nuoc"))
        .call_json()
        .await;
    assert_eq!(v["total"].as_i64(), Some(0), "{v}");
    let (s, page) = anon
        .get(app.url("/feedback?q=%C4%91%C3%A8n%20%C4%91%C6%B0%E1%BB%9Dng"))
        .call_text()
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&code), "the page lists the item");
    let (_, page) = anon.get(app.url("/search?q=den%20duong")).call_text().await;
    assert!(
        page.contains(&format!("/feedback/track/{code}")) && page.contains("<mark>"),
        "the search page"
    );
    let (_, v) = anon
        .get(app.url("/api/v1/search?q=den%20duong&type=feedback"))
        .call_json()
        .await;
    let h = &v["hits"][0];
    assert_eq!(h["url"], format!("/feedback/track/{code}"));
    assert_eq!(h["full_text"], false);
    assert!(
        !v.to_string().contains("ybih@example.vn"),
        "no submitter details"
    );
    let (_, v) = daklak_officer
        .get(app.url("/api/v1/search?q=den%20duong&type=feedback"))
        .call_json()
        .await;
    assert_eq!(v["hits"][0]["url"], format!("/feedback/items/{item}"));
    assert_eq!(v["hits"][0]["full_text"], true);

    // Bad input: an unknown type is refused by name; an empty query finds nothing.
    let (s, v) = anon
        .get(app.url("/api/v1/search?q=x&type=people"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("\"type\""), "{v}");
    let (s, v) = anon
        .get(app.url("/api/v1/search?q=%20%2C"))
        .call_json()
        .await;
    assert_eq!((s, v["total"].as_u64()), (StatusCode::OK, Some(0)));
    // Paging: the cursor leads to the next hits, none repeated.
    let (_, p1) = anon
        .get(app.url("/api/v1/search?q=so&limit=5"))
        .call_json()
        .await;
    let next = p1["next_cursor"]
        .as_str()
        .expect("more than five hits for 'so'")
        .to_string();
    let (_, p2) = anon
        .get(app.url(&format!("/api/v1/search?q=so&limit=5&cursor={next}")))
        .call_json()
        .await;
    let ids = |v: &Value| -> Vec<(String, i64)> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["type"].as_str().unwrap().to_string(),
                    h["id"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&p1).len(), 5);
    assert!(ids(&p2).iter().all(|x| !ids(&p1).contains(x)));

    // A rebuild from the tables answers as the index kept current from the outbox did.
    let dir = common::scratch().join(format!("search-{}", common::unique()));
    let rebuilt = app::search::Search::new(&dir);
    let org = app::records::OrgIndex::default();
    let n = app::search::indexer::rebuild(&rebuilt, &app.db, &org, &|_, _| {})
        .await
        .unwrap();
    assert!(n > 3000, "units, tasks and the item: {n}");
    let steering_p = domain::policy::Principal {
        user_id: app.user_id("steering").await,
        token_id: None,
        role: domain::policy::Role::Steering,
        unit_id: app
            .scalar_i64("SELECT unit_id FROM users WHERE username = 'steering'")
            .await,
        username: "steering".into(),
    };
    for (q, kind) in [
        ("chu ky so", None),
        ("Dak Lak", None),
        ("đường dây", Some(domain::search::Kind::Task)),
        ("den duong", None),
    ] {
        let query = app::search::SearchQuery {
            q: q.into(),
            kind,
            limit: Some(50),
            ..Default::default()
        };
        let a = rebuilt
            .search(&org, &app.db, Some(&steering_p), &query)
            .await
            .unwrap();
        let mut url = reqwest::Url::parse(&app.url("/api/v1/search")).unwrap();
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("type", kind.map(|k| k.as_str()).unwrap_or(""))
            .append_pair("limit", "50");
        let (_, b) = steering.get(url).call_json().await;
        // The same records; the order of equal scores may differ (an index kept current still
        // counts deleted versions in its statistics until it merges them).
        let mut got: Vec<(String, i64)> = a
            .hits
            .iter()
            .map(|h| (h.kind.as_str().to_string(), h.id))
            .collect();
        let mut want = ids(&b);
        got.sort();
        want.sort();
        assert_eq!(got, want, "{q}");
        assert_eq!(a.total as u64, b["total"].as_u64().unwrap(), "{q}");
        assert!(a.total <= 50, "{q}: every hit compared");
    }

    // A second instance on the same database builds its own index and keeps it current.
    let second = common::TestApp::start_on(app.backend, app.db_url.clone(), |_| {}).await;
    let later = new_task(
        &app,
        programme,
        "S5",
        "Triển khai nền tảng định danh điện tử",
        "public",
    )
    .await;
    until_found(&anon, &app, "dinh danh dien tu", "task", later).await;
    until_found(&second.anon(), &second, "dinh danh dien tu", "task", later).await;
});

/// The two tests of a module whose `run` submits many items from one address: the intake's
/// per-address limit raised, on each backend.
macro_rules! on_both_backends_with_many_submissions {
    () => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            run(common::TestApp::start_with(common::Backend::Sqlite, |c| {
                c.feedback_per_ip_hour = 1000
            })
            .await)
            .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres() {
            run(common::TestApp::start_with(common::Backend::Postgres, |c| {
                c.feedback_per_ip_hour = 1000
            })
            .await)
            .await;
        }
    };
}

/// Duplicate detection end to end, through the index on each backend: near-duplicates with
/// known ground truth (seed::near_duplicates: reordered, unaccented, with typos, paraphrased)
/// submitted as citizens would; for each, what the Steering Committee is shown as similar.
/// Precision and recall against the groups; the goal is 0.9 and 0.8.
mod duplicates {
    use super::*;

    async fn run(app: common::TestApp) {
        let samples = seed::near_duplicates::samples(40, 5);
        let daklak = app.unit_id("66").await;
        let mut ids = vec![];
        for s in &samples {
            let (st, v) = app
                .anon()
                .post(app.url("/api/v1/feedback"))
                .json(
                    &json!({"kind": "report", "category": "public_services", "title": s.title,
                    "body": s.body, "unit_id": daklak, "submitter_kind": "citizen"}),
                )
                .call_json()
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            let code = v["code"].as_str().unwrap().to_string();
            ids.push(
                app.scalar_i64(&format!(
                    "SELECT id FROM feedback_items WHERE code = '{code}'"
                ))
                .await,
            );
        }
        let steering = bearer(&app.token("steering").await);
        until_found(
            &steering,
            &app,
            &samples.last().unwrap().title,
            "feedback",
            *ids.last().unwrap(),
        )
        .await;
        let (mut tp, mut fp, mut fnn) = (0, 0, 0);
        for (i, s) in samples.iter().enumerate() {
            let mut url = reqwest::Url::parse(&app.url("/api/v1/feedback/similar")).unwrap();
            url.query_pairs_mut()
                .append_pair("text", &format!("{} {}", s.title, s.body))
                .append_pair("except", &ids[i].to_string())
                .append_pair("limit", "20");
            let (st, v) = steering.get(url).call_json().await;
            assert_eq!(st, StatusCode::OK, "{v}");
            let said: Vec<i64> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["id"].as_i64().unwrap())
                .collect();
            for (j, t) in samples.iter().enumerate() {
                if i == j {
                    continue;
                }
                match (t.group == s.group, said.contains(&ids[j])) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fnn += 1,
                    _ => {}
                }
            }
        }
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fnn).max(1) as f64;
        println!(
            "duplicates through the index ({:?}): precision {precision:.3}, recall {recall:.3} ({tp} found, {fp} wrong, {fnn} missed)",
            app.backend
        );
        assert!(
            precision >= 0.9 && recall >= 0.8,
            "precision {precision:.3}, recall {recall:.3}"
        );
        // The public is shown only published items: none of these is.
        let (_, v) = app
            .anon()
            .get(app.url(&format!(
                "/api/v1/feedback/similar?text={}",
                samples[0].title
            )))
            .call_json()
            .await;
        assert_eq!(v.as_array().map(|a| a.len()), Some(0), "{v}");
    }

    on_both_backends_with_many_submissions!();
}

/// Routing suggestions end to end: items from three of the generator's topics are submitted about
/// communes of two provinces and handled where their topic belongs (the commune, its province, the
/// Ministry of Science and Technology), as triage would; the model trained on them suggests, for
/// new items, the commune, the province (also one it never saw: targets are relative to the unit
/// concerned) and the ministry, and the category. The officer changes a category with the
/// `categorise` move; wrong input gets field errors; another unit's officer is refused.
mod routing {
    use super::*;
    use seed::topics::{Handler, TOPICS};

    async fn submit(
        app: &common::TestApp,
        title: &str,
        body: &str,
        category: &str,
        unit: i64,
    ) -> i64 {
        let (st, v) = app
            .anon()
            .post(app.url("/api/v1/feedback"))
            .json(
                &json!({"kind": "report", "category": category, "title": title,
                "body": body, "unit_id": unit, "submitter_kind": "citizen"}),
            )
            .call_json()
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let code = v["code"].as_str().unwrap().to_string();
        app.scalar_i64(&format!(
            "SELECT id FROM feedback_items WHERE code = '{code}'"
        ))
        .await
    }

    async fn act(
        c: &reqwest::Client,
        app: &common::TestApp,
        id: i64,
        body: Value,
    ) -> (StatusCode, Value) {
        c.post(app.url(&format!("/api/v1/feedback/{id}/actions")))
            .json(&body)
            .call_json()
            .await
    }

    async fn run(app: common::TestApp) {
        let steering = bearer(&app.token("steering").await);
        let daklak = app.unit_id("66").await;
        let most = app.unit_id("BKHCN").await;
        let communes_of = |p: i64| {
            format!(
                "SELECT id FROM org_units WHERE parent_id = {p} AND valid_to IS NULL ORDER BY id LIMIT 1 OFFSET "
            )
        };
        let topic = |h: Handler, cat: &str| {
            TOPICS
                .iter()
                .find(|t| t.handler == h && t.category == cat)
                .unwrap()
        };
        let commune_topic = topic(Handler::Commune, "public_services");
        let province_topic = topic(Handler::Province, "data");
        let agency_topic = topic(Handler::Agency("BKHCN"), "intellectual_property");
        // Twelve items of each, about six communes of Đắk Lắk, each handled where it belongs.
        for i in 0..12usize {
            let commune = app
                .scalar_i64(&format!("{}{}", communes_of(daklak), i % 6))
                .await;
            for (t, to) in [
                (commune_topic, None),
                (province_topic, Some(daklak)),
                (agency_topic, Some(most)),
            ] {
                let title = t.titles[i % t.titles.len()];
                let body = format!(
                    "{} {}",
                    t.details[i % t.details.len()],
                    t.details[(i + 1) % t.details.len()]
                );
                let id = submit(&app, title, &body, t.category, commune).await;
                if let Some(to) = to {
                    let (st, v) = act(
                        &steering,
                        &app,
                        id,
                        json!({"action": "transfer", "to_unit": to, "note": "Thuộc thẩm quyền"}),
                    )
                    .await;
                    assert_eq!(st, StatusCode::OK, "{v}");
                    let (st, v) =
                        act(&steering, &app, id, json!({"action": "accept_transfer"})).await;
                    assert_eq!(st, StatusCode::OK, "{v}");
                } else {
                    let (st, v) = act(&steering, &app, id, json!({"action": "accept"})).await;
                    assert_eq!(st, StatusCode::OK, "{v}");
                }
            }
        }
        // Before any training the item page's API says so.
        let fresh = submit(
            &app,
            agency_topic.titles[0],
            agency_topic.details[2],
            "awareness",
            app.scalar_i64(&format!("{}0", communes_of(daklak))).await,
        )
        .await;
        let url = |id: i64| app.url(&format!("/api/v1/feedback/{id}/suggestions"));
        let (st, v) = steering.get(url(fresh)).call_json().await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert!(
            v["model"].is_null() && v["units"].as_array().unwrap().is_empty(),
            "{v}"
        );

        let m = app::feedback::train(&app.db, &|_, _| {}).await.unwrap();
        // One in ten items by id is held out; the rest are trained on.
        assert!(m.items >= 28 && m.items <= 36, "{m:?}");

        // An intellectual-property question, filed by its sender under the wrong category:
        // the ministry first, and the right category.
        let (st, v) = steering.get(url(fresh)).call_json().await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["units"][0]["unit_id"], most, "{v}");
        assert_eq!(v["units"][0]["current"], false, "{v}");
        assert!(v["units"][0]["confidence"].as_f64().unwrap() > 0.5, "{v}");
        assert_eq!(v["categories"][0]["code"], "intellectual_property", "{v}");
        assert_eq!(v["model"]["id"], m.id, "{v}");
        let total: f64 = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["confidence"].as_f64().unwrap())
            .sum();
        assert!(total <= 1.0 + 1e-9, "{v}");

        // A planning-data question about a commune of a province never seen in training: that
        // province (one level up from the commune), not Đắk Lắk.
        let hanoi = app.unit_id("01").await;
        let hanoi_commune = app.scalar_i64(&format!("{}3", communes_of(hanoi))).await;
        let other = submit(
            &app,
            province_topic.titles[1],
            province_topic.details[0],
            "data",
            hanoi_commune,
        )
        .await;
        let (_, v) = steering.get(url(other)).call_json().await;
        assert_eq!(v["units"][0]["unit_id"], hanoi, "{v}");
        // The same question about the province itself: the province, never the national level.
        let about_hanoi = submit(
            &app,
            province_topic.titles[0],
            province_topic.details[2],
            "data",
            hanoi,
        )
        .await;
        let (_, v) = steering.get(url(about_hanoi)).call_json().await;
        assert_eq!(v["units"][0]["unit_id"], hanoi, "{v}");
        let national = app.unit_id("VN").await;
        assert!(
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u["unit_id"] != national),
            "{v}"
        );
        // A one-stop-shop complaint stays with its commune, which holds it.
        let local = submit(
            &app,
            commune_topic.titles[0],
            commune_topic.details[1],
            "public_services",
            hanoi_commune,
        )
        .await;
        let (_, v) = steering.get(url(local)).call_json().await;
        assert_eq!(v["units"][0]["unit_id"], hanoi_commune, "{v}");
        assert_eq!(v["units"][0]["current"], true, "{v}");
        assert_eq!(v["categories"][0]["current"], true, "{v}");

        // Only those who may handle the item see suggestions.
        let (st, _) = bearer(&app.token("daklak.officer").await)
            .get(url(other))
            .call_json()
            .await;
        assert_eq!(st, StatusCode::FORBIDDEN);
        let (st, _) = app.anon().get(url(other)).call_json().await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);

        // The officer follows the category suggestion; the move is in the history and the audit.
        let (st, v) = act(
            &steering,
            &app,
            fresh,
            json!({"action": "categorise", "category": "intellectual_property"}),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["category"], "intellectual_property");
        assert_eq!(app.scalar_i64(&format!("SELECT COUNT(*) FROM feedback_events WHERE item_id = {fresh} AND action = 'categorise'")).await, 1);
        assert_eq!(app.scalar_i64(&format!("SELECT COUNT(*) FROM audit_log WHERE object_type = 'feedback' AND object_id = '{fresh}' AND after_json LIKE '%categorise%'")).await, 1);
        for (category, err) in [
            ("intellectual_property", "err-same-category"),
            ("nope", "err-unknown-category"),
            ("", "err-required"),
        ] {
            let (st, v) = act(
                &steering,
                &app,
                fresh,
                json!({"action": "categorise", "category": category}),
            )
            .await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
            assert_eq!(v["errors"][0]["field"], "category", "{v}");
            assert_eq!(v["errors"][0]["code"], err, "{v}");
        }
        // A settled item keeps its category.
        let (st, _) = act(
            &steering,
            &app,
            local,
            json!({"action": "decline", "note": "Không thuộc phạm vi"}),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        let (st, v) = act(
            &steering,
            &app,
            local,
            json!({"action": "categorise", "category": "data"}),
        )
        .await;
        assert_eq!(st, StatusCode::CONFLICT, "{v}");
    }

    on_both_backends_with_many_submissions!();
}

/// The background duplicate pass: a citizen sends what another sent a moment before, in other
/// words and without diacritics; within seconds the officers' inbox marks the second item as a
/// possible duplicate of the first (and only that one), without anyone opening it.
mod duplicate_pass {
    use super::*;

    async fn run(app: common::TestApp) {
        let daklak = app.unit_id("66").await;
        let mut codes = vec![];
        for (title, body) in [
            (
                "Đèn đường hỏng tại thôn Ea Kao, xã Hòa Phú",
                "Hệ thống đèn chiếu sáng công cộng không hoạt động vào ban đêm tại thôn Ea Kao, người dân đi lại rất nguy hiểm.",
            ),
            (
                "Den duong hong o thon Ea Kao xa Hoa Phu",
                "He thong den chieu sang cong cong khong hoat dong vao ban dem o thon Ea Kao, ba con di lai rat nguy hiem.",
            ),
            (
                "Đề nghị mở lớp kỹ năng số cho người cao tuổi",
                "Nhiều người cao tuổi trong thôn chưa biết cài ứng dụng và thanh toán không dùng tiền mặt.",
            ),
        ] {
            let (st, v) = app
                .anon()
                .post(app.url("/api/v1/feedback"))
                .json(
                    &json!({"kind": "report", "category": "public_services", "title": title,
                    "body": body, "unit_id": daklak, "submitter_kind": "citizen"}),
                )
                .call_json()
                .await;
            assert_eq!(st, StatusCode::CREATED, "{v}");
            codes.push(v["code"].as_str().unwrap().to_string());
        }
        let officer = bearer(&app.token("daklak.officer").await);
        let url = app.url(&format!("/api/v1/feedback?unit={daklak}"));
        let marks = |v: &Value| -> Vec<(String, Option<String>)> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["code"].as_str().unwrap().to_string(),
                        r["possible_duplicate_of"].as_str().map(str::to_string),
                    )
                })
                .collect()
        };
        let t = Instant::now();
        loop {
            let (st, v) = officer.get(&url).call_json().await;
            assert_eq!(st, StatusCode::OK, "{v}");
            let m = marks(&v);
            if m.iter().any(|(_, d)| d.is_some()) {
                let marked: Vec<_> = m.iter().filter(|(_, d)| d.is_some()).collect();
                assert_eq!(
                    marked,
                    vec![&(codes[1].clone(), Some(codes[0].clone()))],
                    "{v}"
                );
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(60), "never marked: {v}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM feedback_duplicates")
                .await,
            1
        );
    }

    on_both_backends_with_many_submissions!();
}
