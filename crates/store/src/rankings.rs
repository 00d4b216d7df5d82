//! Ranking methods, their versions, editions and their units' results, expert scores, and the
//! feedback counts the ranking measures are made of.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;
use domain::ranking::lifecycle::VersionState;
use domain::ranking::sources::FeedbackCounts;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankMethod {
    pub id: i64,
    pub code: String,
    /// central_agency, province or commune.
    pub peer_group: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    /// The project's example, not an official method.
    pub example: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MethodVersion {
    pub id: i64,
    pub method_id: i64,
    pub version: i32,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: VersionState,
    /// The method document (`domain::ranking::method::Method`) as JSON.
    #[serde(skip)]
    pub document: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An edition without its frozen inputs and analyses (see [`edition_blobs`]).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Edition {
    pub id: i64,
    pub version_id: i64,
    pub period: String,
    pub as_of: NaiveDate,
    /// Communes ranked within this province; absent for a nationwide group.
    pub within_unit: Option<i64>,
    /// SHA-256 of the method document and the inputs: recomputing gives the same.
    pub inputs_hash: String,
    pub computed_at: DateTime<Utc>,
    #[serde(skip)]
    pub computed_by: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    /// What the public sees once published: scores, or full.
    pub public_detail: Option<String>,
}

/// The frozen inputs and the analyses of an edition, as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EditionBlobs {
    pub inputs: String,
    pub bands: String,
    pub sensitivity: String,
    pub medians: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EditionUnit {
    pub edition_id: i64,
    pub unit_id: i64,
    pub score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<String>,
    pub quartile: Option<i32>,
    pub rank_median: Option<f64>,
    pub rank_low: Option<i32>,
    pub rank_high: Option<i32>,
    /// Every node's and measure's result (`domain::ranking::engine::Part` by code), as JSON.
    pub parts: String,
}

const METHOD_COLS: &str = "id, code, peer_group, name_vi, name_en, name_fr, example, created_at";
const VERSION_COLS: &str = "id, method_id, version, state, document, note, created_at, updated_at, approved_at, published_at";
const EDITION_COLS: &str = "id, version_id, period, as_of, within_unit, inputs_hash, computed_at, computed_by, published_at, public_detail";
const UNIT_COLS: &str =
    "edition_id, unit_id, score, rank, grade, quartile, rank_median, rank_low, rank_high, parts";

pub struct NewMethod<'a> {
    pub code: &'a str,
    pub peer_group: &'a str,
    pub names: [&'a str; 3],
    pub example: bool,
}

pub async fn insert_method(
    c: &mut DbConn<'_>,
    m: &NewMethod<'_>,
    now: DateTime<Utc>,
) -> AppResult<RankMethod> {
    let sql = format!(
        "INSERT INTO rank_methods (code, peer_group, name_vi, name_en, name_fr, example, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING {METHOD_COLS}"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, RankMethod>(&sql)
        .bind(m.code).bind(m.peer_group).bind(m.names[0]).bind(m.names[1]).bind(m.names[2]).bind(m.example).bind(now)
        .fetch_one(&mut **c).await?))
}

pub async fn methods(c: &mut DbConn<'_>) -> AppResult<Vec<RankMethod>> {
    let sql = format!("SELECT {METHOD_COLS} FROM rank_methods ORDER BY id");
    Ok(on_conn!(c, c => sqlx::query_as::<_, RankMethod>(&sql).fetch_all(&mut **c).await?))
}

pub async fn method(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<RankMethod>> {
    let sql = format!("SELECT {METHOD_COLS} FROM rank_methods WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, RankMethod>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

/// Adds a draft version numbered after the method's last.
pub async fn insert_version(
    c: &mut DbConn<'_>,
    method_id: i64,
    document: &str,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<MethodVersion> {
    let sql = format!(
        "INSERT INTO rank_method_versions (method_id, version, state, document, note, created_at, updated_at)
         VALUES ($1, (SELECT COALESCE(MAX(version), 0) + 1 FROM rank_method_versions WHERE method_id = $1), 'draft', $2, $3, $4, $4)
         RETURNING {VERSION_COLS}"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, MethodVersion>(&sql)
        .bind(method_id).bind(document).bind(note).bind(now).fetch_one(&mut **c).await?))
}

pub async fn versions(c: &mut DbConn<'_>, method_id: i64) -> AppResult<Vec<MethodVersion>> {
    let sql = format!(
        "SELECT {VERSION_COLS} FROM rank_method_versions WHERE method_id = $1 ORDER BY version"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, MethodVersion>(&sql).bind(method_id).fetch_all(&mut **c).await?),
    )
}

pub async fn version(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<MethodVersion>> {
    let sql = format!("SELECT {VERSION_COLS} FROM rank_method_versions WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, MethodVersion>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

/// Replaces a draft's document (the caller checked the state under the same transaction).
pub async fn set_document(
    c: &mut DbConn<'_>,
    id: i64,
    document: &str,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE rank_method_versions SET document = $2, note = $3, updated_at = $4 WHERE id = $1 AND state = 'draft'")
        .bind(id).bind(document).bind(note).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn set_state(
    c: &mut DbConn<'_>,
    id: i64,
    state: VersionState,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let stamp = match state {
        VersionState::Approved => ", approved_at = $3",
        VersionState::Published => ", published_at = $3",
        VersionState::Draft => ", approved_at = NULL",
    };
    let sql =
        format!("UPDATE rank_method_versions SET state = $2, updated_at = $3{stamp} WHERE id = $1");
    on_conn!(c, c => sqlx::query(&sql).bind(id).bind(state.as_str()).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub struct NewEdition<'a> {
    pub version_id: i64,
    pub period: &'a str,
    pub as_of: NaiveDate,
    pub within_unit: Option<i64>,
    pub inputs: &'a str,
    pub inputs_hash: &'a str,
    pub bands: &'a str,
    pub sensitivity: &'a str,
    pub medians: &'a str,
    pub computed_by: Option<i64>,
}

pub async fn insert_edition(
    c: &mut DbConn<'_>,
    e: &NewEdition<'_>,
    units: &[EditionUnit],
    now: DateTime<Utc>,
) -> AppResult<Edition> {
    let sql = format!(
        "INSERT INTO rank_editions (version_id, period, as_of, within_unit, inputs, inputs_hash, bands, sensitivity, medians, computed_at, computed_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING {EDITION_COLS}"
    );
    let edition = on_conn!(c, c => sqlx::query_as::<_, Edition>(&sql)
        .bind(e.version_id).bind(e.period).bind(e.as_of).bind(e.within_unit).bind(e.inputs).bind(e.inputs_hash)
        .bind(e.bands).bind(e.sensitivity).bind(e.medians).bind(now).bind(e.computed_by)
        .fetch_one(&mut **c).await?);
    // Rows in batches: 3,321 communes in one statement would pass SQLite's bound parameters.
    for chunk in units.chunks(500) {
        let sql = format!(
            "INSERT INTO rank_edition_units ({UNIT_COLS}) VALUES {}",
            crate::rows_placeholders(chunk.len(), 10)
        );
        on_conn!(c, c => {
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q.bind(edition.id).bind(u.unit_id).bind(u.score).bind(u.rank).bind(&u.grade).bind(u.quartile)
                    .bind(u.rank_median).bind(u.rank_low).bind(u.rank_high).bind(&u.parts);
            }
            q.execute(&mut **c).await.map(|_| ())?;
        });
    }
    Ok(edition)
}

pub async fn edition(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Edition>> {
    let sql = format!("SELECT {EDITION_COLS} FROM rank_editions WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Edition>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn edition_blobs(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<EditionBlobs>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, EditionBlobs>(
        "SELECT inputs, bands, sensitivity, medians FROM rank_editions WHERE id = $1")
        .bind(id).fetch_optional(&mut **c).await?))
}

/// Editions newest first; only published ones unless `all`.
pub async fn editions(c: &mut DbConn<'_>, all: bool) -> AppResult<Vec<Edition>> {
    let sql = format!(
        "SELECT {EDITION_COLS} FROM rank_editions WHERE $1 OR published_at IS NOT NULL ORDER BY id DESC LIMIT 500"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, Edition>(&sql).bind(all).fetch_all(&mut **c).await?))
}

/// An edition's units, best first (unranked last).
pub async fn edition_units(c: &mut DbConn<'_>, edition_id: i64) -> AppResult<Vec<EditionUnit>> {
    let sql = format!(
        "SELECT {UNIT_COLS} FROM rank_edition_units WHERE edition_id = $1 ORDER BY COALESCE(rank, 1000000000), unit_id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, EditionUnit>(&sql).bind(edition_id).fetch_all(&mut **c).await?),
    )
}

pub async fn edition_unit(
    c: &mut DbConn<'_>,
    edition_id: i64,
    unit_id: i64,
) -> AppResult<Option<EditionUnit>> {
    let sql = format!(
        "SELECT {UNIT_COLS} FROM rank_edition_units WHERE edition_id = $1 AND unit_id = $2"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, EditionUnit>(&sql).bind(edition_id).bind(unit_id).fetch_optional(&mut **c).await?),
    )
}

pub async fn publish_edition(
    c: &mut DbConn<'_>,
    id: i64,
    detail: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE rank_editions SET published_at = $2, public_detail = $3 WHERE id = $1 AND published_at IS NULL")
        .bind(id).bind(now).bind(detail).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Per unit, its feedback submitted from `from` to `as_of` (appeals themselves and declined or
/// merged items left out), as the ranking measures count it.
pub async fn feedback_counts(
    c: &mut DbConn<'_>,
    from: NaiveDate,
    as_of: NaiveDate,
) -> AppResult<BTreeMap<i64, FeedbackCounts>> {
    let sql = "SELECT f.unit_id,
        SUM(CASE WHEN (f.answered_on IS NOT NULL AND f.answered_on <= $2) OR f.deadline_on <= $2 THEN 1 ELSE 0 END),
        SUM(CASE WHEN f.answered_on <= $2 AND f.answered_on <= f.deadline_on THEN 1 ELSE 0 END),
        SUM(CASE WHEN f.rated_on <= $2 AND f.rating IS NOT NULL THEN 1 ELSE 0 END),
        SUM(CASE WHEN f.rated_on <= $2 AND f.rating IS NOT NULL THEN f.rating ELSE 0 END),
        SUM(CASE WHEN f.answered_on <= $2 THEN 1 ELSE 0 END),
        SUM(CASE WHEN f.answered_on <= $2 AND EXISTS (SELECT 1 FROM feedback_items a WHERE a.appeal_of = f.id AND a.submitted_on <= $2) THEN 1 ELSE 0 END)
        FROM feedback_items f
        WHERE f.submitted_on >= $1 AND f.submitted_on <= $2 AND f.appeal_of IS NULL AND f.state NOT IN ('declined', 'merged')
        GROUP BY f.unit_id";
    type Counts = (i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Counts> =
        on_conn!(c, c => sqlx::query_as(sql).bind(from).bind(as_of).fetch_all(&mut **c).await?);
    Ok(rows
        .into_iter()
        .map(
            |(unit, due, on_time, rated, rating_sum, answered, appealed)| {
                (
                    unit,
                    FeedbackCounts {
                        due,
                        answered_on_time: on_time,
                        rated,
                        rating_sum,
                        answered,
                        appealed,
                    },
                )
            },
        )
        .collect())
}

/// The expert values of `key` for `period`, by unit.
pub async fn expert_values(
    c: &mut DbConn<'_>,
    key: &str,
    period: &str,
) -> AppResult<BTreeMap<i64, f64>> {
    let rows: Vec<(i64, f64)> = on_conn!(c, c => sqlx::query_as(
        "SELECT unit_id, value FROM rank_expert_scores WHERE key = $1 AND period = $2")
        .bind(key).bind(period).fetch_all(&mut **c).await?);
    Ok(rows.into_iter().collect())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpertScore {
    pub key: String,
    pub unit_id: i64,
    pub period: String,
    pub value: f64,
    pub evidence: String,
    pub entered_at: DateTime<Utc>,
}

/// Enters or replaces an expert value; the row as it was, if any.
pub async fn put_expert(
    c: &mut DbConn<'_>,
    s: &ExpertScore,
    by: i64,
) -> AppResult<Option<ExpertScore>> {
    let before: Option<ExpertScore> = on_conn!(c, c => sqlx::query_as::<_, ExpertScore>(
        "SELECT key, unit_id, period, value, evidence, entered_at FROM rank_expert_scores WHERE key = $1 AND unit_id = $2 AND period = $3")
        .bind(&s.key).bind(s.unit_id).bind(&s.period).fetch_optional(&mut **c).await?);
    on_conn!(c, c => sqlx::query(
        "INSERT INTO rank_expert_scores (key, unit_id, period, value, evidence, entered_by, entered_at) VALUES ($1,$2,$3,$4,$5,$6,$7)
         ON CONFLICT (key, unit_id, period) DO UPDATE SET value = excluded.value, evidence = excluded.evidence, entered_by = excluded.entered_by, entered_at = excluded.entered_at")
        .bind(&s.key).bind(s.unit_id).bind(&s.period).bind(s.value).bind(&s.evidence).bind(by).bind(s.entered_at)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(before)
}
