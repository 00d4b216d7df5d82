//! Accounts: list, read, create, change role/unit, disable, set password.

use chrono::Utc;
use serde::Deserialize;

use super::org::Page;
use super::{clean_opt, more_than, paging, require};
use crate::auth;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::notify;
use domain::input::Email;
use domain::policy::{self, Action, Principal, Role, Scope, UserListScope};
use domain::{FieldError, org::check_name, text};
use store::audit::{Actor, Change, to_json};
use store::users::{ListFilter, NewUser, User};
use store::{self, is_unique_violation};

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Only users of this unit and the units below it.
    pub unit: Option<i64>,
    pub role: Option<String>,
    /// Part of the username or display name.
    pub q: Option<String>,
    /// The `next` of the page before: the accounts after it by username. Pages by position cost
    /// the same at any depth; `page` still works.
    pub after: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub async fn list(db: &Db, who: &Principal, q: ListQuery) -> AppResult<Page<User>> {
    let (limit, offset) = paging(q.page, q.per_page)?;
    if let Some(r) = &q.role
        && Role::parse(r).is_none()
    {
        return Err(AppError::invalid(FieldError::new(
            "role",
            "err-unknown-role",
        )));
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut f = ListFilter {
        within_unit: q.unit,
        role: q.role,
        q: clean_opt(q.q),
        after: clean_opt(q.after),
        // One more than shown, to know whether a next page exists.
        limit: limit + 1,
        offset,
        only_user: None,
    };
    match policy::user_list_scope(who) {
        UserListScope::All => {}
        UserListScope::Subtree(unit) => match q.unit {
            // A narrower unit filter is fine if it lies inside the caller's subtree.
            Some(u) => super::require_on_unit(&mut c, Some(who), Action::ReadUser, u).await?,
            None => f.within_unit = Some(unit),
        },
        UserListScope::OnlySelf(id) => f.only_user = Some(id),
    }
    let (mut items, total) = store::users::list(&mut c, &f).await?;
    let next = more_than(&mut items, limit).map(|u| u.username.clone());
    Ok(Page {
        items,
        page: if f.after.is_some() {
            0
        } else {
            offset / limit + 1
        },
        per_page: limit,
        total,
        next,
    })
}

pub async fn get(db: &Db, who: &Principal, id: i64) -> AppResult<User> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let user = store::users::get(&mut c, id).await?;
    // Hide whether an account exists from callers who could not read it anyway.
    let Some(user) = user else {
        require(Some(who), Action::ReadUser, Scope::Global).map_err(|_| AppError::NotFound)?;
        return Err(AppError::NotFound);
    };
    let chain = store::org::chain(&mut c, user.unit_id).await?;
    require(
        Some(who),
        Action::ReadUser,
        Scope::User {
            unit_chain: &chain,
            user_id: user.id,
        },
    )?;
    Ok(user)
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 64 characters: lower-case letters, digits, dot, dash, underscore.
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub unit_id: i64,
    pub role: String,
    /// At least 10 characters. Without it the account cannot sign in until one is set.
    pub password: Option<String>,
}

pub fn check_username(u: &str) -> Option<FieldError> {
    let ok = (3..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    (!ok).then(|| FieldError::new("username", "err-username"))
}

pub fn create<'a>(
    db: &'a Db,
    who: &'a Principal,
    input: CreateUser,
) -> crate::BoxFuture<'a, AppResult<User>> {
    Box::pin(async move {
        require(Some(who), Action::ManageUsers, Scope::Global)?;
        let username = input.username.trim().to_string();
        let display_name = text::nfc(&input.display_name);
        let email = clean_opt(input.email);
        let mut errs = vec![];
        errs.extend(check_username(&username));
        errs.extend(check_name("display_name", &display_name, true));
        if let Some(e) = &email {
            errs.extend(Email::parse("email", e).err());
        }
        let role = Role::parse(&input.role);
        if role.is_none() {
            errs.push(FieldError::new("role", "err-unknown-role"));
        }
        if let Some(p) = &input.password {
            errs.extend(auth::check_password_strength("password", p));
        }
        let mut tx = db.begin().await?;
        match store::org::get(&mut tx.conn(), input.unit_id).await? {
            Some(u) if !u.historical() => {}
            _ => errs.push(FieldError::new("unit_id", "err-no-such-unit")),
        }
        let (true, Some(role)) = (errs.is_empty(), role) else {
            return Err(AppError::Invalid(errs));
        };
        let password_hash = match input.password {
            Some(p) => Some(auth::hash_password(p).await?),
            None => None,
        };
        let new = NewUser {
            username,
            display_name,
            email,
            unit_id: input.unit_id,
            role,
            password_hash,
        };
        create_account(tx, &new, &Actor::of(who), Utc::now()).await
    })
}

/// Inserts an account and commits it with its audit record; a taken username is a conflict, not
/// an error.
async fn create_account(
    mut tx: crate::db::Tx,
    new: &NewUser,
    actor: &Actor,
    now: chrono::DateTime<Utc>,
) -> AppResult<User> {
    let c = &mut tx.conn();
    let id = match store::users::insert(c, new, now).await {
        Err(AppError::Db(e)) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(vec![FieldError::new(
                "username",
                "err-duplicate-username",
            )]));
        }
        r => r?,
    };
    let user = store::users::get(c, id).await?.ok_or(AppError::NotFound)?;
    let change = Change::new("user.create", "user", id).after(to_json(&user));
    store::audit::commit(tx, actor, now, vec![change]).await?;
    Ok(user)
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub unit_id: Option<i64>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

