//! Applying a method to a peer group: each measure normalised over the group, the missing-data
//! rule applied, nodes aggregated, then scores, ranks, grades and quartiles.
//!
//! Nothing here depends on the order of the units: the group's statistics are taken over sorted
//! values, so that a reordered table gives the same scores to the last bit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::method::{Aggregation, Better, Item, Measure, Method, Missing, Normalisation};

pub type UnitId = i64;

/// The raw values of a peer group: per measure code, one value per unit of `units` (None when
/// the unit has no value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub units: Vec<UnitId>,
    pub columns: BTreeMap<String, Vec<Option<f64>>>,
}

impl Table {
    pub fn new(units: Vec<UnitId>) -> Table {
        Table {
            units,
            columns: BTreeMap::new(),
        }
    }

    /// Sets the column of measure `code`; values of units missing from `values` are None.
    pub fn set(&mut self, code: &str, values: &BTreeMap<UnitId, f64>) {
        let col = self.units.iter().map(|u| values.get(u).copied()).collect();
        self.columns.insert(code.to_string(), col);
    }

    fn column(&self, code: &str) -> Vec<Option<f64>> {
        self.columns
            .get(code)
            .cloned()
            .unwrap_or_else(|| vec![None; self.units.len()])
    }
}

/// One node's or measure's result for a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    /// The raw value (measures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<f64>,
    /// Points on 0–100; None when left out.
    pub points: Option<f64>,
    /// Its share of its parent after missing siblings were left out (0 when left out itself).
    pub share: f64,
    /// The rule applied when the unit had no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imputed: Option<Missing>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitScore {
    pub unit: UnitId,
    /// On the method's scale; None when every measure is left out.
    pub score: Option<f64>,
    /// 1 for the best; units with equal scores share the better place ("1, 2, 2, 4").
    pub rank: Option<u32>,
    pub grade: Option<String>,
    /// 1 for the top quarter of the ranked units, 4 for the bottom.
    pub quartile: Option<u8>,
    /// By code: every node and measure.
    pub parts: BTreeMap<String, Part>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// In the table's order.
    pub units: Vec<UnitScore>,
    /// The group's median points per node and measure (over the units that have points).
    pub medians: BTreeMap<String, f64>,
}

/// The flattened evaluation: per part (depth first, children before their node), per unit.
struct Eval {
    codes: Vec<String>,
    points: Vec<Vec<Option<f64>>>,
    shares: Vec<Vec<f64>>,
    raw: Vec<Option<Vec<Option<f64>>>>,
    imputed: Vec<Vec<Option<Missing>>>,
    /// Points of the whole, 0–100.
    total: Vec<Option<f64>>,
}

