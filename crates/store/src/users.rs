//! Accounts, sessions and API tokens.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Arg, Filter};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::{bind_all, on_conn};
use domain::policy::Role;

const COLS: &str = "id, username, display_name, email, unit_id, role, disabled, failed_logins, locked_until, created_at";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub unit_id: i64,
    /// administrator, steering, inspector, unit_leader, unit_officer or reviewer.
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub disabled: bool,
    #[serde(skip)]
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub unit_id: i64,
    pub role: Role,
    pub password_hash: Option<String>,
}

pub async fn insert(c: &mut DbConn<'_>, u: &NewUser, now: DateTime<Utc>) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, display_name, email, unit_id, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id")
        .bind(&u.username).bind(&u.display_name).bind(&u.email).bind(u.unit_id).bind(u.role.as_str())
        .bind(&u.password_hash).bind(now).fetch_one(&mut **c).await?))
}

/// Multi-row insert for bulk generation; returns nothing, ids are read back by username.
pub async fn insert_many(
    c: &mut DbConn<'_>,
    users: &[NewUser],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO users (username, display_name, email, unit_id, role, password_hash, created_at, updated_at) VALUES {}",
        crate::rows_placeholders(users.len(), 8)
    );
    on_conn!(c, c => {
        let mut q = sqlx::query(&sql);
        for u in users {
            q = q.bind(&u.username).bind(&u.display_name).bind(&u.email).bind(u.unit_id).bind(u.role.as_str()).bind(&u.password_hash).bind(now).bind(now);
        }
        q.execute(&mut **c).await?;
    });
    Ok(())
}

pub async fn get(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
    Ok(on_conn!(c, c => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(&mut **c).await?))
}

/// The account and its password hash, for sign-in.
pub async fn get_for_login(
    c: &mut DbConn<'_>,
    username: &str,
) -> AppResult<Option<(User, Option<String>)>> {
    let sql = format!("SELECT {COLS} FROM users WHERE username = $1");
    Ok(on_conn!(c, c => {
        let u = sqlx::query_as::<_, User>(&sql).bind(username).fetch_optional(&mut **c).await?;
        match u {
            Some(u) => {
                let h: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1").bind(u.id).fetch_one(&mut **c).await?;
                Some((u, h))
            }
            None => None,
        }
    }))
}

pub async fn count(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&mut **c).await?),
    )
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only users whose unit lies in this unit's subtree.
    pub within_unit: Option<i64>,
    pub role: Option<String>,
    /// Only this user (for callers who may see nobody else).
    pub only_user: Option<i64>,
    pub q: Option<String>,
    /// Only accounts whose username sorts after this one (the last of the page before): a page
    /// by position, where `offset` reads every account it skips.
    pub after: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(c: &mut DbConn<'_>, f: &ListFilter) -> AppResult<(Vec<User>, i64)> {
    let mut w = Filter::default();
    if let Some(u) = f.within_unit {
        // PostgreSQL guessed the subtree's accounts spread evenly over the names and walked the
        // username index past 12,000 accounts to find a province's first 50, then counted them
        // with a scan of all 20,000 (national scale: 10.8 + 4.4 ms). The subtree's units read
        // first, as an array, let it take the accounts by unit and sort them: 1.2 + 1.0 ms.
        // SQLite already plans the plain subquery so (and has no arrays).
        let subtree = match &*c {
            DbConn::Pg(_) => {
                "unit_id = ANY(ARRAY(SELECT descendant_id FROM org_closure WHERE ancestor_id = {}))"
            }
            DbConn::Sqlite(_) => {
                "unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = {})"
            }
        };
        w.push(subtree, Arg::Int(u));
    }
    if let Some(r) = &f.role {
        w.push("role = {}", Arg::Text(r.clone()));
    }
    if let Some(id) = f.only_user {
        w.push("id = {}", Arg::Int(id));
    }
    if let Some(q) = &f.q {
        w.push(
            "LOWER(username || ' ' || display_name) LIKE {} ESCAPE '\\'",
            Arg::Text(format!(
                "%{}%",
                domain::text::like_escape(&q.to_lowercase())
            )),
        );
    }
    let count_sql = format!("SELECT COUNT(*) FROM users{}", w.where_clause());
    let counting = w.args.clone();
    let offset = match &f.after {
        Some(a) => {
            w.push("username > {}", Arg::Text(a.clone()));
            0
        }
        None => f.offset,
    };
    let page_sql = format!(
        "SELECT {COLS} FROM users{} ORDER BY username LIMIT {} OFFSET {}",
        w.where_clause(),
        w.next_placeholder(1),
        w.next_placeholder(2)
    );
    Ok(on_conn!(c, c => {
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), &counting).fetch_one(&mut **c).await?;
        let items = bind_all!(sqlx::query_as::<_, User>(&page_sql), &w.args).bind(f.limit).bind(offset).fetch_all(&mut **c).await?;
        (items, total)
    }))
}

/// Active administrator accounts other than `except`.
pub async fn other_active_admins(c: &mut DbConn<'_>, except: i64) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE role = 'administrator' AND NOT disabled AND id <> $1")
        .bind(except).fetch_one(&mut **c).await?))
}

pub async fn update(c: &mut DbConn<'_>, u: &User, now: DateTime<Utc>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE users SET display_name = $2, email = $3, unit_id = $4, role = $5, disabled = $6, updated_at = $7 WHERE id = $1")
        .bind(u.id).bind(&u.display_name).bind(&u.email).bind(u.unit_id).bind(u.role.as_str()).bind(u.disabled).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn set_password(
    c: &mut DbConn<'_>,
    id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1")
        .bind(id).bind(hash).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Records a failed sign-in; returns the new count.
pub async fn record_failure(c: &mut DbConn<'_>, id: i64) -> AppResult<i32> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i32>(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins")
        .bind(id).fetch_one(&mut **c).await?))
}

