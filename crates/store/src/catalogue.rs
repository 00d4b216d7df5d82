//! The database catalogue: entries, their themes and consumers, and their measured quality.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;
use domain::catalogue::{
    Declaration, Figures, Frequency, Hosting, Kind, Lifecycle, Quality, State,
};

/// An entry as stored, with its latest figures.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryRow {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    #[serde(skip)]
    pub search_text: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub owner_unit_id: i64,
    pub managing_unit_id: Option<i64>,
    pub legal_basis: String,
    pub purpose: String,
    pub data_subjects: String,
    /// The data dictionary as JSON (a list of fields).
    #[serde(skip)]
    pub dictionary: String,
    pub expected_population: Option<i64>,
    #[sqlx(try_from = "String")]
    pub frequency: Frequency,
    #[sqlx(try_from = "String")]
    pub lifecycle: Lifecycle,
    pub lifecycle_since: Option<NaiveDate>,
    #[sqlx(try_from = "String")]
    pub hosting: Hosting,
    pub security_level: i32,
    pub exchange_connected: bool,
    pub services: String,
    pub contact: String,
    pub access_url: String,
    pub is_public: bool,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub state_reason: String,
    pub records: Option<i64>,
    pub checked: Option<i64>,
    pub valid: Option<i64>,
    pub complete: Option<i64>,
    pub duplicates: Option<i64>,
    pub format_errors: Option<i64>,
    pub last_update: Option<DateTime<Utc>>,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EntryRow {
    pub fn figures(&self) -> Figures {
        Figures {
            records: self.records,
            checked: self.checked,
            valid: self.valid,
            complete: self.complete,
            duplicates: self.duplicates,
            format_errors: self.format_errors,
        }
    }
}

/// What lists, facets and the dashboard need of every entry's declaration (no long texts; the
/// latest figures are read apart, as [`FigRow`]s).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Brief {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub search_text: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub owner_unit_id: i64,
    pub expected_population: Option<i64>,
    #[sqlx(try_from = "String")]
    pub frequency: Frequency,
    #[sqlx(try_from = "String")]
    pub lifecycle: Lifecycle,
    pub security_level: i32,
    pub exchange_connected: bool,
    pub is_public: bool,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub updated_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub purpose: String,
    pub contact: String,
    pub access_url: String,
}

const COLS: &str = "id, code, name_vi, name_en, name_fr, search_text, kind, owner_unit_id, managing_unit_id, legal_basis, purpose, data_subjects, \
    dictionary, expected_population, frequency, lifecycle, lifecycle_since, hosting, security_level, exchange_connected, services, contact, \
    access_url, is_public, state, state_reason, records, checked, valid, complete, duplicates, format_errors, last_update, last_heartbeat, \
    created_at, updated_at";

const BRIEF: &str = "id, code, name_vi, name_en, name_fr, search_text, kind, owner_unit_id, expected_population, frequency, lifecycle, \
    security_level, exchange_connected, is_public, state, updated_at, created_at, purpose, contact, access_url";

/// The folded text an entry is found by.
pub fn search_text(d: &Declaration) -> String {
    domain::text::fold(&format!(
        "{} {} {} {} {} {}",
        d.code, d.name_vi, d.name_en, d.name_fr, d.purpose, d.data_subjects
    ))
}

/// Inserts a declared entry (a draft) owned by `owner`.
pub async fn insert(
    c: &mut DbConn<'_>,
    d: &Declaration,
    owner: i64,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    let dict = serde_json::to_string(&d.dictionary).unwrap_or_else(|_| "[]".into());
    let id = on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO catalogue_entries (code, name_vi, name_en, name_fr, search_text, kind, owner_unit_id, managing_unit_id, legal_basis, purpose,
            data_subjects, dictionary, expected_population, frequency, lifecycle, lifecycle_since, hosting, security_level, exchange_connected,
            services, contact, access_url, is_public, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, 'draft', $24, $24)
         RETURNING id")
        .bind(&d.code).bind(&d.name_vi).bind(&d.name_en).bind(&d.name_fr).bind(search_text(d)).bind(d.kind.as_str()).bind(owner)
        .bind(d.managing_unit_id).bind(&d.legal_basis).bind(&d.purpose).bind(&d.data_subjects).bind(&dict).bind(d.expected_population)
        .bind(d.frequency.as_str()).bind(d.lifecycle.as_str()).bind(d.lifecycle_since).bind(d.hosting.as_str()).bind(d.security_level)
        .bind(d.exchange_connected).bind(&d.services).bind(&d.contact).bind(&d.access_url).bind(d.is_public).bind(now)
        .fetch_one(&mut **c).await?);
    set_themes(c, id, &d.themes).await?;
    Ok(id)
}

