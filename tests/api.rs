//! The API of the platform foundation, on SQLite and on PostgreSQL.

mod common;

use common::{Call, json};
use reqwest::StatusCode;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

async fn search(app: &common::TestApp, q: &str) -> Vec<i64> {
    let (s, v) = app
        .anon()
        .get(app.url("/api/v1/org-units"))
        .query(&[("q", q), ("kind", "province")])
        .call_json()
        .await;
    assert_eq!(s, 200);
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect()
}

both!(search_ignores_diacritics_and_case, |app| {
    let dak_lak = app.unit_id("66").await;
    let nfd: String = "Đắk Lắk".nfd().collect();
    for q in [
        "dak lak",
        "DAK LAK",
        "Đắk Lắk",
        nfd.as_str(),
        "  dak   LAK ",
    ] {
        assert_eq!(search(&app, q).await, vec![dak_lak], "query {q:?}");
    }
    // Communes are found the same way, and LIKE wildcards in the query are taken literally.
    let (_, v) = app
        .anon()
        .get(app.url("/api/v1/org-units?q=ba%20dinh"))
        .call_json()
        .await;
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name_vi"] == "Phường Ba Đình")
    );
    let (_, v) = app
        .anon()
        .get(app.url("/api/v1/org-units?q=%25"))
        .call_json()
        .await;
    assert_eq!(v["total"], 0);
});

both!(hierarchy_counts_and_children, |app| {
    let count = |q: &'static str| {
        let c = app.anon();
        let url = app.url(&format!("/api/v1/org-units?{q}&per_page=1"));
        async move { c.get(url).call_json().await.1["total"].as_i64().unwrap() }
    };
    assert_eq!(count("kind=province").await, 34);
    assert_eq!(
        count("kind=commune").await + count("kind=ward").await + count("kind=special_zone").await,
        3321
    );
    assert_eq!(count("kind=ward").await, 687);
    // 63 provinces existed before July 2025; the 23 that kept their identity have no historical twin... but
    // every province of a multi-province merger is kept as historical.
    assert!(count("kind=province&include_historical=true").await > 34);
    let dak_lak = app.unit_id("66").await;
    let (s, v) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units?parent={dak_lak}&per_page=200")))
        .call_json()
        .await;
    assert_eq!(s, 200);
    let total = v["total"].as_i64().unwrap();
    assert!(total > 50, "Đắk Lắk has its communes: {total}");
    assert!(
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["parent_id"] == dak_lak && u["valid_to"].is_null())
    );
    // Pagination: pages do not overlap and cover the total.
    let (_, p1) = app
        .anon()
        .get(app.url(&format!(
            "/api/v1/org-units?parent={dak_lak}&per_page=50&page=1"
        )))
        .call_json()
        .await;
    let (_, p2) = app
        .anon()
        .get(app.url(&format!(
            "/api/v1/org-units?parent={dak_lak}&per_page=50&page=2"
        )))
        .call_json()
        .await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 50);
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
});

both!(unit_detail_shows_mergers, |app| {
    let tq = app.unit_id("08").await;
    let (s, v) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{tq}")))
        .call_json()
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["name_vi"], "Tỉnh Tuyên Quang");
    assert_eq!(v["kind"], "province");
    assert_eq!(v["parent"]["code"], "VN");
    assert!(v["children_count"].as_i64().unwrap() > 100);
    let mut preds: Vec<&str> = v["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name_vi"].as_str().unwrap())
        .collect();
    preds.sort();
    assert_eq!(preds, ["Tỉnh Hà Giang", "Tỉnh Tuyên Quang"]);
    // The old province resolves to its successor.
    let ha_giang = v["predecessors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name_vi"] == "Tỉnh Hà Giang")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, old) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{ha_giang}")))
        .call_json()
        .await;
    assert_eq!(old["historical"], true);
    assert_eq!(old["successors"][0]["id"], tq);
    // Ministries: Science and Technology absorbed Information and Communications.
    let most = app.unit_id("BKHCN").await;
    let (_, v) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{most}")))
        .call_json()
        .await;
    assert!(
        v["predecessors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name_vi"] == "Bộ Thông tin và Truyền thông")
    );
    // The unit's page names the merged ministry in the reader's language.
    let en = app.page_in(&format!("/org/{most}"), "en").await;
    assert!(
        en.contains("\">Ministry of Information and Communications</a>"),
        "{en}"
    );
    let vi = app.page_in(&format!("/org/{most}"), "vi").await;
    assert!(vi.contains("\">Bộ Thông tin và Truyền thông</a>"), "{vi}");
    // A partial merge is labelled as such.
    let (_, v) = app
        .anon()
        .get(app.url("/api/v1/org-units?q=Ngoc%20Ha&kind=ward"))
        .call_json()
        .await;
    let ngoc_ha = v["items"][0]["id"].as_i64().unwrap();
    let (_, v) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{ngoc_ha}")))
        .call_json()
        .await;
    assert!(
        v["predecessors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["merge_type"] == "partial"),
        "{v}"
    );
});

both!(list_rejects_bad_parameters_with_problem_details, |app| {
    let c = app.anon();
    // Each message names its field first, in the reader's language (Vietnamese by default).
    for (q, field, name) in [
        ("kind=district", "kind", "Loại: "),
        ("per_page=0", "per_page", "Số dòng mỗi trang: "),
        ("per_page=500", "per_page", "Số dòng mỗi trang: "),
        ("page=0", "page", "Trang: "),
    ] {
        let (s, v) = c
            .get(app.url(&format!("/api/v1/org-units?{q}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert_eq!(v["errors"][0]["field"], field, "{q}: {v}");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with(name) && message.len() > name.len() + 5,
            "{q}: {v}"
        );
    }
    let (_, v) = c
        .get(app.url("/api/v1/org-units?per_page=0"))
        .header("accept-language", "en")
        .call_json()
        .await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Rows per page: "),
        "{v}"
    );
    let long = "x".repeat(101);
    let (s, v) = c
        .get(app.url("/api/v1/org-units"))
        .query(&[("q", long.as_str())])
        .call_json()
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "q");
    let (s, v) = c
        .get(app.url("/api/v1/org-units?per_page=abc"))
        .call_json()
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["status"], 400);
    let (s, _) = c.get(app.url("/api/v1/org-units/abc")).call_json().await;
    assert_eq!(s, 400);
    let (s, v) = c
        .get(app.url("/api/v1/org-units/999999999"))
        .call_json()
        .await;
    assert_eq!(s, 404);
    // Vietnamese by default, English and French on request.
    assert_eq!(v["title"], "Không tìm thấy");
    let (_, v) = c
        .get(app.url("/api/v1/org-units/999999999"))
        .header("accept-language", "en")
        .call_json()
        .await;
    assert_eq!(v["title"], "Not found");
    let (_, v) = c
        .get(app.url("/api/v1/org-units/999999999"))
        .header("accept-language", "fr-FR")
        .call_json()
        .await;
    assert_eq!(v["title"], "Introuvable");
});

