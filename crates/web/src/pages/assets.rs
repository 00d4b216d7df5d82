//! The stylesheet and the one script (the feedback form's similar items), compiled into the
//! binary and served with a cache header.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(css))
        .route("/static/similar.js", get(similar_js))
}

const SIMILAR_JS: &str = include_str!("../../static/similar.js");

async fn similar_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SIMILAR_JS,
    )
        .into_response()
}

const CSS: &str = include_str!("../../static/app.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}
