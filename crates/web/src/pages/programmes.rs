//! Programme pages: the list, and one programme's overview with bars and charts drawn server-side.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{Ctx, PathId};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, form_status, html};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/programmes", get(programmes_page))
        .route("/programmes/{id}", get(programme_page))
        .route("/programmes/{id}/deadlines", get(deadlines_page))
        .route("/programmes/{id}/tasks", get(tasks_page))
        .route("/programmes/{id}/proposals", post(propose))
        .route("/proposals/{id}/decide", post(decide_proposal))
}

#[derive(serde::Deserialize)]
struct DeadlinesQ {
    /// overdue (default) or soon (due within 30 days).
    list: Option<String>,
}

#[derive(Template)]
#[template(path = "deadlines.html")]
struct DeadlinesTpl {
    p: PageCtx,
    heading: &'static str,
    overdue: bool,
    items: Vec<app::programmes::DeadlineItem>,
    l: app::programmes::League,
    titles: std::collections::HashMap<i64, String>,
    names: std::collections::HashMap<i64, String>,
}

impl DeadlinesTpl {
    fn task_of(&self, id: &i64) -> &str {
        self.titles.get(id).map(String::as_str).unwrap_or("")
    }
    fn unit_of(&self, id: &i64) -> &str {
        self.names.get(id).map(String::as_str).unwrap_or("")
    }
    fn days_late(&self, i: &app::programmes::DeadlineItem) -> String {
        self.p.lang.int((self.l.as_of - i.due).num_days())
    }
}

/// A programme's lead work overdue or due within 30 days, every row: the list behind the
/// numbers on the Steering Committee's home.
async fn deadlines_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<DeadlinesQ>,
) -> AppResult<Response> {
    let overdue = match q.list.as_deref() {
        None | Some("overdue") => true,
        Some("soon") => false,
        Some(_) => {
            return Err(app::error::AppError::invalid(domain::FieldError::new(
                "list",
                "err-invalid",
            ))
            .into());
        }
    };
    let mut l =
        app::programmes::league(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, None).await?;
    let items = std::mem::take(if overdue {
        &mut l.overdue
    } else {
        &mut l.due_30
    });
    let snap = s.org.snapshot(&s.db).await?;
    let names = items
        .iter()
        .filter_map(|i| snap.get(i.unit_id))
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    // Titles cut at a word near 140 characters: the task page has the full text.
    let titles = app::programmes::tasks(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, None, None)
        .await?
        .into_iter()
        .map(|(t, _)| {
            (
                t.id,
                format!("{}. {}", t.code, domain::text::cut_at_word(&t.title, 140)),
            )
        })
        .collect();
    // The same for every anonymous visitor; the cache keeps it only for them.
    html(DeadlinesTpl {
        p: PageCtx::from(&ctx, &format!("/programmes/{id}/deadlines")),
        heading: ctx.lang.t(if overdue {
            "home-overdue-title"
        } else {
            "home-soon-title"
        }),
        overdue,
        items,
        l,
        titles,
        names,
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::TASKS))
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct ProgrammesTpl {
    p: PageCtx,
    programmes: Vec<app::records::Programme>,
}

async fn programmes_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let programmes = app::programmes::list(&s.db, ctx.who.as_ref()).await?;
    html(ProgrammesTpl {
        p: PageCtx::from(&ctx, "/programmes"),
        programmes,
    })
}

/// Lead units shown open on a programme's page, the most overdue first.
const UNITS_OPEN: usize = 40;

/// Tasks listed on a programme's overview; the rest are on its task list, a page of
/// [`TASKS_PER_PAGE`] at a time, so that the overview of a national programme stays light.
const TASKS_OPEN: usize = 20;
const TASKS_PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "programme_tasks.html")]
struct ProgrammeTasksTpl {
    p: PageCtx,
    programme: app::records::Programme,
    /// "Tasks 101–200 of 412".
    range: String,
    tasks: Vec<(app::records::Task, String)>,
    prev_link: String,
    next_link: String,
}

