//! Public intake: validation, the per-address limiter, and the group-commit writer that stores
//! queued submissions in shared transactions and acknowledges each only after its commit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::common::*;
use crate::auth::sha256_hex;
use crate::clean_opt;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::group_commit::{BatchWrite, GroupCommit};
use domain::FieldError;
use domain::feedback::{self as fb, Kind, State, Submitter};
use domain::input::Email;
use domain::policy::Principal;
use domain::text::nfc;
use store::audit::{Actor, Change};
use store::feedback::Item;
use store::{self};

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

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// report (phản ánh), recommendation (kiến nghị) or initiative (sáng kiến).
    pub kind: String,
    pub category: String,
    pub title: String,
    pub body: String,
    /// The ministry, province or commune concerned, if any, by id.
    pub unit_id: Option<i64>,
    /// Or by its official code ("24133") or name, diacritics optional ("Buon Ma Thuot"),
    /// followed by ", <province>" where names repeat ("Xa Hoa Binh, Dak Lak").
    #[serde(default)]
    pub unit: Option<String>,
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
    /// A one-time token chosen by the client for this submission (16 to 128 letters, digits, `-`
    /// or `_`; the public form holds one). Sent again, the same token answers with the item the
    /// first sending stored, and the same secret, instead of storing another: a refresh, a
    /// double click or a retry after a lost answer is harmless.
    #[serde(default)]
    pub form_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submitted {
    pub code: String,
    /// Shown once: with it, the tracking page shows the private details and lets the submitter rate.
    pub secret: String,
    pub deadline_on: Option<NaiveDate>,
}

/// Most submissions one transaction stores by default; under load they share one commit.
pub const BATCH: usize = 128;

/// Public intake: the per-address limiter and one writer that stores submissions in batches
/// (group commit). A submission is acknowledged only once the transaction holding it has
/// committed, so an acknowledged code survives a crash; sharing the commit is what lets SQLite,
/// with its single writer, take a thousand submissions a second.
pub struct Intake {
    limiter: IntakeLimiter,
    /// Resolves a unit named by code or name.
    org: std::sync::Arc<store::org_index::OrgIndex>,
    writer: GroupCommit<Writer>,
    /// Category codes as the writer last read them: lets a request report a wrong category with
    /// its other field errors without a query of its own (the writer checks again).
    categories: std::sync::Arc<RwLock<Vec<String>>>,
}

/// A validated submission waiting for the writer, and where to send its code.
struct Pending {
    item: Item,
    files: Vec<domain::files::StoredFile>,
    actor: Actor,
    ip: IpAddr,
    /// SHA-256 of the submission's one-time token, when it has one.
    token_hash: Option<String>,
}

impl Intake {
    pub fn new(
        db: Db,
        org: std::sync::Arc<store::org_index::OrgIndex>,
        per_hour: usize,
        batch: usize,
    ) -> Self {
        let categories: std::sync::Arc<RwLock<Vec<String>>> = Default::default();
        Intake {
            limiter: IntakeLimiter::new(per_hour),
            org,
            writer: GroupCommit::new(
                Writer {
                    db,
                    known: categories.clone(),
                },
                batch,
            ),
            categories,
        }
    }
}

impl Intake {
    /// Whether `code` is a category: taken from the list as last seen when it is there, read
    /// again otherwise (a category added on another instance; the rare refusal).
    async fn known_category(&self, db: &Db, code: &str) -> AppResult<bool> {
        let seen = |list: &RwLock<Vec<String>>| {
            list.read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|c| c == code)
        };
        if seen(&self.categories) {
            return Ok(true);
        }
        let mut c = db.acquire().await?;
        let codes = store::feedback::categories(&mut c.conn()).await?;
        *self.categories.write().unwrap_or_else(|e| e.into_inner()) =
            codes.into_iter().map(|c| c.code).collect();
        Ok(seen(&self.categories))
    }
}

/// The intake's writer: the database, and the category list it last read.
struct Writer {
    db: Db,
    known: std::sync::Arc<RwLock<Vec<String>>>,
}

