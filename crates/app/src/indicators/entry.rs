//! Entering values: the form of a unit's set for a period, and the write path it shares with the
//! DHIS2 import. A value is checked for its indicator (type, range, breakdown, period type), for
//! the caller's right to enter it, and against the submission (approved values are locked);
//! what it replaces goes to the history, and the change is audited per indicator and period.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::approval::State;
use domain::indicators::{self as ind, Aggregation, Entered, PeriodId, ValueType};
use domain::policy::{self, Decision, Principal};
use store::audit::{Actor, Change};
use store::indicators::{Indicator, IndicatorSet, NewValue, ValueRow};
use store::org_index::Snapshot;

/// One value as a caller gives it, before checking.
#[derive(Debug, Clone, Default)]
pub struct Raw {
    pub value: String,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub comment: String,
    pub source: String,
    pub evidence: String,
}

/// A value as read: the figure, or the words of a milestone, and a ratio's (numerator, denominator).
pub type ReadValue = (Option<f64>, Option<String>, Option<(f64, f64)>);

/// Reads `raw` for `ind`: the figure or words, and for a ratio the numerator and denominator
/// (the figure is computed from them when only they are given). `field` names the form field
/// the errors belong to.
pub fn read(ind: &Indicator, raw: &Raw, field: &str) -> Result<ReadValue, FieldError> {
    let at = |e: FieldError| FieldError {
        field: field.to_string(),
        ..e
    };
    let num = |s: &Option<String>, name: &str| -> Result<Option<f64>, FieldError> {
        match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(t) => ind::read_number(t)
                .filter(|v| *v >= 0.0)
                .map(Some)
                .ok_or_else(|| FieldError::new(&format!("{field}-{name}"), "err-number")),
        }
    };
    let ratio = match (
        num(&raw.numerator, "numerator")?,
        num(&raw.denominator, "denominator")?,
    ) {
        (Some(n), Some(d)) if d > 0.0 => {
            if n > d && ind.value_type == ValueType::Percentage {
                return Err(FieldError::new(
                    &format!("{field}-numerator"),
                    "err-numerator-above",
                ));
            }
            Some((n, d))
        }
        (Some(_), Some(_)) => {
            return Err(FieldError::new(
                &format!("{field}-denominator"),
                "err-positive",
            ));
        }
        (None, None) => None,
        _ => return Err(FieldError::new(&format!("{field}-denominator"), "err-pair")),
    };
    let scale = if ind.value_type == ValueType::Percentage {
        100.0
    } else {
        1.0
    };
    if raw.value.trim().is_empty()
        && let Some((n, d)) = ratio
    {
        return Ok((Some(n / d * scale), None, ratio));
    }
    let read = ind::read_value(ind.value_type, &raw.value).map_err(at)?;
    // A ratio rolls up as Σ numerators ÷ Σ denominators: without its parts a value could
    // not be counted anywhere above the unit.
    if ind.aggregation == Aggregation::Ratio && ratio.is_none() {
        return Err(FieldError::new(&format!("{field}-numerator"), "err-pair"));
    }
    match read {
        Entered::Figure(v) => {
            if let Some((n, d)) = ratio
                && ind.aggregation == Aggregation::Ratio
                && (n / d * scale - v).abs() > 0.01 * v.abs().max(1.0)
            {
                return Err(FieldError::new(field, "err-ratio-mismatch")
                    .with_number("ratio", n / d * scale));
            }
            // With a ratio given, the figure is the ratio itself: the typed value (often
            // rounded) only checks it, so that saving an unchanged form changes nothing.
            match ratio {
                Some((n, d)) if ind.aggregation == Aggregation::Ratio => {
                    Ok((Some(n / d * scale), None, ratio))
                }
                _ => Ok((Some(v), None, ratio)),
            }
        }
        Entered::Text(t) => Ok((None, Some(t), None)),
    }
}

/// What may be written: a checked value (None: delete) under its key, with the row it replaces.
pub(crate) struct Planned {
    pub key: (i64, i64, PeriodId, String),
    pub value: Option<NewValue>,
    pub existing: Option<ValueRow>,
}

