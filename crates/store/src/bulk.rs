//! Bulk loading for the synthetic generator: column buffers written as multi-row inserts on
//! SQLite and UNNEST arrays on PostgreSQL, and the few queries the generator needs.
//!
//! The generator chooses ids itself (max id + 1) and writes many rows per statement inside one
//! transaction, so that children and reports can point at their parents without reading ids
//! back. Bulk SQL differs per backend, which is why the writer matches on the connection rather
//! than going through [`on_conn!`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Postgres, Row, Sqlite};

use crate::db::{Db, DbConn};
use crate::error::AppResult;
use crate::on_conn;

/// A column of values to insert, borrowed from a buffer. Bound per row on SQLite and as one
/// array on PostgreSQL.
#[derive(Clone, Copy)]
pub enum Col<'a> {
    Int(&'a [i64]),
    OptInt(&'a [Option<i64>]),
    Int4(&'a [i32]),
    OptInt4(&'a [Option<i32>]),
    Bool(&'a [bool]),
    Date(&'a [NaiveDate]),
    OptDate(&'a [Option<NaiveDate>]),
    Text(&'a [String]),
    OptText(&'a [Option<String>]),
    Str(&'a [&'static str]),
    OptStr(&'a [Option<&'static str>]),
    Ts(&'a [DateTime<Utc>]),
    OptTs(&'a [Option<DateTime<Utc>>]),
    OptFloat(&'a [Option<f64>]),
}

type SqliteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;

impl<'a> Col<'a> {
    /// Number of rows in the column.
    pub fn len(self) -> usize {
        match self {
            Col::Int(v) => v.len(),
            Col::OptInt(v) => v.len(),
            Col::Int4(v) => v.len(),
            Col::OptInt4(v) => v.len(),
            Col::Bool(v) => v.len(),
            Col::Date(v) => v.len(),
            Col::OptDate(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::OptText(v) => v.len(),
            Col::Str(v) => v.len(),
            Col::OptStr(v) => v.len(),
            Col::Ts(v) => v.len(),
            Col::OptTs(v) => v.len(),
            Col::OptFloat(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    fn pg_array(self) -> &'static str {
        match self {
            Col::Int(_) | Col::OptInt(_) => "bigint[]",
            Col::Int4(_) | Col::OptInt4(_) => "integer[]",
            Col::Bool(_) => "boolean[]",
            Col::Date(_) | Col::OptDate(_) => "date[]",
            Col::Text(_) | Col::OptText(_) | Col::Str(_) | Col::OptStr(_) => "text[]",
            Col::Ts(_) | Col::OptTs(_) => "timestamptz[]",
            Col::OptFloat(_) => "double precision[]",
        }
    }

    fn bind_one(self, q: SqliteQuery<'a>, i: usize) -> SqliteQuery<'a> {
        match self {
            Col::Int(v) => q.bind(v[i]),
            Col::OptInt(v) => q.bind(v[i]),
            Col::Int4(v) => q.bind(v[i]),
            Col::OptInt4(v) => q.bind(v[i]),
            Col::Bool(v) => q.bind(v[i]),
            Col::Date(v) => q.bind(v[i]),
            Col::OptDate(v) => q.bind(v[i]),
            Col::Text(v) => q.bind(v[i].as_str()),
            Col::OptText(v) => q.bind(v[i].as_deref()),
            Col::Str(v) => q.bind(v[i]),
            Col::OptStr(v) => q.bind(v[i]),
            Col::Ts(v) => q.bind(v[i]),
            Col::OptTs(v) => q.bind(v[i]),
            Col::OptFloat(v) => q.bind(v[i]),
        }
    }

    fn bind_array(self, q: PgQuery<'a>, r: std::ops::Range<usize>) -> PgQuery<'a> {
        match self {
            Col::Int(v) => q.bind(&v[r]),
            Col::OptInt(v) => q.bind(&v[r]),
            Col::Int4(v) => q.bind(&v[r]),
            Col::OptInt4(v) => q.bind(&v[r]),
            Col::Bool(v) => q.bind(&v[r]),
            Col::Date(v) => q.bind(&v[r]),
            Col::OptDate(v) => q.bind(&v[r]),
            Col::Text(v) => q.bind(&v[r]),
            Col::OptText(v) => q.bind(&v[r]),
            Col::Str(v) => q.bind(&v[r]),
            Col::OptStr(v) => q.bind(&v[r]),
            Col::Ts(v) => q.bind(&v[r]),
            Col::OptTs(v) => q.bind(&v[r]),
            Col::OptFloat(v) => q.bind(&v[r]),
        }
    }
}

/// Inserts equal-length columns into `table` (`cols` names each column), plus
/// `created_at = stamp` when given: multi-row `VALUES` statements on SQLite, one `UNNEST` of
/// arrays per 200,000 rows on PostgreSQL. Does nothing when the columns are empty.
pub async fn insert_columns(
    c: &mut DbConn<'_>,
    table: &str,
    cols: &[(&str, Col<'_>)],
    stamp: Option<DateTime<Utc>>,
) -> AppResult<()> {
    write_columns(c, table, cols, stamp, "", false)
        .await
        .map(|_| ())
}

/// Like [`insert_columns`], adding `tail` (an `ON CONFLICT` clause) to each statement.
pub async fn upsert_columns(
    c: &mut DbConn<'_>,
    table: &str,
    cols: &[(&str, Col<'_>)],
    tail: &str,
) -> AppResult<()> {
    write_columns(c, table, cols, None, tail, false)
        .await
        .map(|_| ())
}

/// Like [`insert_columns`], skipping rows whose unique column `key` is already there.
pub async fn insert_skipping(
    c: &mut DbConn<'_>,
    table: &str,
    cols: &[(&str, Col<'_>)],
    stamp: Option<DateTime<Utc>>,
    key: &str,
) -> AppResult<()> {
    let tail = format!(" ON CONFLICT ({key}) DO NOTHING");
    write_columns(c, table, cols, stamp, &tail, false)
        .await
        .map(|_| ())
}

/// Like [`insert_columns`], for a table with a unique text column `key`: rows whose key is
/// already there are skipped (`ON CONFLICT DO NOTHING`), and the keys of the rows written are
/// returned. This is how a background step records a few hundred dedupe-keyed rows in a few
/// statements instead of one round trip each.
pub async fn insert_new_keys(
    c: &mut DbConn<'_>,
    table: &str,
    cols: &[(&str, Col<'_>)],
    stamp: Option<DateTime<Utc>>,
    key: &str,
) -> AppResult<Vec<String>> {
    let tail = format!(" ON CONFLICT ({key}) DO NOTHING RETURNING {key}");
    write_columns(c, table, cols, stamp, &tail, true).await
}

async fn write_columns(
    c: &mut DbConn<'_>,
    table: &str,
    cols: &[(&str, Col<'_>)],
    stamp: Option<DateTime<Utc>>,
    tail: &str,
    returning: bool,
) -> AppResult<Vec<String>> {
    let n = cols[0].1.len();
    debug_assert!(cols.iter().all(|(_, col)| col.len() == n));
    let mut written = vec![];
    if n == 0 {
        return Ok(written);
    }
    let mut names: Vec<&str> = cols.iter().map(|(name, _)| *name).collect();
    if stamp.is_some() {
        names.push("created_at");
    }
    let names = names.join(", ");
    let k = cols.len();
    match c {
        DbConn::Sqlite(c) => {
            // Anonymous `?` parameters, not `$N`: SQLite resolves (and sqlx names) each `$N`
            // by a linear scan of the statement's parameter list, quadratic in the row count of
            // a large multi-row statement. Each row takes its own copy of the timestamp; rows
            // per statement stay within SQLite's limit of 32,766 parameters.
            let width = k + usize::from(stamp.is_some());
            let row = format!("({})", vec!["?"; width].join(","));
            let per = 32_766 / width;
            let mut start = 0;
            while start < n {
                let end = (start + per).min(n);
                let mut sql = String::with_capacity(64 + (end - start) * (row.len() + 1));
                sql.push_str(&format!("INSERT INTO {table} ({names}) VALUES "));
                for r in start..end {
                    if r > start {
                        sql.push(',');
                    }
                    sql.push_str(&row);
                }
                sql.push_str(tail);
                let mut q = sqlx::query(&sql);
                for i in start..end {
                    for (_, col) in cols {
                        q = col.bind_one(q, i);
                    }
                    if let Some(s) = stamp {
                        q = q.bind(s);
                    }
                }
                if returning {
                    for r in q.fetch_all(&mut **c).await? {
                        written.push(r.try_get(0)?);
                    }
                } else {
                    q.execute(&mut **c).await?;
                }
                start = end;
            }
        }
        DbConn::Pg(c) => {
            let arrays: Vec<String> = cols
                .iter()
                .enumerate()
                .map(|(j, (_, col))| format!("${}::{}", j + 1, col.pg_array()))
                .collect();
            let stamp_sql = if stamp.is_some() {
                format!(", ${}::timestamptz", k + 1)
            } else {
                String::new()
            };
            let sql = format!(
                "INSERT INTO {table} ({names}) SELECT u.*{stamp_sql} FROM UNNEST({}) AS u{tail}",
                arrays.join(", ")
            );
            // Bounded so that one bind message stays well below PostgreSQL's 1 GB limit.
            const PER: usize = 200_000;
            let mut start = 0;
            while start < n {
                let end = (start + PER).min(n);
                let mut q = sqlx::query(&sql);
                for (_, col) in cols {
                    q = col.bind_array(q, start..end);
                }
                if let Some(s) = stamp {
                    q = q.bind(s);
                }
                if returning {
                    for r in q.fetch_all(&mut **c).await? {
                        written.push(r.try_get(0)?);
                    }
                } else {
                    q.execute(&mut **c).await?;
                }
                start = end;
            }
        }
    }
    Ok(written)
}

/// The next free id (max id + 1, or 1 when empty) of each of `tables`, in the same order.
pub async fn next_ids<const N: usize>(
    c: &mut DbConn<'_>,
    tables: &[&str; N],
) -> AppResult<[i64; N]> {
    let mut next = [0i64; N];
    for (i, t) in tables.iter().enumerate() {
        let sql = format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {t}");
        next[i] = on_conn!(c, c => sqlx::query_scalar::<_, i64>(&sql).fetch_one(&mut **c).await?);
    }
    Ok(next)
}

/// On PostgreSQL, locks `tables` against other writers (`SHARE ROW EXCLUSIVE`) until the
/// transaction ends, so that ids chosen by the caller stay free. Nothing on SQLite, where the
/// write transaction (`BEGIN IMMEDIATE`) already excludes other writers.
pub async fn lock_tables(c: &mut DbConn<'_>, tables: &[&str]) -> AppResult<()> {
    if let DbConn::Pg(pg) = c {
        sqlx::query(&format!(
            "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
            tables.join(", ")
        ))
        .execute(&mut **pg)
        .await?;
    }
    Ok(())
}

/// On PostgreSQL, moves the `id` sequence of each of `tables` to its largest id: rows written
/// with explicit ids bypass the sequences. Nothing on SQLite, whose rowids follow by themselves.
pub async fn advance_id_sequences(c: &mut DbConn<'_>, tables: &[&str]) -> AppResult<()> {
    if let DbConn::Pg(pg) = c {
        for t in tables {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
            ))
            .execute(&mut **pg)
            .await?;
        }
    }
    Ok(())
}

/// On PostgreSQL, refreshes the planner statistics of `tables` (outside any transaction), so
/// that queries right after a bulk load are planned for the new sizes. Nothing on SQLite.
pub async fn analyze(db: &Db, tables: &[&str]) -> AppResult<()> {
    if let Db::Pg(pool) = db {
        sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Current provinces as (id, code, Vietnamese name), by code.
pub async fn current_provinces(
    c: &mut DbConn<'_>,
) -> AppResult<Vec<(i64, Option<String>, String)>> {
    Ok(on_conn!(c, c => sqlx::query_as(
        "SELECT id, code, name_vi FROM org_units WHERE kind = 'province' AND valid_to IS NULL ORDER BY code, id")
        .fetch_all(&mut **c).await?))
}

/// Current communes, wards and special zones as (parent id, id), by parent then id.
pub async fn current_communes(c: &mut DbConn<'_>) -> AppResult<Vec<(i64, i64)>> {
    Ok(on_conn!(c, c => sqlx::query_as(
        "SELECT parent_id, id FROM org_units WHERE kind IN ('commune', 'ward', 'special_zone') AND valid_to IS NULL AND parent_id IS NOT NULL ORDER BY parent_id, id")
        .fetch_all(&mut **c).await?))
}

/// Who files generated reports: the first enabled account of each unit (unit id → user id), and
/// a fallback account for units without one — the first administrator, else a disabled system
/// account `system.generate` (found, or created for the purpose under the national unit).
pub async fn report_authors(c: &mut DbConn<'_>) -> AppResult<(HashMap<i64, i64>, i64)> {
    let per_unit: Vec<(i64, i64)> = on_conn!(c, c => sqlx::query_as(
        "SELECT unit_id, MIN(id) FROM users WHERE disabled = FALSE GROUP BY unit_id")
        .fetch_all(&mut **c).await?);
    let admin: Option<i64> = on_conn!(c, c => sqlx::query_scalar(
        "SELECT MIN(id) FROM users WHERE role = 'administrator'")
        .fetch_one(&mut **c).await?);
    let fallback = match admin {
        Some(id) => id,
        None => {
            let existing: Option<i64> = on_conn!(c, c => sqlx::query_scalar(
                "SELECT id FROM users WHERE username = 'system.generate'")
                .fetch_optional(&mut **c).await?);
            match existing {
                Some(id) => id,
                None => {
                    let root: i64 = on_conn!(c, c => sqlx::query_scalar(
                        "SELECT id FROM org_units WHERE kind = 'national' ORDER BY id LIMIT 1")
                        .fetch_one(&mut **c).await?);
                    // Disabled and without password: it can never sign in.
                    on_conn!(c, c => sqlx::query_scalar::<_, i64>(
                        "INSERT INTO users (username, display_name, unit_id, role, disabled, created_at, updated_at)
                         VALUES ('system.generate', 'Dữ liệu sinh tự động', $1, 'reviewer', TRUE, $2, $2) RETURNING id")
                        .bind(root).bind(Utc::now()).fetch_one(&mut **c).await?)
                }
            }
        }
    };
    Ok((per_unit.into_iter().collect(), fallback))
}

/// Whether the generated plans exist: programmes whose code starts with `KH-57/` (the
/// generator's `CODE_PREFIX`).
pub async fn generated_programmes_exist(c: &mut DbConn<'_>) -> AppResult<bool> {
    let n: i64 = on_conn!(c, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM programmes WHERE code LIKE 'KH-57/%'")
        .fetch_one(&mut **c).await?);
    Ok(n > 0)
}

/// Sets the feedback tracking-code counter of each day (day → last sequence number used), so
/// that codes issued later continue after the generated ones. One upsert per day.
pub async fn set_feedback_counters(
    c: &mut DbConn<'_>,
    counters: &HashMap<NaiveDate, i64>,
) -> AppResult<()> {
    for (day, n) in counters {
        on_conn!(c, c => sqlx::query("INSERT INTO feedback_counters (day, n) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET n = excluded.n")
            .bind(*day).bind(*n).execute(&mut **c).await.map(|_| ())?);
    }
    Ok(())
}
