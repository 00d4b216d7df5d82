//! An in-memory read model of the organisation tree.
//!
//! The tree (about 13,700 units with history, 10,600 merge links) changes a few times a year but
//! is read on almost every request; answering list, search and detail from memory takes the
//! database out of the hot path. Every write to `org_units`/`org_links` bumps `org_version`; each
//! read compares that one row with the snapshot's version and rebuilds when it moved, whichever
//! instance wrote.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use super::org::{LinkedUnit, ListFilter, OrgUnit};
use crate::db::{Db, DbConn};
use crate::error::AppResult;
use crate::on_conn;

/// One consistent view of the tree.
#[derive(Default)]
pub struct Snapshot {
    pub version: i64,
    /// Units in display order: depth, Vietnamese name, id.
    units: Vec<OrgUnit>,
    keys: Vec<String>,
    /// Indices of units in force, in display order: most queries never look at history.
    current: Vec<usize>,
    /// The search keys of `current`, one per line, and where each starts: a text query is one
    /// SIMD scan over contiguous memory instead of thousands of small strings.
    current_text: String,
    current_starts: Vec<usize>,
    /// For each pair of adjacent bytes in the folded keys, the set of units in force (by slot in
    /// `current`) whose key holds it. A query's pairs narrow the candidates before any text is
    /// read; for two-byte queries the set is the answer.
    pairs: HashMap<[u8; 2], Vec<u64>>,
    by_id: HashMap<i64, usize>,
    children: HashMap<i64, Vec<usize>>,
    preds: HashMap<i64, Vec<LinkedUnit>>,
    succs: HashMap<i64, Vec<LinkedUnit>>,
}

impl Snapshot {
    pub fn build(
        mut units: Vec<(OrgUnit, String)>,
        links: Vec<(i64, i64, String, chrono::NaiveDate)>,
        version: i64,
    ) -> Snapshot {
        units.sort_by(|a, b| {
            (a.0.depth, &a.0.name_vi, a.0.id).cmp(&(b.0.depth, &b.0.name_vi, b.0.id))
        });
        let mut s = Snapshot {
            version,
            ..Default::default()
        };
        for (i, (u, key)) in units.into_iter().enumerate() {
            s.by_id.insert(u.id, i);
            if u.valid_to.is_none() {
                s.current.push(i);
                s.current_starts.push(s.current_text.len());
                // Folded keys never hold a newline (names cannot contain control characters).
                let slot = s.current.len() - 1;
                for w in key.as_bytes().windows(2) {
                    let bits = s.pairs.entry([w[0], w[1]]).or_default();
                    if bits.len() <= slot / 64 {
                        bits.resize(slot / 64 + 1, 0);
                    }
                    bits[slot / 64] |= 1 << (slot % 64);
                }
                s.current_text.push_str(&key);
                s.current_text.push('\n');
            }
            if let Some(p) = u.parent_id {
                s.children.entry(p).or_default().push(i);
            }
            s.units.push(u);
            s.keys.push(key);
        }
        for (pred, succ, merge_type, effective) in links {
            let (Some(&pi), Some(&si)) = (s.by_id.get(&pred), s.by_id.get(&succ)) else {
                continue;
            };
            let linked = |u: &OrgUnit| LinkedUnit {
                id: u.id,
                code: u.code.clone(),
                kind: u.kind,
                name_vi: u.name_vi.clone(),
                merge_type: merge_type.clone(),
                effective,
            };
            s.preds.entry(succ).or_default().push(linked(&s.units[pi]));
            s.succs.entry(pred).or_default().push(linked(&s.units[si]));
        }
        for v in s.preds.values_mut().chain(s.succs.values_mut()) {
            v.sort_by(|a, b| (&a.name_vi, a.id).cmp(&(&b.name_vi, b.id)));
        }
        s
    }

