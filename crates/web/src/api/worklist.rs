//! A unit's worklist (with downloads) and its deadlines as an iCalendar feed.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::api::export::{export_response, parse_format};
use crate::error::{AppResult, Problem};
use crate::extract::{ApiQuery, Ctx, PathId};
use crate::i18n::Lang;
use app::export::{self, Cell, Table};
use app::programmes::WorkItem;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/org-units/{id}/worklist", get(worklist))
        .route("/api/v1/org-units/{id}/calendar.ics", get(calendar))
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
    open: Option<bool>,
    lead: Option<bool>,
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
            open: self.open,
            lead: self.lead,
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
    let unit = snap
        .get(id)
        .map(|u| u.name(ctx.lang.code()).to_string())
        .unwrap_or_default();
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
