//! Outliers against a unit's own history: a value far from what the unit reported before is
//! not refused but must be confirmed ("please confirm"). The measure is the modified z-score
//! of Iglewicz and Hoaglin, z = 0.6745 · (x − median) / MAD, flagged above 3.5: the median and
//! the median absolute deviation are not dragged by earlier outliers, as a mean and a
//! standard deviation would be. Indicators are meant to move (a share of online services rises
//! every quarter), so a value is flagged only when it is far both from the unit's earlier
//! levels and from the path of its earlier steps: a steady trend, continued, is never flagged,
//! nor is a value within the spread of a noisy series.

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

/// The modified z-score of `x` against `xs` (None when `xs` is empty). `scale` sets what
/// counts as no spread at all: rounding noise. When half or more of `xs` equal the median, the
/// mean absolute deviation (scaled to match a normal spread) stands in; when all do, a
/// departure of more than half of `level` (at least 1) scores as infinite.
fn score(xs: &[f64], x: f64, scale: f64, level: f64) -> (f64, f64) {
    let m = median(&mut xs.to_vec());
    let mut dev: Vec<f64> = xs.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&mut dev);
    let tiny = 1e-9 * scale;
    let z = if mad > tiny {
        0.6745 * (x - m) / mad
    } else {
        let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
        if mean_ad > tiny {
            (x - m) / (1.2533 * mean_ad)
        } else if (x - m).abs() > (0.5 * level.abs()).max(1.0) {
            f64::INFINITY.copysign(x - m)
        } else {
            0.0
        }
    };
    (m, z)
}

/// Why `x` looks unusual after `history` (oldest first): (the median of the earlier values,
/// the score against them), or None when it does not, or when the history is too short.
pub fn outlier(history: &[f64], x: f64) -> Option<(f64, f64)> {
    let h: Vec<f64> = history.iter().copied().filter(|v| v.is_finite()).collect();
    if h.len() < MIN_HISTORY || !x.is_finite() {
        return None;
    }
    let scale = h.iter().fold(x.abs().max(1.0), |m, v| m.max(v.abs()));
    let last = h[h.len() - 1];
    let (m, z) = score(&h, x, scale, last);
    if z.abs() <= THRESHOLD {
        return None;
    }
    let steps: Vec<f64> = h.windows(2).map(|w| w[1] - w[0]).collect();
    let (_, zs) = score(&steps, x - last, scale, last);
    (zs.abs() > THRESHOLD).then_some((m, z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn usual_values_pass_and_jumps_are_flagged() {
        let h = [40.0, 42.0, 45.0, 43.0, 47.0, 44.0];
        assert_eq!(outlier(&h, 46.0), None);
        let (usual, z) = outlier(&h, 130.0).unwrap();
        assert_eq!(usual, 43.5, "the median of the earlier values");
        assert!(z > THRESHOLD);
        assert!(outlier(&h, 4.0).unwrap().1 < -THRESHOLD, "a drop too");
        assert_eq!(outlier(&h[..3], 1000.0), None, "too short a history");
        // A rising share goes on rising: no warning, even when far above the earlier levels.
        let rising = [45.0, 48.1, 50.9, 54.2, 57.0, 60.1];
        assert_eq!(outlier(&rising, 63.0), None);
        let long: Vec<f64> = (0..12).map(|i| 20.0 + 5.0 * i as f64).collect();
        assert_eq!(outlier(&long, 80.0), None);
        assert!(outlier(&rising, 20.0).is_some(), "a collapse is one");
        // A noisy series: a value within its spread passes whatever the last steps were.
        let noisy = [1579.0, 844.0, 1879.0, 1731.0, 762.0, 100.0];
        assert_eq!(outlier(&noisy, 1256.0), None);
        assert!(outlier(&noisy, 25_000.0).is_some());
        // Steady steps: small departures pass, a doubling does not.
        assert_eq!(outlier(&[10.0; 5], 12.0), None);
        assert!(outlier(&[10.0; 5], 20.0).is_some());
        assert_eq!(outlier(&[0.0; 6], 1.0), None);
        assert!(outlier(&[0.0; 6], 2.0).is_some());
        // One earlier outlier does not hide the next one (a mean and deviation would).
        assert!(outlier(&[40.0, 42.0, 41.0, 43.0, 900.0], 300.0).is_some());
    }

    proptest! {
        #[test]
        fn the_usual_values_are_never_outliers(h in proptest::collection::vec(-1e6f64..1e6, 4..30)) {
            // Neither the median level nor the last value plus the median step.
            let mut steps: Vec<f64> = h.windows(2).map(|w| w[1] - w[0]).collect();
            prop_assert_eq!(outlier(&h, h[h.len() - 1] + median(&mut steps)), None);
            prop_assert_eq!(outlier(&h, median(&mut h.clone())), None);
        }

        #[test]
        fn a_steady_trend_continued_is_never_an_outlier(start in -1e4f64..1e4, step in -100f64..100.0, n in 4usize..20) {
            let h: Vec<f64> = (0..n).map(|i| start + step * i as f64).collect();
            prop_assert_eq!(outlier(&h, start + step * n as f64), None);
        }

        #[test]
        fn the_verdict_does_not_depend_on_the_scale_or_the_origin(
            h in proptest::collection::vec(1.0f64..1000.0, 4..20),
            x in 1.0f64..5000.0,
            k in 0.5f64..20.0,
        ) {
            // Changing the unit (× k) or the origin keeps the verdict when levels and steps
            // spread (the fallbacks for no spread are relative to the last value).
            let spread = |xs: &[f64]| {
                let m = median(&mut xs.to_vec());
                median(&mut xs.iter().map(|v| (v - m).abs()).collect::<Vec<_>>())
            };
            let steps: Vec<f64> = h.windows(2).map(|w| w[1] - w[0]).collect();
            prop_assume!(spread(&h) > 1e-6 && spread(&steps) > 1e-6);
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
