//! Working days for legal answer deadlines (phản ánh, kiến nghị).
//!
//! A working day is Monday–Friday, minus the official days off for public employees (holidays,
//! compensatory days off, days swapped off), plus any Saturday or Sunday decreed a working day in
//! exchange. The official days come from `data/holidays-vn.csv`; dates past the data are plain
//! Monday–Friday, so that file must be extended each year when the Government announces the dates.
//!
//! Counting never includes the start day: a deadline of N working days "from receipt" counts the
//! first working day after receipt as day 1, whatever day of the week receipt was.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

const HEADER: &str = "date,kind,name_vi,name_en";

/// Which days are working days. `Default` is a calendar with weekends only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    /// Days off on top of weekends (weekend dates may be listed; they change nothing).
    holidays: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays worked in exchange; never also in `holidays` (checked on load).
    extra_workdays: BTreeSet<NaiveDate>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Monday–Friday days in (from, to], by arithmetic so long spans cost nothing.
fn weekdays_between(from: NaiveDate, to: NaiveDate) -> i64 {
    let days = (to - from).num_days();
    if days <= 0 {
        return 0;
    }
    let first = i64::from(from.weekday().num_days_from_monday());
    // Every 7 consecutive days hold 5 weekdays; walk only the remainder (at most 6 days).
    let rest = (1..=days % 7)
        .filter(|k| (first + days - days % 7 + k) % 7 < 5)
        .count();
    days / 7 * 5 + rest as i64
}

impl Calendar {
    /// Adds a day off (`off`) or a make-up working day decided after the built-in list, e.g. by an
    /// administrator; the later decision wins over the built-in one.
    pub fn set(&mut self, d: NaiveDate, off: bool) {
        if off {
            self.extra_workdays.remove(&d);
            self.holidays.insert(d);
        } else {
            self.holidays.remove(&d);
            if is_weekend(d) {
                self.extra_workdays.insert(d);
            }
        }
    }

