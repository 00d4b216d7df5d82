//! The task page with its timeline and the forms to report (with evidence), verify, cascade and
//! comment. Forms post here and land back on the task; a refused form shows the task again with
//! the messages.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppResult, WebError};
use crate::extract::{CsrfForm, Ctx, PathId, read_multipart};
use crate::pages::common::{PageCtx, form_status, html_status};
use app::error::AppError;
use app::programmes::TaskDetail;
use domain::FieldError;
use domain::policy::{self, Action, Decision, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks/{id}", get(task_page))
        .route("/tasks/{id}/comment", post(comment))
        .route(
            "/assignments/{id}/report",
            post(report).layer(DefaultBodyLimit::max(crate::extract::UPLOAD_BODY_LIMIT)),
        )
        .route("/assignments/{id}/verify", post(verify))
        .route("/assignments/{id}/extension", post(request_extension))
        .route("/extensions/{id}/decide", post(decide_extension))
        .route("/tasks/{id}/cancel", post(cancel))
        .route(
            "/assignments/{id}/cascade",
            get(cascade_confirm).post(cascade),
        )
}

/// What the viewer may do on one assignment (decided by the policy, shown as forms).
pub struct Actions {
    pub assignment_id: i64,
    pub unit_name: String,
    pub report: bool,
    pub verify: bool,
    pub cascade: bool,
    /// The unit may ask for a later deadline (none pending).
    pub extend: bool,
}

/// An assignment the viewer may cancel (the assigning level): (assignment id, unit name).
pub struct Cancellable {
    pub assignment_id: i64,
    pub unit_name: String,
}

pub struct ReminderGroup {
    pub kind: String,
    /// The units reminded, each once, in the order of their first reminder.
    pub units: Vec<String>,
    pub label: &'static str,
    pub count: i64,
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskTpl {
    p: PageCtx,
    d: TaskDetail,
    actions: Vec<Actions>,
    errors: Vec<FieldError>,
    can_comment: bool,
    max_mb: usize,
    names: std::collections::HashMap<i64, String>,
    /// Open assignments the viewer may cancel, for the one cancel form.
    cancellable: Vec<Cancellable>,
    /// Pending extension requests the viewer may decide.
    decidable: Vec<i64>,
    /// What a refused report form held, shown again in it.
    draft: ReportDraft,
}

/// The report form's values, kept when the report is refused.
#[derive(Default, Clone)]
pub struct ReportDraft {
    pub percent: String,
    pub narrative: String,
    pub results: String,
    pub difficulties: String,
    pub proposals: String,
    pub needs_steering: bool,
    pub claims_completion: bool,
    /// The form's one-time token: kept when the form comes back with errors (nothing was
    /// stored), new for each form shown.
    pub form_token: String,
}

impl TaskTpl {
    fn unit_of(&self, assignment_id: &i64) -> String {
        self.names.get(assignment_id).cloned().unwrap_or_default()
    }

    fn evidence_of(&self, report_id: &i64) -> Vec<&app::records::Evidence> {
        self.d
            .evidence
            .iter()
            .filter(|e| e.report_id == *report_id)
            .collect()
    }

    /// Evidence of a public task can be downloaded by anyone: the report form says so.
    fn evidence_is_public(&self) -> bool {
        self.d.task.visibility == domain::policy::Visibility::Public
    }

    fn visibility_label(&self) -> &'static str {
        self.p.t(&format!("visibility-{}", self.d.task.visibility))
    }

