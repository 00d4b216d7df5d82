//! Validation of values: the set's rules (stored as data, DHIS2's expression shape), the
//! built-in checks (a percentage within 0–100, a numerator not above its denominator) and
//! outliers against the unit's own history. Run at entry (a blocking rule refuses the values,
//! a warning or an outlier asks to confirm them), at submission (blocking findings keep the
//! values from being submitted), on the entry sheet and as a report per set, unit and period.

use std::sync::Arc;

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::rules::{self, Importance, Missing, Outcome, Rule};
use domain::indicators::{Aggregation, PeriodId, ValueType, outlier};
use domain::policy::{Action, Principal, Scope};
use store::audit::{Actor, Change};
use store::indicators::{Indicator, IndicatorSet, NewRule, RuleRow, ValueRow};
use store::org_index::Snapshot;

/// How many earlier periods an outlier is judged against.
pub const HISTORY: usize = 12;

/// A rule ready to judge: the parsed expression and the indicators its operands name.
pub(crate) struct Bound {
    pub row: RuleRow,
    rule: Rule,
    /// The operands, bound: (indicator, breakdown).
    operands: Vec<(i64, Option<String>)>,
}

/// One unit's figures for one period, by (indicator, breakdown).
pub(crate) type Figures = HashMap<(i64, String), f64>;

/// The field of the entry form that holds `ind`'s value for `breakdown`.
pub(crate) fn field_of(ind: &Indicator, breakdown: &str) -> String {
    match ind.breakdown().iter().position(|b| *b == breakdown) {
        Some(0) | None => format!("value-{}", ind.id),
        Some(i) => format!("value-{}-{i}", ind.id),
    }
}

/// Binds each operand of `rule` to an indicator of `inds` and one of its breakdowns; the
/// operand as written when one does not bind.
fn bind_all(rule: &Rule, inds: &[Indicator]) -> Result<Vec<(i64, Option<String>)>, String> {
    let by_code: HashMap<&str, &Indicator> = inds.iter().map(|i| (i.code.as_str(), i)).collect();
    let is_code = |c: &str| by_code.contains_key(c);
    rule.operands()
        .into_iter()
        .map(|(code, b)| {
            let written = match b {
                Some(b) => format!("#{{{code}.{b}}}"),
                None => format!("#{{{code}}}"),
            };
            let (c, bd) = rules::bind(code, b, &is_code).ok_or_else(|| written.clone())?;
            let ind = by_code[c.as_str()];
            match &bd {
                Some(x) if !ind.breakdown().contains(&x.as_str()) => Err(written),
                _ => Ok((ind.id, bd)),
            }
        })
        .collect()
}

/// The set's rules, parsed and bound; a rule that no longer binds (its indicator left the
/// set) is left out rather than judged wrongly.
pub(crate) fn bind_rules(rows: Vec<RuleRow>, inds: &[Indicator]) -> Vec<Bound> {
    rows.into_iter()
        .filter_map(|row| {
            let rule = rules::parse_rule(&row.expression, row.missing.0).ok()?;
            let operands = bind_all(&rule, inds).ok()?;
            Some(Bound {
                row,
                rule,
                operands,
            })
        })
        .collect()
}

/// Judges `b` on `figs`. `#{CODE}` of an indicator with a breakdown is the sum of its parts
/// (as in DHIS2) unless a total is stored.
pub(crate) fn judge(b: &Bound, inds: &[Indicator], figs: &Figures) -> Outcome {
    let by_code: HashMap<&str, i64> = inds.iter().map(|i| (i.code.as_str(), i.id)).collect();
    let is_code = |c: &str| by_code.contains_key(c);
    let lookup = |code: &str, bd: Option<&str>| -> Option<f64> {
        let (c, bd) = rules::bind(code, bd, &is_code)?;
        let id = by_code[c.as_str()];
        match bd {
            Some(x) => figs.get(&(id, x)).copied(),
            None => figs.get(&(id, String::new())).copied().or_else(|| {
                let parts: Vec<f64> = figs
                    .iter()
                    .filter(|((i, _), _)| *i == id)
                    .map(|(_, v)| *v)
                    .collect();
                (!parts.is_empty()).then(|| parts.iter().sum())
            }),
        }
    };
    rules::check(&b.rule, &lookup)
}

