//! Feedback items, their history, routing rules, categories, supports and the holiday calendar.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::on_conn;
use domain::feedback::{Kind, State, Submitter};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    pub id: i64,
    pub code: String,
    #[serde(skip)]
    pub secret_hash: String,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: Kind,
    pub category: String,
    #[serde(skip)]
    pub title: String,
    #[serde(skip)]
    pub body: String,
    pub public_title: String,
    pub public_body: String,
    pub hidden: bool,
    pub moderation_note: Option<String>,
    /// When a moderator last reviewed the public text.
    pub moderated_on: Option<NaiveDate>,
    /// Reached a unit that moderates before publication: the public text waits for `moderated_on`.
    pub held: bool,
    pub concerned_unit_id: Option<i64>,
    pub unit_id: i64,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub state: State,
    /// The state to return to when the submitter's information arrives (read by `before_wait()`).
    #[serde(skip)]
    pub before_wait: Option<String>,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub submitter_kind: Submitter,
    #[serde(skip)]
    pub name: Option<String>,
    #[serde(skip)]
    pub email: Option<String>,
    #[serde(skip)]
    pub phone: Option<String>,
    pub publish_name: bool,
    #[serde(skip)]
    pub user_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_on: NaiveDate,
    pub clock_from: NaiveDate,
    pub allowed_days: i32,
    pub extension_days: i32,
    pub extensions: i32,
    pub paused_days: i32,
    pub paused_since: Option<NaiveDate>,
    pub deadline_on: Option<NaiveDate>,
    pub answer: Option<String>,
    /// An answer waiting for the leader's approval: never public.
    #[serde(skip)]
    pub draft_answer: Option<String>,
    pub answered_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    pub rated_on: Option<NaiveDate>,
    pub appeal_of: Option<i64>,
    /// The language the sender wrote in: mails to them are written in it.
    #[serde(skip)]
    #[sqlx(try_from = "String")]
    pub lang: domain::i18n::Lang,
    pub merged_into: Option<i64>,
    pub supports: i32,
    pub decision: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// The task an adopted initiative or recommendation became.
    pub task_id: Option<i64>,
}

const COLS: &str = "id, code, secret_hash, kind, category, title, body, public_title, public_body, hidden, moderation_note, moderated_on, held, concerned_unit_id, unit_id, state, before_wait, submitter_kind, name, email, phone, publish_name, user_id, submitted_at, submitted_on, clock_from, allowed_days, extension_days, extensions, paused_days, paused_since, deadline_on, answer, draft_answer, answered_on, closed_on, rating, rating_comment, rated_on, appeal_of, lang, merged_into, supports, decision, decision_reason, decided_on, task_id";

/// Takes `k` numbers of the day's sequence and returns the last one (one row per day,
/// incremented in the caller's transaction).
pub async fn take_seq(c: &mut DbConn<'_>, day: NaiveDate, k: i64) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO feedback_counters (day, n) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET n = feedback_counters.n + $2 RETURNING CAST(n AS BIGINT)")
        .bind(day).bind(k).fetch_one(&mut **c).await?))
}

pub async fn insert(c: &mut DbConn<'_>, i: &Item) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO feedback_items (code, secret_hash, kind, category, title, body, public_title, public_body, concerned_unit_id, unit_id, state,
             submitter_kind, name, email, phone, publish_name, user_id, submitted_at, submitted_on, allowed_days, deadline_on, appeal_of, clock_from, lang, held)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) RETURNING id")
        .bind(&i.code).bind(&i.secret_hash).bind(i.kind.as_str()).bind(&i.category).bind(&i.title).bind(&i.body).bind(&i.public_title).bind(&i.public_body)
        .bind(i.concerned_unit_id).bind(i.unit_id).bind(i.state.as_str()).bind(i.submitter_kind.as_str()).bind(&i.name).bind(&i.email).bind(&i.phone)
        .bind(i.publish_name).bind(i.user_id).bind(i.submitted_at).bind(i.submitted_on).bind(i.allowed_days).bind(i.deadline_on).bind(i.appeal_of).bind(i.clock_from).bind(i.lang.code()).bind(i.held)
        .fetch_one(&mut **c).await?))
}

