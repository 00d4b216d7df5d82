//! Evaluation and ranking (issue 14): methods and their versions, editions computed from the
//! platform's own data and published, a unit's scorecard within an edition, and what-if weights.
//! The rules (normalisation, aggregation, uncertainty, life cycle) are `domain::ranking`; this
//! module gathers the inputs, freezes them with their hash, and stores and reads the results.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::period::PeriodId;
use domain::policy::{self, Action, Decision, Principal, Scope};
use domain::ranking::engine::{self, Part, Table, UnitScore};
use domain::ranking::lifecycle::{self, Detail, VersionMove, VersionState};
use domain::ranking::method::{Method, PeerGroup};
use domain::ranking::{attribution, sources, uncertainty};
use store::audit::{Actor, Change, to_json};
use store::org_index::OrgIndex;
use store::rankings::{Edition, EditionUnit, MethodVersion, RankMethod};

/// Monte Carlo draws per edition: the issue asks for 1,000 for the provinces.
const DRAWS: usize = 1000;

fn may_manage(who: &Principal) -> AppResult<()> {
    crate::require(Some(who), Action::ManageRankings, Scope::Global)
}

/// Whether the reader sees drafts and unpublished editions (the Committee and inspectors).
pub fn sees_unpublished(who: Option<&Principal>) -> bool {
    policy::authorize(who, Action::ReadUnpublishedRankings, Scope::Global) == Decision::Allow
}

fn parse_document(json: &str) -> AppResult<Method> {
    serde_json::from_str(json).map_err(|e| AppError::internal(format!("method document: {e}")))
}

/// A method with the versions the reader may see.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MethodSummary {
    pub method: RankMethod,
    pub versions: Vec<MethodVersion>,
}

pub async fn methods(db: &Db, who: Option<&Principal>) -> AppResult<Vec<MethodSummary>> {
    let all = sees_unpublished(who);
    let mut c = db.acquire().await?;
    let mut out = vec![];
    for method in store::rankings::methods(&mut c.conn()).await? {
        let versions = store::rankings::versions(&mut c.conn(), method.id)
            .await?
            .into_iter()
            .filter(|v| all || v.state == VersionState::Published)
            .collect();
        out.push(MethodSummary { method, versions });
    }
    Ok(out)
}

/// The expert measures (`expert:<key>`) the methods use, each once with the name a method gives
/// it: what an inspector may enter a score for.
pub fn expert_keys(methods: &[MethodSummary]) -> Vec<(String, domain::ranking::method::Names)> {
    let mut keys = BTreeMap::new();
    for v in methods.iter().flat_map(|m| &m.versions) {
        let Ok(doc) = parse_document(&v.document) else {
            continue;
        };
        for m in doc.measures() {
            if let Some(k) = m.source.strip_prefix(sources::EXPERT) {
                keys.entry(k.to_string()).or_insert_with(|| m.name.clone());
            }
        }
    }
    keys.into_iter().collect()
}

/// A version with its method document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    pub method: RankMethod,
    pub version: MethodVersion,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: Method,
}

