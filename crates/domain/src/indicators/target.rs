//! Targets as the action programmes write them: "≥ 80", "90", "> 0,7", "40 - 50", "20% - 50%",
//! "≤ 3 Đông Nam Á; ≤ 50 Thế giới" (two targets, each with its label), "≥ 3% và tăng dần theo
//! yêu cầu phát triển" (a target with a note). Text that states no figure ("Đạt mức tiên tiến…")
//! is a milestone: kept word for word, judged by people, never turned into a number.

use serde::{Deserialize, Serialize};

use super::Direction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// ≥
    AtLeast,
    /// >
    MoreThan,
    /// ≤
    AtMost,
    /// <
    LessThan,
    /// A bare figure ("90"): reach it in the indicator's direction.
    Reach,
    /// "40 - 50": within the band, both ends included.
    Between,
}

impl Comparator {
    pub const ALL: [Comparator; 6] = [
        Comparator::AtLeast,
        Comparator::MoreThan,
        Comparator::AtMost,
        Comparator::LessThan,
        Comparator::Reach,
        Comparator::Between,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::AtLeast => "at_least",
            Comparator::MoreThan => "more_than",
            Comparator::AtMost => "at_most",
            Comparator::LessThan => "less_than",
            Comparator::Reach => "reach",
            Comparator::Between => "between",
        }
    }

    pub fn parse(s: &str) -> Option<Comparator> {
        Comparator::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::AtLeast => "≥ ",
            Comparator::MoreThan => "> ",
            Comparator::AtMost => "≤ ",
            Comparator::LessThan => "< ",
            Comparator::Reach | Comparator::Between => "",
        }
    }

    /// The direction a target written this way implies.
    pub fn direction(self) -> Option<Direction> {
        match self {
            Comparator::AtLeast | Comparator::MoreThan => Some(Direction::Higher),
            Comparator::AtMost | Comparator::LessThan => Some(Direction::Lower),
            Comparator::Between => Some(Direction::Band),
            Comparator::Reach => None,
        }
    }
}

crate::named!(Comparator, "comparator");

/// One numeric target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Target {
    pub comparator: Comparator,
    pub value: f64,
    /// The upper end of a band (`Between`).
    pub upper: Option<f64>,
    /// What the figure is measured against, e.g. "Đông Nam Á" for a rank in Southeast Asia.
    pub label: Option<String>,
    /// Words that qualify the figure, e.g. "tăng dần theo yêu cầu phát triển".
    pub note: Option<String>,
}

impl Target {
    /// Whether `v` meets the target, the direction deciding what a bare figure means.
    pub fn met_by(&self, v: f64, direction: Direction) -> bool {
        match self.comparator {
            Comparator::AtLeast => v >= self.value,
            Comparator::MoreThan => v > self.value,
            Comparator::AtMost => v <= self.value,
            Comparator::LessThan => v < self.value,
            Comparator::Between => v >= self.value && v <= self.upper.unwrap_or(self.value),
            Comparator::Reach => match direction {
                Direction::Higher => v >= self.value,
                Direction::Lower => v <= self.value,
                Direction::Band => (v - self.value).abs() < 1e-9,
            },
        }
    }

    /// The target as text, e.g. "≥ 80", "40 – 50", "≤ 3 (Đông Nam Á)"; `fmt` writes each figure.
    pub fn describe(&self, fmt: impl Fn(f64) -> String) -> String {
        let mut s = format!("{}{}", self.comparator.symbol(), fmt(self.value));
        if let Some(u) = self.upper {
            s.push_str(" – ");
            s.push_str(&fmt(u));
        }
        if let Some(l) = &self.label {
            s.push_str(&format!(" ({l})"));
        }
        s
    }
}

/// What a "result" cell says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stated {
    Figures {
        targets: Vec<Target>,
    },
    /// No figure: the text itself is the milestone.
    Milestone {
        text: String,
    },
}

/// Reads a target cell. Every part separated by ";" must be a figure for the cell to count as
/// figures; otherwise the whole text is a milestone (nothing is half-read).
pub fn parse(text: &str) -> Stated {
    let text = text.trim();
    let parts: Vec<Option<Target>> = text.split(';').map(|p| parse_one(p.trim())).collect();
    if !text.is_empty() && parts.iter().all(Option::is_some) {
        Stated::Figures {
            targets: parts.into_iter().flatten().collect(),
        }
    } else {
        Stated::Milestone {
            text: text.to_string(),
        }
    }
}

