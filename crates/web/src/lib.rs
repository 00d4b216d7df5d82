//! HTTP: joins the JSON API under /api/v1 (`nqtrack-api`) and the server-rendered pages
//! (`nqtrack-pages`) into one router, with health and metrics, and the middleware every request
//! passes (request id, logs, metrics, security headers, CSRF cookie, error rendering,
//! compression, the page cache in front).

pub use api;
pub use pages;
pub use webcore::{
    AppState, LoginLimiter, cache, client_ip, error, extract, i18n, metrics, set_cookie,
};

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use app::error::AppError;
use extract::{CSRF_COOKIE, CsrfToken, cookie};

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .merge(api::router())
        .merge(pages::router(api::docs::doc_operations))
        .fallback(|| async { error::WebError(AppError::NotFound) })
        .layer(middleware::from_fn(pages::error_render::render))
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

/// Starts serving on `listener` until Ctrl-C.
pub fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> app::BoxFuture<'static, std::io::Result<()>> {
    Box::pin(async move {
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
