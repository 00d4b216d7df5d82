//! API tokens for machine clients: shown once, stored as a hash, scoped to a role and unit, revocable.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::require;
use crate::auth;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::policy::{Action, Principal, Role, Scope};
use domain::{FieldError, org::check_name, text};
use store::audit::{Actor, Change, to_json};
use store::{self, users::ApiToken};

pub const TOKEN_PREFIX: &str = "nqt_";

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// Owner of the token.
    pub user_id: i64,
    pub name: String,
    /// Defaults to the owner's role.
    pub role: Option<String>,
    /// Defaults to the owner's unit.
    pub unit_id: Option<i64>,
    /// 1 to 730 days; no expiry when absent.
    pub expires_in_days: Option<i64>,
    /// A one-time token of the form (16–64 letters, digits, `-` or `_`): sent again, the
    /// request creates nothing and answers 409.
    #[serde(default)]
    pub form_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret, shown this once. Send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

pub fn create<'a>(
    db: &'a Db,
    who: &'a Principal,
    input: CreateToken,
) -> crate::BoxFuture<'a, AppResult<CreatedToken>> {
    Box::pin(async move {
        require(Some(who), Action::ManageTokens, Scope::Global)?;
        let name = text::nfc(&input.name);
        let mut errs = vec![];
        errs.extend(check_name("name", &name, true));
        // None: the owner's role; Some(None): a name that is no role.
        let role = input.role.as_deref().map(Role::parse);
        if role == Some(None) {
            errs.push(FieldError::new("role", "err-unknown-role"));
        }
        if let Some(d) = input.expires_in_days
            && !(1..=730).contains(&d)
        {
            errs.push(
                FieldError::new("expires_in_days", "err-range")
                    .with("min", 1)
                    .with("max", 730),
            );
        }
        let form_token = input
            .form_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if form_token.is_some_and(|t| !domain::input::is_form_token(t)) {
            errs.push(FieldError::new("form_token", "err-form-token"));
        }
        let mut tx = db.begin().await?;
        let now = Utc::now();
        // The form token's row first: of two sendings at once, the second waits for the first.
        let form_hash = form_token.map(auth::sha256_hex);
        if errs.is_empty()
            && let Some(h) = &form_hash
            && !store::users::take_token_form(&mut tx.conn(), h, now).await?
        {
            return Err(AppError::Conflict(vec![FieldError::new(
                "form_token",
                "err-token-form-repeat",
            )]));
        }
        let owner = store::users::get(&mut tx.conn(), input.user_id).await?;
        if owner.is_none() {
            errs.push(FieldError::new("user_id", "err-no-such-user"));
        }
        if let Some(u) = input.unit_id {
            match store::org::get(&mut tx.conn(), u).await? {
                Some(unit) if !unit.historical() => {}
                _ => errs.push(FieldError::new("unit_id", "err-no-such-unit")),
            }
        }
        let (true, Some(owner)) = (errs.is_empty(), owner) else {
            return Err(AppError::Invalid(errs));
        };
        let secret = format!("{TOKEN_PREFIX}{}", auth::random_token());
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let role = role.flatten().unwrap_or(owner.role);
        let unit = input.unit_id.unwrap_or(owner.unit_id);
        let expires = input.expires_in_days.map(|d| now + Duration::days(d));
        let id = store::users::create_token(
            &mut tx.conn(),
            owner.id,
            &name,
            &prefix,
            &auth::sha256_hex(&secret),
            role,
            unit,
            now,
            expires,
        )
        .await?;
        if let Some(h) = &form_hash {
            store::users::set_token_form(&mut tx.conn(), h, id).await?;
        }
        let token = store::users::get_token(&mut tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        store::audit::commit(
            tx,
            &Actor::of(who),
            now,
            vec![Change::new("token.create", "api_token", id).after(to_json(&token))],
        )
        .await?;
        Ok(CreatedToken { token, secret })
    })
}

pub async fn list(db: &Db, who: &Principal, user_id: Option<i64>) -> AppResult<Vec<ApiToken>> {
    require(Some(who), Action::ManageTokens, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::users::list_tokens(&mut c.conn(), user_id).await
}

pub fn revoke<'a>(
    db: &'a Db,
    who: &'a Principal,
    id: i64,
) -> crate::BoxFuture<'a, AppResult<ApiToken>> {
    Box::pin(async move {
        require(Some(who), Action::ManageTokens, Scope::Global)?;
        let mut tx = db.begin().await?;
        let before = store::users::get_token(&mut tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let now = Utc::now();
        store::users::revoke_token(&mut tx.conn(), id, now).await?;
        let after = store::users::get_token(&mut tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let change = Change::new("token.revoke", "api_token", id).before(to_json(&before));
        store::audit::commit_row(tx, &Actor::of(who), now, change, after).await
    })
}
