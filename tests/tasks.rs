//! Task monitoring: the real action programme imported, read through the API, on both backends.

mod common;

use app::programmes::{NQ03, NQ03_ANNEX, import_annex};
use common::{Call, json};
use store::audit::Actor;

async fn import(app: &common::TestApp) -> i64 {
    let r = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
        .await
        .unwrap();
    r.programme_id.unwrap()
}

both!(
    annex_imports_every_task_and_reports_what_it_cannot_read,
    |app| {
        let tasks_before = app.scalar_i64("SELECT COUNT(*) FROM tasks").await;
        let dry = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, true)
            .await
            .unwrap();
        assert!(dry.dry_run && dry.programme_id.is_none());
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM tasks").await,
            tasks_before,
            "a dry run writes nothing"
        );
        let r = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
            .await
            .unwrap();
        assert_eq!((r.groups, r.tasks), (7, 140));
        assert_eq!(r.problems.len(), dry.problems.len());
        let pid = r.programme_id.unwrap();
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid}"
            ))
            .await,
            140
        );
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM task_groups WHERE programme_id = {pid}"
            ))
            .await,
            7
        );
        // Every deadline text is kept verbatim, parsed or not.
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM tasks WHERE deadline_json LIKE '%unparsed%'")
                .await,
            1
        );
        // Values the importer could not match are listed, not dropped.
        let text: Vec<&str> = r.problems.iter().map(|(_, m)| m.as_str()).collect();
        assert!(
            text.iter()
                .any(|m| m.contains("completion time not understood")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|m| m.contains("doanh nghiep cong nghe so")),
            "{text:?}"
        );
        // A pre-merger ministry resolves to its successor: task 1 is led by Information and Communications, now Science and Technology.
        let most = app.unit_id("BKHCN").await;
        let t1 = app
            .scalar_i64(&format!(
                "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '1'"
            ))
            .await;
        assert_eq!(app.scalar_i64(&format!("SELECT COUNT(*) FROM assignments WHERE task_id = {t1} AND is_lead = TRUE AND unit_id = {most}")).await, 1);
        // A collective lead becomes one assignment per ministry and per province.
        let t6 = app
            .scalar_i64(&format!(
                "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '6'"
            ))
            .await;
        let agencies = app
            .scalar_i64(
                "SELECT COUNT(*) FROM org_units WHERE kind = 'central_agency' AND valid_to IS NULL",
            )
            .await;
        assert_eq!(
            app.scalar_i64(&format!(
                "SELECT COUNT(*) FROM assignments WHERE task_id = {t6} AND is_lead = TRUE"
            ))
            .await,
            agencies + 34
        );
        // The programme cannot be imported twice.
        let again = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
            .await
            .unwrap_err();
        assert_eq!(again.status(), 409);
        let (_, a) = app
            .anon()
            .get(app.url("/api/v1/audit?action=programme.import"))
            .bearer_auth(app.token("admin").await)
            .call_json()
            .await;
        assert_eq!(a["total"], 1);
    }
);

both!(overview_counts_tasks_by_status_for_a_window, |app| {
    let pid = import(&app).await;
    let c = app.anon();
    let (s, v) = c.get(app.url(&format!("/api/v1/programmes/{pid}/overview?as_of=2025-06-15&due_from=2025-03-01&due_to=2025-05-31"))).call_json().await;
    assert_eq!(s, 200, "{v}");
    let due_in_window = app.scalar_i64(&format!("SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND due_on >= '2025-03-01' AND due_on <= '2025-05-31'")).await;
    let o = &v["overview"];
    assert_eq!(o["tasks"]["total"], due_in_window);
    // Nothing has been reported or verified, so every task due before 15 June is overdue.
    assert_eq!(o["tasks"]["by_status"]["overdue"], due_in_window);
    let sum: i64 = o["per_group"]
        .as_object()
        .unwrap()
        .values()
        .map(|g| g["total"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, due_in_window);
    // As of a date before the deadlines, the same tasks are not overdue.
    let (_, early) = c.get(app.url(&format!("/api/v1/programmes/{pid}/overview?as_of=2025-02-01&due_from=2025-03-01&due_to=2025-05-31"))).call_json().await;
    assert!(
        early["overview"]["tasks"]["by_status"]
            .get("overdue")
            .is_none()
    );
    // Bad input.
    let (s, v) = c
        .get(app.url(&format!(
            "/api/v1/programmes/{pid}/overview?due_from=2025-06-01&due_to=2025-01-01"
        )))
        .call_json()
        .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["field"].as_str().unwrap()),
        (422, "due_to")
    );
    let (s, _) = c
        .get(app.url(&format!(
            "/api/v1/programmes/{pid}/overview?as_of=2025-02-30"
        )))
        .call_json()
        .await;
    assert_eq!(s, 400);
    let (s, _) = c
        .get(app.url("/api/v1/programmes/987654/overview"))
        .call_json()
        .await;
    assert_eq!(s, 404);
});