    /// Units in force whose key contains the needle, in display order.
    fn search_current(&self, q: &memchr::memmem::Finder<'_>) -> Vec<usize> {
        let needle = q.needle();
        if needle.len() >= 2 {
            // Intersect the pair sets; any missing pair means no match at all.
            let mut acc: Option<Vec<u64>> = None;
            for w in needle.windows(2) {
                let Some(bits) = self.pairs.get(&[w[0], w[1]]) else {
                    return vec![];
                };
                acc = Some(match acc {
                    None => bits.clone(),
                    Some(a) => a
                        .iter()
                        .zip(bits.iter().chain(std::iter::repeat(&0)))
                        .map(|(x, y)| x & y)
                        .collect(),
                });
            }
            let acc = acc.unwrap_or_default();
            let mut out = vec![];
            for (word, bits) in acc.iter().enumerate() {
                let mut b = *bits;
                while b != 0 {
                    let slot = word * 64 + b.trailing_zeros() as usize;
                    b &= b - 1;
                    let i = self.current[slot];
                    // Pairs alone are exact only for a two-byte needle.
                    if needle.len() == 2 || q.find(self.keys[i].as_bytes()).is_some() {
                        out.push(i);
                    }
                }
            }
            return out;
        }
        // A single byte: one pass over the text, locating each hit's key by walking the key starts.
        let starts = &self.current_starts;
        let mut out: Vec<usize> = vec![];
        let mut slot = 0;
        for pos in q.find_iter(self.current_text.as_bytes()) {
            while slot + 1 < starts.len() && starts[slot + 1] <= pos {
                slot += 1;
            }
            let i = self.current[slot];
            if out.last() != Some(&i) {
                out.push(i);
            }
        }
        out
    }

    pub fn get(&self, id: i64) -> Option<&OrgUnit> {
        self.by_id.get(&id).map(|&i| &self.units[i])
    }

    /// The unit and its ancestors' ids, nearest first: the scope of objects it owns.
    pub fn chain(&self, id: i64) -> Vec<i64> {
        let mut out = vec![id];
        let mut cur = self.get(id).and_then(|u| u.parent_id);
        while let Some(p) = cur {
            out.push(p);
            cur = self.get(p).and_then(|u| u.parent_id);
            if out.len() > 64 {
                break;
            }
        }
        out
    }

    /// The unit's ancestors from the root down to its parent.
    pub fn ancestors(&self, id: i64) -> Vec<OrgUnit> {
        let mut out = vec![];
        let mut cur = self.get(id).and_then(|u| u.parent_id);
        while let Some(p) = cur.and_then(|p| self.get(p)) {
            out.push(p.clone());
            cur = p.parent_id;
            if out.len() > 64 {
                break; // a cycle cannot be stored, but never loop forever
            }
        }
        out.reverse();
        out
    }

    /// The unit in force with this official code (e.g. "66" for Đắk Lắk).
    pub fn by_code(&self, code: &str) -> Option<&OrgUnit> {
        self.current
            .iter()
            .map(|&i| &self.units[i])
            .find(|u| u.code.as_deref() == Some(code))
    }

    /// The units of a kind in force, in display order.
    pub fn current_of_kind(&self, kind: domain::org::OrgKind) -> Vec<&OrgUnit> {
        self.current
            .iter()
            .map(|&i| &self.units[i])
            .filter(|u| u.kind == kind)
            .collect()
    }

    /// The units directly below `id` that are in force, in display order.
    pub fn current_children(&self, id: i64) -> Vec<&OrgUnit> {
        self.children.get(&id).map_or(vec![], |c| {
            c.iter()
                .map(|&i| &self.units[i])
                .filter(|u| u.valid_to.is_none())
                .collect()
        })
    }

    pub fn children_count(&self, id: i64) -> i64 {
        self.children.get(&id).map_or(0, |c| {
            c.iter()
                .filter(|&&i| self.units[i].valid_to.is_none())
                .count() as i64
        })
    }

    pub fn links(&self, id: i64, predecessors: bool) -> Vec<LinkedUnit> {
        let m = if predecessors {
            &self.preds
        } else {
            &self.succs
        };
        m.get(&id).cloned().unwrap_or_default()
    }

