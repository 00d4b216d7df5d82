//! Documents, programmes, task groups, tasks and assignments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;
use domain::policy::Visibility;
use domain::status::TaskState;

pub async fn insert_document(
    c: &mut DbConn<'_>,
    number: &str,
    doc_type: &str,
    issuer: &str,
    issued_on: Option<NaiveDate>,
    title: &str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO documents (number, doc_type, issuer, issued_on, title, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(number).bind(doc_type).bind(issuer).bind(issued_on).bind(title).bind(now).fetch_one(&mut **c).await?))
}

pub async fn programme_by_code(c: &mut DbConn<'_>, code: &str) -> AppResult<Option<i64>> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT id FROM programmes WHERE code = $1").bind(code).fetch_optional(&mut **c).await?),
    )
}

pub async fn insert_programme(
    c: &mut DbConn<'_>,
    code: &str,
    name: &str,
    document_id: i64,
    owner_unit_id: i64,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO programmes (code, name, document_id, owner_unit_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(code).bind(name).bind(document_id).bind(owner_unit_id).bind(now).fetch_one(&mut **c).await?))
}

pub async fn insert_group(
    c: &mut DbConn<'_>,
    programme_id: i64,
    code: &str,
    title: &str,
    position: i32,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO task_groups (programme_id, code, title, position) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(programme_id).bind(code).bind(title).bind(position).fetch_one(&mut **c).await?))
}

pub struct NewTask<'a> {
    pub programme_id: i64,
    pub group_id: Option<i64>,
    pub code: &'a str,
    pub title: &'a str,
    pub result_text: &'a str,
    pub deadline_text: &'a str,
    pub deadline_json: String,
    pub due_on: Option<NaiveDate>,
    pub lead_text: &'a str,
    pub coordinating_text: &'a str,
    pub visibility: Visibility,
    pub state: TaskState,
    pub proposed_by: Option<i64>,
    pub description: Option<&'a str>,
    pub priority: &'a str,
    pub period: Option<&'a str>,
}

pub async fn insert_task(
    c: &mut DbConn<'_>,
    t: &NewTask<'_>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO tasks (programme_id, group_id, code, title, result_text, deadline_text, deadline_json, due_on, lead_text, coordinating_text, created_at,
                            visibility, state, proposed_by, description, priority, period)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id")
        .bind(t.programme_id).bind(t.group_id).bind(t.code).bind(t.title).bind(t.result_text).bind(t.deadline_text)
        .bind(&t.deadline_json).bind(t.due_on).bind(t.lead_text).bind(t.coordinating_text).bind(now)
        .bind(t.visibility.as_str()).bind(t.state.as_str()).bind(t.proposed_by).bind(t.description).bind(t.priority).bind(t.period)
        .fetch_one(&mut **c).await?))
}

pub async fn insert_assignment(
    c: &mut DbConn<'_>,
    task_id: i64,
    unit_id: i64,
    is_lead: bool,
    assigned_on: NaiveDate,
    due: Option<NaiveDate>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on, original_due) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (task_id, unit_id) DO UPDATE SET is_lead = (assignments.is_lead OR excluded.is_lead)")
        .bind(task_id).bind(unit_id).bind(is_lead).bind(assigned_on).bind(due).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Programme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub document_id: Option<i64>,
    pub owner_unit_id: i64,
    pub implements_id: Option<i64>,
    pub extension_counts_on_time: bool,
    pub stale_after_days: i32,
    /// Reporting period of ongoing and recurring tasks: monthly, quarterly or yearly.
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub reporting_period: domain::deadline::Period,
    /// Reminder days before a deadline, e.g. "14,3".
    pub remind_before: String,
    pub remind_overdue_every: i32,
    pub escalate_leader_after: i32,
    pub escalate_assigner_after: i32,
    /// share or weighted.
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub rollup: domain::overview::RollupMode,
}

const PROGRAMME_COLS: &str = "id, code, name, document_id, owner_unit_id, implements_id, extension_counts_on_time, stale_after_days, reporting_period, remind_before, remind_overdue_every, escalate_leader_after, escalate_assigner_after, rollup";

