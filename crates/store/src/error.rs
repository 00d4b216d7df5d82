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
    /// The database could not take the write in time; nothing was written (see [`busy`]).
    #[error("database busy")]
    Unavailable,
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
            AppError::Db(e) if busy(e) => 503,
            AppError::Unavailable => 503,
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
            AppError::Db(e) if busy(e) => "err-unavailable",
            AppError::Unavailable => "err-unavailable",
            AppError::Db(_) | AppError::Internal(_) => "err-internal",
        }
    }

    /// A busy database (503, worth retrying), as opposed to a real failure.
    pub fn is_busy(&self) -> bool {
        match self {
            AppError::Db(e) => busy(e),
            AppError::Unavailable => true,
            _ => false,
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(f) | AppError::Conflict(f) => f,
            _ => &[],
        }
    }
}

/// The database is there but could not take this request in time: SQLite still locked after the
/// busy timeout, no pooled connection free, a PostgreSQL serialization failure or deadlock, or too
/// many connections. Nothing was written (the transaction rolled back), so the client may simply
/// try again: a 503 with `Retry-After`, never a 500.
pub fn busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            // SQLite: 5 SQLITE_BUSY, 6 SQLITE_LOCKED, 517 SQLITE_BUSY_SNAPSHOT, 261 SQLITE_BUSY_RECOVERY;
            // PostgreSQL: 40001 serialization_failure, 40P01 deadlock_detected, 55P03
            // lock_not_available (lock_timeout), 53300 too_many_connections, 57P03 cannot_connect_now.
            matches!(
                code,
                "5" | "6" | "261" | "517" | "40001" | "40P01" | "55P03" | "53300" | "57P03"
            ) || d.message().contains("database is locked")
        }
        _ => false,
    }
}

/// Seconds a client should wait before retrying a 503.
pub const RETRY_AFTER_SECS: u32 = 2;

pub type AppResult<T> = Result<T, AppError>;