/// Rewrites an entry's declaration and puts it in `state`.
pub async fn update(
    c: &mut DbConn<'_>,
    id: i64,
    d: &Declaration,
    state: State,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let dict = serde_json::to_string(&d.dictionary).unwrap_or_else(|_| "[]".into());
    on_conn!(c, c => sqlx::query(
        "UPDATE catalogue_entries SET code = $2, name_vi = $3, name_en = $4, name_fr = $5, search_text = $6, kind = $7, managing_unit_id = $8,
            legal_basis = $9, purpose = $10, data_subjects = $11, dictionary = $12, expected_population = $13, frequency = $14, lifecycle = $15,
            lifecycle_since = $16, hosting = $17, security_level = $18, exchange_connected = $19, services = $20, contact = $21, access_url = $22,
            is_public = $23, state = $24, updated_at = $25
         WHERE id = $1")
        .bind(id).bind(&d.code).bind(&d.name_vi).bind(&d.name_en).bind(&d.name_fr).bind(search_text(d)).bind(d.kind.as_str())
        .bind(d.managing_unit_id).bind(&d.legal_basis).bind(&d.purpose).bind(&d.data_subjects).bind(&dict).bind(d.expected_population)
        .bind(d.frequency.as_str()).bind(d.lifecycle.as_str()).bind(d.lifecycle_since).bind(d.hosting.as_str()).bind(d.security_level)
        .bind(d.exchange_connected).bind(&d.services).bind(&d.contact).bind(&d.access_url).bind(d.is_public).bind(state.as_str()).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    set_themes(c, id, &d.themes).await
}

async fn set_themes(c: &mut DbConn<'_>, id: i64, themes: &[String]) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM catalogue_themes WHERE entry_id = $1").bind(id).execute(&mut **c).await.map(|_| ())?);
    for t in themes {
        on_conn!(c, c => sqlx::query("INSERT INTO catalogue_themes (entry_id, theme) VALUES ($1, $2)")
            .bind(id).bind(t).execute(&mut **c).await.map(|_| ())?);
    }
    Ok(())
}

pub async fn get(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<EntryRow>> {
    let sql = format!("SELECT {COLS} FROM catalogue_entries WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, EntryRow>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn id_by_code(c: &mut DbConn<'_>, code: &str) -> AppResult<Option<i64>> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT id FROM catalogue_entries WHERE code = $1")
        .bind(code).fetch_optional(&mut **c).await?),
    )
}

pub async fn themes_of(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<String>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, String>(
        "SELECT theme FROM catalogue_themes WHERE entry_id = $1 ORDER BY theme")
        .bind(id).fetch_all(&mut **c).await?))
}

pub async fn set_state(
    c: &mut DbConn<'_>,
    id: i64,
    state: State,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE catalogue_entries SET state = $2, state_reason = $3, updated_at = $4 WHERE id = $1")
        .bind(id).bind(state.as_str()).bind(reason).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Records figures (declared or from a heartbeat) with the four words they gave, and keeps them
/// as the entry's latest. A heartbeat also says when it was heard; the data's last update is
/// the moment given, or now.
#[allow(clippy::too_many_arguments)]
pub async fn measure(
    c: &mut DbConn<'_>,
    id: i64,
    source: &str,
    f: &Figures,
    q: &Quality,
    last_update: Option<DateTime<Utc>>,
    heartbeat: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO catalogue_measurements (entry_id, at, source, records, checked, valid, complete, duplicates, format_errors,
            correct, sufficient, clean, live) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(id).bind(now).bind(source).bind(f.records).bind(f.checked).bind(f.valid).bind(f.complete).bind(f.duplicates)
        .bind(f.format_errors).bind(q.correct).bind(q.sufficient).bind(q.clean).bind(q.live)
        .execute(&mut **c).await.map(|_| ())?);
    let hb = heartbeat.then_some(now);
    on_conn!(c, c => sqlx::query(
        "UPDATE catalogue_entries SET records = $2, checked = $3, valid = $4, complete = $5, duplicates = $6, format_errors = $7,
            last_update = COALESCE($8, last_update), last_heartbeat = COALESCE($9, last_heartbeat) WHERE id = $1")
        .bind(id).bind(f.records).bind(f.checked).bind(f.valid).bind(f.complete).bind(f.duplicates).bind(f.format_errors)
        .bind(last_update).bind(hb).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// One measurement in an entry's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeasurementRow {
    pub at: DateTime<Utc>,
    /// declared or heartbeat.
    pub source: String,
    pub records: Option<i64>,
    pub correct: Option<f64>,
    pub sufficient: Option<f64>,
    pub clean: Option<f64>,
    pub live: Option<f64>,
}

/// An entry's latest `limit` measurements, oldest first.
pub async fn measurements(
    c: &mut DbConn<'_>,
    id: i64,
    limit: i64,
) -> AppResult<Vec<MeasurementRow>> {
    let mut rows = on_conn!(c, c => sqlx::query_as::<_, MeasurementRow>(
        "SELECT at, source, records, correct, sufficient, clean, live FROM catalogue_measurements
         WHERE entry_id = $1 ORDER BY at DESC, id DESC LIMIT $2")
        .bind(id).bind(limit).fetch_all(&mut **c).await?);
    rows.reverse();
    Ok(rows)
}

/// Every entry, briefly, in code order.
pub async fn all_brief(c: &mut DbConn<'_>) -> AppResult<Vec<Brief>> {
    let sql = format!("SELECT {BRIEF} FROM catalogue_entries ORDER BY code");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Brief>(&sql).fetch_all(&mut **c).await?))
}

/// Every (entry, theme).
pub async fn all_themes(c: &mut DbConn<'_>) -> AppResult<Vec<(i64, String)>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, String)>(
        "SELECT entry_id, theme FROM catalogue_themes ORDER BY entry_id, theme")
        .fetch_all(&mut **c).await?))
}