    /// Same semantics as the SQL `store::org::list`: filters, order, page, total.
    pub fn list(&self, f: &ListFilter) -> (Vec<OrgUnit>, i64) {
        // One searcher per query, reused over every key.
        let finder = f.q.as_deref().map(memchr::memmem::Finder::new);
        let keep = |i: usize| {
            let u = &self.units[i];
            (f.include_historical || u.valid_to.is_none())
                && f.kind.as_deref().is_none_or(|k| u.kind.as_str() == k)
                && f.parent.is_none_or(|p| u.parent_id == Some(p))
                && finder
                    .as_ref()
                    .is_none_or(|q| q.find(self.keys[i].as_bytes()).is_some())
        };
        let all: Vec<usize>;
        let matched: Vec<usize>;
        let candidates: &[usize] = match (f.parent, &finder) {
            (Some(p), _) => self.children.get(&p).map(|v| v.as_slice()).unwrap_or(&[]),
            (None, Some(q)) if !f.include_historical => {
                matched = self.search_current(q);
                &matched
            }
            (None, _) if !f.include_historical => &self.current,
            (None, _) => {
                all = (0..self.units.len()).collect();
                &all
            }
        };
        let mut total = 0i64;
        let mut items = vec![];
        for &i in candidates.iter().filter(|&&i| keep(i)) {
            if total >= f.offset && (items.len() as i64) < f.limit {
                items.push(self.units[i].clone());
            }
            total += 1;
        }
        (items, total)
    }
}

#[derive(Default)]
pub struct OrgIndex {
    current: RwLock<Option<(Arc<Snapshot>, Instant)>>,
    /// Serialises rebuilds so that a burst of requests after a change builds once.
    rebuild: tokio::sync::Mutex<()>,
}

pub async fn version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT version FROM org_version WHERE id = 1").fetch_one(&mut **c).await?),
    )
}

async fn load(db: &Db) -> AppResult<Snapshot> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let v = version(&mut c).await?;
    let sql = "SELECT id, code, kind, name_vi, name_en, name_fr, parent_id, depth, valid_from, valid_to, search_key FROM org_units";
    let (units, links) = on_conn!(&mut c, c => {
        let rows = sqlx::query(sql).fetch_all(&mut **c).await?;
        let mut units = Vec::with_capacity(rows.len());
        for r in &rows {
            use sqlx::{FromRow, Row};
            units.push((OrgUnit::from_row(r)?, r.try_get::<String, _>("search_key")?));
        }
        let links: Vec<(i64, i64, String, chrono::NaiveDate)> =
            sqlx::query_as("SELECT predecessor_id, successor_id, merge_type, effective FROM org_links").fetch_all(&mut **c).await?;
        (units, links)
    });
    Ok(Snapshot::build(units, links, v))
}

impl OrgIndex {
    /// A snapshot as of the stored version: one single-row read per call compares it, so a write
    /// by any instance is seen by the next request on every other (read-your-writes behind a load
    /// balancer); the tree is rebuilt only when the version moved.
    /// The snapshot when the caller already read the tree's version (`app::freshness`): no
    /// read of its own while the snapshot held is of that version.
    pub async fn snapshot_at(&self, db: &Db, version: i64) -> AppResult<Arc<Snapshot>> {
        if let Some((s, _)) = self.current.read().expect("org index lock").as_ref()
            && s.version == version
        {
            return Ok(s.clone());
        }
        self.snapshot(db).await
    }

    pub async fn snapshot(&self, db: &Db) -> AppResult<Arc<Snapshot>> {
        let stored = {
            let mut c = db.acquire().await?;
            version(&mut c.conn()).await?
        };
        let fresh = |cur: &Option<(Arc<Snapshot>, Instant)>| {
            cur.as_ref()
                .filter(|(s, _)| s.version == stored)
                .map(|(s, _)| s.clone())
        };
        if let Some(s) = fresh(&self.current.read().expect("org index lock")) {
            return Ok(s);
        }
        let _guard = self.rebuild.lock().await;
        // Another task may have rebuilt while this one waited.
        if let Some(s) = fresh(&self.current.read().expect("org index lock")) {
            return Ok(s);
        }
        let snap = Arc::new(load(db).await?);
        *self.current.write().expect("org index lock") = Some((snap.clone(), Instant::now()));
        Ok(snap)
    }
}
