//! Programmes: the list, the overview of a programme, and its charts.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::{AppResult, Problem};
use crate::extract::{ApiQuery, Ctx, PathId};
use app::programmes::ProgrammeOverview;
use app::records::Programme;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/programmes", get(list_programmes))
        .route("/api/v1/programmes/{id}/overview", get(programme_overview))
        .route("/api/v1/programmes/{id}/charts", get(programme_charts))
}

/// Programmes tracked (public).
#[utoipa::path(get, path = "/api/v1/programmes", tag = "tasks", security(()), responses((status = 200, body = Vec<Programme>)))]
async fn list_programmes(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Programme>>> {
    Ok(Json(app::programmes::list(&s.db, ctx.who.as_ref()).await?))
}

/// "N tasks due: A completed on time, B completed late, C in progress, D overdue" for a deadline window, as of any date; overall, per lead unit and per group (public tasks).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/overview", tag = "tasks", security(()), params(("id" = i64, Path), app::programmes::OverviewQuery),
    responses((status = 200, body = ProgrammeOverview), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn programme_overview(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<app::programmes::OverviewQuery>,
) -> AppResult<Response> {
    Ok(public(
        Json(
            app::programmes::programme_overview(
                &s.db,
                &s.org,
                &s.tasks,
                &s.overviews,
                ctx.who.as_ref(),
                id,
                q,
            )
            .await?,
        ),
        Deps::TASKS,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOf {
    /// Judge as of this date (default today).
    as_of: Option<NaiveDate>,
}

/// The leaders' dashboard: tasks due per month by status, and the trend of completion month by month (tasks the caller may read).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/charts", tag = "tasks", security(()), params(("id" = i64, Path), AsOf),
    responses((status = 200, body = app::programmes::ProgrammeCharts), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn programme_charts(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<AsOf>,
) -> AppResult<Response> {
    Ok(public(
        Json(
            app::programmes::programme_charts(
                &s.db,
                &s.org,
                &s.tasks,
                &s.charts,
                ctx.who.as_ref(),
                id,
                q.as_of,
            )
            .await?,
        ),
        Deps::TASKS,
    ))
}
