//! Work on an assignment: reports and evidence, verification, extensions, cascading, cancelling.

use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::AppState;
use crate::api::common::created;
use crate::api::export::download;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, Ctx, PathId, read_multipart};
use app::records::{Assignment, Evidence, Extension, ProgressReport};
use app::work::{CancelInput, CascadeInput, CascadeResult};

pub fn router() -> Router<AppState> {
    Router::new()
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
        .route("/api/v1/assignments/{id}/cascade", post(cascade))
        .route("/api/v1/org-units/{id}/claims", get(claims_waiting))
        .route("/api/v1/assignments/{id}/cancel", post(cancel))
        .route(
            "/api/v1/reports/{id}/evidence",
            post(add_evidence).layer(DefaultBodyLimit::max(crate::extract::UPLOAD_BODY_LIMIT)),
        )
        .route("/api/v1/evidence/{id}", get(get_evidence))
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

/// The queue of a unit's verification work: the completion claims on work it assigned (its
/// communes' claims for a province; the units a programme names for its owner), oldest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ClaimQueue {
    pub total: i64,
    pub items: Vec<app::records::PendingClaim>,
}

/// Completion claims waiting for the unit to verify them (its leaders, the Steering Committee), the 200 oldest and how many in all.
#[utoipa::path(get, path = "/api/v1/org-units/{id}/claims", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = ClaimQueue), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn claims_waiting(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<ClaimQueue>> {
    let (items, total) =
        (*app::reports::claims_waiting(&s.db, &s.tasks, ctx.principal()?, id, 200).await?).clone();
    Ok(Json(ClaimQueue { total, items }))
}

/// Approve or return the pending completion claim (the assigning level: the leaders of the unit the work was cascaded from, or of the programme's owner; the Steering Committee).
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

/// Attach an evidence file to a report (multipart/form-data, field `file`; the assigned unit). The type is read from the content and must match the name; size limit from the configuration.
#[utoipa::path(post, path = "/api/v1/reports/{id}/evidence", tag = "tasks", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "One file in the field `file`."),
    responses((status = 201, body = Evidence), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_evidence(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let upload = read_multipart(mp, s.cfg.evidence_max_bytes())
        .await?
        .one_file()?;
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
