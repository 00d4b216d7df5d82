//! Feedback, recommendations and initiatives: intake, tracking, supports, rating, appeal, the
//! officers' inbox and moves, reviews, decisions, moderation, published lists, statistics.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, ApiQuery, ClientIp, Ctx, PathCode, PathId};
use app::error::AppError;
use app::feedback::{
    AppealInput, FeedbackByProvince, InboxQuery, MoveInput, PublicItem, Rating, Stats, Submission,
    Submitted, Tracking,
};
use app::records::{Category, Event, Item};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/feedback", get(inbox).post(submit))
        .route(
            "/api/v1/feedback/with-files",
            post(submit_with_files).layer(axum::extract::DefaultBodyLimit::max(
                crate::extract::UPLOAD_BODY_LIMIT,
            )),
        )
        .route("/api/v1/feedback/published", get(published))
        .route("/api/v1/feedback/mine", get(mine))
        .route("/api/v1/feedback/stats", get(stats))
        .route("/api/v1/feedback/stats/provinces", get(stats_by_province))
        .route("/api/v1/feedback/categories", get(categories))
        .route("/api/v1/feedback/track/{code}", get(track))
        .route("/api/v1/feedback/track/{code}/rating", post(rate))
        .route("/api/v1/feedback/track/{code}/appeal", post(appeal))
        .route("/api/v1/feedback/track/{code}/support", post(support))
        .route("/api/v1/feedback/support/confirm", post(confirm_support))
        .route("/api/v1/feedback/{id}", get(item))
        .route("/api/v1/feedback/{id}/actions", post(act))
        .route("/api/v1/feedback/{id}/suggestions", get(suggestions))
        .route("/api/v1/feedback/{id}/reviews", post(review))
        .route("/api/v1/feedback/{id}/decision", post(decide))
        .route("/api/v1/feedback/{id}/moderation", post(moderate))
}