/// Inserts new items in one statement per 128 (the intake writer's batch) and returns their ids
/// in the order given. Rows are matched back by their unique code: SQLite returns the rows of a
/// multi-row `RETURNING` in no promised order.
pub async fn insert_many(c: &mut DbConn<'_>, items: &[Item]) -> AppResult<Vec<i64>> {
    const WIDTH: usize = 25;
    let mut ids = Vec::with_capacity(items.len());
    for chunk in items.chunks(128) {
        let mut sql = String::from(
            "INSERT INTO feedback_items (code, secret_hash, kind, category, title, body, public_title, public_body, concerned_unit_id, unit_id, state,
             submitter_kind, name, email, phone, publish_name, user_id, submitted_at, submitted_on, allowed_days, deadline_on, appeal_of, clock_from, lang, held) VALUES ",
        );
        let pg = matches!(c, DbConn::Pg(_));
        for r in 0..chunk.len() {
            sql.push_str(if r == 0 { "(" } else { ",(" });
            for k in 0..WIDTH {
                if k > 0 {
                    sql.push(',');
                }
                // `?` on SQLite: it resolves each `$N` by a linear scan of the parameters.
                if pg {
                    sql.push_str(&format!("${}", r * WIDTH + k + 1));
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        sql.push_str(" RETURNING id, code");
        let rows = on_conn!(c, c => {
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for i in chunk {
                q = q.bind(&i.code).bind(&i.secret_hash).bind(i.kind.as_str()).bind(&i.category).bind(&i.title).bind(&i.body)
                    .bind(&i.public_title).bind(&i.public_body).bind(i.concerned_unit_id).bind(i.unit_id).bind(i.state.as_str())
                    .bind(i.submitter_kind.as_str()).bind(&i.name).bind(&i.email).bind(&i.phone).bind(i.publish_name).bind(i.user_id)
                    .bind(i.submitted_at).bind(i.submitted_on).bind(i.allowed_days).bind(i.deadline_on).bind(i.appeal_of)
                    .bind(i.clock_from).bind(i.lang.code()).bind(i.held);
            }
            q.fetch_all(&mut **c).await?
        });
        let by_code: std::collections::HashMap<String, i64> =
            rows.into_iter().map(|(id, code)| (code, id)).collect();
        for i in chunk {
            ids.push(*by_code.get(&i.code).ok_or_else(|| {
                AppError::Internal(format!("inserted item {} not returned", i.code))
            })?);
        }
    }
    Ok(ids)
}

/// The item (code, deadline) that a sent form with this token hash stored, if any.
pub async fn by_form_token(
    c: &mut DbConn<'_>,
    token_hash: &str,
) -> AppResult<Option<(String, Option<NaiveDate>)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (String, Option<NaiveDate>)>(
        "SELECT i.code, i.deadline_on FROM form_submissions f JOIN feedback_items i ON i.id = f.item_id
         WHERE f.token_hash = $1")
        .bind(token_hash).fetch_optional(&mut **c).await?),
    )
}

/// Remembers the form token (hash) of each newly stored item: `(token hash, item)`.
pub async fn insert_form_tokens(
    c: &mut DbConn<'_>,
    rows: &[(String, i64)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::bulk::{Col, insert_columns};
    let hashes: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let items: Vec<i64> = rows.iter().map(|r| r.1).collect();
    insert_columns(
        c,
        "form_submissions",
        &[
            ("token_hash", Col::Text(&hashes)),
            ("item_id", Col::Int(&items)),
        ],
        Some(now),
    )
    .await
}

pub async fn get(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<Item>> {
    let sql = format!("SELECT {COLS} FROM feedback_items WHERE id = $1");
    Ok(on_conn!(c, c => sqlx::query_as::<_, Item>(&sql).bind(id).fetch_optional(&mut **c).await?))
}

pub async fn by_code(
    c: &mut DbConn<'_>,
    code: &domain::feedback::TrackingCode,
) -> AppResult<Option<Item>> {
    let sql = format!("SELECT {COLS} FROM feedback_items WHERE code = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, Item>(&sql).bind(code.as_str()).fetch_optional(&mut **c).await?),
    )
}

/// Writes what a move changes.
pub async fn update(c: &mut DbConn<'_>, i: &Item) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE feedback_items SET unit_id = $2, state = $3, before_wait = $4, extension_days = $5, extensions = $6, paused_days = $7,
             paused_since = $8, deadline_on = $9, answer = $10, answered_on = $11, closed_on = $12, rating = $13, rating_comment = $14,
             rated_on = $15, merged_into = $16, public_title = $17, public_body = $18, hidden = $19, moderation_note = $20, supports = $21,
             clock_from = $22, decision = $23, decision_reason = $24, decided_on = $25, task_id = $26, draft_answer = $27,
             allowed_days = $28, moderated_on = $29, held = $30
         WHERE id = $1")
        .bind(i.id).bind(i.unit_id).bind(i.state.as_str()).bind(&i.before_wait).bind(i.extension_days).bind(i.extensions).bind(i.paused_days)
        .bind(i.paused_since).bind(i.deadline_on).bind(&i.answer).bind(i.answered_on).bind(i.closed_on).bind(i.rating).bind(&i.rating_comment)
        .bind(i.rated_on).bind(i.merged_into).bind(&i.public_title).bind(&i.public_body).bind(i.hidden).bind(&i.moderation_note).bind(i.supports).bind(i.clock_from)
        .bind(&i.decision).bind(&i.decision_reason).bind(i.decided_on).bind(i.task_id).bind(&i.draft_answer)
        .bind(i.allowed_days).bind(i.moderated_on).bind(i.held)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The largest id of `feedback_items`, 0 when there are none.
pub async fn max_id(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM feedback_items").fetch_one(&mut **c).await?),
    )
}

/// Files an item under another category (the officers' `categorise` move): written on its own,
/// so that no other move writes the category back.
pub async fn set_category(c: &mut DbConn<'_>, id: i64, category: &str) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE feedback_items SET category = $2 WHERE id = $1")
        .bind(id).bind(category).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub from_unit: Option<i64>,
    pub to_unit: Option<i64>,
    #[serde(skip)]
    pub actor_user_id: Option<i64>,
    pub note: Option<String>,
    pub public: bool,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_event(
    c: &mut DbConn<'_>,
    item_id: i64,
    at: DateTime<Utc>,
    action: &str,
    from: (Option<&str>, Option<i64>),
    to: (&str, Option<i64>),
    actor: Option<i64>,
    note: Option<&str>,
    public: bool,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_events (item_id, at, action, from_state, to_state, from_unit, to_unit, actor_user_id, note, public)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(item_id).bind(at).bind(action).bind(from.0).bind(to.0).bind(from.1).bind(to.1).bind(actor).bind(note).bind(public)
        .execute(&mut **c).await.map(|_| ())?);
    // The tracking page shows the history: a new event makes its cached copy stale (see
    // migration 0010 for why this is not a trigger).
    bump_version(c).await
}

/// Moves the feedback data version: pages kept from an earlier one are read again.
pub async fn bump_version(c: &mut DbConn<'_>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE feedback_version SET v = v + 1 WHERE id = 1")
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The public "submit" event of each newly stored item, in one statement (the intake writer's
/// batch): `(item, handling unit, submitting account)`.
pub async fn insert_submit_events(
    c: &mut DbConn<'_>,
    at: DateTime<Utc>,
    to_state: &'static str,
    rows: &[(i64, i64, Option<i64>)],
) -> AppResult<()> {
    use crate::bulk::{Col, insert_columns};
    let items: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let units: Vec<Option<i64>> = rows.iter().map(|r| Some(r.1)).collect();
    let actors: Vec<Option<i64>> = rows.iter().map(|r| r.2).collect();
    let n = rows.len();
    insert_columns(
        c,
        "feedback_events",
        &[
            ("item_id", Col::Int(&items)),
            ("at", Col::Ts(&vec![at; n])),
            ("action", Col::Str(&vec!["submit"; n])),
            ("from_state", Col::OptStr(&vec![None; n])),
            ("to_state", Col::Str(&vec![to_state; n])),
            ("from_unit", Col::OptInt(&vec![None; n])),
            ("to_unit", Col::OptInt(&units)),
            ("actor_user_id", Col::OptInt(&actors)),
            ("note", Col::OptText(&vec![None; n])),
            ("public", Col::Bool(&vec![true; n])),
        ],
        None,
    )
    .await
}

pub async fn events(c: &mut DbConn<'_>, item_id: i64) -> AppResult<Vec<Event>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Event>(
        "SELECT id, at, action, from_state, to_state, from_unit, to_unit, actor_user_id, note, public FROM feedback_events WHERE item_id = $1 ORDER BY id")
        .bind(item_id).fetch_all(&mut **c).await?))
}

/// The inbox's order, most urgent first: open items with a deadline (by deadline), open items
/// without one (waiting for the sender), then finished ones; ties by id. Spelled exactly as in the
/// `feedback_urgent` index so that both planners read it from there.
macro_rules! urgent_bucket {
    () => {
        "CASE WHEN state IN ('declined', 'answered', 'closed', 'merged') THEN 2 WHEN deadline_on IS NULL THEN 1 ELSE 0 END"
    };
}
const URGENT_BUCKET: &str = urgent_bucket!();
const URGENT_ORDER: &str = concat!(urgent_bucket!(), ", deadline_on, id");

/// Where an item stands in the inbox's order: a cursor for the page after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrgentKey {
    /// 0 open with a deadline, 1 open without one, 2 finished.
    pub bucket: u8,
    pub deadline: Option<NaiveDate>,
    pub id: i64,
}

