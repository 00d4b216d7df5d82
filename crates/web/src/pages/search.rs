//! The search page: one box in every page's header leads here. Without a type, the best hits
//! of each type, grouped; with one, its hits ranked and paged.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::api::search::SearchParams;
use crate::charts::esc;
use crate::error::AppResult;
use crate::extract::Ctx;
use crate::pages::common::{PageCtx, encode_component, html};
use app::search::{Hit, Results};
use domain::search::{Kind, Piece};

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

/// Hits per type in the grouped view.
const GROUPED: usize = 5;

/// One type's hits, as the page shows them.
struct Group {
    kind: Kind,
    count: usize,
    capped: bool,
    hits: Vec<Hit>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchTpl {
    p: PageCtx,
    q: String,
    kind: Option<Kind>,
    unit: Option<i64>,
    r: Results,
    groups: Vec<Group>,
    /// (type or "", label, count as shown, link, chosen)
    tabs: Vec<(String, &'static str, String, String, bool)>,
    next: String,
}

impl SearchTpl {
    /// Pieces as HTML, the matched syllables marked.
    fn marked(&self, pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| {
                if p.hit {
                    format!("<mark>{}</mark>", esc(&p.text))
                } else {
                    esc(&p.text)
                }
            })
            .collect()
    }

    fn type_label(&self, k: &Kind) -> &'static str {
        self.p.t(&format!("search-type-{}", k.as_str()))
    }

    fn link(&self, kind: &Kind) -> String {
        link(&self.q, Some(*kind), self.unit, None)
    }

    fn count(&self, n: &usize, capped: &bool) -> String {
        count(&self.p, *n, *capped)
    }
}

/// A count as the reader's language writes it; one that stopped at the cap as "10,000+".
fn count(p: &PageCtx, n: usize, capped: bool) -> String {
    let s = p.int(&(n as i64));
    if capped { s + "+" } else { s }
}

fn link(q: &str, kind: Option<Kind>, unit: Option<i64>, cursor: Option<&str>) -> String {
    let mut s = format!("/search?q={}", encode_component(q));
    if let Some(k) = kind {
        s.push_str(&format!("&type={}", k.as_str()));
    }
    if let Some(u) = unit {
        s.push_str(&format!("&unit={u}"));
    }
    if let Some(c) = cursor {
        s.push_str(&format!("&cursor={}", encode_component(c)));
    }
    s
}

async fn search_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(params): Query<SearchParams>,
) -> AppResult<Response> {
    let query = params.query()?;
    let who = ctx.who.as_ref();
    let r = s.search.search(&s.org, &s.db, who, &query).await?;
    let mut groups = vec![];
    if query.kind.is_none() && r.ready {
        // The best few of each type that has hits.
        for f in &r.facets {
            let one = app::search::SearchQuery {
                kind: Some(f.kind),
                limit: Some(GROUPED),
                cursor: None,
                skip_facets: true,
                ..query.clone()
            };
            let hits = s.search.search(&s.org, &s.db, who, &one).await?.hits;
            groups.push(Group {
                kind: f.kind,
                count: f.count,
                capped: f.capped,
                hits,
            });
        }
    }
    let p = PageCtx::from(&ctx, &ctx.path);
    let mut tabs = vec![(
        String::new(),
        ctx.lang.t("search-type-all"),
        count(&p, r.total, r.capped),
        link(&query.q, None, query.unit, None),
        query.kind.is_none(),
    )];
    for f in &r.facets {
        tabs.push((
            f.kind.as_str().to_string(),
            ctx.lang.t(&format!("search-type-{}", f.kind.as_str())),
            count(&p, f.count, f.capped),
            link(&query.q, Some(f.kind), query.unit, None),
            query.kind == Some(f.kind),
        ));
    }
    let next = match (&r.next_cursor, query.kind) {
        (Some(c), Some(k)) => link(&query.q, Some(k), query.unit, Some(c)),
        _ => String::new(),
    };
    html(SearchTpl {
        p,
        q: query.q.clone(),
        kind: query.kind,
        unit: query.unit,
        r,
        groups,
        tabs,
        next,
    })
}
