//! The Steering Committee's ranking desk: method versions and their moves (approve, return,
//! publish), a new version from an old one, the weights editor of a draft, computing and
//! publishing editions, trying other weights on an edition (what-if), and inspectors' expert
//! scores. Every form posts to the same use cases as the API; errors come back next to the field.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::method_name;
use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, CsrfForm, Ctx, PathId, PathIds};
use crate::pages::common::{PageCtx, html_status};
use app::error::AppError;
use app::rankings::{EditionHead, MethodSummary, VersionView};
use domain::FieldError;
use domain::policy::{Action, Scope};
use domain::ranking::method::{Item, Method, Missing, Normalisation};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rankings/manage", get(desk))
        .route("/rankings/manage/compute", post(compute))
        .route("/rankings/manage/expert", post(expert))
        .route("/rankings/manage/versions/{id}/move", post(move_version))
        .route("/rankings/{id}/publish", post(publish))
        .route("/rankings/{id}/what-if", get(what_if))
        .route("/methods/{id}/versions", post(new_version))
        .route(
            "/methods/{id}/versions/{version}/edit",
            get(edit_page).post(edit_save),
        )
}

/// The compute form as typed (shown again after an error).
#[derive(Deserialize, Default, Clone)]
struct ComputeForm {
    #[serde(default)]
    version_id: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    within_unit: String,
}

/// The expert score form as typed.
#[derive(Deserialize, Default, Clone)]
struct ExpertForm {
    #[serde(default)]
    key: String,
    /// The unit's code (e.g. 66 for Đắk Lắk).
    #[serde(default)]
    unit: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    evidence: String,
}

#[derive(Template)]
#[template(path = "ranking_manage.html")]
struct DeskTpl {
    p: PageCtx,
    methods: Vec<MethodSummary>,
    /// Editions computed and not yet published, newest first.
    waiting: Vec<EditionHead>,
    provinces: Vec<(i64, String)>,
    /// (key, the measure's name)
    expert_keys: Vec<(String, String)>,
    manage: bool,
    compute: ComputeForm,
    expert: ExpertForm,
    errors: Vec<FieldError>,
    /// Which form the errors belong to: "compute", "expert" or "move".
    failed: &'static str,
    done: String,
}

impl DeskTpl {
    fn method_name(&self, m: &app::records::RankMethod) -> String {
        method_name(self.p.lang, m)
    }
    fn err(&self, form: &str, field: &str) -> String {
        if self.failed == form {
            self.p.field_error(&self.errors, field)
        } else {
            String::new()
        }
    }
    /// Errors of a failed move (its state or reason), said above the methods.
    fn move_errors(&self) -> Vec<String> {
        if self.failed == "move" {
            self.p.other_errors(&self.errors, [])
        } else {
            vec![]
        }
    }
    fn selected_version(&self, id: &i64) -> bool {
        self.compute.version_id == id.to_string()
    }
    fn selected_within(&self, id: &i64) -> bool {
        self.compute.within_unit == id.to_string()
    }
}

#[derive(Deserialize, Default)]
struct DeskQuery {
    #[serde(default)]
    done: String,
}

fn may_see(ctx: &Ctx) -> AppResult<()> {
    Ok(app::require(
        ctx.who.as_ref(),
        Action::ReadUnpublishedRankings,
        Scope::Global,
    )?)
}

/// What the desk shows besides the data: a form as typed with its errors, or what was done.
#[derive(Default)]
struct Outcome {
    compute: ComputeForm,
    expert: ExpertForm,
    errors: Vec<FieldError>,
    /// The form the errors belong to.
    failed: &'static str,
    done: String,
}