pub async fn lock_until(c: &mut DbConn<'_>, id: i64, until: DateTime<Utc>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $2 WHERE id = $1")
        .bind(id).bind(until).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn reset_failures(c: &mut DbConn<'_>, id: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The language the person reads in (`vi`, `en`, `fr`); true when it changed.
pub async fn set_lang(c: &mut DbConn<'_>, id: i64, lang: &str) -> AppResult<bool> {
    Ok(
        on_conn!(c, c => sqlx::query("UPDATE users SET lang = $2 WHERE id = $1 AND lang <> $2")
        .bind(id).bind(lang).execute(&mut **c).await?.rows_affected() > 0),
    )
}

/// The language the person reads in (Vietnamese for an unknown one).
pub async fn lang_of(c: &mut DbConn<'_>, id: i64) -> AppResult<domain::i18n::Lang> {
    let code: Option<String> = on_conn!(c, c => sqlx::query_scalar("SELECT lang FROM users WHERE id = $1")
        .bind(id).fetch_optional(&mut **c).await?);
    Ok(code
        .and_then(|c| domain::i18n::Lang::parse(&c))
        .unwrap_or(domain::i18n::Lang::Vi))
}

// ---- sessions ----

pub async fn create_session(
    c: &mut DbConn<'_>,
    id_hash: &str,
    user_id: i64,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(id_hash).bind(user_id).bind(now).bind(expires).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The live, enabled user behind a session.
pub async fn session_user(
    c: &mut DbConn<'_>,
    id_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<User>> {
    let sql = format!(
        "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE",
        COLS.split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, User>(&sql).bind(id_hash).bind(now).fetch_optional(&mut **c).await?),
    )
}

pub async fn delete_session(c: &mut DbConn<'_>, id_hash: &str) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn delete_sessions_of(c: &mut DbConn<'_>, user_id: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

// ---- API tokens ----

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// First characters of the secret, to recognise it; the secret itself is never stored.
    pub prefix: String,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub role: Role,
    pub unit_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const TOKEN_COLS: &str =
    "id, user_id, name, prefix, role, unit_id, created_at, expires_at, revoked_at, last_used_at";

/// Takes a one-time form token for creating an API token; false when it was taken before.
pub async fn take_token_form(
    c: &mut DbConn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query(
        "INSERT INTO token_form_tokens (token_hash, created_at) VALUES ($1, $2) ON CONFLICT (token_hash) DO NOTHING")
        .bind(token_hash).bind(now).execute(&mut **c).await?.rows_affected() == 1))
}

/// Records which API token a form token created.
pub async fn set_token_form(c: &mut DbConn<'_>, token_hash: &str, token_id: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE token_form_tokens SET api_token_id = $1 WHERE token_hash = $2")
        .bind(token_id).bind(token_hash).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn create_token(
    c: &mut DbConn<'_>,
    user_id: i64,
    name: &str,
    prefix: &str,
    hash: &str,
    role: Role,
    unit_id: i64,
    now: DateTime<Utc>,
    expires: Option<DateTime<Utc>>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO api_tokens (user_id, name, prefix, token_hash, role, unit_id, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id")
        .bind(user_id).bind(name).bind(prefix).bind(hash).bind(role.as_str()).bind(unit_id).bind(now).bind(expires)
        .fetch_one(&mut **c).await?))
}

pub async fn get_token(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ApiToken>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn list_tokens(c: &mut DbConn<'_>, user_id: Option<i64>) -> AppResult<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLS} FROM api_tokens WHERE ($1 < 0 OR user_id = $1) ORDER BY id DESC LIMIT 500"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, ApiToken>(&sql).bind(user_id.unwrap_or(-1)).fetch_all(&mut **c).await?),
    )
}

pub async fn revoke_token(c: &mut DbConn<'_>, id: i64, now: DateTime<Utc>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// A usable token (not revoked, not expired, owner enabled) by the hash of its secret.
pub async fn token_by_hash(
    c: &mut DbConn<'_>,
    hash: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<(ApiToken, String)>> {
    let sql = format!(
        "SELECT {}, u.username AS owner FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled = FALSE",
        TOKEN_COLS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", "));
    Ok(on_conn!(c, c => {
        match sqlx::query(&sql).bind(hash).bind(now).fetch_optional(&mut **c).await? {
            Some(row) => {
                use sqlx::{FromRow, Row};
                Some((ApiToken::from_row(&row)?, row.try_get::<String, _>("owner")?))
            }
            None => None,
        }
    }))
}

/// A sign-up waiting for its mailed link: (username, display name, email, password hash, when).
pub type Registration = (String, String, String, String, DateTime<Utc>);

pub async fn insert_registration(
    c: &mut DbConn<'_>,
    token_hash: &str,
    r: &Registration,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO registrations (token_hash, username, display_name, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token_hash).bind(&r.0).bind(&r.1).bind(&r.2).bind(&r.3).bind(r.4)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The unconfirmed sign-up of a token, marked confirmed in the same statement (a link works once).
pub async fn take_registration(
    c: &mut DbConn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Registration>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Registration>(
        "UPDATE registrations SET confirmed_at = $2 WHERE token_hash = $1 AND confirmed_at IS NULL
         RETURNING username, display_name, email, password_hash, created_at")
        .bind(token_hash).bind(now).fetch_optional(&mut **c).await?))
}

pub async fn username_taken(c: &mut DbConn<'_>, username: &str) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE username = $1")
        .bind(username).fetch_one(&mut **c).await?)
        > 0)
}
