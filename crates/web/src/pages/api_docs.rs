//! The API explorer page: the operations of the OpenAPI document, rendered on the server.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::pages::common::{PageCtx, html};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/docs", get(api_docs))
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsTpl {
    p: PageCtx,
    ops: &'static [crate::api::docs::DocOperation],
}

async fn api_docs(ctx: Ctx) -> AppResult<Response> {
    html(ApiDocsTpl {
        p: PageCtx::from(&ctx, "/api/docs"),
        ops: crate::api::docs::doc_operations(),
    })
}
