//! Indicator sets, indicators with their revisions, targets, values with the values they
//! replaced, submissions, and the per-indicator version counters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::bulk::{self, Col};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;
use domain::indicators::approval::State;
use domain::indicators::measure::Trajectory;
use domain::indicators::rules::{Importance, Missing};
use domain::indicators::target::Comparator;
use domain::indicators::{Aggregation, Direction, PeriodId, PeriodType, ValueType};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorSet {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub programme_id: Option<i64>,
    pub owner_unit_id: i64,
    #[sqlx(try_from = "String")]
    pub period_type: PeriodType,
    /// Days after a period ends until its values are late.
    pub entry_days: i32,
}

const SET_COLS: &str =
    "id, code, name_vi, name_en, name_fr, programme_id, owner_unit_id, period_type, entry_days";

pub struct NewSet<'a> {
    pub code: &'a str,
    pub name_vi: &'a str,
    pub name_en: &'a str,
    pub name_fr: &'a str,
    pub programme_id: Option<i64>,
    pub owner_unit_id: i64,
    pub period_type: PeriodType,
    pub entry_days: i32,
}

pub async fn insert_set(c: &mut DbConn<'_>, s: &NewSet<'_>, now: DateTime<Utc>) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO indicator_sets (code, name_vi, name_en, name_fr, programme_id, owner_unit_id, period_type, entry_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
        .bind(s.code).bind(s.name_vi).bind(s.name_en).bind(s.name_fr).bind(s.programme_id).bind(s.owner_unit_id)
        .bind(s.period_type.as_str()).bind(s.entry_days).bind(now).fetch_one(&mut **c).await?))
}

pub async fn list_sets(c: &mut DbConn<'_>) -> AppResult<Vec<IndicatorSet>> {
    let sql = format!("SELECT {SET_COLS} FROM indicator_sets ORDER BY id");
    Ok(on_conn!(c, c => sqlx::query_as::<_, IndicatorSet>(&sql).fetch_all(&mut **c).await?))
}

pub async fn get_set(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<IndicatorSet>> {
    let sql = format!("SELECT {SET_COLS} FROM indicator_sets WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, IndicatorSet>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn set_by_code(c: &mut DbConn<'_>, code: &str) -> AppResult<Option<IndicatorSet>> {
    let sql = format!("SELECT {SET_COLS} FROM indicator_sets WHERE code = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, IndicatorSet>(&sql).bind(code).fetch_optional(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    pub id: i64,
    pub set_id: i64,
    /// Unique across sets (the DHIS2 data element code).
    pub code: String,
    /// As numbered in the source document, e.g. "11.1".
    pub number: String,
    pub position: i32,
    pub parent_id: Option<i64>,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub definition: String,
    pub method: String,
    pub source: String,
    pub unit_of_measure: String,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub value_type: ValueType,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub direction: Direction,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub aggregation: Aggregation,
    /// Labels of the breakdown, '|'-separated; empty when none.
    pub disaggregations: String,
    pub responsible_unit_id: Option<i64>,
    pub responsible_text: String,
    pub is_public: bool,
    pub revision: i32,
}

impl Indicator {
    /// The breakdown labels; `[""]` (the total only) when there is none.
    pub fn breakdown(&self) -> Vec<&str> {
        if self.disaggregations.is_empty() {
            vec![""]
        } else {
            self.disaggregations.split('|').collect()
        }
    }
}

const IND_COLS: &str = "id, set_id, code, number, position, parent_id, name_vi, name_en, name_fr, definition, method, source, unit_of_measure, value_type, direction, aggregation, disaggregations, responsible_unit_id, responsible_text, is_public, revision";

pub struct NewIndicator<'a> {
    pub set_id: i64,
    pub code: &'a str,
    pub number: &'a str,
    pub position: i32,
    pub parent_id: Option<i64>,
    pub name_vi: &'a str,
    pub name_en: &'a str,
    pub name_fr: &'a str,
    pub definition: &'a str,
    pub method: &'a str,
    pub source: &'a str,
    pub unit_of_measure: &'a str,
    pub value_type: ValueType,
    pub direction: Direction,
    pub aggregation: Aggregation,
    pub disaggregations: &'a str,
    pub responsible_unit_id: Option<i64>,
    pub responsible_text: &'a str,
    pub is_public: bool,
}

/// Inserts an indicator and its first revision.
pub async fn insert_indicator(
    c: &mut DbConn<'_>,
    i: &NewIndicator<'_>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Indicator> {
    let id = on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO indicators (set_id, code, number, position, parent_id, name_vi, name_en, name_fr, definition, method, source, unit_of_measure,
                                 value_type, direction, aggregation, disaggregations, responsible_unit_id, responsible_text, is_public, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id")
        .bind(i.set_id).bind(i.code).bind(i.number).bind(i.position).bind(i.parent_id).bind(i.name_vi).bind(i.name_en).bind(i.name_fr)
        .bind(i.definition).bind(i.method).bind(i.source).bind(i.unit_of_measure).bind(i.value_type.as_str()).bind(i.direction.as_str())
        .bind(i.aggregation.as_str()).bind(i.disaggregations).bind(i.responsible_unit_id).bind(i.responsible_text).bind(i.is_public).bind(now)
        .fetch_one(&mut **c).await?);
    let row = get_indicator(c, id).await?.expect("just inserted");
    record_revision(c, &row, by, now).await?;
    bump_data(c).await?;
    Ok(row)
}

/// Keeps the definition as it now is under its revision number.
pub async fn record_revision(
    c: &mut DbConn<'_>,
    i: &Indicator,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let json = serde_json::to_string(i).unwrap_or_default();
    on_conn!(c, c => sqlx::query(
        "INSERT INTO indicator_revisions (indicator_id, revision, definition, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5)")
        .bind(i.id).bind(i.revision).bind(json).bind(now).bind(by).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Every revision of a definition, newest first: (revision, definition as JSON, when).
pub async fn revisions(
    c: &mut DbConn<'_>,
    indicator_id: i64,
) -> AppResult<Vec<(i32, String, DateTime<Utc>)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i32, String, DateTime<Utc>)>(
        "SELECT revision, definition, changed_at FROM indicator_revisions WHERE indicator_id = $1 ORDER BY revision DESC")
        .bind(indicator_id).fetch_all(&mut **c).await?),
    )
}

