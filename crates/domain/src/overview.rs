//! The programme overview as the Government reports it: "N tasks due: A completed on time,
//! B completed late, C in progress within the deadline, D overdue", overall, per lead unit and per
//! group, for a deadline window, as of any date.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::input::DueWindow;
use super::status::{Facts, Rules, Status, status};

/// One lead assignment with what the overview groups by.
#[derive(Debug, Clone)]
pub struct Row {
    pub task_id: i64,
    pub group: Option<i64>,
    pub unit_id: i64,
    pub facts: Facts,
}

/// The status name of a task that no unit in the system leads (its lead is named only in words):
/// it has nothing to roll up and stays outside the programme's figures, which "not started" would
/// hide.
pub const NO_LEAD: &str = "no_lead";

/// The status name shown for a task with these lead assignment statuses.
pub fn task_status_name(lead_statuses: &[Status]) -> &'static str {
    if lead_statuses.is_empty() {
        NO_LEAD
    } else {
        rollup(lead_statuses).as_str()
    }
}

/// A task's status from its lead assignments: done when all are done (late if any was late);
/// otherwise the most urgent state among them.
pub fn rollup(statuses: &[Status]) -> Status {
    use Status::*;
    let live: Vec<Status> = statuses
        .iter()
        .copied()
        .filter(|s| !matches!(s, Cancelled | Superseded))
        .collect();
    if live.is_empty() {
        return if statuses.contains(&Cancelled) {
            Cancelled
        } else if statuses.is_empty() {
            NotStarted
        } else {
            Superseded
        };
    }
    if live.iter().all(|s| s.is_completed()) {
        return if live.contains(&CompletedLate) {
            CompletedLate
        } else {
            CompletedOnTime
        };
    }
    for s in [Overdue, AtRisk, InProgress] {
        if live.contains(&s) {
            return s;
        }
    }
    if live.iter().any(|s| s.is_completed()) {
        InProgress
    } else {
        NotStarted
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: i64,
    /// Of these, how many are due: a deadline in force on or before the as-of date (for a task,
    /// that of any of its lead assignments). Tasks due in later years are counted in `total`,
    /// never here.
    pub due: i64,
    /// Status name → count.
    pub by_status: BTreeMap<&'static str, i64>,
}

impl Counts {
    fn add(&mut self, s: Status, due: bool) {
        self.total += 1;
        self.due += i64::from(due);
        *self.by_status.entry(s.as_str()).or_default() += 1;
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Overview {
    /// Tasks (rolled up from their lead assignments).
    pub tasks: Counts,
    /// Lead assignments per unit id.
    pub per_unit: BTreeMap<i64, Counts>,
    /// Tasks per group id (0 for tasks without a group).
    pub per_group: BTreeMap<i64, Counts>,
}

/// Rows whose deadline in force falls in `[from, to]` (either end open) are counted.
pub fn overview(rows: &[Row], as_of: NaiveDate, window: DueWindow, rules: Rules) -> Overview {
    let mut o = Overview::default();
    let mut per_task: BTreeMap<i64, (Option<i64>, Vec<Status>, bool)> = BTreeMap::new();
    for r in rows {
        let due = super::status::deadline_in_force(&r.facts, as_of);
        let is_due = due.is_some_and(|d| d <= as_of);
        if !window.contains(due) {
            continue;
        }
        let s = status(&r.facts, as_of, rules);
        o.per_unit.entry(r.unit_id).or_default().add(s, is_due);
        let t = per_task
            .entry(r.task_id)
            .or_insert_with(|| (r.group, vec![], false));
        t.1.push(s);
        t.2 |= is_due;
    }
    for (group, statuses, is_due) in per_task.values() {
        let s = rollup(statuses);
        o.tasks.add(s, *is_due);
        o.per_group
            .entry(group.unwrap_or(0))
            .or_default()
            .add(s, *is_due);
    }
    o
}

/// Tasks by the month of their deadline in force (first day of the month), each with its
/// rolled-up status as of `as_of`: the timeline of deadlines.
pub fn timeline(rows: &[Row], as_of: NaiveDate, rules: Rules) -> BTreeMap<NaiveDate, Counts> {
    let mut per_task: BTreeMap<i64, (Option<NaiveDate>, Vec<Status>)> = BTreeMap::new();
    for r in rows {
        let due = super::status::deadline_in_force(&r.facts, as_of);
        let e = per_task.entry(r.task_id).or_default();
        // A task is due when its last lead assignment is.
        e.0 = e.0.max(due);
        e.1.push(status(&r.facts, as_of, rules));
    }
    let mut out: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    for (due, statuses) in per_task.values() {
        if let Some(d) = due {
            let month = d.with_day(1).unwrap_or(*d);
            out.entry(month)
                .or_default()
                .add(rollup(statuses), *d <= as_of);
        }
    }
    out
}

/// For each day in `points`: (tasks due by then, tasks completed by then), each judged as of that
/// day: the trend of completion.
pub fn trend(rows: &[Row], points: &[NaiveDate], rules: Rules) -> Vec<(NaiveDate, i64, i64)> {
    let mut tasks: BTreeMap<i64, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        tasks.entry(r.task_id).or_default().push(r);
    }
    points
        .iter()
        .map(|&day| {
            let (mut due, mut done) = (0, 0);
            for rs in tasks.values() {
                let statuses: Vec<Status> =
                    rs.iter().map(|r| status(&r.facts, day, rules)).collect();
                let s = rollup(&statuses);
                let is_due = rs.iter().any(|r| {
                    super::status::deadline_in_force(&r.facts, day).is_some_and(|d| d <= day)
                });
                if is_due {
                    due += 1;
                }
                if s.is_completed() {
                    done += 1;
                }
            }
            (day, due, done)
        })
        .collect()
}

/// How assignments roll up into the one above them (a programme setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollupMode {
    /// Share of the assignments completed.
    Share,
    /// Mean of their percentages, completed ones counting 100.
    Weighted,
}

impl RollupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RollupMode::Share => "share",
            RollupMode::Weighted => "weighted",
        }
    }

    pub fn parse(s: &str) -> Option<RollupMode> {
        [RollupMode::Share, RollupMode::Weighted]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

crate::named!(RollupMode, "roll-up mode");

/// Percent complete of a cascaded assignment from its live children: how many there are, how many
/// are completed, and the sum of their percentages with completed ones counting 100.
/// None when there are no children.
pub fn cascade_percent(total: u64, done: u64, percent_sum: u64, mode: RollupMode) -> Option<u8> {
    if total == 0 {
        return None;
    }
    let sum = match mode {
        RollupMode::Share => done.min(total) * 100,
        RollupMode::Weighted => percent_sum.min(total * 100),
    };
    // Round down: 99.5% is not done.
    Some((sum / total) as u8)
}

/// How the periodic (ongoing or recurring) lead assignments did in one reporting period.
pub fn period_counts(
    reports: &[Vec<(NaiveDate, bool)>],
    start: NaiveDate,
    end: NaiveDate,
    as_of: NaiveDate,
) -> BTreeMap<&'static str, i64> {
    let mut out = BTreeMap::new();
    for r in reports {
        let s = super::status::period_status(r, start, end, as_of);
        *out.entry(s.as_str()).or_default() += 1;
    }
    out
}

