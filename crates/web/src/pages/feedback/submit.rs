//! The public form to send a report, recommendation or initiative, with attachments.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::{AppResult, WebError};
use crate::extract::{ClientIp, Ctx, read_multipart};
use crate::pages::common::{PageCtx, html, html_status};
use crate::pages::feedback::common::categories;
use app::error::AppError;
use app::records::Category;
use domain::FieldError;
use domain::feedback::{Kind, Submitter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/feedback/new",
            get(form_page)
                .post(submit)
                .layer(DefaultBodyLimit::max(crate::extract::UPLOAD_BODY_LIMIT)),
        )
        .route("/feedback/sent/{code}", get(sent_page))
}

#[derive(Template)]
#[template(path = "feedback_form.html")]
struct FormTpl {
    p: PageCtx,
    cats: Vec<Category>,
    kinds: Vec<&'static str>,
    submitters: Vec<&'static str>,
    errors: Vec<FieldError>,
    values: std::collections::HashMap<String, String>,
    /// (value sent, name shown) of each province in force.
    provinces: Vec<(String, String)>,
}

impl FormTpl {
    fn v(&self, k: &str) -> String {
        self.values.get(k).cloned().unwrap_or_default()
    }
}

fn form(ctx: &Ctx, cats: Vec<Category>, provinces: &[app::records::OrgUnit]) -> FormTpl {
    let lang = ctx.lang;
    FormTpl {
        provinces: provinces
            .iter()
            .map(|u| {
                let shown = match lang.code() {
                    "en" => u.name_en.clone(),
                    "fr" => u.name_fr.clone(),
                    _ => None,
                };
                (
                    u.code.clone().unwrap_or_else(|| u.name_vi.clone()),
                    shown.unwrap_or_else(|| u.name_vi.clone()),
                )
            })
            .collect(),
        p: PageCtx::from(ctx, "/feedback/new"),
        cats,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        submitters: Submitter::ALL.iter().map(|k| k.as_str()).collect(),
        errors: vec![],
        // Each form shown carries its own one-time token: the same form sent twice stores
        // one item (see `app::feedback::Submission::form_token`).
        values: [("form_token".to_string(), app::auth::random_token())].into(),
    }
}

async fn form_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let provinces = app::org::provinces(&s.db, &s.org).await?;
    html(form(&ctx, categories(&s).await?, &provinces))
}

#[derive(Template)]
#[template(path = "feedback_submitted.html")]
struct SubmittedTpl {
    p: PageCtx,
    code: String,
    secret: String,
    deadline: Option<chrono::NaiveDate>,
}

async fn submit(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let cats = categories(&s).await?;
    let provinces = app::org::provinces(&s.db, &s.org).await?;
    let parts = match read_multipart(mp, s.cfg.evidence_max_bytes()).await {
        Ok(p) => p,
        Err(WebError(AppError::Invalid(errors))) => {
            let mut t = form(&ctx, cats, &provinces);
            t.errors = errors;
            return html_status(StatusCode::UNPROCESSABLE_ENTITY, t);
        }
        Err(e) => return Err(e),
    };
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let t = |k: &str| parts.text(k).unwrap_or_default();
    let token = parts.text("form_token").filter(|t| !t.is_empty());
    // The province chosen in the list, and the commune or ward typed (code or name): one
    // phrase that the intake resolves ("Buon Ma Thuot, Đắk Lắk").
    let unit = match (t("unit").trim(), t("province").trim()) {
        ("", "") => None,
        ("", p) => Some(p.to_string()),
        (u, "") => Some(u.to_string()),
        (u, p) => Some(format!("{u}, {p}")),
    };
    let input = app::feedback::Submission {
        kind: t("kind"),
        category: t("category"),
        title: t("title"),
        body: t("body"),
        unit_id: None,
        unit,
        submitter_kind: t("submitter_kind"),
        name: parts.text("name"),
        email: parts.text("email"),
        phone: parts.text("phone"),
        publish_name: t("publish_name") == "on",
        website: t("website"),
        form_token: token.clone(),
    };
    let mut values = parts.fields.clone();
    match app::feedback::submit(
        &s.db,
        &s.intake,
        ip,
        ctx.who.as_ref(),
        ctx.lang,
        input,
        parts.files,
        &s.cfg.data_dir,
        s.cfg.evidence_max_bytes(),
    )
    .await
    {
        // Post, redirect, get: a refresh of the result shows it again and sends nothing.
        Ok(r) => Ok(
            Redirect::to(&format!("/feedback/sent/{}?secret={}", r.code, r.secret)).into_response(),
        ),
        Err(AppError::Invalid(errors)) => {
            let mut t = form(&ctx, cats, &provinces);
            t.errors = errors;
            // Nothing was stored: the corrected form keeps its token (or gets one).
            if token.is_none() {
                values.extend(t.values.drain());
            }
            t.values = values;
            html_status(StatusCode::UNPROCESSABLE_ENTITY, t)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct SentQuery {
    #[serde(default)]
    secret: String,
}

/// The result of a sending: the tracking code, the secret and the deadline. Needs the secret
/// (the sender's redirect carries it), so nobody else sees it; 404 otherwise.
async fn sent_page(
    State(s): State<AppState>,
    ctx: Ctx,
    crate::extract::PathCode(code): crate::extract::PathCode,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<SentQuery>,
) -> AppResult<Response> {
    let t = match app::feedback::track(&s.db, &code, Some(&q.secret)).await {
        Ok(t) if t.private.is_some() => t,
        Ok(_) | Err(AppError::Invalid(_)) => return Err(AppError::NotFound.into()),
        Err(e) => return Err(e.into()),
    };
    let mut res = html(SubmittedTpl {
        p: PageCtx::from(&ctx, "/feedback/new"),
        code: t.item.code,
        secret: q.secret,
        deadline: t.item.deadline_on,
    })?;
    // It shows the secret: kept by no cache, shared or not.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