    /// Parses `date,kind,name_vi,name_en` rows; `kind` is `holiday` or `workday`.
    ///
    /// Blank lines and lines starting with `#` are skipped; the header must be the first other
    /// line. Rejected, with the line number: bad header, field count, date or kind, an empty
    /// `name_vi`, a `workday` that is not a Saturday or Sunday, and a date listed twice.
    /// Names may not contain commas (there is no quoting).
    pub fn from_csv(text: &str) -> Result<Calendar, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut cal = Calendar::default();
        // Line of each date already read, so a duplicate error points at both rows.
        let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        let mut header_seen = false;
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                if line != HEADER {
                    return Err(format!(
                        "line {n}: expected header `{HEADER}`, found `{line}`"
                    ));
                }
                header_seen = true;
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let [date, kind, name_vi, _name_en] = fields[..] else {
                return Err(format!(
                    "line {n}: expected 4 fields ({HEADER}), found {}",
                    fields.len()
                ));
            };
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|e| format!("line {n}: bad date `{date}` (want YYYY-MM-DD): {e}"))?;
            if name_vi.is_empty() {
                return Err(format!("line {n}: empty name_vi"));
            }
            if let Some(first) = seen.insert(date, n) {
                return Err(format!("line {n}: {date} already listed on line {first}"));
            }
            match kind {
                "holiday" => {
                    cal.holidays.insert(date);
                }
                "workday" => {
                    // A decreed working day only means something on a weekend.
                    if !is_weekend(date) {
                        return Err(format!(
                            "line {n}: workday {date} is a {:?}, not a Saturday or Sunday",
                            date.weekday()
                        ));
                    }
                    cal.extra_workdays.insert(date);
                }
                other => {
                    return Err(format!(
                        "line {n}: unknown kind `{other}` (want `holiday` or `workday`)"
                    ));
                }
            }
        }
        Ok(cal)
    }

    /// The official Vietnamese calendar shipped with the program.
    pub fn builtin() -> Calendar {
        // Parsed once: every submission and every move of a feedback item asks for it.
        static BUILTIN: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Calendar::from_csv(include_str!("../../../data/holidays-vn.csv"))
                    .expect("data/holidays-vn.csv is checked by the tests")
            })
            .clone()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.extra_workdays.contains(&d) {
            return true;
        }
        !is_weekend(d) && !self.holidays.contains(&d)
    }

    /// The date after counting `n` working days from `start` (start itself not counted): n=0 →
    /// start. A deadline of 15 working days from a submission on Friday counts Monday as day 1.
    ///
    /// # Panics
    /// If the result is past chrono's last date (year 262142), i.e. n above about 68 million.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        self.checked_add_working_days(start, u64::from(n))
            .expect("working-day count runs past the last representable date")
    }

    /// `add_working_days` that returns `None` instead of running off chrono's date range.
    pub fn checked_add_working_days(&self, start: NaiveDate, n: u64) -> Option<NaiveDate> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            // Jump whole weeks while they cannot reach the target: k weeks hold at most 5k working
            // days unless a working Saturday lies inside, so jump only over spans without one, and
            // by fewer than `left` days' worth so the last step lands on a working day.
            let weeks = (left - 1) / 5;
            if weeks > 0 {
                let next = d.checked_add_days(Days::new(weeks.checked_mul(7)?))?;
                let has_extra = self
                    .extra_workdays
                    .range((Excluded(d), Included(next)))
                    .next()
                    .is_some();
                if !has_extra {
                    left -= self.working_days_between(d, next) as u64;
                    d = next;
                    continue;
                }
            }
            d = d.succ_opt()?;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        Some(d)
    }

    /// Working days in (from, to]: used for "days taken to answer"; 0 if to <= from.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        let span = (Excluded(from), Included(to));
        // Weekend holidays are off anyway; extras are weekend days never in `holidays`.
        let off = self
            .holidays
            .range(span)
            .filter(|d| !is_weekend(**d))
            .count();
        let extra = self.extra_workdays.range(span).count();
        weekdays_between(from, to) - off as i64 + extra as i64
    }
}

/// A running clock that can be paused (waiting for the submitter) and extended.
///
/// How days are counted:
/// - Counted days are the working days after `started` (`started` itself never counts).
/// - A pause `(from, Some(to))` stops the clock on the working days `from <= d < to`: the day the
///   office asks the submitter for more is not counted, the day counting resumes (`to`) is.
///   A pause with `to <= from` is empty. Overlapping pauses stop each day once.
/// - An open pause `(from, None)` stops the clock from `from` on, up to `as_of`. While `as_of`
///   lies in any pause (`from <= as_of` and, if closed, `as_of < to`) the clock is stopped:
///   `deadline` is `None` and the case is never overdue. An open pause starting after `as_of`
///   has not begun and is ignored.
/// - The deadline is the day the (allowed + extensions)-th counted day falls on: the plain
///   deadline pushed back by the paused working days that fall before it. A pause that starts
///   after the deadline does not push it (a pause cannot revive an overdue case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub started: NaiveDate,
    /// Working days.
    pub allowed: u32,
    /// [from, to) paused intervals; open-ended if None.
    pub pauses: Vec<(NaiveDate, Option<NaiveDate>)>,
    /// Extra working days granted.
    pub extensions: Vec<u32>,
}

