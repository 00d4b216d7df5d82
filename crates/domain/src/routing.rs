//! Routing suggestions: which unit should handle an item, and under which category, learnt from
//! where past items ended up. A triage officer reads the suggestion with its confidence; nothing
//! is ever routed by the model.
//!
//! The model is a multinomial naive Bayes over the folded syllables and syllable pairs of an
//! item's text (each counted once per item: a word repeated in a long complaint does not outvote
//! the rest), plus a few tokens of context (kind, category, the kind of unit concerned). Features
//! are 64-bit FNV-1a hashes, which are stable across builds, so a stored model stays readable.
//!
//! The unit is learnt *relative to the unit concerned* where it can be: "the commune itself",
//! "one level up" (its province), or else a fixed unit (a ministry, the triage desk). A rule
//! learnt from communes in one province then holds for communes everywhere, and the classes stay
//! a few dozen instead of 3,400.

use std::collections::HashMap;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::org::OrgKind;
use crate::search::{bigrams, syllables};
use crate::text::fold;

/// Laplace smoothing.
const ALPHA: f64 = 1.0;

/// Where an item went, seen from the unit it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The unit of this level in the chain of the unit concerned (the unit itself included):
    /// "the commune", "the province" — the same words whether the item names a commune or a
    /// province.
    Within(OrgKind),
    /// Any other unit: a ministry, the triage desk, a unit outside the chain.
    Unit(i64),
}

/// The level of a unit: communes, wards and special zones are one level.
pub fn level(kind: OrgKind) -> OrgKind {
    match kind {
        OrgKind::Ward | OrgKind::SpecialZone => OrgKind::Commune,
        k => k,
    }
}

/// The target of an item handled by `handler`, where `chain` is the unit concerned followed by
/// its ancestors with their kinds (empty when the item names no unit). The national level is
/// never relative: an item is not "sent to the top".
pub fn target_of(chain: &[(i64, OrgKind)], handler: i64) -> Target {
    match chain.iter().find(|(u, _)| *u == handler) {
        Some((_, k)) if *k != OrgKind::National => {
            let t = Target::Within(level(*k));
            // A tree where a level repeats in one chain would make the target name another unit.
            if resolve(t, chain) == Some(handler) {
                t
            } else {
                Target::Unit(handler)
            }
        }
        _ => Target::Unit(handler),
    }
}

/// The unit a target names for an item concerning `chain`; none when it is relative and the
/// chain has no unit of its level.
pub fn resolve(t: Target, chain: &[(i64, OrgKind)]) -> Option<i64> {
    match t {
        Target::Within(k) => chain.iter().find(|(_, x)| level(*x) == k).map(|(u, _)| *u),
        Target::Unit(u) => Some(u),
    }
}

