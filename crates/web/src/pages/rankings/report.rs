//! The accountability report of a unit in an edition: what its leader answers for, on one
//! printable page — the result and how sure it is, the change since the edition before, each
//! pillar against the group's median, the measures furthest above and below it, and the overdue
//! work the unit leads, with the edition's hash so that anyone can check the figures.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{grade_name, method_name};
use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::AppResult;
use crate::extract::{Ctx, PathIds};
use crate::pages::common::{PageCtx, html};
use app::programmes::{WorkItem, WorklistQuery};
use app::rankings::{CardLine, HistoryPoint, Scorecard};
use domain::ranking::method::Method;

/// Measures listed as strengths and as weaknesses; overdue tasks listed.
const MEASURES_LISTED: usize = 3;
const TASKS_LISTED: usize = 10;

#[derive(Template)]
#[template(path = "ranking_report.html")]
struct ReportTpl {
    p: PageCtx,
    card: Scorecard,
    document: Method,
    /// Units ranked in the edition.
    ranked: usize,
    /// The unit in the edition before (when there is one).
    before: Option<HistoryPoint>,
    pillars: Vec<CardLine>,
    /// (line, points above (+) or below (−) the group's median)
    strengths: Vec<(CardLine, f64)>,
    weaknesses: Vec<(CardLine, f64)>,
    /// Overdue work the unit leads, most days late first: (item, days late).
    overdue: Vec<(WorkItem, i64)>,
    overdue_total: usize,
    today: chrono::NaiveDate,
}

impl ReportTpl {
    fn num(&self, v: &Option<f64>) -> String {
        v.map(|v| self.p.lang.num(v, 1))
            .unwrap_or_else(|| "—".into())
    }
    fn signed(&self, v: &f64) -> String {
        let s = self.p.lang.num(v.abs(), 1);
        if *v > 0.05 {
            format!("+{s}")
        } else if *v < -0.05 {
            format!("−{s}")
        } else {
            "0".into()
        }
    }
    fn gap(&self, l: &CardLine) -> String {
        match (l.part.points, l.median) {
            (Some(p), Some(m)) => self.signed(&(p - m)),
            _ => "—".into(),
        }
    }
    fn grade(&self, g: &str) -> String {
        grade_name(self.p.lang, &self.document, g)
    }
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.card.head.method)
    }
}

pub(super) async fn report_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
) -> AppResult<Response> {
    let who = ctx.who.as_ref();
    let lang = ctx.lang.code();
    let card = app::rankings::scorecard(&s.db, &s.org, who, id, unit, lang).await?;
    let v = app::rankings::edition(&s.db, &s.org, &s.rank_lines, who, id, lang).await?;
    let ranked = v.units.iter().filter(|u| u.rank.is_some()).count();
    let history = app::rankings::history(&s.db, who, id, unit).await?;
    let before = history
        .len()
        .checked_sub(2)
        .and_then(|i| history.get(i))
        .cloned();
    let pillars: Vec<CardLine> = card
        .lines
        .iter()
        .filter(|l| l.depth == 0)
        .cloned()
        .collect();
    // Measures with a value, by their distance from the group's median.
    let mut gaps: Vec<(CardLine, f64)> = card
        .lines
        .iter()
        .filter(|l| l.source.is_some() && l.part.imputed.is_none())
        .filter_map(|l| Some((l.clone(), l.part.points? - l.median?)))
        .collect();
    gaps.sort_by(|a, b| b.1.total_cmp(&a.1));
    let strengths: Vec<(CardLine, f64)> = gaps
        .iter()
        .filter(|(_, g)| *g > 0.05)
        .take(MEASURES_LISTED)
        .cloned()
        .collect();
    let weaknesses: Vec<(CardLine, f64)> = gaps
        .iter()
        .rev()
        .filter(|(_, g)| *g < -0.05)
        .take(MEASURES_LISTED)
        .cloned()
        .collect();
    let today = domain::clock::local_date(chrono::Utc::now());
    let work = app::programmes::worklist(
        &s.db,
        &s.org,
        &s.tasks,
        who,
        unit,
        &WorklistQuery {
            status: Some("overdue".into()),
            lead: Some(true),
            open: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let mut overdue: Vec<(WorkItem, i64)> = work
        .into_iter()
        .map(|w| {
            let late = w.due.map_or(0, |d| (today - d).num_days());
            (w, late)
        })
        .collect();
    overdue.sort_by_key(|(w, late)| (std::cmp::Reverse(*late), w.task.id));
    let overdue_total = overdue.len();
    overdue.truncate(TASKS_LISTED);
    html(ReportTpl {
        p: PageCtx::from(&ctx, &format!("/rankings/{id}/units/{unit}/report")),
        document: v.document,
        card,
        ranked,
        before,
        pillars,
        strengths,
        weaknesses,
        overdue,
        overdue_total,
        today,
    })
    // Built from what the reader may see of published data and of public work: the same for
    // every reader who is not signed in; task data change it too.
    .map(|r| public(r, Deps::RANKINGS_AND_TASKS))
}
