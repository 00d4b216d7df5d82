//! HTTP: the JSON API under /api/v1, server-rendered pages, health and metrics, and the
//! middleware every request passes (request id, logs, metrics, security headers, CSRF cookie,
//! error rendering, compression).

pub mod api;
pub mod cache;
pub mod charts;
pub mod error;
pub mod error_render;
pub mod extract;
pub mod map;
pub mod metrics;
pub mod pages;

pub use domain::i18n;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use app::config::Config;
use app::db::Db;
use app::error::AppError;
use extract::{CSRF_COOKIE, CsrfToken, cookie};

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
    pub charts: Arc<app::programmes::ChartsCache>,
    pub overviews: Arc<app::programmes::OverviewCache>,
    pub inbox: Arc<app::feedback::InboxCache>,
    pub audit_counts: Arc<app::audit::AuditCounts>,
    /// Ranking editions' lines per reader class (large for the communes: few kept).
    pub rank_lines: Arc<app::rankings::UnitsCache>,
    pub figures: Arc<app::indicators::FigureCache>,
    /// The catalogue's index of entries, one per catalogue and organisation version.
    pub catalogue: Arc<app::catalogue::IndexCache>,
    pub fresh: Arc<app::freshness::Freshness>,
    /// This instance's search index (issue 16), kept current by its indexer.
    pub search: Arc<app::search::Search>,
    /// The newest routing-suggestion model, loaded (issue 16).
    pub routing: Arc<app::feedback::RoutingModels>,
    pub pages: Arc<cache::PageCache>,
    pub bodies: Arc<cache::Bodies>,
    /// Entry sheets (CSV/XLSX templates) as written, per reader class (pages/indicators.rs).
    /// The CKAN facade's answers (api/ckan.rs).
    pub ckan: Arc<api::ckan::CkanAnswers>,
    /// The catalogue's heartbeats, written in shared transactions.
    pub beats: Arc<app::catalogue::Heartbeats>,
    pub templates:
        Arc<app::memo::Memo<pages::indicators::TemplateKey, (axum::body::Bytes, String)>>,
}

impl AppState {
    /// What a list's `q=` filter searches with.
    pub fn finder(&self) -> app::search::Finder<'_> {
        app::search::Finder {
            search: &self.search,
            org: &self.org,
            db: &self.db,
        }
    }

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
            charts: Arc::default(),
            overviews: Arc::default(),
            inbox: Arc::default(),
            audit_counts: Arc::default(),
            rank_lines: Arc::new(app::memo::Memo::with_capacity(32)),
            figures: Arc::default(),
            catalogue: Arc::default(),
            fresh: Arc::default(),
            search: Arc::new(app::search::Search::new(&cfg.data_dir)),
            routing: Default::default(),
            pages: Arc::default(),
            bodies: Arc::default(),
            templates: Arc::new(app::memo::Memo::with_capacity(64)),
            beats: Arc::new(app::catalogue::Heartbeats::new(db.clone())),
            ckan: Arc::new(app::memo::Memo::with_capacity(64)),
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

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(api::router())
        .merge(pages::router())
        .fallback(|| async { error::WebError(AppError::NotFound) })
        .layer(middleware::from_fn(error_render::render))
        .layer(middleware::from_fn_with_state(state.clone(), csrf_cookie))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(CompressionLayer::new().compress_when(
            tower_http::compression::Predicate::and(
                tower_http::compression::predicate::DefaultPredicate::new(),
                cache::NotPublic,
            ),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.db.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unreachable: {e}"),
        )
            .into_response(),
    }
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    let body = s.metrics.render(s.db.pool_stats(), s.db.backend());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn record_metrics(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    s.metrics
        .observe(&method, &route, res.status().as_u16(), start.elapsed());
    res
}

async fn security_headers(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if s.cfg.https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Gives every browser a CSRF token cookie (double-submit) and makes it available to handlers.
async fn csrf_cookie(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let existing = cookie(&parts, CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string);
    // API clients get no token minted for them: machine clients use bearer tokens, and browsers
    // already hold the cookie from the pages they loaded.
    if existing.is_none() && parts.uri.path().starts_with("/api/") {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let token = existing.clone().unwrap_or_else(app::auth::random_token);
    parts.extensions.insert(CsrfToken(token.clone()));
    let mut res = next.run(Request::from_parts(parts, body)).await;
    // A handler that rotated the token (sign-in) has set the cookie itself.
    let prefix = format!("{CSRF_COOKIE}=");
    let rotated = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(prefix.as_bytes()));
    if existing.is_none() && !rotated {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &token, None, s.cfg.https()),
        );
    }
    res
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

/// Starts serving on `listener` until Ctrl-C.
pub fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> app::BoxFuture<'static, std::io::Result<()>> {
    Box::pin(async move {
        // The catalogue reads the latest figures of every indicator (seconds at national scale
        // when nothing is cached): computed once in the background, so that the first visitor
        // after a start does not wait for it.
        // So is the nation's scorecard, which the Steering Committee's home lists from.
        let warm = state.clone();
        tokio::spawn(async move {
            if let Err(e) = app::indicators::warm(&warm.db, &warm.org, &warm.figures).await {
                tracing::warn!(error = %e, "warming the indicator catalogue and national scorecard");
            }
        });
        // The search index: opened (or built on a first start), then kept current.
        tokio::spawn(app::search::indexer::run_forever(
            state.search.clone(),
            state.db.clone(),
            state.org.clone(),
        ));
        // Possible duplicates of each new item, found in the background.
        tokio::spawn(app::search::duplicates::run_forever(
            state.search.clone(),
            state.db.clone(),
            state.org.clone(),
        ));
        // Routing suggestions: trained again when the newest model is a week old.
        tokio::spawn(app::feedback::train_forever(state.db.clone()));
        // The page cache wraps the router rather than each route: a hit is answered before any
        // routing, and without cloning the per-route middleware stack.
        use tower_layer::Layer;
        let app = middleware::from_fn_with_state(state.clone(), cache::serve).layer(router(state));
        axum::serve(
            listener,
            axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    })
}