/// A unit's record against its deadlines, for the league tables: of its live lead assignments
/// whose deadline in force is on or before the as-of date (`due`), how many were completed by
/// the deadline, completed after it, and are still not completed. Cancelled and superseded work
/// counts nowhere.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OnTime {
    pub due: i64,
    pub on_time: i64,
    pub late: i64,
    /// Due and not completed: overdue, or due on the as-of date itself and still open.
    pub open: i64,
}

impl OnTime {
    /// Share completed on time of what was due, in tenths of a percent (0..=1000); None when
    /// nothing was due (no share to rank by).
    pub fn permille(&self) -> Option<i64> {
        (self.due > 0).then(|| (self.on_time * 1000 + self.due / 2) / self.due)
    }
}

/// Per unit: the record against deadlines as of `as_of`.
pub fn on_time(rows: &[Row], as_of: NaiveDate, rules: Rules) -> BTreeMap<i64, OnTime> {
    let mut out: BTreeMap<i64, OnTime> = BTreeMap::new();
    for r in rows {
        let s = status(&r.facts, as_of, rules);
        if matches!(s, Status::Cancelled | Status::Superseded) {
            continue;
        }
        let e = out.entry(r.unit_id).or_default();
        let due = super::status::deadline_in_force(&r.facts, as_of).is_some_and(|d| d <= as_of);
        if !due {
            continue;
        }
        e.due += 1;
        match s {
            Status::CompletedOnTime => e.on_time += 1,
            Status::CompletedLate => e.late += 1,
            _ => e.open += 1,
        }
    }
    out
}

