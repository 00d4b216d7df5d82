//! What both faces of the HTTP side share: the application state, the extractors (session,
//! language, CSRF), the one error type that renders as a page or as problem details, the page
//! cache, metrics, download responses and a few request helpers. The JSON API (`nqtrack-api`) and
//! the pages (`nqtrack-pages`) build on this crate side by side, so they compile in parallel;
//! `nqtrack-web` joins them into one router.

pub mod cache;
pub mod error;
pub mod export;
pub mod extract;
pub mod metrics;

pub use domain::i18n;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderValue;

use app::config::Config;
use app::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub cfg: Arc<Config>,
    pub metrics: Arc<metrics::Metrics>,
    pub limiter: Arc<LoginLimiter>,
    pub org: Arc<app::records::OrgIndex>,
    pub mailer: app::mail::Mailer,
    pub intake: Arc<app::feedback::Intake>,
    pub tasks: Arc<app::records::TaskCache>,
    pub stats: Arc<app::feedback::StatsCache>,
    pub national: Arc<app::home::NationalCache>,
    pub fresh: Arc<app::freshness::Freshness>,
    pub pages: Arc<cache::PageCache>,
}

impl AppState {
    /// `serve` checks the mail settings first, so the fallback here only serves tests and tools.
    pub fn new(db: Db, cfg: Config) -> Self {
        let mailer = app::mail::Mailer::from_config(&cfg.smtp, &cfg.data_dir).unwrap_or_else(|e| {
            tracing::error!(error = %e, "mail settings; mail is kept in memory only");
            app::mail::Mailer::memory()
        });
        let org: Arc<app::records::OrgIndex> = Arc::default();
        AppState {
            mailer,
            tasks: Arc::default(),
            stats: Arc::default(),
            national: Arc::default(),
            fresh: Arc::default(),
            pages: Arc::default(),
            intake: Arc::new(app::feedback::Intake::new(
                db.clone(),
                org.clone(),
                cfg.feedback_per_ip_hour,
                cfg.intake_batch,
            )),
            db,
            cfg: Arc::new(cfg),
            metrics: Arc::default(),
            limiter: Arc::default(),
            org,
        }
    }
}

/// Sign-in attempts per client address: at most `MAX` in `WINDOW`, on top of the per-account
/// lock-out, so that one address cannot try many accounts.
#[derive(Default)]
pub struct LoginLimiter {
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    const MAX: u32 = 30;
    const WINDOW: Duration = Duration::from_secs(300);

    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut m = self.seen.lock().expect("limiter lock");
        if m.len() > 100_000 {
            m.retain(|_, (t, _)| now.duration_since(*t) < Self::WINDOW);
        }
        let e = m.entry(ip).or_insert((now, 0));
        if now.duration_since(e.0) >= Self::WINDOW {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= Self::MAX
    }
}

/// The client address: the socket peer, or X-Forwarded-For's first entry behind a trusted proxy.
pub fn client_ip(parts: &axum::http::request::Parts, trust_proxy: bool) -> IpAddr {
    if trust_proxy
        && let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over HTTPS; `max_age` None for a session cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age {
        v.push_str(&format!("; Max-Age={a}"));
    }
    if secure {
        v.push_str("; Secure");
    }
    HeaderValue::from_str(&v).expect("cookie value is ASCII")
}

/// One operation of the OpenAPI document as the explorer page lists it. The API crate builds the
/// list and the pages crate renders it; the type lives here so that neither depends on the other.
pub struct DocOperation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub params: Vec<(String, String)>,
    pub public: bool,
}