both!(tasks_list_and_detail, |app| {
    let pid = import(&app).await;
    let c = app.anon();
    let (s, v) = c.get(app.url("/api/v1/programmes")).call_json().await;
    assert_eq!(
        (s.as_u16(), v[0]["code"].as_str().unwrap()),
        (200, "03/NQ-CP")
    );
    let (s, all) = c
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&as_of=2025-01-15")))
        .call_json()
        .await;
    assert_eq!(s, 200);
    assert_eq!(all.as_array().unwrap().len(), 140);
    let most = app.unit_id("BKHCN").await;
    let (_, mine) = c
        .get(app.url(&format!(
            "/api/v1/tasks?programme={pid}&unit={most}&as_of=2026-01-01"
        )))
        .call_json()
        .await;
    let mine = mine.as_array().unwrap();
    assert!(mine.len() > 20 && mine.len() < 140, "{}", mine.len());
    let (_, overdue) = c
        .get(app.url(&format!(
            "/api/v1/tasks?programme={pid}&status=overdue&as_of=2026-01-01"
        )))
        .call_json()
        .await;
    assert!(
        overdue
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "overdue")
    );
    let (s, _) = c
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&status=late-ish")))
        .call_json()
        .await;
    assert_eq!(s, 422);
    let (s, _) = c.get(app.url("/api/v1/tasks")).call_json().await;
    assert_eq!(s, 400, "programme is required");
    let t14 = all
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "14")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, d) = c
        .get(app.url(&format!("/api/v1/tasks/{t14}?as_of=2025-06-01")))
        .call_json()
        .await;
    assert_eq!(s, 200);
    assert_eq!(d["deadline_text"], "2025");
    assert_eq!(d["due_on"], "2025-12-31");
    assert_eq!(
        d["status"], "at_risk",
        "a third of its time gone, nothing reported"
    );
    let lead: Vec<&str> = d["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["is_lead"] == true)
        .map(|a| a["unit_name"].as_str().unwrap())
        .collect();
    assert_eq!(lead, ["Bộ Khoa học và Công nghệ"]);
});

