//! The measures a method can use, each computed from the platform's own data as of a date: the
//! work against its deadlines, the answers to citizens, and values entered by an inspector with
//! their evidence. Each raw value is a plain number per unit; the method normalises it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::method::Better;
use crate::catalogue;
use crate::overview::Row;
use crate::status::{self, Rules, Status};

/// A measure the platform computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    pub code: &'static str,
    pub better: Better,
    /// How the raw value reads: "%", "days", "1–5".
    pub unit: &'static str,
}

pub const SOURCES: [Source; 11] = [
    // Of the unit's lead assignments due by the as-of date, the share completed by the deadline.
    Source {
        code: "tasks.on_time",
        better: Better::Higher,
        unit: "%",
    },
    // Overdue assignments weighted by lateness (1 + months late), per assignment due.
    Source {
        code: "tasks.overdue_weighted",
        better: Better::Lower,
        unit: "",
    },
    // Of the completions the unit claimed (a report at 100 %), the share the assigning level
    // verified.
    Source {
        code: "tasks.verified",
        better: Better::Higher,
        unit: "%",
    },
    // Of the unit's open assignments, the share with a progress report within the programme's
    // reporting interval (not at risk).
    Source {
        code: "tasks.reporting",
        better: Better::Higher,
        unit: "%",
    },
    // Of the feedback due an answer in the period, the share answered within the legal deadline.
    Source {
        code: "feedback.on_time",
        better: Better::Higher,
        unit: "%",
    },
    // The submitters' mean rating of the answers (1–5).
    Source {
        code: "feedback.satisfaction",
        better: Better::Higher,
        unit: "1–5",
    },
    // Of the answers given, the share the submitter appealed.
    Source {
        code: "feedback.appealed",
        better: Better::Lower,
        unit: "%",
    },
    // The unit's mean achievement of its indicator targets (each capped at 100 %), judged in the
    // last period of each set ended by the as-of date.
    Source {
        code: "indicators.achievement",
        better: Better::Higher,
        unit: "%",
    },
    // Of the indicator sheets due from the unit in the period (each set it reports, each period
    // whose entry deadline fell by the as-of date), the share submitted by the deadline and
    // approved.
    Source {
        code: "indicators.on_time",
        better: Better::Higher,
        unit: "%",
    },
    // Of the databases the unit and the units below it had declared by the end of the as-of
    // date, the share accepted then (the catalogue's completeness; no value with none declared).
    Source {
        code: "catalogue.completeness",
        better: Better::Higher,
        unit: "%",
    },
    // The mean of those databases' quality (right, complete, clean, live; 0–100), each judged on
    // its latest measurement by then.
    Source {
        code: "catalogue.quality",
        better: Better::Higher,
        unit: "0–100",
    },
];

/// Prefix of the measures entered by an inspector, e.g. `expert:inspection`.
pub const EXPERT: &str = "expert:";

/// Whether `code` names a measure the platform can compute or an expert key (letters, digits,
/// `_` and `-`, up to 40).
pub fn known(code: &str) -> bool {
    if let Some(key) = code.strip_prefix(EXPERT) {
        return !key.is_empty()
            && key.len() <= 40
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    }
    SOURCES.iter().any(|s| s.code == code)
}

