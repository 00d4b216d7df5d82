//! Reading "who does it" cells: names of agencies, pre-merger names, abbreviations, and
//! collectives ("Các bộ, ngành, địa phương" = every ministry, sector and province).
//!
//! Matching works on folded text against a dictionary of known names, longest first, so that a
//! name containing a comma ("Bộ Văn hóa, Thể thao và Du lịch") or two names with no separator
//! between them are both read correctly. Whatever is left over is returned, never dropped.

use serde::Serialize;

use super::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Collective {
    /// Every ministry and central agency.
    CentralAgencies,
    /// Every province.
    Provinces,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Assignees {
    pub units: Vec<i64>,
    pub collectives: Vec<Collective>,
    /// Folded fragments nobody could be matched to.
    pub unmatched: Vec<String>,
}

/// Collective phrases, folded, longest first.
const COLLECTIVES: &[(&str, &[Collective])] = &[
    (
        "cac bo, nganh, dia phuong",
        &[Collective::CentralAgencies, Collective::Provinces],
    ),
    (
        "cac bo, nganh va dia phuong",
        &[Collective::CentralAgencies, Collective::Provinces],
    ),
    (
        "cac bo, nganh va cac dia phuong",
        &[Collective::CentralAgencies, Collective::Provinces],
    ),
    (
        "bo, nganh, dia phuong",
        &[Collective::CentralAgencies, Collective::Provinces],
    ),
    (
        "cac bo nganh dia phuong",
        &[Collective::CentralAgencies, Collective::Provinces],
    ),
    (
        "cac tinh, thanh pho truc thuoc trung uong",
        &[Collective::Provinces],
    ),
    (
        "cac tinh, thanh pho truc thuoc tw",
        &[Collective::Provinces],
    ),
    ("cac bo, nganh lien quan", &[Collective::CentralAgencies]),
    ("cac bo, nganh", &[Collective::CentralAgencies]),
    ("cac dia phuong", &[Collective::Provinces]),
];

/// Words that join names and mean nothing on their own.
const FILLER: &[&str] = &[
    "va",
    "cac",
    "voi",
    "lien quan",
    "co lien quan",
    "cac co quan lien quan",
];

/// `dict`: (folded name or abbreviation, unit id). Returns every unit and collective named in `text`.
pub fn read(text: &str, dict: &[(String, i64)]) -> Assignees {
    let mut rest = format!(" {} ", fold(text));
    let mut out = Assignees::default();
    let blank =
        |s: &mut String, at: usize, len: usize| s.replace_range(at..at + len, &";".repeat(len));
    // (phrase, collectives it names, unit it names)
    type Phrase<'a> = (&'a str, Option<&'a [Collective]>, Option<i64>);
    let mut phrases: Vec<Phrase> = COLLECTIVES
        .iter()
        .map(|(p, c)| (*p, Some(*c), None))
        .collect();
    phrases.extend(dict.iter().map(|(n, id)| (n.as_str(), None, Some(*id))));
    phrases.sort_by_key(|(p, _, _)| std::cmp::Reverse(p.len()));
    for (phrase, coll, unit) in phrases {
        if phrase.is_empty() {
            continue;
        }
        while let Some(at) = find_word(&rest, phrase) {
            blank(&mut rest, at, phrase.len());
            if let Some(cs) = coll {
                for c in cs {
                    if !out.collectives.contains(c) {
                        out.collectives.push(*c);
                    }
                }
            }
            if let Some(id) = unit
                && !out.units.contains(&id)
            {
                out.units.push(id);
            }
        }
    }
    for frag in rest.split([';', ',', '.', '(', ')']) {
        let f = frag.trim();
        let f = f.strip_prefix("va ").unwrap_or(f).trim();
        let f = f.strip_suffix(" va").unwrap_or(f).trim();
        if !f.is_empty() && !FILLER.contains(&f) {
            out.unmatched.push(f.to_string());
        }
    }
    out
}

/// Position of `phrase` in `s` as whole words.
fn find_word(s: &str, phrase: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find(phrase) {
        let at = from + i;
        let before = s[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after = s[at + phrase.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return Some(at);
        }
        from = at + phrase.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Vec<(String, i64)> {
        [
            ("Bộ Thông tin và Truyền thông", 1),
            ("Bộ Khoa học và Công nghệ", 2),
            ("Bộ Văn hóa, Thể thao và Du lịch", 3),
            ("Bộ Công an", 4),
            ("Ban Tuyên giáo Trung ương", 5),
            ("VTV", 6),
            ("VOV", 7),
            ("TTXVN", 8),
            ("Bộ Công Thương", 9),
        ]
        .iter()
        .map(|(n, id)| (fold(n), *id))
        .collect()
    }

    #[test]
    fn names_lists_and_collectives() {
        let a = read(
            "Ban Tuyên giáo Trung ương; các bộ, ngành, địa phương; VTV, VOV, TTXVN",
            &dict(),
        );
        assert_eq!(a.units, vec![5, 8, 6, 7]);
        assert_eq!(
            a.collectives,
            vec![Collective::CentralAgencies, Collective::Provinces]
        );
        assert!(a.unmatched.is_empty(), "{:?}", a.unmatched);
    }

    #[test]
    fn commas_inside_names_and_missing_separators() {
        let a = read("Bộ Văn hóa, Thể thao và Du lịch", &dict());
        assert_eq!((a.units.as_slice(), a.unmatched.len()), (&[3][..], 0));
        let a = read(
            "Bộ Thông tin và Truyền thông Bộ Khoa học và Công nghệ",
            &dict(),
        );
        assert_eq!(a.units.len(), 2);
        assert!(a.unmatched.is_empty());
        // "Bộ Công an" must not be read inside "Bộ Công Thương" or vice versa.
        let a = read("Bộ Công Thương", &dict());
        assert_eq!(a.units, vec![9]);
    }

    #[test]
    fn leftovers_are_reported() {
        let a = read(
            "Bộ Khoa học, Công nghệ, Bộ Công an và các địa phương",
            &dict(),
        );
        assert_eq!(a.units, vec![4]);
        assert_eq!(a.collectives, vec![Collective::Provinces]);
        assert_eq!(a.unmatched, vec!["bo khoa hoc", "cong nghe"]);
        let a = read("Tập đoàn, doanh nghiệp công nghệ số", &dict());
        assert!(a.units.is_empty() && !a.unmatched.is_empty());
    }
}
