//! Work on assignments besides reports: cascading to units below, proposals by units, cancelling,
//! evidence files, comments, and each user's notifications.

use std::path::Path;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{assignment_for, clean_opt, require, require_on_unit};
use crate::attachments::{Upload, store_files};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::deadline::Deadline;
use domain::files::StoredFile;
use domain::input::BoundedText;
use domain::policy::{Action, Principal, Scope, Visibility};
use domain::status::TaskState;
use domain::text::nfc;
use store::audit::{Actor, Change, to_json};
use store::org_index::OrgIndex;
use store::tasks::{Assignment, NewTask, Task};
use store::work::{Evidence, Notification};
use store::{self};

/// Unit kinds a province's assignment is cascaded to.
const CASCADE_KINDS: [&str; 3] = ["commune", "ward", "special_zone"];

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CascadeInput {
    /// Units directly below the assigned unit; omit (or set `all`) for every commune below it.
    #[serde(default)]
    pub units: Vec<i64>,
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CascadeResult {
    /// New assignments created.
    pub created: Vec<i64>,
    /// Units that already held the task.
    pub already: usize,
}

pub async fn cascade(
    db: &Db,
    idx: &OrgIndex,
    who: &Principal,
    assignment_id: i64,
    input: CascadeInput,
) -> AppResult<CascadeResult> {
    let snap = idx.snapshot(db).await?;
    let mut tx = db.begin().await?;
    let parent = assignment_for(
        &mut tx.conn(),
        who,
        Action::CascadeAssignment,
        assignment_id,
    )
    .await?;
    if parent.cancelled_on.is_some() || parent.verified_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-closed",
        )]));
    }
    let below = units_below(&snap, parent.unit_id);
    let targets: Vec<i64> = if input.all || input.units.is_empty() {
        below
            .iter()
            .filter(|u| CASCADE_KINDS.contains(&u.kind.as_str()))
            .map(|u| u.id)
            .collect()
    } else {
        let mut errs = vec![];
        for u in &input.units {
            if !below.iter().any(|b| b.id == *u) {
                errs.push(FieldError::new("units", "err-not-below").with("unit", *u));
            }
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut v = input.units.clone();
        v.sort_unstable();
        v.dedup();
        v
    };
    if targets.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "units",
            "err-no-units-below",
        )));
    }
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let mut created = vec![];
    let mut already = 0;
    for u in &targets {
        match store::tasks::insert_child(&mut tx.conn(), &parent, *u, today).await? {
            Some(id) => created.push(id),
            None => already += 1,
        }
    }
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change {
            action: "assignment.cascade",
            object_type: "assignment",
            object_id: assignment_id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "units": targets, "created": created.len() }).to_string(),
            ),
        }],
    )
    .await?;
    Ok(CascadeResult { created, already })
}

/// The units in force directly below `unit`.
fn units_below(snap: &store::org_index::Snapshot, unit: i64) -> Vec<store::org::OrgUnit> {
    snap.list(&store::org::ListFilter {
        parent: Some(unit),
        limit: 10_000,
        ..Default::default()
    })
    .0
    .into_iter()
    .filter(|u| !u.historical())
    .collect()
}

/// What cascading an assignment to every commune and ward below would do, shown before it is
/// done: the units that would receive the task, and how many below hold it already.
#[derive(Debug)]
pub struct CascadePreview {
    pub task_id: i64,
    pub task_title: String,
    pub new: Vec<store::org::OrgUnit>,
    pub already: usize,
}

