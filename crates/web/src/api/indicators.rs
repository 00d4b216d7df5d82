//! Indicators and targets: the catalogue, an indicator's figures, the entry sheet of a unit,
//! submissions and the approval queue, and DHIS2's `dataValueSets` (also under `/api/`, where
//! DHIS2 clients look for it).

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, Ctx, PathId};
use app::indicators::definitions::Edit;
use app::indicators::dhis2::{DataValueSet, ExportQuery, ImportOptions, ImportSummary};
use app::indicators::entry::{FormValue, Sheet};
use app::indicators::submissions::Waiting;
use app::indicators::targets::{Proposal, TargetInput};
use app::indicators::validation::{Report, RuleInput};
use app::indicators::{Detail, Figures, SetEntry};
use app::records::{Indicator, IndicatorRule, IndicatorSet, IndicatorSubmission, TargetRow};

/// A data value set of a few hundred thousand values (about 100 bytes each in JSON), as a
/// national import sends them; other JSON bodies keep the default limit.
const DVS_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/indicator-sets", get(list_sets))
        .route("/api/v1/indicator-sets/{id}/sheet", get(sheet).post(enter))
        .route("/api/v1/indicator-sets/{id}/submissions", post(decide))
        .route(
            "/api/v1/indicator-sets/{id}/rules",
            get(list_rules).post(add_rule),
        )
        .route("/api/v1/indicator-sets/{id}/validation", get(validation))
        .route(
            "/api/v1/indicator-rules/{id}",
            axum::routing::delete(delete_rule),
        )
        .route(
            "/api/v1/indicators/{id}/targets",
            axum::routing::put(set_target),
        )
        .route("/api/v1/indicator-targets/proposed", get(proposed_targets))
        .route(
            "/api/v1/indicator-targets/{id}/decision",
            post(decide_target),
        )
        .route("/api/v1/indicator-submissions", get(queue))
        .route("/api/v1/indicators", get(catalogue))
        .route("/api/v1/indicators/{id}", get(detail).patch(edit_indicator))
        .route("/api/v1/indicators/{id}/figures", get(figures))
        .route("/api/v1/indicators/units/{id}", get(scorecard))
        .route(
            "/api/v1/dataValueSets",
            get(export_values)
                .post(import_values)
                .layer(DefaultBodyLimit::max(DVS_BODY_LIMIT)),
        )
        .route(
            "/api/dataValueSets",
            get(export_values)
                .post(import_values)
                .layer(DefaultBodyLimit::max(DVS_BODY_LIMIT)),
        )
}

/// Indicator sets (public).
#[utoipa::path(get, path = "/api/v1/indicator-sets", tag = "indicators", security(()), responses((status = 200, body = Vec<IndicatorSet>)))]
async fn list_sets(State(s): State<AppState>) -> AppResult<Json<Vec<IndicatorSet>>> {
    Ok(Json(app::indicators::sets(&s.db).await?))
}

/// Every set with its indicators, national targets and latest national figure (public; figures
/// of non-public indicators only for those who may read them).
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", security(()), responses((status = 200, body = Vec<SetEntry>)))]
async fn catalogue(State(s): State<AppState>, ctx: Ctx) -> AppResult<axum::response::Response> {
    Ok(public(
        Json(app::indicators::catalogue(&s.db, &s.org, &s.figures, ctx.who.as_ref()).await?),
        Deps::INDICATORS,
    ))
}