    /// "before-14" → the label of "before".
    /// The reminders sent, one line per kind of reminder (before the deadline, overdue, to the
    /// leaders, to the assigning level) with how many, from when to when and to which units,
    /// instead of one line per reminder under its internal key (task 1 of the demo had 168).
    fn reminder_groups(&self) -> Vec<ReminderGroup> {
        let mut groups: Vec<ReminderGroup> = vec![];
        for m in &self.d.reminders {
            let kind = match m.kind.split('-').next() {
                Some("escalate") => m.kind.as_str(),
                Some(k) => k,
                None => "",
            };
            let unit = self.unit_of(&m.assignment_id);
            match groups.iter_mut().find(|g| g.kind == kind) {
                Some(g) => {
                    g.count += 1;
                    g.first = g.first.min(m.sent_on);
                    g.last = g.last.max(m.sent_on);
                    if !g.units.contains(&unit) {
                        g.units.push(unit);
                    }
                }
                None => groups.push(ReminderGroup {
                    kind: kind.to_string(),
                    label: self.p.t(&format!("reminder-{kind}")),
                    count: 1,
                    first: m.sent_on,
                    last: m.sent_on,
                    units: vec![unit],
                }),
            }
        }
        groups
    }

    fn kb(&self, bytes: &i64) -> String {
        self.p.lang.int((*bytes + 1023) / 1024)
    }
}

async fn render_task(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    render_task_with(s, ctx, id, errors, ReportDraft::default()).await
}

async fn render_task_with(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    mut draft: ReportDraft,
) -> AppResult<Response> {
    if draft.form_token.is_empty() {
        draft.form_token = app::auth::random_token();
    }
    let mut d = app::programmes::task_detail(&s.db, &s.org, ctx.who.as_ref(), id, None).await?;
    let snap = s.org.snapshot(&s.db).await?;
    // Units are named in the reader's language where a translation exists.
    let named = |id: i64, fallback: &str| {
        snap.get(id)
            .map(|u| u.name(ctx.lang.code()).to_string())
            .unwrap_or_else(|| fallback.to_string())
    };
    for a in &mut d.assignments {
        a.unit_name = named(a.assignment.unit_id, &a.unit_name);
        if let (Some(from), Some(name)) = (a.assignment.handed_over_from, &a.handed_over_from_name)
        {
            a.handed_over_from_name = Some(named(from, name));
        }
    }
    let owner_chain = snap.chain(d.programme.owner_unit_id);
    let mut actions = vec![];
    let (mut cancellable, mut decidable) = (vec![], vec![]);
    if let Some(who) = ctx.who.as_ref() {
        let may = |a: Action, chain: &[i64]| {
            policy::authorize(Some(who), a, Scope::Unit(chain)) == Decision::Allow
        };
        for a in &d.assignments {
            let x = &a.assignment;
            // The assigning level verifies: the unit of the parent assignment, or the owner.
            let level = x
                .parent_id
                .and_then(|p| d.assignments.iter().find(|b| b.assignment.id == p))
                .map(|b| snap.chain(b.assignment.unit_id));
            let verify_here = may(
                Action::VerifyCompletion,
                level.as_deref().unwrap_or(&owner_chain),
            );
            let open =
                x.cancelled_on.is_none() && x.verified_on.is_none() && x.superseded_on.is_none();
            let chain = snap.chain(x.unit_id);
            // Forms for one's own unit only: an administrator acting elsewhere uses the API.
            let own = who.unit_id == x.unit_id;
            let pending = d
                .extensions
                .iter()
                .find(|e| e.assignment_id == x.id && e.approved.is_none());
            if let Some(e) = pending
                && verify_here
            {
                decidable.push(e.id);
            }
            if open && verify_here {
                cancellable.push(Cancellable {
                    assignment_id: x.id,
                    unit_name: a.unit_name.clone(),
                });
            }
            let report = open && own && may(Action::ReportProgress, &chain);
            let act = Actions {
                assignment_id: x.id,
                unit_name: a.unit_name.clone(),
                report,
                verify: open && x.claimed_on.is_some() && verify_here,
                cascade: open
                    && own
                    && may(Action::CascadeAssignment, &chain)
                    && snap.children_count(x.unit_id) > 0,
                extend: report && pending.is_none() && x.original_due.is_some(),
            };
            if act.report || act.verify || act.cascade {
                actions.push(act);
            }
        }
    }
    let names = d
        .assignments
        .iter()
        .map(|a| (a.assignment.id, a.unit_name.clone()))
        .collect();
    let can_comment =
        policy::authorize(ctx.who.as_ref(), Action::Comment, Scope::Global) == Decision::Allow;
    html_status(
        form_status(&errors),
        TaskTpl {
            p: PageCtx::from(ctx, &format!("/tasks/{id}")),
            d,
            actions,
            errors,
            can_comment,
            max_mb: s.cfg.evidence_max_mb,
            names,
            cancellable,
            decidable,
            draft,
        },
    )
}

