//! The accountability report of a unit in an edition: what its leader answers for, on one
//! printable page — the result and how sure it is, the change since the edition before, each
//! pillar against the group's median, the measures furthest above and below it, and the overdue
//! work the unit leads, with the edition's hash so that anyone can check the figures.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{grade_name, method_name};
use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::AppResult;
use crate::extract::{ApiQuery, Ctx, PathIds};
use crate::pages::common::{PageCtx, html};
use crate::pages::home::Attention;
use app::export::{Cell, Table};
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
    /// The unit's indicators off their path or with late data.
    indicators: Vec<Attention>,
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

    /// The report as sheets of a workbook: the result, the pillars, the overdue work, the
    /// indicators needing attention.
    fn tables(&self) -> Vec<Table> {
        let lang = self.p.lang;
        let t = |k: &str| lang.t(k).to_string();
        let u = &self.card.unit;
        let result = Table {
            title: t("rk-report-result"),
            headers: vec![
                t("rk-unit"),
                t("rk-period"),
                t("rk-as-of"),
                t("rk-score"),
                t("rk-rank"),
                t("rk-grade"),
                t("rk-rank-low"),
                t("rk-rank-high"),
            ],
            rows: vec![vec![
                u.name.clone().into(),
                self.card.head.edition.period.clone().into(),
                self.card.head.edition.as_of.into(),
                u.score.into(),
                u.rank.into(),
                u.grade.as_deref().map(|g| self.grade(g)).into(),
                u.rank_low.into(),
                u.rank_high.into(),
            ]],
        };
        let pillars = Table {
            title: t("rk-report-pillars"),
            headers: vec![t("rk-part"), t("rk-points"), t("rk-median")],
            rows: self
                .pillars
                .iter()
                .map(|l| vec![l.name.clone().into(), l.part.points.into(), l.median.into()])
                .collect(),
        };
        let overdue = Table {
            title: t("rk-report-overdue"),
            headers: vec![t("rk-code"), t("rk-task"), t("rk-due"), t("rk-days-late")],
            rows: self
                .overdue
                .iter()
                .map(|(w, late)| {
                    vec![
                        w.task.code.clone().into(),
                        w.task.title.clone().into(),
                        w.due.into(),
                        Cell::Int(*late),
                    ]
                })
                .collect(),
        };
        let indicators = Table {
            title: t("rk-report-indicators"),
            headers: vec![
                t("rk-indicator"),
                t("rk-state"),
                t("rk-period"),
                t("rk-raw"),
            ],
            rows: self
                .indicators
                .iter()
                .map(|(_, name, status, value, period)| {
                    vec![
                        name.clone().into(),
                        lang.t(&format!("ind-status-{status}")).into(),
                        period.clone().into(),
                        value.clone().into(),
                    ]
                })
                .collect(),
        };
        vec![result, pillars, overdue, indicators]
    }
}

#[derive(Deserialize, Default)]
pub(super) struct ReportQuery {
    /// xlsx: the report as a workbook, one sheet per part.
    format: Option<String>,
}

pub(super) async fn report_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> AppResult<Response> {
    // Several tables make a workbook, not one CSV file.
    let xlsx = match q.format.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("xlsx") => true,
        Some(_) => {
            return Err(app::error::AppError::invalid(domain::FieldError::new(
                "format",
                "err-format-xlsx",
            ))
            .into());
        }
    };
    let who = ctx.who.as_ref();
    let lang = ctx.lang.code();
    let card = app::rankings::scorecard(&s.db, &s.org, who, id, unit, lang).await?;
    // The cached lines, not a copy of every unit: only their count and the method are needed.
    let (_, document, lines) =
        app::rankings::edition_lines(&s.db, &s.org, &s.rank_lines, who, id, lang).await?;
    let ranked = lines.units.iter().filter(|u| u.rank.is_some()).count();
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
    let indicators = crate::pages::home::attention(&s, &ctx, who, unit).await?;
    let t = ReportTpl {
        p: PageCtx::from(&ctx, &format!("/rankings/{id}/units/{unit}/report")),
        document,
        card,
        ranked,
        before,
        pillars,
        strengths,
        weaknesses,
        overdue,
        overdue_total,
        today,
        indicators,
    };
    if xlsx {
        let name = format!(
            "{}-{}",
            ctx.lang.t("rk-report-file"),
            t.card.head.edition.period
        );
        let bytes =
            app::export::render_book(&t.tables()).map_err(app::error::AppError::internal)?;
        return Ok(crate::api::export::download(
            bytes,
            app::export::Format::Xlsx.content_type(),
            &format!("{name}.xlsx"),
        ));
    }
    html(t)
        // Built from what the reader may see of published rankings, public work and public
        // indicators: the same for every reader who is not signed in.
        .map(|r| public(r, Deps::RANKING_REPORT))
}