/// The task measures of every unit with lead work in the period from `from` to `as_of`. The
/// assignments in play are those due in the period and those still overdue from before it: an
/// old deadline missed counts against the unit in every period until the work is done.
pub fn task_measures(
    rows: &[(Row, Rules)],
    from: NaiveDate,
    as_of: NaiveDate,
) -> BTreeMap<&'static str, BTreeMap<i64, f64>> {
    #[derive(Default)]
    struct Tally {
        due: u32,
        on_time: u32,
        overdue_weight: f64,
        claimed: u32,
        verified: u32,
        open: u32,
        reporting: u32,
    }
    let mut by_unit: BTreeMap<i64, Tally> = BTreeMap::new();
    for (r, rules) in rows {
        let s = status::status(&r.facts, as_of, *rules);
        if matches!(s, Status::Cancelled | Status::Superseded) {
            continue;
        }
        let t = by_unit.entry(r.unit_id).or_default();
        let due = status::deadline_in_force(&r.facts, as_of)
            .filter(|d| *d <= as_of && (*d >= from || s == Status::Overdue));
        if let Some(d) = due {
            t.due += 1;
            if s == Status::CompletedOnTime {
                t.on_time += 1;
            }
            if s == Status::Overdue {
                t.overdue_weight += 1.0 + (as_of - d).num_days() as f64 / 30.0;
            }
        }
        let claimed = r
            .facts
            .reports
            .iter()
            .any(|p| p.on <= as_of && p.percent >= 100);
        let verified = r.facts.completion.is_some_and(|(_, v)| v <= as_of);
        if claimed || verified {
            t.claimed += 1;
            t.verified += verified as u32;
        }
        if s.is_open() && s != Status::NotStarted {
            t.open += 1;
            t.reporting += (s != Status::AtRisk) as u32;
        }
    }
    let mut out: BTreeMap<&'static str, BTreeMap<i64, f64>> = BTreeMap::new();
    let share = |a: u32, b: u32| 100.0 * a as f64 / b as f64;
    for (unit, t) in by_unit {
        if t.due > 0 {
            out.entry("tasks.on_time")
                .or_default()
                .insert(unit, share(t.on_time, t.due));
            out.entry("tasks.overdue_weighted")
                .or_default()
                .insert(unit, t.overdue_weight / t.due as f64);
        }
        if t.claimed > 0 {
            out.entry("tasks.verified")
                .or_default()
                .insert(unit, share(t.verified, t.claimed));
        }
        if t.open > 0 {
            out.entry("tasks.reporting")
                .or_default()
                .insert(unit, share(t.reporting, t.open));
        }
    }
    out
}

/// A unit's feedback in the period, as counted by storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedbackCounts {
    /// Items whose answer was due by the as-of date, or answered.
    pub due: i64,
    pub answered_on_time: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub answered: i64,
    /// Answered items that an appeal followed.
    pub appealed: i64,
}

/// The feedback measures of every unit with feedback.
pub fn feedback_measures(
    counts: &BTreeMap<i64, FeedbackCounts>,
) -> BTreeMap<&'static str, BTreeMap<i64, f64>> {
    let mut out: BTreeMap<&'static str, BTreeMap<i64, f64>> = BTreeMap::new();
    for (&unit, c) in counts {
        if c.due > 0 {
            out.entry("feedback.on_time")
                .or_default()
                .insert(unit, 100.0 * c.answered_on_time as f64 / c.due as f64);
        }
        if c.rated > 0 {
            out.entry("feedback.satisfaction")
                .or_default()
                .insert(unit, c.rating_sum as f64 / c.rated as f64);
        }
        if c.answered > 0 {
            out.entry("feedback.appealed")
                .or_default()
                .insert(unit, 100.0 * c.appealed as f64 / c.answered as f64);
        }
    }
    out
}

/// A unit's indicator sheet: its set, period, state (approved or accepted count) and when it
/// was last submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub unit: i64,
    pub set: i64,
    pub period: crate::indicators::period::PeriodId,
    pub approved: bool,
    pub submitted_on: Option<NaiveDate>,
}

