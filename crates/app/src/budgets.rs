//! Resources: the budget planned for each assignment per year and source (state budget, other)
//! and the part disbursed, entered by the assigned unit, summed per unit and programme. The
//! disbursement rate of a unit and year is written, in the same transaction, as the value of
//! the built-in indicator NS.GIAINGAN (ratio of disbursed to planned): it rolls up, is judged
//! against its target and warns like any other indicator.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::measure::Trajectory;
use domain::indicators::target::Comparator;
use domain::indicators::{Aggregation, Direction, PeriodId, PeriodType, ValueType, read_number};
use domain::policy::{Action, Principal};
use store::audit::{Actor, Change};
use store::budgets::BudgetRow;
use store::indicators::{NewIndicator, NewSet, NewTarget, NewValue};

/// The set and indicator the disbursement rates are written to.
pub const BUDGET_SET: &str = "NGAN-SACH";
pub use crate::indicators::BUDGET_RATE as RATE_INDICATOR;
/// The rate each year's budget is expected to reach by the year's end (%).
const RATE_TARGET: f64 = 95.0;
pub const SOURCES: [&str; 2] = ["state", "other"];

/// A budget line as its unit enters it (million đồng; Vietnamese or English decimals).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetInput {
    pub year: i32,
    /// state (default) or other.
    #[serde(default)]
    pub source: String,
    pub planned: String,
    #[serde(default)]
    pub disbursed: String,
}

/// The set and indicator of disbursement rates, created with their yearly targets on first use.
async fn rate_indicator(c: &mut DbConn<'_>, by: Option<i64>, now: DateTime<Utc>) -> AppResult<i64> {
    if let Some(set) = store::indicators::set_by_code(c, BUDGET_SET).await?
        && let Some(i) = store::indicators::list_indicators(c)
            .await?
            .into_iter()
            .find(|i| i.set_id == set.id && i.code == RATE_INDICATOR)
    {
        return Ok(i.id);
    }
    let national = store::org::find_current_by_code(c, crate::indicators::NATIONAL)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("owner", "err-no-such-unit")))?;
    let programme = store::tasks::programme_by_code(c, crate::programmes::NQ03.code).await?;
    let set_id = match store::indicators::set_by_code(c, BUDGET_SET).await? {
        Some(s) => s.id,
        None => {
            store::indicators::insert_set(
                c,
                &NewSet {
                    code: BUDGET_SET,
                    name_vi: "Nguồn lực: giải ngân kinh phí thực hiện nhiệm vụ",
                    name_en: "Resources: disbursement of the tasks' budgets",
                    name_fr: "Ressources : décaissement des budgets des tâches",
                    programme_id: programme,
                    owner_unit_id: national.id,
                    period_type: PeriodType::Year,
                    entry_days: 31,
                },
                now,
            )
            .await?
        }
    };
    let ind = store::indicators::insert_indicator(
        c,
        &NewIndicator {
            set_id,
            code: RATE_INDICATOR,
            number: "1",
            position: 0,
            parent_id: None,
            name_vi: "Tỉ lệ giải ngân kinh phí thực hiện nhiệm vụ",
            name_en: "Share of the tasks' budget disbursed",
            name_fr: "Part du budget des tâches décaissée",
            definition: "Kinh phí đã giải ngân / kinh phí kế hoạch của các nhiệm vụ được giao trong năm × 100 (mọi nguồn).",
            method: "Tính tự động từ kinh phí kế hoạch và giải ngân do đơn vị nhập cho từng nhiệm vụ.",
            source: "nqtrack: kinh phí nhiệm vụ",
            unit_of_measure: "%",
            value_type: ValueType::Percentage,
            direction: Direction::Higher,
            aggregation: Aggregation::Ratio,
            disaggregations: "",
            responsible_unit_id: None,
            responsible_text: "Đơn vị được giao nhiệm vụ",
            is_public: true,
        },
        by,
        now,
    )
    .await?;
    for year in 2025..=2030 {
        store::indicators::put_target(
            c,
            &NewTarget {
                indicator_id: ind.id,
                unit_id: national.id,
                disaggregation: "",
                period: PeriodId::Year(year),
                kind: "target",
                comparator: Some(Comparator::AtLeast),
                value: Some(RATE_TARGET),
                upper: None,
                note: "",
                written: "≥ 95%",
                trajectory: Trajectory::Stepwise,
                state: "approved",
            },
        )
        .await?;
    }
    Ok(ind.id)
}

