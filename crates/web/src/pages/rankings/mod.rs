//! Ranking pages: the editions, an edition's table with grades and rank intervals, a unit's
//! scorecard down to the measures and where their data come from, and the methodology page
//! generated from a method version.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::cache::{Deps, public};
use crate::error::AppResult;
use crate::extract::{Ctx, PathIds};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, html};
use app::rankings::{CardLine, EditionHead, EditionView, RankedUnit, Scorecard, VersionView};
use domain::ranking::method::{Item, Method, Normalisation};

mod manage;
mod report;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(manage::router())
        .route("/rankings", get(list_page))
        .route("/rankings/{id}", get(edition_page))
        .route("/rankings/{id}/units/{unit}", get(unit_page))
        .route(
            "/rankings/{id}/units/{unit}/report",
            get(report::report_page),
        )
        .route("/methods/{id}/versions/{version}", get(method_page))
}

#[derive(Template)]
#[template(path = "rankings.html")]
struct ListTpl {
    p: PageCtx,
    editions: Vec<EditionHead>,
}

async fn list_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let editions = app::rankings::editions(&s.db, ctx.who.as_ref()).await?;
    html(ListTpl {
        p: PageCtx::from(&ctx, "/rankings"),
        editions,
    })
    // Every reader who is not signed in sees the same published data.
    .map(|r| public(r, Deps::RANKINGS))
}

impl ListTpl {
    fn method_name(&self, e: &EditionHead) -> String {
        method_name(self.p.lang, &e.method)
    }
}

fn method_name(lang: Lang, m: &app::records::RankMethod) -> String {
    let n = match lang.code() {
        "en" => &m.name_en,
        "fr" => &m.name_fr,
        _ => &m.name_vi,
    };
    if n.is_empty() {
        m.name_vi.clone()
    } else {
        n.clone()
    }
}

/// The grade's name in the reader's language, from the method's own bands.
fn grade_name(lang: Lang, doc: &Method, code: &str) -> String {
    doc.grades
        .iter()
        .find(|g| g.code == code)
        .map(|g| g.name.get(lang.code()).to_string())
        .unwrap_or_else(|| code.to_string())
}

/// A rank interval drawn on the server: the 5–95 % band as a line over all places, the rank as
/// a dot. `n` is the number of places.
fn whisker(u: &RankedUnit, n: usize) -> String {
    let (Some(rank), Some(low), Some(high)) = (u.rank, u.rank_low, u.rank_high) else {
        return String::new();
    };
    let w = 120.0;
    let x = |r: i32| 4.0 + (w - 8.0) * (r as f64 - 1.0) / ((n.max(2) - 1) as f64);
    format!(
        r##"<svg class="whisker" width="{w}" height="14" viewBox="0 0 {w} 14" role="img" aria-label="{low}–{high}"><line x1="4" y1="7" x2="{end}" y2="7" class="axis"/><line x1="{a:.1}" y1="7" x2="{b:.1}" y2="7" class="band"/><circle cx="{c:.1}" cy="7" r="3.5"/></svg>"##,
        end = w - 4.0,
        a = x(low),
        b = x(high),
        c = x(rank),
    )
}

#[derive(Template)]
#[template(path = "ranking.html")]
struct EditionTpl {
    p: PageCtx,
    v: EditionView,
    /// Per unit (same order): the whisker, whether its place can be told from the next one's,
    /// and its ranks over the editions as a sparkline (empty with fewer than two).
    rows: Vec<(String, bool, String)>,
    /// Whether there are editions before this one to draw ranks from.
    trend: bool,
    pillars: Vec<(String, String)>,
    /// "101–200 / 3,321"
    shown: String,
    prev_link: String,
    next_link: String,
    /// The provinces coloured by grade (province rankings only).
    map: String,
    changes: Option<ChangeView>,
    /// For a nationwide commune ranking: the provinces to show the communes of, and the one shown.
    provinces: Vec<(i64, String)>,
    province: Option<i64>,
}

/// A unit in the changelog: (unit, name, from, to).
type Moved = (i64, String, String, String);

/// The changelog since the edition before, as lines of the page.
struct ChangeView {
    before: EditionHead,
    /// The largest moves up and down, and how many moved each way.
    risers: Vec<Moved>,
    fallers: Vec<Moved>,
    risers_n: usize,
    fallers_n: usize,
    grades: Vec<Moved>,
    unchanged: usize,
    entered: Vec<(i64, String)>,
    left: Vec<(i64, String)>,
}

