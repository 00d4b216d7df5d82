//! An entry's history of changes, read from the audit trail: declarations, edits, reviews. Its
//! figures and heartbeats are in its quality history instead.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{IndexCache, readable, reads_inside};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::freshness::Freshness;
use domain::catalogue::State;
use domain::policy::Principal;
use store::org_index::OrgIndex;

/// Changes an entry's page lists, at most.
pub const SHOWN: i64 = 100;

/// One change of an entry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryChange {
    /// The audit record's number (its whole record: `/api/v1/audit/{seq}`, for inspectors).
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// catalogue.create, catalogue.edit, catalogue.declare, catalogue.approve, catalogue.accept,
    /// catalogue.return, catalogue.import
    pub action: String,
    /// For an edit: the fields whose value changed.
    pub fields: Vec<String>,
    /// For a review move: the state it led to, and the reason given.
    pub state: Option<State>,
    pub reason: Option<String>,
}

/// The entry's changes, newest first, for those who read its inside (its unit, the units above,
/// the reviewers): 404 to whoever may not see the entry, 403 to the public of a public entry.
pub async fn changes(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<Vec<EntryChange>> {
    let (idx, owner) = readable(db, org, fresh, cache, who, id).await?;
    if !reads_inside(&idx.org, who, owner) {
        return Err(if who.is_some() {
            AppError::Forbidden
        } else {
            AppError::Unauthorized
        });
    }
    let mut c = db.acquire().await?;
    let rows = store::audit::of_object(
        &mut c.conn(),
        "catalogue_entry",
        &id.to_string(),
        &["catalogue.heartbeat", "catalogue.figures"],
        SHOWN,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let before = r.before_json.as_deref().and_then(parse);
            let after = r.after_json.as_deref().and_then(parse);
            // A review move records [state, reason].
            let (state, reason) = match (&before, &after) {
                (Some(Value::String(_)), Some(Value::Array(a))) => (
                    a.first()
                        .and_then(|s| serde_json::from_value(s.clone()).ok()),
                    a.get(1).and_then(|r| r.as_str()).map(str::to_string),
                ),
                _ => (None, None),
            };
            EntryChange {
                seq: r.seq,
                at: r.at.parse().unwrap_or_default(),
                actor: r.actor,
                action: r.action,
                fields: changed_fields(before.as_ref(), after.as_ref()),
                state,
                reason: reason.filter(|r| !r.is_empty()),
            }
        })
        .collect())
}

fn parse(s: &str) -> Option<Value> {
    serde_json::from_str(s).ok()
}

/// The keys whose values differ between two records of an object (none unless both are
/// objects); bookkeeping fields left out.
fn changed_fields(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let (Some(Value::Object(b)), Some(Value::Object(a))) = (before, after) else {
        return vec![];
    };
    let mut keys: Vec<String> = a
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "updated_at" | "id") && b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(b.keys().filter(|k| !a.contains_key(*k)).cloned())
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_edit_names_the_fields_it_changed() {
        let b = json!({"id": 1, "name_vi": "A", "security_level": 2, "updated_at": "x", "gone": 1});
        let a = json!({"id": 1, "name_vi": "B", "security_level": 2, "updated_at": "y", "new": 3});
        assert_eq!(
            changed_fields(Some(&b), Some(&a)),
            ["gone", "name_vi", "new"].map(String::from)
        );
        assert!(changed_fields(None, Some(&a)).is_empty());
        assert!(changed_fields(Some(&json!("draft")), Some(&json!(["declared", ""]))).is_empty());
    }
}
