//! The caller's notifications, and marking them read.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx};
use app::records::Notification;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list_notifications))
        .route("/api/v1/notifications/read", post(read_notifications))
}

#[derive(Serialize, ToSchema)]
pub(super) struct NotificationList {
    unread: i64,
    items: Vec<Notification>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// The `next` of the previous page: only notifications older than it.
    before: Option<i64>,
    /// How many (1–100, default 100).
    limit: Option<i64>,
}

/// The caller's notifications, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "tasks", params(Page),
    responses((status = 200, body = NotificationList), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_notifications(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<Page>,
) -> AppResult<Json<NotificationList>> {
    let n =
        app::work::notifications(&s.db, ctx.principal()?, q.before, q.limit.unwrap_or(100)).await?;
    Ok(Json(NotificationList {
        unread: n.unread,
        items: n.items,
        next: n.next,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReadInput {
    /// One notification; omit to mark all read.
    id: Option<i64>,
}

/// Mark one notification, or all, read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "tasks", request_body = ReadInput,
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn read_notifications(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ReadInput>,
) -> AppResult<Json<serde_json::Value>> {
    let n = app::work::mark_read(&s.db, ctx.principal()?, input.id).await?;
    Ok(Json(serde_json::json!({ "marked": n })))
}