pub async fn list_programmes(c: &mut DbConn<'_>) -> AppResult<Vec<Programme>> {
    let sql = format!("SELECT {PROGRAMME_COLS} FROM programmes ORDER BY id");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Programme>(&sql).fetch_all(&mut **c).await?))
}

pub async fn get_programme(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Programme>> {
    let sql = format!("SELECT {PROGRAMME_COLS} FROM programmes WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Programme>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskGroup {
    pub id: i64,
    pub code: String,
    pub title: String,
}

pub async fn groups(c: &mut DbConn<'_>, programme_id: i64) -> AppResult<Vec<TaskGroup>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, TaskGroup>("SELECT id, code, title FROM task_groups WHERE programme_id = $1 ORDER BY position")
        .bind(programme_id).fetch_all(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Task {
    pub id: i64,
    pub programme_id: i64,
    pub group_id: Option<i64>,
    pub code: String,
    pub title: String,
    pub result_text: Option<String>,
    /// The completion time exactly as written.
    pub deadline_text: String,
    /// Its meaning (form and values), see the deadline parser.
    pub deadline_json: String,
    pub due_on: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub visibility: Visibility,
    pub lead_text: Option<String>,
    pub coordinating_text: Option<String>,
    /// active; proposed (by a unit, awaiting the assigning level); declined.
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: TaskState,
    pub proposed_by: Option<i64>,
    pub description: Option<String>,
    pub priority: String,
    /// Reporting period when ongoing or recurring (else the programme's).
    pub period: Option<String>,
}

const TASK_COLS: &str = "id, programme_id, group_id, code, title, result_text, deadline_text, deadline_json, due_on, visibility, lead_text, coordinating_text, state, proposed_by, description, priority, period";

pub async fn tasks_of(c: &mut DbConn<'_>, programme_id: i64) -> AppResult<Vec<Task>> {
    let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE programme_id = $1 ORDER BY id");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Task>(&sql).bind(programme_id).fetch_all(&mut **c).await?),
    )
}

pub async fn get_task(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Task>> {
    let sql = format!("SELECT {TASK_COLS} FROM tasks WHERE id = $1");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Task>(&sql).bind(id).fetch_optional(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: i64,
    pub task_id: i64,
    pub unit_id: i64,
    pub is_lead: bool,
    pub assigned_on: NaiveDate,
    pub original_due: Option<NaiveDate>,
    pub extension_due: Option<NaiveDate>,
    pub extension_approved_on: Option<NaiveDate>,
    pub claimed_on: Option<NaiveDate>,
    pub verified_on: Option<NaiveDate>,
    pub cancelled_on: Option<NaiveDate>,
    pub last_report_on: Option<NaiveDate>,
    pub last_percent: Option<i32>,
    /// The assignment this one was cascaded from.
    pub parent_id: Option<i64>,
    /// The unit that held it before a merger.
    pub handed_over_from: Option<i64>,
    pub superseded_on: Option<NaiveDate>,
}

const ASSIGNMENT_COLS: &str = "a.id, a.task_id, a.unit_id, a.is_lead, a.assigned_on, a.original_due, a.extension_due, a.extension_approved_on, a.claimed_on, a.verified_on, a.cancelled_on, a.last_report_on, a.last_percent, a.parent_id, a.handed_over_from, a.superseded_on";

pub async fn assignments_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<Assignment>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS} FROM assignments a WHERE a.task_id = $1 ORDER BY a.is_lead DESC, a.unit_id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Assignment>(&sql).bind(task_id).fetch_all(&mut **c).await?),
    )
}

/// Lead assignments of a programme with their task's group and visibility, for the overview.
pub async fn lead_assignments(
    c: &mut DbConn<'_>,
    programme_id: i64,
) -> AppResult<Vec<(Assignment, Option<i64>, Visibility)>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, t.group_id, t.visibility FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = $1 AND a.is_lead = TRUE AND a.parent_id IS NULL AND t.state = 'active'"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query(&sql).bind(programme_id).fetch_all(&mut **c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            out.push((
                Assignment::from_row(r)?,
                r.try_get::<Option<i64>, _>("group_id")?,
                crate::named(r.try_get("visibility")?)?,
            ));
        }
        out
    }))
}

