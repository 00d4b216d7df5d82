//! The task volume generator: its rows hang together the way the application's own writes would.

mod common;

use app::error::AppError;
use app::programmes::{NQ03, NQ03_ANNEX, import_annex};
use common::Call;
use domain::deadline::Deadline;
use seed::generate::Scale;
use seed::generate_tasks::generate_tasks;
use store::audit::Actor;

/// Restricts a query on assignments `a` to the generated programmes.
const GEN: &str = "a.task_id IN (SELECT t.id FROM tasks t JOIN programmes p ON p.id = t.programme_id WHERE p.code LIKE 'KH-57/%')";

both!(generated_plans_are_consistent, |app| {
    let nq03 = import_annex(&app.db, &Actor::system("test"), &NQ03, NQ03_ANNEX, false)
        .await
        .unwrap()
        .programme_id
        .unwrap();
    let audit_before = app.audit_count().await;
    let v = generate_tasks(&app.db, Scale::Small, false).await.unwrap();
    assert_eq!(
        app.audit_count().await,
        audit_before + 1,
        "one audit record"
    );

    // 34 provinces, 3 tasks each, every task assigned to its province and all its communes.
    assert_eq!(v.programmes, 34);
    assert_eq!(v.tasks, 34 * 3);
    assert_eq!(v.assignments, 3 * (34 + 3321));
    let count = |sql: String| {
        let app = &app;
        async move { app.scalar_i64(&sql).await }
    };
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM programmes WHERE code LIKE 'KH-57/%' AND implements_id = {nq03} AND document_id IS NOT NULL"
        ))
        .await,
        34
    );
    assert_eq!(
        count(format!("SELECT COUNT(*) FROM assignments a WHERE {GEN}")).await,
        v.assignments as i64
    );

    // Leads: the programme's province, no parent.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id JOIN programmes p ON p.id = t.programme_id
             WHERE {GEN} AND a.parent_id IS NULL AND a.unit_id = p.owner_unit_id AND a.is_lead = TRUE"
        ))
        .await,
        v.tasks as i64
    );
    // Children: parent is the province assignment of the same task; unit is a commune of it.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a
             JOIN assignments p ON p.id = a.parent_id
             JOIN org_units cu ON cu.id = a.unit_id
             JOIN org_units pu ON pu.id = p.unit_id
             WHERE {GEN} AND p.task_id = a.task_id AND p.parent_id IS NULL AND pu.kind = 'province'
               AND cu.parent_id = pu.id AND cu.kind IN ('commune', 'ward', 'special_zone') AND cu.valid_to IS NULL"
        ))
        .await,
        (v.assignments - v.tasks) as i64
    );

    // Reports: as many as reported, within the assignment's window.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE {GEN}"
        ))
        .await,
        v.reports as i64
    );
    assert!(
        v.reports > v.assignments * 4 && v.reports < v.assignments * 6,
        "about 5 per assignment: {v:?}"
    );
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM reports r JOIN assignments a ON a.id = r.assignment_id
             WHERE {GEN} AND (r.reported_on <= a.assigned_on OR r.reported_on > '2026-11-20')"
        ))
        .await,
        0
    );
    // The denormalised columns agree with the reports.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a WHERE {GEN}
             AND a.last_report_on IS DISTINCT FROM (SELECT MAX(r.reported_on) FROM reports r WHERE r.assignment_id = a.id)"
        ))
        .await,
        0
    );
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a WHERE {GEN}
             AND a.last_percent IS DISTINCT FROM (SELECT r.percent FROM reports r WHERE r.assignment_id = a.id ORDER BY r.reported_on DESC, r.id DESC LIMIT 1)"
        ))
        .await,
        0
    );
    // Percent never goes down.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM (SELECT r.percent, LAG(r.percent) OVER (PARTITION BY r.assignment_id ORDER BY r.reported_on, r.id) AS prev
             FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE {GEN}) x WHERE x.prev > x.percent"
        ))
        .await,
        0
    );
    // Claims: made by the last report, at 100%; verification only of a claim, after it.
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a WHERE {GEN} AND a.verified_on IS NOT NULL
             AND (a.claimed_on IS NULL OR a.verified_on < a.claimed_on)"
        ))
        .await,
        0
    );
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM assignments a JOIN reports r ON r.assignment_id = a.id AND r.reported_on = a.last_report_on
             WHERE {GEN} AND (r.claims_completion = TRUE) <> (a.claimed_on IS NOT NULL
               AND a.claimed_on = a.last_report_on AND r.percent = 100)"
        ))
        .await,
        0
    );
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM reports r JOIN assignments a ON a.id = r.assignment_id
             WHERE {GEN} AND r.claims_completion = TRUE"
        ))
        .await,
        count(format!(
            "SELECT COUNT(*) FROM assignments a WHERE {GEN} AND a.claimed_on IS NOT NULL"
        ))
        .await
    );
    let verified = count(format!(
        "SELECT COUNT(*) FROM assignments a WHERE {GEN} AND a.verified_on IS NOT NULL"
    ))
    .await;
    assert_eq!(verified, v.verifications as i64);
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM verifications vf JOIN assignments a ON a.id = vf.assignment_id
             JOIN reports r ON r.id = vf.report_id AND r.assignment_id = a.id AND r.claims_completion = TRUE
             WHERE {GEN} AND vf.approved = TRUE AND vf.decided_on = a.verified_on"
        ))
        .await,
        verified
    );
    // Every outcome shows up: completed late, claims pending, ongoing tasks without a due date.
    for (what, sql) in [
        (
            "completed late",
            "a.verified_on IS NOT NULL AND a.claimed_on > a.original_due",
        ),
        (
            "completed on time",
            "a.verified_on IS NOT NULL AND a.claimed_on <= a.original_due",
        ),
        (
            "pending claim",
            "a.claimed_on IS NOT NULL AND a.verified_on IS NULL",
        ),
        ("never reported", "a.last_report_on IS NULL"),
        ("ongoing", "a.original_due IS NULL"),
    ] {
        let n = count(format!(
            "SELECT COUNT(*) FROM assignments a WHERE {GEN} AND {sql}"
        ))
        .await;
        assert!(n > 0, "no assignment {what}");
    }

    // Deadlines: the JSON and the due date are what the parser makes of the text.
    let mut c = app.db.acquire().await.unwrap();
    let pid = store::tasks::programme_by_code(&mut c.conn(), "KH-57/01")
        .await
        .unwrap()
        .expect("Hà Nội's plan");
    for t in store::tasks::tasks_of(&mut c.conn(), pid).await.unwrap() {
        let d = Deadline::parse(&t.deadline_text);
        assert_ne!(d, Deadline::Unparsed, "{}", t.deadline_text);
        assert_eq!(t.deadline_json, serde_json::to_string(&d).unwrap());
        assert_eq!(t.due_on, d.due());
    }

    // Explicit ids did not leave the sequences behind (PostgreSQL).
    let max_doc = count("SELECT MAX(id) FROM documents".into()).await;
    let mut tx = app.db.begin().await.unwrap();
    let id = store::tasks::insert_document(
        &mut tx.conn(),
        "1/KH-TEST",
        "plan",
        "",
        None,
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(id > max_doc);

    // A second run refuses rather than duplicating.
    let again = generate_tasks(&app.db, Scale::Small, false).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "{again:?}");
});