/// Whether values of `ind` are computed by nqtrack from other data (the budgets' disbursement
/// rate): nobody enters them, or the figure would stop matching the budgets it comes from.
pub(crate) fn derived(ind: &Indicator) -> bool {
    ind.code == super::BUDGET_RATE
}

/// Whether `who` may enter values of `ind` for `unit`.
pub(crate) fn may_enter(
    snap: &Snapshot,
    who: &Principal,
    ind: &Indicator,
    unit: i64,
    national: i64,
) -> bool {
    !derived(ind) && may_enter_for_unit(snap, who, ind, unit, national)
}

/// Whether `who` answers for `unit`'s values of `ind`, computed or not.
fn may_enter_for_unit(
    snap: &Snapshot,
    who: &Principal,
    ind: &Indicator,
    unit: i64,
    national: i64,
) -> bool {
    let chain = snap.chain(unit);
    let responsible = ind.responsible_unit_id.map(|r| snap.chain(r));
    policy::may_enter_value(Some(who), &chain, unit == national, responsible.as_deref())
        == Decision::Allow
}

/// The submission state of (set, unit, period); Open when nothing was submitted.
pub(crate) async fn state_of(
    c: &mut DbConn<'_>,
    set: i64,
    unit: i64,
    period: PeriodId,
) -> AppResult<State> {
    Ok(store::indicators::submission(c, set, unit, period)
        .await?
        .map_or(State::Open, |s| s.state))
}

/// The submission that keeps `unit`'s values from changing (its own or one above it), if any:
/// (unit, state).
pub(crate) async fn lock_of(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    set: i64,
    unit: i64,
    period: PeriodId,
) -> AppResult<Option<(i64, State)>> {
    for u in snap.chain(unit) {
        let st = state_of(c, set, u, period).await?;
        if !st.editable() {
            return Ok(Some((u, st)));
        }
    }
    Ok(None)
}

/// Whether values of `unit` may change: a submission covers the unit's own values and those of
/// every unit below it (a province's approval covers its communes), so every unit of the chain
/// must be open or returned. `seen` keeps states already read in this request.
pub(crate) async fn editable(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    set: i64,
    unit: i64,
    period: PeriodId,
    seen: &mut HashMap<(i64, PeriodId), State>,
) -> AppResult<bool> {
    for u in snap.chain(unit) {
        let st = match seen.get(&(u, period)) {
            Some(s) => *s,
            None => {
                let s = state_of(c, set, u, period).await?;
                seen.insert((u, period), s);
                s
            }
        };
        if !st.editable() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes the planned values in the caller's transaction: history, values, version counters,
/// and one audit record per indicator and period. Returns (imported, updated, deleted, unchanged).
pub(crate) async fn write(
    c: &mut DbConn<'_>,
    who: &Principal,
    plan: Vec<Planned>,
    now: DateTime<Utc>,
) -> AppResult<((usize, usize, usize, usize), Vec<(String, String)>)> {
    let (mut put, mut replaced, mut deleted) = (vec![], vec![], vec![]);
    let (mut imported, mut updated, mut unchanged) = (0, 0, 0);
    let mut audit: BTreeMap<(i64, PeriodId), Vec<serde_json::Value>> = BTreeMap::new();
    for p in plan {
        let (ind, unit, period, dis) = p.key.clone();
        let entry = audit.entry((ind, period)).or_default();
        match (p.value, p.existing) {
            (Some(v), Some(old)) if old.same_content(&v) => unchanged += 1,
            (Some(v), old) => {
                entry.push(serde_json::json!({"unit": unit, "breakdown": dis, "before": old.as_ref().map(|o| o.value.map(serde_json::Value::from).unwrap_or(o.text_value.clone().into())), "after": v.value.map(serde_json::Value::from).unwrap_or(v.text_value.clone().into())}));
                match old {
                    Some(o) => {
                        updated += 1;
                        replaced.push(o);
                    }
                    None => imported += 1,
                }
                put.push(v);
            }
            (None, Some(old)) => {
                entry.push(serde_json::json!({"unit": unit, "breakdown": dis, "before": old.value, "after": null}));
                deleted.push(old);
            }
            (None, None) => unchanged += 1,
        }
    }
    store::indicators::write_values(c, &put, &replaced, &deleted, Some(who.user_id), now).await?;
    let touched: Vec<(i64, PeriodId)> = audit
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| *k)
        .collect();
    store::indicators::bump(c, &touched).await?;
    let records: Vec<(String, String)> = audit
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|((i, p), v)| {
            (
                format!("{i}:{p}"),
                serde_json::json!({"indicator": i, "period": p.to_string(), "changes": v})
                    .to_string(),
            )
        })
        .collect();
    Ok(((imported, updated, deleted.len(), unchanged), records))
}

