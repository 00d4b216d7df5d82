//! Running the background jobs on demand.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiJson, Ctx};
use domain::policy::{Action, Scope};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/jobs/run", post(run_jobs))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct JobsInput {
    /// Judge reminders as of this day (default today).
    as_of: Option<NaiveDate>,
}

/// Run the background jobs now (administrators): reminders, escalation, digests, mail.
#[utoipa::path(post, path = "/api/v1/jobs/run", tag = "admin", request_body = JobsInput,
    responses((status = 200, body = app::jobs::TickReport), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn run_jobs(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiJson(input): ApiJson<JobsInput>,
) -> AppResult<Json<app::jobs::TickReport>> {
    app::require(ctx.who.as_ref(), Action::RunJobs, Scope::Global)?;
    let now = Utc::now();
    Ok(Json(
        app::jobs::tick(
            &s.db,
            &s.mailer,
            &s.cfg.public_base_url,
            now,
            input.as_of.unwrap_or(domain::clock::local_date(now)),
        )
        .await?,
    ))
}
