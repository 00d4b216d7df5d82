//! Indicators and targets: the built-in Annex I, entry and roll-up on the next request, the
//! DHIS2 dataValueSets round trip and its conflicts, submissions and locking. Each test runs on
//! SQLite and PostgreSQL.

mod common;

use common::{Call, bearer};
use serde_json::{Value, json};
use store::audit::Actor;

async fn province_set(app: &common::TestApp) -> (i64, i64, i64, i64) {
    let set = app::indicators::builtin::create_province_set(&app.db, &Actor::system("test"))
        .await
        .unwrap();
    let id = |code: &'static str| async move {
        app.scalar_i64(&format!("SELECT id FROM indicators WHERE code = '{code}'"))
            .await
    };
    (
        set,
        id("KPI.DVCTT").await,
        id("KPI.KNS").await,
        id("KPI.VBKS").await,
    )
}

/// Two communes of a province: (id, code) each.
async fn communes(app: &common::TestApp, province: &str) -> Vec<(i64, String)> {
    let p = app.unit_id(province).await;
    let ids = app
        .scalar_texts(&format!(
            "SELECT CAST(id AS TEXT) || ':' || code FROM org_units WHERE parent_id = {p} AND valid_to IS NULL ORDER BY id LIMIT 2"
        ))
        .await;
    ids.iter()
        .map(|s| {
            let (a, b) = s.split_once(':').unwrap();
            (a.parse().unwrap(), b.to_string())
        })
        .collect()
}

both!(annex_one_is_built_in_with_every_target, |app| {
    let r = app::indicators::builtin::import_annex_one(&app.db, &Actor::system("test"), false)
        .await
        .unwrap();
    assert_eq!(r.indicators, 57);
    // 52 rows state figures; indicators 4 and 5 state two ranks each.
    assert_eq!(r.targets, 54);
    assert_eq!(r.milestones, vec!["1", "2", "3", "23"]);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    // Ranks stated for South-East Asia and the world get a blocking rule each.
    assert_eq!(
        app.scalar_texts("SELECT code || ' ' || expression || ' ' || importance FROM indicator_rules ORDER BY code")
            .await,
        vec![
            "R.NQ03.4 #{NQ03.4.Đông Nam Á} <= #{NQ03.4.Thế giới} blocking",
            "R.NQ03.5 #{NQ03.5.Đông Nam Á} <= #{NQ03.5.Thế giới} blocking",
        ]
    );
    // Agencies that no longer exist resolve to their successors of the 2025 mergers.
    let responsible = |code: &'static str| {
        let app = &app;
        async move {
            app.scalar_text(&format!(
                "SELECT u.code FROM indicators i JOIN org_units u ON u.id = i.responsible_unit_id WHERE i.code = '{code}'"
            ))
            .await
        }
    };
    assert_eq!(
        responsible("NQ03.8").await,
        "BTC",
        "Bộ Kế hoạch và Đầu tư → Bộ Tài chính"
    );
    assert_eq!(
        responsible("NQ03.4").await,
        "BKHCN",
        "Bộ Thông tin và Truyền thông → Bộ KH&CN"
    );
    assert_eq!(responsible("NQ03.12").await, "NHNN");
    let labels = app
        .scalar_text("SELECT disaggregations FROM indicators WHERE code = 'NQ03.5'")
        .await;
    assert_eq!(labels, "Đông Nam Á|Thế giới");
    // The catalogue serves it, with the targets by breakdown.
    let (s, v) = app
        .anon()
        .get(app.url("/api/v1/indicators"))
        .call_json()
        .await;
    assert_eq!(s, 200);
    let rows = v[0]["indicators"].as_array().unwrap();
    assert_eq!(rows.len(), 57);
    let four = rows
        .iter()
        .find(|r| r["indicator"]["code"] == "NQ03.4")
        .unwrap();
    let mut t: Vec<(String, f64)> = four["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["disaggregation"].as_str().unwrap().to_string(),
                t["value"].as_f64().unwrap(),
            )
        })
        .collect();
    t.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        t,
        vec![
            ("Thế giới".to_string(), 50.0),
            ("Đông Nam Á".to_string(), 3.0)
        ]
    );
    // A second import is refused whole.
    let again =
        app::indicators::builtin::import_annex_one(&app.db, &Actor::system("test"), false).await;
    assert!(matches!(again, Err(app::error::AppError::Conflict(_))));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM indicators").await, 57);
});

both!(
    a_value_entered_is_in_the_figures_on_the_next_request,
    |app| {
        let (set, dvctt, _, _) = province_set(&app).await;
        let officer = bearer(&app.token("daklak.officer").await);
        let cs = communes(&app, "66").await;
        let province = app.unit_id("66").await;
        let figures = |unit: i64| {
            let app = &app;
            async move {
                let (s, v) = app
                    .anon()
                    .get(app.url(&format!(
                        "/api/v1/indicators/{dvctt}/figures?unit={unit}&period=2026Q2"
                    )))
                    .call_json()
                    .await;
                assert_eq!(s, 200, "{v}");
                v
            }
        };
        let v = figures(province).await;
        assert_eq!(v["unit"]["value"], Value::Null);
        // The catalogue is computed (and kept) before any value exists.
        let (_, cat) = app
            .anon()
            .get(app.url("/api/v1/indicators"))
            .call_json()
            .await;
        assert_eq!(cat[0]["indicators"][0]["latest"], Value::Null);
        // Two communes: 9 of 10 files online and 100 of 1,000.
        for ((unit, _), (n, d)) in cs.iter().zip([(9, 10), (100, 1000)]) {
            let r = officer
            .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
            .json(&json!({"unit": unit, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": n.to_string(), "denominator": d.to_string()}]}))
            .call_json()
            .await;
            assert_eq!(r.0, 200, "{}", r.1);
            assert_eq!(r.1["imported"], 1);
        }
        let v = figures(province).await;
        let want = 109.0 / 1010.0 * 100.0;
        assert!(
            (v["unit"]["value"].as_f64().unwrap() - want).abs() < 1e-9,
            "ratio of sums: {v}"
        );
        assert_eq!(v["unit"]["count"], 2);
        assert_eq!(v["unit"]["own"], false);
        // The nation sees the same two values on the next request, in its figures and in the catalogue.
        let national = figures(app.unit_id("VN").await).await;
        let (_, cat) = app
            .anon()
            .get(app.url("/api/v1/indicators"))
            .call_json()
            .await;
        let latest = cat[0]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"]["id"] == dvctt)
            .unwrap()["latest"]
            .clone();
        assert!(
            (latest["value"].as_f64().unwrap() - want).abs() < 1e-9,
            "{latest}"
        );
        assert!((national["unit"]["value"].as_f64().unwrap() - want).abs() < 1e-9);
        // Judged against the national target path: baseline 45 (2024) to ≥ 65 (2027), linear.
        assert_eq!(national["unit"]["target"]["value"], 65.0);
        assert_eq!(national["unit"]["status"], "off_track");
        // A correction is in the next request too, and the previous value stays in the history.
        let r = officer
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": cs[1].0, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": "900", "denominator": "1000"}]}))
        .call_json()
        .await;
        assert_eq!(r.1["updated"], 1);
        let v = figures(province).await;
        assert!((v["unit"]["value"].as_f64().unwrap() - 909.0 / 1010.0 * 100.0).abs() < 1e-9);
        assert_eq!(v["unit"]["status"], "achieved");
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM indicator_value_history WHERE numerator = 100")
                .await,
            1
        );
        // A percentage of 130 is refused with its field named, and nothing of the sheet is written.
        let before = app.audit_count().await;
        let (s, e) = officer
            .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
            .json(&json!({"unit": cs[0].0, "period": "2026Q2", "values": [
            {"indicator_id": dvctt, "value": "130"}]}))
            .call_json()
            .await;
        assert_eq!(s, 422);
        assert_eq!(e["errors"][0]["field"], format!("value-{dvctt}"));
        assert_eq!(e["errors"][0]["code"], "err-percent-range");
        assert_eq!(app.audit_count().await, before);
        let v = figures(province).await;
        assert!((v["unit"]["value"].as_f64().unwrap() - 909.0 / 1010.0 * 100.0).abs() < 1e-9);
        // An officer of another province may not enter for these communes.
        let other = bearer(&app.token("hanoi.officer").await);
        let r = other
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": cs[0].0, "period": "2026Q2", "values": [{"indicator_id": dvctt, "value": "50"}]}))
        .call()
        .await;
        assert_eq!(r.status(), 403);
    }
);

