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
    Router::new()
        .route("/programmes/{id}/briefing", get(briefing_page))
        .route("/org/{id}/briefing", get(unit_briefing_page))
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
    /// Where the briefing came from (the programme or unit page) and its name there.
    back: (String, String),
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

/// `?format=`: the workbook (true) or the page (false).
fn wants_xlsx(format: Option<&str>) -> AppResult<bool> {
    match format.map(str::trim) {
        None | Some("" | "html") => Ok(false),
        Some(f) if f.eq_ignore_ascii_case("xlsx") => Ok(true),
        Some(_) => Err(app::error::AppError::invalid(domain::FieldError::new(
            "format",
            "err-invalid",
        ))
        .into()),
    }
}

/// What a briefing says, whatever it is about.
struct Briefing {
    path: String,
    back: (String, String),
    owner: String,
    title: String,
    as_of: NaiveDate,
    summary: String,
    sections: Vec<Table>,
}

/// The page, or with `xlsx` the same tables as a workbook.
fn render(ctx: &Ctx, b: Briefing, xlsx: bool) -> AppResult<Response> {
    let lang = ctx.lang;
    if xlsx {
        let bytes =
            app::export::render_book(&b.sections).map_err(app::error::AppError::internal)?;
        let file = format!("{}-{}.xlsx", lang.t("briefing-file"), b.as_of);
        return Ok(crate::api::export::download(
            bytes,
            app::export::Format::Xlsx.content_type(),
            &file,
        ));
    }
    let p = PageCtx::from(ctx, &b.path);
    let param = |k: &str, v: String| [(k.to_string(), v)];
    let today = domain::clock::local_date(chrono::Utc::now());
    html(BriefingTpl {
        back: b.back,
        owner: b.owner,
        as_of: b.as_of,
        dated: dated(lang, today),
        title: b.title,
        as_of_line: lang.tf("briefing-as-of", &param("date", lang.date(b.as_of))),
        summary: b.summary,
        sections: b.sections,
        source: lang.tf(
            "briefing-source",
            &param("time", p.datetime(&chrono::Utc::now())),
        ),
        p,
    })
}

async fn briefing_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<BriefingQ>,
) -> AppResult<Response> {
    let xlsx = wants_xlsx(q.format.as_deref())?;
    let lang = ctx.lang;
    let who = ctx.who.as_ref();
    // The same use cases as the programme page and the Committee's home: the same scope, the
    // same figures.
    let query = app::programmes::OverviewQuery {
        as_of: q.as_of,
        due_from: None,
        due_to: None,
    };
    let o =
        app::programmes::programme_overview(&s.db, &s.org, &s.tasks, &s.overviews, who, id, query)
            .await?;
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
    let b = Briefing {
        path: format!("/programmes/{id}/briefing"),
        back: (format!("/programmes/{id}"), o.programme.code.clone()),
        owner: name(o.programme.owner_unit_id),
        title: lang.tf(
            "briefing-title",
            &[("name".into(), o.programme.name.clone())],
        ),
        as_of: o.as_of,
        summary: crate::pages::programmes::summary(lang, &o.overview.tasks, o.as_of),
        sections: sections(lang, &o, &l, &titles, &name),
    };
    render(&ctx, b, xlsx).map(|r| crate::cache::public(r, crate::cache::Deps::TASKS))
}

/// A unit's briefing: its lead work in every programme the reader may see, as of a date.
async fn unit_briefing_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<BriefingQ>,
) -> AppResult<Response> {
    let xlsx = wants_xlsx(q.format.as_deref())?;
    let lang = ctx.lang;
    let who = ctx.who.as_ref();
    let as_of = q
        .as_of
        .unwrap_or_else(|| domain::clock::local_date(chrono::Utc::now()));
    let wq = app::programmes::WorklistQuery {
        as_of: Some(as_of),
        lead: Some(true),
        ..Default::default()
    };
    let items = app::programmes::worklist(&s.db, &s.org, &s.tasks, who, id, &wq).await?;
    let programmes = app::programmes::list(&s.db, who).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap.get(id).ok_or(app::error::AppError::NotFound)?;
    let unit_name = unit.name(lang.code()).to_string();
    let parent = unit
        .parent_id
        .and_then(|p| snap.get(p))
        .map(|p| p.name(lang.code()).to_string())
        .unwrap_or_default();
    let sections = unit_sections(lang, id, as_of, &items, &programmes);
    let b = Briefing {
        path: format!("/org/{id}/briefing"),
        back: (format!("/org/{id}/worklist"), unit_name.clone()),
        // The issuer's line names the unit under its parent, as on a letterhead.
        owner: if parent.is_empty() {
            unit_name.clone()
        } else {
            format!("{parent} · {unit_name}")
        },
        title: lang.tf("briefing-unit-title", &[("name".into(), unit_name)]),
        as_of,
        summary: String::new(),
        sections,
    };
    // What a unit's briefing shows depends on who reads it (internal work): never shared.
    render(&ctx, b, xlsx)
}

