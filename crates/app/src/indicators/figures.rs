//! Figures: each unit's value for a period (its own, or rolled up from the units below it),
//! judged against its target. Nothing is rebuilt in batches: the roll-up of one indicator and
//! period is computed on the first read after a change (a few thousand rows) and kept against
//! the indicator's version and the tree's, so the value entered is in the next request.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::memo::Memo;
use domain::indicators::measure::{self, Partial, Status};
use domain::indicators::period::fractional_year;
use domain::indicators::target::Target;
use domain::indicators::{Aggregation, PeriodId, ValueType};
use domain::org::OrgKind;
use domain::policy::Principal;
use store::indicators::{Indicator, IndicatorSet, TargetRow};
use store::org_index::Snapshot;

/// Every unit's figure for one indicator, period and breakdown.
#[derive(Default)]
pub struct Rolled {
    pub by_unit: HashMap<i64, (Partial, bool)>,
    /// Words entered for a milestone, by unit.
    pub texts: HashMap<i64, String>,
}

/// (indicator, the period's version, tree version, period, breakdown).
type Key = (i64, i64, i64, PeriodId, String);

/// What a reader of every indicator is shown is decided by: the version of all indicator
/// data, the tree's version, the day (late data), and whether the reader may read non-public values.
type ReaderKey = (i64, i64, NaiveDate, bool);

/// Roll-ups kept against the versions they were computed from, and the pages that read every
/// indicator (the catalogue, scorecards) kept against the version of all indicator data.
pub struct FigureCache {
    rolled: Memo<Key, Rolled>,
    /// One roll-up computed at a time: requests that miss together (after a start, or on a
    /// national page opened by many at once) wait for the first instead of each reading the
    /// same thousands of rows.
    computing: tokio::sync::Mutex<()>,
    pub(super) catalogues: Memo<ReaderKey, Vec<super::SetEntry>>,
    scorecards: Memo<(ReaderKey, i64, Option<i64>, Option<PeriodId>), Scorecard>,
    /// Validation reports, kept against the versions of the values they read and the rules.
    pub(super) reports: Memo<super::validation::ReportKey, super::validation::Report>,
    /// The same reports by the versions of all indicator data and the tree (see `ReportNow`).
    pub(super) reports_now: Memo<super::validation::ReportNow, super::validation::Report>,
    /// One report computed at a time.
    pub(super) reporting: tokio::sync::Mutex<()>,
    /// What an indicator's page shows, per reader class (see `super::page`).
    pub(super) pages: Memo<super::PageKey, super::IndicatorPage>,
}

impl Default for FigureCache {
    /// A roll-up of national data holds a few thousand units (about 400 KB): 512 of them stay
    /// within 200 MB, enough for every period of the indicators people are looking at.
    fn default() -> Self {
        FigureCache {
            rolled: Memo::with_capacity(512),
            computing: tokio::sync::Mutex::new(()),
            catalogues: Memo::default(),
            scorecards: Memo::default(),
            reports: Memo::with_capacity(256),
            reports_now: Memo::with_capacity(256),
            reporting: tokio::sync::Mutex::new(()),
            pages: Memo::with_capacity(512),
        }
    }
}

/// The key of what `who` is shown of every indicator for the unit whose chain is `chain`.
pub(super) async fn reader_key(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    who: Option<&Principal>,
    chain: &[i64],
) -> AppResult<ReaderKey> {
    let data = store::indicators::data_version(c).await?;
    Ok(reader_key_at(data, snap, who, chain))
}

/// The same, with the version of all indicator data already read.
pub(super) fn reader_key_at(
    data: i64,
    snap: &Snapshot,
    who: Option<&Principal>,
    chain: &[i64],
) -> ReaderKey {
    let private = domain::policy::authorize(
        who,
        domain::policy::Action::ReadIndicatorData,
        domain::policy::Scope::Unit(chain),
    ) == domain::policy::Decision::Allow;
    (
        data,
        snap.version,
        domain::clock::local_date(chrono::Utc::now()),
        private,
    )
}

/// The periods that hold values, in order, with the version of each.
struct Periods(Vec<(PeriodId, i64)>);

impl Periods {
    async fn of(c: &mut DbConn<'_>, ind: &Indicator) -> AppResult<Periods> {
        Ok(Periods(store::indicators::versions(c, ind.id).await?))
    }

