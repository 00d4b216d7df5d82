//! Request extractors: who is calling and in which language, and input parsers whose failures
//! become [`AppError`]s (so they render like every other error).

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::{Method, header, request::Parts};
use serde::de::DeserializeOwned;

use super::AppState;
use super::i18n::Lang;
use crate::error::{AppResult, WebError};
use app::auth::constant_time_eq;
use app::error::AppError;
use app::records::User;
use domain::policy::Principal;

/// The largest request body with files (the per-file limit, `evidence_max_mb`, is checked on
/// reading); above it the connection is refused before anything is read.
pub const UPLOAD_BODY_LIMIT: usize = 256 * 1_048_576;

pub const SESSION_COOKIE: &str = "nqt_session";
pub const CSRF_COOKIE: &str = "nqt_csrf";
pub const LANG_COOKIE: &str = "nqt_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token for this browser (double-submit cookie), put in the request by middleware.
#[derive(Clone)]
pub struct CsrfToken(pub String);

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

pub fn lang_of(parts: &Parts) -> Lang {
    cookie(parts, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Vi)
}

/// Everything a handler needs to know about the caller.
pub struct Ctx {
    pub who: Option<Principal>,
    pub user: Option<User>,
    pub lang: Lang,
    pub csrf: String,
    pub session: Option<String>,
    pub path: String,
}

impl Ctx {
    pub fn principal(&self) -> AppResult<&Principal> {
        self.who.as_ref().ok_or(AppError::Unauthorized.into())
    }

    pub fn check_csrf(&self, submitted: &str) -> AppResult<()> {
        if !self.csrf.is_empty() && constant_time_eq(&self.csrf, submitted) {
            Ok(())
        } else {
            Err(AppError::Csrf.into())
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(parts);
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let path = parts.uri.path().to_string();
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(secret) = bearer {
            let who = app::session::from_token(&state.db, secret.trim())
                .await?
                .ok_or(AppError::Unauthorized)?;
            return Ok(Ctx {
                who: Some(who),
                user: None,
                lang,
                csrf,
                session: None,
                path,
            });
        }
        let session = cookie(parts, SESSION_COOKIE).map(str::to_string);
        let (who, user) = match &session {
            Some(s) => match app::session::from_session(&state.db, s).await? {
                Some((p, u)) => (Some(p), Some(u)),
                None => (None, None),
            },
            None => (None, None),
        };
        // Cookie-authenticated API writes must echo the CSRF token in a header; forms check it in `CsrfForm`.
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if who.is_some() && unsafe_method && path.starts_with("/api/") {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent, &csrf) || csrf.is_empty() {
                return Err(AppError::Csrf.into());
            }
        }
        Ok(Ctx {
            who,
            user,
            lang,
            csrf,
            session,
            path,
        })
    }
}

/// JSON body whose parse errors become problem details naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = crate::error::WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest {
                code: "err-content-type",
                detail: "Content-Type: application/json".into(),
            }
            .into());
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest {
                code: "err-body",
                detail: e.body_text(),
            })?;
        // PostgreSQL refuses text holding a NUL character, as in queries (below).
        if escapes_nul(&bytes) {
            return Err(WebError(AppError::BadRequest {
                code: "err-body",
                detail: "a value contains the NUL character (\\u0000)".into(),
            }));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error(de).map(ApiJson).map_err(WebError)
    }
}

/// Whether JSON text holds the escape `\u0000` (a NUL in a string): a backslash that is not
/// itself escaped, then `u0000`. A raw NUL byte is not valid JSON and fails parsing anyway.
fn escapes_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while let Some(at) = json[i..].iter().position(|&b| b == b'\\') {
        let at = i + at;
        match json.get(at + 1) {
            Some(b'u') if json[at + 2..].starts_with(b"0000") => return true,
            // Skip the escaped character, so that `\\u0000` (a backslash, then text) is not taken.
            Some(_) => i = at + 2,
            None => return false,
        }
    }
    false
}

/// Deserialises while keeping the path of the failing field in the message.
fn serde_path_to_error<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> app::error::AppResult<T> {
    T::deserialize(de).map_err(|e| {
        let code = if e.is_syntax() || e.is_eof() {
            "err-json-syntax"
        } else {
            "err-json-data"
        };
        AppError::BadRequest {
            code,
            detail: e.to_string(),
        }
    })
}

/// Query string whose parse errors become 400 problems.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // PostgreSQL refuses text holding a NUL character: said here, once for every query,
        // rather than as a server error from whichever filter reaches the database.
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(WebError(AppError::BadRequest {
                code: "err-query",
                detail: "a value contains the NUL character (%00)".into(),
            }));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| AppError::BadRequest {
                code: "err-query",
                detail: e.body_text(),
            })
            .map_err(WebError)
    }
}

/// A numeric id from the path; anything else is a clear 404-free 400.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| AppError::BadRequest {
                    code: "err-path",
                    detail: e.body_text(),
                })?;
        raw.parse()
            .map(PathId)
            .map_err(|_| AppError::BadRequest {
                code: "err-path",
                detail: format!("not an id: {raw}"),
            })
            .map_err(WebError)
    }
}