/// Stable 64-bit FNV-1a.
fn hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The features of a text: its folded syllables, and their adjacent pairs if `pairs`; sorted
/// and without repeats.
pub fn text_features(text: &str, pairs: bool) -> Vec<u64> {
    let folded: Vec<String> = syllables(text).iter().map(|s| fold(s)).collect();
    let pairs = if pairs { bigrams(&folded) } else { vec![] };
    let mut v: Vec<u64> = folded
        .iter()
        .map(|s| hash(s))
        .chain(pairs.iter().map(|s| hash(s)))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The features of context tokens (kind, category…): a prefix no syllable has keeps them apart
/// from the text's.
pub fn context_features(context: &[String]) -> Vec<u64> {
    let mut v: Vec<u64> = context.iter().map(|c| hash(&format!("#{c}"))).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A text's features and its context's, together.
pub fn features(text: &str, context: &[String], pairs: bool) -> Vec<u64> {
    let mut v = text_features(text, pairs);
    v.extend(context_features(context));
    v
}

/// What training has seen: per label, how many items and how many features, and per feature
/// the labels it occurred with. Counts add up, so the order of training does not matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "L: Serialize", deserialize = "L: Deserialize<'de>"))]
pub struct Counts<L> {
    pub labels: Vec<L>,
    pub docs: Vec<u64>,
    pub tokens: Vec<u64>,
    /// (feature, [(label index, items)]), sorted by feature, then label.
    pub pairs: Vec<(u64, Vec<(u32, u32)>)>,
}

/// Training in progress: labels and feature pairs in maps, turned into `Counts` once at the end.
#[derive(Debug, Clone)]
pub struct Trainer<L> {
    labels: HashMap<L, u32>,
    order: Vec<L>,
    docs: Vec<u64>,
    tokens: Vec<u64>,
    pairs: HashMap<u64, HashMap<u32, u32>>,
}

impl<L: Clone + Eq + Hash + Ord> Default for Trainer<L> {
    fn default() -> Self {
        Trainer {
            labels: HashMap::new(),
            order: vec![],
            docs: vec![],
            tokens: vec![],
            pairs: HashMap::new(),
        }
    }
}

impl<L: Clone + Eq + Hash + Ord> Trainer<L> {
    pub fn add(&mut self, label: L, features: &[u64]) {
        let next = self.order.len() as u32;
        let i = *self.labels.entry(label.clone()).or_insert_with(|| {
            self.order.push(label);
            self.docs.push(0);
            self.tokens.push(0);
            next
        });
        self.docs[i as usize] += 1;
        self.tokens[i as usize] += features.len() as u64;
        for f in features {
            *self.pairs.entry(*f).or_default().entry(i).or_insert(0) += 1;
        }
    }

    /// The counts, with labels seen fewer than `min_docs` times and features seen in fewer than
    /// `min_docs` items left out (they would only add noise and size). Labels come out sorted,
    /// so equal training gives equal counts whatever the order of the items.
    pub fn finish(self, min_docs: u64) -> Counts<L> {
        let mut kept: Vec<(L, u32)> = self
            .labels
            .into_iter()
            .filter(|(_, i)| self.docs[*i as usize] >= min_docs)
            .collect();
        kept.sort();
        let new_index: HashMap<u32, u32> = kept
            .iter()
            .enumerate()
            .map(|(n, (_, old))| (*old, n as u32))
            .collect();
        let mut pairs: Vec<(u64, Vec<(u32, u32)>)> = self
            .pairs
            .into_iter()
            .filter_map(|(f, by)| {
                let mut v: Vec<(u32, u32)> = by
                    .into_iter()
                    .filter_map(|(old, n)| new_index.get(&old).map(|i| (*i, n)))
                    .collect();
                let total: u64 = v.iter().map(|(_, n)| *n as u64).sum();
                (total >= min_docs).then(|| {
                    v.sort_unstable();
                    (f, v)
                })
            })
            .collect();
        pairs.sort_unstable_by_key(|(f, _)| *f);
        // A label's total counts only the features kept: the smoothing's denominator is over
        // the vocabulary the model has.
        let mut tokens = vec![0u64; kept.len()];
        for (_, by) in &pairs {
            for (l, n) in by {
                tokens[*l as usize] += *n as u64;
            }
        }
        Counts {
            docs: kept.iter().map(|(_, i)| self.docs[*i as usize]).collect(),
            tokens,
            labels: kept.into_iter().map(|(l, _)| l).collect(),
            pairs,
        }
    }
}

/// A trained model, ready to score.
#[derive(Debug, Clone)]
pub struct Model<L> {
    labels: Vec<L>,
    /// ln P(label) − ln(features of the label + α·vocabulary), per label: with the second term
    /// multiplied by the number of known features in an item, the score of an item that shares
    /// nothing with the label.
    prior: Vec<f64>,
    norm: Vec<f64>,
    /// Per feature, what each label it occurred with adds: ln(1 + n/α).
    boost: HashMap<u64, Vec<(u32, f32)>>,
    /// Scores are divided by this before they become probabilities. Naive Bayes counts every
    /// word as independent evidence and is far too sure of itself; a temperature fitted on
    /// held-out items (`fit_temperature`) makes "80 %" mean right about four times in five.
    temperature: f64,
}

/// A label with its probability under the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<L> {
    pub label: L,
    pub p: f64,
}

impl<L: Clone> Model<L> {
    pub fn new(c: &Counts<L>) -> Model<L> {
        let total: u64 = c.docs.iter().sum::<u64>().max(1);
        let vocab = c.pairs.len().max(1) as f64;
        Model {
            labels: c.labels.clone(),
            prior: c
                .docs
                .iter()
                .map(|d| (*d as f64 / total as f64).ln())
                .collect(),
            norm: c
                .tokens
                .iter()
                .map(|t| (*t as f64 + ALPHA * vocab).ln())
                .collect(),
            boost: c
                .pairs
                .iter()
                .map(|(f, by)| {
                    let v = by
                        .iter()
                        .map(|(l, n)| (*l, (1.0 + *n as f64 / ALPHA).ln() as f32))
                        .collect();
                    (*f, v)
                })
                .collect(),
            temperature: 1.0,
        }
    }

    pub fn with_temperature(mut self, t: f64) -> Model<L> {
        self.temperature = if t.is_finite() && t > 0.0 { t } else { 1.0 };
        self
    }

    /// The raw score of every label (log-probability up to a constant), in label order.
    pub fn scores(&self, features: &[u64]) -> Vec<f64> {
        let known = features
            .iter()
            .filter(|f| self.boost.contains_key(f))
            .count() as f64;
        let mut score: Vec<f64> = self
            .prior
            .iter()
            .zip(&self.norm)
            .map(|(p, n)| p - known * n)
            .collect();
        for f in features {
            if let Some(by) = self.boost.get(f) {
                for (l, b) in by {
                    score[*l as usize] += *b as f64;
                }
            }
        }
        score
    }

    pub fn labels(&self) -> &[L] {
        &self.labels
    }

    /// The labels `allowed` keeps, most probable first, with probabilities that add up to 1
    /// over them. Empty when the model has no allowed label.
    pub fn rank(&self, features: &[u64], allowed: impl Fn(&L) -> bool) -> Vec<Ranked<L>> {
        let t = self.temperature;
        let score: Vec<f64> = self.scores(features).into_iter().map(|s| s / t).collect();
        let mut out: Vec<(usize, f64)> = score
            .into_iter()
            .enumerate()
            .filter(|(i, _)| allowed(&self.labels[*i]))
            .collect();
        let Some(max) = out.iter().map(|(_, s)| *s).reduce(f64::max) else {
            return vec![];
        };
        let sum: f64 = out.iter().map(|(_, s)| (s - max).exp()).sum();
        // Equal scores keep the label order, so the ranking is deterministic.
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.into_iter()
            .map(|(i, s)| Ranked {
                label: self.labels[i].clone(),
                p: (s - max).exp() / sum,
            })
            .collect()
    }
}

/// Temperatures tried by `fit_temperature`.
const TEMPERATURES: [f64; 14] = [
    1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0,
];

/// A held-out case for calibration: the raw scores of the labels that could be suggested, with
/// what each is shown as (labels naming the same unit are shown once, their probabilities
/// added), and which of those is the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub scores: Vec<f64>,
    pub shown_as: Vec<usize>,
    pub truth: usize,
}

