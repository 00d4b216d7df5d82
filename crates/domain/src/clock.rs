//! The product's time zone. Instants are stored in UTC; every calendar day a person sees or a
//! rule counts (today, a tracking code's day, a deadline, "due by") is the day in this zone:
//! Asia/Ho_Chi_Minh unless the deployment names another. A submission at 06:30 in Hà Nội is
//! 23:30 UTC the day before; it belongs to the Vietnamese day.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

static ZONE: OnceLock<Tz> = OnceLock::new();

/// An IANA zone name ("Asia/Ho_Chi_Minh", "Europe/Paris").
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

/// Sets the deployment's zone once, at start-up; later calls keep the first.
pub fn set_zone(tz: Tz) {
    let _ = ZONE.set(tz);
}

pub fn zone() -> Tz {
    *ZONE.get().unwrap_or(&DEFAULT_ZONE)
}

/// The instant in the product's zone.
pub fn local(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&zone())
}

/// The calendar day of an instant in the product's zone.
pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
    local_date_in(at, zone())
}

pub fn local_date_in(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The last second of a calendar day in the product's zone: what "as of that date" includes.
pub fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    let next = d.succ_opt().unwrap_or(d).and_time(chrono::NaiveTime::MIN);
    let start = next
        .and_local_timezone(zone())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| next.and_utc());
    start - chrono::Duration::seconds(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Timelike};
    use proptest::prelude::*;

    #[test]
    fn early_morning_in_hanoi_is_the_next_day_in_utc_terms() {
        // 07:52 in Hà Nội on 2 December is 00:52 UTC the same day; 06:30 is 23:30 UTC the day before.
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        assert_eq!(
            local_date_in(at, DEFAULT_ZONE),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        assert_eq!(local(at).hour(), 6);
        assert_eq!(parse_zone("Asia/Ho_Chi_Minh"), Some(DEFAULT_ZONE));
        assert_eq!(parse_zone("Mars/Olympus"), None);
    }

    proptest! {
        /// The end of a day is in that day, and the next second is in the next.
        #[test]
        fn the_end_of_a_day_is_its_last_second(days in 0i64..40_000) {
            let d = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + Duration::days(days);
            let end = end_of_day(d);
            prop_assert_eq!(local_date(end), d);
            prop_assert_eq!(local_date(end + Duration::seconds(1)), d.succ_opt().unwrap());
        }

        /// Vietnam keeps UTC+7 all year (no daylight saving since 1975): the local day changes
        /// exactly at 17:00 UTC.
        #[test]
        fn the_day_turns_at_midnight_in_ho_chi_minh_city(secs in 0i64..(60 * 365 * 86_400)) {
            let at = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(secs);
            let day = local_date_in(at, DEFAULT_ZONE);
            prop_assert_eq!(day, (at + Duration::hours(7)).date_naive());
            let midnight = DEFAULT_ZONE
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                .single()
                .unwrap()
                .with_timezone(&Utc);
            prop_assert!(midnight <= at && at < midnight + Duration::days(1));
            prop_assert_eq!(midnight.hour(), 17);
        }
    }
}
