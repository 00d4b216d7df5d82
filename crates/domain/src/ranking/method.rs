//! A ranking method as data: a tree of pillars → components → measures with weights, how each
//! measure is normalised and what happens when a unit has no value, how nodes are aggregated, the
//! scale of the result and its grade bands. A method version is stored as this document; once
//! published it never changes (`approval`), so an edition can always be recomputed from it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A name in the three languages of the platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Names {
    pub vi: String,
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub fr: String,
}

impl Names {
    /// The name in `lang`, else Vietnamese.
    pub fn get(&self, lang: &str) -> &str {
        let n = match lang {
            "en" => &self.en,
            "fr" => &self.fr,
            _ => &self.vi,
        };
        if n.is_empty() { &self.vi } else { n }
    }
}

/// The units a method ranks against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeerGroup {
    /// Ministries and other central agencies.
    CentralAgency,
    Province,
    /// Communes, wards and special zones: nationwide, or within one province.
    Commune,
}

impl PeerGroup {
    pub const ALL: [PeerGroup; 3] = [
        PeerGroup::CentralAgency,
        PeerGroup::Province,
        PeerGroup::Commune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeerGroup::CentralAgency => "central_agency",
            PeerGroup::Province => "province",
            PeerGroup::Commune => "commune",
        }
    }

    pub fn parse(s: &str) -> Option<PeerGroup> {
        PeerGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// The kinds of unit in the group.
    pub fn kinds(self) -> &'static [crate::org::OrgKind] {
        use crate::org::OrgKind::*;
        match self {
            PeerGroup::CentralAgency => &[CentralAgency],
            PeerGroup::Province => &[Province],
            PeerGroup::Commune => &[Commune, Ward, SpecialZone],
        }
    }
}

crate::named!(PeerGroup, "peer group");

/// Whether a larger raw value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

/// How a measure's raw values become points on 0–100 within the peer group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Normalisation {
    /// (x − worst observed) / (best observed − worst observed). All equal: 50.
    MinMax,
    /// The z-score as a T-score, 50 + 10·z, cut to 0–100 (beyond ±5 standard deviations). All
    /// equal: 50.
    ZScore,
    /// Distance between fixed goalposts, cut to 0–100: `worst` scores 0 and `best` 100 (a
    /// target as `best`; `best` below `worst` when lower is better).
    Goalposts { worst: f64, best: f64 },
    /// By rank: the best 100, the worst 0, ties share the mean of their places.
    Rank,
    /// The share of peers below, ties counted half (mid-rank percentile).
    Percentile,
}

impl Normalisation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Normalisation::MinMax => "min_max",
            Normalisation::ZScore => "z_score",
            Normalisation::Goalposts { .. } => "goalposts",
            Normalisation::Rank => "rank",
            Normalisation::Percentile => "percentile",
        }
    }
}

/// What a unit without a value for a measure gets. The rule applied is shown on the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Left out: its siblings' weights are scaled up to fill its place.
    Exclude,
    /// 0 points.
    Zero,
    /// The median points of the peers that have a value.
    GroupMedian,
}

impl Missing {
    pub const ALL: [Missing; 3] = [Missing::Exclude, Missing::Zero, Missing::GroupMedian];

    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Exclude => "exclude",
            Missing::Zero => "zero",
            Missing::GroupMedian => "group_median",
        }
    }
}

/// How a node combines its children's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Σ wᵢ·sᵢ / Σ wᵢ: a weak child is made up by a strong one.
    Arithmetic,
    /// Π sᵢ^(wᵢ/Σw): a weak child weighs more. Points below the method's `geometric_floor` are
    /// raised to it first, so that one zero does not wipe out the node.
    Geometric,
}

/// A leaf: one measure computed from the platform's data (`source`, see `ranking::sources`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub code: String,
    pub name: Names,
    pub weight: f64,
    pub source: String,
    pub better: Better,
    pub normalisation: Normalisation,
    pub missing: Missing,
}

/// An inner node (a pillar or a component).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub code: String,
    pub name: Names,
    pub weight: f64,
    pub aggregation: Aggregation,
    pub children: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Item {
    Node(Node),
    Measure(Measure),
}

impl Item {
    pub fn code(&self) -> &str {
        match self {
            Item::Node(n) => &n.code,
            Item::Measure(m) => &m.code,
        }
    }

