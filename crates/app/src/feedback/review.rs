//! Initiatives: reviewers' scores on a weighted sheet, and the decision (with adoption as a task).

use chrono::Utc;
use serde::Deserialize;

use super::common::*;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::{clean_opt, require_on_unit};
use domain::FieldError;
use domain::feedback::Kind;
use domain::policy::{Action, Principal};
use domain::text::nfc;
use store::audit::{Actor, Change};
use store::{self};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// Criterion code → score 1 to 5; every criterion of the sheet must be scored.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub scores: std::collections::BTreeMap<String, i32>,
    pub comment: Option<String>,
}

/// A reviewer scores an initiative on the sheet; one review per reviewer.
pub async fn review(
    db: &Db,
    who: &Principal,
    id: i64,
    input: ReviewInput,
) -> AppResult<store::feedback::Review> {
    use domain::policy::Role;
    if !matches!(
        who.role,
        Role::Reviewer | Role::Steering | Role::Administrator
    ) {
        let mut c = db.acquire().await?;
        super::common::item_to_handle(&mut c.conn(), who, id).await?;
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let item = store::feedback::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if item.kind != Kind::Initiative {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-not-initiative",
        )]));
    }
    let sheet = store::feedback::criteria(&mut tx.conn()).await?;
    let mut errs = vec![];
    let mut total = 0;
    for k in &sheet {
        match input.scores.get(&k.code) {
            Some(v) if (1..=5).contains(v) => total += v * k.weight,
            Some(_) => errs.push(
                FieldError::new(&k.code, "err-range")
                    .with("min", 1)
                    .with("max", 5),
            ),
            None => errs.push(FieldError::new(&k.code, "err-required")),
        }
    }
    for code in input.scores.keys() {
        if !sheet.iter().any(|k| &k.code == code) {
            errs.push(FieldError::new(code, "err-unknown-criterion"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let r = store::feedback::Review {
        id: 0,
        item_id: id,
        reviewer_id: who.user_id,
        scores: serde_json::to_string(&input.scores).unwrap_or_default(),
        total,
        comment: clean_opt(input.comment),
    };
    if !store::feedback::insert_review(&mut tx.conn(), &r, now).await? {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-already-reviewed",
        )]));
    }
    commit_item(
        tx,
        &Actor::of(who),
        now,
        "feedback.review",
        id,
        None,
        Some(serde_json::json!({ "total": total, "scores": input.scores }).to_string()),
    )
    .await?;
    Ok(r)
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// adopted, adopted_in_part or declined.
    pub decision: String,
    pub reason: String,
    /// Adopted: create a task in this programme…
    pub programme_id: Option<i64>,
    /// …assigned to this unit (default: the unit that decided)…
    pub unit_id: Option<i64>,
    /// …due as written ("6/2027", "Quý II/2027", a date).
    pub deadline: Option<String>,
}

/// The unit decides on an initiative or recommendation; an adoption can create a task, linked
/// both ways, so the submitter follows the work from the tracking page. One transaction.
pub async fn decide(
    db: &Db,
    who: &Principal,
    id: i64,
    input: DecisionInput,
) -> AppResult<PublicItem> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut item = item_to_handle(&mut tx.conn(), who, id).await?;
    let mut errs = vec![];
    if item.kind == Kind::Report {
        return Err(AppError::Conflict(vec![FieldError::new(
            "item",
            "err-decision-kind",
        )]));
    }
    if !matches!(
        input.decision.as_str(),
        "adopted" | "adopted_in_part" | "declined"
    ) {
        errs.push(FieldError::new("decision", "err-unknown-decision"));
    }
    let reason = nfc(&input.reason);
    if reason.is_empty() {
        errs.push(FieldError::new("reason", "err-reason-required"));
    }
    if item.decision.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "decision",
            "err-already-decided",
        )]));
    }
    let adopt = input.decision != "declined";
    if !adopt && input.programme_id.is_some() {
        errs.push(FieldError::new("programme_id", "err-declined-no-task"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut changes = vec![];
    if let (true, Some(pid)) = (adopt, input.programme_id) {
        let programme = store::tasks::get_programme(&mut tx.conn(), pid)
            .await?
            .ok_or_else(|| {
                AppError::invalid(FieldError::new("programme_id", "err-no-such-programme"))
            })?;
        // Creating work in a programme is the assigning level's decision.
        require_on_unit(
            &mut tx.conn(),
            Some(who),
            Action::VerifyCompletion,
            programme.owner_unit_id,
        )
        .await?;
        let deadline_text = nfc(input.deadline.as_deref().unwrap_or(""));
        let deadline = domain::deadline::Deadline::parse(&deadline_text);
        if deadline == domain::deadline::Deadline::Unparsed {
            return Err(AppError::invalid(FieldError::new(
                "deadline",
                "err-deadline-unparsed",
            )));
        }
        let unit = input.unit_id.unwrap_or(item.unit_id);
        let unit_row = store::org::get(&mut tx.conn(), unit)
            .await?
            .filter(|u| !u.historical())
            .ok_or_else(|| AppError::invalid(FieldError::new("unit_id", "err-no-such-unit")))?;
        let n = store::tasks::tasks_of(&mut tx.conn(), pid).await?.len() + 1;
        let code = format!("SK-{n}");
        let description = format!("{}\n\n{}", item.public_body, item.code);
        let new = store::tasks::NewTask {
            programme_id: pid,
            group_id: None,
            code: &code,
            title: &item.public_title,
            result_text: "",
            deadline_text: &deadline_text,
            deadline_json: serde_json::to_string(&deadline).unwrap_or_default(),
            due_on: deadline.due(),
            lead_text: &unit_row.name_vi,
            coordinating_text: "",
            visibility: domain::policy::Visibility::Public,
            state: domain::status::TaskState::Active,
            proposed_by: None,
            description: Some(&description),
            priority: "normal",
            period: None,
        };
        let task_id = store::tasks::insert_task(&mut tx.conn(), &new, now).await?;
        store::tasks::insert_assignment(
            &mut tx.conn(),
            task_id,
            unit,
            true,
            domain::clock::local_date(now),
            new.due_on,
        )
        .await?;
        store::feedback::set_task_source(&mut tx.conn(), task_id, id).await?;
        item.task_id = Some(task_id);
        changes.push(Change {
            action: "task.create_from_feedback",
            object_type: "task",
            object_id: task_id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({ "programme_id": pid, "code": code, "feedback": item.code })
                    .to_string(),
            ),
        });
    }
    item.decision = Some(input.decision.clone());
    item.decision_reason = Some(reason.clone());
    item.decided_on = Some(domain::clock::local_date(now));
    store::feedback::update(&mut tx.conn(), &item).await?;
    store::feedback::insert_event(
        &mut tx.conn(),
        id,
        now,
        "decide",
        (Some(item.state.as_str()), Some(item.unit_id)),
        (item.state.as_str(), Some(item.unit_id)),
        Some(who.user_id),
        Some(&format!("{}: {reason}", input.decision)),
        true,
    )
    .await?;
    if let Some(e) = item.email.clone() {
        notify_submitter(&mut tx.conn(), &item, &e, "updated", now).await?;
    }
    changes.insert(
        0,
        Change::new("feedback.decide", "feedback", id).after(Some(serde_json::json!({ "decision": input.decision, "reason": reason, "task_id": item.task_id }).to_string())),
    );
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(PublicItem::from(&item))
}
