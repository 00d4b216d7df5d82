//! What the search index is built from: the outbox that triggers fill (migration 0029) and the
//! searchable text of each kind of record, read by id or in id order for a rebuild.

use domain::search::Kind;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

/// One outbox row: read `kind` number `ref_id` again.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Change {
    pub id: i64,
    pub kind: String,
    pub ref_id: i64,
}

/// Rows above `after`, in id order.
pub async fn changes_after(c: &mut DbConn<'_>, after: i64, limit: i64) -> AppResult<Vec<Change>> {
    let sql = "SELECT id, kind, ref_id FROM search_outbox WHERE id > $1 ORDER BY id LIMIT $2";
    Ok(on_conn!(c, c => sqlx::query_as(sql).bind(after).bind(limit).fetch_all(&mut **c).await?))
}

/// These rows, those that exist (ids skipped earlier, committed since).
pub async fn changes_in(c: &mut DbConn<'_>, ids: &[i64]) -> AppResult<Vec<Change>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT id, kind, ref_id FROM search_outbox WHERE id IN ({}) ORDER BY id",
        crate::id_list(ids)
    );
    Ok(on_conn!(c, c => sqlx::query_as(&sql).fetch_all(&mut **c).await?))
}

/// The highest row id, 0 when empty.
pub async fn last_change(c: &mut DbConn<'_>) -> AppResult<i64> {
    let sql = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM search_outbox";
    Ok(on_conn!(c, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await?))
}

/// The lowest row id still kept, if any: an index whose cursor is below it missed pruned rows.
pub async fn first_change(c: &mut DbConn<'_>) -> AppResult<Option<i64>> {
    let sql = "SELECT MIN(id) FROM search_outbox";
    Ok(on_conn!(c, c => sqlx::query_scalar(sql).fetch_one(&mut **c).await?))
}

/// Deletes up to `limit` rows older than `days` days, always keeping the newest (so that the
/// next id never falls back below a cursor). Returns how many went.
pub async fn prune(c: &mut DbConn<'_>, days: i64, limit: i64) -> AppResult<u64> {
    let n = match c {
        DbConn::Sqlite(c) => sqlx::query(
            "DELETE FROM search_outbox WHERE id IN (SELECT id FROM search_outbox \
             WHERE at < datetime('now', '-' || $1 || ' days') \
             AND id < (SELECT MAX(id) FROM search_outbox) ORDER BY id LIMIT $2)",
        )
        .bind(days)
        .bind(limit)
        .execute(&mut **c)
        .await?
        .rows_affected(),
        DbConn::Pg(c) => sqlx::query(
            "DELETE FROM search_outbox WHERE id IN (SELECT id FROM search_outbox \
             WHERE at < now() - make_interval(days => $1::INT) \
             AND id < (SELECT MAX(id) FROM search_outbox) ORDER BY id LIMIT $2)",
        )
        .bind(days)
        .bind(limit)
        .execute(&mut **c)
        .await?
        .rows_affected(),
    };
    Ok(n)
}

/// A record's searchable text and what decides who reads it, the same columns for every kind.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: i64,
    /// The task's, indicator's or catalogue entry's code, the tracking code, the unit's code.
    pub code: String,
    pub title: String,
    /// Everything else searchable, in full.
    pub body: String,
    /// What the public reads, where it differs (feedback moderated by its unit).
    pub public_title: String,
    pub public_body: String,
    /// Searchable but not shown: the names in the other languages, a feedback item's answer
    /// (so that duplicates are judged on what the citizens wrote).
    pub extra: String,
    /// 1 when the record is public by its own rule (feedback published, catalogue entry
    /// accepted and published); tasks and reports follow `visibility` instead.
    pub public: i64,
    /// Tasks and reports: the task's visibility. Units: their kind.
    pub visibility: String,
    /// The unit the record belongs to (holder, owner, reporting unit, the unit itself).
    pub unit_id: Option<i64>,
    /// Tasks: themselves; reports: their task; feedback: the task it became.
    pub task_id: Option<i64>,
    /// Tasks and reports: the unit that owns the programme.
    pub owner_unit_id: Option<i64>,
    /// A date to show (deadline, report day, submission day, end of a unit).
    pub date: Option<String>,
}