both!(data_value_sets_round_trip_and_report_conflicts, |app| {
    let (_, dvctt, _, _) = province_set(&app).await;
    let officer = bearer(&app.token("daklak.officer").await);
    let cs = communes(&app, "66").await;
    let payload = json!({
        "dataSet": "KPI-TINH",
        "period": "2026Q1",
        "dataValues": [
            {"dataElement": "KPI.DVCTT", "orgUnit": cs[0].1, "value": "62.5", "numerator": 25, "denominator": 40, "comment": "Báo cáo quý"},
            {"dataElement": "KPI.KNS", "orgUnit": cs[0].1, "value": 12},
            {"dataElement": "KPI.KNS", "orgUnit": cs[1].1, "categoryOptionCombo": "HllvX50cXC0", "value": "7"},
            {"dataElement": "KPI.NOPE", "orgUnit": cs[1].1, "value": "1"},
            {"dataElement": "KPI.KNS", "orgUnit": "99999", "value": "1"},
            {"dataElement": "KPI.KNS", "orgUnit": cs[1].1, "period": "2026Q5", "value": "1"},
            {"dataElement": "KPI.KNS", "orgUnit": cs[1].1, "period": "202601", "value": "1"},
            {"dataElement": "KPI.VBKS", "orgUnit": cs[1].1, "value": "130"},
            {"dataElement": "KPI.VBKS", "orgUnit": "01", "value": "50", "numerator": 1, "denominator": 2},
            {"dataElement": "KPI.SHHS", "orgUnit": cs[0].1, "value": "abc"}
        ]
    });
    // A dry run counts and writes nothing.
    let (s, v) = officer
        .post(app.url("/api/v1/dataValueSets?dryRun=true"))
        .json(&payload)
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["importCount"]["imported"], 3);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        0
    );
    // atomicMode=ALL writes nothing when anything is refused.
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets?atomicMode=ALL"))
        .json(&payload)
        .call_json()
        .await;
    assert_eq!(v["status"], "ERROR");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        0
    );
    // By default the valid values are written and each refused one is named by its index.
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets"))
        .json(&payload)
        .call_json()
        .await;
    assert_eq!(v["status"], "WARNING");
    assert_eq!(
        v["importCount"],
        json!({"imported": 3, "updated": 0, "ignored": 7, "deleted": 0})
    );
    let conflicts: Vec<(String, Vec<u64>)> = v["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["errorCode"].as_str().unwrap().to_string(),
                c["indexes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_u64().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        conflicts,
        vec![
            ("err-no-such-indicator".to_string(), vec![3]),
            ("err-no-such-unit".to_string(), vec![4]),
            ("err-period".to_string(), vec![5]),
            ("err-period-type".to_string(), vec![6]),
            ("err-percent-range".to_string(), vec![7]),
            ("err-forbidden-unit".to_string(), vec![8]),
            ("err-number".to_string(), vec![9]),
        ]
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        3
    );
    // Export → dry-run import → import: the same values, nothing changed.
    let url =
        app.url("/api/v1/dataValueSets?dataSet=KPI-TINH&period=2026Q1&orgUnit=66&children=true");
    let (s, out) = app.anon().get(&url).call_json().await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["dataValues"].as_array().unwrap().len(), 3);
    let dv = out["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dataElement"] == "KPI.DVCTT")
        .unwrap();
    assert_eq!(dv["value"], "62.5");
    assert_eq!(dv["numerator"], 25.0);
    assert_eq!(dv["comment"], "Báo cáo quý");
    for dry in [true, false] {
        let (_, v) = officer
            .post(app.url(&format!("/api/v1/dataValueSets?dryRun={dry}")))
            .json(&out)
            .call_json()
            .await;
        assert_eq!(v["status"], "SUCCESS", "{v}");
        assert_eq!(
            v["importCount"],
            json!({"imported": 0, "updated": 0, "ignored": 3, "deleted": 0})
        );
    }
    let (_, again) = app.anon().get(&url).call_json().await;
    let strip = |v: &Value| {
        let mut d = v["dataValues"].clone();
        for x in d.as_array_mut().unwrap() {
            x.as_object_mut().unwrap().remove("lastUpdated");
        }
        d
    };
    assert_eq!(
        strip(&again),
        strip(&out),
        "identical values after the round trip"
    );
    // UPDATE changes only what exists; CREATE only what does not.
    let one = |value: &str, unit: &str| json!({"dataSet": "KPI-TINH", "period": "2026Q1", "dataValues": [{"dataElement": "KPI.KNS", "orgUnit": unit, "value": value}]});
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets?importStrategy=CREATE"))
        .json(&one("20", &cs[0].1))
        .call_json()
        .await;
    assert_eq!(v["importCount"]["ignored"], 1);
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets?importStrategy=UPDATE"))
        .json(&one("20", &cs[0].1))
        .call_json()
        .await;
    assert_eq!(v["importCount"]["updated"], 1);
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets?importStrategy=DELETE"))
        .json(&one("", &cs[1].1))
        .call_json()
        .await;
    assert_eq!(v["importCount"]["deleted"], 1);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        2
    );
    // Both the replaced and the deleted value stay visible in the history.
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_value_history")
            .await,
        2
    );
    // Ids work as well as codes.
    let (_, v) = officer
        .post(app.url("/api/v1/dataValueSets?idScheme=ID"))
        .json(&json!({"period": "2026Q1", "orgUnit": cs[1].0.to_string(), "dataValues": [{"dataElement": dvctt.to_string(), "value": "55", "numerator": "11", "denominator": "20"}]}))
        .call_json()
        .await;
    assert_eq!(v["importCount"]["imported"], 1, "{v}");
    // Anonymous callers import nothing.
    let r = app
        .anon()
        .post(app.url("/api/dataValueSets"))
        .json(&payload)
        .call()
        .await;
    assert_eq!(r.status(), 401);
});