/// Scores, ranks, grades and quartiles of a peer group.
pub fn compute(method: &Method, table: &Table) -> Ranking {
    let e = evaluate(method, table);
    let ranks = ranks(&e.total);
    let ranked = ranks.iter().flatten().count();
    let units = (0..table.units.len())
        .map(|u| UnitScore {
            unit: table.units[u],
            score: e.total[u].map(|p| p * method.scale / 100.0),
            rank: ranks[u],
            grade: e.total[u]
                .and_then(|p| method.grade(p))
                .map(|g| g.code.clone()),
            quartile: ranks[u].map(|r| quartile(r, ranked)),
            parts: (0..e.codes.len())
                .map(|p| {
                    (
                        e.codes[p].clone(),
                        Part {
                            raw: e.raw[p].as_ref().and_then(|r| r[u]),
                            points: e.points[p][u],
                            share: e.shares[p][u],
                            imputed: e.imputed[p][u],
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let medians = (0..e.codes.len())
        .filter_map(|p| Some((e.codes[p].clone(), median(&e.points[p])?)))
        .collect();
    Ranking { units, medians }
}

/// The scores alone (0–100 points of the whole), for Monte Carlo draws and what-if forms.
pub fn totals(method: &Method, table: &Table) -> Vec<Option<f64>> {
    evaluate(method, table).total
}

fn evaluate(method: &Method, table: &Table) -> Eval {
    let n = table.units.len();
    let mut e = Eval {
        codes: vec![],
        points: vec![],
        shares: vec![],
        raw: vec![],
        imputed: vec![],
        total: vec![],
    };
    let (total, _) = aggregate(
        &method.pillars,
        method.aggregation,
        method.geometric_floor,
        table,
        n,
        &mut e,
    );
    // A unit without a single raw value is not scored, whatever the missing-data rules would
    // fill in: a rank must rest on some of its own data.
    e.total = total
        .into_iter()
        .enumerate()
        .map(|(u, t)| {
            let has_data = e.raw.iter().flatten().any(|col| col[u].is_some());
            t.filter(|_| has_data)
        })
        .collect();
    e
}

/// Evaluates `items` into `e` and returns their aggregate per unit and the indices of their
/// parts in `e`.
fn aggregate(
    items: &[Item],
    how: Aggregation,
    floor: f64,
    table: &Table,
    n: usize,
    e: &mut Eval,
) -> (Vec<Option<f64>>, Vec<usize>) {
    let mut idx = vec![];
    for item in items {
        let points = match item {
            Item::Node(node) => aggregate(&node.children, node.aggregation, floor, table, n, e).0,
            Item::Measure(m) => {
                let raw = table.column(&m.code);
                let (points, imputed) = measure_points(m, &raw);
                e.raw.push(Some(raw));
                e.imputed.push(imputed);
                e.codes.push(m.code.clone());
                e.points.push(points);
                e.shares.push(vec![0.0; n]);
                idx.push(e.codes.len() - 1);
                continue;
            }
        };
        e.raw.push(None);
        e.imputed.push(vec![None; n]);
        e.codes.push(item.code().to_string());
        e.points.push(points);
        e.shares.push(vec![0.0; n]);
        idx.push(e.codes.len() - 1);
    }
    let mut out = vec![None; n];
    for (u, slot) in out.iter_mut().enumerate() {
        let present: Vec<(usize, f64, f64)> = items
            .iter()
            .zip(&idx)
            .filter_map(|(item, &p)| Some((p, item.weight(), e.points[p][u]?)))
            .collect();
        let sum_w: f64 = present.iter().map(|(_, w, _)| w).sum();
        if present.is_empty() || sum_w <= 0.0 {
            continue;
        }
        for (p, w, _) in &present {
            e.shares[*p][u] = w / sum_w;
        }
        let mean = match how {
            Aggregation::Arithmetic => present.iter().map(|(_, w, s)| w * s).sum::<f64>() / sum_w,
            Aggregation::Geometric => (present
                .iter()
                .map(|(_, w, s)| w * s.max(floor).ln())
                .sum::<f64>()
                / sum_w)
                .exp(),
        };
        // A mean of hundreds can come out a rounding step above 100.
        *slot = Some(mean.clamp(0.0, 100.0));
    }
    (out, idx)
}

/// A measure's points for each unit, and the rule applied where a unit had no value.
#[allow(clippy::type_complexity)]
fn measure_points(m: &Measure, raw: &[Option<f64>]) -> (Vec<Option<f64>>, Vec<Option<Missing>>) {
    // Oriented so that larger is better; goalposts carry their own direction.
    let oriented = |x: f64| match m.better {
        Better::Higher => x,
        Better::Lower => -x,
    };
    let mut sorted: Vec<f64> = raw
        .iter()
        .flatten()
        .filter(|x| x.is_finite())
        .map(|&x| oriented(x))
        .collect();
    sorted.sort_by(f64::total_cmp);
    let k = sorted.len();
    // The group's mean and standard deviation, once per measure (not per unit: at 3,321 communes
    // that made a z-score normalisation 11 million additions).
    let (mean, sd) = if k > 0 {
        let mean = sorted.iter().sum::<f64>() / k as f64;
        let var = sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / k as f64;
        (mean, var.sqrt())
    } else {
        (0.0, 0.0)
    };
    let points = |x: f64| -> f64 {
        let v = oriented(x);
        match m.normalisation {
            Normalisation::Goalposts { worst, best } => {
                (100.0 * (x - worst) / (best - worst)).clamp(0.0, 100.0)
            }
            Normalisation::MinMax => {
                let (lo, hi) = (sorted[0], sorted[k - 1]);
                if hi > lo {
                    100.0 * (v - lo) / (hi - lo)
                } else {
                    50.0
                }
            }
            Normalisation::ZScore => {
                if sd > 0.0 {
                    (50.0 + 10.0 * (v - mean) / sd).clamp(0.0, 100.0)
                } else {
                    50.0
                }
            }
            Normalisation::Rank | Normalisation::Percentile => {
                let below = sorted.partition_point(|y| *y < v) as f64;
                let equal_others =
                    (sorted.partition_point(|y| *y <= v) as f64 - below - 1.0).max(0.0);
                if m.normalisation == Normalisation::Rank {
                    if k > 1 {
                        100.0 * (below + equal_others / 2.0) / (k - 1) as f64
                    } else {
                        50.0
                    }
                } else {
                    100.0 * (below + (equal_others + 1.0) / 2.0) / k as f64
                }
            }
        }
    };
    // Cut to the range: 100·a/b can come out a rounding step above 100 where a = b.
    let mut out: Vec<Option<f64>> = raw
        .iter()
        .map(|x| {
            x.filter(|x| x.is_finite())
                .map(|x| points(x).clamp(0.0, 100.0))
        })
        .collect();
    let gaps: Vec<usize> = (0..out.len()).filter(|&u| out[u].is_none()).collect();
    let mut imputed = vec![None; out.len()];
    if gaps.is_empty() {
        return (out, imputed);
    }
    let fill = match m.missing {
        Missing::Exclude => None,
        Missing::Zero => Some(0.0),
        Missing::GroupMedian => median(&out),
    };
    for u in gaps {
        out[u] = fill;
        imputed[u] = Some(m.missing);
    }
    (out, imputed)
}

/// The median of the values present, None when there are none.
pub fn median(values: &[Option<f64>]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let k = v.len();
    Some(if k % 2 == 1 {
        v[k / 2]
    } else {
        (v[k / 2 - 1] + v[k / 2]) / 2.0
    })
}

/// Competition ranks ("1, 2, 2, 4") of the scores present. Scores equal to nine decimals are
/// ties, so that a difference in the last bit of a sum never orders two units.
pub fn ranks(scores: &[Option<f64>]) -> Vec<Option<u32>> {
    let key = |s: f64| (s * 1e9).round() as i64;
    let mut keys: Vec<i64> = scores.iter().flatten().map(|&s| key(s)).collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    scores
        .iter()
        .map(|s| s.map(|s| keys.partition_point(|k| *k > key(s)) as u32 + 1))
        .collect()
}

/// The quarter of `ranked` units that place `rank` falls in, 1 (top) to 4.
pub fn quartile(rank: u32, ranked: usize) -> u8 {
    (1 + (4 * (rank as usize - 1)) / ranked.max(1)).min(4) as u8
}

#[cfg(test)]
mod tests {
    use super::super::method::tests::measure;
    use super::super::method::{Grade, Names, Node};
    use super::*;

    /// Five units, three measures, worked by hand (see each figure's comment).
    #[test]
    fn a_small_method_computed_by_hand() {
        let mut tasks = measure("tasks", 2.0, Normalisation::MinMax);
        let mut late = measure("late", 1.0, Normalisation::MinMax);
        if let Item::Measure(m) = &mut late {
            m.better = Better::Lower;
            m.missing = Missing::GroupMedian;
        }
        if let Item::Measure(m) = &mut tasks {
            m.missing = Missing::Zero;
        }
        let method = Method {
            scale: 1000.0,
            aggregation: Aggregation::Arithmetic,
            pillars: vec![
                Item::Node(Node {
                    code: "work".into(),
                    name: Names::default(),
                    weight: 3.0,
                    aggregation: Aggregation::Arithmetic,
                    children: vec![tasks, late],
                }),
                measure(
                    "sat",
                    1.0,
                    Normalisation::Goalposts {
                        worst: 1.0,
                        best: 5.0,
                    },
                ),
            ],
            grades: vec![Grade {
                code: "good".into(),
                name: Names::default(),
                min: 50.0,
            }],
            geometric_floor: 1.0,
        };
        let mut t = Table::new(vec![10, 20, 30, 40, 50]);
        t.columns.insert(
            "tasks".into(),
            vec![Some(1.0), Some(0.5), Some(0.75), None, Some(0.5)],
        );
        t.columns.insert(
            "late".into(),
            vec![Some(2.0), Some(10.0), None, Some(4.0), Some(6.0)],
        );
        t.columns.insert(
            "sat".into(),
            vec![Some(4.0), Some(3.0), Some(5.0), Some(2.0), None],
        );
        let r = compute(&method, &t);
        let pts = |u: usize, code: &str| r.units[u].parts[code].points;
        // tasks, min–max over 0.5..1; unit 40 has none: 0 points (rule "zero").
        assert_eq!(pts(0, "tasks"), Some(100.0));
        assert_eq!(pts(1, "tasks"), Some(0.0));
        assert_eq!(pts(2, "tasks"), Some(50.0));
        assert_eq!(pts(3, "tasks"), Some(0.0));
        assert_eq!(r.units[3].parts["tasks"].imputed, Some(Missing::Zero));
        // late, lower is better, over 2..10: 2 → 100, 10 → 0, 4 → 75, 6 → 50; unit 30 gets the
        // median of those, (50 + 75) / 2.
        assert_eq!(pts(3, "late"), Some(75.0));
        assert_eq!(pts(4, "late"), Some(50.0));
        assert_eq!(pts(2, "late"), Some(62.5));
        // sat between goalposts 1 and 5: 4 → 75; unit 50 has none: left out.
        assert_eq!(pts(0, "sat"), Some(75.0));
        assert_eq!(pts(4, "sat"), None);
        // work = (2·tasks + 1·late) / 3; total = (3·work + 1·sat) / 4, or work alone.
        let work0 = (2.0 * 100.0 + 100.0) / 3.0;
        assert_eq!(pts(0, "work"), Some(work0));
        // The scale: points × 1000 / 100.
        assert_eq!(
            r.units[0].score,
            Some((3.0 * work0 + 75.0) / 4.0 * 1000.0 / 100.0)
        );
        assert_eq!(r.units[0].score, Some(937.5));
        let work4 = (2.0 * 0.0 + 50.0) / 3.0;
        assert_eq!(r.units[4].score, Some(work4 * 1000.0 / 100.0));
        assert_eq!(r.units[4].parts["work"].share, 1.0);
        assert_eq!(r.units[4].parts["sat"].share, 0.0);
        let work2 = (2.0 * 50.0 + 62.5) / 3.0;
        assert_eq!(
            r.units[2].score,
            Some((3.0 * work2 + 100.0) / 4.0 * 1000.0 / 100.0)
        );
        assert_eq!(r.units[2].score, Some(656.25));
        assert_eq!(r.units[3].score, Some(250.0));
        assert_eq!(r.units[1].score, Some(125.0));
        // 10: 937.5; 30: 656.25; 40: 250; 50: 166.67; 20: 125.
        let order: Vec<(i64, u32)> = r.units.iter().map(|u| (u.unit, u.rank.unwrap())).collect();
        assert_eq!(order, [(10, 1), (20, 5), (30, 2), (40, 3), (50, 4)]);
        assert_eq!(r.units[0].grade.as_deref(), Some("good"));
        assert_eq!(r.units[3].grade, None);
        assert_eq!(r.units[1].quartile, Some(4));
        assert_eq!(r.units[0].quartile, Some(1));
    }

    #[test]
    fn ties_share_the_better_place() {
        let r = ranks(&[Some(5.0), Some(7.0), Some(5.0), None, Some(1.0)]);
        assert_eq!(r, [Some(2), Some(1), Some(2), None, Some(4)]);
    }
}