both!(writes_reject_bad_input_and_write_nothing, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let most = app.unit_id("BKHCN").await;
    let before = app.audit_count().await;
    let post = |body: String, ct: &'static str| {
        c.post(app.url("/api/v1/org-units"))
            .bearer_auth(&admin)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let (s, v) = json(
        post("{\"name_vi\": ".into(), "application/json")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["type"].as_str().unwrap()),
        (400, "urn:nqtrack:problem:err-json-syntax")
    );
    let (s, v) = json(
        post(
            json!({"kind": "department", "name_vi": 5, "parent_id": most}).to_string(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        v["detail"].as_str().unwrap().contains("name_vi")
            || v["detail"].as_str().unwrap().contains("invalid type"),
        "{v}"
    );
    let (s, v) = json(
        post(
            json!({"kind": "department", "name_vi": "A", "parent_id": most, "colour": "red"})
                .to_string(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert!(v["detail"].as_str().unwrap().contains("colour"), "{v}");
    let (s, _) = json(
        post(
            "kind=department".into(),
            "application/x-www-form-urlencoded",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, v) = json(post(json!({"kind": "department", "name_vi": "x".repeat(201), "parent_id": most, "code": "bad code"}).to_string(), "application/json").await.unwrap()).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name_vi") && fields.contains(&"code"),
        "{v}"
    );
    let (s, v) = json(
        post(
            json!({"kind": "department", "name_vi": "Cục X", "parent_id": most, "code": "BKHCN"})
                .to_string(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "duplicate code: {v}");
    assert_eq!(v["errors"][0]["code"], "err-duplicate-code");
    let (s, v) = json(
        post(
            json!({"kind": "ward", "name_vi": "Phường X", "parent_id": most}).to_string(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "err-kind-under-parent");
    let (s, _) = json(
        post(
            json!({"kind": "department", "name_vi": "Cục X", "parent_id": 987654321}).to_string(),
            "application/json",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(
        app.audit_count().await,
        before,
        "failed writes leave no audit record"
    );
    // A good write is audited with before and after.
    let (s, v) = json(post(json!({"kind": "department", "name_vi": "Cục Thử nghiệm", "parent_id": most, "code": "BKHCN-TN"}).to_string(), "application/json").await.unwrap()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(app.audit_count().await, before + 1);
    let (_, a) = c
        .get(app.url("/api/v1/audit?action=org_unit.create"))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(
        a["items"][0]["object_id"],
        v["id"].as_i64().unwrap().to_string()
    );
    assert!(
        a["items"][0]["after_json"]
            .as_str()
            .unwrap()
            .contains("Cục Thử nghiệm")
    );
});

both!(moving_a_unit_keeps_the_closure_and_refuses_cycles, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let most = app.unit_id("BKHCN").await;
    let cds = app.unit_id("BKHCN-CDS").await;
    let dmst = app.unit_id("BKHCN-DMST").await;
    // Move DMST under CDS, then try to move CDS under DMST: a cycle.
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/org-units/{dmst}")))
        .bearer_auth(&admin)
        .json(&json!({"parent_id": cds}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["depth"], 3);
    let (_, d) = c
        .get(app.url(&format!("/api/v1/org-units/{dmst}")))
        .call_json()
        .await;
    let chain: Vec<i64> = d["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(&chain[1..], &[most, cds]);
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/org-units/{cds}")))
        .bearer_auth(&admin)
        .json(&json!({"parent_id": dmst}))
        .call_json()
        .await;
    assert_eq!(
        s, 422,
        "a refused structural change is a 422 with its reason"
    );
    assert_eq!(v["errors"][0]["code"], "err-cycle");
    let (s, _) = c
        .patch(app.url(&format!("/api/v1/org-units/{cds}")))
        .bearer_auth(&admin)
        .json(&json!({"parent_id": cds}))
        .call_json()
        .await;
    assert_eq!(s, 422, "a unit under itself");
    // The subtree still hangs together.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM org_closure WHERE descendant_id = {dmst}"
        ))
        .await,
        4
    );
});

both!(the_token_form_sent_twice_creates_one_token, |app| {
    // The page answers the POST with the secret, so a refresh sends the form again: the second
    // sending creates nothing, says so, and the form keeps what was typed after an error.
    let admin = app.signed_in("admin").await;
    let page = admin
        .get(app.url("/admin/tokens"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let form_token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let csrf = app.csrf(&admin, "/admin/tokens").await;
    let tokens = || app.scalar_i64("SELECT COUNT(*) FROM api_tokens");
    let before = tokens().await;
    let send = |days: &'static str| {
        admin
            .post(app.url("/admin/tokens"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", "daklak.officer"),
                ("name", "Đồng bộ số liệu"),
                ("expires_in_days", days),
                ("form_token", form_token.as_str()),
            ])
            .call()
    };
    // A bad value: refused next to its field, what was typed kept, nothing created.
    let r = send("mười").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"Đồng bộ số liệu\""), "{body}");
    assert!(body.contains("value=\"mười\""), "{body}");
    assert_eq!(tokens().await, before);
    // Sent right: one token; sent again with the same form token: 409, still one.
    let r = send("30").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("id=\"new-token\""));
    assert_eq!(tokens().await, before + 1);
    let r = send("30").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"token-form-repeat\""), "{body}");
    assert!(!body.contains("id=\"new-token\""), "{body}");
    assert_eq!(tokens().await, before + 1);
    // The page after it offers a fresh form token.
    assert!(!body.contains(&format!("value=\"{form_token}\"")));
});

both!(users_and_tokens_lifecycle, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let dak_lak = app.unit_id("66").await;
    let (s, u) = c.post(app.url("/api/v1/users")).bearer_auth(&admin)
        .json(&json!({"username": "new.officer", "display_name": "Nguyễn Văn A", "unit_id": dak_lak, "role": "unit_officer", "password": "long enough pw"})).call_json().await;
    assert_eq!(s, 201, "{u}");
    let (s, v) = c.post(app.url("/api/v1/users")).bearer_auth(&admin)
        .json(&json!({"username": "new.officer", "display_name": "B", "unit_id": dak_lak, "role": "unit_officer"})).call_json().await;
    assert_eq!(s, 409);
    assert_eq!(v["errors"][0]["field"], "username");
    let (s, v) = c.post(app.url("/api/v1/users")).bearer_auth(&admin)
        .json(&json!({"username": "X Y", "display_name": "", "unit_id": dak_lak, "role": "king", "password": "short", "email": "nope"})).call_json().await;
    assert_eq!(s, 422);
    let mut fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["display_name", "email", "password", "role", "username"]
    );
    // The new account signs in; a token issued for it works until revoked.
    let b = app.browser();
    assert_eq!(
        app.sign_in(&b, "new.officer", "long enough pw")
            .await
            .status(),
        303
    );
    let id = u["id"].as_i64().unwrap();
    let (s, t) = c
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"user_id": id, "name": "sync"}))
        .call_json()
        .await;
    assert_eq!(s, 201);
    let secret = t["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("nqt_"));
    // Only a hash is stored.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{secret}'"
        ))
        .await,
        0
    );
    let (s, me) = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .call_json()
        .await;
    assert_eq!(s, 200);
    assert_eq!(me["username"], "new.officer");
    assert_eq!(me["unit"]["id"], dak_lak);
    let (s, _) = c
        .delete(app.url(&format!("/api/v1/tokens/{}", t["id"])))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .get(app.url("/api/v1/me"))
        .bearer_auth(&secret)
        .call_json()
        .await;
    assert_eq!(s, 401);
    // Disabling the account ends its session.
    let (s, _) = c
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .call_json()
        .await;
    assert_eq!(s, 200);
    let r = b.get(app.url("/admin/users")).call().await;
    assert_eq!(r.status(), 303, "signed out after disable");
    // Every change above is in the audit trail.
    let (_, a) = c
        .get(app.url(&format!("/api/v1/audit?object_type=user&object_id={id}")))
        .bearer_auth(&admin)
        .call_json()
        .await;
    let actions: Vec<&str> = a["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.update", "user.create"]);
});

