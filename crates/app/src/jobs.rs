//! The background job runner: reminders and escalation (đôn đốc), weekly digests, and the mail
//! they produce. Jobs live in the database (`store::jobs`), so the runner is idempotent and safe
//! with several instances: each day's sweep and each week's digest is one job by key, each
//! reminder and escalation is recorded once by key, and each mail is its own job, retried on
//! failure. Long jobs run in short steps (a few hundred rows or 40 ms, whichever comes first), each
//! one transaction that saves the job's progress, so interactive writes never wait long for the
//! database and a job cut off resumes where it stopped. A person gets one message a day (one
//! mail, one notification) listing all their reminders, not one per reminder.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::{Mail, Mailer};
use crate::notify;
use domain::i18n::Lang;
use domain::reminders::{self, Audience};
use store::audit::{Actor, Change};
use store::tasks::Programme;
use store::{self};

const LEASE: i64 = 300;
const MAX_ATTEMPTS: i32 = 5;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TickReport {
    pub jobs: usize,
    pub reminders: usize,
    pub mails: usize,
    pub failures: usize,
}

/// Enqueues today's sweep (and on Mondays the weekly digest), then runs every job that is due.
/// Long jobs (the sweep, the digest) run in short steps, each its own transaction that also saves
/// how far the job has come; mail is claimed and sent in batches.
pub async fn tick(
    db: &Db,
    mailer: &Mailer,
    base_url: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> AppResult<TickReport> {
    {
        let mut tx = db.begin().await?;
        let payload = serde_json::to_string(&Progress::start(today)).unwrap_or_default();
        store::jobs::enqueue(
            &mut tx.conn(),
            "sweep",
            &format!("sweep:{today}"),
            &payload,
            now,
            now,
        )
        .await?;
        if today.weekday() == chrono::Weekday::Mon {
            let w = today.iso_week();
            store::jobs::enqueue(
                &mut tx.conn(),
                "digest",
                &format!("digest:{}-W{:02}", w.year(), w.week()),
                &payload,
                now,
                now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    let mut report = TickReport::default();
    loop {
        let job = {
            let mut tx = db.begin().await?;
            let j = store::jobs::claim(&mut tx.conn(), now, Duration::seconds(LEASE)).await?;
            tx.commit().await?;
            j
        };
        let Some(job) = job else { break };
        if job.kind == "mail" {
            // Take more mail with it and send the batch concurrently.
            let mut batch = vec![job];
            let mut tx = db.begin().await?;
            batch.extend(
                store::jobs::claim_kind(
                    &mut tx.conn(),
                    "mail",
                    now,
                    Duration::seconds(LEASE),
                    MAIL_BATCH - 1,
                )
                .await?,
            );
            tx.commit().await?;
            report.jobs += batch.len();
            let outcomes = send_batch(mailer, base_url, &batch).await;
            let mut tx = db.begin().await?;
            for (job, outcome) in batch.iter().zip(outcomes) {
                match outcome {
                    Ok(()) => report.mails += 1,
                    Err(_) => report.failures += 1,
                }
                settle(&mut tx.conn(), job, outcome, now).await?;
            }
            tx.commit().await?;
            continue;
        }
        report.jobs += 1;
        let outcome = match serde_json::from_str::<Progress>(&job.payload) {
            Err(e) => Err(AppError::internal(e)),
            Ok(p) => match job.kind.as_str() {
                "sweep" => sweep(db, base_url, &job, p, now)
                    .await
                    .map(|n| report.reminders += n),
                "digest" => digest(db, base_url, &job, p, now).await,
                other => Err(AppError::Internal(format!("unknown job kind {other}"))),
            },
        };
        if outcome.is_err() {
            report.failures += 1;
        }
        let mut tx = db.begin().await?;
        settle(&mut tx.conn(), &job, outcome, now).await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Mail sent together: claimed in one transaction, sent concurrently (the SMTP transport reuses
/// its pooled connections), settled in one transaction.
const MAIL_BATCH: i64 = 32;

async fn send_batch(
    mailer: &Mailer,
    base_url: &str,
    batch: &[store::jobs::Job],
) -> Vec<AppResult<()>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, job) in batch.iter().enumerate() {
        let mailer = mailer.clone();
        let base_url = base_url.to_string();
        let payload = job.payload.clone();
        set.spawn(async move {
            let r = match serde_json::from_str::<notify::MailJob>(&payload) {
                Ok(m) => mailer
                    .send(&Mail {
                        to: m.to,
                        subject: m.subject,
                        text: notify::with_base_url(&m.text, &base_url),
                    })
                    .await
                    .map_err(AppError::internal),
                Err(e) => Err(AppError::internal(e)),
            };
            (i, r)
        });
    }
    let mut out: Vec<AppResult<()>> = (0..batch.len())
        .map(|_| Err(AppError::Internal("mail task did not finish".into())))
        .collect();
    while let Some(r) = set.join_next().await {
        if let Ok((i, r)) = r {
            out[i] = r;
        }
    }
    out
}

/// Marks a job done, or puts it back for a later try.
async fn settle(
    c: &mut crate::db::DbConn<'_>,
    job: &store::jobs::Job,
    outcome: AppResult<()>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    match outcome {
        Ok(()) => store::jobs::finish(c, job.id, Utc::now()).await,
        Err(e) => {
            tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
            let retry = now + Duration::minutes(5 * i64::from(job.attempts));
            store::jobs::fail(c, job, &e.to_string(), retry, MAX_ATTEMPTS).await
        }
    }
}

/// Runs `tick` every `every`, for `serve`.
pub async fn run_forever(db: Db, mailer: Mailer, base_url: String, every: StdDuration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let now = Utc::now();
        if let Err(e) = tick(&db, &mailer, &base_url, now, domain::clock::local_date(now)).await {
            tracing::error!(error = %e, "job runner");
        }
    }
}

/// How far a long job has come: the day it is for, the phase it is in and the last row it did.
/// Saved with every step, so a job cut off resumes where the last committed step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Progress {
    date: NaiveDate,
    #[serde(default)]
    phase: Phase,
    #[serde(default)]
    after: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    /// Task reminders and escalations, by assignment id.
    #[default]
    Tasks,
    /// Overdue feedback, by item id.
    Feedback,
    /// One message per person, by user id.
    Deliver,
    Done,
}

impl Progress {
    fn start(date: NaiveDate) -> Progress {
        Progress {
            date,
            phase: Phase::Tasks,
            after: 0,
        }
    }

    fn next(&mut self, phase: Phase) {
        self.phase = phase;
        self.after = 0;
    }
}

/// A step reads at most this many rows (the time bound below usually ends it first)...
const STEP_ROWS: i64 = 500;
/// ...and stops taking new ones after this long, so that the write lock is held only briefly and
/// an interactive write waits for a few tens of milliseconds at worst.
const STEP_TIME: StdDuration = StdDuration::from_millis(40);
/// The pause between two steps. Short: waiting writers of this process get their turn from the
/// fair write queue in any case (`store::db`); the pause only lets other work be scheduled.
const STEP_PAUSE: StdDuration = StdDuration::from_millis(2);

/// A long job done in steps: each step does some rows and moves the progress on.
trait Steps {
    async fn step(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        p: &mut Progress,
        started: Instant,
    ) -> AppResult<()>;
}

/// Runs the steps of a long job until it is done: each step is one transaction that does some
/// rows and saves the progress (extending the lease) before it commits.
async fn in_steps(
    db: &Db,
    job: &store::jobs::Job,
    mut p: Progress,
    s: &mut impl Steps,
) -> AppResult<()> {
    while p.phase != Phase::Done {
        let started = Instant::now();
        let mut tx = db.begin().await?;
        s.step(&mut tx.conn(), &mut p, started).await?;
        let payload = serde_json::to_string(&p).unwrap_or_default();
        let lease = Utc::now() + Duration::seconds(LEASE);
        store::jobs::progress(&mut tx.conn(), job.id, &payload, lease).await?;
        tx.commit().await?;
        // Leave the write lock free for a moment: SQLite's waiting writers (other requests,
        // other processes) poll for it, and a step that began again at once would starve them.
        tokio::time::sleep(STEP_PAUSE).await;
    }
    Ok(())
}

/// (unit, leaders only) → user ids and addresses, per run.
type RecipientCache = HashMap<(i64, bool), (Vec<i64>, Vec<String>)>;

async fn recipients<'a>(
    c: &mut crate::db::DbConn<'_>,
    unit_id: i64,
    leaders_only: bool,
    cache: &'a mut RecipientCache,
) -> AppResult<&'a (Vec<i64>, Vec<String>)> {
    if let Entry::Vacant(slot) = cache.entry((unit_id, leaders_only)) {
        let mut users = vec![];
        let mut emails = vec![];
        for (id, email, role) in store::work::unit_recipients(c, unit_id).await? {
            if leaders_only && !matches!(role.as_str(), "unit_leader" | "steering") {
                continue;
            }
            users.push(id);
            if let Some(e) = email.filter(|e| !e.is_empty()) {
                emails.push(e);
            }
        }
        slot.insert((users, emails));
    }
    Ok(&cache[&(unit_id, leaders_only)])
}

/// What the sweep remembers between steps of one run (rows it would otherwise read again).
#[derive(Default)]
struct SweepCache {
    recipients: RecipientCache,
    /// Notices kept in full per person in this run, and the items counted beyond them, not yet
    /// saved: a person's day keeps at most `notify::DAY_LISTED` in full.
    kept: HashMap<i64, usize>,
    unlisted: HashMap<i64, i64>,
    tasks: HashMap<i64, store::tasks::Task>,
    names: HashMap<i64, String>,
}

/// The day's reminders and escalations (đôn đốc), in steps: first each open assignment's
/// reminders due that day are recorded and become notices for the people concerned, then each
/// overdue feedback item's escalations, then every person with notices gets one message (one
/// notification, one mail) listing them. Returns how many reminders and escalations were new.
async fn sweep(
    db: &Db,
    base_url: &str,
    job: &store::jobs::Job,
    p: Progress,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let mut c = db.acquire().await?;
    let programmes: HashMap<i64, Programme> = store::tasks::list_programmes(&mut c.conn())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let steering = store::org::find_current_by_code(&mut c.conn(), "BCDTW")
        .await?
        .map(|u| u.id);
    drop(c);
    let horizon = programmes
        .values()
        .flat_map(|p| p.schedule().before)
        .max()
        .unwrap_or(0);
    let mut s = Sweep {
        base_url,
        now,
        programmes,
        horizon,
        steering,
        cache: SweepCache::default(),
        new: 0,
        job_id: job.id,
    };
    let started = Instant::now();
    in_steps(db, job, p, &mut s).await?;
    tracing::info!(
        date = %p.date,
        new = s.new,
        seconds = started.elapsed().as_secs_f64(),
        "daily sweep done"
    );
    Ok(s.new)
}

struct Sweep<'a> {
    base_url: &'a str,
    now: DateTime<Utc>,
    programmes: HashMap<i64, Programme>,
    horizon: i64,
    steering: Option<i64>,
    cache: SweepCache,
    new: usize,
    job_id: i64,
}