/// Two numeric ids from the path (`/rankings/{edition}/units/{id}`), as [`PathId`] reads one.
pub struct PathIds(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path((a, b)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|e| AppError::BadRequest {
                    code: "err-path",
                    detail: e.body_text(),
                })?;
        let id = |raw: &str| {
            raw.parse::<i64>().map_err(|_| {
                WebError(AppError::BadRequest {
                    code: "err-path",
                    detail: format!("not an id: {raw}"),
                })
            })
        };
        Ok(PathIds(id(&a)?, id(&b)?))
    }
}

/// A tracking code from the path; anything not of its shape is a 404, as an unknown code is.
pub struct PathCode(pub domain::feedback::TrackingCode);

impl<S: Send + Sync> FromRequestParts<S> for PathCode {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| p.0)
            .unwrap_or_default();
        domain::feedback::TrackingCode::parse(&raw)
            .map(PathCode)
            .ok_or(WebError(AppError::NotFound))
    }
}

/// A url-encoded form with its `_csrf` field checked against the browser's CSRF cookie.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = crate::error::WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        form_checked(req, state, true).await.map(CsrfForm)
    }
}

/// A url-encoded form whose `_csrf` field is checked only when the browser is signed in (it
/// sends a session cookie): for forms an anonymous visitor sends from a page shared through the
/// page cache, where a forged request has no account to act as.
pub struct SignedInCsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for SignedInCsrfForm<T> {
    type Rejection = crate::error::WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let signed_in = cookie_in(req.headers(), SESSION_COOKIE).is_some();
        form_checked(req, state, signed_in)
            .await
            .map(SignedInCsrfForm)
    }
}

async fn form_checked<T: DeserializeOwned>(
    req: Request,
    state: &AppState,
    check: bool,
) -> Result<T, crate::error::WebError> {
    let expected = req
        .extensions()
        .get::<CsrfToken>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let bytes = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| AppError::BadRequest {
            code: "err-body",
            detail: e.body_text(),
        })?;
    if check {
        let f: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|e| AppError::BadRequest {
                code: "err-form",
                detail: e.to_string(),
            })?;
        if expected.is_empty() || !constant_time_eq(&expected, &f.csrf) {
            return Err(AppError::Csrf.into());
        }
    }
    serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| AppError::BadRequest {
            code: "err-form",
            detail: e.to_string(),
        })
        .map_err(crate::error::WebError)
}

pub struct FormParts {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<app::attachments::Upload>,
}

impl FormParts {
    pub fn text(&self, k: &str) -> Option<String> {
        self.fields.get(k).cloned()
    }

    /// The one file a form sends (a field error under `file` when there is none or several).
    pub fn one_file(&mut self) -> Result<app::attachments::Upload, AppError> {
        if self.files.len() != 1 {
            return Err(AppError::invalid(domain::FieldError::new(
                "file",
                "err-one-file",
            )));
        }
        Ok(self.files.remove(0))
    }
}

/// A multipart body. A request that is not one (another content type, no boundary) is a 400
/// problem like any other unreadable input, instead of axum's plain-text rejection.
pub struct MultipartBody(axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for MultipartBody {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(MultipartBody)
            .map_err(|e| {
                AppError::BadRequest {
                    code: "err-form",
                    detail: e.body_text(),
                }
                .into()
            })
    }
}

/// Reads a multipart body; a file over `max_file` bytes is refused. The rest of the body is
/// still read (and dropped; the route's body limit bounds it) before the refusal is sent: a
/// server that answers mid-upload and hangs up leaves the browser with a broken connection
/// instead of the message. File inputs left empty are skipped.
pub async fn read_multipart(
    MultipartBody(mut mp): MultipartBody,
    max_file: usize,
) -> AppResult<FormParts> {
    let bad = |e: axum::extract::multipart::MultipartError| AppError::BadRequest {
        code: "err-form",
        detail: e.body_text(),
    };
    let mut out = FormParts {
        fields: Default::default(),
        files: vec![],
    };
    let mut too_large: Option<domain::FieldError> = None;
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let mut bytes = Vec::new();
                let mut over = too_large.is_some();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    if over {
                        continue;
                    }
                    if bytes.len() + chunk.len() > max_file {
                        too_large = Some(
                            domain::FieldError::new("file", "err-file-too-large")
                                .with("name", &file_name)
                                .with("max", max_file / 1_048_576),
                        );
                        over = true;
                        bytes = Vec::new();
                        continue;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                let empty_input = file_name.is_empty() && bytes.is_empty();
                if !over && !empty_input {
                    out.files.push(app::attachments::Upload {
                        name: file_name,
                        bytes,
                    });
                }
            }
            None => {
                let v = field.text().await.map_err(bad)?;
                out.fields.insert(name, v);
            }
        }
    }
    match too_large {
        Some(e) => Err(AppError::invalid(e).into()),
        None => Ok(out),
    }
}

/// The client's address (X-Forwarded-For only behind a trusted proxy), for rate limits.
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = crate::error::WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(super::client_ip(parts, state.cfg.trust_proxy)))
    }
}
