//! The database catalogue's pages: the search with facets (also a unit's catalogue), an entry
//! with its quality and its review, the declaration form, the national dashboard "Where are our
//! data?" with its map, and the graph of which systems consume which data.

use std::fmt::Write;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::cache::{Deps, public};
use crate::charts::esc;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, PathId};
use crate::i18n::Lang;
use crate::pages::common::{PageCtx, form_status, html, html_status};
use app::catalogue::{Dashboard, EntryRef, EntryView, Results, Search, UnitLine};
use app::error::AppError;
use chrono::{DateTime, Utc};
use domain::FieldError;
use domain::catalogue::{self as cat, DeclarationInput, Quality, Standing};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/catalogue", get(search_page))
        .route("/catalogue/dashboard", get(dashboard_page))
        .route("/catalogue/graph", get(graph_page))
        .route("/catalogue/new", get(new_page).post(create))
        .route(
            "/catalogue/import",
            get(import_page)
                .post(import)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::extract::UPLOAD_BODY_LIMIT,
                )),
        )
        .route("/catalogue/units/{id}", get(unit_page))
        .route("/catalogue/{id}", get(entry_page))
        .route("/catalogue/{id}/edit", get(edit_page).post(save))
        .route("/catalogue/{id}/moves", post(move_entry))
        .route("/catalogue/{id}/figures", post(figures))
        .route(
            "/catalogue/{id}/files",
            post(attach).layer(axum::extract::DefaultBodyLimit::max(
                crate::extract::UPLOAD_BODY_LIMIT,
            )),
        )
}

/// The badge of a standing, in the ranking grades' colours (the stylesheet stays under 10 KB).
pub fn grade(s: impl std::borrow::Borrow<Standing>) -> &'static str {
    match s.borrow() {
        Standing::Good => "grade-excellent",
        Standing::Fair => "grade-fair",
        Standing::Poor => "grade-weak",
        Standing::Unknown => "",
    }
}

/// The colours of the four words' lines.
const WORD_COLOURS: [&str; 4] = ["#2f6db5", "#1a7f37", "#8a6d00", "#c0392b"];

/// A word's score as the language writes it, or a dash.
fn score(lang: Lang, v: Option<f64>) -> String {
    v.map(|v| lang.num(v, 0)).unwrap_or_else(|| "—".into())
}

/// The page's query, as a GET form sends it (empty values mean no filter).
#[derive(Debug, Default, Deserialize)]
struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    lifecycle: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    security_level: String,
    #[serde(default)]
    quality: String,
    #[serde(default)]
    page: String,
}

impl SearchForm {
    fn search(&self, owner: Option<i64>) -> Search {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Search {
            q: some(&self.q),
            owner: owner.or_else(|| self.owner.trim().parse().ok()),
            kind: some(&self.kind),
            state: some(&self.state),
            lifecycle: some(&self.lifecycle),
            theme: some(&self.theme),
            security_level: self.security_level.trim().parse().ok(),
            quality: some(&self.quality),
            page: self.page.trim().parse().ok(),
        }
    }