    fn version(&self, p: PeriodId) -> i64 {
        self.0.iter().find(|(x, _)| *x == p).map_or(0, |(_, v)| *v)
    }

    fn list(&self) -> impl Iterator<Item = PeriodId> + '_ {
        self.0.iter().map(|(p, _)| *p)
    }
}

async fn rolled(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    cache: &FigureCache,
    ind: &Indicator,
    periods: &Periods,
    period: PeriodId,
    breakdown: &str,
) -> AppResult<Arc<Rolled>> {
    let key = (
        ind.id,
        periods.version(period),
        snap.version,
        period,
        breakdown.to_string(),
    );
    if let Some(r) = cache.rolled.get(&key) {
        return Ok(r);
    }
    let _turn = cache.computing.lock().await;
    if let Some(r) = cache.rolled.get(&key) {
        return Ok(r); // computed while this request waited
    }
    let mut own = HashMap::new();
    let mut texts = HashMap::new();
    for (unit, value, text, numerator, denominator) in
        store::indicators::figures_of_period(c, ind.id, period, breakdown).await?
    {
        if let Some(x) = value {
            own.insert(unit, Partial::of(x, numerator.zip(denominator)));
        }
        if let Some(t) = text {
            texts.insert(unit, t);
        }
    }
    let parent = |u: i64| snap.get(u).and_then(|x| x.parent_id);
    let depth = |u: i64| snap.get(u).map_or(0, |x| x.depth);
    let by_unit = if ind.aggregation == Aggregation::None {
        own.into_iter().map(|(u, p)| (u, (p, true))).collect()
    } else {
        measure::roll_up(&own, parent, depth)
    };
    let r = Arc::new(Rolled { by_unit, texts });
    cache.rolled.put(key, r.clone());
    Ok(r)
}

/// A unit's figure for a period, judged.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitFigure {
    pub unit_id: i64,
    pub unit_name: String,
    /// The unit's official code (a province's GSO code), when it has one.
    pub unit_code: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    pub disaggregation: String,
    /// The figure: the unit's own value, or its units' values rolled up.
    pub value: Option<f64>,
    /// Words entered for a milestone.
    pub text: Option<String>,
    /// Whether the figure is the unit's own value.
    pub own: bool,
    /// How many entered values are behind the figure.
    pub count: u64,
    /// The target the figure is judged by (the unit's own, else the nearest above it).
    pub target: Option<Target>,
    /// The target's period.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub target_period: Option<PeriodId>,
    /// What the trajectory expects for the period.
    pub expected: Option<f64>,
    /// Share of the target reached (1 = reached).
    pub achievement: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: Status,
}

/// The target rows that apply to a unit: its own, else those of the nearest unit above it.
fn targets_for<'a>(targets: &'a [TargetRow], chain: &[i64], breakdown: &str) -> Vec<&'a TargetRow> {
    for u in chain {
        let mine: Vec<&TargetRow> = targets
            .iter()
            .filter(|t| t.unit_id == *u && t.disaggregation == breakdown && t.state == "approved")
            .collect();
        if mine.iter().any(|t| t.kind == "target") {
            return mine;
        }
    }
    vec![]
}

/// Judges `value` for `period`: the target to reach (the first one at or after the period,
/// else the last), the expected value on the trajectory from the baseline, the achievement and
/// the status. `projected`: where the trend leads by the target's period, when known.
#[allow(clippy::too_many_arguments)]
fn judge(
    ind: &Indicator,
    set: &IndicatorSet,
    rows: &[&TargetRow],
    period: PeriodId,
    value: Option<f64>,
    today: NaiveDate,
    projected: impl Fn(PeriodId) -> Option<f64>,
) -> (
    Option<Target>,
    Option<PeriodId>,
    Option<f64>,
    Option<f64>,
    Status,
) {
    let mut goals: Vec<(&TargetRow, Target)> = rows
        .iter()
        .filter(|r| r.kind == "target")
        .filter_map(|r| r.target().map(|t| (*r, t)))
        .collect();
    goals.sort_by_key(|(r, _)| r.period);
    let goal = goals
        .iter()
        .find(|(r, _)| r.period.end() >= period.end())
        .or(goals.last());
    let baseline = rows.iter().find(|r| r.kind == "baseline");
    let late = period.end() + chrono::Days::new(set.entry_days.max(0) as u64) < today;
    let Some((goal_row, goal)) = goal else {
        let status = measure::status(value, None, None, None, ind.direction, late);
        return (None, None, None, None, status);
    };
    let expected = baseline.and_then(|b| {
        let mut pts = vec![(b.period.end(), b.value?)];
        pts.extend(goals.iter().map(|(r, t)| (r.period.end(), t.value)));
        measure::expected(&pts, goal_row.trajectory, period.end())
    });
    // Without a baseline, the target itself is expected once its period has ended.
    let expected =
        expected.or_else(|| (period.end() >= goal_row.period.end()).then_some(goal.value));
    let achievement = value
        .and_then(|v| measure::achievement(v, goal, ind.direction, baseline.and_then(|b| b.value)));
    let status = measure::status(
        value,
        Some(goal),
        expected,
        projected(goal_row.period),
        ind.direction,
        late,
    );
    (
        Some(goal.clone()),
        Some(goal_row.period),
        expected,
        achievement,
        status,
    )
}