    pub fn weight(&self) -> f64 {
        match self {
            Item::Node(n) => n.weight,
            Item::Measure(m) => m.weight,
        }
    }

    pub fn name(&self) -> &Names {
        match self {
            Item::Node(n) => &n.name,
            Item::Measure(m) => &m.name,
        }
    }

    fn weight_mut(&mut self) -> &mut f64 {
        match self {
            Item::Node(n) => &mut n.weight,
            Item::Measure(m) => &mut m.weight,
        }
    }
}

/// A grade band: units whose points (on 0–100, before the scale) reach `min` and no higher band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub code: String,
    pub name: Names,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// The points of a perfect unit: 100, or 1,000 as the DTI counts.
    pub scale: f64,
    /// How the pillars combine into the total.
    pub aggregation: Aggregation,
    pub pillars: Vec<Item>,
    /// Highest band first or in any order; a unit below every band has no grade.
    pub grades: Vec<Grade>,
    /// Points (0–100) that a child below them counts as in a geometric mean.
    #[serde(default = "default_floor")]
    pub geometric_floor: f64,
}

fn default_floor() -> f64 {
    1.0
}

impl Method {
    /// Every measure, depth first in the method's order.
    pub fn measures(&self) -> Vec<&Measure> {
        fn walk<'a>(items: &'a [Item], out: &mut Vec<&'a Measure>) {
            for i in items {
                match i {
                    Item::Node(n) => walk(&n.children, out),
                    Item::Measure(m) => out.push(m),
                }
            }
        }
        let mut out = vec![];
        walk(&self.pillars, &mut out);
        out
    }

    /// Every weight of the tree, mutably, depth first (for what-if and Monte Carlo draws).
    pub fn weights_mut(&mut self) -> Vec<&mut f64> {
        fn walk<'a>(items: &'a mut [Item], out: &mut Vec<&'a mut f64>) {
            for i in items {
                if let Item::Node(n) = i {
                    walk(&mut n.children, out);
                    out.push(&mut n.weight);
                } else {
                    out.push(i.weight_mut());
                }
            }
        }
        let mut out = vec![];
        walk(&mut self.pillars, &mut out);
        out
    }

    /// Every measure, mutably.
    pub fn measures_mut(&mut self) -> Vec<&mut Measure> {
        fn walk<'a>(items: &'a mut [Item], out: &mut Vec<&'a mut Measure>) {
            for i in items {
                match i {
                    Item::Node(n) => walk(&mut n.children, out),
                    Item::Measure(m) => out.push(m),
                }
            }
        }
        let mut out = vec![];
        walk(&mut self.pillars, &mut out);
        out
    }

    /// The grade of `points` on 0–100: the highest band it reaches.
    pub fn grade(&self, points: f64) -> Option<&Grade> {
        self.grades
            .iter()
            .filter(|g| points >= g.min)
            .max_by(|a, b| a.min.total_cmp(&b.min))
    }

    /// What is wrong with the method, each next to its place in the tree (e.g.
    /// `pillars.0.children.2.weight`); `known` tells the measures the platform can compute
    /// (`sources::known`).
    pub fn check(&self, known: &dyn Fn(&str) -> bool) -> Vec<FieldError> {
        let mut errs = vec![];
        if !(self.scale.is_finite() && self.scale > 0.0) {
            errs.push(FieldError::new("scale", "err-rank-scale"));
        }
        if !(0.0..100.0).contains(&self.geometric_floor) {
            errs.push(FieldError::new("geometric_floor", "err-rank-floor"));
        }
        let mut codes = BTreeSet::new();
        check_items(&self.pillars, "pillars", known, &mut codes, &mut errs);
        if self.measures().is_empty() {
            errs.push(FieldError::new("pillars", "err-rank-no-measure"));
        }
        let mut grade_codes = BTreeSet::new();
        for (i, g) in self.grades.iter().enumerate() {
            let at = format!("grades.{i}");
            if g.code.trim().is_empty() || !grade_codes.insert(g.code.as_str()) {
                errs.push(FieldError::new(&format!("{at}.code"), "err-rank-code"));
            }
            if g.name.vi.trim().is_empty() {
                errs.push(FieldError::new(&format!("{at}.name"), "err-required"));
            }
            if !(g.min.is_finite() && (0.0..=100.0).contains(&g.min)) {
                errs.push(FieldError::new(&format!("{at}.min"), "err-rank-grade-min"));
            }
        }
        let mut mins: Vec<f64> = self.grades.iter().map(|g| g.min).collect();
        mins.sort_by(f64::total_cmp);
        if mins.windows(2).any(|w| w[0] == w[1]) {
            errs.push(FieldError::new("grades", "err-rank-grade-twice"));
        }
        errs
    }
}

