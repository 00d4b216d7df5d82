//! Public accounts: citizens, businesses and scientists sign up to follow all their feedback;
//! the account exists once the link mailed to the address is opened.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, ClientIp, CsrfForm, Ctx};
use crate::pages::common::{PageCtx, confirm_link_page, html, html_status};
use app::error::AppError;
use domain::FieldError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", get(form).post(register))
        .route("/register/confirm", get(confirm_page).post(confirm))
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterTpl {
    p: PageCtx,
    username: String,
    display_name: String,
    email: String,
    errors: Vec<FieldError>,
    /// The confirmation mail has left.
    sent: bool,
}

async fn form(ctx: Ctx) -> AppResult<Response> {
    html(RegisterTpl {
        p: PageCtx::from(&ctx, "/register"),
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
        errors: vec![],
        sent: false,
    })
}

#[derive(Deserialize)]
struct RegisterForm {
    username: String,
    display_name: String,
    email: String,
    password: String,
}

async fn register(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    CsrfForm(f): CsrfForm<RegisterForm>,
) -> AppResult<Response> {
    // Sign-ups share the sign-in limiter: both are how one address probes for accounts.
    if !s.limiter.allow(ip) {
        return Err(AppError::TooManyAttempts.into());
    }
    let input = app::users::Registration {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        password: f.password,
    };
    let (errors, sent) = match app::users::register(&s.db, input, ctx.lang).await {
        Ok(()) => (vec![], true),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => (e, false),
        Err(e) => return Err(e.into()),
    };
    let status = if sent {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_status(
        status,
        RegisterTpl {
            p: PageCtx::from(&ctx, "/register"),
            username: f.username,
            display_name: f.display_name,
            email: f.email,
            errors,
            sent,
        },
    )
}

#[derive(Deserialize, Default)]
struct TokenQ {
    #[serde(default)]
    token: String,
}

async fn confirm_page(ctx: Ctx, ApiQuery(q): ApiQuery<TokenQ>) -> AppResult<Response> {
    confirm_link_page(&ctx, "register-confirm", "/register/confirm", q.token)
}

async fn confirm(State(s): State<AppState>, CsrfForm(f): CsrfForm<TokenQ>) -> AppResult<Response> {
    let user = app::users::confirm_registration(&s.db, &f.token).await?;
    Ok(Redirect::to(&format!("/login?registered={}", user.username)).into_response())
}