/// Every (consumer, provider).
pub async fn all_links(c: &mut DbConn<'_>) -> AppResult<Vec<(i64, i64)>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, i64)>(
        "SELECT consumer_id, provider_id FROM catalogue_links ORDER BY consumer_id, provider_id")
        .fetch_all(&mut **c).await?))
}

/// The entries that `id` consumes data from, replaced.
pub async fn set_providers(c: &mut DbConn<'_>, id: i64, providers: &[i64]) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM catalogue_links WHERE consumer_id = $1").bind(id).execute(&mut **c).await.map(|_| ())?);
    for p in providers {
        on_conn!(c, c => sqlx::query("INSERT INTO catalogue_links (consumer_id, provider_id) VALUES ($1, $2)")
            .bind(id).bind(p).execute(&mut **c).await.map(|_| ())?);
    }
    Ok(())
}

/// The entries `id` consumes data from.
pub async fn providers_of(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT provider_id FROM catalogue_links WHERE consumer_id = $1 ORDER BY provider_id")
        .bind(id).fetch_all(&mut **c).await?))
}

/// (accepted, all) entries of `unit` and the units below it.
pub async fn counts_under(c: &mut DbConn<'_>, unit: i64) -> AppResult<(i64, i64)> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, i64)>(
        "SELECT COALESCE(SUM(CASE WHEN e.state = 'accepted' THEN 1 ELSE 0 END), 0), COUNT(*) FROM catalogue_entries e
         WHERE e.owner_unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)")
        .bind(unit).fetch_one(&mut **c).await?))
}

/// An entry's latest figures, apart from its declaration: heartbeats change these alone.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct FigRow {
    pub id: i64,
    pub records: Option<i64>,
    pub checked: Option<i64>,
    pub valid: Option<i64>,
    pub complete: Option<i64>,
    pub duplicates: Option<i64>,
    pub format_errors: Option<i64>,
    pub last_update: Option<DateTime<Utc>>,
    pub last_heartbeat: Option<DateTime<Utc>>,
}

impl FigRow {
    pub fn figures(&self) -> Figures {
        Figures {
            records: self.records,
            checked: self.checked,
            valid: self.valid,
            complete: self.complete,
            duplicates: self.duplicates,
            format_errors: self.format_errors,
        }
    }
}

/// The latest figures of every entry whose figures changed after figures version `after` (every
/// entry when `after` is `None`).
pub async fn figures_since(c: &mut DbConn<'_>, after: Option<i64>) -> AppResult<Vec<FigRow>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, FigRow>(
        "SELECT id, records, checked, valid, complete, duplicates, format_errors, last_update, last_heartbeat
         FROM catalogue_entries WHERE fig_seq > $1")
        .bind(after.unwrap_or(-1)).fetch_all(&mut **c).await?))
}

