//! Public feedback statistics, drawn as bars on the server.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, Ctx};
use crate::pages::common::{PageCtx, html};
use app::feedback::Stats;

pub fn router() -> Router<AppState> {
    Router::new().route("/feedback/stats", get(stats_page))
}

/// One bar per measure, drawn on the server.
pub struct StatBar {
    pub label: &'static str,
    pub value: i64,
    pub width: i64,
}

#[derive(Template)]
#[template(path = "feedback_stats.html")]
struct StatsTpl {
    p: PageCtx,
    st: Stats,
    unit_name: String,
    bars: Vec<StatBar>,
    mean: String,
    median: String,
}

#[derive(Deserialize, Default)]
struct StatsQ {
    unit: Option<i64>,
    below: Option<bool>,
    as_of: Option<chrono::NaiveDate>,
}

async fn stats_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<StatsQ>,
) -> AppResult<Response> {
    let st =
        app::feedback::stats(&s.db, &s.stats, q.unit, q.below.unwrap_or(false), q.as_of).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit_name = q
        .unit
        .and_then(|u| snap.get(u))
        .map(|u| u.name(ctx.lang.code()).to_string())
        .unwrap_or_else(|| ctx.lang.t("all-units").to_string());
    let max = st.received.max(1);
    let bar = |label, value: i64| StatBar {
        label,
        value,
        width: value * 300 / max,
    };
    let bars = vec![
        bar("fb-received", st.received),
        bar("fb-answered", st.answered),
        bar("fb-on-time", st.answered_on_time),
        bar("fb-overdue", st.overdue),
    ];
    let lang = ctx.lang;
    let one_decimal = |v: f64| {
        let s = format!("{v:.1}");
        if lang.code() == "en" {
            s
        } else {
            s.replace('.', ",")
        }
    };
    let fresh = st.fresh;
    html(StatsTpl {
        mean: st
            .mean_rating
            .map(one_decimal)
            .unwrap_or_else(|| "—".into()),
        median: st
            .median_days_to_answer
            .map(one_decimal)
            .unwrap_or_else(|| "—".into()),
        p: PageCtx::from(&ctx, "/feedback/stats"),
        st,
        unit_name,
        bars,
    })
    // Figures of a moment ago (served while newer ones are computed) must not outlive it.
    .map(|r| {
        if fresh {
            crate::cache::public(r, crate::cache::Deps::FEEDBACK)
        } else {
            r
        }
    })
}
