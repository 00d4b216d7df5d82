//! Indicators and targets: the catalogue, each indicator's figures per unit and period
//! (rolled up the organisation tree on read, cached against the indicator's version), value
//! entry by form and by the DHIS2 API, the submission and approval of a unit's values, and
//! the built-in sets (Annex I of 03/NQ-CP, a provincial KPI set).

pub mod alerts;
pub mod annex_one_names;
pub mod builtin;
pub mod definitions;
pub mod dhis2;
pub mod entry;
pub mod figures;
pub mod spreadsheet;
pub mod submissions;
pub mod targets;
pub mod validation;

use std::sync::Arc;

use serde::Serialize;

use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use domain::indicators::PeriodId;
use domain::policy::{self, Action, Decision, Principal, Scope};
use store::indicators::{Indicator, IndicatorSet, TargetRow};
use store::org_index::Snapshot;

pub use figures::{FigureCache, Figures, Scorecard, UnitFigure};

/// The disbursement rate of the tasks' budgets: computed from them, never entered.
pub const BUDGET_RATE: &str = "NS.GIAINGAN";

/// The code of the national unit, the root of the tree.
pub const NATIONAL: &str = "VN";

/// A set with its indicators, as the catalogue lists them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetEntry {
    pub set: IndicatorSet,
    pub indicators: Vec<CatalogueRow>,
}

/// One indicator in the catalogue with its national targets and its latest national figure.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogueRow {
    pub indicator: Indicator,
    pub targets: Vec<TargetRow>,
    /// The latest period with a national figure, and that figure's judgement.
    pub latest: Option<UnitFigure>,
}

/// Definitions are public, like the organisation tree; values of a non-public indicator are
/// for the units concerned (checked per unit where values are read).
pub async fn catalogue(
    db: &Db,
    org: &store::org_index::OrgIndex,
    cache: &FigureCache,
    who: Option<&Principal>,
) -> AppResult<Vec<SetEntry>> {
    let snap = org.snapshot(db).await?;
    let national = national_id(&snap)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let key = figures::reader_key(&mut c, &snap, who, &snap.chain(national)).await?;
    if let Some(cat) = cache.catalogues.get(&key) {
        return Ok((*cat).clone());
    }
    let sets = store::indicators::list_sets(&mut c).await?;
    let all = store::indicators::list_indicators(&mut c).await?;
    let targets = store::indicators::all_targets_of_unit(&mut c, national).await?;
    let mut out = vec![];
    for set in sets {
        let mut rows = vec![];
        for ind in all.iter().filter(|i| i.set_id == set.id) {
            let latest = if may_read_values(who, ind, &snap.chain(national)) {
                figures::unit_figure(&mut c, &snap, cache, &set, ind, national, None).await?
            } else {
                None
            };
            rows.push(CatalogueRow {
                indicator: ind.clone(),
                targets: targets
                    .iter()
                    .filter(|t| t.indicator_id == ind.id)
                    .cloned()
                    .collect(),
                latest,
            });
        }
        out.push(SetEntry {
            set,
            indicators: rows,
        });
    }
    cache.catalogues.put(key, Arc::new(out.clone()));
    Ok(out)
}

/// The national unit's id.
pub fn national_id(snap: &Snapshot) -> AppResult<i64> {
    snap.current_of_kind(domain::org::OrgKind::National)
        .first()
        .map(|u| u.id)
        .ok_or(AppError::NotFound)
}

/// Whether `who` may read `ind`'s values for the unit whose chain is `chain`.
pub fn may_read_values(who: Option<&Principal>, ind: &Indicator, chain: &[i64]) -> bool {
    ind.is_public
        || policy::authorize(who, Action::ReadIndicatorData, Scope::Unit(chain)) == Decision::Allow
}

/// One indicator with everything about it that is not a figure.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorDetail))]
pub struct Detail {
    pub indicator: Indicator,
    pub set: IndicatorSet,
    pub parent: Option<Indicator>,
    pub children: Vec<Indicator>,
    /// Targets, baselines and milestones of every unit.
    pub targets: Vec<TargetRow>,
    /// (id, code, title) of the programme tasks it measures.
    pub tasks: Vec<(i64, String, String)>,
    /// Earlier definitions: (revision, definition as JSON).
    pub revisions: Vec<(i32, String)>,
}