impl UrgentKey {
    pub fn of(i: &Item) -> Self {
        let bucket = if !i.state.is_open() {
            2
        } else if i.deadline_on.is_none() {
            1
        } else {
            0
        };
        UrgentKey {
            bucket,
            deadline: i.deadline_on,
            id: i.id,
        }
    }

    /// `0.2026-12-25.4812`; `-` for no deadline (`1.-.77`).
    pub fn cursor(&self) -> String {
        let d = self.deadline.map_or("-".to_string(), |d| d.to_string());
        format!("{}.{d}.{}", self.bucket, self.id)
    }

    /// A cursor as `cursor` writes it; anything else (a bucket that cannot hold the deadline
    /// given, a bad date or id) is None.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '.');
        let bucket: u8 = parts.next()?.parse().ok()?;
        let deadline = match parts.next()? {
            "-" => None,
            d => Some(d.parse().ok()?),
        };
        let id: i64 = parts.next()?.parse().ok()?;
        let fits = match bucket {
            0 => deadline.is_some(),
            1 => deadline.is_none(),
            2 => true,
            _ => false,
        };
        fits.then_some(UrgentKey {
            bucket,
            deadline,
            id,
        })
    }
}

/// The `limit` inbox items after `key`. The order falls into parts that the index holds each in
/// one run: bucket 0, bucket 1, and bucket 2 with and without a deadline (NULL sorts first on
/// SQLite, last on PostgreSQL). The part holding `key` is read from just after it, the next parts
/// from their start, until the page is full: at most four index seeks at any depth.
async fn list_after_urgent(
    c: &mut DbConn<'_>,
    base: &super::Filter,
    key: UrgentKey,
    limit: i64,
) -> AppResult<Vec<Item>> {
    let parts: [(u8, Option<bool>); 4] = if matches!(c, DbConn::Pg(_)) {
        [(0, None), (1, None), (2, Some(true)), (2, Some(false))]
    } else {
        [(0, None), (1, None), (2, Some(false)), (2, Some(true))]
    };
    let here = parts
        .iter()
        .position(|(b, dated)| {
            *b == key.bucket && dated.is_none_or(|d| d == key.deadline.is_some())
        })
        .unwrap_or(0);
    let mut out: Vec<Item> = Vec::new();
    for (k, (bucket, dated)) in parts.iter().enumerate().skip(here) {
        let mut w = base.clone();
        w.raw(&format!("{URGENT_BUCKET} = {bucket}"));
        match dated {
            Some(true) => w.raw("deadline_on IS NOT NULL"),
            Some(false) => w.raw("deadline_on IS NULL"),
            None => {}
        }
        if k == here {
            match key.deadline.filter(|_| *dated != Some(false)) {
                Some(d) => {
                    w.push("deadline_on >= {}", super::Arg::Date(d));
                    w.push_all(
                        "(deadline_on > {} OR id > {})",
                        vec![super::Arg::Date(d), super::Arg::Int(key.id)],
                    );
                }
                None => w.push("id > {}", super::Arg::Int(key.id)),
            }
        }
        let sql = format!(
            "SELECT {COLS} FROM feedback_items {} ORDER BY {URGENT_ORDER} LIMIT {}",
            w.where_clause(),
            limit - out.len() as i64
        );
        let rows = on_conn!(c, c => crate::bind_all!(sqlx::query_as::<_, Item>(&sql), w.args.iter()).fetch_all(&mut **c).await?);
        out.extend(rows);
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// Filters of the officers' inbox and the public list.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub unit: Option<i64>,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub category: Option<String>,
    /// Items sent by this account.
    pub user: Option<i64>,
    /// The moderation queue: published or held items whose public text no moderator has reviewed.
    pub unmoderated: bool,
    /// Public list: only published (answered or closed, not hidden) items.
    pub published_only: bool,
    /// Public list only: the items after this (answered day, id) in its order, read through
    /// the index whatever the depth (keyset paging); `offset` is then 0.
    pub after: Option<(NaiveDate, i64)>,
    /// Inbox only: the items after this one in its order, each part of the order read from the
    /// `feedback_urgent` index at its exact starting point (keyset paging); `offset` is then 0.
    pub after_urgent: Option<UrgentKey>,
    /// Items sent on or after / on or before these days (Open311's `start_date`, `end_date`).
    pub submitted_from: Option<NaiveDate>,
    pub submitted_to: Option<NaiveDate>,
    /// Only these items (those a search found).
    pub ids: Option<Vec<i64>>,
    /// Also count every matching item (one more scan); false where the caller keeps totals.
    pub count: bool,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(c: &mut DbConn<'_>, f: &ListFilter) -> AppResult<(Vec<Item>, i64)> {
    let mut w = super::Filter::default();
    if let Some(u) = f.unit {
        w.push("unit_id = {}", super::Arg::Int(u));
    }
    if let Some(s) = &f.state {
        w.push("state = {}", super::Arg::Text(s.clone()));
    }
    if let Some(k) = &f.kind {
        w.push("kind = {}", super::Arg::Text(k.clone()));
    }
    if let Some(k) = &f.category {
        w.push("category = {}", super::Arg::Text(k.clone()));
    }
    if let Some(u) = f.user {
        w.push("user_id = {}", super::Arg::Int(u));
    }
    if let Some(d) = f.submitted_from {
        w.push("submitted_on >= {}", super::Arg::Date(d));
    }
    if let Some(d) = f.submitted_to {
        w.push("submitted_on <= {}", super::Arg::Date(d));
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            w.raw("1 = 0");
        } else {
            w.raw(&format!("id IN ({})", super::id_list(ids)));
        }
    }
    if f.unmoderated {
        w.raw("(state IN ('answered', 'closed') OR held = TRUE) AND moderated_on IS NULL");
    }
    if f.published_only {
        w.raw("state IN ('answered', 'closed') AND hidden = FALSE");
    }
    // Filters on the four counted columns only (the inbox): the counters kept by the triggers of
    // migration 0013 answer; otherwise the matching items are counted.
    let count = if f.user.is_none() && !f.unmoderated && !f.published_only && f.ids.is_none() {
        format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM feedback_unit_counts {}",
            w.where_clause()
        )
    } else {
        format!("SELECT COUNT(*) FROM feedback_items {}", w.where_clause())
    };
    let count_args = w.args.clone();
    if let (false, Some(key)) = (f.published_only, f.after_urgent) {
        let items = list_after_urgent(c, &w, key, f.limit).await?;
        let total: i64 = if f.count {
            on_conn!(c, c => crate::bind_all!(sqlx::query_scalar::<_, i64>(&count), count_args.iter()).fetch_one(&mut **c).await?)
        } else {
            -1
        };
        return Ok((items, total));
    }
    if let (true, Some((day, id))) = (f.published_only, f.after) {
        // Spelled out rather than a row comparison, which SQLite's planner does not take to the
        // (answered_on, id) index.
        w.push("answered_on <= {}", super::Arg::Date(day));
        w.push_all(
            "(answered_on < {} OR id < {})",
            vec![super::Arg::Date(day), super::Arg::Int(id)],
        );
    }
    let (clause, args) = (w.where_clause(), w.args);
    // The inbox: open items by deadline (most urgent first), then those waiting for the sender,
    // then the finished ones, in the order of the `feedback_urgent` index. The public list: the
    // latest answers first (`feedback_answered`).
    let order = if f.published_only {
        "answered_on DESC, id DESC"
    } else {
        URGENT_ORDER
    };
    let sql = format!(
        "SELECT {COLS} FROM feedback_items {clause} ORDER BY {order} LIMIT {} OFFSET {}",
        f.limit, f.offset
    );
    Ok(on_conn!(c, c => {
        let items = crate::bind_all!(sqlx::query_as::<_, Item>(&sql), args.iter()).fetch_all(&mut **c).await?;
        let total: i64 = if f.count {
            crate::bind_all!(sqlx::query_scalar::<_, i64>(&count), count_args.iter()).fetch_one(&mut **c).await?
        } else {
            -1
        };
        (items, total)
    }))
}