    /// The query without `page` and without `skip`, for links that change one filter.
    fn query_without(&self, skip: &str) -> String {
        let pairs = [
            ("q", &self.q),
            ("owner", &self.owner),
            ("kind", &self.kind),
            ("state", &self.state),
            ("lifecycle", &self.lifecycle),
            ("theme", &self.theme),
            ("security_level", &self.security_level),
            ("quality", &self.quality),
        ];
        pairs
            .iter()
            .filter(|(k, v)| *k != skip && !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", crate::pages::common::encode_component(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A facet as the page lists it: (label, count, link, chosen).
type FacetLinks = Vec<(String, i64, String, bool)>;

#[derive(Template)]
#[template(path = "catalogue.html")]
struct SearchTpl {
    p: PageCtx,
    r: Results,
    f: SearchForm,
    /// (facet title, its values) in display order.
    facets: Vec<(&'static str, FacetLinks)>,
    base: String,
    /// The unit whose catalogue this is, with its completeness.
    unit: Option<UnitLine>,
    /// The unit's four words month by month (an SVG chart), on a unit's catalogue.
    chart: String,
    may_declare: bool,
    prev: String,
    next: String,
}

impl SearchTpl {
    fn name<'h>(&self, h: &'h app::catalogue::Hit) -> &'h str {
        local_name(self.p.lang, &h.name_vi, &h.name_en, &h.name_fr)
    }
    fn standing(&self, s: &Standing) -> &'static str {
        self.p.tp("cat-standing-", s.as_str())
    }
    fn pct(&self, v: &f64) -> String {
        self.p.lang.num(*v, 0)
    }
    fn bar(&self, v: &f64) -> String {
        crate::charts::share_bar(*v)
    }
}

fn facet_links(
    lang: Lang,
    base: &str,
    f: &SearchForm,
    r: &Results,
) -> Vec<(&'static str, FacetLinks)> {
    let chosen = |key: &str| -> String {
        match key {
            "owner" => f.owner.clone(),
            "kind" => f.kind.clone(),
            "state" => f.state.clone(),
            "lifecycle" => f.lifecycle.clone(),
            "theme" => f.theme.clone(),
            "security_level" => f.security_level.clone(),
            _ => f.quality.clone(),
        }
    };
    let link = |key: &str, value: &str| {
        let rest = f.query_without(key);
        let sep = if rest.is_empty() { "" } else { "&" };
        if chosen(key).trim() == value {
            format!("{base}?{rest}")
        } else {
            format!(
                "{base}?{rest}{sep}{key}={}",
                crate::pages::common::encode_component(value)
            )
        }
    };
    let label = |key: &str, v: &app::catalogue::FacetValue| -> String {
        match key {
            "owner" => v.label.clone(),
            "security_level" => format!("{} {}", lang.t("cat-level"), v.value),
            "theme" => lang.t(&format!("cat-theme-{}", v.value)).to_string(),
            "quality" => lang.t(&format!("cat-standing-{}", v.value)).to_string(),
            k => lang.t(&format!("cat-{k}-{}", v.value)).to_string(),
        }
    };
    let fc = &r.facets;
    [
        ("kind", "cat-kind", &fc.kind),
        ("state", "cat-state", &fc.state),
        ("quality", "cat-quality", &fc.quality),
        ("theme", "cat-theme", &fc.theme),
        ("lifecycle", "cat-lifecycle", &fc.lifecycle),
        ("security_level", "cat-security", &fc.security_level),
        ("owner", "cat-owner", &fc.owner),
    ]
    .into_iter()
    .filter(|(_, _, vs)| !vs.is_empty())
    .map(|(key, title, vs)| {
        let title: &'static str = lang.t(title);
        let links = vs
            .iter()
            .map(|v| {
                (
                    label(key, v),
                    v.count,
                    link(key, &v.value),
                    chosen(key).trim() == v.value,
                )
            })
            .collect();
        (title, links)
    })
    .collect()
}

async fn render_search(
    s: &AppState,
    ctx: &Ctx,
    f: SearchForm,
    unit: Option<i64>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let r = app::catalogue::search(
        &s.db,
        &s.org,
        &s.fresh,
        &s.catalogue,
        ctx.who.as_ref(),
        &f.search(unit),
        lang.code(),
    )
    .await?;
    let base = match unit {
        Some(u) => format!("/catalogue/units/{u}"),
        None => "/catalogue".to_string(),
    };
    let (line, chart) = match unit {
        Some(u) => (
            Some(
                app::catalogue::unit_line(&s.db, &s.org, &s.fresh, &s.catalogue, u, lang.code())
                    .await?,
            ),
            quality_chart(
                lang,
                "cat-unit-quality-chart",
                &app::catalogue::unit_history(&s.db, &s.org, &s.fresh, &s.catalogue, u)
                    .await?
                    .into_iter()
                    .map(|p| (p.at, p.quality))
                    .collect::<Vec<_>>(),
            ),
        ),
        None => (None, String::new()),
    };
    let rest = f.query_without("");
    let paged = |n: i64| {
        format!(
            "{base}?{rest}{}page={n}",
            if rest.is_empty() { "" } else { "&" }
        )
    };
    let prev = if r.page > 1 {
        paged(r.page - 1)
    } else {
        String::new()
    };
    let next = if r.page < r.pages {
        paged(r.page + 1)
    } else {
        String::new()
    };
    let may_declare = ctx.who.as_ref().is_some_and(|w| {
        matches!(
            w.role,
            domain::policy::Role::UnitLeader
                | domain::policy::Role::UnitOfficer
                | domain::policy::Role::Administrator
        )
    });
    let anonymous = ctx.who.is_none();
    let t = SearchTpl {
        p: PageCtx::from(ctx, &ctx.path),
        facets: facet_links(lang, &base, &f, &r),
        r,
        f,
        base,
        unit: line,
        chart,
        may_declare,
        prev,
        next,
    };
    let page = html(t)?;
    Ok(if anonymous {
        public(page, Deps::CATALOGUE)
    } else {
        page
    })
}

async fn search_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(f): Query<SearchForm>,
) -> AppResult<Response> {
    render_search(&s, &ctx, f, None).await
}

async fn unit_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    Query(f): Query<SearchForm>,
) -> AppResult<Response> {
    render_search(&s, &ctx, f, Some(id)).await
}

