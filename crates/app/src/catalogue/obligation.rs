//! The obligation to complete the catalogue by 31 March 2026, as a task of task monitoring:
//! assigned to every ministry and province, its progress follows the catalogue's completeness
//! (accepted entries ÷ entries of the unit and the units below it). Each write that moves a
//! unit's completeness records a progress report in the same transaction, so the task's status,
//! reminders, escalation and the programme's overview apply unchanged.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::AppResult;
use domain::policy::Principal;
use store::audit::Change;
use store::db::DbConn;
use store::tasks::ProgressReport;

/// The programme and task that carry the obligation.
pub const PROGRAMME: &str = "DMCSDL-2026";
pub const TASK: &str = "DMCSDL";
const DUE: (i32, u32, u32) = (2026, 3, 31);

/// The task, created with its programme and assignments on first use: every central agency and
/// province in force is assigned.
async fn task(
    c: &mut DbConn<'_>,
    now: DateTime<Utc>,
    changes: &mut Vec<Change<'static>>,
) -> AppResult<Option<i64>> {
    if let Some(pid) = store::tasks::programme_by_code(c, PROGRAMME).await? {
        return Ok(store::tasks::tasks_of(c, pid)
            .await?
            .into_iter()
            .find(|t| t.code == TASK)
            .map(|t| t.id));
    }
    // Without the Steering Committee's unit (a bare tree) there is nobody to own the programme.
    let Some(owner) = store::org::find_current_by_code(c, "BCDTW").await? else {
        return Ok(None);
    };
    let title = "Hoàn thiện danh mục cơ sở dữ liệu của bộ, ngành, địa phương";
    let doc = store::tasks::insert_document(
        c,
        "",
        "Kết luận",
        "Ban Chỉ đạo Trung ương về phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
        None,
        "Yêu cầu hoàn thiện danh mục cơ sở dữ liệu trong quý I năm 2026 (\"Dữ liệu của chúng ta ở đâu?\")",
        now,
    )
    .await?;
    let pid = store::tasks::insert_programme(c, PROGRAMME, title, doc, owner.id, now).await?;
    let due = NaiveDate::from_ymd_opt(DUE.0, DUE.1, DUE.2);
    let deadline = domain::deadline::Deadline::parse("31/3/2026");
    let new = store::tasks::NewTask {
        programme_id: pid,
        group_id: None,
        code: TASK,
        title,
        result_text: "Danh mục cơ sở dữ liệu đầy đủ, được Thường trực Ban Chỉ đạo chấp nhận; dữ liệu đúng, đủ, sạch, sống",
        deadline_text: "31/3/2026",
        deadline_json: serde_json::to_string(&deadline).unwrap_or_default(),
        due_on: due,
        lead_text: "Các bộ, ngành, địa phương",
        coordinating_text: "",
        visibility: domain::policy::Visibility::Public,
        state: domain::status::TaskState::Active,
        proposed_by: None,
        description: Some(
            "Tiến độ được tính tự động từ danh mục cơ sở dữ liệu: số danh mục đã được chấp nhận ÷ số danh mục đã kê khai của đơn vị và các đơn vị trực thuộc.",
        ),
        priority: "normal",
        period: None,
    };
    let task_id = store::tasks::insert_task(c, &new, now).await?;
    changes.push(Change::new("task.create", "task", task_id).after(Some(
        serde_json::json!({ "programme": PROGRAMME, "code": TASK, "due_on": due }).to_string(),
    )));
    let assigned = NaiveDate::from_ymd_opt(2025, 12, 1).expect("a date");
    for kind in ["central_agency", "province"] {
        let f = store::org::ListFilter {
            kind: Some(kind.into()),
            limit: 10_000,
            ..Default::default()
        };
        for u in store::org::list(c, &f).await?.0 {
            store::tasks::insert_assignment(c, task_id, u.id, true, assigned, due).await?;
        }
    }
    Ok(Some(task_id))
}

/// After a write to `owner`'s catalogue: the completeness of its ministry or province, recorded
/// as a progress report of the obligation when it moved. Returns the audit changes.
pub async fn follow(
    c: &mut DbConn<'_>,
    who: &Principal,
    owner: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<Change<'static>>> {
    let chain = store::org::chain(c, owner).await?;
    // The chain runs from the unit up to the national root: the one below the root is assigned.
    let Some(&top) = chain.len().checked_sub(2).and_then(|i| chain.get(i)) else {
        return Ok(vec![]);
    };
    let mut changes = vec![];
    let Some(task_id) = task(c, now, &mut changes).await? else {
        return Ok(changes);
    };
    let Some(before) = store::tasks::assignments_of_task(c, task_id)
        .await?
        .into_iter()
        .find(|a| a.unit_id == top)
    else {
        return Ok(vec![]);
    };
    if before.cancelled_on.is_some() || before.verified_on.is_some() {
        return Ok(vec![]);
    }
    let (accepted, all) = store::catalogue::counts_under(c, top).await?;
    let percent = domain::catalogue::completeness(accepted, all).floor() as i32;
    if before.last_percent == Some(percent) {
        return Ok(changes);
    }
    let today = domain::clock::local_date(now);
    let mut report = ProgressReport {
        id: 0,
        assignment_id: before.id,
        reported_on: today,
        percent,
        narrative: format!(
            "Tự động theo danh mục cơ sở dữ liệu: {accepted}/{all} danh mục đã được chấp nhận."
        ),
        results: None,
        difficulties: None,
        needs_steering: false,
        proposals: None,
        claims_completion: false,
        author_user_id: who.user_id,
    };
    report.id = store::tasks::insert_report(c, &report, now).await?;
    let mut after = before.clone();
    after.last_report_on = Some(today);
    after.last_percent = Some(percent);
    store::tasks::update_progress(c, &after).await?;
    changes.extend([
        Change::new("report.create", "report", report.id).after(store::audit::to_json(&report)),
        Change::new("assignment.progress", "assignment", before.id)
            .before(store::audit::to_json(&before))
            .after(store::audit::to_json(&after)),
    ]);
    Ok(changes)
}