pub async fn get_indicator(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Indicator>> {
    let sql = format!("SELECT {IND_COLS} FROM indicators WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Indicator>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

/// The sub-indicators of an indicator, in order.
pub async fn children_of(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<Indicator>> {
    let sql = format!("SELECT {IND_COLS} FROM indicators WHERE parent_id = $1 ORDER BY position");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Indicator>(&sql).bind(id).fetch_all(&mut **c).await?))
}

/// Every indicator, by set and position.
pub async fn list_indicators(c: &mut DbConn<'_>) -> AppResult<Vec<Indicator>> {
    let sql = format!("SELECT {IND_COLS} FROM indicators ORDER BY set_id, position");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Indicator>(&sql).fetch_all(&mut **c).await?))
}

pub async fn linked_tasks(
    c: &mut DbConn<'_>,
    indicator_id: i64,
) -> AppResult<Vec<(i64, String, String)>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, String, String)>(
        "SELECT t.id, t.code, t.title FROM indicator_tasks it JOIN tasks t ON t.id = it.task_id WHERE it.indicator_id = $1 ORDER BY t.id")
        .bind(indicator_id).fetch_all(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetRow {
    pub id: i64,
    pub indicator_id: i64,
    pub unit_id: i64,
    /// '' for the total.
    pub disaggregation: String,
    /// The period the target is for (a year such as "2030").
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    /// baseline, target or milestone.
    pub kind: String,
    pub comparator: Option<String>,
    pub value: Option<f64>,
    pub upper: Option<f64>,
    pub note: String,
    /// As written in the source.
    pub written: String,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub trajectory: Trajectory,
    /// approved, or proposed (waiting for the assigning level).
    pub state: String,
}

impl TargetRow {
    /// The figure as a domain target (None for a baseline or a milestone).
    pub fn target(&self) -> Option<domain::indicators::target::Target> {
        let comparator = Comparator::parse(self.comparator.as_deref()?)?;
        Some(domain::indicators::target::Target {
            comparator,
            value: self.value?,
            upper: self.upper,
            label: Some(self.disaggregation.clone()).filter(|d| !d.is_empty()),
            note: Some(self.note.clone()).filter(|n| !n.is_empty()),
        })
    }
}

pub struct NewTarget<'a> {
    pub indicator_id: i64,
    pub unit_id: i64,
    pub disaggregation: &'a str,
    pub period: PeriodId,
    pub kind: &'a str,
    pub comparator: Option<Comparator>,
    pub value: Option<f64>,
    pub upper: Option<f64>,
    pub note: &'a str,
    pub written: &'a str,
    pub trajectory: Trajectory,
    pub state: &'a str,
}