async fn render_desk(
    s: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    o: Outcome,
) -> AppResult<Response> {
    let Outcome {
        compute,
        expert,
        errors,
        failed,
        done,
    } = o;
    may_see(ctx)?;
    let who = ctx.who.as_ref();
    let methods = app::rankings::methods(&s.db, who).await?;
    let waiting = app::rankings::editions(&s.db, who)
        .await?
        .into_iter()
        .filter(|e| e.edition.published_at.is_none())
        .collect();
    let snap = s.org.snapshot(&s.db).await?;
    let mut provinces: Vec<(i64, String)> = snap
        .current_of_kind(domain::org::OrgKind::Province)
        .into_iter()
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    provinces.sort_by_key(|p| domain::text::fold(&p.1));
    let expert_keys = app::rankings::expert_keys(&methods)
        .into_iter()
        .map(|(k, n)| (k, n.get(ctx.lang.code()).to_string()))
        .collect();
    html_status(
        status,
        DeskTpl {
            p: PageCtx::from(ctx, "/rankings/manage"),
            manage: app::allows(who, Action::ManageRankings),
            methods,
            waiting,
            provinces,
            expert_keys,
            compute,
            expert,
            errors,
            failed,
            done,
        },
    )
}

async fn desk(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<DeskQuery>,
) -> AppResult<Response> {
    let done = match q.done.as_str() {
        d @ ("moved" | "expert") => d.to_string(),
        _ => String::new(),
    };
    let o = Outcome {
        done,
        ..Default::default()
    };
    render_desk(&s, &ctx, StatusCode::OK, o).await
}

/// An empty or unreadable number is the field's error, in the reader's language.
fn parse_field<T: std::str::FromStr>(
    raw: &str,
    field: &str,
    errs: &mut Vec<FieldError>,
) -> Option<T> {
    match raw.trim() {
        "" => None,
        t => match t.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                errs.push(FieldError::new(field, "err-number"));
                None
            }
        },
    }
}

