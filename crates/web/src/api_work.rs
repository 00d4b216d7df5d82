//! JSON API for the work on tasks beyond reading and reporting: cascading, proposals, cancelling,
//! evidence, comments, notifications, mergers, the job runner, exports and calendars.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::AppState;
use super::error::Problem;
use super::extract::{ApiJson, ApiQuery, Ctx, PathId, read_multipart};
use super::i18n::Lang;
use crate::error::AppResult;
use app::error::AppError;
use app::export::{self, Cell, Format, Table};
use app::org::{MergeInput, MergeResult};
use app::programmes::WorkItem;
use app::records::{Assignment, Task};
use app::records::{Evidence, Notification};
use app::work::{CancelInput, CascadeInput, CascadeResult, NewComment, Proposal, ProposalDecision};
use domain::FieldError;
use domain::policy::{Action, Scope};

/// Uploads may be large; each file's own limit is enforced while it is read.
const UPLOAD_BODY_LIMIT: usize = 256 * 1_048_576;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assignments/{id}/cascade", post(cascade))
        .route("/api/v1/assignments/{id}/cancel", post(cancel))
        .route(
            "/api/v1/programmes/{id}/proposals",
            get(list_proposals).post(propose),
        )
        .route("/api/v1/tasks/{id}/decision", post(decide_proposal))
        .route("/api/v1/tasks/{id}/comments", post(add_comment))
        .route(
            "/api/v1/reports/{id}/evidence",
            post(add_evidence).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/api/v1/evidence/{id}", get(get_evidence))
        .route("/api/v1/notifications", get(list_notifications))
        .route("/api/v1/notifications/read", post(read_notifications))
        .route("/api/v1/org-units/{id}/merge", post(merge_unit))
        .route("/api/v1/org-units/{id}/worklist", get(worklist))
        .route("/api/v1/org-units/{id}/calendar.ics", get(calendar))
        .route("/api/v1/jobs/run", post(run_jobs))
        .route("/api/v1/programmes/{id}/charts", get(programme_charts))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        programme_charts,
        cascade,
        cancel,
        list_proposals,
        propose,
        decide_proposal,
        add_comment,
        add_evidence,
        get_evidence,
        list_notifications,
        read_notifications,
        merge_unit,
        worklist,
        calendar,
        run_jobs
    ),
    components(schemas(
        app::programmes::ProgrammeCharts,
        app::programmes::TrendPoint,
        CascadeInput,
        CascadeResult,
        CancelInput,
        Proposal,
        ProposalDecision,
        NewComment,
        Evidence,
        Notification,
        NotificationList,
        ReadInput,
        MergeInput,
        MergeResult,
        WorkItem,
        JobsInput,
        app::jobs::TickReport
    ))
)]
pub struct WorkDoc;

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// A file download: the name is sent both plain (ASCII fallback) and UTF-8 encoded (RFC 6266).
pub fn download(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let ascii: String = domain::text::fold(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Renders a table as the asked format.
pub fn export_response(t: &Table, format: Format, name: &str) -> AppResult<Response> {
    let bytes = export::render(t, format).map_err(AppError::internal)?;
    Ok(download(
        bytes,
        format.content_type(),
        &format!("{name}.{}", format.extension()),
    ))
}

pub fn parse_format(f: Option<&str>) -> AppResult<Option<Format>> {
    match f.map(str::trim).filter(|f| !f.is_empty() && *f != "json") {
        None => Ok(None),
        Some(v) => Format::from_query(v)
            .map(Some)
            .ok_or_else(|| AppError::invalid(FieldError::new("format", "err-format")).into()),
    }
}

/// The worklist as a table, headers in the caller's language.
pub fn worklist_table(lang: Lang, items: &[WorkItem]) -> Table {
    let h = |k: &str| lang.t(k).to_string();
    Table {
        title: lang.t("worklist-title").into(),
        headers: vec![
            h("col-code"),
            h("col-task"),
            h("col-status"),
            h("col-deadline"),
            h("col-deadline-text"),
            h("col-last-report"),
            h("col-percent"),
            h("col-cascaded"),
        ],
        rows: items
            .iter()
            .map(|w| {
                vec![
                    Cell::from(&w.task.code),
                    Cell::from(&w.task.title),
                    Cell::from(lang.t(&format!("status-{}", w.status))),
                    Cell::from(w.due),
                    Cell::from(&w.task.deadline_text),
                    Cell::from(w.assignment.last_report_on),
                    Cell::from(w.assignment.last_percent.map(i64::from)),
                    Cell::from(w.cascade_percent.map(i64::from)),
                ]
            })
            .collect(),
    }
}

/// Cascade an assignment to units directly below the assigned unit (leaders of that unit or above; steering). Without `units`, to every commune, ward and special zone below it.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/cascade", tag = "tasks", params(("id" = i64, Path)), request_body = CascadeInput,
    responses((status = 201, body = CascadeResult), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn cascade(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CascadeInput>,
) -> AppResult<Response> {
    Ok(created(
        app::work::cascade(&s.db, &s.org, ctx.principal()?, id, input).await?,
    ))
}

/// Cancel an assignment (the assigning level), with a reason.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/cancel", tag = "tasks", params(("id" = i64, Path)), request_body = CancelInput,
    responses((status = 200, body = Assignment), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn cancel(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<CancelInput>,
) -> AppResult<Json<Assignment>> {
    Ok(Json(
        app::work::cancel(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Tasks proposed by units under a programme, awaiting the assigning level (signed-in users).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/proposals", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Task>), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_proposals(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Vec<Task>>> {
    Ok(Json(
        app::work::proposals(&s.db, ctx.who.as_ref(), id).await?,
    ))
}

/// Propose a task of the caller's unit under a programme; it takes effect when the assigning level approves it.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/proposals", tag = "tasks", params(("id" = i64, Path)), request_body = Proposal,
    responses((status = 201, body = Task), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn propose(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<Proposal>,
) -> AppResult<Response> {
    Ok(created(
        app::work::propose(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Approve or decline a proposed task (the assigning level).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decision", tag = "tasks", params(("id" = i64, Path)), request_body = ProposalDecision,
    responses((status = 200, body = Task), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide_proposal(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<ProposalDecision>,
) -> AppResult<Json<Task>> {
    Ok(Json(
        app::work::decide_proposal(&s.db, ctx.principal()?, id, input).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct Created {
    id: i64,
}

/// Comment on a task one can read (signed-in users except reviewers).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/comments", tag = "tasks", params(("id" = i64, Path)), request_body = NewComment,
    responses((status = 201, body = Object), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_comment(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<NewComment>,
) -> AppResult<Response> {
    let id = app::work::comment(&s.db, &s.org, ctx.principal()?, id, input).await?;
    Ok(created(Created { id }))
}

/// Attach an evidence file to a report (multipart/form-data, field `file`; the assigned unit). The type is read from the content and must match the name; size limit from the configuration.
#[utoipa::path(post, path = "/api/v1/reports/{id}/evidence", tag = "tasks", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "One file in the field `file`."),
    responses((status = 201, body = Evidence), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_evidence(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    mp: Multipart,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut parts = read_multipart(mp, s.cfg.evidence_max_bytes()).await?;
    if parts.files.len() != 1 {
        return Err(AppError::invalid(FieldError::new("file", "err-one-file")).into());
    }
    let upload = parts.files.remove(0);
    Ok(created(
        app::work::attach(
            &s.db,
            &s.cfg.data_dir,
            s.cfg.evidence_max_bytes(),
            who,
            id,
            upload,
        )
        .await?,
    ))
}

/// Download an evidence file (anyone who may read its task).
#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "tasks", security(()), params(("id" = i64, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_evidence(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let (e, bytes) =
        app::work::evidence_file(&s.db, &s.org, &s.cfg.data_dir, ctx.who.as_ref(), id).await?;
    Ok(download(bytes, &e.content_type, &e.file_name))
}

#[derive(Serialize, ToSchema)]
struct NotificationList {
    unread: i64,
    items: Vec<Notification>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "tasks",
    responses((status = 200, body = NotificationList), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_notifications(
    State(s): State<AppState>,
    ctx: Ctx,
) -> AppResult<Json<NotificationList>> {
    let (items, unread) = app::work::notifications(&s.db, ctx.principal()?).await?;
    Ok(Json(NotificationList { unread, items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReadInput {
    /// One notification; omit to mark all read.
    id: Option<i64>,
}

/// Mark one notification, or all, read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "tasks", request_body = ReadInput,
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn read_notifications(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ReadInput>,
) -> AppResult<Json<serde_json::Value>> {
    let n = app::work::mark_read(&s.db, ctx.principal()?, input.id).await?;
    Ok(Json(serde_json::json!({ "marked": n })))
}

/// Merge a unit into its successor (administrators): it closes, and its open assignments pass to the successor with their history.
#[utoipa::path(post, path = "/api/v1/org-units/{id}/merge", tag = "org", params(("id" = i64, Path)), request_body = MergeInput,
    responses((status = 200, body = MergeResult), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn merge_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MergeInput>,
) -> AppResult<Json<MergeResult>> {
    Ok(Json(
        app::org::merge(&s.db, &s.org, ctx.principal()?, id, input).await?,
    ))
}

/// The worklist filters and the format (no serde flatten: it turns every value into text).
#[derive(Debug, Default, Deserialize)]
struct WorklistParams {
    programme: Option<i64>,
    group: Option<i64>,
    status: Option<String>,
    due_from: Option<NaiveDate>,
    due_to: Option<NaiveDate>,
    as_of: Option<NaiveDate>,
    format: Option<String>,
}

impl WorklistParams {
    fn query(&self) -> app::programmes::WorklistQuery {
        app::programmes::WorklistQuery {
            programme: self.programme,
            group: self.group,
            status: self.status.clone(),
            due_from: self.due_from,
            due_to: self.due_to,
            as_of: self.as_of,
        }
    }
}

/// A unit's assignments, most urgent first, with filters (tasks the caller may read); `format=csv|xlsx` downloads it.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/worklist", tag = "tasks", security(()), params(("id" = i64, Path), app::programmes::WorklistQuery, ("format" = Option<String>, Query, description = "json (default), csv or xlsx")),
    responses((status = 200, body = Vec<WorkItem>), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn worklist(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(p): ApiQuery<WorklistParams>,
) -> AppResult<Response> {
    let format = parse_format(p.format.as_deref())?;
    let items =
        app::programmes::worklist(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, &p.query())
            .await?;
    match format {
        None => Ok(Json(items).into_response()),
        Some(f) => export_response(
            &worklist_table(ctx.lang, &items),
            f,
            &format!("worklist-{id}"),
        ),
    }
}

/// An iCalendar feed of a unit's open deadlines (tasks the caller may read), for any calendar application.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/calendar.ics", tag = "tasks", security(()), params(("id" = i64, Path)),
    responses((status = 200, description = "text/calendar"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn calendar(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    let items = app::programmes::worklist(
        &s.db,
        &s.org,
        &s.tasks,
        ctx.who.as_ref(),
        id,
        &app::programmes::WorklistQuery::default(),
    )
    .await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap.get(id).map(|u| u.name_vi.clone()).unwrap_or_default();
    let base = s.cfg.public_base_url.trim_end_matches('/');
    let host = base.split("://").nth(1).unwrap_or("nqtrack");
    let events: Vec<export::ics::Event> = items
        .iter()
        .filter(|w| {
            !matches!(
                w.status.as_str(),
                "completed_on_time" | "completed_late" | "cancelled" | "superseded"
            )
        })
        .filter_map(|w| {
            w.due.map(|d| export::ics::Event {
                uid: format!("assignment-{}@{host}", w.assignment.id),
                date: d,
                summary: format!("{} {}", w.task.code, w.task.title),
                description: format!("{} — {}", unit, w.task.deadline_text),
                url: Some(format!("{base}/tasks/{}", w.task.id)),
            })
        })
        .collect();
    let body = export::ics::calendar(&unit, &events, Utc::now());
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct JobsInput {
    /// Judge reminders as of this day (default today).
    as_of: Option<NaiveDate>,
}

/// Run the background jobs now (administrators): reminders, escalation, digests, mail.
#[utoipa::path(post, path = "/api/v1/jobs/run", tag = "admin", request_body = JobsInput,
    responses((status = 200, body = app::jobs::TickReport), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn run_jobs(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<JobsInput>,
) -> AppResult<Json<app::jobs::TickReport>> {
    app::require(ctx.who.as_ref(), Action::RunJobs, Scope::Global)?;
    let now = Utc::now();
    Ok(Json(
        app::jobs::tick(
            &s.db,
            &s.mailer,
            &s.cfg.public_base_url,
            now,
            input.as_of.unwrap_or(now.date_naive()),
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOf {
    /// Judge as of this date (default today).
    as_of: Option<NaiveDate>,
}

/// The leaders' dashboard: tasks due per month by status, and the trend of completion month by month (tasks the caller may read).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/charts", tag = "tasks", security(()), params(("id" = i64, Path), AsOf),
    responses((status = 200, body = app::programmes::ProgrammeCharts), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn programme_charts(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<AsOf>,
) -> AppResult<Json<app::programmes::ProgrammeCharts>> {
    Ok(Json(
        app::programmes::programme_charts(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, q.as_of)
            .await?,
    ))
}