/// Units listed per kind of change; the counts give the rest.
const CHANGES_LISTED: usize = 5;

fn change_view(
    lang: Lang,
    v: &EditionView,
    lines: &app::rankings::EditionLines,
    before: EditionHead,
    log: &domain::ranking::changelog::Changelog,
) -> ChangeView {
    let name = |u: i64| lines.unit(u).map(|u| u.name.clone()).unwrap_or_default();
    let moves = |ms: &[domain::ranking::changelog::Move]| -> Vec<Moved> {
        ms.iter()
            .take(CHANGES_LISTED)
            .map(|m| (m.unit, name(m.unit), m.from.to_string(), m.to.to_string()))
            .collect()
    };
    let grade = |code: &str| grade_name(lang, &v.document, code);
    ChangeView {
        risers_n: log.risers.len(),
        fallers_n: log.fallers.len(),
        risers: moves(&log.risers),
        fallers: moves(&log.fallers),
        grades: log
            .grades
            .iter()
            .map(|g| (g.unit, name(g.unit), grade(&g.from), grade(&g.to)))
            .collect(),
        unchanged: log.unchanged,
        entered: log.entered.iter().map(|u| (*u, name(*u))).collect(),
        left: log.left.iter().map(|u| (*u, name(*u))).collect(),
        before,
    }
}

/// The provinces on a map, each filled by its grade (the best grade darkest green), linked to
/// its scorecard; the legend names the grades with their thresholds.
async fn grade_map(
    s: &AppState,
    ctx: &Ctx,
    v: &EditionView,
    units: &[RankedUnit],
) -> AppResult<String> {
    let snap = s.org.snapshot(&s.db).await?;
    let mut grades = v.document.grades.clone();
    grades.sort_by(|a, b| b.min.total_cmp(&a.min));
    let n = grades.len();
    let class = |code: &str| -> String {
        match grades.iter().position(|g| g.code == code) {
            Some(i) if n > 1 => format!("q{}", 3 - (i * 3 + (n - 1) / 2) / (n - 1)),
            Some(_) => "q3".into(),
            None => "q-none".into(),
        }
    };
    let lang = ctx.lang;
    let id = v.head.edition.id;
    let rows: Vec<crate::map::Row> = units
        .iter()
        .filter_map(|u| {
            let code = snap.get(u.unit_id)?.code.clone()?;
            let (class, figure) = match &u.grade {
                Some(g) => (
                    class(g),
                    format!(
                        "{} · {}",
                        grade_name(lang, &v.document, g),
                        u.score.map(|x| lang.num(x, 1)).unwrap_or_default()
                    ),
                ),
                None => ("q-none".to_string(), lang.t("rk-no-data").to_string()),
            };
            Some((
                code,
                u.name.clone(),
                class,
                figure,
                format!("/rankings/{id}/units/{}", u.unit_id),
            ))
        })
        .collect();
    let mut legend: Vec<(String, String)> = grades
        .iter()
        .map(|g| {
            (
                class(&g.code),
                // Thresholds are kept on 0–100; the reader sees them on the score's scale.
                format!(
                    "{} ≥ {}",
                    g.name.get(lang.code()),
                    lang.num(g.min * v.document.scale / 100.0, 0)
                ),
            )
        })
        .collect();
    legend.push(("q-none".into(), lang.t("rk-no-data").to_string()));
    Ok(crate::map::with_defs(
        "rk-map",
        lang.t("rk-map"),
        lang.t("rk-grade"),
        &rows,
        &legend,
    ))
}