/// A measurement as read: (entry, time, records, checked, valid, complete, duplicates, format
/// errors).
type MeasureRow = (
    i64,
    DateTime<Utc>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn measures(rows: Vec<MeasureRow>) -> Vec<(i64, DateTime<Utc>, Figures)> {
    rows.into_iter()
        .map(
            |(id, at, records, checked, valid, complete, duplicates, format_errors)| {
                (
                    id,
                    at,
                    Figures {
                        records,
                        checked,
                        valid,
                        complete,
                        duplicates,
                        format_errors,
                    },
                )
            },
        )
        .collect()
}

/// Every measurement taken up to `until` of the entries of `unit` and the units below it:
/// (entry, time, figures), by entry and time.
pub async fn measures_under(
    c: &mut DbConn<'_>,
    unit: i64,
    until: DateTime<Utc>,
) -> AppResult<Vec<(i64, DateTime<Utc>, Figures)>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, MeasureRow>(
        "SELECT m.entry_id, m.at, m.records, m.checked, m.valid, m.complete, m.duplicates, m.format_errors
         FROM catalogue_measurements m JOIN catalogue_entries e ON e.id = m.entry_id
         WHERE e.owner_unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) AND m.at <= $2
         ORDER BY m.entry_id, m.at")
        .bind(unit).bind(until).fetch_all(&mut **c).await?);
    Ok(measures(rows))
}

/// Every measurement of every entry taken up to `until`, by entry and time (a ranking's
/// catalogue measures).
pub async fn measures_until(
    c: &mut DbConn<'_>,
    until: DateTime<Utc>,
) -> AppResult<Vec<(i64, DateTime<Utc>, Figures)>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, MeasureRow>(
        "SELECT entry_id, at, records, checked, valid, complete, duplicates, format_errors
         FROM catalogue_measurements WHERE at <= $1 ORDER BY entry_id, at")
        .bind(until).fetch_all(&mut **c).await?);
    Ok(measures(rows))
}

/// An entry as it stood at a moment: its owner, what its quality is judged against, and its
/// review state then.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryAt {
    pub id: i64,
    pub owner_unit_id: i64,
    pub expected_population: Option<i64>,
    #[sqlx(try_from = "String")]
    pub frequency: Frequency,
    #[sqlx(try_from = "String")]
    pub state: State,
}

/// Every entry that existed at `until`, in the state last recorded at or before it (the trail
/// `catalogue_states` keeps), by id.
pub async fn entries_at(c: &mut DbConn<'_>, until: DateTime<Utc>) -> AppResult<Vec<EntryAt>> {
    let mut rows = on_conn!(c, c => sqlx::query_as::<_, EntryAt>(
        "SELECT e.id, e.owner_unit_id, e.expected_population, e.frequency, s.state
         FROM catalogue_states s JOIN catalogue_entries e ON e.id = s.entry_id
         WHERE s.at <= $1 ORDER BY s.entry_id DESC, s.at DESC, s.id DESC")
        .bind(until).fetch_all(&mut **c).await?);
    // Newest first per entry: the first row of each entry is its state then.
    rows.dedup_by_key(|r| r.id);
    rows.reverse();
    Ok(rows)
}

/// A document attached to an entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CatalogueFile))]
pub struct FileRow {
    pub id: i64,
    pub entry_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    #[serde(skip)]
    pub stored_as: String,
    pub created_at: DateTime<Utc>,
}

const FILE_COLS: &str =
    "id, entry_id, file_name, content_type, size_bytes, sha256, stored_as, created_at";

pub async fn insert_file(
    c: &mut DbConn<'_>,
    entry_id: i64,
    f: &domain::files::StoredFile,
    now: DateTime<Utc>,
) -> AppResult<FileRow> {
    let sql = format!(
        "INSERT INTO catalogue_files (entry_id, file_name, content_type, size_bytes, sha256, stored_as, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {FILE_COLS}"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, FileRow>(&sql)
        .bind(entry_id).bind(&f.file_name).bind(f.content_type).bind(f.size).bind(&f.sha256).bind(&f.stored_as).bind(now)
        .fetch_one(&mut **c).await?))
}

/// An entry's documents, oldest first.
pub async fn files_of(c: &mut DbConn<'_>, entry_id: i64) -> AppResult<Vec<FileRow>> {
    let sql = format!("SELECT {FILE_COLS} FROM catalogue_files WHERE entry_id = $1 ORDER BY id");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, FileRow>(&sql).bind(entry_id).fetch_all(&mut **c).await?),
    )
}

pub async fn get_file(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<FileRow>> {
    let sql = format!("SELECT {FILE_COLS} FROM catalogue_files WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, FileRow>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}
