//! What accompanies the work on a task: evidence files, comments, reminders sent, notifications.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use std::collections::HashSet;

use crate::bulk::{Col, insert_new_keys};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evidence {
    pub id: i64,
    pub report_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    #[serde(skip)]
    pub stored_as: String,
}

const EVIDENCE_COLS: &str = "id, report_id, file_name, content_type, size_bytes, sha256, stored_as";

pub async fn insert_evidence(
    c: &mut DbConn<'_>,
    e: &Evidence,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO evidence (report_id, file_name, content_type, size_bytes, sha256, stored_as, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
        .bind(e.report_id).bind(&e.file_name).bind(&e.content_type).bind(e.size_bytes).bind(&e.sha256).bind(&e.stored_as).bind(now)
        .fetch_one(&mut **c).await?))
}

pub async fn get_evidence(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Evidence>> {
    let sql = format!("SELECT {EVIDENCE_COLS} FROM evidence WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Evidence>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

/// Evidence of every report of a task's assignments.
pub async fn evidence_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<Evidence>> {
    let sql = format!(
        "SELECT {} FROM evidence e JOIN reports r ON r.id = e.report_id JOIN assignments a ON a.id = r.assignment_id WHERE a.task_id = $1 ORDER BY e.id",
        EVIDENCE_COLS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Evidence>(&sql).bind(task_id).fetch_all(&mut **c).await?),
    )
}

/// The task an evidence file belongs to.
pub async fn task_of_evidence(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT a.task_id FROM evidence e JOIN reports r ON r.id = e.report_id JOIN assignments a ON a.id = r.assignment_id WHERE e.id = $1")
        .bind(id).fetch_optional(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: i64,
    pub task_id: i64,
    pub author_user_id: i64,
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_comment(
    c: &mut DbConn<'_>,
    task_id: i64,
    user_id: i64,
    body: &str,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO comments (task_id, author_user_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(task_id).bind(user_id).bind(body).bind(now).fetch_one(&mut **c).await?))
}

pub async fn comments_of(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<Comment>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Comment>(
        "SELECT m.id, m.task_id, m.author_user_id, u.display_name AS author, m.body, m.created_at
         FROM comments m JOIN users u ON u.id = m.author_user_id WHERE m.task_id = $1 ORDER BY m.id")
        .bind(task_id).fetch_all(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderSent {
    pub id: i64,
    pub assignment_id: i64,
    /// before-14, overdue-0, escalate-leader, …
    pub kind: String,
    pub sent_on: NaiveDate,
    /// Addresses written to (comma separated).
    pub recipients: String,
}

/// A reminder due today for one assignment, before it is recorded.
pub struct NewReminder {
    pub assignment_id: i64,
    pub kind: String,
    pub key: String,
    /// The addresses it goes to, for the record.
    pub recipients: String,
}

/// Records the reminders of `on` whose keys are not there yet; returns the keys recorded now.
pub async fn insert_reminders(
    c: &mut DbConn<'_>,
    on: NaiveDate,
    rows: &[NewReminder],
    now: DateTime<Utc>,
) -> AppResult<HashSet<String>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.assignment_id).collect();
    let kinds: Vec<String> = rows.iter().map(|r| r.kind.clone()).collect();
    let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    let to: Vec<String> = rows.iter().map(|r| r.recipients.clone()).collect();
    let new = insert_new_keys(
        c,
        "reminders",
        &[
            ("assignment_id", Col::Int(&ids)),
            ("kind", Col::Text(&kinds)),
            ("sent_on", Col::Date(&vec![on; rows.len()])),
            ("dedupe_key", Col::Text(&keys)),
            ("recipients", Col::Text(&to)),
        ],
        Some(now),
        "dedupe_key",
    )
    .await?;
    Ok(new.into_iter().collect())
}

pub async fn reminders_of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<ReminderSent>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, ReminderSent>(
        "SELECT m.id, m.assignment_id, m.kind, m.sent_on, m.recipients FROM reminders m JOIN assignments a ON a.id = m.assignment_id
         WHERE a.task_id = $1 ORDER BY m.id")
        .bind(task_id).fetch_all(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

pub async fn notify(
    c: &mut DbConn<'_>,
    user_id: i64,
    subject: &str,
    body: &str,
    link: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO notifications (user_id, subject, body, link, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(user_id).bind(subject).bind(body).bind(link).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// In-app notifications for several people at once: `(user, subject, body, link)`.
pub async fn notify_many(
    c: &mut DbConn<'_>,
    rows: &[(i64, String, String, String)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let users: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let subjects: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let bodies: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
    let links: Vec<Option<String>> = rows.iter().map(|r| Some(r.3.clone())).collect();
    crate::bulk::insert_columns(
        c,
        "notifications",
        &[
            ("user_id", Col::Int(&users)),
            ("subject", Col::Text(&subjects)),
            ("body", Col::Text(&bodies)),
            ("link", Col::OptText(&links)),
        ],
        Some(now),
    )
    .await
}

/// The user's notifications older than `before` (an id; None for the newest), newest first.
pub async fn notifications_of(
    c: &mut DbConn<'_>,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Notification>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Notification>(
        "SELECT id, subject, body, link, created_at, read_at FROM notifications WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3")
        .bind(user_id).bind(before.unwrap_or(i64::MAX)).bind(limit).fetch_all(&mut **c).await?))
}

pub async fn unread_count(c: &mut DbConn<'_>, user_id: i64) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user_id).fetch_one(&mut **c).await?))
}

/// Marks one (or, with None, every) notification of the user read; returns how many changed.
pub async fn mark_read(
    c: &mut DbConn<'_>,
    user_id: i64,
    id: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(on_conn!(c, c => sqlx::query(
        "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND read_at IS NULL AND ($2 IS NULL OR id = $2)")
        .bind(user_id).bind(id).bind(now).execute(&mut **c).await?.rows_affected()))
}

/// Users of a unit who receive its mail: (id, email, role, language).
pub async fn unit_recipients(
    c: &mut DbConn<'_>,
    unit_id: i64,
) -> AppResult<Vec<(i64, Option<String>, String, String)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, Option<String>, String, String)>(
        "SELECT id, email, role, lang FROM users WHERE unit_id = $1 AND disabled = FALSE AND role IN ('unit_leader', 'unit_officer', 'steering') ORDER BY id")
        .bind(unit_id).fetch_all(&mut **c).await?),
    )
}

/// Members of the Steering Committee (they decide for the national level).
pub async fn steering_users(c: &mut DbConn<'_>) -> AppResult<Vec<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM users WHERE role = 'steering' AND disabled = FALSE ORDER BY id")
        .fetch_all(&mut **c).await?))
}