/// Items submitted from an address since a moment, for the per-address limit.
pub async fn count_by_email_since(
    c: &mut DbConn<'_>,
    email: &str,
    since: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM feedback_items WHERE email = $1 AND submitted_at >= $2")
        .bind(email).bind(since).fetch_one(&mut **c).await?))
}

/// One support per person; false when this person already supported the item.
pub async fn add_support(
    c: &mut DbConn<'_>,
    item_id: i64,
    supporter: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let n = on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_supports (item_id, supporter, created_at) VALUES ($1, $2, $3) ON CONFLICT (item_id, supporter) DO NOTHING")
        .bind(item_id).bind(supporter).bind(now).execute(&mut **c).await?.rows_affected());
    Ok(n == 1)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
}

pub async fn categories(c: &mut DbConn<'_>) -> AppResult<Vec<Category>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Category>(
        "SELECT code, name_vi, name_en, name_fr FROM feedback_categories ORDER BY position")
        .fetch_all(&mut **c).await?))
}

pub async fn insert_category(c: &mut DbConn<'_>, cat: &Category, position: i32) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_categories (code, name_vi, name_en, name_fr, position) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING")
        .bind(&cat.code).bind(&cat.name_vi).bind(&cat.name_en).bind(&cat.name_fr).bind(position).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Routing rules in force.
pub async fn routes(c: &mut DbConn<'_>) -> AppResult<Vec<domain::feedback::Route>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, (Option<String>, Option<i64>, i64)>(
        "SELECT category, unit_id, target_unit_id FROM feedback_routes WHERE retired_at IS NULL ORDER BY id")
        .fetch_all(&mut **c).await?);
    Ok(rows
        .into_iter()
        .map(|(category, unit, target)| domain::feedback::Route {
            category,
            unit,
            target,
        })
        .collect())
}

