//! Indicator pages: the catalogue, an indicator (figures against the target path, the units
//! below with sparklines, a map of the provinces), a unit's entry sheet with its submission,
//! and the approval queue.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::charts::{self, IndicatorPoint};
use crate::error::AppResult;
use crate::extract::{ApiQuery, CsrfForm, Ctx, PathId};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, encode_component, form_status, html, html_status};
use app::error::AppError;
use app::indicators::entry::{FormValue, Sheet};
use app::indicators::validation::{Finding, Report, RuleInput};
use app::indicators::{Figures, UnitFigure};
use app::records::{Indicator, IndicatorSet, TargetRow};
use domain::FieldError;
use domain::indicators::approval::Move;
use domain::indicators::period::fractional_year;
use domain::indicators::rules::Importance;
use domain::indicators::target::Target;
use domain::indicators::{PeriodId, ValueType};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/indicators", get(catalogue))
        .route("/indicators/approvals", get(approvals))
        .route("/indicators/entry", get(entry_form).post(entry_save))
        .route("/indicators/entry/move", post(entry_move))
        .route("/indicators/entry/template", get(entry_template))
        .route("/indicators/entry/upload", post(entry_upload))
        .route("/indicators/validation", get(validation_page))
        .route(
            "/indicators/{id}/targets",
            get(targets_page).post(target_save),
        )
        .route("/indicators/targets/{id}/decision", post(target_decide))
        .route("/indicators/rules", post(rule_add))
        .route("/indicators/rules/delete", post(rule_delete))
        .route("/indicators/{id}", get(indicator))
        .route(
            "/indicators/{id}/edit",
            get(definition_form).post(definition_save),
        )
        .route("/indicators/units/{id}", get(scorecard))
}

/// A figure as the language writes it, with the indicator's unit when it is a percentage.
pub(crate) fn figure(lang: Lang, ind: &Indicator, v: f64) -> String {
    let decimals = if v.abs() >= 1000.0 { 0 } else { 2 };
    let n = lang.num(v, decimals);
    match ind.value_type {
        ValueType::Percentage if lang == Lang::Fr => format!("{n}\u{202F}%"),
        ValueType::Percentage => format!("{n}%"),
        _ => n,
    }
}

fn target_text(lang: Lang, ind: &Indicator, t: &Target) -> String {
    t.describe(|v| figure(lang, ind, v))
}

/// The name in the reader's language, the Vietnamese one when there is no translation.
fn name_of<'a>(lang: Lang, vi: &'a str, en: &'a str, fr: &'a str) -> &'a str {
    let t = match lang {
        Lang::En => en,
        Lang::Fr => fr,
        Lang::Vi => vi,
    };
    if t.is_empty() { vi } else { t }
}

pub(crate) fn ind_name(lang: Lang, i: &Indicator) -> &str {
    name_of(lang, &i.name_vi, &i.name_en, &i.name_fr)
}

fn set_name(lang: Lang, s: &IndicatorSet) -> &str {
    name_of(lang, &s.name_vi, &s.name_en, &s.name_fr)
}

/// One row of the catalogue, ready to show.
struct CatRow {
    id: i64,
    number: String,
    name: String,
    depth: usize,
    unit: String,
    targets: String,
    latest: String,
    period: String,
    status: String,
}