pub async fn detail(db: &Db, id: i64) -> AppResult<Detail> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let indicator = store::indicators::get_indicator(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let set = store::indicators::get_set(&mut c, indicator.set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // The parent and the children only: decoding every indicator costs more than the page's figures.
    let parent = match indicator.parent_id {
        Some(p) => store::indicators::get_indicator(&mut c, p).await?,
        None => None,
    };
    let children = store::indicators::children_of(&mut c, id).await?;
    Ok(Detail {
        targets: store::indicators::targets(&mut c, id).await?,
        tasks: store::indicators::linked_tasks(&mut c, id).await?,
        revisions: store::indicators::revisions(&mut c, id)
            .await?
            .into_iter()
            .map(|(r, d, _)| (r, d))
            .collect(),
        indicator,
        set,
        parent,
        children,
    })
}

/// Everything an indicator's page shows for one unit, period and breakdown.
pub struct IndicatorPage {
    pub detail: Detail,
    pub figures: Figures,
    /// (id, name) of the units above the one shown, from the nation down.
    pub ancestors: Vec<(i64, String)>,
}

/// (indicator, unit, period, breakdown, reader class, versions of the tree, tasks and indicator
/// data, local day). The reader class is None for a public indicator (the same for everyone),
/// else the reader's role and unit, which decide which units' values they may see.
pub(crate) type PageKey = (
    i64,
    Option<i64>,
    Option<PeriodId>,
    Option<String>,
    Option<(policy::Role, i64)>,
    (i64, i64, i64),
    chrono::NaiveDate,
);

/// An indicator's page, kept until the indicator data, the tree or the tasks change (their
/// version counters, read through `fresh`): a signed-in reader's page then costs no query but
/// the session's, where it took fifteen round trips to the database.
#[allow(clippy::too_many_arguments)]
pub async fn page(
    db: &Db,
    org: &store::org_index::OrgIndex,
    fresh: &crate::freshness::Freshness,
    cache: &FigureCache,
    who: Option<&Principal>,
    id: i64,
    unit: Option<i64>,
    period: Option<PeriodId>,
    breakdown: Option<String>,
) -> AppResult<Arc<IndicatorPage>> {
    let v = fresh.current(db).await?;
    let day = domain::clock::local_date(chrono::Utc::now());
    let key = |class| {
        (
            id,
            unit,
            period,
            breakdown.clone(),
            class,
            (v.org, v.tasks, v.indicators),
            day,
        )
    };
    let class = who.map(|w| (w.role, w.unit_id));
    // Public indicators are kept under no class, so one entry serves every reader.
    for k in [key(None), key(class)] {
        if let Some(p) = cache.pages.get(&k) {
            return Ok(p);
        }
    }
    let detail = detail(db, id).await?;
    let figures =
        figures::figures(db, org, cache, who, id, unit, period, breakdown.clone()).await?;
    let snap = org.snapshot(db).await?;
    let ancestors = snap
        .ancestors(figures.unit.unit_id)
        .into_iter()
        .map(|a| (a.id, a.name_vi))
        .collect();
    let public = detail.indicator.is_public;
    let page = Arc::new(IndicatorPage {
        detail,
        figures,
        ancestors,
    });
    cache
        .pages
        .put(key(if public { None } else { class }), page.clone());
    Ok(page)
}

/// Computes the catalogue and the nation's scorecard into the cache (at a start: seconds at
/// national scale when nothing is cached, so that the first visitors do not wait for them).
pub async fn warm(db: &Db, org: &store::org_index::OrgIndex, cache: &FigureCache) -> AppResult<()> {
    catalogue(db, org, cache, None).await?;
    let national = national_id(&*org.snapshot(db).await?)?;
    let fresh = crate::freshness::Freshness::default();
    figures::scorecard(db, org, &fresh, cache, None, national, None, None).await?;
    Ok(())
}

/// The indicators of a set, in their order.
pub async fn indicators_in(db: &Db, set_id: i64) -> AppResult<Vec<Indicator>> {
    let mut c = db.acquire().await?;
    indicators_of(&mut c.conn(), set_id).await
}

/// Whether `who` may define indicators, targets and rules (pages offer the forms).
pub fn may_manage(who: &Principal) -> bool {
    policy::authorize(Some(who), Action::ManageIndicators, Scope::Global) == Decision::Allow
}

pub async fn sets(db: &Db) -> AppResult<Vec<IndicatorSet>> {
    let mut c = db.acquire().await?;
    store::indicators::list_sets(&mut c.conn()).await
}

/// The indicators of a set, in order.
pub async fn indicators_of(c: &mut DbConn<'_>, set_id: i64) -> AppResult<Vec<Indicator>> {
    Ok(store::indicators::list_indicators(c)
        .await?
        .into_iter()
        .filter(|i| i.set_id == set_id)
        .collect())
}

/// The period an entry form opens on: the last one that has ended.
pub fn last_ended(t: domain::indicators::PeriodType, today: chrono::NaiveDate) -> PeriodId {
    PeriodId::containing(t, today).prev()
}

/// A period as given in a query (`None` when absent or blank).
pub fn read_period(s: Option<&str>) -> AppResult<Option<PeriodId>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(p) => require_period(p).map(Some),
    }
}

/// A period that must be given.
pub fn require_period(s: &str) -> AppResult<PeriodId> {
    PeriodId::parse(s).ok_or_else(|| {
        AppError::invalid(domain::FieldError::new("period", "err-period").with("period", s.trim()))
    })
}

/// A period of the set's type that has begun.
pub(crate) fn check_period(
    set: &IndicatorSet,
    p: PeriodId,
    today: chrono::NaiveDate,
) -> AppResult<PeriodId> {
    if p.period_type() != set.period_type {
        return Err(AppError::invalid(
            domain::FieldError::new("period", "err-period-type").with("expected", set.period_type),
        ));
    }
    if p.start() > today {
        return Err(AppError::invalid(domain::FieldError::new(
            "period",
            "err-period-future",
        )));
    }
    Ok(p)
}