/// Mean negative log-likelihood of the truth at temperature `t`, as the suggestions show it.
pub fn log_loss(cases: &[Case], t: f64) -> f64 {
    let mut sum = 0.0;
    for c in cases {
        let max = c.scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = c.scores.iter().map(|s| ((s - max) / t).exp()).collect();
        let z: f64 = e.iter().sum();
        let p: f64 = e
            .iter()
            .zip(&c.shown_as)
            .filter(|(_, g)| **g == c.truth)
            .map(|(x, _)| x)
            .sum::<f64>()
            / z;
        sum -= p.max(1e-300).ln();
    }
    sum / cases.len().max(1) as f64
}

/// The temperature that makes the held-out cases likeliest (1 when there are none).
pub fn fit_temperature(cases: &[Case]) -> f64 {
    TEMPERATURES
        .iter()
        .copied()
        .min_by(|a, b| log_loss(cases, *a).total_cmp(&log_loss(cases, *b)))
        .unwrap_or(1.0)
}

/// Accuracy on held-out items: how often the truth is the first suggestion, and how often it is
/// among the first three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    pub items: u64,
    pub top1: u64,
    pub top3: u64,
}

impl Accuracy {
    pub fn record<L: PartialEq>(&mut self, ranked: &[Ranked<L>], truth: &L) {
        self.items += 1;
        match ranked.iter().position(|r| r.label == *truth) {
            Some(0) => {
                self.top1 += 1;
                self.top3 += 1;
            }
            Some(1 | 2) => self.top3 += 1,
            _ => {}
        }
    }

