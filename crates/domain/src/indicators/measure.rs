//! The arithmetic of results: roll-ups up the organisation tree, achievement against a target,
//! the expected path between a baseline and milestones, and a projection from the recent trend.

use chrono::NaiveDate;
use serde::Serialize;

use super::target::{Comparator, Target};
use super::{Aggregation, Direction};

/// What a set of values sums up to, enough to give any aggregation and to merge with another
/// set: roll-ups are computed by merging partials, so a province's partial merged with the
/// others' gives exactly the national figure (ratio of sums, not mean of ratios).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Partial {
    pub count: u64,
    pub sum: f64,
    /// Σ numerators and Σ denominators of the values that carry both.
    pub numerator: f64,
    pub denominator: f64,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Partial {
    pub fn of(value: f64, ratio: Option<(f64, f64)>) -> Partial {
        let (numerator, denominator) = ratio.unwrap_or((0.0, 0.0));
        Partial {
            count: 1,
            sum: value,
            numerator,
            denominator,
            min: Some(value),
            max: Some(value),
        }
    }

    pub fn merge(self, o: Partial) -> Partial {
        let pick = |a: Option<f64>, b: Option<f64>, f: fn(f64, f64) -> f64| match (a, b) {
            (Some(x), Some(y)) => Some(f(x, y)),
            (x, None) => x,
            (None, y) => y,
        };
        Partial {
            count: self.count + o.count,
            sum: self.sum + o.sum,
            numerator: self.numerator + o.numerator,
            denominator: self.denominator + o.denominator,
            min: pick(self.min, o.min, f64::min),
            max: pick(self.max, o.max, f64::max),
        }
    }

    /// The rolled-up figure; `scale` multiplies a ratio (100 for a percentage). `None` when
    /// there is nothing to roll up or the aggregation does not roll up.
    pub fn result(&self, agg: Aggregation, scale: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        match agg {
            Aggregation::Sum => Some(self.sum),
            Aggregation::Mean => Some(self.sum / self.count as f64),
            Aggregation::Ratio => {
                (self.denominator > 0.0).then(|| self.numerator / self.denominator * scale)
            }
            Aggregation::Min => self.min,
            Aggregation::Max => self.max,
            Aggregation::None => None,
        }
    }
}

/// Every unit's figure from the units' own values: a unit's own value when it has one (its own
/// report takes precedence over the sum of its parts), otherwise its children's figures merged.
/// Only units with a value and their ancestors appear. `parent` gives a unit's parent and
/// `depth` its depth in the tree; the result says for each unit whether the figure is its own.
pub fn roll_up(
    own: &std::collections::HashMap<i64, Partial>,
    parent: impl Fn(i64) -> Option<i64>,
    depth: impl Fn(i64) -> i32,
) -> std::collections::HashMap<i64, (Partial, bool)> {
    use std::collections::HashMap;
    let mut units: Vec<i64> = vec![];
    let mut seen = std::collections::HashSet::new();
    for &u in own.keys() {
        let mut cur = Some(u);
        let mut steps = 0;
        while let Some(x) = cur {
            if !seen.insert(x) || steps > 64 {
                break;
            }
            units.push(x);
            cur = parent(x);
            steps += 1;
        }
    }
    // Deepest first, so that every child is final before its parent reads it.
    units.sort_by_key(|&u| (std::cmp::Reverse(depth(u)), u));
    let mut below: HashMap<i64, Partial> = HashMap::new();
    let mut out = HashMap::with_capacity(units.len());
    for u in units {
        let fig = match own.get(&u) {
            Some(p) => (*p, true),
            None => (below.remove(&u).unwrap_or_default(), false),
        };
        if let Some(p) = parent(u) {
            let acc = below.entry(p).or_default();
            *acc = acc.merge(fig.0);
        }
        out.insert(u, fig);
    }
    out
}

/// How far a value has gone towards its target, 1.0 meaning reached (it may exceed 1).
///
/// With a baseline, progress is measured from it: baseline 40, target 80, value 60 → 0.5.
/// Without one, higher-is-better is value ÷ target and lower-is-better target ÷ value; a band
/// counts 1.0 inside it and the distance ratio to the nearer end outside.
pub fn achievement(
    value: f64,
    target: &Target,
    direction: Direction,
    baseline: Option<f64>,
) -> Option<f64> {
    let direction = target.comparator.direction().unwrap_or(direction);
    if direction == Direction::Band || target.comparator == Comparator::Between {
        let (lo, hi) = (target.value, target.upper.unwrap_or(target.value));
        return Some(if value < lo {
            if lo == 0.0 {
                0.0
            } else {
                (value / lo).max(0.0)
            }
        } else if value > hi {
            if value == 0.0 { 0.0 } else { hi / value }
        } else {
            1.0
        });
    }
    if let Some(b) = baseline {
        let span = target.value - b;
        if span.abs() > f64::EPSILON && (span > 0.0) == (direction == Direction::Higher) {
            let share = (value - b) / span;
            return Some(if target.met_by(value, direction) {
                share.max(1.0)
            } else {
                share.min(0.9999)
            });
        }
    }
    let share = match direction {
        Direction::Higher if target.value > 0.0 => value / target.value,
        Direction::Lower if value > 0.0 => target.value / value,
        _ => return None,
    };
    // A strict target met exactly is not met: keep the share just under 1 then.
    Some(if target.met_by(value, direction) {
        share.max(1.0)
    } else {
        share.min(0.9999)
    })
}