/// Sets an assignment's budget for a year and source (the assigned unit), and its unit's
/// disbursement rate for the year, in one transaction.
pub async fn set(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: BudgetInput,
) -> AppResult<BudgetRow> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let a = crate::assignment_for(&mut c, who, Action::ReportProgress, assignment_id).await?;
    let mut errs = vec![];
    if !(2000..=2100).contains(&input.year) {
        errs.push(
            FieldError::new("year", "err-range")
                .with("min", 2000)
                .with("max", 2100),
        );
    }
    let source = match input.source.trim() {
        "" => "state",
        s if SOURCES.contains(&s) => s,
        _ => {
            errs.push(FieldError::new("source", "err-choice"));
            "state"
        }
    };
    let amount = |field: &str, s: &str, errs: &mut Vec<FieldError>| -> f64 {
        match s.trim() {
            "" => 0.0,
            t => match read_number(t).filter(|v| *v >= 0.0 && *v < 1e12) {
                Some(v) => v,
                None => {
                    errs.push(FieldError::new(field, "err-number"));
                    0.0
                }
            },
        }
    };
    let planned = amount("planned", &input.planned, &mut errs);
    let disbursed = amount("disbursed", &input.disbursed, &mut errs);
    if errs.is_empty() && disbursed > planned {
        errs.push(FieldError::new("disbursed", "err-disbursed-above"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let before = store::budgets::get(&mut c, assignment_id, input.year, source).await?;
    store::budgets::put(
        &mut c,
        assignment_id,
        input.year,
        source,
        planned,
        disbursed,
        who.user_id,
        now,
    )
    .await?;
    // The unit's rate for the year follows, as an indicator value.
    let ind = rate_indicator(&mut c, Some(who.user_id), now).await?;
    let period = PeriodId::Year(input.year);
    let (p, d) = store::budgets::unit_year(&mut c, a.unit_id, input.year).await?;
    let existing = store::indicators::values_of_units(&mut c, &[ind], &[a.unit_id], &[period])
        .await?
        .into_iter()
        .next();
    let value = (p > 0.0).then(|| NewValue {
        indicator_id: ind,
        unit_id: a.unit_id,
        period,
        disaggregation: String::new(),
        value: Some(d / p * 100.0),
        text_value: None,
        numerator: Some(d),
        denominator: Some(p),
        comment: String::new(),
        source: "budget".into(),
        evidence: String::new(),
    });
    let plan = vec![crate::indicators::entry::Planned {
        key: (ind, a.unit_id, period, String::new()),
        value,
        existing,
    }];
    let (_, records) = crate::indicators::entry::write(&mut c, who, plan, now).await?;
    let row = store::budgets::get(&mut c, assignment_id, input.year, source)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut changes = vec![
        Change::new("budget.set", "assignment", assignment_id)
            .before(store::audit::to_json(&before))
            .after(store::audit::to_json(&Some(&row))),
    ];
    changes.extend(crate::indicators::entry::changes(&records));
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(row)
}

/// A task's budget lines, with unit names.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskBudget {
    pub task_id: i64,
    pub task_code: String,
    pub task_title: String,
    pub programme_id: i64,
    pub lines: Vec<BudgetRow>,
    pub planned: f64,
    pub disbursed: f64,
}

/// The budget of a task the caller may read (the task's own rule decides).
pub async fn of_task(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: Option<&Principal>,
    task_id: i64,
) -> AppResult<TaskBudget> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let task = crate::programmes::readable_task(&mut c, &snap, who, task_id).await?;
    let lines = store::budgets::of_task(&mut c, task_id).await?;
    Ok(TaskBudget {
        task_id,
        task_code: task.code,
        task_title: task.title,
        programme_id: task.programme_id,
        planned: lines.iter().map(|l| l.planned).sum(),
        disbursed: lines.iter().map(|l| l.disbursed).sum(),
        lines,
    })
}

