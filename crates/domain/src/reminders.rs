//! Urging (đôn đốc): which reminders and escalations an open assignment has earned on a given day.
//! Each one has a key built from the assignment, the kind and the deadline, so a sweep that runs
//! twice, or on several instances, or after a day of downtime, sends each reminder exactly once;
//! an extension moves the deadline and so starts a fresh series.

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Days before the deadline, e.g. [14, 3].
    pub before: Vec<i64>,
    /// Once overdue: on the first day, then every this many days.
    pub overdue_every: i64,
    /// Days overdue before the unit's leader is told.
    pub escalate_leader_after: i64,
    /// Days overdue before the assigning level is told.
    pub escalate_assigner_after: i64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            before: vec![14, 3],
            overdue_every: 7,
            escalate_leader_after: 7,
            escalate_assigner_after: 21,
        }
    }
}

impl Schedule {
    /// Reads "14,3" as written in a programme's settings; bad parts are ignored.
    pub fn parse_before(s: &str) -> Vec<i64> {
        let mut v: Vec<i64> = s
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .filter(|d| *d > 0)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Everyone in the assigned unit.
    Unit,
    /// The assigned unit's leaders.
    Leader,
    /// The leaders of the unit that owns the programme.
    Assigner,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// `before-14`, `overdue-0`, `overdue-1`, `escalate-leader`, `escalate-assigner`.
    pub kind: String,
    pub audience: Audience,
    /// Days to the deadline (negative once overdue).
    pub days_left: i64,
}

impl Reminder {
    pub fn key(&self, assignment_id: i64, due: NaiveDate) -> String {
        format!("{assignment_id}:{}:{due}", self.kind)
    }
}

/// Reminders due on `today` for an open assignment whose deadline in force is `due`.
/// Before the deadline only the nearest threshold already reached is returned, so a missed day
/// does not bring a burst of stale reminders.
pub fn due_today(due: NaiveDate, today: NaiveDate, s: &Schedule) -> Vec<Reminder> {
    let left = (due - today).num_days();
    let mut out = vec![];
    if left >= 0 {
        if let Some(b) = s.before.iter().copied().filter(|b| left <= *b).min() {
            out.push(Reminder {
                kind: format!("before-{b}"),
                audience: Audience::Unit,
                days_left: left,
            });
        }
        return out;
    }
    let over = -left;
    let every = s.overdue_every.max(1);
    out.push(Reminder {
        kind: format!("overdue-{}", (over - 1) / every),
        audience: Audience::Unit,
        days_left: left,
    });
    if over >= s.escalate_leader_after {
        out.push(Reminder {
            kind: "escalate-leader".into(),
            audience: Audience::Leader,
            days_left: left,
        });
    }
    if over >= s.escalate_assigner_after {
        out.push(Reminder {
            kind: "escalate-assigner".into(),
            audience: Audience::Assigner,
            days_left: left,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn d(days: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 30).unwrap() + Duration::days(days)
    }

    fn kinds(due: NaiveDate, today: NaiveDate) -> Vec<String> {
        due_today(due, today, &Schedule::default())
            .into_iter()
            .map(|r| r.kind)
            .collect()
    }

    #[test]
    fn the_default_schedule() {
        let due = d(0);
        assert!(kinds(due, d(-20)).is_empty());
        assert_eq!(kinds(due, d(-14)), ["before-14"]);
        assert_eq!(kinds(due, d(-4)), ["before-14"]);
        assert_eq!(kinds(due, d(-3)), ["before-3"]);
        assert_eq!(kinds(due, d(0)), ["before-3"]);
        assert_eq!(
            kinds(due, d(1)),
            ["overdue-0"],
            "the day it becomes overdue"
        );
        assert_eq!(kinds(due, d(7)), ["overdue-0", "escalate-leader"]);
        assert_eq!(kinds(due, d(8)), ["overdue-1", "escalate-leader"]);
        assert_eq!(
            kinds(due, d(22)),
            ["overdue-3", "escalate-leader", "escalate-assigner"]
        );
    }

    #[test]
    fn parses_settings() {
        assert_eq!(Schedule::parse_before("3, 14,x,-1,14"), vec![3, 14]);
    }

    proptest! {
        /// A daily sweep over the whole life of an assignment sends each threshold once, one
        /// overdue reminder per `every` days, and escalates once each; a second sweep on the same
        /// day adds nothing (keys are stable).
        #[test]
        fn daily_sweep_sends_each_reminder_once(
            every in 1i64..15,
            b1 in 1i64..30, b2 in 1i64..30,
            lead in 0i64..60, tail in 0i64..120,
        ) {
            let s = Schedule { before: Schedule::parse_before(&format!("{b1},{b2}")), overdue_every: every, escalate_leader_after: 7, escalate_assigner_after: 21 };
            let due = d(0);
            let mut keys = BTreeSet::new();
            let mut sent = 0;
            for day in -lead..=tail {
                for r in due_today(due, d(day), &s) {
                    if keys.insert(r.key(1, due)) { sent += 1; }
                }
                for r in due_today(due, d(day), &s) {
                    prop_assert!(keys.contains(&r.key(1, due)));
                }
            }
            // Thresholds crossed during the sweep each send once; those already passed at its
            // start send one reminder between them.
            let before = s.before.iter().filter(|b| **b < lead).count() as i64
                + i64::from(s.before.iter().any(|b| *b >= lead));
            let overdue = if tail >= 1 { (tail - 1) / every + 1 } else { 0 };
            let esc = i64::from(tail >= 7) + i64::from(tail >= 21);
            prop_assert_eq!(sent, before + overdue + esc);
        }
    }
}