/// Sets a target (or baseline, or milestone), replacing the one with the same key.
pub async fn put_target(c: &mut DbConn<'_>, t: &NewTarget<'_>) -> AppResult<i64> {
    bump_data(c).await?;
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO indicator_targets (indicator_id, unit_id, disaggregation, period, kind, comparator, value, upper, note, written, trajectory, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (indicator_id, unit_id, disaggregation, period, kind) DO UPDATE SET comparator = excluded.comparator, value = excluded.value,
            upper = excluded.upper, note = excluded.note, written = excluded.written, trajectory = excluded.trajectory, state = excluded.state
         RETURNING id")
        .bind(t.indicator_id).bind(t.unit_id).bind(t.disaggregation).bind(t.period.to_string()).bind(t.kind)
        .bind(t.comparator.map(|c| c.as_str())).bind(t.value).bind(t.upper).bind(t.note).bind(t.written)
        .bind(t.trajectory.as_str()).bind(t.state).fetch_one(&mut **c).await?))
}

const TARGET_COLS: &str = "id, indicator_id, unit_id, disaggregation, period, kind, comparator, value, upper, note, written, trajectory, state";

/// Every target of an indicator, all units, by unit, breakdown and period.
pub async fn targets(c: &mut DbConn<'_>, indicator_id: i64) -> AppResult<Vec<TargetRow>> {
    let sql = format!(
        "SELECT {TARGET_COLS} FROM indicator_targets WHERE indicator_id = $1 ORDER BY unit_id, disaggregation, period, kind"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, TargetRow>(&sql).bind(indicator_id).fetch_all(&mut **c).await?),
    )
}

/// Targets of every indicator (the catalogue shows each one's national target).
pub async fn all_targets_of_unit(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<Vec<TargetRow>> {
    let sql = format!(
        "SELECT {TARGET_COLS} FROM indicator_targets WHERE unit_id = $1 ORDER BY indicator_id, disaggregation, period, kind"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, TargetRow>(&sql).bind(unit_id).fetch_all(&mut **c).await?),
    )
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValueRow {
    pub id: i64,
    pub indicator_id: i64,
    pub unit_id: i64,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    pub disaggregation: String,
    pub value: Option<f64>,
    pub text_value: Option<String>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub comment: String,
    pub source: String,
    pub evidence: String,
    pub entered_by: Option<i64>,
    pub entered_at: DateTime<Utc>,
    pub revision: i32,
}

impl ValueRow {
    /// Whether `v` would change what is stored (who and when aside).
    pub fn same_content(&self, v: &NewValue) -> bool {
        self.value == v.value
            && self.text_value == v.text_value
            && self.numerator == v.numerator
            && self.denominator == v.denominator
            && self.comment == v.comment
            && self.source == v.source
            && self.evidence == v.evidence
    }
}

const VALUE_COLS: &str = "id, indicator_id, unit_id, period, disaggregation, value, text_value, numerator, denominator, comment, source, evidence, entered_by, entered_at, revision";

/// A value to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewValue {
    pub indicator_id: i64,
    pub unit_id: i64,
    pub period: PeriodId,
    pub disaggregation: String,
    pub value: Option<f64>,
    pub text_value: Option<String>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub comment: String,
    pub source: String,
    pub evidence: String,
}

/// The values of one indicator for one period, every unit.
pub async fn values_of_period(
    c: &mut DbConn<'_>,
    indicator_id: i64,
    period: PeriodId,
) -> AppResult<Vec<ValueRow>> {
    let sql = format!(
        "SELECT {VALUE_COLS} FROM indicator_values WHERE indicator_id = $1 AND period = $2"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ValueRow>(&sql).bind(indicator_id).bind(period.to_string()).fetch_all(&mut **c).await?),
    )
}

