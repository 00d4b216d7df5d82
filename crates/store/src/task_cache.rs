//! Read cache of what overviews, worklists and homes are computed from: a programme's tasks and
//! top-level lead assignments, a unit's assignments with their tasks, the claims waiting for a
//! unit and the work returned to it. Each entry remembers the `task_version` it was read at (bumped by triggers in every writing transaction); a request
//! reads the version (one indexed row) and reuses the entry only if nothing was written since.
//! Status is still computed per request, as of the requested day.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use super::tasks::{Assignment, Programme, Task, TaskGroup};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

pub struct ProgrammeRows {
    /// The task data version these rows were read at.
    pub version: i64,
    pub programme: Programme,
    pub groups: Vec<TaskGroup>,
    /// Every task of the programme, by id.
    pub tasks: Vec<Task>,
    /// (assignment, task group, task visibility)
    pub lead: Vec<(Assignment, Option<i64>, domain::policy::Visibility)>,
}

pub struct UnitRows {
    pub items: Vec<(Assignment, Task)>,
    /// parent assignment → (children, completed, percent sum)
    pub cascades: HashMap<i64, (i64, i64, i64)>,
    pub programmes: HashMap<i64, Programme>,
}

type Periodic = Vec<(i64, Option<NaiveDate>, bool)>;
/// (the oldest claims, how many in all)
pub type Claims = (Vec<super::tasks::PendingClaim>, i64);
/// See `tasks::returned_to_unit`.
pub type Returned = Vec<(i64, i64, String, String, NaiveDate, Option<String>)>;
type PeriodicKey = (i64, NaiveDate, NaiveDate);

/// Entries by key, each with the task data version it was read at.
type Versioned<K, V> = Mutex<HashMap<K, (i64, Arc<V>)>>;

/// Bounded so a crawl over every unit cannot grow it without end.
const MAX_UNITS: usize = 4_096;

#[derive(Default)]
pub struct TaskCache {
    programmes: Versioned<i64, ProgrammeRows>,
    periodic: Versioned<PeriodicKey, Periodic>,
    units: Versioned<i64, UnitRows>,
    /// (unit, how many listed)
    claims: Versioned<(i64, i64), Claims>,
    returned: Versioned<i64, Returned>,
}

pub async fn version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT v FROM task_version WHERE id = 1")
        .fetch_one(&mut **c).await?),
    )
}

fn get<K: std::hash::Hash + Eq, V>(m: &Versioned<K, V>, k: &K, v: i64) -> Option<Arc<V>> {
    let m = m.lock().unwrap_or_else(|e| e.into_inner());
    m.get(k).filter(|(at, _)| *at == v).map(|(_, x)| x.clone())
}

fn put<K: std::hash::Hash + Eq, V>(m: &Versioned<K, V>, k: K, v: i64, x: Arc<V>) {
    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
    if m.len() >= MAX_UNITS {
        // Entries of older versions are useless; if all are current, start afresh.
        m.retain(|_, (at, _)| *at == v);
        if m.len() >= MAX_UNITS {
            m.clear();
        }
    }
    m.insert(k, (v, x));
}

impl TaskCache {
    pub async fn programme(
        &self,
        c: &mut DbConn<'_>,
        id: i64,
    ) -> AppResult<Option<Arc<ProgrammeRows>>> {
        let v = version(c).await?;
        if let Some(x) = get(&self.programmes, &id, v) {
            return Ok(Some(x));
        }
        let Some(programme) = super::tasks::get_programme(c, id).await? else {
            return Ok(None);
        };
        let rows = Arc::new(ProgrammeRows {
            version: v,
            groups: super::tasks::groups(c, id).await?,
            tasks: super::tasks::tasks_of(c, id).await?,
            lead: super::tasks::lead_assignments(c, id).await?,
            programme,
        });
        put(&self.programmes, id, v, rows.clone());
        Ok(Some(rows))
    }

    pub async fn periodic(
        &self,
        c: &mut DbConn<'_>,
        id: i64,
        start: NaiveDate,
        end: NaiveDate,
    ) -> AppResult<Arc<Periodic>> {
        let v = version(c).await?;
        let key = (id, start, end);
        if let Some(x) = get(&self.periodic, &key, v) {
            return Ok(x);
        }
        let rows = Arc::new(super::tasks::periodic_reports(c, id, start, end).await?);
        put(&self.periodic, key, v, rows.clone());
        Ok(rows)
    }

    pub async fn unit(&self, c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Arc<UnitRows>> {
        let v = version(c).await?;
        if let Some(x) = get(&self.units, &unit_id, v) {
            return Ok(x);
        }
        let items = super::tasks::worklist(c, unit_id).await?;
        let cascades = super::tasks::cascade_summary(c, unit_id)
            .await?
            .into_iter()
            .map(|(p, n, d, s)| (p, (n, d, s)))
            .collect();
        let mut programmes = HashMap::new();
        for (_, t) in &items {
            if !programmes.contains_key(&t.programme_id)
                && let Some(p) = super::tasks::get_programme(c, t.programme_id).await?
            {
                programmes.insert(t.programme_id, p);
            }
        }
        let rows = Arc::new(UnitRows {
            items,
            cascades,
            programmes,
        });
        put(&self.units, unit_id, v, rows.clone());
        Ok(rows)
    }

    /// The claims waiting for `unit_id` to verify them (see `tasks::pending_claims`): a
    /// province's queue reads some 450 pending claims of its communes to list the oldest; the
    /// Committee and a province's leaders open it all day while it changes a few times.
    pub async fn claims(
        &self,
        c: &mut DbConn<'_>,
        unit_id: i64,
        limit: i64,
    ) -> AppResult<Arc<Claims>> {
        let v = version(c).await?;
        let key = (unit_id, limit);
        if let Some(x) = get(&self.claims, &key, v) {
            return Ok(x);
        }
        let rows = Arc::new(super::tasks::pending_claims(c, unit_id, limit).await?);
        put(&self.claims, key, v, rows.clone());
        Ok(rows)
    }

    /// A unit's work whose completion claim was returned (`tasks::returned_to_unit`), on every
    /// home of its officers: a join through the unit's verifications, 6 ms on PostgreSQL at
    /// national scale, for a list that changes only with a decision.
    pub async fn returned(&self, c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Arc<Returned>> {
        let v = version(c).await?;
        if let Some(x) = get(&self.returned, &unit_id, v) {
            return Ok(x);
        }
        let rows = Arc::new(super::tasks::returned_to_unit(c, unit_id).await?);
        put(&self.returned, unit_id, v, rows.clone());
        Ok(rows)
    }
}
