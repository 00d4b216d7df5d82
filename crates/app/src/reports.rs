//! Progress reports by the assigned unit, and verification of completion claims by the assigning level.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use super::{assignment_for, clean_opt, require_on_unit};
use crate::auth::sha256_hex;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::input::BoundedText;
use domain::policy::{Action, Principal};
use domain::text::nfc;
use std::sync::Arc;
use store::audit::{Actor, Change, to_json};
use store::task_cache::TaskCache;
use store::tasks::{Assignment, ProgressReport};
use store::{self};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// 0 to 100.
    pub percent: i32,
    /// What was done.
    pub narrative: String,
    /// Results and products (e.g. the number of the decree issued).
    pub results: Option<String>,
    pub difficulties: Option<String>,
    /// The difficulties need the Steering Committee.
    #[serde(default)]
    pub needs_steering: bool,
    pub proposals: Option<String>,
    /// The work is finished; the assigning level must verify it before it counts.
    #[serde(default)]
    pub claims_completion: bool,
    /// Day the report speaks for (default today); not in the future.
    pub reported_on: Option<NaiveDate>,
    /// A token the client makes up for this report (16–128 letters, digits, `-`, `_`): the same
    /// report sent again with it (a retry after a lost answer, a second click) stores nothing
    /// and answers the report stored the first time.
    #[serde(default)]
    pub form_token: Option<String>,
}

fn check_text(field: &str, v: &Option<String>, errs: &mut Vec<FieldError>) {
    if let Some(Err(e)) = v.as_deref().map(|s| BoundedText::parse(field, s)) {
        errs.push(e);
    }
}

/// A report with evidence files, in one transaction: permission is checked before any file is
/// written, and a refused file refuses the whole report.
pub async fn submit_with_files(
    db: &Db,
    data_dir: &std::path::Path,
    max_bytes: usize,
    who: &Principal,
    assignment_id: i64,
    input: NewReport,
    uploads: Vec<crate::attachments::Upload>,
) -> AppResult<ProgressReport> {
    {
        let mut c = db.acquire().await?;
        let mut c = c.conn();
        let a = store::tasks::get_assignment(&mut c, assignment_id)
            .await?
            .ok_or(AppError::NotFound)?;
        require_on_unit(&mut c, Some(who), Action::ReportProgress, a.unit_id).await?;
    }
    let stored = crate::attachments::store_files(data_dir, max_bytes, &uploads).await?;
    submit(db, who, assignment_id, input, &stored).await
}

pub async fn submit(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: NewReport,
    files: &[domain::files::StoredFile],
) -> AppResult<ProgressReport> {
    let today = domain::clock::local_date(Utc::now());
    let mut tx = db.begin().await?;
    let before = assignment_for(&mut tx.conn(), who, Action::ReportProgress, assignment_id).await?;
    let narrative = nfc(&input.narrative);
    let (results, difficulties, proposals) = (
        clean_opt(input.results),
        clean_opt(input.difficulties),
        clean_opt(input.proposals),
    );
    let reported_on = input.reported_on.unwrap_or(today);
    let mut errs = vec![];
    if !(0..=100).contains(&input.percent) {
        errs.push(
            FieldError::new("percent", "err-range")
                .with("min", 0)
                .with("max", 100),
        );
    }
    if narrative.is_empty() {
        errs.push(FieldError::new("narrative", "err-required"));
    }
    check_text("narrative", &Some(narrative.clone()), &mut errs);
    check_text("results", &results, &mut errs);
    check_text("difficulties", &difficulties, &mut errs);
    check_text("proposals", &proposals, &mut errs);
    if reported_on > today {
        errs.push(FieldError::new("reported_on", "err-future-date"));
    }
    if reported_on < before.assigned_on {
        errs.push(FieldError::new("reported_on", "err-before-assignment"));
    }
    if input.claims_completion && input.percent != 100 {
        errs.push(FieldError::new("claims_completion", "err-claim-needs-100"));
    }
    let token = clean_opt(input.form_token);
    if token
        .as_deref()
        .is_some_and(|t| !domain::input::is_form_token(t))
    {
        errs.push(FieldError::new("form_token", "err-form-token"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if before.cancelled_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-cancelled",
        )]));
    }
    if before.verified_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-completed",
        )]));
    }
    let now = Utc::now();
    if let Some(t) = &token {
        let hash = sha256_hex(&format!("nqtrack-report-form:{t}"));
        if !store::tasks::take_report_token(&mut tx.conn(), &hash, now).await? {
            // Sent before: the report stored then, if it is this assignment's.
            let first = match store::tasks::report_of_token(&mut tx.conn(), &hash).await? {
                Some(id) => store::tasks::get_report(&mut tx.conn(), id).await?,
                None => None,
            };
            return first
                .filter(|r| r.assignment_id == assignment_id)
                .ok_or_else(|| {
                    AppError::Conflict(vec![FieldError::new("form_token", "err-form-token")])
                });
        }
    }
    let mut report = ProgressReport {
        id: 0,
        assignment_id,
        reported_on,
        percent: input.percent,
        narrative,
        results,
        difficulties,
        needs_steering: input.needs_steering,
        proposals,
        claims_completion: input.claims_completion,
        author_user_id: who.user_id,
    };
    report.id = store::tasks::insert_report(&mut tx.conn(), &report, now).await?;
    if let Some(t) = &token {
        let hash = sha256_hex(&format!("nqtrack-report-form:{t}"));
        store::tasks::set_report_token(&mut tx.conn(), &hash, report.id).await?;
    }
    let mut after = before.clone();
    // A report about an earlier day does not hide a later one.
    if before.last_report_on.is_none_or(|d| reported_on >= d) {
        after.last_report_on = Some(reported_on);
        after.last_percent = Some(input.percent);
    }
    if input.claims_completion {
        after.claimed_on = Some(reported_on);
    }
    store::tasks::update_progress(&mut tx.conn(), &after).await?;
    if input.claims_completion
        && before.claimed_on.is_none()
        && let Some(level) = store::tasks::assigning_unit(&mut tx.conn(), assignment_id).await?
    {
        let national = store::org::get(&mut tx.conn(), level)
            .await?
            .is_some_and(|u| u.parent_id.is_none());
        // The national level's decisions are the Steering Committee's; elsewhere the leaders'.
        let leaders: Vec<i64> = if national {
            store::work::steering_users(&mut tx.conn()).await?
        } else {
            store::work::unit_recipients(&mut tx.conn(), level)
                .await?
                .into_iter()
                .filter(|(_, _, role, _)| role != "unit_officer")
                .map(|(id, _, _, _)| id)
                .collect()
        };
        tell(
            &mut tx.conn(),
            "claim",
            &after,
            &leaders,
            reported_on,
            None,
            now,
        )
        .await?;
    }
    let evidence = super::work::record_evidence(&mut tx.conn(), report.id, files, now).await?;
    let mut changes: Vec<Change> = evidence
        .iter()
        .map(|e| Change::new("evidence.add", "evidence", e.id).after(to_json(e)))
        .collect();
    changes.extend([
        Change::new("report.create", "report", report.id).after(to_json(&report)),
        Change::new("assignment.progress", "assignment", assignment_id)
            .before(to_json(&before))
            .after(to_json(&after)),
    ]);
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(report)
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// true: the work is done; false: returned to the unit with comments.
    pub approve: bool,
    pub comment: Option<String>,
}