const TASKS: &str = "SELECT x.id, x.code, x.title, \
    COALESCE(x.result_text, '') || ' ' || COALESCE(x.lead_text, '') || ' ' || COALESCE(x.coordinating_text, '') AS body, \
    x.title AS public_title, \
    COALESCE(x.result_text, '') || ' ' || COALESCE(x.lead_text, '') || ' ' || COALESCE(x.coordinating_text, '') AS public_body, '' AS extra, CAST(1 AS BIGINT) AS public, \
    x.visibility, p.owner_unit_id AS unit_id, x.id AS task_id, p.owner_unit_id, CAST(x.due_on AS TEXT) AS date \
    FROM tasks x JOIN programmes p ON p.id = x.programme_id";

const REPORTS: &str = "SELECT x.id, t.code, t.title, \
    x.narrative || ' ' || COALESCE(x.results, '') || ' ' || COALESCE(x.difficulties, '') || ' ' || COALESCE(x.proposals, '') AS body, \
    t.title AS public_title, \
    x.narrative || ' ' || COALESCE(x.results, '') || ' ' || COALESCE(x.difficulties, '') || ' ' || COALESCE(x.proposals, '') AS public_body, \
    '' AS extra, CAST(1 AS BIGINT) AS public, t.visibility, a.unit_id, t.id AS task_id, p.owner_unit_id, CAST(x.reported_on AS TEXT) AS date \
    FROM reports x JOIN assignments a ON a.id = x.assignment_id JOIN tasks t ON t.id = a.task_id \
    JOIN programmes p ON p.id = t.programme_id";

const FEEDBACK: &str = "SELECT x.id, x.code, x.title, x.body, \
    x.public_title, x.public_body, COALESCE(x.answer, '') AS extra, \
    CAST(CASE WHEN x.state IN ('answered', 'closed') AND NOT x.hidden AND NOT (x.held AND x.moderated_on IS NULL) \
    THEN 1 ELSE 0 END AS BIGINT) AS public, x.kind AS visibility, x.unit_id, x.task_id, \
    CAST(NULL AS BIGINT) AS owner_unit_id, CAST(x.submitted_on AS TEXT) AS date \
    FROM feedback_items x";

const INDICATORS: &str = "SELECT x.id, x.code, x.name_vi AS title, \
    x.definition || ' ' || x.responsible_text AS body, \
    x.name_vi AS public_title, x.definition || ' ' || x.responsible_text AS public_body, \
    x.name_en || ' ' || x.name_fr AS extra, \
    CAST(1 AS BIGINT) AS public, x.value_type AS visibility, x.responsible_unit_id AS unit_id, \
    CAST(NULL AS BIGINT) AS task_id, CAST(NULL AS BIGINT) AS owner_unit_id, CAST(NULL AS TEXT) AS date \
    FROM indicators x";

const CATALOGUE: &str = "SELECT x.id, x.code, x.name_vi AS title, \
    x.purpose || ' ' || x.data_subjects AS body, \
    x.name_vi AS public_title, x.purpose || ' ' || x.data_subjects AS public_body, \
    x.name_en || ' ' || x.name_fr AS extra, \
    CAST(CASE WHEN x.is_public AND x.state = 'accepted' THEN 1 ELSE 0 END AS BIGINT) AS public, \
    x.state AS visibility, x.owner_unit_id AS unit_id, CAST(NULL AS BIGINT) AS task_id, \
    CAST(NULL AS BIGINT) AS owner_unit_id, CAST(NULL AS TEXT) AS date \
    FROM catalogue_entries x";

const UNITS: &str = "SELECT x.id, COALESCE(x.code, '') AS code, x.name_vi AS title, '' AS body, \
    x.name_vi AS public_title, '' AS public_body, \
    COALESCE(x.name_en, '') || ' ' || COALESCE(x.name_fr, '') AS extra, \
    CAST(1 AS BIGINT) AS public, x.kind AS visibility, x.id AS unit_id, CAST(NULL AS BIGINT) AS task_id, \
    CAST(NULL AS BIGINT) AS owner_unit_id, CAST(x.valid_to AS TEXT) AS date \
    FROM org_units x";

fn select(kind: Kind) -> &'static str {
    match kind {
        Kind::Task => TASKS,
        Kind::Report => REPORTS,
        Kind::Feedback => FEEDBACK,
        Kind::Indicator => INDICATORS,
        Kind::Catalogue => CATALOGUE,
        Kind::Unit => UNITS,
    }
}

/// The records of `kind` with these ids that still exist.
pub async fn sources(c: &mut DbConn<'_>, kind: Kind, ids: &[i64]) -> AppResult<Vec<Source>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!("{} WHERE x.id IN ({})", select(kind), crate::id_list(ids));
    Ok(on_conn!(c, c => sqlx::query_as(&sql).fetch_all(&mut **c).await?))
}