/// `indicators.on_time` for every unit that reports a set (has a sheet of it, in any period):
/// of the sheets due from it — each period of the set that starts on or after `from` and whose
/// entry deadline (`entry_days` after its end) fell by `as_of` — the share (in %) submitted by
/// the deadline and approved. A period with no sheet counts as not submitted. Units with nothing
/// due are absent. `sets`: each set's period type and entry days.
pub fn indicator_timeliness(
    sheets: &[Sheet],
    sets: &BTreeMap<i64, (crate::indicators::period::PeriodType, i64)>,
    from: NaiveDate,
    as_of: NaiveDate,
) -> BTreeMap<i64, f64> {
    use crate::indicators::period::PeriodId;
    let mut by_unit: BTreeMap<i64, BTreeMap<(i64, PeriodId), &Sheet>> = BTreeMap::new();
    for s in sheets {
        by_unit
            .entry(s.unit)
            .or_default()
            .insert((s.set, s.period), s);
    }
    let mut out = BTreeMap::new();
    for (unit, own) in by_unit {
        let reported: std::collections::BTreeSet<i64> = own.keys().map(|(set, _)| *set).collect();
        let (mut due, mut kept) = (0u32, 0u32);
        for set in reported {
            let Some(&(kind, entry_days)) = sets.get(&set) else {
                continue;
            };
            let mut p = PeriodId::containing(kind, from);
            if p.start() < from {
                p = p.next();
            }
            loop {
                let deadline = p.end() + chrono::Days::new(entry_days.max(0) as u64);
                if deadline > as_of {
                    break;
                }
                due += 1;
                if own
                    .get(&(set, p))
                    .is_some_and(|s| s.approved && s.submitted_on.is_some_and(|d| d <= deadline))
                {
                    kept += 1;
                }
                p = p.next();
            }
        }
        if due > 0 {
            out.insert(unit, 100.0 * f64::from(kept) / f64::from(due));
        }
    }
    out
}

/// A catalogue entry as it stood at the end of the as-of date.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    /// Its owner and every unit above it: an entry counts for each of them.
    pub units: Vec<i64>,
    /// Whether it was accepted by the reviewer then.
    pub accepted: bool,
    /// Its measurements (any after `end` are left out by the rule).
    pub measured: catalogue::Measured,
}

