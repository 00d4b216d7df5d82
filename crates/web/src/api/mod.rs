//! The JSON API under /api/v1 (and the Open311 facade): one file per resource, each with its own
//! router; the OpenAPI document that lists them is in `docs`. Handlers only read input, call the
//! use cases, and shape the response; each is annotated for the OpenAPI document (pinned by a
//! snapshot test).

pub mod account;
pub mod assignments;
pub mod audit;
pub mod budgets;
pub mod catalogue;
pub mod ckan;
pub mod common;
pub mod dcat;
pub mod docs;
pub mod export;
pub mod feedback;
pub mod feedback_settings;
pub mod indicators;
pub mod jobs;
pub mod notifications;
pub mod open311;
pub mod org;
pub mod programmes;
pub mod rankings;
pub mod search;
pub mod tasks;
pub mod tokens;
pub mod users;
pub mod worklist;

pub use docs::openapi;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(docs::router())
        .merge(org::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(programmes::router())
        .merge(tasks::router())
        .merge(assignments::router())
        .merge(notifications::router())
        .merge(worklist::router())
        .merge(jobs::router())
        .merge(feedback::router())
        .merge(feedback_settings::router())
        .merge(account::router())
        .merge(open311::router())
        .merge(indicators::router())
        .merge(budgets::router())
        .merge(rankings::router())
        .merge(catalogue::router())
        .merge(ckan::router())
        .merge(dcat::router())
        .merge(search::router())
}
