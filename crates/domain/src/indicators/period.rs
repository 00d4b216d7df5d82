//! Reporting periods, written as DHIS2 writes them: `2025` (year), `2025S1` (half-year),
//! `2025Q2` (quarter), `202506` (month), `2025W10` (ISO week). One value is stored per
//! indicator × unit × period, and the identifier is the key, so it must parse back to itself.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// How often an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    Week,
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl PeriodType {
    pub const ALL: [PeriodType; 5] = [
        PeriodType::Week,
        PeriodType::Month,
        PeriodType::Quarter,
        PeriodType::HalfYear,
        PeriodType::Year,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PeriodType::Week => "week",
            PeriodType::Month => "month",
            PeriodType::Quarter => "quarter",
            PeriodType::HalfYear => "half_year",
            PeriodType::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodType> {
        PeriodType::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

crate::named!(PeriodType, "period type");

/// One period. Ordering is by start date, then by length (a year sorts before its first month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodId {
    Year(i32),
    /// Half 1 or 2.
    Half(i32, u8),
    /// Quarter 1–4.
    Quarter(i32, u8),
    /// Month 1–12.
    Month(i32, u8),
    /// ISO week 1–53 of an ISO week-year.
    Week(i32, u8),
}

/// Years a period may name: wide enough for any plan, narrow enough to rule out typos like 20255.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

impl PeriodId {
    /// Parses a DHIS2 period identifier; anything else (including `2025Q5`, `202513`) is `None`.
    pub fn parse(s: &str) -> Option<PeriodId> {
        let s = s.trim();
        if !s.is_ascii() || s.len() < 4 {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        if !YEARS.contains(&year) || !s[..4].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let rest = &s[4..];
        let num = |t: &str| -> Option<u8> {
            if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()
        };
        let p = match rest.as_bytes().first() {
            None => PeriodId::Year(year),
            Some(b'S') => PeriodId::Half(year, num(&rest[1..]).filter(|h| (1..=2).contains(h))?),
            Some(b'Q') => PeriodId::Quarter(year, num(&rest[1..]).filter(|q| (1..=4).contains(q))?),
            Some(b'W') => {
                let w = num(&rest[1..])?;
                NaiveDate::from_isoywd_opt(year, w as u32, Weekday::Mon)?;
                PeriodId::Week(year, w)
            }
            Some(_) if rest.len() == 2 => {
                PeriodId::Month(year, num(rest).filter(|m| (1..=12).contains(m))?)
            }
            Some(_) => return None,
        };
        // Only the canonical spelling is accepted, so that one period has one key.
        (p.to_string() == s).then_some(p)
    }

    pub fn period_type(self) -> PeriodType {
        match self {
            PeriodId::Year(_) => PeriodType::Year,
            PeriodId::Half(..) => PeriodType::HalfYear,
            PeriodId::Quarter(..) => PeriodType::Quarter,
            PeriodId::Month(..) => PeriodType::Month,
            PeriodId::Week(..) => PeriodType::Week,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            PeriodId::Year(y)
            | PeriodId::Half(y, _)
            | PeriodId::Quarter(y, _)
            | PeriodId::Month(y, _)
            | PeriodId::Week(y, _) => y,
        }
    }

    /// First day of the period.
    pub fn start(self) -> NaiveDate {
        let ymd = |y, m| NaiveDate::from_ymd_opt(y, m, 1).expect("valid by construction");
        match self {
            PeriodId::Year(y) => ymd(y, 1),
            PeriodId::Half(y, h) => ymd(y, 1 + 6 * (h as u32 - 1)),
            PeriodId::Quarter(y, q) => ymd(y, 1 + 3 * (q as u32 - 1)),
            PeriodId::Month(y, m) => ymd(y, m as u32),
            PeriodId::Week(y, w) => NaiveDate::from_isoywd_opt(y, w as u32, Weekday::Mon)
                .expect("valid by construction"),
        }
    }

    /// Last day of the period.
    pub fn end(self) -> NaiveDate {
        self.next()
            .start()
            .pred_opt()
            .expect("within chrono's range")
    }

    /// The period of the same type that follows.
    pub fn next(self) -> PeriodId {
        match self {
            PeriodId::Year(y) => PeriodId::Year(y + 1),
            PeriodId::Half(y, 2) => PeriodId::Half(y + 1, 1),
            PeriodId::Half(y, h) => PeriodId::Half(y, h + 1),
            PeriodId::Quarter(y, 4) => PeriodId::Quarter(y + 1, 1),
            PeriodId::Quarter(y, q) => PeriodId::Quarter(y, q + 1),
            PeriodId::Month(y, 12) => PeriodId::Month(y + 1, 1),
            PeriodId::Month(y, m) => PeriodId::Month(y, m + 1),
            PeriodId::Week(..) => {
                PeriodId::containing(PeriodType::Week, self.start() + chrono::Days::new(7))
            }
        }
    }

    /// The period of the same type that precedes (the "previous period" shown at entry).
    pub fn prev(self) -> PeriodId {
        PeriodId::containing(
            self.period_type(),
            self.start().pred_opt().expect("within range"),
        )
    }

    /// The period of type `t` that contains `day`.
    pub fn containing(t: PeriodType, day: NaiveDate) -> PeriodId {
        let (y, m) = (day.year(), day.month() as u8);
        match t {
            PeriodType::Year => PeriodId::Year(y),
            PeriodType::HalfYear => PeriodId::Half(y, if m <= 6 { 1 } else { 2 }),
            PeriodType::Quarter => PeriodId::Quarter(y, (m - 1) / 3 + 1),
            PeriodType::Month => PeriodId::Month(y, m),
            PeriodType::Week => {
                let w = day.iso_week();
                PeriodId::Week(w.year(), w.week() as u8)
            }
        }
    }

    /// Whether `other` lies wholly inside this period.
    pub fn contains(self, other: PeriodId) -> bool {
        self.start() <= other.start() && other.end() <= self.end()
    }

    /// Periods of this one's type from `self` to `last`, both included (empty if `last` is earlier).
    pub fn through(self, last: PeriodId) -> Vec<PeriodId> {
        let mut out = vec![];
        let mut p = self;
        while p.start() <= last.start() && out.len() < 10_000 {
            out.push(p);
            p = p.next();
        }
        out
    }

    /// The middle of the period as a fractional year (2025Q1 → 2025.12), for trends over time.
    pub fn midpoint_year(self) -> f64 {
        let (s, e) = (self.start(), self.end());
        let mid = s + chrono::Days::new(((e - s).num_days() / 2) as u64);
        fractional_year(mid)
    }
}

/// A day as a fractional year: 1 January 2025 → 2025.0, 2 July 2025 → about 2025.5.
pub fn fractional_year(d: NaiveDate) -> f64 {
    let y = d.year();
    let start = NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
    let next = NaiveDate::from_ymd_opt(y + 1, 1, 1).expect("valid");
    y as f64 + (d - start).num_days() as f64 / (next - start).num_days() as f64
}

impl std::fmt::Display for PeriodId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PeriodId::Year(y) => write!(f, "{y:04}"),
            PeriodId::Half(y, h) => write!(f, "{y:04}S{h}"),
            PeriodId::Quarter(y, q) => write!(f, "{y:04}Q{q}"),
            PeriodId::Month(y, m) => write!(f, "{y:04}{m:02}"),
            PeriodId::Week(y, w) => write!(f, "{y:04}W{w}"),
        }
    }
}