fn check_items<'a>(
    items: &'a [Item],
    at: &str,
    known: &dyn Fn(&str) -> bool,
    codes: &mut BTreeSet<&'a str>,
    errs: &mut Vec<FieldError>,
) {
    if items.is_empty() {
        errs.push(FieldError::new(at, "err-rank-empty-node"));
    }
    for (i, item) in items.iter().enumerate() {
        let here = format!("{at}.{i}");
        let code = item.code();
        if code.trim().is_empty() || !codes.insert(code) {
            errs.push(FieldError::new(&format!("{here}.code"), "err-rank-code"));
        }
        if item.name().vi.trim().is_empty() {
            errs.push(FieldError::new(&format!("{here}.name"), "err-required"));
        }
        let w = item.weight();
        if !(w.is_finite() && w > 0.0) {
            errs.push(FieldError::new(
                &format!("{here}.weight"),
                "err-rank-weight",
            ));
        }
        match item {
            Item::Node(n) => {
                check_items(&n.children, &format!("{here}.children"), known, codes, errs)
            }
            Item::Measure(m) => {
                if !known(&m.source) {
                    errs.push(
                        FieldError::new(&format!("{here}.source"), "err-rank-source")
                            .with("source", &m.source),
                    );
                }
                if let Normalisation::Goalposts { worst, best } = m.normalisation {
                    // The goalposts carry the direction: it must be the measure's own.
                    let fine = worst.is_finite()
                        && best.is_finite()
                        && worst != best
                        && (best > worst) == (m.better == Better::Higher);
                    if !fine {
                        errs.push(FieldError::new(
                            &format!("{here}.normalisation"),
                            "err-rank-goalposts",
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn measure(code: &str, weight: f64, n: Normalisation) -> Item {
        Item::Measure(Measure {
            code: code.into(),
            name: Names {
                vi: code.into(),
                ..Default::default()
            },
            weight,
            source: "expert".into(),
            better: Better::Higher,
            normalisation: n,
            missing: Missing::Exclude,
        })
    }

    #[test]
    fn check_names_each_fault_at_its_place() {
        let mut m = Method {
            scale: 100.0,
            aggregation: Aggregation::Arithmetic,
            pillars: vec![
                measure("a", 1.0, Normalisation::MinMax),
                measure(
                    "a",
                    -1.0,
                    Normalisation::Goalposts {
                        worst: 5.0,
                        best: 5.0,
                    },
                ),
            ],
            grades: vec![],
            geometric_floor: 1.0,
        };
        let errs: Vec<String> = m
            .check(&|s| s == "expert")
            .iter()
            .map(|e| format!("{} {}", e.field, e.code))
            .collect();
        assert_eq!(
            errs,
            [
                "pillars.1.code err-rank-code",
                "pillars.1.weight err-rank-weight",
                "pillars.1.normalisation err-rank-goalposts"
            ]
        );
        m.pillars.truncate(1);
        assert!(m.check(&|s| s == "expert").is_empty());
        assert_eq!(
            m.check(&super::super::sources::known)[0].code,
            "err-rank-source"
        );
    }

    #[test]
    fn the_highest_band_reached_is_the_grade() {
        let g = |code: &str, min: f64| Grade {
            code: code.into(),
            name: Names::default(),
            min,
        };
        let m = Method {
            scale: 100.0,
            aggregation: Aggregation::Arithmetic,
            pillars: vec![],
            grades: vec![g("good", 70.0), g("excellent", 90.0), g("done", 50.0)],
            geometric_floor: 1.0,
        };
        assert_eq!(m.grade(95.0).unwrap().code, "excellent");
        assert_eq!(m.grade(90.0).unwrap().code, "excellent");
        assert_eq!(m.grade(89.9).unwrap().code, "good");
        assert_eq!(m.grade(50.0).unwrap().code, "done");
        assert!(m.grade(49.0).is_none());
    }
}