/// Every lead assignment of an active task, at every level of the cascade, with its programme
/// (the rankings' task measures judge each unit's own work).
pub async fn lead_work(c: &mut DbConn<'_>) -> AppResult<Vec<(Assignment, i64)>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, t.programme_id FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.is_lead = TRUE AND t.state = 'active'"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query(&sql).fetch_all(&mut **c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            out.push((Assignment::from_row(r)?, r.try_get::<i64, _>("programme_id")?));
        }
        out
    }))
}

pub async fn count_assignments(c: &mut DbConn<'_>, programme_id: i64) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = $1")
        .bind(programme_id).fetch_one(&mut **c).await?),
    )
}

pub async fn get_assignment(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Assignment>> {
    let sql = format!("SELECT {ASSIGNMENT_COLS} FROM assignments a WHERE a.id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Assignment>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressReport {
    pub id: i64,
    pub assignment_id: i64,
    pub reported_on: NaiveDate,
    pub percent: i32,
    pub narrative: String,
    pub results: Option<String>,
    pub difficulties: Option<String>,
    pub needs_steering: bool,
    pub proposals: Option<String>,
    pub claims_completion: bool,
    pub author_user_id: i64,
}

const REPORT_COLS: &str = "id, assignment_id, reported_on, percent, narrative, results, difficulties, needs_steering, proposals, claims_completion, author_user_id";

pub async fn insert_report(
    c: &mut DbConn<'_>,
    r: &ProgressReport,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO reports (assignment_id, reported_on, percent, narrative, results, difficulties, needs_steering, proposals, claims_completion, author_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(r.assignment_id).bind(r.reported_on).bind(r.percent).bind(&r.narrative).bind(&r.results).bind(&r.difficulties)
        .bind(r.needs_steering).bind(&r.proposals).bind(r.claims_completion).bind(r.author_user_id).bind(now)
        .fetch_one(&mut **c).await?))
}

/// Takes a report form's one-time token (its hash): true when it is new. When another
/// transaction holds it, waits for that one (PostgreSQL) or runs after it (SQLite's single
/// writer), and answers false.
pub async fn take_report_token(
    c: &mut DbConn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query(
        "INSERT INTO report_form_tokens (token_hash, created_at) VALUES ($1, $2) ON CONFLICT (token_hash) DO NOTHING")
        .bind(token_hash).bind(now).execute(&mut **c).await?.rows_affected() == 1))
}

/// The report a token was taken for.
pub async fn report_of_token(c: &mut DbConn<'_>, token_hash: &str) -> AppResult<Option<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, Option<i64>>(
        "SELECT report_id FROM report_form_tokens WHERE token_hash = $1")
        .bind(token_hash).fetch_optional(&mut **c).await?.flatten()))
}