impl Clock {
    pub fn new(started: NaiveDate, allowed: u32) -> Clock {
        Clock {
            started,
            allowed,
            pauses: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Total working days granted: allowed plus every extension.
    pub fn granted(&self) -> u64 {
        u64::from(self.allowed) + self.extensions.iter().map(|&e| u64::from(e)).sum::<u64>()
    }

    /// True while `as_of` lies in a pause: the clock is stopped.
    pub fn is_paused(&self, as_of: NaiveDate) -> bool {
        self.pauses
            .iter()
            .any(|&(from, to)| from <= as_of && to.is_none_or(|t| as_of < t))
    }

    /// Paused spans as sorted, merged half-open [from, to); an open pause that has begun by
    /// `as_of` ends after `as_of`.
    fn paused_spans(&self, as_of: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        let mut spans: Vec<(NaiveDate, NaiveDate)> = self
            .pauses
            .iter()
            .filter_map(|&(from, to)| {
                let to = match to {
                    Some(t) => t,
                    None if from <= as_of => as_of.succ_opt().unwrap_or(NaiveDate::MAX),
                    None => return None,
                };
                (from < to).then_some((from, to))
            })
            .collect();
        spans.sort();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(spans.len());
        for (from, to) in spans {
            match merged.last_mut() {
                Some(last) if from <= last.1 => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        merged
    }

    /// Deadline as of `as_of`: started + allowed + sum(extensions) working days, pushed back by
    /// the working days spent paused; `None` while the clock is stopped. See [`Clock`].
    ///
    /// # Panics
    /// If the deadline is past chrono's last date (only for absurd day counts).
    pub fn deadline(&self, cal: &Calendar, as_of: NaiveDate) -> Option<NaiveDate> {
        if self.is_paused(as_of) {
            return None;
        }
        // Not paused, so every open pause starts after `as_of` and is left out: closed ones only.
        let spans = self.paused_spans(as_of);
        let mut from = self.started;
        let mut left = self.granted();
        // Count `left` working days, then as many again as were paused among them, until a
        // stretch has no paused day; ends because the spans are finite.
        loop {
            let to = cal
                .checked_add_working_days(from, left)
                .expect("deadline runs past the last representable date");
            let paused = paused_working_days(cal, &spans, from, to);
            if paused == 0 {
                return Some(to);
            }
            from = to;
            left = paused as u64;
        }
    }

    /// Working days used so far (excluding paused days), as of a date: counted days in
    /// (started, as_of]. May exceed the granted days when overdue.
    pub fn used(&self, cal: &Calendar, as_of: NaiveDate) -> i64 {
        let spans = self.paused_spans(as_of);
        cal.working_days_between(self.started, as_of)
            - paused_working_days(cal, &spans, self.started, as_of)
    }

    /// Not while paused; true when `as_of` is after the deadline.
    pub fn is_overdue(&self, cal: &Calendar, as_of: NaiveDate) -> bool {
        self.deadline(cal, as_of).is_some_and(|d| as_of > d)
    }
}

/// Working days in (from, to] that fall in one of the merged half-open `spans`.
fn paused_working_days(
    cal: &Calendar,
    spans: &[(NaiveDate, NaiveDate)],
    from: NaiveDate,
    to: NaiveDate,
) -> i64 {
    spans
        .iter()
        .map(|&(f, t)| {
            // [f, t) is (f - 1, t - 1] in the (exclusive, inclusive] form of working_days_between.
            let lo = from.max(f.pred_opt().unwrap_or(NaiveDate::MIN));
            let hi = to.min(t.pred_opt().unwrap_or(NaiveDate::MIN));
            cal.working_days_between(lo, hi)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    /// Day-by-day reference for the arithmetic shortcuts.
    fn naive_add(cal: &Calendar, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().unwrap();
            if cal.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    fn naive_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days()
            .skip(1)
            .take_while(|&x| x <= to)
            .filter(|&x| cal.is_working_day(x))
            .count() as i64
    }

    #[test]
    fn builtin_data_loads_with_the_decreed_days() {
        let c = cal();
        assert_eq!(c.holidays.len(), 26);
        assert_eq!(c.extra_workdays.len(), 3);
        // Swapped days: Sat worked, Fri/Mon off.
        assert!(c.is_working_day(d("2025-04-26")));
        assert!(!c.is_working_day(d("2025-05-02")));
        assert!(c.is_working_day(d("2026-01-10")));
        assert!(!c.is_working_day(d("2026-01-02")));
        assert!(c.is_working_day(d("2026-08-22")));
        assert!(!c.is_working_day(d("2026-08-31")));
        // Tết Bính Ngọ, and Giỗ Tổ 2026 on a Sunday compensated on Monday.
        assert!(!c.is_working_day(d("2026-02-16")));
        assert!(!c.is_working_day(d("2026-02-20")));
        assert!(!c.is_working_day(d("2026-04-26")));
        assert!(!c.is_working_day(d("2026-04-27")));
        // Ngày Văn hóa Việt Nam is not decided yet: an ordinary Tuesday.
        assert!(c.is_working_day(d("2026-11-24")));
        // Ordinary weekend and weekday.
        assert!(!c.is_working_day(d("2025-03-08")));
        assert!(c.is_working_day(d("2025-03-07")));
    }

    #[test]
    fn fifteen_days_before_tet_2026_land_after_tet() {
        // From Mon 2 Feb: 3-6, 9-13 (9 days), Tết 16-20 off, 23-27 (14), Mon 2 Mar is day 15.
        assert_eq!(cal().add_working_days(d("2026-02-02"), 15), d("2026-03-02"));
        // Without holidays it would be 23 Feb.
        assert_eq!(
            Calendar::default().add_working_days(d("2026-02-02"), 15),
            d("2026-02-23")
        );
    }

    #[test]
    fn friday_submission_counts_monday_as_day_one() {
        let c = cal();
        assert_eq!(c.add_working_days(d("2025-03-07"), 1), d("2025-03-10"));
        assert_eq!(c.add_working_days(d("2025-03-07"), 15), d("2025-03-28"));
        assert_eq!(c.add_working_days(d("2025-03-07"), 0), d("2025-03-07"));
    }

    #[test]
    fn holiday_and_weekend_start_dates() {
        let c = cal();
        // Received on 30/4/2025: 1/5 off, 2/5 swapped off, weekend; day 1 is Mon 5/5.
        assert_eq!(c.add_working_days(d("2025-04-30"), 1), d("2025-05-05"));
        // Received during Tết 2026: day 1 is Mon 23/2.
        assert_eq!(c.add_working_days(d("2026-02-17"), 5), d("2026-02-27"));
        // Received on a Sunday: day 1 is Monday.
        assert_eq!(c.add_working_days(d("2025-03-09"), 1), d("2025-03-10"));
        // New year 2026: 1/1 and 2/1 off, day 1 is Mon 5/1; the working Saturday 10/1 counts.
        assert_eq!(c.add_working_days(d("2025-12-31"), 1), d("2026-01-05"));
        assert_eq!(c.add_working_days(d("2026-01-09"), 1), d("2026-01-10"));
        // Giỗ Tổ 2026: Fri 24/4 + 3 = 28, 29 and then Mon 4/5 (30/4, 1/5 off).
        assert_eq!(c.add_working_days(d("2026-04-24"), 3), d("2026-05-04"));
        // Quốc khánh 2026: Sat 22/8 worked; after Fri 28/8 the next working day is Thu 3/9.
        assert_eq!(c.add_working_days(d("2026-08-21"), 1), d("2026-08-22"));
        assert_eq!(c.add_working_days(d("2026-08-28"), 1), d("2026-09-03"));
    }

    #[test]
    fn working_days_between_known_spans() {
        let c = cal();
        assert_eq!(c.working_days_between(d("2026-02-13"), d("2026-02-23")), 1);
        assert_eq!(c.working_days_between(d("2026-01-01"), d("2026-01-31")), 21);
        assert_eq!(c.working_days_between(d("2026-02-23"), d("2026-02-13")), 0);
        assert_eq!(c.working_days_between(d("2026-02-23"), d("2026-02-23")), 0);
        // A whole year: 2025 has 261 weekdays, 12 weekday days off, 1 working Saturday.
        assert_eq!(
            c.working_days_between(d("2024-12-31"), d("2025-12-31")),
            250
        );
    }

    #[test]
    fn long_counts_jump_weeks_and_overflow_is_checked() {
        let c = cal();
        // 10 million working days: weeks are jumped, and the result still inverts.
        let far = c.add_working_days(d("2025-01-01"), 10_000_000);
        assert_eq!(c.working_days_between(d("2025-01-01"), far), 10_000_000);
        assert_eq!(c.checked_add_working_days(d("2025-01-01"), u64::MAX), None);
        assert_eq!(c.checked_add_working_days(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let err = |t: &str| Calendar::from_csv(t).unwrap_err();
        assert!(err("date,kind\n").starts_with("line 1: expected header"));
        let head = "# comment\n\n date,kind,name_vi,name_en \n";
        assert!(err(&format!("{head}2025-13-01,holiday,X,Y\n")).starts_with("line 4: bad date"));
        assert!(err(&format!("{head}2025-01-01,holiday,X\n")).starts_with("line 4: expected 4"));
        assert!(err(&format!("{head}2025-01-01,off,X,Y\n")).starts_with("line 4: unknown kind"));
        assert!(
            err(&format!("{head}2025-01-01,holiday,,Y\n")).starts_with("line 4: empty name_vi")
        );
        assert!(
            err(&format!("{head}# c\n2025-04-25,workday,X,Y\n"))
                .starts_with("line 5: workday 2025-04-25 is a Fri")
        );
        assert_eq!(
            err(&format!(
                "{head}2025-01-01,holiday,X,Y\n2025-01-01,workday,X,Y\n"
            )),
            "line 5: 2025-01-01 already listed on line 4"
        );
    }

    #[test]
    fn csv_accepts_bom_crlf_comments_and_empty_input() {
        let c = Calendar::from_csv(
            "\u{feff}# x\r\ndate,kind,name_vi,name_en\r\n2025-04-26,workday,A,B\r\n",
        )
        .unwrap();
        assert!(c.is_working_day(d("2025-04-26")));
        assert_eq!(
            Calendar::from_csv("# only comments\n").unwrap(),
            Calendar::default()
        );
    }

    #[test]
    fn clock_pause_pushes_deadline_back() {
        let c = cal();
        let mut k = Clock::new(d("2025-03-03"), 10);
        assert_eq!(k.deadline(&c, d("2025-03-03")), Some(d("2025-03-17")));
        // Paused Wed 5 and Thu 6; counting resumes Fri 7.
        k.pauses.push((d("2025-03-05"), Some(d("2025-03-07"))));
        assert_eq!(k.deadline(&c, d("2025-03-10")), Some(d("2025-03-19")));
        assert_eq!(k.used(&c, d("2025-03-10")), 3);
        assert_eq!(k.used(&c, d("2025-03-19")), 10);
        // While inside the pause the clock is stopped.
        assert_eq!(k.deadline(&c, d("2025-03-06")), None);
        assert!(!k.is_overdue(&c, d("2025-03-06")));
        assert!(!k.is_overdue(&c, d("2025-03-19")));
        assert!(k.is_overdue(&c, d("2025-03-20")));
    }

    #[test]
    fn clock_open_pause_stops_the_clock() {
        let c = cal();
        let mut k = Clock::new(d("2025-03-03"), 10);
        k.pauses.push((d("2025-03-05"), None));
        assert_eq!(k.deadline(&c, d("2025-03-04")), Some(d("2025-03-17")));
        assert_eq!(k.deadline(&c, d("2025-03-06")), None);
        assert_eq!(k.used(&c, d("2025-03-06")), 1);
        assert_eq!(k.used(&c, d("2025-12-31")), 1);
        assert!(!k.is_overdue(&c, d("2025-12-31")));
        // Closed on Mon 10: paused Wed 5-Fri 7, so three days later.
        k.pauses[0].1 = Some(d("2025-03-10"));
        assert_eq!(k.deadline(&c, d("2025-03-10")), Some(d("2025-03-20")));
    }

    #[test]
    fn clock_pause_after_deadline_does_not_revive() {
        let c = cal();
        let mut k = Clock::new(d("2025-03-03"), 10);
        k.pauses.push((d("2025-03-20"), Some(d("2025-03-25"))));
        assert_eq!(k.deadline(&c, d("2025-03-26")), Some(d("2025-03-17")));
        assert!(k.is_overdue(&c, d("2025-03-26")));
    }

    #[test]
    fn clock_extensions_and_holidays() {
        let c = cal();
        let mut k = Clock::new(d("2025-03-03"), 10);
        k.extensions.push(5);
        assert_eq!(k.deadline(&c, d("2025-03-03")), Some(d("2025-03-24")));
        // Received Fri 23/1/2026 with 15 days: 26-30/1 (5), 2-6/2 (10), 9-13/2 (15), before Tết.
        let k = Clock::new(d("2026-01-23"), 15);
        assert_eq!(k.deadline(&c, d("2026-01-23")), Some(d("2026-02-13")));
        let k = Clock::new(d("2026-01-30"), 15);
        // 2-6/2 (5), 9-13/2 (10), Tết, 23-27/2 (15).
        assert_eq!(k.deadline(&c, d("2026-01-30")), Some(d("2026-02-27")));
        assert_eq!(k.used(&c, d("2026-01-30")), 0);
        assert_eq!(k.used(&c, d("2026-01-01")), 0);
    }

    // Dates around the data (mid-2024 to mid-2027), so swaps and holidays are hit often.
    fn date() -> impl Strategy<Value = NaiveDate> {
        (0u64..1100).prop_map(|k| d("2024-06-01") + Days::new(k))
    }

    fn closed_pause() -> impl Strategy<Value = (NaiveDate, Option<NaiveDate>)> {
        (date(), 0u64..40).prop_map(|(f, len)| (f, Some(f + Days::new(len))))
    }

    /// A random calendar: weekday holidays and weekend working days over the same span.
    fn random_calendar() -> impl Strategy<Value = Calendar> {
        proptest::collection::btree_set(date(), 0..60).prop_map(|days| {
            let mut text = String::from("date,kind,name_vi,name_en\n");
            for x in days {
                let kind = if is_weekend(x) { "workday" } else { "holiday" };
                text.push_str(&format!("{x},{kind},x,x\n"));
            }
            Calendar::from_csv(&text).unwrap()
        })
    }

    proptest! {
        /// A submission's clock starts on its day in Hà Nội (UTC+7), not on its UTC day: from
        /// 17:00 UTC the deadline is counted from the next day. Across local midnight the
        /// deadline never moves earlier, and moves later exactly when the new day is worked.
        #[test]
        fn deadlines_follow_the_local_day_around_midnight(secs in 1_717_200_000i64..1_811_808_000, n in 1u32..60) {
            use crate::clock::{DEFAULT_ZONE, local_date_in};
            use chrono::{DateTime, Duration, TimeZone, Utc};
            let c = cal();
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            let day = local_date_in(at, DEFAULT_ZONE);
            let due = Clock::new(day, n).deadline(&c, day).unwrap();
            prop_assert_eq!(due, c.add_working_days((at + Duration::hours(7)).date_naive(), n));
            let midnight = DEFAULT_ZONE
                .from_local_datetime(&(day + Days::new(1)).and_hms_opt(0, 0, 0).unwrap())
                .single()
                .unwrap()
                .with_timezone(&Utc);
            prop_assert_eq!(local_date_in(midnight - Duration::seconds(1), DEFAULT_ZONE), day);
            let next = local_date_in(midnight, DEFAULT_ZONE);
            prop_assert_eq!(next, day + Days::new(1));
            let due_next = Clock::new(next, n).deadline(&c, next).unwrap();
            prop_assert!(due_next >= due);
            prop_assert_eq!(due_next > due, c.is_working_day(next));
        }

        #[test]
        fn add_lands_on_a_working_day(start in date(), n in 1u32..400) {
            let c = cal();
            prop_assert!(c.is_working_day(c.add_working_days(start, n)));
        }

        #[test]
        fn between_inverts_add(start in date(), n in 0u32..400) {
            let c = cal();
            prop_assert_eq!(c.working_days_between(start, c.add_working_days(start, n)), i64::from(n));
        }

        #[test]
        fn add_is_strictly_monotonic(start in date(), n in 0u32..400, k in 1u32..50) {
            let c = cal();
            prop_assert!(c.add_working_days(start, n) < c.add_working_days(start, n + 1));
            prop_assert!(c.add_working_days(start, n) < c.add_working_days(start, n + k));
        }

        #[test]
        fn shortcuts_match_day_by_day(c in random_calendar(), start in date(), n in 0u32..300, to in date()) {
            prop_assert_eq!(c.add_working_days(start, n), naive_add(&c, start, n));
            prop_assert_eq!(c.working_days_between(start, to), naive_between(&c, start, to));
        }

        #[test]
        fn between_is_additive(a in date(), b in date(), x in date()) {
            let c = cal();
            let mut v = [a, b, x];
            v.sort();
            prop_assert_eq!(
                c.working_days_between(v[0], v[1]) + c.working_days_between(v[1], v[2]),
                c.working_days_between(v[0], v[2])
            );
        }

        #[test]
        fn pausing_never_makes_deadline_earlier(
            start in date(),
            allowed in 0u32..60,
            pauses in proptest::collection::vec(closed_pause(), 0..4),
            extra in closed_pause(),
            as_of in date(),
        ) {
            let c = cal();
            let mut k = Clock { started: start, allowed, pauses, extensions: vec![] };
            let mut more = k.clone();
            more.pauses.push(extra);
            prop_assume!(!more.is_paused(as_of));
            let plain = Clock::new(start, allowed).deadline(&c, as_of).unwrap();
            let before = k.deadline(&c, as_of).unwrap();
            let after = more.deadline(&c, as_of).unwrap();
            prop_assert!(plain <= before);
            prop_assert!(before <= after);
            // The deadline is exactly the day the granted days are used up.
            if allowed > 0 {
                prop_assert_eq!(more.used(&c, after), i64::from(allowed));
                prop_assert!(c.is_working_day(after));
            }
            k.pauses.clear();
            prop_assert_eq!(k.deadline(&c, as_of), Some(plain));
        }

        #[test]
        fn extensions_add_exactly_their_working_days(
            start in date(),
            allowed in 0u32..60,
            ext in proptest::collection::vec(0u32..20, 1..3),
            pauses in proptest::collection::vec(closed_pause(), 0..3),
            as_of in date(),
        ) {
            let c = cal();
            let base = Clock { started: start, allowed, pauses, extensions: vec![] };
            prop_assume!(!base.is_paused(as_of));
            let mut longer = base.clone();
            longer.extensions = ext.clone();
            let total: u32 = ext.iter().sum();
            let old = base.deadline(&c, as_of).unwrap();
            let new = longer.deadline(&c, as_of).unwrap();
            // Counted (unpaused working) days between the two deadlines are the extension.
            prop_assert_eq!(longer.used(&c, new) - longer.used(&c, old), i64::from(total));
            if base.pauses.is_empty() {
                prop_assert_eq!(new, c.add_working_days(old, total));
            }
        }

        #[test]
        fn overdue_only_after_deadline_and_never_paused(
            start in date(),
            allowed in 0u32..60,
            pauses in proptest::collection::vec(closed_pause(), 0..3),
            open in proptest::option::of(date()),
            as_of in date(),
        ) {
            let c = cal();
            let mut k = Clock { started: start, allowed, pauses, extensions: vec![] };
            if let Some(f) = open {
                k.pauses.push((f, None));
            }
            let overdue = k.is_overdue(&c, as_of);
            if k.is_paused(as_of) {
                prop_assert!(!overdue);
                prop_assert_eq!(k.deadline(&c, as_of), None);
            } else {
                prop_assert_eq!(overdue, as_of > k.deadline(&c, as_of).unwrap());
            }
        }
    }
}
