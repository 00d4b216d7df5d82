//! Appending to and reading the hash-chained audit trail.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::{Arg, Filter};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::{bind_all, on_conn};
use domain::audit::{self, Record};
use domain::policy::Principal;

/// Who made a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub label: String,
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor {
            label: format!("system:{what}"),
            user_id: None,
            token_id: None,
        }
    }

    pub fn of(p: &Principal) -> Actor {
        let label = match p.token_id {
            Some(t) => format!("{} (token {t})", p.username),
            None => p.username.clone(),
        };
        Actor {
            label,
            user_id: Some(p.user_id),
            token_id: p.token_id,
        }
    }
}

pub fn to_json<T: Serialize>(v: &T) -> Option<String> {
    serde_json::to_string(v).ok()
}

/// One change to record.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Change<'a> {
    /// A change of one object; add `before` and `after` as they apply.
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Change {
            action,
            object_type,
            object_id: object_id.to_string(),
            before: None,
            after: None,
        }
    }

    /// The object as it was (JSON).
    pub fn before(mut self, json: Option<String>) -> Self {
        self.before = json;
        self
    }

    /// The object as it is now (JSON).
    pub fn after(mut self, json: Option<String>) -> Self {
        self.after = json;
        self
    }
}

/// Appends records in the caller's transaction. The head row update takes the chain lock.
/// Writes the audit records of a change and commits its transaction: the one way a use case ends
/// a write, so that no change is committed without its record.
pub async fn commit(
    mut tx: crate::db::Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    changes: Vec<Change<'_>>,
) -> AppResult<()> {
    append(&mut tx.conn(), actor, now, changes).await?;
    tx.commit().await?;
    Ok(())
}

/// [`commit`] for the usual end of a write: the object as it now is goes into the record (after
/// whatever `change` already holds, e.g. the object as it was) and is the use case's answer.
pub async fn commit_row<T: Serialize>(
    tx: crate::db::Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    change: Change<'_>,
    row: T,
) -> AppResult<T> {
    commit(tx, actor, now, vec![change.after(to_json(&row))]).await?;
    Ok(row)
}