pub async fn set_report_token(
    c: &mut DbConn<'_>,
    token_hash: &str,
    report_id: i64,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE report_form_tokens SET report_id = $1 WHERE token_hash = $2")
        .bind(report_id).bind(token_hash).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn get_report(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<ProgressReport>> {
    let sql = format!("SELECT {REPORT_COLS} FROM reports WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ProgressReport>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn reports_of(c: &mut DbConn<'_>, assignment_id: i64) -> AppResult<Vec<ProgressReport>> {
    let sql = format!(
        "SELECT {REPORT_COLS} FROM reports WHERE assignment_id = $1 ORDER BY reported_on, id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ProgressReport>(&sql).bind(assignment_id).fetch_all(&mut **c).await?),
    )
}

/// The latest completion claim of an assignment.
pub async fn latest_claim(c: &mut DbConn<'_>, assignment_id: i64) -> AppResult<Option<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM reports WHERE assignment_id = $1 AND claims_completion = TRUE ORDER BY reported_on DESC, id DESC LIMIT 1")
        .bind(assignment_id).fetch_optional(&mut **c).await?))
}

/// Writes the progress facts the status is computed from.
pub async fn update_progress(c: &mut DbConn<'_>, a: &Assignment) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE assignments SET last_report_on = $2, last_percent = $3, claimed_on = $4, verified_on = $5 WHERE id = $1")
        .bind(a.id).bind(a.last_report_on).bind(a.last_percent).bind(a.claimed_on).bind(a.verified_on)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_verification(
    c: &mut DbConn<'_>,
    assignment_id: i64,
    report_id: i64,
    approved: bool,
    comment: Option<&str>,
    decided_on: NaiveDate,
    decided_by: i64,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO verifications (assignment_id, report_id, approved, comment, decided_on, decided_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(assignment_id).bind(report_id).bind(approved).bind(comment).bind(decided_on).bind(decided_by).bind(now)
        .fetch_one(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extension {
    pub id: i64,
    pub assignment_id: i64,
    pub requested_due: NaiveDate,
    pub reason: String,
    pub requested_by: i64,
    pub requested_on: NaiveDate,
    /// None while pending.
    pub approved: Option<bool>,
    pub decided_by: Option<i64>,
    pub decided_on: Option<NaiveDate>,
    pub comment: Option<String>,
}

const EXTENSION_COLS: &str = "id, assignment_id, requested_due, reason, requested_by, requested_on, approved, decided_by, decided_on, comment";

pub async fn insert_extension(
    c: &mut DbConn<'_>,
    assignment_id: i64,
    requested_due: NaiveDate,
    reason: &str,
    by: i64,
    on: NaiveDate,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO extensions (assignment_id, requested_due, reason, requested_by, requested_on) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(assignment_id).bind(requested_due).bind(reason).bind(by).bind(on).fetch_one(&mut **c).await?))
}

pub async fn get_extension(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Extension>> {
    let sql = format!("SELECT {EXTENSION_COLS} FROM extensions WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Extension>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn pending_extension(
    c: &mut DbConn<'_>,
    assignment_id: i64,
) -> AppResult<Option<Extension>> {
    let sql = format!(
        "SELECT {EXTENSION_COLS} FROM extensions WHERE assignment_id = $1 AND approved IS NULL"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Extension>(&sql).bind(assignment_id).fetch_optional(&mut **c).await?),
    )
}

pub async fn decide_extension(
    c: &mut DbConn<'_>,
    id: i64,
    approved: bool,
    by: i64,
    on: NaiveDate,
    comment: Option<&str>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE extensions SET approved = $2, decided_by = $3, decided_on = $4, comment = $5 WHERE id = $1")
        .bind(id).bind(approved).bind(by).bind(on).bind(comment).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn set_extension(
    c: &mut DbConn<'_>,
    assignment_id: i64,
    due: NaiveDate,
    approved_on: NaiveDate,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE assignments SET extension_due = $2, extension_approved_on = $3 WHERE id = $1")
        .bind(assignment_id).bind(due).bind(approved_on).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// A unit's assignments with their tasks (every visibility: the caller filters), for its worklist.
pub async fn worklist(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Vec<(Assignment, Task)>> {
    let task_cols = TASK_COLS
        .split(", ")
        .map(|c| format!("t.{c} AS t_{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, {task_cols} FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.unit_id = $1 AND t.state = 'active' ORDER BY a.original_due, t.id"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query(&sql).bind(unit_id).fetch_all(&mut **c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            let task = Task {
                id: r.try_get("t_id")?,
                programme_id: r.try_get("t_programme_id")?,
                group_id: r.try_get("t_group_id")?,
                code: r.try_get("t_code")?,
                title: r.try_get("t_title")?,
                result_text: r.try_get("t_result_text")?,
                deadline_text: r.try_get("t_deadline_text")?,
                deadline_json: r.try_get("t_deadline_json")?,
                due_on: r.try_get("t_due_on")?,
                visibility: crate::named(r.try_get("t_visibility")?)?,
                lead_text: r.try_get("t_lead_text")?,
                coordinating_text: r.try_get("t_coordinating_text")?,
                state: crate::named(r.try_get("t_state")?)?,
                proposed_by: r.try_get("t_proposed_by")?,
                description: r.try_get("t_description")?,
                priority: r.try_get("t_priority")?,
                period: r.try_get("t_period")?,
            };
            out.push((Assignment::from_row(r)?, task));
        }
        out
    }))
}

/// The units holding an assignment of `task_id`.
pub async fn units_holding(
    c: &mut DbConn<'_>,
    task_id: i64,
) -> AppResult<std::collections::HashSet<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT unit_id FROM assignments WHERE task_id = $1")
        .bind(task_id).fetch_all(&mut **c).await?)
    .into_iter()
    .collect())
}

/// Cascades `parent` to `unit_id`: same task, same deadline, linked to the parent. None when the
/// unit already holds that task.
pub async fn insert_child(
    c: &mut DbConn<'_>,
    parent: &Assignment,
    unit_id: i64,
    assigned_on: NaiveDate,
) -> AppResult<Option<i64>> {
    let due = parent.extension_due.or(parent.original_due);
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on, original_due, parent_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (task_id, unit_id) DO NOTHING RETURNING id")
        .bind(parent.task_id).bind(unit_id).bind(parent.is_lead).bind(assigned_on).bind(due).bind(parent.id)
        .fetch_optional(&mut **c).await?))
}

/// Live children of each of `unit_id`'s assignments: (parent id, children, completed, percent sum
/// with completed ones counting 100).
pub async fn cascade_summary(
    c: &mut DbConn<'_>,
    unit_id: i64,
) -> AppResult<Vec<(i64, i64, i64, i64)>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, i64, i64, i64)>(
        "SELECT k.parent_id, COUNT(*),
                SUM(CASE WHEN k.verified_on IS NOT NULL THEN 1 ELSE 0 END),
                SUM(CASE WHEN k.verified_on IS NOT NULL THEN 100 ELSE COALESCE(k.last_percent, 0) END)
         FROM assignments p JOIN assignments k ON k.parent_id = p.id
         WHERE p.unit_id = $1 AND k.cancelled_on IS NULL AND k.superseded_on IS NULL
         GROUP BY k.parent_id")
        .bind(unit_id).fetch_all(&mut **c).await?))
}

