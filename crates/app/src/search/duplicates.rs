//! The background duplicate pass (issue 16): every few seconds, each item that arrived since the
//! last pass is compared with the earlier items of its unit through the index (the candidates
//! of `Finder::similar_feedback`, re-scored on their folded text), and the pairs from
//! `domain::search::DUPLICATE_AT` are kept. The inbox marks those items "possible duplicate" and
//! the item page lists them with a merge button. A first pass starts from the newest item: the
//! past is not gone over (a million comparisons), and the item page still finds duplicates of
//! older items when it is read.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::policy::{Principal, Role};

use super::{Finder, Search};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::records::OrgIndex;

const EVERY: Duration = Duration::from_secs(5);
/// Items compared per pass (each a query of the index).
const BATCH: i64 = 100;
/// Only items at least this old: the indexer has applied them and the items before them.
const SETTLE_SECS: i64 = 2;
/// Candidates kept per item.
const KEEP: usize = 3;

/// The pass reads as the Steering Committee does (every unit's full text); what it finds is only
/// shown to those who may read the item.
fn reader() -> Principal {
    Principal {
        user_id: 0,
        token_id: None,
        role: Role::Steering,
        unit_id: 0,
        username: "duplicate-pass".into(),
    }
}

pub async fn run_forever(search: Arc<Search>, db: Db, org: Arc<OrgIndex>) {
    loop {
        match step(&search, &db, &org, Utc::now()).await {
            Ok(n) if n as i64 >= BATCH => continue,
            Ok(_) | Err(AppError::Unavailable) => {}
            Err(e) => tracing::warn!(error = %e, "duplicate pass"),
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// One pass: compares up to `BATCH` new items and records their possible duplicates with the
/// cursor, in one short transaction. Returns how many items it compared.
pub async fn step(
    search: &Search,
    db: &Db,
    org: &OrgIndex,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let (after, items) = {
        let mut c = db.acquire().await?;
        let Some(after) = store::search::duplicate_cursor(&mut c.conn()).await? else {
            let start = store::feedback::max_id(&mut c.conn()).await?;
            drop(c);
            let mut tx = db.begin().await?;
            store::search::set_duplicate_cursor(&mut tx.conn(), start).await?;
            tx.commit().await?;
            return Ok(0);
        };
        let until = now - chrono::Duration::seconds(SETTLE_SECS);
        let items = store::search::items_to_compare(&mut c.conn(), after, until, BATCH).await?;
        (after, items)
    };
    let Some(last) = items.last().map(|i| i.id) else {
        return Ok(0);
    };
    let find = Finder { search, org, db };
    let who = reader();
    let mut pairs = vec![];
    for it in &items {
        let text = format!("{} {}", it.title, it.body);
        // Unavailable while the index is built: the cursor stays, the pass comes back.
        let similar = find
            .similar_feedback(Some(&who), &text, Some(it.id), Some(it.unit_id), KEEP)
            .await?;
        pairs.extend(
            similar
                .into_iter()
                .filter(|s| s.id < it.id)
                .map(|s| (it.id, s.id, s.similarity)),
        );
    }
    let mut tx = db.begin().await?;
    store::search::record_duplicates(&mut tx.conn(), &pairs, now).await?;
    store::search::set_duplicate_cursor(&mut tx.conn(), last.max(after)).await?;
    tx.commit().await?;
    Ok(items.len())
}