/// An indicator's definition, targets of every unit, sub-indicators, linked tasks and earlier definitions (public).
#[utoipa::path(get, path = "/api/v1/indicators/{id}", tag = "indicators", security(()), params(("id" = i64, Path)),
    responses((status = 200, body = Detail), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn detail(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> AppResult<axum::response::Response> {
    Ok(public(
        Json(app::indicators::detail(&s.db, id).await?),
        Deps::INDICATORS,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FigureQuery {
    /// The unit (default: the nation).
    unit: Option<i64>,
    /// A DHIS2 period identifier (default: the latest with values).
    period: Option<String>,
    /// A breakdown label (default: the first, or the total).
    disaggregation: Option<String>,
    /// csv or xlsx: the unit and the units below it as a table (default JSON).
    format: Option<String>,
}

/// A unit's figure for a period with the figures of the units below it, the unit's series, and
/// where its trend leads; each judged against its target (fresh on the next request after a value is entered).
#[utoipa::path(get, path = "/api/v1/indicators/{id}/figures", tag = "indicators", security(()), params(("id" = i64, Path), FigureQuery),
    responses((status = 200, body = Figures), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn figures(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<FigureQuery>,
) -> AppResult<axum::response::Response> {
    let format = crate::api::export::parse_format(q.format.as_deref())?;
    let period = app::indicators::read_period(q.period.as_deref())?;
    let f = app::indicators::figures::figures(
        &s.db,
        &s.org,
        &s.figures,
        ctx.who.as_ref(),
        id,
        q.unit,
        period,
        q.disaggregation,
    )
    .await?;
    match format {
        None => Ok(public(Json(f), Deps::INDICATORS)),
        Some(fmt) => {
            let d = app::indicators::detail(&s.db, id).await?;
            crate::api::export::export_response(
                &figure_table(ctx.lang, &d.indicator, &f),
                fmt,
                &format!("{}-{}", d.indicator.code, f.period),
            )
        }
    }
}

/// The unit's figure and its units' as a table for Excel and LibreOffice: figures as numbers.
fn figure_table(
    lang: crate::i18n::Lang,
    ind: &app::records::Indicator,
    f: &Figures,
) -> app::export::Table {
    use app::export::Cell;
    let h = |k: &str| lang.t(k).to_string();
    app::export::Table {
        title: ind.code.clone(),
        headers: vec![
            h("field-code"),
            h("ind-unit-sel"),
            h("ind-period"),
            h("field-disaggregation"),
            h("ind-value"),
            h("ind-col-target"),
            h("ind-expected"),
            h("ind-achievement"),
            h("ind-col-status"),
            h("ind-count"),
        ],
        rows: std::iter::once(&f.unit)
            .chain(&f.children)
            .map(|u| {
                vec![
                    Cell::from(u.unit_code.clone()),
                    Cell::from(&u.unit_name),
                    Cell::from(u.period.to_string()),
                    Cell::from(&u.disaggregation),
                    u.value
                        .map(Cell::from)
                        .unwrap_or_else(|| Cell::from(u.text.clone())),
                    Cell::from(u.target.as_ref().map(|t| t.describe(|v| lang.num(v, 2)))),
                    Cell::from(u.expected),
                    Cell::from(u.achievement),
                    Cell::from(lang.t(&format!("ind-status-{}", u.status.as_str()))),
                    Cell::from(u.count as i64),
                ]
            })
            .collect(),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SheetQuery {
    /// The unit whose values these are.
    unit: i64,
    /// A period of the set's type (default: the last that ended).
    period: Option<String>,
}

/// A unit's values of a set for a period, with the previous period's and the submission's state.
#[utoipa::path(get, path = "/api/v1/indicator-sets/{id}/sheet", tag = "indicators", params(("id" = i64, Path), SheetQuery),
    responses((status = 200, body = Sheet), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn sheet(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> AppResult<Json<Sheet>> {
    let period = app::indicators::read_period(q.period.as_deref())?;
    Ok(Json(
        app::indicators::entry::sheet(&s.db, &s.org, ctx.principal()?, id, q.unit, period).await?,
    ))
}

/// Values for one breakdown of one indicator; a blank value removes the one stored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SheetValue {
    #[serde(flatten)]
    field: FormValue,
    /// The breakdown label ("" for the total).
    #[serde(default)]
    disaggregation: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SheetInput {
    unit: i64,
    period: String,
    values: Vec<SheetValue>,
    /// Saves values that only raised warnings (a warning rule, an outlier); without it they
    /// come back as `warn-…` errors to confirm.
    #[serde(default)]
    confirm: bool,
}

/// Saves a unit's values of a set for a period in one transaction; nothing is saved if any value is wrong.
#[utoipa::path(post, path = "/api/v1/indicator-sets/{id}/sheet", tag = "indicators", params(("id" = i64, Path)), request_body = SheetInput,
    responses((status = 200, body = Object), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn enter(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<SheetInput>,
) -> AppResult<Json<serde_json::Value>> {
    let period = app::indicators::require_period(&input.period)?;
    let values = input
        .values
        .into_iter()
        .map(|v| (v.field, v.disaggregation))
        .collect();
    let (imported, updated, deleted) = app::indicators::entry::enter(
        &s.db,
        &s.org,
        ctx.principal()?,
        id,
        input.unit,
        period,
        values,
        input.confirm,
    )
    .await?;
    Ok(Json(
        serde_json::json!({"imported": imported, "updated": updated, "deleted": deleted}),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = IndicatorMove)]
pub struct MoveInput {
    unit: i64,
    period: String,
    /// submit, approve, accept or return.
    #[serde(rename = "move")]
    #[schema(value_type = String)]
    mv: domain::indicators::approval::Move,
    /// Required to return.
    #[serde(default)]
    reason: String,
}

/// Submit a unit's values, approve them (the unit's leader), accept them (the level above) or return them with a reason.
#[utoipa::path(post, path = "/api/v1/indicator-sets/{id}/submissions", tag = "indicators", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = IndicatorSubmission), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn decide(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MoveInput>,
) -> AppResult<Json<IndicatorSubmission>> {
    let period = app::indicators::require_period(&input.period)?;
    Ok(Json(
        app::indicators::submissions::decide(
            &s.db,
            &s.org,
            ctx.principal()?,
            id,
            input.unit,
            period,
            input.mv,
            &input.reason,
        )
        .await?,
    ))
}

/// The validation rules of a set (public, like the definitions).
#[utoipa::path(get, path = "/api/v1/indicator-sets/{id}/rules", tag = "indicators", security(()), params(("id" = i64, Path)), responses((status = 200, body = Vec<IndicatorRule>), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn list_rules(
    State(s): State<AppState>,
    PathId(id): PathId,
) -> AppResult<Json<Vec<IndicatorRule>>> {
    Ok(Json(
        app::indicators::validation::rules_of(&s.db, id).await?,
    ))
}

/// Adds a validation rule to a set (the Steering Committee): `#{CODE}` or `#{CODE.breakdown}` operands, + − × ÷, one comparison.
#[utoipa::path(post, path = "/api/v1/indicator-sets/{id}/rules", tag = "indicators", params(("id" = i64, Path)), request_body = RuleInput,
    responses((status = 201, body = IndicatorRule), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn add_rule(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<RuleInput>,
) -> AppResult<(axum::http::StatusCode, Json<IndicatorRule>)> {
    let row = app::indicators::validation::add_rule(&s.db, ctx.principal()?, id, input).await?;
    Ok((axum::http::StatusCode::CREATED, Json(row)))
}

/// Removes a validation rule (the Steering Committee).
#[utoipa::path(delete, path = "/api/v1/indicator-rules/{id}", tag = "indicators", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn delete_rule(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<axum::http::StatusCode> {
    app::indicators::validation::delete_rule(&s.db, ctx.principal()?, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValidationQuery {
    unit: i64,
    /// A DHIS2 period identifier; default: the last period that ended.
    period: Option<String>,
    /// Also the units directly below.
    #[serde(default)]
    children: bool,
}

/// The validation report of a unit's values (and its children's) for one set and period: rule failures, values outside their range, outliers against each unit's history.
#[utoipa::path(get, path = "/api/v1/indicator-sets/{id}/validation", tag = "indicators", params(("id" = i64, Path), ValidationQuery),
    responses((status = 200, body = Report), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn validation(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<ValidationQuery>,
) -> AppResult<axum::response::Response> {
    let period = app::indicators::read_period(q.period.as_deref())?;
    let report = app::indicators::validation::report(
        &s.db,
        &s.org,
        &s.fresh,
        &s.figures,
        ctx.principal()?,
        id,
        q.unit,
        period,
        q.children,
    )
    .await?;
    Ok(axum::response::IntoResponse::into_response(Json(&*report)))
}

/// Edits an indicator's definition (the Steering Committee): a new revision, the earlier ones kept. The value type, roll-up, breakdown and period type do not change.
#[utoipa::path(patch, path = "/api/v1/indicators/{id}", tag = "indicators", params(("id" = i64, Path)), request_body = Edit,
    responses((status = 200, body = Indicator), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn edit_indicator(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<Edit>,
) -> AppResult<Json<Indicator>> {
    Ok(Json(
        app::indicators::definitions::edit(&s.db, &s.org, ctx.principal()?, id, input).await?,
    ))
}

/// Sets a unit's target (the level that assigned the unit's work: approved at once) or proposes it (the unit itself: waits for that level).
#[utoipa::path(put, path = "/api/v1/indicators/{id}/targets", tag = "indicators", params(("id" = i64, Path)), request_body = TargetInput,
    responses((status = 200, body = TargetRow), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn set_target(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<TargetInput>,
) -> AppResult<Json<TargetRow>> {
    Ok(Json(
        app::indicators::targets::set(&s.db, &s.org, ctx.principal()?, id, input).await?,
    ))
}

/// Proposed targets waiting for the caller (the level that assigned the units' work).
#[utoipa::path(get, path = "/api/v1/indicator-targets/proposed", tag = "indicators", responses((status = 200, body = Vec<Proposal>)))]
async fn proposed_targets(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Proposal>>> {
    Ok(Json(
        app::indicators::targets::proposals(&s.db, &s.org, ctx.principal()?).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = TargetDecision)]
pub struct TargetDecisionInput {
    approve: bool,
    /// Required to reject.
    #[serde(default)]
    reason: String,
}

/// Approves a proposed target, or rejects (removes) it with a reason: null when rejected.
#[utoipa::path(post, path = "/api/v1/indicator-targets/{id}/decision", tag = "indicators", params(("id" = i64, Path)), request_body = TargetDecisionInput,
    responses((status = 200, body = Option<TargetRow>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn decide_target(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<TargetDecisionInput>,
) -> AppResult<Json<Option<TargetRow>>> {
    Ok(Json(
        app::indicators::targets::decide(
            &s.db,
            &s.org,
            ctx.principal()?,
            id,
            input.approve,
            &input.reason,
        )
        .await?,
    ))
}

/// Submissions waiting for the caller to approve or accept, oldest first.
#[utoipa::path(get, path = "/api/v1/indicator-submissions", tag = "indicators", responses((status = 200, body = Vec<Waiting>)))]
async fn queue(State(s): State<AppState>, ctx: Ctx) -> AppResult<Json<Vec<Waiting>>> {
    Ok(Json(
        app::indicators::submissions::queue(&s.db, &s.org, ctx.principal()?).await?,
    ))
}

/// DHIS2 `dataValueSets` import: values refused are listed in `conflicts` by their index; the others are written in one transaction (none with `atomicMode=ALL`, none with `dryRun=true`).
#[utoipa::path(post, path = "/api/v1/dataValueSets", tag = "indicators", params(ImportOptions), request_body = DataValueSet,
    responses((status = 200, body = ImportSummary), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn import_values(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(opts): ApiQuery<ImportOptions>,
    ApiJson(set): ApiJson<DataValueSet>,
) -> AppResult<Json<ImportSummary>> {
    Ok(Json(
        app::indicators::dhis2::import(&s.db, &s.org, ctx.principal()?, ctx.lang, set, opts)
            .await?,
    ))
}

/// DHIS2 `dataValueSets` export, in the shape the import reads.
#[utoipa::path(get, path = "/api/v1/dataValueSets", tag = "indicators", security(()), params(ExportQuery),
    responses((status = 200, body = DataValueSet), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn export_values(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Json<DataValueSet>> {
    Ok(Json(
        app::indicators::dhis2::export(&s.db, &s.org, ctx.who.as_ref(), q).await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ScorecardQuery {
    /// One set only (default: every set).
    set: Option<i64>,
    /// A period (default: each set's last ended period).
    period: Option<String>,
}

/// A unit's scorecard: its figure on every indicator for the period, judged against its target (values of non-public indicators only for those who may read them).
#[utoipa::path(get, path = "/api/v1/indicators/units/{id}", tag = "indicators", security(()), params(("id" = i64, Path), ScorecardQuery),
    responses((status = 200, body = app::indicators::Scorecard), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn scorecard(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
) -> AppResult<axum::response::Response> {
    let period = app::indicators::read_period(q.period.as_deref())?;
    let card = app::indicators::figures::scorecard(
        &s.db,
        &s.org,
        &s.fresh,
        &s.figures,
        ctx.who.as_ref(),
        id,
        q.set,
        period,
    )
    .await?;
    Ok(public(Json(&*card), Deps::INDICATORS))
}