/// Open assignments of `unit_id`, for a merger's handover.
pub async fn open_assignments_of(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Vec<Assignment>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS} FROM assignments a WHERE a.unit_id = $1 AND a.verified_on IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL ORDER BY a.id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Assignment>(&sql).bind(unit_id).fetch_all(&mut **c).await?),
    )
}

/// Moves an assignment, with its reports, to the successor unit, remembering who held it.
pub async fn hand_over(c: &mut DbConn<'_>, id: i64, from: i64, to: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE assignments SET unit_id = $2, handed_over_from = $3 WHERE id = $1")
        .bind(id).bind(to).bind(from).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Marks an assignment superseded (its successor already held the same task).
pub async fn supersede(c: &mut DbConn<'_>, id: i64, on: NaiveDate) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE assignments SET superseded_on = $2 WHERE id = $1")
        .bind(id).bind(on).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn holds_task(c: &mut DbConn<'_>, task_id: i64, unit_id: i64) -> AppResult<bool> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM assignments WHERE task_id = $1 AND unit_id = $2")
        .bind(task_id).bind(unit_id).fetch_one(&mut **c).await?)
            > 0,
    )
}

pub async fn set_task_state(c: &mut DbConn<'_>, id: i64, state: TaskState) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE tasks SET state = $2 WHERE id = $1")
        .bind(id).bind(state.as_str()).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Tasks proposed under a programme, awaiting a decision.
pub async fn proposals(c: &mut DbConn<'_>, programme_id: i64) -> AppResult<Vec<Task>> {
    let sql = format!(
        "SELECT {TASK_COLS} FROM tasks WHERE programme_id = $1 AND state = 'proposed' ORDER BY id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Task>(&sql).bind(programme_id).fetch_all(&mut **c).await?),
    )
}

/// Reports of a programme's periodic lead assignments within [start, end]: per assignment, the
/// days reported and whether the report had results.
pub async fn periodic_reports(
    c: &mut DbConn<'_>,
    programme_id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> AppResult<Vec<(i64, Option<NaiveDate>, bool)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, Option<NaiveDate>, bool)>(
        "SELECT a.id, r.reported_on, (r.results IS NOT NULL) AS has_results
         FROM assignments a JOIN tasks t ON t.id = a.task_id
         LEFT JOIN reports r ON r.assignment_id = a.id AND r.reported_on >= $2 AND r.reported_on <= $3
         WHERE t.programme_id = $1 AND t.due_on IS NULL AND t.state = 'active' AND a.is_lead = TRUE
           AND a.parent_id IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL
         ORDER BY a.id")
        .bind(programme_id).bind(start).bind(end).fetch_all(&mut **c).await?),
    )
}