both!(submitted_values_are_locked_until_returned, |app| {
    let (set, _, kns, _) = province_set(&app).await;
    let officer = bearer(&app.token("daklak.officer").await);
    let leader = bearer(&app.token("daklak.leader").await);
    let steering = bearer(&app.token("steering").await);
    let province = app.unit_id("66").await;
    let cs = communes(&app, "66").await;
    let enter = |unit: i64, value: &str| {
        let body = json!({"unit": unit, "period": "2026Q2", "values": [{"indicator_id": kns, "value": value}]});
        let c = officer.clone();
        let url = app.url(&format!("/api/v1/indicator-sets/{set}/sheet"));
        async move { c.post(url).json(&body).call().await.status() }
    };
    let mv = |c: &reqwest::Client, m: &str, reason: &str| {
        let body = json!({"unit": province, "period": "2026Q2", "move": m, "reason": reason});
        let c = c.clone();
        let url = app.url(&format!("/api/v1/indicator-sets/{set}/submissions"));
        async move { c.post(url).json(&body).call_json().await }
    };
    assert_eq!(enter(cs[0].0, "60").await, 200);
    let (s, v) = mv(&officer, "submit", "").await;
    assert_eq!(
        (s.as_u16(), v["state"].as_str()),
        (200, Some("submitted")),
        "{v}"
    );
    // The province's submission covers its communes.
    assert_eq!(enter(cs[0].0, "61").await, 409);
    // The officer cannot approve; the leader can; the level above accepts.
    assert_eq!(mv(&officer, "approve", "").await.0, 403);
    let (_, q) = leader
        .get(app.url("/api/v1/indicator-submissions"))
        .call_json()
        .await;
    assert_eq!(q.as_array().unwrap().len(), 1);
    assert_eq!(q[0]["next"], "approve");
    assert_eq!(mv(&leader, "approve", "").await.0, 200);
    assert_eq!(
        mv(&leader, "accept", "").await.0,
        403,
        "a unit does not accept its own values"
    );
    let (_, q) = steering
        .get(app.url("/api/v1/indicator-submissions"))
        .call_json()
        .await;
    assert_eq!(q[0]["next"], "accept");
    assert_eq!(mv(&steering, "accept", "").await.0, 200);
    // Re-opening needs a reason.
    let (s, e) = mv(&steering, "return", " ").await;
    assert_eq!(s, 422);
    assert_eq!(e["errors"][0]["field"], "reason");
    let (s, v) = mv(&steering, "return", "Số liệu xã chưa khớp báo cáo giấy").await;
    assert_eq!((s.as_u16(), v["state"].as_str()), (200, Some("returned")));
    assert_eq!(enter(cs[0].0, "61").await, 200);
    let trail = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'indicator.submission'")
        .await;
    assert_eq!(trail, 4);
});

both!(indicator_pages_show_the_figures, |app| {
    let (set, dvctt, _, _) = province_set(&app).await;
    let officer_api = bearer(&app.token("daklak.officer").await);
    let cs = communes(&app, "66").await;
    let r = officer_api
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": cs[0].0, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": "3", "denominator": "4"}]}))
        .call()
        .await;
    assert_eq!(r.status(), 200);
    for lang in ["vi", "en", "fr"] {
        let html = app.page_in("/indicators", lang).await;
        assert!(html.contains(&format!("/indicators/{dvctt}")), "{lang}");
        let html = app
            .page_in(
                &format!(
                    "/indicators/{dvctt}?unit={}&period=2026Q2",
                    app.unit_id("66").await
                ),
                lang,
            )
            .await;
        let want = if lang == "fr" { "75\u{202F}%" } else { "75%" };
        assert!(
            html.contains(&format!("id=\"figure-value\">{want}")),
            "{lang}: the province's figure"
        );
    }
    // The entry sheet, as the officer sees it, and a wrong value shown next to its field.
    let c = app.signed_in("daklak.officer").await;
    let path = format!("/indicators/entry?set={set}&unit={}&period=2026Q2", cs[0].0);
    let html = c.get(app.url(&path)).call().await.text().await.unwrap();
    assert!(
        html.contains(&format!("name=\"v-{dvctt}-0\" value=\"75\"")),
        "the stored value is shown"
    );
    let csrf = common::extract_csrf(&html).unwrap();
    let r = c
        .post(app.url("/indicators/entry"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("set", &set.to_string()),
            ("unit", &cs[0].0.to_string()),
            ("period", "2026Q2"),
            (&format!("v-{dvctt}-0"), "130"),
            (&format!("n-{dvctt}-0"), ""),
            (&format!("d-{dvctt}-0"), ""),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"err-{dvctt}-0\"")),
        "the error is next to the field"
    );
    assert!(html.contains("value=\"130\""), "what was typed is kept");
    // Saving the form as it is shown changes nothing: a ratio of 1 / 3 is shown rounded
    // (33,33), and saving it back keeps the exact ratio, with no new revision and no history.
    let r = officer_api
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": cs[0].0, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": "1", "denominator": "3"}]}))
        .call()
        .await;
    assert_eq!(r.status(), 200);
    let html = c.get(app.url(&path)).call().await.text().await.unwrap();
    let field = format!("name=\"v-{dvctt}-0\" value=\"");
    let at = html.find(&field).unwrap() + field.len();
    let shown = html[at..].split('"').next().unwrap().to_string();
    assert!(shown == "33,33" || shown == "33.33", "{shown}");
    let csrf = common::extract_csrf(&html).unwrap();
    let r = c
        .post(app.url("/indicators/entry"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("set", &set.to_string()),
            ("unit", &cs[0].0.to_string()),
            ("period", "2026Q2"),
            (&format!("v-{dvctt}-0"), shown.as_str()),
            (&format!("n-{dvctt}-0"), "1"),
            (&format!("d-{dvctt}-0"), "3"),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_value_history")
            .await,
        1
    );
    assert_eq!(
        app.scalar_i64("SELECT CAST(MAX(revision) AS BIGINT) FROM indicator_values")
            .await,
        2
    );
});