/// The values of some units for some periods (entry forms, exports), in key order.
pub async fn values_of_units(
    c: &mut DbConn<'_>,
    indicator_ids: &[i64],
    unit_ids: &[i64],
    periods: &[PeriodId],
) -> AppResult<Vec<ValueRow>> {
    if indicator_ids.is_empty() || unit_ids.is_empty() || periods.is_empty() {
        return Ok(vec![]);
    }
    let list = |xs: &[i64]| xs.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let periods: Vec<String> = periods.iter().map(|p| format!("'{p}'")).collect();
    // Ids and period identifiers are typed values (digits and [0-9SQW]), safe to inline.
    let sql = format!(
        "SELECT {VALUE_COLS} FROM indicator_values WHERE indicator_id IN ({}) AND unit_id IN ({}) AND period IN ({})
         ORDER BY indicator_id, period, unit_id, disaggregation",
        list(indicator_ids),
        list(unit_ids),
        periods.join(",")
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, ValueRow>(&sql).fetch_all(&mut **c).await?))
}

/// Writes values in a few statements: the rows they replace or delete go to the history
/// first, then new and changed values are upserted (revision + 1) and deleted ones removed.
/// `replaced` and `deleted` are the stored rows as read in the same transaction.
pub async fn write_values(
    c: &mut DbConn<'_>,
    put: &[NewValue],
    replaced: &[ValueRow],
    deleted: &[ValueRow],
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let old: Vec<&ValueRow> = replaced.iter().chain(deleted).collect();
    if !old.is_empty() {
        let ints = |f: fn(&ValueRow) -> i64| old.iter().map(|r| f(r)).collect::<Vec<_>>();
        let (ind, unit) = (ints(|r| r.indicator_id), ints(|r| r.unit_id));
        let period: Vec<String> = old.iter().map(|r| r.period.to_string()).collect();
        let texts =
            |f: fn(&ValueRow) -> &String| old.iter().map(|r| f(r).clone()).collect::<Vec<_>>();
        let (dis, com, src, ev) = (
            texts(|r| &r.disaggregation),
            texts(|r| &r.comment),
            texts(|r| &r.source),
            texts(|r| &r.evidence),
        );
        let floats = |f: fn(&ValueRow) -> Option<f64>| old.iter().map(|r| f(r)).collect::<Vec<_>>();
        let (val, num, den) = (
            floats(|r| r.value),
            floats(|r| r.numerator),
            floats(|r| r.denominator),
        );
        let tv: Vec<Option<String>> = old.iter().map(|r| r.text_value.clone()).collect();
        let eb: Vec<Option<i64>> = old.iter().map(|r| r.entered_by).collect();
        let ea: Vec<DateTime<Utc>> = old.iter().map(|r| r.entered_at).collect();
        let rev: Vec<i32> = old.iter().map(|r| r.revision).collect();
        let ra = vec![now; old.len()];
        let rb = vec![by; old.len()];
        bulk::insert_columns(
            c,
            "indicator_value_history",
            &[
                ("indicator_id", Col::Int(&ind)),
                ("unit_id", Col::Int(&unit)),
                ("period", Col::Text(&period)),
                ("disaggregation", Col::Text(&dis)),
                ("value", Col::OptFloat(&val)),
                ("text_value", Col::OptText(&tv)),
                ("numerator", Col::OptFloat(&num)),
                ("denominator", Col::OptFloat(&den)),
                ("comment", Col::Text(&com)),
                ("source", Col::Text(&src)),
                ("evidence", Col::Text(&ev)),
                ("entered_by", Col::OptInt(&eb)),
                ("entered_at", Col::Ts(&ea)),
                ("revision", Col::Int4(&rev)),
                ("replaced_at", Col::Ts(&ra)),
                ("replaced_by", Col::OptInt(&rb)),
            ],
            None,
        )
        .await?;
    }
    for chunk in deleted.chunks(500) {
        let ids = chunk
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!("DELETE FROM indicator_values WHERE id IN ({ids})");
        on_conn!(c, c => sqlx::query(&sql).execute(&mut **c).await.map(|_| ())?);
    }
    if !put.is_empty() {
        let ind: Vec<i64> = put.iter().map(|v| v.indicator_id).collect();
        let unit: Vec<i64> = put.iter().map(|v| v.unit_id).collect();
        let period: Vec<String> = put.iter().map(|v| v.period.to_string()).collect();
        let texts =
            |f: fn(&NewValue) -> &String| put.iter().map(|v| f(v).clone()).collect::<Vec<_>>();
        let (dis, com, src, ev) = (
            texts(|v| &v.disaggregation),
            texts(|v| &v.comment),
            texts(|v| &v.source),
            texts(|v| &v.evidence),
        );
        let floats = |f: fn(&NewValue) -> Option<f64>| put.iter().map(f).collect::<Vec<_>>();
        let (val, num, den) = (
            floats(|v| v.value),
            floats(|v| v.numerator),
            floats(|v| v.denominator),
        );
        let tv: Vec<Option<String>> = put.iter().map(|v| v.text_value.clone()).collect();
        let eb = vec![by; put.len()];
        let ea = vec![now; put.len()];
        bulk::upsert_columns(c, "indicator_values", &[
            ("indicator_id", Col::Int(&ind)), ("unit_id", Col::Int(&unit)), ("period", Col::Text(&period)),
            ("disaggregation", Col::Text(&dis)), ("value", Col::OptFloat(&val)), ("text_value", Col::OptText(&tv)),
            ("numerator", Col::OptFloat(&num)), ("denominator", Col::OptFloat(&den)), ("comment", Col::Text(&com)),
            ("source", Col::Text(&src)), ("evidence", Col::Text(&ev)), ("entered_by", Col::OptInt(&eb)), ("entered_at", Col::Ts(&ea)),
        ], " ON CONFLICT (indicator_id, period, unit_id, disaggregation) DO UPDATE SET value = excluded.value, text_value = excluded.text_value,
             numerator = excluded.numerator, denominator = excluded.denominator, comment = excluded.comment, source = excluded.source,
             evidence = excluded.evidence, entered_by = excluded.entered_by, entered_at = excluded.entered_at,
             revision = indicator_values.revision + 1").await?;
    }
    Ok(())
}

/// Stored values under the keys of `keys` ((indicator, period) pairs), by full key.
pub async fn existing(
    c: &mut DbConn<'_>,
    pairs: &[(i64, PeriodId)],
) -> AppResult<HashMap<(i64, i64, PeriodId, String), ValueRow>> {
    let mut out = HashMap::new();
    for (ind, period) in pairs {
        for r in values_of_period(c, *ind, *period).await? {
            out.insert(
                (
                    r.indicator_id,
                    r.unit_id,
                    r.period,
                    r.disaggregation.clone(),
                ),
                r,
            );
        }
    }
    Ok(out)
}

/// A unit's submission of a set for a period (named apart from a feedback submission in the API).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorSubmission))]
pub struct Submission {
    pub set_id: i64,
    pub unit_id: i64,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: State,
    pub reason: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

pub async fn submission(
    c: &mut DbConn<'_>,
    set_id: i64,
    unit_id: i64,
    period: PeriodId,
) -> AppResult<Option<Submission>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Submission>(
        "SELECT set_id, unit_id, period, state, reason, updated_by, updated_at FROM indicator_submissions WHERE set_id = $1 AND unit_id = $2 AND period = $3")
        .bind(set_id).bind(unit_id).bind(period.to_string()).fetch_optional(&mut **c).await?))
}