#[derive(Template)]
#[template(path = "catalogue_entry.html")]
struct EntryTpl {
    p: PageCtx,
    e: EntryView,
    /// (word key, score text, standing, its badge's class)
    words: Vec<(&'static str, String, Standing, &'static str)>,
    chart: String,
    graph: String,
    changes: Vec<app::catalogue::EntryChange>,
    files: Vec<app::records::CatalogueFile>,
    errors: Vec<FieldError>,
    figures: FiguresForm,
}

/// The name in the reader's language, or the Vietnamese one.
fn local_name<'a>(lang: Lang, vi: &'a str, en: &'a str, fr: &'a str) -> &'a str {
    match lang {
        Lang::En if !en.is_empty() => en,
        Lang::Fr if !fr.is_empty() => fr,
        _ => vi,
    }
}

impl EntryTpl {
    fn name(&self) -> &str {
        local_name(
            self.p.lang,
            &self.e.name_vi,
            &self.e.name_en,
            &self.e.name_fr,
        )
    }
    fn fig(&self, k: &str) -> &str {
        let f = &self.figures;
        match k {
            "records" => &f.records,
            "checked" => &f.checked,
            "valid" => &f.valid,
            "complete" => &f.complete,
            "duplicates" => &f.duplicates,
            _ => &f.format_errors,
        }
    }
    /// Changed fields by their names in the reader's language.
    fn field_names(&self, fs: &[String]) -> String {
        fs.iter()
            .map(|f| self.p.lang.field_label(f).unwrap_or(f.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn opt_int(&self, v: &Option<i64>) -> String {
        v.map(|v| self.p.lang.int(v)).unwrap_or_else(|| "—".into())
    }
}

fn words(lang: Lang, q: &Quality) -> Vec<(&'static str, String, Standing, &'static str)> {
    q.words()
        .iter()
        .map(|(k, v)| {
            (
                *k,
                score(lang, *v),
                Standing::of(*v),
                grade(Standing::of(*v)),
            )
        })
        .collect()
}

async fn render_entry(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    figures: FiguresForm,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let who = ctx.who.as_ref();
    let e =
        app::catalogue::entry(&s.db, &s.org, &s.fresh, &s.catalogue, who, id, lang.code()).await?;
    let history = app::catalogue::history(&s.db, &s.org, &s.fresh, &s.catalogue, who, id).await?;
    let files = app::catalogue::files(&s.db, &s.org, &s.fresh, &s.catalogue, who, id).await?;
    // The changes are shown to those who read the entry's inside (who see its security details).
    let changes = if e.security.is_some() {
        app::catalogue::changes(&s.db, &s.org, &s.fresh, &s.catalogue, who, id).await?
    } else {
        vec![]
    };
    let mut nodes: Vec<EntryRef> = vec![EntryRef {
        id: e.id,
        code: e.code.clone(),
        name_vi: e.name_vi.clone(),
    }];
    nodes.extend(e.providers.iter().cloned());
    nodes.extend(e.consumers.iter().cloned());
    let links: Vec<(i64, i64)> = e
        .providers
        .iter()
        .map(|p| (e.id, p.id))
        .chain(e.consumers.iter().map(|c| (c.id, e.id)))
        .collect();
    let graph = if links.is_empty() {
        String::new()
    } else {
        draw_graph(lang, &nodes, &links)
    };
    let status = form_status(&errors);
    html_status(
        status,
        EntryTpl {
            p: PageCtx::from(ctx, &format!("/catalogue/{id}")),
            words: words(lang, &e.quality),
            chart: quality_chart(
                lang,
                "cat-quality-chart",
                &history
                    .iter()
                    .map(|m| {
                        (
                            m.at,
                            Quality {
                                correct: m.correct,
                                sufficient: m.sufficient,
                                clean: m.clean,
                                live: m.live,
                            },
                        )
                    })
                    .collect::<Vec<_>>(),
            ),
            graph,
            e,
            changes,
            files,
            errors,
            figures,
        },
    )
}

async fn entry_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let anonymous = ctx.who.is_none();
    let page = render_entry(&s, &ctx, id, vec![], FiguresForm::default()).await?;
    Ok(if anonymous {
        public(page, Deps::CATALOGUE)
    } else {
        page
    })
}

#[derive(Debug, Default, Deserialize)]
struct MoveForm {
    #[serde(rename = "move", default)]
    step: String,
    #[serde(default)]
    reason: String,
}

async fn move_entry(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<MoveForm>,
) -> AppResult<Response> {
    let input = app::catalogue::MoveInput {
        step: f.step,
        reason: f.reason,
    };
    match app::catalogue::move_entry(&s.db, ctx.principal()?, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            render_entry(&s, &ctx, id, errors, FiguresForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Figures as the unit's form sends them: counts in the language's digits, empty for unknown.
#[derive(Debug, Default, Clone, Deserialize)]
struct FiguresForm {
    #[serde(default)]
    records: String,
    #[serde(default)]
    checked: String,
    #[serde(default)]
    valid: String,
    #[serde(default)]
    complete: String,
    #[serde(default)]
    duplicates: String,
    #[serde(default)]
    format_errors: String,
}

impl FiguresForm {
    fn parse(&self) -> Result<cat::Figures, Vec<FieldError>> {
        let mut errs = vec![];
        let mut read = |field: &str, raw: &str| -> Option<i64> {
            let t: String = raw
                .chars()
                .filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}'))
                .collect();
            if t.is_empty() {
                return None;
            }
            t.parse::<i64>()
                .map_err(|_| errs.push(FieldError::new(field, "err-not-integer")))
                .ok()
        };
        let f = cat::Figures {
            records: read("records", &self.records),
            checked: read("checked", &self.checked),
            valid: read("valid", &self.valid),
            complete: read("complete", &self.complete),
            duplicates: read("duplicates", &self.duplicates),
            format_errors: read("format_errors", &self.format_errors),
        };
        if errs.is_empty() { Ok(f) } else { Err(errs) }
    }
}

async fn figures(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<FiguresForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let r = match f.parse() {
        Ok(figures) => {
            app::catalogue::report(
                &s.db,
                who,
                id,
                &app::catalogue::FiguresInput {
                    figures,
                    updated_at: None,
                },
                false,
            )
            .await
        }
        Err(errs) => Err(AppError::Invalid(errs)),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => render_entry(&s, &ctx, id, errors, f).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "catalogue_import.html")]
struct ImportTpl {
    p: PageCtx,
    owner: i64,
    owners: Vec<(i64, String)>,
    dry_run: bool,
    report: Option<app::catalogue::import::ImportReport>,
    errors: Vec<FieldError>,
}

impl ImportTpl {
    fn owner_name(&self) -> &str {
        self.owners
            .iter()
            .find(|(id, _)| *id == self.owner)
            .map_or("", |(_, n)| n.as_str())
    }

    /// A field by its name in the reader's language.
    fn label<'a>(&self, f: &'a str) -> &'a str {
        self.p.lang.field_label(f).unwrap_or(f)
    }
}

/// A unit's inventory to import (CSV, XLSX or a CKAN answer), checked first by default.
async fn import_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    html(ImportTpl {
        p: PageCtx::from(&ctx, "/catalogue/import"),
        owner: q.owner.unwrap_or(who.unit_id),
        owners: owners(&s, &ctx).await?,
        dry_run: true,
        report: None,
        errors: vec![],
    })
}

/// The inventory imported (or only checked): the page again with the report, each value not
/// understood in a table.
async fn import(
    State(s): State<AppState>,
    ctx: Ctx,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut parts = crate::extract::read_multipart(mp, s.cfg.evidence_max_bytes()).await?;
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let owner = parts
        .text("owner")
        .and_then(|o| o.trim().parse::<i64>().ok())
        .unwrap_or(who.unit_id);
    let dry_run = parts.text("dry_run").is_some_and(|v| v == "1");
    let r = match parts.one_file() {
        Ok(file) => app::catalogue::import::import(&s.db, who, owner, &file.bytes, dry_run).await,
        Err(e) => Err(e),
    };
    let (report, errors) = match r {
        Ok(r) => (Some(r), vec![]),
        Err(AppError::Invalid(errors)) => (None, errors),
        Err(e) => return Err(e.into()),
    };
    let status = form_status(&errors);
    html_status(
        status,
        ImportTpl {
            p: PageCtx::from(&ctx, "/catalogue/import"),
            owner,
            owners: owners(&s, &ctx).await?,
            dry_run,
            report,
            errors,
        },
    )
}

/// A document from the entry page's form: attached, then the entry again (with the error next to
/// the file field when refused).
async fn attach(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    mp: crate::extract::MultipartBody,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut parts = match crate::extract::read_multipart(mp, s.cfg.evidence_max_bytes()).await {
        Ok(p) => p,
        Err(crate::error::WebError(AppError::Invalid(errors))) => {
            return render_entry(&s, &ctx, id, errors, FiguresForm::default()).await;
        }
        Err(e) => return Err(e),
    };
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let r = match parts.one_file() {
        Ok(file) => {
            app::catalogue::attach(
                &s.db,
                &s.cfg.data_dir,
                s.cfg.evidence_max_bytes(),
                who,
                id,
                file,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{id}#cat-files")).into_response()),
        Err(AppError::Invalid(errors)) => {
            render_entry(&s, &ctx, id, errors, FiguresForm::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The declaration form's values as sent (themes are repeated checkboxes).
#[derive(Debug, Default)]
struct DeclForm {
    pairs: Vec<(String, String)>,
}

impl DeclForm {
    fn get(&self, k: &str) -> String {
        self.pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    fn has(&self, k: &str) -> bool {
        !self.get(k).is_empty()
    }
    fn themes(&self) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == "themes")
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn input(&self) -> Result<DeclarationInput, Vec<FieldError>> {
        let mut errs = vec![];
        let level = self
            .get("security_level")
            .trim()
            .parse::<i32>()
            .unwrap_or_else(|_| {
                errs.push(FieldError::new("security_level", "err-not-integer"));
                0
            });
        let expected = match self
            .get("expected_population")
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '-')
            .collect::<String>()
        {
            t if t.is_empty() => None,
            t => t
                .parse::<i64>()
                .map_err(|_| errs.push(FieldError::new("expected_population", "err-not-integer")))
                .ok(),
        };
        let since = match self.get("lifecycle_since").trim() {
            "" => None,
            t => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map_err(|_| errs.push(FieldError::new("lifecycle_since", "err-date")))
                .ok(),
        };
        let managing = match self.get("managing_unit_id").trim() {
            "" => None,
            t => t
                .parse::<i64>()
                .map_err(|_| errs.push(FieldError::new("managing_unit_id", "err-not-integer")))
                .ok(),
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(DeclarationInput {
            code: self.get("code"),
            name_vi: self.get("name_vi"),
            name_en: self.get("name_en"),
            name_fr: self.get("name_fr"),
            kind: self.get("kind"),
            managing_unit_id: managing,
            legal_basis: self.get("legal_basis"),
            purpose: self.get("purpose"),
            themes: self.themes(),
            data_subjects: self.get("data_subjects"),
            dictionary: self.get("dictionary"),
            expected_population: expected,
            frequency: self.get("frequency"),
            lifecycle: self.get("lifecycle"),
            lifecycle_since: since,
            hosting: self.get("hosting"),
            security_level: level,
            exchange_connected: self.has("exchange_connected"),
            services: self.get("services"),
            contact: self.get("contact"),
            access_url: self.get("access_url"),
            is_public: self.has("is_public"),
            providers: self.get("providers"),
        })
    }

    fn of(e: &EntryView, sec: Option<&app::catalogue::Security>) -> DeclForm {
        let mut pairs: Vec<(String, String)> = vec![
            ("code".into(), e.code.clone()),
            ("name_vi".into(), e.name_vi.clone()),
            ("name_en".into(), e.name_en.clone()),
            ("name_fr".into(), e.name_fr.clone()),
            ("kind".into(), e.kind.as_str().into()),
            (
                "managing_unit_id".into(),
                e.managing_unit_id
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ),
            ("legal_basis".into(), e.legal_basis.clone()),
            ("purpose".into(), e.purpose.clone()),
            ("data_subjects".into(), e.data_subjects.clone()),
            ("dictionary".into(), cat::write_dictionary(&e.dictionary)),
            (
                "expected_population".into(),
                e.expected_population
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            ),
            ("frequency".into(), e.frequency.as_str().into()),
            ("lifecycle".into(), e.lifecycle.as_str().into()),
            (
                "lifecycle_since".into(),
                e.lifecycle_since.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ("contact".into(), e.contact.clone()),
            ("access_url".into(), e.access_url.clone()),
            (
                "providers".into(),
                e.providers
                    .iter()
                    .map(|p| p.code.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ];
        if let Some(sec) = sec {
            pairs.push(("hosting".into(), sec.hosting.as_str().into()));
            pairs.push(("security_level".into(), sec.security_level.to_string()));
            pairs.push(("services".into(), sec.services.clone()));
        }
        if e.exchange_connected {
            pairs.push(("exchange_connected".into(), "on".into()));
        }
        if e.is_public {
            pairs.push(("is_public".into(), "on".into()));
        }
        pairs.extend(e.themes.iter().map(|t| ("themes".to_string(), t.clone())));
        DeclForm { pairs }
    }
}

#[derive(Template)]
#[template(path = "catalogue_form.html")]
struct FormTpl {
    p: PageCtx,
    /// The entry edited, or None for a new one.
    id: Option<i64>,
    action: String,
    /// Units the caller may declare for: (id, name).
    owners: Vec<(i64, String)>,
    owner: i64,
    f: DeclForm,
    errors: Vec<FieldError>,
}

impl FormTpl {
    fn v(&self, k: &str) -> String {
        self.f.get(k)
    }
    fn is(&self, k: &str, v: &str) -> bool {
        self.f.get(k) == v
    }
    fn checked(&self, k: &str) -> bool {
        self.f.has(k)
    }
    fn theme_on(&self, t: &str) -> bool {
        self.f.themes().iter().any(|x| x == t)
    }
    fn err(&self, k: &str) -> String {
        self.p.field_error(&self.errors, k)
    }
    fn kinds(&self) -> Vec<&'static str> {
        cat::Kind::ALL.iter().map(|k| k.as_str()).collect()
    }
    fn frequencies(&self) -> Vec<&'static str> {
        cat::Frequency::ALL.iter().map(|k| k.as_str()).collect()
    }
    fn lifecycles(&self) -> Vec<&'static str> {
        cat::Lifecycle::ALL.iter().map(|k| k.as_str()).collect()
    }
    fn hostings(&self) -> Vec<&'static str> {
        cat::Hosting::ALL.iter().map(|k| k.as_str()).collect()
    }
    fn themes(&self) -> Vec<&'static str> {
        cat::THEMES.to_vec()
    }
    fn fields(&self) -> [&'static str; 18] {
        FORM_FIELDS
    }
}

const FORM_FIELDS: [&str; 18] = [
    "owner",
    "code",
    "name_vi",
    "name_en",
    "name_fr",
    "kind",
    "legal_basis",
    "purpose",
    "themes",
    "data_subjects",
    "dictionary",
    "expected_population",
    "frequency",
    "lifecycle",
    "hosting",
    "security_level",
    "access_url",
    "providers",
];

/// The caller's unit and the units right below it (a province officer declares for a commune).
async fn owners(s: &AppState, ctx: &Ctx) -> AppResult<Vec<(i64, String)>> {
    let who = ctx.principal()?;
    let snap = s.org.snapshot(&s.db).await?;
    let lang = ctx.lang.code();
    let mut out = vec![];
    if let Some(u) = snap.get(who.unit_id) {
        out.push((u.id, u.name(lang).to_string()));
    }
    out.extend(
        snap.current_children(who.unit_id)
            .into_iter()
            .map(|u| (u.id, u.name(lang).to_string())),
    );
    Ok(out)
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    owner: Option<i64>,
}

async fn new_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let owners = owners(&s, &ctx).await?;
    let f = DeclForm {
        pairs: vec![
            ("frequency".into(), "monthly".into()),
            ("lifecycle".into(), "operating".into()),
            ("hosting".into(), "unit_centre".into()),
            ("security_level".into(), "2".into()),
        ],
    };
    html(FormTpl {
        p: PageCtx::from(&ctx, "/catalogue/new"),
        id: None,
        action: "/catalogue/new".into(),
        owner: q.owner.unwrap_or(who.unit_id),
        owners,
        f,
        errors: vec![],
    })
}

async fn create(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let f = DeclForm { pairs };
    let owner = f.get("owner").trim().parse::<i64>().unwrap_or(who.unit_id);
    let r = match f.input() {
        Ok(input) => app::catalogue::create(&s.db, who, owner, &input).await,
        Err(errs) => Err(AppError::Invalid(errs)),
    };
    match r {
        Ok(row) => Ok(Redirect::to(&format!("/catalogue/{}", row.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let owners = owners(&s, &ctx).await?;
            html_status(
                form_status(&errors),
                FormTpl {
                    p: PageCtx::from(&ctx, "/catalogue/new"),
                    id: None,
                    action: "/catalogue/new".into(),
                    owners,
                    owner,
                    f,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    f: Option<DeclForm>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let e = app::catalogue::entry(
        &s.db,
        &s.org,
        &s.fresh,
        &s.catalogue,
        ctx.who.as_ref(),
        id,
        ctx.lang.code(),
    )
    .await?;
    if !e.editable {
        return Err(AppError::Forbidden.into());
    }
    let f = f.unwrap_or_else(|| DeclForm::of(&e, e.security.as_ref()));
    html_status(
        form_status(&errors),
        FormTpl {
            p: PageCtx::from(ctx, &format!("/catalogue/{id}/edit")),
            id: Some(id),
            action: format!("/catalogue/{id}/edit"),
            owners: vec![(e.owner_unit_id, e.owner_name.clone())],
            owner: e.owner_unit_id,
            f,
            errors,
        },
    )
}

async fn edit_page(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    ctx.principal()?;
    edit_form(&s, &ctx, id, None, vec![]).await
}

async fn save(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let f = DeclForm { pairs };
    let r = match f.input() {
        Ok(input) => app::catalogue::edit(&s.db, who, id, &input).await,
        Err(errs) => Err(AppError::Invalid(errs)),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/catalogue/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => edit_form(&s, &ctx, id, Some(f), errors).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "catalogue_dashboard.html")]
struct DashboardTpl {
    p: PageCtx,
    d: Dashboard,
    map: String,
}

impl DashboardTpl {
    fn pct(&self, v: &f64) -> String {
        self.p.lang.num(*v, 0)
    }
    fn word(&self, v: &Option<f64>) -> String {
        score(self.p.lang, *v)
    }
    fn standing(&self, v: &Option<f64>) -> &'static str {
        grade(Standing::of(*v))
    }
    fn bar(&self, v: &f64) -> String {
        crate::charts::share_bar(*v)
    }
    fn sections(&self) -> [(&'static str, &[UnitLine], &'static str); 2] {
        [
            (
                self.p.t("cat-provinces"),
                &self.d.provinces,
                "cat-provinces",
            ),
            (self.p.t("cat-agencies"), &self.d.agencies, "cat-agencies"),
        ]
    }
}

/// Completeness bands of the map: under 25 %, 50 %, 75 %, and from 75 %; grey with no entry.
fn band(l: &UnitLine) -> String {
    if l.entries == 0 {
        return "q-none".into();
    }
    format!("q{}", ((l.completeness / 25.0).floor() as i64).clamp(0, 3))
}

async fn dashboard_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let lang = ctx.lang;
    let d = app::catalogue::dashboard(&s.db, &s.org, &s.fresh, &s.catalogue, lang.code()).await?;
    let rows: Vec<crate::map::Row> = d
        .provinces
        .iter()
        .map(|l| {
            (
                l.code.clone().unwrap_or_default(),
                l.name.clone(),
                band(l),
                format!("{} %", lang.num(l.completeness, 0)),
                format!("/catalogue/units/{}", l.unit_id),
            )
        })
        .collect();
    let legend: Vec<(String, String)> = ["q0", "q1", "q2", "q3", "q-none"]
        .iter()
        .map(|c| (c.to_string(), lang.t(&format!("cat-band-{c}")).to_string()))
        .collect();
    let map = crate::map::with_defs(
        "cat-map",
        lang.t("cat-map"),
        lang.t("cat-completeness"),
        &rows,
        &legend,
    );
    let anonymous = ctx.who.is_none();
    let page = html(DashboardTpl {
        p: PageCtx::from(&ctx, "/catalogue/dashboard"),
        d,
        map,
    })?;
    Ok(if anonymous {
        public(page, Deps::CATALOGUE)
    } else {
        page
    })
}

#[derive(Deserialize)]
struct GraphQuery {
    #[serde(default)]
    owner: Option<i64>,
}

#[derive(Template)]
#[template(path = "body_page.html")]
struct GraphTpl {
    p: PageCtx,
    title: String,
    body: String,
    /// (id, href, label) of links above the body: none here.
    actions: Vec<(String, String, String)>,
}

async fn graph_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<GraphQuery>,
) -> AppResult<Response> {
    let lang = ctx.lang;
    let (nodes, links) = app::catalogue::graph(
        &s.db,
        &s.org,
        &s.fresh,
        &s.catalogue,
        ctx.who.as_ref(),
        q.owner,
    )
    .await?;
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">{}</p>",
        esc(lang.t("cat-graph")),
        esc(lang.t("cat-graph-help"))
    );
    if links.is_empty() {
        let _ = write!(
            body,
            "<p class=\"muted\" id=\"cat-graph-none\">{}</p>",
            esc(lang.t("cat-graph-none"))
        );
    } else {
        body.push_str(&draw_graph(lang, &nodes, &links));
    }
    let anonymous = ctx.who.is_none();
    let page = html(GraphTpl {
        p: PageCtx::from(&ctx, "/catalogue/graph"),
        title: lang.t("cat-graph").to_string(),
        body,
        actions: vec![],
    })?;
    Ok(if anonymous {
        public(page, Deps::CATALOGUE)
    } else {
        page
    })
}

/// Which systems consume which data, in columns: entries that only provide on the left, those
/// that only consume on the right, the rest between; an arrow from consumer to provider.
pub fn draw_graph(lang: Lang, nodes: &[EntryRef], links: &[(i64, i64)]) -> String {
    let provides = |id: i64| links.iter().any(|l| l.1 == id);
    let consumes = |id: i64| links.iter().any(|l| l.0 == id);
    let mut cols: [Vec<&EntryRef>; 3] = [vec![], vec![], vec![]];
    let mut seen = std::collections::HashSet::new();
    for n in nodes {
        if !seen.insert(n.id) {
            continue;
        }
        let c = match (provides(n.id), consumes(n.id)) {
            (true, false) => 0,
            (true, true) => 1,
            _ => 2,
        };
        cols[c].push(n);
    }
    let (w, row, colw) = (720.0, 34.0, 240.0);
    let rows = cols.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let h = rows as f64 * row + 20.0;
    let mut at = std::collections::HashMap::new();
    for (ci, col) in cols.iter().enumerate() {
        for (ri, n) in col.iter().enumerate() {
            at.insert(n.id, (10.0 + ci as f64 * colw, 10.0 + ri as f64 * row));
        }
    }
    let mut s = format!(
        r#"<figure class="graph scroll" id="cat-graph"><svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="rgb(107,114,128)"/></marker></defs>"#,
        esc(lang.t("cat-graph"))
    );
    let bw = 200.0;
    for (a, b) in links {
        if let (Some(&(ax, ay)), Some(&(bx, by))) = (at.get(a), at.get(b)) {
            // From the consumer's left edge to the provider's right edge.
            let _ = write!(
                s,
                r#"<line class="edge" stroke="rgb(107,114,128)" x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" marker-end="url(#arrow)"/>"#,
                ax,
                ay + 12.0,
                bx + bw,
                by + 12.0
            );
        }
    }
    for n in at.keys() {
        let e = nodes
            .iter()
            .find(|x| x.id == *n)
            .expect("placed nodes come from the list");
        let (x, y) = at[n];
        let label: String = e.name_vi.chars().take(30).collect();
        let _ = write!(
            s,
            r#"<a href="/catalogue/{}"><rect class="node" fill="rgb(246,248,250)" stroke="rgb(47,109,181)" x="{x:.0}" y="{y:.0}" width="{bw}" height="24" rx="4"/><text font-size="11" x="{:.0}" y="{:.0}"><title>{} · {}</title>{}</text></a>"#,
            e.id,
            x + 6.0,
            y + 16.0,
            esc(&e.code),
            esc(&e.name_vi),
            esc(&label)
        );
    }
    s.push_str("</svg></figure>");
    s
}

/// How a point gives one word.
type WordOf = fn(&Quality) -> Option<f64>;

/// The four words over time (0–100), one line each: an entry's measurements or a unit's months.
fn quality_chart(lang: Lang, id: &str, ms: &[(DateTime<Utc>, Quality)]) -> String {
    if ms.len() < 2 {
        return String::new();
    }
    let (w, h, left, bottom) = (640.0, 180.0, 34.0, 22.0);
    let t0 = ms[0].0.timestamp() as f64;
    let t1 = ms[ms.len() - 1].0.timestamp() as f64;
    let span = (t1 - t0).max(1.0);
    let x = |t: f64| left + (t - t0) / span * (w - left - 10.0);
    let y = |v: f64| 8.0 + (100.0 - v) / 100.0 * (h - bottom - 8.0);
    let mut s = format!(
        r#"<figure class="chart" id="{id}"><svg class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(lang.t("cat-quality-chart"))
    );
    for v in [0.0, 50.0, 100.0] {
        let _ = write!(
            s,
            r#"<line stroke="rgb(234,238,242)" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="axis" x="2" y="{:.1}">{}</text>"#,
            w - 10.0,
            y(v),
            y(v),
            y(v) + 4.0,
            v
        );
    }
    let words: [(&str, WordOf); 4] = [
        ("correct", |m| m.correct),
        ("sufficient", |m| m.sufficient),
        ("clean", |m| m.clean),
        ("live", |m| m.live),
    ];
    for (i, (key, get)) in words.iter().enumerate() {
        let pts: Vec<String> = ms
            .iter()
            .filter_map(|(at, q)| {
                get(q).map(|v| format!("{:.1},{:.1}", x(at.timestamp() as f64), y(v)))
            })
            .collect();
        if pts.len() >= 2 {
            let _ = write!(
                s,
                // Coloured here, as the legend is: SVG draws no stroke by default.
                r#"<polyline class="word w{i}" fill="none" stroke="{}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
                WORD_COLOURS[i],
                pts.join(" "),
                esc(lang.t(&format!("cat-word-{key}")))
            );
        }
    }
    let first = domain::clock::local_date(ms[0].0);
    let last = domain::clock::local_date(ms[ms.len() - 1].0);
    let _ = write!(
        s,
        r#"<text class="axis" x="{left}" y="{:.0}">{}</text><text class="axis" x="{:.0}" y="{:.0}" text-anchor="end">{}</text></svg><figcaption>"#,
        h - 4.0,
        lang.date(first),
        w - 10.0,
        h - 4.0,
        lang.date(last)
    );
    for (i, (key, _)) in words.iter().enumerate() {
        let _ = write!(
            s,
            r#"<svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="{}"/></svg> {} "#,
            WORD_COLOURS[i],
            esc(lang.t(&format!("cat-word-{key}")))
        );
    }
    s.push_str("</figcaption></figure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_draws_every_link_and_node_once() {
        let n = |id: i64| EntryRef {
            id,
            code: format!("E{id}"),
            name_vi: format!("Hệ thống {id}"),
        };
        let svg = draw_graph(Lang::Vi, &[n(1), n(2), n(3), n(2)], &[(2, 1), (3, 2)]);
        assert_eq!(svg.matches("<line class=\"edge\"").count(), 2);
        assert_eq!(svg.matches("<rect class=\"node\"").count(), 3);
    }
}
