//! Deadlines as written in Vietnamese programmes, and what they mean.
//!
//! The original text is always kept beside the parsed meaning; text that fits no known form is
//! `Unparsed` and flagged, never guessed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::text::fold;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Deadline {
    /// A calendar date: `15/3/2025`.
    Date { date: NaiveDate },
    /// `6/2025`, `06/2025`, `Tháng 10/2025`: due on the last day of the month.
    Month { year: i32, month: u32 },
    /// `Quý II/2025`: due on the last day of the quarter.
    Quarter { year: i32, quarter: u32 },
    /// `2025`: due on 31 December.
    Year { year: i32 },
    /// `2025-2026`, `2025 - 2026`: due at the end of the last year.
    Range { from: i32, to: i32 },
    /// `2025 và những năm tiếp theo`: every year from `from` on, no end.
    FromYear { from: i32 },
    /// `Hằng năm`: every year.
    Yearly,
    /// `Thường xuyên`, `Nhiệm vụ thường xuyên`: ongoing, judged per reporting period.
    Ongoing,
    /// Empty or not understood.
    Unparsed,
}

const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

pub fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()
}

fn year(s: &str) -> Option<i32> {
    let s = s.trim();
    if s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) {
        let y = s.parse().ok()?;
        YEARS.contains(&y).then_some(y)
    } else {
        None
    }
}

fn small(s: &str, max: u32) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() || s.len() > 2 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.parse().ok()?;
    (1..=max).contains(&n).then_some(n)
}

fn roman_quarter(s: &str) -> Option<u32> {
    match s.trim() {
        "i" | "1" => Some(1),
        "ii" | "2" => Some(2),
        "iii" | "3" => Some(3),
        "iv" | "4" => Some(4),
        _ => None,
    }
}

impl Deadline {
    pub fn parse(text: &str) -> Deadline {
        let f = fold(text);
        let f = f.trim_end_matches('.').trim();
        match f {
            "thuong xuyen" | "nhiem vu thuong xuyen" => return Deadline::Ongoing,
            "hang nam" | "hang nam." => return Deadline::Yearly,
            _ => {}
        }
        if let Some(rest) = f
            .strip_suffix("va nhung nam tiep theo")
            .or_else(|| f.strip_suffix("va cac nam tiep theo"))
            && let Some(y) = year(rest)
        {
            return Deadline::FromYear { from: y };
        }
        if let Some(y) = year(f).or_else(|| f.strip_prefix("nam ").and_then(year)) {
            return Deadline::Year { year: y };
        }
        if let Some((a, b)) = f.split_once('-')
            && let (Some(a), Some(b)) = (year(a), year(b))
        {
            return if a <= b {
                Deadline::Range { from: a, to: b }
            } else {
                Deadline::Unparsed
            };
        }
        if let Some(rest) = f.strip_prefix("quy ")
            && let Some((q, y)) = rest.split_once('/').or_else(|| rest.split_once(" nam "))
            && let (Some(q), Some(y)) = (roman_quarter(q), year(y))
        {
            return Deadline::Quarter {
                year: y,
                quarter: q,
            };
        }
        let body = f.strip_prefix("thang ").unwrap_or(f);
        let parts: Vec<&str> = body.split('/').collect();
        match parts.as_slice() {
            [m, y] => {
                if let (Some(m), Some(y)) = (small(m, 12), year(y)) {
                    return Deadline::Month { year: y, month: m };
                }
            }
            [d, m, y] if !f.starts_with("thang ") => {
                if let (Some(d), Some(m), Some(y)) = (small(d, 31), small(m, 12), year(y))
                    && let Some(date) = NaiveDate::from_ymd_opt(y, m, d)
                {
                    return Deadline::Date { date };
                }
            }
            _ => {}
        }
        Deadline::Unparsed
    }

    /// The single date by which the work is due; None for periodic, ongoing and unparsed deadlines.
    pub fn due(&self) -> Option<NaiveDate> {
        match *self {
            Deadline::Date { date } => Some(date),
            Deadline::Month { year, month } => last_day_of_month(year, month),
            Deadline::Quarter { year, quarter } => last_day_of_month(year, quarter * 3),
            Deadline::Year { year } | Deadline::Range { to: year, .. } => {
                NaiveDate::from_ymd_opt(year, 12, 31)
            }
            Deadline::FromYear { .. }
            | Deadline::Yearly
            | Deadline::Ongoing
            | Deadline::Unparsed => None,
        }
    }

