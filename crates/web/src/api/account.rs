//! Public accounts: sign-up, and its confirmation by the mailed link.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};

use crate::AppState;
use crate::api::feedback::LinkToken;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ClientIp, Ctx};
use app::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/register", post(register))
        .route("/api/v1/register/confirm", post(confirm_registration))
}

/// A public account (role citizen) to follow one's feedback: a link is mailed to the address and
/// the account exists once it is confirmed. Limited per client address like sign-ins.
#[utoipa::path(post, path = "/api/v1/register", tag = "feedback", security(()),
    request_body = app::users::Registration,
    responses((status = 202, body = Object), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn register(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<app::users::Registration>,
) -> AppResult<Response> {
    if !s.limiter.allow(ip) {
        return Err(AppError::TooManyAttempts.into());
    }
    app::users::register(&s.db, input, ctx.lang).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "confirmation_sent": true })),
    )
        .into_response())
}

/// Confirm a sign-up with the token from the mailed link; returns the new account.
#[utoipa::path(post, path = "/api/v1/register/confirm", tag = "feedback", security(()),
    request_body = LinkToken,
    responses((status = 201, body = app::records::User), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn confirm_registration(
    State(s): State<AppState>,
    ApiJson(input): ApiJson<LinkToken>,
) -> AppResult<Response> {
    let user = app::users::confirm_registration(&s.db, &input.token).await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}
