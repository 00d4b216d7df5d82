//! The queue of completion claims waiting for a unit's verification: the work it assigned
//! (its communes' claims for a province; the units named by a programme for its owner).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{Ctx, PathId};
use crate::pages::common::{PageCtx, form_status, html_status};
use app::records::OrgUnit;
use domain::policy::Role;

/// Claims listed on one page; the rest are counted (the oldest come first).
const LISTED: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/claims", get(my_claims))
        .route("/org/{id}/claims", get(claims_page))
}

/// The unit whose queue the signed-in user works: the Steering Committee decides for the
/// national level (the owner of the national programmes), a leader for the own unit.
pub async fn queue_unit(s: &AppState, who: &domain::policy::Principal) -> AppResult<i64> {
    if who.role == Role::Steering {
        let snap = s.org.snapshot(&s.db).await?;
        return Ok(snap
            .chain(who.unit_id)
            .last()
            .copied()
            .unwrap_or(who.unit_id));
    }
    Ok(who.unit_id)
}

async fn my_claims(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit = queue_unit(&s, who).await?;
    Ok(Redirect::to(&format!("/org/{unit}/claims")).into_response())
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsTpl {
    p: PageCtx,
    unit: OrgUnit,
    /// (the oldest claims, how many in all), as kept per data version.
    queue: std::sync::Arc<(Vec<app::records::PendingClaim>, i64)>,
    names: std::collections::HashMap<i64, String>,
    refused: Refused,
}

/// A decision the queue's form sent and the use case refused: shown again under that claim's
/// comment box, with what was typed.
#[derive(Default)]
pub struct Refused {
    pub assignment_id: i64,
    pub comment: String,
    pub errors: Vec<domain::FieldError>,
}

impl ClaimsTpl {
    fn claims(&self) -> &[app::records::PendingClaim] {
        &self.queue.0
    }

    fn unit_of(&self, id: &i64) -> &str {
        self.names.get(id).map(String::as_str).unwrap_or("")
    }

    /// The comment box's text: what was typed, for the claim whose decision was refused.
    fn comment_of(&self, assignment_id: &i64) -> &str {
        if self.refused.assignment_id == *assignment_id {
            &self.refused.comment
        } else {
            ""
        }
    }

    /// The refused decision's messages, for that claim only.
    fn errors_of(&self, assignment_id: &i64) -> String {
        if self.refused.assignment_id != *assignment_id {
            return String::new();
        }
        self.refused
            .errors
            .iter()
            .map(|e| crate::error::field_message(self.p.lang, e))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn claims_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    render(&s, &ctx, id, Refused::default()).await
}

/// The queue of unit `id`; with a refused decision, answered 422 with its errors in place.
pub async fn render(s: &AppState, ctx: &Ctx, id: i64, refused: Refused) -> AppResult<Response> {
    let who = ctx.principal()?;
    let queue = app::reports::claims_waiting(&s.db, &s.tasks, who, id, LISTED).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap
        .get(id)
        .cloned()
        .ok_or(app::error::AppError::NotFound)?;
    let names = queue
        .0
        .iter()
        .filter_map(|c| snap.get(c.unit_id))
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    let status = form_status(&refused.errors);
    html_status(
        status,
        ClaimsTpl {
            p: PageCtx::from(ctx, &format!("/org/{id}/claims")),
            unit,
            queue,
            names,
            refused,
        },
    )
}