both!(audit_chain_detects_tampering, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let most = app.unit_id("BKHCN").await;
    for i in 0..3 {
        let (s, _) = c
            .patch(app.url(&format!("/api/v1/org-units/{most}")))
            .bearer_auth(&admin)
            .json(&json!({"name_en": format!("Ministry {i}")}))
            .call_json()
            .await;
        assert_eq!(s, 200);
    }
    let bin = env!("CARGO_BIN_EXE_nqtrack");
    let verify = || {
        std::process::Command::new(bin)
            .args(["audit", "verify"])
            .env("NQTRACK_DATABASE_URL", &app.db_url)
            .env("NQTRACK_DATA_DIR", std::env::temp_dir())
            .output()
            .unwrap()
    };
    let ok = verify();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact"));
    let target = app.scalar_i64("SELECT MAX(seq) - 1 FROM audit_log").await;
    app.exec(&format!(
        "UPDATE audit_log SET after_json = '{{\"name_en\":\"forged\"}}' WHERE seq = {target}"
    ))
    .await;
    let bad = verify();
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains(&format!("record {target} was altered")),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    // Deleting the last record is caught too.
    app.exec(&format!("UPDATE audit_log SET after_json = (SELECT after_json FROM audit_log WHERE seq = {target} + 1) WHERE seq = {target}")).await;
    app.exec("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
        .await;
    assert_eq!(verify().status.code(), Some(3));
});

both!(csrf_is_required_for_state_changes, |app| {
    let b = app.signed_in("daklak.officer").await;
    let dak_lak = app.unit_id("66").await;
    let form = [
        ("code", "66"),
        ("name_vi", "Tỉnh Đắk Lắk"),
        ("name_en", "Dak Lak"),
        ("name_fr", "Dak Lak"),
    ];
    let r = b
        .post(app.url(&format!("/org/{dak_lak}/edit")))
        .form(&form)
        .call()
        .await;
    assert_eq!(r.status(), 403, "no token");
    let mut with_wrong = form.to_vec();
    with_wrong.push((
        "_csrf",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ));
    assert_eq!(
        b.post(app.url(&format!("/org/{dak_lak}/edit")))
            .form(&with_wrong)
            .call()
            .await
            .status(),
        403
    );
    // API writes with the session cookie need the header; with it they pass.
    let r = b
        .patch(app.url(&format!("/api/v1/org-units/{dak_lak}")))
        .json(&json!({"name_en": "Dak Lak"}))
        .call()
        .await;
    assert_eq!(r.status(), 403);
    let token = app.csrf(&b, "/org").await;
    let r = b
        .patch(app.url(&format!("/api/v1/org-units/{dak_lak}")))
        .header("x-csrf-token", &token)
        .json(&json!({"name_en": "Dak Lak"}))
        .call()
        .await;
    assert_eq!(r.status(), 200);
    let mut good = form.to_vec();
    good.push(("_csrf", token.as_str()));
    let r = b
        .post(app.url(&format!("/org/{dak_lak}/edit")))
        .form(&good)
        .call()
        .await;
    assert_eq!(r.status(), 303);
    // Sign-out without the token is refused, so a foreign page cannot sign people out.
    assert_eq!(b.post(app.url("/logout")).call().await.status(), 403);
});

both!(
    only_an_administrator_changes_a_units_official_identity,
    |app| {
        let dak_lak = app.unit_id("66").await;
        let officer = app.token("daklak.officer").await;
        let patch = |token: String, body: Value| {
            let req = app
                .anon()
                .patch(app.url(&format!("/api/v1/org-units/{dak_lak}")))
                .bearer_auth(token)
                .json(&body);
            async move { req.call_json().await }
        };
        let before = app.audit_count().await;
        // The unit's officer keeps its translations, not its official code or Vietnamese name.
        for (body, field) in [
            (json!({"name_vi": "Tỉnh Đắk Lắk mới"}), "name_vi"),
            (json!({"code": "99"}), "code"),
        ] {
            let (s, v) = patch(officer.clone(), body).await;
            assert_eq!(s, 422, "{v}");
            assert_eq!(v["errors"][0]["field"], field, "{v}");
            assert_eq!(v["errors"][0]["code"], "err-official-identity", "{v}");
        }
        assert_eq!(app.audit_count().await, before, "nothing written");
        // Sending them unchanged (as the page's form does) is no change.
        let (s, v) = patch(
            officer.clone(),
            json!({"code": "66", "name_vi": "Tỉnh Đắk Lắk", "name_en": "Dak Lak Province"}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["name_en"], "Dak Lak Province");
        // The page shows both fields read-only to the officer, with the reason.
        let b = app.signed_in("daklak.officer").await;
        let page = b
            .get(app.url(&format!("/org/{dak_lak}/edit")))
            .call()
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"official-hint\""), "{page}");
        assert!(
            page.contains(
                "name=\"name_vi\" value=\"Tỉnh Đắk Lắk\" required maxlength=\"200\" readonly"
            ),
            "{page}"
        );
        // The administrator may change them.
        let (s, v) = patch(
            app.token("admin").await,
            json!({"name_vi": "Tỉnh Đắk Lắk (mới)"}),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["name_vi"], "Tỉnh Đắk Lắk (mới)");
    }
);

