//! The background job runner: reminders and escalation (đôn đốc), weekly digests, and the mail
//! they produce. Jobs live in the database (`store::jobs`), so the runner is idempotent and safe
//! with several instances: each day's sweep and each week's digest is one job by key, each
//! reminder and escalation is recorded once by key, and each mail is its own job, retried on
//! failure. Long jobs run in short steps (as many rows as fit in about 40 ms), each one
//! transaction that saves the job's progress, so interactive writes never wait long for the
//! database and a job cut off resumes where it stopped. A step writes its rows with a few
//! multi-row statements, not one per row: on SQLite each statement and each row read is a hand-off
//! to the database's worker thread, and that, not SQLite, was most of a national day's time. A
//! person gets one message a day (one mail, one notification) listing all their reminders, not one
//! per reminder.

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
pub fn tick<'a>(
    db: &'a Db,
    mailer: &'a Mailer,
    base_url: &'a str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> crate::BoxFuture<'a, AppResult<TickReport>> {
    Box::pin(async move {
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
    })
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
pub fn run_forever(
    db: Db,
    mailer: Mailer,
    base_url: String,
    every: StdDuration,
) -> crate::BoxFuture<'static, ()> {
    Box::pin(async move {
        let mut interval = tokio::time::interval(every);
        loop {
            interval.tick().await;
            let now = Utc::now();
            if let Err(e) = tick(&db, &mailer, &base_url, now, domain::clock::local_date(now)).await
            {
                tracing::error!(error = %e, "job runner");
            }
        }
    })
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    /// Task reminders and escalations, by assignment id.
    #[default]
    Tasks,
    /// Overdue feedback, by item id.
    Feedback,
    /// Early warnings about indicators (late data, figures off their path), by position in
    /// the day's list.
    Indicators,
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

/// A step starts with this many rows and adapts: the next step takes half as many when a step
/// went past the time bound below, twice as many (up to `STEP_MAX_ROWS`) when it took less than
/// half of it. Rows are written with a few multi-row statements per step, so a step's cost
/// follows its row count.
const STEP_ROWS: i64 = 500;
const STEP_MAX_ROWS: i64 = 4_000;
/// A step aims to end within this long, so that the write lock is held only briefly and an
/// interactive write waits for a few tens of milliseconds at worst.
const STEP_TIME: StdDuration = StdDuration::from_millis(40);
/// The shortest pause between two steps (a step rests as long as it worked, see `in_steps`).
const STEP_PAUSE: StdDuration = StdDuration::from_millis(2);

/// A long job done in steps: each step does some rows and moves the progress on.
trait Steps {
    async fn step(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        p: &mut Progress,
        started: Instant,
        limit: i64,
    ) -> AppResult<()>;

    /// Between two steps, once the last has committed.
    async fn between(&mut self, _db: &Db) -> AppResult<()> {
        Ok(())
    }
}

/// Runs the steps of a long job until it is done: each step is one transaction that does some
/// rows and saves the progress (extending the lease) before it commits.
async fn in_steps(
    db: &Db,
    job: &store::jobs::Job,
    mut p: Progress,
    s: &mut impl Steps,
) -> AppResult<()> {
    let mut limit = STEP_ROWS;
    let (mut phase, mut phase_started, mut steps) = (p.phase, Instant::now(), 0);
    while p.phase != Phase::Done {
        if p.phase != phase {
            tracing::info!(
                ?phase,
                steps,
                seconds = phase_started.elapsed().as_secs_f64(),
                "job phase done"
            );
            (phase, phase_started, steps) = (p.phase, Instant::now(), 0);
        }
        steps += 1;
        let started = Instant::now();
        let mut tx = db.begin().await?;
        s.step(&mut tx.conn(), &mut p, started, limit).await?;
        let payload = serde_json::to_string(&p).unwrap_or_default();
        let lease = Utc::now() + Duration::seconds(LEASE);
        store::jobs::progress(&mut tx.conn(), job.id, &payload, lease).await?;
        tx.commit().await?;
        s.between(db).await?;
        let took = started.elapsed();
        if took > STEP_TIME {
            limit = (limit / 2).max(10);
        } else if took < STEP_TIME / 2 {
            limit = (limit * 2).min(STEP_MAX_ROWS);
        }
        // Rest as long as the step worked (at most `STEP_TIME`): the job then takes at most
        // half of the time it shares with interactive requests. On SQLite the write lock stays
        // free that long: its waiting writers (other requests, other processes) poll for it,
        // and with 2 ms between 40 ms steps a few of 50 submitters in another process waited
        // past 2 s. On PostgreSQL a 2 ms pause let the first national sweep of a day (9 s of
        // PostgreSQL's work) take both cores of a small machine: the Committee's home, 6 ms
        // at one client, reached 140 ms p95 at ten while it ran beside 50 submitters.
        tokio::time::sleep(took.clamp(STEP_PAUSE, STEP_TIME)).await;
    }
    Ok(())
}

/// (unit, leaders only) → user ids and addresses, and each person's language, per run.
#[derive(Default)]
struct RecipientCache {
    by_unit: HashMap<(i64, bool), (Vec<i64>, Vec<String>)>,
    langs: HashMap<i64, Lang>,
}

impl RecipientCache {
    fn lang(&self, user: i64) -> Lang {
        self.langs.get(&user).copied().unwrap_or(Lang::Vi)
    }

    /// The languages `users` read in, each once, Vietnamese first.
    fn langs_of(&self, users: &[i64]) -> Vec<Lang> {
        domain::i18n::LANGS
            .into_iter()
            .filter(|l| users.iter().any(|u| self.lang(*u) == *l))
            .collect()
    }
}

async fn recipients<'a>(
    c: &mut crate::db::DbConn<'_>,
    unit_id: i64,
    leaders_only: bool,
    cache: &'a mut RecipientCache,
) -> AppResult<&'a (Vec<i64>, Vec<String>)> {
    if let Entry::Vacant(slot) = cache.by_unit.entry((unit_id, leaders_only)) {
        let mut users = vec![];
        let mut emails = vec![];
        for (id, email, role, lang) in store::work::unit_recipients(c, unit_id).await? {
            if leaders_only && !matches!(role.as_str(), "unit_leader" | "steering") {
                continue;
            }
            users.push(id);
            cache
                .langs
                .insert(id, Lang::parse(&lang).unwrap_or(Lang::Vi));
            if let Some(e) = email.filter(|e| !e.is_empty()) {
                emails.push(e);
            }
        }
        slot.insert((users, emails));
    }
    Ok(&cache.by_unit[&(unit_id, leaders_only)])
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
    units: HashMap<i64, store::org::OrgUnit>,
}