both!(a_bulk_load_of_feedback_keeps_the_inbox_counters, |app| {
    let before = app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await;
    let n = seed::generate_feedback::generate_feedback(&app.db, Scale::Small, false)
        .await
        .unwrap();
    let after = app.scalar_i64("SELECT COUNT(*) FROM feedback_items").await;
    assert_eq!(after - before, n as i64);
    assert!(n > 0);
    // Counted per statement on PostgreSQL (transition tables), per row on SQLite: the same totals.
    app.assert_inbox_counts().await;
});

both!(
    a_generated_catalogue_moves_every_obligation_to_its_completeness,
    |app| {
        let v = seed::generate_catalogue::generate_catalogue(&app.db, Scale::Small, false)
            .await
            .unwrap();
        let agencies = app
            .scalar_i64(
                "SELECT COUNT(*) FROM org_units WHERE kind = 'central_agency' AND valid_to IS NULL",
            )
            .await;
        assert_eq!(v.entries as i64, 2 * agencies + 5 * 34);
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_entries")
                .await,
            v.entries as i64
        );
        assert_eq!(
            app.scalar_i64("SELECT COUNT(*) FROM catalogue_measurements")
                .await,
            v.measurements as i64
        );
        // Each province's task is at the accepted share of its five entries.
        let dl = app.unit_id("66").await;
        let accepted = app
        .scalar_i64(&format!("SELECT COUNT(*) FROM catalogue_entries WHERE owner_unit_id = {dl} AND state = 'accepted'"))
        .await;
        let percent = app
        .scalar_i64(&format!(
            "SELECT CAST(a.last_percent AS BIGINT) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.code = 'DMCSDL' AND a.unit_id = {dl}"
        ))
        .await;
        assert_eq!(percent, accepted * 100 / 5);
        // The index reads them back: the dashboard counts every entry once.
        let (_, d) = app
            .anon()
            .get(app.url("/api/v1/catalogue/dashboard"))
            .call_json()
            .await;
        assert_eq!(d["total"]["entries"], v.entries as i64, "{d}");
    }
);
