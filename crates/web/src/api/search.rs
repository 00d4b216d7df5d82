//! One search over the platform's records, filtered by what the caller may read.

use axum::extract::State;
use axum::{Json, Router, routing::get};
use serde::Deserialize;

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiQuery, Ctx};
use app::error::AppError;
use app::search::{Results, SearchQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search))
        .route("/api/v1/feedback/similar", get(similar))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarParams {
    /// The text to compare (a draft's title and body).
    pub text: Option<String>,
    /// Leave this item out (the item being read).
    pub except: Option<i64>,
    /// Only items of this unit and the units below it.
    pub unit: Option<i64>,
    /// At most this many, 1 to 20 (default 5).
    pub limit: Option<usize>,
}

/// Feedback items that may say the same as a text, most alike first, with their similarity
/// (0 to 1). The public compares with published items; a unit's people with the items it
/// holds too. The feedback form asks this while a citizen writes.
#[utoipa::path(get, path = "/api/v1/feedback/similar", tag = "search", params(SimilarParams), security((), ("bearer" = [])),
    responses((status = 200, body = [app::search::Similar]), (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn similar(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(p): ApiQuery<SimilarParams>,
) -> AppResult<Json<Vec<app::search::Similar>>> {
    let text = p.text.unwrap_or_default();
    let limit = p.limit.unwrap_or(5).clamp(1, 20);
    Ok(Json(
        s.finder()
            .similar_feedback(ctx.who.as_ref(), &text, p.except, p.unit, limit)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words sought. Case and diacritics are ignored ("chu ky so" finds "chữ ký số"); a
    /// word typed with its diacritics ranks the texts that have the same ones first; longer
    /// words tolerate a typo; the last word may be unfinished.
    pub q: Option<String>,
    /// Only this type: task, report, feedback, indicator, catalogue, unit.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Only records of this unit and the units below it.
    pub unit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Hits per page, 1 to 50 (default 20).
    pub limit: Option<usize>,
}

impl SearchParams {
    /// The query, with a type that is not one of ours refused by name.
    pub fn query(self) -> AppResult<SearchQuery> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(domain::search::Kind::parse(k).ok_or_else(|| {
                AppError::invalid(domain::FieldError::new("type", "err-search-type"))
            })?),
        };
        Ok(SearchQuery {
            q: self.q.unwrap_or_default(),
            kind,
            unit: self.unit,
            cursor: self.cursor,
            limit: self.limit,
            skip_facets: false,
        })
    }
}

/// Search tasks, progress reports, feedback, indicators, catalogue entries and units (public;
/// signed in, also what the caller's role and units may read). Hits are ranked, with the
/// matched syllables marked, and counted per type.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams), security((), ("bearer" = [])),
    responses((status = 200, body = Results), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn search(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> AppResult<Json<Results>> {
    let q = p.query()?;
    let r = s.search.search(&s.org, &s.db, ctx.who.as_ref(), &q).await?;
    if !r.ready {
        // The index is being built after a first start.
        return Err(AppError::Unavailable.into());
    }
    Ok(Json(r))
}
