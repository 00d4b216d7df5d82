//! Feedback use cases: public intake with a tracking code and secret, the tracking page, the
//! officers' moves (accept, transfer, answer…), rating and appeal, supports, and statistics.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;

use super::{clean_opt, require, require_on_unit};
use crate::auth::sha256_hex;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::feedback::{self as fb, Action as Move, Kind, State, Submitter};
use domain::policy::{Action, Decision, Principal, Scope, authorize};
use domain::text::nfc;
use domain::workdays::Calendar;
use store::audit::{Actor, Change};
use store::feedback::{Event, Item, KindRule};
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

/// Per-address submission counter (in memory: a flood is stopped before it reaches the database).
struct IntakeLimiter {
    seen: Mutex<HashMap<IpAddr, (Instant, usize)>>,
    per_hour: usize,
}

impl IntakeLimiter {
    fn new(per_hour: usize) -> Self {
        IntakeLimiter {
            seen: Mutex::default(),
            per_hour,
        }
    }

    fn allow(&self, ip: IpAddr) -> bool {
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

fn item_clock(i: &Item) -> fb::ItemClock {
    fb::ItemClock {
        from: i.clock_from,
        allowed: i.allowed_days.max(0) as u32,
        extension_days: i.extension_days.max(0) as u32,
        extensions: i.extensions.max(0) as u32,
        paused_days: i.paused_days.max(0) as u32,
    }
}

fn set_clock(i: &mut Item, c: fb::ItemClock) {
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

/// Most submissions one transaction stores; under load they share one commit.
const BATCH: usize = 128;

/// Public intake: the per-address limiter and one writer that stores submissions in batches
/// (group commit). A submission is acknowledged only once the transaction holding it has
/// committed, so an acknowledged code survives a crash; sharing the commit is what lets SQLite,
/// with its single writer, take a thousand submissions a second.
pub struct Intake {
    limiter: IntakeLimiter,
    db: Db,
    writer: OnceLock<mpsc::Sender<Pending>>,
}

/// A validated submission waiting for the writer, and where to send its code.
struct Pending {
    item: Item,
    files: Vec<domain::files::StoredFile>,
    actor: Actor,
    ip: IpAddr,
    reply: oneshot::Sender<AppResult<(String, NaiveDate)>>,
}

impl Intake {
    pub fn new(db: Db, per_hour: usize) -> Self {
        Intake {
            limiter: IntakeLimiter::new(per_hour),
            db,
            writer: OnceLock::new(),
        }
    }

    /// Started on first use, inside the runtime that serves the requests.
    fn sender(&self) -> &mpsc::Sender<Pending> {
        self.writer.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * BATCH);
            tokio::spawn(write_loop(self.db.clone(), rx));
            tx
        })
    }
}

async fn write_loop(db: Db, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let results = match write_batch(&db, &mut batch).await {
            Ok(r) => r.into_iter().map(Ok).collect(),
            // One failing submission must not sink the others: store them one by one.
            Err(_) if batch.len() > 1 => {
                let mut out = Vec::with_capacity(batch.len());
                for i in 0..batch.len() {
                    out.push(
                        write_batch(&db, &mut batch[i..=i])
                            .await
                            .map(|mut r| r.remove(0)),
                    );
                }
                out
            }
            Err(e) => vec![Err(e)],
        };
        for (p, r) in batch.drain(..).zip(results) {
            let _ = p.reply.send(r);
        }
    }
}