pub async fn insert_route(
    c: &mut DbConn<'_>,
    category: Option<&str>,
    unit: Option<i64>,
    target: i64,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "INSERT INTO feedback_routes (category, unit_id, target_unit_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(category).bind(unit).bind(target).bind(now).fetch_one(&mut **c).await?))
}

/// Extra days off and make-up working days, as stored (editable).
pub async fn holidays(c: &mut DbConn<'_>) -> AppResult<Vec<(NaiveDate, String)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (NaiveDate, String)>("SELECT day, kind FROM holidays ORDER BY day")
        .fetch_all(&mut **c).await?),
    )
}

pub async fn insert_holiday(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    kind: &str,
    name: &str,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("INSERT INTO holidays (day, kind, name_vi) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING")
        .bind(day).bind(kind).bind(name).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The figures of `stats`, as of `$1`: received, answered by then, answered on time, open and
/// overdue, rated, sum of ratings.
const STATS_SUMS: &str = "COUNT(*),
    COALESCE(SUM(CASE WHEN answered_on IS NOT NULL AND answered_on <= $1 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN answered_on IS NOT NULL AND answered_on <= $1 AND answered_on <= deadline_on THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN (answered_on IS NULL OR answered_on > $1) AND state NOT IN ('declined', 'merged') AND deadline_on < $1 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN rated_on IS NOT NULL AND rated_on <= $1 THEN 1 ELSE 0 END), 0),
    COALESCE(SUM(CASE WHEN rated_on IS NOT NULL AND rated_on <= $1 THEN rating ELSE 0 END), 0)";

/// The figures of `stats` for every unit that holds items, in one pass over the items: the
/// per-province table rolls them up the tree in memory rather than query 34 subtrees.
pub async fn stats_by_unit(
    c: &mut DbConn<'_>,
    as_of: NaiveDate,
) -> AppResult<Vec<(i64, i64, i64, i64, i64, i64, i64)>> {
    let sql = format!(
        "SELECT unit_id, {STATS_SUMS} FROM feedback_items WHERE submitted_on <= $1 GROUP BY unit_id"
    );
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64, i64)>(&sql)
        .bind(as_of).fetch_all(&mut **c).await?),
    )
}

