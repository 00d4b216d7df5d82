//! How sure a rank is: Monte Carlo over the method's choices (weights, normalisation, the
//! missing-data rule) gives each unit a median rank and a 5–95 % interval; units whose intervals
//! overlap cannot be told apart. A one-at-a-time table says which choice moves ranks most.

use serde::{Deserialize, Serialize};

use super::engine::{Table, UnitId, ranks, totals};
use super::method::{Method, Missing, Normalisation};

/// What the draws vary, and the seed that makes them reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub draws: usize,
    /// Each weight is multiplied by a factor drawn uniformly in [1 − w, 1 + w] (0.25: ±25 %).
    pub weights: f64,
    /// Each measure's normalisation drawn among its own, min–max, z-score and percentile.
    pub normalisation: bool,
    /// One missing-data rule drawn for all measures.
    pub missing: bool,
    pub seed: u64,
}

impl Default for Spread {
    fn default() -> Self {
        Spread {
            draws: 1000,
            weights: 0.25,
            normalisation: true,
            missing: true,
            seed: 57,
        }
    }
}

/// A unit's rank over the draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankBand {
    pub unit: UnitId,
    pub median: f64,
    /// The 5th and 95th percentiles of its ranks (`low` ≤ `high`; 1 is the best).
    pub low: u32,
    pub high: u32,
}

impl RankBand {
    /// Whether the two units' 5–95 % intervals are apart, so that their order can be read.
    pub fn distinguishable(&self, other: &RankBand) -> bool {
        self.high < other.low || other.high < self.low
    }
}

/// SplitMix64: a small, fast generator whose sequence is fixed by its seed (no I/O, no global
/// state), enough for drawing weights.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
}

/// The method of one draw.
fn draw(method: &Method, spread: &Spread, rng: &mut Rng) -> Method {
    let mut m = method.clone();
    for w in m.weights_mut() {
        *w *= 1.0 + spread.weights * (2.0 * rng.unit() - 1.0);
    }
    if spread.normalisation {
        for me in m.measures_mut() {
            let options = [
                me.normalisation,
                Normalisation::MinMax,
                Normalisation::ZScore,
                Normalisation::Percentile,
            ];
            me.normalisation = options[rng.below(options.len())];
        }
    }
    if spread.missing {
        let rule = Missing::ALL[rng.below(Missing::ALL.len())];
        for me in m.measures_mut() {
            me.missing = rule;
        }
    }
    m
}

/// Median rank and 5–95 % interval of each unit over `spread.draws` draws; units never ranked
/// (no value at all) are left out.
pub fn monte_carlo(method: &Method, table: &Table, spread: &Spread) -> Vec<RankBand> {
    let mut rng = Rng::new(spread.seed);
    let n = table.units.len();
    let mut seen: Vec<Vec<u32>> = vec![Vec::with_capacity(spread.draws); n];
    for _ in 0..spread.draws {
        let m = draw(method, spread, &mut rng);
        for (u, r) in ranks(&totals(&m, table)).into_iter().enumerate() {
            if let Some(r) = r {
                seen[u].push(r);
            }
        }
    }
    seen.into_iter()
        .enumerate()
        .filter(|(_, r)| !r.is_empty())
        .map(|(u, mut r)| {
            r.sort_unstable();
            let at = |p: f64| r[((p * (r.len() - 1) as f64).round()) as usize];
            let k = r.len();
            let median = if k % 2 == 1 {
                r[k / 2] as f64
            } else {
                (r[k / 2 - 1] + r[k / 2]) as f64 / 2.0
            };
            RankBand {
                unit: table.units[u],
                median,
                low: at(0.05),
                high: at(0.95),
            }
        })
        .collect()
}

/// One choice changed on its own, and how far it moved the ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Effect {
    /// e.g. `weight:work:+25%`, `normalisation:late:z_score`, `missing:zero`.
    pub choice: String,
    /// Mean absolute change of rank over the ranked units.
    pub mean_shift: f64,
    pub max_shift: u32,
}

