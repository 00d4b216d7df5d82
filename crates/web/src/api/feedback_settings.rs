//! Feedback settings: routing rules, holidays, each unit's settings, deadline rules per kind.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, Ctx, PathId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/feedback/routes", get(list_routes).post(add_route))
        .route("/api/v1/feedback/routes/{id}/retire", post(retire_route))
        .route("/api/v1/holidays", get(list_holidays).post(add_holiday))
        .route(
            "/api/v1/feedback/units/{id}/settings",
            get(unit_settings).put(set_unit_settings),
        )
        .route("/api/v1/feedback/rules", get(kind_rules))
        .route("/api/v1/feedback/rules/{kind}", put(set_kind_rule))
}

/// Routing rules, in force and retired (administrators).
#[utoipa::path(get, path = "/api/v1/feedback/routes", tag = "feedback",
    responses((status = 200, body = Vec<app::records::RouteRow>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn list_routes(
    State(s): State<AppState>,
    ctx: Ctx,
) -> AppResult<Json<Vec<app::records::RouteRow>>> {
    Ok(Json(app::feedback::routes(&s.db, ctx.who.as_ref()).await?))
}

/// Add a routing rule: items of a category (any if omitted) about a unit (any if omitted) go to the target unit (administrators).
#[utoipa::path(post, path = "/api/v1/feedback/routes", tag = "feedback", request_body = app::feedback::NewRoute,
    responses((status = 201, body = Object), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_route(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<app::feedback::NewRoute>,
) -> AppResult<Response> {
    let id = app::feedback::add_route(&s.db, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))).into_response())
}

/// Retire a routing rule (kept as history).
#[utoipa::path(post, path = "/api/v1/feedback/routes/{id}/retire", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn retire_route(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<serde_json::Value>> {
    app::feedback::retire_route(&s.db, ctx.principal()?, id).await?;
    Ok(Json(serde_json::json!({ "retired": id })))
}

/// Days off and make-up working days added to the built-in calendar (public).
#[utoipa::path(get, path = "/api/v1/holidays", tag = "feedback", security(()),
    responses((status = 200, body = Object)))]
async fn list_holidays(State(s): State<AppState>) -> AppResult<Json<serde_json::Value>> {
    let rows = app::feedback::holidays(&s.db).await?;
    Ok(Json(serde_json::json!(
        rows.into_iter()
            .map(|(d, k)| serde_json::json!({"day": d, "kind": k}))
            .collect::<Vec<_>>()
    )))
}

/// Add a day off or a make-up working day (administrators).
#[utoipa::path(post, path = "/api/v1/holidays", tag = "feedback", request_body = app::feedback::NewHoliday,
    responses((status = 201, body = Object), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_holiday(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<app::feedback::NewHoliday>,
) -> AppResult<Response> {
    app::feedback::add_holiday(&s.db, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "ok": true }))).into_response())
}

/// A unit's feedback settings (its officers and leaders; those who read everything).
#[utoipa::path(get, path = "/api/v1/feedback/units/{id}/settings", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = app::feedback::UnitSettings), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn unit_settings(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<app::feedback::UnitSettings>> {
    Ok(Json(
        app::feedback::unit_settings(&s.db, ctx.principal()?, id).await?,
    ))
}

/// Whether officers' answers wait for the unit leader's approval, and whether what is sent to the
/// unit waits for moderation before it is public (the unit's leader, administrators). A setting
/// left out keeps its value.
#[utoipa::path(put, path = "/api/v1/feedback/units/{id}/settings", tag = "feedback", params(("id" = i64, Path)),
    request_body = app::feedback::UnitSettingsChange,
    responses((status = 200, body = app::feedback::UnitSettings), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn set_unit_settings(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::feedback::UnitSettingsChange>,
) -> AppResult<Json<app::feedback::UnitSettings>> {
    Ok(Json(
        app::feedback::set_unit_settings(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Deadline rules per kind: working days to accept and to answer, appeal period, transfer clock (public).
#[utoipa::path(get, path = "/api/v1/feedback/rules", tag = "feedback", security(()),
    responses((status = 200, body = Vec<app::records::KindRule>)))]
async fn kind_rules(State(s): State<AppState>) -> AppResult<Json<Vec<app::records::KindRule>>> {
    Ok(Json(app::feedback::kind_rules(&s.db).await?))
}

/// Change the deadline rules of a kind (administrators).
#[utoipa::path(put, path = "/api/v1/feedback/rules/{kind}", tag = "feedback", params(("kind" = String, Path)),
    request_body = app::records::KindRule,
    responses((status = 200, body = app::records::KindRule), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_kind_rule(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(kind): Path<String>,
    ApiJson(mut rule): ApiJson<app::records::KindRule>,
) -> AppResult<Json<app::records::KindRule>> {
    rule.kind = kind;
    Ok(Json(
        app::feedback::set_kind_rule(&s.db, ctx.principal()?, rule).await?,
    ))
}