/// Submissions in one of `states`, of one set or of all, oldest change first.
pub async fn submissions_in(
    c: &mut DbConn<'_>,
    set_id: Option<i64>,
    states: &[State],
) -> AppResult<Vec<Submission>> {
    // The names of a closed enum, never user input.
    let states: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let sql = format!(
        "SELECT set_id, unit_id, period, state, reason, updated_by, updated_at FROM indicator_submissions
         WHERE state IN ({}) AND ($1 IS NULL OR set_id = $1) ORDER BY updated_at, set_id, unit_id",
        states.join(",")
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Submission>(&sql).bind(set_id).fetch_all(&mut **c).await?),
    )
}

pub async fn put_submission(c: &mut DbConn<'_>, s: &Submission) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO indicator_submissions (set_id, unit_id, period, state, reason, updated_by, updated_at, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $4 = 'submitted' THEN $7 END)
         ON CONFLICT (set_id, unit_id, period) DO UPDATE SET state = excluded.state, reason = excluded.reason,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at,
            submitted_at = COALESCE(excluded.submitted_at, indicator_submissions.submitted_at)")
        .bind(s.set_id).bind(s.unit_id).bind(s.period.to_string()).bind(s.state.as_str()).bind(&s.reason).bind(s.updated_by).bind(s.updated_at)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Every sheet's unit, set, period, state and when it was last submitted: rankings' timeliness
/// of indicator data.
pub async fn sheets_submitted(
    c: &mut DbConn<'_>,
) -> AppResult<Vec<(i64, i64, String, String, Option<DateTime<Utc>>)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, i64, String, String, Option<DateTime<Utc>>)>(
        "SELECT unit_id, set_id, period, state, submitted_at FROM indicator_submissions")
        .fetch_all(&mut **c).await?),
    )
}

