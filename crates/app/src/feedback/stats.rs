//! Statistics per unit as of any day: exact, remembered per (unit, day) until an item changes; the
//! national figures are served at once while one background computation catches up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::common::*;
use crate::db::Db;
use crate::error::AppResult;
use crate::require;
use domain::feedback::{self as fb};
use domain::policy::{Action, Scope};
use store::{self};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub unit: Option<i64>,
    pub as_of: NaiveDate,
    pub received: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub overdue: i64,
    /// Median working days from submission to answer.
    pub median_days_to_answer: Option<f64>,
    pub ratings: i64,
    pub mean_rating: Option<f64>,
    /// False when these are the national figures of a moment ago, served while newer ones are
    /// computed in the background.
    pub fresh: bool,
}

/// Exact statistics, remembered per (unit, day) until an item changes (`feedback_version`).
/// (unit or all, day) → (feedback_version it was computed at, the figures).
type StatsKey = (Option<i64>, NaiveDate);

type StatsEntries = HashMap<StatsKey, (i64, Stats)>;

#[derive(Default)]
pub struct StatsCache {
    entries: Mutex<StatsEntries>,
    /// One computation per key at a time: the national figure reads every item, and fifty
    /// visitors arriving together must wait for one computation, not start fifty.
    flights: Mutex<HashMap<StatsKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Totals of the public list per filter: (published-set version, total).
    published: Mutex<HashMap<String, (i64, i64)>>,
}

impl StatsCache {
    fn get(&self, key: StatsKey, version: i64) -> Option<Stats> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key)
            .filter(|(at, _)| *at == version)
            .map(|(_, st)| st.clone())
    }

    /// The last figures computed for the key, whatever has changed since.
    fn latest(&self, key: StatsKey) -> Option<Stats> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key).map(|(_, st)| st.clone())
    }

    fn put(&self, key: StatsKey, version: i64, st: Stats) {
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (version, st));
    }

    pub(super) fn published_total(&self, key: &str, version: i64) -> Option<i64> {
        let m = self.published.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key).filter(|(at, _)| *at == version).map(|(_, n)| *n)
    }

    pub(super) fn remember_published_total(&self, key: String, version: i64, n: i64) {
        let mut m = self.published.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (version, n));
    }

    fn flight(&self, key: StatsKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, f| Arc::strong_count(f) > 1);
        }
        m.entry(key).or_default().clone()
    }
}

/// Statistics of a unit (or of everything), as of a day: what the ranking will score.
pub fn stats<'a>(
    db: &'a Db,
    cache: &'a Arc<StatsCache>,
    unit: Option<i64>,
    as_of: Option<NaiveDate>,
) -> crate::BoxFuture<'a, AppResult<Stats>> {
    Box::pin(async move {
        require(None, Action::ReadOrgUnit, Scope::Global)?;
        let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
        let key = (unit, as_of);
        let v = feedback_version(db).await?;
        if let Some(st) = cache.get(key, v) {
            return Ok(st);
        }
        // The national figures read every item (seconds at a million): rather than hold visitors,
        // serve the previous figures, marked, and refresh them in the background, one refresh at a time.
        if unit.is_none()
            && let Some(mut st) = cache.latest(key)
        {
            if let Ok(turn) = cache.flight(key).try_lock_owned() {
                let (db, cache) = (db.clone(), cache.clone());
                tokio::spawn(async move {
                    let _turn = turn;
                    if let Ok(v) = feedback_version(&db).await
                        && let Ok(st) = compute_stats(&db, None, as_of).await
                    {
                        cache.put(key, v, st);
                    }
                });
            }
            st.fresh = false;
            return Ok(st);
        }
        let flight = cache.flight(key);
        let _turn = flight.lock().await;
        // Whoever computed while we waited may have left the answer.
        let v = feedback_version(db).await?;
        if let Some(st) = cache.get(key, v) {
            return Ok(st);
        }
        let st = compute_stats(db, unit, as_of).await?;
        cache.put(key, v, st.clone());
        Ok(st)
    })
}

/// Bumped by triggers in every transaction that changes an item.
async fn feedback_version(db: &Db) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    store::feedback::version(&mut c.conn()).await
}

async fn compute_stats(db: &Db, unit: Option<i64>, as_of: NaiveDate) -> AppResult<Stats> {
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    let (received, answered, on_time, overdue, ratings, rating_sum) =
        store::feedback::stats(&mut c.conn(), unit, as_of).await?;
    let days: Vec<(i64, i64)> = store::feedback::answer_days(&mut c.conn(), unit, as_of)
        .await?
        .into_iter()
        .map(|(s, a, n)| (cal.working_days_between(s, a), n))
        .collect();
    let median = fb::weighted_median(days);
    Ok(Stats {
        unit,
        as_of,
        received,
        answered,
        answered_on_time: on_time,
        overdue,
        median_days_to_answer: median,
        ratings,
        mean_rating: (ratings > 0).then(|| rating_sum as f64 / ratings as f64),
        fresh: true,
    })
}
