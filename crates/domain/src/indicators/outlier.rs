//! Outliers against a unit's own history: a value far from what the unit usually reports is
//! not refused but must be confirmed ("please confirm"). The test is the modified z-score of
//! Iglewicz and Hoaglin, z = 0.6745 · (x − median) / MAD, flagged above 3.5: the median and
//! the median absolute deviation are not dragged by the outliers of earlier periods, as a mean
//! and a standard deviation would be.

/// Fewer earlier values than this say too little about what is usual.
pub const MIN_HISTORY: usize = 4;
/// The usual threshold for the modified z-score.
pub const THRESHOLD: f64 = 3.5;

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Why `x` looks unusual against `history`: (the usual value, the score), or None when it does
/// not (or when the history is too short to tell). When every earlier value is the same, the
/// spread is zero and a change of more than half the usual value (at least 1) is flagged.
pub fn outlier(history: &[f64], x: f64) -> Option<(f64, f64)> {
    let mut h: Vec<f64> = history.iter().copied().filter(|v| v.is_finite()).collect();
    if h.len() < MIN_HISTORY || !x.is_finite() {
        return None;
    }
    let m = median(&mut h);
    let mut dev: Vec<f64> = h.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&mut dev);
    if mad > 0.0 {
        let z = 0.6745 * (x - m) / mad;
        return (z.abs() > THRESHOLD).then_some((m, z));
    }
    // Half or more of the history equals the median: fall back on the mean absolute deviation
    // (scaled to match a normal spread), then on a relative change.
    let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
    if mean_ad > 0.0 {
        let z = (x - m) / (1.2533 * mean_ad);
        return (z.abs() > THRESHOLD).then_some((m, z));
    }
    ((x - m).abs() > (0.5 * m.abs()).max(1.0)).then_some((m, f64::INFINITY.copysign(x - m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usual_values_pass_and_jumps_are_flagged() {
        let h = [40.0, 42.0, 45.0, 43.0, 47.0, 44.0];
        assert_eq!(outlier(&h, 46.0), None);
        let (m, z) = outlier(&h, 130.0).unwrap();
        assert_eq!(m, 43.5);
        assert!(z > THRESHOLD);
        assert!(outlier(&h, 4.0).unwrap().1 < -THRESHOLD, "a drop too");
        assert_eq!(outlier(&h[..3], 1000.0), None, "too short a history");
        // A flat history: small changes pass, a doubling does not.
        assert_eq!(outlier(&[10.0; 5], 12.0), None);
        assert!(outlier(&[10.0; 5], 20.0).is_some());
        assert_eq!(outlier(&[0.0; 6], 1.0), None);
        assert!(outlier(&[0.0; 6], 2.0).is_some());
        // One earlier outlier does not hide the next one (a mean and deviation would).
        assert!(outlier(&[40.0, 42.0, 41.0, 43.0, 900.0], 300.0).is_some());
    }

    proptest! {
        #[test]
        fn the_usual_value_is_never_an_outlier(h in proptest::collection::vec(-1e6f64..1e6, 4..30)) {
            let mut s = h.clone();
            let m = median(&mut s);
            prop_assert_eq!(outlier(&h, m), None);
        }

        #[test]
        fn the_verdict_does_not_depend_on_the_scale_or_the_origin(
            h in proptest::collection::vec(1.0f64..1000.0, 4..20),
            x in 1.0f64..5000.0,
            k in 0.5f64..20.0,
        ) {
            // Changing the unit (× k) keeps the verdict when the spread is not zero.
            let mut dev = h.clone();
            let m = median(&mut dev);
            let mut d: Vec<f64> = h.iter().map(|v| (v - m).abs()).collect();
            prop_assume!(median(&mut d) > 1e-6);
            let scaled: Vec<f64> = h.iter().map(|v| v * k).collect();
            prop_assert_eq!(outlier(&h, x).is_some(), outlier(&scaled, x * k).is_some());
            let shifted: Vec<f64> = h.iter().map(|v| v + 1000.0).collect();
            prop_assert_eq!(outlier(&h, x).is_some(), outlier(&shifted, x + 1000.0).is_some());
        }

        #[test]
        fn no_input_panics(h in proptest::collection::vec(proptest::num::f64::ANY, 0..12), x in proptest::num::f64::ANY) {
            let _ = outlier(&h, x);
        }
    }
}
