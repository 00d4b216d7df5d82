//! Accounts: the caller (`/me`) and account administration.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::common::created;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::org::Page;
use app::records::{OrgUnit, User};
use app::users::{CreateUser, UpdateUser};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    /// The role in effect (a token's own role when called with a token).
    pub role: String,
    pub unit: OrgUnit,
    pub token_id: Option<i64>,
}

/// The caller: account, role and unit in effect.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Me>> {
    let p = ctx.principal()?;
    let unit = app::org::detail(&s.db, &s.org, Some(p), p.unit_id)
        .await?
        .unit;
    Ok(Json(Me {
        user_id: p.user_id,
        username: p.username.clone(),
        role: p.role.as_str().into(),
        unit,
        token_id: p.token_id,
    }))
}

/// Accounts the caller may see: all for administrators, steering and inspectors; their subtree for unit leaders and officers; themselves otherwise.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(app::users::ListQuery), responses((status = 200, body = Page<User>)))]
async fn list_users(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::users::ListQuery>,
) -> AppResult<Json<Page<User>>> {
    Ok(Json(app::users::list(&s.db, ctx.principal()?, q).await?))
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateUser>,
) -> AppResult<Response> {
    Ok(created(
        app::users::create(&s.db, ctx.principal()?, input).await?,
    ))
}

/// One account, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_user(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<User>> {
    Ok(Json(app::users::get(&s.db, ctx.principal()?, id).await?))
}

/// Change an account's name, email, unit, role, password, or disable it (administrators).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<UpdateUser>,
) -> AppResult<Json<User>> {
    Ok(Json(
        app::users::update(&s.db, ctx.principal()?, id, input).await?,
    ))
}
