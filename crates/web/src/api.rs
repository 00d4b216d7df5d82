//! The JSON API under /api/v1. Handlers only read input, call `ops`, and shape the response;
//! each is annotated for the OpenAPI document (pinned by a snapshot test).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::AppState;
use super::error::Problem;
use super::extract::{ApiJson, ApiQuery, Ctx, PathId};
use crate::error::AppResult;
use app::org::{CreateOrgUnit, OrgUnitDetail, Page, UpdateOrgUnit};
use app::programmes::{ProgrammeOverview, TaskDetail};
use app::records::AuditEntry;
use app::records::{ApiToken, User};
use app::records::{Assignment, Extension, Programme, ProgressReport, Task};
use app::records::{LinkedUnit, OrgUnit};
use app::tokens::{CreateToken, CreatedToken};
use app::users::{CreateUser, UpdateUser};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route(
            "/api/v1/org-units",
            get(list_org_units).post(create_org_unit),
        )
        .route(
            "/api/v1/org-units/{id}",
            get(get_org_unit).patch(update_org_unit),
        )
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user).patch(update_user))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/programmes", get(list_programmes))
        .route("/api/v1/programmes/{id}/overview", get(programme_overview))
        .route("/api/v1/tasks", get(list_tasks))
        .route("/api/v1/tasks/{id}", get(get_task))
        .route(
            "/api/v1/assignments/{id}/reports",
            axum::routing::post(create_report),
        )
        .route(
            "/api/v1/assignments/{id}/verification",
            axum::routing::post(verify_assignment),
        )
        .route(
            "/api/v1/assignments/{id}/extensions",
            axum::routing::post(request_extension),
        )
        .route(
            "/api/v1/extensions/{id}/decision",
            axum::routing::post(decide_extension),
        )
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "nqtrack API", version = "1", description = "Monitoring and evaluation of government programmes. Errors are RFC 9457 problem details (application/problem+json). Authenticate with `Authorization: Bearer <token>`; browser sessions must send `X-CSRF-Token` on writes."),
    paths(list_org_units, create_org_unit, get_org_unit, update_org_unit, me, list_users, create_user, get_user, update_user, list_tokens, create_token, revoke_token, list_audit, list_programmes, programme_overview, list_tasks, get_task, create_report, verify_assignment, request_extension, decide_extension),
    components(schemas(Problem, OrgUnit, OrgUnitDetail, LinkedUnit, User, ApiToken, CreatedToken, AuditEntry, Me, Programme, ProgrammeOverview, TaskRow, TaskDetail, ProgressReport, Assignment, Extension)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::api_work::WorkDoc::openapi());
    doc.merge(super::api_feedback::FeedbackDoc::openapi());
    doc
}

