//! Resources: an assignment's budget per year and source, a task's budget, a programme's
//! budget per unit and year.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, Ctx, PathId};
use app::budgets::{BudgetInput, ProgrammeBudget, TaskBudget};
use app::records::BudgetRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assignments/{id}/budget", put(set_budget))
        .route("/api/v1/tasks/{id}/budget", get(task_budget))
        .route("/api/v1/programmes/{id}/budget", get(programme_budget))
}

/// Sets an assignment's planned and disbursed budget for a year and source (the assigned unit); its unit's disbursement rate for the year (indicator NS.GIAINGAN) follows in the same transaction.
#[utoipa::path(put, path = "/api/v1/assignments/{id}/budget", tag = "tasks", params(("id" = i64, Path)), request_body = BudgetInput,
    responses((status = 200, body = BudgetRow), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_budget(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<BudgetInput>,
) -> AppResult<Json<BudgetRow>> {
    Ok(Json(
        app::budgets::set(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// A task's budget lines (anyone who may read the task).
#[utoipa::path(get, path = "/api/v1/tasks/{id}/budget", tag = "tasks", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = TaskBudget), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn task_budget(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<TaskBudget>> {
    Ok(Json(
        app::budgets::of_task(&s.db, &s.org, ctx.who.as_ref(), id).await?,
    ))
}

/// A programme's budget per unit and year, and its sums per year (public tasks).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/budget", tag = "programmes", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = ProgrammeBudget), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn programme_budget(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> AppResult<Json<ProgrammeBudget>> {
    Ok(Json(app::budgets::of_programme(&s.db, &s.org, id).await?))
}
