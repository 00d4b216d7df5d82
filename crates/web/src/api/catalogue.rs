//! The database catalogue: search with facets, an entry, its declaration and review, its figures
//! and heartbeat, its quality history, and the national dashboard.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::catalogue::{Dashboard, EntryView, FiguresInput, Measured, MoveInput, Results, Search};
use app::records::{CatalogueEntry, Measurement};
use domain::catalogue::DeclarationInput;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalogue", get(search).post(create))
        .route("/api/v1/catalogue/dashboard", get(dashboard))
        .route("/api/v1/catalogue/{id}", get(show).put(edit))
        .route("/api/v1/catalogue/{id}/moves", post(move_entry))
        .route("/api/v1/catalogue/{id}/figures", post(figures))
        .route("/api/v1/catalogue/{id}/heartbeat", post(heartbeat))
        .route("/api/v1/catalogue/{id}/history", get(history))
        .route("/api/v1/catalogue/{id}/changes", get(changes))
        .route(
            "/api/v1/catalogue/{id}/files",
            get(files)
                .post(attach)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::extract::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/api/v1/catalogue/files/{id}", get(file))
        .route("/api/v1/catalogue/units/{id}/quality", get(unit_quality))
        .route("/api/v1/catalogue/import", post(import))
}

/// Entries the caller may read (public entries for everyone), 50 a page, with facets.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "catalogue", security(()), params(Search),
    responses((status = 200, body = Results), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn search(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<Search>,
) -> AppResult<Json<Results>> {
    Ok(Json(
        app::catalogue::search(
            &s.db,
            &s.org,
            &s.fresh,
            &s.catalogue,
            ctx.who.as_ref(),
            &q,
            ctx.lang.code(),
        )
        .await?,
    ))
}

/// A new entry of a unit's catalogue, a draft (the unit's officers and leaders).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateInput {
    pub owner_unit_id: i64,
    #[serde(flatten)]
    pub declaration: DeclarationInput,
}

/// Declares a database or information system of a unit (a draft until declared for approval).
#[utoipa::path(post, path = "/api/v1/catalogue", tag = "catalogue", request_body = CreateInput,
    responses((status = 201, body = CatalogueEntry), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<CreateInput>,
) -> AppResult<impl IntoResponse> {
    let row = app::catalogue::create(
        &s.db,
        ctx.principal()?,
        input.owner_unit_id,
        &input.declaration,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// One entry as the caller may see it: security details only for its unit and those above it.
#[utoipa::path(get, path = "/api/v1/catalogue/{id}", tag = "catalogue", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = EntryView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn show(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<EntryView>> {
    Ok(Json(
        app::catalogue::entry(
            &s.db,
            &s.org,
            &s.fresh,
            &s.catalogue,
            ctx.who.as_ref(),
            id,
            ctx.lang.code(),
        )
        .await?,
    ))
}

/// Rewrites an entry's declaration (its unit); the entry is reviewed again.
#[utoipa::path(put, path = "/api/v1/catalogue/{id}", tag = "catalogue", params(("id" = i64, Path)), request_body = DeclarationInput,
    responses((status = 200, body = CatalogueEntry), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn edit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DeclarationInput>,
) -> AppResult<Json<CatalogueEntry>> {
    Ok(Json(
        app::catalogue::edit(&s.db, ctx.principal()?, id, &input).await?,
    ))
}

/// A step of the review: declare (the unit), approve (its leader), accept or return with a reason (the Steering Committee's office; the leader may return a declaration).
#[utoipa::path(post, path = "/api/v1/catalogue/{id}/moves", tag = "catalogue", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = CatalogueEntry), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn move_entry(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MoveInput>,
) -> AppResult<Json<CatalogueEntry>> {
    Ok(Json(
        app::catalogue::move_entry(&s.db, ctx.principal()?, id, &input).await?,
    ))
}