both!(scorecards_show_what_each_unit_answers_for, |app| {
    app::indicators::builtin::import_annex_one(&app.db, &Actor::system("test"), false)
        .await
        .unwrap();
    let (_, dvctt, _, _) = province_set(&app).await;
    let codes = |v: &Value| -> Vec<String> {
        v["sets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r[0]["code"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let card = |unit: i64| {
        let app = &app;
        async move {
            let (s, v) = app
                .anon()
                .get(app.url(&format!("/api/v1/indicators/units/{unit}?period=2026Q2")))
                .call_json()
                .await;
            assert_eq!(s, 200, "{v}");
            v
        }
    };
    // A province answers for the KPI set, not for the national figures of Annex I.
    let province = codes(&card(app.unit_id("66").await).await);
    assert_eq!(province.len(), 6, "{province:?}");
    assert!(province.iter().all(|c| c.starts_with("KPI.")));
    // The central bank answers for the national figures it is responsible for, and only those.
    let bank = codes(&card(app.unit_id("NHNN").await).await);
    assert_eq!(bank, vec!["NQ03.12", "NQ03.30"]);
    // The nation's card holds every figure but the two headings (11, 23).
    let nation = codes(&card(app.unit_id("VN").await).await);
    assert_eq!(nation.len(), 57 - 2 + 6);
    // The province's late quarter is late data, not "no data".
    let v = card(app.unit_id("66").await).await;
    let row = v["sets"][1]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0]["id"] == dvctt)
        .unwrap()
        .clone();
    assert_eq!(row[1]["status"], "late_data");
});

both!(validation_rules_outliers_and_the_report, |app| {
    let (set, _, kns, _) = province_set(&app).await;
    let ckhcn = app
        .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.CKHCN'")
        .await;
    let officer = bearer(&app.token("daklak.officer").await);
    let steering = bearer(&app.token("steering").await);
    let province = app.unit_id("66").await;
    let cs = communes(&app, "66").await;
    let rules_url = app.url(&format!("/api/v1/indicator-sets/{set}/rules"));
    // Rules are data: written by the Steering Committee, checked when written.
    let rule = |expression: &str, importance: &str| json!({"code": "R.KNS", "name_vi": "Số người được bồi dưỡng trong quý không quá 1.000", "expression": expression, "importance": importance});
    let (s, e) = steering
        .post(rules_url.clone())
        .json(&rule("#{KPI.KNS} + 1", "blocking"))
        .call_json()
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        (
            e["errors"][0]["field"].as_str(),
            e["errors"][0]["code"].as_str()
        ),
        (Some("expression"), Some("err-rule-comparison"))
    );
    assert!(
        e["errors"][0]["message"].as_str().unwrap().contains("15"),
        "the position (the end of the text) is named: {e}"
    );
    let (s, e) = steering
        .post(rules_url.clone())
        .json(&rule("#{KPI.NOPE} <= 1000", "blocking"))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (422, Some("err-rule-unknown-operand"))
    );
    let (s, _) = officer
        .post(rules_url.clone())
        .json(&rule("#{KPI.KNS} <= 1000", "blocking"))
        .call_json()
        .await;
    assert_eq!(s, 403, "only the Steering Committee writes rules");
    let (s, r) = steering
        .post(rules_url.clone())
        .json(&rule("#{KPI.KNS} <= 1000", "blocking"))
        .call_json()
        .await;
    assert_eq!(s, 201, "{r}");
    let (_, list) = app.anon().get(rules_url.clone()).call_json().await;
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["R.CKHCN", "R.KNS"],
        "the built-in rule and the new one"
    );

    let enter = |unit: i64, period: &str, values: Value, confirm: bool| {
        let body = json!({"unit": unit, "period": period, "values": values, "confirm": confirm});
        let c = officer.clone();
        let url = app.url(&format!("/api/v1/indicator-sets/{set}/sheet"));
        async move { c.post(url).json(&body).call_json().await }
    };
    let one = |id: i64, v: &str| json!([{"indicator_id": id, "value": v}]);
    // A blocking rule refuses, confirmed or not, next to the field; nothing is written.
    for confirm in [false, true] {
        let (s, e) = enter(cs[0].0, "2026Q2", one(kns, "5000"), confirm).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["errors"][0]["field"], format!("value-{kns}"));
        assert_eq!(e["errors"][0]["code"], "err-rule-failed");
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        0
    );
    // A warning (the built-in rule: spending above 0) is saved once confirmed.
    let (s, e) = enter(cs[0].0, "2026Q2", one(ckhcn, "0"), false).await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (422, Some("warn-rule-failed")),
        "{e}"
    );
    let (s, _) = enter(cs[0].0, "2026Q2", one(ckhcn, "0"), true).await;
    assert_eq!(s, 200);
    // Outliers against the unit's own history: four usual quarters, then a jump.
    for (p, v) in [
        ("2025Q2", "10"),
        ("2025Q3", "12"),
        ("2025Q4", "11"),
        ("2026Q1", "13"),
    ] {
        assert_eq!(enter(cs[0].0, p, one(kns, v), false).await.0, 200, "{p}");
    }
    assert_eq!(
        enter(cs[0].0, "2026Q2", one(kns, "14"), false).await.0,
        200,
        "a usual value"
    );
    let (s, e) = enter(cs[0].0, "2026Q2", one(kns, "900"), false).await;
    assert_eq!(s, 422);
    assert_eq!(e["errors"][0]["code"], "warn-outlier");
    assert!(
        e["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trung vị 11,5"),
        "the usual value (the median of earlier quarters) is named: {e}"
    );
    assert_eq!(enter(cs[0].0, "2026Q2", one(kns, "900"), true).await.0, 200);
    // The DHIS2 import does not run rules (as in DHIS2); the report and the submission do.
    let (s, v) = officer
        .post(app.url("/api/v1/dataValueSets"))
        .json(&json!({"dataSet": "KPI-TINH", "period": "2026Q2", "dataValues": [{"dataElement": "KPI.KNS", "orgUnit": cs[1].1, "value": "5000"}]}))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), v["importCount"]["imported"].as_i64()),
        (200, Some(1)),
        "{v}"
    );
    let (s, r) = officer
        .get(app.url(&format!(
            "/api/v1/indicator-sets/{set}/validation?unit={province}&period=2026Q2&children=true"
        )))
        .call_json()
        .await;
    assert_eq!(s, 200, "{r}");
    let children = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {province} AND valid_to IS NULL"
        ))
        .await;
    assert_eq!(r["units_checked"], children + 1);
    assert_eq!(r["values_checked"], 3);
    let found: Vec<(i64, String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["unit_id"].as_i64().unwrap(),
                f["kind"].as_str().unwrap().to_string(),
                f["importance"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (cs[1].0, "rule".into(), "blocking".into()),
            (cs[0].0, "rule".into(), "warning".into()),
            (cs[0].0, "outlier".into(), "warning".into()),
        ]
    );
    let mv = |m: &str| {
        let body = json!({"unit": province, "period": "2026Q2", "move": m});
        let c = officer.clone();
        let url = app.url(&format!("/api/v1/indicator-sets/{set}/submissions"));
        async move { c.post(url).json(&body).call_json().await }
    };
    let (s, e) = mv("submit").await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (409, Some("err-findings-block")),
        "{e}"
    );
    assert_eq!(enter(cs[1].0, "2026Q2", one(kns, "50"), false).await.0, 200);
    assert_eq!(mv("submit").await.0, 200, "corrected, the values go up");
    // The report (kept against the versions of the values it read) is fresh on the next request.
    let (_, r2) = officer
        .get(app.url(&format!(
            "/api/v1/indicator-sets/{set}/validation?unit={province}&period=2026Q2&children=true"
        )))
        .call_json()
        .await;
    let kinds: Vec<&str> = r2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["importance"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["warning", "warning"], "{r2}");
    // The report page, in each language, and the sheet's findings.
    let c = app.signed_in("daklak.officer").await;
    let html = c
        .get(app.url(&format!(
            "/indicators/validation?set={set}&unit={province}&period=2026Q2&children=1"
        )))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"validation-findings\""), "{html}");
    assert!(html.contains("R.CKHCN") && html.contains("R.KNS"));
    assert!(
        !html.contains("id=\"rule-form\""),
        "an officer does not manage rules"
    );
    let html = c
        .get(app.url(&format!(
            "/indicators/entry?set={set}&unit={}&period=2026Q2",
            cs[0].0
        )))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"sheet-findings\""));
    // Removing a rule: the Steering Committee only; audited.
    let id = r["rules"][1]["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/indicator-rules/{id}"));
    assert_eq!(officer.delete(url.clone()).call().await.status(), 403);
    assert_eq!(steering.delete(url.clone()).call().await.status(), 204);
    assert_eq!(steering.delete(url).call().await.status(), 404);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'indicator.rule.%'")
            .await,
        2
    );
});