both!(sign_in_locks_out_after_repeated_failures, |app| {
    let b = app.browser();
    for _ in 0..5 {
        let r = app.sign_in(&b, "hanoi.officer", "wrong password").await;
        assert_eq!(r.status(), 422);
        assert!(
            r.text()
                .await
                .unwrap()
                .contains("Tên đăng nhập hoặc mật khẩu không đúng")
        );
    }
    let r = app.sign_in(&b, "hanoi.officer", seed::DEMO_PASSWORD).await;
    assert_eq!(r.status(), 429, "locked even with the right password");
    assert!(r.text().await.unwrap().contains("tạm thời bị khóa"));
    let admin = app.token("admin").await;
    let (_, a) = app
        .anon()
        .get(app.url("/api/v1/audit?action=auth.lockout"))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(a["total"], 1);
    // Other accounts are unaffected; an administrator's new password lifts the lock.
    assert_eq!(
        app.sign_in(&app.browser(), "daklak.officer", seed::DEMO_PASSWORD)
            .await
            .status(),
        303
    );
    let id = app.user_id("hanoi.officer").await;
    let (s, _) = app
        .anon()
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"password": "a brand new password"}))
        .call_json()
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        app.sign_in(&app.browser(), "hanoi.officer", "a brand new password")
            .await
            .status(),
        303
    );
});

both!(session_id_rotates_and_dies_at_sign_out, |app| {
    let b = app.browser();
    let session_of = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|v| v.starts_with("nqt_session="))
            .unwrap()
    };
    let r1 = app.sign_in(&b, "admin", seed::DEMO_PASSWORD).await;
    let r2 = app.sign_in(&b, "admin", seed::DEMO_PASSWORD).await;
    let (s1, s2) = (session_of(&r1), session_of(&r2));
    assert_ne!(s1, s2);
    assert!(s1.contains("HttpOnly") && s1.contains("SameSite=Lax"));
    let secret = s2
        .trim_start_matches("nqt_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // Only a hash of the session id is stored.
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id_hash = '{secret}'"
        ))
        .await,
        0
    );
    let csrf = app.csrf(&b, "/org").await;
    assert_eq!(
        b.post(app.url("/logout"))
            .form(&[("_csrf", csrf.as_str())])
            .call()
            .await
            .status(),
        303
    );
    let stale = app
        .anon()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("nqt_session={secret}"))
        .call()
        .await;
    assert_eq!(stale.status(), 401);
});

both!(org_csv_import_is_all_or_nothing, |app| {
    let actor = store::audit::Actor::system("test");
    let good = "code,kind,name_vi,name_en,name_fr,parent_code\nBKHCN-VP,department,Văn phòng Bộ,Ministry Office,Bureau du ministère,BKHCN\nBKHCN-VP-1,department,Phòng Tổng hợp,,,BKHCN-VP\n";
    let r = app::org::import_csv(&app.db, &actor, None, format!("\u{feff}{good}").as_bytes())
        .await
        .unwrap();
    assert_eq!((r.created, r.errors.len()), (2, 0));
    let before = app.scalar_i64("SELECT COUNT(*) FROM org_units").await;
    let bad = "code,kind,name_vi,name_en,name_fr,parent_code\nBKHCN-A,department,Phòng A,,,BKHCN\nBKHCN-B,district,Phòng B,,,BKHCN\nBKHCN-C,department,,,,NOPE\n";
    let r = app::org::import_csv(&app.db, &actor, None, bad.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.created, 0);
    let lines: Vec<(usize, &str)> = r.errors.iter().map(|(l, f, _)| (*l, f.as_str())).collect();
    assert_eq!(lines, [(3, "kind"), (4, "name_vi"), (4, "parent_code")]);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM org_units").await,
        before,
        "nothing half-written"
    );
    let e = app::org::import_csv(&app.db, &actor, None, b"id,name\n1,x\n")
        .await
        .unwrap_err();
    assert_eq!(e.fields()[0].code, "err-csv-header");
    let e = app::org::import_csv(
        &app.db,
        &actor,
        None,
        b"code,kind,name_vi,name_en,name_fr,parent_code\nX,department,Ph\xf2ng,,,VN\n",
    )
    .await
    .unwrap_err();
    assert_eq!(e.fields()[0].code, "err-not-utf8");
});

both!(generate_small_adds_users_with_audit, |app| {
    let users = app.scalar_i64("SELECT COUNT(*) FROM users").await;
    let audit = app.audit_count().await;
    let n = seed::generate::generate(&app.db, seed::generate::Scale::Small, false)
        .await
        .unwrap();
    assert_eq!(n, 2000);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM users").await,
        users + 2000
    );
    assert_eq!(app.audit_count().await, audit + 2000);
    let mut c = app.db.acquire().await.unwrap();
    assert!(
        store::audit::verify_chain(&mut c.conn())
            .await
            .unwrap()
            .is_ok()
    );
});

