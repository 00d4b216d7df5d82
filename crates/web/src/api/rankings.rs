//! Evaluation and ranking: methods and their versions, editions (computed, published), a unit's
//! scorecard, why a score changed, what-if weights, and inspectors' values.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId, PathIds};
use crate::i18n::Lang;
use app::export::{Cell, Table};
use app::rankings::{
    ComputeInput, DocumentInput, EditionHead, EditionView, ExpertInput, HistoryPoint,
    MethodSummary, MoveInput, NewMethodInput, PublishInput, Scorecard, VersionView, WhatIfInput,
    WhatIfUnit,
};
use app::records::{Edition, ExpertScore, MethodVersion};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/methods", get(list_methods).post(create_method))
        .route("/api/v1/methods/{id}/versions", post(new_version))
        .route("/api/v1/methods/{id}/versions/{version}", get(get_version))
        .route(
            "/api/v1/method-versions/{id}",
            axum::routing::put(edit_version),
        )
        .route("/api/v1/method-versions/{id}/actions", post(move_version))
        .route("/api/v1/rankings", get(list_editions).post(compute))
        .route("/api/v1/rankings/{id}", get(get_edition))
        .route("/api/v1/rankings/{id}/publish", post(publish))
        .route("/api/v1/rankings/{id}/reproduce", get(reproduce))
        .route("/api/v1/rankings/{id}/what-if", post(what_if))
        .route("/api/v1/rankings/{id}/changes", get(changes))
        .route("/api/v1/rankings/{id}/units/{unit}/history", get(history))
        .route("/api/v1/rankings/{id}/units/{unit}", get(scorecard))
        .route("/api/v1/rankings/{id}/units/{unit}/why", get(why))
        .route("/api/v1/expert-scores", post(enter_expert))
}

/// Ranking methods with their published versions (every version for the Steering Committee and inspectors).
#[utoipa::path(get, path = "/api/v1/methods", tag = "rankings", security(()),
    responses((status = 200, body = Vec<MethodSummary>)))]