impl EditionTpl {
    fn is_province(&self, id: &i64) -> bool {
        self.province == Some(*id)
    }
    fn score(&self, s: &Option<f64>) -> String {
        s.map(|s| self.p.lang.num(s, 1))
            .unwrap_or_else(|| "—".into())
    }
    fn grade(&self, g: &str) -> String {
        grade_name(self.p.lang, &self.v.document, g)
    }
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.v.head.method)
    }
    /// A sensitivity choice (`weight:work:+25%`, `normalisation:late:z_score`, `missing:zero`)
    /// in words.
    fn choice(&self, c: &str) -> String {
        let lang = self.p.lang;
        match c.split(':').collect::<Vec<_>>().as_slice() {
            ["weight", code, change] => {
                format!("{} “{}” {change}", lang.t("rk-weight"), self.name_of(code))
            }
            ["normalisation", code, n] => format!(
                "“{}”: {}",
                self.name_of(code),
                lang.t(&format!("rk-norm-{n}"))
            ),
            ["missing", rule] => lang.t(&format!("rk-missing-{rule}")).to_string(),
            _ => c.to_string(),
        }
    }
    fn name_of(&self, code: &str) -> String {
        fn find<'a>(items: &'a [Item], code: &str) -> Option<&'a Item> {
            items.iter().find_map(|i| {
                if i.code() == code {
                    return Some(i);
                }
                match i {
                    Item::Node(n) => find(&n.children, code),
                    Item::Measure(_) => None,
                }
            })
        }
        find(&self.v.document.pillars, code)
            .map(|i| i.name().get(self.p.lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn pillar(&self, u: &RankedUnit, code: &str) -> String {
        u.pillars
            .get(code)
            .copied()
            .flatten()
            .map(|v| self.p.lang.num(v, 1))
            .unwrap_or_else(|| "—".into())
    }
}

/// Units on one page of a ranking: the 3,321 communes made a page of about a megabyte.
const PER_PAGE: usize = 100;

#[derive(serde::Deserialize, Default)]
struct EditionQuery {
    page: Option<usize>,
    /// A nationwide commune ranking shown for the communes of one province (national ranks kept).
    province: Option<i64>,
}

async fn edition_page(
    State(s): State<AppState>,
    ctx: Ctx,
    crate::extract::PathId(id): crate::extract::PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<EditionQuery>,
) -> AppResult<Response> {
    // The edition's lines are shared from the cache: only the hundred shown are copied.
    let (head, document, lines) = app::rankings::edition_lines(
        &s.db,
        &s.org,
        &s.rank_lines,
        ctx.who.as_ref(),
        id,
        ctx.lang.code(),
    )
    .await?;
    let mut v = EditionView {
        head,
        document,
        units: vec![],
        sensitivity: lines.sensitivity.clone(),
    };
    let map = if v.head.method.peer_group == "province" {
        grade_map(&s, &ctx, &v, &lines.units).await?
    } else {
        String::new()
    };
    // The editions of the series, read once: the changelog and the rank sparklines.
    let series = app::rankings::series(&s.db, ctx.who.as_ref(), id).await?;
    let changes = app::rankings::changes(
        &s.db,
        &s.org,
        &s.rank_lines,
        ctx.who.as_ref(),
        &series,
        ctx.lang.code(),
    )
    .await?
    .map(|(before, log)| change_view(ctx.lang, &v, &lines, before, &log));
    // The communes of one province, in their national order.
    let nationwide_communes =
        v.head.method.peer_group == "commune" && v.head.edition.within_unit.is_none();
    let snap = s.org.snapshot(&s.db).await?;
    let mut provinces: Vec<(i64, String)> = vec![];
    let mut base = format!("/rankings/{id}");
    let province = q.province.filter(|_| nationwide_communes);
    if nationwide_communes {
        provinces = snap
            .current_of_kind(domain::org::OrgKind::Province)
            .into_iter()
            .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
            .collect();
        provinces.sort_by_key(|p| domain::text::fold(&p.1));
    }
    // The lines listed: every unit, or the communes of the province chosen.
    let listed: Vec<&RankedUnit> = match province {
        Some(pv) => {
            base = format!("/rankings/{id}?province={pv}");
            lines
                .units
                .iter()
                .filter(|u| snap.chain(u.unit_id).contains(&pv))
                .collect()
        }
        None => lines.units.iter().collect(),
    };
    // Up to seven editions before this one of the series, for the rank sparklines.
    let mut past = vec![];
    for e in series.iter().rev().skip(1).take(7).rev() {
        past.push(
            app::rankings::lines_of(
                &s.db,
                &s.org,
                &s.rank_lines,
                ctx.who.as_ref(),
                e,
                None,
                ctx.lang.code(),
            )
            .await?,
        );
    }
    let total = listed.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * PER_PAGE;
    let shown = first..(first + PER_PAGE).min(total);
    let rows: Vec<(String, bool, String)> = listed[shown.clone()]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            // Told apart from the next ranked unit when their 5–95 % intervals do not overlap.
            let next = listed.get(shown.start + i + 1);
            let apart = match (u.rank_high, next.and_then(|n| n.rank_low)) {
                (Some(h), Some(l)) => h < l,
                _ => true,
            };
            // Ranks drawn upside down: a rise goes up.
            let ranks: Vec<Option<f64>> = past
                .iter()
                .map(|l| {
                    l.unit(u.unit_id)
                        .and_then(|p| p.rank)
                        .map(|r| -f64::from(r))
                })
                .chain(std::iter::once(u.rank.map(|r| -f64::from(r))))
                .collect();
            (
                whisker(u, lines.ranked),
                apart,
                crate::charts::sparkline(&ranks),
            )
        })
        .collect();
    let pillars = if lines.units.iter().any(|u| !u.pillars.is_empty()) {
        v.document
            .pillars
            .iter()
            .map(|p| {
                (
                    p.code().to_string(),
                    p.name().get(ctx.lang.code()).to_string(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let (prev_link, next_link) =
        crate::pages::common::pager(&base, page as i64, PER_PAGE as i64, total as i64);
    let shown_text = format!(
        "{}–{} / {}",
        ctx.lang.int(shown.start as i64 + 1),
        ctx.lang.int(shown.end as i64),
        ctx.lang.int(total as i64)
    );
    v.units = listed[shown].iter().map(|u| (*u).clone()).collect();
    html(EditionTpl {
        trend: !past.is_empty(),
        map,
        changes,
        provinces,
        province,
        p: PageCtx::from(&ctx, &base),
        v,
        rows,
        pillars,
        shown: shown_text,
        prev_link,
        next_link,
    })
    // Every reader who is not signed in sees the same published data.
    .map(|r| public(r, Deps::RANKINGS))
}

#[derive(Template)]
#[template(path = "ranking_unit.html")]
struct UnitTpl {
    p: PageCtx,
    card: Scorecard,
    /// The same unit in the edition before (same method and group), with the change per pillar.
    before: Option<(i64, Vec<domain::ranking::attribution::Change>)>,
    document: Method,
    /// The unit in each edition of the series, oldest first, and its scores as a sparkline.
    history: Vec<app::rankings::HistoryPoint>,
    sparkline: String,
}

impl UnitTpl {
    fn num(&self, v: &Option<f64>) -> String {
        v.map(|v| self.p.lang.num(v, 1))
            .unwrap_or_else(|| "—".into())
    }
    fn signed(&self, v: &f64) -> String {
        let s = self.p.lang.num(v.abs(), 1);
        if *v > 0.0005 {
            format!("+{s}")
        } else if *v < -0.0005 {
            format!("−{s}")
        } else {
            "0".into()
        }
    }
    fn grade(&self, g: &str) -> String {
        grade_name(self.p.lang, &self.document, g)
    }
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.card.head.method)
    }
    fn pillar_name(&self, code: &str) -> String {
        self.document
            .pillars
            .iter()
            .find(|p| p.code() == code)
            .map(|p| p.name().get(self.p.lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn bar(&self, l: &CardLine) -> String {
        crate::charts::share_bar(l.part.points.unwrap_or(0.0))
    }
    fn share(&self, l: &CardLine) -> String {
        self.p.lang.percent1((l.part.share * 1000.0).round() as i64)
    }
    /// Where a measure's inputs can be followed on the platform: the unit's lead work filtered
    /// as the measure counts it, its feedback figures as of the edition's date, its indicators.
    fn evidence(&self, l: &CardLine) -> Option<String> {
        let unit = self.card.unit.unit_id;
        let e = &self.card.head.edition;
        let from = domain::indicators::PeriodId::parse(&e.period)
            .map(|p| p.start().to_string())
            .unwrap_or_default();
        let as_of = e.as_of;
        let work = format!("/org/{unit}/worklist?lead=true&as_of={as_of}");
        Some(match l.source.as_deref()? {
            "tasks.on_time" => format!("{work}&due_from={from}&due_to={as_of}"),
            "tasks.overdue_weighted" => format!("{work}&status=overdue"),
            "tasks.reporting" => format!("{work}&open=true"),
            s if s.starts_with("tasks.") => work,
            s if s.starts_with("feedback.") => format!("/feedback/stats?unit={unit}&as_of={as_of}"),
            s if s.starts_with("indicators.") => format!("/indicators/units/{unit}"),
            s if s.starts_with("catalogue.") => format!("/catalogue/units/{unit}"),
            _ => return None,
        })
    }
    fn imputed(&self, l: &CardLine) -> Option<&'static str> {
        l.part.imputed.map(|m| self.p.tp("rk-missing-", m.as_str()))
    }
}

async fn unit_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, unit): PathIds,
) -> AppResult<Response> {
    let who = ctx.who.as_ref();
    let card = app::rankings::scorecard(&s.db, &s.org, who, id, unit, ctx.lang.code()).await?;
    let view = app::rankings::version(&s.db, who, card.head.method.id, card.head.version).await;
    let document = match view {
        Ok(v) => v.document,
        Err(_) => {
            app::rankings::edition(&s.db, &s.org, &s.rank_lines, who, id, ctx.lang.code())
                .await?
                .document
        }
    };
    // The unit in every edition of the series, and the one before for "why did my score change?".
    let history = app::rankings::history(&s.db, who, id, unit).await?;
    let earlier = history
        .len()
        .checked_sub(2)
        .and_then(|i| history.get(i))
        .map(|h| h.edition_id);
    let before = match earlier {
        Some(b) if !card.lines.is_empty() => app::rankings::why(&s.db, who, b, id, unit)
            .await
            .ok()
            .map(|w| (b, w)),
        _ => None,
    };
    let sparkline = if history.len() > 1 {
        crate::charts::sparkline(&history.iter().map(|h| h.score).collect::<Vec<_>>())
    } else {
        String::new()
    };
    html(UnitTpl {
        p: PageCtx::from(&ctx, &format!("/rankings/{id}/units/{unit}")),
        card,
        before,
        document,
        history,
        sparkline,
    })
    // Every reader who is not signed in sees the same published data.
    .map(|r| public(r, Deps::RANKINGS))
}

/// (depth, code, name, weight, share of its parent in %, how a measure is computed)
type MethodLine = (usize, String, String, String, String, Option<String>);

#[derive(Template)]
#[template(path = "ranking_method.html")]
struct MethodTpl {
    p: PageCtx,
    v: VersionView,
    lines: Vec<MethodLine>,
}

impl MethodTpl {
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.v.method)
    }
    fn top_aggregation(&self) -> &'static str {
        match self.v.document.aggregation {
            domain::ranking::method::Aggregation::Arithmetic => "arithmetic",
            domain::ranking::method::Aggregation::Geometric => "geometric",
        }
    }
}