/// Bumps the version of each (indicator, period) whose values changed (in the writing transaction).
pub async fn bump(c: &mut DbConn<'_>, pairs: &[(i64, PeriodId)]) -> AppResult<()> {
    if !pairs.is_empty() {
        bump_data(c).await?;
    }
    let mut pairs = pairs.to_vec();
    pairs.sort();
    pairs.dedup();
    for chunk in pairs.chunks(500) {
        let ind: Vec<i64> = chunk.iter().map(|p| p.0).collect();
        let per: Vec<String> = chunk.iter().map(|p| p.1.to_string()).collect();
        let one = vec![1i64; chunk.len()];
        bulk::upsert_columns(
            c,
            "indicator_versions",
            &[
                ("indicator_id", Col::Int(&ind)),
                ("period", Col::Text(&per)),
                ("v", Col::Int(&one)),
            ],
            " ON CONFLICT (indicator_id, period) DO UPDATE SET v = indicator_versions.v + 1",
        )
        .await?;
    }
    Ok(())
}

/// The periods that hold (or held) values of an indicator, with each one's version.
pub async fn versions(c: &mut DbConn<'_>, indicator_id: i64) -> AppResult<Vec<(PeriodId, i64)>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, (String, i64)>(
        "SELECT period, v FROM indicator_versions WHERE indicator_id = $1")
        .bind(indicator_id).fetch_all(&mut **c).await?);
    let mut out: Vec<(PeriodId, i64)> = rows
        .into_iter()
        .filter_map(|(p, v)| Some((PeriodId::parse(&p)?, v)))
        .collect();
    out.sort();
    Ok(out)
}

/// (unit, value, words, numerator, denominator).
pub type FigureRow = (i64, Option<f64>, Option<String>, Option<f64>, Option<f64>);

/// What a roll-up reads of one indicator, period and breakdown: every unit's figure, and nothing else.
pub async fn figures_of_period(
    c: &mut DbConn<'_>,
    indicator_id: i64,
    period: PeriodId,
    breakdown: &str,
) -> AppResult<Vec<FigureRow>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, FigureRow>(
        "SELECT unit_id, value, text_value, numerator, denominator FROM indicator_values WHERE indicator_id = $1 AND period = $2 AND disaggregation = $3")
        .bind(indicator_id).bind(period.to_string()).bind(breakdown).fetch_all(&mut **c).await?))
}

/// Bumps the version of all indicator data (in the writing transaction).
pub async fn bump_data(c: &mut DbConn<'_>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE indicator_data_version SET v = v + 1 WHERE id = 1")
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The version of all indicator data.
pub async fn data_version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT v FROM indicator_data_version WHERE id = 1")
        .fetch_one(&mut **c).await?),
    )
}

/// A validation rule of a set, as stored (its expression is parsed where it is used).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorRule))]
pub struct RuleRow {
    pub id: i64,
    pub set_id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub expression: String,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub missing: MissingText,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub importance: Importance,
}

/// A missing-value strategy read from its DHIS2 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MissingText(pub Missing);

