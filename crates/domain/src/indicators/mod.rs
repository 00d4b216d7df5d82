//! Indicators and targets: what an indicator measures and how, the periods values belong to,
//! targets as programmes write them, and the arithmetic of results (roll-up, achievement,
//! trajectory, projection). Plain functions; storage and pages live above.

pub mod approval;
pub mod measure;
pub mod outlier;
pub mod period;
pub mod rules;
pub mod target;

use serde::{Deserialize, Serialize};

use crate::FieldError;

pub use period::{PeriodId, PeriodType};

/// What kind of figure an indicator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Number,
    /// 0–100.
    Percentage,
    /// A position in a ranking: 1 is first.
    Rank,
    /// Done or not (stored as 1 or 0).
    YesNo,
    /// A qualitative result, described in words.
    Milestone,
}

impl ValueType {
    pub const ALL: [ValueType; 5] = [
        ValueType::Number,
        ValueType::Percentage,
        ValueType::Rank,
        ValueType::YesNo,
        ValueType::Milestone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Number => "number",
            ValueType::Percentage => "percentage",
            ValueType::Rank => "rank",
            ValueType::YesNo => "yes_no",
            ValueType::Milestone => "milestone",
        }
    }

    pub fn parse(s: &str) -> Option<ValueType> {
        ValueType::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

crate::named!(ValueType, "value type");

/// Which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
    /// Best within a band (e.g. 16–18 % a year).
    Band,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Higher, Direction::Lower, Direction::Band];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::Band => "band",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

crate::named!(Direction, "direction");

/// How the values of units below make their parent's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Sum,
    Mean,
    /// Σ numerators ÷ Σ denominators (× 100 for a percentage): never the mean of the ratios.
    Ratio,
    Min,
    Max,
    /// National only: each unit's own figure, nothing rolled up.
    None,
}

impl Aggregation {
    pub const ALL: [Aggregation; 6] = [
        Aggregation::Sum,
        Aggregation::Mean,
        Aggregation::Ratio,
        Aggregation::Min,
        Aggregation::Max,
        Aggregation::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Mean => "mean",
            Aggregation::Ratio => "ratio",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Aggregation> {
        Aggregation::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

crate::named!(Aggregation, "aggregation");

/// A value as entered, parsed for its indicator.
#[derive(Debug, Clone, PartialEq)]
pub enum Entered {
    Figure(f64),
    Text(String),
}

/// Reads a number written the Vietnamese way ("12,5", "1.234,5") or the API way ("12.5",
/// "1234.5"): with both marks the last one is the decimal mark; a single "," is decimal.
pub fn read_number(s: &str) -> Option<f64> {
    let s = s.trim().replace([' ', '\u{a0}'], "");
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    let (commas, dots) = (s.matches(',').count(), s.matches('.').count());
    let normal = match (commas, dots) {
        (0, _) if dots <= 1 => s.clone(),
        (0, _) => s.replace('.', ""), // "1.234.567"
        (1, 0) => s.replace(',', "."),
        (_, 0) => s.replace(',', ""), // "1,234,567"
        _ => {
            let (lc, ld) = (s.rfind(',').unwrap_or(0), s.rfind('.').unwrap_or(0));
            if lc > ld {
                s.replace('.', "").replace(',', ".")
            } else {
                s.replace(',', "")
            }
        }
    };
    if !normal
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
    {
        return None;
    }
    normal.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses what a person or a system entered for an indicator of type `t`; the error is a
/// message key for the field (`value`), with the allowed range where one applies.
pub fn read_value(t: ValueType, raw: &str) -> Result<Entered, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::new("value", "err-required"));
    }
    match t {
        ValueType::Milestone => {
            if raw.chars().count() > crate::text::TEXT_MAX {
                return Err(FieldError::new("value", "err-too-long"));
            }
            Ok(Entered::Text(crate::text::nfc(raw)))
        }
        ValueType::YesNo => match crate::text::fold(raw).as_str() {
            "1" | "true" | "yes" | "co" | "oui" | "dat" => Ok(Entered::Figure(1.0)),
            "0" | "false" | "no" | "khong" | "non" | "chua" => Ok(Entered::Figure(0.0)),
            _ => Err(FieldError::new("value", "err-yes-no")),
        },
        ValueType::Number => read_number(raw)
            .map(Entered::Figure)
            .ok_or_else(|| FieldError::new("value", "err-number")),
        ValueType::Percentage => {
            let v = read_number(raw.trim_end_matches('%'))
                .ok_or_else(|| FieldError::new("value", "err-number"))?;
            if !(0.0..=100.0).contains(&v) {
                return Err(FieldError::new("value", "err-percent-range").with("value", raw));
            }
            Ok(Entered::Figure(v))
        }
        ValueType::Rank => match read_number(raw) {
            Some(v) if v >= 1.0 && v.fract() == 0.0 => Ok(Entered::Figure(v)),
            Some(_) => Err(FieldError::new("value", "err-rank")),
            None => Err(FieldError::new("value", "err-number")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_both_ways() {
        assert_eq!(read_number("12,5"), Some(12.5));
        assert_eq!(read_number("12.5"), Some(12.5));
        assert_eq!(read_number("1.234,5"), Some(1234.5));
        assert_eq!(read_number("1,234.5"), Some(1234.5));
        assert_eq!(read_number("1.234.567"), Some(1234567.0));
        assert_eq!(read_number("-3"), Some(-3.0));
        for bad in ["", "abc", "1-2", "NaN", "inf", "1e400", "--1"] {
            assert_eq!(read_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn values_by_type() {
        assert_eq!(
            read_value(ValueType::Percentage, "85,5"),
            Ok(Entered::Figure(85.5))
        );
        assert_eq!(
            read_value(ValueType::Percentage, "130").unwrap_err().code,
            "err-percent-range"
        );
        assert_eq!(
            read_value(ValueType::Rank, "0").unwrap_err().code,
            "err-rank"
        );
        assert_eq!(read_value(ValueType::YesNo, "Có"), Ok(Entered::Figure(1.0)));
        assert_eq!(
            read_value(ValueType::Number, " ").unwrap_err().code,
            "err-required"
        );
    }

    proptest! {
        #[test]
        fn read_number_never_panics(s in "\\PC{0,30}") {
            let _ = read_number(&s);
        }

        #[test]
        fn percentages_in_range_are_kept(v in 0u32..=10_000) {
            let x = v as f64 / 100.0;
            let written = format!("{x}").replace('.', ",");
            prop_assert_eq!(read_value(ValueType::Percentage, &written), Ok(Entered::Figure(x)));
        }
    }
}
