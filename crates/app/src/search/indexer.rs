//! Keeps an instance's index current: builds it when missing or outdated, then applies the
//! outbox a few times a second, each batch one index commit that carries its cursor.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::search::Kind;
use store::search::{Change, Source};
use tantivy::{IndexWriter, TantivyDocument, Term};

use super::schema::{self, Fields, Payload, VERSION};
use super::{Engine, Search, tantivy_err};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::records::OrgIndex;

/// An index further behind the outbox than this is rebuilt rather than caught up.
const CATCH_UP_MAX: i64 = 100_000;
/// How often the outbox is read: a change is searchable within this and one commit.
pub const EVERY: Duration = Duration::from_millis(200);
/// Outbox rows read per step.
const BATCH: i64 = 2000;
/// Records read per query while rebuilding.
const PAGE: i64 = 5000;
/// PostgreSQL hands out ids before commit, so a row may become visible after a higher one: ids
/// skipped are looked for again this long (after that they were rolled back).
const HOLE_WAIT: Duration = Duration::from_secs(30);
/// A rebuild starts its cursor this many rows before the outbox's end, so that a write in
/// flight while the tables were read is applied again (applying twice does no harm).
const REBUILD_OVERLAP: i64 = 1000;

impl Engine {
    pub(super) fn payload(&self) -> AppResult<Payload> {
        let metas = self.index.load_metas().map_err(tantivy_err)?;
        metas
            .payload
            .and_then(|p| serde_json::from_str(&p).ok())
            .ok_or_else(|| AppError::Internal("search index without its cursor".into()))
    }

    fn open(dir: &std::path::Path, heap: usize, threads: usize) -> AppResult<Engine> {
        let (index, f) = schema::open_or_create(dir)?;
        let writer = index
            .writer_with_num_threads(threads, heap)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => AppError::Internal(format!(
                    "the search index in {} is in use by another process (a running server?)",
                    dir.display()
                )),
                e => tantivy_err(e),
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        Ok(Engine {
            index,
            reader,
            writer: std::sync::Mutex::new(writer),
            f,
        })
    }

    /// Deletes and adds, then one commit with the new cursor; the reader sees it at once.
    fn apply(
        &self,
        deletes: Vec<String>,
        docs: Vec<TantivyDocument>,
        cursor: i64,
    ) -> AppResult<()> {
        let mut w = self.writer.lock().expect("search writer lock");
        for k in deletes {
            w.delete_term(Term::from_field_text(self.f.key, &k));
        }
        for d in docs {
            w.add_document(d).map_err(tantivy_err)?;
        }
        commit(&mut w, cursor)?;
        self.reader.reload().map_err(tantivy_err)
    }
}

fn commit(w: &mut IndexWriter, cursor: i64) -> AppResult<()> {
    let payload = serde_json::to_string(&Payload {
        version: VERSION,
        cursor,
    })
    .map_err(tantivy_err)?;
    let mut pc = w.prepare_commit().map_err(tantivy_err)?;
    pc.set_payload(&payload);
    pc.commit().map_err(tantivy_err)?;
    Ok(())
}

/// The documents of these records as they are now, and the keys to delete first (every one
/// asked for: a record that no longer exists, or no longer matches, leaves the index).
async fn documents(
    db: &Db,
    org: &OrgIndex,
    f: &Fields,
    wanted: &BTreeMap<Kind, Vec<i64>>,
) -> AppResult<(Vec<String>, Vec<TantivyDocument>)> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut deletes = vec![];
    let mut docs = vec![];
    for (kind, ids) in wanted {
        for chunk in ids.chunks(PAGE as usize) {
            deletes.extend(chunk.iter().map(|i| schema::key(*kind, *i)));
            let rows = store::search::sources(&mut c, *kind, chunk).await?;
            docs.extend(to_docs(&mut c, f, *kind, &rows, &snap).await?);
        }
    }
    Ok((deletes, docs))
}