/// The catalogue measures of `units` at `end`: completeness for units that had declared a
/// database by then, quality for units with one measured by then. A unit that had declared
/// nothing has no value: the method's missing-data rule says what that counts for (the demo's
/// counts it as 0, since the catalogue is an obligation), and the scorecard shows the rule.
pub fn catalogue_measures(
    units: &[i64],
    entries: &[CatalogueEntry],
    end: DateTime<Utc>,
) -> BTreeMap<&'static str, BTreeMap<i64, f64>> {
    #[derive(Default)]
    struct Tally {
        entries: i64,
        accepted: i64,
        words: catalogue::QualityMean,
        measured: bool,
    }
    let mut by_unit: BTreeMap<i64, Tally> = units.iter().map(|u| (*u, Tally::default())).collect();
    for e in entries {
        let q = e.measured.quality_at(end);
        for u in &e.units {
            if let Some(t) = by_unit.get_mut(u) {
                t.entries += 1;
                t.accepted += i64::from(e.accepted);
                if let Some(q) = &q {
                    t.words.add(q);
                    t.measured = true;
                }
            }
        }
    }
    let mut completeness = BTreeMap::new();
    let mut quality = BTreeMap::new();
    for (u, t) in by_unit {
        if t.entries > 0 {
            completeness.insert(u, catalogue::completeness(t.accepted, t.entries));
        }
        if let Some(q) = t.measured.then(|| t.words.mean().overall()).flatten() {
            quality.insert(u, q);
        }
    }
    BTreeMap::from([
        ("catalogue.completeness", completeness),
        ("catalogue.quality", quality),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{Facts, Report};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn row(
        unit: i64,
        due: &str,
        done: Option<(&str, &str)>,
        reports: &[(&str, u8)],
    ) -> (Row, Rules) {
        (
            Row {
                task_id: 1,
                group: None,
                unit_id: unit,
                facts: Facts {
                    assigned_on: Some(d("2026-01-01")),
                    original_due: Some(d(due)),
                    completion: done.map(|(a, b)| (d(a), d(b))),
                    reports: reports
                        .iter()
                        .map(|(on, percent)| Report {
                            on: d(on),
                            percent: *percent,
                        })
                        .collect(),
                    ..Default::default()
                },
            },
            Rules::default(),
        )
    }

    #[test]
    fn task_measures_count_what_was_due_by_the_date() {
        let as_of = d("2026-07-01");
        let rows = vec![
            // Done on time and verified.
            row(
                1,
                "2026-03-31",
                Some(("2026-03-20", "2026-03-25")),
                &[("2026-03-20", 100)],
            ),
            // Overdue by 91 days, claimed at 100 % but not verified.
            row(1, "2026-04-01", None, &[("2026-06-20", 100)]),
            // Not due yet, reporting.
            row(1, "2026-12-31", None, &[("2026-06-25", 40)]),
            // Another unit: nothing due.
            row(2, "2026-12-31", None, &[]),
        ];
        let m = task_measures(&rows, d("2026-01-01"), as_of);
        assert_eq!(m["tasks.on_time"][&1], 50.0);
        assert_eq!(m["tasks.overdue_weighted"][&1], (1.0 + 91.0 / 30.0) / 2.0);
        assert_eq!(m["tasks.verified"][&1], 50.0);
        assert!(!m["tasks.on_time"].contains_key(&2));
        // From April: the March deadline met is out of the period, the April one missed is in.
        let m = task_measures(&rows, d("2026-04-01"), as_of);
        assert_eq!(m["tasks.on_time"][&1], 0.0);
        assert_eq!(m["tasks.overdue_weighted"][&1], 1.0 + 91.0 / 30.0);
        // From May: the April deadline is still missed, so it stays in play.
        let m = task_measures(&rows, d("2026-05-01"), as_of);
        assert_eq!(m["tasks.on_time"][&1], 0.0);
        assert!(known("tasks.on_time") && known("expert:inspection"));
        assert!(!known("expert:") && !known("tasks.nothing") && !known("expert:a b"));
    }

    #[test]
    fn indicator_sheets_due_submitted_in_time_and_approved() {
        use crate::indicators::period::{PeriodId, PeriodType};
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let q = |n: u8| PeriodId::Quarter(2026, n);
        let sets = BTreeMap::from([(1, (PeriodType::Quarter, 15))]);
        let sheet = |unit, n, approved, on: Option<NaiveDate>| Sheet {
            unit,
            set: 1,
            period: q(n),
            approved,
            submitted_on: on,
        };
        let sheets = [
            // Unit 7: Q1 in time and approved; Q2 late; Q3 not yet due on 30 September.
            sheet(7, 1, true, Some(d(4, 10))),
            sheet(7, 2, true, Some(d(7, 20))),
            sheet(7, 3, false, Some(d(9, 1))),
            // Unit 8: Q1 in time but not approved; nothing for Q2.
            sheet(8, 1, false, Some(d(4, 1))),
        ];
        let got = indicator_timeliness(&sheets, &sets, d(1, 1), d(9, 30));
        assert_eq!(got, BTreeMap::from([(7, 50.0), (8, 0.0)]));
        // Before the first deadline nothing is due.
        assert!(indicator_timeliness(&sheets, &sets, d(1, 1), d(4, 14)).is_empty());
    }

    fn figures(checked: i64, valid: i64) -> catalogue::Figures {
        catalogue::Figures {
            records: Some(100),
            checked: Some(checked),
            valid: Some(valid),
            complete: Some(100),
            duplicates: Some(0),
            format_errors: Some(0),
        }
    }

    fn entry(
        units: &[i64],
        accepted: bool,
        measures: Vec<(DateTime<Utc>, catalogue::Figures)>,
    ) -> CatalogueEntry {
        CatalogueEntry {
            units: units.to_vec(),
            accepted,
            measured: catalogue::Measured {
                expected: Some(100),
                frequency: catalogue::Frequency::Monthly,
                measures,
            },
        }
    }

    #[test]
    fn catalogue_completeness_and_quality_at_the_end_of_the_day() {
        use chrono::TimeZone;
        let end = Utc.with_ymd_and_hms(2026, 9, 30, 16, 59, 59).unwrap();
        let days = |n: i64| end - chrono::Duration::days(n);
        let entries = [
            // A commune's database (2, under province 1), accepted, measured ten days before:
            // right 90, sufficient 100, clean 100, live 100 → 97.5; a later measurement is
            // after the end and does not count.
            entry(
                &[2, 1],
                true,
                vec![(days(10), figures(100, 90)), (days(-5), figures(100, 10))],
            ),
            // The province's own, declared but not accepted, first measured after the end.
            entry(&[1], false, vec![(days(-1), figures(100, 100))]),
            // A unit not ranked here.
            entry(&[9], true, vec![]),
        ];
        let m = catalogue_measures(&[1, 2, 3], &entries, end);
        assert_eq!(
            m["catalogue.completeness"],
            BTreeMap::from([(1, 50.0), (2, 100.0)])
        );
        assert_eq!(
            m["catalogue.quality"],
            BTreeMap::from([(1, 97.5), (2, 97.5)])
        );
        // Measured 62 days before (two monthly periods): live falls to (93 − 62)/62 = 50 %.
        let late = [entry(&[4], true, vec![(days(62), figures(100, 90))])];
        let m = catalogue_measures(&[4], &late, end);
        assert_eq!(
            m["catalogue.quality"][&4],
            (90.0 + 100.0 + 100.0 + 50.0) / 4.0
        );
    }

    proptest::proptest! {
        /// Both measures stay within 0–100, do not depend on the order of the entries, and
        /// accepting one more entry never lowers a unit's completeness.
        #[test]
        fn catalogue_measures_are_shares(raw in proptest::collection::vec((0i64..4, proptest::bool::ANY, 0i64..100, 0i64..120, 0i64..200), 0..30)) {
            use chrono::TimeZone;
            let end = Utc.with_ymd_and_hms(2026, 9, 30, 16, 59, 59).unwrap();
            let entries: Vec<CatalogueEntry> = raw.iter().map(|(unit, accepted, valid, ago, checked)| {
                entry(&[*unit, 100], *accepted, vec![(end - chrono::Duration::days(*ago), figures(*checked, *valid))])
            }).collect();
            let units = [0, 1, 2, 3, 100];
            let m = catalogue_measures(&units, &entries, end);
            for v in m.values().flat_map(|x| x.values()) {
                proptest::prop_assert!((0.0..=100.0).contains(v), "{v}");
            }
            let mut reversed = entries.clone();
            reversed.reverse();
            // The same up to the order of a floating-point sum.
            let back = catalogue_measures(&units, &reversed, end);
            for (k, values) in &m {
                proptest::prop_assert_eq!(values.len(), back[k].len());
                for (u, v) in values {
                    proptest::prop_assert!((back[k][u] - v).abs() < 1e-9);
                }
            }
            if let Some(i) = entries.iter().position(|e| !e.accepted) {
                let mut more = entries.clone();
                more[i].accepted = true;
                let after = catalogue_measures(&units, &more, end);
                for u in units {
                    proptest::prop_assert!(after["catalogue.completeness"].get(&u) >= m["catalogue.completeness"].get(&u));
                }
            }
        }

        /// Shares stay within 0–100 %, and approving every sheet in time, once submitted before
        /// its deadline, gives 100 % whatever else.
        #[test]
        fn timeliness_is_a_share(raw in proptest::collection::vec((0i64..4, 1u8..5, proptest::bool::ANY, 0i64..200), 0..20)) {
            use crate::indicators::period::{PeriodId, PeriodType};
            let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let sets = BTreeMap::from([(1, (PeriodType::Quarter, 10))]);
            let sheets: Vec<Sheet> = raw.iter().map(|(unit, q, approved, day)| Sheet {
                unit: *unit, set: 1, period: PeriodId::Quarter(2026, *q), approved: *approved,
                submitted_on: Some(start + chrono::Days::new(*day as u64)),
            }).collect();
            let as_of = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
            for v in indicator_timeliness(&sheets, &sets, start, as_of).values() {
                proptest::prop_assert!((0.0..=100.0).contains(v));
            }
            let perfect: Vec<Sheet> = (1..=4).map(|q| {
                let p = PeriodId::Quarter(2026, q);
                Sheet { unit: 9, set: 1, period: p, approved: true, submitted_on: Some(p.end()) }
            }).collect();
            let all: Vec<Sheet> = sheets.into_iter().chain(perfect).collect();
            // Q4's deadline (10 January 2027) is after the as-of date: three quarters due.
            let got = indicator_timeliness(&all, &sets, start, as_of);
            proptest::prop_assert_eq!(got.get(&9), Some(&100.0));
        }
    }
}
