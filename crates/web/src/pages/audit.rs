//! The audit trail page, filtered and paged.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::pages::common::{PageCtx, cursor_pager, encode_component, html};
use app::records::AuditEntry;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_page))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    p: PageCtx,
    page: app::org::Page<AuditEntry>,
    action: String,
    object_type: String,
    object_id: String,
    first_link: String,
    next_link: String,
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    /// Older records than this one (the link to the next page).
    after: Option<String>,
    page: Option<i64>,
}

async fn audit_page(
    State(s): State<AppState>,
    ctx: Ctx,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<AuditQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let (action, object_type, object_id) = (
        q.action.unwrap_or_default(),
        q.object_type.unwrap_or_default(),
        q.object_id.unwrap_or_default(),
    );
    let page = app::audit::list(
        &s.db,
        &s.audit_counts,
        who,
        app::audit::ListQuery {
            action: Some(action.clone()),
            object_type: Some(object_type.clone()),
            object_id: Some(object_id.clone()),
            actor: None,
            after: q.after.clone(),
            page: q.page,
            per_page: Some(50),
        },
    )
    .await?;
    let base = format!(
        "/admin/audit?action={}&object_type={}&object_id={}",
        encode_component(&action),
        encode_component(&object_type),
        encode_component(&object_id)
    );
    let deeper = page.page != 1;
    let (first_link, next_link) = cursor_pager(&base, deeper, page.next.as_deref());
    html(AuditTpl {
        p: PageCtx::from(&ctx, "/admin/audit"),
        page,
        action,
        object_type,
        object_id,
        first_link,
        next_link,
    })
}
