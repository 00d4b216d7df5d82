//! The audit trail.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, Ctx};
use app::org::Page;
use app::records::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit", get(list_audit))
}

/// The audit trail, newest first (administrators and inspectors).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(app::audit::ListQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn list_audit(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<app::audit::ListQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    Ok(Json(app::audit::list(&s.db, ctx.principal()?, q).await?))
}