fn scale(ind: &Indicator) -> f64 {
    if ind.value_type == ValueType::Percentage {
        100.0
    } else {
        1.0
    }
}

#[allow(clippy::too_many_arguments)]
fn figure_of(
    snap: &Snapshot,
    ind: &Indicator,
    set: &IndicatorSet,
    targets: &[TargetRow],
    rolled: &Rolled,
    unit: i64,
    period: PeriodId,
    breakdown: &str,
    today: NaiveDate,
    projected: impl Fn(PeriodId) -> Option<f64>,
) -> UnitFigure {
    let (partial, own) = rolled.by_unit.get(&unit).copied().unwrap_or_default();
    let value = partial.result(ind.aggregation, scale(ind)).or_else(|| {
        // A unit's own value is its figure whatever the aggregation.
        (own && partial.count == 1).then_some(partial.sum)
    });
    let text = rolled.texts.get(&unit).cloned();
    let chain = snap.chain(unit);
    let rows = targets_for(targets, &chain, breakdown);
    let entered = value.or(text.as_ref().map(|_| f64::NAN));
    let (target, target_period, expected, achievement, mut status) =
        judge(ind, set, &rows, period, value, today, projected);
    if value.is_none() && entered.is_some() {
        status = Status::NotJudged; // words entered for a milestone
    }
    UnitFigure {
        unit_id: unit,
        unit_name: snap
            .get(unit)
            .map(|u| u.name_vi.clone())
            .unwrap_or_default(),
        unit_code: snap.get(unit).and_then(|u| u.code.clone()),
        period,
        disaggregation: breakdown.to_string(),
        value,
        text,
        own,
        count: partial.count,
        target,
        target_period,
        expected,
        achievement,
        status,
    }
}

/// Provinces and the communes, wards and special zones below them: the units that report the
/// figures that roll up.
fn territorial(k: OrgKind) -> bool {
    matches!(
        k,
        OrgKind::Province | OrgKind::Commune | OrgKind::Ward | OrgKind::SpecialZone
    )
}

/// A unit's figure for period `at` (judged even when there is no value: no data, or late), or
/// without `at` for the latest period that has one (the catalogue's column; None when none
/// has). The trend that judges it is drawn from the unit's figures up to that period.
#[allow(clippy::too_many_arguments)]
pub async fn unit_figure(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    cache: &FigureCache,
    set: &IndicatorSet,
    ind: &Indicator,
    unit: i64,
    at: Option<PeriodId>,
) -> AppResult<Option<UnitFigure>> {
    let periods = Periods::of(c, ind).await?;
    let targets = store::indicators::targets(c, ind.id).await?;
    let today = domain::clock::local_date(chrono::Utc::now());
    let breakdown = ind.breakdown()[0].to_string();
    // The latest periods only: enough for the figure and its trend, whatever the history.
    let candidates: Vec<PeriodId> = periods
        .list()
        .filter(|p| p.period_type() == set.period_type && at.is_none_or(|a| *p <= a))
        .collect();
    let mut found = vec![];
    for p in candidates.iter().rev() {
        let r = rolled(c, snap, cache, ind, &periods, *p, &breakdown).await?;
        if r.by_unit.contains_key(&unit) || r.texts.contains_key(&unit) {
            found.push((*p, r));
            if found.len() == TREND_PERIODS {
                break;
            }
        }
    }
    found.reverse();
    let (period, r) = match at {
        Some(a) => match found.last() {
            Some((p, r)) if *p == a => (a, r.clone()),
            _ => (
                a,
                rolled(c, snap, cache, ind, &periods, a, &breakdown).await?,
            ),
        },
        None => match found.last() {
            Some((p, r)) => (*p, r.clone()),
            None => return Ok(None),
        },
    };
    let trend: Vec<(f64, f64)> = found
        .iter()
        .rev()
        .take(TREND_PERIODS)
        .filter_map(|(p, r)| {
            let (x, _) = r.by_unit.get(&unit).copied()?;
            let v = x
                .result(ind.aggregation, scale(ind))
                .or((x.count == 1).then_some(x.sum))?;
            Some((p.midpoint_year(), v))
        })
        .collect();
    let project = |tp: PeriodId| measure::project(&trend, fractional_year(tp.end()));
    Ok(Some(figure_of(
        snap, ind, set, &targets, &r, unit, period, &breakdown, today, project,
    )))
}