pub async fn version(
    db: &Db,
    who: Option<&Principal>,
    method_id: i64,
    number: i32,
) -> AppResult<VersionView> {
    let mut c = db.acquire().await?;
    let method = store::rankings::method(&mut c.conn(), method_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version = store::rankings::versions(&mut c.conn(), method_id)
        .await?
        .into_iter()
        .find(|v| v.version == number)
        .filter(|v| v.state == VersionState::Published || sees_unpublished(who))
        .ok_or(AppError::NotFound)?;
    let document = parse_document(&version.document)?;
    Ok(VersionView {
        method,
        version,
        document,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMethodInput {
    pub code: String,
    /// central_agency, province or commune.
    pub peer_group: String,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_fr: String,
    /// The project's example rather than an official method.
    #[serde(default)]
    pub example: bool,
    /// The first version's document.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: Method,
}

fn check_document(m: &Method) -> Vec<FieldError> {
    m.check(&sources::known)
        .into_iter()
        .map(|mut e| {
            e.field = format!("document.{}", e.field);
            e
        })
        .collect()
}

/// The document as stored, once it passes its checks.
fn checked_json(m: &Method) -> AppResult<String> {
    let errs = check_document(m);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    serde_json::to_string(m).map_err(AppError::internal)
}

/// Creates a method and its first version, a draft.
pub async fn create_method(
    db: &Db,
    who: &Principal,
    input: NewMethodInput,
) -> AppResult<VersionView> {
    may_manage(who)?;
    let mut errs = check_document(&input.document);
    let code = input.code.trim().to_string();
    if code.is_empty() || code.chars().count() > 40 {
        errs.push(FieldError::new("code", "err-rank-code"));
    }
    if PeerGroup::parse(&input.peer_group).is_none() {
        errs.push(FieldError::new("peer_group", "err-choice"));
    }
    if input.name_vi.trim().is_empty() {
        errs.push(FieldError::new("name_vi", "err-required"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let doc = serde_json::to_string(&input.document).map_err(AppError::internal)?;
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let method = store::rankings::insert_method(
        &mut c,
        &store::rankings::NewMethod {
            code: &code,
            peer_group: &input.peer_group,
            names: [
                input.name_vi.trim(),
                input.name_en.trim(),
                input.name_fr.trim(),
            ],
            example: input.example,
        },
        now,
    )
    .await
    .map_err(|e| match e {
        AppError::Db(ref d) if store::is_unique_violation(d) => {
            AppError::Conflict(vec![FieldError::new("code", "err-code-taken")])
        }
        e => e,
    })?;
    let version = store::rankings::insert_version(&mut c, method.id, &doc, "", now).await?;
    let changes = vec![
        Change::new("rank_method.create", "rank_method", method.id).after(to_json(&method)),
        Change::new("rank_version.create", "rank_version", version.id).after(Some(doc)),
    ];
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(VersionView {
        method,
        version,
        document: input.document,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentInput {
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: Method,
    #[serde(default)]
    pub note: String,
}

/// A new draft version of a method (a published version is never edited: it is followed).
pub async fn new_version(
    db: &Db,
    who: &Principal,
    method_id: i64,
    input: DocumentInput,
) -> AppResult<VersionView> {
    may_manage(who)?;
    let doc = checked_json(&input.document)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let method = store::rankings::method(&mut c, method_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version =
        store::rankings::insert_version(&mut c, method_id, &doc, input.note.trim(), now).await?;
    let change =
        Change::new("rank_version.create", "rank_version", version.id).after(Some(doc.clone()));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(VersionView {
        method,
        version,
        document: input.document,
    })
}

/// Replaces the document of a draft.
pub async fn edit_version(
    db: &Db,
    who: &Principal,
    version_id: i64,
    input: DocumentInput,
) -> AppResult<MethodVersion> {
    may_manage(who)?;
    let doc = checked_json(&input.document)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = store::rankings::version(&mut c, version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    lifecycle::may_edit(before.state).map_err(AppError::invalid)?;
    store::rankings::set_document(&mut c, version_id, &doc, input.note.trim(), now).await?;
    let after = store::rankings::version(&mut c, version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("rank_version.edit", "rank_version", version_id)
        .before(Some(before.document.clone()))
        .after(Some(doc));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(after)
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RankingMoveInput))]
pub struct MoveInput {
    /// approve, return or publish.
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// Approves, returns or publishes a version.
pub async fn move_version(
    db: &Db,
    who: &Principal,
    version_id: i64,
    input: MoveInput,
) -> AppResult<MethodVersion> {
    may_manage(who)?;
    let m = VersionMove::parse(input.action.trim())
        .ok_or_else(|| AppError::invalid(FieldError::new("action", "err-choice")))?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = store::rankings::version(&mut c, version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = lifecycle::next(before.state, m, &input.reason).map_err(AppError::invalid)?;
    store::rankings::set_state(&mut c, version_id, to, now).await?;
    let after = store::rankings::version(&mut c, version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = format!("rank_version.{}", m.as_str());
    let change = Change::new(&action, "rank_version", version_id)
        .before(Some(before.state.as_str().to_string()))
        .after(Some(
            serde_json::json!({"state": to.as_str(), "reason": input.reason.trim()}).to_string(),
        ));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(after)
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComputeInput {
    pub version_id: i64,
    /// 2026, 2026Q3 or 202607 (DHIS2 period identifiers).
    pub period: String,
    /// Default: the period's last day, or today if earlier.
    pub as_of: Option<NaiveDate>,
    /// Communes ranked within this province (commune methods only).
    pub within_unit: Option<i64>,
}

/// The peer group's units, by id.
fn group_units(
    snap: &store::org_index::Snapshot,
    group: PeerGroup,
    within: Option<i64>,
) -> Vec<i64> {
    let mut units: Vec<i64> = group
        .kinds()
        .iter()
        .flat_map(|k| snap.current_of_kind(*k))
        .filter(|u| within.is_none_or(|w| u.id != w && snap.chain(u.id).contains(&w)))
        .map(|u| u.id)
        .collect();
    units.sort_unstable();
    units
}

/// The raw values of every measure of `method` for `units`, from the platform's data.
async fn gather(
    db: &Db,
    org: &OrgIndex,
    method: &Method,
    units: Vec<i64>,
    period: PeriodId,
    as_of: NaiveDate,
) -> AppResult<Table> {
    let from = period.start();
    let wanted: Vec<&str> = method
        .measures()
        .iter()
        .map(|m| m.source.as_str())
        .collect();
    let mut values: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    let mut c = db.acquire().await?;
    if wanted.iter().any(|s| s.starts_with("tasks.")) {
        let rules: BTreeMap<i64, domain::status::Rules> =
            store::tasks::list_programmes(&mut c.conn())
                .await?
                .into_iter()
                .map(|p| (p.id, p.rules()))
                .collect();
        let rows: Vec<(domain::overview::Row, domain::status::Rules)> =
            store::tasks::lead_work(&mut c.conn())
                .await?
                .into_iter()
                .map(|(a, programme)| {
                    (
                        domain::overview::Row {
                            task_id: a.task_id,
                            group: None,
                            unit_id: a.unit_id,
                            facts: a.facts(),
                        },
                        rules.get(&programme).copied().unwrap_or_default(),
                    )
                })
                .collect();
        for (k, v) in sources::task_measures(&rows, from, as_of) {
            values.insert(k.to_string(), v);
        }
    }
    if wanted.iter().any(|s| s.starts_with("feedback.")) {
        let counts = store::rankings::feedback_counts(&mut c.conn(), from, as_of).await?;
        for (k, v) in sources::feedback_measures(&counts) {
            values.insert(k.to_string(), v);
        }
    }
    if wanted.contains(&"indicators.achievement") {
        let snap = org.snapshot(db).await?;
        let v = crate::indicators::figures::achievement_by_unit(
            &mut c.conn(),
            &snap,
            &units,
            from,
            as_of,
        )
        .await?;
        values.insert("indicators.achievement".to_string(), v);
    }
    if wanted.contains(&"indicators.on_time") {
        let sets = store::indicators::list_sets(&mut c.conn())
            .await?
            .into_iter()
            .map(|s| (s.id, (s.period_type, i64::from(s.entry_days))))
            .collect();
        let sheets: Vec<sources::Sheet> = store::indicators::sheets_submitted(&mut c.conn())
            .await?
            .into_iter()
            .filter_map(|(unit, set, period, state, at)| {
                Some(sources::Sheet {
                    unit,
                    set,
                    period: PeriodId::parse(&period)?,
                    approved: matches!(state.as_str(), "approved" | "accepted"),
                    submitted_on: at.map(domain::clock::local_date),
                })
            })
            .collect();
        values.insert(
            "indicators.on_time".to_string(),
            sources::indicator_timeliness(&sheets, &sets, from, as_of),
        );
    }
    if wanted.iter().any(|s| s.starts_with("catalogue.")) {
        let end = domain::clock::end_of_day(as_of);
        let snap = org.snapshot(db).await?;
        let mut measured: BTreeMap<i64, Vec<_>> = BTreeMap::new();
        for (id, at, f) in store::catalogue::measures_until(&mut c.conn(), end).await? {
            measured.entry(id).or_default().push((at, f));
        }
        let entries: Vec<sources::CatalogueEntry> =
            store::catalogue::entries_at(&mut c.conn(), end)
                .await?
                .into_iter()
                .map(|e| sources::CatalogueEntry {
                    units: snap.chain(e.owner_unit_id),
                    accepted: e.state == domain::catalogue::State::Accepted,
                    measured: domain::catalogue::Measured {
                        expected: e.expected_population,
                        frequency: e.frequency,
                        measures: measured.remove(&e.id).unwrap_or_default(),
                    },
                })
                .collect();
        for (k, v) in sources::catalogue_measures(&units, &entries, end) {
            values.insert(k.to_string(), v);
        }
    }
    for s in wanted.iter().filter(|s| s.starts_with(sources::EXPERT)) {
        let key = &s[sources::EXPERT.len()..];
        let v = store::rankings::expert_values(&mut c.conn(), key, &period.to_string()).await?;
        values.insert(s.to_string(), v);
    }
    let mut table = Table::new(units);
    for m in method.measures() {
        table.set(&m.code, values.get(&m.source).unwrap_or(&BTreeMap::new()));
    }
    Ok(table)
}

/// SHA-256 of what an edition's scores follow from: the method document, the period, the date
/// and the frozen table (units by id, measures by code, numbers as JSON writes them).
pub fn inputs_hash(method: &Method, period: &str, as_of: NaiveDate, table: &Table) -> String {
    let doc = serde_json::json!({
        "method": method, "period": period, "as_of": as_of, "table": table,
    });
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

/// The rows of an edition's units: the engine's results with the rank bands.
fn unit_rows(scores: &[UnitScore], bands: &[uncertainty::RankBand]) -> Vec<EditionUnit> {
    let band: BTreeMap<i64, &uncertainty::RankBand> = bands.iter().map(|b| (b.unit, b)).collect();
    scores
        .iter()
        .map(|s| {
            let b = band.get(&s.unit);
            EditionUnit {
                edition_id: 0,
                unit_id: s.unit,
                score: s.score,
                rank: s.rank.map(|r| r as i32),
                grade: s.grade.clone(),
                quartile: s.quartile.map(i32::from),
                rank_median: b.map(|b| b.median),
                rank_low: b.map(|b| b.low as i32),
                rank_high: b.map(|b| b.high as i32),
                parts: serde_json::to_string(&s.parts).unwrap_or_default(),
            }
        })
        .collect()
}

/// Computes an edition of a version for a period and stores it, frozen (not yet published).
pub async fn compute(
    db: &Db,
    org: &OrgIndex,
    who: &Principal,
    input: ComputeInput,
) -> AppResult<Edition> {
    may_manage(who)?;
    let period = PeriodId::parse(input.period.trim())
        .ok_or_else(|| AppError::invalid(FieldError::new("period", "err-period")))?;
    let today = domain::clock::local_date(Utc::now());
    let as_of = input.as_of.unwrap_or_else(|| period.end().min(today));
    if as_of < period.start() {
        return Err(AppError::invalid(FieldError::new(
            "as_of",
            "err-rank-as-of",
        )));
    }
    let (version, method) = {
        let mut c = db.acquire().await?;
        let version = store::rankings::version(&mut c.conn(), input.version_id)
            .await?
            .ok_or_else(|| {
                AppError::invalid(FieldError::new("version_id", "err-no-such-version"))
            })?;
        let method = store::rankings::method(&mut c.conn(), version.method_id)
            .await?
            .ok_or(AppError::NotFound)?;
        (version, method)
    };
    let group = PeerGroup::parse(&method.peer_group)
        .ok_or_else(|| AppError::internal("unknown peer group"))?;
    let snap = org.snapshot(db).await?;
    if let Some(w) = input.within_unit
        && (group != PeerGroup::Commune
            || snap
                .get(w)
                .is_none_or(|u| u.kind != domain::org::OrgKind::Province))
    {
        return Err(AppError::invalid(FieldError::new(
            "within_unit",
            "err-rank-within",
        )));
    }
    let document = parse_document(&version.document)?;
    let units = group_units(&snap, group, input.within_unit);
    let started = std::time::Instant::now();
    let table = gather(db, org, &document, units, period, as_of).await?;
    let gathered = started.elapsed();
    let period_text = period.to_string();
    let hash = inputs_hash(&document, &period_text, as_of, &table);
    // The engine is CPU work of up to a few seconds for the communes: off the async threads.
    let (ranking, bands, effects, table, timings) = tokio::task::spawn_blocking(move || {
        let t = std::time::Instant::now();
        let ranking = engine::compute(&document, &table);
        let scored = t.elapsed();
        let spread = uncertainty::Spread {
            draws: DRAWS,
            ..Default::default()
        };
        let bands = uncertainty::monte_carlo(&document, &table, &spread);
        let drawn = t.elapsed() - scored;
        let effects = uncertainty::sensitivity(&document, &table, &spread);
        (ranking, bands, effects, table, (scored, drawn))
    })
    .await
    .map_err(AppError::internal)?;
    tracing::info!(
        units = table.units.len(),
        gather_ms = gathered.as_millis() as u64,
        score_ms = timings.0.as_millis() as u64,
        monte_carlo_ms = timings.1.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "ranking edition computed"
    );
    let rows = unit_rows(&ranking.units, &bands);
    let json = |v: serde_json::Result<String>| v.map_err(AppError::internal);
    let (inputs, bands, effects, medians) = (
        json(serde_json::to_string(&table))?,
        json(serde_json::to_string(&bands))?,
        json(serde_json::to_string(&effects))?,
        json(serde_json::to_string(&ranking.medians))?,
    );
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let edition = store::rankings::insert_edition(
        &mut tx.conn(),
        &store::rankings::NewEdition {
            version_id: version.id,
            period: &period_text,
            as_of,
            within_unit: input.within_unit,
            inputs: &inputs,
            inputs_hash: &hash,
            bands: &bands,
            sensitivity: &effects,
            medians: &medians,
            computed_by: Some(who.user_id),
        },
        &rows,
        now,
    )
    .await?;
    let change =
        Change::new("rank_edition.compute", "rank_edition", edition.id).after(to_json(&edition));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(edition)
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishInput {
    /// What the public sees: scores (ranks, scores and grades), pillars (and each pillar's
    /// points) or full (down to each measure's raw value).
    pub detail: String,
}

/// Publishes an edition: it becomes public at the chosen detail and never changes.
pub async fn publish(
    db: &Db,
    who: &Principal,
    edition_id: i64,
    input: PublishInput,
) -> AppResult<Edition> {
    may_manage(who)?;
    let detail = Detail::parse(input.detail.trim())
        .ok_or_else(|| AppError::invalid(FieldError::new("detail", "err-choice")))?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = store::rankings::edition(&mut c, edition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version = store::rankings::version(&mut c, before.version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    lifecycle::may_publish_edition(version.state, before.published_at.is_some())
        .map_err(AppError::invalid)?;
    store::rankings::publish_edition(&mut c, edition_id, detail.as_str(), now).await?;
    let after = store::rankings::edition(&mut c, edition_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change =
        Change::new("rank_edition.publish", "rank_edition", edition_id).after(to_json(&after));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(after)
}

/// An edition with what it was computed by.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditionHead {
    pub edition: Edition,
    pub method: RankMethod,
    pub version: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub version_state: VersionState,
}

/// The editions the reader may see, newest first.
pub async fn editions(db: &Db, who: Option<&Principal>) -> AppResult<Vec<EditionHead>> {
    let mut c = db.acquire().await?;
    let all = sees_unpublished(who);
    let methods: BTreeMap<i64, RankMethod> = store::rankings::methods(&mut c.conn())
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let mut versions: BTreeMap<i64, MethodVersion> = BTreeMap::new();
    let mut out = vec![];
    for e in store::rankings::editions(&mut c.conn(), all).await? {
        if !versions.contains_key(&e.version_id)
            && let Some(v) = store::rankings::version(&mut c.conn(), e.version_id).await?
        {
            versions.insert(v.id, v);
        }
        let Some(v) = versions.get(&e.version_id) else {
            continue;
        };
        let Some(m) = methods.get(&v.method_id) else {
            continue;
        };
        out.push(EditionHead {
            method: m.clone(),
            version: v.version,
            version_state: v.state,
            edition: e,
        });
    }
    Ok(out)
}

async fn head(db: &Db, who: Option<&Principal>, id: i64) -> AppResult<(EditionHead, Method)> {
    let mut c = db.acquire().await?;
    let edition = store::rankings::edition(&mut c.conn(), id)
        .await?
        .filter(|e| e.published_at.is_some() || sees_unpublished(who))
        .ok_or(AppError::NotFound)?;
    let version = store::rankings::version(&mut c.conn(), edition.version_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let method = store::rankings::method(&mut c.conn(), version.method_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let document = parse_document(&version.document)?;
    Ok((
        EditionHead {
            edition,
            method,
            version: version.version,
            version_state: version.state,
        },
        document,
    ))
}

/// How much of the edition's units the reader sees: everything for those who see unpublished
/// editions, else what the publication chose.
fn detail_for(head: &EditionHead, who: Option<&Principal>) -> Detail {
    if sees_unpublished(who) {
        return Detail::Full;
    }
    head.edition
        .public_detail
        .as_deref()
        .and_then(Detail::parse)
        .unwrap_or(Detail::Scores)
}

/// One unit's line in an edition.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedUnit {
    pub unit_id: i64,
    pub name: String,
    pub score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<String>,
    pub quartile: Option<i32>,
    /// Median rank and 5–95 % interval over the Monte Carlo draws.
    pub rank_median: Option<f64>,
    pub rank_low: Option<i32>,
    pub rank_high: Option<i32>,
    /// Points of each pillar (when the edition shows its detail).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub pillars: BTreeMap<String, Option<f64>>,
}

impl RankedUnit {
    /// A stored row as a reader sees it: the unit's name in `lang`, and the points of each of
    /// `method`'s pillars when the detail shown includes them.
    fn of(
        row: EditionUnit,
        snap: &store::org_index::Snapshot,
        method: &Method,
        detail: Detail,
        lang: &str,
    ) -> RankedUnit {
        let parts: BTreeMap<String, Part> = if detail >= Detail::Pillars {
            serde_json::from_str(&row.parts).unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        RankedUnit {
            name: snap
                .get(row.unit_id)
                .map(|u| u.name(lang).to_string())
                .unwrap_or_default(),
            unit_id: row.unit_id,
            score: row.score,
            rank: row.rank,
            grade: row.grade,
            quartile: row.quartile,
            rank_median: row.rank_median,
            rank_low: row.rank_low,
            rank_high: row.rank_high,
            pillars: method
                .pillars
                .iter()
                .filter_map(|p| Some((p.code().to_string(), parts.get(p.code())?.points)))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditionView {
    #[serde(flatten)]
    pub head: EditionHead,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub document: Method,
    pub units: Vec<RankedUnit>,
    /// Which choice moves the ranks most (one at a time), largest first.
    pub sensitivity: Vec<uncertainty::Effect>,
}

/// An edition's lines as a class of readers sees them, built once: an edition's rows never
/// change after it is computed, so the key is the edition, whether the detail is shown, the
/// language and the tree's version (for the names). Parsing every part of 3,321 communes took
/// 245 ms a request.
pub type UnitsCache = crate::memo::Memo<(i64, Detail, String, i64), EditionLines>;

pub struct EditionLines {
    pub units: Vec<RankedUnit>,
    pub sensitivity: Vec<uncertainty::Effect>,
    /// Where each unit stands in `units`: a page of 100 communes looks up its units' names and
    /// their ranks in earlier editions without walking 3,321 lines per edition.
    pub at: std::collections::HashMap<i64, usize>,
    /// How many units are ranked.
    pub ranked: usize,
    /// The changelog against an earlier edition, by that edition's id: both editions' lines
    /// never change, so it is worked out once.
    changelogs:
        std::sync::Mutex<BTreeMap<i64, std::sync::Arc<domain::ranking::changelog::Changelog>>>,
}

impl EditionLines {
    fn new(units: Vec<RankedUnit>, sensitivity: Vec<uncertainty::Effect>) -> EditionLines {
        EditionLines {
            at: units
                .iter()
                .enumerate()
                .map(|(i, u)| (u.unit_id, i))
                .collect(),
            ranked: units.iter().filter(|u| u.rank.is_some()).count(),
            units,
            sensitivity,
            changelogs: Default::default(),
        }
    }

    /// The unit's line, if it is in the edition.
    pub fn unit(&self, unit_id: i64) -> Option<&RankedUnit> {
        self.at.get(&unit_id).map(|i| &self.units[*i])
    }
}

/// An edition's head and method, and its lines as the reader's class sees them, shared from the
/// cache (a changelog or a sparkline reads them without copying 3,321 lines).
pub async fn edition_lines(
    db: &Db,
    org: &OrgIndex,
    cache: &UnitsCache,
    who: Option<&Principal>,
    id: i64,
    lang: &str,
) -> AppResult<(EditionHead, Method, std::sync::Arc<EditionLines>)> {
    let (head, document) = head(db, who, id).await?;
    let lines = lines_of(db, org, cache, who, &head, Some(&document), lang).await?;
    Ok((head, document, lines))
}

/// The lines of an edition whose head the reader has already been given (from `series`), so
/// that a page drawing on seven earlier editions does not read each head again. The method's
/// document is read only when the lines are not cached.
pub async fn lines_of(
    db: &Db,
    org: &OrgIndex,
    cache: &UnitsCache,
    who: Option<&Principal>,
    head: &EditionHead,
    document: Option<&Method>,
    lang: &str,
) -> AppResult<std::sync::Arc<EditionLines>> {
    let id = head.edition.id;
    let detail = detail_for(head, who);
    let snap = org.snapshot(db).await?;
    let key = (id, detail, lang.to_string(), snap.version);
    if let Some(lines) = cache.get(&key) {
        return Ok(lines);
    }
    let mut c = db.acquire().await?;
    let read;
    let document = match document {
        Some(d) => d,
        None => {
            let version = store::rankings::version(&mut c.conn(), head.edition.version_id)
                .await?
                .ok_or(AppError::NotFound)?;
            read = parse_document(&version.document)?;
            &read
        }
    };
    let rows = store::rankings::edition_units(&mut c.conn(), id).await?;
    let blobs = store::rankings::edition_blobs(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let units = rows
        .into_iter()
        .map(|r| RankedUnit::of(r, &snap, document, detail, lang))
        .collect::<Vec<_>>();
    let sensitivity: Vec<uncertainty::Effect> =
        serde_json::from_str(&blobs.sensitivity).unwrap_or_default();
    let lines = std::sync::Arc::new(EditionLines::new(units, sensitivity));
    cache.put(key, lines.clone());
    Ok(lines)
}

pub async fn edition(
    db: &Db,
    org: &OrgIndex,
    cache: &UnitsCache,
    who: Option<&Principal>,
    id: i64,
    lang: &str,
) -> AppResult<EditionView> {
    let (head, document, lines) = edition_lines(db, org, cache, who, id, lang).await?;
    Ok(EditionView {
        head,
        document,
        units: lines.units.clone(),
        sensitivity: lines.sensitivity.clone(),
    })
}

/// One node or measure of a unit's scorecard.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardLine {
    pub code: String,
    pub name: String,
    /// 0 for a pillar, 1 below it, …
    pub depth: usize,
    /// The weight in the method.
    pub weight: f64,
    /// Where the raw value comes from (measures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub part: Part,
    /// The peer group's median points.
    pub median: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RankingScorecard))]
pub struct Scorecard {
    #[serde(flatten)]
    pub head: EditionHead,
    pub unit: RankedUnit,
    /// Every pillar, component and measure, in the method's order (when the reader may see the
    /// detail).
    pub lines: Vec<CardLine>,
}

pub async fn scorecard(
    db: &Db,
    org: &OrgIndex,
    who: Option<&Principal>,
    id: i64,
    unit_id: i64,
    lang: &str,
) -> AppResult<Scorecard> {
    let (head, document) = head(db, who, id).await?;
    let detail = detail_for(&head, who);
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let row = store::rankings::edition_unit(&mut c.conn(), id, unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let blobs = store::rankings::edition_blobs(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let medians: BTreeMap<String, f64> = serde_json::from_str(&blobs.medians).unwrap_or_default();
    let parts: BTreeMap<String, Part> = serde_json::from_str(&row.parts).unwrap_or_default();
    let mut lines = vec![];
    if detail >= Detail::Pillars {
        fn walk(
            items: &[domain::ranking::method::Item],
            depth: usize,
            deepest: usize,
            lang: &str,
            parts: &BTreeMap<String, Part>,
            medians: &BTreeMap<String, f64>,
            out: &mut Vec<CardLine>,
        ) {
            use domain::ranking::method::Item;
            for i in items {
                let Some(part) = parts.get(i.code()) else {
                    continue;
                };
                out.push(CardLine {
                    code: i.code().to_string(),
                    name: i.name().get(lang).to_string(),
                    depth,
                    weight: i.weight(),
                    source: match i {
                        Item::Measure(m) => Some(m.source.clone()),
                        Item::Node(_) => None,
                    },
                    part: part.clone(),
                    median: medians.get(i.code()).copied(),
                });
                if let Item::Node(n) = i
                    && depth < deepest
                {
                    walk(&n.children, depth + 1, deepest, lang, parts, medians, out);
                }
            }
        }
        // At the pillars' level of detail, the pillars only.
        let deepest = if detail == Detail::Full {
            usize::MAX
        } else {
            0
        };
        walk(
            &document.pillars,
            0,
            deepest,
            lang,
            &parts,
            &medians,
            &mut lines,
        );
    }
    Ok(Scorecard {
        unit: RankedUnit::of(row, &snap, &document, detail, lang),
        head,
        lines,
    })
}

/// Recomputes an edition from its frozen inputs: whether the hash and every score come out the
/// same (the reproducibility the issue asks for).
pub async fn reproduce(db: &Db, who: Option<&Principal>, id: i64) -> AppResult<bool> {
    let (head, document) = head(db, who, id).await?;
    let mut c = db.acquire().await?;
    let blobs = store::rankings::edition_blobs(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = store::rankings::edition_units(&mut c.conn(), id).await?;
    let table: Table = serde_json::from_str(&blobs.inputs).map_err(AppError::internal)?;
    let hash = inputs_hash(&document, &head.edition.period, head.edition.as_of, &table);
    let ranking = engine::compute(&document, &table);
    let stored: BTreeMap<i64, (Option<f64>, Option<i32>)> = rows
        .iter()
        .map(|r| (r.unit_id, (r.score, r.rank)))
        .collect();
    let same = ranking
        .units
        .iter()
        .all(|u| stored.get(&u.unit) == Some(&(u.score, u.rank.map(|r| r as i32))))
        && ranking.units.len() == stored.len();
    Ok(hash == head.edition.inputs_hash && same)
}

/// The editions of `id`'s method and scope the reader may see, up to and including `id`, oldest
/// first: a unit's history, and the edition before for the changelog and "why".
pub async fn series(db: &Db, who: Option<&Principal>, id: i64) -> AppResult<Vec<EditionHead>> {
    let all = editions(db, who).await?;
    let this = all
        .iter()
        .find(|e| e.edition.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let key = |e: &EditionHead| (e.edition.as_of, e.edition.id);
    let mut out: Vec<EditionHead> = all
        .into_iter()
        .filter(|e| {
            e.method.id == this.method.id
                && e.edition.within_unit == this.edition.within_unit
                && key(e) <= key(&this)
        })
        .collect();
    out.sort_by_key(key);
    Ok(out)
}

/// One edition in a unit's history.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    pub edition_id: i64,
    pub period: String,
    pub as_of: NaiveDate,
    pub score: Option<f64>,
    pub rank: Option<i32>,
    pub grade: Option<String>,
}

/// A unit's score, rank and grade in every edition of the series up to `id`, oldest first.
pub async fn history(
    db: &Db,
    who: Option<&Principal>,
    id: i64,
    unit_id: i64,
) -> AppResult<Vec<HistoryPoint>> {
    let series = series(db, who, id).await?;
    let mut c = db.acquire().await?;
    let mut out = vec![];
    for e in series {
        let row = store::rankings::edition_unit(&mut c.conn(), e.edition.id, unit_id).await?;
        out.push(HistoryPoint {
            edition_id: e.edition.id,
            period: e.edition.period,
            as_of: e.edition.as_of,
            score: row.as_ref().and_then(|r| r.score),
            rank: row.as_ref().and_then(|r| r.rank),
            grade: row.and_then(|r| r.grade),
        });
    }
    Ok(out)
}

/// What changed since the edition before in `series` (as `series` gives it, ending with this
/// edition), when there is one: (that edition, the changes).
pub async fn changes(
    db: &Db,
    org: &OrgIndex,
    cache: &UnitsCache,
    who: Option<&Principal>,
    series: &[EditionHead],
    lang: &str,
) -> AppResult<
    Option<(
        EditionHead,
        std::sync::Arc<domain::ranking::changelog::Changelog>,
    )>,
> {
    use domain::ranking::changelog::{Place, between};
    let [.., before, this] = series else {
        return Ok(None);
    };
    let now = lines_of(db, org, cache, who, this, None, lang).await?;
    let id = before.edition.id;
    if let Some(log) = now
        .changelogs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
    {
        return Ok(Some((before.clone(), log.clone())));
    }
    let then = lines_of(db, org, cache, who, before, None, lang).await?;
    let places = |v: &EditionLines| -> Vec<Place> {
        v.units
            .iter()
            .map(|u| Place {
                unit: u.unit_id,
                rank: u.rank,
                grade: u.grade.clone(),
            })
            .collect()
    };
    let log = std::sync::Arc::new(between(&places(&then), &places(&now)));
    now.changelogs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, log.clone());
    Ok(Some((before.clone(), log)))
}

/// "Why did my score change?" between two editions of the same peer group: each pillar's part.
pub async fn why(
    db: &Db,
    who: Option<&Principal>,
    from: i64,
    to: i64,
    unit_id: i64,
) -> AppResult<Vec<attribution::Change>> {
    let mut sides = vec![];
    for id in [from, to] {
        let (head, document) = head(db, who, id).await?;
        let mut c = db.acquire().await?;
        let row = store::rankings::edition_unit(&mut c.conn(), id, unit_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let parts: BTreeMap<String, Part> = if detail_for(&head, who) >= Detail::Pillars {
            serde_json::from_str(&row.parts).unwrap_or_default()
        } else {
            return Err(AppError::Forbidden);
        };
        sides.push((
            document,
            UnitScore {
                unit: unit_id,
                score: row.score,
                rank: row.rank.map(|r| r as u32),
                grade: row.grade,
                quartile: None,
                parts,
            },
        ));
    }
    let (b, a) = (&sides[0], &sides[1]);
    Ok(attribution::attribute((&b.0, &b.1), (&a.0, &a.1)))
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfInput {
    /// New weights by node or measure code; the others keep theirs.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub weights: BTreeMap<String, f64>,
}

/// A unit's score and rank under other weights.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfUnit {
    pub unit_id: i64,
    pub score: Option<f64>,
    pub rank: Option<u32>,
    /// The rank in the edition as computed.
    pub was: Option<u32>,
}

/// Recomputes an edition's frozen inputs with other weights, without saving (leaders try them).
pub async fn what_if(
    db: &Db,
    who: &Principal,
    id: i64,
    input: WhatIfInput,
) -> AppResult<Vec<WhatIfUnit>> {
    if !sees_unpublished(Some(who)) {
        return Err(AppError::Forbidden);
    }
    let (_, mut document) = head(db, Some(who), id).await?;
    let mut errs = vec![];
    let codes = weight_codes(&document);
    for (code, w) in &input.weights {
        if !codes.contains(code) {
            errs.push(FieldError::new(&format!("weights.{code}"), "err-rank-code"));
        } else if !(w.is_finite() && *w > 0.0) {
            errs.push(FieldError::new(
                &format!("weights.{code}"),
                "err-rank-weight",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    set_weights(&mut document, &input.weights);
    let mut c = db.acquire().await?;
    let blobs = store::rankings::edition_blobs(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let table: Table = serde_json::from_str(&blobs.inputs).map_err(AppError::internal)?;
    let was: BTreeMap<i64, Option<u32>> = store::rankings::edition_units(&mut c.conn(), id)
        .await?
        .iter()
        .map(|r| (r.unit_id, r.rank.map(|r| r as u32)))
        .collect();
    let ranking = engine::compute(&document, &table);
    let mut out: Vec<WhatIfUnit> = ranking
        .units
        .into_iter()
        .map(|u| WhatIfUnit {
            unit_id: u.unit,
            score: u.score,
            rank: u.rank,
            was: was.get(&u.unit).copied().flatten(),
        })
        .collect();
    out.sort_by_key(|u| (u.rank.is_none(), u.rank, u.unit_id));
    Ok(out)
}

fn weight_codes(m: &Method) -> Vec<String> {
    use domain::ranking::method::Item;
    fn walk(items: &[Item], out: &mut Vec<String>) {
        for i in items {
            out.push(i.code().to_string());
            if let Item::Node(n) = i {
                walk(&n.children, out);
            }
        }
    }
    let mut out = vec![];
    walk(&m.pillars, &mut out);
    out
}

fn set_weights(m: &mut Method, weights: &BTreeMap<String, f64>) {
    use domain::ranking::method::Item;
    fn walk(items: &mut [Item], weights: &BTreeMap<String, f64>) {
        for i in items {
            let w = weights.get(i.code()).copied();
            match i {
                Item::Node(n) => {
                    if let Some(w) = w {
                        n.weight = w;
                    }
                    walk(&mut n.children, weights);
                }
                Item::Measure(me) => {
                    if let Some(w) = w {
                        me.weight = w;
                    }
                }
            }
        }
    }
    walk(&mut m.pillars, weights);
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpertInput {
    /// The measure's key (`expert:<key>` in a method).
    pub key: String,
    pub unit_id: i64,
    pub period: String,
    pub value: f64,
    /// What the value rests on (an inspection report, its number and date).
    pub evidence: String,
}

/// Enters an inspector's value for a unit and period, with its evidence.
pub async fn enter_expert(
    db: &Db,
    org: &OrgIndex,
    who: &Principal,
    input: ExpertInput,
) -> AppResult<store::rankings::ExpertScore> {
    crate::require(Some(who), Action::EnterExpertScores, Scope::Global)?;
    let mut errs = vec![];
    let key = input.key.trim().to_string();
    if !sources::known(&format!("{}{key}", sources::EXPERT)) {
        errs.push(FieldError::new("key", "err-rank-code"));
    }
    if PeriodId::parse(input.period.trim()).is_none() {
        errs.push(FieldError::new("period", "err-period"));
    }
    if !input.value.is_finite() {
        errs.push(FieldError::new("value", "err-number"));
    }
    let evidence = domain::text::nfc(input.evidence.trim());
    if evidence.is_empty() {
        errs.push(FieldError::new("evidence", "err-required"));
    }
    let snap = org.snapshot(db).await?;
    if snap.get(input.unit_id).is_none() {
        errs.push(FieldError::new("unit_id", "err-no-such-unit"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let score = store::rankings::ExpertScore {
        key,
        unit_id: input.unit_id,
        period: input.period.trim().to_string(),
        value: input.value,
        evidence,
        entered_at: now,
    };
    let mut tx = db.begin().await?;
    let before = store::rankings::put_expert(&mut tx.conn(), &score, who.user_id).await?;
    let change = Change::new(
        "rank_expert.enter",
        "rank_expert",
        format!("{}:{}:{}", score.key, score.unit_id, score.period),
    )
    .before(before.as_ref().and_then(to_json))
    .after(to_json(&score));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(score)
}