    /// Judged per reporting period rather than against one end date.
    pub fn is_periodic(&self) -> bool {
        matches!(
            self,
            Deadline::FromYear { .. } | Deadline::Yearly | Deadline::Ongoing
        )
    }

    /// The first day a periodic deadline applies (FromYear), if bounded.
    pub fn starts(&self) -> Option<NaiveDate> {
        match *self {
            Deadline::FromYear { from } => NaiveDate::from_ymd_opt(from, 1, 1),
            Deadline::Range { from, .. } => NaiveDate::from_ymd_opt(from, 1, 1),
            _ => None,
        }
    }
}

crate::named!(Period, "reporting period");

/// Reporting periods for periodic tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Monthly,
    Quarterly,
    Yearly,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Monthly => "monthly",
            Period::Quarterly => "quarterly",
            Period::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Period> {
        [Period::Monthly, Period::Quarterly, Period::Yearly]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// The period containing `d`, as (first day, last day).
    pub fn containing(self, d: NaiveDate) -> (NaiveDate, NaiveDate) {
        let (y, m) = (d.year(), d.month());
        let (start_month, len) = match self {
            Period::Monthly => (m, 1),
            Period::Quarterly => ((m - 1) / 3 * 3 + 1, 3),
            Period::Yearly => (1, 12),
        };
        let start = NaiveDate::from_ymd_opt(y, start_month, 1).expect("valid month start");
        let end = last_day_of_month(y, start_month + len - 1).expect("valid month end");
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Every distinct completion time found in Annex II of Resolution 03/NQ-CP, with its meaning.
    #[test]
    fn every_form_in_the_annex() {
        let cases: &[(&str, Deadline, Option<NaiveDate>)] = &[
            ("2025", Deadline::Year { year: 2025 }, Some(d(2025, 12, 31))),
            (
                "12/2025",
                Deadline::Month {
                    year: 2025,
                    month: 12,
                },
                Some(d(2025, 12, 31)),
            ),
            ("Thường xuyên", Deadline::Ongoing, None),
            (
                "6/2025",
                Deadline::Month {
                    year: 2025,
                    month: 6,
                },
                Some(d(2025, 6, 30)),
            ),
            ("2026", Deadline::Year { year: 2026 }, Some(d(2026, 12, 31))),
            (
                "9/2025",
                Deadline::Month {
                    year: 2025,
                    month: 9,
                },
                Some(d(2025, 9, 30)),
            ),
            (
                "9/2026",
                Deadline::Month {
                    year: 2026,
                    month: 9,
                },
                Some(d(2026, 9, 30)),
            ),
            (
                "2025 và những năm tiếp theo",
                Deadline::FromYear { from: 2025 },
                None,
            ),
            (
                "12/2026",
                Deadline::Month {
                    year: 2026,
                    month: 12,
                },
                Some(d(2026, 12, 31)),
            ),
            ("Hằng năm", Deadline::Yearly, None),
            ("hằng năm", Deadline::Yearly, None),
            ("2030", Deadline::Year { year: 2030 }, Some(d(2030, 12, 31))),
            (
                "12/2028",
                Deadline::Month {
                    year: 2028,
                    month: 12,
                },
                Some(d(2028, 12, 31)),
            ),
            (
                "06/2025",
                Deadline::Month {
                    year: 2025,
                    month: 6,
                },
                Some(d(2025, 6, 30)),
            ),
            (
                "03/2025",
                Deadline::Month {
                    year: 2025,
                    month: 3,
                },
                Some(d(2025, 3, 31)),
            ),
            (
                "Tháng 5/2025",
                Deadline::Month {
                    year: 2025,
                    month: 5,
                },
                Some(d(2025, 5, 31)),
            ),
            (
                "Tháng 10/2025",
                Deadline::Month {
                    year: 2025,
                    month: 10,
                },
                Some(d(2025, 10, 31)),
            ),
            (
                "Quý II/2025",
                Deadline::Quarter {
                    year: 2025,
                    quarter: 2,
                },
                Some(d(2025, 6, 30)),
            ),
            ("Nhiệm vụ thường xuyên", Deadline::Ongoing, None),
            (
                "7/2025",
                Deadline::Month {
                    year: 2025,
                    month: 7,
                },
                Some(d(2025, 7, 31)),
            ),
            (
                "3/2026",
                Deadline::Month {
                    year: 2026,
                    month: 3,
                },
                Some(d(2026, 3, 31)),
            ),
            (
                "3/2025",
                Deadline::Month {
                    year: 2025,
                    month: 3,
                },
                Some(d(2025, 3, 31)),
            ),
            ("2028", Deadline::Year { year: 2028 }, Some(d(2028, 12, 31))),
            ("2027", Deadline::Year { year: 2027 }, Some(d(2027, 12, 31))),
            (
                "2025-2026",
                Deadline::Range {
                    from: 2025,
                    to: 2026,
                },
                Some(d(2026, 12, 31)),
            ),
            (
                "2025 - 2026",
                Deadline::Range {
                    from: 2025,
                    to: 2026,
                },
                Some(d(2026, 12, 31)),
            ),
            (
                "2/2025",
                Deadline::Month {
                    year: 2025,
                    month: 2,
                },
                Some(d(2025, 2, 28)),
            ),
            (
                "01/2025",
                Deadline::Month {
                    year: 2025,
                    month: 1,
                },
                Some(d(2025, 1, 31)),
            ),
            ("", Deadline::Unparsed, None),
        ];
        for (text, want, due) in cases {
            let got = Deadline::parse(text);
            assert_eq!(&got, want, "{text:?}");
            assert_eq!(got.due(), *due, "{text:?}");
        }
    }

    #[test]
    fn odd_or_impossible_text_is_not_guessed() {
        for t in [
            "13/2025",
            "0/2025",
            "31/2/2025",
            "Quý V/2025",
            "2026-2025",
            "sớm",
            "6/25",
            "2025/6",
            "12/2025/1/1",
        ] {
            assert_eq!(Deadline::parse(t), Deadline::Unparsed, "{t:?}");
        }
        assert_eq!(
            Deadline::parse("29/2/2028"),
            Deadline::Date {
                date: d(2028, 2, 29)
            }
        );
        assert_eq!(
            Deadline::parse("Quý IV năm 2025").due(),
            Some(d(2025, 12, 31))
        );
    }

    proptest! {
        #[test]
        fn month_deadlines_end_on_the_last_day(y in 2000i32..2100, m in 1u32..=12, zero in any::<bool>(), word in any::<bool>()) {
            let text = format!("{}{}{}/{}", if word { "Tháng " } else { "" }, if zero && m < 10 { "0" } else { "" }, m, y);
            let due = Deadline::parse(&text).due().unwrap();
            prop_assert_eq!((due.year(), due.month()), (y, m));
            prop_assert_eq!(due.succ_opt().unwrap().day(), 1);
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            if m == 2 { prop_assert_eq!(due.day(), if leap { 29 } else { 28 }); }
        }

        #[test]
        fn quarters_end_with_their_third_month(y in 2000i32..2100, q in 1u32..=4) {
            let roman = ["I", "II", "III", "IV"][q as usize - 1];
            let due = Deadline::parse(&format!("Quý {roman}/{y}")).due().unwrap();
            prop_assert_eq!(due, last_day_of_month(y, q * 3).unwrap());
        }

        #[test]
        fn ranges_end_with_their_last_year(a in 2000i32..2100, len in 0i32..10, spaced in any::<bool>()) {
            let b = (a + len).min(2100);
            let text = if spaced { format!("{a} - {b}") } else { format!("{a}-{b}") };
            prop_assert_eq!(Deadline::parse(&text).due(), NaiveDate::from_ymd_opt(b, 12, 31));
        }

        #[test]
        fn dates_round_trip(days in 0i64..36_500) {
            let date = d(2000, 1, 1) + chrono::Duration::days(days);
            let text = format!("{}/{}/{}", date.day(), date.month(), date.year());
            prop_assert_eq!(Deadline::parse(&text), Deadline::Date { date });
        }

        #[test]
        fn periods_contain_their_day(days in 0i64..40_000) {
            let date = d(2000, 1, 1) + chrono::Duration::days(days);
            for p in [Period::Monthly, Period::Quarterly, Period::Yearly] {
                let (a, b) = p.containing(date);
                prop_assert!(a <= date && date <= b);
                prop_assert_eq!(a.day(), 1);
                prop_assert_eq!(b.succ_opt().unwrap().day(), 1);
            }
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,30}") {
            let _ = Deadline::parse(&s).due();
        }
    }
}