async fn openapi_json() -> Response {
    Json(openapi()).into_response()
}

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// List organisation units (public).
#[utoipa::path(get, path = "/api/v1/org-units", tag = "org", params(app::org::ListQuery), security(()),
    responses((status = 200, body = Page<OrgUnit>), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn list_org_units(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::org::ListQuery>,
) -> AppResult<Json<Page<OrgUnit>>> {
    Ok(Json(
        app::org::list(&s.db, &s.org, ctx.who.as_ref(), q).await?,
    ))
}

/// One unit with its parent, ancestors, number of children, predecessors and successors (public).
#[utoipa::path(get, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)), security(()),
    responses((status = 200, body = OrgUnitDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<OrgUnitDetail>> {
    Ok(Json(
        app::org::detail(&s.db, &s.org, ctx.who.as_ref(), id).await?,
    ))
}

/// Create a unit. Departments may be created by leaders and officers within their subtree; other kinds by administrators.
#[utoipa::path(post, path = "/api/v1/org-units", tag = "org", request_body = CreateOrgUnit,
    responses((status = 201, body = OrgUnit), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateOrgUnit>,
) -> AppResult<Response> {
    Ok(created(
        app::org::create(&s.db, &s.org, ctx.principal()?, input).await?,
    ))
}

/// Edit a unit's names or code (within the caller's subtree); moving or closing it is for administrators.
#[utoipa::path(patch, path = "/api/v1/org-units/{id}", tag = "org", params(("id" = i64, Path)), request_body = UpdateOrgUnit,
    responses((status = 200, body = OrgUnit), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<UpdateOrgUnit>,
) -> AppResult<Json<OrgUnit>> {
    Ok(Json(
        app::org::update(&s.db, &s.org, ctx.principal()?, id, input).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    /// The role in effect (a token's own role when called with a token).
    pub role: String,
    pub unit: OrgUnit,
    pub token_id: Option<i64>,
}

/// The caller: account, role and unit in effect.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Me>> {
    let p = ctx.principal()?;
    let unit = app::org::detail(&s.db, &s.org, Some(p), p.unit_id)
        .await?
        .unit;
    Ok(Json(Me {
        user_id: p.user_id,
        username: p.username.clone(),
        role: p.role.as_str().into(),
        unit,
        token_id: p.token_id,
    }))
}

/// Accounts the caller may see: all for administrators, steering and inspectors; their subtree for unit leaders and officers; themselves otherwise.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(app::users::ListQuery), responses((status = 200, body = Page<User>)))]
async fn list_users(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::users::ListQuery>,
) -> AppResult<Json<Page<User>>> {
    Ok(Json(app::users::list(&s.db, ctx.principal()?, q).await?))
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateUser>,
) -> AppResult<Response> {
    Ok(created(
        app::users::create(&s.db, ctx.principal()?, input).await?,
    ))
}

/// One account, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_user(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<User>> {
    Ok(Json(app::users::get(&s.db, ctx.principal()?, id).await?))
}

/// Change an account's name, email, unit, role, password, or disable it (administrators).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<UpdateUser>,
) -> AppResult<Json<User>> {
    Ok(Json(
        app::users::update(&s.db, ctx.principal()?, id, input).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// Only this user's tokens.
    user_id: Option<i64>,
}

/// API tokens (administrators). Secrets are never shown again after creation.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", params(TokenQuery), responses((status = 200, body = Vec<ApiToken>)))]
async fn list_tokens(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        app::tokens::list(&s.db, ctx.principal()?, q.user_id).await?,
    ))
}

/// Issue a token for a user (administrators); the response holds the secret, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_token(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateToken>,
) -> AppResult<Response> {
    Ok(created(
        app::tokens::create(&s.db, ctx.principal()?, input).await?,
    ))
}

/// Revoke a token (administrators).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = ApiToken)))]
async fn revoke_token(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<ApiToken>> {
    Ok(Json(
        app::tokens::revoke(&s.db, ctx.principal()?, id).await?,
    ))
}

/// The audit trail, newest first (administrators and inspectors).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(app::audit::ListQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn list_audit(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::audit::ListQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    Ok(Json(app::audit::list(&s.db, ctx.principal()?, q).await?))
}

/// Programmes tracked (public).
#[utoipa::path(get, path = "/api/v1/programmes", tag = "tasks", security(()), responses((status = 200, body = Vec<Programme>)))]
async fn list_programmes(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Programme>>> {
    Ok(Json(app::programmes::list(&s.db, ctx.who.as_ref()).await?))
}

/// "N tasks due: A completed on time, B completed late, C in progress, D overdue" for a deadline window, as of any date; overall, per lead unit and per group (public tasks).
#[utoipa::path(get, path = "/api/v1/programmes/{id}/overview", tag = "tasks", security(()), params(("id" = i64, Path), app::programmes::OverviewQuery),
    responses((status = 200, body = ProgrammeOverview), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn programme_overview(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<app::programmes::OverviewQuery>,
) -> AppResult<Json<ProgrammeOverview>> {
    Ok(Json(
        app::programmes::programme_overview(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, q)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Programme id (required).
    programme: i64,
    /// Only tasks this unit leads.
    unit: Option<i64>,
    /// Only tasks with this rolled-up status (not_started, in_progress, at_risk, overdue, completed_on_time, completed_late, cancelled).
    status: Option<String>,
    /// Judge as of this date (default today).
    as_of: Option<chrono::NaiveDate>,
    /// json (default), csv or xlsx.
    format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskRow {
    #[serde(flatten)]
    pub task: Task,
    pub status: String,
}

/// Tasks of a programme that the caller may read, with their status computed as of a date; `format=csv|xlsx` downloads the list.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", security(()), params(TaskQuery), responses((status = 200, body = Vec<TaskRow>), (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn list_tasks(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> AppResult<Response> {
    let format = super::api_work::parse_format(q.format.as_deref())?;
    if let Some(st) = &q.status
        && !domain::status::Status::ALL.iter().any(|x| x.as_str() == st)
    {
        return Err(app::error::AppError::invalid(domain::FieldError::new(
            "status",
            "err-unknown-status",
        ))
        .into());
    }
    let rows = app::programmes::tasks(
        &s.db,
        &s.org,
        &s.tasks,
        ctx.who.as_ref(),
        q.programme,
        q.unit,
        q.as_of,
    )
    .await?;
    let rows: Vec<TaskRow> = rows
        .into_iter()
        .filter(|(_, st)| q.status.as_ref().is_none_or(|w| w == st))
        .map(|(task, status)| TaskRow { task, status })
        .collect();
    match format {
        None => Ok(Json(rows).into_response()),
        Some(f) => super::api_work::export_response(
            &task_table(ctx.lang, &rows),
            f,
            &format!("tasks-{}", q.programme),
        ),
    }
}

fn task_table(lang: super::i18n::Lang, rows: &[TaskRow]) -> app::export::Table {
    use app::export::Cell;
    let h = |k: &str| lang.t(k).to_string();
    app::export::Table {
        title: lang.t("tasks-title").into(),
        headers: vec![
            h("col-code"),
            h("col-task"),
            h("col-status"),
            h("col-deadline"),
            h("col-deadline-text"),
            h("col-lead"),
            h("col-coordinating"),
            h("col-result"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::from(&r.task.code),
                    Cell::from(&r.task.title),
                    Cell::from(lang.t(&format!("status-{}", r.status))),
                    Cell::from(r.task.due_on),
                    Cell::from(&r.task.deadline_text),
                    Cell::from(r.task.lead_text.clone()),
                    Cell::from(r.task.coordinating_text.clone()),
                    Cell::from(r.task.result_text.clone()),
                ]
            })
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOfQuery {
    /// Judge as of this date (default today).
    as_of: Option<chrono::NaiveDate>,
}

/// One task with each assigned unit and its status.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", security(()), params(("id" = i64, Path), AsOfQuery), responses((status = 200, body = TaskDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_task(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> AppResult<Json<TaskDetail>> {
    Ok(Json(
        app::programmes::task_detail(&s.db, &s.org, ctx.who.as_ref(), id, q.as_of).await?,
    ))
}

/// File a progress report on an assignment (unit leaders and officers of the assigned unit or above it). Reports are kept, never overwritten; a completion claim counts once verified.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/reports", tag = "tasks", params(("id" = i64, Path)), request_body = app::reports::NewReport,
    responses((status = 201, body = ProgressReport), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_report(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::reports::NewReport>,
) -> AppResult<Response> {
    Ok(created(
        app::reports::submit(&s.db, ctx.principal()?, id, input, &[]).await?,
    ))
}

/// Approve or return the pending completion claim (the assigning level: steering, or leaders of the unit that owns the programme).
#[utoipa::path(post, path = "/api/v1/assignments/{id}/verification", tag = "tasks", params(("id" = i64, Path)), request_body = app::reports::Decision,
    responses((status = 200, body = Assignment), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn verify_assignment(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::reports::Decision>,
) -> AppResult<Json<Assignment>> {
    Ok(Json(
        app::reports::verify(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Ask for a later deadline (the assigned unit); the original deadline is kept.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/extensions", tag = "tasks", params(("id" = i64, Path)), request_body = app::extensions::ExtensionRequest,
    responses((status = 201, body = Extension), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn request_extension(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::extensions::ExtensionRequest>,
) -> AppResult<Response> {
    Ok(created(
        app::extensions::request(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Approve or refuse an extension request (the assigning level).
#[utoipa::path(post, path = "/api/v1/extensions/{id}/decision", tag = "tasks", params(("id" = i64, Path)), request_body = app::extensions::ExtensionDecision,
    responses((status = 200, body = Extension), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide_extension(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::extensions::ExtensionDecision>,
) -> AppResult<Json<Extension>> {
    Ok(Json(
        app::extensions::decide(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// One operation as listed on the explorer page.
pub struct DocOperation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub params: Vec<(String, String)>,
    pub public: bool,
}

/// The operations of the OpenAPI document, for the server-rendered explorer.
pub fn doc_operations() -> Vec<DocOperation> {
    let doc = openapi();
    let mut out = vec![];
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let params = op
                .parameters
                .iter()
                .flatten()
                .map(|p| (p.name.clone(), p.description.clone().unwrap_or_default()))
                .collect();
            let public = op.security.as_ref().is_some_and(|s| {
                s.iter().any(|r| {
                    serde_json::to_value(r)
                        .map(|v| v == serde_json::json!({}))
                        .unwrap_or(false)
                })
            });
            out.push(DocOperation {
                method,
                path: path.clone(),
                summary: op
                    .summary
                    .clone()
                    .or(op.description.clone())
                    .unwrap_or_default(),
                params,
                public,
            });
        }
    }
    out
}