/// New reminders and escalations from which a sweep refreshes the planner's statistics.
const ANALYZE_AFTER: usize = 1_000;
/// The tables a sweep fills.
const SWEPT_TABLES: &[&str] = &[
    "reminders",
    "feedback_escalations",
    "notices",
    "notice_overflow",
    "notifications",
];

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
    // The day's indicator warnings are worked out before the steps, by reading only: the
    // figures behind them take longer than a step may hold the write lock.
    let alerts = if p.phase <= Phase::Indicators {
        let started = Instant::now();
        let snap = store::org_index::OrgIndex::default().snapshot(db).await?;
        let alerts = crate::indicators::alerts::of_day(db, &snap, p.date).await?;
        tracing::info!(
            alerts = alerts.len(),
            seconds = started.elapsed().as_secs_f64(),
            "indicator warnings worked out"
        );
        alerts
    } else {
        vec![]
    };
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
        alerts,
        new: 0,
        analyzed_at: 0,
        job_id: job.id,
    };
    let started = Instant::now();
    in_steps(db, job, p, &mut s).await?;
    if s.new > s.analyzed_at && s.new >= ANALYZE_AFTER {
        store::bulk::analyze(db, SWEPT_TABLES).await?;
    }
    // Search outbox rows every instance has long applied.
    let pruned = crate::search::indexer::prune_outbox(db).await?;
    tracing::info!(
        date = %p.date,
        new = s.new,
        search_outbox_pruned = pruned,
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
    alerts: Vec<crate::indicators::alerts::Alert>,
    new: usize,
    /// `new` when the statistics were last refreshed.
    analyzed_at: usize,
    job_id: i64,
}

