//! Tracking one item by its code: the public page, supports (confirmed by mail), and the
//! submitter's rating and appeal.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppResult, WebError};
use crate::extract::{ApiQuery, CsrfForm, Ctx, PathCode, SignedInCsrfForm};
use crate::pages::common::{PageCtx, confirm_link_page, form_status, html_status};
use crate::pages::feedback::common::{categories, category_name};
use app::error::AppError;
use app::feedback::Tracking;
use app::records::Category;
use domain::FieldError;
use domain::feedback::TrackingCode;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback/track", get(track_lookup))
        .route("/feedback/track/{code}", get(track_page))
        .route("/feedback/track/{code}/rate", post(rate))
        .route("/feedback/track/{code}/appeal", post(appeal))
        .route("/feedback/track/{code}/support", post(support))
        .route(
            "/feedback/support/confirm",
            get(support_confirm_page).post(support_confirm),
        )
}

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    code: String,
}

/// The lookup form's answer. Without a code (the address typed bare, an empty form) it leads
/// back to the form rather than answering a 400 in a deserialiser's words.
async fn track_lookup(crate::extract::ApiQuery(q): crate::extract::ApiQuery<Lookup>) -> Response {
    let code = q.code.trim().to_uppercase();
    if code.is_empty() {
        return Redirect::to("/feedback#track").into_response();
    }
    Redirect::to(&format!(
        "/feedback/track/{}",
        crate::pages::common::encode_component(&code)
    ))
    .into_response()
}

#[derive(Template)]
#[template(path = "feedback_track.html")]
struct TrackTpl {
    p: PageCtx,
    t: Tracking,
    secret: String,
    unit: String,
    cats: Vec<Category>,
    errors: Vec<FieldError>,
    /// "sent" (confirmation mailed) or "done" (support counted), after a support.
    support_note: String,
    signed_in: bool,
    /// The browser sent a session cookie (even an expired one): its forms carry the token that
    /// `SignedInCsrfForm` will ask for. Such requests never reach the page cache.
    form_token: bool,
    /// What the sender typed in a refused form (rating comment, appeal reason, address).
    typed: Typed,
}

#[derive(Default)]
struct Typed {
    comment: String,
    reason: String,
    email: String,
}

impl TrackTpl {
    /// Fields whose form is on the page, so their errors show next to them; any other error is
    /// said above (e.g. an appeal refused as late while its form is no longer offered).
    fn shown(&self) -> Vec<&'static str> {
        let mut v = vec![];
        if self.t.can_rate {
            v.push("comment");
        }
        if self.t.can_appeal {
            v.push("reason");
        }
        if self.supportable() && !self.signed_in {
            v.push("email");
        }
        v
    }

    /// Published recommendations and initiatives may be supported.
    fn supportable(&self) -> bool {
        // An item whose public text is withheld (its title is then empty) takes no support.
        domain::feedback::supportable(
            self.t.item.kind,
            self.t.item.state,
            self.t.item.title.is_empty(),
        )
    }

    fn cat(&self, code: &str) -> String {
        category_name(&self.p, &self.cats, code)
    }
}

#[derive(Deserialize, Default)]
struct SecretQ {
    secret: Option<String>,
    support: Option<String>,
}

async fn render_track(
    s: &AppState,
    ctx: &Ctx,
    code: &TrackingCode,
    secret: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    render_track_note(s, ctx, code, secret, errors, "", Typed::default()).await
}

async fn render_track_note(
    s: &AppState,
    ctx: &Ctx,
    code: &TrackingCode,
    secret: Option<String>,
    errors: Vec<FieldError>,
    note: &str,
    typed: Typed,
) -> AppResult<Response> {
    let t = app::feedback::track(&s.db, code, secret.as_deref()).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap
        .get(t.item.unit_id)
        .map(|u| u.name(ctx.lang.code()).to_string())
        .unwrap_or_default();
    let tpl = TrackTpl {
        p: PageCtx::from(ctx, &format!("/feedback/track/{code}")),
        t,
        secret: secret.clone().unwrap_or_default(),
        unit,
        cats: categories(s).await?,
        errors,
        support_note: note.to_string(),
        signed_in: ctx.who.is_some(),
        form_token: ctx.session.is_some(),
        typed,
    };
    // The same for every anonymous visitor without the sender's secret: their support form
    // carries no form token (see `support`); a signed-in visitor's page is never cached.
    let shared = secret.is_none();
    let res = html_status(form_status(&tpl.errors), tpl)?;
    Ok(if shared {
        crate::cache::public(res, crate::cache::Deps::FEEDBACK)
    } else {
        res
    })
}