both!(rules_are_managed_on_the_validation_page, |app| {
    let (set, _, _, _) = province_set(&app).await;
    let path = format!(
        "/indicators/validation?set={set}&unit={}",
        app.unit_id("66").await
    );
    let steering = app.signed_in("steering").await;
    let html = steering
        .get(app.url(&path))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"rule-form\""),
        "the Steering Committee may add rules"
    );
    let csrf = common::extract_csrf(&html).unwrap();
    let post = |expression: &'static str| {
        let c = steering.clone();
        let csrf = csrf.clone();
        let url = app.url("/indicators/rules");
        async move {
            c.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("set", &set.to_string()),
                    ("code", "R.TT"),
                    (
                        "name_vi",
                        "Thanh toán trực tuyến không vượt quá hồ sơ trực tuyến",
                    ),
                    ("expression", expression),
                    ("importance", "warning"),
                    ("missing", "SKIP_IF_ANY_VALUE_MISSING"),
                ])
                .call()
                .await
        }
    };
    // A wrong expression comes back next to its field, with what was typed.
    let r = post("#{KPI.TTTT} <= #{KPI.DVCT}").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"rule-expression-error\""));
    assert!(
        html.contains("#{KPI.DVCT}"),
        "the operand is named and the text kept"
    );
    let r = post("#{KPI.TTTT} <= #{KPI.DVCTT}").await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar_text("SELECT expression FROM indicator_rules WHERE code = 'R.TT'")
            .await,
        "#{KPI.TTTT} <= #{KPI.DVCTT}"
    );
    // An officer sees the rules but no form, and cannot post one.
    let officer = app.signed_in("daklak.officer").await;
    let html = officer
        .get(app.url(&path))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("R.TT") && !html.contains("id=\"rule-form\""));
    let csrf = common::extract_csrf(&html).unwrap();
    let r = officer
        .post(app.url("/indicators/rules"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("set", &set.to_string()),
            ("code", "X"),
            ("name_vi", "x"),
            ("expression", "#{KPI.KNS} > 0"),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 403);
    let id = app
        .scalar_i64("SELECT id FROM indicator_rules WHERE code = 'R.TT'")
        .await;
    let r = officer
        .post(app.url("/indicators/rules/delete"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("set", &set.to_string()),
            ("rule", &id.to_string()),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 403);
    let html = steering
        .get(app.url(&path))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::extract_csrf(&html).unwrap();
    let r = steering
        .post(app.url("/indicators/rules/delete"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("set", &set.to_string()),
            ("rule", &id.to_string()),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_rules WHERE code = 'R.TT'")
            .await,
        0
    );
});

both!(
    late_values_and_figures_off_track_are_warned_by_the_sweep,
    |app| {
        let (set, dvctt, kns, _) = province_set(&app).await;
        let officer = bearer(&app.token("daklak.officer").await);
        let province = app.unit_id("66").await;
        // Đắk Lắk reported its quarters until 2026Q2 (a share far below its path), not 2026Q3.
        for (period, values) in [
            ("2025Q4", json!([{"indicator_id": kns, "value": "10"}])),
            ("2026Q1", json!([{"indicator_id": kns, "value": "11"}])),
            (
                "2026Q2",
                json!([{"indicator_id": kns, "value": "12"}, {"indicator_id": dvctt, "numerator": "30", "denominator": "100"}]),
            ),
        ] {
            let (s, e) = officer
                .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
                .json(&json!({"unit": province, "period": period, "values": values}))
                .call_json()
                .await;
            assert_eq!(s, 200, "{period}: {e}");
        }
        let sink = common::smtp_sink::SmtpSink::start().await;
        let smtp = app::config::Smtp {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: "none".into(),
            ..Default::default()
        };
        let mailer = app::mail::Mailer::from_config(&smtp, std::path::Path::new("/tmp")).unwrap();
        let notes = |user: &'static str| {
            let app = &app;
            async move {
                app.scalar_texts(&format!(
                "SELECT n.body FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = '{user}' ORDER BY n.id"
            ))
            .await
            }
        };
        // 2026Q3 was due on 10 October: the day after, the unit is told; the province's leaders
        // also hear that the share is off its path.
        let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        let now = chrono::Utc::now();
        let r = app::jobs::tick(
            &app.db,
            &mailer,
            "http://nqtrack.test",
            now,
            day("2026-10-11"),
        )
        .await
        .unwrap();
        assert!(r.reminders >= 2, "{r:?}");
        let officer_notes = notes("daklak.officer").await;
        assert_eq!(officer_notes.len(), 1, "{officer_notes:?}");
        assert!(
            officer_notes[0].contains("2026Q3")
                && officer_notes[0].contains("quá hạn 1 ngày")
                && officer_notes[0].contains(&format!(
                    "/indicators/entry?set={set}&unit={province}&period=2026Q3"
                )),
            "{}",
            officer_notes[0]
        );
        let leader_notes = notes("daklak.leader").await;
        assert_eq!(leader_notes.len(), 1, "one message for the day");
        assert!(
            leader_notes[0].contains("chệch lộ trình") && leader_notes[0].contains("30%"),
            "{}",
            leader_notes[0]
        );
        sink.wait_for(
            |m| {
                m.to.iter().any(|t| t.starts_with("daklak.leader")) && m.body_text().contains("30%")
            },
            std::time::Duration::from_secs(10),
        )
        .await
        .expect("the leader's mail");
        // The same day again: nothing new.
        let again = app::jobs::tick(
            &app.db,
            &mailer,
            "http://nqtrack.test",
            now,
            day("2026-10-11"),
        )
        .await
        .unwrap();
        assert_eq!(again.reminders, 0);
        // Six days late, still nothing: the leaders are asked to see to it (and only they).
        app::jobs::tick(
            &app.db,
            &mailer,
            "http://nqtrack.test",
            now,
            day("2026-10-16"),
        )
        .await
        .unwrap();
        assert_eq!(notes("daklak.officer").await.len(), 1);
        let leader_notes = notes("daklak.leader").await;
        assert_eq!(leader_notes.len(), 2);
        assert!(
            leader_notes[1].contains("Đề nghị lãnh đạo đơn vị chỉ đạo"),
            "{}",
            leader_notes[1]
        );
        // Entered, then no more warnings for the period.
        let (s, _) = officer
        .post(app.url(&format!("/api/v1/indicator-sets/{set}/sheet")))
        .json(&json!({"unit": province, "period": "2026Q3", "values": [{"indicator_id": kns, "value": "13"}]}))
        .call_json()
        .await;
        assert_eq!(s, 200);
        app::jobs::tick(
            &app.db,
            &mailer,
            "http://nqtrack.test",
            now,
            day("2026-10-20"),
        )
        .await
        .unwrap();
        assert_eq!(
            notes("daklak.leader").await.len(),
            2,
            "no more warnings once entered"
        );
        // The leader's home page lists what needs attention on the scorecard (the last quarter
        // that ended: the share has no value for it, late).
        let leader = app.signed_in("daklak.leader").await;
        let html = leader.get(app.url("/")).call().await.text().await.unwrap();
        let at = html
            .find("id=\"ind-attention\"")
            .expect("the indicators block");
        let block = &html[at..at + html[at..].find("</ul>").unwrap()];
        let today = domain::clock::local_date(chrono::Utc::now());
        let last = app::indicators::last_ended(domain::indicators::PeriodType::Quarter, today);
        assert!(
            block.contains(&format!(
                "/indicators/{dvctt}?unit={province}&#38;period={last}"
            )),
            "{block}"
        );
        let kinds = app
            .scalar_texts("SELECT kind FROM indicator_alerts ORDER BY id")
            .await;
        assert!(
            kinds.contains(&"ind-late".to_string())
                && kinds.contains(&"ind-late-escalate".to_string())
                && kinds.contains(&"ind-off".to_string()),
            "{kinds:?}"
        );
    }
);

