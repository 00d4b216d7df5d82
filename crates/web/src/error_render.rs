//! How errors reach the client: the `render` middleware writes RFC 9457 problem details under
//! `/api` (and to JSON clients), the error page elsewhere; signed-out browsers go to sign in.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::error::{Rendered, field_message, problem};
use crate::extract::lang_of;
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, encode_component};
use app::error::AppError;

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
        let next = encode_component(&path);
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
        (status, Html(error_page(lang, &err, &path))).into_response()
    };
    if status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
        out.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(app::error::RETRY_AFTER_SECS),
        );
    }
    if matches!(*err, AppError::Unauthorized) && wants_json {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl {
    p: PageCtx,
    title: String,
    messages: Vec<String>,
    status: u16,
}

pub fn error_page(lang: Lang, e: &AppError, path: &str) -> String {
    let p = PageCtx {
        lang,
        user: None,
        role: None,
        csrf: String::new(),
        path: path.to_string(),
    };
    let mut messages: Vec<String> = e.fields().iter().map(|f| field_message(lang, f)).collect();
    if let AppError::BadRequest { detail, .. } = e {
        messages.push(bad_request_words(lang, detail));
    }
    ErrorTpl {
        title: lang.t(e.title_key()).to_string(),
        messages,
        status: e.status(),
        p,
    }
    .render()
    .unwrap_or_else(|_| "error".into())
}

/// A parser's complaint ("Failed to deserialize query string: due_from: input contains invalid
/// characters") in the reader's words, naming the parameter; the API keeps the original text.
fn bad_request_words(lang: Lang, detail: &str) -> String {
    let field = detail
        .split_once("query string: ")
        .or_else(|| detail.split_once("form: "))
        .and_then(|(_, rest)| rest.split_once(':'))
        .map(|(f, _)| f.trim())
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    match field {
        Some(f) => lang.tf("err-query-field", &[("field".into(), f.into())]),
        None => lang.t("err-query-value").to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parser_messages_are_told_in_the_language_with_the_parameter() {
        let l = crate::i18n::Lang::En;
        assert_eq!(
            super::bad_request_words(
                l,
                "Failed to deserialize query string: due_from: input contains invalid characters"
            ),
            "The value given for “due_from” is not valid."
        );
        assert_eq!(
            super::bad_request_words(l, "Failed to deserialize query string: missing field `x`"),
            "A value in the address is not valid."
        );
    }
}
