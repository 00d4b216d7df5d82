//! Tasks: the list (with downloads), one task, proposals and their decision, comments.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::common::created;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::programmes::TaskDetail;
use app::records::Task;
use app::work::{NewComment, Proposal, ProposalDecision};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(list_tasks))
        .route("/api/v1/tasks/{id}", get(get_task))
        .route(
            "/api/v1/programmes/{id}/proposals",
            get(list_proposals).post(propose),
        )
        .route("/api/v1/tasks/{id}/decision", post(decide_proposal))
        .route("/api/v1/tasks/{id}/comments", post(add_comment))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Programme id (required).
    programme: i64,
    /// Only tasks this unit leads.
    unit: Option<i64>,
    /// Only tasks with this rolled-up status (not_started, in_progress, at_risk, overdue, completed_on_time, completed_late, cancelled; no_lead: no unit in the system leads it).
    status: Option<String>,
    /// Judge as of this date (default today).
    as_of: Option<chrono::NaiveDate>,
    /// json (default), csv or xlsx.
    format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskRow {
    #[serde(flatten)]
    pub task: Task,
    pub status: String,
}

/// Tasks of a programme that the caller may read, with their status computed as of a date; `format=csv|xlsx` downloads the list.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", security(()), params(TaskQuery), responses((status = 200, body = Vec<TaskRow>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_tasks(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> AppResult<Response> {
    let format = crate::api::export::parse_format(q.format.as_deref())?;
    if let Some(st) = &q.status
        && !domain::status::Status::ALL.iter().any(|x| x.as_str() == st)
        && st != domain::overview::NO_LEAD
    {
        return Err(app::error::AppError::invalid(domain::FieldError::new(
            "status",
            "err-unknown-status",
        ))
        .into());
    }
    let rows = app::programmes::tasks(
        &s.db,
        &s.org,
        &s.tasks,
        ctx.who.as_ref(),
        q.programme,
        q.unit,
        q.as_of,
    )
    .await?;
    let rows: Vec<TaskRow> = rows
        .into_iter()
        .filter(|(_, st)| q.status.as_ref().is_none_or(|w| w == st))
        .map(|(task, status)| TaskRow { task, status })
        .collect();
    match format {
        None => Ok(Json(rows).into_response()),
        Some(f) => crate::api::export::export_response(
            &task_table(ctx.lang, &rows),
            f,
            &format!("tasks-{}", q.programme),
        ),
    }
}

fn task_table(lang: crate::i18n::Lang, rows: &[TaskRow]) -> app::export::Table {
    use app::export::Cell;
    let h = |k: &str| lang.t(k).to_string();
    app::export::Table {
        title: lang.t("tasks-title").into(),
        headers: vec![
            h("col-code"),
            h("col-task"),
            h("col-status"),
            h("col-deadline"),
            h("col-deadline-text"),
            h("col-lead"),
            h("col-coordinating"),
            h("col-result"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::from(&r.task.code),
                    Cell::from(&r.task.title),
                    Cell::from(lang.t(&format!("status-{}", r.status))),
                    Cell::from(r.task.due_on),
                    Cell::from(&r.task.deadline_text),
                    Cell::from(r.task.lead_text.clone()),
                    Cell::from(r.task.coordinating_text.clone()),
                    Cell::from(r.task.result_text.clone()),
                ]
            })
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOfQuery {
    /// Judge as of this date (default today).
    as_of: Option<chrono::NaiveDate>,
}

/// One task with each assigned unit and its status.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", security(()), params(("id" = i64, Path), AsOfQuery), responses((status = 200, body = TaskDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_task(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> AppResult<Json<TaskDetail>> {
    Ok(Json(
        app::programmes::task_detail(&s.db, &s.org, ctx.who.as_ref(), id, q.as_of).await?,
    ))
}

/// Tasks proposed by units under a programme, awaiting the assigning level (signed-in users).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/proposals", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Task>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_proposals(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Vec<Task>>> {
    Ok(Json(
        app::work::proposals(&s.db, ctx.who.as_ref(), id).await?,
    ))
}

/// Propose a task of the caller's unit under a programme; it takes effect when the assigning level approves it.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/proposals", tag = "tasks", params(("id" = i64, Path)), request_body = Proposal,
    responses((status = 201, body = Task), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn propose(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<Proposal>,
) -> AppResult<Response> {
    Ok(created(
        app::work::propose(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Approve or decline a proposed task (the assigning level).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decision", tag = "tasks", params(("id" = i64, Path)), request_body = ProposalDecision,
    responses((status = 200, body = Task), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide_proposal(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ProposalDecision>,
) -> AppResult<Json<Task>> {
    Ok(Json(
        app::work::decide_proposal(&s.db, ctx.principal()?, id, input).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct Created {
    id: i64,
}

/// Comment on a task one can read (signed-in users except reviewers).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/comments", tag = "tasks", params(("id" = i64, Path)), request_body = NewComment,
    responses((status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_comment(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewComment>,
) -> AppResult<Response> {
    let id = app::work::comment(&s.db, &s.org, ctx.principal()?, id, input).await?;
    Ok(created(Created { id }))
}