both!(a_sheet_is_downloaded_filled_in_and_uploaded, |app| {
    let (set, dvctt, kns, _) = province_set(&app).await;
    let province = app.unit_id("66").await;
    let cs = communes(&app, "66").await;
    let c = app.signed_in("daklak.officer").await;
    let template = |format: &'static str| {
        let c = c.clone();
        let url = app.url(&format!(
            "/indicators/entry/template?set={set}&unit={province}&period=2026Q2&format={format}"
        ));
        async move {
            let r = c.get(url).call().await;
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap().to_vec()
        }
    };
    // The template: a row per indicator for the province and each of its communes.
    let csv = String::from_utf8(template("csv").await).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with(
        "dataElement,period,orgUnit,categoryOptionCombo,value,numerator,denominator,comment"
    ));
    let children = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_units WHERE parent_id = {province} AND valid_to IS NULL"
        ))
        .await;
    assert_eq!(lines.len() as i64 - 1, 6 * (children + 1));
    // Filled in: two good values and a percentage of 130.
    let filled: Vec<String> = lines
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let mut f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
            if f[2] == cs[0].1 && f[0] == "KPI.KNS" {
                f[4] = "25".into();
            } else if f[2] == cs[0].1 && f[0] == "KPI.DVCTT" {
                f[5] = "30".into();
                f[6] = "40".into();
            } else if f[2] == cs[1].1 && f[0] == "KPI.VBKS" {
                f[4] = "130".into();
            }
            f.join(",")
        })
        .collect();
    let bad_line = filled.iter().position(|l| l.contains(",130,")).unwrap() + 1;
    let upload = |bytes: Vec<u8>, name: &'static str, dry_run: bool| {
        let c = c.clone();
        let app = &app;
        async move {
            let page = c
                .get(app.url(&format!(
                    "/indicators/entry?set={set}&unit={province}&period=2026Q2"
                )))
                .call()
                .await
                .text()
                .await
                .unwrap();
            let mut form = reqwest::multipart::Form::new()
                .text("_csrf", common::extract_csrf(&page).unwrap())
                .text("set", set.to_string())
                .text("unit", province.to_string())
                .text("period", "2026Q2")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            if dry_run {
                form = form.text("dry_run", "1");
            }
            let r = c
                .post(app.url("/indicators/entry/upload"))
                .multipart(form)
                .call()
                .await;
            (r.status(), r.text().await.unwrap())
        }
    };
    let body = filled.join("\r\n").into_bytes();
    let (s, html) = upload(body.clone(), "so-lieu.csv", true).await;
    assert_eq!(s, 422, "a refused row is shown");
    assert!(
        html.contains(&format!("Dòng {bad_line} (130)")),
        "the row is named: {html}"
    );
    assert!(
        html.contains("2 số liệu mới"),
        "what would be saved is counted"
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicator_values")
            .await,
        0,
        "a check writes nothing"
    );
    let (_, html) = upload(body, "so-lieu.csv", false).await;
    assert!(html.contains("Đã nhập từ tệp: 2 số liệu mới"), "{html}");
    assert_eq!(
        app.scalar_texts(&format!(
            "SELECT CAST(indicator_id AS TEXT) || ':' || CAST(CAST(value AS INTEGER) AS TEXT) FROM indicator_values WHERE unit_id = {} ORDER BY indicator_id",
            cs[0].0
        ))
        .await,
        vec![format!("{dvctt}:75"), format!("{kns}:25")]
    );
    // The CSV template downloaded before (kept as written) carries the stored values now.
    let csv = String::from_utf8(template("csv").await).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&format!("KPI.KNS,2026Q2,{},,25,", cs[0].1))),
        "{csv}"
    );
    // The XLSX template now carries the stored values; uploaded as it is, nothing changes.
    let xlsx = template("xlsx").await;
    assert!(xlsx.starts_with(b"PK"));
    let (read, _) = app::indicators::spreadsheet::read(&xlsx).unwrap();
    assert_eq!(read.data_values.len(), 2);
    let (_, html) = upload(xlsx, "so-lieu.xlsx", false).await;
    assert!(
        html.contains("0 số liệu mới, 0 cập nhật, 2 không đổi"),
        "{html}"
    );
    // Not a table of values.
    let (s, html) = upload(b"hello".to_vec(), "x.csv", false).await;
    assert_eq!(s, 422);
    assert!(html.contains("dataElement"), "{html}");
});

