//! API tokens: list, issue, revoke.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::api::common::created;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::records::ApiToken;
use app::tokens::{CreateToken, CreatedToken};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_token))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// Only this user's tokens.
    user_id: Option<i64>,
}

/// API tokens (administrators). Secrets are never shown again after creation.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", params(TokenQuery), responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        app::tokens::list(&s.db, ctx.principal()?, q.user_id).await?,
    ))
}

/// Issue a token for a user (administrators); the response holds the secret, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 409, body = Problem, content_type = "application/problem+json", description = "The form token was used before: nothing created"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateToken>,
) -> AppResult<Response> {
    Ok(created(
        app::tokens::create(&s.db, ctx.principal()?, input).await?,
    ))
}

/// Revoke a token (administrators).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = ApiToken)))]
async fn revoke_token(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<ApiToken>> {
    Ok(Json(
        app::tokens::revoke(&s.db, ctx.principal()?, id).await?,
    ))
}
