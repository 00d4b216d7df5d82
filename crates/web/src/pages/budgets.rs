//! Resources: a task's budget with the form of the units assigned to it, and a programme's
//! budget per unit and year.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, PathId};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, form_status, html, html_status};
use app::budgets::{ProgrammeBudget, TaskBudget, UnitYear};
use app::error::AppError;
use domain::FieldError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks/{id}/budget", get(task_page))
        .route("/assignments/{id}/budget", post(save))
        .route("/programmes/{id}/budget", get(programme_page))
}

/// Million đồng, as the language writes numbers.
fn amount(lang: Lang, v: f64) -> String {
    lang.num(v, 1)
}

fn rate(lang: Lang, planned: f64, disbursed: f64) -> String {
    if planned > 0.0 {
        lang.percent1((disbursed / planned * 1000.0).round() as i64)
    } else {
        "—".into()
    }
}

#[derive(Template)]
#[template(path = "budget_task.html")]
struct TaskTpl {
    p: PageCtx,
    b: TaskBudget,
    /// (unit, year, source label, planned, disbursed, rate)
    lines: Vec<(String, i32, String, String, String, String)>,
    total: (String, String, String),
    /// The assignments the caller enters for: (assignment id, unit name).
    forms: Vec<(i64, String)>,
    errors: Vec<FieldError>,
    sent: BudgetForm,
    year: i32,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct BudgetForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    planned: String,
    #[serde(default)]
    disbursed: String,
}

async fn render_task(
    s: &AppState,
    ctx: &Ctx,
    task_id: i64,
    errors: Vec<FieldError>,
    sent: BudgetForm,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let b = app::budgets::of_task(&s.db, &s.org, ctx.who.as_ref(), task_id).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let name = |u: i64| {
        snap.get(u)
            .map(|x| x.name(lang.code()).to_string())
            .unwrap_or_default()
    };
    let lines = b
        .lines
        .iter()
        .map(|l| {
            (
                name(l.unit_id),
                l.year,
                lang.t(&format!("budget-source-{}", l.source)).to_string(),
                amount(lang, l.planned),
                amount(lang, l.disbursed),
                rate(lang, l.planned, l.disbursed),
            )
        })
        .collect();
    let forms = match &ctx.who {
        Some(who) => app::budgets::editable(&s.db, &s.org, who, task_id)
            .await?
            .into_iter()
            .map(|(a, u)| (a, name(u)))
            .collect(),
        None => vec![],
    };
    let status = form_status(&errors);
    html_status(
        status,
        TaskTpl {
            p: PageCtx::from(ctx, &format!("/tasks/{task_id}/budget")),
            total: (
                amount(lang, b.planned),
                amount(lang, b.disbursed),
                rate(lang, b.planned, b.disbursed),
            ),
            year: chrono::Datelike::year(&domain::clock::local_date(chrono::Utc::now())),
            b,
            lines,
            forms,
            errors,
            sent,
        },
    )
}

async fn task_page(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    render_task(&s, &ctx, id, vec![], BudgetForm::default()).await
}

async fn save(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(form): CsrfForm<BudgetForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let task_id = app::work::task_of_assignment(&s.db, id).await?;
    let year = form.year.trim().parse::<i32>();
    let r = match year {
        Err(_) => Err(AppError::invalid(FieldError::new(
            "year",
            "err-not-integer",
        ))),
        Ok(year) => {
            app::budgets::set(
                &s.db,
                who,
                id,
                app::budgets::BudgetInput {
                    year,
                    source: form.source.clone(),
                    planned: form.planned.clone(),
                    disbursed: form.disbursed.clone(),
                },
            )
            .await
        }
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/tasks/{task_id}/budget")).into_response()),
        Err(AppError::Invalid(errors)) => render_task(&s, &ctx, task_id, errors, form).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "budget_programme.html")]
struct ProgrammeTpl {
    p: PageCtx,
    b: ProgrammeBudget,
}

impl ProgrammeTpl {
    fn amount(&self, v: impl std::borrow::Borrow<f64>) -> String {
        amount(self.p.lang, *v.borrow())
    }
    fn rate(&self, u: &UnitYear) -> String {
        u.rate
            .map(|r| self.p.lang.percent1((r * 1000.0).round() as i64))
            .unwrap_or_else(|| "—".into())
    }
    /// The bar of a year's rate (0–100 % of the width).
    fn bar(&self, u: &UnitYear) -> String {
        crate::charts::share_bar(u.rate.unwrap_or(0.0) * 100.0)
    }
}

async fn programme_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let b = app::budgets::of_programme(&s.db, &s.org, id).await?;
    html(ProgrammeTpl {
        p: PageCtx::from(&ctx, &format!("/programmes/{id}/budget")),
        b,
    })
}