/// Per-unit statistics as of a day, computed in the database over the unit's items:
/// (received, answered by then, answered on time, open and overdue, rated, sum of ratings).
pub async fn stats(
    c: &mut DbConn<'_>,
    scope: StatsScope,
    as_of: NaiveDate,
) -> AppResult<(i64, i64, i64, i64, i64, i64)> {
    let sql = format!(
        "SELECT {STATS_SUMS} FROM feedback_items WHERE submitted_on <= $1{}",
        scope.condition()
    );
    Ok(on_conn!(c, c => {
        let q = sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>(&sql).bind(as_of);
        let q = match scope.unit() { Some(u) => q.bind(u), None => q };
        q.fetch_one(&mut **c).await?
    }))
}

/// Whose items statistics count: all, one unit's, or a unit's and every unit's below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatsScope {
    All,
    Unit(i64),
    Below(i64),
}

impl StatsScope {
    /// Separate texts rather than `($2 IS NULL OR unit_id = $2)`, which keeps SQLite off the
    /// unit index.
    fn condition(self) -> &'static str {
        match self {
            StatsScope::All => "",
            StatsScope::Unit(_) => " AND unit_id = $2",
            StatsScope::Below(_) => {
                " AND unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $2)"
            }
        }
    }

    fn unit(self) -> Option<i64> {
        match self {
            StatsScope::All => None,
            StatsScope::Unit(u) | StatsScope::Below(u) => Some(u),
        }
    }
}

pub async fn version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT v FROM feedback_version WHERE id = 1")
        .fetch_one(&mut **c).await?),
    )
}

/// (submitted, answered) days of the answered items, for the median time to answer.
/// (submitted, answered, how many) for answered items: grouped, so that a national figure reads
/// a few thousand rows rather than every item.
pub async fn answer_days(
    c: &mut DbConn<'_>,
    scope: StatsScope,
    as_of: NaiveDate,
) -> AppResult<Vec<(NaiveDate, NaiveDate, i64)>> {
    let sql = format!(
        "SELECT submitted_on, answered_on, COUNT(*) FROM feedback_items
         WHERE answered_on IS NOT NULL AND answered_on <= $1{}
         GROUP BY submitted_on, answered_on",
        scope.condition()
    );
    Ok(on_conn!(c, c => {
        let q = sqlx::query_as::<_, (NaiveDate, NaiveDate, i64)>(&sql).bind(as_of);
        let q = match scope.unit() { Some(u) => q.bind(u), None => q };
        q.fetch_all(&mut **c).await?
    }))
}

pub async fn insert_file(
    c: &mut DbConn<'_>,
    item_id: i64,
    s: &domain::files::StoredFile,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_files (item_id, file_name, content_type, size_bytes, sha256, stored_as, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(item_id).bind(&s.file_name).bind(s.content_type).bind(s.size).bind(&s.sha256).bind(&s.stored_as).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// A file the sender attached to an item (never public: it may hold personal data).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemFile {
    pub id: i64,
    #[serde(skip)]
    pub item_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    #[serde(skip)]
    pub stored_as: String,
}

/// How many files each item with an id in `first..=last` carries (items without files absent).
pub async fn file_counts(
    c: &mut DbConn<'_>,
    first: i64,
    last: i64,
) -> AppResult<std::collections::HashMap<i64, i64>> {
    let rows = on_conn!(c, c => sqlx::query_as::<_, (i64, i64)>(
        "SELECT item_id, COUNT(*) FROM feedback_files WHERE item_id BETWEEN $1 AND $2 GROUP BY item_id")
        .bind(first).bind(last).fetch_all(&mut **c).await?);
    Ok(rows.into_iter().collect())
}

pub async fn files_of(c: &mut DbConn<'_>, item_id: i64) -> AppResult<Vec<ItemFile>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, ItemFile>(
        "SELECT id, item_id, file_name, content_type, size_bytes, stored_as FROM feedback_files WHERE item_id = $1 ORDER BY id")
        .bind(item_id).fetch_all(&mut **c).await?))
}

pub async fn get_file(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<ItemFile>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, ItemFile>(
        "SELECT id, item_id, file_name, content_type, size_bytes, stored_as FROM feedback_files WHERE id = $1")
        .bind(id).fetch_optional(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Criterion {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub weight: i32,
}

pub async fn criteria(c: &mut DbConn<'_>) -> AppResult<Vec<Criterion>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Criterion>(
        "SELECT code, name_vi, name_en, name_fr, weight FROM review_criteria ORDER BY position")
        .fetch_all(&mut **c).await?))
}

pub async fn insert_criterion(c: &mut DbConn<'_>, k: &Criterion, position: i32) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO review_criteria (code, name_vi, name_en, name_fr, weight, position) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING")
        .bind(&k.code).bind(&k.name_vi).bind(&k.name_en).bind(&k.name_fr).bind(k.weight).bind(position)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub id: i64,
    pub item_id: i64,
    pub reviewer_id: i64,
    /// JSON object: criterion code → score 1..5.
    pub scores: String,
    /// Weighted total.
    pub total: i32,
    pub comment: Option<String>,
}

/// One review per reviewer and item; false when this reviewer already scored it.
pub async fn insert_review(c: &mut DbConn<'_>, r: &Review, now: DateTime<Utc>) -> AppResult<bool> {
    let n = on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_reviews (item_id, reviewer_id, scores, total, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (item_id, reviewer_id) DO NOTHING")
        .bind(r.item_id).bind(r.reviewer_id).bind(&r.scores).bind(r.total).bind(&r.comment).bind(now)
        .execute(&mut **c).await?.rows_affected());
    Ok(n == 1)
}

