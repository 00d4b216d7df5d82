//! Evaluation and ranking through the API, on SQLite and PostgreSQL: a method's life from draft to
//! published (and frozen), editions computed from the platform's data and reproducible, what the
//! public sees, inspectors' values with evidence, why a score changed, what-if weights.

mod common;

use common::{Call, bearer};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn document() -> Value {
    serde_json::to_value(seed::demo_rankings::example_method(true)).unwrap()
}

async fn post(
    c: &reqwest::Client,
    app: &common::TestApp,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    c.post(app.url(path)).json(&body).call_json().await
}

/// Inspection findings for the first `n` provinces by code (value 40 + 10·i), so that editions
/// have data to rank by.
async fn findings(app: &common::TestApp, n: usize) -> Vec<i64> {
    let inspector = bearer(&app.token("inspector").await);
    let ids = app
        .scalar_text("SELECT STRING_AGG(CAST(id AS TEXT), ',' ORDER BY code) FROM org_units WHERE kind = 'province' AND valid_to IS NULL")
        .await;
    let ids: Vec<i64> = ids.split(',').take(n).map(|x| x.parse().unwrap()).collect();
    for (i, id) in ids.iter().enumerate() {
        common::finding(app, &inspector, *id, "2026", 40.0 + 10.0 * i as f64).await;
    }
    ids
}

/// A published method for the provinces: (method, its first version).
async fn published_method(
    app: &common::TestApp,
    steering: &reqwest::Client,
    code: &str,
) -> (i64, i64) {
    common::example_method(app, steering, code, true).await
}

