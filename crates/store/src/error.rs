//! The one error type. Handlers and store functions return it; `web::error` renders it as RFC 9457
//! problem details under /api and as a page elsewhere, in the caller's language.

use domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("sign-in required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    /// Input failed validation; nothing was written.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The request could not be read at all (malformed JSON, wrong content type); `detail` is the
    /// parser's own description.
    #[error("bad request: {detail}")]
    BadRequest { code: &'static str, detail: String },
    /// The input is well-formed but clashes with what is stored (duplicate code, cycle).
    #[error("conflict")]
    Conflict(Vec<FieldError>),
    #[error("CSRF token missing or wrong")]
    Csrf,
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Unauthorized => 401,
            AppError::Forbidden | AppError::Csrf => 403,
            AppError::Invalid(_) => 422,
            AppError::BadRequest { .. } => 400,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts => 429,
            AppError::Db(_) | AppError::Internal(_) => 500,
        }
    }

    /// Message key of the short title shown to people.
    pub fn title_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "err-not-found",
            AppError::Unauthorized => "err-unauthorized",
            AppError::Forbidden => "err-forbidden",
            AppError::Csrf => "err-csrf",
            AppError::Invalid(_) => "err-invalid",
            AppError::BadRequest { code, .. } => code,
            AppError::Conflict(_) => "err-conflict",
            AppError::TooManyAttempts => "err-too-many",
            AppError::Db(_) | AppError::Internal(_) => "err-internal",
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(f) | AppError::Conflict(f) => f,
            _ => &[],
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
