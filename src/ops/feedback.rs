//! Feedback use cases: public intake with a tracking code and secret, the tracking page, the
//! officers' moves (accept, transfer, answer…), rating and appeal, supports, and statistics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{clean_opt, require, require_on_unit};
use crate::db::Db;
use crate::domain::FieldError;
use crate::domain::feedback::{self as fb, Action as Move, Kind, State, Submitter};
use crate::domain::policy::{Action, Principal, Scope};
use crate::domain::text::nfc;
use crate::domain::workdays::{Calendar, Clock};
use crate::error::{AppError, AppResult};
use crate::store::audit::{Actor, Change};
use crate::store::feedback::{Event, Item};
use crate::store::{self};

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

/// Per-address submission counter (in memory: a flood is stopped before it reaches the database).
pub struct IntakeLimiter {
    seen: Mutex<HashMap<IpAddr, (Instant, usize)>>,
    per_hour: usize,
}

impl Default for IntakeLimiter {
    fn default() -> Self {
        IntakeLimiter::new(PER_IP_HOUR)
    }
}

impl IntakeLimiter {
    pub fn new(per_hour: usize) -> Self {
        IntakeLimiter {
            seen: Mutex::default(),
            per_hour,
        }
    }

    pub fn allow(&self, ip: IpAddr) -> bool {
        let mut m = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if m.len() > 100_000 {
            m.retain(|_, (t, _)| now.duration_since(*t) < StdDuration::from_secs(3600));
        }
        let e = m.entry(ip).or_insert((now, 0));
        if now.duration_since(e.0) >= StdDuration::from_secs(3600) {
            *e = (now, 0);
        }
        e.1 += 1;
        e.1 <= self.per_hour
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// report (phản ánh), recommendation (kiến nghị) or initiative (sáng kiến).
    pub kind: String,
    pub category: String,
    pub title: String,
    pub body: String,
    /// The ministry, province or commune concerned, if any.
    pub unit_id: Option<i64>,
    /// citizen, organisation, business or scientist.
    pub submitter_kind: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[serde(default)]
    pub publish_name: bool,
    /// Must stay empty (a field people never see; robots fill it).
    #[serde(default)]
    pub website: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    pub code: String,
    /// Shown once: with it, the tracking page shows the private details and lets the submitter rate.
    pub secret: String,
    pub deadline_on: Option<NaiveDate>,
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn valid_email(e: &str) -> bool {
    let Some((user, host)) = e.split_once('@') else {
        return false;
    };
    !user.is_empty() && host.contains('.') && !e.contains(char::is_whitespace) && e.len() <= 254
}

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

fn clock_of(i: &Item) -> Clock {
    Clock {
        started: i.clock_from,
        allowed: i.allowed_days.max(0) as u32,
        pauses: vec![],
        extensions: vec![i.extension_days.max(0) as u32],
    }
}

/// Deadline with the working days already spent paused added back.
fn deadline_of(cal: &Calendar, i: &Item) -> NaiveDate {
    let base = clock_of(i)
        .deadline(cal, i.clock_from)
        .unwrap_or(i.clock_from);
    cal.add_working_days(base, i.paused_days.max(0) as u32)
}

#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    limiter: &IntakeLimiter,
    ip: IpAddr,
    who: Option<&Principal>,
    input: Submission,
    files: Vec<super::work::Upload>,
    data_dir: &std::path::Path,
    max_file: usize,
) -> AppResult<Submitted> {
    if !limiter.allow(ip) {
        return Err(AppError::TooManyAttempts);
    }
    let mut errs = vec![];
    if !input.website.is_empty() {
        errs.push(FieldError::new("website", "err-spam"));
    }
    let kind = Kind::parse(&input.kind);
    if kind.is_none() {
        errs.push(FieldError::new("kind", "err-unknown-kind-feedback"));
    }
    let submitter = Submitter::parse(&input.submitter_kind);
    if submitter.is_none() {
        errs.push(FieldError::new("submitter_kind", "err-unknown-submitter"));
    }
    let title = nfc(&input.title);
    let body = nfc(&input.body);
    let n = title.chars().count();
    if n == 0 {
        errs.push(FieldError::new("title", "err-required"));
    } else if n > TITLE_MAX {
        errs.push(FieldError::new("title", "err-too-long").with("max", TITLE_MAX));
    }
    let n = body.chars().count();
    if n < BODY_MIN {
        errs.push(FieldError::new("body", "err-too-short").with("min", BODY_MIN));
    } else if n > BODY_MAX {
        errs.push(FieldError::new("body", "err-too-long").with("max", BODY_MAX));
    }
    let name = clean_opt(input.name);
    if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
        errs.push(FieldError::new("name", "err-too-long").with("max", 200));
    }
    let email = clean_opt(input.email).map(|e| e.to_lowercase());
    if email.as_deref().is_some_and(|e| !valid_email(e)) {
        errs.push(FieldError::new("email", "err-email"));
    }
    let phone = clean_opt(input.phone);
    if phone.as_deref().is_some_and(|p| {
        p.len() > 20
            || !p
                .chars()
                .all(|c| c.is_ascii_digit() || "+ .-()".contains(c))
    }) {
        errs.push(FieldError::new("phone", "err-phone"));
    }
    let mut c = db.acquire().await?;
    let categories = store::feedback::categories(&mut c.conn()).await?;
    if !categories.iter().any(|x| x.code == input.category) {
        errs.push(FieldError::new("category", "err-unknown-category"));
    }
    if let Some(u) = input.unit_id {
        match store::org::get(&mut c.conn(), u).await? {
            Some(unit) if !unit.historical() => {}
            _ => errs.push(FieldError::new("unit_id", "err-no-such-unit")),
        }
    }
    if let Some(e) = &email
        && store::feedback::count_by_email_since(&mut c.conn(), e, Utc::now() - Duration::days(1))
            .await?
            >= PER_EMAIL_DAY
    {
        return Err(AppError::TooManyAttempts);
    }
    drop(c);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let stored = super::work::store_files(data_dir, max_file, &files).await?;
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    let routes = store::feedback::routes(&mut tx.conn()).await?;
    let triage = triage_unit(&mut tx.conn()).await?;
    let unit = fb::route(&routes, &input.category, input.unit_id, triage);
    let seq = store::feedback::next_seq(&mut tx.conn(), today).await?;
    let code = fb::tracking_code(today, seq);
    let secret = crate::auth::random_token();
    let mut item = Item {
        id: 0,
        code: code.clone(),
        secret_hash: hash(&secret),
        kind: kind.map(|k| k.as_str()).unwrap_or_default().into(),
        category: input.category.clone(),
        public_title: title.clone(),
        public_body: body.clone(),
        title,
        body,
        hidden: false,
        moderation_note: None,
        concerned_unit_id: input.unit_id,
        unit_id: unit,
        state: State::Received.as_str().into(),
        before_wait: None,
        submitter_kind: submitter.map(|k| k.as_str()).unwrap_or_default().into(),
        name,
        email: email.clone(),
        phone,
        publish_name: input.publish_name,
        user_id: who.map(|p| p.user_id),
        submitted_at: now,
        submitted_on: today,
        clock_from: today,
        allowed_days: ANSWER_DAYS as i32,
        extension_days: 0,
        extensions: 0,
        paused_days: 0,
        paused_since: None,
        deadline_on: None,
        answer: None,
        answered_on: None,
        closed_on: None,
        rating: None,
        rating_comment: None,
        rated_on: None,
        appeal_of: None,
        merged_into: None,
        supports: 0,
        decision: None,
        decision_reason: None,
        decided_on: None,
        task_id: None,
    };
    item.deadline_on = Some(deadline_of(&cal, &item));
    item.id = store::feedback::insert(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        item.id,
        now,
        "submit",
        (None, None),
        (State::Received.as_str(), Some(unit)),
        who.map(|p| p.user_id),
        None,
        true,
    )
    .await?;
    for s in &stored {
        store::feedback::insert_file(&mut tx.conn(), item.id, s, now).await?;
    }
    if let Some(e) = &email {
        notify_submitter(&mut tx.conn(), &item, e, "received", now).await?;
    }
    store::audit::append(
        &mut tx.conn(),
        &who.map(Actor::of).unwrap_or_else(|| Actor::system("public")),
        now,
        vec![Change {
            action: "feedback.submit",
            object_type: "feedback",
            object_id: item.id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "code": code, "unit_id": unit, "kind": item.kind, "category": item.category, "ip": ip.to_string() })
                    .to_string(),
            ),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(Submitted {
        code,
        secret,
        deadline_on: item.deadline_on,
    })
}

