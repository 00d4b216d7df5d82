//! Statistics per unit as of any day: exact, remembered per (unit, day) until an item changes; the
//! national figures are served at once while one background computation catches up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::common::*;
use crate::db::Db;
use crate::error::AppResult;
use crate::require;
use domain::feedback::{self as fb};
use domain::org::OrgKind;
use domain::policy::{Action, Scope};
use store::feedback::StatsScope;
use store::org_index::OrgIndex;
use store::{self};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub unit: Option<i64>,
    /// True when the figures count the items of every unit below `unit` too.
    pub below: bool,
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

/// (whose items, day): the key of remembered statistics.
type StatsKey = (StatsScope, NaiveDate);

/// See [`Remembered::latest`]: figures of a moment ago are recomputed once they are older than
/// this many times their last computation.
const REST: u32 = 4;

/// Figures remembered per key with the `feedback_version` they were computed at, and one
/// computation per key at a time: the national figures read every item, and fifty visitors
/// arriving together must wait for one computation, not start fifty.
pub struct Remembered<K, V> {
    /// (version, figures, when they were computed, how long that took)
    entries: Mutex<HashMap<K, (i64, V, Instant, Duration)>>,
    flights: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K, V> Default for Remembered<K, V> {
    fn default() -> Self {
        Remembered {
            entries: Mutex::default(),
            flights: Mutex::default(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy, V: Clone> Remembered<K, V> {
    fn get(&self, key: K, version: i64) -> Option<V> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key)
            .filter(|(at, ..)| *at == version)
            .map(|(_, v, ..)| v.clone())
    }

    /// The last figures computed for the key, whatever has changed since, and whether it is
    /// time to compute them again: under a stream of writes the version changes with every
    /// request, and the national figures (4–6 s of a core on SQLite at a million items) would
    /// be recomputed back to back, taking a core from the writers for as long as the stream
    /// lasts. They are computed again only once they are older than [`REST`] times what the
    /// last computation took: at most a fifth of a core, and at once on small data.
    fn latest(&self, key: K) -> Option<(V, bool)> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key)
            .map(|(_, v, at, took)| (v.clone(), at.elapsed() >= *took * REST))
    }

    fn put(&self, key: K, version: i64, v: V, took: Duration) {
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (version, v, Instant::now(), took));
    }

    fn flight(&self, key: K) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, f| Arc::strong_count(f) > 1);
        }
        m.entry(key).or_default().clone()
    }
}

/// The figures for `key` as of the current `feedback_version`. When `stale_ok` and figures of an
/// earlier version exist, those are returned at once (the caller marks them) while one
/// background task computes the new ones: the national figures read every item (seconds at a
/// million) and visitors are not held for them. The bool says whether the figures are current.
async fn remembered<K, V, F>(
    db: &Db,
    part: &Arc<Remembered<K, V>>,
    key: K,
    stale_ok: bool,
    compute: F,
) -> AppResult<(V, bool)>
where
    K: std::hash::Hash + Eq + Copy + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    F: Fn(Db) -> crate::BoxFuture<'static, AppResult<V>> + Send + 'static,
{
    let v = feedback_version(db).await?;
    if let Some(x) = part.get(key, v) {
        return Ok((x, true));
    }
    if stale_ok && let Some((x, due)) = part.latest(key) {
        if due && let Ok(turn) = part.flight(key).try_lock_owned() {
            let (db, part) = (db.clone(), part.clone());
            tokio::spawn(async move {
                let _turn = turn;
                let started = Instant::now();
                if let Ok(v) = feedback_version(&db).await
                    && let Ok(x) = compute(db).await
                {
                    part.put(key, v, x, started.elapsed());
                }
            });
        }
        return Ok((x, false));
    }
    let flight = part.flight(key);
    let _turn = flight.lock().await;
    // Whoever computed while we waited may have left the answer.
    let v = feedback_version(db).await?;
    if let Some(x) = part.get(key, v) {
        return Ok((x, true));
    }
    let started = Instant::now();
    let x = compute(db.clone()).await?;
    part.put(key, v, x.clone(), started.elapsed());
    Ok((x, true))
}

#[derive(Default)]
pub struct StatsCache {
    stats: Arc<Remembered<StatsKey, Stats>>,
    provinces: Arc<Remembered<NaiveDate, Arc<FeedbackByProvince>>>,
    /// Totals of the public list per filter: (published-set version, total).
    published: Mutex<HashMap<String, (i64, i64)>>,
}

impl StatsCache {
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
}