/// What a check found about a unit's values.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorFinding))]
pub struct Finding {
    pub unit_id: i64,
    pub unit_name: String,
    /// rule (a rule of the set), range (a percentage outside 0–100), numerator (above its
    /// denominator) or outlier (far from the unit's own history).
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub importance: Importance,
    /// The rule, for kind = rule.
    pub rule_id: Option<i64>,
    pub rule_code: String,
    pub expression: String,
    /// The value the check is about (the first operand's, for a rule).
    pub indicator_id: i64,
    pub disaggregation: String,
    /// A rule's two sides; for the other checks, the value and the bound, or (outliers) the
    /// median of the unit's earlier values.
    pub left: f64,
    pub right: f64,
    /// An outlier's modified z-score.
    pub score: Option<f64>,
}

impl Finding {
    /// The finding as a message next to the field it concerns (codes `err-…` block,
    /// `warn-…` ask to confirm).
    pub fn field_error(&self, field: &str) -> FieldError {
        let code = match (self.kind.as_str(), self.importance) {
            ("rule", Importance::Blocking) => "err-rule-failed",
            ("rule", Importance::Warning) => "warn-rule-failed",
            ("outlier", _) => "warn-outlier",
            ("range", _) => "err-percent-range",
            _ => "err-numerator-above",
        };
        FieldError::new(field, code)
            .with("rule", &self.rule_code)
            .with("expression", &self.expression)
            .with_number("left", self.left)
            .with_number("right", self.right)
            .with_number("value", self.left)
    }
}

/// Figures of `rows` for one unit and period.
fn figures_of<'a>(rows: impl Iterator<Item = &'a ValueRow>) -> Figures {
    rows.filter_map(|v| {
        v.value
            .map(|x| ((v.indicator_id, v.disaggregation.clone()), x))
    })
    .collect()
}

/// Every finding on one unit's values of one period. `history` holds the unit's earlier
/// values (any order); `only` limits the checks to values and rules of these indicators
/// (those an entry changes), None: all.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_unit(
    unit: (i64, &str),
    inds: &[Indicator],
    rules: &[Bound],
    current: &[&ValueRow],
    history: &[&ValueRow],
    only: Option<&HashSet<i64>>,
) -> Vec<Finding> {
    let by_id: HashMap<i64, &Indicator> = inds.iter().map(|i| (i.id, i)).collect();
    let concerned = |id: i64| only.is_none_or(|o| o.contains(&id));
    let figs = figures_of(current.iter().copied());
    let finding = |kind: &str, importance, ind: i64, dis: &str, left, right| Finding {
        unit_id: unit.0,
        unit_name: unit.1.to_string(),
        kind: kind.into(),
        importance,
        rule_id: None,
        rule_code: String::new(),
        expression: String::new(),
        indicator_id: ind,
        disaggregation: dis.to_string(),
        left,
        right,
        score: None,
    };
    let mut out = vec![];
    for b in rules {
        if !b.operands.iter().any(|(i, _)| concerned(*i)) {
            continue;
        }
        if let Outcome::Fail { left, right } = judge(b, inds, &figs) {
            let (ind, dis) = b.operands.first().cloned().unwrap_or((0, None));
            out.push(Finding {
                rule_id: Some(b.row.id),
                rule_code: b.row.code.clone(),
                expression: b.row.expression.clone(),
                ..finding(
                    "rule",
                    b.row.importance,
                    ind,
                    &dis.unwrap_or_default(),
                    left,
                    right,
                )
            });
        }
    }
    // Each value's history, oldest first (the outlier test reads the steps between periods).
    let mut past: HashMap<(i64, &str), Vec<(chrono::NaiveDate, f64)>> = HashMap::new();
    for h in history {
        if let Some(x) = h.value {
            past.entry((h.indicator_id, h.disaggregation.as_str()))
                .or_default()
                .push((h.period.start(), x));
        }
    }
    let past: HashMap<(i64, &str), Vec<f64>> = past
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by_key(|p| p.0);
            (k, v.into_iter().map(|p| p.1).collect())
        })
        .collect();
    for v in current {
        let (Some(ind), Some(x)) = (by_id.get(&v.indicator_id), v.value) else {
            continue;
        };
        if !concerned(ind.id) {
            continue;
        }
        let dis = v.disaggregation.as_str();
        if ind.value_type == ValueType::Percentage {
            if !(0.0..=100.0).contains(&x) {
                let bound = if x < 0.0 { 0.0 } else { 100.0 };
                out.push(finding(
                    "range",
                    Importance::Blocking,
                    ind.id,
                    dis,
                    x,
                    bound,
                ));
            }
            if let (Some(n), Some(d)) = (v.numerator, v.denominator)
                && n > d
            {
                out.push(finding(
                    "numerator",
                    Importance::Blocking,
                    ind.id,
                    dis,
                    n,
                    d,
                ));
            }
        }
        // A ratio's figure moves with its parts; the parts' sizes are what a unit controls,
        // but the share is what a reader sees: the share is judged.
        if matches!(ind.value_type, ValueType::Number | ValueType::Percentage)
            || ind.aggregation == Aggregation::Ratio
        {
            let h = past.get(&(ind.id, dis)).map(Vec::as_slice).unwrap_or(&[]);
            if let Some((usual, z)) = outlier::outlier(h, x) {
                out.push(Finding {
                    score: Some(z),
                    ..finding("outlier", Importance::Warning, ind.id, dis, x, usual)
                });
            }
        }
    }
    out
}