impl Steps for Sweep<'_> {
    async fn step(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        p: &mut Progress,
        started: Instant,
    ) -> AppResult<()> {
        let (base_url, now) = (self.base_url, self.now);
        let mut done = vec![];
        let phase = p.phase;
        match p.phase {
            Phase::Tasks => {
                let until = p.date + Duration::days(self.horizon);
                let rows =
                    store::tasks::open_with_deadline_before(c, until, p.after, STEP_ROWS).await?;
                if rows.is_empty() {
                    p.next(Phase::Feedback);
                }
                for (a, pid) in rows {
                    p.after = a.id;
                    if let Some(prog) = self.programmes.get(&pid) {
                        self.new += task_reminders(
                            c,
                            base_url,
                            p.date,
                            now,
                            &a,
                            prog,
                            &mut self.cache,
                            &mut done,
                        )
                        .await?;
                    }
                    if started.elapsed() > STEP_TIME {
                        break;
                    }
                }
            }
            Phase::Feedback => {
                let rows = store::feedback::overdue_open(c, p.date, p.after, STEP_ROWS).await?;
                if rows.is_empty() {
                    p.next(Phase::Deliver);
                }
                for item in rows {
                    p.after = item.0;
                    self.new += feedback_overdue(
                        c,
                        base_url,
                        p.date,
                        now,
                        self.steering,
                        item,
                        &mut self.cache,
                        &mut done,
                    )
                    .await?;
                    if started.elapsed() > STEP_TIME {
                        break;
                    }
                }
            }
            Phase::Deliver => {
                let people =
                    store::work::people_with_notices(c, p.date, p.after, STEP_ROWS).await?;
                if people.is_empty() {
                    p.next(Phase::Done);
                }
                for (user, email) in people {
                    p.after = user;
                    deliver_day(c, base_url, p.date, user, email, now).await?;
                    if started.elapsed() > STEP_TIME {
                        break;
                    }
                }
            }
            Phase::Done => {}
        }
        for (user, n) in self.cache.unlisted.drain() {
            store::work::add_overflow(c, p.date, user, n).await?;
        }
        // One audit record per step lists what it recorded (the reminder and escalation rows are
        // the detail): a national day is tens of thousands of reminders.
        if done.is_empty() {
            return Ok(());
        }
        let change = Change::new("reminders.sweep", "job", self.job_id).after(Some(
            serde_json::json!({ "date": p.date, "phase": phase, "recorded": done }).to_string(),
        ));
        store::audit::append(c, &Actor::system("reminders"), now, vec![change]).await
    }
}