both!(targets_are_broken_down_and_proposed, |app| {
    let (_, dvctt, _, _) = province_set(&app).await;
    let officer = bearer(&app.token("daklak.officer").await);
    let leader = bearer(&app.token("daklak.leader").await);
    let steering = bearer(&app.token("steering").await);
    let province = app.unit_id("66").await;
    let cs = communes(&app, "66").await;
    let put = |c: &reqwest::Client, body: Value| {
        let c = c.clone();
        let url = app.url(&format!("/api/v1/indicators/{dvctt}/targets"));
        async move { c.put(url).json(&body).call_json().await }
    };
    let judged_by = |unit: i64| {
        let app = &app;
        async move {
            let (_, f) = app
                .anon()
                .get(app.url(&format!(
                    "/api/v1/indicators/{dvctt}/figures?unit={unit}&period=2026Q2"
                )))
                .call_json()
                .await;
            (
                f["unit"]["target"]["value"].as_f64(),
                f["unit"]["target_period"].as_str().map(String::from),
            )
        }
    };
    // Bad input comes back by field.
    let (s, e) = put(
        &officer,
        json!({"unit": province, "period": "2027", "value": "khoảng bảy mươi"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (422, Some("err-target-text"))
    );
    let (s, e) = put(
        &officer,
        json!({"unit": province, "period": "2027Q5", "value": "≥ 70"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["field"].as_str()),
        (422, Some("period"))
    );
    // The province proposes its own: waiting, and it judges nothing yet.
    let (s, t) = put(
        &officer,
        json!({"unit": province, "period": "2027", "value": "≥ 70"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), t["state"].as_str()),
        (200, Some("proposed")),
        "{t}"
    );
    assert_eq!(
        judged_by(province).await,
        (Some(65.0), Some("2027".into())),
        "the national target still judges"
    );
    // The province's leader breaks the target down to a commune: in force at once.
    let (s, c0) = put(
        &leader,
        json!({"unit": cs[0].0, "period": "2027", "value": "≥ 75"}),
    )
    .await;
    assert_eq!((s.as_u16(), c0["state"].as_str()), (200, Some("approved")));
    assert_eq!(judged_by(cs[0].0).await.0, Some(75.0));
    // The level above the province decides its proposal, not the province's own leader.
    let url = app.url(&format!("/api/v1/indicator-targets/{}/decision", t["id"]));
    let (s, _) = leader
        .post(url.clone())
        .json(&json!({"approve": true}))
        .call_json()
        .await;
    assert_eq!(s, 403);
    let (_, waiting) = steering
        .get(app.url("/api/v1/indicator-targets/proposed"))
        .call_json()
        .await;
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    assert_eq!(waiting[0]["target"]["id"], t["id"]);
    let (s, a) = steering
        .post(url.clone())
        .json(&json!({"approve": true}))
        .call_json()
        .await;
    assert_eq!((s.as_u16(), a["state"].as_str()), (200, Some("approved")));
    assert_eq!(
        judged_by(province).await.0,
        Some(70.0),
        "the approved target judges the province"
    );
    // A proposal never hides an approved target; a rejection needs a reason and removes it.
    let (s, e) = put(
        &officer,
        json!({"unit": province, "period": "2027", "value": "≥ 60"}),
    )
    .await;
    assert_eq!(
        (s.as_u16(), e["errors"][0]["code"].as_str()),
        (409, Some("err-target-approved"))
    );
    let (_, p2) = put(
        &officer,
        json!({"unit": province, "period": "2030", "value": "≥ 90"}),
    )
    .await;
    let url = app.url(&format!("/api/v1/indicator-targets/{}/decision", p2["id"]));
    assert_eq!(
        steering
            .post(url.clone())
            .json(&json!({"approve": false}))
            .call()
            .await
            .status(),
        422
    );
    let (s, v) = steering
        .post(url)
        .json(&json!({"approve": false, "reason": "Chưa có căn cứ"}))
        .call_json()
        .await;
    assert_eq!((s.as_u16(), v.is_null()), (200, true));
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM indicator_targets WHERE id = {}",
            p2["id"]
        ))
        .await,
        0
    );
    // A commune of another province is not Đắk Lắk's to set.
    let other = communes(&app, "01").await;
    let (s, _) = put(
        &leader,
        json!({"unit": other[0].0, "period": "2027", "value": "≥ 75"}),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'indicator.target.%'")
            .await,
        5
    );
    // The pages: the unit's targets with the form, and the proposals on the approvals page.
    let c = app.signed_in("daklak.officer").await;
    let html = c
        .get(app.url(&format!("/indicators/{dvctt}/targets?unit={province}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"targets\"") && html.contains("≥ 70%"),
        "{html}"
    );
    assert!(html.contains("Đề xuất mục tiêu"), "the officer proposes");
    assert!(
        html.contains("id=\"targets-below\"")
            && html.contains(&format!("/indicators/{dvctt}/targets?unit={}\"", cs[0].0)),
        "the communes are listed to break the target down"
    );
    // A commune without a target of its own is shown the province's, which judges it.
    let bare = app
        .scalar_i64(&format!(
            "SELECT MIN(id) FROM org_units WHERE parent_id = {province} AND valid_to IS NULL \
             AND id NOT IN (SELECT unit_id FROM indicator_targets)"
        ))
        .await;
    let html = c
        .get(app.url(&format!("/indicators/{dvctt}/targets?unit={bare}")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let above = html
        .split_once("id=\"targets-above\"")
        .map(|(_, r)| r)
        .unwrap_or("");
    assert!(
        above.contains(&format!("targets?unit={province}\"")) && above.contains("≥ 70%"),
        "{html}"
    );
    let csrf = common::extract_csrf(&html).unwrap();
    let r = c
        .post(app.url(&format!("/indicators/{dvctt}/targets")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("unit", &province.to_string()),
            ("kind", "target"),
            ("period", "2029"),
            ("value", "≥ 85"),
        ])
        .call()
        .await;
    assert_eq!(r.status(), 303);
    let html = app
        .signed_in("steering")
        .await
        .get(app.url("/indicators/approvals"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"proposed\"") && html.contains("≥ 85"),
        "{html}"
    );
});

both!(definitions_are_edited_with_their_history, |app| {
    let (_, dvctt, _, _) = province_set(&app).await;
    let steering = bearer(&app.token("steering").await);
    let officer = bearer(&app.token("daklak.officer").await);
    let url = app.url(&format!("/api/v1/indicators/{dvctt}"));
    // Warm the anonymous catalogue: an edit must show on the next request.
    let en = app.page_in("/indicators", "en").await;
    assert!(en.contains("Share of administrative procedure files received and processed online"));
    let edit = json!({"name_en": "Online administrative procedures (share of files)", "method": "Theo Nghị định 45/2020/NĐ-CP", "tasks": []});
    assert_eq!(
        officer.patch(url.clone()).json(&edit).call().await.status(),
        403
    );
    let (s, e) = steering
        .patch(url.clone())
        .json(&json!({"direction": "sideways", "tasks": [999999]}))
        .call_json()
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["direction", "tasks"]);
    let (s, i) = steering.patch(url.clone()).json(&edit).call_json().await;
    assert_eq!((s.as_u16(), i["revision"].as_i64()), (200, Some(2)), "{i}");
    // The same again changes nothing: no new revision.
    let (_, i) = steering.patch(url.clone()).json(&edit).call_json().await;
    assert_eq!(i["revision"].as_i64(), Some(2));
    let (_, d) = app.anon().get(url.clone()).call_json().await;
    assert_eq!(
        d["revisions"].as_array().unwrap().len(),
        2,
        "every definition kept: {d}"
    );
    assert_eq!(d["indicator"]["method"], "Theo Nghị định 45/2020/NĐ-CP");
    let en = app.page_in("/indicators", "en").await;
    assert!(
        en.contains("Online administrative procedures (share of files)"),
        "fresh on the next request"
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'indicator.edit'")
            .await,
        2
    );
    // The page form: offered to the Steering Committee only, refused next to its field, saved
    // as a new revision with the history below.
    let page = |c: reqwest::Client, path: String| {
        let url = app.url(&path);
        async move {
            let r = c.get(url).call().await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let officer_c = app.signed_in("daklak.officer").await;
    let (_, html) = page(officer_c.clone(), format!("/indicators/{dvctt}")).await;
    assert!(!html.contains("id=\"edit-definition\""));
    assert_eq!(
        page(officer_c, format!("/indicators/{dvctt}/edit")).await.0,
        403
    );
    let steering_c = app.signed_in("steering").await;
    let (_, html) = page(steering_c.clone(), format!("/indicators/{dvctt}")).await;
    assert!(html.contains(&format!(
        "href=\"/indicators/{dvctt}/edit\" id=\"edit-definition\""
    )));
    let (s, html) = page(steering_c.clone(), format!("/indicators/{dvctt}/edit")).await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"Online administrative procedures (share of files)\""));
    let csrf = common::extract_csrf(&html).unwrap();
    let save = |name_vi: &'static str| {
        let c = steering_c.clone();
        let url = app.url(&format!("/indicators/{dvctt}/edit"));
        let csrf = csrf.clone();
        async move {
            let r = c
                .post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("name_vi", name_vi),
                    ("name_en", "Online procedures"),
                    ("name_fr", ""),
                    ("definition", "Số hồ sơ trực tuyến / tổng số hồ sơ"),
                    ("method", "Theo Nghị định 45/2020/NĐ-CP"),
                    ("source", ""),
                    ("unit_of_measure", "%"),
                    ("direction", "higher"),
                    ("is_public", "1"),
                ])
                .call()
                .await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, html) = save("  ").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"d-name_vi-error\""), "{html}");
    assert_eq!(save("Tỉ lệ hồ sơ trực tuyến").await.0, 303);
    let (_, html) = page(steering_c, format!("/indicators/{dvctt}/edit")).await;
    let history = html.split_once("id=\"revisions\"").unwrap().1;
    assert_eq!(history.matches("<tr><td>").count(), 3, "{history}");
    assert!(history.contains("Tỉ lệ hồ sơ trực tuyến — Số hồ sơ trực tuyến / tổng số hồ sơ"));
});