/// The periods an outlier of `period` is judged against, most recent first.
pub(crate) fn history_periods(period: PeriodId) -> Vec<PeriodId> {
    let mut out = vec![];
    let mut p = period;
    for _ in 0..HISTORY {
        p = p.prev();
        out.push(p);
    }
    out
}

/// The findings on the stored values of `units` for one set and period, with the number of
/// values checked. The entry sheet shows a unit's; a submission is refused while a blocking one
/// stands on the unit or a unit directly below it (the submission covers them).
pub(crate) async fn findings_of_units(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    set_id: i64,
    inds: &[Indicator],
    units: &[i64],
    period: PeriodId,
) -> AppResult<(Vec<Finding>, usize)> {
    let rules = bind_rules(store::indicators::rules_of_set(c, set_id).await?, inds);
    let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
    let mut periods = history_periods(period);
    periods.push(period);
    let values = store::indicators::values_of_units(c, &ids, units, &periods).await?;
    let mut by_unit: HashMap<i64, (Vec<&ValueRow>, Vec<&ValueRow>)> = HashMap::new();
    let mut checked = 0;
    for v in &values {
        let e = by_unit.entry(v.unit_id).or_default();
        if v.period == period {
            checked += 1;
            e.0.push(v);
        } else {
            e.1.push(v);
        }
    }
    let mut out = vec![];
    for id in units {
        if let Some((cur, hist)) = by_unit.get(id) {
            let name = snap.get(*id).map(|u| u.name_vi.as_str()).unwrap_or("");
            out.extend(check_unit((*id, name), inds, &rules, cur, hist, None));
        }
    }
    // Blocking first, then by unit as listed.
    out.sort_by_key(|f| f.importance != Importance::Blocking);
    Ok((out, checked))
}

/// A unit and the units directly below it that are in force.
pub(crate) fn with_children(snap: &Snapshot, unit: i64) -> Vec<i64> {
    let mut out = vec![unit];
    out.extend(snap.current_children(unit).into_iter().map(|u| u.id));
    out
}

/// What a report depends on: (set, unit, period, with the units below, the tree's version, a
/// digest of the version counters of the values it reads and of the set's rules).
pub(crate) type ReportKey = (i64, i64, PeriodId, bool, i64, u64);