/// Figures declared by the unit (records, checks against master data, duplicates, …); they give the four words.
#[utoipa::path(post, path = "/api/v1/catalogue/{id}/figures", tag = "catalogue", params(("id" = i64, Path)), request_body = FiguresInput,
    responses((status = 200, body = Measured), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn figures(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<FiguresInput>,
) -> AppResult<Json<Measured>> {
    Ok(Json(
        app::catalogue::report(&s.db, ctx.principal()?, id, &input, false).await?,
    ))
}

/// A system reports itself (from a cron job, with an API token of its unit): its counts and quality figures, and that it is live.
#[utoipa::path(post, path = "/api/v1/catalogue/{id}/heartbeat", tag = "catalogue", params(("id" = i64, Path)), request_body = FiguresInput,
    responses((status = 200, body = Measured), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn heartbeat(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<FiguresInput>,
) -> AppResult<Json<Measured>> {
    Ok(Json(s.beats.report(ctx.principal()?, id, &input).await?))
}

/// An entry's quality over time: its latest 200 measurements, oldest first.
#[utoipa::path(get, path = "/api/v1/catalogue/{id}/history", tag = "catalogue", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Measurement>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn history(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Vec<Measurement>>> {
    Ok(Json(
        app::catalogue::history(&s.db, &s.org, &s.fresh, &s.catalogue, ctx.who.as_ref(), id)
            .await?,
    ))
}

/// An entry's changes, newest first (at most 100): declarations, edits and reviews, with the fields an edit changed and a return's reason. For the unit, the units above it and the reviewers.
#[utoipa::path(get, path = "/api/v1/catalogue/{id}/changes", tag = "catalogue", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<app::catalogue::EntryChange>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn changes(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Vec<app::catalogue::EntryChange>>> {
    Ok(Json(
        app::catalogue::changes(&s.db, &s.org, &s.fresh, &s.catalogue, ctx.who.as_ref(), id)
            .await?,
    ))
}

/// An entry's documents (legal basis, technical description, agreements), for whoever reads the entry: a public entry's documents are public.
#[utoipa::path(get, path = "/api/v1/catalogue/{id}/files", tag = "catalogue", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<app::records::CatalogueFile>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn files(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Vec<app::records::CatalogueFile>>> {
    Ok(Json(
        app::catalogue::files(&s.db, &s.org, &s.fresh, &s.catalogue, ctx.who.as_ref(), id).await?,
    ))
}

/// Attach a document to an entry (multipart/form-data, one file in the field `file`; the entry's unit). The type is read from the content and must match the name; size limit from the configuration.
#[utoipa::path(post, path = "/api/v1/catalogue/{id}/files", tag = "catalogue", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "One file in the field `file`."),
    responses((status = 201, body = app::records::CatalogueFile), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn attach(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    mp: crate::extract::MultipartBody,
) -> AppResult<axum::response::Response> {
    let who = ctx.principal()?;
    let upload = crate::extract::read_multipart(mp, s.cfg.evidence_max_bytes())
        .await?
        .one_file()?;
    Ok(super::common::created(
        app::catalogue::attach(
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

/// Download an entry's document (whoever reads the entry).
#[utoipa::path(get, path = "/api/v1/catalogue/files/{id}", tag = "catalogue", security(()), params(("id" = i64, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn file(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<axum::response::Response> {
    let (f, bytes) = app::catalogue::file(
        &s.db,
        &s.org,
        &s.fresh,
        &s.catalogue,
        &s.cfg.data_dir,
        ctx.who.as_ref(),
        id,
    )
    .await?;
    Ok(super::export::download(
        bytes,
        &f.content_type,
        &f.file_name,
    ))
}

/// A unit's catalogue quality month by month: each word's mean over the entries of the unit and the units below it, at the end of each of the last eleven months and now (an entry counts with its latest measurement before each end; freshness is counted to that end).
#[utoipa::path(get, path = "/api/v1/catalogue/units/{id}/quality", tag = "catalogue", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<app::catalogue::QualityPoint>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn unit_quality(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> AppResult<Json<Vec<app::catalogue::QualityPoint>>> {
    Ok(Json(
        app::catalogue::unit_history(&s.db, &s.org, &s.fresh, &s.catalogue, id).await?,
    ))
}

/// "Where are our data?": per ministry and province, entries declared, approved, accepted, connected, and the four words.
#[utoipa::path(get, path = "/api/v1/catalogue/dashboard", tag = "catalogue", security(()),
    responses((status = 200, body = Dashboard)))]
async fn dashboard(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Dashboard>> {
    Ok(Json(
        app::catalogue::dashboard(&s.db, &s.org, &s.fresh, &s.catalogue, ctx.lang.code()).await?,
    ))
}

/// Where an inventory goes, and whether to write it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The unit whose catalogue receives the entries (as drafts).
    pub owner: i64,
    /// true: only report what would be written and every value not understood.
    #[serde(default)]
    pub dry_run: bool,
}

/// Imports a unit's inventory: a CSV or XLSX file (headers in Vietnamese, English or French) or a CKAN `package_search` answer (JSON), as the request body. Every row is written, as a draft, in one transaction; when any row has a problem nothing is written and the report lists each value not understood.
#[utoipa::path(post, path = "/api/v1/catalogue/import", tag = "catalogue", params(ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "CSV, XLSX or CKAN JSON"),
    responses((status = 200, body = app::catalogue::import::ImportReport), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> AppResult<Json<app::catalogue::import::ImportReport>> {
    Ok(Json(
        app::catalogue::import::import(&s.db, ctx.principal()?, q.owner, &body, q.dry_run).await?,
    ))
}