/// Records one assignment's reminders due on `date` and writes a notice for each person they
/// go to. Returns how many reminders were new.
#[allow(clippy::too_many_arguments)]
async fn task_reminders(
    c: &mut crate::db::DbConn<'_>,
    base_url: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
    a: &store::tasks::Assignment,
    p: &Programme,
    cache: &mut SweepCache,
    done: &mut Vec<serde_json::Value>,
) -> AppResult<usize> {
    let lang = Lang::Vi;
    let f = a.facts();
    let Some(due) = domain::status::deadline_in_force(&f, date) else {
        return Ok(0);
    };
    // A completed claim awaiting verification is not urged; the assigning level is.
    if a.claimed_on.is_some() {
        return Ok(0);
    }
    let mut new = 0;
    for r in reminders::due_today(due, date, &p.schedule()) {
        let target = match r.audience {
            Audience::Unit | Audience::Leader => a.unit_id,
            Audience::Assigner => p.owner_unit_id,
        };
        let (users, emails) = recipients(
            c,
            target,
            r.audience != Audience::Unit,
            &mut cache.recipients,
        )
        .await?
        .clone();
        let key = r.key(a.id, due);
        if !store::work::insert_reminder(c, a.id, &r.kind, date, &key, &emails.join(", "), now)
            .await?
        {
            continue;
        }
        new += 1;
        if let Entry::Vacant(slot) = cache.tasks.entry(a.task_id) {
            let t = store::tasks::get_task(c, a.task_id)
                .await?
                .ok_or(AppError::NotFound)?;
            slot.insert(t);
        }
        if let Entry::Vacant(slot) = cache.names.entry(a.unit_id) {
            let n = store::org::get(c, a.unit_id)
                .await?
                .map(|u| u.name_vi)
                .unwrap_or_default();
            slot.insert(n);
        }
        let task = &cache.tasks[&a.task_id];
        let m = notify::reminder(lang, base_url, task, &cache.names[&a.unit_id], &r, due);
        let link = format!("/tasks/{}", task.id);
        for u in &users {
            let n = store::work::NewNotice {
                day: date,
                user_id: *u,
                key: &format!("{key}:{u}"),
                kind: &r.kind,
                subject: &m.subject,
                body: &m.text,
                link: &link,
            };
            notice(c, cache, &n, now).await?;
        }
        done.push(
            serde_json::json!({ "assignment": a.id, "kind": r.kind, "due": due, "to": emails }),
        );
    }
    Ok(new)
}