/// The standing agency that triages what no rule routes.
async fn triage_unit(c: &mut crate::db::DbConn<'_>) -> AppResult<i64> {
    for code in ["BCDTW", "VN"] {
        if let Some(u) = store::org::find_current_by_code(c, code).await? {
            return Ok(u.id);
        }
    }
    Err(AppError::Internal("no triage unit".into()))
}

/// Queues a mail to the submitter about a public step.
async fn notify_submitter(
    c: &mut crate::db::DbConn<'_>,
    item: &Item,
    email: &str,
    step: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let lang = crate::web::i18n::Lang::Vi;
    let params = [
        ("code".to_string(), item.code.clone()),
        (
            "title".to_string(),
            item.public_title.chars().take(120).collect(),
        ),
        (
            "deadline".to_string(),
            item.deadline_on.map(|d| lang.date(d)).unwrap_or_default(),
        ),
    ];
    let payload = serde_json::json!({
        "to": [email],
        "subject": lang.tf(&format!("mail-feedback-{step}-subject"), &params),
        "text": format!("{}\n\n{}\n/feedback/track/{}\n", lang.tf(&format!("mail-feedback-{step}-body"), &params), lang.t("mail-feedback-track"), item.code),
    });
    store::jobs::enqueue(
        c,
        "mail",
        &format!(
            "mail:feedback:{}:{step}:{}",
            item.code,
            now.timestamp_millis()
        ),
        &payload.to_string(),
        now,
        now,
    )
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Private {
    pub title: String,
    pub body: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tracking {
    pub item: PublicItem,
    /// The public steps (internal notes are not shown).
    pub history: Vec<Event>,
    /// Only with the right secret.
    pub private: Option<Private>,
    /// With the secret: whether a rating, and an appeal, are open now.
    pub can_rate: bool,
    pub can_appeal: bool,
}

/// What anyone may see of an item.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicItem {
    pub code: String,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub body: String,
    /// Only when the submitter agreed to publish it.
    pub name: Option<String>,
    pub unit_id: i64,
    pub state: String,
    pub submitted_on: NaiveDate,
    pub deadline_on: Option<NaiveDate>,
    pub answer: Option<String>,
    pub answered_on: Option<NaiveDate>,
    pub rating: Option<i32>,
    pub supports: i32,
    pub moderation_note: Option<String>,
    /// adopted, adopted_in_part or declined (initiatives and recommendations).
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    /// The task it became: its status shows on the tracking page.
    pub task_id: Option<i64>,
}

impl From<&Item> for PublicItem {
    fn from(i: &Item) -> Self {
        let hidden = i.hidden;
        PublicItem {
            code: i.code.clone(),
            kind: i.kind.clone(),
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
            state: i.state.clone(),
            submitted_on: i.submitted_on,
            deadline_on: i.deadline_on,
            answer: i.answer.clone(),
            answered_on: i.answered_on,
            rating: i.rating,
            supports: i.supports,
            moderation_note: i.moderation_note.clone(),
            decision: i.decision.clone(),
            decision_reason: i.decision_reason.clone(),
            task_id: i.task_id,
        }
    }
}

fn secret_ok(i: &Item, secret: &str) -> bool {
    crate::auth::constant_time_eq(&i.secret_hash, &hash(secret))
}

/// The tracking page's data; a secret that does not match is an error, not a silent downgrade.
pub async fn track(db: &Db, code: &str, secret: Option<&str>) -> AppResult<Tracking> {
    if !fb::is_tracking_code(code) {
        return Err(AppError::NotFound);
    }
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
    let today = Utc::now().date_naive();
    let answered = matches!(
        State::parse(&item.state),
        Some(State::Answered | State::Closed)
    );
    Ok(Tracking {
        can_rate: with_secret && answered && item.rating.is_none(),
        can_appeal: with_secret
            && answered
            && item.rating.is_some_and(|r| r <= 2)
            && item
                .answered_on
                .is_some_and(|d| today <= d + Duration::days(APPEAL_DAYS)),
        private: with_secret.then(|| Private {
            title: item.title.clone(),
            body: item.body.clone(),
            name: item.name.clone(),
            email: item.email.clone(),
            phone: item.phone.clone(),
        }),
        item: PublicItem::from(&item),
        history,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
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
}

/// An officer moves an item on. Everything (state, clock, history, mail to the submitter, audit)
/// in one transaction.
pub async fn act(db: &Db, who: &Principal, id: i64, input: MoveInput) -> AppResult<Item> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    let before = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let state = State::parse(&before.state).unwrap_or(State::Received);
    let note = clean_opt(input.note.clone());
    let mut item = before.clone();
    let mut to_unit = before.unit_id;
    let action_name: String;
    if input.action == "extend" {
        require_on_unit(
            &mut tx.conn(),
            Some(who),
            Action::HandleFeedback,
            before.unit_id,
        )
        .await?;
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
    } else {
        let Some(mv) = Move::parse(&input.action).filter(|m| *m != Move::Appeal) else {
            return Err(AppError::invalid(FieldError::new(
                "action",
                "err-unknown-action",
            )));
        };
        // The receiving unit accepts or refuses a transfer; everything else is for the holder.
        require_on_unit(
            &mut tx.conn(),
            Some(who),
            Action::HandleFeedback,
            before.unit_id,
        )
        .await?;
        let before_wait = before.before_wait.as_deref().and_then(State::parse);
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
            Move::Answer => {
                let answer = clean_opt(input.answer.clone())
                    .ok_or_else(|| AppError::invalid(FieldError::new("answer", "err-required")))?;
                if answer.chars().count() > BODY_MAX {
                    return Err(AppError::invalid(
                        FieldError::new("answer", "err-too-long").with("max", BODY_MAX),
                    ));
                }
                item.answer = Some(answer);
                item.answered_on = Some(today);
            }
            Move::Close => item.closed_on = Some(today),
            Move::Merge => {
                let into = input.into.as_deref().unwrap_or("");
                let target = store::feedback::by_code(&mut tx.conn(), into)
                    .await?
                    .filter(|t| t.id != id)
                    .ok_or_else(|| {
                        AppError::invalid(FieldError::new("into", "err-no-such-item"))
                    })?;
                item.merged_into = Some(target.id);
            }
            _ => {}
        }
        item.state = next.as_str().into();
        item.unit_id = to_unit;
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
        !input.internal,
    )
    .await?;
    let tell = matches!(
        action_name.as_str(),
        "accept" | "decline" | "request_info" | "transfer" | "answer" | "extend"
    );
    if tell
        && !input.internal
        && let Some(e) = &item.email
    {
        let step = if action_name == "answer" {
            "answered"
        } else {
            "updated"
        };
        notify_submitter(&mut tx.conn(), &item, e, step, now).await?;
    }
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.move",
            object_type: "feedback",
            object_id: id.to_string(),
            before: Some(serde_json::json!({ "state": before.state, "unit_id": before.unit_id }).to_string()),
            after: Some(serde_json::json!({ "action": action_name, "state": item.state, "unit_id": item.unit_id, "note": note }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub secret: String,
    /// 1 (very poor) to 5 (very good).
    pub rating: i32,
    pub comment: Option<String>,
}

/// The submitter rates the answer, once.
pub async fn rate(db: &Db, code: &str, input: Rating) -> AppResult<PublicItem> {
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
    if !matches!(
        State::parse(&item.state),
        Some(State::Answered | State::Closed)
    ) {
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
    item.rated_on = Some(now.date_naive());
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
    store::audit::append(
        &mut tx.conn(),
        &Actor::system("public"),
        now,
        vec![Change {
            action: "feedback.rate",
            object_type: "feedback",
            object_id: item.id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "rating": input.rating }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealInput {
    pub secret: String,
    pub reason: String,
}

/// After a rating of 1 or 2, within the period: the item reopens one level up (the province for a
/// commune, the Steering Committee for a province or a ministry), with a fresh clock.
pub async fn appeal(db: &Db, code: &str, input: AppealInput) -> AppResult<PublicItem> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = now.date_naive();
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
    if item
        .answered_on
        .is_none_or(|d| today > d + Duration::days(APPEAL_DAYS))
    {
        return Err(AppError::Conflict(vec![
            FieldError::new("reason", "err-appeal-too-late").with("days", APPEAL_DAYS),
        ]));
    }
    let state = State::parse(&item.state).unwrap_or(State::Received);
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
    item.state = next.as_str().into();
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
    store::audit::append(
        &mut tx.conn(),
        &Actor::system("public"),
        now,
        vec![Change {
            action: "feedback.appeal",
            object_type: "feedback",
            object_id: item.id.to_string(),
            before: Some(serde_json::json!({ "unit_id": from_unit }).to_string()),
            after: Some(serde_json::json!({ "unit_id": up, "reason": reason }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

/// Supports: on published recommendations and initiatives, one per account.
pub async fn support(db: &Db, who: &Principal, code: &str) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut item = store::feedback::by_code(&mut tx.conn(), code)
        .await?
        .ok_or(AppError::NotFound)?;
    let published = matches!(
        State::parse(&item.state),
        Some(State::Answered | State::Closed)
    ) && !item.hidden;
    if item.kind == Kind::Report.as_str() || !published {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-support-not-open",
        )]));
    }
    if !store::feedback::add_support(
        &mut tx.conn(),
        item.id,
        &format!("user:{}", who.user_id),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-supported",
        )]));
    }
    item.supports += 1;
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.support",
            object_type: "feedback",
            object_id: item.id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "supports": item.supports }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    pub unit: Option<i64>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub category: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxRow {
    pub id: i64,
    #[serde(flatten)]
    pub item: PublicItem,
    /// Working days left (negative: overdue); None while paused or closed.
    pub days_left: Option<i64>,
}

fn check_filters(q: &InboxQuery) -> AppResult<()> {
    let mut errs = vec![];
    if q.status
        .as_deref()
        .is_some_and(|s| State::parse(s).is_none())
    {
        errs.push(FieldError::new("status", "err-unknown-status"));
    }
    if q.kind.as_deref().is_some_and(|s| Kind::parse(s).is_none()) {
        errs.push(FieldError::new("type", "err-unknown-kind-feedback"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errs))
    }
}

/// A unit's inbox, most urgent first (officers of the unit; steering, inspectors, administrators).
pub async fn inbox(db: &Db, who: &Principal, q: InboxQuery) -> AppResult<(Vec<InboxRow>, i64)> {
    check_filters(&q)?;
    let (limit, offset) = super::paging(q.page, q.per_page)?;
    let unit = q.unit.unwrap_or(who.unit_id);
    let mut c = db.acquire().await?;
    require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
    let cal = calendar(db).await?;
    let f = store::feedback::ListFilter {
        unit: Some(unit),
        state: q.status,
        kind: q.kind,
        category: q.category,
        published_only: false,
        limit,
        offset,
    };
    let (items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    let today = Utc::now().date_naive();
    Ok((
        items
            .iter()
            .map(|i| InboxRow {
                id: i.id,
                days_left: i
                    .deadline_on
                    .filter(|_| {
                        State::parse(&i.state).is_some_and(|s| s.is_open())
                            && i.paused_since.is_none()
                    })
                    .map(|d| {
                        if d >= today {
                            cal.working_days_between(today, d)
                        } else {
                            -cal.working_days_between(d, today)
                        }
                    }),
                item: PublicItem::from(i),
            })
            .collect(),
        total,
    ))
}

/// Published items with their answers (public).
pub async fn published(db: &Db, q: InboxQuery) -> AppResult<(Vec<PublicItem>, i64)> {
    check_filters(&q)?;
    let (limit, offset) = super::paging(q.page, q.per_page)?;
    let mut c = db.acquire().await?;
    let f = store::feedback::ListFilter {
        unit: q.unit,
        state: q.status,
        kind: q.kind,
        category: q.category,
        published_only: true,
        limit,
        offset,
    };
    let (items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    Ok((items.iter().map(PublicItem::from).collect(), total))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub unit: Option<i64>,
    pub as_of: NaiveDate,
    pub received: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub overdue: i64,
    /// Median working days from submission to answer.
    pub median_days_to_answer: Option<f64>,
    pub ratings: i64,
    pub mean_rating: Option<f64>,
}

/// Exact statistics, remembered per (unit, day) until an item changes (`feedback_version`).
/// (unit or all, day) → (feedback_version it was computed at, the figures).
type StatsEntries = HashMap<(Option<i64>, NaiveDate), (i64, Stats)>;

#[derive(Default)]
pub struct StatsCache {
    entries: Mutex<StatsEntries>,
}

/// Statistics of a unit (or of everything), as of a day: what the ranking will score.
pub async fn stats(
    db: &Db,
    cache: &StatsCache,
    unit: Option<i64>,
    as_of: Option<NaiveDate>,
) -> AppResult<Stats> {
    require(None, Action::ReadOrgUnit, Scope::Global)?;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let v = {
        let mut c = db.acquire().await?;
        store::feedback::version(&mut c.conn()).await?
    };
    if let Some((at, st)) = cache
        .entries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(unit, as_of))
        && *at == v
    {
        return Ok(st.clone());
    }
    let st = compute_stats(db, unit, as_of).await?;
    let mut m = cache.entries.lock().unwrap_or_else(|e| e.into_inner());
    if m.len() > 10_000 {
        m.clear();
    }
    m.insert((unit, as_of), (v, st.clone()));
    Ok(st)
}

async fn compute_stats(db: &Db, unit: Option<i64>, as_of: NaiveDate) -> AppResult<Stats> {
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    let (received, answered, on_time, overdue, ratings, rating_sum) =
        store::feedback::stats(&mut c.conn(), unit, as_of).await?;
    let mut days: Vec<i64> = store::feedback::answer_days(&mut c.conn(), unit, as_of)
        .await?
        .into_iter()
        .map(|(s, a)| cal.working_days_between(s, a))
        .collect();
    days.sort_unstable();
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2] as f64),
        n => Some((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
    };
    Ok(Stats {
        unit,
        as_of,
        received,
        answered,
        answered_on_time: on_time,
        overdue,
        median_days_to_answer: median,
        ratings,
        mean_rating: (ratings > 0).then(|| rating_sum as f64 / ratings as f64),
    })
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

/// The default categories: the seven solution groups of Resolution 57 and common themes.
pub const DEFAULT_CATEGORIES: &[(&str, &str, &str, &str)] = &[
    (
        "awareness",
        "Nâng cao nhận thức, đổi mới tư duy",
        "Awareness and new thinking",
        "Sensibilisation et nouvelles façons de penser",
    ),
    (
        "institutions",
        "Hoàn thiện thể chế, chính sách",
        "Institutions and policies",
        "Institutions et politiques",
    ),
    (
        "investment",
        "Tăng cường đầu tư, hạ tầng cho KH, CN, ĐMST, CĐS",
        "Investment and infrastructure",
        "Investissement et infrastructures",
    ),
    (
        "human_resources",
        "Phát triển nguồn nhân lực, nhân tài",
        "Human resources and talent",
        "Ressources humaines et talents",
    ),
    (
        "digital_government",
        "Chuyển đổi số trong cơ quan nhà nước",
        "Digital transformation of the state",
        "Transformation numérique de l'État",
    ),
    (
        "enterprises",
        "Doanh nghiệp, khởi nghiệp đổi mới sáng tạo",
        "Businesses and start-ups",
        "Entreprises et start-up",
    ),
    (
        "international",
        "Hợp tác quốc tế",
        "International cooperation",
        "Coopération internationale",
    ),
    (
        "public_services",
        "Dịch vụ công trực tuyến",
        "Online public services",
        "Services publics en ligne",
    ),
    (
        "digital_infrastructure",
        "Hạ tầng số, viễn thông",
        "Digital infrastructure",
        "Infrastructures numériques",
    ),
    (
        "data",
        "Dữ liệu, cơ sở dữ liệu",
        "Data and databases",
        "Données et bases de données",
    ),
    (
        "ai",
        "Trí tuệ nhân tạo",
        "Artificial intelligence",
        "Intelligence artificielle",
    ),
    (
        "intellectual_property",
        "Sở hữu trí tuệ",
        "Intellectual property",
        "Propriété intellectuelle",
    ),
];

/// Loads the default categories and review sheet (idempotent).
pub async fn seed_defaults(db: &Db) -> AppResult<()> {
    let mut tx = db.begin().await?;
    for (i, (code, vi, en, fr, w)) in DEFAULT_CRITERIA.iter().enumerate() {
        store::feedback::insert_criterion(
            &mut tx.conn(),
            &store::feedback::Criterion {
                code: (*code).into(),
                name_vi: (*vi).into(),
                name_en: (*en).into(),
                name_fr: (*fr).into(),
                weight: *w,
            },
            i as i32,
        )
        .await?;
    }
    for (i, (code, vi, en, fr)) in DEFAULT_CATEGORIES.iter().enumerate() {
        store::feedback::insert_category(
            &mut tx.conn(),
            &store::feedback::Category {
                code: (*code).into(),
                name_vi: (*vi).into(),
                name_en: (*en).into(),
                name_fr: (*fr).into(),
            },
            i as i32,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The default review sheet for initiatives: novelty, feasibility, impact, cost (lower is better
/// for cost, so it is scored as "cost-effectiveness").
pub const DEFAULT_CRITERIA: &[(&str, &str, &str, &str, i32)] = &[
    ("novelty", "Tính mới", "Novelty", "Nouveauté", 2),
    (
        "feasibility",
        "Tính khả thi",
        "Feasibility",
        "Faisabilité",
        3,
    ),
    ("impact", "Hiệu quả, tác động", "Impact", "Impact", 3),
    (
        "cost",
        "Chi phí hợp lý",
        "Cost-effectiveness",
        "Rapport coût-efficacité",
        2,
    ),
];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// Criterion code → score 1 to 5; every criterion of the sheet must be scored.
    #[schema(value_type = Object)]
    pub scores: std::collections::BTreeMap<String, i32>,
    pub comment: Option<String>,
}

/// A reviewer scores an initiative on the sheet; one review per reviewer.
pub async fn review(
    db: &Db,
    who: &Principal,
    id: i64,
    input: ReviewInput,
) -> AppResult<crate::store::feedback::Review> {
    use crate::domain::policy::Role;
    if !matches!(
        who.role,
        Role::Reviewer | Role::Steering | Role::Administrator
    ) {
        let mut c = db.acquire().await?;
        let item = store::feedback::get(&mut c.conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        require_on_unit(
            &mut c.conn(),
            Some(who),
            Action::HandleFeedback,
            item.unit_id,
        )
        .await?;
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let item = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if item.kind != Kind::Initiative.as_str() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-not-initiative",
        )]));
    }
    let sheet = store::feedback::criteria(&mut tx.conn()).await?;
    let mut errs = vec![];
    let mut total = 0;
    for k in &sheet {
        match input.scores.get(&k.code) {
            Some(v) if (1..=5).contains(v) => total += v * k.weight,
            Some(_) => errs.push(
                FieldError::new(&k.code, "err-range")
                    .with("min", 1)
                    .with("max", 5),
            ),
            None => errs.push(FieldError::new(&k.code, "err-required")),
        }
    }
    for code in input.scores.keys() {
        if !sheet.iter().any(|k| &k.code == code) {
            errs.push(FieldError::new(code, "err-unknown-criterion"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let r = crate::store::feedback::Review {
        id: 0,
        item_id: id,
        reviewer_id: who.user_id,
        scores: serde_json::to_string(&input.scores).unwrap_or_default(),
        total,
        comment: clean_opt(input.comment),
    };
    if !store::feedback::insert_review(&mut tx.conn(), &r, now).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-reviewed",
        )]));
    }
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.review",
            object_type: "feedback",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "total": total, "scores": input.scores }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(r)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// adopted, adopted_in_part or declined.
    pub decision: String,
    pub reason: String,
    /// Adopted: create a task in this programme…
    pub programme_id: Option<i64>,
    /// …assigned to this unit (default: the unit that decided)…
    pub unit_id: Option<i64>,
    /// …due as written ("6/2027", "Quý II/2027", a date).
    pub deadline: Option<String>,
}

/// The unit decides on an initiative or recommendation; an adoption can create a task, linked
/// both ways, so the submitter follows the work from the tracking page. One transaction.
pub async fn decide(
    db: &Db,
    who: &Principal,
    id: i64,
    input: DecisionInput,
) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut item = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(
        &mut tx.conn(),
        Some(who),
        Action::HandleFeedback,
        item.unit_id,
    )
    .await?;
    let mut errs = vec![];
    if item.kind == Kind::Report.as_str() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-decision-kind",
        )]));
    }
    if !matches!(
        input.decision.as_str(),
        "adopted" | "adopted_in_part" | "declined"
    ) {
        errs.push(FieldError::new("decision", "err-unknown-decision"));
    }
    let reason = nfc(&input.reason);
    if reason.is_empty() {
        errs.push(FieldError::new("reason", "err-reason-required"));
    }
    if item.decision.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "decision",
            "err-already-decided",
        )]));
    }
    let adopt = input.decision != "declined";
    if !adopt && input.programme_id.is_some() {
        errs.push(FieldError::new("programme_id", "err-declined-no-task"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut changes = vec![];
    if let (true, Some(pid)) = (adopt, input.programme_id) {
        let programme = store::tasks::get_programme(&mut tx.conn(), pid)
            .await?
            .ok_or_else(|| {
                AppError::invalid(FieldError::new("programme_id", "err-no-such-programme"))
            })?;
        // Creating work in a programme is the assigning level's decision.
        require_on_unit(
            &mut tx.conn(),
            Some(who),
            Action::VerifyCompletion,
            programme.owner_unit_id,
        )
        .await?;
        let deadline_text = nfc(input.deadline.as_deref().unwrap_or(""));
        let deadline = crate::domain::deadline::Deadline::parse(&deadline_text);
        if deadline == crate::domain::deadline::Deadline::Unparsed {
            return Err(AppError::invalid(FieldError::new(
                "deadline",
                "err-deadline-unparsed",
            )));
        }
        let unit = input.unit_id.unwrap_or(item.unit_id);
        let unit_row = store::org::get(&mut tx.conn(), unit)
            .await?
            .filter(|u| !u.historical())
            .ok_or_else(|| AppError::invalid(FieldError::new("unit_id", "err-no-such-unit")))?;
        let n = store::tasks::tasks_of(&mut tx.conn(), pid).await?.len() + 1;
        let code = format!("SK-{n}");
        let description = format!("{}\n\n{}", item.public_body, item.code);
        let new = crate::store::tasks::NewTask {
            programme_id: pid,
            group_id: None,
            code: &code,
            title: &item.public_title,
            result_text: "",
            deadline_text: &deadline_text,
            deadline_json: serde_json::to_string(&deadline).unwrap_or_default(),
            due_on: deadline.due(),
            lead_text: &unit_row.name_vi,
            coordinating_text: "",
            visibility: "public",
            state: "active",
            proposed_by: None,
            description: Some(&description),
            priority: "normal",
            period: None,
        };
        let task_id = store::tasks::insert_task(&mut tx.conn(), &new, now).await?;
        store::tasks::insert_assignment(
            &mut tx.conn(),
            task_id,
            unit,
            true,
            now.date_naive(),
            new.due_on,
        )
        .await?;
        store::feedback::set_task_source(&mut tx.conn(), task_id, id).await?;
        item.task_id = Some(task_id);
        changes.push(Change {
            action: "task.create_from_feedback",
            object_type: "task",
            object_id: task_id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "programme_id": pid, "code": code, "feedback": item.code })
                    .to_string(),
            ),
        });
    }
    item.decision = Some(input.decision.clone());
    item.decision_reason = Some(reason.clone());
    item.decided_on = Some(now.date_naive());
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        id,
        now,
        "decide",
        (Some(item.state.as_str()), Some(item.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        Some(who.user_id),
        Some(&format!("{}: {reason}", input.decision)),
        true,
    )
    .await?;
    if let Some(e) = item.email.clone() {
        notify_submitter(&mut tx.conn(), &item, &e, "updated", now).await?;
    }
    changes.insert(
        0,
        Change {
            action: "feedback.decide",
            object_type: "feedback",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "decision": input.decision, "reason": reason, "task_id": item.task_id }).to_string()),
        },
    );
    store::audit::append(&mut tx.conn(), &Actor::of(who), now, changes).await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Moderation {
    /// Hide the item from the public pages (the original is always kept).
    pub hidden: Option<bool>,
    pub public_title: Option<String>,
    pub public_body: Option<String>,
    /// Why: shown to the submitter.
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
    let mut item = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(
        &mut tx.conn(),
        Some(who),
        Action::HandleFeedback,
        item.unit_id,
    )
    .await?;
    let note = nfc(&input.note);
    let mut errs = vec![];
    if note.is_empty() {
        errs.push(FieldError::new("note", "err-reason-required"));
    }
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
    item.moderation_note = Some(note.clone());
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        id,
        now,
        "moderate",
        (Some(item.state.as_str()), Some(item.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        Some(who.user_id),
        Some(&note),
        true,
    )
    .await?;
    if let Some(e) = item.email.clone() {
        notify_submitter(&mut tx.conn(), &item, &e, "updated", now).await?;
    }
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.moderate",
            object_type: "feedback",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "hidden": item.hidden, "note": note }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRoute {
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub target_unit_id: i64,
}

/// Routing rules are data: administrators add and retire them; retired rules stay as history.
pub async fn add_route(db: &Db, who: &Principal, input: NewRoute) -> AppResult<i64> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut errs = vec![];
    if let Some(cat) = &input.category
        && !store::feedback::categories(&mut tx.conn())
            .await?
            .iter()
            .any(|c| &c.code == cat)
    {
        errs.push(FieldError::new("category", "err-unknown-category"));
    }
    for (field, unit) in [
        ("unit_id", input.unit_id),
        ("target_unit_id", Some(input.target_unit_id)),
    ] {
        if let Some(u) = unit
            && store::org::get(&mut tx.conn(), u)
                .await?
                .is_none_or(|x| x.historical())
        {
            errs.push(FieldError::new(field, "err-no-such-unit"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let id = store::feedback::insert_route(
        &mut tx.conn(),
        input.category.as_deref(),
        input.unit_id,
        input.target_unit_id,
        now,
    )
    .await?;
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback_route.create",
            object_type: "feedback_route",
            object_id: id.to_string(),
            before: None,
            after: Some(serde_json::json!({ "category": input.category, "unit_id": input.unit_id, "target_unit_id": input.target_unit_id }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn retire_route(db: &Db, who: &Principal, id: i64) -> AppResult<()> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if !store::feedback::retire_route(&mut tx.conn(), id, now).await? {
        return Err(AppError::NotFound);
    }
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback_route.retire",
            object_type: "feedback_route",
            object_id: id.to_string(),
            before: None,
            after: None,
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHoliday {
    pub day: NaiveDate,
    /// holiday (a day off) or workday (a weekend day worked in exchange).
    pub kind: String,
    pub name_vi: String,
}

/// Administrators add days off decided after the built-in calendar (e.g. next year's Tết).
pub async fn add_holiday(db: &Db, who: &Principal, input: NewHoliday) -> AppResult<()> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let mut errs = vec![];
    if !matches!(input.kind.as_str(), "holiday" | "workday") {
        errs.push(FieldError::new("kind", "err-unknown-day-kind"));
    }
    let name = nfc(&input.name_vi);
    if name.is_empty() {
        errs.push(FieldError::new("name_vi", "err-required"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    store::feedback::insert_holiday(&mut tx.conn(), input.day, &input.kind, &name).await?;
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "holiday.create",
            object_type: "holiday",
            object_id: input.day.to_string(),
            before: None,
            after: Some(serde_json::json!({ "kind": input.kind, "name": name }).to_string()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
