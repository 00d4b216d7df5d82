//! A unit's worklist page: its assignments, most urgent first, with filters and export links.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{Ctx, PathId};
use crate::pages::common::{PageCtx, encode_component, html};
use app::error::AppError;
use app::records::OrgUnit;
use domain::FieldError;

pub fn router() -> Router<AppState> {
    Router::new().route("/org/{id}/worklist", get(worklist_page))
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistTpl {
    p: PageCtx,
    unit: OrgUnit,
    items: Vec<app::programmes::WorkItem>,
    count: i64,
    status: String,
    statuses: Vec<&'static str>,
    programmes: Vec<app::records::Programme>,
    q: app::programmes::WorklistQuery,
    /// The filters as a query string, for the export links.
    query: String,
}

async fn worklist_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(mut q): crate::extract::ApiQuery<app::programmes::WorklistQuery>,
) -> AppResult<Response> {
    let unit = app::org::detail(&s.db, &s.org, ctx.who.as_ref(), id)
        .await?
        .unit;
    q.status = q.status.filter(|s| !s.is_empty());
    let status = q.status.clone();
    if let Some(st) = &status
        && !domain::status::Status::ALL.iter().any(|x| x.as_str() == st)
    {
        return Err(AppError::invalid(FieldError::new("status", "err-unknown-status")).into());
    }
    let items =
        app::programmes::worklist(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, &q).await?;
    let statuses = domain::status::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let programmes = app::programmes::list(&s.db, ctx.who.as_ref()).await?;
    let mut query = vec![];
    if let Some(v) = q.programme {
        query.push(format!("programme={v}"));
    }
    if let Some(v) = &q.status {
        query.push(format!("status={}", encode_component(v)));
    }
    if let Some(v) = q.due_from {
        query.push(format!("due_from={v}"));
    }
    if let Some(v) = q.due_to {
        query.push(format!("due_to={v}"));
    }
    if q.open == Some(true) {
        query.push("open=true".into());
    }
    if q.lead == Some(true) {
        query.push("lead=true".into());
    }
    html(WorklistTpl {
        programmes,
        query: query.join("&"),
        q: q.clone(),
        p: PageCtx::from(&ctx, &format!("/org/{id}/worklist")),
        count: items.len() as i64,
        unit,
        items,
        status: status.unwrap_or_default(),
        statuses,
    })
}