/// Keeps a notice in full while its person has fewer than a message lists, else counts it.
async fn notice(
    c: &mut crate::db::DbConn<'_>,
    cache: &mut SweepCache,
    n: &store::work::NewNotice<'_>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let kept = cache.kept.entry(n.user_id).or_default();
    if *kept < notify::DAY_LISTED {
        if store::work::insert_notice(c, n, now).await? {
            *kept += 1;
        }
    } else {
        *cache.unlisted.entry(n.user_id).or_default() += 1;
    }
    Ok(())
}

/// Working days after the deadline before an unanswered item goes to the unit's leaders, and to
/// the Steering Committee's standing agency.
const FB_LEADER_AFTER: i64 = 5;
const FB_STEERING_AFTER: i64 = 10;

/// One overdue feedback item: the unit is told on the first day, its leaders after five days and
/// the standing agency after ten (calendar days, each once per item and deadline).
#[allow(clippy::too_many_arguments)]
async fn feedback_overdue(
    c: &mut crate::db::DbConn<'_>,
    base_url: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
    steering: Option<i64>,
    (id, code, unit, due, title): (i64, String, i64, NaiveDate, String),
    cache: &mut SweepCache,
    done: &mut Vec<serde_json::Value>,
) -> AppResult<usize> {
    let lang = Lang::Vi;
    let late = (date - due).num_days();
    let mut steps = vec![("overdue", unit, false)];
    if late >= FB_LEADER_AFTER {
        steps.push(("escalate-leader", unit, true));
    }
    if let (true, Some(s)) = (late >= FB_STEERING_AFTER, steering) {
        steps.push(("escalate-steering", s, true));
    }
    let mut new = 0;
    for (kind, target, leaders) in steps {
        let key = format!("fb:{id}:{kind}:{due}");
        if !store::feedback::insert_escalation(c, id, kind, date, &key, now).await? {
            continue;
        }
        new += 1;
        let (users, emails) = recipients(c, target, leaders, &mut cache.recipients)
            .await?
            .clone();
        let m = notify::feedback_overdue(lang, base_url, kind, id, &code, &title, late, due);
        let link = format!("/feedback/items/{id}");
        for u in &users {
            let n = store::work::NewNotice {
                day: date,
                user_id: *u,
                key: &format!("{key}:{u}"),
                kind: &format!("fb-{kind}"),
                subject: &m.subject,
                body: &m.text,
                link: &link,
            };
            notice(c, cache, &n, now).await?;
        }
        done.push(serde_json::json!({ "feedback": id, "kind": kind, "due": due, "to": emails }));
    }
    Ok(new)
}

