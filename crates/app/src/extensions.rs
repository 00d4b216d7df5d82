//! Deadline extensions: the assigned unit asks with a reason, the assigning level decides.

use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use super::{assignment_for, clean_opt};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::input::BoundedText;
use domain::policy::{Action, Principal};
use domain::status::{Facts, deadline_in_force};
use store::audit::{Actor, Change, to_json};
use store::tasks::{Assignment, Extension};
use store::{self};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    /// The deadline asked for; later than the one in force.
    pub requested_due: NaiveDate,
    pub reason: String,
}

fn deadline_now(a: &Assignment, today: NaiveDate) -> Option<NaiveDate> {
    let f = Facts {
        original_due: a.original_due,
        extension: a.extension_due.zip(a.extension_approved_on),
        ..Default::default()
    };
    deadline_in_force(&f, today)
}

pub async fn request(
    db: &Db,
    who: &Principal,
    assignment_id: i64,
    input: ExtensionRequest,
) -> AppResult<Extension> {
    let today = domain::clock::local_date(Utc::now());
    let mut tx = db.begin().await?;
    let a = assignment_for(&mut tx.conn(), who, Action::ReportProgress, assignment_id).await?;
    let mut errs = vec![];
    let reason = match BoundedText::required("reason", &input.reason) {
        Ok(r) => r.into_string(),
        Err(e) => {
            errs.push(e);
            String::new()
        }
    };
    match deadline_now(&a, today) {
        None => errs.push(FieldError::new("requested_due", "err-no-deadline")),
        Some(d) if input.requested_due <= d => {
            errs.push(FieldError::new("requested_due", "err-not-later").with("date", d))
        }
        _ => {}
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    if a.verified_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-completed",
        )]));
    }
    if a.cancelled_on.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-assignment-cancelled",
        )]));
    }
    if store::tasks::pending_extension(&mut tx.conn(), assignment_id)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(vec![FieldError::new(
            "assignment",
            "err-extension-pending",
        )]));
    }
    let id = store::tasks::insert_extension(
        &mut tx.conn(),
        assignment_id,
        input.requested_due,
        &reason,
        who.user_id,
        today,
    )
    .await?;
    let ext = store::tasks::get_extension(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("extension.request", "extension", id);
    store::audit::commit_row(tx, &Actor::of(who), Utc::now(), change, ext).await
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecision {
    pub approve: bool,
    pub comment: Option<String>,
}

pub async fn decide(
    db: &Db,
    who: &Principal,
    extension_id: i64,
    input: ExtensionDecision,
) -> AppResult<Extension> {
    let today = domain::clock::local_date(Utc::now());
    let mut tx = db.begin().await?;
    let before = store::tasks::get_extension(&mut tx.conn(), extension_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = store::tasks::get_assignment(&mut tx.conn(), before.assignment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::programmes::require_assigning_level(&mut tx.conn(), who, &a).await?;
    let comment = clean_opt(input.comment);
    if !input.approve && comment.is_none() {
        return Err(AppError::invalid(FieldError::new(
            "comment",
            "err-return-needs-comment",
        )));
    }
    if before.approved.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "extension",
            "err-extension-decided",
        )]));
    }
    store::tasks::decide_extension(
        &mut tx.conn(),
        extension_id,
        input.approve,
        who.user_id,
        today,
        comment.as_deref(),
    )
    .await?;
    if input.approve {
        store::tasks::set_extension(&mut tx.conn(), a.id, before.requested_due, today).await?;
    }
    let after = store::tasks::get_extension(&mut tx.conn(), extension_id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        Utc::now(),
        vec![Change {
            action: if input.approve {
                "extension.approve"
            } else {
                "extension.refuse"
            },
            object_type: "extension",
            object_id: extension_id.to_string(),
            before: to_json(&before),
            after: to_json(&after),
        }],
    )
    .await?;
    Ok(after)
}

/// The assignment an extension request belongs to (for the page to land back on its task).
pub async fn assignment_of(db: &Db, extension_id: i64) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    Ok(store::tasks::get_extension(&mut c.conn(), extension_id)
        .await?
        .ok_or(AppError::NotFound)?
        .assignment_id)
}