async fn compute(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ComputeForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut errs = vec![];
    let version_id = parse_field::<i64>(&f.version_id, "version_id", &mut errs);
    let within_unit = parse_field::<i64>(&f.within_unit, "within_unit", &mut errs);
    let as_of = match f.as_of.trim() {
        "" => None,
        d => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errs.push(FieldError::new("as_of", "err-date"));
                None
            }
        },
    };
    if version_id.is_none() && errs.is_empty() {
        errs.push(FieldError::new("version_id", "err-required"));
    }
    let result = match version_id {
        Some(version_id) if errs.is_empty() => {
            app::rankings::compute(
                &s.db,
                &s.org,
                who,
                app::rankings::ComputeInput {
                    version_id,
                    period: f.period.clone(),
                    as_of,
                    within_unit,
                },
            )
            .await
        }
        _ => Err(AppError::Invalid(errs)),
    };
    match result {
        Ok(e) => Ok(Redirect::to(&format!("/rankings/{}", e.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let o = Outcome {
                compute: f,
                errors,
                failed: "compute",
                ..Default::default()
            };
            render_desk(&s, &ctx, StatusCode::UNPROCESSABLE_ENTITY, o).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn expert(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ExpertForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let mut errs = vec![];
    let value = parse_field::<f64>(&f.value.replace(',', "."), "value", &mut errs);
    if value.is_none() && errs.is_empty() {
        errs.push(FieldError::new("value", "err-required"));
    }
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap.by_code(f.unit.trim()).map(|u| u.id);
    if unit.is_none() {
        errs.push(FieldError::new("unit", "err-no-such-unit"));
    }
    let result = match (unit, value) {
        (Some(unit_id), Some(value)) if errs.is_empty() => app::rankings::enter_expert(
            &s.db,
            &s.org,
            who,
            app::rankings::ExpertInput {
                key: f.key.clone(),
                unit_id,
                period: f.period.clone(),
                value,
                evidence: f.evidence.clone(),
            },
        )
        .await
        .map(|_| ()),
        _ => Err(AppError::Invalid(errs)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/rankings/manage?done=expert").into_response()),
        Err(AppError::Invalid(errors)) => {
            let o = Outcome {
                expert: f,
                errors,
                failed: "expert",
                ..Default::default()
            };
            render_desk(&s, &ctx, StatusCode::UNPROCESSABLE_ENTITY, o).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct MoveForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

async fn move_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<MoveForm>,
) -> AppResult<Response> {
    let input = app::rankings::MoveInput {
        action: f.action,
        reason: f.reason,
    };
    match app::rankings::move_version(&s.db, ctx.principal()?, id, input).await {
        Ok(_) => Ok(Redirect::to("/rankings/manage?done=moved").into_response()),
        Err(AppError::Invalid(errors)) => {
            let o = Outcome {
                errors,
                failed: "move",
                ..Default::default()
            };
            render_desk(&s, &ctx, StatusCode::UNPROCESSABLE_ENTITY, o).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct PublishForm {
    #[serde(default)]
    detail: String,
}

async fn publish(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<PublishForm>,
) -> AppResult<Response> {
    let input = app::rankings::PublishInput { detail: f.detail };
    app::rankings::publish(&s.db, ctx.principal()?, id, input).await?;
    Ok(Redirect::to(&format!("/rankings/{id}")).into_response())
}

#[derive(Deserialize, Default)]
struct NewVersionForm {
    /// The version whose document the new draft starts from.
    from: i32,
}

async fn new_version(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<NewVersionForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let from = app::rankings::version(&s.db, Some(who), id, f.from).await?;
    let v = app::rankings::new_version(
        &s.db,
        who,
        id,
        app::rankings::DocumentInput {
            document: from.document,
            note: String::new(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/methods/{id}/versions/{}/edit",
        v.version.version
    ))
    .into_response())
}

/// A weight as a number field holds it (a dot, no grouping), whatever the language.
fn plain(w: f64) -> String {
    format!("{w}")
}

/// One line of the weights editor: (depth, code, name, weight as typed, measure's normalisation
/// and missing-data rule).
type EditLine = (usize, String, String, String, Option<(String, String)>);

#[derive(Template)]
#[template(path = "ranking_edit.html")]
struct EditTpl {
    p: PageCtx,
    v: VersionView,
    lines: Vec<EditLine>,
    note: String,
    json: String,
    errors: Vec<FieldError>,
    saved: bool,
}

impl EditTpl {
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.v.method)
    }
    fn err(&self, field: &str) -> String {
        self.p.field_error(&self.errors, field)
    }
    fn normalisations(&self) -> [&'static str; 4] {
        ["min_max", "z_score", "rank", "percentile"]
    }
    fn missing_rules(&self) -> [&'static str; 3] {
        Missing::ALL.map(Missing::as_str)
    }
}

fn edit_lines(
    lang: crate::i18n::Lang,
    doc: &Method,
    typed: &BTreeMap<String, String>,
) -> Vec<EditLine> {
    fn walk(
        lang: crate::i18n::Lang,
        items: &[Item],
        depth: usize,
        typed: &BTreeMap<String, String>,
        out: &mut Vec<EditLine>,
    ) {
        for i in items {
            let code = i.code().to_string();
            let weight = typed
                .get(&format!("w.{code}"))
                .cloned()
                .unwrap_or_else(|| plain(i.weight()));
            let rules = match i {
                Item::Measure(m) => Some((
                    typed
                        .get(&format!("n.{code}"))
                        .cloned()
                        .unwrap_or_else(|| m.normalisation.as_str().to_string()),
                    typed
                        .get(&format!("m.{code}"))
                        .cloned()
                        .unwrap_or_else(|| m.missing.as_str().to_string()),
                )),
                Item::Node(_) => None,
            };
            out.push((
                depth,
                code,
                i.name().get(lang.code()).to_string(),
                weight,
                rules,
            ));
            if let Item::Node(n) = i {
                walk(lang, &n.children, depth + 1, typed, out);
            }
        }
    }
    let mut out = vec![];
    walk(lang, &doc.pillars, 0, typed, &mut out);
    out
}

async fn edit_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, version): PathIds,
) -> AppResult<Response> {
    app::require(ctx.who.as_ref(), Action::ManageRankings, Scope::Global)?;
    let version = i32::try_from(version).map_err(|_| AppError::NotFound)?;
    let v = app::rankings::version(&s.db, ctx.who.as_ref(), id, version).await?;
    let saved = false;
    render_edit(&ctx, v, &BTreeMap::new(), vec![], saved, StatusCode::OK)
}

fn render_edit(
    ctx: &Ctx,
    v: VersionView,
    typed: &BTreeMap<String, String>,
    errors: Vec<FieldError>,
    saved: bool,
    status: StatusCode,
) -> AppResult<Response> {
    let lines = edit_lines(ctx.lang, &v.document, typed);
    let json = typed
        .get("document")
        .cloned()
        .unwrap_or_else(|| serde_json::to_string_pretty(&v.document).unwrap_or_default());
    let note = typed
        .get("note")
        .cloned()
        .unwrap_or_else(|| v.version.note.clone());
    html_status(
        status,
        EditTpl {
            p: PageCtx::from(
                ctx,
                &format!(
                    "/methods/{}/versions/{}/edit",
                    v.method.id, v.version.version
                ),
            ),
            v,
            lines,
            note,
            json,
            errors,
            saved,
        },
    )
}

/// Applies the weights form (`w.<code>`, `n.<code>`, `m.<code>`) to a document; errors by field.
fn apply_form(doc: &mut Method, f: &BTreeMap<String, String>) -> Vec<FieldError> {
    fn walk(items: &mut [Item], f: &BTreeMap<String, String>, errs: &mut Vec<FieldError>) {
        for i in items {
            let code = i.code().to_string();
            let weight = f
                .get(&format!("w.{code}"))
                .map(|w| w.trim().replace(',', "."));
            let weight = match weight.as_deref() {
                None => None,
                Some(w) => match w.parse::<f64>() {
                    Ok(w) if w.is_finite() && w > 0.0 => Some(w),
                    _ => {
                        errs.push(FieldError::new(&format!("w.{code}"), "err-rank-weight"));
                        None
                    }
                },
            };
            match i {
                Item::Node(n) => {
                    if let Some(w) = weight {
                        n.weight = w;
                    }
                    walk(&mut n.children, f, errs);
                }
                Item::Measure(m) => {
                    if let Some(w) = weight {
                        m.weight = w;
                    }
                    match f.get(&format!("n.{code}")).map(String::as_str) {
                        None => {}
                        // Goalposts carry their own numbers: kept as they are, changed in the document.
                        Some("goalposts") => {}
                        Some("min_max") => m.normalisation = Normalisation::MinMax,
                        Some("z_score") => m.normalisation = Normalisation::ZScore,
                        Some("rank") => m.normalisation = Normalisation::Rank,
                        Some("percentile") => m.normalisation = Normalisation::Percentile,
                        Some(_) => errs.push(FieldError::new(&format!("n.{code}"), "err-choice")),
                    }
                    if let Some(rule) = f.get(&format!("m.{code}")) {
                        match Missing::ALL.into_iter().find(|x| x.as_str() == rule) {
                            Some(x) => m.missing = x,
                            None => errs.push(FieldError::new(&format!("m.{code}"), "err-choice")),
                        }
                    }
                }
            }
        }
    }
    let mut errs = vec![];
    walk(&mut doc.pillars, f, &mut errs);
    errs
}

async fn edit_save(
    State(s): State<AppState>,
    ctx: Ctx,
    PathIds(id, version): PathIds,
    CsrfForm(f): CsrfForm<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    app::require(Some(who), Action::ManageRankings, Scope::Global)?;
    let version = i32::try_from(version).map_err(|_| AppError::NotFound)?;
    let v = app::rankings::version(&s.db, Some(who), id, version).await?;
    // The document as a whole (the JSON form) or the weights and rules (the table form).
    let (document, errs) = match f.get("document") {
        Some(json) => match serde_json::from_str::<Method>(json) {
            Ok(d) => (d, vec![]),
            Err(e) => (
                v.document.clone(),
                vec![FieldError::new("document", "err-rank-json").with("detail", e.to_string())],
            ),
        },
        None => {
            let mut d = v.document.clone();
            let errs = apply_form(&mut d, &f);
            (d, errs)
        }
    };
    let result = if errs.is_empty() {
        let input = app::rankings::DocumentInput {
            document,
            note: f.get("note").cloned().unwrap_or_default(),
        };
        app::rankings::edit_version(&s.db, who, v.version.id, input)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errs))
    };
    match result {
        Ok(()) => {
            let v = app::rankings::version(&s.db, Some(who), id, version).await?;
            render_edit(&ctx, v, &BTreeMap::new(), vec![], true, StatusCode::OK)
        }
        Err(AppError::Invalid(errors)) => {
            render_edit(&ctx, v, &f, errors, false, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

/// Units shown on the what-if page: those whose rank moves most.
const WHAT_IF_SHOWN: usize = 50;

#[derive(Template)]
#[template(path = "ranking_what_if.html")]
struct WhatIfTpl {
    p: PageCtx,
    head: EditionHead,
    /// (code, name, weight as typed, error)
    pillars: Vec<(String, String, String, String)>,
    /// (unit, name, score, rank, rank before, move)
    moves: Vec<(i64, String, String, String, String, i64)>,
    /// How many units change place.
    moved: usize,
    tried: bool,
}

impl WhatIfTpl {
    fn method_name(&self) -> String {
        method_name(self.p.lang, &self.head.method)
    }
}

async fn what_if(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    // Trying weights is the Committee's and the inspectors' tool (the API's rule too).
    may_see(&ctx)?;
    let v = app::rankings::edition(&s.db, &s.org, &s.rank_lines, Some(who), id, ctx.lang.code())
        .await?;
    let mut weights = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for p in &v.document.pillars {
        if let Some(raw) = q.get(&format!("w.{}", p.code())) {
            match raw.trim().replace(',', ".").parse::<f64>() {
                Ok(w) if w.is_finite() && w > 0.0 => {
                    weights.insert(p.code().to_string(), w);
                }
                _ => {
                    errors.insert(
                        p.code().to_string(),
                        ctx.lang.t("err-rank-weight").to_string(),
                    );
                }
            }
        }
    }
    let tried = !weights.is_empty() && errors.is_empty();
    let mut moves = vec![];
    let mut moved = 0;
    if tried {
        let names: BTreeMap<i64, &str> = v
            .units
            .iter()
            .map(|u| (u.unit_id, u.name.as_str()))
            .collect();
        let result =
            app::rankings::what_if(&s.db, who, id, app::rankings::WhatIfInput { weights }).await?;
        for u in &result {
            let change = match (u.rank, u.was) {
                (Some(r), Some(w)) => w as i64 - r as i64,
                _ => 0,
            };
            if change != 0 {
                moved += 1;
            }
            moves.push((
                u.unit_id,
                names
                    .get(&u.unit_id)
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                u.score
                    .map(|x| ctx.lang.num(x, 1))
                    .unwrap_or_else(|| "—".into()),
                u.rank.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                u.was.map(|r| r.to_string()).unwrap_or_else(|| "—".into()),
                change,
            ));
        }
        // Largest moves first, then by the new rank.
        moves.sort_by_key(|m| std::cmp::Reverse(m.5.abs()));
        moves.truncate(WHAT_IF_SHOWN);
    }
    let pillars = v
        .document
        .pillars
        .iter()
        .map(|p| {
            let code = p.code().to_string();
            (
                code.clone(),
                p.name().get(ctx.lang.code()).to_string(),
                q.get(&format!("w.{code}"))
                    .cloned()
                    .unwrap_or_else(|| plain(p.weight())),
                errors.get(&code).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_status(
        status,
        WhatIfTpl {
            p: PageCtx::from(&ctx, &format!("/rankings/{id}/what-if")),
            head: v.head,
            pillars,
            moves,
            moved,
            tried,
        },
    )
}