/// Send a report, recommendation or initiative (no account needed). Returns the tracking code and a secret shown once.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", security(()), request_body = Submission,
    responses((status = 201, body = Submitted), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn submit(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<Submission>,
) -> AppResult<Response> {
    accept(&s, &ctx, ip, input, vec![]).await
}

async fn accept(
    s: &AppState,
    ctx: &Ctx,
    ip: std::net::IpAddr,
    input: Submission,
    files: Vec<app::attachments::Upload>,
) -> AppResult<Response> {
    let r = app::feedback::submit(
        &s.db,
        &s.intake,
        ip,
        ctx.who.as_ref(),
        ctx.lang,
        input,
        files,
        &s.cfg.data_dir,
        s.cfg.evidence_max_bytes(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// The same with attachments (multipart): the JSON submission in a part named `submission`, and
/// one `file` part per attachment (types checked from the content, size limited).
#[utoipa::path(post, path = "/api/v1/feedback/with-files", tag = "feedback", security(()),
    request_body(content_type = "multipart/form-data", description = "submission (JSON of Submission) and file parts"),
    responses((status = 201, body = Submitted), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
async fn submit_with_files(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let bad = |field: &str, code: &str| AppError::invalid(domain::FieldError::new(field, code));
    let parts = crate::extract::read_multipart(mp, s.cfg.evidence_max_bytes()).await?;
    let json = parts
        .text("submission")
        .ok_or_else(|| bad("submission", "err-required"))?;
    let input: Submission =
        serde_json::from_str(&json).map_err(|_| bad("submission", "err-json-data"))?;
    accept(&s, &ctx, ip, input, parts.files).await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SecretQuery {
    /// The secret given at submission: adds the private details.
    secret: Option<String>,
}

/// Follow an item: status, public history and answer; with the secret, the private details too.
#[utoipa::path(get, path = "/api/v1/feedback/track/{code}", tag = "feedback", security(()), params(("code" = String, Path), SecretQuery),
    responses((status = 200, body = Tracking), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn track(
    State(s): State<AppState>,
    PathCode(code): PathCode,
    ApiQuery(q): ApiQuery<SecretQuery>,
) -> AppResult<Json<Tracking>> {
    Ok(Json(
        app::feedback::track(&s.db, &code, q.secret.as_deref()).await?,
    ))
}

/// Rate the answer, 1 to 5 (the submitter, with the secret); once.
#[utoipa::path(post, path = "/api/v1/feedback/track/{code}/rating", tag = "feedback", security(()), params(("code" = String, Path)), request_body = Rating,
    responses((status = 200, body = PublicItem), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn rate(
    State(s): State<AppState>,
    PathCode(code): PathCode,
    ApiJson(input): ApiJson<Rating>,
) -> AppResult<Json<PublicItem>> {
    Ok(Json(app::feedback::rate(&s.db, &code, input).await?))
}

/// Appeal after a rating of 1 or 2, within the appeal period: the item reopens one level up.
#[utoipa::path(post, path = "/api/v1/feedback/track/{code}/appeal", tag = "feedback", security(()), params(("code" = String, Path)), request_body = AppealInput,
    responses((status = 200, body = PublicItem), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn appeal(
    State(s): State<AppState>,
    PathCode(code): PathCode,
    ApiJson(input): ApiJson<AppealInput>,
) -> AppResult<Json<PublicItem>> {
    Ok(Json(app::feedback::appeal(&s.db, &code, input).await?))
}

/// Support a published recommendation or initiative (signed-in users; once each).
#[utoipa::path(post, path = "/api/v1/feedback/track/{code}/support", tag = "feedback", params(("code" = String, Path)),
    request_body(content = Option<SupportByEmail>, description = "Without an account: the address to confirm from"),
    responses((status = 200, body = PublicItem), (status = 202, body = Object), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
async fn support(
    State(s): State<AppState>,
    ctx: Ctx,
    PathCode(code): PathCode,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if ctx.who.is_none() && !body.is_empty() {
        let input: SupportByEmail = serde_json::from_slice(&body)
            .map_err(|_| AppError::invalid(domain::FieldError::new("email", "err-email")))?;
        app::feedback::request_support(&s.db, &code, &input.email, ctx.lang).await?;
        return Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "confirmation_sent": true })),
        )
            .into_response());
    }
    let who = ctx.principal()?;
    Ok(Json(app::feedback::support(&s.db, who, &code).await?).into_response())
}

/// Without an account: the support counts once the link mailed to this address is opened.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SupportByEmail {
    email: String,
}

/// Confirm a support requested by email (the token from the mailed link).
#[utoipa::path(post, path = "/api/v1/feedback/support/confirm", tag = "feedback", security(()),
    request_body = LinkToken,
    responses((status = 200, body = PublicItem), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn confirm_support(
    State(s): State<AppState>,
    ApiJson(input): ApiJson<LinkToken>,
) -> AppResult<Json<PublicItem>> {
    Ok(Json(
        app::feedback::confirm_support(&s.db, &input.token).await?,
    ))
}

/// The token from a mailed link (support or sign-up).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkToken {
    pub(super) token: String,
}

/// A unit's inbox, most urgent first (officers of the unit or above; steering, inspectors). Filters: unit, status, type, category.
#[utoipa::path(get, path = "/api/v1/feedback", tag = "feedback", params(InboxQuery),
    responses((status = 200, body = app::feedback::InboxPage), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn inbox(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    if let Some(format) = crate::api::export::parse_format(q.format.as_deref())? {
        let rows = all_pages(q, |q| async {
            let p = app::feedback::inbox(&s.db, &s.inbox, s.finder(), who, q).await?;
            Ok((p.items.clone(), p.next.clone()))
        })
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let counts = app::feedback::file_counts(&s.db, &ids).await?;
        // Keyed by tracking code, which the table's rows carry.
        let files = rows
            .iter()
            .map(|r| (r.item.code.clone(), counts.get(&r.id).copied().unwrap_or(0)))
            .collect();
        let snap = s.org.snapshot(&s.db).await?;
        let t = feedback_table(
            ctx.lang,
            &|u| snap.get(u).map(|u| u.name(ctx.lang.code()).to_string()),
            Some(&files),
            rows.iter().map(|r| (&r.item, r.days_left)),
        );
        return crate::api::export::export_response(&t, format, "feedback-inbox");
    }
    let page = app::feedback::inbox(&s.db, &s.inbox, s.finder(), who, q).await?;
    Ok(Json(page).into_response())
}

/// Every page of a filtered list, for an export (at most 50 pages of 200), each read from where
/// the one before ended (keyset), so the last page costs what the first does.
async fn all_pages<T, F, Fut>(q: InboxQuery, mut page: F) -> AppResult<Vec<T>>
where
    F: FnMut(InboxQuery) -> Fut,
    Fut: std::future::Future<Output = app::error::AppResult<(Vec<T>, Option<String>)>>,
{
    let mut out = vec![];
    let mut after = q.after.clone();
    for _ in 0..50 {
        let (rows, next) = page(InboxQuery {
            page: None,
            per_page: Some(200),
            format: None,
            after: after.take(),
            ..q.clone()
        })
        .await?;
        out.extend(rows);
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(out)
}

/// Feedback lists as a spreadsheet, headers, states and unit names in the caller's language;
/// with `files` (the officers' inbox), how many files each item carries.
fn feedback_table<'a>(
    lang: crate::i18n::Lang,
    unit_name: &dyn Fn(i64) -> Option<String>,
    files: Option<&std::collections::HashMap<String, i64>>,
    rows: impl Iterator<Item = (&'a PublicItem, Option<i64>)>,
) -> app::export::Table {
    use app::export::Cell;
    let h = |k: &str| lang.t(k).to_string();
    let mut headers = vec![
        h("fb-tracking-code"),
        h("fb-kind"),
        h("fb-category"),
        h("fb-subject"),
        h("fb-unit-responsible"),
        h("field-status"),
        h("fb-submitted"),
        h("fb-deadline"),
        h("fb-days-left"),
        h("fb-answered"),
        h("fb-rating"),
        h("fb-supports"),
    ];
    if files.is_some() {
        headers.push(h("fb-files"));
    }
    app::export::Table {
        title: h("fb-title"),
        headers,
        rows: rows
            .map(|(i, days_left)| {
                let unit = unit_name(i.unit_id);
                let mut row = vec![
                    Cell::from(i.code.clone()),
                    Cell::from(lang.t(&format!("fb-kind-{}", i.kind)).to_string()),
                    Cell::from(i.category.clone()),
                    Cell::from(i.title.clone()),
                    Cell::from(unit),
                    Cell::from(lang.t(&format!("fb-state-{}", i.state)).to_string()),
                    Cell::from(i.submitted_on),
                    Cell::from(i.deadline_on),
                    Cell::from(days_left),
                    Cell::from(i.answered_on),
                    Cell::from(i.rating.map(i64::from)),
                    Cell::from(i64::from(i.supports)),
                ];
                if let Some(f) = files {
                    row.push(Cell::Int(f.get(&i.code).copied().unwrap_or(0)));
                }
                row
            })
            .collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub(super) struct OfficerItem {
    #[serde(flatten)]
    item: Item,
    /// The original text and the submitter's details (not public).
    title: String,
    body: String,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// An answer waiting for the leader's approval.
    draft_answer: Option<String>,
    /// The moves the caller may make now.
    moves: Vec<&'static str>,
    history: Vec<Event>,
    /// The files the sender attached; each downloads from `/feedback/files/{id}`.
    files: Vec<app::records::ItemFile>,
}

/// One item with its private details and whole history (officers holding it).
#[utoipa::path(get, path = "/api/v1/feedback/{id}", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = OfficerItem), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn item(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<OfficerItem>> {
    let who = ctx.principal()?;
    let (item, history) = app::feedback::item_for_officer(&s.db, who, id).await?;
    Ok(Json(OfficerItem {
        moves: app::feedback::moves_for(&s.db, who, &item).await?,
        files: app::feedback::files_for_officer(&s.db, who, &item).await?,
        draft_answer: item.draft_answer.clone(),
        title: item.title.clone(),
        body: item.body.clone(),
        name: item.name.clone(),
        email: item.email.clone(),
        phone: item.phone.clone(),
        item,
        history,
    }))
}

/// Routing suggestions for an item (officers who may handle it): the three likeliest competent
/// units and categories, learnt each week from where earlier items were handled, with the
/// model's confidence and its accuracy on held-out items. Only a suggestion: moving the item is
/// a `transfer` or `categorise` action.
#[utoipa::path(get, path = "/api/v1/feedback/{id}/suggestions", tag = "feedback", params(("id" = i64, Path)),
    responses((status = 200, body = app::feedback::Suggestions), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn suggestions(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Json<app::feedback::Suggestions>> {
    Ok(Json(
        app::feedback::suggest(&s.db, &s.org, &s.routing, ctx.principal()?, id).await?,
    ))
}

/// Move an item on: accept, decline, assign, start, request_info, info_received, transfer, accept_transfer, refuse_transfer, answer, close, merge, categorise (change the category while open), or extend the deadline (at most twice).
#[utoipa::path(post, path = "/api/v1/feedback/{id}/actions", tag = "feedback", params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = Item), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn act(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<MoveInput>,
) -> AppResult<Json<Item>> {
    Ok(Json(
        app::feedback::act(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Score an initiative on the review sheet (reviewers, steering, or the unit holding it); once per reviewer.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/reviews", tag = "feedback", params(("id" = i64, Path)), request_body = app::feedback::ReviewInput,
    responses((status = 201, body = app::records::Review), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn review(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::feedback::ReviewInput>,
) -> AppResult<Response> {
    let r = app::feedback::review(&s.db, ctx.principal()?, id, input).await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// Decide on an initiative or recommendation (adopted, adopted_in_part, declined) with a published reason; an adoption may create a task in a programme, linked both ways.
#[utoipa::path(post, path = "/api/v1/feedback/{id}/decision", tag = "feedback", params(("id" = i64, Path)), request_body = app::feedback::DecisionInput,
    responses((status = 200, body = PublicItem), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn decide(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::feedback::DecisionInput>,
) -> AppResult<Json<PublicItem>> {
    Ok(Json(
        app::feedback::decide(&s.db, ctx.principal()?, id, input).await?,
    ))
}

/// Hide or edit what is published (the original is kept; the submitter is told why).
#[utoipa::path(post, path = "/api/v1/feedback/{id}/moderation", tag = "feedback", params(("id" = i64, Path)), request_body = app::feedback::Moderation,
    responses((status = 200, body = PublicItem), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn moderate(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiJson(input): ApiJson<app::feedback::Moderation>,
) -> AppResult<Json<PublicItem>> {
    Ok(Json(
        app::feedback::moderate(&s.db, ctx.principal()?, id, input).await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct ItemsPage {
    items: Vec<PublicItem>,
    total: i64,
}

/// Published items with their answers (public), latest answers first. Filters: unit, type, category, status. Follow `next` with `after` for the next page: it costs the same at any depth.
#[utoipa::path(get, path = "/api/v1/feedback/published", tag = "feedback", security(()), params(InboxQuery),
    responses((status = 200, body = app::feedback::PublishedPage), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn published(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Response> {
    if let Some(format) = crate::api::export::parse_format(q.format.as_deref())? {
        let rows = all_pages(q, |q| async {
            let p = app::feedback::published(&s.db, &s.stats, s.finder(), q).await?;
            Ok((p.items, p.next))
        })
        .await?;
        let snap = s.org.snapshot(&s.db).await?;
        let t = feedback_table(
            ctx.lang,
            &|u| snap.get(u).map(|u| u.name(ctx.lang.code()).to_string()),
            None,
            rows.iter().map(|r| (r, None)),
        );
        return crate::api::export::export_response(&t, format, "feedback-published");
    }
    // Filtered by words, the answer follows the search index, not the versions the cache
    // watches: never kept.
    let searched = q.q.as_deref().is_some_and(|w| !w.trim().is_empty());
    let page = app::feedback::published(&s.db, &s.stats, s.finder(), q).await?;
    Ok(if searched {
        Json(page).into_response()
    } else {
        public(Json(page), Deps::FEEDBACK)
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    unit: Option<i64>,
    /// With `unit`: count the items of every unit below it too (a province with its communes).
    below: Option<bool>,
    as_of: Option<chrono::NaiveDate>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AsOfQuery {
    as_of: Option<chrono::NaiveDate>,
}

/// Received, answered, answered on time, overdue, median working days to answer, satisfaction: per unit (or overall), as of any day (public).
#[utoipa::path(get, path = "/api/v1/feedback/stats", tag = "feedback", security(()), params(StatsQuery),
    responses((status = 200, body = Stats)))]
async fn stats(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> AppResult<Response> {
    let st =
        app::feedback::stats(&s.db, &s.stats, q.unit, q.below.unwrap_or(false), q.as_of).await?;
    let fresh = st.fresh;
    Ok(cached_if_fresh(Json(st).into_response(), fresh))
}

/// Figures of a moment ago (served while newer ones are computed) must not outlive it.
fn cached_if_fresh(res: Response, fresh: bool) -> Response {
    if fresh {
        public(res, Deps::FEEDBACK)
    } else {
        res
    }
}

/// Received, answered, answered on time and overdue per province (each with every unit below it), and for the units under no province (public).
#[utoipa::path(get, path = "/api/v1/feedback/stats/provinces", tag = "feedback", security(()), params(AsOfQuery),
    responses((status = 200, body = FeedbackByProvince)))]
async fn stats_by_province(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AsOfQuery>,
) -> AppResult<Response> {
    let x = app::feedback::by_province(&s.db, &s.stats, &s.org, q.as_of).await?;
    let fresh = x.fresh;
    Ok(cached_if_fresh(Json(x).into_response(), fresh))
}

/// Topic categories (public).
#[utoipa::path(get, path = "/api/v1/feedback/categories", tag = "feedback", security(()),
    responses((status = 200, body = Vec<Category>)))]
async fn categories(State(s): State<AppState>) -> AppResult<Json<Vec<Category>>> {
    Ok(Json(app::feedback::categories(&s.db).await?))
}

/// What the signed-in account has sent, in every state (its own items only).
#[utoipa::path(get, path = "/api/v1/feedback/mine", tag = "feedback", params(InboxQuery),
    responses((status = 200, body = Object), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn mine(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Json<ItemsPage>> {
    let (items, total) = app::feedback::mine(&s.db, ctx.principal()?, q).await?;
    Ok(Json(ItemsPage { items, total }))
}