struct CatSet {
    code: String,
    name: String,
    id: i64,
    rows: Vec<CatRow>,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct CatalogueTpl {
    p: PageCtx,
    sets: Vec<CatSet>,
    can_enter: bool,
}

fn targets_line(lang: Lang, ind: &Indicator, rows: &[TargetRow]) -> String {
    rows.iter()
        .filter(|t| t.kind != "baseline")
        .map(|t| {
            let text = match t.target() {
                Some(x) => target_text(lang, ind, &x),
                None => t.written.clone(),
            };
            format!("{text} ({})", t.period)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

async fn catalogue(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let lang = ctx.lang;
    let entries = app::indicators::catalogue(&s.db, &s.org, &s.figures, ctx.who.as_ref()).await?;
    let sets = entries
        .into_iter()
        .map(|e| CatSet {
            code: e.set.code.clone(),
            name: set_name(lang, &e.set).to_string(),
            id: e.set.id,
            rows: e
                .indicators
                .iter()
                .map(|r| {
                    let i = &r.indicator;
                    let (latest, period, status) = match &r.latest {
                        Some(f) => (
                            f.value
                                .map(|v| figure(lang, i, v))
                                .or(f.text.clone())
                                .unwrap_or_default(),
                            f.period.to_string(),
                            f.status.as_str().to_string(),
                        ),
                        // A heading without a target of its own is judged through its parts.
                        None if r.targets.is_empty() => {
                            (String::new(), String::new(), String::new())
                        }
                        None => (String::new(), String::new(), "no_data".into()),
                    };
                    CatRow {
                        id: i.id,
                        number: i.number.clone(),
                        name: ind_name(lang, i).to_string(),
                        depth: usize::from(i.parent_id.is_some()),
                        unit: i.unit_of_measure.clone(),
                        targets: targets_line(lang, i, &r.targets),
                        latest,
                        period,
                        status,
                    }
                })
                .collect(),
        })
        .collect();
    html(CatalogueTpl {
        p: PageCtx::from(&ctx, "/indicators"),
        sets,
        can_enter: ctx.who.is_some(),
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::INDICATORS))
}

/// A unit's row in an indicator's table.
struct UnitRow {
    unit_id: i64,
    name: String,
    value: String,
    own: String,
    achievement: String,
    status: String,
    spark: String,
}

/// A page around a body rendered once for its data and language (see `cache::Bodies`).
#[derive(Template)]
#[template(path = "body_page.html")]
pub(super) struct BodyPage {
    pub p: PageCtx,
    pub title: String,
    pub body: std::sync::Arc<str>,
    /// (id, href, label) of what this reader may do here, above the shared body.
    pub actions: Vec<(&'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "indicator_body.html")]
struct IndicatorBodyTpl<'a> {
    p: &'a PageCtx,
    d: &'a app::indicators::Detail,
    name: String,
    set_name: String,
    fig: &'a Figures,
    focus_name: String,
    value: String,
    own_note: String,
    target: String,
    expected: String,
    achievement: String,
    projection: String,
    chart: String,
    map: String,
    rows: Vec<UnitRow>,
    targets: Vec<(String, String, String)>,
    breakdowns: Vec<String>,
    ancestors: &'a [(i64, String)],
}

#[derive(Deserialize, Default)]
struct IndicatorQuery {
    unit: Option<i64>,
    period: Option<String>,
    disaggregation: Option<String>,
}

fn share(lang: Lang, a: Option<f64>) -> String {
    a.map(|a| lang.percent1((a * 1000.0).round() as i64))
        .unwrap_or_default()
}

fn unit_row(lang: Lang, ind: &Indicator, f: &UnitFigure, spark: &[Option<f64>]) -> UnitRow {
    UnitRow {
        unit_id: f.unit_id,
        name: f.unit_name.clone(),
        value: f
            .value
            .map(|v| figure(lang, ind, v))
            .or(f.text.clone())
            .unwrap_or_else(|| "—".into()),
        own: if f.own {
            lang.t("ind-own").to_string()
        } else if f.count > 0 {
            lang.t("ind-rolled")
                .replace("{n}", &lang.int(f.count as i64))
        } else {
            String::new()
        },
        achievement: share(lang, f.achievement),
        status: f.status.as_str().to_string(),
        spark: charts::sparkline(spark),
    }
}

async fn indicator(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let period = app::indicators::read_period(q.period.as_deref())?;
    let page = app::indicators::page(
        &s.db,
        &s.org,
        &s.fresh,
        &s.figures,
        ctx.who.as_ref(),
        id,
        q.unit,
        period,
        q.disaggregation.clone(),
    )
    .await?;
    let p = PageCtx::from(&ctx, &format!("/indicators/{id}"));
    let mut actions = vec![];
    if ctx
        .who
        .as_ref()
        .is_some_and(|w| app::indicators::definitions::may_edit(w).is_ok())
    {
        actions.push((
            "edit-definition",
            format!("/indicators/{id}/edit"),
            lang.t("ind-edit-title").to_string(),
        ));
    }
    let title = format!(
        "{}. {}",
        page.detail.indicator.number,
        ind_name(lang, &page.detail.indicator)
    );
    body_page(&s, p, title, actions, &page, indicator_body)
}

/// A page whose body is the same for every reader of `data` in the language (rendered once,
/// see `cache::Bodies`) inside the reader's own frame; public while the indicators hold.
fn body_page<T: std::any::Any + Send + Sync>(
    s: &AppState,
    p: PageCtx,
    title: String,
    actions: Vec<(&'static str, String, String)>,
    data: &std::sync::Arc<T>,
    render: fn(Lang, &PageCtx, &T) -> Result<String, askama::Error>,
) -> AppResult<Response> {
    let lang = p.lang;
    let body = s
        .bodies
        .get_or_render(data, lang, || render(lang, &p, data))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    html(BodyPage {
        p,
        title,
        body,
        actions,
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::INDICATORS))
}

/// The body of an indicator's page: its definition, figure, chart, map and units.
fn indicator_body(
    lang: Lang,
    p: &PageCtx,
    page: &app::indicators::IndicatorPage,
) -> Result<String, askama::Error> {
    let (d, f) = (&page.detail, &page.figures);
    let ind = &d.indicator;
    let u = &f.unit;
    let target = u
        .target
        .as_ref()
        .map(|t| {
            format!(
                "{} ({})",
                target_text(lang, ind, t),
                u.target_period.map(|p| p.to_string()).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let projection = match (&f.projection, &u.target) {
        (Some(pr), Some(t)) => lang
            .t("ind-projection")
            .replace("{value}", &figure(lang, ind, pr.value))
            .replace("{period}", &pr.period.to_string())
            .replace("{target}", &target_text(lang, ind, t)),
        _ => String::new(),
    };
    let points: Vec<IndicatorPoint> = f
        .series
        .iter()
        .map(|x| IndicatorPoint {
            at: x.period.midpoint_year(),
            label: x.period.to_string(),
            value: x.value,
            expected: x.expected,
        })
        .collect();
    let chart = charts::indicator(
        lang,
        &points,
        u.target
            .as_ref()
            .zip(u.target_period)
            .map(|(t, p)| (fractional_year(p.end()), t.value, target_text(lang, ind, t))),
        f.projection
            .as_ref()
            .map(|p| (fractional_year(p.period.end()), p.value)),
        &|v| figure(lang, ind, v),
    );
    let rows: Vec<UnitRow> = f
        .children
        .iter()
        .map(|c| {
            unit_row(
                lang,
                ind,
                c,
                f.sparks
                    .get(&c.unit_id.to_string())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
            )
        })
        .collect();
    // The provinces on a map when the table lists them (the nation's page).
    let provinces: Vec<crate::map::Area> = f
        .children
        .iter()
        .filter(|c| {
            c.unit_code
                .as_ref()
                .is_some_and(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|c| crate::map::Area {
            code: c.unit_code.clone().unwrap_or_default(),
            name: c.unit_name.clone(),
            permille: c.achievement.map(|a| (a * 1000.0).round() as i64),
            href: format!(
                "/indicators/{}?unit={}&period={}",
                d.indicator.id, c.unit_id, f.period
            ),
        })
        .collect();
    let map = if provinces.len() >= 10 && provinces.iter().any(|a| a.permille.is_some()) {
        format!(
            "{}{}",
            crate::map::defs(),
            crate::map::choropleth(lang, "ind-map", lang.t("ind-map"), &provinces)
        )
    } else {
        String::new()
    };
    let targets = d
        .targets
        .iter()
        .filter(|t| t.unit_id == u.unit_id || d.targets.iter().all(|x| x.unit_id != u.unit_id))
        .map(|t| {
            let what = match t.kind.as_str() {
                "baseline" => format!(
                    "{}: {}",
                    lang.t("ind-baseline"),
                    t.value.map(|v| figure(lang, ind, v)).unwrap_or_default()
                ),
                "milestone" => format!("{}: {}", lang.t("ind-milestone"), t.written),
                _ => t
                    .target()
                    .map(|x| target_text(lang, ind, &x))
                    .unwrap_or_default(),
            };
            (t.period.to_string(), t.disaggregation.clone(), what)
        })
        .collect();
    let value = u
        .value
        .map(|v| figure(lang, ind, v))
        .or(u.text.clone())
        .unwrap_or_else(|| "—".into());
    let own_note = unit_row(lang, ind, u, &[]).own;
    IndicatorBodyTpl {
        p,
        name: ind_name(lang, ind).to_string(),
        set_name: set_name(lang, &d.set).to_string(),
        focus_name: u.unit_name.clone(),
        value,
        own_note,
        expected: u.expected.map(|v| figure(lang, ind, v)).unwrap_or_default(),
        achievement: share(lang, u.achievement),
        target,
        projection,
        chart,
        map,
        rows,
        targets,
        breakdowns: ind
            .breakdown()
            .iter()
            .map(|b| b.to_string())
            .filter(|b| !b.is_empty())
            .collect(),
        ancestors: &page.ancestors,
        fig: f,
        d,
    }
    .render()
}

#[derive(Template)]
#[template(path = "indicator_entry.html")]
struct EntryTpl {
    p: PageCtx,
    sheet: Sheet,
    set_name: String,
    rows: Vec<EntryRow>,
    errors: Vec<FieldError>,
    saved: String,
    moves: Vec<(&'static str, &'static str)>,
    can_return: bool,
    state_label: String,
    units: Vec<(i64, String)>,
    periods: Vec<String>,
    /// Only warnings stand between the form and saving: offer to confirm them.
    needs_confirm: bool,
    /// The findings on the stored values: (what, message, blocking).
    findings: Vec<(String, String, bool)>,
}

struct EntryRow {
    key: String,
    number: String,
    name: String,
    breakdown: String,
    unit: String,
    ratio: bool,
    value: String,
    numerator: String,
    denominator: String,
    comment: String,
    previous: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct EntryQuery {
    set: Option<i64>,
    unit: Option<i64>,
    period: Option<String>,
    saved: Option<String>,
}

fn stored_text(lang: Lang, ind: &Indicator, v: &app::records::ValueRow) -> String {
    match (&v.text_value, v.value) {
        (Some(t), _) => t.clone(),
        (None, Some(x)) => {
            let n = |x: f64| lang.num(x, 6);
            let mut s = figure(lang, ind, x);
            if let (Some(a), Some(b)) = (v.numerator, v.denominator) {
                s.push_str(&format!(" ({} / {})", n(a), n(b)));
            }
            s
        }
        _ => String::new(),
    }
}

/// The periods a form offers: from 2025 to the one in course, newest first (24 at most).
fn period_choices(t: domain::indicators::PeriodType) -> Vec<String> {
    let today = domain::clock::local_date(chrono::Utc::now());
    PeriodId::containing(
        t,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or(today),
    )
    .through(PeriodId::containing(t, today))
    .into_iter()
    .rev()
    .take(24)
    .map(|x| x.to_string())
    .collect()
}

/// The form as the caller last sent it, for showing it again with its errors.
type Sent = std::collections::HashMap<String, String>;

fn entry_rows(
    lang: Lang,
    sheet: &Sheet,
    sent: Option<&Sent>,
    errors: &[FieldError],
    p: &PageCtx,
) -> Vec<EntryRow> {
    let bds: Vec<(i64, Vec<String>)> = sheet
        .rows
        .iter()
        .map(|r| {
            (
                r.indicator.id,
                r.indicator
                    .breakdown()
                    .iter()
                    .map(|b| b.to_string())
                    .collect(),
            )
        })
        .collect();
    sheet
        .rows
        .iter()
        .map(|r| {
            let i = &r.indicator;
            let bi = bds
                .iter()
                .find(|(id, _)| *id == i.id)
                .and_then(|(_, b)| b.iter().position(|x| *x == r.disaggregation))
                .unwrap_or(0);
            let key = format!("{}-{bi}", i.id);
            let field = if bi == 0 {
                format!("value-{}", i.id)
            } else {
                format!("value-{}-{bi}", i.id)
            };
            let from_form =
                |prefix: &str| sent.and_then(|s| s.get(&format!("{prefix}-{key}")).cloned());
            let cur = r.current.as_ref();
            let n = |x: Option<f64>| x.map(|x| lang.num(x, 6)).unwrap_or_default();
            EntryRow {
                number: i.number.clone(),
                name: ind_name(lang, i).to_string(),
                breakdown: r.disaggregation.clone(),
                unit: i.unit_of_measure.clone(),
                ratio: i.aggregation == domain::indicators::Aggregation::Ratio,
                value: from_form("v").unwrap_or_else(|| {
                    cur.map(|c| match (&c.text_value, c.value) {
                        (Some(t), _) => t.clone(),
                        // A ratio's figure is computed from its parts: shown rounded.
                        (None, Some(v)) if c.numerator.is_some() => lang.num(v, 2),
                        (None, Some(v)) => lang.num(v, 6),
                        _ => String::new(),
                    })
                    .unwrap_or_default()
                }),
                numerator: from_form("n").unwrap_or_else(|| n(cur.and_then(|c| c.numerator))),
                denominator: from_form("d").unwrap_or_else(|| n(cur.and_then(|c| c.denominator))),
                comment: from_form("c")
                    .unwrap_or_else(|| cur.map(|c| c.comment.clone()).unwrap_or_default()),
                previous: r
                    .previous
                    .as_ref()
                    .map(|v| stored_text(lang, i, v))
                    .unwrap_or_else(|| "—".into()),
                error: [
                    field.clone(),
                    format!("{field}-numerator"),
                    format!("{field}-denominator"),
                ]
                .iter()
                .map(|f| p.field_error(errors, f))
                .filter(|e| !e.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
                key,
            }
        })
        .collect()
}

/// Findings as lines of a page: (the indicator and breakdown, the message, blocking).
fn finding_lines<'a>(
    lang: Lang,
    findings: &[Finding],
    ind: impl Fn(i64) -> Option<&'a Indicator>,
) -> Vec<(String, String, bool)> {
    findings
        .iter()
        .map(|f| {
            let what = ind(f.indicator_id)
                .map(|i| {
                    let mut w = format!("{} {}", i.number, ind_name(lang, i));
                    if !f.disaggregation.is_empty() {
                        w.push_str(&format!(" — {}", f.disaggregation));
                    }
                    w
                })
                .unwrap_or_default();
            (
                what,
                crate::error::field_message(lang, &f.field_error("")),
                f.importance == Importance::Blocking,
            )
        })
        .collect()
}

/// The buttons of the moves the sheet says the caller may make: (move, label key).
fn move_buttons(sheet: &Sheet) -> Vec<(&'static str, &'static str)> {
    sheet
        .moves
        .iter()
        .map(|m| {
            let label = match m {
                Move::Submit => "ind-move-submit",
                Move::Approve => "ind-move-approve",
                Move::Accept => "ind-move-accept",
                Move::Return => "ind-move-return",
            };
            (m.as_str(), label)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_entry(
    s: &AppState,
    ctx: &Ctx,
    set: i64,
    unit: i64,
    period: Option<PeriodId>,
    sent: Option<&Sent>,
    errors: Vec<FieldError>,
    saved: String,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let sheet = app::indicators::entry::sheet(&s.db, &s.org, who, set, unit, period).await?;
    let p = PageCtx::from(
        ctx,
        &format!(
            "/indicators/entry?set={set}&unit={unit}&period={}",
            sheet.period
        ),
    );
    let rows = entry_rows(ctx.lang, &sheet, sent, &errors, &p);
    let snap = s.org.snapshot(&s.db).await?;
    // The caller's unit and the units directly below it: where an officer enters most.
    let mut units = vec![(
        who.unit_id,
        snap.get(who.unit_id)
            .map(|u| u.name_vi.clone())
            .unwrap_or_default(),
    )];
    let below = app::org::list(
        &s.db,
        &s.org,
        Some(who),
        app::org::ListQuery {
            parent: Some(who.unit_id),
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await?;
    units.extend(below.items.into_iter().map(|u| (u.id, u.name_vi)));
    if !units.iter().any(|(id, _)| *id == unit) {
        units.insert(0, (unit, sheet.unit_name.clone()));
    }
    let periods = period_choices(sheet.set.period_type);
    let status = form_status(&errors);
    let needs_confirm = !errors.is_empty() && errors.iter().all(|e| e.code.starts_with("warn-"));
    let findings = finding_lines(ctx.lang, &sheet.findings, |id| {
        sheet
            .rows
            .iter()
            .find(|r| r.indicator.id == id)
            .map(|r| &r.indicator)
    });
    html_status(
        status,
        EntryTpl {
            needs_confirm,
            findings,
            set_name: set_name(ctx.lang, &sheet.set).to_string(),
            can_return: sheet.moves.contains(&Move::Return),
            moves: move_buttons(&sheet),
            state_label: ctx
                .lang
                .t(&format!("ind-state-{}", sheet.state.as_str()))
                .to_string(),
            p,
            rows,
            errors,
            saved,
            units,
            periods,
            sheet,
        },
    )
}

/// The set asked for, else the last one created (the pages open on it without a choice).
fn set_or_last(given: Option<i64>, sets: &[app::records::IndicatorSet]) -> AppResult<i64> {
    match given {
        Some(x) => Ok(x),
        None => sets.last().map(|x| x.id).ok_or(AppError::NotFound.into()),
    }
}

async fn entry_form(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<EntryQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let set = set_or_last(q.set, &app::indicators::sets(&s.db).await?)?;
    let period = app::indicators::read_period(q.period.as_deref())?;
    let saved = q
        .saved
        .map(|m| m.chars().take(200).collect())
        .unwrap_or_default();
    render_entry(
        &s,
        &ctx,
        set,
        q.unit.unwrap_or(who.unit_id),
        period,
        None,
        vec![],
        saved,
    )
    .await
}

/// Reads `set`, `unit`, `period` from the sent form.
fn sheet_key(sent: &Sent) -> AppResult<(i64, i64, PeriodId)> {
    let num = |k: &str| {
        sent.get(k)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| AppError::invalid(FieldError::new(k, "err-required")))
    };
    let period =
        app::indicators::require_period(sent.get("period").map(String::as_str).unwrap_or(""))?;
    Ok((num("set")?, num("unit")?, period))
}

async fn entry_save(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let sent: Sent = form.into_iter().collect();
    let (set, unit, period) = sheet_key(&sent)?;
    let sheet = app::indicators::entry::sheet(&s.db, &s.org, who, set, unit, Some(period)).await?;
    let mut values = vec![];
    for r in &sheet.rows {
        let i = &r.indicator;
        let bi = i
            .breakdown()
            .iter()
            .position(|b| *b == r.disaggregation)
            .unwrap_or(0);
        let key = format!("{}-{bi}", i.id);
        let get = |p: &str| sent.get(&format!("{p}-{key}")).cloned();
        let Some(value) = get("v") else { continue };
        values.push((
            FormValue {
                indicator_id: i.id,
                value,
                numerator: get("n"),
                denominator: get("d"),
                comment: get("c").unwrap_or_default(),
                evidence: String::new(),
            },
            r.disaggregation.clone(),
        ));
    }
    let confirm = sent.get("confirm").is_some_and(|v| v == "1");
    match app::indicators::entry::enter(&s.db, &s.org, who, set, unit, period, values, confirm)
        .await
    {
        Ok((a, b, c)) => {
            let msg = ctx
                .lang
                .t("ind-saved")
                .replace("{imported}", &a.to_string())
                .replace("{updated}", &b.to_string())
                .replace("{deleted}", &c.to_string());
            Ok(Redirect::to(&format!(
                "/indicators/entry?set={set}&unit={unit}&period={period}&saved={}",
                encode_component(&msg)
            ))
            .into_response())
        }
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_entry(
                &s,
                &ctx,
                set,
                unit,
                Some(period),
                Some(&sent),
                errors,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn entry_move(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let sent: Sent = form.into_iter().collect();
    let (set, unit, period) = sheet_key(&sent)?;
    let mv = sent
        .get("move")
        .and_then(|m| Move::parse(m))
        .ok_or_else(|| AppError::invalid(FieldError::new("state", "err-required")))?;
    let reason = sent.get("reason").cloned().unwrap_or_default();
    match app::indicators::submissions::decide(&s.db, &s.org, who, set, unit, period, mv, &reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/indicators/entry?set={set}&unit={unit}&period={period}"
        ))
        .into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_entry(
                &s,
                &ctx,
                set,
                unit,
                Some(period),
                None,
                errors,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "indicator_approvals.html")]
struct ApprovalsTpl {
    p: PageCtx,
    items: Vec<app::indicators::submissions::Waiting>,
    proposals: Vec<app::indicators::targets::Proposal>,
}

async fn approvals(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let who = ctx.principal()?;
    let items = app::indicators::submissions::queue(&s.db, &s.org, who).await?;
    let proposals = app::indicators::targets::proposals(&s.db, &s.org, who).await?;
    html(ApprovalsTpl {
        p: PageCtx::from(&ctx, "/indicators/approvals"),
        items,
        proposals,
    })
}

struct ScoreRow {
    id: i64,
    number: String,
    name: String,
    value: String,
    target: String,
    achievement: String,
    status: String,
}

#[derive(Template)]
#[template(path = "indicator_scorecard.html")]
struct ScorecardTpl<'a> {
    p: &'a PageCtx,
    unit_id: i64,
    unit_name: &'a str,
    sets: Vec<(String, String, Vec<ScoreRow>)>,
}

#[derive(Deserialize, Default)]
struct ScorecardQuery {
    period: Option<String>,
}

async fn scorecard(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let period = app::indicators::read_period(q.period.as_deref())?;
    let card = app::indicators::figures::scorecard(
        &s.db,
        &s.org,
        &s.fresh,
        &s.figures,
        ctx.who.as_ref(),
        id,
        None,
        period,
    )
    .await?;
    let p = PageCtx::from(&ctx, &format!("/indicators/units/{id}"));
    let title = format!("{} · {}", lang.t("ind-scorecard"), card.unit_name);
    body_page(&s, p, title, vec![], &card, scorecard_body)
}

/// The body of a unit's scorecard: its figure on each indicator, set by set.
fn scorecard_body(
    lang: Lang,
    p: &PageCtx,
    card: &app::indicators::Scorecard,
) -> Result<String, askama::Error> {
    let sets = card
        .sets
        .iter()
        .map(|cs| {
            let rows = cs
                .rows
                .iter()
                .map(|(i, f)| ScoreRow {
                    id: i.id,
                    number: i.number.clone(),
                    name: ind_name(lang, i).to_string(),
                    value: f
                        .value
                        .map(|v| figure(lang, i, v))
                        .or(f.text.clone())
                        .unwrap_or_else(|| "—".into()),
                    target: f
                        .target
                        .as_ref()
                        .map(|t| target_text(lang, i, t))
                        .unwrap_or_default(),
                    achievement: share(lang, f.achievement),
                    status: f.status.as_str().to_string(),
                })
                .collect();
            (
                set_name(lang, &cs.set).to_string(),
                cs.period.to_string(),
                rows,
            )
        })
        .collect();
    ScorecardTpl {
        p,
        unit_id: card.unit_id,
        unit_name: &card.unit_name,
        sets,
    }
    .render()
}

#[derive(Template)]
#[template(path = "indicator_validation.html")]
struct ValidationTpl {
    p: PageCtx,
    report: std::sync::Arc<Report>,
    set_name: String,
    sets: Vec<(i64, String)>,
    periods: Vec<String>,
    children: bool,
    /// (unit id, unit name, what, message, blocking)
    lines: Vec<(i64, String, String, String, bool)>,
    blocking: usize,
    /// (id, code, name, expression, importance label, missing label)
    rules: Vec<(i64, String, String, String, String, String)>,
    can_manage: bool,
    errors: Vec<FieldError>,
    sent: RuleForm,
}

#[derive(Debug, Default, Deserialize)]
struct ValidationQuery {
    set: Option<i64>,
    unit: Option<i64>,
    period: Option<String>,
    children: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
struct RuleForm {
    #[serde(default)]
    set: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    expression: String,
    #[serde(default)]
    missing: String,
    #[serde(default)]
    importance: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_validation(
    s: &AppState,
    ctx: &Ctx,
    set: Option<i64>,
    unit: Option<i64>,
    period: Option<PeriodId>,
    children: bool,
    errors: Vec<FieldError>,
    sent: RuleForm,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let all_sets = app::indicators::sets(&s.db).await?;
    let set = set_or_last(set, &all_sets)?;
    let unit = unit.unwrap_or(who.unit_id);
    let report = app::indicators::validation::report(
        &s.db, &s.org, &s.fresh, &s.figures, who, set, unit, period, children,
    )
    .await?;
    let inds = app::indicators::indicators_in(&s.db, set).await?;
    let lines: Vec<_> = finding_lines(ctx.lang, &report.findings, |id| {
        inds.iter().find(|i| i.id == id)
    })
    .into_iter()
    .zip(&report.findings)
    .map(|((what, msg, b), f)| (f.unit_id, f.unit_name.clone(), what, msg, b))
    .collect();
    let blocking = lines.iter().filter(|l| l.4).count();
    let rules = report
        .rules
        .iter()
        .map(|r| {
            (
                r.id,
                r.code.clone(),
                name_of(ctx.lang, &r.name_vi, &r.name_en, &r.name_fr).to_string(),
                r.expression.clone(),
                ctx.lang
                    .t(&format!("ind-importance-{}", r.importance.as_str()))
                    .to_string(),
                ctx.lang
                    .t(&format!("ind-missing-{}", r.missing.0.as_str()))
                    .to_string(),
            )
        })
        .collect();
    let periods = period_choices(report.set.period_type);
    let status = form_status(&errors);
    html_status(
        status,
        ValidationTpl {
            p: PageCtx::from(
                ctx,
                &format!(
                    "/indicators/validation?set={set}&unit={unit}&period={}",
                    report.period
                ),
            ),
            set_name: set_name(ctx.lang, &report.set).to_string(),
            sets: all_sets
                .iter()
                .map(|x| (x.id, set_name(ctx.lang, x).to_string()))
                .collect(),
            periods,
            children,
            lines,
            blocking,
            rules,
            can_manage: app::indicators::may_manage(who),
            errors,
            sent,
            report,
        },
    )
}

/// The validation report of a unit (and the units below it) for a set and period, with the
/// set's rules; the Steering Committee adds and removes rules here.
async fn validation_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ValidationQuery>,
) -> AppResult<Response> {
    let period = app::indicators::read_period(q.period.as_deref())?;
    let children = q.children.as_deref().is_none_or(|c| c == "1");
    render_validation(
        &s,
        &ctx,
        q.set,
        q.unit,
        period,
        children,
        vec![],
        RuleForm::default(),
    )
    .await
}

async fn rule_add(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let set = form
        .set
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid(FieldError::new("set", "err-required")))?;
    let input = RuleInput {
        code: form.code.clone(),
        name_vi: form.name_vi.clone(),
        name_en: form.name_en.clone(),
        name_fr: form.name_fr.clone(),
        expression: form.expression.clone(),
        missing: form.missing.clone(),
        importance: form.importance.clone(),
    };
    match app::indicators::validation::add_rule(&s.db, who, set, input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/indicators/validation?set={set}#rules")).into_response())
        }
        Err(AppError::Invalid(errors)) => {
            render_validation(&s, &ctx, Some(set), None, None, true, errors, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct RuleDelete {
    set: i64,
    rule: i64,
}

async fn rule_delete(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<RuleDelete>,
) -> AppResult<Response> {
    app::indicators::validation::delete_rule(&s.db, ctx.principal()?, form.rule).await?;
    Ok(Redirect::to(&format!("/indicators/validation?set={}#rules", form.set)).into_response())
}

#[derive(Debug, Deserialize)]
struct TemplateQuery {
    set: i64,
    unit: i64,
    period: Option<String>,
    format: Option<String>,
}

/// The entry sheet as a spreadsheet to fill (CSV by default, or `format=xlsx`).
/// ((role, unit, language), (set, unit, period, format), (tree version, indicator data
/// version, day)) of an entry sheet as written.
pub type TemplateKey = (
    (domain::policy::Role, i64, Lang),
    (
        i64,
        i64,
        Option<domain::indicators::PeriodId>,
        app::export::Format,
    ),
    (i64, i64, chrono::NaiveDate),
);

async fn entry_template(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let format =
        crate::api::export::parse_format(q.format.as_deref())?.unwrap_or(app::export::Format::Csv);
    let period = app::indicators::read_period(q.period.as_deref())?;
    // A province's monthly sheet is about 750 KB and takes a tenth of a second to write: kept
    // per reader class (role and unit decide which rows are theirs to fill) until the indicator
    // data or the tree change, so that a province's officers downloading it together do not
    // each write it again.
    let v = s.fresh.current(&s.db).await?;
    let key = (
        (who.role, who.unit_id, ctx.lang),
        (q.set, q.unit, period, format),
        (
            v.org,
            v.indicators,
            domain::clock::local_date(chrono::Utc::now()),
        ),
    );
    let sheet = match s.templates.get(&key) {
        Some(sheet) => sheet,
        None => {
            let t = app::indicators::spreadsheet::template(
                &s.db, &s.org, who, ctx.lang, q.set, q.unit, period,
            )
            .await?;
            let bytes = app::export::render(&t, format).map_err(AppError::internal)?;
            let sheet = std::sync::Arc::new((
                axum::body::Bytes::from(bytes),
                format!("{}.{}", t.title.replace(' ', "-"), format.extension()),
            ));
            s.templates.put(key, sheet.clone());
            sheet
        }
    };
    Ok(crate::api::export::download(
        sheet.0.clone(),
        format.content_type(),
        &sheet.1,
    ))
}

/// A filled sheet uploaded from the entry page: imported (or only checked), then the page
/// again with what was saved and each refused row.
async fn entry_upload(
    State(s): State<AppState>,
    ctx: Ctx,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut parts = crate::extract::read_multipart(mp, s.cfg.evidence_max_bytes()).await?;
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let sent: Sent = parts.fields.clone().into_iter().collect();
    let (set, unit, period) = sheet_key(&sent)?;
    let dry_run = sent.get("dry_run").is_some_and(|v| v == "1");
    let (saved, errors) = if parts.files.len() != 1 {
        (String::new(), vec![FieldError::new("file", "err-one-file")])
    } else {
        let file = parts.files.remove(0);
        match app::indicators::spreadsheet::upload(
            &s.db,
            &s.org,
            who,
            ctx.lang,
            &file.bytes,
            dry_run,
        )
        .await
        {
            Ok((summary, lines)) => {
                let n = &summary.import_count;
                let key = if dry_run {
                    "ind-upload-checked"
                } else {
                    "ind-upload-saved"
                };
                let msg = ctx
                    .lang
                    .t(key)
                    .replace("{imported}", &ctx.lang.int(n.imported as i64))
                    .replace("{updated}", &ctx.lang.int(n.updated as i64))
                    .replace("{ignored}", &ctx.lang.int(n.ignored as i64));
                let errors = summary
                    .conflicts
                    .iter()
                    .flat_map(|c| {
                        c.indexes.iter().map(|i| {
                            FieldError::new("file", "err-sheet-row")
                                .with("line", lines.get(*i).copied().unwrap_or(0))
                                .with("object", &c.object)
                                .with("message", &c.value)
                        })
                    })
                    .collect();
                (msg, errors)
            }
            Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => (String::new(), errors),
            Err(e) => return Err(e.into()),
        }
    };
    render_entry(&s, &ctx, set, unit, Some(period), None, errors, saved).await
}

#[derive(Template)]
#[template(path = "indicator_targets.html")]
struct TargetsTpl {
    p: PageCtx,
    id: i64,
    name: String,
    unit_id: i64,
    unit_name: String,
    /// (period, kind label, target as written, trajectory label, state)
    rows: Vec<(String, String, String, String, String)>,
    above: Option<Above>,
    /// (unit, name, how many targets) of each unit directly below.
    below: Vec<(i64, String, usize)>,
    /// "approved" (the caller sets) or "proposed" (the caller proposes); "" neither.
    mode: &'static str,
    breakdowns: Vec<String>,
    errors: Vec<FieldError>,
    sent: TargetForm,
}

/// (unit, name, (period, target)) of the nearest unit above whose targets apply.
type Above = (i64, String, Vec<(String, String)>);

#[derive(Debug, Default, Clone, Deserialize)]
struct TargetForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    disaggregation: String,
    #[serde(default)]
    trajectory: String,
}

#[derive(Debug, Deserialize)]
struct TargetsQuery {
    unit: Option<i64>,
}

async fn render_targets(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    unit: i64,
    errors: Vec<FieldError>,
    sent: TargetForm,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let lang = ctx.lang;
    let d = app::indicators::detail(&s.db, id).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let u = snap.get(unit).ok_or(AppError::NotFound)?;
    let ind = &d.indicator;
    let written = |t: &app::records::TargetRow| {
        let text = match (t.target(), t.kind.as_str()) {
            (Some(x), _) => target_text(lang, ind, &x),
            (None, "baseline") => t.value.map(|v| figure(lang, ind, v)).unwrap_or_default(),
            _ => t.written.clone(),
        };
        if t.disaggregation.is_empty() {
            text
        } else {
            format!("{} ({})", text, t.disaggregation)
        }
    };
    let rows: Vec<_> = d
        .targets
        .iter()
        .filter(|t| t.unit_id == unit)
        .map(|t| {
            (
                t.period.to_string(),
                lang.t(&format!("ind-kind-{}", t.kind)).to_string(),
                written(t),
                lang.t(&format!("ind-trajectory-{}", t.trajectory.as_str()))
                    .to_string(),
                t.state.clone(),
            )
        })
        .collect();
    // Without an approved target of its own, the unit is judged by the nearest unit above that
    // has one: shown, so that the reader knows what the figure is held against.
    let approved = |x: i64| {
        d.targets
            .iter()
            .any(|t| t.unit_id == x && t.kind == "target" && t.state == "approved")
    };
    let above = if approved(unit) {
        None
    } else {
        snap.chain(unit)
            .into_iter()
            .skip(1)
            .find(|x| approved(*x))
            .and_then(|x| snap.get(x))
            .map(|a| {
                let lines = d
                    .targets
                    .iter()
                    .filter(|t| t.unit_id == a.id && t.state == "approved")
                    .map(|t| {
                        let what = match t.kind.as_str() {
                            "target" => written(t),
                            k => format!("{} {}", lang.t(&format!("ind-kind-{k}")), written(t)),
                        };
                        (t.period.to_string(), what)
                    })
                    .collect::<Vec<_>>();
                (a.id, a.name(lang.code()).to_string(), lines)
            })
    };
    // The units directly below, to break the target down or review their proposals.
    let below = snap
        .current_children(unit)
        .into_iter()
        .map(|c| {
            let n = d.targets.iter().filter(|t| t.unit_id == c.id).count();
            (c.id, c.name(lang.code()).to_string(), n)
        })
        .collect();
    let mode = app::indicators::targets::may_set(&s.db, &s.org, who, unit)
        .await?
        .unwrap_or("");
    let status = form_status(&errors);
    html_status(
        status,
        TargetsTpl {
            p: PageCtx::from(ctx, &format!("/indicators/{id}/targets?unit={unit}")),
            id,
            name: format!("{} {}", ind.number, ind_name(lang, ind)),
            unit_id: unit,
            unit_name: u.name(lang.code()).to_string(),
            rows,
            above,
            below,
            mode,
            breakdowns: ind
                .breakdown()
                .iter()
                .filter(|b| !b.is_empty())
                .map(|b| b.to_string())
                .collect(),
            errors,
            sent,
        },
    )
}

/// A unit's targets of an indicator, with the form to set them (the assigning level) or to
/// propose them (the unit).
async fn targets_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<TargetsQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit = q.unit.unwrap_or(who.unit_id);
    render_targets(&s, &ctx, id, unit, vec![], TargetForm::default()).await
}

async fn target_save(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(form): CsrfForm<TargetForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit = form
        .unit
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid(FieldError::new("unit", "err-required")))?;
    let input = app::indicators::targets::TargetInput {
        unit,
        period: form.period.clone(),
        kind: form.kind.clone(),
        value: form.value.clone(),
        disaggregation: form.disaggregation.clone(),
        trajectory: form.trajectory.clone(),
        note: String::new(),
    };
    match app::indicators::targets::set(&s.db, &s.org, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/indicators/{id}/targets?unit={unit}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_targets(&s, &ctx, id, unit, errors, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct TargetDecisionForm {
    approve: String,
    #[serde(default)]
    reason: String,
}

async fn target_decide(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(form): CsrfForm<TargetDecisionForm>,
) -> AppResult<Response> {
    app::indicators::targets::decide(
        &s.db,
        &s.org,
        ctx.principal()?,
        id,
        form.approve == "1",
        &form.reason,
    )
    .await?;
    Ok(Redirect::to("/indicators/approvals#proposals").into_response())
}

#[derive(Template)]
#[template(path = "indicator_edit.html")]
struct DefinitionTpl {
    p: PageCtx,
    id: i64,
    title: String,
    sent: DefinitionForm,
    errors: Vec<FieldError>,
    /// (revision, when, definition) of the earlier definitions, newest first.
    revisions: Vec<(i32, String, String)>,
}

impl DefinitionTpl {
    /// (field, label, value, required) of the one-line fields.
    fn text_fields(&self) -> [(&'static str, &'static str, &str, bool); 5] {
        let f = &self.sent;
        [
            ("name_vi", "field-name-vi", &f.name_vi, true),
            ("name_en", "field-name-en", &f.name_en, false),
            ("name_fr", "field-name-fr", &f.name_fr, false),
            ("source", "ind-source", &f.source, false),
            ("unit_of_measure", "ind-col-unit", &f.unit_of_measure, false),
        ]
    }
}

/// The definition as the form sends it: every field, so that an unchanged form changes nothing.
#[derive(Debug, Default, Clone, Deserialize)]
struct DefinitionForm {
    #[serde(default)]
    name_vi: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    definition: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    unit_of_measure: String,
    #[serde(default)]
    direction: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    is_public: Option<String>,
}

async fn render_definition(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    sent: Option<DefinitionForm>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    app::indicators::definitions::may_edit(who)?;
    let d = app::indicators::detail(&s.db, id).await?;
    let i = &d.indicator;
    let sent = sent.unwrap_or_else(|| DefinitionForm {
        name_vi: i.name_vi.clone(),
        name_en: i.name_en.clone(),
        name_fr: i.name_fr.clone(),
        definition: i.definition.clone(),
        method: i.method.clone(),
        source: i.source.clone(),
        unit_of_measure: i.unit_of_measure.clone(),
        direction: i.direction.as_str().to_string(),
        is_public: i.is_public.then(|| "1".to_string()),
    });
    let revisions = app::indicators::definitions::history(&s.db, id)
        .await?
        .into_iter()
        .map(|(r, at, def)| (r, ctx.lang.date(domain::clock::local_date(at)), def))
        .collect();
    html_status(
        form_status(&errors),
        DefinitionTpl {
            p: PageCtx::from(ctx, &format!("/indicators/{id}/edit")),
            id,
            title: format!("{} {}", i.number, ind_name(ctx.lang, i)),
            sent,
            errors,
            revisions,
        },
    )
}

/// The form that edits an indicator's definition (the Steering Committee), with its history.
async fn definition_form(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    render_definition(&s, &ctx, id, None, vec![]).await
}

async fn definition_save(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(form): CsrfForm<DefinitionForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let edit = app::indicators::definitions::Edit {
        name_vi: Some(form.name_vi.clone()),
        name_en: Some(form.name_en.clone()),
        name_fr: Some(form.name_fr.clone()),
        definition: Some(form.definition.clone()),
        method: Some(form.method.clone()),
        source: Some(form.source.clone()),
        unit_of_measure: Some(form.unit_of_measure.clone()),
        direction: Some(form.direction.clone()),
        is_public: Some(form.is_public.is_some()),
        ..Default::default()
    };
    match app::indicators::definitions::edit(&s.db, &s.org, who, id, edit).await {
        Ok(_) => Ok(Redirect::to(&format!("/indicators/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => render_definition(&s, &ctx, id, Some(form), errors).await,
        Err(e) => Err(e.into()),
    }
}