both!(programme_task_list_is_paged_and_complete, |app| {
    let pid = import(&app).await;
    let total = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND state = 'active'"
        ))
        .await as usize;
    assert!(total > 100, "the annex fills more than one page ({total})");
    let get = |path: String| {
        let app = &app;
        async move {
            let r = app.anon().get(app.url(&path)).call().await;
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap()
        }
    };
    let ids = |html: &str| -> Vec<i64> {
        html.split("<td><a href=\"/tasks/")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
            .collect()
    };
    // The overview lists the first tasks only, says how many there are, and links to the rest.
    let overview = get(format!("/programmes/{pid}")).await;
    assert_eq!(ids(&overview).len(), 20);
    // Tasks whose lead is only described in words are listed but not counted; the page says how
    // many, and the two counts add up.
    let unled = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks t WHERE t.programme_id = {pid} AND t.state = 'active'
             AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id
                             AND a.is_lead = TRUE AND a.parent_id IS NULL)"
        ))
        .await as usize;
    assert!(unled > 0, "the annex names some leads only in words");
    assert!(overview.contains(&format!("id=\"summary\">{} nhiệm vụ (", total - unled)));
    assert!(overview.contains(&format!("id=\"unled\">Ngoài ra, {unled} nhiệm vụ")));
    // Such a task says it has no lead unit, on its page and in the API, rather than "not started".
    let unled_id = app
        .scalar_i64(&format!(
            "SELECT MIN(t.id) FROM tasks t WHERE t.programme_id = {pid} AND t.state = 'active'
             AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id
                             AND a.is_lead = TRUE AND a.parent_id IS NULL)"
        ))
        .await;
    let page = get(format!("/tasks/{unled_id}")).await;
    assert!(
        page.contains("id=\"task-status\">Chưa có đơn vị chủ trì trong hệ thống</span>")
            && page.contains("id=\"unled\""),
        "{page}"
    );
    let en = app.page_in(&format!("/tasks/{unled_id}"), "en").await;
    assert!(en.contains("id=\"task-status\">No lead unit in the system</span>"));
    // The units given a task are named in the reader's language.
    let (led, lead_unit) = (
        app.scalar_i64(&format!(
            "SELECT MIN(a.task_id) FROM assignments a JOIN tasks t ON t.id = a.task_id
             WHERE t.programme_id = {pid} AND a.is_lead = TRUE AND a.parent_id IS NULL"
        ))
        .await,
        app.scalar_i64(&format!(
            "SELECT MIN(a.unit_id) FROM assignments a JOIN tasks t ON t.id = a.task_id
             WHERE t.programme_id = {pid} AND a.is_lead = TRUE AND a.parent_id IS NULL
             AND a.task_id = (SELECT MIN(a2.task_id) FROM assignments a2 JOIN tasks t2 ON t2.id = a2.task_id
                              WHERE t2.programme_id = {pid} AND a2.is_lead = TRUE AND a2.parent_id IS NULL)"
        ))
        .await,
    );
    for (lang, column) in [("en", "name_en"), ("fr", "name_fr"), ("vi", "name_vi")] {
        let name = app
            .scalar_text(&format!(
                "SELECT {column} FROM org_units WHERE id = {lead_unit}"
            ))
            .await;
        let page = app.page_in(&format!("/tasks/{led}"), lang).await;
        assert!(
            page.contains(&format!("<a href=\"/org/{lead_unit}\">{name}</a>")),
            "{lang}: {name}: {page}"
        );
    }
    let (s, rows) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks?programme={pid}&status=no_lead")))
        .call_json()
        .await;
    assert_eq!(s, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), unled, "{rows:?}");
    assert!(rows.iter().any(|r| r["id"] == unled_id));
    let (_, led) = app
        .anon()
        .get(app.url(&format!("/api/v1/tasks?programme={pid}")))
        .call_json()
        .await;
    let no_lead = led
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "no_lead")
        .count();
    assert_eq!(no_lead, unled);
    assert!(overview.contains(&format!("Nhiệm vụ ({total})")));
    assert!(overview.contains(&format!(
        "<a href=\"/programmes/{pid}/tasks\" id=\"all-tasks\">Xem cả {total} nhiệm vụ"
    )));
    // The list, a hundred at a time, holds every task once.
    let first = get(format!("/programmes/{pid}/tasks")).await;
    assert!(first.contains(&format!("Nhiệm vụ 1–100 trong tổng số {total}")));
    assert!(first.contains(&format!(
        "href=\"/programmes/{pid}/tasks?page=2\" rel=\"next\""
    )));
    let mut seen = ids(&first);
    assert_eq!(seen.len(), 100);
    let mut page = 2;
    loop {
        let html = get(format!("/programmes/{pid}/tasks?page={page}")).await;
        seen.extend(ids(&html));
        if !html.contains("rel=\"next\"") {
            assert!(html.contains(&format!("–{total} trong tổng số {total}")));
            break;
        }
        page += 1;
    }
    let listed = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((listed, seen.len()), (total, total), "every task once");
    let list = seen
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let of_programme = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND state = 'active' AND id IN ({list})"
        ))
        .await;
    assert_eq!(of_programme as usize, total, "and only its tasks");
    let en = app
        .page_in(&format!("/programmes/{pid}/tasks?page=2"), "en")
        .await;
    assert!(en.contains(&format!("Tasks 101–{} of {total}", total.min(200))));
    // Past the end: an empty page that says so; a page below 1: the field's error.
    let past = get(format!("/programmes/{pid}/tasks?page=99")).await;
    assert!(ids(&past).is_empty() && past.contains(&format!("Nhiệm vụ 0–0 trong tổng số {total}")));
    let bad = app
        .anon()
        .get(app.url(&format!("/programmes/{pid}/tasks?page=0")))
        .call()
        .await;
    assert_eq!(bad.status(), 422);
    let missing = app
        .anon()
        .get(app.url("/programmes/999999/tasks"))
        .call()
        .await;
    assert_eq!(missing.status(), 404);
});