/// Appends the audit records `write` prepared and commits.
pub(crate) async fn commit(
    tx: crate::db::Tx,
    who: &Principal,
    now: DateTime<Utc>,
    records: &[(String, String)],
) -> AppResult<()> {
    store::audit::commit(tx, &Actor::of(who), now, changes(records)).await
}

/// The audit records `write` prepared, as changes to append with others.
pub(crate) fn changes(records: &[(String, String)]) -> Vec<Change<'_>> {
    records
        .iter()
        .map(|(id, after)| {
            Change::new("indicator.values", "indicator_period", id).after(Some(after.clone()))
        })
        .collect()
}

/// One field of the entry form.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FormValue {
    pub indicator_id: i64,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub numerator: Option<String>,
    #[serde(default)]
    pub denominator: Option<String>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub evidence: String,
}

/// What the entry form shows: each indicator of the set with the unit's value for the period
/// and the previous period's, and the submission's state.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sheet {
    pub set: IndicatorSet,
    pub unit_id: i64,
    pub unit_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub previous: PeriodId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: State,
    pub reason: String,
    pub rows: Vec<SheetRow>,
    /// Whether the caller may change the values now.
    pub editable: bool,
    /// Every value of the set is computed by nqtrack (the budgets' disbursement rate): nothing
    /// to enter, submit or approve.
    pub derived: bool,
    /// What the caller may do with the submission from its state.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub moves: Vec<domain::indicators::approval::Move>,
    /// Entry deadline of the period.
    pub due: NaiveDate,
    /// The submission of a unit above that locks these values (its name and state), if any.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<(String, String)>))]
    pub locked_by: Option<(String, State)>,
    /// What the set's rules, the built-in checks and the outlier test say about the stored values.
    pub findings: Vec<super::validation::Finding>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetRow {
    pub indicator: Indicator,
    pub disaggregation: String,
    pub current: Option<ValueRow>,
    pub previous: Option<ValueRow>,
}

/// The entry sheet of `unit` for `set` and `period` (default: the last period that ended).
pub async fn sheet(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    set_id: i64,
    unit: i64,
    period: Option<PeriodId>,
) -> AppResult<Sheet> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let set = store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let u = snap.get(unit).ok_or(AppError::NotFound)?.clone();
    let chain = snap.chain(unit);
    crate::require(
        Some(who),
        domain::policy::Action::ReadIndicatorData,
        domain::policy::Scope::Unit(&chain),
    )?;
    let today = domain::clock::local_date(Utc::now());
    let period = super::check_period(
        &set,
        period.unwrap_or_else(|| super::last_ended(set.period_type, today)),
        today,
    )?;
    let previous = period.prev();
    let all = super::indicators_of(&mut c, set_id).await?;
    // A heading whose sub-indicators carry the figures ("11", "23" of Annex I) takes no value.
    let parents: std::collections::HashSet<i64> = all.iter().filter_map(|i| i.parent_id).collect();
    let (findings, _) =
        super::validation::findings_of_units(&mut c, &snap, set_id, &all, &[unit], period).await?;
    let inds: Vec<Indicator> = all
        .into_iter()
        .filter(|i| !(parents.contains(&i.id) && i.value_type == ValueType::Milestone))
        .collect();
    let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
    let vals =
        store::indicators::values_of_units(&mut c, &ids, &[unit], &[period, previous]).await?;
    let national = super::national_id(&snap)?;
    let sub = store::indicators::submission(&mut c, set_id, unit, period).await?;
    let state = sub.as_ref().map_or(State::Open, |s| s.state);
    let mut rows = vec![];
    let mut any_enterable = false;
    for i in inds {
        any_enterable |= may_enter(&snap, who, &i, unit, national);
        for d in i.breakdown() {
            let find = |p: PeriodId| {
                vals.iter()
                    .find(|v| v.indicator_id == i.id && v.period == p && v.disaggregation == d)
                    .cloned()
            };
            rows.push(SheetRow {
                disaggregation: d.to_string(),
                current: find(period),
                previous: find(previous),
                indicator: i.clone(),
            });
        }
    }
    // The submission that locks these values (this unit's or one above), read once.
    let lock = lock_of(&mut c, &snap, set_id, unit, period).await?;
    let computed = !rows.is_empty() && rows.iter().all(|r| derived(&r.indicator));
    Ok(Sheet {
        derived: computed,
        unit_name: u.name_vi,
        due: period.end() + chrono::Days::new(set.entry_days.max(0) as u64),
        set,
        unit_id: unit,
        period,
        previous,
        state,
        reason: sub.map(|s| s.reason).unwrap_or_default(),
        rows,
        editable: any_enterable && lock.is_none(),
        locked_by: lock.filter(|(u, _)| *u != unit).map(|(u, st)| {
            (
                snap.get(u).map(|x| x.name_vi.clone()).unwrap_or_default(),
                st,
            )
        }),
        moves: if computed {
            vec![]
        } else {
            super::submissions::moves(&snap, who, unit, national, state)
        },
        findings,
    })
}