pub async fn reviews(c: &mut DbConn<'_>, item_id: i64) -> AppResult<Vec<Review>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, Review>(
        "SELECT id, item_id, reviewer_id, scores, total, comment FROM feedback_reviews WHERE item_id = $1 ORDER BY id")
        .bind(item_id).fetch_all(&mut **c).await?))
}

/// Links a task to the item it came from.
pub async fn set_task_source(c: &mut DbConn<'_>, task_id: i64, item_id: i64) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE tasks SET source_feedback_id = $2 WHERE id = $1")
        .bind(task_id).bind(item_id).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Open, unpaused items whose deadline passed before `day`: (id, code, unit, deadline, title).
/// Open items past their deadline on `day`, in id order after `after`, at most `limit`.
pub async fn overdue_open(
    c: &mut DbConn<'_>,
    day: NaiveDate,
    after: i64,
    limit: i64,
) -> AppResult<Vec<(i64, String, i64, NaiveDate, String)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, String, i64, NaiveDate, String)>(
        "SELECT id, code, unit_id, deadline_on, public_title FROM feedback_items
         WHERE state NOT IN ('declined', 'answered', 'closed', 'merged') AND paused_since IS NULL AND deadline_on < $1
           AND id > $2
         ORDER BY id LIMIT $3")
        .bind(day).bind(after).bind(limit).fetch_all(&mut **c).await?),
    )
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteRow {
    pub id: i64,
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub target_unit_id: i64,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// Every rule, in force or retired (history).
pub async fn route_rows(c: &mut DbConn<'_>) -> AppResult<Vec<RouteRow>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, RouteRow>(
        "SELECT id, category, unit_id, target_unit_id, created_at, retired_at FROM feedback_routes ORDER BY id")
        .fetch_all(&mut **c).await?))
}

pub async fn retire_route(c: &mut DbConn<'_>, id: i64, now: DateTime<Utc>) -> AppResult<bool> {
    let n = on_conn!(c, c => sqlx::query("UPDATE feedback_routes SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL")
        .bind(id).bind(now).execute(&mut **c).await?.rows_affected());
    Ok(n == 1)
}

/// Whether the unit's answers wait for its leader's approval (off unless set).
pub async fn approval_required(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, bool>(
        "SELECT approve_answers FROM feedback_unit_settings WHERE unit_id = $1")
        .bind(unit_id).fetch_optional(&mut **c).await?)
    .unwrap_or(false))
}

/// A unit's feedback settings: (answers need the leader's approval, moderation before publication).
pub async fn unit_settings(c: &mut DbConn<'_>, unit_id: i64) -> AppResult<(bool, bool)> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (bool, bool)>(
        "SELECT approve_answers, moderate_first FROM feedback_unit_settings WHERE unit_id = $1")
        .bind(unit_id).fetch_optional(&mut **c).await?)
    .unwrap_or((false, false)))
}

pub async fn set_unit_settings(
    c: &mut DbConn<'_>,
    unit_id: i64,
    (approve, moderate_first): (bool, bool),
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_unit_settings (unit_id, approve_answers, moderate_first, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (unit_id) DO UPDATE SET approve_answers = $2, moderate_first = $3, updated_at = $4")
        .bind(unit_id).bind(approve).bind(moderate_first).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The units that moderate what is sent to them before it is published (a handful: read once per
/// intake batch).
pub async fn units_moderating_first(
    c: &mut DbConn<'_>,
) -> AppResult<std::collections::HashSet<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT unit_id FROM feedback_unit_settings WHERE moderate_first = TRUE")
        .fetch_all(&mut **c).await?)
    .into_iter()
    .collect())
}

/// The deadline rules of one kind of item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KindRule {
    pub kind: String,
    /// Working days to accept (thụ lý) a received item.
    pub accept_days: i32,
    /// Working days to answer.
    pub answer_days: i32,
    /// Calendar days after the answer within which a poor rating may be appealed.
    pub appeal_days: i32,
    /// `restart`: the receiving unit of a transfer gets the full time again; `continue`: the clock runs on.
    pub transfer_clock: String,
}

pub async fn kind_rules(c: &mut DbConn<'_>) -> AppResult<Vec<KindRule>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, KindRule>(
        "SELECT kind, accept_days, answer_days, appeal_days, transfer_clock FROM feedback_kind_rules ORDER BY kind")
        .fetch_all(&mut **c).await?))
}

pub async fn kind_rule(c: &mut DbConn<'_>, kind: &str) -> AppResult<Option<KindRule>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, KindRule>(
        "SELECT kind, accept_days, answer_days, appeal_days, transfer_clock FROM feedback_kind_rules WHERE kind = $1")
        .bind(kind).fetch_optional(&mut **c).await?))
}

pub async fn set_kind_rule(c: &mut DbConn<'_>, r: &KindRule) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE feedback_kind_rules SET accept_days = $2, answer_days = $3, appeal_days = $4, transfer_clock = $5 WHERE kind = $1")
        .bind(&r.kind).bind(r.accept_days).bind(r.answer_days).bind(r.appeal_days).bind(&r.transfer_clock)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn has_support(c: &mut DbConn<'_>, item_id: i64, supporter: &str) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM feedback_supports WHERE item_id = $1 AND supporter = $2")
        .bind(item_id).bind(supporter).fetch_one(&mut **c).await?)
        > 0)
}

