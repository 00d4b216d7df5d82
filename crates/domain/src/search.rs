//! The Vietnamese analyser of the platform's search, and the highlighting of its hits.
//!
//! Vietnamese writes one syllable per word-like token ("chuyển đổi số" is one word of three
//! syllables), so a term is a syllable and a phrase is a run of syllables. Each text is indexed
//! three ways: folded syllables (no diacritics, đ → d, lower case), so that "chu ky so" finds
//! "chữ ký số"; exact syllables (lower case, NFC), so that a query typed with its diacritics ranks
//! the texts that have the same ones first; and folded syllable bigrams ("chuyen_doi doi_so"), so
//! that a multi-syllable word ranks as a phrase. These are plain functions: the index stores
//! what they return, split on spaces.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::text::fold;

/// What the search holds, one kind per family of records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchType))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Task,
    Report,
    Feedback,
    Indicator,
    Catalogue,
    Unit,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Task,
        Kind::Report,
        Kind::Feedback,
        Kind::Indicator,
        Kind::Catalogue,
        Kind::Unit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Report => "report",
            Kind::Feedback => "feedback",
            Kind::Indicator => "indicator",
            Kind::Catalogue => "catalogue",
            Kind::Unit => "unit",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

crate::named!(Kind, "search type");

/// Terms of a query are capped: a pasted page must not become a query of a thousand clauses.
pub const MAX_TERMS: usize = 16;

/// Syllables of `s`: runs of letters and digits, in NFC and lower case, everything else a
/// separator ("Nghị quyết 57-NQ/TW" → nghị, quyết, 57, nq, tw).
pub fn syllables(s: &str) -> Vec<String> {
    let nfc: String = s.nfc().collect();
    let mut out = vec![];
    let mut cur = String::new();
    for c in nfc.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The three token streams of a text, each space-separated, ready for a whitespace tokenizer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysed {
    pub folded: String,
    pub exact: String,
    pub bigrams: String,
}

/// Analyses a text for the index.
pub fn analyse(s: &str) -> Analysed {
    let exact = syllables(s);
    let folded: Vec<String> = exact.iter().map(|t| fold(t)).collect();
    Analysed {
        bigrams: bigrams(&folded).join(" "),
        folded: folded.join(" "),
        exact: exact.join(" "),
    }
}

/// Adjacent pairs joined by `_`, which no syllable contains.
pub fn bigrams(folded: &[String]) -> Vec<String> {
    folded
        .windows(2)
        .map(|w| format!("{}_{}", w[0], w[1]))
        .collect()
}

/// A query as the index's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// Folded syllables, in the order typed, without repeats: each must match.
    pub folded: Vec<String>,
    /// The same syllables as typed (lower case): a match ranks higher. A syllable typed
    /// without diacritics is no evidence of intent and is left out.
    pub exact: Vec<String>,
    /// Folded bigrams of the syllables as typed: phrase matches rank higher.
    pub bigrams: Vec<String>,
}

