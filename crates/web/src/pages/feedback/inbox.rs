//! The officers' inbox: filters, bulk moves, and the unit's feedback settings.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, CsrfForm, Ctx, PathId};
use crate::pages::common::{PageCtx, html};
use app::error::AppError;
use app::feedback::InboxQuery;
use domain::FieldError;
use domain::feedback::Kind;
use domain::feedback::State as FbState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback/inbox", get(inbox_page))
        .route("/feedback/inbox/bulk", post(bulk))
        .route("/feedback/units/{id}/settings", post(save_settings))
}

#[derive(Template)]
#[template(path = "feedback_inbox.html")]
struct InboxTpl {
    p: PageCtx,
    page: std::sync::Arc<app::feedback::InboxPage>,
    total: i64,
    /// The first page and the next one with the same filters (empty: none).
    first_link: String,
    next_link: String,
    unit: i64,
    unit_name: String,
    status: String,
    states: Vec<&'static str>,
    kind: String,
    kinds: Vec<&'static str>,
    /// The unit's leader sees the approval setting and may change it.
    can_configure: bool,
    approve_answers: bool,
    moderate_first: bool,
    bulk_moves: &'static [&'static str],
    /// Showing the moderation queue.
    moderation_queue: bool,
    bulk_ok: Option<usize>,
    bulk_failed: Option<usize>,
    saved: bool,
    /// Words sought in the items' full text.
    q: String,
}

impl InboxTpl {
    /// An acceptance day already gone.
    fn late(&self, d: &chrono::NaiveDate) -> bool {
        *d < domain::clock::local_date(chrono::Utc::now())
    }
}

/// Moves that need nothing but a note, so they can be applied to many items at once.
const BULK_MOVES: &[&str] = &["accept", "start", "interim", "close"];

#[derive(Deserialize, Default)]
struct InboxQ {
    unit: Option<i64>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// pending: the moderation queue.
    moderation: Option<String>,
    page: Option<i64>,
    /// The page after this point (`next` of the page before).
    after: Option<String>,
    bulk_ok: Option<usize>,
    bulk_failed: Option<usize>,
    saved: Option<u8>,
    /// Words sought in the items' full text (diacritics optional).
    q: Option<String>,
}

async fn inbox_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<InboxQ>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit = q.unit.unwrap_or(who.unit_id);
    let status = q.status.filter(|s| !s.is_empty());
    let kind = q.kind.filter(|s| !s.is_empty());
    let words = q.q.clone().filter(|w| !w.trim().is_empty());
    let inbox = app::feedback::inbox(
        &s.db,
        &s.inbox,
        s.finder(),
        who,
        InboxQuery {
            unit: Some(unit),
            status: status.clone(),
            kind: kind.clone(),
            moderation: q.moderation.clone().filter(|m| !m.is_empty()),
            page: q.page,
            per_page: Some(100),
            after: q.after.clone().filter(|a| !a.is_empty()),
            q: words.clone(),
            ..Default::default()
        },
    )
    .await?;
    let snap = s.org.snapshot(&s.db).await?;
    let settings = app::feedback::unit_settings(&s.db, who, unit).await?;
    let mut base = format!("/feedback/inbox?unit={unit}");
    for (k, v) in [
        ("status", status.as_deref()),
        ("type", kind.as_deref()),
        ("q", words.as_deref()),
        (
            "moderation",
            q.moderation.as_deref().filter(|m| !m.is_empty()),
        ),
    ] {
        if let Some(v) = v {
            base.push_str(&format!(
                "&{k}={}",
                crate::pages::common::encode_component(v)
            ));
        }
    }
    let deeper = q.after.as_deref().is_some_and(|a| !a.is_empty()) || q.page.is_some_and(|p| p > 1);
    let (first_link, next_link) =
        crate::pages::common::cursor_pager(&base, deeper, inbox.next.as_deref());
    html(InboxTpl {
        p: PageCtx::from(&ctx, "/feedback/inbox"),
        page: inbox.clone(),
        total: inbox.total,
        first_link,
        next_link,
        unit,
        unit_name: snap
            .get(unit)
            .map(|u| u.name(ctx.lang.code()).to_string())
            .unwrap_or_default(),
        status: status.unwrap_or_default(),
        states: FbState::ALL.iter().map(|s| s.as_str()).collect(),
        kind: kind.unwrap_or_default(),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        can_configure: app::feedback::may_configure(&s.db, who, unit).await?,
        approve_answers: settings.approve_answers,
        moderate_first: settings.moderate_first,
        bulk_moves: BULK_MOVES,
        moderation_queue: q.moderation.as_deref() == Some("pending"),
        bulk_ok: q.bulk_ok,
        bulk_failed: q.bulk_failed,
        saved: q.saved.is_some(),
        q: words.unwrap_or_default(),
    })
}

/// Applies one move to every ticked item; each item is its own transaction, so one refusal
/// (an illegal move for that item's state) leaves the others done, and the count says so.
async fn bulk(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit: i64 = f
        .get("unit")
        .and_then(|u| u.parse().ok())
        .unwrap_or(who.unit_id);
    let action = f.get("action").cloned().unwrap_or_default();
    if !BULK_MOVES.contains(&action.as_str()) {
        return Err(AppError::invalid(FieldError::new("action", "err-unknown-action")).into());
    }
    let note = f.get("note").cloned().filter(|n| !n.trim().is_empty());
    let ids: Vec<i64> = f
        .keys()
        .filter_map(|k| k.strip_prefix("item-"))
        .filter_map(|id| id.parse().ok())
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for id in ids {
        let input = app::feedback::MoveInput {
            action: action.clone(),
            note: note.clone(),
            internal: false,
            to_unit: None,
            answer: None,
            into: None,
            days: None,
            category: None,
        };
        match app::feedback::act(&s.db, who, id, input).await {
            Ok(_) => ok += 1,
            Err(
                AppError::Invalid(_)
                | AppError::Conflict(_)
                | AppError::Forbidden
                | AppError::NotFound,
            ) => failed += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Redirect::to(&format!(
        "/feedback/inbox?unit={unit}&bulk_ok={ok}&bulk_failed={failed}"
    ))
    .into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    approve_answers: Option<String>,
    #[serde(default)]
    moderate_first: Option<String>,
}

async fn save_settings(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(unit): PathId,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> AppResult<Response> {
    // An unticked box is not sent: the form states both settings.
    let input = app::feedback::UnitSettingsChange {
        approve_answers: Some(f.approve_answers.is_some()),
        moderate_first: Some(f.moderate_first.is_some()),
    };
    app::feedback::set_unit_settings(&s.db, ctx.principal()?, unit, input).await?;
    Ok(Redirect::to(&format!("/feedback/inbox?unit={unit}&saved=1")).into_response())
}
