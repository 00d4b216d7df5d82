//! The officers' moves on an item (accept, transfer, answer, close, merge…), the moves offered to
//! an officer, and moderation of the public text.

use chrono::Utc;
use serde::Deserialize;

use super::common::*;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::{clean_opt, require, require_on_unit};
use domain::FieldError;
use domain::feedback::{self as fb, Action as Move, TrackingCode};
use domain::policy::{Action, Decision, Principal, Scope, authorize};
use domain::text::nfc;
use store::audit::Actor;
use store::feedback::{Event, Item};
use store::{self};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = FeedbackMoveInput))]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// accept, decline, assign, start, request_info, info_received, transfer, accept_transfer,
    /// refuse_transfer, answer, close, merge; or extend.
    pub action: String,
    /// The reason or message (shown to the submitter unless `internal`).
    pub note: Option<String>,
    #[serde(default)]
    pub internal: bool,
    /// Transfer: the receiving unit.
    pub to_unit: Option<i64>,
    /// Answer: the public answer.
    pub answer: Option<String>,
    /// Merge: the item this one duplicates (its tracking code).
    pub into: Option<String>,
    /// Extend: working days added.
    pub days: Option<u32>,
    /// Categorise: the item's new category (its code).
    pub category: Option<String>,
}

/// An officer moves an item on. Everything (state, clock, history, mail to the submitter, audit)
/// in one transaction.
pub async fn act(db: &Db, who: &Principal, id: i64, input: MoveInput) -> AppResult<Item> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let mut tx = db.begin().await?;
    let before = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let state = before.state;
    let note = clean_opt(input.note.clone());
    let mut item = before.clone();
    let mut to_unit = before.unit_id;
    let action_name: String;
    // Extending and recategorising change neither state nor unit: for those who handle the item.
    if matches!(input.action.as_str(), "extend" | "categorise") {
        require_on_unit(
            &mut tx.conn(),
            Some(who),
            Action::HandleFeedback,
            before.unit_id,
        )
        .await?;
    }
    if input.action == "extend" {
        let days = input.days.unwrap_or(0);
        let mut errs = vec![];
        if !(1..=15).contains(&days) {
            errs.push(
                FieldError::new("days", "err-range")
                    .with("min", 1)
                    .with("max", 15),
            );
        }
        if note.is_none() {
            errs.push(FieldError::new("note", "err-required"));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        if !state.is_open() {
            return Err(AppError::Conflict(vec![FieldError::new(
                "action",
                "err-item-closed",
            )]));
        }
        if before.extensions >= MAX_EXTENSIONS {
            return Err(AppError::Conflict(vec![
                FieldError::new("days", "err-extensions-exhausted").with("max", MAX_EXTENSIONS),
            ]));
        }
        item.extensions += 1;
        item.extension_days += days as i32;
        item.deadline_on = Some(deadline_of(&cal, &item));
        action_name = "extend".into();
    } else if input.action == "categorise" {
        // A citizen's category can be wrong; the officer puts the item where it belongs (the
        // routing suggestions show the likely one). No state change, no clock change.
        if !state.is_open() {
            return Err(AppError::Conflict(vec![FieldError::new(
                "action",
                "err-item-closed",
            )]));
        }
        let code = input.category.as_deref().map(str::trim).unwrap_or("");
        let known = store::feedback::categories(&mut tx.conn())
            .await?
            .iter()
            .any(|c| c.code == code);
        if !known || code == before.category {
            return Err(AppError::invalid(FieldError::new(
                "category",
                if code.is_empty() {
                    "err-required"
                } else if known {
                    "err-same-category"
                } else {
                    "err-unknown-category"
                },
            )));
        }
        item.category = code.to_string();
        store::feedback::set_category(&mut tx.conn(), id, code).await?;
        action_name = "categorise".into();
    } else {
        let Some(mut mv) =
            Move::parse(&input.action).filter(|m| !matches!(m, Move::Appeal | Move::SubmitAnswer))
        else {
            return Err(AppError::invalid(FieldError::new(
                "action",
                "err-unknown-action",
            )));
        };
        // The receiving unit accepts or refuses a transfer; everything else is for the holder.
        let chain = store::org::chain(&mut tx.conn(), before.unit_id).await?;
        require(Some(who), Action::HandleFeedback, Scope::Unit(&chain))?;
        let may_approve =
            authorize(Some(who), Action::ApproveAnswer, Scope::Unit(&chain)) == Decision::Allow;
        if matches!(mv, Move::Approve | Move::ReturnDraft) && !may_approve {
            return Err(AppError::Forbidden);
        }
        if mv == Move::Answer {
            let (needs, _) = store::feedback::unit_settings(&mut tx.conn(), before.unit_id).await?;
            mv = fb::answer_move(needs, may_approve);
        }
        let before_wait = before.before_wait()?;
        let next = fb::next(state, mv, before_wait).map_err(|e| AppError::Conflict(vec![e]))?;
        if mv.needs_reason() && note.is_none() {
            return Err(AppError::invalid(FieldError::new(
                "note",
                "err-reason-required",
            )));
        }
        match mv {
            Move::Transfer => {
                let target = input
                    .to_unit
                    .ok_or_else(|| AppError::invalid(FieldError::new("to_unit", "err-required")))?;
                match store::org::get(&mut tx.conn(), target).await? {
                    Some(u) if !u.historical() && u.id != before.unit_id => to_unit = u.id,
                    _ => {
                        return Err(AppError::invalid(FieldError::new(
                            "to_unit",
                            "err-no-such-unit",
                        )));
                    }
                }
            }
            Move::RefuseTransfer => {
                // Back to the unit that sent it.
                to_unit = store::feedback::events(&mut tx.conn(), id)
                    .await?
                    .iter()
                    .rev()
                    .find(|e| e.action == "transfer")
                    .and_then(|e| e.from_unit)
                    .unwrap_or(before.unit_id);
            }
            Move::RequestInfo => {
                item.before_wait = Some(state.as_str().into());
                item.paused_since = Some(today);
                item.deadline_on = None;
            }
            Move::InfoReceived => {
                if let Some(since) = before.paused_since {
                    item.paused_days += cal.working_days_between(since, today) as i32;
                }
                item.paused_since = None;
                item.before_wait = None;
            }
            Move::Answer | Move::SubmitAnswer => {
                let answer = answer_text(input.answer.clone())?
                    .ok_or_else(|| AppError::invalid(FieldError::new("answer", "err-required")))?;
                if mv == Move::Answer {
                    item.answer = Some(answer);
                    item.answered_on = Some(today);
                    item.draft_answer = None;
                } else {
                    item.draft_answer = Some(answer);
                }
            }
            Move::Approve => {
                // The leader may edit the draft before publishing it.
                let answer = answer_text(input.answer.clone())?
                    .or_else(|| before.draft_answer.clone())
                    .ok_or_else(|| {
                        AppError::Conflict(vec![FieldError::new("answer", "err-no-draft")])
                    })?;
                item.answer = Some(answer);
                item.answered_on = Some(today);
                item.draft_answer = None;
            }
            Move::AcceptTransfer => {
                let rule = rule_for(&mut tx.conn(), before.kind).await?;
                let how = fb::TransferClock::parse(&rule.transfer_clock)
                    .unwrap_or(fb::TransferClock::Restart);
                set_clock(
                    &mut item,
                    item_clock(&before).after_transfer(how, today, rule.answer_days.max(1) as u32),
                );
            }
            Move::Close => item.closed_on = Some(today),
            Move::Merge => {
                let unknown = || AppError::invalid(FieldError::new("into", "err-no-such-item"));
                let into = input
                    .into
                    .as_deref()
                    .and_then(|c| TrackingCode::parse(c.trim()))
                    .ok_or_else(unknown)?;
                let target = store::feedback::by_code(&mut tx.conn(), &into)
                    .await?
                    .filter(|t| t.id != id)
                    .ok_or_else(unknown)?;
                item.merged_into = Some(target.id);
            }
            _ => {}
        }
        item.state = next;
        item.unit_id = to_unit;
        if to_unit != before.unit_id {
            hold_if_moderated_first(&mut tx.conn(), &mut item).await?;
        }
        if item.paused_since.is_none() && next.is_open() {
            item.deadline_on = Some(deadline_of(&cal, &item));
        }
        action_name = mv.as_str().into();
    }
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        id,
        now,
        &action_name,
        (Some(before.state.as_str()), Some(before.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        Some(who.user_id),
        note.as_deref(),
        !input.internal && !matches!(action_name.as_str(), "submit_answer" | "return_draft"),
    )
    .await?;
    let tell = matches!(
        action_name.as_str(),
        "accept"
            | "decline"
            | "request_info"
            | "transfer"
            | "answer"
            | "approve"
            | "extend"
            | "interim"
    );
    // A draft and its return are between the officer and the leader.
    let public =
        !input.internal && !matches!(action_name.as_str(), "submit_answer" | "return_draft");
    if tell
        && public
        && let Some(e) = &item.email
    {
        let step = if matches!(action_name.as_str(), "answer" | "approve") {
            "answered"
        } else {
            "updated"
        };
        notify_submitter(&mut tx.conn(), &item, e, step, now).await?;
    }
    let was = serde_json::json!({
        "state": before.state, "unit_id": before.unit_id, "category": before.category
    });
    let is = serde_json::json!({
        "action": action_name, "state": item.state, "unit_id": item.unit_id,
        "category": item.category, "note": note
    });
    commit_item(
        tx,
        &Actor::of(who),
        now,
        "feedback.move",
        id,
        Some(was.to_string()),
        Some(is.to_string()),
    )
    .await?;
    Ok(item)
}

/// The moves this person may make on the item now (for the item page's menu).
pub async fn moves_for(db: &Db, who: &Principal, item: &Item) -> AppResult<Vec<&'static str>> {
    let mut c = db.acquire().await?;
    let chain = store::org::chain(&mut c.conn(), item.unit_id).await?;
    if authorize(Some(who), Action::HandleFeedback, Scope::Unit(&chain)) != Decision::Allow {
        return Ok(vec![]);
    }
    let may_approve =
        authorize(Some(who), Action::ApproveAnswer, Scope::Unit(&chain)) == Decision::Allow;
    let state = item.state;
    let before_wait = item.before_wait()?;
    let mut moves: Vec<&'static str> = Move::ALL
        .iter()
        .filter(|m| !matches!(m, Move::Appeal | Move::SubmitAnswer))
        .filter(|m| may_approve || !matches!(m, Move::Approve | Move::ReturnDraft))
        .filter(|m| fb::next(state, **m, before_wait).is_ok())
        .map(|m| m.as_str())
        .collect();
    if state.is_open() {
        moves.push("extend");
        moves.push("categorise");
    }
    Ok(moves)
}

