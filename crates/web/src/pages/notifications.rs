//! The signed-in user's notifications page, and marking them read.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx};
use crate::pages::common::{PageCtx, html};
use app::records::Notification;

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
}

async fn notifications_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let (items, unread) = app::work::notifications(&s.db, ctx.principal()?, 100).await?;
    html(NotificationsTpl {
        p: PageCtx::from(&ctx, "/notifications"),
        items,
        unread,
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
