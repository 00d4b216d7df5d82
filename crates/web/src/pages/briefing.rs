//! A programme's briefing: the report the Steering Committee forwards ("Báo cáo tình hình thực
//! hiện…"), as a printable page and as an XLSX workbook. Both are drawn from the same tables, so
//! the paper and the spreadsheet never disagree.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{Ctx, PathId};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, html};
use crate::pages::programmes::BAR_ORDER;
use app::export::{Cell, Table};

pub fn router() -> Router<AppState> {
    Router::new().route("/programmes/{id}/briefing", get(briefing_page))
}

#[derive(serde::Deserialize)]
struct BriefingQ {
    /// Judge as of this date (default today).
    as_of: Option<NaiveDate>,
    /// `xlsx` downloads the workbook; otherwise the page.
    format: Option<String>,
}

#[derive(Template)]
#[template(path = "briefing.html")]
struct BriefingTpl {
    p: PageCtx,
    programme: app::records::Programme,
    owner: String,
    as_of: NaiveDate,
    dated: String,
    title: String,
    as_of_line: String,
    summary: String,
    sections: Vec<Table>,
    source: String,
}

impl BriefingTpl {
    /// A cell as the reader's language writes it (shares are percentages with one decimal).
    fn cell(&self, c: &Cell) -> String {
        let lang = self.p.lang;
        match c {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => lang.int(*n),
            Cell::Float(v) if v.is_finite() => lang.percent1((v * 10.0).round() as i64),
            Cell::Date(d) => lang.date(*d),
            Cell::Float(_) | Cell::Empty => "—".into(),
        }
    }
    fn numeric(&self, c: &Cell) -> bool {
        matches!(c, Cell::Int(_) | Cell::Float(_))
    }
}

/// "ngày 5 tháng 12 năm 2026", as Vietnamese documents are dated; other languages their date.
fn dated(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Vi => format!("ngày {} tháng {} năm {}", d.day(), d.month(), d.year()),
        _ => lang.date(d),
    }
}

async fn briefing_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<BriefingQ>,
) -> AppResult<Response> {
    let xlsx = match q.format.as_deref().map(str::trim) {
        None | Some("" | "html") => false,
        Some(f) if f.eq_ignore_ascii_case("xlsx") => true,
        Some(_) => {
            return Err(app::error::AppError::invalid(domain::FieldError::new(
                "format",
                "err-invalid",
            ))
            .into());
        }
    };
    let lang = ctx.lang;
    let who = ctx.who.as_ref();
    // The same use cases as the programme page and the Committee's home: the same scope, the
    // same figures.
    let query = app::programmes::OverviewQuery {
        as_of: q.as_of,
        due_from: None,
        due_to: None,
    };
    let o = app::programmes::programme_overview(&s.db, &s.org, &s.tasks, who, id, query).await?;
    let l = app::programmes::league(&s.db, &s.org, &s.tasks, who, id, Some(o.as_of)).await?;
    let titles: std::collections::HashMap<i64, String> =
        app::programmes::tasks(&s.db, &s.org, &s.tasks, who, id, None, None)
            .await?
            .into_iter()
            .map(|(t, _)| (t.id, format!("{}. {}", t.code, t.title)))
            .collect();
    let snap = s.org.snapshot(&s.db).await?;
    let name = |u: i64| {
        snap.get(u)
            .map(|u| u.name(lang.code()).to_string())
            .unwrap_or_default()
    };
    let sections = sections(lang, &o, &l, &titles, &name);
    if xlsx {
        let bytes = app::export::render_book(&sections).map_err(app::error::AppError::internal)?;
        let file = format!("{}-{}.xlsx", lang.t("briefing-file"), o.as_of);
        return Ok(crate::api::export::download(
            bytes,
            app::export::Format::Xlsx.content_type(),
            &file,
        ));
    }
    let summary = crate::pages::programmes::summary(lang, &o.overview.tasks, o.as_of);
    let today = domain::clock::local_date(chrono::Utc::now());
    let p = PageCtx::from(&ctx, &format!("/programmes/{id}/briefing"));
    let param = |k: &str, v: String| [(k.to_string(), v)];
    html(BriefingTpl {
        owner: name(o.programme.owner_unit_id),
        as_of: o.as_of,
        dated: dated(lang, today),
        title: lang.tf("briefing-title", &param("name", o.programme.name.clone())),
        as_of_line: lang.tf("briefing-as-of", &param("date", lang.date(o.as_of))),
        summary,
        sections,
        source: lang.tf(
            "briefing-source",
            &param("time", p.datetime(&chrono::Utc::now())),
        ),
        programme: o.programme,
        p,
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::TASKS))
}