/// Task titles in lists cut at a word near 200 characters (some annex tasks run to 1,500):
/// the task's page has the whole text.
fn short_titles(
    tasks: impl IntoIterator<Item = (app::records::Task, String)>,
) -> Vec<(app::records::Task, String)> {
    tasks
        .into_iter()
        .map(|(mut t, st)| {
            t.title = domain::text::cut_at_word(&t.title, 200);
            (t, st)
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct TasksQ {
    page: Option<i64>,
}

/// Every task of a programme with its status today, a page at a time.
async fn tasks_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<TasksQ>,
) -> AppResult<Response> {
    let page = q.page.unwrap_or(1);
    if page < 1 {
        return Err(
            app::error::AppError::invalid(domain::FieldError::new("page", "err-invalid")).into(),
        );
    }
    let programme = app::programmes::get(&s.db, &s.tasks, ctx.who.as_ref(), id).await?;
    let all =
        app::programmes::tasks(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, None, None).await?;
    let total = all.len() as i64;
    let skip = ((page - 1) as usize).saturating_mul(TASKS_PER_PAGE);
    let tasks: Vec<_> = short_titles(all.into_iter().skip(skip).take(TASKS_PER_PAGE));
    let shown = tasks.len() as i64;
    let (prev_link, next_link) = crate::pages::common::pager(
        &format!("/programmes/{id}/tasks"),
        page,
        TASKS_PER_PAGE as i64,
        total,
    );
    html(ProgrammeTasksTpl {
        p: PageCtx::from(&ctx, &format!("/programmes/{id}/tasks")),
        range: ctx.lang.tf(
            "tasks-range",
            &[
                // Past the end: "0–0 of N", not a range that does not exist.
                (
                    "from".into(),
                    ctx.lang.int(if shown > 0 { skip as i64 + 1 } else { 0 }),
                ),
                (
                    "to".into(),
                    ctx.lang
                        .int(if shown > 0 { skip as i64 + shown } else { 0 }),
                ),
                ("n".into(), ctx.lang.int(total)),
            ],
        ),
        programme,
        tasks,
        prev_link,
        next_link,
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::TASKS))
}

/// One horizontal bar, drawn on the server.
pub struct Bar {
    label: String,
    /// The list behind the row (the unit's work), when there is one.
    href: Option<String>,
    total: i64,
    svg: String,
    /// The counts as words ("3 overdue · 5 completed on time"): readable without hovering.
    detail: String,
}

pub(crate) const BAR_ORDER: [domain::status::Status; 6] = {
    use domain::status::Status::*;
    [
        CompletedOnTime,
        CompletedLate,
        InProgress,
        AtRisk,
        NotStarted,
        Overdue,
    ]
};

/// A stacked bar (SVG) of counts per status; the title of each segment reads as text for screen readers.
fn bar(lang: Lang, label: String, counts: &domain::overview::Counts) -> Bar {
    const W: f64 = 240.0;
    let mut x = 0.0;
    let mut rects = String::new();
    let mut detail = vec![];
    for st in BAR_ORDER {
        let n = counts.by_status.get(st.as_str()).copied().unwrap_or(0);
        if n == 0 || counts.total == 0 {
            continue;
        }
        let w = W * n as f64 / counts.total as f64;
        rects.push_str(&format!(
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"14\"><title>{}: {}</title></rect>",
            st.as_str(),
            lang.t(&format!("status-{}", st.as_str())),
            lang.int(n)
        ));
        x += w;
        detail.push(format!(
            "{} {}",
            lang.int(n),
            lang.t(&format!("status-{}", st.as_str())).to_lowercase()
        ));
    }
    let svg = format!(
        "<svg class=\"bar\" width=\"240\" height=\"14\" role=\"img\" aria-label=\"{}\">{rects}</svg>",
        html_escape(&label)
    );
    Bar {
        label,
        href: None,
        total: counts.total,
        svg,
        detail: detail.join(" · "),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "N tasks (D due by <as of>): A completed on time, …" in the page language.
pub(crate) fn summary(
    lang: Lang,
    c: &domain::overview::Counts,
    as_of: chrono::NaiveDate,
) -> String {
    let n = |k: &str| {
        (
            k.to_string(),
            lang.int(c.by_status.get(k).copied().unwrap_or(0)),
        )
    };
    lang.tf(
        "overview-summary",
        &[
            ("total".into(), lang.int(c.total)),
            ("due".into(), lang.int(c.due)),
            ("as_of".into(), lang.date(as_of)),
            n("completed_on_time"),
            n("completed_late"),
            n("in_progress"),
            n("at_risk"),
            n("not_started"),
            n("overdue"),
        ],
    )
}

#[derive(Template)]
#[template(path = "programme.html")]
struct ProgrammeTpl {
    p: PageCtx,
    o: std::sync::Arc<app::programmes::ProgrammeOverview>,
    summary: String,
    group_bars: Vec<Bar>,
    unit_bars: Vec<Bar>,
    /// Lead units after the first [`UNITS_OPEN`], behind a "N more" disclosure.
    more_units: Vec<Bar>,
    more_units_label: String,
    units_count: i64,
    legend: Vec<(&'static str, &'static str)>,
    /// The first [`TASKS_OPEN`] tasks; `tasks_total` in all, on the task list.
    tasks: Vec<(app::records::Task, String)>,
    tasks_total: i64,
    /// "See all 412 tasks", when some are not listed here.
    all_tasks_label: String,
    /// How many listed tasks have no lead unit in the system, when some do not.
    unled_note: String,
    timeline_svg: String,
    trend_svg: String,
    periodic: Vec<(&'static str, i64)>,
    /// The signed-in unit may propose a task of its own under this programme.
    can_propose: bool,
    /// Proposals waiting (for those who read internal work) and whether the viewer decides them.
    proposals: Vec<app::records::Task>,
    can_decide: bool,
    errors: Vec<domain::FieldError>,
    /// What a refused proposal form held, shown again.
    draft: ProposalForm,
}

async fn programme_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<app::programmes::OverviewQuery>,
) -> AppResult<Response> {
    render_programme(&s, &ctx, id, q, vec![], ProposalForm::default())
        .await
        .map(|r| crate::cache::public(r, crate::cache::Deps::TASKS))
}

async fn render_programme(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    q: app::programmes::OverviewQuery,
    errors: Vec<domain::FieldError>,
    draft: ProposalForm,
) -> AppResult<Response> {
    let as_of = q.as_of;
    let o = app::programmes::programme_overview(
        &s.db,
        &s.org,
        &s.tasks,
        &s.overviews,
        ctx.who.as_ref(),
        id,
        q,
    )
    .await?;
    let lang = ctx.lang;
    let group_bars = o
        .groups
        .iter()
        .filter_map(|g| {
            o.overview
                .per_group
                .get(&g.id)
                .map(|c| bar(lang, format!("{}. {}", g.code, g.title), c))
        })
        .collect();
    let snap = s.org.snapshot(&s.db).await?;
    let mut units: Vec<(&i64, &domain::overview::Counts)> = o.overview.per_unit.iter().collect();
    // Units with the most overdue work first: that is what a leader looks for.
    units.sort_by_key(|(_, c)| {
        std::cmp::Reverse((c.by_status.get("overdue").copied().unwrap_or(0), c.total))
    });
    // Every lead unit is listed: the first ones open, the rest behind "N more" (no JavaScript).
    let mut unit_bars: Vec<Bar> = units
        .into_iter()
        .map(|(uid, c)| Bar {
            href: Some(format!("/org/{uid}/worklist")),
            ..bar(
                lang,
                snap.get(*uid)
                    .map(|u| u.name(lang.code()).to_string())
                    .unwrap_or_default(),
                c,
            )
        })
        .collect();
    let units_count = unit_bars.len() as i64;
    let more_units = unit_bars.split_off(UNITS_OPEN.min(unit_bars.len()));
    let more_units_label = lang.tf(
        "more-units",
        &[("n".into(), lang.int(more_units.len() as i64))],
    );
    let legend = BAR_ORDER
        .iter()
        .map(|st| (st.as_str(), lang.t(&format!("status-{}", st.as_str()))))
        .collect();
    let mut tasks =
        app::programmes::tasks(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, None, as_of).await?;
    let tasks_total = tasks.len() as i64;
    tasks.truncate(TASKS_OPEN);
    let tasks = short_titles(tasks);
    // Tasks whose lead is only described in words ("the selected localities", "digital
    // technology enterprises") have no lead assignment, so no status: listed, but not in the
    // figures above, and the page says so (without a due window the two counts compare).
    let unled = tasks_total - o.overview.tasks.total;
    let unled_note = if o.due_from.is_none() && o.due_to.is_none() && unled > 0 {
        lang.tf("unled-note", &[("n".into(), lang.int(unled))])
    } else {
        String::new()
    };
    let all_tasks_label = if tasks_total > TASKS_OPEN as i64 {
        lang.tf("all-tasks", &[("n".into(), lang.int(tasks_total))])
    } else {
        String::new()
    };
    let charts = app::programmes::programme_charts(
        &s.db,
        &s.org,
        &s.tasks,
        &s.charts,
        ctx.who.as_ref(),
        id,
        as_of,
    )
    .await?;
    let periodic = [
        "reported_with_results",
        "reported_without_results",
        "not_reported",
    ]
    .into_iter()
    .map(|k| (k, o.periodic.counts.get(k).copied().unwrap_or(0)))
    .collect();
    let (mut can_propose, mut proposals, mut can_decide) = (false, vec![], false);
    if let Some(who) = ctx.who.as_ref() {
        use domain::policy::{Action, Decision, Scope, authorize};
        let snap = s.org.snapshot(&s.db).await?;
        let may = |a: Action, unit: i64| {
            authorize(Some(who), a, Scope::Unit(&snap.chain(unit))) == Decision::Allow
        };
        can_propose = may(Action::ProposeTask, who.unit_id);
        can_decide = may(Action::VerifyCompletion, o.programme.owner_unit_id);
        if authorize(Some(who), Action::ReadInternal, Scope::Global) == Decision::Allow {
            proposals = app::work::proposals(&s.db, Some(who), id).await?;
        }
    }
    let status = form_status(&errors);
    crate::pages::common::html_status(
        status,
        ProgrammeTpl {
            can_propose,
            proposals,
            can_decide,
            errors,
            draft,
            timeline_svg: crate::charts::timeline(lang, &charts.timeline),
            trend_svg: crate::charts::trend(lang, &charts.trend),
            periodic,
            summary: summary(lang, &o.overview.tasks, o.as_of),
            p: PageCtx::from(ctx, &format!("/programmes/{id}")),
            o,
            group_bars,
            unit_bars,
            more_units,
            more_units_label,
            units_count,
            legend,
            tasks,
            all_tasks_label,
            unled_note,
            tasks_total,
        },
    )
}

#[derive(serde::Deserialize, Default)]
pub struct ProposalForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub result: String,
}

/// A unit proposes a task of its own; a refused form shows the page again with the messages
/// next to the fields and what was typed.
async fn propose(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<ProposalForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let opt = |v: &str| Some(v.to_string()).filter(|v| !v.trim().is_empty());
    let r = app::work::propose(
        &s.db,
        who,
        id,
        app::work::Proposal {
            title: f.title.clone(),
            description: opt(&f.description),
            deadline: f.deadline.clone(),
            result: opt(&f.result),
            group_id: None,
            unit_id: None,
        },
    )
    .await;
    match r {
        Ok(t) => Ok(Redirect::to(&format!("/tasks/{}", t.id)).into_response()),
        Err(app::error::AppError::Invalid(errors) | app::error::AppError::Conflict(errors)) => {
            render_programme(&s, &ctx, id, Default::default(), errors, f).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide_proposal(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(task_id): PathId,
    crate::extract::CsrfForm(f): crate::extract::CsrfForm<DecisionForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let programme = app::programmes::programme_of_task(&s.db, task_id).await?;
    let r = app::work::decide_proposal(
        &s.db,
        who,
        task_id,
        app::work::ProposalDecision {
            approve: f.decision == "approve",
            comment: Some(f.comment),
        },
    )
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/programmes/{programme}#proposals")).into_response()),
        Err(app::error::AppError::Invalid(errors) | app::error::AppError::Conflict(errors)) => {
            render_programme(
                &s,
                &ctx,
                programme,
                Default::default(),
                errors,
                Default::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