impl BatchWrite for Writer {
    type Item = Pending;
    type Out = (String, NaiveDate);
    fn write<'a>(
        &'a self,
        batch: &'a mut [Pending],
    ) -> impl std::future::Future<Output = AppResult<Vec<AppResult<(String, NaiveDate)>>>> + Send + 'a
    {
        write_batch(&self.db, &self.known, batch)
    }
}

/// Stores a batch in one transaction: routes each item, numbers it in the day's sequence, starts
/// its clock, writes its history, files, confirmation mail and audit records. The category is
/// checked here, against the list in the same transaction; an item whose category has gone is
/// refused alone.
async fn write_batch(
    db: &Db,
    known: &RwLock<Vec<String>>,
    batch: &mut [Pending],
) -> AppResult<Vec<AppResult<(String, NaiveDate)>>> {
    let cal = calendar(db).await?;
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let mut tx = db.begin().await?;
    let categories: Vec<String> = store::feedback::categories(&mut tx.conn())
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    // A form sent again: its token is already stored (an earlier batch) or earlier in this one.
    let mut repeats: Vec<Option<Repeat>> = Vec::with_capacity(batch.len());
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, p) in batch.iter().enumerate() {
        let repeat = match &p.token_hash {
            None => None,
            Some(h) => match store::feedback::by_form_token(&mut tx.conn(), h).await? {
                Some((code, due)) => Some(Repeat::Stored(code, due.unwrap_or(today))),
                None => match first.entry(h) {
                    std::collections::hash_map::Entry::Occupied(e) => Some(Repeat::Of(*e.get())),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(i);
                        None
                    }
                },
            },
        };
        repeats.push(repeat);
    }
    let valid: Vec<bool> = batch
        .iter()
        .zip(&repeats)
        .map(|(p, r)| r.is_none() && categories.contains(&p.item.category))
        .collect();
    *known.write().unwrap_or_else(|e| e.into_inner()) = categories;
    let stored = valid.iter().filter(|v| **v).count();
    let routes = store::feedback::routes(&mut tx.conn()).await?;
    let triage = triage_unit(&mut tx.conn()).await?;
    let rules = store::feedback::kind_rules(&mut tx.conn()).await?;
    let moderating = store::feedback::units_moderating_first(&mut tx.conn()).await?;
    let mut next = if stored > 0 {
        store::feedback::take_seq(&mut tx.conn(), today, stored as i64).await? - stored as i64 + 1
    } else {
        0
    };
    for (p, _) in batch.iter_mut().zip(&valid).filter(|(_, v)| **v) {
        let item = &mut p.item;
        item.code = fb::TrackingCode::new(today, next).into_string();
        next += 1;
        item.unit_id = fb::route(&routes, &item.category, item.concerned_unit_id, triage);
        item.held = moderating.contains(&item.unit_id);
        item.submitted_at = now;
        item.submitted_on = today;
        item.clock_from = today;
        item.allowed_days = rule_in(&rules, item.kind).answer_days;
        item.deadline_on = Some(deadline_of(&cal, item));
    }
    let items: Vec<Item> = batch
        .iter()
        .zip(&valid)
        .filter(|(_, v)| **v)
        .map(|(p, _)| p.item.clone())
        .collect();
    let ids = store::feedback::insert_many(&mut tx.conn(), &items).await?;
    let mut ids = ids.into_iter();
    let mut events = Vec::with_capacity(stored);
    let mut tokens = vec![];
    let mut audit: Vec<(Actor, Vec<Change>)> = vec![];
    for (p, _) in batch.iter_mut().zip(&valid).filter(|(_, v)| **v) {
        let item = &mut p.item;
        item.id = ids.next().expect("one id per stored item");
        events.push((item.id, item.unit_id, item.user_id));
        if let Some(h) = &p.token_hash {
            tokens.push((h.clone(), item.id));
        }
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
    }
    store::feedback::insert_submit_events(&mut tx.conn(), now, State::Received.as_str(), &events)
        .await?;
    store::feedback::insert_form_tokens(&mut tx.conn(), &tokens, now).await?;
    store::audit::commit_batch(tx, now, audit).await?;
    let outcome = |i: usize| {
        if valid[i] {
            let item = &batch[i].item;
            Ok((item.code.clone(), item.deadline_on.unwrap_or(today)))
        } else {
            Err(AppError::Invalid(vec![FieldError::new(
                "category",
                "err-unknown-category",
            )]))
        }
    };
    Ok(repeats
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            None => outcome(i),
            Some(Repeat::Of(j)) => outcome(*j),
            Some(Repeat::Stored(code, due)) => Ok((code.clone(), *due)),
        })
        .collect())
}