/// Units ranked for a league table: the best share on time first, then the most work due (a
/// unit that met 10 of 10 deadlines ranks above one that met 1 of 1), then the id for a stable
/// order; units with nothing due come last.
pub fn rank(units: &BTreeMap<i64, OnTime>) -> Vec<(i64, OnTime)> {
    let mut v: Vec<(i64, OnTime)> = units.iter().map(|(u, o)| (*u, *o)).collect();
    v.sort_by_key(|(u, o)| {
        (
            o.permille().is_none(),
            std::cmp::Reverse(o.permille().unwrap_or(0)),
            std::cmp::Reverse(o.due),
            *u,
        )
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Report;

    #[test]
    fn a_task_without_a_lead_unit_says_so() {
        assert_eq!(task_status_name(&[]), NO_LEAD);
        assert!(Status::ALL.iter().all(|s| s.as_str() != NO_LEAD));
        for s in Status::ALL {
            assert_eq!(task_status_name(&[s]), s.as_str());
        }
        assert_eq!(
            task_status_name(&[Status::CompletedOnTime, Status::Overdue]),
            rollup(&[Status::CompletedOnTime, Status::Overdue]).as_str()
        );
    }

    fn agg(kids: &[(bool, u8)], mode: RollupMode) -> Option<u8> {
        let done = kids.iter().filter(|k| k.0).count() as u64;
        let sum = kids
            .iter()
            .map(|(d, p)| if *d { 100 } else { u64::from(*p) })
            .sum();
        cascade_percent(kids.len() as u64, done, sum, mode)
    }

    #[test]
    fn cascade_rolls_up() {
        let kids = [(true, 100), (false, 50), (false, 0), (true, 100)];
        assert_eq!(agg(&kids, RollupMode::Share), Some(50));
        assert_eq!(agg(&kids, RollupMode::Weighted), Some(62));
        assert_eq!(agg(&[], RollupMode::Share), None);
        assert_eq!(agg(&[(true, 0)], RollupMode::Weighted), Some(100));
        let almost = [(true, 100); 199]
            .iter()
            .copied()
            .chain([(false, 99)])
            .collect::<Vec<_>>();
        assert_eq!(agg(&almost, RollupMode::Weighted), Some(99));
    }

    proptest::proptest! {
        #[test]
        fn cascade_percent_is_bounded_and_full_only_when_all_done(
            kids in proptest::collection::vec((proptest::bool::ANY, 0u8..=100), 1..50)
        ) {
            for mode in [RollupMode::Share, RollupMode::Weighted] {
                let p = agg(&kids, mode).unwrap();
                proptest::prop_assert!(p <= 100);
                let all_done = kids.iter().all(|k| k.0);
                proptest::prop_assert_eq!(p == 100, all_done || (mode == RollupMode::Weighted && kids.iter().all(|k| k.0 || k.1 == 100)));
            }
        }
    }

    #[test]
    fn timeline_and_trend() {
        let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        let row = |task, due: NaiveDate, done: Option<NaiveDate>| Row {
            task_id: task,
            group: None,
            unit_id: task,
            facts: Facts {
                assigned_on: Some(day(1, 1)),
                original_due: Some(due),
                completion: done.map(|d| (d, d)),
                ..Default::default()
            },
        };
        let rows = vec![
            row(1, day(3, 31), Some(day(3, 20))),
            row(2, day(3, 15), None),
            row(3, day(6, 30), Some(day(7, 5))),
        ];
        let r = Rules::default();
        let t = timeline(&rows, day(8, 1), r);
        assert_eq!(t.len(), 2);
        let march = &t[&day(3, 1)];
        assert_eq!(march.total, 2);
        assert_eq!(march.by_status.get("completed_on_time"), Some(&1));
        assert_eq!(march.by_status.get("overdue"), Some(&1));
        assert_eq!(t[&day(6, 1)].by_status.get("completed_late"), Some(&1));
        let tr = trend(&rows, &[day(2, 28), day(3, 31), day(7, 31)], r);
        assert_eq!(
            tr,
            vec![(day(2, 28), 0, 0), (day(3, 31), 2, 1), (day(7, 31), 3, 2)]
        );
    }

    #[test]
    fn periods_are_counted() {
        let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
        let (s, e) = (day(4, 1), day(6, 30));
        let rows = vec![
            vec![(day(5, 2), true)],
            vec![(day(5, 2), false), (day(3, 1), true)],
            vec![(day(7, 2), true)],
            vec![],
        ];
        let c = period_counts(&rows, s, e, day(8, 1));
        assert_eq!(c.get("reported_with_results"), Some(&1));
        assert_eq!(c.get("reported_without_results"), Some(&1));
        assert_eq!(c.get("not_reported"), Some(&2));
    }
    use chrono::Duration;
    use proptest::prelude::*;

    fn d(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(n)
    }

    #[test]
    fn rollup_rules() {
        use Status::*;
        assert_eq!(rollup(&[CompletedOnTime, CompletedOnTime]), CompletedOnTime);
        assert_eq!(rollup(&[CompletedOnTime, CompletedLate]), CompletedLate);
        assert_eq!(rollup(&[CompletedOnTime, Overdue]), Overdue);
        assert_eq!(rollup(&[CompletedOnTime, NotStarted]), InProgress);
        assert_eq!(rollup(&[Cancelled, CompletedOnTime]), CompletedOnTime);
        assert_eq!(rollup(&[Cancelled]), Cancelled);
        assert_eq!(rollup(&[NotStarted, AtRisk]), AtRisk);
    }

    #[test]
    fn the_may_2025_report_shape() {
        // Three tasks due in March-May: one done on time, one in progress, one overdue.
        let f = |due: i64, completion: Option<(i64, i64)>, report: Option<i64>| Facts {
            assigned_on: Some(d(0)),
            original_due: Some(d(due)),
            completion: completion.map(|(a, b)| (d(a), d(b))),
            reports: report
                .map(|r| {
                    vec![Report {
                        on: d(r),
                        percent: 90,
                    }]
                })
                .unwrap_or_default(),
            ..Default::default()
        };
        let rows = vec![
            Row {
                task_id: 1,
                group: Some(1),
                unit_id: 10,
                facts: f(100, Some((90, 92)), None),
            },
            Row {
                task_id: 2,
                group: Some(1),
                unit_id: 10,
                facts: f(150, None, Some(125)),
            },
            Row {
                task_id: 3,
                group: Some(2),
                unit_id: 11,
                facts: f(110, None, Some(100)),
            },
            Row {
                task_id: 4,
                group: Some(2),
                unit_id: 11,
                facts: f(400, None, None),
            },
        ];
        let o = overview(
            &rows,
            d(130),
            DueWindow::parse(Some(d(59)), Some(d(150))).unwrap(),
            Rules::default(),
        );
        assert_eq!(o.tasks.total, 3, "task 4 is due outside the window");
        assert_eq!(o.tasks.due, 2, "task 2 is due after the as-of date");
        assert_eq!(o.tasks.by_status.get("completed_on_time"), Some(&1));
        assert_eq!(o.tasks.by_status.get("in_progress"), Some(&1));
        assert_eq!(o.tasks.by_status.get("overdue"), Some(&1));
        assert_eq!(o.per_unit[&11].total, 1);
        assert_eq!(o.per_group[&1].total, 2);
    }

    proptest! {
        /// The league's record adds up: every due row is on time, late or open; shares stay
        /// within 0..=100 %; the ranking keeps every unit once and never puts a unit with a
        /// lower share above one with a higher share.
        #[test]
        fn league_records_add_up_and_rank_by_share(
            rows in proptest::collection::vec((0i64..8, 0i64..400, proptest::option::of(0i64..400), proptest::bool::ANY), 0..80),
            as_of in 0i64..400,
        ) {
            let rows: Vec<Row> = rows.iter().enumerate().map(|(i, (unit, due, done, cancelled))| Row {
                task_id: i as i64,
                group: None,
                unit_id: *unit,
                facts: Facts {
                    assigned_on: Some(d(0)),
                    original_due: Some(d(*due)),
                    completion: done.map(|x| (d(x), d(x))),
                    cancelled_on: cancelled.then(|| d(0)),
                    ..Default::default()
                },
            }).collect();
            let t = on_time(&rows, d(as_of), Rules::default());
            for (unit, o) in &t {
                prop_assert_eq!(o.due, o.on_time + o.late + o.open);
                let expected_due = rows.iter().filter(|r| r.unit_id == *unit && r.facts.cancelled_on.is_none() && r.facts.original_due.is_some_and(|x| x <= d(as_of))).count() as i64;
                prop_assert_eq!(o.due, expected_due);
                if let Some(p) = o.permille() { prop_assert!((0..=1000).contains(&p)); }
            }
            let ranked = rank(&t);
            prop_assert_eq!(ranked.len(), t.len());
            for w in ranked.windows(2) {
                let (a, b) = (w[0].1.permille(), w[1].1.permille());
                match (a, b) {
                    (Some(x), Some(y)) => prop_assert!(x >= y),
                    (None, Some(_)) => prop_assert!(false, "a unit with nothing due ranked above one with a share"),
                    _ => {}
                }
            }
        }

        #[test]
        fn counts_add_up(n in 1usize..40, as_of in 0i64..400) {
            let rows: Vec<Row> = (0..n).map(|i| Row {
                task_id: (i / 2) as i64,
                group: Some((i % 3) as i64),
                unit_id: (i % 5) as i64,
                facts: Facts { assigned_on: Some(d(0)), original_due: Some(d((i * 17 % 300) as i64)), ..Default::default() },
            }).collect();
            let o = overview(&rows, d(as_of), DueWindow::default(), Rules::default());
            prop_assert_eq!(o.tasks.total, o.tasks.by_status.values().sum::<i64>());
            prop_assert_eq!(o.tasks.total, o.per_group.values().map(|c| c.total).sum::<i64>());
            prop_assert_eq!(o.per_unit.values().map(|c| c.total).sum::<i64>(), n as i64);
        }

        /// "Due" counts exactly the tasks with a deadline on or before the as-of date: never
        /// a task due later, whatever its status.
        #[test]
        fn due_means_deadline_on_or_before_as_of(
            dues in proptest::collection::vec((0i64..20, 0i64..800, proptest::option::of(0i64..800)), 1..60),
            as_of in 0i64..800,
        ) {
            let rows: Vec<Row> = dues.iter().enumerate().map(|(i, (task, due, done))| Row {
                task_id: *task,
                group: None,
                unit_id: i as i64,
                facts: Facts {
                    assigned_on: Some(d(0)),
                    original_due: Some(d(*due)),
                    completion: done.map(|x| (d(x), d(x))),
                    ..Default::default()
                },
            }).collect();
            let o = overview(&rows, d(as_of), DueWindow::default(), Rules::default());
            let mut due_tasks: Vec<i64> = dues.iter().filter(|(_, due, _)| *due <= as_of).map(|(t, _, _)| *t).collect();
            due_tasks.sort();
            due_tasks.dedup();
            prop_assert_eq!(o.tasks.due, due_tasks.len() as i64);
            prop_assert!(o.tasks.due <= o.tasks.total);
            let due_rows = dues.iter().filter(|(_, due, _)| *due <= as_of).count() as i64;
            prop_assert_eq!(o.per_unit.values().map(|c| c.due).sum::<i64>(), due_rows);
            // An overdue task is always due.
            prop_assert!(o.tasks.by_status.get("overdue").copied().unwrap_or(0) <= o.tasks.due);
        }
    }
}
