//! Supports: once per account, or once per email address confirmed through a mailed link.

use chrono::{DateTime, Duration, Utc};

use super::common::*;
use crate::auth::sha256_hex;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::notify;
use domain::FieldError;
use domain::feedback::{self as fb, TrackingCode};
use domain::input::Email;
use domain::policy::Principal;
use store::audit::Actor;
use store::feedback::Item;
use store::{self};

/// Supports: on published recommendations and initiatives, one per account.
pub async fn support(db: &Db, who: &Principal, code: &TrackingCode) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let item = supportable(&mut tx.conn(), code).await?;
    let item = add_support(
        tx,
        item,
        &format!("user:{}", who.user_id),
        &Actor::of(who),
        now,
    )
    .await?;
    Ok(PublicItem::from(&item))
}

/// Days a mailed support link stays valid.
const SUPPORT_LINK_DAYS: i64 = 7;

/// Without an account: the support counts once the person opens the link mailed to them, so an
/// address is one person and one support.
pub async fn request_support(
    db: &Db,
    code: &TrackingCode,
    email: &str,
    lang: domain::i18n::Lang,
) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    let email = Email::parse("email", &email)
        .map_err(AppError::invalid)?
        .into_string();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let item = supportable(&mut tx.conn(), code).await?;
    let supporter = format!("email:{}", sha256_hex(&email));
    if store::feedback::has_support(&mut tx.conn(), item.id, &supporter).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-supported",
        )]));
    }
    let token = crate::auth::random_token();
    let token_hash = sha256_hex(&token);
    store::feedback::insert_support_request(
        &mut tx.conn(),
        &token_hash,
        item.id,
        &sha256_hex(&email),
        now,
    )
    .await?;
    let m = notify::support_confirm(lang, &item.code, &token);
    let key = format!("mail:support:{token_hash}");
    notify::queue_mail(&mut tx.conn(), &key, vec![email.clone()], m, now).await?;
    commit_item(
        tx,
        &Actor::system("public"),
        now,
        "feedback.support_request",
        item.id,
        None,
        None,
    )
    .await?;
    Ok(())
}

/// The mailed link was opened: the support counts (once per address).
pub async fn confirm_support(db: &Db, token: &str) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let bad = || AppError::invalid(FieldError::new("token", "err-support-link"));
    let token_hash = sha256_hex(token);
    let (item_id, email_hash, created) =
        store::feedback::open_support_request(&mut tx.conn(), &token_hash)
            .await?
            .ok_or_else(bad)?;
    if now - created > Duration::days(SUPPORT_LINK_DAYS) {
        return Err(bad());
    }
    let item = store::feedback::get(&mut tx.conn(), item_id)
        .await?
        .ok_or(AppError::NotFound)?;
    check_supportable(&item)?;
    store::feedback::close_support_request(&mut tx.conn(), &token_hash, now).await?;
    let item = add_support(
        tx,
        item,
        &format!("email:{email_hash}"),
        &Actor::system("public"),
        now,
    )
    .await?;
    Ok(PublicItem::from(&item))
}

/// A published recommendation or initiative (reports are not supported, only answered).
async fn supportable(c: &mut crate::db::DbConn<'_>, code: &TrackingCode) -> AppResult<Item> {
    let item = store::feedback::by_code(c, code)
        .await?
        .ok_or(AppError::NotFound)?;
    check_supportable(&item)?;
    Ok(item)
}

fn check_supportable(item: &Item) -> AppResult<()> {
    if fb::supportable(item.kind, item.state, item.text_withheld()) {
        Ok(())
    } else {
        Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-support-not-open",
        )]))
    }
}

/// Counts the support and commits it with its audit record.
async fn add_support(
    mut tx: crate::db::Tx,
    mut item: Item,
    supporter: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Item> {
    let c = &mut tx.conn();
    if !store::feedback::add_support(c, item.id, supporter, now).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-supported",
        )]));
    }
    item.supports += 1;
    store::feedback::update(c, &item).await?;
    commit_item(
        tx,
        actor,
        now,
        "feedback.support",
        item.id,
        None,
        Some(serde_json::json!({ "supports": item.supports }).to_string()),
    )
    .await?;
    Ok(item)
}
