//! Use cases: each checks permission through `domain::policy`, validates input, runs one
//! transaction and writes the audit record in it. API and page handlers both call these.

pub use store::BoxFuture;

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod catalogue;
pub mod config;
pub mod export;
pub mod extensions;
pub mod feedback;
pub mod freshness;
pub mod group_commit;
pub mod home;
pub mod import;
pub mod indicators;
pub mod jobs;
pub mod mail;
pub mod memo;
pub mod notify;
pub mod org;
pub mod programmes;
pub mod rankings;
pub mod records;
pub mod reports;
pub mod search;
pub mod session;
pub mod smtp_pool;
pub mod tokens;
pub mod users;
pub mod work;

/// The storage handle and the one error type, for the layers above that do not see `store`.
pub use store::audit::Actor;
pub use store::{db, error};

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use domain::policy::{self, Action, Decision, Principal, Scope};

/// Whether `who` may take `action` everywhere (what a page shows, e.g. a button).
pub fn allows(who: Option<&Principal>, action: Action) -> bool {
    policy::authorize(who, action, Scope::Global) == Decision::Allow
}

pub fn require(who: Option<&Principal>, action: Action, scope: Scope<'_>) -> AppResult<()> {
    match policy::authorize(who, action, scope) {
        Decision::Allow => Ok(()),
        Decision::NeedsLogin => Err(AppError::Unauthorized),
        Decision::Deny => Err(AppError::Forbidden),
    }
}

/// Checks permission on an object owned by `unit_id`.
pub async fn require_on_unit(
    c: &mut DbConn<'_>,
    who: Option<&Principal>,
    action: Action,
    unit_id: i64,
) -> AppResult<()> {
    let chain = store::org::chain(c, unit_id).await?;
    require(who, action, Scope::Unit(&chain))
}

/// The assignment, read in the caller's transaction, once `who` may do `action` on it.
pub async fn assignment_for(
    c: &mut DbConn<'_>,
    who: &Principal,
    action: Action,
    id: i64,
) -> AppResult<store::tasks::Assignment> {
    let a = store::tasks::get_assignment(c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(c, Some(who), action, a.unit_id).await?;
    Ok(a)
}

/// Clamps paging input: page from 1, per_page within 1..=200 (default 50).
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> AppResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    let per = per_page.unwrap_or(50);
    let mut errs = vec![];
    if page < 1 {
        errs.push(domain::FieldError::new("page", "err-min").with("min", 1));
    }
    if !(1..=200).contains(&per) {
        errs.push(
            domain::FieldError::new("per_page", "err-range")
                .with("min", 1)
                .with("max", 200),
        );
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok((per, (page - 1) * per))
}

/// For a list read with one row more than shown (to know whether a next page exists): cuts it
/// to `limit` and, when there was more, gives the last row kept, where the next page starts.
pub fn more_than<T>(items: &mut Vec<T>, limit: i64) -> Option<&T> {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last()
    } else {
        None
    }
}

/// Trims, normalises to NFC, and turns an empty string into None.
pub fn clean_opt(s: Option<String>) -> Option<String> {
    s.map(|v| domain::text::nfc(&v)).filter(|v| !v.is_empty())
}
