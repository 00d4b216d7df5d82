//! Shared by the feedback use cases: limits, the working-day clock of an item, deadline rules per kind,
//! the triage unit, the audit record of an item, the mail to its sender, and the public view of an item.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::auth::sha256_hex;
use crate::clean_opt;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::notify;
use domain::FieldError;
use domain::feedback::{self as fb};
use domain::policy::{Action, Principal};
use domain::workdays::Calendar;
use store::audit::{Actor, Change};
use store::feedback::{Item, KindRule};
use store::{self};

pub const TITLE_MAX: usize = 200;

pub const BODY_MIN: usize = 20;

pub const BODY_MAX: usize = 10_000;

/// Working days to answer (configurable per kind in a later step; the law's usual figure).
pub const ANSWER_DAYS: u32 = 15;

/// At most two extensions, the submitter told each time.
pub const MAX_EXTENSIONS: i32 = 2;

/// Days after the answer within which a poor rating may be appealed.
pub const APPEAL_DAYS: i64 = 30;

/// Submissions per address per hour, and per email per day.
pub const PER_IP_HOUR: usize = 30;

pub const PER_EMAIL_DAY: i64 = 10;

/// The calendar: the built-in official days off plus the ones stored by administrators.
pub async fn calendar(db: &Db) -> AppResult<Calendar> {
    let mut c = db.acquire().await?;
    let extra = store::feedback::holidays(&mut c.conn()).await?;
    let mut cal = Calendar::builtin();
    for (d, kind) in extra {
        cal.set(d, kind == "holiday");
    }
    Ok(cal)
}

pub(super) fn item_clock(i: &Item) -> fb::ItemClock {
    fb::ItemClock {
        from: i.clock_from,
        allowed: i.allowed_days.max(0) as u32,
        extension_days: i.extension_days.max(0) as u32,
        extensions: i.extensions.max(0) as u32,
        paused_days: i.paused_days.max(0) as u32,
    }
}

pub(super) fn set_clock(i: &mut Item, c: fb::ItemClock) {
    i.clock_from = c.from;
    i.allowed_days = c.allowed as i32;
    i.extension_days = c.extension_days as i32;
    i.extensions = c.extensions as i32;
    i.paused_days = c.paused_days as i32;
}

/// An item's answer deadline from its stored clock, the working days spent paused added back.
pub fn deadline_of(cal: &Calendar, i: &Item) -> NaiveDate {
    item_clock(i).deadline(cal)
}

/// Writes an item's audit record and commits (see `store::audit::commit`).
pub(super) async fn commit_item(
    tx: crate::db::Tx,
    actor: &Actor,
    now: DateTime<Utc>,
    action: &'static str,
    id: i64,
    before: Option<String>,
    after: Option<String>,
) -> AppResult<()> {
    let change = Change {
        action,
        object_type: "feedback",
        object_id: id.to_string(),
        before,
        after,
    };
    store::audit::commit(tx, actor, now, vec![change]).await
}