/// The values of `unit` for `period` as they will be once `plan` is written.
fn after_plan(stored: &[ValueRow], plan: &[Planned], now: DateTime<Utc>) -> Vec<ValueRow> {
    let planned: std::collections::HashSet<(i64, &str)> =
        plan.iter().map(|p| (p.key.0, p.key.3.as_str())).collect();
    let mut out: Vec<ValueRow> = stored
        .iter()
        .filter(|v| !planned.contains(&(v.indicator_id, v.disaggregation.as_str())))
        .cloned()
        .collect();
    out.extend(
        plan.iter()
            .filter_map(|p| p.value.as_ref())
            .map(|v| ValueRow {
                id: 0,
                indicator_id: v.indicator_id,
                unit_id: v.unit_id,
                period: v.period,
                disaggregation: v.disaggregation.clone(),
                value: v.value,
                text_value: v.text_value.clone(),
                numerator: v.numerator,
                denominator: v.denominator,
                comment: v.comment.clone(),
                source: v.source.clone(),
                evidence: v.evidence.clone(),
                entered_by: None,
                entered_at: now,
                revision: 0,
            }),
    );
    out
}

/// Runs the set's rules, the built-in checks and the outlier test on the values an entry
/// changes, as they will be: blocking findings are errors; warnings are errors too until the
/// person entering confirms them. Each error sits next to the field it concerns.
#[allow(clippy::too_many_arguments)]
async fn check_plan(
    c: &mut DbConn<'_>,
    set_id: i64,
    inds: &HashMap<i64, Indicator>,
    unit: i64,
    period: PeriodId,
    stored: &[ValueRow],
    plan: &[Planned],
    confirm: bool,
    now: DateTime<Utc>,
) -> AppResult<Vec<FieldError>> {
    use super::validation as val;
    let changed: std::collections::HashSet<i64> = plan
        .iter()
        .filter(|p| match (&p.value, &p.existing) {
            (Some(v), Some(o)) => !o.same_content(v),
            (None, None) => false,
            _ => true,
        })
        .map(|p| p.key.0)
        .collect();
    if changed.is_empty() {
        return Ok(vec![]);
    }
    let all: Vec<Indicator> = inds.values().cloned().collect();
    let rules = val::bind_rules(store::indicators::rules_of_set(c, set_id).await?, &all);
    let ids: Vec<i64> = changed.iter().copied().collect();
    let history =
        store::indicators::values_of_units(c, &ids, &[unit], &val::history_periods(period)).await?;
    let after = after_plan(stored, plan, now);
    let cur: Vec<&ValueRow> = after.iter().collect();
    let hist: Vec<&ValueRow> = history.iter().collect();
    let findings = val::check_unit((unit, ""), &all, &rules, &cur, &hist, Some(&changed));
    Ok(findings
        .iter()
        .filter(|f| !confirm || f.importance == domain::indicators::rules::Importance::Blocking)
        .map(|f| {
            let field = inds.get(&f.indicator_id).map_or_else(
                || "rules".to_string(),
                |i| val::field_of(i, &f.disaggregation),
            );
            f.field_error(&field)
        })
        .collect())
}

