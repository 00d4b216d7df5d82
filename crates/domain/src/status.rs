//! Status of an assignment, computed from dates, reports and verification, as of any date.
//! Never typed by hand: the same facts always give the same status.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Where a task stands in its programme: only active tasks are monitored; a unit's own proposal
/// waits for the assigning level, which approves it (active) or declines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Active,
    Proposed,
    Declined,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Active => "active",
            TaskState::Proposed => "proposed",
            TaskState::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<TaskState> {
        [TaskState::Active, TaskState::Proposed, TaskState::Declined]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

crate::named!(TaskState, "task state");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    InProgress,
    AtRisk,
    Overdue,
    CompletedOnTime,
    CompletedLate,
    Cancelled,
    Superseded,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::NotStarted,
        Status::InProgress,
        Status::AtRisk,
        Status::Overdue,
        Status::CompletedOnTime,
        Status::CompletedLate,
        Status::Cancelled,
        Status::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::AtRisk => "at_risk",
            Status::Overdue => "overdue",
            Status::CompletedOnTime => "completed_on_time",
            Status::CompletedLate => "completed_late",
            Status::Cancelled => "cancelled",
            Status::Superseded => "superseded",
        }
    }

    pub fn is_completed(self) -> bool {
        matches!(self, Status::CompletedOnTime | Status::CompletedLate)
    }

    /// Work still to do: neither completed nor cancelled nor superseded.
    pub fn is_open(self) -> bool {
        !self.is_completed() && !matches!(self, Status::Cancelled | Status::Superseded)
    }
}

/// A progress report: the day it was filed and the percent complete it declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub on: NaiveDate,
    pub percent: u8,
}

/// Everything the status depends on. Events after `as_of` are ignored by [`status`].
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub assigned_on: Option<NaiveDate>,
    /// The deadline as first set.
    pub original_due: Option<NaiveDate>,
    /// An approved extension: (new deadline, day it was approved).
    pub extension: Option<(NaiveDate, NaiveDate)>,
    /// Reports in any order.
    pub reports: Vec<Report>,
    /// A completion claim accepted by the assigning level: (day claimed done, day verified).
    pub completion: Option<(NaiveDate, NaiveDate)>,
    pub cancelled_on: Option<NaiveDate>,
    pub superseded_on: Option<NaiveDate>,
}

/// Programme settings that change how facts are judged.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Work finished within an approved extension counts as on time.
    pub extension_counts_on_time: bool,
    /// No report for this many days flags the assignment as at risk.
    pub stale_after_days: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            extension_counts_on_time: true,
            stale_after_days: 30,
        }
    }
}

/// The deadline in force on `as_of`: an extension approved by then replaces the original.
pub fn deadline_in_force(f: &Facts, as_of: NaiveDate) -> Option<NaiveDate> {
    // An "extension" that would shorten the deadline is not one.
    match (f.extension, f.original_due) {
        (Some((due, approved)), Some(orig)) if approved <= as_of && due > orig => Some(due),
        _ => f.original_due,
    }
}

pub fn status(f: &Facts, as_of: NaiveDate, rules: Rules) -> Status {
    if f.cancelled_on.is_some_and(|d| d <= as_of) {
        return Status::Cancelled;
    }
    if f.superseded_on.is_some_and(|d| d <= as_of) {
        return Status::Superseded;
    }
    let due = deadline_in_force(f, as_of);
    if let Some((claimed, verified)) = f.completion
        && verified <= as_of
    {
        // Judged against the deadline that counts for lateness.
        let limit = if rules.extension_counts_on_time {
            due
        } else {
            f.original_due
        };
        return match limit {
            Some(l) if claimed > l => Status::CompletedLate,
            _ => Status::CompletedOnTime,
        };
    }
    if due.is_some_and(|d| d < as_of) {
        return Status::Overdue;
    }
    let reports: Vec<Report> = f
        .reports
        .iter()
        .copied()
        .filter(|r| r.on <= as_of)
        .collect();
    let last = reports.iter().max_by_key(|r| r.on);
    let at_risk = match (f.assigned_on, due) {
        // With a deadline, at risk means a real danger of missing it: progress behind the time.
        (Some(start), Some(due)) => behind(start, due, as_of, last.map_or(0, |r| r.percent), rules),
        // Without one there is no pace to judge; silence for too long is the warning.
        _ => {
            let since = last.map(|r| r.on).or(f.assigned_on).unwrap_or(as_of);
            as_of - since > Duration::days(rules.stale_after_days)
        }
    };
    match (at_risk, last) {
        (true, _) => Status::AtRisk,
        (false, Some(_)) => Status::InProgress,
        (false, None) => Status::NotStarted,
    }
}

/// Progress points an assignment may lag the share of its time already gone before it counts
/// as at risk (plans rarely advance in a straight line).
pub const RISK_MARGIN_POINTS: i64 = 10;

