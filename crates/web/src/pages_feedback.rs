//! Pages of feedback: the public form, the tracking page (rating and appeal), published items,
//! statistics with charts; the officers' inbox and item page with the moves.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::AppState;
use super::extract::{ApiQuery, ClientIp, CsrfForm, Ctx, PathId, read_multipart};
use super::pages::{PageCtx, confirm_link_page, html, html_status};
use crate::error::{AppResult, WebError};
use app::error::AppError;
use app::feedback::{InboxQuery, InboxRow, PublicItem, Stats, Tracking};
use app::records::{Category, Event, Item};
use domain::FieldError;
use domain::feedback::{Kind, State as FbState, Submitter};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback", get(list_page))
        .route(
            "/feedback/new",
            get(form_page)
                .post(submit)
                .layer(DefaultBodyLimit::max(256 * 1_048_576)),
        )
        .route("/feedback/track", get(track_lookup))
        .route("/feedback/track/{code}", get(track_page))
        .route("/feedback/track/{code}/rate", post(rate))
        .route("/feedback/track/{code}/appeal", post(appeal))
        .route("/feedback/track/{code}/support", post(support))
        .route(
            "/feedback/support/confirm",
            get(support_confirm_page).post(support_confirm),
        )
        .route("/feedback/stats", get(stats_page))
        .route("/feedback/inbox", get(inbox_page))
        .route("/feedback/mine", get(mine_page))
        .route("/feedback/items/{id}", get(item_page))
        .route("/feedback/items/{id}/act", post(act))
        .route("/feedback/items/{id}/moderate", post(moderate))
        .route("/feedback/inbox/bulk", post(bulk))
        .route("/feedback/units/{id}/settings", post(save_settings))
}

async fn categories(s: &AppState) -> AppResult<Vec<Category>> {
    Ok(app::feedback::categories(&s.db).await?)
}