/// Stores a batch in one transaction: routes each item, numbers it in the day's sequence, starts
/// its clock, writes its history, files, confirmation mail and audit records.
async fn write_batch(db: &Db, batch: &mut [Pending]) -> AppResult<Vec<(String, NaiveDate)>> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = now.date_naive();
    let mut tx = db.begin().await?;
    let routes = store::feedback::routes(&mut tx.conn()).await?;
    let triage = triage_unit(&mut tx.conn()).await?;
    let rules = store::feedback::kind_rules(&mut tx.conn()).await?;
    let last = store::feedback::take_seq(&mut tx.conn(), today, batch.len() as i64).await?;
    let first = last - batch.len() as i64 + 1;
    let mut audit: Vec<(Actor, Vec<Change>)> = vec![];
    let mut out = Vec::with_capacity(batch.len());
    for (k, p) in batch.iter_mut().enumerate() {
        let item = &mut p.item;
        item.code = fb::tracking_code(today, first + k as i64);
        item.unit_id = fb::route(&routes, &item.category, item.concerned_unit_id, triage);
        item.submitted_at = now;
        item.submitted_on = today;
        item.clock_from = today;
        item.allowed_days = rule_in(&rules, &item.kind).answer_days;
        let deadline = deadline_of(&cal, item);
        item.deadline_on = Some(deadline);
        item.id = store::feedback::insert(&mut tx.conn(), item).await?;
        store::feedback::insert_event(
            &mut tx.conn(),
            item.id,
            now,
            "submit",
            (None, None),
            (State::Received.as_str(), Some(item.unit_id)),
            item.user_id,
            None,
            true,
        )
        .await?;
        for f in &p.files {
            store::feedback::insert_file(&mut tx.conn(), item.id, f, now).await?;
        }
        if let Some(e) = &item.email {
            notify_submitter(&mut tx.conn(), item, e, "received", now).await?;
        }
        let change = Change {
            action: "feedback.submit",
            object_type: "feedback",
            object_id: item.id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "code": item.code, "unit_id": item.unit_id, "kind": item.kind, "category": item.category, "ip": p.ip.to_string() })
                    .to_string(),
            ),
        };
        match audit.iter_mut().find(|(a, _)| a.label == p.actor.label) {
            Some((_, v)) => v.push(change),
            None => audit.push((p.actor.clone(), vec![change])),
        }
        out.push((item.code.clone(), deadline));
    }
    for (actor, changes) in audit {
        store::audit::append(&mut tx.conn(), &actor, now, changes).await?;
    }
    tx.commit().await?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    intake: &Intake,
    ip: IpAddr,
    who: Option<&Principal>,
    input: Submission,
    files: Vec<crate::attachments::Upload>,
    data_dir: &std::path::Path,
    max_file: usize,
) -> AppResult<Submitted> {
    if !intake.limiter.allow(ip) {
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
    let stored = crate::attachments::store_files(data_dir, max_file, &files).await?;
    let secret = crate::auth::random_token();
    let now = Utc::now();
    // Code, routing, clock and deadline are set by the writer, inside its transaction.
    let item = Item {
        id: 0,
        code: String::new(),
        secret_hash: sha256_hex(&secret),
        kind: kind.map(|k| k.as_str()).unwrap_or_default().into(),
        category: input.category,
        public_title: title.clone(),
        public_body: body.clone(),
        title,
        body,
        hidden: false,
        moderation_note: None,
        moderated_on: None,
        concerned_unit_id: input.unit_id,
        unit_id: 0,
        state: State::Received.as_str().into(),
        before_wait: None,
        submitter_kind: submitter.map(|k| k.as_str()).unwrap_or_default().into(),
        name,
        email,
        phone,
        publish_name: input.publish_name,
        user_id: who.map(|p| p.user_id),
        submitted_at: now,
        submitted_on: now.date_naive(),
        clock_from: now.date_naive(),
        allowed_days: ANSWER_DAYS as i32,
        extension_days: 0,
        extensions: 0,
        paused_days: 0,
        paused_since: None,
        deadline_on: None,
        answer: None,
        draft_answer: None,
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
    let (reply, answer) = oneshot::channel();
    let pending = Pending {
        item,
        files: stored,
        actor: who
            .map(Actor::of)
            .unwrap_or_else(|| Actor::system("public")),
        ip,
        reply,
    };
    let stopped = || AppError::Internal("the intake writer stopped".into());
    intake.sender().send(pending).await.map_err(|_| stopped())?;
    let (code, deadline) = answer.await.map_err(|_| stopped())??;
    Ok(Submitted {
        code,
        secret,
        deadline_on: Some(deadline),
    })
}

/// One audit record about a feedback item.
async fn audit_item(
    c: &mut crate::db::DbConn<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
    action: &'static str,
    id: i64,
    before: Option<String>,
    after: Option<String>,
) -> AppResult<()> {
    store::audit::append(
        c,
        actor,
        now,
        vec![Change {
            action,
            object_type: "feedback",
            object_id: id.to_string(),
            before,
            after,
        }],
    )
    .await
}

/// A public answer as typed: trimmed, None when empty, refused when over-long.
fn answer_text(raw: Option<String>) -> AppResult<Option<String>> {
    let a = clean_opt(raw);
    if a.as_ref().is_some_and(|a| a.chars().count() > BODY_MAX) {
        return Err(AppError::invalid(
            FieldError::new("answer", "err-too-long").with("max", BODY_MAX),
        ));
    }
    Ok(a)
}

/// The built-in deadline rules, for a kind whose row an administrator removed.
fn builtin_rule(kind: &str) -> KindRule {
    KindRule {
        kind: kind.into(),
        accept_days: 3,
        answer_days: ANSWER_DAYS as i32,
        appeal_days: APPEAL_DAYS as i32,
        transfer_clock: "restart".into(),
    }
}

/// The rules of a kind among those already read.
fn rule_in(rules: &[KindRule], kind: &str) -> KindRule {
    rules
        .iter()
        .find(|r| r.kind == kind)
        .cloned()
        .unwrap_or_else(|| builtin_rule(kind))
}

/// The deadline rules of a kind, read from the database.
async fn rule_for(c: &mut crate::db::DbConn<'_>, kind: &str) -> AppResult<KindRule> {
    Ok(store::feedback::kind_rule(c, kind)
        .await?
        .unwrap_or_else(|| builtin_rule(kind)))
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
    let lang = domain::i18n::Lang::Vi;
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
    let text = format!(
        "{}\n\n{}\n/feedback/track/{}\n",
        lang.tf(&format!("mail-feedback-{step}-body"), &params),
        lang.t("mail-feedback-track"),
        item.code
    );
    crate::jobs::queue_mail(
        c,
        &format!(
            "mail:feedback:{}:{step}:{}",
            item.code,
            now.timestamp_millis()
        ),
        vec![email.to_string()],
        lang.tf(&format!("mail-feedback-{step}-subject"), &params),
        text,
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
    crate::auth::constant_time_eq(&i.secret_hash, &sha256_hex(secret))
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
    let poorly_rated = with_secret && answered && item.rating.is_some_and(|r| r <= 2);
    let can_appeal = poorly_rated && {
        let days = rule_for(&mut c, &item.kind).await?.appeal_days;
        item.answered_on
            .is_some_and(|d| today <= d + Duration::days(days.into()))
    };
    Ok(Tracking {
        can_rate: with_secret && answered && item.rating.is_none(),
        can_appeal,
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
            let needs = store::feedback::approval_required(&mut tx.conn(), before.unit_id).await?;
            mv = fb::answer_move(needs, may_approve);
        }
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
                let rule = rule_for(&mut tx.conn(), &before.kind).await?;
                let how = fb::TransferClock::parse(&rule.transfer_clock)
                    .unwrap_or(fb::TransferClock::Restart);
                set_clock(
                    &mut item,
                    item_clock(&before).after_transfer(how, today, rule.answer_days.max(1) as u32),
                );
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
    let was = serde_json::json!({ "state": before.state, "unit_id": before.unit_id });
    let is = serde_json::json!({
        "action": action_name, "state": item.state, "unit_id": item.unit_id, "note": note
    });
    audit_item(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        "feedback.move",
        id,
        Some(was.to_string()),
        Some(is.to_string()),
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
    audit_item(
        &mut tx.conn(),
        &Actor::system("public"),
        now,
        "feedback.rate",
        item.id,
        None,
        Some(serde_json::json!({ "rating": input.rating }).to_string()),
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
    let days = rule_for(&mut tx.conn(), &item.kind).await?.appeal_days;
    if item
        .answered_on
        .is_none_or(|d| today > d + Duration::days(days.into()))
    {
        return Err(AppError::Conflict(vec![
            FieldError::new("reason", "err-appeal-too-late").with("days", days),
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
    audit_item(
        &mut tx.conn(),
        &Actor::system("public"),
        now,
        "feedback.appeal",
        item.id,
        Some(serde_json::json!({ "unit_id": from_unit }).to_string()),
        Some(serde_json::json!({ "unit_id": up, "reason": reason }).to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

/// Supports: on published recommendations and initiatives, one per account.
pub async fn support(db: &Db, who: &Principal, code: &str) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let item = supportable(&mut tx.conn(), code).await?;
    let item = add_support(
        &mut tx.conn(),
        item,
        &format!("user:{}", who.user_id),
        &Actor::of(who),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

/// Days a mailed support link stays valid.
const SUPPORT_LINK_DAYS: i64 = 7;

/// Without an account: the support counts once the person opens the link mailed to them, so an
/// address is one person and one support.
pub async fn request_support(db: &Db, code: &str, email: &str) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    if !valid_email(&email) {
        return Err(AppError::invalid(FieldError::new("email", "err-email")));
    }
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
    let lang = domain::i18n::Lang::Vi;
    let params = [("code".to_string(), item.code.clone())];
    crate::jobs::queue_mail(
        &mut tx.conn(),
        &format!("mail:support:{token_hash}"),
        vec![email.clone()],
        lang.tf("mail-support-subject", &params),
        format!(
            "{}\n\n/feedback/support/confirm?token={token}\n",
            lang.tf("mail-support-body", &params)
        ),
        now,
    )
    .await?;
    audit_item(
        &mut tx.conn(),
        &Actor::system("public"),
        now,
        "feedback.support_request",
        item.id,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
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
        &mut tx.conn(),
        item,
        &format!("email:{email_hash}"),
        &Actor::system("public"),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(PublicItem::from(&item))
}

/// A published recommendation or initiative (reports are not supported, only answered).
async fn supportable(c: &mut crate::db::DbConn<'_>, code: &str) -> AppResult<Item> {
    let item = store::feedback::by_code(c, code)
        .await?
        .ok_or(AppError::NotFound)?;
    check_supportable(&item)?;
    Ok(item)
}

fn check_supportable(item: &Item) -> AppResult<()> {
    if fb::supportable(&item.kind, &item.state, item.hidden) {
        Ok(())
    } else {
        Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-support-not-open",
        )]))
    }
}

async fn add_support(
    c: &mut crate::db::DbConn<'_>,
    mut item: Item,
    supporter: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<Item> {
    if !store::feedback::add_support(c, item.id, supporter, now).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-supported",
        )]));
    }
    item.supports += 1;
    store::feedback::update(c, &item).await?;
    audit_item(
        c,
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

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    pub unit: Option<i64>,
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub category: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// csv or xlsx: the whole filtered list (up to 10,000 rows) as a file.
    pub format: Option<String>,
    /// pending: the moderation queue (published items whose public text nobody has reviewed).
    pub moderation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxRow {
    pub id: i64,
    #[serde(flatten)]
    pub item: PublicItem,
    /// Working days left (negative: overdue); None while paused or closed.
    pub days_left: Option<i64>,
    /// A received item must be accepted (or declined, or transferred) by this day.
    pub accept_by: Option<NaiveDate>,
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
    if q.moderation.as_deref().is_some_and(|m| m != "pending") {
        errs.push(FieldError::new("moderation", "err-unknown-moderation"));
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
    // Before taking a connection: holding one while `calendar` waits for another starves the
    // pool under load (every request holding one, all waiting for a second).
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
    let f = store::feedback::ListFilter {
        unit: Some(unit),
        state: q.status,
        kind: q.kind,
        category: q.category,
        user: None,
        unmoderated: q.moderation.as_deref() == Some("pending"),
        published_only: false,
        limit,
        offset,
    };
    let (items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    let rules = store::feedback::kind_rules(&mut c.conn()).await?;
    let accept_days = |kind: &str| rule_in(&rules, kind).accept_days.max(0) as u32;
    let today = Utc::now().date_naive();
    Ok((
        items
            .iter()
            .map(|i| InboxRow {
                id: i.id,
                accept_by: (i.state == State::Received.as_str())
                    .then(|| cal.add_working_days(i.clock_from, accept_days(&i.kind))),
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
        user: None,
        unmoderated: false,
        published_only: true,
        limit,
        offset,
    };
    let (items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    Ok((items.iter().map(PublicItem::from).collect(), total))
}

/// What a signed-in submitter sent (any state, most urgent first): an account lets them follow
/// all their items without keeping each secret.
pub async fn mine(db: &Db, who: &Principal, q: InboxQuery) -> AppResult<(Vec<PublicItem>, i64)> {
    check_filters(&q)?;
    let (limit, offset) = super::paging(q.page, q.per_page)?;
    let mut c = db.acquire().await?;
    let f = store::feedback::ListFilter {
        unit: None,
        state: q.status,
        kind: q.kind,
        category: q.category,
        user: Some(who.user_id),
        unmoderated: false,
        published_only: false,
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
    /// False when these are the national figures of a moment ago, served while newer ones are
    /// computed in the background.
    pub fresh: bool,
}

/// Exact statistics, remembered per (unit, day) until an item changes (`feedback_version`).
/// (unit or all, day) → (feedback_version it was computed at, the figures).
type StatsKey = (Option<i64>, NaiveDate);
type StatsEntries = HashMap<StatsKey, (i64, Stats)>;

#[derive(Default)]
pub struct StatsCache {
    entries: Mutex<StatsEntries>,
    /// One computation per key at a time: the national figure reads every item, and fifty
    /// visitors arriving together must wait for one computation, not start fifty.
    flights: Mutex<HashMap<StatsKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl StatsCache {
    fn get(&self, key: StatsKey, version: i64) -> Option<Stats> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key)
            .filter(|(at, _)| *at == version)
            .map(|(_, st)| st.clone())
    }

    /// The last figures computed for the key, whatever has changed since.
    fn latest(&self, key: StatsKey) -> Option<Stats> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.get(&key).map(|(_, st)| st.clone())
    }

    fn put(&self, key: StatsKey, version: i64, st: Stats) {
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.clear();
        }
        m.insert(key, (version, st));
    }

    fn flight(&self, key: StatsKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, f| Arc::strong_count(f) > 1);
        }
        m.entry(key).or_default().clone()
    }
}

/// Statistics of a unit (or of everything), as of a day: what the ranking will score.
pub async fn stats(
    db: &Db,
    cache: &Arc<StatsCache>,
    unit: Option<i64>,
    as_of: Option<NaiveDate>,
) -> AppResult<Stats> {
    require(None, Action::ReadOrgUnit, Scope::Global)?;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let key = (unit, as_of);
    let v = feedback_version(db).await?;
    if let Some(st) = cache.get(key, v) {
        return Ok(st);
    }
    // The national figures read every item (seconds at a million): rather than hold visitors,
    // serve the previous figures, marked, and refresh them in the background, one refresh at a time.
    if unit.is_none()
        && let Some(mut st) = cache.latest(key)
    {
        if let Ok(turn) = cache.flight(key).try_lock_owned() {
            let (db, cache) = (db.clone(), cache.clone());
            tokio::spawn(async move {
                let _turn = turn;
                if let Ok(v) = feedback_version(&db).await
                    && let Ok(st) = compute_stats(&db, None, as_of).await
                {
                    cache.put(key, v, st);
                }
            });
        }
        st.fresh = false;
        return Ok(st);
    }
    let flight = cache.flight(key);
    let _turn = flight.lock().await;
    // Whoever computed while we waited may have left the answer.
    let v = feedback_version(db).await?;
    if let Some(st) = cache.get(key, v) {
        return Ok(st);
    }
    let st = compute_stats(db, unit, as_of).await?;
    cache.put(key, v, st.clone());
    Ok(st)
}

/// Bumped by triggers in every transaction that changes an item.
async fn feedback_version(db: &Db) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    store::feedback::version(&mut c.conn()).await
}

async fn compute_stats(db: &Db, unit: Option<i64>, as_of: NaiveDate) -> AppResult<Stats> {
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    let (received, answered, on_time, overdue, ratings, rating_sum) =
        store::feedback::stats(&mut c.conn(), unit, as_of).await?;
    let days: Vec<(i64, i64)> = store::feedback::answer_days(&mut c.conn(), unit, as_of)
        .await?
        .into_iter()
        .map(|(s, a, n)| (cal.working_days_between(s, a), n))
        .collect();
    let median = fb::weighted_median(days);
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
        fresh: true,
    })
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
    let state = State::parse(&item.state).unwrap_or(State::Received);
    let before_wait = item.before_wait.as_deref().and_then(State::parse);
    let mut moves: Vec<&'static str> = Move::ALL
        .iter()
        .filter(|m| !matches!(m, Move::Appeal | Move::SubmitAnswer))
        .filter(|m| may_approve || !matches!(m, Move::Approve | Move::ReturnDraft))
        .filter(|m| fb::next(state, **m, before_wait).is_ok())
        .map(|m| m.as_str())
        .collect();
    if state.is_open() {
        moves.push("extend");
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
) -> AppResult<store::feedback::Review> {
    use domain::policy::Role;
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
    let r = store::feedback::Review {
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
    audit_item(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        "feedback.review",
        id,
        None,
        Some(serde_json::json!({ "total": total, "scores": input.scores }).to_string()),
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
        let deadline = domain::deadline::Deadline::parse(&deadline_text);
        if deadline == domain::deadline::Deadline::Unparsed {
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
        let new = store::tasks::NewTask {
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
    item.moderated_on = Some(now.date_naive());
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
    audit_item(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        "feedback.moderate",
        id,
        None,
        Some(serde_json::json!({ "hidden": item.hidden, "note": note }).to_string()),
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitSettings {
    /// Officers' answers wait for the unit leader's approval before they are published.
    pub approve_answers: bool,
}

/// A unit's feedback settings (its own officers and leaders, and those who read everything).
pub async fn unit_settings(db: &Db, who: &Principal, unit: i64) -> AppResult<UnitSettings> {
    let mut c = db.acquire().await?;
    require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
    Ok(UnitSettings {
        approve_answers: store::feedback::approval_required(&mut c.conn(), unit).await?,
    })
}

/// Whether this person may change the unit's feedback settings (for showing the form).
pub async fn may_configure(db: &Db, who: &Principal, unit: i64) -> AppResult<bool> {
    let mut c = db.acquire().await?;
    let chain = store::org::chain(&mut c.conn(), unit).await?;
    Ok(authorize(Some(who), Action::ConfigureFeedback, Scope::Unit(&chain)) == Decision::Allow)
}

/// The unit's leader (or an administrator) decides whether answers need approval.
pub async fn set_unit_settings(
    db: &Db,
    who: &Principal,
    unit: i64,
    input: UnitSettings,
) -> AppResult<UnitSettings> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if store::org::get(&mut tx.conn(), unit).await?.is_none() {
        return Err(AppError::NotFound);
    }
    require_on_unit(&mut tx.conn(), Some(who), Action::ConfigureFeedback, unit).await?;
    let before = store::feedback::approval_required(&mut tx.conn(), unit).await?;
    store::feedback::set_approval_required(&mut tx.conn(), unit, input.approve_answers, now)
        .await?;
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.settings",
            object_type: "org_unit",
            object_id: unit.to_string(),
            before: Some(serde_json::json!({ "approve_answers": before }).to_string()),
            after: Some(
                serde_json::json!({ "approve_answers": input.approve_answers }).to_string(),
            ),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(input)
}

/// The deadline rules per kind (public: they are the law the answers are judged by).
pub async fn kind_rules(db: &Db) -> AppResult<Vec<KindRule>> {
    let mut c = db.acquire().await?;
    store::feedback::kind_rules(&mut c.conn()).await
}

/// Administrators change the working days allowed for a kind, the appeal period or what a
/// transfer does to the clock. Items already received keep the days they were given.
pub async fn set_kind_rule(db: &Db, who: &Principal, rule: KindRule) -> AppResult<KindRule> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let mut errs = vec![];
    if Kind::parse(&rule.kind).is_none() {
        errs.push(FieldError::new("kind", "err-unknown-kind-feedback"));
    }
    for (field, v, max) in [
        ("accept_days", rule.accept_days, 30),
        ("answer_days", rule.answer_days, 120),
        ("appeal_days", rule.appeal_days, 365),
    ] {
        if !(1..=max).contains(&v) {
            errs.push(
                FieldError::new(field, "err-range")
                    .with("min", 1)
                    .with("max", max),
            );
        }
    }
    if fb::TransferClock::parse(&rule.transfer_clock).is_none() {
        errs.push(FieldError::new("transfer_clock", "err-transfer-clock"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let before = store::feedback::kind_rule(&mut tx.conn(), &rule.kind).await?;
    store::feedback::set_kind_rule(&mut tx.conn(), &rule).await?;
    store::audit::append(
        &mut tx.conn(),
        &Actor::of(who),
        now,
        vec![Change {
            action: "feedback.rule",
            object_type: "feedback_kind",
            object_id: rule.kind.clone(),
            before: before.map(|b| serde_json::to_string(&b).unwrap_or_default()),
            after: Some(serde_json::to_string(&rule).unwrap_or_default()),
        }],
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

/// Topic categories (public).
pub async fn categories(db: &Db) -> AppResult<Vec<store::feedback::Category>> {
    let mut c = db.acquire().await?;
    store::feedback::categories(&mut c.conn()).await
}

/// Days off and make-up working days added to the built-in calendar (public): (day, kind).
pub async fn holidays(db: &Db) -> AppResult<Vec<(NaiveDate, String)>> {
    let mut c = db.acquire().await?;
    store::feedback::holidays(&mut c.conn()).await
}

/// The routing rules, retired ones included (administrators).
pub async fn routes(db: &Db, who: Option<&Principal>) -> AppResult<Vec<store::feedback::RouteRow>> {
    require(who, Action::RestructureOrg, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::feedback::route_rows(&mut c.conn()).await
}