/// One person's day as one notification and, with an address, one mail; the notices are taken in
/// the same transaction, so each is delivered once.
async fn deliver_day(
    c: &mut crate::db::DbConn<'_>,
    base_url: &str,
    date: NaiveDate,
    user: i64,
    email: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let notices = store::work::take_notices(c, date, user).await?;
    let unlisted = store::work::take_overflow(c, date, user).await?;
    if notices.is_empty() {
        return Ok(());
    }
    let link = match (notices.as_slice(), unlisted) {
        ([(_, _, _, link)], 0) => link.clone(),
        _ => "/worklist".to_string(),
    };
    let items: Vec<(String, String, String)> =
        notices.into_iter().map(|(k, s, b, _)| (k, s, b)).collect();
    let m = notify::day(Lang::Vi, base_url, date, &items, unlisted);
    notify::in_app(c, &[user], &m, Some(&link), now).await?;
    if let Some(e) = email.filter(|e| !e.is_empty()) {
        notify::queue_mail(c, &format!("mail:day:{user}:{date}"), vec![e], m, now).await?;
    }
    Ok(())
}

/// The weekly digest, in steps: one mail per unit whose people have an address.
async fn digest(
    db: &Db,
    base_url: &str,
    job: &store::jobs::Job,
    p: Progress,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut c = db.acquire().await?;
    let programmes = store::tasks::list_programmes(&mut c.conn())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    drop(c);
    let mut d = Digest {
        base_url,
        now,
        programmes,
    };
    in_steps(db, job, p, &mut d).await
}

struct Digest<'a> {
    base_url: &'a str,
    now: DateTime<Utc>,
    programmes: HashMap<i64, Programme>,
}

impl Steps for Digest<'_> {
    async fn step(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        p: &mut Progress,
        started: Instant,
    ) -> AppResult<()> {
        let lang = Lang::Vi;
        let date = p.date;
        let w = date.iso_week();
        let units = store::work::units_with_mail(c, p.after, 50).await?;
        if units.is_empty() {
            p.next(Phase::Done);
        }
        for (unit_id, emails) in units {
            p.after = unit_id;
            let mut counts: HashMap<&'static str, i64> = HashMap::new();
            for (a, task) in store::tasks::worklist(c, unit_id).await? {
                let Some(prog) = self.programmes.get(&task.programme_id) else {
                    continue;
                };
                let f = a.facts();
                let s = domain::status::status(&f, date, prog.rules());
                *counts.entry(s.as_str()).or_default() += 1;
                if domain::status::deadline_in_force(&f, date)
                    .is_some_and(|d| d >= date && d <= date + Duration::days(14))
                    && !s.is_completed()
                {
                    *counts.entry("due_soon").or_default() += 1;
                }
            }
            let open: i64 = counts
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        **k,
                        "completed_on_time"
                            | "completed_late"
                            | "cancelled"
                            | "superseded"
                            | "due_soon"
                    )
                })
                .map(|(_, v)| *v)
                .sum();
            if open > 0 {
                let m = notify::digest(lang, self.base_url, unit_id, &counts, open);
                let key = format!("mail:digest:{unit_id}:{}-W{:02}", w.year(), w.week());
                notify::queue_mail(c, &key, emails, m, self.now).await?;
            }
            if started.elapsed() > STEP_TIME {
                break;
            }
        }
        Ok(())
    }
}