/// A submission whose one-time token was sent before: the item already stored, or the first
/// submission of the same batch that carried the token.
enum Repeat {
    Stored(String, NaiveDate),
    Of(usize),
}

#[allow(clippy::too_many_arguments)]
pub async fn submit(
    db: &Db,
    intake: &Intake,
    ip: IpAddr,
    who: Option<&Principal>,
    lang: domain::i18n::Lang,
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
    if let Some(Err(e)) = email.as_deref().map(|e| Email::parse("email", e)) {
        errs.push(e);
    }
    let token = clean_opt(input.form_token);
    if token
        .as_deref()
        .is_some_and(|t| !domain::input::is_form_token(t))
    {
        errs.push(FieldError::new("form_token", "err-form-token"));
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
    let mut unit_id = input.unit_id;
    if unit_id.is_none()
        && let Some(text) = input.unit.as_deref().filter(|t| !t.trim().is_empty())
    {
        match crate::org::resolve(db, &intake.org, "unit", text).await? {
            Ok(id) => unit_id = Some(id),
            Err(e) => errs.push(e),
        }
    }
    if !intake.known_category(db, &input.category).await? {
        errs.push(FieldError::new("category", "err-unknown-category"));
    }
    // The common submission (no unit named, no address) needs no query before the writer.
    if input.unit_id.is_some() || email.is_some() {
        let mut c = db.acquire().await?;
        if let Some(u) = input.unit_id {
            match store::org::get(&mut c.conn(), u).await? {
                Some(unit) if !unit.historical() => {}
                _ => errs.push(FieldError::new("unit_id", "err-no-such-unit")),
            }
        }
        if let Some(e) = &email
            && store::feedback::count_by_email_since(
                &mut c.conn(),
                e,
                Utc::now() - Duration::days(1),
            )
            .await?
                >= PER_EMAIL_DAY
        {
            return Err(AppError::TooManyAttempts);
        }
    }
    let (Some(kind), Some(submitter), true) = (kind, submitter, errs.is_empty()) else {
        return Err(AppError::Invalid(errs));
    };
    let stored = crate::attachments::store_files(data_dir, max_file, &files).await?;
    // With a one-time token the secret follows from it, so that a repeat of the same form gets
    // the same secret back; only the sender's own page ever held the token.
    let secret = match &token {
        Some(t) => sha256_hex(&format!("nqtrack-form-secret:{t}")),
        None => crate::auth::random_token(),
    };
    let now = Utc::now();
    // Code, routing, clock and deadline are set by the writer, inside its transaction.
    let item = Item {
        id: 0,
        code: String::new(),
        secret_hash: sha256_hex(&secret),
        kind,
        category: input.category,
        public_title: title.clone(),
        public_body: body.clone(),
        title,
        body,
        hidden: false,
        moderation_note: None,
        moderated_on: None,
        held: false,
        concerned_unit_id: unit_id,
        unit_id: 0,
        state: State::Received,
        before_wait: None,
        submitter_kind: submitter,
        name,
        email,
        phone,
        publish_name: input.publish_name,
        user_id: who.map(|p| p.user_id),
        submitted_at: now,
        submitted_on: domain::clock::local_date(now),
        clock_from: domain::clock::local_date(now),
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
        lang,
        merged_into: None,
        supports: 0,
        decision: None,
        decision_reason: None,
        decided_on: None,
        task_id: None,
    };
    let pending = Pending {
        item,
        files: stored,
        actor: who
            .map(Actor::of)
            .unwrap_or_else(|| Actor::system("public")),
        ip,
        token_hash: token.map(|t| sha256_hex(&t)),
    };
    let (code, deadline) = intake.writer.submit(pending).await?;
    Ok(Submitted {
        code,
        secret,
        deadline_on: Some(deadline),
    })
}
