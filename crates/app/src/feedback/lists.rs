//! Lists: the officers' inbox, the public list of answered items, and a sender's own items.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::common::*;
use super::stats::StatsCache;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::require_on_unit;
use crate::search::Finder;
use domain::FieldError;
use domain::feedback::{Kind, State};
use domain::policy::{Action, Principal};
use store::{self};

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
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
    /// The page after this point, as given in `next` by the page before (the public list and
    /// the inbox; costs the same at any depth, unlike `page`).
    pub after: Option<String>,
    /// Only items whose text has these words (diacritics optional; the 1,000 best matches, in
    /// the list's own order). The public list searches the published text only.
    pub q: Option<String>,
}

/// One page of the public list.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedPage {
    pub items: Vec<PublicItem>,
    /// Every published item the filters match.
    pub total: i64,
    /// `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// `2026-11-30.4812`: the answered day and id of the last item of a page.
fn parse_cursor(s: &str) -> Option<(NaiveDate, i64)> {
    let (d, id) = s.split_once('.')?;
    Some((d.parse().ok()?, id.parse().ok()?))
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxRow {
    pub id: i64,
    #[serde(flatten)]
    pub item: PublicItem,
    /// Working days left (negative: overdue); None while paused or closed.
    pub days_left: Option<i64>,
    /// A received item must be accepted (or declined, or transferred) by this day.
    pub accept_by: Option<NaiveDate>,
    /// The tracking code of an earlier item of the unit this one may duplicate (found by the
    /// background duplicate pass; the item page lists them all, with a merge button).
    pub possible_duplicate_of: Option<String>,
}

/// One page of a unit's inbox.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InboxPage {
    pub items: Vec<InboxRow>,
    /// Every item the filters match.
    pub total: i64,
    /// `after` for the next page; absent on the last.
    pub next: Option<String>,
}

fn published_cursor_ok(s: &str) -> bool {
    parse_cursor(s).is_some()
}

fn inbox_cursor_ok(s: &str) -> bool {
    store::feedback::UrgentKey::parse(s).is_some()
}

fn check_filters(q: &InboxQuery, cursor_ok: fn(&str) -> bool) -> AppResult<()> {
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
    if q.after.as_deref().is_some_and(|a| !cursor_ok(a)) {
        errs.push(FieldError::new("after", "err-cursor"));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errs))
    }
}