/// Units whose leaders or officers have an address, with those addresses and each person's
/// language: up to `limit` units after unit `after`, in unit order.
pub async fn units_with_mail(
    c: &mut DbConn<'_>,
    after: i64,
    limit: i64,
) -> AppResult<Vec<(i64, Vec<(String, String)>)>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, (i64, String, String)>(
        "SELECT unit_id, email, lang FROM users WHERE disabled = FALSE AND email IS NOT NULL AND email <> ''
           AND role IN ('unit_leader', 'unit_officer')
           AND unit_id IN (SELECT DISTINCT unit_id FROM users WHERE unit_id > $1 AND disabled = FALSE
                             AND email IS NOT NULL AND email <> '' AND role IN ('unit_leader', 'unit_officer')
                           ORDER BY unit_id LIMIT $2)
         ORDER BY unit_id, id")
        .bind(after).bind(limit).fetch_all(&mut **c).await?);
    let mut out: Vec<(i64, Vec<(String, String)>)> = vec![];
    for (u, e, l) in rows {
        match out.last_mut() {
            Some((last, v)) if *last == u => v.push((e, l)),
            _ => out.push((u, vec![(e, l)])),
        }
    }
    Ok(out)
}

/// A person's share of a day's reminders, waiting to be delivered with the rest of their day.
pub struct NewNotice {
    pub user_id: i64,
    pub key: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
}

