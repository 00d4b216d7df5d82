//! Lists of feedback: what is published, and what the signed-in account has sent.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, Ctx};
use crate::pages::common::{PageCtx, cursor_pager, encode_component, html};
use crate::pages::feedback::common::{categories, category_name};
use app::feedback::{InboxQuery, PublicItem};
use app::records::Category;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(list_page))
        .route("/feedback/mine", get(mine_page))
}

#[derive(Template)]
#[template(path = "feedback_list.html")]
struct ListTpl {
    p: PageCtx,
    items: Vec<PublicItem>,
    total: i64,
    cats: Vec<Category>,
    kind: String,
    category: String,
    unit: String,
    /// Why the unit typed was not understood (shown next to the field).
    unit_error: String,
    status: String,
    /// Words sought in the published text.
    q: String,
    /// Pages follow one another by position (`after`), so that page 1,000 costs what page 1 does.
    first_link: String,
    next_link: String,
}

impl ListTpl {
    fn cat(&self, code: &str) -> String {
        category_name(&self.p, &self.cats, code)
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    category: Option<String>,
    /// A unit as typed: official code or name, diacritics optional (an internal id from older
    /// links still works). Empty: every unit.
    unit: Option<String>,
    /// answered or closed.
    status: Option<String>,
    page: Option<i64>,
    /// Where the previous page ended (its `next`).
    after: Option<String>,
    /// Words sought in the published text (diacritics optional).
    q: Option<String>,
}

async fn list_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let kind = q.kind.filter(|k| !k.is_empty());
    let category = q.category.filter(|k| !k.is_empty());
    let status = q.status.filter(|k| !k.is_empty());
    let unit_text = q.unit.unwrap_or_default().trim().to_string();
    let mut unit_error = String::new();
    let unit = match unit_text.as_str() {
        "" => None,
        t => match (
            app::org::resolve(&s.db, &s.org, "unit", t).await?,
            t.parse::<i64>(),
        ) {
            (Ok(id), _) => Some(id),
            (Err(_), Ok(id)) => Some(id),
            (Err(e), Err(_)) => {
                unit_error = crate::error::field_message(ctx.lang, &e);
                // Nothing matches a unit nobody could name: an empty list, not every item.
                Some(-1)
            }
        },
    };
    let after = q.after.filter(|a| !a.is_empty());
    let words = q.q.filter(|w| !w.trim().is_empty());
    let page = app::feedback::published(
        &s.db,
        &s.stats,
        s.finder(),
        InboxQuery {
            kind: kind.clone(),
            category: category.clone(),
            unit,
            status: status.clone(),
            page: q.page,
            per_page: Some(50),
            after: after.clone(),
            q: words.clone(),
            ..Default::default()
        },
    )
    .await?;
    // The same filters on every link, then the position.
    let mut base = String::from("/feedback?");
    for (k, v) in [
        ("q", words.as_deref()),
        ("type", kind.as_deref()),
        ("category", category.as_deref()),
        ("unit", Some(unit_text.as_str()).filter(|u| !u.is_empty())),
        ("status", status.as_deref()),
    ] {
        if let Some(v) = v {
            base.push_str(&format!("{k}={}&", encode_component(v)));
        }
    }
    let (first_link, next_link) = cursor_pager(
        &base,
        after.is_some() || q.page.is_some_and(|p| p > 1),
        page.next.as_deref(),
    );
    let (items, total) = (page.items, page.total);
    html(ListTpl {
        p: PageCtx::from(&ctx, "/feedback"),
        items,
        total,
        cats: categories(&s).await?,
        kind: kind.unwrap_or_default(),
        category: category.unwrap_or_default(),
        unit: unit_text,
        unit_error,
        status: status.unwrap_or_default(),
        q: words.clone().unwrap_or_default(),
        first_link,
        next_link,
    })
    // Filtered by words, the page follows the search index, not the versions the cache watches.
    .map(|r| {
        if words.is_some() {
            r
        } else {
            crate::cache::public(r, crate::cache::Deps::FEEDBACK)
        }
    })
}

#[derive(Template)]
#[template(path = "feedback_mine.html")]
struct MineTpl {
    p: PageCtx,
    items: Vec<PublicItem>,
    total: i64,
}

async fn mine_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let (items, total) = app::feedback::mine(
        &s.db,
        ctx.principal()?,
        InboxQuery {
            page: q.page,
            per_page: Some(100),
            ..Default::default()
        },
    )
    .await?;
    html(MineTpl {
        p: PageCtx::from(&ctx, "/feedback/mine"),
        items,
        total,
    })
}