async fn list_methods(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<MethodSummary>>> {
    Ok(Json(app::rankings::methods(&s.db, ctx.who.as_ref()).await?))
}

/// Creates a method and its first version, a draft (the Steering Committee).
#[utoipa::path(post, path = "/api/v1/methods", tag = "rankings", request_body = NewMethodInput,
    responses((status = 201, body = VersionView), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn create_method(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<NewMethodInput>,
) -> AppResult<impl IntoResponse> {
    let v = app::rankings::create_method(&s.db, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A new draft version of a method.
#[utoipa::path(post, path = "/api/v1/methods/{id}/versions", tag = "rankings", params(("id" = i64, Path)), request_body = DocumentInput,
    responses((status = 201, body = VersionView)))]
async fn new_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DocumentInput>,
) -> AppResult<impl IntoResponse> {
    let v = app::rankings::new_version(&s.db, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One version of a method with its document: every pillar, weight, measure and rule.
#[utoipa::path(get, path = "/api/v1/methods/{id}/versions/{version}", tag = "rankings", security(()),
    params(("id" = i64, Path), ("version" = i64, Path)),
    responses((status = 200, body = VersionView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, version): PathIds,
) -> AppResult<Json<VersionView>> {
    let version = i32::try_from(version).map_err(|_| app::error::AppError::NotFound)?;
    Ok(Json(
        app::rankings::version(&s.db, ctx.who.as_ref(), id, version).await?,
    ))
}

/// Replaces the document of a draft version (approved and published versions never change).
#[utoipa::path(put, path = "/api/v1/method-versions/{id}", tag = "rankings", params(("id" = i64, Path)), request_body = DocumentInput,
    responses((status = 200, body = MethodVersion), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn edit_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<DocumentInput>,
) -> AppResult<Json<MethodVersion>> {
    Ok(Json(
        app::rankings::edit_version(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Approves, returns (with a reason) or publishes a version.
#[utoipa::path(post, path = "/api/v1/method-versions/{id}/actions", tag = "rankings", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = MethodVersion), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn move_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MoveInput>,
) -> AppResult<Json<MethodVersion>> {
    Ok(Json(
        app::rankings::move_version(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Published editions, newest first (every edition for the Steering Committee and inspectors).
#[utoipa::path(get, path = "/api/v1/rankings", tag = "rankings", security(()),
    responses((status = 200, body = Vec<EditionHead>)))]
async fn list_editions(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<EditionHead>>> {
    Ok(Json(
        app::rankings::editions(&s.db, ctx.who.as_ref()).await?,
    ))
}

/// Computes an edition of a method version for a period, from the platform's data as of a date; frozen with the hash of its inputs, not yet published.
#[utoipa::path(post, path = "/api/v1/rankings", tag = "rankings", request_body = ComputeInput,
    responses((status = 201, body = Edition), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn compute(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ComputeInput>,
) -> AppResult<impl IntoResponse> {
    let e = app::rankings::compute(&s.db, &s.org, ctx.principal()?, input).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct EditionQuery {
    /// csv or xlsx for a spreadsheet of every unit (else JSON).
    format: Option<String>,
}

/// An edition: every unit's score, rank, grade, quartile and rank interval, and what moves the ranks most. With `format=csv|xlsx`, a spreadsheet of every unit.
#[utoipa::path(get, path = "/api/v1/rankings/{id}", tag = "rankings", security(()), params(("id" = i64, Path), EditionQuery),
    responses((status = 200, body = EditionView), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_edition(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<EditionQuery>,
) -> AppResult<Response> {
    let format = crate::api::export::parse_format(q.format.as_deref())?;
    let v = app::rankings::edition(
        &s.db,
        &s.org,
        &s.rank_lines,
        ctx.who.as_ref(),
        id,
        ctx.lang.code(),
    )
    .await?;
    match format {
        Some(format) => {
            let snap = s.org.snapshot(&s.db).await?;
            let t = edition_table(ctx.lang, &v, |u| {
                snap.get(u).and_then(|u| u.code.clone()).unwrap_or_default()
            });
            crate::api::export::export_response(&t, format, &format!("ranking-{id}"))
        }
        None => Ok(Json(v).into_response()),
    }
}

/// Every unit of an edition as a spreadsheet: rank, code, name, score, grade, quartile, rank
/// interval, then each pillar's points when the edition shows them.
fn edition_table(lang: Lang, v: &EditionView, code: impl Fn(i64) -> String) -> Table {
    let pillars: Vec<(String, String)> = if v.units.iter().any(|u| !u.pillars.is_empty()) {
        v.document
            .pillars
            .iter()
            .map(|p| (p.code().to_string(), p.name().get(lang.code()).to_string()))
            .collect()
    } else {
        vec![]
    };
    let mut headers: Vec<String> = [
        "rk-rank",
        "rk-code",
        "rk-unit",
        "rk-score",
        "rk-grade",
        "rk-quartile",
        "rk-rank-low",
        "rk-rank-high",
    ]
    .iter()
    .map(|k| lang.t(k).to_string())
    .collect();
    headers.extend(pillars.iter().map(|(_, n)| n.clone()));
    let grade = |g: &str| {
        v.document
            .grades
            .iter()
            .find(|x| x.code == g)
            .map(|x| x.name.get(lang.code()).to_string())
            .unwrap_or_else(|| g.to_string())
    };
    let rows = v
        .units
        .iter()
        .map(|u| {
            let mut row: Vec<Cell> = vec![
                u.rank.into(),
                code(u.unit_id).into(),
                u.name.clone().into(),
                u.score.map(|x| (x * 10.0).round() / 10.0).into(),
                u.grade.as_deref().map(grade).into(),
                u.quartile.into(),
                u.rank_low.into(),
                u.rank_high.into(),
            ];
            row.extend(pillars.iter().map(|(c, _)| {
                u.pillars
                    .get(c)
                    .copied()
                    .flatten()
                    .map(|x| (x * 10.0).round() / 10.0)
                    .into()
            }));
            row
        })
        .collect();
    Table {
        title: format!("{} {}", v.head.method.code, v.head.edition.period),
        headers,
        rows,
    }
}

/// Publishes an edition at the chosen detail; it never changes afterwards.
#[utoipa::path(post, path = "/api/v1/rankings/{id}/publish", tag = "rankings", params(("id" = i64, Path)), request_body = PublishInput,
    responses((status = 200, body = Edition), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn publish(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<PublishInput>,
) -> AppResult<Json<Edition>> {
    Ok(Json(
        app::rankings::publish(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Recomputes an edition from its frozen inputs: `reproduced` is true when the hash and every score and rank come out the same.
#[utoipa::path(get, path = "/api/v1/rankings/{id}/reproduce", tag = "rankings", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Object)))]
async fn reproduce(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<serde_json::Value>> {
    let ok = app::rankings::reproduce(&s.db, ctx.who.as_ref(), id).await?;
    Ok(Json(serde_json::json!({ "reproduced": ok })))
}

/// Scores and ranks under other weights, from the edition's frozen inputs, not saved (the Steering Committee and inspectors).
#[utoipa::path(post, path = "/api/v1/rankings/{id}/what-if", tag = "rankings", params(("id" = i64, Path)), request_body = WhatIfInput,
    responses((status = 200, body = Vec<WhatIfUnit>)))]
async fn what_if(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<WhatIfInput>,
) -> AppResult<Json<Vec<WhatIfUnit>>> {
    Ok(Json(
        app::rankings::what_if(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// A unit's scorecard in an edition: each pillar, component and measure with its raw value, points, share and the peer group's median.
#[utoipa::path(get, path = "/api/v1/rankings/{id}/units/{unit}", tag = "rankings", security(()),
    params(("id" = i64, Path), ("unit" = i64, Path)),
    responses((status = 200, body = Scorecard), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn scorecard(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
) -> AppResult<Json<Scorecard>> {
    Ok(Json(
        app::rankings::scorecard(&s.db, &s.org, ctx.who.as_ref(), id, unit, ctx.lang.code())
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WhyQuery {
    /// The earlier edition to compare with.
    from: i64,
}

/// Why a unit's score changed from an earlier edition: the difference split over the pillars (they add up to it).
#[utoipa::path(get, path = "/api/v1/rankings/{id}/units/{unit}/why", tag = "rankings", security(()),
    params(("id" = i64, Path), ("unit" = i64, Path), WhyQuery),
    responses((status = 200, body = Vec<domain::ranking::attribution::Change>)))]
async fn why(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
    ApiQuery(q): ApiQuery<WhyQuery>,
) -> AppResult<Json<Vec<domain::ranking::attribution::Change>>> {
    Ok(Json(
        app::rankings::why(&s.db, ctx.who.as_ref(), q.from, id, unit).await?,
    ))
}

/// A unit's score, rank and grade in every edition of the same method and scope up to this one, oldest first.
#[utoipa::path(get, path = "/api/v1/rankings/{id}/units/{unit}/history", tag = "rankings", security(()),
    params(("id" = i64, Path), ("unit" = i64, Path)),
    responses((status = 200, body = Vec<HistoryPoint>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn history(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
) -> AppResult<Json<Vec<HistoryPoint>>> {
    Ok(Json(
        app::rankings::history(&s.db, ctx.who.as_ref(), id, unit).await?,
    ))
}

/// What changed since the edition before of the same method and scope: units that rose, fell, entered, left, changed grade. `null` for the first edition.
#[utoipa::path(get, path = "/api/v1/rankings/{id}/changes", tag = "rankings", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Option<Changes>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn changes(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<Option<Changes>>> {
    let series = app::rankings::series(&s.db, ctx.who.as_ref(), id).await?;
    let c = app::rankings::changes(
        &s.db,
        &s.org,
        &s.rank_lines,
        ctx.who.as_ref(),
        &series,
        ctx.lang.code(),
    )
    .await?;
    Ok(Json(c.map(|(before, changes)| Changes {
        before: before.edition.id,
        changes: (*changes).clone(),
    })))
}

/// The changelog of an edition against the one before.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Changes {
    /// The earlier edition compared with.
    before: i64,
    changes: domain::ranking::changelog::Changelog,
}

/// Enters an inspector's value for a unit and period with its evidence (a method's `expert:<key>` measure).
#[utoipa::path(post, path = "/api/v1/expert-scores", tag = "rankings", request_body = ExpertInput,
    responses((status = 200, body = ExpertScore), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn enter_expert(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<ExpertInput>,
) -> AppResult<Json<ExpertScore>> {
    Ok(Json(
        app::rankings::enter_expert(&s.db, &s.org, ctx.principal()?, input).await?,
    ))
}