pub fn update<'a>(
    db: &'a Db,
    who: &'a Principal,
    id: i64,
    input: UpdateUser,
) -> crate::BoxFuture<'a, AppResult<User>> {
    Box::pin(async move {
        require(Some(who), Action::ManageUsers, Scope::Global)?;
        let mut errs = vec![];
        if let Some(p) = &input.password {
            errs.extend(auth::check_password_strength("password", p));
        }
        let mut tx = db.begin().await?;
        let before = store::users::get(&mut tx.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut after = before.clone();
        if let Some(d) = input.display_name {
            after.display_name = text::nfc(&d);
            errs.extend(check_name("display_name", &after.display_name, true));
        }
        if input.email.is_some() {
            after.email = clean_opt(input.email);
            if let Some(e) = &after.email {
                errs.extend(Email::parse("email", e).err());
            }
        }
        if let Some(r) = input.role {
            match Role::parse(&r) {
                Some(r) => after.role = r,
                None => errs.push(FieldError::new("role", "err-unknown-role")),
            }
        }
        if let Some(u) = input.unit_id {
            match store::org::get(&mut tx.conn(), u).await? {
                Some(unit) if !unit.historical() => after.unit_id = u,
                _ => errs.push(FieldError::new("unit_id", "err-no-such-unit")),
            }
        }
        if let Some(d) = input.disabled {
            if d && id == who.user_id {
                errs.push(FieldError::new("disabled", "err-disable-self"));
            }
            after.disabled = d;
        }
        let admin = |u: &User| u.role == Role::Administrator && !u.disabled;
        if admin(&before) && !admin(&after) {
            let others = store::users::other_active_admins(&mut tx.conn(), id).await?;
            errs.extend(policy::check_admin_kept(others));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let now = Utc::now();
        store::users::update(&mut tx.conn(), &after, now).await?;
        let mut changed_password = false;
        if let Some(p) = input.password {
            let h = auth::hash_password(p).await?;
            store::users::set_password(&mut tx.conn(), id, &h, now).await?;
            changed_password = true;
        }
        // A new role, unit or password, or a disabled account, ends the sessions opened under the old ones.
        if changed_password
            || after.disabled
            || after.role != before.role
            || after.unit_id != before.unit_id
        {
            store::users::delete_sessions_of(&mut tx.conn(), id).await?;
        }
        let mut after_json = serde_json::to_value(&after).unwrap_or_default();
        if changed_password {
            after_json["password_changed"] = true.into();
        }
        store::audit::commit(
            tx,
            &Actor::of(who),
            now,
            vec![
                Change::new("user.update", "user", id)
                    .before(to_json(&before))
                    .after(Some(after_json.to_string())),
            ],
        )
        .await?;
        Ok(after)
    })
}

/// A public sign-up: citizens, businesses and scientists make their own account to follow all
/// their feedback. Nothing is created until the link mailed to the address is opened.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
}

/// Days a sign-up link stays valid.
const REGISTRATION_DAYS: i64 = 2;

/// `lang`: the language of the form, in which the confirmation mail is written.
pub async fn register(db: &Db, input: Registration, lang: domain::i18n::Lang) -> AppResult<()> {
    let username = input.username.trim().to_lowercase();
    let display_name = text::nfc(&input.display_name);
    let email = input.email.trim().to_lowercase();
    let mut errs = vec![];
    errs.extend(check_username(&username));
    errs.extend(check_name("display_name", &display_name, true));
    errs.extend(Email::parse("email", &email).err());
    errs.extend(auth::check_password_strength("password", &input.password));
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    {
        let mut c = db.acquire().await?;
        if store::users::username_taken(&mut c.conn(), &username).await? {
            return Err(AppError::Conflict(vec![FieldError::new(
                "username",
                "err-duplicate-username",
            )]));
        }
    }
    let password_hash = auth::hash_password(input.password).await?;
    let token = auth::random_token();
    let token_hash = auth::sha256_hex(&token);
    let now = Utc::now();
    let mut tx = db.begin().await?;
    store::users::insert_registration(
        &mut tx.conn(),
        &token_hash,
        &(
            username.clone(),
            display_name,
            email.clone(),
            password_hash,
            now,
        ),
    )
    .await?;
    let m = notify::register_confirm(lang, &username, &token);
    let key = format!("mail:register:{token_hash}");
    notify::queue_mail(&mut tx.conn(), &key, vec![email], m, now).await?;
    store::audit::commit(
        tx,
        &Actor::system("public"),
        now,
        vec![Change::new("user.register", "registration", username)],
    )
    .await?;
    Ok(())
}

/// The mailed link was opened: the account exists, with the citizen role at the national level.
pub async fn confirm_registration(db: &Db, token: &str) -> AppResult<User> {
    let bad = || AppError::invalid(FieldError::new("token", "err-registration-link"));
    let token_hash = auth::sha256_hex(token);
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let (username, display_name, email, password_hash, created) =
        store::users::take_registration(&mut tx.conn(), &token_hash, now)
            .await?
            .ok_or_else(bad)?;
    if now - created > chrono::Duration::days(REGISTRATION_DAYS) {
        return Err(bad());
    }
    let root = store::org::find_current_by_code(&mut tx.conn(), "VN")
        .await?
        .ok_or_else(|| AppError::Internal("no national unit".into()))?;
    let new = NewUser {
        username,
        display_name,
        email: Some(email),
        unit_id: root.id,
        role: Role::Citizen,
        password_hash: Some(password_hash),
    };
    create_account(tx, &new, &Actor::system("public"), now).await
}

/// The id of the account with this user name, if any.
pub fn id_by_username<'a>(
    db: &'a Db,
    username: &'a str,
) -> crate::BoxFuture<'a, AppResult<Option<i64>>> {
    Box::pin(async move {
        let mut c = db.acquire().await?;
        Ok(store::users::get_for_login(&mut c.conn(), username.trim())
            .await?
            .map(|(u, _)| u.id))
    })
}
