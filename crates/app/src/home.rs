//! What each role sees first after signing in: a unit's work by urgency (officers and leaders),
//! the national picture (the Steering Committee).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use crate::db::Db;
use crate::error::AppResult;
use crate::programmes::{League, WorkItem, WorklistQuery, worklist};
use domain::org::OrgKind;
use domain::overview::OnTime;
use domain::policy::{Action, Principal, Role, Scope};
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
        w.returned = cache
            .returned(&mut c, unit_id)
            .await?
            .iter()
            .cloned()
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

/// One national programme as the Committee's home shows it.
#[derive(Debug)]
pub struct NationalProgramme {
    pub league: League,
    /// The league restricted to provinces, and to ministries (central agencies).
    pub provinces: Vec<(i64, OnTime)>,
    pub ministries: Vec<(i64, OnTime)>,
    /// The latest flagged reports and how many there are.
    pub flagged: (Vec<Flagged>, i64),
    /// Code and title (cut at a word) of every task of the programme.
    pub titles: HashMap<i64, (String, String)>,
}

/// The Committee's national picture: every national programme (owned by `root`) and the
/// completion claims waiting at `root`.
#[derive(Debug)]
pub struct National {
    pub programmes: Vec<NationalProgramme>,
    pub claims: Arc<store::task_cache::Claims>,
}

type NationalKey = (i64, i64, NaiveDate, i64, Role, i64);

/// The national picture, computed once per state of the task data, of the organisation and of
/// the day, and shared by the Committee's members: it is the same for each of them and is the
/// heaviest page of the product (at national scale it reads every lead assignment of every
/// national programme). One computation at a time; those who arrive meanwhile wait for it and
/// take its result.
#[derive(Default)]
pub struct NationalCache(tokio::sync::Mutex<Option<(NationalKey, Arc<National>)>>);

/// The national picture for `who`, listing up to `listed` flagged reports and claims.
pub async fn national(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    national: &NationalCache,
    who: &Principal,
    root: i64,
    listed: i64,
) -> AppResult<Arc<National>> {
    // The permissions the computation needs, checked on every request, cached or not.
    crate::require(Some(who), Action::VerifyCompletion, Scope::Global)?;
    let versions = {
        let mut c = db.acquire().await?;
        let mut c = c.conn();
        crate::require_on_unit(&mut c, Some(who), Action::VerifyCompletion, root).await?;
        store::versions::current(&mut c).await?
    };
    let today = domain::clock::local_date(Utc::now());
    // Read before the computation: data written meanwhile is newer than the key, so the next
    // request computes again rather than keep it under an older state.
    let key = (versions.tasks, versions.org, today, root, who.role, listed);
    let mut slot = national.0.lock().await;
    if let Some((k, n)) = slot.as_ref()
        && *k == key
    {
        return Ok(n.clone());
    }
    let n = Arc::new(compute_national(db, idx, cache, who, root, listed).await?);
    *slot = Some((key, n.clone()));
    Ok(n)
}

async fn compute_national(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: &Principal,
    root: i64,
    listed: i64,
) -> AppResult<National> {
    let snap = idx.snapshot(db).await?;
    let mut programmes = vec![];
    // The national programmes: those the national level owns (provincial plans have their own).
    for pr in crate::programmes::list(db, Some(who)).await? {
        if pr.owner_unit_id != root {
            continue;
        }
        let league = crate::programmes::league(db, idx, cache, Some(who), pr.id, None).await?;
        let of_kind = |kind: OrgKind| {
            league
                .units
                .iter()
                .filter(|(u, _)| snap.get(*u).is_some_and(|u| u.kind == kind))
                .copied()
                .collect::<Vec<_>>()
        };
        let provinces = of_kind(OrgKind::Province);
        let ministries = of_kind(OrgKind::CentralAgency);
        let flagged = flagged(db, who, pr.id, listed).await?;
        let titles = crate::programmes::tasks(db, idx, cache, Some(who), pr.id, None, None)
            .await?
            .into_iter()
            .map(|(t, _)| (t.id, (t.code, domain::text::cut_at_word(&t.title, 140))))
            .collect();
        programmes.push(NationalProgramme {
            league,
            provinces,
            ministries,
            flagged,
            titles,
        });
    }
    let claims = crate::reports::claims_waiting(db, cache, who, root, listed).await?;
    Ok(National { programmes, claims })
}