impl TryFrom<String> for MissingText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Missing::parse(&s).map(MissingText).ok_or(s)
    }
}

pub struct NewRule<'a> {
    pub set_id: i64,
    pub code: &'a str,
    pub name_vi: &'a str,
    pub name_en: &'a str,
    pub name_fr: &'a str,
    pub expression: &'a str,
    pub missing: Missing,
    pub importance: Importance,
}

const RULE_COLS: &str =
    "id, set_id, code, name_vi, name_en, name_fr, expression, missing, importance";

pub async fn insert_rule(
    c: &mut DbConn<'_>,
    r: &NewRule<'_>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO indicator_rules (set_id, code, name_vi, name_en, name_fr, expression, missing, importance, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
        .bind(r.set_id).bind(r.code).bind(r.name_vi).bind(r.name_en).bind(r.name_fr).bind(r.expression)
        .bind(r.missing.as_str()).bind(r.importance.as_str()).bind(by).bind(now).fetch_one(&mut **c).await?))
}

/// The rules of a set, in the order they were written.
pub async fn rules_of_set(c: &mut DbConn<'_>, set_id: i64) -> AppResult<Vec<RuleRow>> {
    let sql = format!("SELECT {RULE_COLS} FROM indicator_rules WHERE set_id = $1 ORDER BY id");
    Ok(on_conn!(c, c => sqlx::query_as::<_, RuleRow>(&sql).bind(set_id).fetch_all(&mut **c).await?))
}

pub async fn get_rule(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<RuleRow>> {
    let sql = format!("SELECT {RULE_COLS} FROM indicator_rules WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, RuleRow>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn rule_code_taken(c: &mut DbConn<'_>, set_id: i64, code: &str) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM indicator_rules WHERE set_id = $1 AND code = $2")
        .bind(set_id).bind(code).fetch_one(&mut **c).await?)
        > 0)
}

pub async fn delete_rule(c: &mut DbConn<'_>, id: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM indicator_rules WHERE id = $1")
        .bind(id).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The units with a value of one of `indicator_ids` in one of `periods`.
pub async fn units_with_values(
    c: &mut DbConn<'_>,
    indicator_ids: &[i64],
    periods: &[PeriodId],
) -> AppResult<std::collections::HashSet<i64>> {
    if indicator_ids.is_empty() || periods.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<String> = indicator_ids.iter().map(i64::to_string).collect();
    let periods: Vec<String> = periods.iter().map(|p| format!("'{p}'")).collect();
    // Ids and period identifiers are typed values, safe to inline.
    let sql = format!(
        "SELECT DISTINCT unit_id FROM indicator_values WHERE indicator_id IN ({}) AND period IN ({})",
        ids.join(","),
        periods.join(",")
    );
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>(&sql).fetch_all(&mut **c).await?)
            .into_iter()
            .collect(),
    )
}

/// An early warning to record: (key, kind, unit concerned, recipients' addresses).
pub struct NewAlert {
    pub key: String,
    pub kind: String,
    pub unit_id: i64,
    pub recipients: String,
}

/// Records alerts sent on `on`, skipping keys already recorded; returns the new keys.
pub async fn insert_alerts(
    c: &mut DbConn<'_>,
    on: chrono::NaiveDate,
    rows: &[NewAlert],
    now: DateTime<Utc>,
) -> AppResult<std::collections::HashSet<String>> {
    let text = |f: fn(&NewAlert) -> &String| rows.iter().map(|r| f(r).clone()).collect::<Vec<_>>();
    let units: Vec<i64> = rows.iter().map(|r| r.unit_id).collect();
    let new = bulk::insert_new_keys(
        c,
        "indicator_alerts",
        &[
            ("dedupe_key", Col::Text(&text(|r| &r.key))),
            ("kind", Col::Text(&text(|r| &r.kind))),
            ("unit_id", Col::Int(&units)),
            ("sent_on", Col::Date(&vec![on; rows.len()])),
            ("recipients", Col::Text(&text(|r| &r.recipients))),
        ],
        Some(now),
        "dedupe_key",
    )
    .await?;
    Ok(new.into_iter().collect())
}