impl Terms {
    pub fn parse(q: &str) -> Terms {
        let typed: Vec<String> = syllables(q).into_iter().take(MAX_TERMS).collect();
        let folded_seq: Vec<String> = typed.iter().map(|t| fold(t)).collect();
        let mut folded: Vec<String> = vec![];
        for f in &folded_seq {
            if !folded.contains(f) {
                folded.push(f.clone());
            }
        }
        let mut exact: Vec<String> = vec![];
        for (t, f) in typed.iter().zip(&folded_seq) {
            if t != f && !exact.contains(t) {
                exact.push(t.clone());
            }
        }
        Terms {
            bigrams: bigrams(&folded_seq),
            folded,
            exact,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }
}

/// How many typing errors a folded syllable may carry and still match: none below five
/// letters (short syllables differ by one letter from many others: "so" and "sa"), one from
/// five, two from nine.
pub fn typos_allowed(term: &str) -> u8 {
    match term.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// One piece of a highlighted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchPiece))]
pub struct Piece {
    pub text: String,
    /// A syllable the query matched.
    pub hit: bool,
}

/// Whether a folded syllable of the text matches a folded term of the query, as the index
/// matches them (equal, within the typos allowed, or the last term typed as a prefix).
fn matches(word: &str, terms: &[String], last_prefix: bool) -> bool {
    terms.iter().enumerate().any(|(i, t)| {
        word == t
            || (last_prefix
                && i + 1 == terms.len()
                && t.chars().count() >= 3
                && word.starts_with(t.as_str()))
            || {
                let k = typos_allowed(t) as usize;
                k > 0 && crate::search::within_edits(word, t, k)
            }
    })
}

/// Levenshtein distance at most `k` (transpositions count as one edit, as in the index).
pub fn within_edits(a: &str, b: &str, k: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > k {
        return false;
    }
    // Optimal string alignment distance over the full table; syllables are short.
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m] <= k
}

/// `text` cut to about `max` characters around its first matching syllable, as pieces that say
/// which syllables matched. The whole text when it fits; "…" marks a cut.
pub fn highlight(text: &str, terms: &Terms, max: usize, last_prefix: bool) -> Vec<Piece> {
    let text: String = text.nfc().collect();
    // Words with their byte spans.
    let mut spans: Vec<(usize, usize, bool)> = vec![];
    let mut start: Option<usize> = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            let hit = matches(&fold(&text[s..i]), &terms.folded, last_prefix);
            spans.push((s, i, hit));
        }
    }
    let chars = text.chars().count();
    let (mut from, mut to) = (0, text.len());
    if chars > max {
        // Start a little before the first hit, on a word boundary.
        let first = spans.iter().find(|s| s.2).map(|s| s.0).unwrap_or(0);
        let lead = max / 4;
        let before: Vec<usize> = spans.iter().map(|s| s.0).filter(|&s| s <= first).collect();
        from = before
            .iter()
            .rev()
            .find(|&&s| text[s..first].chars().count() >= lead)
            .copied()
            .unwrap_or(before.first().copied().unwrap_or(0));
        let end = text[from..]
            .char_indices()
            .nth(max)
            .map(|(i, _)| from + i)
            .unwrap_or(text.len());
        // End on the end of a word.
        to = spans
            .iter()
            .filter(|s| s.1 <= end && s.0 >= from)
            .map(|s| s.1)
            .next_back()
            .unwrap_or(end);
    }
    let mut out: Vec<Piece> = vec![];
    let push = |out: &mut Vec<Piece>, t: &str, hit: bool| {
        if t.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(p) if p.hit == hit => p.text.push_str(t),
            _ => out.push(Piece {
                text: t.to_string(),
                hit,
            }),
        }
    };
    if from > 0 {
        push(&mut out, "…", false);
    }
    let mut at = from;
    for &(s, e, hit) in spans.iter().filter(|s| s.0 >= from && s.1 <= to) {
        // Two hits apart by spaces read as one ("Đắk Lắk").
        let gap = &text[at..s];
        let joins = hit && out.last().is_some_and(|p| p.hit) && gap.trim().is_empty();
        push(&mut out, gap, joins);
        push(&mut out, &text[s..e], hit);
        at = e;
    }
    push(&mut out, &text[at..to], false);
    if to < text.len() {
        push(&mut out, "…", false);
    }
    out
}

/// A text reduced to what duplicate detection compares: its folded syllables and their
/// adjacent pairs, as sets. Folding makes a text typed without diacritics the same text; the
/// pairs keep some order, so that the same words in another sense weigh less.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shingles {
    /// Hashes, sorted and without repeats: comparing two texts is a merge of two short lists.
    words: Vec<u64>,
    pairs: Vec<u64>,
}