#[derive(Deserialize)]
struct SupportForm {
    #[serde(default)]
    email: String,
}

/// Supports from the tracking page: signed in, at once; otherwise by a mailed link.
///
/// Only a signed-in support needs the form token (it counts under the account the browser's
/// cookie names). An anonymous one has nothing a forged request could borrow: it mails a
/// confirmation link to the address in the form, as anyone may do directly (the JSON API takes
/// it without a token too). So the anonymous tracking page holds no token and is the same for
/// every anonymous visitor: the page cache serves it.
async fn support(
    State(s): State<AppState>,
    ctx: Ctx,
    PathCode(code): PathCode,
    SignedInCsrfForm(f): SignedInCsrfForm<SupportForm>,
) -> AppResult<Response> {
    let r = match &ctx.who {
        Some(who) => app::feedback::support(&s.db, who, &code)
            .await
            .map(|_| "done"),
        None => app::feedback::request_support(&s.db, &code, &f.email, ctx.lang)
            .await
            .map(|_| "sent"),
    };
    match r {
        Ok(note) => {
            Ok(Redirect::to(&format!("/feedback/track/{code}?support={note}")).into_response())
        }
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            let typed = Typed {
                email: f.email,
                ..Typed::default()
            };
            render_track_note(&s, &ctx, &code, None, errors, "", typed).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct TokenQ {
    #[serde(default)]
    token: String,
}

async fn support_confirm_page(ctx: Ctx, ApiQuery(q): ApiQuery<TokenQ>) -> AppResult<Response> {
    confirm_link_page(
        &ctx,
        "fb-support-confirm",
        "/feedback/support/confirm",
        q.token,
    )
}

async fn support_confirm(
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<TokenQ>,
) -> AppResult<Response> {
    let item = app::feedback::confirm_support(&s.db, &f.token).await?;
    Ok(Redirect::to(&format!("/feedback/track/{}?support=done", item.code)).into_response())
}

async fn track_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathCode(code): PathCode,
    ApiQuery(q): ApiQuery<SecretQ>,
) -> AppResult<Response> {
    let note = q
        .support
        .as_deref()
        .filter(|n| matches!(*n, "sent" | "done"));
    match render_track_note(
        &s,
        &ctx,
        &code,
        q.secret.clone(),
        vec![],
        note.unwrap_or(""),
        Typed::default(),
    )
    .await
    {
        Err(WebError(AppError::Invalid(errors))) => {
            render_track(&s, &ctx, &code, None, errors).await
        }
        r => r,
    }
}

#[derive(Deserialize)]
struct RateForm {
    secret: String,
    rating: i32,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(s): State<AppState>,
    ctx: Ctx,
    PathCode(code): PathCode,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let secret = f.secret.clone();
    let r = app::feedback::rate(
        &s.db,
        &code,
        app::feedback::Rating {
            secret: f.secret,
            rating: f.rating,
            comment: Some(f.comment.clone()),
        },
    )
    .await;
    let typed = Typed {
        comment: f.comment,
        ..Typed::default()
    };
    after_submitter_step(&s, &ctx, &code, secret, typed, r.map(|_| ())).await
}

#[derive(Deserialize)]
struct AppealForm {
    secret: String,
    reason: String,
}

async fn appeal(
    State(s): State<AppState>,
    ctx: Ctx,
    PathCode(code): PathCode,
    CsrfForm(f): CsrfForm<AppealForm>,
) -> AppResult<Response> {
    let secret = f.secret.clone();
    let r = app::feedback::appeal(
        &s.db,
        &code,
        app::feedback::AppealInput {
            secret: f.secret,
            reason: f.reason.clone(),
        },
    )
    .await;
    let typed = Typed {
        reason: f.reason,
        ..Typed::default()
    };
    after_submitter_step(&s, &ctx, &code, secret, typed, r.map(|_| ())).await
}

async fn after_submitter_step(
    s: &AppState,
    ctx: &Ctx,
    code: &TrackingCode,
    secret: String,
    typed: Typed,
    r: app::error::AppResult<()>,
) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/feedback/track/{code}?secret={}",
            crate::pages::common::encode_component(&secret)
        ))
        .into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            let secret = errors
                .iter()
                .all(|e| e.code != "err-wrong-secret")
                .then_some(secret);
            render_track_note(s, ctx, code, secret, errors, "", typed).await
        }
        Err(e) => Err(e.into()),
    }
}