both!(overview_and_task_pages, |app| {
    let pid = import(&app).await;
    let due = app.scalar_i64(&format!("SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND due_on >= '2025-03-01' AND due_on <= '2025-05-31'")).await;
    let url = app.url(&format!(
        "/programmes/{pid}?as_of=2025-06-15&due_from=2025-03-01&due_to=2025-05-31"
    ));
    let page = app.anon().get(&url).call().await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "{due} nhiệm vụ ({due} đã đến hạn tính đến 15/06/2025): 0 hoàn thành đúng hạn"
        )),
        "summary in Vietnamese"
    );
    assert!(html.contains(&format!("{due} quá hạn.")));
    assert!(
        html.contains("<svg class=\"bar\""),
        "charts drawn on the server"
    );
    let en = app
        .anon()
        .get(&url)
        .header("cookie", "nqt_lang=en")
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains(&format!(
        "{due} tasks ({due} due by 15 June 2025): 0 completed on time"
    )));
    // Without a window, tasks due in later years count among the tasks, not among those due.
    let due_by = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND due_on <= '2025-06-15'"
        ))
        .await;
    let later = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM tasks WHERE programme_id = {pid} AND due_on > '2025-06-15'"
        ))
        .await;
    assert!(later > 0 && due_by > 0, "the annex has tasks on both sides");
    let all = app
        .anon()
        .get(app.url(&format!("/programmes/{pid}?as_of=2025-06-15")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(
        all.contains(&format!("({due_by} đã đến hạn tính đến 15/06/2025)")),
        "due counts only deadlines on or before the as-of date"
    );
    // Every lead unit is listed (none dropped silently), each a link to its work, its counts in words.
    let leads = app.scalar_i64(&format!("SELECT COUNT(DISTINCT a.unit_id) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = {pid} AND a.is_lead = TRUE")).await;
    assert!(
        all.contains(&format!("Theo cơ quan chủ trì ({leads})")),
        "{leads} lead units"
    );
    let rows = all.matches("<tr><td><a href=\"/org/").count() as i64;
    assert_eq!(rows, leads, "one linked row per lead unit");
    assert!(
        all.contains(" quá hạn</small>") || all.contains(" quá hạn ·"),
        "counts written out"
    );
    let gz = app
        .anon()
        .get(&url)
        .header("accept-encoding", "gzip")
        .call()
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        gz.len() < 100 * 1024,
        "overview page is {} bytes compressed",
        gz.len()
    );
    let t1 = app
        .scalar_i64(&format!(
            "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '1'"
        ))
        .await;
    let task = app.page_in(&format!("/tasks/{t1}"), "fr").await;
    // The lead unit by its French name, its role in French.
    assert!(
        task.contains(">Ministère des Sciences et des Technologies</a>") && task.contains("Pilote"),
        "{task}"
    );
    let bad = app
        .anon()
        .get(app.url(&format!(
            "/programmes/{pid}?due_from=2025-06-01&due_to=2025-01-01"
        )))
        .call()
        .await;
    assert_eq!(bad.status(), 422);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Ngày kết thúc trước ngày bắt đầu")
    );
});