/// Where a unit stands on an indicator for a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Achieved,
    OnTrack,
    OffTrack,
    /// No value yet, and the entry deadline has not passed.
    NoData,
    /// No value, and the entry deadline has passed.
    LateData,
    /// A value, but no numeric target to judge it by (a milestone).
    NotJudged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Achieved => "achieved",
            Status::OnTrack => "on_track",
            Status::OffTrack => "off_track",
            Status::NoData => "no_data",
            Status::LateData => "late_data",
            Status::NotJudged => "not_judged",
        }
    }
}

/// The status of `value` (None: nothing entered) against `target`. On the way to it, the value
/// is compared with what the trajectory `expected` for the period or, without a trajectory,
/// the target is judged against `projected` (the trend carried to the target's date); with
/// neither there is nothing to judge the way by. `late`: the entry deadline has passed.
pub fn status(
    value: Option<f64>,
    target: Option<&Target>,
    expected: Option<f64>,
    projected: Option<f64>,
    direction: Direction,
    late: bool,
) -> Status {
    let Some(v) = value else {
        return if late {
            Status::LateData
        } else {
            Status::NoData
        };
    };
    let Some(t) = target else {
        return Status::NotJudged;
    };
    if t.met_by(v, direction) {
        return Status::Achieved;
    }
    let direction = t.comparator.direction().unwrap_or(direction);
    let on = match (expected, projected) {
        (Some(e), _) => match direction {
            Direction::Higher => v >= e,
            Direction::Lower => v <= e,
            Direction::Band => false,
        },
        (None, Some(p)) => t.met_by(p, direction),
        (None, None) => return Status::NotJudged,
    };
    if on {
        Status::OnTrack
    } else {
        Status::OffTrack
    }
}

/// How the expected value moves between a baseline and milestones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trajectory {
    /// A straight line from one point to the next.
    Linear,
    /// The previous point's value holds until the next milestone's date.
    Stepwise,
}

