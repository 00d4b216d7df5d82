//! What changed between two editions of one ranking: who rose and who fell, whose grade changed,
//! who entered or left the ranked units. Readers ask this first when a new edition appears.

use std::collections::BTreeMap;

use serde::Serialize;

/// A unit's place in one edition (None: not ranked, for want of data).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub unit: i64,
    pub rank: Option<i32>,
    pub grade: Option<String>,
}

/// One unit's move from the earlier edition to the later one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RankMove))]
pub struct Move {
    pub unit: i64,
    pub from: i32,
    pub to: i32,
}

impl Move {
    /// Places gained (negative when lost).
    pub fn gain(&self) -> i32 {
        self.from - self.to
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeChange {
    pub unit: i64,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changelog {
    /// Units ranked in both editions that gained places, most places first (ties by unit).
    pub risers: Vec<Move>,
    /// Units ranked in both that lost places, most places first.
    pub fallers: Vec<Move>,
    /// Units ranked in both at the same place.
    pub unchanged: usize,
    /// Ranked now, not before; ranked before, not now.
    pub entered: Vec<i64>,
    pub left: Vec<i64>,
    /// Units graded in both whose grade changed.
    pub grades: Vec<GradeChange>,
}

/// The changes from `before` to `after` (one line per unit in each; a unit missing from one
/// side counts as unranked there).
pub fn between(before: &[Place], after: &[Place]) -> Changelog {
    let old: BTreeMap<i64, &Place> = before.iter().map(|p| (p.unit, p)).collect();
    let mut log = Changelog::default();
    let mut seen = std::collections::BTreeSet::new();
    for now in after {
        seen.insert(now.unit);
        let was = old.get(&now.unit);
        match (was.and_then(|w| w.rank), now.rank) {
            (Some(from), Some(to)) => {
                let m = Move {
                    unit: now.unit,
                    from,
                    to,
                };
                match m.gain() {
                    g if g > 0 => log.risers.push(m),
                    g if g < 0 => log.fallers.push(m),
                    _ => log.unchanged += 1,
                }
            }
            (None, Some(_)) => log.entered.push(now.unit),
            (Some(_), None) => log.left.push(now.unit),
            (None, None) => {}
        }
        if let (Some(from), Some(to)) = (was.and_then(|w| w.grade.as_ref()), now.grade.as_ref())
            && from != to
        {
            log.grades.push(GradeChange {
                unit: now.unit,
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    // Ranked before, absent from the later edition altogether (e.g. merged away).
    log.left.extend(
        before
            .iter()
            .filter(|p| p.rank.is_some() && !seen.contains(&p.unit))
            .map(|p| p.unit),
    );
    log.risers
        .sort_by_key(|m| (std::cmp::Reverse(m.gain()), m.unit));
    log.fallers.sort_by_key(|m| (m.gain(), m.unit));
    log.entered.sort_unstable();
    log.left.sort_unstable();
    log
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn place(unit: i64, rank: Option<i32>, grade: Option<&str>) -> Place {
        Place {
            unit,
            rank,
            grade: grade.map(str::to_string),
        }
    }

    #[test]
    fn a_worked_example() {
        let before = [
            place(1, Some(1), Some("good")),
            place(2, Some(2), Some("good")),
            place(3, Some(3), Some("weak")),
            place(4, None, None),
            place(5, Some(4), Some("weak")),
        ];
        let after = [
            place(3, Some(1), Some("good")),
            place(1, Some(2), Some("good")),
            place(2, Some(3), Some("fair")),
            place(4, Some(4), Some("weak")),
            place(5, None, None),
        ];
        let log = between(&before, &after);
        assert_eq!(
            log.risers,
            vec![Move {
                unit: 3,
                from: 3,
                to: 1
            }]
        );
        assert_eq!(
            log.fallers.iter().map(|m| m.unit).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(log.unchanged, 0);
        assert_eq!(log.entered, vec![4]);
        assert_eq!(log.left, vec![5]);
        assert_eq!(
            log.grades,
            vec![
                GradeChange {
                    unit: 3,
                    from: "weak".into(),
                    to: "good".into()
                },
                GradeChange {
                    unit: 2,
                    from: "good".into(),
                    to: "fair".into()
                }
            ]
        );
    }

    fn side() -> impl Strategy<Value = Vec<Place>> {
        proptest::collection::btree_map(0i64..40, proptest::option::of(1i32..30), 0..30).prop_map(
            |m| {
                m.into_iter()
                    .map(|(unit, rank)| {
                        place(unit, rank, rank.map(|r| if r < 10 { "a" } else { "b" }))
                    })
                    .collect()
            },
        )
    }

    proptest! {
        /// Every unit ranked on either side is counted exactly once: risen, fallen, unchanged,
        /// entered or left; and the moves are sorted largest first.
        #[test]
        fn every_ranked_unit_is_counted_once(before in side(), after in side()) {
            let log = between(&before, &after);
            let ranked = |s: &[Place]| s.iter().filter(|p| p.rank.is_some()).map(|p| p.unit).collect::<std::collections::BTreeSet<_>>();
            let all: std::collections::BTreeSet<i64> = ranked(&before).union(&ranked(&after)).copied().collect();
            let counted = log.risers.len() + log.fallers.len() + log.unchanged + log.entered.len() + log.left.len();
            prop_assert_eq!(counted, all.len());
            prop_assert!(log.risers.iter().all(|m| m.gain() > 0));
            prop_assert!(log.fallers.iter().all(|m| m.gain() < 0));
            prop_assert!(log.risers.windows(2).all(|w| w[0].gain() >= w[1].gain()));
            prop_assert!(log.fallers.windows(2).all(|w| w[0].gain() <= w[1].gain()));
        }

        /// An edition compared with itself changes nothing.
        #[test]
        fn nothing_changes_against_itself(side in side()) {
            let log = between(&side, &side);
            prop_assert!(log.risers.is_empty() && log.fallers.is_empty() && log.grades.is_empty());
            prop_assert!(log.entered.is_empty() && log.left.is_empty());
            prop_assert_eq!(log.unchanged, side.iter().filter(|p| p.rank.is_some()).count());
        }
    }
}