/// Whether the work is behind its deadline: the percent reported by `as_of` lags the share of the
/// time from assignment to deadline already gone by more than [`RISK_MARGIN_POINTS`] (at the pace
/// so far, the deadline would be missed). Judged only once a quarter of the time has gone or the
/// deadline is within the programme's reporting window: a task due in 2030 is not at risk in its
/// first months for want of a report.
pub fn behind(
    start: NaiveDate,
    due: NaiveDate,
    as_of: NaiveDate,
    percent: u8,
    rules: Rules,
) -> bool {
    let total = (due - start).num_days().max(1);
    let elapsed = (as_of - start).num_days();
    let left = (due - as_of).num_days();
    if percent >= 100 || (elapsed * 4 < total && left > rules.stale_after_days) {
        return false;
    }
    // percent < 100 × elapsed / total − margin, in integers.
    (i64::from(percent) + RISK_MARGIN_POINTS) * total < 100 * elapsed
}

/// How an ongoing or recurring task did in one reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    ReportedWithResults,
    ReportedWithoutResults,
    NotReported,
    /// The period has not ended and nothing was reported yet.
    Open,
}

impl PeriodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::ReportedWithResults => "reported_with_results",
            PeriodStatus::ReportedWithoutResults => "reported_without_results",
            PeriodStatus::NotReported => "not_reported",
            PeriodStatus::Open => "open",
        }
    }
}

