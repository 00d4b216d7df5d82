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
use crate::pages::common::{PageCtx, html};
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
    claims: Vec<app::records::PendingClaim>,
    total: i64,
    names: std::collections::HashMap<i64, String>,
}

impl ClaimsTpl {
    fn unit_of(&self, id: &i64) -> &str {
        self.names.get(id).map(String::as_str).unwrap_or("")
    }
}

async fn claims_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let (claims, total) = app::reports::claims_waiting(&s.db, who, id, LISTED).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap
        .get(id)
        .cloned()
        .ok_or(app::error::AppError::NotFound)?;
    let names = claims
        .iter()
        .filter_map(|c| snap.get(c.unit_id))
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    html(ClaimsTpl {
        p: PageCtx::from(&ctx, &format!("/org/{id}/claims")),
        unit,
        claims,
        total,
        names,
    })
}
