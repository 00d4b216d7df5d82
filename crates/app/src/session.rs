//! Signing in and out, and turning a session cookie or an API token into a [`Principal`].

use chrono::{Duration, Utc};
use tokio::sync::OnceCell;

use crate::auth;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::i18n::Lang;
use domain::policy::Principal;
use domain::{FieldError, signin};
use store::audit::{Actor, Change};
use store::{self, users::User};

pub const SESSION_HOURS: i64 = 12;

fn principal_of(u: &User) -> Principal {
    Principal {
        user_id: u.id,
        token_id: None,
        role: u.role,
        unit_id: u.unit_id,
        username: u.username.clone(),
    }
}

/// A hash to verify against when the username is unknown, so that both cases take as long.
async fn dummy_hash() -> &'static str {
    static H: OnceCell<String> = OnceCell::const_new();
    H.get_or_init(|| async {
        auth::hash_password(auth::random_token())
            .await
            .unwrap_or_default()
    })
    .await
}

fn bad_credentials() -> AppError {
    AppError::invalid(FieldError::new("password", "err-bad-credentials"))
}

/// Checks the password and opens a new session; returns the session secret for the cookie.
/// Signs in; `lang` (the language the sign-in page was read in) becomes the person's language
/// for what background jobs write to them.
pub async fn login(
    db: &Db,
    username: &str,
    password: &str,
    lang: Lang,
) -> AppResult<(String, User)> {
    let username = username.trim();
    let found = {
        let mut c = db.acquire().await?;
        store::users::get_for_login(&mut c.conn(), username).await?
    };
    let Some((user, hash)) = found else {
        auth::verify_password(password.to_string(), dummy_hash().await.to_string()).await;
        return Err(bad_credentials());
    };
    let now = Utc::now();
    if signin::is_locked(user.locked_until, now) {
        return Err(AppError::TooManyAttempts);
    }
    let ok = match hash {
        Some(h) if !user.disabled => auth::verify_password(password.to_string(), h).await,
        _ => {
            auth::verify_password(password.to_string(), dummy_hash().await.to_string()).await;
            false
        }
    };
    let mut tx = db.begin().await?;
    if !ok {
        // A failure is counted; only the lockout it may cause is an audited change.
        let failures = store::users::record_failure(&mut tx.conn(), user.id).await?;
        let mut changes = vec![];
        if let Some(until) = signin::lock_after_failure(failures, now) {
            store::users::lock_until(&mut tx.conn(), user.id, until).await?;
            changes.push(Change::new("auth.lockout", "user", user.id).after(Some(
                serde_json::json!({ "locked_until": until, "failures": failures }).to_string(),
            )));
        }
        store::audit::commit(tx, &Actor::system("signin"), now, changes).await?;
        return Err(bad_credentials());
    }
    store::users::reset_failures(&mut tx.conn(), user.id).await?;
    let lang_changed = store::users::set_lang(&mut tx.conn(), user.id, lang.code()).await?;
    let secret = auth::random_token();
    store::users::create_session(
        &mut tx.conn(),
        &auth::sha256_hex(&secret),
        user.id,
        now,
        now + Duration::hours(SESSION_HOURS),
    )
    .await?;
    let actor = Actor {
        label: user.username.clone(),
        user_id: Some(user.id),
        token_id: None,
    };
    store::audit::commit(
        tx,
        &actor,
        now,
        vec![
            Change::new("auth.login", "session", user.id).after(
                lang_changed.then(|| serde_json::json!({ "lang": lang.code() }).to_string()),
            ),
        ],
    )
    .await?;
    Ok((secret, user))
}

/// The signed-in person switched language: remembered for what jobs write to them.
pub async fn set_lang(db: &Db, who: &Principal, lang: Lang) -> AppResult<()> {
    let user_id = who.user_id;
    let mut tx = db.begin().await?;
    if !store::users::set_lang(&mut tx.conn(), user_id, lang.code()).await? {
        return Ok(()); // unchanged: nothing written
    }
    let change = Change::new("user.lang", "user", user_id)
        .after(Some(serde_json::json!({ "lang": lang.code() }).to_string()));
    store::audit::commit(tx, &Actor::of(who), Utc::now(), vec![change]).await
}

pub async fn logout(db: &Db, secret: &str) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let hash = auth::sha256_hex(secret);
    let Some(user) = store::users::session_user(&mut tx.conn(), &hash, Utc::now()).await? else {
        return Ok(()); // nothing to end; the transaction wrote nothing
    };
    store::users::delete_session(&mut tx.conn(), &hash).await?;
    let actor = Actor {
        label: user.username.clone(),
        user_id: Some(user.id),
        token_id: None,
    };
    let change = Change::new("auth.logout", "session", user.id);
    store::audit::commit(tx, &actor, Utc::now(), vec![change]).await
}

pub async fn from_session(db: &Db, secret: &str) -> AppResult<Option<(Principal, User)>> {
    let mut c = db.acquire().await?;
    let user =
        store::users::session_user(&mut c.conn(), &auth::sha256_hex(secret), Utc::now()).await?;
    Ok(user.map(|u| (principal_of(&u), u)))
}

pub async fn from_token(db: &Db, secret: &str) -> AppResult<Option<Principal>> {
    let mut c = db.acquire().await?;
    let found =
        store::users::token_by_hash(&mut c.conn(), &auth::sha256_hex(secret), Utc::now()).await?;
    Ok(found.map(|(t, owner)| Principal {
        user_id: t.user_id,
        token_id: Some(t.id),
        role: t.role,
        unit_id: t.unit_id,
        username: owner,
    }))
}
