//! The job queue. Enqueueing is idempotent by key; claiming marks a job running with a lease, in
//! one statement, so two instances never take the same job (PostgreSQL also skips rows another
//! claimer holds; SQLite serialises writers anyway). A job whose lease ran out is taken again.

use chrono::{DateTime, Duration, Utc};

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i32,
}

/// Adds a job unless one with the same key exists; true when added.
pub async fn enqueue(
    c: &mut DbConn<'_>,
    kind: &str,
    key: &str,
    payload: &str,
    run_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let id = on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO jobs (kind, dedupe_key, payload, run_after, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
        .bind(kind).bind(key).bind(payload).bind(run_after).bind(now).fetch_optional(&mut **c).await?);
    Ok(id.is_some())
}

const CLAIM: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2
    WHERE id = (SELECT id FROM jobs
                WHERE (state = 'pending' AND run_after <= $1) OR (state = 'running' AND locked_until < $1)
                ORDER BY run_after, id LIMIT 1 {lock})
    RETURNING id, kind, payload, attempts";

/// Takes the next job that is due, for `lease`.
pub async fn claim(
    c: &mut DbConn<'_>,
    now: DateTime<Utc>,
    lease: Duration,
) -> AppResult<Option<Job>> {
    let until = now + lease;
    Ok(match c {
        DbConn::Sqlite(c) => {
            sqlx::query_as::<_, Job>(&CLAIM.replace("{lock}", ""))
                .bind(now)
                .bind(until)
                .fetch_optional(&mut **c)
                .await?
        }
        DbConn::Pg(c) => {
            sqlx::query_as::<_, Job>(&CLAIM.replace("{lock}", "FOR UPDATE SKIP LOCKED"))
                .bind(now)
                .bind(until)
                .fetch_optional(&mut **c)
                .await?
        }
    })
}

/// Saves how far a long job has come and extends its lease, in the caller's step transaction: a
/// job cut off (process stopped, lease run out) resumes from the last step that committed.
pub async fn progress(
    c: &mut DbConn<'_>,
    id: i64,
    payload: &str,
    locked_until: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE jobs SET payload = $2, locked_until = $3 WHERE id = $1")
        .bind(id).bind(payload).bind(locked_until).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

const CLAIM_KIND: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $2
    WHERE id IN (SELECT id FROM jobs
                 WHERE kind = $3 AND ((state = 'pending' AND run_after <= $1) OR (state = 'running' AND locked_until < $1))
                 ORDER BY run_after, id LIMIT $4 {lock})
    RETURNING id, kind, payload, attempts";

/// Takes up to `limit` due jobs of one kind at once (mail is sent in batches).
pub async fn claim_kind(
    c: &mut DbConn<'_>,
    kind: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> AppResult<Vec<Job>> {
    let until = now + lease;
    let lock = match &*c {
        DbConn::Sqlite(_) => "",
        DbConn::Pg(_) => "FOR UPDATE SKIP LOCKED",
    };
    let sql = CLAIM_KIND.replace("{lock}", lock);
    Ok(on_conn!(c, c => sqlx::query_as::<_, Job>(&sql)
        .bind(now).bind(until).bind(kind).bind(limit).fetch_all(&mut **c).await?))
}

pub async fn finish(c: &mut DbConn<'_>, id: i64, now: DateTime<Utc>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE jobs SET state = 'done', done_at = $2, locked_until = NULL, last_error = NULL WHERE id = $1")
        .bind(id).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Puts a failed job back for a later try, or gives up after `max_attempts`.
pub async fn fail(
    c: &mut DbConn<'_>,
    job: &Job,
    error: &str,
    retry_at: DateTime<Utc>,
    max_attempts: i32,
) -> AppResult<()> {
    let state = if job.attempts >= max_attempts {
        "failed"
    } else {
        "pending"
    };
    on_conn!(c, c => sqlx::query("UPDATE jobs SET state = $2, last_error = $3, run_after = $4, locked_until = NULL WHERE id = $1")
        .bind(job.id).bind(state).bind(error).bind(retry_at).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Counts per state, for the admin page and tests.
pub async fn counts(c: &mut DbConn<'_>) -> AppResult<Vec<(String, i64)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (String, i64)>("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
        .fetch_all(&mut **c).await?),
    )
}
