//! Renders [`AppError`] as RFC 9457 problem details under `/api`, and as a page elsewhere.
//!
//! `IntoResponse` only records the error in the response extensions; the `render` middleware,
//! which sees the request path and language, writes the body.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::lang_of;
use super::i18n::Lang;
use app::error::AppError;
use domain::FieldError;

#[derive(Clone)]
pub struct Rendered(pub Arc<AppError>);

/// An [`AppError`] on its way out as HTTP (the error type lives below, where SQL errors arise;
/// the orphan rule asks for this wrapper to give it `IntoResponse` here). `?` converts.
#[derive(Debug)]
pub struct WebError(pub AppError);

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError(e)
    }
}

/// What handlers return.
pub type AppResult<T> = Result<T, WebError>;

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let WebError(e) = self;
        e.into_response_parts()
    }
}

trait IntoResponseParts {
    fn into_response_parts(self) -> Response;
}

impl IntoResponseParts for AppError {
    fn into_response_parts(self) -> Response {
        if matches!(self, AppError::Db(_) | AppError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = status.into_response();
        res.extensions_mut().insert(Rendered(Arc::new(self)));
        res
    }
}

/// Problem details (RFC 9457) with the invalid fields listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the problem kind, e.g. `urn:nqtrack:problem:err-invalid`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub instance: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
}

pub fn field_message(lang: Lang, f: &FieldError) -> String {
    lang.tf(&f.code, &f.params)
}

pub fn problem(lang: Lang, e: &AppError, instance: &str) -> Problem {
    let detail = match e {
        AppError::BadRequest { detail, .. } => Some(detail.clone()),
        _ => None,
    };
    Problem {
        kind: format!("urn:nqtrack:problem:{}", e.title_key()),
        title: lang.t(e.title_key()).to_string(),
        status: e.status(),
        detail,
        instance: instance.to_string(),
        errors: e
            .fields()
            .iter()
            .map(|f| ProblemField {
                field: f.field.clone(),
                code: f.code.clone(),
                message: field_message(lang, f),
            })
            .collect(),
    }
}

pub async fn render(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    let path = parts.uri.path().to_string();
    let wants_json = path.starts_with("/api/")
        || parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("json") && !a.contains("html"));
    let mut res = next.run(Request::from_parts(parts, body)).await;
    let Some(Rendered(err)) = res.extensions_mut().remove::<Rendered>() else {
        return res;
    };
    let status = res.status();
    if !wants_json && matches!(*err, AppError::Unauthorized) {
        let next = super::pages::encode_component(&path);
        return axum::response::Redirect::to(&format!("/login?next={next}")).into_response();
    }
    let mut out = if wants_json {
        let body = serde_json::to_string(&problem(lang, &err, &path)).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        (status, Html(super::pages::error_page(lang, &err, &path))).into_response()
    };
    if matches!(*err, AppError::Unauthorized) && wants_json {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}