/// One unit's year in a programme's budget.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitYear {
    pub unit_id: i64,
    pub unit_name: String,
    pub year: i32,
    pub planned_state: f64,
    pub planned_other: f64,
    pub disbursed_state: f64,
    pub disbursed_other: f64,
    /// Disbursed ÷ planned (0–1), all sources; None when nothing is planned.
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgrammeBudget {
    pub programme_id: i64,
    pub code: String,
    pub name: String,
    pub units: Vec<UnitYear>,
    /// The programme's sums per year (unit_id 0).
    pub years: Vec<UnitYear>,
}

/// A programme's budget per unit and year, public tasks only (what anyone may read).
pub async fn of_programme(
    db: &Db,
    org: &store::org_index::OrgIndex,
    programme_id: i64,
) -> AppResult<ProgrammeBudget> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let programme = store::tasks::get_programme(&mut c, programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sums = store::budgets::programme_sums(&mut c, programme_id).await?;
    let mut units: Vec<UnitYear> = vec![];
    let mut years: std::collections::BTreeMap<i32, UnitYear> = Default::default();
    let blank = |unit_id: i64, unit_name: String, year: i32| UnitYear {
        unit_id,
        unit_name,
        year,
        planned_state: 0.0,
        planned_other: 0.0,
        disbursed_state: 0.0,
        disbursed_other: 0.0,
        rate: None,
    };
    for (unit, year, source, planned, disbursed) in sums {
        if units
            .last()
            .is_none_or(|u| (u.unit_id, u.year) != (unit, year))
        {
            let name = snap
                .get(unit)
                .map(|u| u.name_vi.clone())
                .unwrap_or_default();
            units.push(blank(unit, name, year));
        }
        let total = years
            .entry(year)
            .or_insert_with(|| blank(0, String::new(), year));
        for u in [units.last_mut(), Some(total)].into_iter().flatten() {
            if source == "state" {
                u.planned_state += planned;
                u.disbursed_state += disbursed;
            } else {
                u.planned_other += planned;
                u.disbursed_other += disbursed;
            }
        }
    }
    let rate = |u: &mut UnitYear| {
        let p = u.planned_state + u.planned_other;
        u.rate = (p > 0.0).then(|| (u.disbursed_state + u.disbursed_other) / p);
    };
    units.iter_mut().for_each(rate);
    let mut years: Vec<UnitYear> = years.into_values().collect();
    years.iter_mut().for_each(rate);
    Ok(ProgrammeBudget {
        programme_id,
        code: programme.code,
        name: programme.name,
        units,
        years,
    })
}

/// The assignments of a task whose budget `who` may enter: (assignment id, unit id).
pub async fn editable(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    task_id: i64,
) -> AppResult<Vec<(i64, i64)>> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let all = store::tasks::assignments_of_task(&mut c.conn(), task_id).await?;
    Ok(all
        .into_iter()
        .filter(|a| a.cancelled_on.is_none() && a.superseded_on.is_none())
        .filter(|a| {
            domain::policy::authorize(
                Some(who),
                Action::ReportProgress,
                domain::policy::Scope::Unit(&snap.chain(a.unit_id)),
            ) == domain::policy::Decision::Allow
        })
        .map(|a| (a.id, a.unit_id))
        .collect())
}