/// [`commit`] for a batch that gathers the changes of several actors (the intake writer).
pub async fn commit_batch(
    mut tx: crate::db::Tx,
    now: DateTime<Utc>,
    batch: Vec<(Actor, Vec<Change<'_>>)>,
) -> AppResult<()> {
    for (actor, changes) in batch {
        append(&mut tx.conn(), &actor, now, changes).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn append(
    c: &mut DbConn<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    changes: Vec<Change<'_>>,
) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let at = now.to_rfc3339_opts(SecondsFormat::Micros, true);
    let n = changes.len() as i64;
    on_conn!(c, c => {
        let (last_seq, mut prev): (i64, String) = sqlx::query_as(
            "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq - $1, hash")
            .bind(n).fetch_one(&mut **c).await?;
        for (i, ch) in changes.into_iter().enumerate() {
            let r = Record {
                seq: last_seq + 1 + i as i64,
                at: at.clone(),
                actor: actor.label.clone(),
                action: ch.action.into(),
                object_type: ch.object_type.into(),
                object_id: ch.object_id,
                before: ch.before,
                after: ch.after,
                prev_hash: prev,
            };
            let h = audit::hash(&r);
            sqlx::query(
                "INSERT INTO audit_log (seq, at, actor, actor_user_id, actor_token_id, action, object_type, object_id, before_json, after_json, prev_hash, hash)
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)")
                .bind(r.seq).bind(&r.at).bind(&r.actor).bind(actor.user_id).bind(actor.token_id).bind(&r.action)
                .bind(&r.object_type).bind(&r.object_id).bind(&r.before).bind(&r.after).bind(&r.prev_hash).bind(&h)
                .execute(&mut **c).await?;
            prev = h;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&prev).execute(&mut **c).await?;
    });
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// In a list, `before_json` and `after_json` are cut at [`LISTED_JSON`] characters; the
    /// whole record is at `/api/v1/audit/{seq}`.
    #[sqlx(default)]
    pub truncated: bool,
}

impl AuditEntry {
    pub fn record(&self) -> Record {
        Record {
            seq: self.seq,
            at: self.at.clone(),
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            before: self.before_json.clone(),
            after: self.after_json.clone(),
            prev_hash: self.prev_hash.clone(),
        }
    }
}

const COLS: &str = "seq, at, actor, actor_user_id, actor_token_id, action, object_type, object_id, before_json, after_json, prev_hash, hash";

/// Characters of each change shown in a list. A day's sweep records every reminder it wrote in
/// one record per step (up to 134 KB each at national scale): listed whole, fifty of them made
/// the administrator's page 10.8 MB and 80 ms.
pub const LISTED_JSON: i64 = 2_000;

/// The columns of a list: the changes cut at `LISTED_JSON`, and whether they were. Lengths are
/// taken of a prefix: PostgreSQL decompresses only the start of a long value for it, where
/// `LENGTH` of the whole read all of it (fifty sweep records: 10 ms against 2 ms).
fn listed_cols() -> String {
    let n = LISTED_JSON;
    format!(
        "seq, at, actor, actor_user_id, actor_token_id, action, object_type, object_id, \
         SUBSTR(before_json, 1, {n}) AS before_json, SUBSTR(after_json, 1, {n}) AS after_json, prev_hash, hash, \
         (COALESCE(LENGTH(SUBSTR(before_json, 1, {n} + 1)), 0) > {n} \
          OR COALESCE(LENGTH(SUBSTR(after_json, 1, {n} + 1)), 0) > {n}) AS truncated"
    )
}

/// One whole record.
pub async fn get(c: &mut DbConn<'_>, seq: i64) -> AppResult<Option<AuditEntry>> {
    let sql = format!("SELECT {COLS} FROM audit_log WHERE seq = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, AuditEntry>(&sql).bind(seq).fetch_optional(&mut **c).await?),
    )
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_user_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
    /// Only records older than this one (the `next` of the page before): a page by position,
    /// which costs what the first page does at any depth, where `offset` reads every record
    /// it skips (page 2,000 of a filter: 107 ms).
    pub before: Option<i64>,
    /// (head, matches up to it) from an earlier count of the same filter: the trail only
    /// grows, so only the records written since are counted.
    pub counted: Option<(i64, i64)>,
}

/// A page of the trail, newest first, the total it matches, and the head both are taken at.
pub async fn list(c: &mut DbConn<'_>, f: &ListFilter) -> AppResult<(Vec<AuditEntry>, i64, i64)> {
    let mut w = Filter::default();
    if let Some(a) = &f.action {
        w.push("action = {}", Arg::Text(a.clone()));
    }
    if let Some(t) = &f.object_type {
        w.push("object_type = {}", Arg::Text(t.clone()));
    }
    if let Some(o) = &f.object_id {
        w.push("object_id = {}", Arg::Text(o.clone()));
    }
    if let Some(u) = f.actor_user_id {
        w.push("actor_user_id = {}", Arg::Int(u));
    }
    let head: i64 = on_conn!(c, c => sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&mut **c).await?);
    if w.args.is_empty() {
        // The chain numbers its records 1..head without a gap (a missing record breaks the
        // chain, which `verify_chain` reports), so the total is the head's number and a page is
        // a range of the primary key: page 10,000 costs what page 1 does, where COUNT(*) and
        // OFFSET read the whole log (75 ms at 100,000 records, growing with every write).
        let top = match f.before {
            Some(b) => (b - 1).min(head),
            None => head - f.offset,
        };
        return Ok(on_conn!(c, c => {
            let items = sqlx::query_as::<_, AuditEntry>(&format!(
                "SELECT {} FROM audit_log WHERE seq <= $1 ORDER BY seq DESC LIMIT $2", listed_cols()))
                .bind(top).bind(f.limit).fetch_all(&mut **c).await?;
            (items, head, head)
        }));
    }
    // Counting every match per request read 467,000 records for `action=feedback.submit` at
    // national scale (75 ms on PostgreSQL); counting only those after the last count's head
    // reads what was written since, through the filter's index.
    //
    // Conditions on the number are written on `-seq`, the key of the filters' indexes (migration
    // 0023), so that they bound the index scan and its order is the list's: newest first.
    let (from, before) = f.counted.filter(|(h, _)| *h <= head).unwrap_or((0, 0));
    let mut counting = w.clone();
    counting.push("(-seq) < {}", Arg::Int(-from));
    counting.push("(-seq) >= {}", Arg::Int(-head));
    let count_sql = format!("SELECT COUNT(*) FROM audit_log{}", counting.where_clause());
    // One bound, not two: SQLite bounds its index scan by one of them and filters by the
    // other, which walked every newer match of a deep page (10 ms under load).
    let (top, offset) = match f.before {
        Some(b) => ((b - 1).min(head), 0),
        None => (head, f.offset),
    };
    w.push("(-seq) >= {}", Arg::Int(-top));
    let page_sql = format!(
        "SELECT {} FROM audit_log{} ORDER BY (-seq) LIMIT {} OFFSET {}",
        listed_cols(),
        w.where_clause(),
        w.next_placeholder(1),
        w.next_placeholder(2)
    );
    Ok(on_conn!(c, c => {
        let since: i64 = bind_all!(sqlx::query_scalar(&count_sql), &counting.args).fetch_one(&mut **c).await?;
        let total = before + since;
        let items = bind_all!(sqlx::query_as::<_, AuditEntry>(&page_sql), &w.args).bind(f.limit).bind(offset).fetch_all(&mut **c).await?;
        (items, total, head)
    }))
}

/// An object's latest `limit` records, newest first, without the actions in `except` (its
/// history of changes without the stream of reports, say). Through the object index.
pub async fn of_object(
    c: &mut DbConn<'_>,
    object_type: &str,
    object_id: &str,
    except: &[&str],
    limit: i64,
) -> AppResult<Vec<AuditEntry>> {
    let mut w = Filter::default();
    w.push("object_type = {}", Arg::Text(object_type.into()));
    w.push("object_id = {}", Arg::Text(object_id.into()));
    for a in except {
        w.push("action <> {}", Arg::Text((*a).into()));
    }
    let sql = format!(
        "SELECT {COLS} FROM audit_log{} ORDER BY (-seq) LIMIT {}",
        w.where_clause(),
        w.next_placeholder(1)
    );
    // Whole records: a change is shown by comparing its before and after.
    Ok(
        on_conn!(c, c => bind_all!(sqlx::query_as::<_, AuditEntry>(&sql), &w.args).bind(limit).fetch_all(&mut **c).await?),
    )
}

/// Records with seq greater than `after`, in order, at most `limit` (for walking the chain).
pub async fn chunk(c: &mut DbConn<'_>, after: i64, limit: i64) -> AppResult<Vec<AuditEntry>> {
    let sql = format!("SELECT {COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, AuditEntry>(&sql).bind(after).bind(limit).fetch_all(&mut **c).await?),
    )
}

/// Walks the whole chain; Ok(number of records) or the first break.
pub async fn verify_chain(c: &mut DbConn<'_>) -> AppResult<Result<u64, audit::Break>> {
    let mut prev = audit::GENESIS.to_string();
    let mut after = 0;
    let mut total = 0;
    loop {
        let rows = chunk(c, after, 5000).await?;
        if rows.is_empty() {
            break;
        }
        let recs: Vec<(Record, String)> =
            rows.iter().map(|r| (r.record(), r.hash.clone())).collect();
        match audit::verify(recs.iter().map(|(r, h)| (r, h.as_str())), &prev) {
            Ok(n) => total += n,
            Err(b) => return Ok(Err(b)),
        }
        prev = rows.last().map(|r| r.hash.clone()).unwrap_or(prev);
        after = rows.last().map(|r| r.seq).unwrap_or(after);
    }
    // A deleted tail leaves the head pointing past the last record.
    let head: (i64, String) = on_conn!(c, c => sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(&mut **c).await?);
    if head.0 != after || head.1 != prev {
        return Ok(Err(audit::Break::Unlinked { seq: after + 1 }));
    }
    Ok(Ok(total))
}
