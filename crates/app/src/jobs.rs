//! The background job runner: reminders and escalation (đôn đốc), weekly digests, and the mail
//! they produce. Jobs live in the database (`store::jobs`), so the runner is idempotent and safe
//! with several instances: each day's sweep and each week's digest is one job by key, each
//! reminder is recorded once by key, and each mail is its own job, retried on failure.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

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

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TickReport {
    pub jobs: usize,
    pub reminders: usize,
    pub mails: usize,
    pub failures: usize,
}

#[derive(Serialize, Deserialize)]
struct DayJob {
    date: NaiveDate,
}

/// Enqueues today's sweep (and on Mondays the weekly digest), then runs every job that is due.
pub async fn tick(
    db: &Db,
    mailer: &Mailer,
    base_url: &str,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> AppResult<TickReport> {
    {
        let mut tx = db.begin().await?;
        let payload = serde_json::to_string(&DayJob { date: today }).unwrap_or_default();
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
        report.jobs += 1;
        let outcome = match job.kind.as_str() {
            "sweep" => match serde_json::from_str::<DayJob>(&job.payload) {
                Ok(d) => sweep(db, base_url, d.date, now)
                    .await
                    .map(|n| report.reminders += n),
                Err(e) => Err(AppError::internal(e)),
            },
            "digest" => match serde_json::from_str::<DayJob>(&job.payload) {
                Ok(d) => digest(db, base_url, d.date, now).await.map(|_| ()),
                Err(e) => Err(AppError::internal(e)),
            },
            "mail" => match serde_json::from_str::<notify::MailJob>(&job.payload) {
                Ok(m) => mailer
                    .send(&Mail {
                        to: m.to,
                        subject: m.subject,
                        text: m.text,
                    })
                    .await
                    .map(|_| report.mails += 1)
                    .map_err(AppError::internal),
                Err(e) => Err(AppError::internal(e)),
            },
            other => Err(AppError::Internal(format!("unknown job kind {other}"))),
        };
        let mut tx = db.begin().await?;
        match outcome {
            Ok(()) => store::jobs::finish(&mut tx.conn(), job.id, Utc::now()).await?,
            Err(e) => {
                report.failures += 1;
                tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
                let retry = now + Duration::minutes(5 * i64::from(job.attempts));
                store::jobs::fail(&mut tx.conn(), &job, &e.to_string(), retry, MAX_ATTEMPTS)
                    .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Runs `tick` every `every`, for `serve`.
pub async fn run_forever(db: Db, mailer: Mailer, base_url: String, every: StdDuration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let now = Utc::now();
        if let Err(e) = tick(&db, &mailer, &base_url, now, now.date_naive()).await {
            tracing::error!(error = %e, "job runner");
        }
    }
}

/// (unit, leaders only) → (user ids, addresses), per sweep.
type RecipientCache = HashMap<(i64, bool), (Vec<i64>, Vec<String>)>;

struct Recipients {
    users: Vec<i64>,
    emails: Vec<String>,
}

async fn recipients(
    c: &mut crate::db::DbConn<'_>,
    unit_id: i64,
    leaders_only: bool,
    cache: &mut RecipientCache,
) -> AppResult<Recipients> {
    if let Some((u, e)) = cache.get(&(unit_id, leaders_only)) {
        return Ok(Recipients {
            users: u.clone(),
            emails: e.clone(),
        });
    }
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
    cache.insert((unit_id, leaders_only), (users.clone(), emails.clone()));
    Ok(Recipients { users, emails })
}

/// Records the reminders due on `date`, notifies the people concerned and queues their mail, in
/// one transaction. Returns how many reminders were new.
async fn sweep(db: &Db, base_url: &str, date: NaiveDate, now: DateTime<Utc>) -> AppResult<usize> {
    let lang = Lang::Vi;
    let mut tx = db.begin().await?;
    let programmes: HashMap<i64, Programme> = store::tasks::list_programmes(&mut tx.conn())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let horizon = programmes
        .values()
        .flat_map(|p| p.schedule().before)
        .max()
        .unwrap_or(0);
    let mut cache = HashMap::new();
    let mut tasks: HashMap<i64, store::tasks::Task> = HashMap::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut new = 0;
    let mut changes = vec![];
    for (a, pid) in
        store::tasks::open_with_deadline_before(&mut tx.conn(), date + Duration::days(horizon))
            .await?
    {
        let Some(p) = programmes.get(&pid) else {
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
        for r in reminders::due_today(due, date, &p.schedule()) {
            let target = match r.audience {
                Audience::Unit | Audience::Leader => a.unit_id,
                Audience::Assigner => p.owner_unit_id,
            };
            let to = recipients(
                &mut tx.conn(),
                target,
                r.audience != Audience::Unit,
                &mut cache,
            )
            .await?;
            let key = r.key(a.id, due);
            if !store::work::insert_reminder(
                &mut tx.conn(),
                a.id,
                &r.kind,
                date,
                &key,
                &to.emails.join(", "),
                now,
            )
            .await?
            {
                continue;
            }
            new += 1;
            if let std::collections::hash_map::Entry::Vacant(e) = tasks.entry(a.task_id) {
                let t = store::tasks::get_task(&mut tx.conn(), a.task_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                e.insert(t);
            }
            let task = &tasks[&a.task_id];
            if let std::collections::hash_map::Entry::Vacant(e) = names.entry(a.unit_id) {
                let n = store::org::get(&mut tx.conn(), a.unit_id)
                    .await?
                    .map(|u| u.name_vi)
                    .unwrap_or_default();
                e.insert(n);
            }
            let m = notify::reminder(lang, base_url, task, &names[&a.unit_id], &r, due);
            let link = format!("/tasks/{}", task.id);
            notify::in_app(&mut tx.conn(), &to.users, &m, Some(&link), now).await?;
            if !to.emails.is_empty() {
                notify::queue_mail(
                    &mut tx.conn(),
                    &format!("mail:{key}"),
                    to.emails.clone(),
                    m,
                    now,
                )
                .await?;
            }
            changes.push(Change {
                action: "reminder.send",
                object_type: "assignment",
                object_id: a.id.to_string(),
                before: None,
                after: Some(
                    serde_json::json!({ "kind": r.kind, "due": due, "to": to.emails }).to_string(),
                ),
            });
        }
    }
    new += feedback_overdue(
        &mut tx.conn(),
        base_url,
        date,
        now,
        &mut cache,
        &mut changes,
    )
    .await?;
    if !changes.is_empty() {
        store::audit::append(&mut tx.conn(), &Actor::system("reminders"), now, changes).await?;
    }
    tx.commit().await?;
    Ok(new)
}

/// Working days after the deadline before an unanswered item goes to the unit's leaders, and to
/// the Steering Committee's standing agency.
const FB_LEADER_AFTER: i64 = 5;
const FB_STEERING_AFTER: i64 = 10;

/// Overdue feedback: the unit is told on the first day, its leaders after five days and the
/// standing agency after ten (calendar days, keyed like task reminders: once each).
async fn feedback_overdue(
    c: &mut crate::db::DbConn<'_>,
    base_url: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
    cache: &mut RecipientCache,
    changes: &mut Vec<Change<'static>>,
) -> AppResult<usize> {
    let lang = Lang::Vi;
    let steering = store::org::find_current_by_code(c, "BCDTW")
        .await?
        .map(|u| u.id);
    let mut new = 0;
    for (id, code, unit, due, title) in store::feedback::overdue_open(c, date).await? {
        let late = (date - due).num_days();
        let mut steps = vec![("overdue", unit, false)];
        if late >= FB_LEADER_AFTER {
            steps.push(("escalate-leader", unit, true));
        }
        if let (true, Some(s)) = (late >= FB_STEERING_AFTER, steering) {
            steps.push(("escalate-steering", s, true));
        }
        for (kind, target, leaders) in steps {
            let key = format!("mail:fb:{id}:{kind}:{due}");
            let to = recipients(c, target, leaders, cache).await?;
            let m = notify::feedback_overdue(lang, base_url, id, &code, &title, late, due);
            if !notify::queue_mail(c, &key, to.emails.clone(), m.clone(), now).await? {
                continue;
            }
            new += 1;
            let link = format!("/feedback/items/{id}");
            notify::in_app(c, &to.users, &m, Some(&link), now).await?;
            changes.push(Change {
                action: "feedback.escalate",
                object_type: "feedback",
                object_id: id.to_string(),
                before: None,
                after: Some(
                    serde_json::json!({ "kind": kind, "due": due, "to": to.emails }).to_string(),
                ),
            });
        }
    }
    Ok(new)
}

/// Queues one weekly digest mail per unit whose people have an address.
async fn digest(db: &Db, base_url: &str, date: NaiveDate, now: DateTime<Utc>) -> AppResult<usize> {
    let lang = Lang::Vi;
    let mut tx = db.begin().await?;
    let programmes: HashMap<i64, Programme> = store::tasks::list_programmes(&mut tx.conn())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let units = store::work::units_with_mail(&mut tx.conn()).await?;
    let w = date.iso_week();
    let mut queued = 0;
    for (unit_id, emails) in units {
        let mut counts: HashMap<&'static str, i64> = HashMap::new();
        for (a, task) in store::tasks::worklist(&mut tx.conn(), unit_id).await? {
            let Some(p) = programmes.get(&task.programme_id) else {
                continue;
            };
            let f = a.facts();
            let s = domain::status::status(&f, date, p.rules());
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
        if open == 0 {
            continue;
        }
        let m = notify::digest(lang, base_url, unit_id, &counts, open);
        let key = format!("mail:digest:{unit_id}:{}-W{:02}", w.year(), w.week());
        if notify::queue_mail(&mut tx.conn(), &key, emails, m, now).await? {
            queued += 1;
        }
    }
    tx.commit().await?;
    Ok(queued)
}
