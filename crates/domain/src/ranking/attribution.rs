//! "Why did my score change?": the difference of a unit's score between two editions, split
//! over the method's pillars so that the parts add up to the whole difference.

use serde::{Deserialize, Serialize};

use super::engine::UnitScore;
use super::method::{Aggregation, Method};

/// A pillar's part of the change of score, in the method's points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub code: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub delta: f64,
}

/// Splits `after.score − before.score` over the pillars of both editions (by code; a pillar
/// present in one edition only contributes from that side).
///
/// Arithmetic totals split exactly: each pillar contributes share × points × scale / 100. When
/// both totals are geometric, the log-mean split (LMDI) is exact too: ln(score) is the sum of
/// share × ln(points), and each pillar gets L(after, before) × its change of that term, where
/// L(a, b) = (a − b) / (ln a − ln b). Otherwise the pillars' arithmetic contributions are scaled
/// to each edition's score, which still adds up.
pub fn attribute(before: (&Method, &UnitScore), after: (&Method, &UnitScore)) -> Vec<Change> {
    let mut codes: Vec<&str> = vec![];
    for (m, _) in [before, after] {
        for p in &m.pillars {
            if !codes.contains(&p.code()) {
                codes.push(p.code());
            }
        }
    }
    let points = |(_, s): (&Method, &UnitScore), code: &str| {
        s.parts.get(code).and_then(|p| Some((p.points?, p.share)))
    };
    let score = |(_, s): (&Method, &UnitScore)| s.score.unwrap_or(0.0);
    let geometric = before.0.aggregation == Aggregation::Geometric
        && after.0.aggregation == Aggregation::Geometric;
    let (sb, sa) = (score(before), score(after));
    let lmdi = geometric && sb > 0.0 && sa > 0.0;
    let term = |e: (&Method, &UnitScore), code: &str| -> f64 {
        let Some((p, share)) = points(e, code) else {
            return 0.0;
        };
        if lmdi {
            share * p.max(e.0.geometric_floor).ln()
        } else {
            share * p
        }
    };
    // Arithmetic contributions scaled to the edition's score (exact for arithmetic totals).
    let contribution = |e: (&Method, &UnitScore), code: &str| -> f64 {
        let all: f64 = codes.iter().map(|c| term(e, c)).sum();
        if all == 0.0 {
            0.0
        } else {
            score(e) * term(e, code) / all
        }
    };
    let l = if (sa - sb).abs() < f64::EPSILON * sa.abs().max(1.0) {
        sa
    } else {
        (sa - sb) / (sa.ln() - sb.ln())
    };
    codes
        .iter()
        .map(|&code| Change {
            code: code.to_string(),
            before: points(before, code).map(|(p, _)| p),
            after: points(after, code).map(|(p, _)| p),
            delta: if lmdi {
                l * (term(after, code) - term(before, code))
            } else {
                contribution(after, code) - contribution(before, code)
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::engine::{Table, compute};
    use super::super::method::Normalisation;
    use super::super::method::tests::measure;
    use super::*;

    fn edition(how: Aggregation, a: f64) -> (Method, UnitScore) {
        let m = Method {
            scale: 1000.0,
            aggregation: how,
            pillars: vec![
                measure(
                    "a",
                    3.0,
                    Normalisation::Goalposts {
                        worst: 0.0,
                        best: 1.0,
                    },
                ),
                measure(
                    "b",
                    1.0,
                    Normalisation::Goalposts {
                        worst: 0.0,
                        best: 1.0,
                    },
                ),
            ],
            grades: vec![],
            geometric_floor: 1.0,
        };
        let mut t = Table::new(vec![7]);
        t.columns.insert("a".into(), vec![Some(a)]);
        t.columns.insert("b".into(), vec![Some(0.5)]);
        let s = compute(&m, &t).units.remove(0);
        (m, s)
    }

    #[test]
    fn the_parts_add_up_to_the_change() {
        for how in [Aggregation::Arithmetic, Aggregation::Geometric] {
            let (m1, s1) = edition(how, 0.4);
            let (m2, s2) = edition(how, 0.8);
            let parts = attribute((&m1, &s1), (&m2, &s2));
            let sum: f64 = parts.iter().map(|c| c.delta).sum();
            let change = s2.score.unwrap() - s1.score.unwrap();
            assert!((sum - change).abs() < 1e-9, "{how:?}: {sum} vs {change}");
            // Only pillar a moved.
            assert!(parts[1].delta.abs() < 1e-9, "{parts:?}");
            assert!(parts[0].delta > 0.0);
        }
        // Arithmetic: a's share 3/4 of 40 more points, × 10.
        let (m1, s1) = edition(Aggregation::Arithmetic, 0.4);
        let (m2, s2) = edition(Aggregation::Arithmetic, 0.8);
        let parts = attribute((&m1, &s1), (&m2, &s2));
        assert!((parts[0].delta - 300.0).abs() < 1e-9, "{parts:?}");
    }
}