/// The item, read in the caller's transaction, once the caller is known to handle it.
pub(super) async fn item_to_handle(
    c: &mut crate::db::DbConn<'_>,
    who: &Principal,
    id: i64,
) -> AppResult<Item> {
    let item = store::feedback::get(c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::require_on_unit(c, Some(who), Action::HandleFeedback, item.unit_id).await?;
    Ok(item)
}

/// A public answer as typed: trimmed, None when empty, refused when over-long.
pub(super) fn answer_text(raw: Option<String>) -> AppResult<Option<String>> {
    let a = clean_opt(raw);
    if a.as_ref().is_some_and(|a| a.chars().count() > BODY_MAX) {
        return Err(AppError::invalid(
            FieldError::new("answer", "err-too-long").with("max", BODY_MAX),
        ));
    }
    Ok(a)
}

/// The built-in deadline rules, for a kind whose row an administrator removed.
pub(super) fn builtin_rule(kind: &str) -> KindRule {
    KindRule {
        kind: kind.into(),
        accept_days: 3,
        answer_days: ANSWER_DAYS as i32,
        appeal_days: APPEAL_DAYS as i32,
        transfer_clock: "restart".into(),
    }
}

/// The rules of a kind among those already read.
pub(super) fn rule_in(rules: &[KindRule], kind: fb::Kind) -> KindRule {
    rules
        .iter()
        .find(|r| r.kind == kind.as_str())
        .cloned()
        .unwrap_or_else(|| builtin_rule(kind.as_str()))
}

/// The deadline rules of a kind, read from the database.
pub(super) async fn rule_for(c: &mut crate::db::DbConn<'_>, kind: fb::Kind) -> AppResult<KindRule> {
    Ok(store::feedback::kind_rule(c, kind.as_str())
        .await?
        .unwrap_or_else(|| builtin_rule(kind.as_str())))
}

/// The standing agency that triages what no rule routes.
pub(super) async fn triage_unit(c: &mut crate::db::DbConn<'_>) -> AppResult<i64> {
    for code in ["BCDTW", "VN"] {
        if let Some(u) = store::org::find_current_by_code(c, code).await? {
            return Ok(u.id);
        }
    }
    Err(AppError::Internal("no triage unit".into()))
}

/// Queues a mail to the submitter about a public step.
pub(super) async fn notify_submitter(
    c: &mut crate::db::DbConn<'_>,
    item: &Item,
    email: &str,
    step: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let m = notify::feedback_step(
        item.lang,
        &item.code,
        &item.public_title,
        item.deadline_on,
        step,
    );
    let key = format!(
        "mail:feedback:{}:{step}:{}",
        item.code,
        now.timestamp_millis()
    );
    notify::queue_mail(c, &key, vec![email.to_string()], m, now).await?;
    Ok(())
}

/// An item that reaches a unit moderating before publication (a transfer, an appeal), unreviewed,
/// is held: its public text waits for a moderator. Called only when the unit changes: what a unit
/// already holds stays as it was when the unit turns moderation on. A reviewed item stays public
/// wherever it goes.
pub(super) async fn hold_if_moderated_first(
    c: &mut crate::db::DbConn<'_>,
    item: &mut Item,
) -> AppResult<()> {
    if item.moderated_on.is_none() && !item.held {
        let (_, moderate_first) = store::feedback::unit_settings(c, item.unit_id).await?;
        item.held = moderate_first;
    }
    Ok(())
}

/// What anyone may see of an item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicItem {
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: fb::Kind,
    pub category: String,
    pub title: String,
    pub body: String,
    /// Only when the submitter agreed to publish it.
    pub name: Option<String>,
    pub unit_id: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: fb::State,
    pub submitted_on: NaiveDate,
    /// When it was sent, to the second.
    pub submitted_at: DateTime<Utc>,
    pub deadline_on: Option<NaiveDate>,
    pub answer: Option<String>,
    pub answered_on: Option<NaiveDate>,
    pub rating: Option<i32>,
    pub supports: i32,
    pub moderation_note: Option<String>,
    /// The unit reviews what is sent to it before publishing it, and no one has yet: title, body
    /// and name are withheld.
    pub awaiting_moderation: bool,
    /// adopted, adopted_in_part or declined (initiatives and recommendations).
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    /// The task it became: its status shows on the tracking page.
    pub task_id: Option<i64>,
}

impl PublicItem {
    /// The item with the text as its sender wrote it: for the sender's own list and the officers
    /// who handle it, who read it whether or not it is public.
    pub fn as_written(i: &Item) -> Self {
        PublicItem {
            title: i.title.clone(),
            body: i.body.clone(),
            name: i.name.clone(),
            ..PublicItem::from(i)
        }
    }
}

impl From<&Item> for PublicItem {
    fn from(i: &Item) -> Self {
        let hidden = i.text_withheld();
        PublicItem {
            code: i.code.clone(),
            kind: i.kind,
            category: i.category.clone(),
            title: if hidden {
                String::new()
            } else {
                i.public_title.clone()
            },
            body: if hidden {
                String::new()
            } else {
                i.public_body.clone()
            },
            name: i.name.clone().filter(|_| i.publish_name && !hidden),
            unit_id: i.unit_id,
            state: i.state,
            submitted_on: i.submitted_on,
            submitted_at: i.submitted_at,
            deadline_on: i.deadline_on,
            answer: i.answer.clone(),
            answered_on: i.answered_on,
            rating: i.rating,
            supports: i.supports,
            moderation_note: i.moderation_note.clone(),
            awaiting_moderation: i.awaiting_moderation(),
            decision: i.decision.clone(),
            decision_reason: i.decision_reason.clone(),
            task_id: i.task_id,
        }
    }
}

pub(super) fn secret_ok(i: &Item, secret: &str) -> bool {
    crate::auth::constant_time_eq(&i.secret_hash, &sha256_hex(secret))
}