async fn to_docs(
    c: &mut crate::db::DbConn<'_>,
    f: &Fields,
    kind: Kind,
    rows: &[Source],
    snap: &store::org_index::Snapshot,
) -> AppResult<Vec<TantivyDocument>> {
    // Tasks and reports may be restricted: their readers are the assignees' units and the
    // programme's owner.
    let mut concerned: HashMap<i64, Vec<i64>> = HashMap::new();
    if matches!(kind, Kind::Task | Kind::Report) {
        let mut tasks: Vec<i64> = rows
            .iter()
            .filter(|r| r.visibility == "restricted")
            .filter_map(|r| r.task_id)
            .collect();
        tasks.sort_unstable();
        tasks.dedup();
        for (t, u) in store::search::assignees(c, &tasks).await? {
            concerned.entry(t).or_default().push(u);
        }
    }
    Ok(rows
        .iter()
        .map(|r| {
            let mut units = r
                .task_id
                .and_then(|t| concerned.get(&t).cloned())
                .unwrap_or_default();
            units.extend(r.owner_unit_id);
            schema::document(f, kind, r, &units, snap)
        })
        .collect())
}

/// Rebuilds the index in `search.new` beside the live one, then puts it in its place.
/// `progress(done, total)` is called as records are read.
pub async fn rebuild(
    search: &Search,
    db: &Db,
    org: &OrgIndex,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<u64> {
    let dir = search.dir.clone();
    let fresh = dir.with_extension("new");
    let _ = std::fs::remove_dir_all(&fresh);
    let engine = Engine::open(&fresh, 200_000_000, 2)?;
    let mut pooled = db.acquire().await?;
    let mut c = pooled.conn();
    let start = store::search::last_change(&mut c).await?;
    let mut total = 0u64;
    for k in Kind::ALL {
        total += store::search::count(&mut c, k).await? as u64;
    }
    let snap = org.snapshot(db).await?;
    let mut done = 0u64;
    progress(0, total);
    for kind in Kind::ALL {
        let mut after = 0;
        loop {
            let rows = store::search::sources_after(&mut c, kind, after, PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let docs = to_docs(&mut c, &engine.f, kind, &rows, &snap).await?;
            done += rows.len() as u64;
            let w = engine.writer.lock().expect("search writer lock");
            for d in docs {
                w.add_document(d).map_err(tantivy_err)?;
            }
            drop(w);
            progress(done, total);
        }
    }
    drop(pooled);
    // Commit, then let the merges it started finish before the directory moves.
    tokio::task::spawn_blocking(move || {
        let mut w = engine.writer.into_inner().expect("search writer lock");
        commit(&mut w, (start - REBUILD_OVERLAP).max(0))?;
        w.wait_merging_threads().map_err(tantivy_err)
    })
    .await
    .map_err(tantivy_err)??;
    // Swap directories, then open the index where it now lives.
    let old = dir.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(&dir, &old).map_err(tantivy_err)?;
    }
    std::fs::rename(&fresh, &dir).map_err(tantivy_err)?;
    let _ = std::fs::remove_dir_all(&old);
    search.install(Arc::new(Engine::open(&dir, 50_000_000, 1)?));
    Ok(done)
}

/// Opens the index if it is current enough to catch up from the outbox; rebuilds it otherwise.
pub async fn open_or_rebuild(search: &Search, db: &Db, org: &OrgIndex) -> AppResult<()> {
    if search.dir.join("meta.json").exists() {
        match Engine::open(&search.dir, 50_000_000, 1) {
            Ok(e) => {
                let mut c = db.acquire().await?;
                let first = store::search::first_change(&mut c.conn()).await?;
                let last = store::search::last_change(&mut c.conn()).await?;
                // Far behind (a bulk load since), reading the tables is quicker than the outbox.
                let ok = e.payload().ok().is_some_and(|p| {
                    p.version == VERSION
                        && first.is_none_or(|first| p.cursor + 1 >= first)
                        && last - p.cursor <= CATCH_UP_MAX
                });
                if ok {
                    search.install(Arc::new(e));
                    return Ok(());
                }
                tracing::info!("search index outdated: rebuilding");
            }
            Err(e) => tracing::warn!(error = %e, "search index unreadable: rebuilding"),
        }
    }
    let t = Instant::now();
    let n = rebuild(search, db, org, &|_, _| {}).await?;
    tracing::info!(
        records = n,
        secs = t.elapsed().as_secs_f64(),
        "search index built"
    );
    Ok(())
}

/// Outbox rows not yet applied: the cursor, and ids below it not seen yet (see [`HOLE_WAIT`]).
#[derive(Default)]
pub struct Progress {
    holes: BTreeMap<i64, Instant>,
}

/// Applies what the outbox holds beyond the index's cursor. Returns how many rows it applied.
pub async fn step(search: &Search, db: &Db, org: &OrgIndex, p: &mut Progress) -> AppResult<usize> {
    let Some(engine) = search.engine() else {
        return Ok(0);
    };
    let cursor = engine.payload()?.cursor;
    let now = Instant::now();
    p.holes
        .retain(|_, seen| now.duration_since(*seen) < HOLE_WAIT);
    let holes: Vec<i64> = p.holes.keys().take(1000).copied().collect();
    let mut c = db.acquire().await?;
    let mut rows: Vec<Change> = store::search::changes_in(&mut c.conn(), &holes).await?;
    rows.extend(store::search::changes_after(&mut c.conn(), cursor, BATCH).await?);
    drop(c);
    if rows.is_empty() {
        return Ok(0);
    }
    let top = rows
        .iter()
        .map(|r| r.id)
        .max()
        .unwrap_or(cursor)
        .max(cursor);
    for r in &rows {
        p.holes.remove(&r.id);
    }
    let seen: std::collections::HashSet<i64> = rows.iter().map(|r| r.id).collect();
    for id in (cursor + 1)..top {
        if !seen.contains(&id) {
            p.holes.insert(id, now);
        }
    }
    let mut wanted: BTreeMap<Kind, Vec<i64>> = BTreeMap::new();
    for r in &rows {
        if r.kind == "task_reports" {
            let mut c = db.acquire().await?;
            let ids = store::search::reports_of_task(&mut c.conn(), r.ref_id).await?;
            wanted.entry(Kind::Report).or_default().extend(ids);
        } else if let Some(k) = Kind::parse(&r.kind) {
            wanted.entry(k).or_default().push(r.ref_id);
        }
    }
    for ids in wanted.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    let (deletes, docs) = documents(db, org, &engine.f, &wanted).await?;
    let n = rows.len();
    tokio::task::spawn_blocking(move || engine.apply(deletes, docs, top))
        .await
        .map_err(tantivy_err)??;
    Ok(n)
}

/// Opens or builds the index, then keeps it current until the process ends. An error is
/// logged and retried: search falls behind, requests never fail because of it.
pub async fn run_forever(search: Arc<Search>, db: Db, org: Arc<OrgIndex>) {
    while let Err(e) = open_or_rebuild(&search, &db, &org).await {
        tracing::error!(error = %e, "search index: cannot open or build; retrying in a minute");
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let mut p = Progress::default();
    loop {
        match step(&search, &db, &org, &mut p).await {
            // A full batch: more is waiting.
            Ok(n) if n as i64 >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "search index: applying changes"),
        }
        tokio::time::sleep(EVERY).await;
    }
}

/// How long outbox rows are kept: an instance stopped longer than this rebuilds its index.
pub const KEEP_DAYS: i64 = 7;

/// Deletes outbox rows older than [`KEEP_DAYS`], a few thousand per short transaction, so that
/// writers never wait long. Returns how many went.
pub async fn prune_outbox(db: &Db) -> AppResult<u64> {
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        let n = store::search::prune(&mut tx.conn(), KEEP_DAYS, 5000).await?;
        tx.commit().await?;
        total += n;
        if n < 5000 {
            return Ok(total);
        }
    }
}