impl Trajectory {
    pub fn as_str(self) -> &'static str {
        match self {
            Trajectory::Linear => "linear",
            Trajectory::Stepwise => "stepwise",
        }
    }

    pub fn parse(s: &str) -> Option<Trajectory> {
        [Trajectory::Linear, Trajectory::Stepwise]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

crate::named!(Trajectory, "trajectory");

/// The expected value on `day` along `points` (date, value: the baseline and the milestones,
/// in any order). `None` before the first point; the last value after the last point.
pub fn expected(points: &[(NaiveDate, f64)], kind: Trajectory, day: NaiveDate) -> Option<f64> {
    let mut pts = points.to_vec();
    pts.sort_by_key(|p| p.0);
    let first = pts.first()?;
    if day < first.0 {
        return None;
    }
    for w in pts.windows(2) {
        let ((d0, v0), (d1, v1)) = (w[0], w[1]);
        if day >= d0 && day < d1 {
            return Some(match kind {
                Trajectory::Stepwise => v0,
                Trajectory::Linear => {
                    let f = (day - d0).num_days() as f64 / (d1 - d0).num_days() as f64;
                    v0 + (v1 - v0) * f
                }
            });
        }
    }
    pts.last().map(|p| p.1)
}

/// The value a least-squares line through `points` (fractional year, value) reaches at `at`;
/// needs two points at different times. Used as "at this pace, 62 % in 2030".
pub fn project(points: &[(f64, f64)], at: f64) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx < 1e-12 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let v = my + sxy / sxx * (at - mx);
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicators::target::{self, Stated};
    use proptest::prelude::*;

    fn t(s: &str) -> Target {
        match target::parse(s) {
            Stated::Figures { mut targets } => targets.remove(0),
            _ => panic!(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ratio_of_sums_not_mean_of_ratios() {
        // A commune with 9 of 10 services online and a city with 100 of 1,000.
        let a = Partial::of(90.0, Some((9.0, 10.0)));
        let b = Partial::of(10.0, Some((100.0, 1000.0)));
        let all = a.merge(b);
        assert_eq!(
            all.result(Aggregation::Ratio, 100.0),
            Some(109.0 / 1010.0 * 100.0)
        );
        assert_eq!(all.result(Aggregation::Mean, 100.0), Some(50.0));
        assert_eq!(all.result(Aggregation::Sum, 100.0), Some(100.0));
        assert_eq!(all.result(Aggregation::Min, 100.0), Some(10.0));
        assert_eq!(all.result(Aggregation::None, 100.0), None);
        assert_eq!(Partial::default().result(Aggregation::Sum, 1.0), None);
    }

    #[test]
    fn achievement_examples() {
        assert_eq!(
            achievement(60.0, &t("≥ 80"), Direction::Higher, None),
            Some(0.75)
        );
        assert_eq!(
            achievement(60.0, &t("≥ 80"), Direction::Higher, Some(40.0)),
            Some(0.5)
        );
        assert_eq!(
            achievement(90.0, &t("≥ 80"), Direction::Higher, None),
            Some(1.125)
        );
        // A rank of 6 against "≤ 3": half-way in the ratio sense.
        assert_eq!(
            achievement(6.0, &t("≤ 3"), Direction::Lower, None),
            Some(0.5)
        );
        assert_eq!(
            achievement(17.0, &t("16 - 18"), Direction::Band, None),
            Some(1.0)
        );
        assert_eq!(
            achievement(9.0, &t("> 9"), Direction::Higher, None),
            Some(0.9999)
        );
    }

    #[test]
    fn statuses() {
        let tg = t("≥ 80");
        let h = Direction::Higher;
        assert_eq!(
            status(None, Some(&tg), None, None, h, false),
            Status::NoData
        );
        assert_eq!(
            status(None, Some(&tg), None, None, h, true),
            Status::LateData
        );
        assert_eq!(
            status(Some(85.0), Some(&tg), None, None, h, false),
            Status::Achieved
        );
        assert_eq!(
            status(Some(60.0), Some(&tg), Some(55.0), None, h, false),
            Status::OnTrack
        );
        assert_eq!(
            status(Some(50.0), Some(&tg), Some(55.0), Some(90.0), h, false),
            Status::OffTrack
        );
        assert_eq!(
            status(Some(50.0), Some(&tg), None, Some(81.0), h, false),
            Status::OnTrack
        );
        assert_eq!(
            status(Some(50.0), Some(&tg), None, Some(62.0), h, false),
            Status::OffTrack
        );
        assert_eq!(
            status(Some(50.0), Some(&tg), None, None, h, false),
            Status::NotJudged
        );
        assert_eq!(
            status(Some(1.0), None, None, None, h, false),
            Status::NotJudged
        );
    }

    #[test]
    fn trajectories() {
        let pts = [(d(2025, 1, 1), 40.0), (d(2030, 1, 1), 80.0)];
        assert_eq!(expected(&pts, Trajectory::Linear, d(2024, 6, 1)), None);
        assert_eq!(
            expected(&pts, Trajectory::Linear, d(2025, 1, 1)),
            Some(40.0)
        );
        let mid = expected(&pts, Trajectory::Linear, d(2027, 7, 2)).unwrap();
        assert!((mid - 60.0).abs() < 0.05, "{mid}");
        assert_eq!(
            expected(&pts, Trajectory::Stepwise, d(2029, 12, 31)),
            Some(40.0)
        );
        assert_eq!(
            expected(&pts, Trajectory::Linear, d(2031, 1, 1)),
            Some(80.0)
        );
    }

    #[test]
    fn projection_follows_the_line() {
        let pts = [(2025.0, 40.0), (2026.0, 45.0)];
        assert_eq!(project(&pts, 2030.0), Some(65.0));
        assert_eq!(project(&pts[..1], 2030.0), None);
        assert_eq!(project(&[(2025.0, 1.0), (2025.0, 2.0)], 2030.0), None);
    }

    #[test]
    fn own_values_take_precedence_over_their_parts() {
        // 1 ← 10 ← {100, 101}; 1 ← 20 (own value, with a commune 200 below it).
        let parent = |u: i64| match u {
            10 | 20 => Some(1),
            100 | 101 => Some(10),
            200 => Some(20),
            _ => None,
        };
        let depth = |u: i64| match u {
            1 => 0,
            10 | 20 => 1,
            _ => 2,
        };
        let own: std::collections::HashMap<i64, Partial> = [
            (100, Partial::of(50.0, Some((5.0, 10.0)))),
            (101, Partial::of(100.0, Some((30.0, 30.0)))),
            (20, Partial::of(10.0, Some((10.0, 100.0)))),
            (200, Partial::of(99.0, Some((99.0, 100.0)))),
        ]
        .into();
        let r = roll_up(&own, parent, depth);
        assert_eq!(
            r[&10].0.result(Aggregation::Ratio, 100.0),
            Some(35.0 / 40.0 * 100.0)
        );
        assert!(!r[&10].1 && r[&20].1);
        assert_eq!(
            r[&1].0.result(Aggregation::Ratio, 100.0),
            Some(45.0 / 140.0 * 100.0)
        );
        assert_eq!(
            r[&1].0.count, 3,
            "the commune under 20 is not counted twice"
        );
    }

    fn partial() -> impl Strategy<Value = Partial> {
        (0.0f64..1000.0, 1.0f64..1000.0)
            .prop_map(|(n, extra)| Partial::of(n / (n + extra) * 100.0, Some((n, n + extra))))
    }

    proptest! {
        #[test]
        fn roll_ups_do_not_depend_on_grouping(xs in proptest::collection::vec(partial(), 1..40), cut in 0usize..40) {
            // Communes rolled into provinces then into the nation give what the communes give at once.
            let cut = cut.min(xs.len());
            let all = xs.iter().fold(Partial::default(), |a, b| a.merge(*b));
            let left = xs[..cut].iter().fold(Partial::default(), |a, b| a.merge(*b));
            let right = xs[cut..].iter().fold(Partial::default(), |a, b| a.merge(*b));
            let grouped = left.merge(right);
            for agg in Aggregation::ALL {
                let (x, y) = (all.result(agg, 100.0), grouped.result(agg, 100.0));
                match (x, y) {
                    (Some(x), Some(y)) => prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{agg}: {x} vs {y}"),
                    (x, y) => prop_assert_eq!(x, y),
                }
            }
            let ratio = all.result(Aggregation::Ratio, 100.0).unwrap();
            prop_assert!((0.0..=100.0 + 1e-9).contains(&ratio));
        }

        #[test]
        fn the_root_of_leaves_is_all_leaves(xs in proptest::collection::vec((partial(), 0i64..5), 1..60)) {
            // Leaves 1000+i under one of five provinces 10..15 under the root 1.
            let own: std::collections::HashMap<i64, Partial> = xs.iter().enumerate().map(|(i, (p, _))| (1000 + i as i64, *p)).collect();
            let prov: std::collections::HashMap<i64, i64> = xs.iter().enumerate().map(|(i, (_, g))| (1000 + i as i64, 10 + g)).collect();
            let r = roll_up(&own, |u| if u >= 1000 { prov.get(&u).copied() } else if u >= 10 { Some(1) } else { None },
                |u| if u >= 1000 { 2 } else if u >= 10 { 1 } else { 0 });
            let all = xs.iter().fold(Partial::default(), |a, (b, _)| a.merge(*b));
            let root = r[&1].0;
            prop_assert_eq!(root.count, all.count);
            prop_assert!((root.numerator - all.numerator).abs() < 1e-6 && (root.denominator - all.denominator).abs() < 1e-6);
        }

        #[test]
        fn achievement_is_monotone_in_direction(a in 0.0f64..200.0, b in 0.0f64..200.0, tv in 1.0f64..150.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let higher = Target { comparator: Comparator::AtLeast, value: tv, upper: None, label: None, note: None };
            prop_assert!(achievement(lo, &higher, Direction::Higher, None) <= achievement(hi, &higher, Direction::Higher, None));
            if lo > 0.0 {
                let lower = Target { comparator: Comparator::AtMost, value: tv, upper: None, label: None, note: None };
                prop_assert!(achievement(lo, &lower, Direction::Lower, None) >= achievement(hi, &lower, Direction::Lower, None));
            }
            // Reaching the target is exactly when the share is at least one.
            let share = achievement(a, &higher, Direction::Higher, None).unwrap();
            prop_assert_eq!(share >= 1.0, higher.met_by(a, Direction::Higher));
        }

        #[test]
        fn linear_trajectory_stays_between_its_points(v0 in -100.0f64..100.0, v1 in -100.0f64..100.0, days in 1u64..4000, at in 0u64..4000) {
            let d0 = d(2025, 1, 1);
            let pts = [(d0, v0), (d0 + chrono::Days::new(days), v1)];
            let e = expected(&pts, Trajectory::Linear, d0 + chrono::Days::new(at)).unwrap();
            prop_assert!(e >= v0.min(v1) - 1e-9 && e <= v0.max(v1) + 1e-9);
            let s = expected(&pts, Trajectory::Stepwise, d0 + chrono::Days::new(at)).unwrap();
            prop_assert!(s == v0 || s == v1);
        }

        #[test]
        fn projection_of_a_line_is_the_line(a in -50.0f64..50.0, slope in -10.0f64..10.0, n in 2usize..10) {
            let pts: Vec<(f64, f64)> = (0..n).map(|i| (2025.0 + i as f64 * 0.25, a + slope * i as f64 * 0.25)).collect();
            let p = project(&pts, 2030.0).unwrap();
            prop_assert!((p - (a + slope * 5.0)).abs() < 1e-6);
        }
    }
}