fn category_name(p: &PageCtx, cats: &[Category], code: &str) -> String {
    cats.iter()
        .find(|c| c.code == code)
        .map(|c| match p.lang.code() {
            "en" => c.name_en.clone(),
            "fr" => c.name_fr.clone(),
            _ => c.name_vi.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

#[derive(Template)]
#[template(path = "feedback_list.html")]
struct ListTpl {
    p: PageCtx,
    items: Vec<PublicItem>,
    total: i64,
    cats: Vec<Category>,
    kind: String,
    category: String,
    unit: String,
    status: String,
}

impl ListTpl {
    fn cat(&self, code: &str) -> String {
        category_name(&self.p, &self.cats, code)
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    category: Option<String>,
    /// A unit id, as typed (empty: every unit).
    unit: Option<String>,
    /// answered or closed.
    status: Option<String>,
    page: Option<i64>,
}

async fn list_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let kind = q.kind.filter(|k| !k.is_empty());
    let category = q.category.filter(|k| !k.is_empty());
    let status = q.status.filter(|k| !k.is_empty());
    let unit_text = q.unit.unwrap_or_default().trim().to_string();
    let unit = match unit_text.as_str() {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .map_err(|_| AppError::invalid(FieldError::new("unit", "err-not-integer")))?,
        ),
    };
    let (items, total) = app::feedback::published(
        &s.db,
        InboxQuery {
            kind: kind.clone(),
            category: category.clone(),
            unit,
            status: status.clone(),
            page: q.page,
            per_page: Some(50),
            ..Default::default()
        },
    )
    .await?;
    html(ListTpl {
        p: PageCtx::from(&ctx, "/feedback"),
        items,
        total,
        cats: categories(&s).await?,
        kind: kind.unwrap_or_default(),
        category: category.unwrap_or_default(),
        unit: unit_text,
        status: status.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "feedback_mine.html")]
struct MineTpl {
    p: PageCtx,
    items: Vec<PublicItem>,
    total: i64,
}

async fn mine_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Response> {
    let (items, total) = app::feedback::mine(
        &s.db,
        ctx.principal()?,
        InboxQuery {
            page: q.page,
            per_page: Some(100),
            ..Default::default()
        },
    )
    .await?;
    html(MineTpl {
        p: PageCtx::from(&ctx, "/feedback/mine"),
        items,
        total,
    })
}

#[derive(Template)]
#[template(path = "feedback_form.html")]
struct FormTpl {
    p: PageCtx,
    cats: Vec<Category>,
    kinds: Vec<&'static str>,
    submitters: Vec<&'static str>,
    errors: Vec<FieldError>,
    values: std::collections::HashMap<String, String>,
}

impl FormTpl {
    fn v(&self, k: &str) -> String {
        self.values.get(k).cloned().unwrap_or_default()
    }
}

fn form(ctx: &Ctx, cats: Vec<Category>) -> FormTpl {
    FormTpl {
        p: PageCtx::from(ctx, "/feedback/new"),
        cats,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        submitters: Submitter::ALL.iter().map(|k| k.as_str()).collect(),
        errors: vec![],
        values: Default::default(),
    }
}

async fn form_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    html(form(&ctx, categories(&s).await?))
}

#[derive(Template)]
#[template(path = "feedback_submitted.html")]
struct SubmittedTpl {
    p: PageCtx,
    code: String,
    secret: String,
    deadline: Option<chrono::NaiveDate>,
}

async fn submit(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    mp: Multipart,
) -> AppResult<Response> {
    let cats = categories(&s).await?;
    let parts = match read_multipart(mp, s.cfg.evidence_max_bytes()).await {
        Ok(p) => p,
        Err(WebError(AppError::Invalid(errors))) => {
            let mut t = form(&ctx, cats);
            t.errors = errors;
            return html_status(StatusCode::UNPROCESSABLE_ENTITY, t);
        }
        Err(e) => return Err(e),
    };
    ctx.check_csrf(&parts.text("_csrf").unwrap_or_default())?;
    let t = |k: &str| parts.text(k).unwrap_or_default();
    let unit_id = match t("unit_id").trim() {
        "" => None,
        v => v.parse().ok().or(Some(-1)),
    };
    let input = app::feedback::Submission {
        kind: t("kind"),
        category: t("category"),
        title: t("title"),
        body: t("body"),
        unit_id,
        submitter_kind: t("submitter_kind"),
        name: parts.text("name"),
        email: parts.text("email"),
        phone: parts.text("phone"),
        publish_name: t("publish_name") == "on",
        website: t("website"),
    };
    let values = parts.fields.clone();
    match app::feedback::submit(
        &s.db,
        &s.intake,
        ip,
        ctx.who.as_ref(),
        input,
        parts.files,
        &s.cfg.data_dir,
        s.cfg.evidence_max_bytes(),
    )
    .await
    {
        Ok(r) => html_status(
            StatusCode::CREATED,
            SubmittedTpl {
                p: PageCtx::from(&ctx, "/feedback/new"),
                code: r.code,
                secret: r.secret,
                deadline: r.deadline_on,
            },
        ),
        Err(AppError::Invalid(errors)) => {
            let mut t = form(&ctx, cats);
            t.errors = errors;
            t.values = values;
            html_status(StatusCode::UNPROCESSABLE_ENTITY, t)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct Lookup {
    code: String,
}

async fn track_lookup(Query(q): Query<Lookup>) -> Response {
    let code = q.code.trim().to_uppercase();
    Redirect::to(&format!(
        "/feedback/track/{}",
        super::pages::encode_component(&code)
    ))
    .into_response()
}

#[derive(Template)]
#[template(path = "feedback_track.html")]
struct TrackTpl {
    p: PageCtx,
    t: Tracking,
    secret: String,
    unit: String,
    cats: Vec<Category>,
    errors: Vec<FieldError>,
    /// "sent" (confirmation mailed) or "done" (support counted), after a support.
    support_note: String,
    signed_in: bool,
}

impl TrackTpl {
    /// Published recommendations and initiatives may be supported.
    fn supportable(&self) -> bool {
        // Hidden items show no public text, so no support form either.
        domain::feedback::supportable(&self.t.item.kind, &self.t.item.state, false)
    }

    fn cat(&self, code: &str) -> String {
        category_name(&self.p, &self.cats, code)
    }
}

#[derive(Deserialize, Default)]
struct SecretQ {
    secret: Option<String>,
    support: Option<String>,
}

async fn render_track(
    s: &AppState,
    ctx: &Ctx,
    code: &str,
    secret: Option<String>,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    render_track_note(s, ctx, code, secret, errors, "").await
}

async fn render_track_note(
    s: &AppState,
    ctx: &Ctx,
    code: &str,
    secret: Option<String>,
    errors: Vec<FieldError>,
    note: &str,
) -> AppResult<Response> {
    let t = app::feedback::track(&s.db, code, secret.as_deref()).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit = snap
        .get(t.item.unit_id)
        .map(|u| u.name(ctx.lang.code()).to_string())
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_status(
        status,
        TrackTpl {
            p: PageCtx::from(ctx, &format!("/feedback/track/{code}")),
            t,
            secret: secret.unwrap_or_default(),
            unit,
            cats: categories(s).await?,
            errors,
            support_note: note.to_string(),
            signed_in: ctx.who.is_some(),
        },
    )
}

#[derive(Deserialize)]
struct SupportForm {
    #[serde(default)]
    email: String,
}

/// Supports from the tracking page: signed in, at once; otherwise by a mailed link.
async fn support(
    State(s): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    CsrfForm(f): CsrfForm<SupportForm>,
) -> AppResult<Response> {
    let r = match &ctx.who {
        Some(who) => app::feedback::support(&s.db, who, &code)
            .await
            .map(|_| "done"),
        None => app::feedback::request_support(&s.db, &code, &f.email)
            .await
            .map(|_| "sent"),
    };
    match r {
        Ok(note) => {
            Ok(Redirect::to(&format!("/feedback/track/{code}?support={note}")).into_response())
        }
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_track(&s, &ctx, &code, None, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct TokenQ {
    #[serde(default)]
    token: String,
}

async fn support_confirm_page(ctx: Ctx, ApiQuery(q): ApiQuery<TokenQ>) -> AppResult<Response> {
    confirm_link_page(
        &ctx,
        "fb-support-confirm",
        "/feedback/support/confirm",
        q.token,
    )
}

async fn support_confirm(
    State(s): State<AppState>,
    CsrfForm(f): CsrfForm<TokenQ>,
) -> AppResult<Response> {
    let item = app::feedback::confirm_support(&s.db, &f.token).await?;
    Ok(Redirect::to(&format!("/feedback/track/{}?support=done", item.code)).into_response())
}

async fn track_page(
    State(s): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    ApiQuery(q): ApiQuery<SecretQ>,
) -> AppResult<Response> {
    let note = q
        .support
        .as_deref()
        .filter(|n| matches!(*n, "sent" | "done"));
    match render_track_note(
        &s,
        &ctx,
        &code,
        q.secret.clone(),
        vec![],
        note.unwrap_or(""),
    )
    .await
    {
        Err(WebError(AppError::Invalid(errors))) => {
            render_track(&s, &ctx, &code, None, errors).await
        }
        r => r,
    }
}

#[derive(Deserialize)]
struct RateForm {
    secret: String,
    rating: i32,
    #[serde(default)]
    comment: String,
}

async fn rate(
    State(s): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    CsrfForm(f): CsrfForm<RateForm>,
) -> AppResult<Response> {
    let secret = f.secret.clone();
    let r = app::feedback::rate(
        &s.db,
        &code,
        app::feedback::Rating {
            secret: f.secret,
            rating: f.rating,
            comment: Some(f.comment),
        },
    )
    .await;
    after_submitter_step(&s, &ctx, &code, secret, r.map(|_| ())).await
}

#[derive(Deserialize)]
struct AppealForm {
    secret: String,
    reason: String,
}

async fn appeal(
    State(s): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    CsrfForm(f): CsrfForm<AppealForm>,
) -> AppResult<Response> {
    let secret = f.secret.clone();
    let r = app::feedback::appeal(
        &s.db,
        &code,
        app::feedback::AppealInput {
            secret: f.secret,
            reason: f.reason,
        },
    )
    .await;
    after_submitter_step(&s, &ctx, &code, secret, r.map(|_| ())).await
}

async fn after_submitter_step(
    s: &AppState,
    ctx: &Ctx,
    code: &str,
    secret: String,
    r: app::error::AppResult<()>,
) -> AppResult<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/feedback/track/{code}?secret={}",
            super::pages::encode_component(&secret)
        ))
        .into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            let secret = errors
                .iter()
                .all(|e| e.code != "err-wrong-secret")
                .then_some(secret);
            render_track(s, ctx, code, secret, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One bar per measure, drawn on the server.
pub struct StatBar {
    pub label: &'static str,
    pub value: i64,
    pub width: i64,
}

#[derive(Template)]
#[template(path = "feedback_stats.html")]
struct StatsTpl {
    p: PageCtx,
    st: Stats,
    unit_name: String,
    bars: Vec<StatBar>,
    mean: String,
    median: String,
}

#[derive(Deserialize, Default)]
struct StatsQ {
    unit: Option<i64>,
    as_of: Option<chrono::NaiveDate>,
}

async fn stats_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<StatsQ>,
) -> AppResult<Response> {
    let st = app::feedback::stats(&s.db, &s.stats, q.unit, q.as_of).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let unit_name = q
        .unit
        .and_then(|u| snap.get(u))
        .map(|u| u.name(ctx.lang.code()).to_string())
        .unwrap_or_else(|| ctx.lang.t("all-units").to_string());
    let max = st.received.max(1);
    let bar = |label, value: i64| StatBar {
        label,
        value,
        width: value * 300 / max,
    };
    let bars = vec![
        bar("fb-received", st.received),
        bar("fb-answered", st.answered),
        bar("fb-on-time", st.answered_on_time),
        bar("fb-overdue", st.overdue),
    ];
    let lang = ctx.lang;
    let one_decimal = |v: f64| {
        let s = format!("{v:.1}");
        if lang.code() == "en" {
            s
        } else {
            s.replace('.', ",")
        }
    };
    html(StatsTpl {
        mean: st
            .mean_rating
            .map(one_decimal)
            .unwrap_or_else(|| "—".into()),
        median: st
            .median_days_to_answer
            .map(one_decimal)
            .unwrap_or_else(|| "—".into()),
        p: PageCtx::from(&ctx, "/feedback/stats"),
        st,
        unit_name,
        bars,
    })
}

#[derive(Template)]
#[template(path = "feedback_inbox.html")]
struct InboxTpl {
    p: PageCtx,
    rows: Vec<InboxRow>,
    total: i64,
    unit: i64,
    unit_name: String,
    status: String,
    states: Vec<&'static str>,
    kind: String,
    kinds: Vec<&'static str>,
    /// The unit's leader sees the approval setting and may change it.
    can_configure: bool,
    approve_answers: bool,
    bulk_moves: &'static [&'static str],
    /// Showing the moderation queue.
    moderation_queue: bool,
    bulk_ok: Option<usize>,
    bulk_failed: Option<usize>,
    saved: bool,
}

impl InboxTpl {
    /// An acceptance day already gone.
    fn late(&self, d: &chrono::NaiveDate) -> bool {
        *d < chrono::Utc::now().date_naive()
    }
}

/// Moves that need nothing but a note, so they can be applied to many items at once.
const BULK_MOVES: &[&str] = &["accept", "start", "interim", "close"];

#[derive(Deserialize, Default)]
struct InboxQ {
    unit: Option<i64>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// pending: the moderation queue.
    moderation: Option<String>,
    page: Option<i64>,
    bulk_ok: Option<usize>,
    bulk_failed: Option<usize>,
    saved: Option<u8>,
}

async fn inbox_page(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<InboxQ>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit = q.unit.unwrap_or(who.unit_id);
    let status = q.status.filter(|s| !s.is_empty());
    let kind = q.kind.filter(|s| !s.is_empty());
    let (rows, total) = app::feedback::inbox(
        &s.db,
        who,
        InboxQuery {
            unit: Some(unit),
            status: status.clone(),
            kind: kind.clone(),
            moderation: q.moderation.clone().filter(|m| !m.is_empty()),
            page: q.page,
            per_page: Some(100),
            ..Default::default()
        },
    )
    .await?;
    let snap = s.org.snapshot(&s.db).await?;
    html(InboxTpl {
        p: PageCtx::from(&ctx, "/feedback/inbox"),
        rows,
        total,
        unit,
        unit_name: snap
            .get(unit)
            .map(|u| u.name(ctx.lang.code()).to_string())
            .unwrap_or_default(),
        status: status.unwrap_or_default(),
        states: FbState::ALL.iter().map(|s| s.as_str()).collect(),
        kind: kind.unwrap_or_default(),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        can_configure: app::feedback::may_configure(&s.db, who, unit).await?,
        approve_answers: app::feedback::unit_settings(&s.db, who, unit)
            .await?
            .approve_answers,
        bulk_moves: BULK_MOVES,
        moderation_queue: q.moderation.as_deref() == Some("pending"),
        bulk_ok: q.bulk_ok,
        bulk_failed: q.bulk_failed,
        saved: q.saved.is_some(),
    })
}

/// Applies one move to every ticked item; each item is its own transaction, so one refusal
/// (an illegal move for that item's state) leaves the others done, and the count says so.
async fn bulk(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let unit: i64 = f
        .get("unit")
        .and_then(|u| u.parse().ok())
        .unwrap_or(who.unit_id);
    let action = f.get("action").cloned().unwrap_or_default();
    if !BULK_MOVES.contains(&action.as_str()) {
        return Err(AppError::invalid(FieldError::new("action", "err-unknown-action")).into());
    }
    let note = f.get("note").cloned().filter(|n| !n.trim().is_empty());
    let ids: Vec<i64> = f
        .keys()
        .filter_map(|k| k.strip_prefix("item-"))
        .filter_map(|id| id.parse().ok())
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for id in ids {
        let input = app::feedback::MoveInput {
            action: action.clone(),
            note: note.clone(),
            internal: false,
            to_unit: None,
            answer: None,
            into: None,
            days: None,
        };
        match app::feedback::act(&s.db, who, id, input).await {
            Ok(_) => ok += 1,
            Err(
                AppError::Invalid(_)
                | AppError::Conflict(_)
                | AppError::Forbidden
                | AppError::NotFound,
            ) => failed += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Redirect::to(&format!(
        "/feedback/inbox?unit={unit}&bulk_ok={ok}&bulk_failed={failed}"
    ))
    .into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(default)]
    approve_answers: Option<String>,
}

async fn save_settings(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(unit): PathId,
    CsrfForm(f): CsrfForm<SettingsForm>,
) -> AppResult<Response> {
    let input = app::feedback::UnitSettings {
        approve_answers: f.approve_answers.is_some(),
    };
    app::feedback::set_unit_settings(&s.db, ctx.principal()?, unit, input).await?;
    Ok(Redirect::to(&format!("/feedback/inbox?unit={unit}&saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "feedback_item.html")]
struct ItemTpl {
    p: PageCtx,
    item: Item,
    history: Vec<Event>,
    moves: Vec<&'static str>,
    errors: Vec<FieldError>,
}

async fn render_item(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let (item, history) = app::feedback::item_for_officer(&s.db, ctx.principal()?, id).await?;
    let moves = app::feedback::moves_for(&s.db, ctx.principal()?, &item).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html_status(
        status,
        ItemTpl {
            p: PageCtx::from(ctx, &format!("/feedback/items/{id}")),
            item,
            history,
            moves,
            errors,
        },
    )
}

async fn item_page(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    render_item(&s, &ctx, id, vec![]).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    to_unit: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    internal: Option<String>,
}

async fn act(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<ActForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let input = app::feedback::MoveInput {
        action: f.action,
        note: Some(f.note),
        internal: f.internal.is_some(),
        to_unit: f.to_unit.trim().parse().ok(),
        answer: Some(f.answer),
        into: Some(f.into.trim().to_string()).filter(|s| !s.is_empty()),
        days: f.days.trim().parse().ok(),
    };
    match app::feedback::act(&s.db, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/feedback/items/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_item(&s, &ctx, id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct ModerateForm {
    #[serde(default)]
    hidden: Option<String>,
    public_title: String,
    public_body: String,
    #[serde(default)]
    note: String,
}

/// The public text as a moderator leaves it (the original is kept; the submitter is told why).
async fn moderate(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<ModerateForm>,
) -> AppResult<Response> {
    let input = app::feedback::Moderation {
        hidden: Some(f.hidden.is_some()),
        public_title: Some(f.public_title),
        public_body: Some(f.public_body),
        note: f.note,
    };
    match app::feedback::moderate(&s.db, ctx.principal()?, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/feedback/items/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_item(&s, &ctx, id, errors).await
        }
        Err(e) => Err(e.into()),
    }
}