pub async fn verify(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: Decision,
) -> AppResult<Assignment> {
    let today = domain::clock::local_date(Utc::now());
    verify_on(db, who, assignment_id, input, today).await
}

/// `verify` as decided on `today`: the demo data records decisions on the days they would have
/// been taken (a week after each claim), so that the completion trend shows them in their month.
pub async fn verify_on(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: Decision,
    today: NaiveDate,
) -> AppResult<Assignment> {
    let mut tx = db.begin().await?;
    let before = store::tasks::get_assignment(&mut tx.conn(), assignment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::programmes::require_assigning_level(&mut tx.conn(), who, &before).await?;
    let comment = clean_opt(input.comment);
    let mut errs = vec![];
    check_text("comment", &comment, &mut errs);
    if !input.approve && comment.is_none() {
        errs.push(FieldError::new("comment", "err-return-needs-comment"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let claim = store::tasks::latest_claim(&mut tx.conn(), assignment_id).await?;
    let (Some(report_id), true, None) = (claim, before.claimed_on.is_some(), before.verified_on)
    else {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-no-pending-claim",
        )]));
    };
    let now = Utc::now();
    if let Some(claimed) = before.claimed_on
        && today < claimed
    {
        return Err(AppError::invalid(FieldError::new(
            "decided_on",
            "err-before-claim",
        )));
    }
    store::tasks::insert_verification(
        &mut tx.conn(),
        assignment_id,
        report_id,
        input.approve,
        comment.as_deref(),
        today,
        who.user_id,
        now,
    )
    .await?;
    let mut after = before.clone();
    if input.approve {
        after.verified_on = Some(today);
    } else {
        after.claimed_on = None;
    }
    store::tasks::update_progress(&mut tx.conn(), &after).await?;
    let people: Vec<i64> = store::work::unit_recipients(&mut tx.conn(), before.unit_id)
        .await?
        .into_iter()
        .map(|(id, _, _, _)| id)
        .collect();
    let kind = if input.approve {
        "claim-verified"
    } else {
        "claim-returned"
    };
    tell(
        &mut tx.conn(),
        kind,
        &before,
        &people,
        today,
        comment.as_deref(),
        now,
    )
    .await?;
    let action = if input.approve {
        "assignment.verify"
    } else {
        "assignment.return"
    };
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change {
            action,
            object_type: "assignment",
            object_id: assignment_id.to_string(),
            before: to_json(&before),
            after: to_json(&after),
        }],
    )
    .await?;
    Ok(after)
}

/// An in-app notification about a claim to `users` (none: nothing to write).
async fn tell(
    c: &mut crate::db::DbConn<'_>,
    kind: &str,
    a: &Assignment,
    users: &[i64],
    on: NaiveDate,
    comment: Option<&str>,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let task = store::tasks::get_task(c, a.task_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = store::org::get(c, a.unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let link = format!("/tasks/{}#assignments", task.id);
    // Each person reads it in their own language.
    for (lang, users) in crate::notify::by_lang(c, users).await? {
        let m = crate::notify::claim(lang, kind, &task, unit.name(lang.code()), on, comment);
        crate::notify::in_app(c, &users, &m, Some(&link), now).await?;
    }
    Ok(())
}

/// The completion claims waiting for `unit_id` to verify them (the work it assigned), oldest
/// first, up to `limit`, with how many in all. For the unit's leaders and the Steering Committee.
pub async fn claims_waiting(
    db: &Db,
    cache: &TaskCache,
    who: &Principal,
    unit_id: i64,
    limit: i64,
) -> AppResult<Arc<store::task_cache::Claims>> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    super::require_on_unit(&mut c, Some(who), Action::VerifyCompletion, unit_id).await?;
    cache.claims(&mut c, unit_id, limit).await
}