/// Open assignments whose deadline in force is on or before `until`, for the reminder sweep.
/// Open assignments of active tasks whose deadline in force is on or before `until`, with their
/// programme, in id order after `after` (a page of at most `limit`, for work in short steps).
pub async fn open_with_deadline_before(
    c: &mut DbConn<'_>,
    until: NaiveDate,
    after: i64,
    limit: i64,
) -> AppResult<Vec<(Assignment, i64)>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, t.programme_id FROM assignments a JOIN tasks t ON t.id = a.task_id
         WHERE t.state = 'active' AND a.verified_on IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL
           AND COALESCE(a.extension_due, a.original_due) <= $1 AND a.id > $2
         ORDER BY a.id LIMIT $3"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query(&sql).bind(until).bind(after).bind(limit).fetch_all(&mut **c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            out.push((Assignment::from_row(r)?, r.try_get::<i64, _>("programme_id")?));
        }
        out
    }))
}

pub async fn cancel_assignment(c: &mut DbConn<'_>, id: i64, on: NaiveDate) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE assignments SET cancelled_on = $2 WHERE id = $1")
        .bind(id).bind(on).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Units holding each of the given tasks (any role), for visibility checks of restricted tasks.
pub async fn units_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<i64>> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT unit_id FROM assignments WHERE task_id = $1")
        .bind(task_id).fetch_all(&mut **c).await?),
    )
}

/// Every report on a task's assignments, oldest first.
pub async fn reports_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<ProgressReport>> {
    let sql = format!(
        "SELECT {} FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE a.task_id = $1 ORDER BY r.reported_on, r.id",
        REPORT_COLS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ProgressReport>(&sql).bind(task_id).fetch_all(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verification {
    pub id: i64,
    pub assignment_id: i64,
    pub report_id: i64,
    pub approved: bool,
    pub comment: Option<String>,
    pub decided_on: NaiveDate,
    pub decided_by: i64,
}

pub async fn verifications_of_task(
    c: &mut DbConn<'_>,
    task_id: i64,
) -> AppResult<Vec<Verification>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Verification>(
        "SELECT v.id, v.assignment_id, v.report_id, v.approved, v.comment, v.decided_on, v.decided_by
         FROM verifications v JOIN assignments a ON a.id = v.assignment_id WHERE a.task_id = $1 ORDER BY v.id")
        .bind(task_id).fetch_all(&mut **c).await?))
}

pub async fn extensions_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<Extension>> {
    let sql = format!(
        "SELECT {} FROM extensions e JOIN assignments a ON a.id = e.assignment_id WHERE a.task_id = $1 ORDER BY e.id",
        EXTENSION_COLS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Extension>(&sql).bind(task_id).fetch_all(&mut **c).await?),
    )
}

// ---- Rows typed for the domain rules (the storage boundary turns columns into domain values) ----

impl Assignment {
    /// What the status rules need to know of this assignment.
    pub fn facts(&self) -> domain::status::Facts {
        use domain::status::{Facts, Report};
        let a = self;
        Facts {
            assigned_on: Some(a.assigned_on),
            original_due: a.original_due,
            extension: a.extension_due.zip(a.extension_approved_on),
            reports: a
                .last_report_on
                .map(|on| {
                    vec![Report {
                        on,
                        percent: a.last_percent.unwrap_or(0).clamp(0, 100) as u8,
                    }]
                })
                .unwrap_or_default(),
            completion: a.claimed_on.zip(a.verified_on),
            cancelled_on: a.cancelled_on,
            superseded_on: a.superseded_on,
        }
    }
}

