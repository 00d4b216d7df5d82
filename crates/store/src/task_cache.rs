//! Read cache of what overviews and worklists are computed from: a programme's top-level lead
//! assignments, and a unit's assignments with their tasks. Each entry remembers the
//! `task_version` it was read at (bumped by triggers in every writing transaction); a request
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
    pub programme: Programme,
    pub groups: Vec<TaskGroup>,
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
type PeriodicKey = (i64, NaiveDate, NaiveDate);

/// Bounded so a crawl over every unit cannot grow it without end.
const MAX_UNITS: usize = 4_096;

#[derive(Default)]
pub struct TaskCache {
    programmes: Mutex<HashMap<i64, (i64, Arc<ProgrammeRows>)>>,
    periodic: Mutex<HashMap<PeriodicKey, (i64, Arc<Periodic>)>>,
    units: Mutex<HashMap<i64, (i64, Arc<UnitRows>)>>,
}

pub async fn version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT v FROM task_version WHERE id = 1")
        .fetch_one(&mut **c).await?),
    )
}

fn get<K: std::hash::Hash + Eq, V>(
    m: &Mutex<HashMap<K, (i64, Arc<V>)>>,
    k: &K,
    v: i64,
) -> Option<Arc<V>> {
    let m = m.lock().unwrap_or_else(|e| e.into_inner());
    m.get(k).filter(|(at, _)| *at == v).map(|(_, x)| x.clone())
}

fn put<K: std::hash::Hash + Eq, V>(m: &Mutex<HashMap<K, (i64, Arc<V>)>>, k: K, v: i64, x: Arc<V>) {
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
            groups: super::tasks::groups(c, id).await?,
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
}