/// How many files each of `ids` carries (for an export of rows the caller was already allowed
/// to list); one grouped query over the ids' range.
pub async fn file_counts(db: &Db, ids: &[i64]) -> AppResult<std::collections::HashMap<i64, i64>> {
    let (Some(first), Some(last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(Default::default());
    };
    let mut c = db.acquire().await?;
    let mut counts = store::feedback::file_counts(&mut c.conn(), *first, *last).await?;
    counts.retain(|id, _| ids.contains(id));
    Ok(counts)
}

/// (feedback data version, local day, unit, the query's filters and place)
type InboxKey = (i64, NaiveDate, i64, String);

/// Inbox pages per state of the feedback data: a unit's officers open the same pages all day,
/// and each costs five reads and a hundred deadline computations, while between two writes
/// the page is the same for all of them. Holidays, rules and settings bump the same version.
pub type InboxCache = crate::memo::Memo<InboxKey, InboxPage>;

/// A unit's inbox, most urgent first (officers of the unit; steering, inspectors, administrators).
pub async fn inbox(
    db: &Db,
    cache: &InboxCache,
    find: Finder<'_>,
    who: &Principal,
    q: InboxQuery,
) -> AppResult<Arc<InboxPage>> {
    check_filters(&q, inbox_cursor_ok)?;
    let unit = q.unit.unwrap_or(who.unit_id);
    if let Some(words) = words_of(&q) {
        // Filtered by words: read afresh, the index moves on its own beside the versions.
        {
            let mut c = db.acquire().await?;
            require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
        }
        let ids = find.feedback_ids(Some(who), &words, Some(unit)).await?;
        let today = domain::clock::local_date(Utc::now());
        return Ok(Arc::new(read_inbox(db, unit, q, today, Some(ids)).await?));
    }
    // Permission on every request, kept or not; the version read before computing.
    let version = {
        let mut c = db.acquire().await?;
        require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
        store::versions::current(&mut c.conn()).await?.feedback
    };
    let today = domain::clock::local_date(Utc::now());
    let place = format!(
        "{:?}",
        (
            &q.status,
            &q.kind,
            &q.category,
            q.page,
            q.per_page,
            &q.moderation,
            &q.after
        )
    );
    let key = (version, today, unit, place);
    if let Some(p) = cache.get(&key) {
        return Ok(p);
    }
    let p = Arc::new(read_inbox(db, unit, q, today, None).await?);
    cache.put(key, p.clone());
    Ok(p)
}

/// The words of a `q=` filter, if any.
fn words_of(q: &InboxQuery) -> Option<String> {
    q.q.as_deref()
        .filter(|w| !domain::search::Terms::parse(w).is_empty())
        .map(str::to_string)
}

async fn read_inbox(
    db: &Db,
    unit: i64,
    q: InboxQuery,
    today: NaiveDate,
    ids: Option<Vec<i64>>,
) -> AppResult<InboxPage> {
    let after = q
        .after
        .as_deref()
        .and_then(store::feedback::UrgentKey::parse);
    let (limit, offset) = crate::paging(q.page, q.per_page)?;
    // Before taking a connection: holding one while `calendar` waits for another starves the
    // pool under load (every request holding one, all waiting for a second).
    let cal = calendar(db).await?;
    let mut c = db.acquire().await?;
    let f = store::feedback::ListFilter {
        unit: Some(unit),
        state: q.status,
        kind: q.kind,
        category: q.category,
        user: None,
        unmoderated: q.moderation.as_deref() == Some("pending"),
        published_only: false,
        after: None,
        after_urgent: after,
        submitted_from: None,
        submitted_to: None,
        ids,
        count: true,
        // One more than shown, to know whether a next page exists.
        limit: limit + 1,
        offset: if after.is_some() { 0 } else { offset },
    };
    let (mut items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    let next =
        crate::more_than(&mut items, limit).map(|i| store::feedback::UrgentKey::of(i).cursor());
    let rules = store::feedback::kind_rules(&mut c.conn()).await?;
    let accept_days = |kind| rule_in(&rules, kind).accept_days.max(0) as u32;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let mut duplicate_of = std::collections::HashMap::new();
    for (item, code) in store::search::duplicate_of(&mut c.conn(), &ids).await? {
        // The most similar first: keep that one.
        duplicate_of.entry(item).or_insert(code);
    }
    Ok(InboxPage {
        items: items
            .iter()
            .map(|i| InboxRow {
                id: i.id,
                accept_by: (i.state == State::Received)
                    .then(|| cal.add_working_days(i.clock_from, accept_days(i.kind))),
                days_left: i
                    .deadline_on
                    .filter(|_| i.state.is_open() && i.paused_since.is_none())
                    .map(|d| {
                        if d >= today {
                            cal.working_days_between(today, d)
                        } else {
                            -cal.working_days_between(d, today)
                        }
                    }),
                possible_duplicate_of: duplicate_of.remove(&i.id),
                item: PublicItem::as_written(i),
            })
            .collect(),
        total,
        next,
    })
}

/// Published items with their answers (public), latest answers first. Pages follow one another
/// by `after` (keyset); the total is counted once per change of the published set and per
/// filter (`totals`), so neither depth nor a crowd of readers costs a scan.
pub async fn published(
    db: &Db,
    totals: &StatsCache,
    find: Finder<'_>,
    q: InboxQuery,
) -> AppResult<PublishedPage> {
    check_filters(&q, published_cursor_ok)?;
    // Filtered by words: the index finds the published items (by their public text); the total
    // is theirs.
    let ids = match words_of(&q) {
        Some(w) => Some(find.feedback_ids(None, &w, None).await?),
        None => None,
    };
    let after = q.after.as_deref().and_then(parse_cursor);
    let (limit, offset) = crate::paging(q.page, q.per_page)?;
    let mut c = db.acquire().await?;
    let key = format!("{:?}|{:?}|{:?}|{:?}", q.unit, q.status, q.kind, q.category);
    let version = store::feedback::published_version(&mut c.conn()).await?;
    let known = totals.published_total(&key, version);
    let f = store::feedback::ListFilter {
        unit: q.unit,
        state: q.status,
        kind: q.kind,
        category: q.category,
        user: None,
        unmoderated: false,
        published_only: true,
        after,
        after_urgent: None,
        submitted_from: None,
        submitted_to: None,
        count: ids.is_some(),
        ids,
        // One more than shown, to know whether a next page exists.
        limit: limit + 1,
        offset: if after.is_some() { 0 } else { offset },
    };
    let searched = f.ids.is_some();
    let (mut items, counted) = store::feedback::list(&mut c.conn(), &f).await?;
    let total = match known {
        _ if searched => counted,
        Some(t) => t,
        None => {
            let t = store::feedback::published_total(
                &mut c.conn(),
                f.unit,
                f.state.as_deref(),
                f.kind.as_deref(),
                f.category.as_deref(),
            )
            .await?;
            totals.remember_published_total(key, version, t);
            t
        }
    };
    let next = crate::more_than(&mut items, limit)
        .and_then(|i| Some(format!("{}.{}", i.answered_on?, i.id)));
    Ok(PublishedPage {
        items: items.iter().map(PublicItem::from).collect(),
        total,
        next,
    })
}

/// Published items for Open311's request list: the public list's order and paging, filtered by
/// category, state and the days they were sent (`from`, `to`, both included); no total, since
/// GeoReport answers a bare list.
pub async fn published_sent(
    db: &Db,
    q: InboxQuery,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> AppResult<(Vec<PublicItem>, Option<String>)> {
    check_filters(&q, published_cursor_ok)?;
    let after = q.after.as_deref().and_then(parse_cursor);
    let (limit, _) = crate::paging(None, q.per_page)?;
    let f = store::feedback::ListFilter {
        state: q.status,
        category: q.category,
        published_only: true,
        after,
        submitted_from: from,
        submitted_to: to,
        limit: limit + 1,
        ..Default::default()
    };
    let mut c = db.acquire().await?;
    let (mut items, _) = store::feedback::list(&mut c.conn(), &f).await?;
    let next = crate::more_than(&mut items, limit)
        .and_then(|i| Some(format!("{}.{}", i.answered_on?, i.id)));
    Ok((items.iter().map(PublicItem::from).collect(), next))
}

/// What a signed-in submitter sent (any state, most urgent first): an account lets them follow
/// all their items without keeping each secret.
pub async fn mine(db: &Db, who: &Principal, q: InboxQuery) -> AppResult<(Vec<PublicItem>, i64)> {
    check_filters(&q, published_cursor_ok)?;
    let (limit, offset) = crate::paging(q.page, q.per_page)?;
    let mut c = db.acquire().await?;
    let f = store::feedback::ListFilter {
        unit: None,
        state: q.status,
        kind: q.kind,
        category: q.category,
        user: Some(who.user_id),
        unmoderated: false,
        published_only: false,
        after: None,
        after_urgent: None,
        submitted_from: None,
        submitted_to: None,
        ids: None,
        count: true,
        limit,
        offset,
    };
    let (items, total) = store::feedback::list(&mut c.conn(), &f).await?;
    Ok((items.iter().map(PublicItem::as_written).collect(), total))
}