both!(annex_one_names_are_in_three_languages, |app| {
    app::indicators::builtin::import_annex_one(&app.db, &Actor::system("test"), false)
        .await
        .unwrap();
    // Every indicator of the annex has its English and French name.
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM indicators WHERE name_en = '' OR name_fr = ''")
            .await,
        0
    );
    assert_eq!(
        app.scalar_text("SELECT name_en FROM indicators WHERE code = 'NQ03.23.4'")
            .await,
        "5G coverage of the population"
    );
    let fr = app.page_in("/indicators", "fr").await;
    assert!(fr.contains("Classement de la compétitivité numérique"));
});

both!(
    signed_in_indicator_pages_are_fresh_and_kept_per_reader,
    |app| {
        let (set, dvctt, _, _) = province_set(&app).await;
        let officer_api = bearer(&app.token("daklak.officer").await);
        let cs = communes(&app, "66").await;
        let enter = |n: &'static str| {
            let officer_api = officer_api.clone();
            let url = app.url(&format!("/api/v1/indicator-sets/{set}/sheet"));
            let unit = cs[0].0;
            async move {
                let r = officer_api
                .post(url)
                .json(&json!({"unit": unit, "period": "2026Q2", "values": [{"indicator_id": dvctt, "numerator": n, "denominator": "4"}]}))
                .call()
                .await;
                assert_eq!(r.status(), 200);
            }
        };
        let path = format!(
            "/indicators/{dvctt}?unit={}&period=2026Q2",
            app.unit_id("66").await
        );
        let figure = |c: reqwest::Client| {
            let url = app.url(&path);
            async move {
                let r = c.get(url).call().await;
                let status = r.status().as_u16();
                let html = r.text().await.unwrap();
                let value = html
                    .split_once("id=\"figure-value\">")
                    .map(|(_, rest)| rest.split(' ').next().unwrap().to_string());
                (status, value)
            }
        };
        enter("3").await;
        let steering = app.signed_in("steering").await;
        assert_eq!(figure(steering.clone()).await, (200, Some("75%".into())));
        // A correction is on the signed-in page at the next request (the page is kept against the
        // indicator data's version).
        enter("1").await;
        assert_eq!(figure(steering.clone()).await, (200, Some("25%".into())));
        // Once the indicator is no longer public, what one reader was shown is not served to another.
        let (s, _) = bearer(&app.token("steering").await)
            .patch(app.url(&format!("/api/v1/indicators/{dvctt}")))
            .json(&json!({"is_public": false}))
            .call_json()
            .await;
        assert_eq!(s, 200);
        let daklak = app.signed_in("daklak.officer").await;
        assert_eq!(figure(daklak.clone()).await, (200, Some("25%".into())));
        let hanoi = app.signed_in("hanoi.officer").await;
        assert_eq!(figure(hanoi).await.0, 403);
        // A visitor who is not signed in is sent to the sign-in page.
        assert_eq!(figure(app.anon()).await.0, 303);
        assert_eq!(figure(steering).await, (200, Some("25%".into())));
    }
);
