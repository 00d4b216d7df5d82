//! Server-rendered pages (askama), one file per page family, each with its own router. Every form
//! works without JavaScript and carries the CSRF token.

pub mod account;
pub mod api_docs;
pub mod assets;
pub mod audit;
pub mod briefing;
pub mod budgets;
pub mod catalogue;
pub mod claims;
pub mod common;
pub mod feedback;
pub mod home;
pub mod indicators;
pub mod notifications;
pub mod org;
pub mod programmes;
pub mod rankings;
pub mod search;
pub mod session;
pub mod tasks;
pub mod tokens;
pub mod users;
pub mod worklist;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(assets::router())
        .merge(session::router())
        .merge(org::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(api_docs::router())
        .merge(programmes::router())
        .merge(indicators::router())
        .merge(rankings::router())
        .merge(briefing::router())
        .merge(worklist::router())
        .merge(tasks::router())
        .merge(budgets::router())
        .merge(catalogue::router())
        .merge(claims::router())
        .merge(notifications::router())
        .merge(feedback::router())
        .merge(search::router())
        .merge(account::router())
}
