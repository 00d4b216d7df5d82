//! The sender's side after intake: the tracking page (public history; with the secret, the private
//! details), the rating and the appeal.

use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

use super::common::*;
use crate::clean_opt;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::feedback::{self as fb, Action as Move, State, TrackingCode};
use domain::text::nfc;
use store::audit::Actor;
use store::feedback::Event;
use store::{self};

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Private {
    pub title: String,
    pub body: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The files the sender attached.
    pub files: Vec<store::feedback::ItemFile>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tracking {
    pub item: PublicItem,
    /// The public steps (internal notes are not shown).
    pub history: Vec<Event>,
    /// Only with the right secret.
    pub private: Option<Private>,
    /// With the secret: whether a rating, and an appeal, are open now.
    pub can_rate: bool,
    pub can_appeal: bool,
    /// Merged as a duplicate: the tracking code of the item it joined, followed there.
    pub merged_into: Option<String>,
}

/// The tracking page's data; a secret that does not match is an error, not a silent downgrade.
pub async fn track(db: &Db, code: &TrackingCode, secret: Option<&str>) -> AppResult<Tracking> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let item = store::feedback::by_code(&mut c, code)
        .await?
        .ok_or(AppError::NotFound)?;
    let with_secret = match secret.filter(|s| !s.is_empty()) {
        None => false,
        Some(s) if secret_ok(&item, s) => true,
        Some(_) => {
            return Err(AppError::invalid(FieldError::new(
                "secret",
                "err-wrong-secret",
            )));
        }
    };
    let history = store::feedback::events(&mut c, item.id)
        .await?
        .into_iter()
        .filter(|e| e.public)
        .collect();
    let files = if with_secret {
        store::feedback::files_of(&mut c, item.id).await?
    } else {
        vec![]
    };
    let merged_into = match item.merged_into {
        Some(id) => store::feedback::get(&mut c, id).await?.map(|t| t.code),
        None => None,
    };
    let today = domain::clock::local_date(Utc::now());
    let answered = matches!(item.state, State::Answered | State::Closed);
    let poorly_rated = with_secret && answered && item.rating.is_some_and(|r| r <= 2);
    let can_appeal = poorly_rated && {
        let days = rule_for(&mut c, item.kind).await?.appeal_days;
        item.answered_on
            .is_some_and(|d| today <= d + Duration::days(days.into()))
    };
    Ok(Tracking {
        merged_into,
        can_rate: with_secret && answered && item.rating.is_none(),
        can_appeal,
        private: with_secret.then(|| Private {
            title: item.title.clone(),
            body: item.body.clone(),
            name: item.name.clone(),
            email: item.email.clone(),
            phone: item.phone.clone(),
            files,
        }),
        item: PublicItem::from(&item),
        history,
    })
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub secret: String,
    /// 1 (very poor) to 5 (very good).
    pub rating: i32,
    pub comment: Option<String>,
}

/// The submitter rates the answer, once.
pub async fn rate(db: &Db, code: &TrackingCode, input: Rating) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut item = store::feedback::by_code(&mut tx.conn(), code)
        .await?
        .ok_or(AppError::NotFound)?;
    if !secret_ok(&item, &input.secret) {
        return Err(AppError::invalid(FieldError::new(
            "secret",
            "err-wrong-secret",
        )));
    }
    if !(1..=5).contains(&input.rating) {
        return Err(AppError::invalid(
            FieldError::new("rating", "err-range")
                .with("min", 1)
                .with("max", 5),
        ));
    }
    if !matches!(item.state, State::Answered | State::Closed) {
        return Err(AppError::Conflict(vec![FieldError::new(
            "rating",
            "err-not-answered",
        )]));
    }
    if item.rating.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "rating",
            "err-already-rated",
        )]));
    }
    item.rating = Some(input.rating);
    item.rating_comment = clean_opt(input.comment);
    item.rated_on = Some(domain::clock::local_date(now));
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        item.id,
        now,
        "rate",
        (Some(item.state.as_str()), Some(item.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        None,
        Some(&input.rating.to_string()),
        true,
    )
    .await?;
    commit_item(
        tx,
        &Actor::system("public"),
        now,
        "feedback.rate",
        item.id,
        None,
        Some(serde_json::json!({ "rating": input.rating }).to_string()),
    )
    .await?;
    Ok(PublicItem::from(&item))
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    pub secret: String,
    pub reason: String,
}

/// After a rating of 1 or 2, within the period: the item reopens one level up (the province for a
/// commune, the Steering Committee for a province or a ministry), with a fresh clock.
pub async fn appeal(db: &Db, code: &TrackingCode, input: AppealInput) -> AppResult<PublicItem> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let mut tx = db.begin().await?;
    let mut item = store::feedback::by_code(&mut tx.conn(), code)
        .await?
        .ok_or(AppError::NotFound)?;
    if !secret_ok(&item, &input.secret) {
        return Err(AppError::invalid(FieldError::new(
            "secret",
            "err-wrong-secret",
        )));
    }
    let reason = nfc(&input.reason);
    if reason.is_empty() {
        return Err(AppError::invalid(FieldError::new("reason", "err-required")));
    }
    if item.rating.is_none_or(|r| r > 2) {
        return Err(AppError::Conflict(vec![FieldError::new(
            "rating",
            "err-appeal-needs-poor-rating",
        )]));
    }
    let days = rule_for(&mut tx.conn(), item.kind).await?.appeal_days;
    if item
        .answered_on
        .is_none_or(|d| today > d + Duration::days(days.into()))
    {
        return Err(AppError::Conflict(vec![
            FieldError::new("reason", "err-appeal-too-late").with("days", days),
        ]));
    }
    let state = item.state;
    let next = fb::next(state, Move::Appeal, None).map_err(|e| AppError::Conflict(vec![e]))?;
    let unit = store::org::get(&mut tx.conn(), item.unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let parent = match unit.kind.as_str() {
        "commune" | "ward" | "special_zone" => unit.parent_id,
        _ => None,
    };
    let up = match parent {
        Some(p) => p,
        None => triage_unit(&mut tx.conn()).await?,
    };
    let from_unit = item.unit_id;
    item.state = next;
    item.unit_id = up;
    item.answer = None;
    item.answered_on = None;
    item.closed_on = None;
    // A fresh clock from today: the appeal is judged on its own time.
    item.clock_from = today;
    item.extensions = 0;
    item.extension_days = 0;
    item.paused_days = 0;
    item.deadline_on = Some(deadline_of(&cal, &item));
    hold_if_moderated_first(&mut tx.conn(), &mut item).await?;
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        item.id,
        now,
        "appeal",
        (Some(state.as_str()), Some(from_unit)),
        (next.as_str(), Some(up)),
        None,
        Some(&reason),
        true,
    )
    .await?;
    commit_item(
        tx,
        &Actor::system("public"),
        now,
        "feedback.appeal",
        item.id,
        Some(serde_json::json!({ "unit_id": from_unit }).to_string()),
        Some(serde_json::json!({ "unit_id": up, "reason": reason }).to_string()),
    )
    .await?;
    Ok(PublicItem::from(&item))
}
