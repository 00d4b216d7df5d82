//! The database catalogue through the API, on SQLite and PostgreSQL: a unit declares, its leader
//! approves, the Steering Committee's office returns and accepts; a heartbeat makes an entry
//! live; what the public finds and never sees; bad input writes nothing.

mod common;

use common::{Call, bearer};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn declaration(owner: i64, code: &str) -> Value {
    json!({
        "owner_unit_id": owner,
        "code": code,
        "name_vi": "Cơ sở dữ liệu đất đai tỉnh Đắk Lắk",
        "name_en": "Land database of Đắk Lắk",
        "kind": "local",
        "purpose": "Quản lý hồ sơ địa chính",
        "themes": ["REGI", "ENVI"],
        "dictionary": "so_thua | code | Số thửa | land_parcel | *\nchu_su_dung | text | Chủ sử dụng\nma_xa | code | Mã xã | admin_unit | *",
        "expected_population": 1000,
        "frequency": "daily",
        "lifecycle": "operating",
        "hosting": "unit_centre",
        "security_level": 3,
        "services": "https://lgsp.daklak.gov.vn/datdai/v1",
        "is_public": true,
        "access_url": "https://daklak.gov.vn/du-lieu/dat-dai"
    })
}

async fn step(
    c: &reqwest::Client,
    app: &common::TestApp,
    id: i64,
    m: &str,
    reason: &str,
) -> (StatusCode, Value) {
    c.post(app.url(&format!("/api/v1/catalogue/{id}/moves")))
        .json(&json!({"move": m, "reason": reason}))
        .call_json()
        .await
}