impl Programme {
    /// The programme's settings for the status rules.
    pub fn rules(&self) -> domain::status::Rules {
        domain::status::Rules {
            extension_counts_on_time: self.extension_counts_on_time,
            stale_after_days: i64::from(self.stale_after_days),
        }
    }

    /// The programme's reminder and escalation schedule.
    pub fn schedule(&self) -> domain::reminders::Schedule {
        use domain::reminders::Schedule;
        Schedule {
            before: Schedule::parse_before(&self.remind_before),
            overdue_every: i64::from(self.remind_overdue_every),
            escalate_leader_after: i64::from(self.escalate_leader_after),
            escalate_assigner_after: i64::from(self.escalate_assigner_after),
        }
    }
}

/// The unit that assigned this work and verifies its completion: the unit of the assignment it
/// was cascaded from, or the programme's owner for work assigned by the programme itself.
pub async fn assigning_unit(c: &mut DbConn<'_>, assignment_id: i64) -> AppResult<Option<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(pa.unit_id, pr.owner_unit_id) FROM assignments a
         JOIN tasks t ON t.id = a.task_id JOIN programmes pr ON pr.id = t.programme_id
         LEFT JOIN assignments pa ON pa.id = a.parent_id WHERE a.id = $1")
        .bind(assignment_id).fetch_optional(&mut **c).await?))
}

/// A completion claim waiting for its verification, with its task.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingClaim {
    pub assignment_id: i64,
    pub task_id: i64,
    pub task_code: String,
    pub task_title: String,
    pub programme_id: i64,
    /// The unit that claims the work done.
    pub unit_id: i64,
    pub claimed_on: NaiveDate,
    pub due: Option<NaiveDate>,
    /// The claim's report.
    pub report_id: Option<i64>,
}

/// Open claims whose assigning unit is $1 (see `assigning_unit`), as two branches each reading
/// only its own rows through the partial index `assignments_pending_claims`: the work cascaded
/// from the unit's own assignments, and the work its programmes assigned directly. (One `OR`
/// of both read every open claim of the country: 14,000 at national scale, ~10 ms a request.)
const PENDING_FOR_UNIT: &str = "WITH pending AS (
    SELECT a.id, a.task_id, a.unit_id, a.claimed_on, a.extension_due, a.original_due
      FROM assignments p JOIN assignments a {hint} ON a.parent_id = p.id
     WHERE p.unit_id = $1 AND a.claimed_on IS NOT NULL AND a.verified_on IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL
    UNION ALL
    SELECT a.id, a.task_id, a.unit_id, a.claimed_on, a.extension_due, a.original_due
      FROM programmes pr JOIN tasks t ON t.programme_id = pr.id JOIN assignments a ON a.task_id = t.id
     WHERE pr.owner_unit_id = $1 AND a.parent_id IS NULL AND a.claimed_on IS NOT NULL AND a.verified_on IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL)";