/// How a measure is computed, in words: source, direction, normalisation, missing data.
fn describe(lang: Lang, m: &domain::ranking::method::Measure) -> String {
    let norm = match m.normalisation {
        Normalisation::Goalposts { worst, best } => format!(
            "{} ({} → 0, {} → 100)",
            lang.t("rk-norm-goalposts"),
            lang.num(worst, 2),
            lang.num(best, 2)
        ),
        n => lang.t(&format!("rk-norm-{}", n.as_str())).to_string(),
    };
    format!(
        "{}: {} · {} · {} · {}",
        lang.t("rk-source"),
        lang.t(&format!(
            "rk-src-{}",
            m.source
                .split(':')
                .next()
                .unwrap_or_default()
                .replace('.', "-")
        )),
        lang.t(&format!(
            "rk-better-{}",
            match m.better {
                domain::ranking::method::Better::Higher => "higher",
                domain::ranking::method::Better::Lower => "lower",
            }
        )),
        norm,
        lang.t(&format!("rk-missing-{}", m.missing.as_str())),
    )
}

async fn method_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, version): PathIds,
) -> AppResult<Response> {
    let version = i32::try_from(version).map_err(|_| app::error::AppError::NotFound)?;
    let v = app::rankings::version(&s.db, ctx.who.as_ref(), id, version).await?;
    let lang = ctx.lang;
    let mut lines = vec![];
    fn walk(lang: Lang, items: &[Item], depth: usize, out: &mut Vec<MethodLine>) {
        let total: f64 = items.iter().map(|i| i.weight()).sum();
        for i in items {
            let share = if total > 0.0 { i.weight() / total } else { 0.0 };
            out.push((
                depth,
                i.code().to_string(),
                i.name().get(lang.code()).to_string(),
                lang.num(i.weight(), 2),
                lang.percent1((share * 1000.0).round() as i64),
                match i {
                    Item::Measure(m) => Some(describe(lang, m)),
                    Item::Node(_) => None,
                },
            ));
            if let Item::Node(n) = i {
                walk(lang, &n.children, depth + 1, out);
            }
        }
    }
    walk(lang, &v.document.pillars, 0, &mut lines);
    html(MethodTpl {
        p: PageCtx::from(&ctx, &format!("/methods/{id}/versions/{version}")),
        v,
        lines,
    })
    // Every reader who is not signed in sees the same published data.
    .map(|r| public(r, Deps::RANKINGS))
}