pub async fn get_target(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<TargetRow>> {
    let sql = format!("SELECT {TARGET_COLS} FROM indicator_targets WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, TargetRow>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

/// The target with this key (indicator, unit, breakdown, period, kind), if any.
pub async fn target_by_key(c: &mut DbConn<'_>, t: &NewTarget<'_>) -> AppResult<Option<TargetRow>> {
    let sql = format!(
        "SELECT {TARGET_COLS} FROM indicator_targets WHERE indicator_id = $1 AND unit_id = $2 AND disaggregation = $3 AND period = $4 AND kind = $5"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, TargetRow>(&sql)
        .bind(t.indicator_id).bind(t.unit_id).bind(t.disaggregation).bind(t.period.to_string()).bind(t.kind)
        .fetch_optional(&mut **c).await?))
}

pub async fn set_target_state(c: &mut DbConn<'_>, id: i64, state: &str) -> AppResult<()> {
    bump_data(c).await?;
    on_conn!(c, c => sqlx::query("UPDATE indicator_targets SET state = $2 WHERE id = $1")
        .bind(id).bind(state).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn delete_target(c: &mut DbConn<'_>, id: i64) -> AppResult<()> {
    bump_data(c).await?;
    on_conn!(c, c => sqlx::query("DELETE FROM indicator_targets WHERE id = $1")
        .bind(id).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Every target proposed by a unit and not yet decided, oldest first.
pub async fn proposed_targets(c: &mut DbConn<'_>) -> AppResult<Vec<TargetRow>> {
    let sql =
        format!("SELECT {TARGET_COLS} FROM indicator_targets WHERE state = 'proposed' ORDER BY id");
    Ok(on_conn!(c, c => sqlx::query_as::<_, TargetRow>(&sql).fetch_all(&mut **c).await?))
}

/// Writes an edited definition (what may change: names, texts, direction, the responsible unit,
/// publicity) under the next revision, and keeps it in the history.
pub async fn update_definition(
    c: &mut DbConn<'_>,
    i: &Indicator,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<Indicator> {
    on_conn!(c, c => sqlx::query(
        "UPDATE indicators SET name_vi = $2, name_en = $3, name_fr = $4, definition = $5, method = $6, source = $7, unit_of_measure = $8,
            direction = $9, responsible_unit_id = $10, responsible_text = $11, is_public = $12, revision = revision + 1, updated_at = $13
         WHERE id = $1")
        .bind(i.id).bind(&i.name_vi).bind(&i.name_en).bind(&i.name_fr).bind(&i.definition).bind(&i.method).bind(&i.source)
        .bind(&i.unit_of_measure).bind(i.direction.as_str()).bind(i.responsible_unit_id).bind(&i.responsible_text).bind(i.is_public).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    let row = get_indicator(c, i.id).await?.expect("just updated");
    record_revision(c, &row, by, now).await?;
    bump_data(c).await?;
    Ok(row)
}

/// Replaces the programme tasks an indicator measures.
pub async fn set_task_links(c: &mut DbConn<'_>, indicator_id: i64, tasks: &[i64]) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM indicator_tasks WHERE indicator_id = $1")
        .bind(indicator_id).execute(&mut **c).await.map(|_| ())?);
    for t in tasks {
        on_conn!(c, c => sqlx::query("INSERT INTO indicator_tasks (indicator_id, task_id) VALUES ($1, $2)")
            .bind(indicator_id).bind(t).execute(&mut **c).await.map(|_| ())?);
    }
    bump_data(c).await
}

/// The version counters of some indicators' periods: (indicator, period, version), in key order.
pub async fn versions_of(
    c: &mut DbConn<'_>,
    indicator_ids: &[i64],
    periods: &[PeriodId],
) -> AppResult<Vec<(i64, String, i64)>> {
    if indicator_ids.is_empty() || periods.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<String> = indicator_ids.iter().map(i64::to_string).collect();
    let periods: Vec<String> = periods.iter().map(|p| format!("'{p}'")).collect();
    // Ids and period identifiers are typed values, safe to inline.
    let sql = format!(
        "SELECT indicator_id, period, v FROM indicator_versions WHERE indicator_id IN ({}) AND period IN ({}) ORDER BY indicator_id, period",
        ids.join(","),
        periods.join(",")
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, String, i64)>(&sql).fetch_all(&mut **c).await?))
}
