//! [`AppError`] on its way out as HTTP ([`WebError`]), and its shape as RFC 9457 problem details.
//!
//! `IntoResponse` only records the error in the response extensions; the `render` middleware in
//! `error_render`, which sees the request path and language, writes the body.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;
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
        if self.is_busy() {
            tracing::warn!(error = %self, "database busy: 503");
        } else if matches!(self, AppError::Db(_) | AppError::Internal(_)) {
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
    lang.field_message(f)
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
