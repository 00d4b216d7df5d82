//! What each role sees first after signing in: a unit's work by urgency (officers and leaders),
//! the national picture (the Steering Committee).

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::db::Db;
use crate::error::AppResult;
use crate::programmes::{WorkItem, WorklistQuery, worklist};
use domain::policy::{Action, Principal, Scope};
use store::org_index::OrgIndex;
use store::task_cache::TaskCache;

/// Days ahead that count as "due soon", the near and the far horizon.
pub const SOON: i64 = 30;
pub const LATER: i64 = 90;

/// Work whose completion claim was returned and not claimed again.
#[derive(Debug, Clone, Serialize)]
pub struct Returned {
    pub assignment_id: i64,
    pub task_id: i64,
    pub task_code: String,
    pub task_title: String,
    pub returned_on: NaiveDate,
    pub comment: Option<String>,
}

/// A unit's work by urgency, as of `today`; each list is exactly what the worklist shows with
/// the matching filters (the home links there).
#[derive(Debug, Serialize)]
pub struct UnitWork {
    pub unit_id: i64,
    pub today: NaiveDate,
    pub overdue: Vec<WorkItem>,
    pub at_risk: Vec<WorkItem>,
    /// Open, deadline from today to `SOON` days later.
    pub due_soon: Vec<WorkItem>,
    /// Open, deadline from today to `LATER` days later.
    pub due_later: i64,
    pub returned: Vec<Returned>,
}

impl UnitWork {
    pub fn soon_until(&self) -> NaiveDate {
        self.today + chrono::Duration::days(SOON)
    }
    pub fn later_until(&self) -> NaiveDate {
        self.today + chrono::Duration::days(LATER)
    }
}

pub async fn unit_work(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: &Principal,
    unit_id: i64,
) -> AppResult<UnitWork> {
    let today = domain::clock::local_date(Utc::now());
    let items = worklist(
        db,
        idx,
        cache,
        Some(who),
        unit_id,
        &WorklistQuery {
            open: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let (soon, later) = (
        today + chrono::Duration::days(SOON),
        today + chrono::Duration::days(LATER),
    );
    let mut w = UnitWork {
        unit_id,
        today,
        overdue: vec![],
        at_risk: vec![],
        due_soon: vec![],
        due_later: 0,
        returned: vec![],
    };
    for i in items {
        let upcoming = i.due.filter(|d| *d >= today);
        if upcoming.is_some_and(|d| d <= later) {
            w.due_later += 1;
        }
        match i.status.as_str() {
            "overdue" => w.overdue.push(i),
            "at_risk" => {
                if upcoming.is_some_and(|d| d <= soon) {
                    w.due_soon.push(i.clone());
                }
                w.at_risk.push(i)
            }
            _ if upcoming.is_some_and(|d| d <= soon) => w.due_soon.push(i),
            _ => {}
        }
    }
    w.due_soon.sort_by_key(|i| (i.due, i.task.id));
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    // The unit's own returned work is not public: only those who may report for it see it.
    if crate::require_on_unit(&mut c, Some(who), Action::ReportProgress, unit_id)
        .await
        .is_ok()
    {
        w.returned = store::tasks::returned_to_unit(&mut c, unit_id)
            .await?
            .into_iter()
            .map(
                |(assignment_id, task_id, task_code, task_title, returned_on, comment)| Returned {
                    assignment_id,
                    task_id,
                    task_code,
                    task_title,
                    returned_on,
                    comment,
                },
            )
            .collect();
    }
    Ok(w)
}

/// A report flagged as needing the Steering Committee.
#[derive(Debug, Clone, Serialize)]
pub struct Flagged {
    pub report_id: i64,
    pub task_id: i64,
    pub task_code: String,
    pub task_title: String,
    pub unit_id: i64,
    pub reported_on: NaiveDate,
    pub difficulties: Option<String>,
}

/// The latest flagged reports of a programme (newest first, up to `limit`) and how many in all.
/// The Committee's own view: difficulties are not public.
pub async fn flagged(
    db: &Db,
    who: &Principal,
    programme_id: i64,
    limit: i64,
) -> AppResult<(Vec<Flagged>, i64)> {
    crate::require(Some(who), Action::VerifyCompletion, Scope::Global)?;
    let mut c = db.acquire().await?;
    let (rows, n) = store::tasks::flagged_for_steering(&mut c.conn(), programme_id, limit).await?;
    Ok((
        rows.into_iter()
            .map(
                |(
                    report_id,
                    task_id,
                    task_code,
                    task_title,
                    unit_id,
                    reported_on,
                    difficulties,
                )| {
                    Flagged {
                        report_id,
                        task_id,
                        task_code,
                        task_title,
                        unit_id,
                        reported_on,
                        difficulties,
                    }
                },
            )
            .collect(),
        n,
    ))
}
