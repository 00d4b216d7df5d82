//! The home page: counts of provinces, communes and central agencies.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::pages::common::{PageCtx, html};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    p: PageCtx,
    provinces: i64,
    communes: i64,
    agencies: i64,
}

async fn home(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let count = |kind: &str| app::org::ListQuery {
        kind: Some(kind.into()),
        per_page: Some(1),
        ..Default::default()
    };
    let provinces = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("province"))
        .await?
        .total;
    let mut communes = 0;
    for k in ["commune", "ward", "special_zone"] {
        communes += app::org::list(&s.db, &s.org, ctx.who.as_ref(), count(k))
            .await?
            .total;
    }
    let agencies = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("central_agency"))
        .await?
        .total;
    html(HomeTpl {
        p: PageCtx::from(&ctx, "/"),
        provinces,
        communes,
        agencies,
    })
}
