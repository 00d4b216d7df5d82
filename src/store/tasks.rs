//! Documents, programmes, task groups, tasks and assignments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

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
}

pub async fn insert_task(
    c: &mut DbConn<'_>,
    t: &NewTask<'_>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO tasks (programme_id, group_id, code, title, result_text, deadline_text, deadline_json, due_on, lead_text, coordinating_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
        .bind(t.programme_id).bind(t.group_id).bind(t.code).bind(t.title).bind(t.result_text).bind(t.deadline_text)
        .bind(&t.deadline_json).bind(t.due_on).bind(t.lead_text).bind(t.coordinating_text).bind(now)
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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Programme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub document_id: Option<i64>,
    pub owner_unit_id: i64,
    pub extension_counts_on_time: bool,
    pub stale_after_days: i32,
}

const PROGRAMME_COLS: &str =
    "id, code, name, document_id, owner_unit_id, extension_counts_on_time, stale_after_days";

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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
    pub visibility: String,
    pub lead_text: Option<String>,
    pub coordinating_text: Option<String>,
}

const TASK_COLS: &str = "id, programme_id, group_id, code, title, result_text, deadline_text, deadline_json, due_on, visibility, lead_text, coordinating_text";

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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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
}

const ASSIGNMENT_COLS: &str = "a.id, a.task_id, a.unit_id, a.is_lead, a.assigned_on, a.original_due, a.extension_due, a.extension_approved_on, a.claimed_on, a.verified_on, a.cancelled_on, a.last_report_on, a.last_percent";

pub async fn assignments_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<Assignment>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS} FROM assignments a WHERE a.task_id = $1 ORDER BY a.is_lead DESC, a.unit_id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Assignment>(&sql).bind(task_id).fetch_all(&mut **c).await?),
    )
}

/// Lead assignments of a programme with their task's group, for the overview.
pub async fn lead_assignments(
    c: &mut DbConn<'_>,
    programme_id: i64,
) -> AppResult<Vec<(Assignment, Option<i64>)>> {
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, t.group_id FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE t.programme_id = $1 AND a.is_lead = TRUE"
    );
    Ok(on_conn!(c, c => {
        let rows = sqlx::query(&sql).bind(programme_id).fetch_all(&mut **c).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            out.push((Assignment::from_row(r)?, r.try_get::<Option<i64>, _>("group_id")?));
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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
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

/// A unit's assignments with their tasks (public tasks), for its worklist.
pub async fn worklist(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Vec<(Assignment, Task)>> {
    let task_cols = TASK_COLS
        .split(", ")
        .map(|c| format!("t.{c} AS t_{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {ASSIGNMENT_COLS}, {task_cols} FROM assignments a JOIN tasks t ON t.id = a.task_id WHERE a.unit_id = $1 AND t.visibility = 'public' ORDER BY a.original_due, t.id"
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
                visibility: r.try_get("t_visibility")?,
                lead_text: r.try_get("t_lead_text")?,
                coordinating_text: r.try_get("t_coordinating_text")?,
            };
            out.push((Assignment::from_row(r)?, task));
        }
        out
    }))
}
