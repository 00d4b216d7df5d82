//! Reading and verifying the audit trail.

use serde::Deserialize;

use super::org::Page;
use super::{clean_opt, more_than, paging, require};
use crate::db::Db;
use crate::error::AppResult;
use domain::policy::{Action, Principal, Scope};
use store::{self, audit::AuditEntry};

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// e.g. user.create, org_unit.update, auth.login
    pub action: Option<String>,
    /// e.g. user, org_unit, api_token, session
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Id of the user who made the change.
    pub actor: Option<i64>,
    /// The `next` of the page before: only older records. Pages by position cost the same at
    /// any depth; `page` still works but reads every record it skips.
    pub after: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One whole record of the trail (administrators and inspectors).
pub async fn get(db: &Db, who: &Principal, seq: i64) -> AppResult<AuditEntry> {
    require(Some(who), Action::ReadAudit, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::audit::get(&mut c.conn(), seq)
        .await?
        .ok_or(crate::error::AppError::NotFound)
}

/// Verifies the whole hash chain (the operator's `nqtrack audit verify`): the number of records,
/// or the first break.
pub fn verify_chain<'a>(
    db: &'a Db,
) -> crate::BoxFuture<'a, AppResult<Result<u64, domain::audit::Break>>> {
    Box::pin(async move {
        let mut c = db.acquire().await?;
        store::audit::verify_chain(&mut c.conn()).await
    })
}

/// Per filter of the trail: (head, matches up to it), so that the next count reads only what
/// was written since (the trail only grows).
pub type AuditCounts = crate::memo::Memo<String, (i64, i64)>;

pub async fn list(
    db: &Db,
    counts: &AuditCounts,
    who: &Principal,
    q: ListQuery,
) -> AppResult<Page<AuditEntry>> {
    require(Some(who), Action::ReadAudit, Scope::Global)?;
    let (limit, offset) = paging(q.page, q.per_page)?;
    let before = match clean_opt(q.after) {
        None => None,
        Some(a) => Some(a.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            crate::error::AppError::invalid(domain::FieldError::new("after", "err-cursor"))
        })?),
    };
    let mut f = store::audit::ListFilter {
        action: clean_opt(q.action),
        object_type: clean_opt(q.object_type),
        object_id: clean_opt(q.object_id),
        actor_user_id: q.actor,
        // One more than shown, to know whether a next page exists.
        limit: limit + 1,
        offset,
        before,
        counted: None,
    };
    let key = format!(
        "{:?}",
        (&f.action, &f.object_type, &f.object_id, f.actor_user_id)
    );
    f.counted = counts.get(&key).map(|c| *c);
    let mut c = db.acquire().await?;
    let (mut items, total, head) = store::audit::list(&mut c.conn(), &f).await?;
    counts.put(key, std::sync::Arc::new((head, total)));
    let next = more_than(&mut items, limit).map(|e| e.seq.to_string());
    Ok(Page {
        items,
        page: if before.is_some() {
            0
        } else {
            offset / limit + 1
        },
        per_page: limit,
        total,
        next,
    })
}