both!(health_metrics_and_headers, |app| {
    let c = app.anon();
    assert_eq!(c.get(app.url("/healthz")).call().await.status(), 200);
    assert_eq!(
        c.get(app.url("/readyz")).call().await.text().await.unwrap(),
        "ready"
    );
    let r = c.get(app.url("/org")).call().await;
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(h.contains_key("x-request-id"));
    assert!(
        !h.contains_key("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
    let m = c
        .get(app.url("/metrics"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("nqtrack_http_requests_total{method=\"GET\",route=\"/org\",status=\"2xx\"} 1"),
        "{m}"
    );
    assert!(m.contains("nqtrack_db_pool_connections"));
});

both!(pages_are_light_and_translated, |app| {
    let dak_lak = app.unit_id("66").await;
    for (lang, word) in [
        ("vi", "Cơ cấu tổ chức"),
        ("en", "Organisation"),
        ("fr", "Organisation"),
    ] {
        for path in [
            "/".to_string(),
            "/org".to_string(),
            format!("/org/{dak_lak}"),
            "/login".to_string(),
            "/org?q=dak+lak".to_string(),
        ] {
            let r = app
                .anon()
                .get(app.url(&path))
                .header("cookie", format!("nqt_lang={lang}"))
                .header("accept-encoding", "gzip")
                .call()
                .await;
            assert_eq!(r.status(), 200, "{path}");
            let body = r.bytes().await.unwrap();
            assert!(
                body.len() < 100 * 1024,
                "{path} in {lang} is {} bytes",
                body.len()
            );
            if path == "/org" {
                let r = app
                    .anon()
                    .get(app.url(&path))
                    .header("cookie", format!("nqt_lang={lang}"))
                    .call()
                    .await;
                let text = r.text().await.unwrap();
                assert!(text.contains(word), "{lang}: {word}");
                assert!(text.contains(&format!("<html lang=\"{lang}\">")));
            }
        }
    }
    let r = app.anon().get(app.url("/static/app.css")).call().await;
    assert!(r.bytes().await.unwrap().len() < 10 * 1024);
    // Pages for signed-in users redirect anonymous visitors to sign-in.
    let r = app.anon().get(app.url("/admin/users")).call().await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=/admin/users");
    // Numbers follow the language: 3.321 / 3,321 / 3 321.
    let home = app
        .anon()
        .get(app.url("/"))
        .header("cookie", "nqt_lang=en")
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(home.contains("3,321"));
    let home = app
        .anon()
        .get(app.url("/"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(home.contains("3.321"));
});

/// Every `$ref` of the document names a component it defines: a client generator or a fuzzer
/// cannot use an operation whose parameters point nowhere.
#[test]
fn openapi_references_resolve() {
    let doc = serde_json::to_value(web::api::openapi()).unwrap();
    let text = doc.to_string();
    let mut missing = vec![];
    for (at, _) in text.match_indices("\"$ref\":\"#/components/") {
        let rest = &text[at + "\"$ref\":\"#/components/".len()..];
        let path = &rest[..rest.find('"').unwrap()];
        let (kind, name) = path.split_once('/').unwrap();
        if doc["components"][kind].get(name).is_none() {
            missing.push(path.to_string());
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}

#[test]
fn openapi_document_matches_snapshot() {
    let doc = serde_json::to_string_pretty(&web::api::openapi()).unwrap();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let pinned = std::fs::read_to_string(&path)
        .expect("snapshot exists (run with UPDATE_SNAPSHOTS=1 to create it)");
    assert_eq!(
        doc, pinned,
        "the OpenAPI document changed; review and run with UPDATE_SNAPSHOTS=1"
    );
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["openapi"], "3.1.0");
    for p in [
        "/api/v1/org-units",
        "/api/v1/org-units/{id}",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/audit",
    ] {
        assert!(v["paths"].get(p).is_some(), "{p} documented");
    }
}

both!(patch_and_token_endpoints_reject_bad_input, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let most = app.unit_id("BKHCN").await;
    let officer = app.user_id("most.officer").await;
    let before = app.audit_count().await;
    let patch_unit = |body: serde_json::Value| {
        c.patch(app.url(&format!("/api/v1/org-units/{most}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let (s, v) = json(patch_unit(json!({"name_vi": ""})).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["code"].as_str().unwrap()),
        (422, "err-required")
    );
    let (s, v) = json(
        patch_unit(json!({"name_en": "x".repeat(300)}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["field"].as_str().unwrap()),
        (422, "name_en")
    );
    let (s, v) = json(patch_unit(json!({"code": "BTC"})).await.unwrap()).await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["code"].as_str().unwrap()),
        (409, "err-duplicate-code")
    );
    let (s, _) = json(patch_unit(json!({"valid_to": "2025-02-30"})).await.unwrap()).await;
    assert_eq!(s, 400, "impossible date");
    let (s, _) = json(patch_unit(json!({"parent_id": 987654321})).await.unwrap()).await;
    assert_eq!(s, 422);
    let patch_user = |body: serde_json::Value| {
        c.patch(app.url(&format!("/api/v1/users/{officer}")))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (json!({"role": "emperor"}), "role"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"unit_id": -5}), "unit_id"),
        (json!({"password": "short"}), "password"),
        (json!({"display_name": "   "}), "display_name"),
    ] {
        let (s, v) = json(patch_user(body.clone()).await.unwrap()).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(v["errors"][0]["field"], field, "{body}");
    }
    let (s, _) = json(patch_user(json!({"disabled": "yes"})).await.unwrap()).await;
    assert_eq!(s, 400, "wrong type");
    let admin_id = app.user_id("admin").await;
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/users/{admin_id}")))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["code"].as_str().unwrap()),
        (422, "err-disable-self")
    );
    let (s, _) = c
        .patch(app.url("/api/v1/users/987654321"))
        .bearer_auth(&admin)
        .json(&json!({"display_name": "X"}))
        .call_json()
        .await;
    assert_eq!(s, 404);
    for (body, field) in [
        (json!({"user_id": 987654321, "name": "x"}), "user_id"),
        (json!({"user_id": officer, "name": ""}), "name"),
        (
            json!({"user_id": officer, "name": "x", "expires_in_days": 0}),
            "expires_in_days",
        ),
        (
            json!({"user_id": officer, "name": "x", "role": "god"}),
            "role",
        ),
    ] {
        let (s, v) = c
            .post(app.url("/api/v1/tokens"))
            .bearer_auth(&admin)
            .json(&body)
            .call_json()
            .await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(v["errors"][0]["field"], field, "{body}");
    }
    let (s, _) = c
        .delete(app.url("/api/v1/tokens/987654321"))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(s, 404);
    for q in ["per_page=0", "page=-1"] {
        let (s, _) = c
            .get(app.url(&format!("/api/v1/audit?{q}")))
            .bearer_auth(&admin)
            .call_json()
            .await;
        assert_eq!(s, 422, "{q}");
    }
    let (s, _) = c
        .get(app.url("/api/v1/audit?actor=abc"))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(s, 400);
    let (s, _) = c
        .get(app.url("/api/v1/users?role=king"))
        .bearer_auth(&admin)
        .call_json()
        .await;
    assert_eq!(s, 422);
    let (s, _) = c
        .get(app.url("/api/v1/me"))
        .bearer_auth("nqt_not_a_real_token")
        .call_json()
        .await;
    assert_eq!(s, 401);
    assert_eq!(app.audit_count().await, before, "nothing written");
});

both!(cli_manages_users_tokens_and_backups, |app| {
    let bin = env!("CARGO_BIN_EXE_nqtrack");
    let dir = std::env::temp_dir().join(format!("nqtrack-cli-{}", &app::auth::random_token()[..8]));
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("NQTRACK_DATABASE_URL", &app.db_url)
            .env("NQTRACK_DATA_DIR", &dir)
            .env_remove("NQTRACK_PASSWORD")
            .output()
            .unwrap()
    };
    let out = run(&[
        "user",
        "create",
        "--username",
        "cli.user",
        "--display-name",
        "Người dùng CLI",
        "--unit",
        "66",
        "--role",
        "unit_officer",
        "--password",
        "cli password 123",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        app.sign_in(&app.browser(), "cli.user", "cli password 123")
            .await
            .status(),
        303
    );
    let out = run(&[
        "user",
        "create",
        "--username",
        "cli.user2",
        "--display-name",
        "X",
        "--unit",
        "NOPE",
        "--role",
        "unit_officer",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No unit in force"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        run(&[
            "user",
            "set-role",
            "--username",
            "cli.user",
            "--role",
            "unit_leader",
            "--unit",
            "01"
        ])
        .status
        .success()
    );
    let id = app.user_id("cli.user").await;
    let (_, u) = app
        .anon()
        .get(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(app.token("admin").await)
        .call_json()
        .await;
    assert_eq!(
        (u["role"].as_str().unwrap(), u["unit_id"].as_i64().unwrap()),
        ("unit_leader", app.unit_id("01").await)
    );
    let out = run(&["token", "create", "--username", "cli.user", "--name", "etl"]);
    assert!(out.status.success());
    let secret = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(
        app.anon()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .call()
            .await
            .status(),
        200
    );
    assert!(
        run(&["user", "disable", "--username", "cli.user"])
            .status
            .success()
    );
    assert_eq!(
        app.anon()
            .get(app.url("/api/v1/me"))
            .bearer_auth(&secret)
            .call()
            .await
            .status(),
        401,
        "a disabled owner's tokens stop working"
    );
    let copy = dir.join("copy.db");
    let out = run(&["backup", copy.to_str().unwrap()]);
    match app.backend {
        common::Backend::Sqlite => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let db = app::db::Db::connect(&format!("sqlite://{}", copy.display()))
                .await
                .unwrap();
            let mut c = db.acquire().await.unwrap();
            assert_eq!(
                store::users::count(&mut c.conn()).await.unwrap(),
                app.scalar_i64("SELECT COUNT(*) FROM users").await
            );
        }
        common::Backend::Postgres => {
            assert_eq!(out.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        }
    }
});

both!(in_memory_tree_answers_like_sql, |app| {
    use store::org::ListFilter;
    let idx = store::org_index::OrgIndex::default();
    let snap = idx.snapshot(&app.db).await.unwrap();
    let dak_lak = app.unit_id("66").await;
    let filters = [
        ListFilter {
            parent: Some(dak_lak),
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            q: Some("xa".into()),
            limit: 5000,
            ..Default::default()
        },
        ListFilter {
            q: Some("y".into()),
            limit: 5000,
            ..Default::default()
        },
        ListFilter {
            q: Some("ba dinh".into()),
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            q: Some("qqzz".into()),
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            q: Some("dak".into()),
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            q: Some("phuong tan".into()),
            include_historical: true,
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            kind: Some("province".into()),
            include_historical: true,
            limit: 500,
            ..Default::default()
        },
        ListFilter {
            kind: Some("ward".into()),
            limit: 20,
            offset: 40,
            ..Default::default()
        },
    ];
    let mut c = app.db.acquire().await.unwrap();
    for f in filters {
        let (mem, mem_total) = snap.list(&f);
        let (sql, sql_total) = store::org::list(&mut c.conn(), &f).await.unwrap();
        assert_eq!(mem_total, sql_total, "{f:?}");
        assert_eq!(mem.len(), sql.len(), "{f:?}");
        if f.offset == 0 {
            let mut a: Vec<i64> = mem.iter().map(|u| u.id).collect();
            let mut b: Vec<i64> = sql.iter().map(|u| u.id).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{f:?}");
        }
    }
    let tq = app.unit_id("08").await;
    assert_eq!(
        snap.ancestors(tq).iter().map(|u| u.id).collect::<Vec<_>>(),
        store::org::ancestors(&mut c.conn(), tq)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        snap.children_count(tq),
        store::org::children_count(&mut c.conn(), tq).await.unwrap()
    );
    assert_eq!(
        snap.links(tq, true).len(),
        store::org::links(&mut c.conn(), tq, true)
            .await
            .unwrap()
            .len()
    );
    // A write through another path is seen once the version moves.
    let admin = app.token("admin").await;
    let most = app.unit_id("BKHCN").await;
    let r = app
        .anon()
        .patch(app.url(&format!("/api/v1/org-units/{most}")))
        .bearer_auth(&admin)
        .json(&json!({"name_en": "MOST renamed"}))
        .call()
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        idx.snapshot(&app.db)
            .await
            .unwrap()
            .get(most)
            .unwrap()
            .name_en
            .as_deref(),
        Some("MOST renamed")
    );
    assert_ne!(idx.snapshot(&app.db).await.unwrap().version, snap.version);
});

both!(structural_mistakes_cannot_wreck_the_tree, |app| {
    let admin = app.token("admin").await;
    let c = app.anon();
    let national = app
        .scalar_i64("SELECT id FROM org_units WHERE kind = 'national'")
        .await;
    let dak_lak = app.unit_id("66").await;
    let commune = app
        .scalar_i64(&format!(
            "SELECT MIN(id) FROM org_units WHERE parent_id = {dak_lak} AND valid_to IS NULL AND kind IN ('commune', 'ward')"
        ))
        .await;
    let merge = |id: i64, body: serde_json::Value| {
        c.post(app.url(&format!("/api/v1/org-units/{id}/merge")))
            .bearer_auth(&admin)
            .header("accept-language", "en")
            .json(&body)
            .call_json()
    };
    // The mistake the fuzzer made: the national level merged into a commune.
    let (s, v) = merge(national, json!({ "into": commune })).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "err-national-fixed");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("national level"),
        "{v}"
    );
    // A province into a commune: not the same level (and the commune lies below it).
    let (s, v) = merge(dak_lak, json!({ "into": commune })).await;
    assert_eq!(s, 422, "{v}");
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"err-merge-level") && codes.contains(&"err-merge-below"),
        "{codes:?}"
    );
    // Closing a province whose communes are in force would leave them under a closed unit.
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/org-units/{dak_lak}")))
        .bearer_auth(&admin)
        .json(&json!({ "valid_to": "2026-12-31" }))
        .call_json()
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "err-units-below");
    // Nor can the national level be closed or moved.
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/org-units/{national}")))
        .bearer_auth(&admin)
        .json(&json!({ "valid_to": "2026-12-31" }))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["code"].as_str()),
        (422, Some("err-national-fixed")),
        "{v}"
    );
    // Nothing of that was written: the national level is still the one root, in force.
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM org_units WHERE parent_id IS NULL AND valid_to IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        app.scalar_i64(&format!("SELECT COUNT(*) FROM org_units WHERE id IN ({national}, {dak_lak}) AND valid_to IS NULL")).await,
        2
    );
    // The last administrator cannot demote or disable themselves out of existence.
    let me = app
        .scalar_i64("SELECT id FROM users WHERE username = 'admin'")
        .await;
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM users WHERE role = 'administrator' AND NOT disabled")
            .await,
        1,
        "the demo has one administrator"
    );
    let (s, v) = c
        .patch(app.url(&format!("/api/v1/users/{me}")))
        .bearer_auth(&admin)
        .json(&json!({ "role": "unit_officer" }))
        .call_json()
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["code"], "err-last-admin");
});

