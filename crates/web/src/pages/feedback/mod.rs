//! Feedback pages: the public form, lists and tracking, statistics, and the officers' inbox and
//! item view. Each file has its own router.

pub mod common;
pub mod inbox;
pub mod item;
pub mod list;
pub mod stats;
pub mod submit;
pub mod track;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(list::router())
        .merge(submit::router())
        .merge(track::router())
        .merge(stats::router())
        .merge(inbox::router())
        .merge(item::router())
}