both!(report_claim_verify_and_the_overview_follows, |app| {
    let pid = import(&app).await;
    let most = app.unit_id("BKHCN").await;
    let t1 = app
        .scalar_i64(&format!(
            "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '1'"
        ))
        .await;
    let a = app
        .scalar_i64(&format!(
            "SELECT id FROM assignments WHERE task_id = {t1} AND unit_id = {most}"
        ))
        .await;
    let officer = app.token("most.officer").await;
    let c = app.anon();
    let post = |token: &str, body: serde_json::Value| {
        c.post(app.url(&format!("/api/v1/assignments/{a}/reports")))
            .bearer_auth(token.to_string())
            .json(&body)
            .send()
    };
    let hanoi = app.token("hanoi.officer").await;
    let audit_before = app.audit_count().await;
    // Bad input first: nothing is written.
    for (body, field) in [
        (
            serde_json::json!({"percent": 150, "narrative": "x"}),
            "percent",
        ),
        (
            serde_json::json!({"percent": 50, "narrative": ""}),
            "narrative",
        ),
        (
            serde_json::json!({"percent": 50, "narrative": "x", "claims_completion": true}),
            "claims_completion",
        ),
        (
            serde_json::json!({"percent": 50, "narrative": "x", "reported_on": "2099-01-01"}),
            "reported_on",
        ),
        (
            serde_json::json!({"percent": 50, "narrative": "x", "reported_on": "2024-01-01"}),
            "reported_on",
        ),
    ] {
        let (s, v) = json(post(&officer, body.clone()).await.unwrap()).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(v["errors"][0]["field"], field, "{body}");
    }
    let (s, _) = json(
        post(
            &officer,
            serde_json::json!({"percent": "half", "narrative": "x"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    // Another province's officer may not report for the ministry.
    let (s, _) = json(
        post(&hanoi, serde_json::json!({"percent": 10, "narrative": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(app.audit_count().await, audit_before);
    // A report, then a completion claim within the deadline (June 2025).
    let (s, r) = json(post(&officer, serde_json::json!({"percent": 60, "narrative": "Dự thảo đã trình", "reported_on": "2025-04-10"})).await.unwrap()).await;
    assert_eq!(s, 201, "{r}");
    let (s, _) = json(post(&officer, serde_json::json!({"percent": 100, "narrative": "Đã ban hành", "results": "Quyết định 1234/QĐ-TTg", "claims_completion": true, "reported_on": "2025-06-20"})).await.unwrap()).await;
    assert_eq!(s, 201);
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM reports WHERE assignment_id = {a}"
        ))
        .await,
        2,
        "reports are kept"
    );
    let status_of = |as_of: &'static str| {
        let c = app.anon();
        let url = app.url(&format!("/api/v1/tasks/{t1}?as_of={as_of}"));
        async move {
            c.get(url).call_json().await.1["status"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let today = domain::clock::local_date(chrono::Utc::now()).to_string();
    let today: &'static str = Box::leak(today.into_boxed_str());
    assert_eq!(
        status_of(today).await,
        "overdue",
        "a claim does not count before it is verified"
    );
    // The officer cannot verify; steering can, and the task is then completed on time.
    let verify = |token: String, body: serde_json::Value| {
        c.post(app.url(&format!("/api/v1/assignments/{a}/verification")))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let (s, _) = json(
        verify(officer.clone(), serde_json::json!({"approve": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let steering = app.token("steering").await;
    let (s, v) = json(
        verify(steering.clone(), serde_json::json!({"approve": false}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["field"].as_str().unwrap()),
        (422, "comment")
    );
    let (s, v) = json(
        verify(
            steering.clone(),
            serde_json::json!({"approve": true, "comment": "Đạt"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verified_on"], today);
    assert_eq!(status_of(today).await, "completed_on_time");
    let (s, _) = json(
        verify(steering, serde_json::json!({"approve": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "nothing left to verify");
    let (s, _) = json(
        post(
            &officer,
            serde_json::json!({"percent": 100, "narrative": "again"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "no reports after verified completion");
    // The overview reflects it at once.
    let (_, o) = c
        .get(app.url(&format!(
            "/api/v1/programmes/{pid}/overview?due_from=2025-06-30&due_to=2025-06-30"
        )))
        .call_json()
        .await;
    assert!(
        o["overview"]["per_unit"][most.to_string()]["by_status"]["completed_on_time"]
            .as_i64()
            .unwrap()
            >= 1,
        "{o}"
    );
    let (_, audit) = c
        .get(app.url(&format!(
            "/api/v1/audit?object_type=assignment&object_id={a}"
        )))
        .bearer_auth(app.token("admin").await)
        .call_json()
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "assignment.verify",
            "assignment.progress",
            "assignment.progress"
        ]
    );
});

both!(demo_progress_shows_every_status, |app| {
    let pid = import(&app).await;
    let n = seed::demo_progress(&app.db, pid).await.unwrap();
    assert!(n > 100);
    let (_, o) = app
        .anon()
        .get(app.url(&format!("/api/v1/programmes/{pid}/overview")))
        .call_json()
        .await;
    let by = &o["overview"]["tasks"]["by_status"];
    for s in [
        "completed_on_time",
        "completed_late",
        "overdue",
        "at_risk",
        "in_progress",
    ] {
        assert!(by[s].as_i64().unwrap_or(0) > 0, "{s} missing: {by}");
    }
    // Decisions carry the day they were taken (a week after the claim), not the day the demo
    // was built: the trend counts completions in their own months, and as of an earlier date.
    let (_, ch) = app
        .anon()
        .get(app.url(&format!("/api/v1/programmes/{pid}/charts?as_of=2025-12-31")))
        .call_json()
        .await;
    let trend = ch["trend"].as_array().unwrap();
    let last = trend.last().unwrap();
    assert_eq!(last["day"], "2025-12-31");
    let done_then = last["completed"].as_i64().unwrap();
    assert!(done_then > 0, "{ch}");
    let verified_by_then = app
        .scalar_i64(&format!(
            "SELECT COUNT(DISTINCT a.task_id) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = {pid} AND a.verified_on <= '2025-12-31'"
        ))
        .await;
    assert!(
        done_then <= verified_by_then,
        "{done_then} > {verified_by_then}"
    );
    // Claims are waiting in the Committee's queue, and one was returned.
    assert!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM assignments WHERE claimed_on IS NOT NULL AND verified_on IS NULL"
        )
        .await
            > 0
    );
    assert!(
        app.scalar_i64("SELECT COUNT(*) FROM verifications WHERE approved = FALSE")
            .await
            > 0
    );
    let mut c = app.db.acquire().await.unwrap();
    assert!(
        store::audit::verify_chain(&mut c.conn())
            .await
            .unwrap()
            .is_ok()
    );
});

both!(extensions_move_the_deadline_and_keep_the_original, |app| {
    let pid = import(&app).await;
    let most = app.unit_id("BKHCN").await;
    let t1 = app
        .scalar_i64(&format!(
            "SELECT id FROM tasks WHERE programme_id = {pid} AND code = '1'"
        ))
        .await;
    let a = app
        .scalar_i64(&format!(
            "SELECT id FROM assignments WHERE task_id = {t1} AND unit_id = {most}"
        ))
        .await;
    let (officer, steering, hanoi) = (
        app.token("most.officer").await,
        app.token("steering").await,
        app.token("hanoi.officer").await,
    );
    let c = app.anon();
    let ask = |token: &String, body: serde_json::Value| {
        c.post(app.url(&format!("/api/v1/assignments/{a}/extensions")))
            .bearer_auth(token.clone())
            .json(&body)
            .send()
    };
    let (s, v) = json(
        ask(
            &officer,
            serde_json::json!({"requested_due": "2025-05-01", "reason": "x"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["code"].as_str().unwrap()),
        (422, "err-not-later")
    );
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2025-06-30")
    );
    let (s, v) = json(
        ask(
            &officer,
            serde_json::json!({"requested_due": "2027-06-30", "reason": ""}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (s.as_u16(), v["errors"][0]["field"].as_str().unwrap()),
        (422, "reason")
    );
    let (s, _) = json(
        ask(
            &hanoi,
            serde_json::json!({"requested_due": "2027-06-30", "reason": "x"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, e) = json(
        ask(
            &officer,
            serde_json::json!({"requested_due": "2027-06-30", "reason": "Chờ Luật được thông qua"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 201, "{e}");
    let (s, _) = json(
        ask(
            &officer,
            serde_json::json!({"requested_due": "2027-07-30", "reason": "again"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 409, "one pending request at a time");
    let decide = |token: &String, body: serde_json::Value| {
        c.post(app.url(&format!("/api/v1/extensions/{}/decision", e["id"])))
            .bearer_auth(token.clone())
            .json(&body)
            .send()
    };
    let (s, _) = json(
        decide(&officer, serde_json::json!({"approve": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403, "the unit cannot approve its own extension");
    let (s, v) = json(
        decide(&steering, serde_json::json!({"approve": true}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["approved"], true);
    let (s, _) = json(
        decide(
            &steering,
            serde_json::json!({"approve": false, "comment": "no"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 409);
    // The original deadline stays; the task is no longer overdue today; the overview moves it to the new window.
    assert_eq!(app.scalar_i64(&format!("SELECT COUNT(*) FROM assignments WHERE id = {a} AND original_due = '2025-06-30' AND extension_due = '2027-06-30'")).await, 1);
    let (_, d) = c
        .get(app.url(&format!("/api/v1/tasks/{t1}")))
        .call_json()
        .await;
    let mine = d["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit_id"] == most)
        .unwrap();
    assert_ne!(mine["status"], "overdue", "{mine}");
});

both!(worklist_puts_urgent_work_first, |app| {
    let pid = import(&app).await;
    seed::demo_progress(&app.db, pid).await.unwrap();
    let most = app.unit_id("BKHCN").await;
    let html = app
        .anon()
        .get(app.url(&format!("/org/{most}/worklist")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = html
        .split("<span class=\"st ")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert!(rows.len() > 20, "{}", rows.len());
    let rank = |s: &str| {
        [
            "overdue",
            "at_risk",
            "not_started",
            "in_progress",
            "completed_late",
            "completed_on_time",
        ]
        .iter()
        .position(|x| *x == s)
        .unwrap_or(9)
    };
    let ranks: Vec<usize> = rows.iter().map(|s| rank(s).min(4)).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "most urgent first: {rows:?}");
    let only = app
        .anon()
        .get(app.url(&format!("/org/{most}/worklist?status=overdue")))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(only.matches("<span class=\"st ").count() >= 1);
    assert!(
        only.split("<span class=\"st ")
            .skip(1)
            .all(|r| r.starts_with("overdue"))
    );
    let bad = app
        .anon()
        .get(app.url(&format!("/org/{most}/worklist?status=soon")))
        .call()
        .await;
    assert_eq!(bad.status(), 422);
});

/// The number of a home page figure and the link it carries: `<a id="{id}" href="…"><strong>N</strong>`.
fn figure(html: &str, marker: &str) -> (i64, String) {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not on the page"));
    let rest = &html[at..];
    let href = rest
        .split("href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let n = rest
        .split("<strong>")
        .nth(1)
        .and_then(|r| r.split("</strong>").next())
        .unwrap()
        .replace(['.', ','], "");
    (n.parse().unwrap(), href)
}

both!(each_home_figure_is_its_list_and_the_league_adds_up, |app| {
    let pid = import(&app).await;
    seed::demo_progress(&app.db, pid).await.unwrap();
    let today = domain::clock::local_date(chrono::Utc::now());
    // An officer's home: each figure, recomputed from the unit's whole worklist through the
    // API, and equal to the length of the list its link opens.
    let dl = app.unit_id("66").await;
    let officer = app.signed_in("daklak.officer").await;
    let home = officer.get(app.url("/")).call().await.text().await.unwrap();
    let (_, all) = app
        .anon()
        .get(app.url(&format!("/api/v1/org-units/{dl}/worklist")))
        .call_json()
        .await;
    let all = all.as_array().unwrap().clone();
    let due = |i: &serde_json::Value| {
        i["due"]
            .as_str()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
    };
    let open = |i: &serde_json::Value| {
        !matches!(
            i["status"].as_str().unwrap(),
            "completed_on_time" | "completed_late" | "cancelled" | "superseded"
        )
    };
    let within = |i: &serde_json::Value, days: i64| {
        open(i) && due(i).is_some_and(|d| d >= today && d <= today + chrono::Duration::days(days))
    };
    let expected = [
        (
            "id=\"n-overdue\"",
            all.iter().filter(|i| i["status"] == "overdue").count(),
        ),
        (
            "id=\"n-soon\"",
            all.iter().filter(|i| within(i, 30)).count(),
        ),
        (
            "id=\"n-later\"",
            all.iter().filter(|i| within(i, 90)).count(),
        ),
        (
            "id=\"n-risk\"",
            all.iter().filter(|i| i["status"] == "at_risk").count(),
        ),
    ];
    assert!(expected[0].1 > 0, "the demo has overdue work in Đắk Lắk");
    for (marker, want) in expected {
        let (n, href) = figure(&home, marker);
        assert_eq!(n, want as i64, "{marker}");
        let list = officer
            .get(app.url(&href))
            .call()
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(
            list.matches("<span class=\"st ").count() as i64,
            n,
            "{marker}: the list behind {href}"
        );
    }
    // Officers do not approve: no queue on their home; the leader's shows it.
    assert!(!home.contains("id=\"n-claims\""));
    let leader = app.signed_in("daklak.leader").await;
    let lh = leader.get(app.url("/")).call().await.text().await.unwrap();
    assert_eq!(
        figure(&lh, "id=\"n-claims\"").1,
        format!("/org/{dl}/claims")
    );

    // The Steering Committee's league: every province's row recomputed from its worklist (its
    // lead assignments of the programme, due by today) and the ranking by share on time.
    let steering = app.signed_in("steering").await;
    let nh = steering
        .get(app.url("/"))
        .call()
        .await
        .text()
        .await
        .unwrap();
    let table = nh
        .split(&format!("id=\"league-provinces-{pid}\""))
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    let rows: Vec<&str> = table.split("<tr data-unit=\"").skip(1).collect();
    assert_eq!(rows.len(), 34, "every province is ranked");
    let mut shares = vec![];
    for r in rows {
        let unit: i64 = r.split('"').next().unwrap().parse().unwrap();
        let cells: Vec<i64> = r
            .split("<td class=\"num\" data-label=")
            .skip(1)
            .map(|c| {
                let c = c.split("</td>").next().unwrap();
                let c = c.rsplit("\">").next().unwrap().trim_end_matches("</a>");
                c.replace(['.', ','], "").parse().unwrap()
            })
            .collect();
        let (_, w) = app
            .anon()
            .get(app.url(&format!(
                "/api/v1/org-units/{unit}/worklist?programme={pid}"
            )))
            .call_json()
            .await;
        let lead_due: Vec<&serde_json::Value> = w
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["assignment"]["is_lead"] == true
                    && i["assignment"]["parent_id"].is_null()
                    && !matches!(i["status"].as_str().unwrap(), "cancelled" | "superseded")
                    && due(i).is_some_and(|d| d <= today)
            })
            .collect();
        let count = |s: &str| lead_due.iter().filter(|i| i["status"] == s).count() as i64;
        let (d, on_time, late) = (
            lead_due.len() as i64,
            count("completed_on_time"),
            count("completed_late"),
        );
        assert_eq!(
            cells,
            vec![d, on_time, late, d - on_time - late],
            "unit {unit}"
        );
        shares.push(if d == 0 {
            -1.0
        } else {
            on_time as f64 / d as f64
        });
    }
    assert!(
        shares.windows(2).all(|w| w[0] >= w[1]),
        "ranked by share: {shares:?}"
    );
    // The programme's overdue figure is the overview's, unit by unit, and its list has as many rows.
    let (_, o) = app
        .anon()
        .get(app.url(&format!("/api/v1/programmes/{pid}/overview")))
        .call_json()
        .await;
    let overdue: i64 = o["overview"]["per_unit"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["by_status"]["overdue"].as_i64().unwrap_or(0))
        .sum();
    let (n, href) = figure(&nh, "class=\"n-overdue\"");
    assert_eq!(n, overdue);
    let list = steering
        .get(app.url(&href))
        .call()
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("id=\"deadlines-count\">{}<", {
        // The list's own count, in the page's (Vietnamese) digit grouping.
        let s = n.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push('.');
            }
            out.push(ch);
        }
        out
    })));
    assert_eq!(
        list.split("<tbody>")
            .nth(1)
            .unwrap()
            .matches("<tr>")
            .count() as i64,
        n
    );
    // Claims waiting: the figure is the queue's.
    let waiting = figure(&nh, "id=\"n-claims\"").0;
    let vn = app.unit_id("VN").await;
    assert_eq!(
        waiting,
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN programmes p ON p.id = t.programme_id
             WHERE a.claimed_on IS NOT NULL AND a.verified_on IS NULL AND a.parent_id IS NULL AND p.owner_unit_id = {vn}"
        ))
        .await
    );
    assert!(waiting > 0);
    // The national picture is kept between requests (issue 12); a verification is on the very
    // next page all the same.
    let claimed = app
        .scalar_i64(&format!(
            "SELECT MIN(a.id) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN programmes p ON p.id = t.programme_id
             WHERE a.claimed_on IS NOT NULL AND a.verified_on IS NULL AND a.parent_id IS NULL AND p.owner_unit_id = {vn}"
        ))
        .await;
    let (s, v) = app
        .anon()
        .post(app.url(&format!("/api/v1/assignments/{claimed}/verification")))
        .bearer_auth(app.token("steering").await)
        .json(&serde_json::json!({"approve": true, "comment": "Đạt"}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, again) = steering.get(app.url("/")).call_text().await;
    assert_eq!(figure(&again, "id=\"n-claims\"").0, waiting - 1);
    // Other roles keep the directory home.
    let admin = app.signed_in("admin").await;
    let ah = admin.get(app.url("/")).call().await.text().await.unwrap();
    assert!(ah.contains("class=\"stats\""));
});
