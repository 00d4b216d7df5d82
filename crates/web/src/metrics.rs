//! Request counts and latencies per route, in Prometheus text format. Small enough to keep in
//! one mutex-protected map rather than pull in a metrics stack.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    /// (method, route, status class) → latencies
    series: Mutex<BTreeMap<(String, String, String), Series>>,
    /// Public pages answered from the rendered-page cache (not in `series`: a hit skips the
    /// per-request machinery).
    pub page_cache_hits: std::sync::atomic::AtomicU64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let key = (
            method.to_string(),
            route.to_string(),
            format!("{}xx", status / 100),
        );
        let mut map = self.series.lock().expect("metrics lock");
        let s = map.entry(key).or_default();
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn render(&self, pool: (u32, usize), backend: &str) -> String {
        let mut out = String::new();
        out.push_str("# HELP nqtrack_http_requests_total HTTP requests by route and status class.\n# TYPE nqtrack_http_requests_total counter\n");
        let map = self.series.lock().expect("metrics lock");
        for ((m, r, s), v) in map.iter() {
            let _ = writeln!(
                out,
                "nqtrack_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {}",
                v.count
            );
        }
        out.push_str("# HELP nqtrack_http_request_duration_seconds Request latency.\n# TYPE nqtrack_http_request_duration_seconds histogram\n");
        for ((m, r, s), v) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{s}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "nqtrack_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    v.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "nqtrack_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                v.count
            );
            let _ = writeln!(
                out,
                "nqtrack_http_request_duration_seconds_sum{{{labels}}} {}",
                v.sum
            );
            let _ = writeln!(
                out,
                "nqtrack_http_request_duration_seconds_count{{{labels}}} {}",
                v.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP nqtrack_db_pool_connections Open database connections.\n# TYPE nqtrack_db_pool_connections gauge\nnqtrack_db_pool_connections{{backend=\"{backend}\"}} {}",
            pool.0
        );
        let _ = writeln!(
            out,
            "# HELP nqtrack_db_pool_idle Idle database connections.\n# TYPE nqtrack_db_pool_idle gauge\nnqtrack_db_pool_idle{{backend=\"{backend}\"}} {}",
            pool.1
        );
        let _ = writeln!(
            out,
            "# HELP nqtrack_page_cache_hits_total Public pages served from the rendered-page cache.\n# TYPE nqtrack_page_cache_hits_total counter\nnqtrack_page_cache_hits_total {}",
            self.page_cache_hits
                .load(std::sync::atomic::Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/org-units", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/org-units", 200, Duration::from_millis(30));
        let text = m.render((4, 2), "sqlite");
        assert!(text.contains("nqtrack_http_requests_total{method=\"GET\",route=\"/api/v1/org-units\",status=\"2xx\"} 2"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("nqtrack_db_pool_connections{backend=\"sqlite\"} 4"));
    }
}
