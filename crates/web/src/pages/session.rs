//! Sign-in, sign-out and the language switch (cookies, and local redirects only).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::i18n::Lang;
use crate::pages::common::{Empty, PageCtx, html, html_status};
use crate::{AppState, client_ip, set_cookie};
use app::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
}

/// Only local paths are followed after sign-in or a language switch (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    p: PageCtx,
    username: String,
    next: String,
    error: String,
    registered: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// Set after a public account was activated: the username, filled in.
    registered: Option<String>,
}

async fn login_form(
    ctx: Ctx,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<NextQuery>,
) -> AppResult<Response> {
    let next = if q.next.is_some() {
        safe_next(q.next.as_deref())
    } else {
        // Each role's own home.
        "/".into()
    };
    let registered = q.registered.is_some();
    html(LoginTpl {
        p: PageCtx::from(&ctx, "/login"),
        username: q.registered.unwrap_or_default(),
        next,
        error: String::new(),
        registered,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    ctx: Ctx,
    req_parts: axum::http::request::Parts,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    let retry = |ctx: &Ctx, status: StatusCode, key: &str| {
        html_status(
            status,
            LoginTpl {
                p: PageCtx::from(ctx, "/login"),
                username: f.username.clone(),
                next: next.clone(),
                error: ctx.lang.t(key).to_string(),
                registered: false,
            },
        )
    };
    if !s.limiter.allow(client_ip(&req_parts, s.cfg.trust_proxy)) {
        return retry(&ctx, StatusCode::TOO_MANY_REQUESTS, "err-too-many");
    }
    match app::session::login(&s.db, &f.username, &f.password, ctx.lang).await {
        Ok((secret, _)) => {
            let mut res = Redirect::to(&next).into_response();
            let secure = s.cfg.https();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &secret,
                    Some(app::session::SESSION_HOURS * 3600),
                    secure,
                ),
            );
            // A fresh CSRF token with the fresh session, so a token planted before sign-in is useless after it.
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    crate::extract::CSRF_COOKIE,
                    &app::auth::random_token(),
                    None,
                    secure,
                ),
            );
            Ok(res)
        }
        Err(AppError::TooManyAttempts) => retry(&ctx, StatusCode::TOO_MANY_REQUESTS, "err-locked"),
        Err(AppError::Invalid(_)) => retry(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "err-bad-credentials",
        ),
        Err(e) => Err(e.into()),
    }
}

async fn logout(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if let Some(secret) = &ctx.session {
        app::session::logout(&s.db, secret).await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), s.cfg.https()),
    );
    Ok(res)
}

async fn set_lang(
    State(s): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<NextQuery>,
) -> AppResult<Response> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    // A signed-in person's choice is also theirs for mail and notifications. The switch is a
    // link (GET), so a request another site started (Sec-Fetch-Site) only sets the cookie.
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| !matches!(v.as_bytes(), b"same-origin" | b"none"));
    if let (Some(who), false) = (&ctx.who, cross_site) {
        app::session::set_lang(&s.db, who, lang).await?;
    }
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            s.cfg.https(),
        ),
    );
    Ok(res)
}