fn parse_one(s: &str) -> Option<Target> {
    let (comparator, rest) = [
        ("≥", Comparator::AtLeast),
        (">=", Comparator::AtLeast),
        ("≤", Comparator::AtMost),
        ("<=", Comparator::AtMost),
        (">", Comparator::MoreThan),
        ("<", Comparator::LessThan),
    ]
    .into_iter()
    .find_map(|(sym, c)| s.strip_prefix(sym).map(|r| (c, r.trim_start())))
    .unwrap_or((Comparator::Reach, s));
    let (value, rest) = number(rest)?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('%').unwrap_or(rest).trim_start();
    // A band: "40 - 50", "20% - 50%", "16 – 18".
    let (comparator, upper, rest) = match rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('–'))
        .and_then(|r| number(r.trim_start()))
    {
        Some((hi, r)) if comparator == Comparator::Reach && hi >= value => {
            let r = r.trim_start();
            (
                Comparator::Between,
                Some(hi),
                r.strip_prefix('%').unwrap_or(r).trim(),
            )
        }
        Some(_) => return None,
        None => (comparator, None, rest.trim()),
    };
    let (label, note) = if rest.is_empty() {
        (None, None)
    } else if let Some(n) = rest.strip_prefix("và ") {
        (None, Some(n.trim().to_string()))
    } else if rest.chars().next().is_some_and(char::is_alphabetic) {
        (Some(rest.to_string()), None)
    } else {
        return None;
    };
    Some(Target {
        comparator,
        value,
        upper,
        label,
        note,
    })
}

/// A leading number with "," or "." as the decimal mark ("0,7", "09", "2.5"); the rest of `s`.
fn number(s: &str) -> Option<(f64, &str)> {
    let end = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == ',' || *c == '.'))
        .map_or(s.len(), |(i, _)| i);
    let digits = s[..end].trim_end_matches(['.', ',']);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if digits.matches([',', '.']).count() > 1 {
        return None;
    }
    let v: f64 = digits.replace(',', ".").parse().ok()?;
    Some((v, &s[digits.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn figures(s: &str) -> Vec<Target> {
        match parse(s) {
            Stated::Figures { targets } => targets,
            m => panic!("{s}: {m:?}"),
        }
    }

    #[test]
    fn annex_forms() {
        let t = figures("≥ 80");
        assert_eq!((t[0].comparator, t[0].value), (Comparator::AtLeast, 80.0));
        let t = figures(">= 30");
        assert_eq!((t[0].comparator, t[0].value), (Comparator::AtLeast, 30.0));
        let t = figures("> 0,7");
        assert_eq!((t[0].comparator, t[0].value), (Comparator::MoreThan, 0.7));
        let t = figures("100%");
        assert_eq!((t[0].comparator, t[0].value), (Comparator::Reach, 100.0));
        let t = figures("09");
        assert_eq!(t[0].value, 9.0);
        let t = figures("40 - 50");
        assert_eq!(
            (t[0].comparator, t[0].value, t[0].upper),
            (Comparator::Between, 40.0, Some(50.0))
        );
        let t = figures("20% - 50%");
        assert_eq!((t[0].value, t[0].upper), (20.0, Some(50.0)));
        let t = figures("≤ 3 Đông Nam Á; ≤ 50 Thế giới");
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].value, t[0].label.as_deref()),
            (3.0, Some("Đông Nam Á"))
        );
        assert_eq!(
            (t[1].value, t[1].label.as_deref()),
            (50.0, Some("Thế giới"))
        );
        let t = figures("≥ 3% và tăng dần theo yêu cầu phát triển");
        assert_eq!(
            (t[0].value, t[0].note.as_deref()),
            (3.0, Some("tăng dần theo yêu cầu phát triển"))
        );
        for m in [
            "Đạt mức trên trung bình của thế giới",
            "Tiên tiến, hiện đại, dung lượng siêu lớn",
            "",
            "≥",
            "50 - 40",
            "≥ 5; khá",
        ] {
            assert!(matches!(parse(m), Stated::Milestone { .. }), "{m}");
        }
    }

    #[test]
    fn meeting_a_target_honours_direction() {
        let reach = figures("90").remove(0);
        assert!(reach.met_by(95.0, Direction::Higher));
        assert!(!reach.met_by(95.0, Direction::Lower));
        let rank = figures("≤ 3 Đông Nam Á").remove(0);
        assert!(rank.met_by(2.0, Direction::Lower) && !rank.met_by(4.0, Direction::Lower));
        let band = figures("16 - 18").remove(0);
        assert!(band.met_by(17.0, Direction::Band) && !band.met_by(19.0, Direction::Band));
    }

    proptest! {
        #[test]
        fn no_input_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn written_figures_read_back(v in 0u32..100_000, c in 0usize..4) {
            let (sym, cmp) = [("≥ ", Comparator::AtLeast), ("≤ ", Comparator::AtMost), ("> ", Comparator::MoreThan), ("", Comparator::Reach)][c];
            let t = figures(&format!("{sym}{v}"));
            prop_assert_eq!(t.len(), 1);
            prop_assert_eq!(t[0].comparator, cmp);
            prop_assert_eq!(t[0].value, v as f64);
        }
    }
}