impl Steps for Sweep<'_> {
    /// A day's sweep can multiply what its tables hold (the first at national scale writes
    /// 71,000 reminders into an empty table). PostgreSQL keeps the plans it made for the old
    /// sizes — a server's prepared statements keep theirs for the life of the connection unless
    /// the statistics change — and without autovacuum, or before it comes by, the task page
    /// hashed every reminder: 80–140 ms instead of 2 ms. Statistics refreshed each time the new
    /// rows double keep every plan within a factor of two of the sizes it was made for, for a
    /// handful of quick ANALYZEs. Nothing on SQLite, which plans without them.
    async fn between(&mut self, db: &Db) -> AppResult<()> {
        if self.new >= (self.analyzed_at * 2).max(ANALYZE_AFTER) {
            store::bulk::analyze(db, SWEPT_TABLES).await?;
            self.analyzed_at = self.new;
        }
        Ok(())
    }

    async fn step(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        p: &mut Progress,
        _started: Instant,
        limit: i64,
    ) -> AppResult<()> {
        let mut done = vec![];
        let phase = p.phase;
        match p.phase {
            Phase::Tasks => {
                let until = p.date + Duration::days(self.horizon);
                let rows =
                    store::tasks::open_with_deadline_before(c, until, p.after, limit).await?;
                match rows.last() {
                    Some((a, _)) => p.after = a.id,
                    None => p.next(Phase::Feedback),
                }
                self.new += self.task_reminders(c, p.date, &rows, &mut done).await?;
            }
            Phase::Feedback => {
                let rows = store::feedback::overdue_open(c, p.date, p.after, limit).await?;
                match rows.last() {
                    Some(item) => p.after = item.0,
                    None => p.next(Phase::Indicators),
                }
                self.new += self.feedback_overdue(c, p.date, rows, &mut done).await?;
            }
            Phase::Indicators => {
                let start = (p.after.max(0) as usize).min(self.alerts.len());
                let end = (start + limit.max(1) as usize).min(self.alerts.len());
                if start == end {
                    p.next(Phase::Deliver);
                } else {
                    p.after = end as i64;
                    let alerts = self.alerts[start..end].to_vec();
                    self.new += self.indicator_alerts(c, p.date, &alerts, &mut done).await?;
                }
            }
            Phase::Deliver => {
                let people = store::work::people_with_notices(c, p.date, p.after, limit).await?;
                match people.last() {
                    Some((last, _, _)) => {
                        let after = std::mem::replace(&mut p.after, *last);
                        deliver(c, self.base_url, p.date, after, &people, self.now).await?;
                    }
                    None => p.next(Phase::Done),
                }
            }
            Phase::Done => {}
        }
        let unlisted: Vec<(i64, i64)> = self.cache.unlisted.drain().collect();
        store::work::add_overflows(c, p.date, &unlisted).await?;
        // One audit record per step lists what it recorded (the reminder and escalation rows are
        // the detail): a national day is tens of thousands of reminders.
        if done.is_empty() {
            return Ok(());
        }
        let change = Change::new("reminders.sweep", "job", self.job_id).after(Some(
            serde_json::json!({ "date": p.date, "phase": phase, "recorded": done }).to_string(),
        ));
        store::audit::append(c, &Actor::system("reminders"), self.now, vec![change]).await
    }
}