/// Records the notices of `day` whose keys are not there yet, in a few statements.
pub async fn insert_notices(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    rows: &[NewNotice],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let n = rows.len();
    let text = |f: fn(&NewNotice) -> &String| rows.iter().map(|r| f(r).clone()).collect::<Vec<_>>();
    let users: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
    crate::bulk::insert_skipping(
        c,
        "notices",
        &[
            ("day", Col::Date(&vec![day; n])),
            ("user_id", Col::Int(&users)),
            ("dedupe_key", Col::Text(&text(|r| &r.key))),
            ("kind", Col::Text(&text(|r| &r.kind))),
            ("subject", Col::Text(&text(|r| &r.subject))),
            ("body", Col::Text(&text(|r| &r.body))),
            ("link", Col::Text(&text(|r| &r.link))),
        ],
        Some(now),
        "dedupe_key",
    )
    .await
}

/// People with notices of `day` waiting, after user `after`, at most `limit`, with their address
/// and language.
pub async fn people_with_notices(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    after: i64,
    limit: i64,
) -> AppResult<Vec<(i64, Option<String>, String)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, Option<String>, String)>(
        "SELECT u.id, u.email, u.lang FROM users u WHERE u.id IN (
            SELECT DISTINCT user_id FROM notices WHERE day = $1 AND user_id > $2 ORDER BY user_id LIMIT $3)
         ORDER BY u.id")
        .bind(day).bind(after).bind(limit).fetch_all(&mut **c).await?),
    )
}

/// Counts more items in people's day beyond the notices kept in full: `(user, n)`, each user
/// once, in one statement per few thousand people.
pub async fn add_overflows(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    rows: &[(i64, i64)],
) -> AppResult<()> {
    let users: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let extra: Vec<i64> = rows.iter().map(|r| r.1).collect();
    crate::bulk::upsert_columns(
        c,
        "notice_overflow",
        &[
            ("day", Col::Date(&vec![day; rows.len()])),
            ("user_id", Col::Int(&users)),
            ("extra", Col::Int(&extra)),
        ],
        " ON CONFLICT (day, user_id) DO UPDATE SET extra = notice_overflow.extra + excluded.extra",
    )
    .await
}

/// Takes (deletes and returns) the notices of `day` of the people with ids in `(after, last]`,
/// in the order they were written: `(user, notice)`. With [`take_overflows`], what one step of
/// the delivery hands out in two statements.
pub async fn take_notices_of(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    after: i64,
    last: i64,
) -> AppResult<Vec<(i64, Notice)>> {
    Ok(on_conn!(c, c => {
        let mut rows = sqlx::query_as::<_, (i64, i64, String, String, String, String)>(
            "DELETE FROM notices WHERE day = $1 AND user_id > $2 AND user_id <= $3
             RETURNING id, user_id, kind, subject, body, link")
            .bind(day).bind(after).bind(last).fetch_all(&mut **c).await?;
        rows.sort_by_key(|r| r.0);
        rows.into_iter().map(|(_, u, k, s, b, l)| (u, (k, s, b, l))).collect()
    }))
}

/// Takes the counts of items not kept in full of the people with ids in `(after, last]`.
pub async fn take_overflows(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    after: i64,
    last: i64,
) -> AppResult<std::collections::HashMap<i64, i64>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (i64, i64)>(
        "DELETE FROM notice_overflow WHERE day = $1 AND user_id > $2 AND user_id <= $3 RETURNING user_id, extra")
        .bind(day).bind(after).bind(last).fetch_all(&mut **c).await?)
    .into_iter()
    .collect())
}

/// A delivered notice: (kind, subject, body, link).
pub type Notice = (String, String, String, String);