/// The briefing's four tables: tasks by status, by group, the lead units' record against their
/// deadlines (ranked as on the Committee's home), and the lead work overdue.
fn sections(
    lang: Lang,
    o: &app::programmes::ProgrammeOverview,
    l: &app::programmes::League,
    titles: &std::collections::HashMap<i64, String>,
    name: &dyn Fn(i64) -> String,
) -> Vec<Table> {
    let t = |k: &str| lang.t(k).to_string();
    let status_name = |st: &str| lang.t(&format!("status-{st}")).to_string();
    let count = |c: &domain::overview::Counts, st: &str| c.by_status.get(st).copied().unwrap_or(0);
    // Every status that occurs, in the order of the bars, then any other (cancelled…).
    let mut statuses: Vec<&str> = BAR_ORDER.iter().map(|s| s.as_str()).collect();
    for st in o.overview.tasks.by_status.keys() {
        if !statuses.contains(st) {
            statuses.push(st);
        }
    }
    let by_status = Table {
        title: t("briefing-s1"),
        headers: vec![t("briefing-status"), t("briefing-tasks")],
        rows: statuses
            .iter()
            .map(|st| vec![status_name(st).into(), count(&o.overview.tasks, st).into()])
            .chain(std::iter::once(vec![
                t("briefing-total").into(),
                o.overview.tasks.total.into(),
            ]))
            .collect(),
    };
    let mut group_headers = vec![t("briefing-group"), t("briefing-total"), t("briefing-due")];
    group_headers.extend(statuses.iter().map(|st| status_name(st)));
    let by_group = Table {
        title: t("briefing-s2"),
        headers: group_headers,
        rows: o
            .groups
            .iter()
            .filter_map(|g| o.overview.per_group.get(&g.id).map(|c| (g, c)))
            .map(|(g, c)| {
                let mut row: Vec<Cell> = vec![
                    format!("{}. {}", g.code, g.title).into(),
                    c.total.into(),
                    c.due.into(),
                ];
                row.extend(statuses.iter().map(|st| Cell::Int(count(c, st))));
                row
            })
            .collect(),
    };
    let by_unit = Table {
        title: t("briefing-s3"),
        headers: vec![
            "#".into(),
            t("briefing-unit"),
            t("briefing-due"),
            t("briefing-on-time"),
            t("briefing-late"),
            t("briefing-open"),
            t("briefing-share"),
        ],
        rows: l
            .units
            .iter()
            .enumerate()
            .map(|(i, (u, r))| {
                vec![
                    Cell::Int(i as i64 + 1),
                    name(*u).into(),
                    r.due.into(),
                    r.on_time.into(),
                    r.late.into(),
                    r.open.into(),
                    r.permille()
                        .map_or(Cell::Empty, |p| Cell::Float(p as f64 / 10.0)),
                ]
            })
            .collect(),
    };
    let overdue = Table {
        title: t("briefing-s4"),
        headers: vec![
            t("briefing-task"),
            t("briefing-unit"),
            t("briefing-deadline"),
            t("briefing-days-late"),
        ],
        rows: l
            .overdue
            .iter()
            .map(|i| {
                vec![
                    titles.get(&i.task_id).cloned().unwrap_or_default().into(),
                    name(i.unit_id).into(),
                    i.due.into(),
                    (l.as_of - i.due).num_days().into(),
                ]
            })
            .collect(),
    };
    vec![by_status, by_group, by_unit, overdue]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_documents_are_dated_in_words() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(dated(Lang::Vi, d), "ngày 5 tháng 12 năm 2026");
        assert_eq!(dated(Lang::En, d), Lang::En.date(d));
    }
}