/// A unit's scorecard: each indicator of each set (or of one set) with the unit's figure for
/// the set's last ended period (or `period`, for the sets of its type).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorScorecard))]
pub struct Scorecard {
    pub unit_id: i64,
    pub unit_name: String,
    pub sets: Vec<ScorecardSet>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorecardSet {
    pub set: IndicatorSet,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    /// (indicator, the unit's figure); indicators whose values the caller may not read are left out.
    pub rows: Vec<(Indicator, UnitFigure)>,
}

impl Scorecard {
    /// The indicators that need the unit's attention: figures off their target's path and
    /// values late, in the card's order (what leaders' home pages list).
    pub fn attention(&self) -> Vec<(&IndicatorSet, &Indicator, &UnitFigure)> {
        self.sets
            .iter()
            .flat_map(|s| s.rows.iter().map(move |(i, f)| (&s.set, i, f)))
            .filter(|(_, _, f)| matches!(f.status, Status::OffTrack | Status::LateData))
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn scorecard(
    db: &crate::db::Db,
    org: &store::org_index::OrgIndex,
    fresh: &crate::freshness::Freshness,
    cache: &FigureCache,
    who: Option<&Principal>,
    unit: i64,
    set: Option<i64>,
    period: Option<PeriodId>,
) -> AppResult<Arc<Scorecard>> {
    // The versions come from `fresh` (no read while this process wrote nothing since the last),
    // so that a kept scorecard costs no query.
    let v = fresh.current(db).await?;
    let snap = org.snapshot_at(db, v.org).await?;
    let u = snap.get(unit).ok_or(AppError::NotFound)?.clone();
    let chain = snap.chain(unit);
    let national = super::national_id(&snap)?;
    let key = (
        reader_key_at(v.indicators, &snap, who, &chain),
        unit,
        set,
        period,
    );
    if let Some(card) = cache.scorecards.get(&key) {
        return Ok(card);
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let all = store::indicators::list_indicators(&mut c).await?;
    let parents: std::collections::HashSet<i64> = all.iter().filter_map(|i| i.parent_id).collect();
    let today = domain::clock::local_date(chrono::Utc::now());
    let mut sets = vec![];
    for s in store::indicators::list_sets(&mut c).await? {
        if set.is_some_and(|x| x != s.id) {
            continue;
        }
        let at = period
            .filter(|p| p.period_type() == s.period_type)
            .unwrap_or_else(|| super::last_ended(s.period_type, today));
        let mut rows = vec![];
        for ind in all.iter().filter(|i| i.set_id == s.id) {
            // Headings are judged through their parts.
            if parents.contains(&ind.id) && ind.value_type == ValueType::Milestone {
                continue;
            }
            // Who answers for what: a national figure is on the nation's card and on the card of
            // the agency responsible for it; figures that roll up are on the territorial units'.
            let shown_for = if ind.aggregation == Aggregation::None {
                (unit == national || ind.responsible_unit_id == Some(unit)).then_some(national)
            } else {
                (unit == national || territorial(u.kind)).then_some(unit)
            };
            let Some(whose) = shown_for else { continue };
            if !super::may_read_values(who, ind, &chain) {
                continue;
            }
            if let Some(f) = unit_figure(&mut c, &snap, cache, &s, ind, whose, Some(at)).await? {
                rows.push((ind.clone(), f));
            }
        }
        sets.push(ScorecardSet {
            set: s,
            period: at,
            rows,
        });
    }
    let card = Arc::new(Scorecard {
        unit_id: unit,
        unit_name: u.name_vi,
        sets,
    });
    cache.scorecards.put(key, card.clone());
    Ok(card)
}

/// "At this pace": the trend of a unit's figures carried to the target's period.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Projection {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    pub value: f64,
    /// Whether the projected value meets the target.
    pub meets: bool,
}

/// An indicator's figures for a unit and period: the unit's own, its units' (a table), its
/// series over the periods that have values, and where its trend leads.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorFigures))]
pub struct Figures {
    pub indicator_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub period: PeriodId,
    pub disaggregation: String,
    pub unit: UnitFigure,
    /// The units directly below, with a figure or a target, or that report (territorial units).
    pub children: Vec<UnitFigure>,
    /// The unit's figure in each period that holds values.
    pub series: Vec<UnitFigure>,
    pub projection: Option<Projection>,
    /// Periods that hold values, in order.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub periods: Vec<PeriodId>,
    /// Each listed unit's figures over the periods of `series` (for sparklines), by unit id
    /// (JSON object keys are text).
    pub sparks: std::collections::BTreeMap<String, Vec<Option<f64>>>,
}

/// How many recent periods the trend is drawn from.
const TREND_PERIODS: usize = 8;

/// The figures of `ind` for `unit` (default: the nation) and `period` (default: the latest with
/// values, else the last ended). Values of a non-public indicator need read access to the unit.
#[allow(clippy::too_many_arguments)]
pub async fn figures(
    db: &crate::db::Db,
    org: &store::org_index::OrgIndex,
    cache: &FigureCache,
    who: Option<&Principal>,
    id: i64,
    unit: Option<i64>,
    period: Option<PeriodId>,
    breakdown: Option<String>,
) -> AppResult<Figures> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let ind = store::indicators::get_indicator(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let set = store::indicators::get_set(&mut c, ind.set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = match unit {
        Some(u) => snap.get(u).map(|x| x.id).ok_or(AppError::NotFound)?,
        None => super::national_id(&snap)?,
    };
    if !super::may_read_values(who, &ind, &snap.chain(unit)) {
        return Err(match who {
            None => AppError::Unauthorized,
            Some(_) => AppError::Forbidden,
        });
    }
    let breakdowns = ind.breakdown();
    let breakdown = breakdown.unwrap_or_else(|| breakdowns[0].to_string());
    if !breakdowns.contains(&breakdown.as_str()) {
        return Err(AppError::invalid(domain::FieldError::new(
            "disaggregation",
            "err-no-such-breakdown",
        )));
    }
    let periods = Periods::of(&mut c, &ind).await?;
    let today = domain::clock::local_date(chrono::Utc::now());
    let period = period
        .or_else(|| {
            periods
                .list()
                .filter(|p| p.period_type() == set.period_type)
                .last()
        })
        .unwrap_or_else(|| super::last_ended(set.period_type, today));
    let targets = store::indicators::targets(&mut c, ind.id).await?;

    let mut series = vec![];
    let mut by_period = vec![];
    for p in periods
        .list()
        .filter(|p| p.period_type() == set.period_type)
    {
        let r = rolled(&mut c, &snap, cache, &ind, &periods, p, &breakdown).await?;
        series.push(figure_of(
            &snap,
            &ind,
            &set,
            &targets,
            &r,
            unit,
            p,
            &breakdown,
            today,
            |_| None,
        ));
        by_period.push(r);
    }
    let trend: Vec<(f64, f64)> = series
        .iter()
        .filter(|f| f.period <= period)
        .filter_map(|f| Some((f.period.midpoint_year(), f.value?)))
        .rev()
        .take(TREND_PERIODS)
        .collect();
    let project =
        |target_period: PeriodId| measure::project(&trend, fractional_year(target_period.end()));
    let r = rolled(&mut c, &snap, cache, &ind, &periods, period, &breakdown).await?;
    let figure = figure_of(
        &snap, &ind, &set, &targets, &r, unit, period, &breakdown, today, project,
    );
    let projection = figure
        .target_period
        .zip(figure.target.as_ref())
        .and_then(|(tp, t)| {
            let v = project(tp)?;
            Some(Projection {
                period: tp,
                value: v,
                meets: t.met_by(v, ind.direction),
            })
        });
    let mut children = vec![];
    let f = store::org::ListFilter {
        parent: Some(unit),
        limit: 100_000,
        ..Default::default()
    };
    for u in snap.list(&f).0 {
        let has = r.by_unit.contains_key(&u.id)
            || r.texts.contains_key(&u.id)
            || targets.iter().any(|t| t.unit_id == u.id);
        let reports = ind.aggregation != Aggregation::None && territorial(u.kind);
        if (has || reports) && super::may_read_values(who, &ind, &snap.chain(u.id)) {
            children.push(figure_of(
                &snap,
                &ind,
                &set,
                &targets,
                &r,
                u.id,
                period,
                &breakdown,
                today,
                |_| None,
            ));
        }
    }
    let sparks = children
        .iter()
        .map(|f: &UnitFigure| {
            let vals = by_period
                .iter()
                .map(|r| {
                    let (p, _) = r.by_unit.get(&f.unit_id).copied()?;
                    p.result(ind.aggregation, scale(&ind))
                        .or_else(|| (p.count == 1).then_some(p.sum))
                })
                .collect();
            (f.unit_id.to_string(), vals)
        })
        .collect();
    Ok(Figures {
        sparks,
        indicator_id: ind.id,
        period,
        disaggregation: breakdown,
        unit: figure,
        children,
        series,
        projection,
        periods: periods.list().collect(),
    })
}

/// Each unit's mean achievement of its targets, in %, for rankings (`indicators.achievement`):
/// over every indicator with a target that applies to the unit (its own or the nearest above
/// it), judged in the last period of the indicator's set that ended within `from..=as_of`, each
/// achievement capped at 100 % so that one target far exceeded does not make up for another
/// missed. Values are read as they stand now. Units with no judged indicator are absent.
pub async fn achievement_by_unit(
    c: &mut DbConn<'_>,
    snap: &Snapshot,
    units: &[i64],
    from: NaiveDate,
    as_of: NaiveDate,
) -> AppResult<std::collections::BTreeMap<i64, f64>> {
    // A computation of its own: an edition is rare, and its roll-ups are not pages' roll-ups.
    let cache = FigureCache::default();
    let mut sums: HashMap<i64, (f64, u32)> = HashMap::new();
    for set in store::indicators::list_sets(c).await? {
        // The last period ended by the as-of date (a period ending that day counts).
        let period = PeriodId::containing(set.period_type, as_of + chrono::Days::new(1)).prev();
        if period.end() < from {
            continue;
        }
        for ind in super::indicators_of(c, set.id).await? {
            if ind.value_type == ValueType::Milestone {
                continue;
            }
            let targets = store::indicators::targets(c, ind.id).await?;
            if targets.is_empty() {
                continue;
            }
            let periods = Periods::of(c, &ind).await?;
            let breakdown = ind.breakdown()[0].to_string();
            let r = rolled(c, snap, &cache, &ind, &periods, period, &breakdown).await?;
            for &u in units {
                let f = figure_of(
                    snap,
                    &ind,
                    &set,
                    &targets,
                    &r,
                    u,
                    period,
                    &breakdown,
                    as_of,
                    |_| None,
                );
                if let Some(a) = f.achievement.filter(|a| a.is_finite()) {
                    let s = sums.entry(u).or_default();
                    s.0 += a.clamp(0.0, 1.0);
                    s.1 += 1;
                }
            }
        }
    }
    Ok(sums
        .into_iter()
        .map(|(u, (sum, n))| (u, 100.0 * sum / f64::from(n)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::indicators::measure::Trajectory;

    #[test]
    fn targets_come_from_the_nearest_unit_that_has_one() {
        let row = |unit: i64, kind: &str, period: &str| TargetRow {
            id: 0,
            indicator_id: 1,
            unit_id: unit,
            disaggregation: String::new(),
            period: PeriodId::parse(period).unwrap(),
            kind: kind.into(),
            comparator: Some("at_least".into()),
            value: Some(80.0),
            upper: None,
            note: String::new(),
            written: String::new(),
            trajectory: Trajectory::Linear,
            state: "approved".into(),
        };
        let rows = vec![
            row(1, "target", "2030"),
            row(10, "baseline", "2024"),
            row(20, "target", "2030"),
        ];
        // Unit 10 has only a baseline: the national target applies.
        assert_eq!(
            targets_for(&rows, &[10, 1], "")
                .iter()
                .map(|r| r.unit_id)
                .collect::<Vec<_>>(),
            vec![1]
        );
        assert_eq!(targets_for(&rows, &[20, 1], "")[0].unit_id, 20);
        assert!(targets_for(&rows, &[20, 1], "Thế giới").is_empty());
    }
}
