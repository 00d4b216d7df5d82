//! The signed-in user's notifications page, and marking them read.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, CsrfForm, Ctx};
use crate::pages::common::{PageCtx, html};
use app::records::Notification;

/// Notifications on one page; older ones behind a link.
const LISTED: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(notifications_page))
        .route("/notifications/read", post(notifications_read))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsTpl {
    p: PageCtx,
    items: Vec<Notification>,
    unread: i64,
    /// The link to the older ones, if any.
    next: Option<i64>,
    /// Whether this is a later page (then a link back to the newest).
    later: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    before: Option<i64>,
}

async fn notifications_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Response> {
    let n = app::work::notifications(&s.db, ctx.principal()?, q.before, LISTED).await?;
    html(NotificationsTpl {
        p: PageCtx::from(&ctx, "/notifications"),
        items: n.items,
        unread: n.unread,
        next: n.next,
        later: q.before.is_some(),
    })
}

#[derive(Deserialize)]
struct ReadForm {
    id: Option<i64>,
}

async fn notifications_read(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ReadForm>,
) -> AppResult<Response> {
    app::work::mark_read(&s.db, ctx.principal()?, f.id).await?;
    Ok(Redirect::to("/notifications").into_response())
}