fn hashed(items: impl Iterator<Item = String>) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut v: Vec<u64> = items
        .map(|s| {
            let mut h = std::hash::DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

pub fn shingles(text: &str) -> Shingles {
    let folded: Vec<String> = syllables(text).iter().map(|t| fold(t)).collect();
    Shingles {
        pairs: hashed(bigrams(&folded).into_iter()),
        words: hashed(folded.into_iter()),
    }
}

/// |a ∩ b| / |a ∪ b| of two sorted lists without repeats; 0 for two empty ones.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

/// How alike two texts are, from 0 (nothing shared) to 1 (the same syllables in the same
/// pairs): the mean of the Jaccard indices of their syllables and of their pairs. Texts of one
/// syllable each have no pairs: their syllables alone decide.
pub fn similarity(a: &Shingles, b: &Shingles) -> f64 {
    if a.pairs.is_empty() && b.pairs.is_empty() {
        return jaccard(&a.words, &b.words);
    }
    (jaccard(&a.words, &b.words) + jaccard(&a.pairs, &b.pairs)) / 2.0
}

/// From this similarity on, two items are suggested as duplicates (tuned on the generated
/// near-duplicates: paraphrases, reordered sentences, accents dropped, typos; see BENCHMARKS.md).
pub const DUPLICATE_AT: f64 = 0.55;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_text_is_indexed_folded_exact_and_in_bigrams() {
        let a = analyse("Chữ ký số cho Đắk Lắk, 57-NQ/TW");
        assert_eq!(a.folded, "chu ky so cho dak lak 57 nq tw");
        assert_eq!(a.exact, "chữ ký số cho đắk lắk 57 nq tw");
        assert_eq!(
            a.bigrams,
            "chu_ky ky_so so_cho cho_dak dak_lak lak_57 57_nq nq_tw"
        );
    }

    #[test]
    fn a_query_keeps_diacritics_only_where_typed() {
        let t = Terms::parse("chuyển đổi so SỐ");
        assert_eq!(t.folded, vec!["chuyen", "doi", "so"]);
        assert_eq!(t.exact, vec!["chuyển", "đổi", "số"]);
        assert_eq!(t.bigrams, vec!["chuyen_doi", "doi_so", "so_so"]);
        assert!(Terms::parse(" ,;- ").is_empty());
        assert_eq!(Terms::parse(&"a ".repeat(100)).folded, vec!["a"]);
    }

    #[test]
    fn typos_are_allowed_on_longer_syllables_only() {
        assert_eq!(typos_allowed("so"), 0);
        assert_eq!(typos_allowed("chuyen"), 1);
        assert_eq!(typos_allowed("nghiencuu"), 2);
        assert!(within_edits("chuyen", "chyuen", 1));
        assert!(within_edits("chuyen", "chuyn", 1));
        assert!(!within_edits("chuyen", "chayan", 1));
    }

    #[test]
    fn hits_are_marked_in_the_original_text() {
        let t = Terms::parse("dak lak");
        let p = highlight("Tỉnh Đắk Lắk (mới)", &t, 100, false);
        assert_eq!(
            p,
            vec![
                Piece {
                    text: "Tỉnh ".into(),
                    hit: false
                },
                Piece {
                    text: "Đắk Lắk".into(),
                    hit: true
                },
                Piece {
                    text: " (mới)".into(),
                    hit: false
                },
            ]
        );
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_hit() {
        let text = format!(
            "{} đèn đường hỏng ở thôn 3 {}",
            "mở đầu ".repeat(40),
            "kết thúc ".repeat(40)
        );
        let p = highlight(&text, &Terms::parse("den duong"), 60, false);
        let joined: String = p.iter().map(|x| x.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'), "{joined}");
        assert!(joined.chars().count() <= 64, "{joined}");
        assert!(p.iter().any(|x| x.hit && x.text.contains("đèn")));
    }

    #[test]
    fn similarity_ignores_diacritics_and_case_and_counts_order_a_little() {
        let a = shingles("Đèn đường hỏng ở thôn Ea Kao");
        assert_eq!(
            similarity(&a, &shingles("den duong hong o thon ea kao")),
            1.0
        );
        let reordered = similarity(&a, &shingles("Ở thôn Ea Kao đèn đường hỏng"));
        assert!(reordered < 1.0 && reordered > 0.7, "{reordered}");
        assert_eq!(similarity(&a, &shingles("cấp nước sạch")), 0.0);
        assert_eq!(similarity(&shingles(""), &shingles("")), 0.0);
    }

    proptest! {
        /// Similarity is symmetric, within [0, 1], and 1 for a text and itself.
        #[test]
        fn similarity_is_a_symmetric_score(a in "[a-zđăâêôơưáàảãạ ]{0,60}", b in "[a-zđăâêôơưáàảãạ ]{0,60}") {
            let (x, y) = (shingles(&a), shingles(&b));
            let s = similarity(&x, &y);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert_eq!(s, similarity(&y, &x));
            if !syllables(&a).is_empty() {
                prop_assert_eq!(similarity(&x, &x), 1.0);
            }
        }


        /// The pieces put back together are the text (or a cut of it, marked), and a piece
        /// marked as a hit folds to a term of the query.
        #[test]
        fn highlighting_never_changes_the_text(words in proptest::collection::vec("[a-zđăâêôơưáàảãạ]{1,7}", 1..40), pick in 0usize..40) {
            let text = words.join(" ");
            let q = words[pick % words.len()].clone();
            let terms = Terms::parse(&q);
            let p = highlight(&text, &terms, 10_000, false);
            let joined: String = p.iter().map(|x| x.text.as_str()).collect();
            prop_assert_eq!(joined, text);
            for piece in p.iter().filter(|x| x.hit) {
                for w in syllables(&piece.text) {
                    prop_assert!(matches(&fold(&w), &terms.folded, false));
                }
            }
            prop_assert!(p.iter().any(|x| x.hit));
        }

        /// Folding commutes with the analysis: the folded stream of a text is the folded stream
        /// of its folded form, so a query typed without diacritics finds every spelling.
        #[test]
        fn folding_a_text_first_changes_nothing(s in "[a-zA-ZđĐăâêôơưáàảãạÁÀẢÃẠ0-9 ,.-]{0,60}") {
            prop_assert_eq!(analyse(&s).folded, analyse(&fold(&s)).folded);
        }
    }
}