/// `reports` are (day, has results) within the period [start, end].
pub fn period_status(
    reports: &[(NaiveDate, bool)],
    start: NaiveDate,
    end: NaiveDate,
    as_of: NaiveDate,
) -> PeriodStatus {
    let seen: Vec<bool> = reports
        .iter()
        .filter(|(d, _)| *d >= start && *d <= end && *d <= as_of)
        .map(|(_, r)| *r)
        .collect();
    if seen.iter().any(|r| *r) {
        PeriodStatus::ReportedWithResults
    } else if !seen.is_empty() {
        PeriodStatus::ReportedWithoutResults
    } else if as_of > end {
        PeriodStatus::NotReported
    } else {
        PeriodStatus::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(days: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(days)
    }

    fn base() -> Facts {
        Facts {
            assigned_on: Some(d(0)),
            original_due: Some(d(100)),
            ..Default::default()
        }
    }

    #[test]
    fn the_usual_cases() {
        let r = Rules::default();
        let mut f = base();
        assert_eq!(status(&f, d(10), r), Status::NotStarted);
        assert_eq!(
            status(&f, d(40), r),
            Status::AtRisk,
            "40% of the time gone and nothing reported"
        );
        f.reports.push(Report {
            on: d(20),
            percent: 40,
        });
        assert_eq!(status(&f, d(25), r), Status::InProgress);
        assert_eq!(status(&f, d(101), r), Status::Overdue);
        f.reports.push(Report {
            on: d(80),
            percent: 90,
        });
        f.completion = Some((d(90), d(95)));
        assert_eq!(
            status(&f, d(94), r),
            Status::InProgress,
            "a claim counts once verified"
        );
        assert_eq!(status(&f, d(95), r), Status::CompletedOnTime);
        f.completion = Some((d(105), d(106)));
        assert_eq!(status(&f, d(200), r), Status::CompletedLate);
        f.cancelled_on = Some(d(50));
        assert_eq!(status(&f, d(60), r), Status::Cancelled);
    }

    #[test]
    fn extensions_and_the_programme_setting() {
        let mut f = base();
        f.extension = Some((d(150), d(80)));
        f.reports.push(Report {
            on: d(70),
            percent: 50,
        });
        f.reports.push(Report {
            on: d(110),
            percent: 80,
        });
        assert_eq!(
            status(&f, d(120), Rules::default()),
            Status::InProgress,
            "the extension moved the deadline"
        );
        f.completion = Some((d(140), d(141)));
        assert_eq!(
            status(&f, d(141), Rules::default()),
            Status::CompletedOnTime
        );
        let strict = Rules {
            extension_counts_on_time: false,
            ..Rules::default()
        };
        assert_eq!(status(&f, d(141), strict), Status::CompletedLate);
        // An extension approved only later does not rewrite the past.
        f.completion = None;
        f.extension = Some((d(150), d(110)));
        assert_eq!(status(&f, d(105), Rules::default()), Status::Overdue);
    }

    #[test]
    fn a_distant_deadline_is_not_at_risk_for_want_of_a_report() {
        // Assigned on 1 January 2025, due 31 December 2030.
        let f = Facts {
            assigned_on: Some(d(0)),
            original_due: NaiveDate::from_ymd_opt(2030, 12, 31),
            ..Default::default()
        };
        let r = Rules::default();
        assert_eq!(status(&f, d(300), r), Status::NotStarted);
        // Two of six years gone, nothing reported: behind.
        assert_eq!(status(&f, d(730), r), Status::AtRisk);
        let mut f = f;
        f.reports.push(Report {
            on: d(100),
            percent: 30,
        });
        assert_eq!(
            status(&f, d(730), r),
            Status::InProgress,
            "30% after a third of the time"
        );
    }

    #[test]
    fn slow_pace_is_an_early_warning() {
        let mut f = base();
        f.reports.push(Report {
            on: d(50),
            percent: 20,
        });
        assert_eq!(status(&f, d(55), Rules::default()), Status::AtRisk);
        f.reports.push(Report {
            on: d(60),
            percent: 70,
        });
        assert_eq!(status(&f, d(65), Rules::default()), Status::InProgress);
    }

    #[test]
    fn periods() {
        let (s, e) = (d(0), d(30));
        assert_eq!(period_status(&[], s, e, d(10)), PeriodStatus::Open);
        assert_eq!(period_status(&[], s, e, d(31)), PeriodStatus::NotReported);
        assert_eq!(
            period_status(&[(d(5), false)], s, e, d(31)),
            PeriodStatus::ReportedWithoutResults
        );
        assert_eq!(
            period_status(&[(d(5), false), (d(6), true)], s, e, d(31)),
            PeriodStatus::ReportedWithResults
        );
        assert_eq!(
            period_status(&[(d(40), true)], s, e, d(50)),
            PeriodStatus::NotReported,
            "a report after the period does not count"
        );
    }

    proptest! {
        /// At risk only when behind: never while progress keeps up with the time gone, never in
        /// the first quarter of a long assignment, never once the deadline has passed.
        #[test]
        fn at_risk_means_behind_the_deadline(
            len in 1i64..3000, at in 0i64..3000, percent in 0u8..=100, reported in 0i64..3000,
        ) {
            let f = Facts {
                assigned_on: Some(d(0)),
                original_due: Some(d(len)),
                reports: vec![Report { on: d(reported.min(at)), percent }],
                ..Default::default()
            };
            let r = Rules::default();
            let s = status(&f, d(at), r);
            if at > len {
                prop_assert_eq!(s, Status::Overdue);
            }
            if i64::from(percent) * len >= 100 * at {
                prop_assert_ne!(s, Status::AtRisk, "on pace");
            }
            if at * 4 < len && len - at > r.stale_after_days {
                prop_assert_ne!(s, Status::AtRisk, "too early to judge");
            }
            if s == Status::AtRisk {
                prop_assert!((i64::from(percent) + RISK_MARGIN_POINTS) * len < 100 * at);
            }
        }
    }

    fn facts() -> impl Strategy<Value = Facts> {
        (
            0i64..50,
            proptest::option::of(50i64..400),
            proptest::option::of((0i64..500, 0i64..400)),
            proptest::collection::vec((0i64..500, 0u8..=100), 0..6),
            proptest::option::of((0i64..500, 0i64..30)),
            proptest::option::of(0i64..500),
        )
            .prop_map(|(start, due, ext, reports, completion, cancelled)| Facts {
                assigned_on: Some(d(start)),
                original_due: due.map(d),
                extension: ext.map(|(n, a)| (d(n), d(a))),
                reports: reports
                    .into_iter()
                    .map(|(on, percent)| Report { on: d(on), percent })
                    .collect(),
                completion: completion.map(|(c, lag)| (d(c), d(c + lag))),
                cancelled_on: cancelled.map(d),
                superseded_on: None,
            })
    }

    proptest! {
        #[test]
        fn overdue_exactly_when_past_the_deadline_and_not_done(f in facts(), as_of in 0i64..600, strict in any::<bool>()) {
            let rules = Rules { extension_counts_on_time: !strict, ..Rules::default() };
            let as_of = d(as_of);
            let s = status(&f, as_of, rules);
            let cancelled = f.cancelled_on.is_some_and(|c| c <= as_of);
            let done = f.completion.is_some_and(|(_, v)| v <= as_of);
            let past = deadline_in_force(&f, as_of).is_some_and(|due| due < as_of);
            prop_assert_eq!(s == Status::Overdue, !cancelled && !done && past);
            prop_assert_eq!(s.is_completed(), !cancelled && done);
        }

        #[test]
        fn later_events_do_not_change_the_past(f in facts(), as_of in 0i64..600, extra in 1i64..100) {
            let as_of = d(as_of);
            let mut g = f.clone();
            g.reports.push(Report { on: as_of + Duration::days(extra), percent: 100 });
            prop_assert_eq!(status(&f, as_of, Rules::default()), status(&g, as_of, Rules::default()));
        }

        #[test]
        fn completed_on_time_means_claimed_by_the_deadline(f in facts(), as_of in 0i64..600) {
            let as_of = d(as_of);
            if status(&f, as_of, Rules::default()) == Status::CompletedOnTime {
                let (claimed, _) = f.completion.unwrap();
                prop_assert!(deadline_in_force(&f, as_of).is_none_or(|due| claimed <= due));
            }
        }

        #[test]
        fn strict_rule_is_never_kinder(f in facts(), as_of in 0i64..600) {
            let as_of = d(as_of);
            let lenient = status(&f, as_of, Rules::default());
            let strict = status(&f, as_of, Rules { extension_counts_on_time: false, ..Rules::default() });
            if lenient == Status::CompletedLate { prop_assert_eq!(strict, Status::CompletedLate); }
        }
    }
}