both!(
    a_malformed_address_is_answered_in_words_not_a_parser_message,
    |app| {
        // The bare tracking lookup leads back to its form.
        let r = app.anon().get(app.url("/feedback/track")).call().await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/feedback#track");
        // A page given a malformed parameter says which, in the reader's language, on a page.
        let b = app.browser();
        let r = b.get(app.url("/lang/en?next=/")).call().await;
        assert_eq!(r.status(), 303);
        for path in ["/org?page=abc", "/org/1/worklist?due_from=abc"] {
            let r = b
                .get(app.url(path))
                .header("accept", "text/html")
                .call()
                .await;
            assert_eq!(r.status(), 400, "{path}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("Failed to deserialize"), "{path}: {body}");
            assert!(body.contains("is not valid"), "{path}: {body}");
        }
        // The API keeps the parser's precise words in its problem details.
        let (s, p) = app
            .anon()
            .get(app.url("/api/v1/org-units?page=abc"))
            .call_json()
            .await;
        assert_eq!(s, 400);
        assert!(p["detail"].as_str().unwrap().contains("page"), "{p}");
    }
);

both!(the_whole_audit_log_pages_by_sequence_at_any_depth, |app| {
    let admin = common::bearer(&app.token("admin").await);
    let n = app.scalar_i64("SELECT COUNT(*) FROM audit_log").await;
    assert!(n > 7, "the seed wrote records ({n})");
    let page = |p: i64| {
        let admin = &admin;
        let app = &app;
        async move {
            let (s, v) = admin
                .get(app.url(&format!("/api/v1/audit?per_page=3&page={p}")))
                .call_json()
                .await;
            assert_eq!(s, 200, "{v}");
            let seqs: Vec<i64> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["seq"].as_i64().unwrap())
                .collect();
            (v["total"].as_i64().unwrap(), seqs, v)
        }
    };
    // Newest first, three at a time, every record once, down to the first.
    let mut seen = vec![];
    let last = (n + 2) / 3;
    for p in 1..=last {
        let (total, seqs, _) = page(p).await;
        assert_eq!(total, n);
        seen.extend(seqs);
    }
    assert_eq!(seen, (1..=n).rev().collect::<Vec<_>>());
    let (_, past, _) = page(last + 1).await;
    assert!(past.is_empty());
    // A record as listed is the record as stored.
    let (_, _, v) = page(2).await;
    let second = &v["items"][0];
    let action = app
        .scalar_text(&format!(
            "SELECT action FROM audit_log WHERE seq = {}",
            n - 3
        ))
        .await;
    assert_eq!(
        (second["seq"].as_i64(), second["action"].as_str()),
        (Some(n - 3), Some(action.as_str()))
    );
    // A filter still counts what matches.
    let (s, v) = admin
        .get(app.url("/api/v1/audit?action=org_unit.create&per_page=1"))
        .call_json()
        .await;
    assert_eq!(s, 200);
    let created = app
        .scalar_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'org_unit.create'")
        .await;
    assert_eq!(v["total"].as_i64(), Some(created));
});