/// Claims waiting for `unit_id` to verify them, oldest first: up to `limit`, and how many in all.
pub async fn pending_claims(
    c: &mut DbConn<'_>,
    unit_id: i64,
    limit: i64,
) -> AppResult<(Vec<PendingClaim>, i64)> {
    // Without statistics SQLite walks every child of the unit's assignments (6,120 for a
    // province at national scale) where the partial index of pending claims holds the 445 that
    // matter: 3.7 ms against 1.5 ms for the page and its count. PostgreSQL plans by statistics.
    let pending = PENDING_FOR_UNIT.replace(
        "{hint}",
        match &*c {
            DbConn::Sqlite(_) => "INDEXED BY assignments_pending_claims",
            DbConn::Pg(_) => "",
        },
    );
    // The page first, then the report behind each of its 50 claims: asked in one SELECT, the
    // latest-report lookup ran for every pending claim before the sort (445 for a province).
    let sql = format!(
        "{pending}, page AS (
           SELECT a.id, a.task_id, t.code, t.title, t.programme_id, a.unit_id, a.claimed_on,
                  COALESCE(a.extension_due, a.original_due) AS due
           FROM pending a JOIN tasks t ON t.id = a.task_id
           WHERE t.state = 'active' ORDER BY a.claimed_on, a.id LIMIT $2)
         SELECT p.id AS assignment_id, p.task_id, p.code AS task_code, p.title AS task_title, p.programme_id,
                p.unit_id, p.claimed_on, p.due,
                (SELECT r.id FROM reports r WHERE r.assignment_id = p.id AND r.claims_completion = TRUE ORDER BY r.reported_on DESC, r.id DESC LIMIT 1) AS report_id
         FROM page p ORDER BY p.claimed_on, p.id"
    );
    let count = format!(
        "{pending} SELECT COUNT(*) FROM pending a JOIN tasks t ON t.id = a.task_id WHERE t.state = 'active'"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query_as::<_, PendingClaim>(&sql).bind(unit_id).bind(limit).fetch_all(&mut **c).await?;
        let n = sqlx::query_scalar::<_, i64>(&count).bind(unit_id).fetch_one(&mut **c).await?;
        (rows, n)
    }))
}

/// A unit's work whose completion claim the assigning level returned and that has not been
/// claimed again: (assignment, task id, task code, task title, returned on, comment).
pub async fn returned_to_unit(
    c: &mut DbConn<'_>,
    unit_id: i64,
) -> AppResult<Vec<(i64, i64, String, String, NaiveDate, Option<String>)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, i64, String, String, NaiveDate, Option<String>)>(
        "SELECT a.id, t.id, t.code, t.title, v.decided_on, v.comment
         FROM assignments a JOIN tasks t ON t.id = a.task_id
         JOIN verifications v ON v.assignment_id = a.id
         WHERE a.unit_id = $1 AND a.claimed_on IS NULL AND a.verified_on IS NULL
           AND a.cancelled_on IS NULL AND a.superseded_on IS NULL AND t.state = 'active'
           AND v.id = (SELECT MAX(w.id) FROM verifications w WHERE w.assignment_id = a.id)
           AND v.approved = FALSE
         ORDER BY v.decided_on DESC, a.id")
        .bind(unit_id).fetch_all(&mut **c).await?),
    )
}

/// Latest reports flagged as needing the Steering Committee on open work the programme assigned:
/// (report id, task id, task code, task title, unit id, reported on, difficulties), newest
/// first, up to `limit`, and how many in all.
pub async fn flagged_for_steering(
    c: &mut DbConn<'_>,
    programme_id: i64,
    limit: i64,
) -> AppResult<(
    Vec<(i64, i64, String, String, i64, NaiveDate, Option<String>)>,
    i64,
)> {
    // Only each assignment's latest report counts (by the day it speaks for, as the progress
    // facts): a flag a later report dropped is settled. Driven from the programme's own
    // top-level assignments (a few thousand), not from the flagged reports of the whole country
    // (68,000 at national scale: 220 ms on PostgreSQL).
    let sql = "SELECT r.id, t.id, t.code, t.title, a.unit_id, r.reported_on, r.difficulties
         FROM tasks t JOIN assignments a ON a.task_id = t.id
         JOIN reports r ON r.id = (SELECT q.id FROM reports q WHERE q.assignment_id = a.id ORDER BY q.reported_on DESC, q.id DESC LIMIT 1)
         WHERE r.needs_steering = TRUE AND t.programme_id = $1 AND t.state = 'active' AND a.parent_id IS NULL
         AND a.verified_on IS NULL AND a.cancelled_on IS NULL AND a.superseded_on IS NULL
         ORDER BY r.reported_on DESC, r.id DESC";
    // One reading for the list and its count: the rows are at most the programme's open
    // top-level assignments, and a second query would cost as much as the first.
    let mut rows = on_conn!(c, c => sqlx::query_as::<_, (i64, i64, String, String, i64, NaiveDate, Option<String>)>(sql)
        .bind(programme_id).fetch_all(&mut **c).await?);
    let n = rows.len() as i64;
    rows.truncate(limit.max(0) as usize);
    Ok((rows, n))
}
