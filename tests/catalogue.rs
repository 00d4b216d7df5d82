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
        // Another province cannot learn the level of a public entry by filtering on it.
        let mut totals = vec![];
        for level in [3, 4] {
            let (_, v) = hanoi
                .get(app.url(&format!(
                    "/api/v1/catalogue?q=dat dai&security_level={level}"
                )))
                .call_json()
                .await;
            totals.push(v["total"].clone());
        }
        assert_eq!(totals[0], totals[1], "{totals:?}");
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
        let (s, v) = officer
            .post(app.url(&hb))
            .json(&json!({"records": 1, "updated_at": "0001-01-01T00:00:00Z"}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "updated_at");
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
        let admin = bearer(&app.token("admin").await);
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
        // An owner that does not exist is the caller's mistake, even for an administrator.
        let (s, v) = admin
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(987_654_321, "X-NOWHERE"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "owner_unit_id");
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

both!(
    ckan_clients_read_the_public_catalogue_in_ckans_shapes,
    |app| {
        let admin = bearer(&app.token("admin").await);
        let daklak = app.unit_id("66").await;
        let mut ids = vec![];
        for (code, kind, public) in [
            ("DLK-WIFI", "open_data", true),
            ("DLK-NOIBO", "local", false),
        ] {
            let mut d = declaration(daklak, code);
            d["kind"] = json!(kind);
            d["is_public"] = json!(public);
            d["themes"] = json!(["TECH"]);
            d["name_vi"] = json!(format!("Điểm wifi công cộng {code}"));
            let (s, v) = admin
                .post(app.url("/api/v1/catalogue"))
                .json(&d)
                .call_json()
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let id = v["id"].as_i64().unwrap();
            for m in ["declare", "approve", "accept"] {
                let (s, v) = step(&admin, &app, id, m, "").await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
            ids.push(id);
        }
        let anon = app.anon();
        let get = |path: String| {
            let anon = anon.clone();
            let app = &app;
            // CKAN's errors have CKAN's shape, not problem details: read as they come.
            async move {
                let (s, t) = anon.get(app.url(&path)).call_text().await;
                (
                    s,
                    serde_json::from_str::<Value>(&t).unwrap_or_else(|e| panic!("{e}: {t}")),
                )
            }
        };
        let ok = |v: &Value| {
            assert_eq!(v["success"], true, "{v}");
            assert!(
                v["help"]
                    .as_str()
                    .unwrap()
                    .contains("/api/3/action/help_show?name="),
                "{v}"
            );
            v["result"].clone()
        };
        let (s, v) = get("/api/3/action/status_show".into()).await;
        assert_eq!(s, StatusCode::OK);
        let r = ok(&v);
        assert!(
            r["ckan_version"].is_string() && r["site_url"].as_str().unwrap().starts_with("http"),
            "{r}"
        );
        // Only the public entry is a package, under both prefixes.
        for prefix in ["/api/3/action", "/api/action"] {
            let (_, v) = get(format!("{prefix}/package_list")).await;
            assert_eq!(ok(&v), json!(["dlk-wifi"]));
        }
        let (_, v) = get("/api/3/action/package_search?q=wifi%20cong%20cong&rows=5&facet.field=%5B%22organization%22,%22tags%22%5D".into()).await;
        let r = ok(&v);
        assert_eq!(r["count"], 1, "{r}");
        let p = &r["results"][0];
        for key in [
            "id",
            "name",
            "title",
            "notes",
            "owner_org",
            "metadata_created",
            "metadata_modified",
            "license_id",
            "state",
            "private",
        ] {
            assert!(p.get(key).is_some(), "{key} in {p}");
        }
        assert_eq!(p["name"], "dlk-wifi");
        assert_eq!(p["state"], "active");
        assert_eq!(p["private"], false);
        assert_eq!(p["owner_org"], daklak.to_string());
        assert_eq!(p["organization"]["name"], "66");
        assert!(
            p["organization"]["title"]
                .as_str()
                .unwrap()
                .contains("Đắk Lắk")
        );
        assert_eq!(p["tags"][0]["name"], "tech");
        assert_eq!(p["groups"][0]["name"], "tech");
        let res = &p["resources"][0];
        for key in ["id", "name", "url", "format", "description"] {
            assert!(res.get(key).is_some(), "{key} in {res}");
        }
        assert_eq!(res["url"], "https://daklak.gov.vn/du-lieu/dat-dai");
        assert!(
            p["extras"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["key"] == "kind" && e["value"] == "open_data"),
            "{p}"
        );
        assert!(p["metadata_modified"].as_str().unwrap().contains('T'));
        assert!(
            p.to_string().find("lgsp.daklak").is_none(),
            "no security detail in a package"
        );
        assert_eq!(r["facets"]["organization"]["66"], 1, "{r}");
        assert_eq!(
            r["search_facets"]["tags"]["items"][0],
            json!({"name": "tech", "display_name": "TECH", "count": 1})
        );
        assert_eq!(r["sort"], "score desc, metadata_modified desc");
        // POST with a JSON body, rows above the cap, filters in fq.
        let (s, v) = anon
            .post(app.url("/api/action/package_search"))
            .json(&json!({"q": "*:*", "rows": 5000, "fq": "organization:66 tags:tech"}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(ok(&v)["count"], 1);
        let (_, v) = get("/api/3/action/package_search?fq=organization:01".into()).await;
        assert_eq!(ok(&v)["count"], 0);
        let (_, v) = get(format!("/api/3/action/package_show?id={}", ids[0])).await;
        assert_eq!(ok(&v)["name"], "dlk-wifi");
        // CKAN's errors: not found (also for what is not public), validation, unknown action.
        for id in ["khong-co", "dlk-noibo"] {
            let (s, v) = get(format!("/api/3/action/package_show?id={id}")).await;
            assert_eq!(s, StatusCode::NOT_FOUND);
            assert_eq!(v["success"], false);
            assert_eq!(v["error"]["__type"], "Not Found Error", "{v}");
            assert!(v["error"]["message"].is_string());
        }
        let (s, v) = get("/api/3/action/package_search?sort=popularity%20desc".into()).await;
        assert_eq!(
            (s, v["error"]["__type"].as_str()),
            (StatusCode::CONFLICT, Some("Validation Error")),
            "{v}"
        );
        let (s, v) = get("/api/3/action/package_search?rows=-1".into()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (s, v) = get("/api/3/action/package_create".into()).await;
        assert_eq!(
            (s, v["success"].as_bool()),
            (StatusCode::BAD_REQUEST, Some(false)),
            "{v}"
        );
        // Organizations, groups, tags.
        let (_, v) = get("/api/3/action/organization_list".into()).await;
        assert_eq!(ok(&v), json!(["66"]));
        let (_, v) = get("/api/3/action/organization_list?all_fields=true".into()).await;
        let o = &ok(&v)[0];
        assert_eq!(
            (
                o["name"].as_str(),
                o["package_count"].as_i64(),
                o["is_organization"].as_bool()
            ),
            (Some("66"), Some(1), Some(true)),
            "{o}"
        );
        let (_, v) =
            get("/api/3/action/organization_show?id=66&include_datasets=true".into()).await;
        let o = ok(&v);
        assert_eq!(o["package_count"], 1);
        assert_eq!(o["packages"][0]["name"], "dlk-wifi");
        let (_, v) = get("/api/3/action/group_list".into()).await;
        assert_eq!(ok(&v), json!(["tech"]));
        let (_, v) = get("/api/3/action/tag_list".into()).await;
        assert_eq!(ok(&v), json!(["tech"]));
        // Answers are kept per data version: the same search sees the next accepted entry.
        let search = "/api/3/action/package_search?q=wifi%20cong%20cong&rows=5&facet.field=%5B%22organization%22,%22tags%22%5D";
        let mut d = declaration(daklak, "DLK-WIFI2");
        d["kind"] = json!("open_data");
        d["name_vi"] = json!("Điểm wifi công cộng mới");
        let (s, v) = admin
            .post(app.url("/api/v1/catalogue"))
            .json(&d)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        for m in ["declare", "approve"] {
            assert_eq!(step(&admin, &app, id, m, "").await.0, StatusCode::OK);
        }
        let (_, v) = get(search.into()).await;
        assert_eq!(ok(&v)["count"], 1, "approved is not yet public");
        assert_eq!(step(&admin, &app, id, "accept", "").await.0, StatusCode::OK);
        let (_, v) = get(search.into()).await;
        assert_eq!(ok(&v)["count"], 2, "{v}");
    }
);

/// Triples of an RDF document as text (blank nodes all written `_:b`, since parsers rename them).
fn triples(turtle: Option<&str>, json_ld: Option<&str>) -> Vec<(String, String, String)> {
    let blank = |s: String| {
        if s.starts_with("_:") {
            "_:b".to_string()
        } else {
            s
        }
    };
    let mut out = vec![];
    if let Some(t) = turtle {
        for t in oxttl::TurtleParser::new().for_slice(t.as_bytes()) {
            let t = t.unwrap_or_else(|e| panic!("Turtle: {e}"));
            out.push((
                blank(t.subject.to_string()),
                t.predicate.to_string(),
                blank(t.object.to_string()),
            ));
        }
    }
    if let Some(j) = json_ld {
        for t in oxjsonld::JsonLdParser::new().for_slice(j.as_bytes()) {
            let t = t.unwrap_or_else(|e| panic!("JSON-LD: {e}"));
            out.push((
                blank(t.subject.to_string()),
                t.predicate.to_string(),
                blank(t.object.to_string()),
            ));
        }
    }
    out.sort();
    out
}

both!(
    the_public_catalogue_reads_as_dcat_ap_in_turtle_and_json_ld,
    |app| {
        let admin = bearer(&app.token("admin").await);
        let daklak = app.unit_id("66").await;
        for (code, kind, public) in [
            ("DLK-DATDAI", "local", true),
            ("DLK-MOTCUA", "system", true),
            ("DLK-MAT", "local", false),
        ] {
            let mut d = declaration(daklak, code);
            d["kind"] = json!(kind);
            d["is_public"] = json!(public);
            d["contact"] = json!("Sở Khoa học và Công nghệ \"Đắk Lắk\"");
            if kind == "system" {
                d["access_url"] = json!("");
            }
            let (s, v) = admin
                .post(app.url("/api/v1/catalogue"))
                .json(&d)
                .call_json()
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let id = v["id"].as_i64().unwrap();
            for m in ["declare", "approve", "accept"] {
                assert_eq!(step(&admin, &app, id, m, "").await.0, StatusCode::OK);
            }
        }
        let anon = app.anon();
        let (s, ttl) = anon
            .get(app.url("/api/v1/catalogue/dcat"))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, jsonld) = anon
            .get(app.url("/api/v1/catalogue/dcat?format=jsonld"))
            .call_text()
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = anon
            .get(app.url("/api/v1/catalogue/dcat?format=rdfxml"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let t = triples(Some(&ttl), None);
        assert_eq!(
            t,
            triples(None, Some(&jsonld)),
            "Turtle and JSON-LD say the same"
        );
        assert!(
            !ttl.contains("lgsp.daklak") && !ttl.contains("DLK-MAT"),
            "only public entries, no security detail"
        );
        const A: &str = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";
        let dcat = |l: &str| format!("<http://www.w3.org/ns/dcat#{l}>");
        let dct = |l: &str| format!("<http://purl.org/dc/terms/{l}>");
        let of_type = |class: String| -> Vec<String> {
            t.iter()
                .filter(|x| x.1 == A && x.2 == class)
                .map(|x| x.0.clone())
                .collect()
        };
        let has = |s: &str, p: &str| -> Vec<String> {
            t.iter()
                .filter(|x| x.0 == s && x.1 == p)
                .map(|x| x.2.clone())
                .collect()
        };
        let catalog = of_type(dcat("Catalog"));
        assert_eq!(catalog.len(), 1);
        for p in [dct("title"), dct("description"), dct("publisher")] {
            assert!(!has(&catalog[0], &p).is_empty(), "Catalog {p}");
        }
        assert!(
            has(&catalog[0], &dct("title"))
                .iter()
                .any(|x| x.ends_with("@vi"))
                && has(&catalog[0], &dct("title"))
                    .iter()
                    .any(|x| x.ends_with("@en"))
        );
        let datasets = of_type(dcat("Dataset"));
        assert_eq!(datasets.len(), 1, "{datasets:?}");
        for d in &datasets {
            for p in [
                dct("title"),
                dct("description"),
                dct("publisher"),
                dcat("contactPoint"),
                dcat("theme"),
                dcat("keyword"),
            ] {
                assert!(!has(d, &p).is_empty(), "Dataset {p}");
            }
            for dist in has(d, &dcat("distribution")) {
                assert_eq!(
                    has(&dist, &dcat("accessURL")),
                    vec!["<https://daklak.gov.vn/du-lieu/dat-dai>".to_string()]
                );
            }
            assert!(has(d, &dcat("theme")).contains(
                &"<http://publications.europa.eu/resource/authority/data-theme/REGI>".to_string()
            ));
        }
        let services = of_type(dcat("DataService"));
        assert_eq!(services.len(), 1);
        for s in &services {
            assert!(!has(s, &dct("title")).is_empty());
            // Without an address of its own, the endpoint is the entry's page.
            assert!(
                has(s, &dcat("endpointURL"))[0].contains("/catalogue/"),
                "{:?}",
                has(s, &dcat("endpointURL"))
            );
        }
        let agents = of_type("<http://xmlns.com/foaf/0.1/Agent>".into());
        assert!(agents.len() >= 2, "the catalogue's publisher and Đắk Lắk");
        for a in &agents {
            assert!(
                !has(a, "<http://xmlns.com/foaf/0.1/name>").is_empty(),
                "Agent name"
            );
        }
        // A contact point's quotes survive both writers.
        assert!(t.iter().any(|x| x.2.contains("\\\"Đắk Lắk\\\"")), "{t:?}");
    }
);

async fn import(
    c: &reqwest::Client,
    app: &common::TestApp,
    owner: i64,
    dry_run: bool,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    c.post(app.url(&format!(
        "/api/v1/catalogue/import?owner={owner}&dry_run={dry_run}"
    )))
    .header("content-type", "application/octet-stream")
    .body(body)
    .call_json()
    .await
}

both!(
    inventories_import_from_spreadsheets_and_ckan_and_bad_ones_write_nothing,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let daklak = app.unit_id("66").await;
        // Vietnamese headers, `;` as Excel writes it here; row 3 holds three values not understood.
        let bad = "Mã;Tên cơ sở dữ liệu;Loại;Tần suất cập nhật;Lĩnh vực;Cấp độ an toàn;Công khai;Ghi chú nội bộ\n\
               DLK-A;CSDL dân cư xã;Cơ sở dữ liệu của địa phương;Hằng tháng;Dân số và xã hội, REGI;3;x;\n\
               DLK-B;CSDL B;bảng tính;Mỗi giờ;Thể thao;2;;\n";
        let audit = app.audit_count().await;
        for dry_run in [true, false] {
            let (s, v) = import(&officer, &app, daklak, dry_run, bad.as_bytes().to_vec()).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(
                (v["rows"].as_i64(), v["created"].as_i64()),
                (Some(2), Some(0)),
                "{v}"
            );
            let problems: Vec<(i64, String, String)> = v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["line"].as_i64().unwrap(),
                        p["field"].as_str().unwrap().to_string(),
                        p["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(
                problems,
                vec![
                    (3, "frequency".into(), "Mỗi giờ".into()),
                    (3, "kind".into(), "bảng tính".into()),
                    (3, "themes".into(), "Thể thao".into()),
                ],
                "{v}"
            );
            assert_eq!(v["ignored_columns"], json!(["Ghi chú nội bộ"]));
            assert!(
                v["assumed"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(["lifecycle", "operating"])),
                "{v}"
            );
        }
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries")
                .await,
            0,
            "nothing written"
        );
        assert_eq!(app.audit_count().await, audit);

        // English headers, commas: both rows, the second consuming the first's data.
        let good = "Code,Name,Kind,Update frequency,Themes,Security level,Public,Consumes\n\
                DLK-A,Commune population data,Local database,Monthly,\"SOCI, REGI\",3,yes,\n\
                DLK-B,One-stop shop system,Information system,daily,GOVE,2,,DLK-A\n";
        let (s, v) = import(&officer, &app, daklak, false, good.as_bytes().to_vec()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["created"], 2, "{v}");
        let (_, v) = officer
            .get(app.url("/api/v1/catalogue?q=dlk-b"))
            .call_json()
            .await;
        let b = v["items"][0]["id"].as_i64().unwrap();
        let (_, v) = officer
            .get(app.url(&format!("/api/v1/catalogue/{b}")))
            .call_json()
            .await;
        assert_eq!(
            (v["kind"].as_str(), v["state"].as_str()),
            (Some("system"), Some("draft")),
            "{v}"
        );
        assert_eq!(v["providers"][0]["code"], "DLK-A", "{v}");
        // Importing the same codes again is refused, row by row.
        let (_, v) = import(&officer, &app, daklak, false, good.as_bytes().to_vec()).await;
        assert_eq!(
            (v["created"].as_i64(), v["problems"][0]["code"].as_str()),
            (Some(0), Some("err-catalogue-code-taken")),
            "{v}"
        );

        // French headers in an XLSX workbook.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (i, h) in [
            "Code",
            "Nom",
            "Type",
            "Fréquence",
            "Niveau de sécurité",
            "Hébergement",
        ]
        .iter()
        .enumerate()
        {
            ws.write(0, i as u16, *h).unwrap();
        }
        for (i, v) in [
            "DLK-C",
            "Registre des écoles",
            "Base de données locale",
            "Annuelle",
        ]
        .iter()
        .enumerate()
        {
            ws.write(1, i as u16, *v).unwrap();
        }
        ws.write(1, 4, 2).unwrap();
        ws.write(1, 5, "Nuage").unwrap();
        let (s, v) = import(&officer, &app, daklak, false, wb.save_to_buffer().unwrap()).await;
        assert_eq!((s, v["created"].as_i64()), (StatusCode::OK, Some(1)), "{v}");

        // A CKAN instance's package_search answer.
        let ckan = json!({"help": "x", "success": true, "result": {"count": 1, "results": [{
        "name": "dlk-xe-buyt", "title": "Tuyến xe buýt Buôn Ma Thuột", "notes": "Dữ liệu mở về tuyến xe buýt",
        "private": false, "tags": [{"name": "tran"}, {"name": "xe buýt"}], "groups": [],
        "resources": [{"url": "https://dulieu.daklak.example/xe-buyt.csv", "format": "CSV"}],
        "extras": [{"key": "update_frequency", "value": "weekly"}]}]}});
        let (s, v) = import(&officer, &app, daklak, true, ckan.to_string().into_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["created"].as_i64(),
                v["problems"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0)),
            "{v}"
        );
        let (_, v) = import(&officer, &app, daklak, false, ckan.to_string().into_bytes()).await;
        assert_eq!(v["created"], 1, "{v}");
        let (_, v) = officer
            .get(app.url("/api/v1/catalogue?q=xe buyt"))
            .call_json()
            .await;
        let bus = v["items"][0].clone();
        assert_eq!(
            (
                bus["kind"].as_str(),
                bus["themes"][0].as_str(),
                bus["is_public"].as_bool()
            ),
            (Some("open_data"), Some("TRAN"), Some(true)),
            "{bus}"
        );

        // Not the caller's unit; not a file.
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let (s, _) = import(&hanoi, &app, daklak, true, good.as_bytes().to_vec()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = import(&officer, &app, daklak, true, b"{\"result\": 1}".to_vec()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "file");
        let (s, v) = import(
            &officer,
            &app,
            daklak,
            true,
            b"Name,Kind\nx,local\n".to_vec(),
        )
        .await;
        assert_eq!(
            (s, v["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("err-import-column")),
            "{v}"
        );
    }
);

both!(
    heartbeats_sent_together_share_commits_and_each_is_answered,
    |app| {
        // Sixty heartbeats at once: forty from the owning unit's system over ten entries, twenty
        // from another province's token (refused, alone, inside the shared transactions). Each
        // answer comes after its commit, and the catalogue's lists show the stored figures on the
        // next request although only the changed rows are read again.
        let officer = bearer(&app.token("daklak.officer").await);
        let steering = bearer(&app.token("steering").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let daklak = app.unit_id("66").await;
        let mut ids = vec![];
        for i in 0..10 {
            let (s, v) = officer
                .post(app.url("/api/v1/catalogue"))
                .json(&declaration(daklak, &format!("dl-hb-{i}")))
                .call_json()
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            ids.push(v["id"].as_i64().unwrap());
        }
        let list = format!("/api/v1/catalogue?owner={daklak}");
        let (s, before) = steering.get(app.url(&list)).call_json().await;
        assert_eq!(s, StatusCode::OK, "{before}");
        assert_eq!(before["total"], 10);
        let audit = app.audit_count().await;
        let mut calls = vec![];
        for n in 0..60usize {
            let (client, id) = if n % 3 == 2 {
                (hanoi.clone(), ids[n % 10])
            } else {
                (officer.clone(), ids[n % 10])
            };
            let url = app.url(&format!("/api/v1/catalogue/{id}/heartbeat"));
            calls.push(tokio::spawn(async move {
                let valid = 50 + n as i64;
                let r = client
                    .post(url)
                    .json(&json!({"records": 1000, "checked": 200, "valid": valid}))
                    .send()
                    .await
                    .unwrap();
                (n, r.status())
            }));
        }
        let mut accepted = 0;
        for c in calls {
            let (n, s) = c.await.unwrap();
            if n % 3 == 2 {
                // A draft of another province: not even there for this token.
                assert_eq!(s, StatusCode::NOT_FOUND, "heartbeat {n}");
            } else {
                assert_eq!(s, StatusCode::OK, "heartbeat {n}");
                accepted += 1;
            }
        }
        assert_eq!(accepted, 40);
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_measurements")
                .await,
            40
        );
        assert_eq!(app.audit_count().await, audit + 40);
        let (_, after) = steering.get(app.url(&list)).call_json().await;
        for id in &ids {
            let valid = app
                .scalar_i64(&format!(
                    "SELECT valid FROM catalogue_entries WHERE id = {id}"
                ))
                .await;
            let hit = after["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["id"] == *id)
                .unwrap();
            let correct = hit["quality"]["correct"].as_f64().unwrap();
            assert!(
                (correct - valid as f64 / 2.0).abs() < 1e-9,
                "entry {id}: {valid} of 200 valid, {hit}"
            );
        }
    }
);

/// A measurement stored as if taken at `at` (the history's earlier months).
async fn measured_at(
    app: &common::TestApp,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    valid: i64,
) {
    let sql = "INSERT INTO catalogue_measurements (entry_id, at, source, records, checked, valid) VALUES ($1, $2, 'heartbeat', 1000, 100, $3)";
    match &app.db {
        app::db::Db::Sqlite(p) => sqlx::query(sql)
            .bind(id)
            .bind(at)
            .bind(valid)
            .execute(p)
            .await
            .map(|_| ()),
        app::db::Db::Pg(p) => sqlx::query(sql)
            .bind(id)
            .bind(at)
            .bind(valid)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

both!(
    a_units_quality_month_by_month_judges_each_entry_on_its_latest_measurement,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let anon = app.anon();
        let daklak = app.unit_id("66").await;
        let create = |code: &'static str| {
            let (officer, url) = (officer.clone(), app.url("/api/v1/catalogue"));
            async move {
                let (s, v) = officer
                    .post(url)
                    .json(&declaration(daklak, code))
                    .call_json()
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                v["id"].as_i64().unwrap()
            }
        };
        let quality = format!("/api/v1/catalogue/units/{daklak}/quality");
        let a = create("dl-month-a").await;
        let (s, points) = anon.get(app.url(&quality)).call_json().await;
        assert_eq!(s, StatusCode::OK, "{points}");
        let points = points.as_array().unwrap().clone();
        assert_eq!(points.len(), 12, "eleven month ends and now");
        let end = |i: usize| {
            points[i]["at"]
                .as_str()
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
        };
        let half_day = chrono::Duration::hours(12);
        // A: 90 % correct before the end of the month before last, 80 % before last month's end.
        measured_at(&app, a, end(9) - half_day, 90).await;
        measured_at(&app, a, end(10) - half_day, 80).await;
        // B (declared now, so the months are read again) measured 60 % before last month's end.
        let b = create("dl-month-b").await;
        measured_at(&app, b, end(10) - half_day, 60).await;
        // A reports now: 50 %.
        let (s, v) = officer
            .post(app.url(&format!("/api/v1/catalogue/{a}/heartbeat")))
            .json(&json!({"records": 1000, "checked": 100, "valid": 50}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, after) = anon.get(app.url(&quality)).call_json().await;
        let correct = |i: usize| after[i]["quality"]["correct"].as_f64();
        for i in 0..9 {
            assert_eq!(correct(i), None, "month {i}: nothing measured yet");
        }
        assert_eq!(correct(9), Some(90.0), "{after}");
        assert_eq!(correct(10), Some(70.0), "the mean of A (80) and B (60)");
        // Half a day old at the month's end, for a daily frequency: live.
        assert_eq!(after[10]["quality"]["live"].as_f64(), Some(100.0));
        assert_eq!(
            correct(11),
            Some(50.0),
            "now: A's heartbeat; B has no figures of its own"
        );
        let page = anon
            .get(app.url(&format!("/catalogue/units/{daklak}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"cat-unit-quality-chart\""), "{page}");
        assert!(
            page.contains("stroke=\"#2f6db5\""),
            "each line drawn in its legend's colour"
        );
        assert_eq!(
            page.matches("<polyline class=\"word").count(),
            3,
            "correct, sufficient and live have two points or more"
        );
        let (s, _) = anon
            .get(app.url("/api/v1/catalogue/units/999999/quality"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

both!(
    an_entrys_changes_are_listed_for_its_unit_and_reviewers_only,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let leader = bearer(&app.token("daklak.leader").await);
        let steering = bearer(&app.token("steering").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let daklak = app.unit_id("66").await;
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(daklak, "dl-changes"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let mut edited = declaration(daklak, "dl-changes");
        edited["name_en"] = json!("Land records of Đắk Lắk");
        edited["security_level"] = json!(4);
        let (s, v) = officer
            .put(app.url(&format!("/api/v1/catalogue/{id}")))
            .json(&edited)
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            step(&officer, &app, id, "declare", "").await.0,
            StatusCode::OK
        );
        assert_eq!(
            step(&leader, &app, id, "approve", "").await.0,
            StatusCode::OK
        );
        let (s, v) = step(&steering, &app, id, "return", "Thiếu căn cứ pháp lý").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // A heartbeat is in the quality history, not among the changes.
        let (s, _) = officer
            .post(app.url(&format!("/api/v1/catalogue/{id}/heartbeat")))
            .json(&json!({"records": 10}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK);

        let url = format!("/api/v1/catalogue/{id}/changes");
        let (s, v) = officer.get(app.url(&url)).call_json().await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let actions: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "catalogue.return",
                "catalogue.approve",
                "catalogue.declare",
                "catalogue.edit",
                "catalogue.create"
            ]
        );
        assert_eq!(v[0]["state"], "returned");
        assert_eq!(v[0]["reason"], "Thiếu căn cứ pháp lý");
        let mut fields: Vec<&str> = v[3]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        fields.sort();
        assert_eq!(fields, ["name_en", "security_level"], "{}", v[3]);
        assert_eq!(
            steering.get(app.url(&url)).call_json().await.0,
            StatusCode::OK
        );
        assert_eq!(
            hanoi.get(app.url(&url)).call_json().await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.anon().get(app.url(&url)).call_json().await.0,
            StatusCode::NOT_FOUND
        );
        let page = officer
            .get(app.url(&format!("/catalogue/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"cat-changes\""));
        assert!(page.contains("Thiếu căn cứ pháp lý"));
        assert!(
            page.contains("(2 trường: Tên tiếng Anh, Cấp độ an toàn)"),
            "the edit's fields by name"
        );
    }
);

both!(
    documents_attach_to_an_entry_and_are_read_as_the_entry_is,
    |app| {
        let officer = bearer(&app.token("daklak.officer").await);
        let hanoi = bearer(&app.token("hanoi.officer").await);
        let anon = app.anon();
        let daklak = app.unit_id("66").await;
        let (s, v) = officer
            .post(app.url("/api/v1/catalogue"))
            .json(&declaration(daklak, "dl-docs"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let url = app.url(&format!("/api/v1/catalogue/{id}/files"));
        let part = |bytes: &[u8], name: &str| {
            reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            )
        };
        let audit = app.audit_count().await;
        // A file whose content is not what its name says, and a stranger: nothing written.
        let (s, v) = officer
            .post(url.clone())
            .multipart(part(b"MZ\x90\x00 not a pdf", "quyet-dinh.pdf"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["errors"][0]["field"], "file", "{v}");
        let (s, _) = hanoi
            .post(url.clone())
            .multipart(part(b"%PDF-1.4 x", "a.pdf"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a draft of another province");
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_files").await,
            0
        );
        assert_eq!(app.audit_count().await, audit);

        let doc = b"%PDF-1.4 Quyet dinh ban hanh danh muc".to_vec();
        let (s, v) = officer
            .post(url.clone())
            .multipart(part(&doc, "Quyết định.pdf"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let file = v["id"].as_i64().unwrap();
        assert_eq!(v["content_type"], "application/pdf");
        assert_eq!(app.audit_count().await, audit + 1);
        let download = app.url(&format!("/api/v1/catalogue/files/{file}"));
        let r = officer.get(download.clone()).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().to_vec(), doc);
        // A draft's documents are the draft's: not there for the public or another province.
        assert_eq!(
            anon.get(download.clone()).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            hanoi.get(download.clone()).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
        // Accepted and public, its documents are public too, and listed on its page.
        let leader = bearer(&app.token("daklak.leader").await);
        let steering = bearer(&app.token("steering").await);
        assert_eq!(
            step(&officer, &app, id, "declare", "").await.0,
            StatusCode::OK
        );
        assert_eq!(
            step(&leader, &app, id, "approve", "").await.0,
            StatusCode::OK
        );
        assert_eq!(
            step(&steering, &app, id, "accept", "").await.0,
            StatusCode::OK
        );
        let r = anon.get(download).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().to_vec(), doc);
        let (_, list) = anon.get(url).call_json().await;
        assert_eq!(list[0]["file_name"], "Quyết định.pdf", "{list}");
        let page = anon
            .get(app.url(&format!("/catalogue/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("href=\"/api/v1/catalogue/files/{file}\"")),
            "{page}"
        );
    }
);

both!(
    an_officer_checks_then_imports_an_inventory_through_the_page,
    |app| {
        let c = app.signed_in("daklak.officer").await;
        let daklak = app.unit_id("66").await;
        let page = format!("/catalogue/import?owner={daklak}");
        let form = |csv: &str, dry_run: bool, csrf: &str| {
            let mut f = reqwest::multipart::Form::new()
                .text("_csrf", csrf.to_string())
                .text("owner", daklak.to_string())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                        .file_name("danh-muc.csv"),
                );
            if dry_run {
                f = f.text("dry_run", "1");
            }
            f
        };
        let send = |f: reqwest::multipart::Form| {
            let (c, url) = (c.clone(), app.url("/catalogue/import"));
            async move {
                let r = c.post(url).multipart(f).send().await.unwrap();
                (r.status(), r.text().await.unwrap())
            }
        };
        let bad = "Mã;Tên cơ sở dữ liệu;Tần suất cập nhật\nDLK-P1;CSDL một;Hằng tháng\nDLK-P2;CSDL hai;Mỗi giờ\n";
        let csrf = app.csrf(&c, &page).await;
        let (s, html) = send(form(bad, false, &csrf)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("id=\"cat-import-problems\""), "{html}");
        assert!(
            html.contains("Mỗi giờ"),
            "the value not understood is shown"
        );
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries")
                .await,
            0,
            "one bad row: nothing written"
        );
        let good = "Mã;Tên cơ sở dữ liệu;Loại;Tần suất cập nhật\nDLK-P1;CSDL một;Cơ sở dữ liệu của địa phương;Hằng tháng\nDLK-P2;CSDL hai;Hệ thống thông tin;Hằng năm\n";
        let (_, html) = send(form(good, true, &csrf)).await;
        assert!(!html.contains("cat-import-problems"), "{html}");
        assert!(
            html.contains("id=\"cat-import-created\">0<"),
            "a check writes nothing: {html}"
        );
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries")
                .await,
            0
        );
        let (_, html) = send(form(good, false, &csrf)).await;
        assert!(html.contains("id=\"cat-import-created\">2<"), "{html}");
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries WHERE state = 'draft'")
                .await,
            2
        );
        // Without the form's token, nothing is read.
        let (s, _) = send(form(good, false, "wrong")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Anonymous: sent to sign in.
        let (s, _) = app
            .anon()
            .get(app.url(&page))
            .send()
            .await
            .map(|r| (r.status(), ()))
            .unwrap();
        assert!(
            s == StatusCode::SEE_OTHER || s == StatusCode::UNAUTHORIZED,
            "{s}"
        );
    }
);
