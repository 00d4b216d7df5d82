//! Organisation units: list, read, create, edit, merge.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::AppState;
use crate::api::common::created;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::org::{CreateOrgUnit, MergeInput, MergeResult, OrgUnitDetail, Page, UpdateOrgUnit};
use app::records::OrgUnit;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/org-units",
            get(list_org_units).post(create_org_unit),
        )
        .route(
            "/api/v1/org-units/{id}",
            get(get_org_unit).patch(update_org_unit),
        )
        .route("/api/v1/org-units/{id}/merge", post(merge_unit))
}

/// List organisation units (public).
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org", params(app::org::ListQuery), security(()),
    responses((status = 200, body = Page<OrgUnit>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_org_units(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::org::ListQuery>,
) -> AppResult<Json<Page<OrgUnit>>> {
    Ok(Json(
        app::org::list(&s.db, &s.org, ctx.who.as_ref(), q).await?,
    ))
}

/// One unit with its parent, ancestors, number of children, predecessors and successors (public).
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)), security(()),
    responses((status = 200, body = OrgUnitDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<OrgUnitDetail>> {
    Ok(Json(
        app::org::detail(&s.db, &s.org, ctx.who.as_ref(), id).await?,
    ))
}

/// Create a unit. Departments may be created by leaders and officers within their subtree; other kinds by administrators.
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org", request_body = CreateOrgUnit,
    responses((status = 201, body = OrgUnit), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateOrgUnit>,
) -> AppResult<Response> {
    Ok(created(
        app::org::create(&s.db, ctx.principal()?, input).await?,
    ))
}

/// Edit a unit's names or code (within the caller's subtree); moving or closing it is for administrators.
#[utoipa::path(patch, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)), request_body = UpdateOrgUnit,
    responses((status = 200, body = OrgUnit), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<UpdateOrgUnit>,
) -> AppResult<Json<OrgUnit>> {
    Ok(Json(
        app::org::update(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Merge a unit into its successor (administrators): it closes, and its open assignments pass to the successor with their history.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/merge", tag = "org", params(("id" = i64, Path)), request_body = MergeInput,
    responses((status = 200, body = MergeResult), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn merge_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MergeInput>,
) -> AppResult<Json<MergeResult>> {
    Ok(Json(
        app::org::merge(&s.db, ctx.principal()?, id, input).await?,
    ))
}
