//! The API explorer page: the operations of the OpenAPI document, rendered on the server.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

use crate::common::{PageCtx, html};
use webcore::error::AppResult;
use webcore::extract::Ctx;
use webcore::{AppState, DocOperation};

/// `operations` lists the API's operations (`api::docs::doc_operations`); passed in by the router
/// that joins both, so that the pages crate does not depend on the API crate.
pub fn router(operations: fn() -> Vec<DocOperation>) -> Router<AppState> {
    Router::new().route("/api/docs", get(move |ctx: Ctx| api_docs(ctx, operations)))
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsTpl {
    p: PageCtx,
    ops: Vec<DocOperation>,
}

async fn api_docs(ctx: Ctx, operations: fn() -> Vec<DocOperation>) -> AppResult<Response> {
    html(ApiDocsTpl {
        p: PageCtx::from(&ctx, "/api/docs"),
        ops: operations(),
    })
}