/// A validation report: every finding on the values of `unit` (and, with `children`, of the
/// units directly below it) for one set and period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ValidationReport))]
pub struct Report {
    pub set: IndicatorSet,
    pub unit_id: i64,
    pub unit_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    pub rules: Vec<RuleRow>,
    pub units_checked: usize,
    pub values_checked: usize,
    pub findings: Vec<Finding>,
}

/// (set, unit, period asked for, children, tree version, version of all indicator data, day):
/// while nothing of the indicators nor the tree changed, a kept report is served without
/// reading the versions of the values it covers.
pub(crate) type ReportNow = (
    i64,
    i64,
    Option<PeriodId>,
    bool,
    i64,
    i64,
    chrono::NaiveDate,
);

#[allow(clippy::too_many_arguments)]
pub async fn report(
    db: &Db,
    org: &store::org_index::OrgIndex,
    fresh: &crate::freshness::Freshness,
    cache: &super::FigureCache,
    who: &Principal,
    set_id: i64,
    unit: i64,
    period: Option<PeriodId>,
    children: bool,
) -> AppResult<Arc<Report>> {
    let v = fresh.current(db).await?;
    let snap = org.snapshot(db).await?;
    let u = snap.get(unit).ok_or(AppError::NotFound)?.clone();
    crate::require(
        Some(who),
        Action::ReadIndicatorData,
        Scope::Unit(&snap.chain(unit)),
    )?;
    let today = domain::clock::local_date(Utc::now());
    let now_key: ReportNow = (set_id, unit, period, children, v.org, v.indicators, today);
    if let Some(r) = cache.reports_now.get(&now_key) {
        return Ok(r);
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let set = store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let period = super::check_period(
        &set,
        period.unwrap_or_else(|| super::last_ended(set.period_type, today)),
        today,
    )?;
    let inds = super::indicators_of(&mut c, set_id).await?;
    let rules = store::indicators::rules_of_set(&mut c, set_id).await?;
    let units = if children {
        with_children(&snap, unit)
    } else {
        vec![unit]
    };
    // A report reads a few thousand values (a province's communes over a year of periods): it
    // is kept until one of those values, the rules or the tree changes, so that a write
    // elsewhere costs the next reader a look at the version counters, not the report again.
    let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
    let mut periods = history_periods(period);
    periods.push(period);
    let key = |versions: &[(i64, String, i64)]| -> ReportKey {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        versions.hash(&mut h);
        for r in &rules {
            (
                r.id,
                &r.expression,
                r.importance.as_str(),
                r.missing.0.as_str(),
            )
                .hash(&mut h);
        }
        (set_id, unit, period, children, snap.version, h.finish())
    };
    let versions = store::indicators::versions_of(&mut c, &ids, &periods).await?;
    if let Some(r) = cache.reports.get(&key(&versions)) {
        cache.reports_now.put(now_key, r.clone());
        return Ok(r);
    }
    // One report computed at a time: readers who miss together (a province's officers opening
    // it after the deadline) wait for the first rather than each reading the same values.
    let _turn = cache.reporting.lock().await;
    let versions = store::indicators::versions_of(&mut c, &ids, &periods).await?;
    let key = key(&versions);
    if let Some(r) = cache.reports.get(&key) {
        cache.reports_now.put(now_key, r.clone());
        return Ok(r);
    }
    let (findings, values_checked) =
        findings_of_units(&mut c, &snap, set_id, &inds, &units, period).await?;
    let report = Arc::new(Report {
        unit_id: unit,
        unit_name: u.name_vi,
        units_checked: units.len(),
        values_checked,
        set,
        period,
        rules,
        findings,
    });
    cache.reports.put(key, report.clone());
    cache.reports_now.put(now_key, report.clone());
    Ok(report)
}

/// A rule as its author writes it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorRuleInput))]
pub struct RuleInput {
    pub code: String,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_fr: String,
    /// e.g. `#{KPI.A} <= #{KPI.B}`.
    pub expression: String,
    /// SKIP_IF_ANY_VALUE_MISSING (default), SKIP_IF_ALL_VALUES_MISSING or NEVER_SKIP.
    #[serde(default)]
    pub missing: String,
    /// blocking or warning (default).
    #[serde(default)]
    pub importance: String,
}

/// Checks and adds a rule to a set: the expression must read, and every operand must name an
/// indicator of the set (and one of its breakdowns). Errors name the field and, for the
/// expression, the position.
pub async fn add_rule(
    db: &Db,
    who: &Principal,
    set_id: i64,
    input: RuleInput,
) -> AppResult<RuleRow> {
    crate::require(Some(who), Action::ManageIndicators, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let code = input.code.trim().to_string();
    let name_vi = domain::text::nfc(input.name_vi.trim());
    let name_en = input.name_en.trim().to_string();
    let name_fr = input.name_fr.trim().to_string();
    let expression = domain::text::nfc(input.expression.trim());
    let mut errs = vec![];
    if code.is_empty()
        || code.chars().count() > 50
        || !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch))
    {
        errs.push(FieldError::new("code", "err-rule-code"));
    } else if store::indicators::rule_code_taken(&mut c, set_id, &code).await? {
        errs.push(FieldError::new("code", "err-rule-taken"));
    }
    if name_vi.is_empty() {
        errs.push(FieldError::new("name_vi", "err-required"));
    }
    for (f, v) in [
        ("name_vi", &name_vi),
        ("name_en", &name_en),
        ("name_fr", &name_fr),
    ] {
        if v.chars().count() > 500 {
            errs.push(FieldError::new(f, "err-too-long"));
        }
    }
    let missing = match input.missing.trim() {
        "" => Some(Missing::SkipIfAnyValueMissing),
        m => Missing::parse(m),
    };
    let importance = match input.importance.trim() {
        "" => Some(Importance::Warning),
        m => Importance::parse(m),
    };
    if missing.is_none() {
        errs.push(FieldError::new("missing", "err-choice"));
    }
    if importance.is_none() {
        errs.push(FieldError::new("importance", "err-choice"));
    }
    let inds = super::indicators_of(&mut c, set_id).await?;
    match rules::parse_rule(&expression, missing.unwrap_or(Missing::NeverSkip)) {
        Err(e) => errs.push(FieldError::new("expression", e.code).with("at", e.at + 1)),
        Ok(rule) => {
            if let Err(op) = bind_all(&rule, &inds) {
                errs.push(
                    FieldError::new("expression", "err-rule-unknown-operand").with("operand", op),
                );
            }
        }
    }
    let (Some(missing), Some(importance), true) = (missing, importance, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let id = store::indicators::insert_rule(
        &mut c,
        &NewRule {
            set_id,
            code: &code,
            name_vi: &name_vi,
            name_en: &name_en,
            name_fr: &name_fr,
            expression: &expression,
            missing,
            importance,
        },
        Some(who.user_id),
        now,
    )
    .await?;
    store::indicators::bump_data(&mut c).await?;
    let row = store::indicators::get_rule(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("indicator.rule.add", "indicator_rule", id.to_string());
    store::audit::commit_row(tx, &Actor::of(who), now, change, row).await
}

pub async fn delete_rule(db: &Db, who: &Principal, id: i64) -> AppResult<()> {
    crate::require(Some(who), Action::ManageIndicators, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = store::indicators::get_rule(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::indicators::delete_rule(&mut c, id).await?;
    store::indicators::bump_data(&mut c).await?;
    let change = Change::new("indicator.rule.delete", "indicator_rule", id.to_string())
        .before(store::audit::to_json(&Some(before)));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await
}

/// The rules of a set (public, like the definitions).
pub async fn rules_of(db: &Db, set_id: i64) -> AppResult<Vec<RuleRow>> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::indicators::rules_of_set(&mut c, set_id).await
}