async fn task_page(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    render_task(&s, &ctx, id, vec![]).await
}

/// After a form: back to the task, or the task again with the messages.
async fn land(
    s: &AppState,
    ctx: &Ctx,
    task_id: i64,
    anchor: &str,
    r: app::error::AppResult<()>,
) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/tasks/{task_id}#{anchor}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_task(s, ctx, task_id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn task_of_assignment(s: &AppState, id: i64) -> AppResult<i64> {
    Ok(app::work::task_of_assignment(&s.db, id).await?)
}

fn parse_percent(v: Option<String>) -> app::error::AppResult<i32> {
    v.unwrap_or_default()
        .trim()
        .parse()
        .map_err(|_| AppError::invalid(FieldError::new("percent", "err-not-integer")))
}

async fn report(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let who = ctx.principal()?.clone();
    let task_id = task_of_assignment(&s, id).await?;
    let parts = match read_multipart(mp, s.cfg.evidence_max_bytes()).await {
        Ok(p) => p,
        Err(WebError(e)) => return land(&s, &ctx, task_id, "report", Err(e)).await,
    };
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let on = |k: &str| parts.text(k).is_some_and(|v| v == "on" || v == "true");
    let (needs_steering, claims_completion) = (on("needs_steering"), on("claims_completion"));
    let draft = ReportDraft {
        percent: parts.text("percent").unwrap_or_default(),
        narrative: parts.text("narrative").unwrap_or_default(),
        results: parts.text("results").unwrap_or_default(),
        difficulties: parts.text("difficulties").unwrap_or_default(),
        proposals: parts.text("proposals").unwrap_or_default(),
        needs_steering,
        claims_completion,
        form_token: parts.text("form_token").unwrap_or_default(),
    };
    let r = async {
        let input = app::reports::NewReport {
            percent: parse_percent(parts.text("percent"))?,
            narrative: parts.text("narrative").unwrap_or_default(),
            results: parts.text("results"),
            difficulties: parts.text("difficulties"),
            needs_steering,
            proposals: parts.text("proposals"),
            claims_completion,
            reported_on: None,
            form_token: parts.text("form_token").filter(|t| !t.is_empty()),
        };
        app::reports::submit_with_files(
            &s.db,
            &s.cfg.data_dir,
            s.cfg.evidence_max_bytes(),
            &who,
            id,
            input,
            parts.files,
        )
        .await
        .map(|_| ())
    }
    .await;
    match r {
        // A refused report comes back with what was typed (files must be chosen again).
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_task_with(&s, &ctx, task_id, errors, draft).await
        }
        r => land(&s, &ctx, task_id, "reports", r).await,
    }
}

#[derive(Deserialize)]
struct VerifyForm {
    decision: String,
    #[serde(default)]
    comment: String,
    /// "claims": back to the verifier's queue instead of the task.
    #[serde(default)]
    next: String,
}

async fn verify(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<VerifyForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let task_id = task_of_assignment(&s, id).await?;
    let comment_typed = f.comment.clone();
    let r = app::reports::verify(
        &s.db,
        who,
        id,
        app::reports::Decision {
            approve: f.decision == "approve",
            comment: Some(f.comment),
        },
    )
    .await
    .map(|_| ());
    if f.next == "claims" {
        let unit = super::claims::queue_unit(&s, who).await?;
        return match r {
            Ok(()) => Ok(Redirect::to(&format!("/org/{unit}/claims")).into_response()),
            // Refused: said under the claim's comment box in the queue, where it was typed.
            Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
                let refused = super::claims::Refused {
                    assignment_id: id,
                    comment: comment_typed,
                    errors,
                };
                super::claims::render(&s, &ctx, unit, refused).await
            }
            Err(e) => Err(e.into()),
        };
    }
    land(&s, &ctx, task_id, "assignments", r).await
}