/// Saves the entry form of `unit` for `set` and `period` in one transaction: every field is
/// checked first (errors name the field, `value-{indicator id}[-{breakdown index}]`), and
/// nothing is written if any is wrong. A blank field removes the value it held. `confirm`
/// saves values that only raised warnings.
#[allow(clippy::too_many_arguments)]
pub async fn enter(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    set_id: i64,
    unit: i64,
    period: PeriodId,
    values: Vec<(FormValue, String)>,
    confirm: bool,
) -> AppResult<(usize, usize, usize)> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let set = store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    snap.get(unit).ok_or(AppError::NotFound)?;
    let period = super::check_period(&set, period, today)?;
    if !editable(&mut c, &snap, set_id, unit, period, &mut HashMap::new()).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "state",
            "err-values-locked",
        )]));
    }
    let inds: HashMap<i64, Indicator> = super::indicators_of(&mut c, set_id)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let ids: Vec<i64> = inds.keys().copied().collect();
    let stored = store::indicators::values_of_units(&mut c, &ids, &[unit], &[period]).await?;
    let mut errs = vec![];
    let mut plan = vec![];
    let mut allowed_any = false;
    for (f, breakdown) in values {
        let Some(i) = inds.get(&f.indicator_id) else {
            errs.push(
                FieldError::new("indicator_id", "err-no-such-indicator").with("id", f.indicator_id),
            );
            continue;
        };
        if !may_enter_for_unit(&snap, who, i, unit, national) {
            continue;
        }
        allowed_any = true;
        if derived(i) {
            errs.push(FieldError::new("indicator_id", "err-derived-value").with("id", i.id));
            continue;
        }
        if !i.breakdown().contains(&breakdown.as_str()) {
            errs.push(FieldError::new("disaggregation", "err-no-such-breakdown"));
            continue;
        };
        let field = super::validation::field_of(i, &breakdown);
        let existing = stored
            .iter()
            .find(|v| v.indicator_id == i.id && v.disaggregation == breakdown)
            .cloned();
        let blank = f.value.trim().is_empty()
            && f.numerator.as_deref().is_none_or(|s| s.trim().is_empty())
            && f.denominator.as_deref().is_none_or(|s| s.trim().is_empty());
        let key = (i.id, unit, period, breakdown.clone());
        if blank {
            plan.push(Planned {
                key,
                value: None,
                existing,
            });
            continue;
        }
        let raw = Raw {
            value: f.value.clone(),
            numerator: f.numerator.clone(),
            denominator: f.denominator.clone(),
            comment: domain::text::nfc(&f.comment),
            source: String::new(),
            evidence: domain::text::nfc(&f.evidence),
        };
        match read(i, &raw, &field) {
            Ok((value, text_value, ratio)) => plan.push(Planned {
                key,
                existing,
                value: Some(NewValue {
                    indicator_id: i.id,
                    unit_id: unit,
                    period,
                    disaggregation: breakdown,
                    value,
                    text_value,
                    numerator: ratio.map(|r| r.0),
                    denominator: ratio.map(|r| r.1),
                    comment: raw.comment,
                    source: "form".into(),
                    evidence: raw.evidence,
                }),
            }),
            Err(e) => errs.push(e),
        }
    }
    if !allowed_any {
        return Err(AppError::Forbidden);
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let errs = check_plan(
        &mut c, set_id, &inds, unit, period, &stored, &plan, confirm, now,
    )
    .await?;
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let ((imported, updated, deleted, _), records) = write(&mut c, who, plan, now).await?;
    commit(tx, who, now, &records).await?;
    Ok((imported, updated, deleted))
}