/// An item with its private details and whole history, for the officers who hold it.
pub async fn item_for_officer(db: &Db, who: &Principal, id: i64) -> AppResult<(Item, Vec<Event>)> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let item = store::feedback::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(&mut c, Some(who), Action::ReadFeedback, item.unit_id).await?;
    let events = store::feedback::events(&mut c, id).await?;
    Ok((item, events))
}

/// The files attached to an item, for the officers who may read it.
pub async fn files_for_officer(
    db: &Db,
    who: &Principal,
    item: &Item,
) -> AppResult<Vec<store::feedback::ItemFile>> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    require_on_unit(&mut c, Some(who), Action::ReadFeedback, item.unit_id).await?;
    store::feedback::files_of(&mut c, item.id).await
}

/// One attached file and its bytes: for an officer who may read the item, or for its sender
/// with the item's code and secret. Anyone else is told it does not exist.
pub async fn attached_file(
    db: &Db,
    data_dir: &std::path::Path,
    who: Option<&Principal>,
    sender: Option<(&str, &str)>,
    file_id: i64,
) -> AppResult<(store::feedback::ItemFile, Vec<u8>)> {
    // The connection goes back to the pool before the file is read.
    let f = {
        let mut c = db.acquire().await?;
        let mut c = c.conn();
        let f = store::feedback::get_file(&mut c, file_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let item = store::feedback::get(&mut c, f.item_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let by_sender = sender
            .is_some_and(|(code, secret)| code == item.code && super::secret_ok(&item, secret));
        let by_officer = match who {
            Some(w) if !by_sender => {
                require_on_unit(&mut c, Some(w), Action::ReadFeedback, item.unit_id)
                    .await
                    .is_ok()
            }
            _ => false,
        };
        if !by_sender && !by_officer {
            return Err(AppError::NotFound);
        }
        f
    };
    let bytes = tokio::fs::read(data_dir.join(&f.stored_as))
        .await
        .map_err(AppError::internal)?;
    Ok((f, bytes))
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    /// Hide the item from the public pages (the original is always kept).
    pub hidden: Option<bool>,
    pub public_title: Option<String>,
    pub public_body: Option<String>,
    /// Why: shown to the submitter; required when anything changes (empty: reviewed as it is).
    #[serde(default)]
    pub note: String,
}

/// A moderator hides or edits what is published; the original is kept and the submitter told why.
pub async fn moderate(
    db: &Db,
    who: &Principal,
    id: i64,
    input: Moderation,
) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut item = item_to_handle(&mut tx.conn(), who, id).await?;
    let note = nfc(&input.note);
    let before = (
        item.hidden,
        item.public_title.clone(),
        item.public_body.clone(),
    );
    let mut errs = vec![];
    if let Some(t) = &input.public_title {
        let t = nfc(t);
        if t.is_empty() || t.chars().count() > TITLE_MAX {
            errs.push(FieldError::new("public_title", "err-too-long").with("max", TITLE_MAX));
        }
        item.public_title = t;
    }
    if let Some(b) = &input.public_body {
        let b = nfc(b);
        if b.chars().count() > BODY_MAX {
            errs.push(FieldError::new("public_body", "err-too-long").with("max", BODY_MAX));
        }
        item.public_body = b;
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if let Some(h) = input.hidden {
        item.hidden = h;
    }
    // Left as it was: reviewed, nothing to tell. Changed: the submitter is told why.
    let changed = before
        != (
            item.hidden,
            item.public_title.clone(),
            item.public_body.clone(),
        );
    if changed && note.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "note",
            "err-reason-required",
        )));
    }
    if changed {
        item.moderation_note = Some(note.clone());
    }
    item.moderated_on = Some(domain::clock::local_date(now));
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        id,
        now,
        "moderate",
        (Some(item.state.as_str()), Some(item.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        Some(who.user_id),
        Some(note.as_str()).filter(|n| !n.is_empty()),
        changed,
    )
    .await?;
    if changed && let Some(e) = item.email.clone() {
        notify_submitter(&mut tx.conn(), &item, &e, "updated", now).await?;
    }
    commit_item(
        tx,
        &Actor::of(who),
        now,
        "feedback.moderate",
        id,
        None,
        Some(serde_json::json!({ "hidden": item.hidden, "note": note }).to_string()),
    )
    .await?;
    Ok(PublicItem::from(&item))
}