#[derive(Deserialize)]
struct CascadeForm {
    /// "yes" from the confirmation page; anything else leads there first.
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "cascade_confirm.html")]
struct CascadeConfirmTpl {
    p: PageCtx,
    assignment_id: i64,
    preview: app::work::CascadePreview,
}

/// A cascade reaches every commune and ward below at once: this page says how many units it
/// will give the task to (and names them) before anything is written.
async fn cascade_confirm(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let preview = app::work::cascade_preview(&s.db, &s.org, who, id).await?;
    html_status(
        axum::http::StatusCode::OK,
        CascadeConfirmTpl {
            p: PageCtx::from(&ctx, &format!("/assignments/{id}/cascade")),
            assignment_id: id,
            preview,
        },
    )
}

async fn cascade(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<CascadeForm>,
) -> AppResult<Response> {
    if f.confirm != "yes" {
        return Ok(Redirect::to(&format!("/assignments/{id}/cascade")).into_response());
    }
    let who = ctx.principal()?;
    let task_id = task_of_assignment(&s, id).await?;
    let r = app::work::cascade(
        &s.db,
        &s.org,
        who,
        id,
        app::work::CascadeInput {
            units: vec![],
            all: true,
        },
    )
    .await
    .map(|_| ());
    land(&s, &ctx, task_id, "assignments", r).await
}

#[derive(Deserialize)]
struct CommentForm {
    body: String,
}

async fn comment(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<CommentForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let r = app::work::comment(
        &s.db,
        &s.org,
        who,
        id,
        app::work::NewComment { body: f.body },
    )
    .await
    .map(|_| ());
    land(&s, &ctx, id, "comments", r).await
}

#[derive(Deserialize)]
struct ExtensionForm {
    #[serde(default)]
    requested_due: String,
    #[serde(default)]
    reason: String,
}

/// A form's date field: empty or malformed is a field error, not a 400 page.
fn form_date(field: &str, v: &str) -> app::error::AppResult<chrono::NaiveDate> {
    let v = v.trim();
    if v.is_empty() {
        return Err(AppError::invalid(FieldError::new(field, "err-required")));
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(FieldError::new(field, "err-date")))
}

async fn request_extension(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<ExtensionForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let task_id = task_of_assignment(&s, id).await?;
    let r = async {
        let input = app::extensions::ExtensionRequest {
            requested_due: form_date("requested_due", &f.requested_due)?,
            reason: f.reason,
        };
        app::extensions::request(&s.db, who, id, input).await
    }
    .await
    .map(|_| ());
    land(&s, &ctx, task_id, "extensions", r).await
}

#[derive(Deserialize)]
struct DecideForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide_extension(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<DecideForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let assignment = app::extensions::assignment_of(&s.db, id).await?;
    let task_id = task_of_assignment(&s, assignment).await?;
    let r = app::extensions::decide(
        &s.db,
        who,
        id,
        app::extensions::ExtensionDecision {
            approve: f.decision == "approve",
            comment: Some(f.comment),
        },
    )
    .await
    .map(|_| ());
    land(&s, &ctx, task_id, "extensions", r).await
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default)]
    assignment: String,
    #[serde(default)]
    reason: String,
}

/// The assigning level cancels one unit's assignment of the task, with a reason.
async fn cancel(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(task_id): PathId,
    CsrfForm(f): CsrfForm<CancelForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let r = async {
        let id: i64 = f
            .assignment
            .trim()
            .parse()
            .map_err(|_| AppError::invalid(FieldError::new("assignment", "err-required")))?;
        // The assignment must be one of this task's: the form names the task in its address.
        if task_of_assignment(&s, id).await.ok() != Some(task_id) {
            return Err(AppError::invalid(FieldError::new(
                "assignment",
                "err-invalid",
            )));
        }
        app::work::cancel(&s.db, who, id, app::work::CancelInput { reason: f.reason })
            .await
            .map(|_| ())
    }
    .await;
    land(&s, &ctx, task_id, "assignments", r).await
}