pub async fn insert_support_request(
    c: &mut DbConn<'_>,
    token_hash: &str,
    item_id: i64,
    email_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO feedback_support_requests (token_hash, item_id, email_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash).bind(item_id).bind(email_hash).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// An unconfirmed request: (item, email hash, when asked).
pub async fn open_support_request(
    c: &mut DbConn<'_>,
    token_hash: &str,
) -> AppResult<Option<(i64, String, DateTime<Utc>)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, String, DateTime<Utc>)>(
        "SELECT item_id, email_hash, created_at FROM feedback_support_requests WHERE token_hash = $1 AND confirmed_at IS NULL")
        .bind(token_hash).fetch_optional(&mut **c).await?),
    )
}

pub async fn close_support_request(
    c: &mut DbConn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE feedback_support_requests SET confirmed_at = $2 WHERE token_hash = $1")
        .bind(token_hash).bind(now).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Rewrites when an item was sent and its code (the demo spreads its items over past months).
pub async fn set_submission(c: &mut DbConn<'_>, i: &Item) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "UPDATE feedback_items SET code = $2, submitted_at = $3, submitted_on = $4 WHERE id = $1")
        .bind(i.id).bind(&i.code).bind(i.submitted_at).bind(i.submitted_on)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

pub async fn set_event_time(c: &mut DbConn<'_>, id: i64, at: DateTime<Utc>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE feedback_events SET at = $2 WHERE id = $1")
        .bind(id).bind(at).execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

impl Item {
    /// Held for moderation before publication, and no moderator has reviewed it yet.
    pub fn awaiting_moderation(&self) -> bool {
        self.held && self.moderated_on.is_none()
    }

    /// Its public text is not shown: hidden by a moderator, or awaiting one.
    pub fn text_withheld(&self) -> bool {
        self.hidden || self.awaiting_moderation()
    }

    /// The state to return to after waiting, typed. An unknown value is corrupt data: an error,
    /// never a silent default.
    pub fn before_wait(&self) -> AppResult<Option<State>> {
        self.before_wait
            .as_deref()
            .map(|s| {
                State::parse(s).ok_or_else(|| {
                    AppError::Internal(format!("feedback {}: unknown state {s}", self.id))
                })
            })
            .transpose()
    }
}

/// The dedupe keys of the escalations already recorded for items with ids in `[first, last]`,
/// read as one row (a step checks a few hundred items; one row crosses to SQLite's worker thread
/// once, a row per key would cross each time).
pub async fn escalation_keys(
    c: &mut DbConn<'_>,
    first: i64,
    last: i64,
) -> AppResult<std::collections::HashSet<String>> {
    let joined: Option<String> = match c {
        DbConn::Sqlite(c) => sqlx::query_scalar(
            "SELECT group_concat(dedupe_key, ' ') FROM feedback_escalations WHERE feedback_id BETWEEN $1 AND $2")
            .bind(first).bind(last).fetch_one(&mut **c).await?,
        DbConn::Pg(c) => sqlx::query_scalar(
            "SELECT string_agg(dedupe_key, ' ') FROM feedback_escalations WHERE feedback_id BETWEEN $1 AND $2")
            .bind(first).bind(last).fetch_one(&mut **c).await?,
    };
    Ok(joined
        .unwrap_or_default()
        .split(' ')
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect())
}

/// Records the escalations of `on`, (item, kind, dedupe key), skipping keys already there.
pub async fn insert_escalations(
    c: &mut DbConn<'_>,
    on: NaiveDate,
    rows: &[(i64, &'static str, String)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::bulk::{Col, insert_skipping};
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let kinds: Vec<&'static str> = rows.iter().map(|r| r.1).collect();
    let keys: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
    insert_skipping(
        c,
        "feedback_escalations",
        &[
            ("feedback_id", Col::Int(&ids)),
            ("kind", Col::Str(&kinds)),
            ("sent_on", Col::Date(&vec![on; rows.len()])),
            ("dedupe_key", Col::Text(&keys)),
        ],
        Some(now),
        "dedupe_key",
    )
    .await
}

/// Bumped whenever an item enters, leaves or changes within the published set (migration 0010).
pub async fn published_version(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT v FROM feedback_published_version WHERE id = 1").fetch_one(&mut **c).await?))
}

/// How many published items match: a sum over the counters the triggers keep.
pub async fn published_total(
    c: &mut DbConn<'_>,
    unit: Option<i64>,
    state: Option<&str>,
    kind: Option<&str>,
    category: Option<&str>,
) -> AppResult<i64> {
    let mut w = super::Filter::default();
    if let Some(u) = unit {
        w.push("unit_id = {}", super::Arg::Int(u));
    }
    for (col, v) in [("state", state), ("kind", kind), ("category", category)] {
        if let Some(v) = v {
            w.push(&format!("{col} = {{}}"), super::Arg::Text(v.to_string()));
        }
    }
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM feedback_published_counts{}",
        w.where_clause()
    );
    Ok(
        on_conn!(c, c => crate::bind_all!(sqlx::query_scalar::<_, i64>(&sql), w.args.iter())
        .fetch_one(&mut **c).await?),
    )
}
