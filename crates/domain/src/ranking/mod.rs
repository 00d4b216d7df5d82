//! Evaluation and ranking of ministries, provinces and communes: a versioned method (`method`)
//! applied to a peer group's raw values (`engine`), how sure each rank is (`uncertainty`), and
//! what moved a score between two editions (`attribution`). Plain functions over plain data: the
//! values come from the platform's own tasks, indicators and feedback, read by the layers above.

pub mod attribution;
pub mod changelog;
pub mod engine;
pub mod lifecycle;
pub mod method;
pub mod sources;
pub mod uncertainty;

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::engine::{Table, compute};
    use super::method::*;

    fn normalisation() -> impl Strategy<Value = Normalisation> {
        prop_oneof![
            Just(Normalisation::MinMax),
            Just(Normalisation::ZScore),
            Just(Normalisation::Rank),
            Just(Normalisation::Percentile),
            Just(Normalisation::Goalposts {
                worst: 0.0,
                best: 80.0
            }),
            Just(Normalisation::Goalposts {
                worst: 90.0,
                best: 10.0
            }),
        ]
    }

    fn missing() -> impl Strategy<Value = Missing> {
        prop_oneof![
            Just(Missing::Exclude),
            Just(Missing::Zero),
            Just(Missing::GroupMedian)
        ]
    }

    fn aggregation() -> impl Strategy<Value = Aggregation> {
        prop_oneof![Just(Aggregation::Arithmetic), Just(Aggregation::Geometric)]
    }

    fn measure(i: usize) -> impl Strategy<Value = Item> {
        (0.1f64..10.0, normalisation(), missing(), prop::bool::ANY).prop_map(
            move |(weight, normalisation, missing, higher)| {
                Item::Measure(Measure {
                    code: format!("m{i}"),
                    name: Names::default(),
                    weight,
                    source: "expert".into(),
                    better: if higher {
                        Better::Higher
                    } else {
                        Better::Lower
                    },
                    normalisation,
                    missing,
                })
            },
        )
    }

    /// Two pillars over four measures, any weights, rules and aggregations.
    fn method() -> impl Strategy<Value = Method> {
        (
            (measure(0), measure(1), measure(2), measure(3)),
            (aggregation(), aggregation(), aggregation()),
            (0.1f64..10.0, 0.1f64..10.0),
            prop_oneof![Just(100.0), Just(1000.0)],
        )
            .prop_map(|((a, b, c, d), (top, p1, p2), (w1, w2), scale)| Method {
                scale,
                aggregation: top,
                pillars: vec![
                    Item::Node(Node {
                        code: "p1".into(),
                        name: Names::default(),
                        weight: w1,
                        aggregation: p1,
                        children: vec![a, b],
                    }),
                    Item::Node(Node {
                        code: "p2".into(),
                        name: Names::default(),
                        weight: w2,
                        aggregation: p2,
                        children: vec![c, d],
                    }),
                ],
                grades: vec![],
                geometric_floor: 1.0,
            })
    }

    /// 2–12 units, values 0–100 with gaps (and exact repeats, for ties).
    fn table() -> impl Strategy<Value = Table> {
        (2usize..12).prop_flat_map(|n| {
            prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![
                        1 => Just(None),
                        1 => (0u8..5).prop_map(|v| Some(v as f64 * 20.0)),
                        4 => (0.0f64..100.0).prop_map(Some),
                    ],
                    n,
                ),
                4,
            )
            .prop_map(move |cols| {
                let mut t = Table::new((0..n as i64).map(|u| 100 + u).collect());
                for (i, c) in cols.into_iter().enumerate() {
                    t.columns.insert(format!("m{i}"), c);
                }
                t
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn scores_do_not_depend_on_the_order_of_units(m in method(), t in table(), seed in 0usize..1000) {
            let r = compute(&m, &t);
            // A rotation and a reversal of the rows.
            let n = t.units.len();
            let order: Vec<usize> = (0..n).map(|i| (n - 1 - i + seed) % n).collect();
            let mut t2 = Table::new(order.iter().map(|&i| t.units[i]).collect());
            for (code, col) in &t.columns {
                t2.columns.insert(code.clone(), order.iter().map(|&i| col[i]).collect());
            }
            let r2 = compute(&m, &t2);
            for (k, &i) in order.iter().enumerate() {
                prop_assert_eq!(&r2.units[k], &r.units[i]);
            }
            prop_assert_eq!(r2.medians, r.medians);
        }

        #[test]
        fn improving_a_measure_never_lowers_the_units_score(
            m in method(), t in table(), unit in 0usize..12, measure in 0usize..4, step in 0.0f64..50.0
        ) {
            let unit = unit % t.units.len();
            let code = format!("m{measure}");
            let Some(x) = t.columns[&code][unit] else { return Ok(()) };
            let better = m.measures()[measure].better;
            let goal_higher = match m.measures()[measure].normalisation {
                Normalisation::Goalposts { worst, best } => best > worst,
                _ => better == Better::Higher,
            };
            let mut t2 = t.clone();
            t2.columns.get_mut(&code).unwrap()[unit] = Some(if goal_higher { x + step } else { x - step });
            let before = compute(&m, &t).units[unit].score;
            let after = compute(&m, &t2).units[unit].score;
            if let (Some(b), Some(a)) = (before, after) {
                prop_assert!(a >= b - 1e-9 * m.scale, "{} -> {}", b, a);
            }
        }

        #[test]
        fn points_and_scores_stay_in_their_range(m in method(), t in table()) {
            let r = compute(&m, &t);
            for u in &r.units {
                for p in u.parts.values() {
                    if let Some(p) = p.points {
                        prop_assert!((0.0..=100.0).contains(&p), "{}", p);
                    }
                }
                if let Some(s) = u.score {
                    prop_assert!((0.0..=m.scale).contains(&s), "{}", s);
                }
            }
        }

        #[test]
        fn a_zero_in_a_geometric_mean_counts_as_the_floor(a in 0.0f64..100.0, w in 0.1f64..10.0) {
            // One measure at 0 points, one at `a`: the node is the weighted geometric mean with
            // the zero raised to the floor (1 point), never 0.
            let g = |code: &str, weight| Item::Measure(Measure {
                code: code.into(), name: Names::default(), weight, source: "expert".into(),
                better: Better::Higher,
                normalisation: Normalisation::Goalposts { worst: 0.0, best: 100.0 },
                missing: Missing::Exclude,
            });
            let m = Method {
                scale: 100.0, aggregation: Aggregation::Geometric,
                pillars: vec![g("zero", w), g("a", 1.0)], grades: vec![], geometric_floor: 1.0,
            };
            let mut t = Table::new(vec![1]);
            t.columns.insert("zero".into(), vec![Some(0.0)]);
            t.columns.insert("a".into(), vec![Some(a)]);
            let s = compute(&m, &t).units[0].score.unwrap();
            let expected = ((w * 1f64.ln() + a.max(1.0).ln()) / (w + 1.0)).exp();
            prop_assert!((s - expected).abs() < 1e-9, "{} vs {}", s, expected);
            prop_assert!(s >= 1.0);
        }

        #[test]
        fn the_same_inputs_give_the_same_scores(m in method(), t in table()) {
            prop_assert_eq!(compute(&m, &t), compute(&m.clone(), &t.clone()));
        }
    }
}
