//! Sign-in lock-out rule.

use chrono::{DateTime, Duration, Utc};

/// Failed attempts in a row that lock an account.
pub const MAX_FAILURES: i32 = 5;
/// How long the lock lasts.
pub const LOCK_MINUTES: i64 = 15;

pub fn is_locked(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    locked_until.is_some_and(|t| t > now)
}

/// After a failure that brought the count to `failures`, the time until which the account is locked, if any.
pub fn lock_after_failure(failures: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn locks_exactly_from_the_fifth_failure(f in 0i32..50, secs in 0i64..2_000_000_000) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            let lock = lock_after_failure(f, now);
            prop_assert_eq!(lock.is_some(), f >= MAX_FAILURES);
            if let Some(t) = lock {
                prop_assert!(is_locked(Some(t), now));
                prop_assert!(is_locked(Some(t), now + Duration::minutes(LOCK_MINUTES - 1)));
                prop_assert!(!is_locked(Some(t), now + Duration::minutes(LOCK_MINUTES)));
            }
        }
    }

    #[test]
    fn no_lock_when_unset() {
        assert!(!is_locked(None, Utc::now()));
    }
}