    pub fn top1_rate(&self) -> f64 {
        self.top1 as f64 / self.items.max(1) as f64
    }

    pub fn top3_rate(&self) -> f64 {
        self.top3 as f64 / self.items.max(1) as f64
    }
}

/// Held-out items: one in ten, chosen by a hash of the id, so that every retraining holds out
/// the same ones and data written in a repeating pattern (every tenth item alike) is not held
/// out all at once.
pub fn held_out(id: i64) -> bool {
    // splitmix64's finaliser: neighbouring ids land far apart.
    let mut z = (id as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)).is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn train(items: &[(&str, &str)]) -> Model<String> {
        let mut t = Trainer::default();
        for (label, text) in items {
            t.add(label.to_string(), &features(text, &[], true));
        }
        Model::new(&t.finish(1))
    }

    #[test]
    fn words_decide_and_diacritics_do_not_matter() {
        let m = train(&[
            ("light", "Đèn đường hỏng ở thôn 3"),
            ("light", "Đèn chiếu sáng công cộng không bật"),
            ("mobile", "Không có sóng di động 4G"),
            ("mobile", "Sóng điện thoại yếu trong thôn"),
        ]);
        let r = m.rank(&features("den duong tat ca dem", &[], true), |_| true);
        assert_eq!(r[0].label, "light");
        assert!(r[0].p > 0.5);
        let r = m.rank(&features("song di dong chap chon", &[], true), |_| true);
        assert_eq!(r[0].label, "mobile");
    }

    #[test]
    fn unknown_words_leave_the_priors() {
        let m = train(&[("a", "x y"), ("a", "x z"), ("a", "y"), ("b", "q")]);
        let r = m.rank(&features("nothing known", &[], true), |_| true);
        assert_eq!(r[0].label, "a");
        assert!((r[0].p - 0.75).abs() < 1e-9, "{r:?}");
    }

    #[test]
    fn rare_labels_and_features_are_left_out() {
        let mut t = Trainer::default();
        for _ in 0..3 {
            t.add("often", &[1, 2]);
        }
        t.add("once", &[1, 3]);
        let c = t.finish(2);
        assert_eq!(c.labels, vec!["often"]);
        assert_eq!(c.pairs, vec![(1, vec![(0, 3)]), (2, vec![(0, 3)])]);
    }

    #[test]
    fn one_in_ten_is_held_out_whatever_the_pattern() {
        for step in [1, 2, 10] {
            let n = (0..100_000i64).filter(|i| held_out(i * step)).count();
            assert!((9_000..11_000).contains(&n), "step {step}: {n}");
        }
    }

    #[test]
    fn targets_are_relative_to_the_chain() {
        use OrgKind::*;
        let commune = [(30, Ward), (3, Province), (1, National)];
        let province = [(4, Province), (1, National)];
        assert_eq!(target_of(&commune, 30), Target::Within(Commune));
        assert_eq!(target_of(&commune, 3), Target::Within(Province));
        // "The province" is the same target for an item about the province itself.
        assert_eq!(target_of(&province, 4), Target::Within(Province));
        assert_eq!(resolve(Target::Within(Province), &province), Some(4));
        assert_eq!(resolve(Target::Within(Commune), &province), None);
        // Never "the national level".
        assert_eq!(target_of(&commune, 1), Target::Unit(1));
        assert_eq!(target_of(&commune, 9), Target::Unit(9));
        assert_eq!(target_of(&[], 9), Target::Unit(9));
    }

    #[test]
    fn accuracy_counts_first_and_first_three() {
        let r = |ls: &[&str]| -> Vec<Ranked<String>> {
            ls.iter()
                .map(|l| Ranked {
                    label: l.to_string(),
                    p: 0.0,
                })
                .collect()
        };
        let mut a = Accuracy::default();
        a.record(&r(&["a", "b", "c", "d"]), &"a".to_string());
        a.record(&r(&["a", "b", "c", "d"]), &"c".to_string());
        a.record(&r(&["a", "b", "c", "d"]), &"d".to_string());
        assert_eq!(
            a,
            Accuracy {
                items: 3,
                top1: 1,
                top3: 2
            }
        );
    }

    fn items() -> impl Strategy<Value = Vec<(u8, Vec<u64>)>> {
        prop::collection::vec((0u8..5, prop::collection::vec(0u64..40, 0..8)), 1..40)
    }

    fn counts_of(items: &[(u8, Vec<u64>)]) -> Counts<u8> {
        let mut t = Trainer::default();
        for (l, f) in items {
            let mut f = f.clone();
            f.sort_unstable();
            f.dedup();
            t.add(*l, &f);
        }
        t.finish(1)
    }

    proptest! {
        /// Probabilities are a distribution over the allowed labels, most probable first.
        #[test]
        fn probabilities_add_up_to_one(items in items(), q in prop::collection::vec(0u64..60, 0..10), banned in 0u8..5) {
            let m = Model::new(&counts_of(&items));
            let r = m.rank(&q, |l| *l != banned);
            let sum: f64 = r.iter().map(|x| x.p).sum();
            if !r.is_empty() {
                prop_assert!((sum - 1.0).abs() < 1e-9);
            }
            prop_assert!(r.iter().all(|x| x.label != banned));
            prop_assert!(r.windows(2).all(|w| w[0].p >= w[1].p));
            let distinct: std::collections::BTreeSet<u8> = items.iter().map(|(l, _)| *l).filter(|l| *l != banned).collect();
            prop_assert_eq!(r.len(), distinct.len());
        }

        /// Training in any order gives the same counts, and a stored model ranks as the original.
        #[test]
        fn order_of_training_does_not_matter(items in items(), q in prop::collection::vec(0u64..40, 0..10)) {
            let mut rev = items.clone();
            rev.reverse();
            let a = counts_of(&items);
            prop_assert_eq!(&a, &counts_of(&rev));
            let stored: Counts<u8> = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
            prop_assert_eq!(Model::new(&a).rank(&q, |_| true), Model::new(&stored).rank(&q, |_| true));
        }

        /// One more item of a label, with an item's features, never lowers that label's
        /// probability for that item.
        #[test]
        fn more_evidence_never_hurts(items in items(), pick in 0usize..40) {
            let (label, f) = items[pick % items.len()].clone();
            let mut f = f;
            f.sort_unstable();
            f.dedup();
            let p = |c: &Counts<u8>| Model::new(c).rank(&f, |_| true).into_iter().find(|r| r.label == label).map(|r| r.p).unwrap();
            let before = p(&counts_of(&items));
            let mut more = items.clone();
            more.push((label, f.clone()));
            prop_assert!(p(&counts_of(&more)) >= before - 1e-9);
        }

        /// The fitted temperature is never worse on its cases than none, and never changes the
        /// order of the suggestions.
        #[test]
        fn temperature_fits_without_reordering(items in items(), q in prop::collection::vec(0u64..40, 0..10)) {
            let c = counts_of(&items);
            let m = Model::new(&c);
            let cases: Vec<Case> = items.iter().map(|(l, f)| {
                let mut f = f.clone();
                f.sort_unstable();
                f.dedup();
                // Labels 3 and 4 are shown as one.
                let shown = |x: &u8| usize::from((*x).min(3));
                Case {
                    scores: m.scores(&f),
                    shown_as: c.labels.iter().map(shown).collect(),
                    truth: shown(l),
                }
            }).collect();
            let t = fit_temperature(&cases);
            prop_assert!(log_loss(&cases, t) <= log_loss(&cases, 1.0) + 1e-12);
            let order = |m: &Model<u8>| m.rank(&q, |_| true).into_iter().map(|r| r.label).collect::<Vec<_>>();
            prop_assert_eq!(order(&m), order(&m.clone().with_temperature(t)));
        }

        /// A target resolves back to the unit it was made from, whatever the tree.
        #[test]
        fn targets_resolve_back(chain in prop::collection::vec((1i64..50, 0usize..8), 0..5), handler in 1i64..60) {
            let mut chain: Vec<(i64, OrgKind)> = chain.into_iter().map(|(u, k)| (u, OrgKind::ALL[k])).collect();
            chain.dedup_by_key(|(u, _)| *u);
            let t = target_of(&chain, handler);
            prop_assert_eq!(resolve(t, &chain), Some(handler));
            prop_assert!(!matches!(t, Target::Within(OrgKind::National)));
        }
    }
}