impl Ord for PeriodId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.start(), std::cmp::Reverse(self.end()))
            .cmp(&(other.start(), std::cmp::Reverse(other.end())))
    }
}

impl PartialOrd for PeriodId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for PeriodId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeriodId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PeriodId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a period: {s:?}")))
    }
}

impl TryFrom<String> for PeriodId {
    type Error = crate::UnknownName;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        PeriodId::parse(&value).ok_or(crate::UnknownName {
            what: "period",
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dhis2_identifiers() {
        assert_eq!(PeriodId::parse("2025"), Some(PeriodId::Year(2025)));
        assert_eq!(PeriodId::parse("2025S1"), Some(PeriodId::Half(2025, 1)));
        assert_eq!(PeriodId::parse("2025Q2"), Some(PeriodId::Quarter(2025, 2)));
        assert_eq!(PeriodId::parse("202506"), Some(PeriodId::Month(2025, 6)));
        assert_eq!(PeriodId::parse("2025W10"), Some(PeriodId::Week(2025, 10)));
        for bad in [
            "",
            "25",
            "2025Q5",
            "2025Q0",
            "202513",
            "202500",
            "2025S3",
            "2025W54",
            "2025W0",
            "2025W05",
            "20256",
            "2025-06",
            "abcd",
            "2025q1",
            "Năm 2025",
            "20251",
        ] {
            assert_eq!(PeriodId::parse(bad), None, "{bad}");
        }
        // 2026 has 53 ISO weeks, 2025 has 52.
        assert!(PeriodId::parse("2026W53").is_some());
        assert!(PeriodId::parse("2025W53").is_none());
        let q = PeriodId::Quarter(2025, 2);
        assert_eq!(q.start(), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        assert_eq!(q.end(), NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
        assert_eq!(
            PeriodId::Week(2025, 1).start(),
            NaiveDate::from_ymd_opt(2024, 12, 30).unwrap()
        );
        assert_eq!(
            PeriodId::Quarter(2025, 1).prev(),
            PeriodId::Quarter(2024, 4)
        );
        assert!(PeriodId::Year(2025).contains(PeriodId::Month(2025, 12)));
        assert!(!PeriodId::Half(2025, 1).contains(PeriodId::Quarter(2025, 3)));
    }

    fn any_period() -> impl Strategy<Value = PeriodId> {
        (2000i32..2100, 0u8..5, 1u8..=53).prop_map(|(y, t, n)| match t {
            0 => PeriodId::Year(y),
            1 => PeriodId::Half(y, 1 + n % 2),
            2 => PeriodId::Quarter(y, 1 + n % 4),
            3 => PeriodId::Month(y, 1 + n % 12),
            _ => PeriodId::containing(
                PeriodType::Week,
                NaiveDate::from_ymd_opt(y, 1, 1).unwrap() + chrono::Days::new(n as u64 * 7),
            ),
        })
    }

    proptest! {
        #[test]
        fn identifiers_round_trip(p in any_period()) {
            prop_assert_eq!(PeriodId::parse(&p.to_string()), Some(p));
        }

        #[test]
        fn periods_tile_the_calendar(p in any_period()) {
            // Consecutive periods touch without gap or overlap, and prev undoes next.
            prop_assert_eq!(p.end().succ_opt().unwrap(), p.next().start());
            prop_assert_eq!(p.next().prev(), p);
            prop_assert!(p.start() <= p.end());
            prop_assert_eq!(PeriodId::containing(p.period_type(), p.end()), p);
            prop_assert_eq!(PeriodId::containing(p.period_type(), p.start()), p);
            prop_assert!(p < p.next());
        }

        #[test]
        fn the_year_contains_its_parts(p in any_period()) {
            if p.period_type() != PeriodType::Week {
                prop_assert!(PeriodId::Year(p.year()).contains(p));
            }
        }

        #[test]
        fn no_input_panics(s in "\\PC{0,12}") {
            let _ = PeriodId::parse(&s);
        }
    }
}