both!(
    an_entry_is_declared_approved_returned_accepted_and_made_live,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let leader = bearer(&app.token("daklak.leader").await);
        let steering = bearer(&app.token("steering").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let anon = app.anon();
        let daklak = app.unit_id("66").await;

        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(daklak, "dl-datdai"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["code"], "DL-DATDAI");
        assert_eq!(v["state"], "draft");

        // Not public before it is accepted, and not readable by another province.
        let (s, v) = anon
            .get(app.url("/api/v1/catalogue?q=dat dai"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 0, "{v}");
        let (s, _) = anon
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = hanoi
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = step(&hanoi, &app, id, "declare", "").await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "what one may not read does not exist for them"
        );

        // The officer declares; only the leader approves.
        let (s, v) = step(&officer, &app, id, "approve", "").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = step(&officer, &app, id, "declare", "").await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("declared")),
            "{v}"
        );
        let (s, v) = step(&leader, &app, id, "approve", "").await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("approved")),
            "{v}"
        );
        // The reviewer returns it, with a reason.
        let (s, v) = step(&steering, &app, id, "return", " ").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "reason");
        let (s, v) = step(&steering, &app, id, "return", "Thiếu căn cứ pháp lý").await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("returned")),
            "{v}"
        );
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(v["state_reason"], "Thiếu căn cứ pháp lý");
        assert_eq!(v["moves"], json!(["declare"]), "{v}");
        // Mended and declared again, approved, accepted.
        let mut d = declaration(daklak, "DL-DATDAI");
        d["legal_basis"] = json!("Luật Đất đai 2024");
        let (s, v) = officer
            .put(app.url(&format!("/api/v1/catalogue/{id}")))
            .json(&d)
            .call_json()
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("returned")),
            "{v}"
        );
        for (who, m, to) in [
            (&officer, "declare", "declared"),
            (&leader, "approve", "approved"),
            (&steering, "accept", "accepted"),
        ] {
            let (s, v) = step(who, &app, id, m, "").await;
            assert_eq!(
                (s, v["state"].as_str()),
                (StatusCode::OK, Some(to)),
                "{m}: {v}"
            );
        }
        let (s, v) = step(&steering, &app, id, "accept", "").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "accepted twice: {v}");
        // The province's obligation to complete its catalogue follows: 0 % while nothing was
        // accepted, 100 % now, each recorded as a progress report of its task.
        let progress = format!(
            "SELECT CAST(a.last_percent AS BIGINT) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN programmes p ON p.id = t.programme_id \
             WHERE p.code = 'DMCSDL-2026' AND t.code = 'DMCSDL' AND a.unit_id = {daklak}"
        );
        assert_eq!(app.scalar_i64(&progress).await, 100);
        let reports = app
            .scalar_i64(&format!(
                "SELECT COUNT(*) FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE a.unit_id = {daklak}"
            ))
            .await;
        assert_eq!(reports, 2, "0 % on the first declaration, then 100 %");
        let assigned = app
            .scalar_i64("SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.code = 'DMCSDL'")
            .await;
        assert!(
            assigned >= 34 + 20,
            "every province and ministry is assigned: {assigned}"
        );

        // The public finds it without diacritics and never sees its security details.
        let (s, v) = anon
            .get(app.url("/api/v1/catalogue?q=DAT DAI dak lak"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 1, "{v}");
        assert_eq!(v["items"][0]["id"], id);
        assert_eq!(v["facets"]["security_level"], json!([]));
        let (s, v) = anon
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["security"], Value::Null);
        let text = v.to_string();
        assert!(
            !text.contains("lgsp.daklak") && !text.contains("security_level\":3"),
            "{text}"
        );
        assert_eq!(v["dictionary"].as_array().unwrap().len(), 3);
        assert_eq!(v["dictionary"][0]["master"], "land_parcel");
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(v["security"]["security_level"], 3, "{v}");
        assert_eq!(v["quality"]["live"], Value::Null, "never updated: not live");

        // A heartbeat: bad figures and strangers write nothing; the unit's token makes it live.
        let audit = app.audit_count().await;
        let hb = format!("/api/v1/catalogue/{id}/heartbeat");
        let (s, v) = officer
            .post(app.url(&hb))
            .json(&json!({"records": 900, "checked": 100, "valid": 120}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "valid");
        let (s, _) = anon
            .post(app.url(&hb))
            .json(&json!({"records": 1}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = hanoi
            .post(app.url(&hb))
            .json(&json!({"records": 1}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = officer
            .post(app.url(&hb))
            .body("{\"records\": ")
            .header("content-type", "application/json")
            .call_json()
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(
            app.audit_count().await,
            audit,
            "refused heartbeats are not recorded"
        );
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_measurements")
                .await,
            0
        );
        let (s, v) = officer
        .post(app.url(&hb))
        .json(&json!({"records": 900, "checked": 100, "valid": 98, "complete": 810, "duplicates": 9, "format_errors": 9}))
        .call_json()
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["quality"]["live"], 100.0);
        assert_eq!(v["quality"]["correct"], 98.0);
        // (900 / 1000 + 810 / 900) / 2
        assert_eq!(v["quality"]["sufficient"], 90.0);
        assert_eq!(v["quality"]["clean"], 98.0);
        assert_eq!(app.audit_count().await, audit + 1);
        let (_, v) = anon
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert_eq!(v["quality"]["live"], 100.0, "{v}");
        assert_eq!(v["figures"]["records"], 900);
        let (_, h) = anon
            .get(app.url(&format!("/api/v1/catalogue/{id}/history")))
            .call_json()
            .await;
        assert_eq!(h.as_array().unwrap().len(), 1, "{h}");
        assert_eq!(h[0]["source"], "heartbeat");
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{id}")))
            .call_json()
            .await;
        assert!(v["security"]["last_heartbeat"].is_string(), "{v}");

        // The national dashboard counts it under Đắk Lắk.
        let (s, v) = anon
            .get(app.url("/api/v1/catalogue/dashboard"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);
        let dl = v["provinces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["unit_id"] == daklak)
            .unwrap()
            .clone();
        assert_eq!(
            (
                dl["entries"].as_i64(),
                dl["accepted"].as_i64(),
                dl["completeness"].as_f64()
            ),
            (Some(1), Some(1), Some(100.0)),
            "{dl}"
        );
        assert_eq!(dl["quality"]["correct"], 98.0);
        assert_eq!(v["total"]["entries"], 1);
        assert_eq!(v["provinces"].as_array().unwrap().len(), 34);
    }
);

both!(
    bad_declarations_write_nothing_and_links_show_both_ways,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let daklak = app.unit_id("66").await;
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(daklak, "DL-DATDAI"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let land = v["id"].as_i64().unwrap();
        let audit = app.audit_count().await;
        // The same code again, and a form full of mistakes: every error at once, nothing written.
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(daklak, "dl-datdai"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "code");
        let mut bad = declaration(daklak, "X");
        bad["kind"] = json!("spreadsheet");
        bad["security_level"] = json!(9);
        bad["dictionary"] = json!("a | colour");
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&bad)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for f in ["code", "kind", "security_level", "dictionary"] {
            assert!(fields.contains(&f), "{f} in {v}");
        }
        let mut unknown = declaration(daklak, "DL-HETHONG");
        unknown["providers"] = json!("DL-KHONGCO");
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&unknown)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "providers");
        // Another province's unit cannot be the owner.
        let hanoi = app.unit_id("01").await;
        let (s, _) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(hanoi, "HN-X"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_eq!(app.audit_count().await, audit);
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries")
                .await,
            1
        );

        // A system that consumes the land database: the link shows from both ends.
        let mut system = declaration(daklak, "DL-MOTCUA");
        system["kind"] = json!("system");
        system["name_vi"] = json!("Hệ thống thông tin giải quyết thủ tục hành chính");
        system["providers"] = json!("dl-datdai");
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&system)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let sys = v["id"].as_i64().unwrap();
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{land}")))
            .call_json()
            .await;
        assert_eq!(v["consumers"][0]["id"], sys, "{v}");
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{sys}")))
            .call_json()
            .await;
        assert_eq!(v["providers"][0]["code"], "DL-DATDAI", "{v}");
        // Facets count what the other filters leave.
        let (_, v) = officer
            .get(app.url("/api/v1/catalogue?kind=system"))
            .call_json()
            .await;
        assert_eq!(v["total"], 1);
        let kinds: Vec<(String, i64)> = v["facets"]["kind"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["value"].as_str().unwrap().to_string(),
                    f["count"].as_i64().unwrap(),
                )
            })
            .collect();
        assert!(
            kinds.contains(&("system".into(), 1)) && kinds.contains(&("local".into(), 1)),
            "{kinds:?}"
        );
        assert_eq!(v["facets"]["security_level"][0]["value"], "3", "{v}");
        let (s, v) = officer
            .get(app.url("/api/v1/catalogue?kind=sheet"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    }
);
