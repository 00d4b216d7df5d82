//! The audit trail.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;
use crate::error::{AppResult, Problem};
use crate::extract::{ApiQuery, Ctx, PathId};
use app::org::Page;
use app::records::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/audit/{seq}", get(get_audit))
}

/// The audit trail, newest first (administrators and inspectors). Each change is cut at 2,000 characters (`truncated`); the whole record is at `/api/v1/audit/{seq}`.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(app::audit::ListQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn list_audit(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::audit::ListQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    Ok(Json(
        app::audit::list(&s.db, &s.audit_counts, ctx.principal()?, q).await?,
    ))
}

/// One whole record of the audit trail, with its changes uncut (administrators and inspectors).
#[utoipa::path(get, path = "/api/v1/audit/{seq}", tag = "audit", params(("seq" = i64, Path)),
    responses((status = 200, body = AuditEntry), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_audit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(seq): PathId,
) -> AppResult<Json<AuditEntry>> {
    Ok(Json(app::audit::get(&s.db, ctx.principal()?, seq).await?))
}