both!(a_published_method_version_never_changes, |app| {
    let steering = bearer(&app.token("steering").await);
    let (s, v) = post(
        &steering,
        &app,
        "/api/v1/methods",
        json!({"code": "T1", "peer_group": "province", "name_vi": "Chỉ số thử", "document": document()}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let version = v["version"]["id"].as_i64().unwrap();
    assert_eq!(v["version"]["state"], "draft");
    // A draft can be edited; a weight that is not positive is refused next to its place.
    let mut doc = document();
    doc["pillars"][0]["node"]["weight"] = json!(-1);
    let (s, v) = steering
        .put(app.url(&format!("/api/v1/method-versions/{version}")))
        .json(&json!({"document": doc}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "document.pillars.0.weight", "{v}");
    doc["pillars"][0]["node"]["weight"] = json!(55);
    let (s, v) = steering
        .put(app.url(&format!("/api/v1/method-versions/{version}")))
        .json(&json!({"document": doc, "note": "trọng số 55"}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Approved, then published: no edit, no return, nothing moves it any more.
    for action in ["approve", "publish"] {
        let (s, v) = post(
            &steering,
            &app,
            &format!("/api/v1/method-versions/{version}/actions"),
            json!({"action": action}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = steering
        .put(app.url(&format!("/api/v1/method-versions/{version}")))
        .json(&json!({"document": document()}))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["code"], "err-rank-version-frozen", "{v}");
    for action in ["return", "approve", "publish"] {
        let (s, _) = post(
            &steering,
            &app,
            &format!("/api/v1/method-versions/{version}/actions"),
            json!({"action": action, "reason": "thử"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{action}");
    }
    let stored = app
        .scalar_text(&format!(
            "SELECT document FROM rank_method_versions WHERE id = {version}"
        ))
        .await;
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored["pillars"][0]["node"]["weight"], 55.0);
    // Each step is in the audit trail.
    let audited = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE object_type = 'rank_version' AND object_id = '{version}'"
        ))
        .await;
    assert_eq!(audited, 4, "created, edited, approved, published");
    // Only the Steering Committee writes methods.
    let (s, _) = post(
        &bearer(&app.token("daklak.leader").await),
        &app,
        "/api/v1/methods",
        json!({"code": "T2", "peer_group": "province", "name_vi": "x", "document": document()}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

both!(
    an_edition_is_reproducible_and_public_only_once_published,
    |app| {
        let steering = bearer(&app.token("steering").await);
        let (_, version) = published_method(&app, &steering, "T3").await;
        let scored = findings(&app, 5).await;
        let compute = || {
            post(
                &steering,
                &app,
                "/api/v1/rankings",
                json!({"version_id": version, "period": "2026", "as_of": "2026-11-30"}),
            )
        };
        let (s, first) = compute().await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        let id = first["id"].as_i64().unwrap();
        // The same data give the same hash and the same scores.
        let (_, second) = compute().await;
        assert_eq!(first["inputs_hash"], second["inputs_hash"]);
        let (_, a) = steering
            .get(app.url(&format!("/api/v1/rankings/{id}")))
            .call_json()
            .await;
        let (_, b) = steering
            .get(app.url(&format!("/api/v1/rankings/{}", second["id"])))
            .call_json()
            .await;
        let scores = |v: &Value| -> Vec<(i64, Value, Value)> {
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| {
                    (
                        u["unit_id"].as_i64().unwrap(),
                        u["score"].clone(),
                        u["rank"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(scores(&a), scores(&b));
        assert_eq!(a["units"].as_array().unwrap().len(), 34, "every province");
        // Ranked: the provinces with data, best finding first; the others are listed unranked.
        let ranked: Vec<i64> = a["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| !u["rank"].is_null())
            .map(|u| u["unit_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ranked, scored.iter().rev().copied().collect::<Vec<_>>());
        // Ranked: the provinces with data, best finding first; the others are listed unranked.
        let ranked: Vec<i64> = a["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| !u["rank"].is_null())
            .map(|u| u["unit_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ranked, scored.iter().rev().copied().collect::<Vec<_>>());
        let (_, r) = steering
            .get(app.url(&format!("/api/v1/rankings/{id}/reproduce")))
            .call_json()
            .await;
        assert_eq!(r["reproduced"], true);
        // A stored score changed behind the edition's back is caught.
        app.exec(&format!("UPDATE rank_edition_units SET score = score + 1 WHERE edition_id = {id} AND score IS NOT NULL")).await;
        let (_, r) = steering
            .get(app.url(&format!("/api/v1/rankings/{id}/reproduce")))
            .call_json()
            .await;
        assert_eq!(r["reproduced"], false);
        app.exec(&format!("UPDATE rank_edition_units SET score = score - 1 WHERE edition_id = {id} AND score IS NOT NULL")).await;
        // Unpublished: not there for the public or a province; there for inspectors.
        let anon = app.anon();
        let (s, _) = anon
            .get(app.url(&format!("/api/v1/rankings/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bearer(&app.token("daklak.officer").await)
            .get(app.url(&format!("/api/v1/rankings/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = bearer(&app.token("inspector").await)
            .get(app.url(&format!("/api/v1/rankings/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, list) = anon.get(app.url("/api/v1/rankings")).call_json().await;
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|e| e["edition"]["id"] != id)
        );
        // Published with scores only: ranks and grades, no pillars, no scorecard lines.
        let (s, v) = post(
            &steering,
            &app,
            &format!("/api/v1/rankings/{id}/publish"),
            json!({"detail": "scores"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = anon
            .get(app.url(&format!("/api/v1/rankings/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u.get("pillars").is_none())
        );
        let dak_lak = app.unit_id("66").await;
        let (_, card) = anon
            .get(app.url(&format!("/api/v1/rankings/{id}/units/{dak_lak}")))
            .call_json()
            .await;
        assert_eq!(card["lines"], json!([]));
        assert_eq!(scores(&v), scores(&a));
        // Published once: never again.
        let (s, _) = post(
            &steering,
            &app,
            &format!("/api/v1/rankings/{id}/publish"),
            json!({"detail": "full"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        // Another edition published with its pillars: each unit's pillars, and a scorecard of
        // the pillars alone (no measure, no raw value).
        let (s, e) = post(
            &steering,
            &app,
            "/api/v1/rankings",
            json!({"version_id": version, "period": "2026"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let second = e["id"].as_i64().unwrap();
        let (s, v) = post(
            &steering,
            &app,
            &format!("/api/v1/rankings/{second}/publish"),
            json!({"detail": "pillars"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = anon
            .get(app.url(&format!("/api/v1/rankings/{second}")))
            .call_json()
            .await;
        let ranked: Vec<&Value> = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| !u["rank"].is_null())
            .collect();
        assert!(!ranked.is_empty());
        assert!(
            ranked
                .iter()
                .all(|u| u["pillars"].as_object().is_some_and(|p| p.len() == 4)),
            "{v}"
        );
        let (_, card) = anon
            .get(app.url(&format!("/api/v1/rankings/{second}/units/{dak_lak}")))
            .call_json()
            .await;
        let lines = card["lines"].as_array().unwrap();
        assert_eq!(
            lines
                .iter()
                .map(|l| l["code"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["work", "citizens", "data", "inspection"],
            "{card}"
        );
        let (s, why) = anon
            .get(app.url(&format!(
                "/api/v1/rankings/{second}/units/{dak_lak}/why?from={second}"
            )))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{why}");
    }
);

both!(
    an_inspectors_finding_moves_the_score_and_why_says_where,
    |app| {
        let steering = bearer(&app.token("steering").await);
        let inspector = bearer(&app.token("inspector").await);
        let (_, version) = published_method(&app, &steering, "T4").await;
        let dak_lak = app.unit_id("66").await;
        let others = findings(&app, 6).await;
        assert!(!others.contains(&dak_lak));
        let (s, v) = post(&inspector, &app, "/api/v1/expert-scores",
            json!({"key": "inspection", "unit_id": dak_lak, "period": "2026", "value": 30, "evidence": "Biên bản đầu"})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let edition = || {
            let steering = steering.clone();
            let app = &app;
            async move {
                let (s, e) = post(
                    &steering,
                    app,
                    "/api/v1/rankings",
                    json!({"version_id": version, "period": "2026", "as_of": "2026-11-30"}),
                )
                .await;
                assert_eq!(s, StatusCode::CREATED, "{e}");
                e["id"].as_i64().unwrap()
            }
        };
        let before = edition().await;
        // Evidence is required; a unit's officer may not enter findings.
        let finding = json!({"key": "inspection", "unit_id": dak_lak, "period": "2026", "value": 100, "evidence": ""});
        let (s, v) = post(&inspector, &app, "/api/v1/expert-scores", finding.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["errors"][0]["field"], "evidence");
        let mut finding = finding;
        finding["evidence"] = json!("Biên bản kiểm tra số 12/BB-BCĐ ngày 20/11/2026");
        let (s, _) = post(
            &bearer(&app.token("daklak.officer").await),
            &app,
            "/api/v1/expert-scores",
            finding.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = post(&inspector, &app, "/api/v1/expert-scores", finding).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let after = edition().await;
        let card = |id: i64| {
            let steering = steering.clone();
            let app = &app;
            async move {
                let (s, v) = steering
                    .get(app.url(&format!("/api/v1/rankings/{id}/units/{dak_lak}")))
                    .call_json()
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v
            }
        };
        let (b, a) = (card(before).await, card(after).await);
        let line = |v: &Value, code: &str| -> Value {
            v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["code"] == code)
                .unwrap()
                .clone()
        };
        // The finding replaced, with its evidence; the earlier one is in the audit trail.
        assert_eq!(line(&b, "inspection_score")["part"]["raw"], 30.0);
        assert_eq!(line(&a, "inspection_score")["part"]["raw"], 100.0);
        assert_eq!(b["unit"]["rank"], 7, "the lowest of seven");
        assert_eq!(a["unit"]["rank"], 1);
        let entered = app
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'rank_expert.enter' AND object_id = 'inspection:{dak_lak}:2026'"
            ))
            .await;
        assert_eq!(entered, 2);
        assert_eq!(line(&a, "inspection_score")["part"]["points"], 100.0);
        // Why: the change is all in the inspection pillar, and the parts add up to it.
        let (s, why) = steering
            .get(app.url(&format!(
                "/api/v1/rankings/{after}/units/{dak_lak}/why?from={before}"
            )))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{why}");
        let parts = why.as_array().unwrap();
        let sum: f64 = parts.iter().map(|p| p["delta"].as_f64().unwrap()).sum();
        let change = a["unit"]["score"].as_f64().unwrap() - b["unit"]["score"].as_f64().unwrap();
        assert!(change > 0.0);
        assert!((sum - change).abs() < 1e-9, "{sum} vs {change}");
        for p in parts {
            if p["code"] != "inspection" {
                assert!(p["delta"].as_f64().unwrap().abs() < 1e-9, "{p}");
            }
        }
        // What-if: the pillar weighted ten times more lifts Đắk Lắk's rank; nothing is saved.
        let (s, w) = post(
            &steering,
            &app,
            &format!("/api/v1/rankings/{after}/what-if"),
            json!({"weights": {"inspection": 200}}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{w}");
        let mine = w
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["unit_id"] == dak_lak)
            .unwrap()
            .clone();
        assert!(
            mine["rank"].as_u64().unwrap() <= mine["was"].as_u64().unwrap(),
            "{mine}"
        );
        let (s, v) = post(
            &steering,
            &app,
            &format!("/api/v1/rankings/{after}/what-if"),
            json!({"weights": {"nothing": 2}}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (_, again) = steering
            .get(app.url(&format!("/api/v1/rankings/{after}/reproduce")))
            .call_json()
            .await;
        assert_eq!(again["reproduced"], true);
    }
);

both!(
    a_ranking_of_every_commune_comes_a_hundred_to_a_page,
    |app| {
        // The communes nationwide: every one is listed (those without data unranked), a hundred to
        // a page, the last page holding the rest.
        let steering = bearer(&app.token("steering").await);
        let doc = serde_json::to_value(seed::demo_rankings::example_method(false)).unwrap();
        let (s, v) = post(
            &steering,
            &app,
            "/api/v1/methods",
            json!({"code": "XA", "peer_group": "commune", "name_vi": "Xã thử", "document": doc}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let version = v["version"]["id"].as_i64().unwrap();
        let (s, e) = post(
            &steering,
            &app,
            "/api/v1/rankings",
            json!({"version_id": version, "period": "2026", "as_of": "2026-11-30"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let id = e["id"].as_i64().unwrap();
        let communes = app
        .scalar_i64("SELECT COUNT(*) FROM org_units WHERE kind IN ('commune', 'ward', 'special_zone') AND valid_to IS NULL")
        .await;
        assert!(communes > 3000, "{communes}");
        let page = app.signed_in("steering").await;
        let rows = |html: &str| {
            html.matches(&format!("href=\"/rankings/{id}/units/"))
                .count()
        };
        let (s, first) = page
            .get(app.url(&format!("/rankings/{id}")))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(rows(&first), 100);
        assert!(
            first.contains(&format!("href=\"/rankings/{id}?page=2\"")),
            "a next page"
        );
        let last = (communes as usize).div_ceil(100);
        let (_, end) = page
            .get(app.url(&format!("/rankings/{id}?page={last}")))
            .call_text()
            .await;
        assert_eq!(rows(&end) as i64, communes - 100 * (last as i64 - 1));
        assert!(!end.contains("rel=\"next\""));
        // The communes of Đắk Lắk alone: every one of them, and no other.
        let dl = app.unit_id("66").await;
        let in_dl = app
            .scalar_i64(&format!("SELECT COUNT(*) FROM org_units WHERE parent_id = {dl} AND kind IN ('commune', 'ward', 'special_zone') AND valid_to IS NULL"))
            .await;
        let mut seen = 0;
        for n in 1..=(in_dl as usize).div_ceil(100) {
            let (s, html) = page
                .get(app.url(&format!("/rankings/{id}?province={dl}&page={n}")))
                .call_text()
                .await;
            assert_eq!(s, StatusCode::OK);
            seen += rows(&html) as i64;
            if n == 1 && in_dl > 100 {
                assert!(
                    html.contains(&format!("/rankings/{id}?province={dl}&#38;page=2")),
                    "the next page keeps the province"
                );
            }
        }
        assert_eq!(seen, in_dl);
        let other = app
            .scalar_i64(&format!("SELECT MIN(id) FROM org_units WHERE parent_id <> {dl} AND kind = 'commune' AND valid_to IS NULL"))
            .await;
        let (_, html) = page
            .get(app.url(&format!("/rankings/{id}?province={dl}")))
            .call_text()
            .await;
        assert!(!html.contains(&format!("/rankings/{id}/units/{other}\"")));
    }
);

both!(
    the_changes_between_editions_a_units_history_and_the_spreadsheet,
    |app| {
        let steering = bearer(&app.token("steering").await);
        let inspector = bearer(&app.token("inspector").await);
        let ids = findings(&app, 5).await;
        let (_, version) = published_method(&app, &steering, "LOG").await;
        let compute = || async {
            let (s, e) = post(
                &steering,
                &app,
                "/api/v1/rankings",
                json!({"version_id": version, "period": "2026"}),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{e}");
            e["id"].as_i64().unwrap()
        };
        let first = compute().await;
        // The inspection turns the order of the first and the last province around, and finds a
        // sixth province.
        let sixth: i64 = app
            .scalar_text("SELECT CAST(id AS TEXT) FROM org_units WHERE kind = 'province' AND valid_to IS NULL ORDER BY code LIMIT 1 OFFSET 5")
            .await
            .parse()
            .unwrap();
        for (unit, value) in [(ids[0], 95.0), (ids[4], 30.0), (sixth, 60.0)] {
            common::finding(&app, &inspector, unit, "2026", value).await;
        }
        let second = compute().await;
        let (_, none) = steering
            .get(app.url(&format!("/api/v1/rankings/{first}/changes")))
            .call_json()
            .await;
        assert_eq!(none, Value::Null, "the first edition has nothing before it");

        // The changelog, against the two editions' own ranks.
        let ranks = |v: &Value| -> std::collections::BTreeMap<i64, i64> {
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| !u["rank"].is_null())
                .map(|u| (u["unit_id"].as_i64().unwrap(), u["rank"].as_i64().unwrap()))
                .collect()
        };
        let (_, a) = steering
            .get(app.url(&format!("/api/v1/rankings/{first}")))
            .call_json()
            .await;
        let (_, b) = steering
            .get(app.url(&format!("/api/v1/rankings/{second}")))
            .call_json()
            .await;
        let (ra, rb) = (ranks(&a), ranks(&b));
        let (s, log) = steering
            .get(app.url(&format!("/api/v1/rankings/{second}/changes")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{log}");
        assert_eq!(log["before"], first);
        let units = |k: &str| -> Vec<i64> {
            let mut v: Vec<i64> = log["changes"][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["unit"].as_i64().unwrap())
                .collect();
            v.sort();
            v
        };
        let expect = |f: &dyn Fn(i64, i64) -> bool| -> Vec<i64> {
            ra.iter()
                .filter(|(u, r)| rb.get(u).is_some_and(|n| f(**r, *n)))
                .map(|(u, _)| *u)
                .collect()
        };
        assert_eq!(units("risers"), expect(&|was, now| now < was), "{log}");
        assert_eq!(units("fallers"), expect(&|was, now| now > was), "{log}");
        assert!(units("risers").contains(&ids[0]) && units("fallers").contains(&ids[4]));
        assert_eq!(log["changes"]["entered"], json!([sixth]), "{log}");
        // The table draws a rank sparkline for each unit ranked in both editions.
        let (s, page) = app
            .signed_in("steering")
            .await
            .get(app.url(&format!("/rankings/{second}")))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        let both = ra.keys().filter(|u| rb.contains_key(u)).count();
        assert_eq!(page.matches("class=\"spark\"").count(), both);

        // A unit's history: its score and rank in each edition, oldest first.
        let (s, h) = steering
            .get(app.url(&format!(
                "/api/v1/rankings/{second}/units/{}/history",
                ids[0]
            )))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{h}");
        let score = |v: &Value| {
            v["units"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["unit_id"] == ids[0])
                .unwrap()["score"]
                .clone()
        };
        assert_eq!(
            h,
            json!([
                {"edition_id": first, "period": "2026", "as_of": a["edition"]["as_of"], "score": score(&a), "rank": ra[&ids[0]], "grade": a["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == ids[0]).unwrap()["grade"]},
                {"edition_id": second, "period": "2026", "as_of": b["edition"]["as_of"], "score": score(&b), "rank": rb[&ids[0]], "grade": b["units"].as_array().unwrap().iter().find(|u| u["unit_id"] == ids[0]).unwrap()["grade"]},
            ])
        );

        // The spreadsheet: one line per unit, in the edition's order, with its rank, code, name
        // and score as the JSON gives them.
        let r = steering
            .get(app.url(&format!("/api/v1/rankings/{second}?format=csv")))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = r.text().await.unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let lines: Vec<&str> = text.lines().collect();
        let units_b = b["units"].as_array().unwrap();
        assert_eq!(lines.len(), units_b.len() + 1, "{text}");
        let top = &units_b[0];
        let fields: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(fields[0], top["rank"].to_string(), "{text}");
        assert!(lines[1].contains(top["name"].as_str().unwrap()), "{text}");
        let csv_score: f64 = fields[3].parse().unwrap();
        assert!(
            (csv_score - top["score"].as_f64().unwrap()).abs() < 0.051,
            "{text}"
        );
        let r = steering
            .get(app.url(&format!("/api/v1/rankings/{second}?format=xlsx")))
            .call()
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));
        let (s, p) = steering
            .get(app.url(&format!("/api/v1/rankings/{second}?format=pdf")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    }
);

both!(a_measure_of_indicator_targets_reached, |app| {
    // Đắk Lắk reaches 70 % against its own target of 80 %: 87.5 %. Hà Nội reaches 90 %
    // against the national path (baseline 45 %, 65 % by 2027): beyond it, counted 100 %.
    let set = app::indicators::builtin::create_province_set(
        &app.db,
        &store::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    let dvctt = app
        .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.DVCTT'")
        .await;
    let (dl, hn) = (app.unit_id("66").await, app.unit_id("01").await);
    let admin = bearer(&app.token("admin").await);
    let steering = bearer(&app.token("steering").await);
    for (unit, n) in [(dl, "7"), (hn, "9")] {
        let (s, v) = admin
                .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
                .json(&json!({"unit": unit, "period": "2026Q3", "values": [{"indicator_id": dvctt, "numerator": n, "denominator": "10"}]}))
                .call_json()
                .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = steering
        .put(app.url(&format!("/api/v1/indicators/{dvctt}/targets")))
        .json(&json!({"unit": dl, "period": "2026", "value": "≥ 80"}))
        .call_json()
        .await;
    assert!(s.is_success(), "{v}");
    let mut doc = document();
    doc["pillars"] = json!([{"node": {"code": "ind", "name": {"vi": "Chỉ tiêu"}, "weight": 1.0, "aggregation": "arithmetic",
            "children": [{"measure": {"code": "targets", "name": {"vi": "Đạt chỉ tiêu"}, "weight": 1.0, "source": "indicators.achievement",
                "better": "higher", "normalisation": {"kind": "goalposts", "worst": 0.0, "best": 100.0}, "missing": "exclude"}}]}}]);
    let (s, v) = post(
            &steering,
            &app,
            "/api/v1/methods",
            json!({"code": "IND", "peer_group": "province", "name_vi": "Chỉ tiêu thử", "document": doc}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let version = v["version"]["id"].as_i64().unwrap();
    let (s, e) = post(
        &steering,
        &app,
        "/api/v1/rankings",
        json!({"version_id": version, "period": "2026", "as_of": "2026-11-30"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let id = e["id"].as_i64().unwrap();
    let raw = |unit: i64| {
        let steering = steering.clone();
        let url = app.url(&format!("/api/v1/rankings/{id}/units/{unit}"));
        async move {
            let (_, card) = steering.get(url).call_json().await;
            card["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["code"] == "targets")
                .unwrap()["part"]["raw"]
                .clone()
        }
    };
    assert_eq!(raw(dl).await.as_f64().unwrap(), 87.5);
    assert_eq!(raw(hn).await.as_f64().unwrap(), 100.0);
    let other = app.unit_id("04").await;
    assert!(raw(other).await.is_null(), "no value, nothing judged");
    let (_, v) = steering
        .get(app.url(&format!("/api/v1/rankings/{id}")))
        .call_json()
        .await;
    let rank = |u: i64| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["unit_id"] == u)
            .unwrap()["rank"]
            .clone()
    };
    assert_eq!((rank(hn), rank(dl)), (json!(1), json!(2)), "{v}");
});

both!(a_measure_of_indicator_data_in_time_and_approved, |app| {
    // Đắk Lắk's third-quarter sheet, submitted on 5 October (the deadline is 10 October) and
    // approved: one sheet of the three due by 30 November kept, 33.3 %. Hà Nội's submitted and
    // not approved: 0 %. A province that reports nothing has nothing due.
    let set = app::indicators::builtin::create_province_set(
        &app.db,
        &store::audit::Actor::system("test"),
    )
    .await
    .unwrap();
    let kns = app
        .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.DVCTT'")
        .await;
    let (dl, hn) = (app.unit_id("66").await, app.unit_id("01").await);
    let admin = bearer(&app.token("admin").await);
    let leader = bearer(&app.token("daklak.leader").await);
    let steering = bearer(&app.token("steering").await);
    for unit in [dl, hn] {
        let (s, v) = admin
                .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
                .json(&json!({"unit": unit, "period": "2026Q3", "values": [{"indicator_id": kns, "numerator": "7", "denominator": "10"}]}))
                .call_json()
                .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = post(
            &admin,
            &app,
            &format!("/api/v1/indicator-sets/{set}/submissions"),
            json!({"unit": unit, "period": "2026Q3", "move": "submit"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (s, v) = post(
        &leader,
        &app,
        &format!("/api/v1/indicator-sets/{set}/submissions"),
        json!({"unit": dl, "period": "2026Q3", "move": "approve"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Submitted today, which is after the deadline: moved back to 5 October, as if sent then.
    let moved = app
            .scalar_text(&format!("UPDATE indicator_submissions SET submitted_at = '2026-10-05T03:00:00+00:00' WHERE unit_id = {dl} RETURNING CAST(unit_id AS TEXT)"))
            .await;
    assert_eq!(moved, dl.to_string());
    let mut doc = document();
    doc["pillars"] = json!([{"node": {"code": "data", "name": {"vi": "Số liệu"}, "weight": 1.0, "aggregation": "arithmetic",
            "children": [{"measure": {"code": "in_time", "name": {"vi": "Nộp đúng hạn"}, "weight": 1.0, "source": "indicators.on_time",
                "better": "higher", "normalisation": {"kind": "goalposts", "worst": 0.0, "best": 100.0}, "missing": "exclude"}}]}}]);
    let (s, v) = post(&steering, &app, "/api/v1/methods",
            json!({"code": "DATA", "peer_group": "province", "name_vi": "Số liệu thử", "document": doc})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let version = v["version"]["id"].as_i64().unwrap();
    let (s, e) = post(
        &steering,
        &app,
        "/api/v1/rankings",
        json!({"version_id": version, "period": "2026", "as_of": "2026-11-30"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let id = e["id"].as_i64().unwrap();
    let raw = |unit: i64| {
        let steering = steering.clone();
        let url = app.url(&format!("/api/v1/rankings/{id}/units/{unit}"));
        async move {
            let (_, card) = steering.get(url).call_json().await;
            card["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["code"] == "in_time")
                .unwrap()["part"]["raw"]
                .clone()
        }
    };
    let got = raw(dl).await.as_f64().unwrap();
    assert!((got - 100.0 / 3.0).abs() < 1e-9, "{got}");
    assert_eq!(raw(hn).await.as_f64().unwrap(), 0.0);
    assert!(raw(app.unit_id("04").await).await.is_null());
});

both!(
    a_measure_of_the_catalogue_counts_what_was_accepted_by_the_date,
    |app| {
        // Đắk Lắk declares two databases ten days ago; one is accepted today and measured today
        // (90 of 100 records right, 1,000 of the 1,000 expected, fresh): as of today 50 % accepted
        // and quality (90 + 100 + 100) / 3; as of yesterday both were still waiting (0 %) and
        // neither was measured. Hà Nội has declared nothing: no value, and the method's rule
        // ("missing": "zero") counts it as 0 points, shown on its scorecard.
        let officer = bearer(&app.token("daklak.officer").await);
        let leader = bearer(&app.token("daklak.leader").await);
        let steering = bearer(&app.token("steering").await);
        let (dl, hn) = (app.unit_id("66").await, app.unit_id("01").await);
        let mut ids = vec![];
        for code in ["DL-RANK-A", "DL-RANK-B"] {
            let mut d = json!({
                "owner_unit_id": dl, "code": code, "name_vi": format!("Cơ sở dữ liệu {code}"),
                "kind": "local", "purpose": "Thử xếp hạng", "themes": ["REGI"],
                "expected_population": 1000, "frequency": "daily", "lifecycle": "operating",
                "hosting": "unit_centre", "security_level": 1,
            });
            d["is_public"] = json!(false);
            let (s, v) = post(&officer, &app, "/api/v1/catalogue", d).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            ids.push(v["id"].as_i64().unwrap());
        }
        let step = |c: &reqwest::Client, id: i64, m: &'static str| {
            let (c, url) = (c.clone(), app.url(&format!("/api/v1/catalogue/{id}/moves")));
            async move {
                let (s, v) = c
                    .post(url)
                    .json(&json!({"move": m, "reason": ""}))
                    .call_json()
                    .await;
                assert_eq!(s, StatusCode::OK, "{m}: {v}");
            }
        };
        for id in &ids {
            step(&officer, *id, "declare").await;
        }
        step(&leader, ids[0], "approve").await;
        // Everything but today's acceptance moved back ten days, as if it happened then.
        let now = chrono::Utc::now();
        let stamp =
            |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
        app.exec(&format!(
            "UPDATE catalogue_states SET at = '{}'",
            stamp(now - chrono::Duration::days(10))
        ))
        .await;
        step(&steering, ids[0], "accept").await;
        app.exec(&format!(
        "INSERT INTO catalogue_measurements (entry_id, at, source, records, checked, valid) VALUES ({}, '{}', 'heartbeat', 1000, 100, 90)",
        ids[0],
        stamp(now)
    ))
    .await;
        let mut doc = document();
        doc["pillars"] = json!([{"node": {"code": "data", "name": {"vi": "Dữ liệu"}, "weight": 1.0, "aggregation": "arithmetic",
        "children": [
            {"measure": {"code": "accepted", "name": {"vi": "Được chấp nhận"}, "weight": 1.0, "source": "catalogue.completeness",
                "better": "higher", "normalisation": {"kind": "goalposts", "worst": 0.0, "best": 100.0}, "missing": "zero"}},
            {"measure": {"code": "quality", "name": {"vi": "Chất lượng"}, "weight": 1.0, "source": "catalogue.quality",
                "better": "higher", "normalisation": {"kind": "goalposts", "worst": 0.0, "best": 100.0}, "missing": "exclude"}}]}}]);
        let (s, v) = post(
        &steering,
        &app,
        "/api/v1/methods",
        json!({"code": "CAT", "peer_group": "province", "name_vi": "Dữ liệu thử", "document": doc}),
    )
    .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let version = v["version"]["id"].as_i64().unwrap();
        let today = domain::clock::local_date(now);
        let edition = |as_of: chrono::NaiveDate| {
            let (steering, app) = (steering.clone(), &app);
            async move {
                let (s, e) = post(
                &steering,
                app,
                "/api/v1/rankings",
                json!({"version_id": version, "period": as_of.format("%Y").to_string(), "as_of": as_of}),
            )
            .await;
                assert_eq!(s, StatusCode::CREATED, "{e}");
                e["id"].as_i64().unwrap()
            }
        };
        let raw = |id: i64, unit: i64, code: &'static str| {
            let steering = steering.clone();
            let url = app.url(&format!("/api/v1/rankings/{id}/units/{unit}"));
            async move {
                let (_, card) = steering.get(url).call_json().await;
                card["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["code"] == code)
                    .unwrap_or_else(|| panic!("{code}: {card}"))["part"]["raw"]
                    .clone()
            }
        };
        let now_id = edition(today).await;
        assert_eq!(raw(now_id, dl, "accepted").await, json!(50.0));
        let q = raw(now_id, dl, "quality").await.as_f64().unwrap();
        assert!((q - (90.0 + 100.0 + 100.0) / 3.0).abs() < 1e-9, "{q}");
        assert!(raw(now_id, hn, "accepted").await.is_null());
        assert!(raw(now_id, hn, "quality").await.is_null());
        let before = edition(today.pred_opt().unwrap()).await;
        assert_eq!(raw(before, dl, "accepted").await, json!(0.0));
        assert!(raw(before, dl, "quality").await.is_null());
        // The scorecard's line leads to the unit's catalogue.
        let page = steering
            .get(app.url(&format!("/rankings/{now_id}/units/{dl}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("href=\"/catalogue/units/{dl}\"")),
            "{page}"
        );
    }
);