/// One-at-a-time sensitivity: each weight up and down by `spread.weights`, each measure under
/// each other normalisation, each other missing-data rule; largest effect first.
pub fn sensitivity(method: &Method, table: &Table, spread: &Spread) -> Vec<Effect> {
    let base = ranks(&totals(method, table));
    let effect = |choice: String, m: &Method| {
        let r = ranks(&totals(m, table));
        let shifts: Vec<u32> = base
            .iter()
            .zip(&r)
            .filter_map(|(a, b)| Some((*a)?.abs_diff((*b)?)))
            .collect();
        Effect {
            choice,
            mean_shift: shifts.iter().sum::<u32>() as f64 / shifts.len().max(1) as f64,
            max_shift: shifts.into_iter().max().unwrap_or(0),
        }
    };
    let mut out = vec![];
    let codes = weight_codes(method);
    for (i, code) in codes.iter().enumerate() {
        for sign in [1.0, -1.0] {
            let mut m = method.clone();
            *m.weights_mut()[i] *= 1.0 + sign * spread.weights;
            let pct = (sign * spread.weights * 100.0).round();
            out.push(effect(format!("weight:{code}:{pct:+}%"), &m));
        }
    }
    let measures: Vec<(String, Normalisation)> = method
        .measures()
        .iter()
        .map(|m| (m.code.clone(), m.normalisation))
        .collect();
    for (i, (code, own)) in measures.iter().enumerate() {
        for other in [
            Normalisation::MinMax,
            Normalisation::ZScore,
            Normalisation::Rank,
            Normalisation::Percentile,
        ] {
            if other.as_str() == own.as_str() {
                continue;
            }
            let mut m = method.clone();
            m.measures_mut()[i].normalisation = other;
            out.push(effect(
                format!("normalisation:{code}:{}", other.as_str()),
                &m,
            ));
        }
    }
    for rule in Missing::ALL {
        let mut m = method.clone();
        let mut changed = false;
        for me in m.measures_mut() {
            changed |= me.missing != rule;
            me.missing = rule;
        }
        if changed {
            out.push(effect(format!("missing:{}", rule.as_str()), &m));
        }
    }
    out.sort_by(|a, b| b.mean_shift.total_cmp(&a.mean_shift));
    out
}

/// The codes of the method's weights, in the order of `Method::weights_mut`.
fn weight_codes(method: &Method) -> Vec<String> {
    use super::method::Item;
    fn walk(items: &[Item], out: &mut Vec<String>) {
        for i in items {
            if let Item::Node(n) = i {
                walk(&n.children, out);
            }
            out.push(i.code().to_string());
        }
    }
    let mut out = vec![];
    walk(&method.pillars, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::super::method::tests::measure;
    use super::super::method::{Aggregation, Item};
    use super::*;

    fn method() -> Method {
        Method {
            scale: 100.0,
            aggregation: Aggregation::Arithmetic,
            pillars: vec![
                measure("a", 1.0, Normalisation::MinMax),
                measure("b", 1.0, Normalisation::MinMax),
            ],
            grades: vec![],
            geometric_floor: 1.0,
        }
    }

    #[test]
    fn weight_codes_follow_the_weights() {
        let mut m = method();
        m.pillars = vec![Item::Node(super::super::method::Node {
            code: "p".into(),
            name: Default::default(),
            weight: 7.0,
            aggregation: Aggregation::Arithmetic,
            children: vec![measure("a", 2.0, Normalisation::MinMax)],
        })];
        assert_eq!(weight_codes(&m), ["a", "p"]);
        let w: Vec<f64> = m.weights_mut().into_iter().map(|w| *w).collect();
        assert_eq!(w, [2.0, 7.0]);
    }

    #[test]
    fn a_clear_leader_is_told_apart_and_near_twins_are_not() {
        // Unit 1 leads on both measures by far; 2 and 3 trade places depending on the weights.
        let mut t = Table::new(vec![1, 2, 3, 4]);
        t.columns.insert(
            "a".into(),
            vec![Some(100.0), Some(50.0), Some(48.0), Some(0.0)],
        );
        t.columns.insert(
            "b".into(),
            vec![Some(100.0), Some(48.0), Some(50.0), Some(0.0)],
        );
        let spread = Spread {
            draws: 400,
            ..Default::default()
        };
        let bands = monte_carlo(&method(), &t, &spread);
        assert_eq!(bands[0].low, 1);
        assert_eq!(bands[0].high, 1);
        assert!(bands[0].distinguishable(&bands[1]));
        assert!(!bands[1].distinguishable(&bands[2]), "{bands:?}");
        assert_eq!((bands[3].low, bands[3].high), (4, 4));
        // The same seed, the same bands.
        assert_eq!(bands, monte_carlo(&method(), &t, &spread));
        let effects = sensitivity(&method(), &t, &spread);
        assert!(effects[0].mean_shift > 0.0, "{effects:?}");
        assert!(effects.iter().any(|e| e.choice == "weight:a:+25%"));
    }
}