/// Up to `limit` records of `kind` above id `after`, in id order (a rebuild's pages).
pub async fn sources_after(
    c: &mut DbConn<'_>,
    kind: Kind,
    after: i64,
    limit: i64,
) -> AppResult<Vec<Source>> {
    let sql = format!("{} WHERE x.id > $1 ORDER BY x.id LIMIT $2", select(kind));
    Ok(on_conn!(c, c => sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(&mut **c).await?))
}

/// How many records of `kind` there are (a rebuild's progress bar).
pub async fn count(c: &mut DbConn<'_>, kind: Kind) -> AppResult<i64> {
    let table = match kind {
        Kind::Task => "tasks",
        Kind::Report => "reports",
        Kind::Feedback => "feedback_items",
        Kind::Indicator => "indicators",
        Kind::Catalogue => "catalogue_entries",
        Kind::Unit => "org_units",
    };
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
    Ok(on_conn!(c, c => sqlx::query_scalar(&sql).fetch_one(&mut **c).await?))
}

/// The units assigned to each of these tasks, as (task, unit) pairs.
pub async fn assignees(c: &mut DbConn<'_>, task_ids: &[i64]) -> AppResult<Vec<(i64, i64)>> {
    if task_ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT DISTINCT task_id, unit_id FROM assignments WHERE task_id IN ({})",
        crate::id_list(task_ids)
    );
    Ok(on_conn!(c, c => sqlx::query_as(&sql).fetch_all(&mut **c).await?))
}

/// The reports of a task (its visibility changed: they are read again).
pub async fn reports_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<i64>> {
    let sql = "SELECT r.id FROM reports r JOIN assignments a ON a.id = r.assignment_id WHERE a.task_id = $1";
    Ok(on_conn!(c, c => sqlx::query_scalar(sql).bind(task_id).fetch_all(&mut **c).await?))
}

/// The duplicate pass's cursor: the last item id it has looked at (none before its first run).
pub async fn duplicate_cursor(c: &mut DbConn<'_>) -> AppResult<Option<i64>> {
    let sql = "SELECT after FROM duplicate_pass WHERE id = 1";
    Ok(on_conn!(c, c => sqlx::query_scalar(sql).fetch_optional(&mut **c).await?))
}

/// Moves the cursor forward (never back: two instances may run the pass).
pub async fn set_duplicate_cursor(c: &mut DbConn<'_>, after: i64) -> AppResult<()> {
    let sql = "INSERT INTO duplicate_pass (id, after) VALUES (1, $1) \
               ON CONFLICT (id) DO UPDATE SET after = CASE WHEN excluded.after > duplicate_pass.after THEN excluded.after ELSE duplicate_pass.after END";
    on_conn!(c, c => sqlx::query(sql).bind(after).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// An item the duplicate pass compares.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NewItem {
    pub id: i64,
    pub unit_id: i64,
    pub title: String,
    pub body: String,
}

/// Items above `after` submitted at or before `until` (so the index has them), in id order.
pub async fn items_to_compare(
    c: &mut DbConn<'_>,
    after: i64,
    until: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> AppResult<Vec<NewItem>> {
    let sql = "SELECT id, unit_id, title, body FROM feedback_items WHERE id > $1 AND submitted_at <= $2 ORDER BY id LIMIT $3";
    Ok(
        on_conn!(c, c => sqlx::query_as(sql).bind(after).bind(until).bind(limit).fetch_all(&mut **c).await?),
    )
}

/// Records possible duplicates (item, earlier item, similarity); the feedback data version moves,
/// so that kept pages show them.
pub async fn record_duplicates(
    c: &mut DbConn<'_>,
    pairs: &[(i64, i64, f64)],
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    for (item, other, s) in pairs {
        let sql = "INSERT INTO feedback_duplicates (item_id, other_id, similarity, found_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
        on_conn!(c, c => sqlx::query(sql).bind(item).bind(other).bind(s).bind(at).execute(&mut **c).await.map(|_| ())?);
    }
    crate::feedback::bump_version(c).await
}

/// For each of these items, the code of the most similar earlier item the pass found, if any.
pub async fn duplicate_of(c: &mut DbConn<'_>, ids: &[i64]) -> AppResult<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT d.item_id, o.code FROM feedback_duplicates d JOIN feedback_items o ON o.id = d.other_id \
         WHERE d.item_id IN ({}) ORDER BY d.item_id, d.similarity DESC, d.other_id",
        crate::id_list(ids)
    );
    Ok(on_conn!(c, c => sqlx::query_as(&sql).fetch_all(&mut **c).await?))
}