/// A unit's briefing in three tables: its record against deadlines per programme (the rule of
/// the league tables), its lead work overdue, and what falls due in the next 30 days.
fn unit_sections(
    lang: Lang,
    unit_id: i64,
    as_of: NaiveDate,
    items: &[app::programmes::WorkItem],
    programmes: &[app::records::Programme],
) -> Vec<Table> {
    let t = |k: &str| lang.t(k).to_string();
    let by_programme = Table {
        title: t("briefing-u1"),
        headers: vec![
            t("briefing-programme"),
            t("briefing-tasks"),
            t("briefing-due"),
            t("briefing-on-time"),
            t("briefing-late"),
            t("briefing-open"),
            t("briefing-share"),
        ],
        rows: programmes
            .iter()
            .filter_map(|p| {
                let rows: Vec<domain::overview::Row> = items
                    .iter()
                    .filter(|i| i.task.programme_id == p.id)
                    .map(|i| domain::overview::Row {
                        task_id: i.task.id,
                        group: None,
                        unit_id,
                        facts: i.assignment.facts(),
                    })
                    .collect();
                if rows.is_empty() {
                    return None;
                }
                let r = domain::overview::on_time(&rows, as_of, p.rules())
                    .remove(&unit_id)
                    .unwrap_or_default();
                Some(vec![
                    format!("{} · {}", p.code, p.name).into(),
                    Cell::Int(rows.len() as i64),
                    r.due.into(),
                    r.on_time.into(),
                    r.late.into(),
                    r.open.into(),
                    r.permille()
                        .map_or(Cell::Empty, |p| Cell::Float(p as f64 / 10.0)),
                ])
            })
            .collect(),
    };
    let code = |i: &app::programmes::WorkItem| {
        programmes
            .iter()
            .find(|p| p.id == i.task.programme_id)
            .map(|p| p.code.clone())
            .unwrap_or_default()
    };
    let open = |i: &&app::programmes::WorkItem| {
        !matches!(
            i.status.as_str(),
            "completed_on_time" | "completed_late" | "cancelled" | "superseded"
        )
    };
    let mut overdue: Vec<&app::programmes::WorkItem> = items
        .iter()
        .filter(open)
        .filter(|i| i.due.is_some_and(|d| d < as_of))
        .collect();
    overdue.sort_by_key(|i| (i.due, i.task.id));
    let mut soon: Vec<&app::programmes::WorkItem> = items
        .iter()
        .filter(open)
        .filter(|i| {
            i.due
                .is_some_and(|d| d >= as_of && d <= as_of + chrono::Duration::days(30))
        })
        .collect();
    soon.sort_by_key(|i| (i.due, i.task.id));
    // Overdue: days since the deadline; due soon: days left (both from the as-of date).
    let list =
        |title: &str, last: &str, items: Vec<&app::programmes::WorkItem>, late: bool| Table {
            title: t(title),
            headers: vec![
                t("briefing-task"),
                t("briefing-programme"),
                t("briefing-deadline"),
                t(last),
            ],
            rows: items
                .into_iter()
                .map(|i| {
                    let due = i.due.unwrap_or(as_of);
                    let days = if late { as_of - due } else { due - as_of };
                    vec![
                        format!("{}. {}", i.task.code, i.task.title).into(),
                        code(i).into(),
                        due.into(),
                        days.num_days().into(),
                    ]
                })
                .collect(),
        };
    let overdue = list("briefing-u2", "briefing-days-late", overdue, true);
    let soon = list("briefing-u3", "briefing-days-left", soon, false);
    vec![by_programme, overdue, soon]
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