both!(
    long_audit_records_are_cut_in_lists_and_whole_by_number,
    |app| {
        // A record as long as a day's sweep writes (every reminder it recorded): the list shows the
        // start of it and says so; the record by its number is whole, and the chain still holds.
        let long: String = format!(
            "{{\"recorded\":[{}]}}",
            (0..900)
                .map(|i| format!("\"before-3:{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(long.len() > 10_000);
        {
            let mut tx = app.db.begin().await.unwrap();
            store::audit::append(
                &mut tx.conn(),
                &store::audit::Actor::system("reminders"),
                chrono::Utc::now(),
                vec![
                    store::audit::Change::new("reminders.sweep", "job", 1)
                        .after(Some(long.clone())),
                ],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        let admin = common::bearer(&app.token("admin").await);
        let (s, v) = admin
            .get(app.url("/api/v1/audit?action=reminders.sweep"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let e = &v["items"][0];
        assert_eq!(e["truncated"], true, "{e}");
        let shown = e["after_json"].as_str().unwrap();
        assert_eq!(shown.chars().count(), 2_000);
        assert!(long.starts_with(shown));
        // The whole log too (a range of the chain), where the short records are not marked.
        let (_, all) = admin.get(app.url("/api/v1/audit")).call_json().await;
        for i in all["items"].as_array().unwrap() {
            assert_eq!(i["truncated"], i["seq"] == e["seq"], "{i}");
        }
        let seq = e["seq"].as_i64().unwrap();
        let (s, whole) = admin
            .get(app.url(&format!("/api/v1/audit/{seq}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{whole}");
        assert_eq!(whole["after_json"], long.as_str());
        assert_eq!(whole["truncated"], false);
        assert_eq!(whole["hash"], e["hash"]);
        // The page links to it.
        let page = app.signed_in("admin").await;
        let (_, body) = page
            .get(app.url("/admin/audit?action=reminders.sweep"))
            .call_text()
            .await;
        assert!(
            body.contains(&format!("href=\"/api/v1/audit/{seq}\"")),
            "{body}"
        );
        // Only for those who may read the trail; a number that is not there.
        let (s, _) = common::bearer(&app.token("daklak.officer").await)
            .get(app.url(&format!("/api/v1/audit/{seq}")))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = admin
            .get(app.url(&format!("/api/v1/audit/{}", seq + 1000)))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let mut c = app.db.acquire().await.unwrap();
        assert!(
            store::audit::verify_chain(&mut c.conn())
                .await
                .unwrap()
                .is_ok()
        );
    }
);

both!(
    an_officer_lists_exactly_the_accounts_of_their_subtree,
    |app| {
        // The province's officer reads the accounts of the province and of every unit below it,
        // in name order, and the total counts the same set (one SQL form per backend).
        let dl = app.unit_id("66").await;
        let expected = app
            .scalar_text(&format!(
                "SELECT COALESCE(STRING_AGG(username, ',' ORDER BY username), '') FROM users
             WHERE unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = {dl})"
            ))
            .await;
        let (s, v) = common::bearer(&app.token("daklak.officer").await)
            .get(app.url("/api/v1/users?per_page=200"))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let names: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert!(names.len() >= 2, "{names:?}");
        assert_eq!(names.join(","), expected);
        assert_eq!(v["total"], names.len() as i64);
    }
);

both!(filtered_audit_totals_follow_new_records, |app| {
    // A filter's total is counted once, then only over the records written since: it stays
    // equal to a full count as the trail grows, for each filter on its own.
    let admin = common::bearer(&app.token("admin").await);
    let dl = app.unit_id("66").await;
    let total = |q: &'static str| {
        let req = admin.get(app.url(&format!("/api/v1/audit?{q}")));
        async move {
            let (s, v) = req.call_json().await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["total"].as_i64().unwrap()
        }
    };
    let counted = |sql: &'static str| app.scalar_i64(sql);
    for round in 0..3 {
        assert_eq!(
            total("action=org_unit.create").await,
            counted("SELECT COUNT(*) FROM audit_log WHERE action = 'org_unit.create'").await,
            "round {round}"
        );
        assert_eq!(
            total("object_type=org_unit").await,
            counted("SELECT COUNT(*) FROM audit_log WHERE object_type = 'org_unit'").await,
            "round {round}"
        );
        for i in 0..2 {
            let (s, v) = admin
                .post(app.url("/api/v1/org-units"))
                .json(&json!({"kind": "commune", "name_vi": format!("Xã Đếm {round}-{i}"), "parent_id": dl}))
                .call_json()
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
    }
    // A page of a filtered list holds only its matches, newest first.
    let (_, v) = admin
        .get(app.url("/api/v1/audit?action=org_unit.create&per_page=3"))
        .call_json()
        .await;
    let seqs: Vec<i64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["action"], "org_unit.create");
            e["seq"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|w| w[0] > w[1]));
});

/// Follows `next` from `first` until the last page: the items of every page, in order.
async fn walk(client: &reqwest::Client, app: &common::TestApp, first: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut url = first.to_string();
    for _ in 0..10_000 {
        let (s, v) = client.get(app.url(&url)).call_json().await;
        assert_eq!(s, StatusCode::OK, "{url}: {v}");
        out.extend(v["items"].as_array().unwrap().iter().cloned());
        match v["next"].as_str() {
            Some(n) => {
                let sep = if first.contains('?') { '&' } else { '?' };
                url = format!("{first}{sep}after={}", urlencoding(n));
            }
            None => return out,
        }
    }
    panic!("{first}: no last page");
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

both!(lists_walked_by_position_hold_every_record_once, |app| {
    // The audit trail (whole and filtered) and the accounts page by position: walked page by
    // page with `after`, each record comes exactly once, in the list's order, as SQL has them.
    let admin = common::bearer(&app.token("admin").await);
    let dl = app.unit_id("66").await;
    // More than the page's fifty records.
    for i in 0..50 {
        let (s, v) = admin
            .post(app.url("/api/v1/org-units"))
            .json(&json!({"kind": "commune", "name_vi": format!("Xã Trang {i}"), "parent_id": dl}))
            .call_json()
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let head = app.scalar_i64("SELECT MAX(seq) FROM audit_log").await;
    let seqs = |items: Vec<Value>| -> Vec<i64> {
        items
            .iter()
            .map(|e| e["seq"].as_i64().unwrap())
            .filter(|s| *s <= head)
            .collect()
    };
    let all = app
        .scalar_text("SELECT STRING_AGG(CAST(seq AS TEXT), ',' ORDER BY seq DESC) FROM audit_log")
        .await;
    let walked = seqs(walk(&admin, &app, "/api/v1/audit?per_page=7").await);
    assert_eq!(
        walked
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        all
    );
    let units = app
        .scalar_text(
            "SELECT STRING_AGG(CAST(seq AS TEXT), ',' ORDER BY seq DESC) FROM audit_log WHERE object_type = 'org_unit'",
        )
        .await;
    let walked = seqs(
        walk(
            &admin,
            &app,
            "/api/v1/audit?object_type=org_unit&per_page=9",
        )
        .await,
    );
    assert!(walked.len() > 3, "{walked:?}");
    assert_eq!(
        walked
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        units
    );
    let names = app
        .scalar_text("SELECT STRING_AGG(username, ',' ORDER BY username) FROM users")
        .await;
    let walked: Vec<String> = walk(&admin, &app, "/api/v1/users?per_page=4")
        .await
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_string())
        .collect();
    assert!(walked.len() > 4, "{walked:?}");
    assert_eq!(walked.join(","), names);
    // A position that is not a record's number is refused next to the parameter.
    let (s, v) = admin
        .get(app.url("/api/v1/audit?after=abc"))
        .call_json()
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["errors"][0]["field"], "after", "{v}");
    // The pages link on by position and back to the first.
    let page = app.signed_in("admin").await;
    let (_, body) = page.get(app.url("/admin/audit")).call_text().await;
    let at = body.find("id=\"pager-next\"").expect("a next link");
    let href_at = body[..at].rfind("href=\"").unwrap() + 6;
    let href = body[href_at..][..body[href_at..].find('"').unwrap()].replace("&#38;", "&");
    assert!(href.contains("after="), "{href}");
    let (s, second) = page.get(app.url(&href)).call_text().await;
    assert_eq!(s, StatusCode::OK);
    assert!(second.contains("id=\"pager-first\""), "{second}");
    let fifty_first = all.split(',').nth(50).unwrap();
    assert!(
        second.contains(&format!("<tr><td>{fifty_first}</td>")),
        "the second page starts with the 51st record"
    );
});