impl Sweep<'_> {
    /// Records the reminders due on `date` of a step's assignments (one multi-row insert, keys
    /// already there skipped) and writes a notice for each person the new ones go to. Returns
    /// how many reminders were new.
    async fn task_reminders(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        date: NaiveDate,
        rows: &[(store::tasks::Assignment, i64)],
        done: &mut Vec<serde_json::Value>,
    ) -> AppResult<usize> {
        let cache = &mut self.cache;
        // (assignment, reminder, deadline, people) of each reminder due today.
        let mut due_today = vec![];
        let mut records = vec![];
        for (a, pid) in rows {
            let Some(prog) = self.programmes.get(pid) else {
                continue;
            };
            let f = a.facts();
            let Some(due) = domain::status::deadline_in_force(&f, date) else {
                continue;
            };
            // A completed claim awaiting verification is not urged; the assigning level is.
            if a.claimed_on.is_some() {
                continue;
            }
            for r in reminders::due_today(due, date, &prog.schedule()) {
                let target = match r.audience {
                    Audience::Unit | Audience::Leader => a.unit_id,
                    Audience::Assigner => prog.owner_unit_id,
                };
                let leaders = r.audience != Audience::Unit;
                let (users, emails) = recipients(c, target, leaders, &mut cache.recipients)
                    .await?
                    .clone();
                records.push(store::work::NewReminder {
                    assignment_id: a.id,
                    kind: r.kind.clone(),
                    key: r.key(a.id, due),
                    recipients: emails.join(", "),
                });
                due_today.push((a, r, due, users));
            }
        }
        let new = store::work::insert_reminders(c, date, &records, self.now).await?;
        let mut notices = vec![];
        for ((a, r, due, users), rec) in due_today.into_iter().zip(&records) {
            if !new.contains(&rec.key) {
                continue;
            }
            if let Entry::Vacant(slot) = cache.tasks.entry(a.task_id) {
                let t = store::tasks::get_task(c, a.task_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                slot.insert(t);
            }
            if let Entry::Vacant(slot) = cache.units.entry(a.unit_id) {
                let u = store::org::get(c, a.unit_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                slot.insert(u);
            }
            let task = &cache.tasks[&a.task_id];
            let unit = &cache.units[&a.unit_id];
            // Written once per language among the people it goes to.
            let messages: HashMap<Lang, notify::Message> = cache
                .recipients
                .langs_of(&users)
                .into_iter()
                .map(|l| {
                    let m = notify::reminder(l, self.base_url, task, unit.name(l.code()), &r, due);
                    (l, m)
                })
                .collect();
            let link = format!("/tasks/{}", task.id);
            for u in users {
                let m = &messages[&cache.recipients.lang(u)];
                cache.notice(&mut notices, u, &rec.key, &r.kind, m, &link);
            }
            done.push(serde_json::json!({
                "assignment": a.id, "kind": r.kind, "due": due, "to": rec.recipients.split(", ").filter(|e| !e.is_empty()).collect::<Vec<_>>()
            }));
        }
        store::work::insert_notices(c, date, &notices, self.now).await?;
        Ok(new.len())
    }

    /// A step's overdue feedback items: the unit is told on the first day, its leaders after five
    /// days and the standing agency after ten (calendar days, each once per item and deadline).
    /// Returns how many escalations were new.
    async fn feedback_overdue(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        date: NaiveDate,
        rows: Vec<(i64, String, i64, NaiveDate, String)>,
        done: &mut Vec<serde_json::Value>,
    ) -> AppResult<usize> {
        let mut steps = vec![];
        let mut records = vec![];
        for (id, code, unit, due, title) in &rows {
            let late = (date - *due).num_days();
            let mut kinds = vec![("overdue", *unit, false)];
            if late >= FB_LEADER_AFTER {
                kinds.push(("escalate-leader", *unit, true));
            }
            if let (true, Some(s)) = (late >= FB_STEERING_AFTER, self.steering) {
                kinds.push(("escalate-steering", s, true));
            }
            for (kind, target, leaders) in kinds {
                records.push((*id, kind, format!("fb:{id}:{kind}:{due}")));
                steps.push((*id, code, *due, title, late, target, leaders));
            }
        }
        // Keys already recorded are read first, in one row, so that the insert needs no
        // RETURNING row per key (the step holds the write lock: nobody adds one meanwhile).
        let (first, last) = match (rows.first(), rows.last()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => return Ok(0),
        };
        let old = store::feedback::escalation_keys(c, first, last).await?;
        let (steps, records): (Vec<_>, Vec<_>) = steps
            .into_iter()
            .zip(records)
            .filter(|(_, r)| !old.contains(&r.2))
            .unzip();
        store::feedback::insert_escalations(c, date, &records, self.now).await?;
        let mut notices = vec![];
        for ((id, code, due, title, late, target, leaders), (_, kind, key)) in
            steps.into_iter().zip(&records)
        {
            let (users, emails) = recipients(c, target, leaders, &mut self.cache.recipients)
                .await?
                .clone();
            // Past the first few items of everyone concerned, an item is only counted: no
            // message to write.
            if self.cache.has_room(&users) {
                let messages: HashMap<Lang, notify::Message> = self
                    .cache
                    .recipients
                    .langs_of(&users)
                    .into_iter()
                    .map(|l| {
                        let m = notify::feedback_overdue(
                            l,
                            self.base_url,
                            kind,
                            id,
                            code,
                            title,
                            late,
                            due,
                        );
                        (l, m)
                    })
                    .collect();
                let link = format!("/feedback/items/{id}");
                for u in users {
                    let m = &messages[&self.cache.recipients.lang(u)];
                    self.cache
                        .notice(&mut notices, u, key, &format!("fb-{kind}"), m, &link);
                }
            } else {
                self.cache.count(&users);
            }
            done.push(
                serde_json::json!({ "feedback": id, "kind": kind, "due": due, "to": emails }),
            );
        }
        store::work::insert_notices(c, date, &notices, self.now).await?;
        Ok(records.len())
    }
}

impl Sweep<'_> {
    /// Records a step's indicator warnings (keys already recorded skipped) and writes a notice
    /// for each person a new one goes to. Returns how many were new.
    async fn indicator_alerts(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        date: NaiveDate,
        alerts: &[crate::indicators::alerts::Alert],
        done: &mut Vec<serde_json::Value>,
    ) -> AppResult<usize> {
        let mut people = vec![];
        let mut records = vec![];
        for a in alerts {
            let (users, emails) = recipients(c, a.to_unit, a.leaders, &mut self.cache.recipients)
                .await?
                .clone();
            records.push(store::indicators::NewAlert {
                key: a.key.clone(),
                kind: a.kind.as_str().to_string(),
                unit_id: a.unit_id,
                recipients: emails.join(", "),
            });
            people.push(users);
        }
        let new = store::indicators::insert_alerts(c, date, &records, self.now).await?;
        let mut notices = vec![];
        for ((a, users), rec) in alerts.iter().zip(people).zip(&records) {
            if !new.contains(&rec.key) {
                continue;
            }
            if !self.cache.has_room(&users) {
                self.cache.count(&users);
                continue;
            }
            if let Entry::Vacant(slot) = self.cache.units.entry(a.unit_id) {
                let u = store::org::get(c, a.unit_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                slot.insert(u);
            }
            let unit = &self.cache.units[&a.unit_id];
            let messages: HashMap<Lang, notify::Message> = self
                .cache
                .recipients
                .langs_of(&users)
                .into_iter()
                .map(|l| {
                    let m = crate::indicators::alerts::message(
                        l,
                        self.base_url,
                        a,
                        unit.name(l.code()),
                    );
                    (l, m)
                })
                .collect();
            for u in users {
                let m = &messages[&self.cache.recipients.lang(u)];
                self.cache
                    .notice(&mut notices, u, &rec.key, a.kind.as_str(), m, &a.link);
            }
            done.push(serde_json::json!({ "indicator_alert": rec.key, "to": rec.recipients.split(", ").filter(|e| !e.is_empty()).collect::<Vec<_>>() }));
        }
        store::work::insert_notices(c, date, &notices, self.now).await?;
        Ok(new.len())
    }
}

impl SweepCache {
    /// Whether one of `users` has fewer notices kept in full than a message lists.
    fn has_room(&self, users: &[i64]) -> bool {
        users
            .iter()
            .any(|u| self.kept.get(u).copied().unwrap_or(0) < notify::DAY_LISTED)
    }

    /// Counts one more item beyond those listed for each of `users`.
    fn count(&mut self, users: &[i64]) {
        for u in users {
            *self.unlisted.entry(*u).or_default() += 1;
        }
    }

    /// Keeps a notice in full while its person has fewer than a message lists, else counts it.
    fn notice(
        &mut self,
        out: &mut Vec<store::work::NewNotice>,
        user_id: i64,
        key: &str,
        kind: &str,
        m: &notify::Message,
        link: &str,
    ) {
        let kept = self.kept.entry(user_id).or_default();
        if *kept < notify::DAY_LISTED {
            *kept += 1;
            out.push(store::work::NewNotice {
                user_id,
                key: format!("{key}:{user_id}"),
                kind: kind.to_string(),
                subject: m.subject.clone(),
                body: m.text.clone(),
                link: link.to_string(),
            });
        } else {
            *self.unlisted.entry(user_id).or_default() += 1;
        }
    }
}

/// Working days after the deadline before an unanswered item goes to the unit's leaders, and to
/// the Steering Committee's standing agency.
const FB_LEADER_AFTER: i64 = 5;
const FB_STEERING_AFTER: i64 = 10;

/// Each person's day as one notification and, with an address, one mail, for the people of a
/// step (ids after `after`, in order); their notices are taken in the same transaction, so each
/// is delivered once.
async fn deliver(
    c: &mut crate::db::DbConn<'_>,
    base_url: &str,
    date: NaiveDate,
    after: i64,
    people: &[(i64, Option<String>, String)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some((last, _, _)) = people.last() else {
        return Ok(());
    };
    let mut notices: HashMap<i64, Vec<store::work::Notice>> = HashMap::new();
    for (user, n) in store::work::take_notices_of(c, date, after, *last).await? {
        notices.entry(user).or_default().push(n);
    }
    let unlisted = store::work::take_overflows(c, date, after, *last).await?;
    let mut in_app = vec![];
    for (user, email, lang) in people {
        let Some(notices) = notices.remove(user) else {
            continue;
        };
        let unlisted = unlisted.get(user).copied().unwrap_or(0);
        let link = match (notices.as_slice(), unlisted) {
            ([(_, _, _, link)], 0) => link.clone(),
            _ => "/worklist".to_string(),
        };
        let items: Vec<(String, String, String)> =
            notices.into_iter().map(|(k, s, b, _)| (k, s, b)).collect();
        let lang = Lang::parse(lang).unwrap_or(Lang::Vi);
        let m = notify::day(lang, base_url, date, &items, unlisted);
        if let Some(e) = email.as_ref().filter(|e| !e.is_empty()) {
            let key = format!("mail:day:{user}:{date}");
            notify::queue_mail(c, &key, vec![e.clone()], m.clone(), now).await?;
        }
        in_app.push((*user, m.subject, m.text, link));
    }
    store::work::notify_many(c, &in_app, now).await
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
        limit: i64,
    ) -> AppResult<()> {
        let date = p.date;
        let w = date.iso_week();
        let units = store::work::units_with_mail(c, p.after, limit.min(50)).await?;
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
            // One mail per language read in the unit.
            for lang in domain::i18n::LANGS {
                let to: Vec<String> = emails
                    .iter()
                    .filter(|(_, l)| Lang::parse(l).unwrap_or(Lang::Vi) == lang)
                    .map(|(e, _)| e.clone())
                    .collect();
                if open == 0 || to.is_empty() {
                    continue;
                }
                let m = notify::digest(lang, self.base_url, unit_id, &counts, open);
                let mut key = format!("mail:digest:{unit_id}:{}-W{:02}", w.year(), w.week());
                if lang != Lang::Vi {
                    key = format!("{key}:{}", lang.code());
                }
                notify::queue_mail(c, &key, to, m, self.now).await?;
            }
            if started.elapsed() > STEP_TIME {
                break;
            }
        }
        Ok(())
    }
}