/// Statistics of a unit (with every unit below it when `below`), or of everything, as of a day:
/// what the ranking will score.
pub async fn stats(
    db: &Db,
    cache: &Arc<StatsCache>,
    unit: Option<i64>,
    below: bool,
    as_of: Option<NaiveDate>,
) -> AppResult<Stats> {
    require(None, Action::ReadOrgUnit, Scope::Global)?;
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let scope = match unit {
        None => StatsScope::All,
        Some(u) if below => StatsScope::Below(u),
        Some(u) => StatsScope::Unit(u),
    };
    // Figures over many units are served a moment old rather than hold visitors.
    let stale_ok = !matches!(scope, StatsScope::Unit(_));
    let (mut st, fresh) = remembered(db, &cache.stats, (scope, as_of), stale_ok, move |db| {
        Box::pin(async move { compute_stats(&db, scope, as_of).await })
    })
    .await?;
    st.fresh = fresh;
    Ok(st)
}

/// One province's feedback: the items handled by the province or any unit below it.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProvinceFeedback {
    pub unit_id: i64,
    pub received: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    /// Open past their legal deadline on the day.
    pub overdue: i64,
}

/// Feedback per province as of a day, and the rest (central agencies, the Committee's triage).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackByProvince {
    pub as_of: NaiveDate,
    /// The 34 provinces in force, by official code.
    pub provinces: Vec<ProvinceFeedback>,
    /// Items of units under no province in force, with `unit_id` 0.
    pub central: ProvinceFeedback,
    /// False when these are the figures of a moment ago, served while newer ones are computed.
    pub fresh: bool,
}

/// Feedback per province: one pass over the items grouped by unit, rolled up the tree in memory.
pub async fn by_province(
    db: &Db,
    cache: &Arc<StatsCache>,
    org: &Arc<OrgIndex>,
    as_of: Option<NaiveDate>,
) -> AppResult<FeedbackByProvince> {
    require(None, Action::ReadOrgUnit, Scope::Global)?;
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let org = org.clone();
    let (x, fresh) = remembered(db, &cache.provinces, as_of, true, move |db| {
        let org = org.clone();
        Box::pin(async move { compute_by_province(&db, &org, as_of).await.map(Arc::new) })
    })
    .await?;
    let mut x = (*x).clone();
    x.fresh = fresh;
    Ok(x)
}

async fn compute_by_province(
    db: &Db,
    org: &OrgIndex,
    as_of: NaiveDate,
) -> AppResult<FeedbackByProvince> {
    let snap = org.snapshot(db).await?;
    let rows = {
        let mut c = db.acquire().await?;
        store::feedback::stats_by_unit(&mut c.conn(), as_of).await?
    };
    let mut provinces = snap.current_of_kind(OrgKind::Province);
    provinces.sort_by(|a, b| a.code.cmp(&b.code));
    let slot: HashMap<i64, usize> = provinces
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id, i))
        .collect();
    let mut out: Vec<ProvinceFeedback> = provinces
        .iter()
        .map(|u| ProvinceFeedback {
            unit_id: u.id,
            ..Default::default()
        })
        .collect();
    let mut central = ProvinceFeedback::default();
    for (unit, received, answered, on_time, overdue, _, _) in rows {
        let into = match snap.chain(unit).iter().find_map(|u| slot.get(u)) {
            Some(&i) => &mut out[i],
            None => &mut central,
        };
        into.received += received;
        into.answered += answered;
        into.answered_on_time += on_time;
        into.overdue += overdue;
    }
    Ok(FeedbackByProvince {
        as_of,
        provinces: out,
        central,
        fresh: true,
    })
}

/// Bumped by triggers in every transaction that changes an item.
async fn feedback_version(db: &Db) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    store::feedback::version(&mut c.conn()).await
}

async fn compute_stats(db: &Db, scope: StatsScope, as_of: NaiveDate) -> AppResult<Stats> {
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    let (received, answered, on_time, overdue, ratings, rating_sum) =
        store::feedback::stats(&mut c.conn(), scope, as_of).await?;
    let days: Vec<(i64, i64)> = store::feedback::answer_days(&mut c.conn(), scope, as_of)
        .await?
        .into_iter()
        .map(|(s, a, n)| (cal.working_days_between(s, a), n))
        .collect();
    let median = fb::weighted_median(days);
    let (unit, below) = match scope {
        StatsScope::All => (None, false),
        StatsScope::Unit(u) => (Some(u), false),
        StatsScope::Below(u) => (Some(u), true),
    };
    Ok(Stats {
        unit,
        below,
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

#[cfg(test)]
mod rest_tests {
    use super::*;

    #[test]
    fn figures_rest_four_times_their_computation_before_the_next() {
        let r: Remembered<u8, u32> = Remembered::default();
        assert_eq!(r.latest(1), None);
        // Quick to compute (small data): computed again at once.
        r.put(1, 7, 10, Duration::ZERO);
        assert_eq!(r.latest(1), Some((10, true)));
        assert_eq!(r.get(1, 7), Some(10));
        assert_eq!(r.get(1, 8), None, "another version is not these figures");
        // Slow to compute (a million items): not again before four times as long has passed.
        r.put(2, 7, 20, Duration::from_secs(5));
        assert_eq!(r.latest(2), Some((20, false)));
    }
}