pub async fn cascade_preview(
    db: &Db,
    idx: &OrgIndex,
    who: &Principal,
    assignment_id: i64,
) -> AppResult<CascadePreview> {
    let snap = idx.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let parent =
        assignment_for(&mut c.conn(), who, Action::CascadeAssignment, assignment_id).await?;
    let holding = store::tasks::units_holding(&mut c.conn(), parent.task_id).await?;
    let (already, new): (Vec<_>, Vec<_>) = units_below(&snap, parent.unit_id)
        .into_iter()
        .filter(|u| CASCADE_KINDS.contains(&u.kind.as_str()))
        .partition(|u| holding.contains(&u.id));
    let task = store::tasks::get_task(&mut c.conn(), parent.task_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(CascadePreview {
        task_id: parent.task_id,
        task_title: task.title,
        new,
        already: already.len(),
    })
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub title: String,
    pub description: Option<String>,
    /// Completion time as people write it ("6/2026", "Quý II/2026", "2026", a date).
    pub deadline: String,
    pub result: Option<String>,
    pub group_id: Option<i64>,
    /// The proposing unit (default: the caller's).
    pub unit_id: Option<i64>,
}

/// A unit proposes a task of its own under a programme; it takes effect once approved.
pub async fn propose(
    db: &Db,
    who: &Principal,
    programme_id: i64,
    input: Proposal,
) -> AppResult<Task> {
    let unit = input.unit_id.unwrap_or(who.unit_id);
    let mut tx = db.begin().await?;
    require_on_unit(&mut tx.conn(), Some(who), Action::ProposeTask, unit).await?;
    // The programme must exist; its settings play no part in a proposal.
    store::tasks::get_programme(&mut tx.conn(), programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let title = nfc(&input.title);
    let deadline_text = nfc(&input.deadline);
    let deadline = Deadline::parse(&deadline_text);
    let mut errs = vec![];
    if title.is_empty() {
        errs.push(FieldError::new("title", "err-required"));
    }
    if title.chars().count() > 500 {
        errs.push(FieldError::new("title", "err-too-long").with("max", 500));
    }
    let description = clean_opt(input.description);
    let result = clean_opt(input.result);
    for (f, v) in [("description", &description), ("result", &result)] {
        if let Some(Err(e)) = v.as_deref().map(|s| BoundedText::parse(f, s)) {
            errs.push(e);
        }
    }
    if deadline == Deadline::Unparsed {
        errs.push(FieldError::new("deadline", "err-deadline-unparsed"));
    }
    if let Some(g) = input.group_id
        && !store::tasks::groups(&mut tx.conn(), programme_id)
            .await?
            .iter()
            .any(|x| x.id == g)
    {
        errs.push(FieldError::new("group_id", "err-no-such-group"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let n = store::tasks::tasks_of(&mut tx.conn(), programme_id)
        .await?
        .len()
        + 1;
    let code = format!("DX-{n}");
    let unit_name = store::org::get(&mut tx.conn(), unit)
        .await?
        .map(|u| u.name_vi)
        .unwrap_or_default();
    let new = NewTask {
        programme_id,
        group_id: input.group_id,
        code: &code,
        title: &title,
        result_text: result.as_deref().unwrap_or(""),
        deadline_text: &deadline_text,
        deadline_json: serde_json::to_string(&deadline).unwrap_or_default(),
        due_on: deadline.due(),
        lead_text: &unit_name,
        coordinating_text: "",
        visibility: Visibility::Public,
        state: TaskState::Proposed,
        proposed_by: Some(unit),
        description: description.as_deref(),
        priority: "normal",
        period: None,
    };
    let id = store::tasks::insert_task(&mut tx.conn(), &new, now).await?;
    store::tasks::insert_assignment(
        &mut tx.conn(),
        id,
        unit,
        true,
        domain::clock::local_date(now),
        new.due_on,
    )
    .await?;
    let task = store::tasks::get_task(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("task.propose", "task", id);
    store::audit::commit_row(tx, &Actor::of(who), now, change, task).await
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposalDecision {
    pub approve: bool,
    pub comment: Option<String>,
}

/// The assigning level approves a proposal (it becomes an active task) or declines it.
pub async fn decide_proposal(
    db: &Db,
    who: &Principal,
    task_id: i64,
    input: ProposalDecision,
) -> AppResult<Task> {
    let mut tx = db.begin().await?;
    let before = store::tasks::get_task(&mut tx.conn(), task_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = store::tasks::get_programme(&mut tx.conn(), before.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(
        &mut tx.conn(),
        Some(who),
        Action::VerifyCompletion,
        programme.owner_unit_id,
    )
    .await?;
    if before.state != TaskState::Proposed {
        return Err(AppError::Conflict(vec![FieldError::new(
            "task",
            "err-not-a-proposal",
        )]));
    }
    let comment = clean_opt(input.comment);
    if !input.approve && comment.is_none() {
        return Err(AppError::invalid(FieldError::new(
            "comment",
            "err-return-needs-comment",
        )));
    }
    let state = if input.approve {
        TaskState::Active
    } else {
        TaskState::Declined
    };
    store::tasks::set_task_state(&mut tx.conn(), task_id, state).await?;
    let mut after = before.clone();
    after.state = state;
    let now = Utc::now();
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change {
            action: if input.approve {
                "task.approve"
            } else {
                "task.decline"
            },
            object_type: "task",
            object_id: task_id.to_string(),
            before: to_json(&before),
            after: Some(serde_json::json!({ "state": state, "comment": comment }).to_string()),
        }],
    )
    .await?;
    Ok(after)
}

pub async fn proposals(
    db: &Db,
    who: Option<&Principal>,
    programme_id: i64,
) -> AppResult<Vec<Task>> {
    require(who, Action::ReadInternal, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::tasks::proposals(&mut c.conn(), programme_id).await
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    pub reason: String,
}

/// The assigning level cancels an assignment (the work is no longer wanted).
pub async fn cancel(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: CancelInput,
) -> AppResult<Assignment> {
    let mut tx = db.begin().await?;
    let before = store::tasks::get_assignment(&mut tx.conn(), assignment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::programmes::require_assigning_level(&mut tx.conn(), who, &before).await?;
    let reason = nfc(&input.reason);
    if reason.is_empty() {
        return Err(AppError::invalid(FieldError::new("reason", "err-required")));
    }
    if before.cancelled_on.is_some() || before.verified_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-closed",
        )]));
    }
    let now = Utc::now();
    store::tasks::cancel_assignment(
        &mut tx.conn(),
        assignment_id,
        domain::clock::local_date(now),
    )
    .await?;
    let mut after = before.clone();
    after.cancelled_on = Some(domain::clock::local_date(now));
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change {
            action: "assignment.cancel",
            object_type: "assignment",
            object_id: assignment_id.to_string(),
            before: to_json(&before),
            after: Some(
                serde_json::json!({ "cancelled_on": after.cancelled_on, "reason": reason })
                    .to_string(),
            ),
        }],
    )
    .await?;
    Ok(after)
}

/// Records stored files as evidence of a report, inside the caller's transaction.
pub async fn record_evidence(
    c: &mut crate::db::DbConn<'_>,
    report_id: i64,
    stored: &[StoredFile],
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<Evidence>> {
    let mut out = vec![];
    for s in stored {
        let mut e = Evidence {
            id: 0,
            report_id,
            file_name: s.file_name.clone(),
            content_type: s.content_type.into(),
            size_bytes: s.size,
            sha256: s.sha256.clone(),
            stored_as: s.stored_as.clone(),
        };
        e.id = store::work::insert_evidence(c, &e, now).await?;
        out.push(e);
    }
    Ok(out)
}

/// Adds evidence to an existing report (the assigned unit).
pub async fn attach(
    db: &Db,
    data_dir: &Path,
    max_bytes: usize,
    who: &Principal,
    report_id: i64,
    upload: Upload,
) -> AppResult<Evidence> {
    let assignment = assignment_of_report(db, report_id).await?;
    {
        let mut c = db.acquire().await?;
        require_on_unit(
            &mut c.conn(),
            Some(who),
            Action::ReportProgress,
            assignment.unit_id,
        )
        .await?;
    }
    let stored = store_files(data_dir, max_bytes, std::slice::from_ref(&upload)).await?;
    let mut tx = db.begin().await?;
    let now = Utc::now();
    let ev = record_evidence(&mut tx.conn(), report_id, &stored, now).await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        ev.iter()
            .map(|e| Change::new("evidence.add", "evidence", e.id).after(to_json(e)))
            .collect(),
    )
    .await?;
    ev.into_iter().next().ok_or(AppError::NotFound)
}

async fn assignment_of_report(db: &Db, report_id: i64) -> AppResult<Assignment> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let r = store::tasks::get_report(&mut c, report_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::tasks::get_assignment(&mut c, r.assignment_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An evidence file and its content, if the caller may read its task.
pub async fn evidence_file(
    db: &Db,
    idx: &OrgIndex,
    data_dir: &Path,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<(Evidence, Vec<u8>)> {
    let snap = idx.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let e = store::work::get_evidence(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let task_id = store::work::task_of_evidence(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::programmes::readable_task(&mut c, &snap, who, task_id).await?;
    let bytes = tokio::fs::read(data_dir.join(&e.stored_as))
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((e, bytes))
}

pub const COMMENT_MAX: usize = 2000;

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
}

pub async fn comment(
    db: &Db,
    idx: &OrgIndex,
    who: &Principal,
    task_id: i64,
    input: NewComment,
) -> AppResult<i64> {
    require(Some(who), Action::Comment, Scope::Global)?;
    let snap = idx.snapshot(db).await?;
    let body = nfc(&input.body);
    if body.is_empty() {
        return Err(AppError::invalid(FieldError::new("body", "err-required")));
    }
    if body.chars().count() > COMMENT_MAX {
        return Err(AppError::invalid(
            FieldError::new("body", "err-too-long").with("max", COMMENT_MAX),
        ));
    }
    let mut tx = db.begin().await?;
    let task = store::tasks::get_task(&mut tx.conn(), task_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = store::tasks::get_programme(&mut tx.conn(), task.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !super::programmes::may_read(
        &mut tx.conn(),
        &snap,
        Some(who),
        task.id,
        task.visibility,
        programme.owner_unit_id,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    let id = store::work::insert_comment(&mut tx.conn(), task_id, who.user_id, &body, now).await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change::new("comment.create", "comment", id).after(Some(
            serde_json::json!({ "task_id": task_id, "body": body }).to_string(),
        ))],
    )
    .await?;
    Ok(id)
}

/// A page of `who`'s notifications, newest first.
#[derive(Debug)]
pub struct Notifications {
    pub items: Vec<Notification>,
    /// How many are unread, of all.
    pub unread: i64,
    /// The cursor of the next (older) page, if there is one: the last id listed.
    pub next: Option<i64>,
}

/// Up to `limit` (1–100) notifications of `who` older than `before` (newest when None); a home
/// shows a few, the list pages by cursor, so that page 1 and page 100 cost the same.
pub async fn notifications(
    db: &Db,
    who: &Principal,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Notifications> {
    let limit = limit.clamp(1, 100);
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut items = store::work::notifications_of(&mut c, who.user_id, before, limit + 1).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|n| n.id)
    } else {
        None
    };
    let unread = store::work::unread_count(&mut c, who.user_id).await?;
    Ok(Notifications {
        items,
        unread,
        next,
    })
}

/// Marks one notification (or all) read. Reading is a change of state, so it is audited too.
pub async fn mark_read(db: &Db, who: &Principal, id: Option<i64>) -> AppResult<u64> {
    let mut tx = db.begin().await?;
    let now = Utc::now();
    let n = store::work::mark_read(&mut tx.conn(), who.user_id, id, now).await?;
    if id.is_some() && n == 0 {
        return Err(AppError::NotFound);
    }
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![
            Change::new(
                "notification.read",
                "notification",
                id.map(|i| i.to_string()).unwrap_or_else(|| "all".into()),
            )
            .after(Some(serde_json::json!({ "count": n }).to_string())),
        ],
    )
    .await?;
    Ok(n)
}

/// The task an assignment belongs to.
pub async fn task_of_assignment(db: &Db, assignment_id: i64) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    Ok(store::tasks::get_assignment(&mut c.conn(), assignment_id)
        .await?
        .ok_or(AppError::NotFound)?
        .task_id)
}
