//! Server-rendered pages (askama). Every form works without JavaScript and carries the CSRF token.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::extract::{CsrfForm, Ctx, LANG_COOKIE, PathId, SESSION_COOKIE};
use super::i18n::{LANGS, Lang};
use super::{AppState, client_ip, set_cookie};
use crate::error::AppResult;
use app::error::AppError;
use app::records::AuditEntry;
use app::records::{ApiToken, User};
use app::records::{LinkedUnit, OrgUnit};
use domain::FieldError;
use domain::policy::{self, Action, Decision, Role, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/app.css", get(css))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/org", get(org_index))
        .route("/org/{id}", get(org_unit))
        .route("/org/{id}/edit", get(org_edit_form).post(org_edit))
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}", get(user_page).post(user_update))
        .route("/admin/tokens", get(tokens_page).post(token_create))
        .route("/admin/tokens/{id}/revoke", post(token_revoke))
        .route("/admin/audit", get(audit_page))
        .route("/api/docs", get(api_docs))
        .route("/programmes", get(programmes_page))
        .route("/programmes/{id}", get(programme_page))
        .route("/org/{id}/worklist", get(worklist_page))
}

const CSS: &str = include_str!("../static/app.css");

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Percent-encodes a value for a URL query component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only local paths are followed after sign-in or a language switch (no open redirects).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

/// What every page template needs: language, the signed-in user, the CSRF token, the current path.
pub struct PageCtx {
    pub lang: Lang,
    pub user: Option<User>,
    pub role: Option<Role>,
    pub csrf: String,
    pub path: String,
}

impl PageCtx {
    pub(super) fn from(ctx: &Ctx, path_and_query: &str) -> Self {
        PageCtx {
            lang: ctx.lang,
            user: ctx.user.clone(),
            role: ctx.who.as_ref().map(|p| p.role),
            csrf: ctx.csrf.clone(),
            path: path_and_query.to_string(),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The message `prefix` + `value`, e.g. a state's label.
    pub fn tp(&self, prefix: &str, value: &str) -> &'static str {
        self.lang.t(&format!("{prefix}{value}"))
    }

    pub fn int(&self, n: &i64) -> String {
        self.lang.int(*n)
    }

    pub fn date(&self, d: &chrono::NaiveDate) -> String {
        self.lang.date(*d)
    }

    pub fn datetime(&self, d: &chrono::DateTime<chrono::Utc>) -> String {
        format!("{} {}", self.lang.date(d.date_naive()), d.format("%H:%M"))
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn langs(&self) -> Vec<(&'static str, &'static str, bool)> {
        LANGS
            .iter()
            .map(|l| (l.code(), l.t("lang-name"), *l == self.lang))
            .collect()
    }

    pub fn next_q(&self) -> String {
        encode_component(&self.path)
    }

    pub fn kind_label(&self, kind: &str) -> &'static str {
        self.lang.t(&format!("kind-{kind}"))
    }

    pub fn status_label(&self, status: &str) -> &'static str {
        self.lang.t(&format!("status-{status}"))
    }

    pub fn role_label(&self, role: &str) -> &'static str {
        self.lang.t(&format!("role-{role}"))
    }

    pub fn unit_name<'a>(&self, u: &'a OrgUnit) -> &'a str {
        u.name(self.lang.code())
    }

    fn allowed(&self, action: Action) -> bool {
        let who = self
            .user
            .as_ref()
            .zip(self.role)
            .map(|(u, r)| policy::Principal {
                user_id: u.id,
                token_id: None,
                role: r,
                unit_id: u.unit_id,
                username: u.username.clone(),
            });
        policy::authorize(who.as_ref(), action, Scope::Global) == Decision::Allow
    }

    pub fn can_manage_users(&self) -> bool {
        self.allowed(Action::ManageUsers)
    }

    pub fn can_read_audit(&self) -> bool {
        self.allowed(Action::ReadAudit)
    }

    pub fn field_error(&self, errors: &[FieldError], field: &str) -> String {
        errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| super::error::field_message(self.lang, e))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub(super) fn html<T: Template>(t: T) -> AppResult<Response> {
    t.render()
        .map(|s| Html(s).into_response())
        .map_err(|e| AppError::Internal(e.to_string()).into())
}

pub(super) fn html_status<T: Template>(status: StatusCode, t: T) -> AppResult<Response> {
    html(t).map(|mut r| {
        *r.status_mut() = status;
        r
    })
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl {
    p: PageCtx,
    title: String,
    messages: Vec<String>,
    status: u16,
}

pub fn error_page(lang: Lang, e: &AppError, path: &str) -> String {
    let p = PageCtx {
        lang,
        user: None,
        role: None,
        csrf: String::new(),
        path: path.to_string(),
    };
    let mut messages: Vec<String> = e
        .fields()
        .iter()
        .map(|f| super::error::field_message(lang, f))
        .collect();
    if let AppError::BadRequest { detail, .. } = e {
        messages.push(detail.clone());
    }
    ErrorTpl {
        title: lang.t(e.title_key()).to_string(),
        messages,
        status: e.status(),
        p,
    }
    .render()
    .unwrap_or_else(|_| "error".into())
}

// ---- home, sign-in, language ----

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    p: PageCtx,
    provinces: i64,
    communes: i64,
    agencies: i64,
}

async fn home(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let count = |kind: &str| app::org::ListQuery {
        kind: Some(kind.into()),
        per_page: Some(1),
        ..Default::default()
    };
    let provinces = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("province"))
        .await?
        .total;
    let mut communes = 0;
    for k in ["commune", "ward", "special_zone"] {
        communes += app::org::list(&s.db, &s.org, ctx.who.as_ref(), count(k))
            .await?
            .total;
    }
    let agencies = app::org::list(&s.db, &s.org, ctx.who.as_ref(), count("central_agency"))
        .await?
        .total;
    html(HomeTpl {
        p: PageCtx::from(&ctx, "/"),
        provinces,
        communes,
        agencies,
    })
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    p: PageCtx,
    username: String,
    next: String,
    error: String,
    registered: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    /// Set after a public account was activated: the username, filled in.
    registered: Option<String>,
}

async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> AppResult<Response> {
    let next = if q.next.is_some() {
        safe_next(q.next.as_deref())
    } else {
        "/org".into()
    };
    let registered = q.registered.is_some();
    html(LoginTpl {
        p: PageCtx::from(&ctx, "/login"),
        username: q.registered.unwrap_or_default(),
        next,
        error: String::new(),
        registered,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(s): State<AppState>,
    ctx: Ctx,
    req_parts: axum::http::request::Parts,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    let next = safe_next(f.next.as_deref());
    let retry = |ctx: &Ctx, status: StatusCode, key: &str| {
        html_status(
            status,
            LoginTpl {
                p: PageCtx::from(ctx, "/login"),
                username: f.username.clone(),
                next: next.clone(),
                error: ctx.lang.t(key).to_string(),
                registered: false,
            },
        )
    };
    if !s.limiter.allow(client_ip(&req_parts, s.cfg.trust_proxy)) {
        return retry(&ctx, StatusCode::TOO_MANY_REQUESTS, "err-too-many");
    }
    match app::session::login(&s.db, &f.username, &f.password).await {
        Ok((secret, _)) => {
            let mut res = Redirect::to(&next).into_response();
            let secure = s.cfg.https();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &secret,
                    Some(app::session::SESSION_HOURS * 3600),
                    secure,
                ),
            );
            // A fresh CSRF token with the fresh session, so a token planted before sign-in is useless after it.
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    super::extract::CSRF_COOKIE,
                    &app::auth::random_token(),
                    None,
                    secure,
                ),
            );
            Ok(res)
        }
        Err(AppError::TooManyAttempts) => retry(&ctx, StatusCode::TOO_MANY_REQUESTS, "err-locked"),
        Err(AppError::Invalid(_)) => retry(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "err-bad-credentials",
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    if let Some(secret) = &ctx.session {
        app::session::logout(&s.db, secret).await?;
    }
    let mut res = Redirect::to("/").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), s.cfg.https()),
    );
    Ok(res)
}

async fn set_lang(
    State(s): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let lang = Lang::parse(&code).ok_or(AppError::NotFound)?;
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            s.cfg.https(),
        ),
    );
    Ok(res)
}

// ---- organisation ----

#[derive(Template)]
#[template(path = "org_index.html")]
struct OrgIndexTpl {
    p: PageCtx,
    q: String,
    kind: String,
    kinds: Vec<&'static str>,
    include_historical: bool,
    page: app::org::Page<OrgUnit>,
    prev_link: String,
    next_link: String,
}

#[derive(Deserialize, Default)]
struct OrgIndexQuery {
    q: Option<String>,
    kind: Option<String>,
    include_historical: Option<String>,
    page: Option<i64>,
}

fn pager(base: &str, page: i64, per_page: i64, total: i64) -> (String, String) {
    let sep = if base.contains('?') { '&' } else { '?' };
    let prev = if page > 1 {
        format!("{base}{sep}page={}", page - 1)
    } else {
        String::new()
    };
    let next = if page * per_page < total {
        format!("{base}{sep}page={}", page + 1)
    } else {
        String::new()
    };
    (prev, next)
}

async fn org_index(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<OrgIndexQuery>,
) -> AppResult<Response> {
    let text = q.q.clone().unwrap_or_default();
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    let hist = q.include_historical.is_some();
    let searching = !text.trim().is_empty() || kind.is_some();
    let parent = if searching {
        None
    } else {
        app::org::list(
            &s.db,
            &s.org,
            ctx.who.as_ref(),
            app::org::ListQuery {
                kind: Some("national".into()),
                per_page: Some(1),
                ..Default::default()
            },
        )
        .await?
        .items
        .first()
        .map(|u| u.id)
    };
    let query = app::org::ListQuery {
        kind: kind.clone(),
        parent,
        q: Some(text.clone()),
        include_historical: Some(hist),
        page: q.page,
        per_page: Some(100),
    };
    let page = app::org::list(&s.db, &s.org, ctx.who.as_ref(), query).await?;
    let base = format!(
        "/org?q={}&kind={}{}",
        encode_component(&text),
        kind.clone().unwrap_or_default(),
        if hist { "&include_historical=1" } else { "" }
    );
    let (prev_link, next_link) = pager(&base, page.page, page.per_page, page.total);
    let kinds = domain::org::OrgKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    html(OrgIndexTpl {
        p: PageCtx::from(&ctx, &format!("/org?q={}", encode_component(&text))),
        q: text,
        kind: kind.unwrap_or_default(),
        kinds,
        include_historical: hist,
        page,
        prev_link,
        next_link,
    })
}

#[derive(Template)]
#[template(path = "org_unit.html")]
struct OrgUnitTpl {
    p: PageCtx,
    d: app::org::OrgUnitDetail,
    children: app::org::Page<OrgUnit>,
    can_edit: bool,
    prev_link: String,
    next_link: String,
}

impl OrgUnitTpl {
    fn link_label(&self, l: &LinkedUnit) -> String {
        format!(
            "{} · {}",
            self.p.kind_label(&l.kind),
            self.p.t(if l.merge_type == "full" {
                "merge-full"
            } else {
                "merge-partial"
            })
        )
    }
}

fn chain_of(d: &app::org::OrgUnitDetail) -> Vec<i64> {
    let mut chain: Vec<i64> = d.ancestors.iter().map(|a| a.id).collect();
    chain.push(d.unit.id);
    chain
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn org_unit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let d = app::org::detail(&s.db, &s.org, ctx.who.as_ref(), id).await?;
    let children = app::org::list(
        &s.db,
        &s.org,
        ctx.who.as_ref(),
        app::org::ListQuery {
            parent: Some(id),
            page: q.page,
            per_page: Some(100),
            ..Default::default()
        },
    )
    .await?;
    let can_edit = policy::authorize(
        ctx.who.as_ref(),
        Action::UpdateOrgUnit,
        Scope::Unit(&chain_of(&d)),
    ) == Decision::Allow;
    let (prev_link, next_link) = pager(
        &format!("/org/{id}"),
        children.page,
        children.per_page,
        children.total,
    );
    html(OrgUnitTpl {
        p: PageCtx::from(&ctx, &format!("/org/{id}")),
        d,
        children,
        can_edit,
        prev_link,
        next_link,
    })
}

#[derive(Template)]
#[template(path = "org_edit.html")]
struct OrgEditTpl {
    p: PageCtx,
    unit: OrgUnit,
    errors: Vec<FieldError>,
}

async fn org_edit_form(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let d = app::org::detail(&s.db, &s.org, Some(who), id).await?;
    app::require(Some(who), Action::UpdateOrgUnit, Scope::Unit(&chain_of(&d)))?;
    html(OrgEditTpl {
        p: PageCtx::from(&ctx, &format!("/org/{id}/edit")),
        unit: d.unit,
        errors: vec![],
    })
}

#[derive(Deserialize)]
struct OrgEditForm {
    code: String,
    name_vi: String,
    name_en: String,
    name_fr: String,
}

async fn org_edit(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<OrgEditForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let input = app::org::UpdateOrgUnit {
        code: Some(f.code.clone()),
        name_vi: Some(f.name_vi.clone()),
        name_en: Some(f.name_en.clone()),
        name_fr: Some(f.name_fr.clone()),
        ..Default::default()
    };
    match app::org::update(&s.db, &s.org, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/org/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            let mut unit = app::org::detail(&s.db, &s.org, Some(who), id).await?.unit;
            unit.code = Some(f.code).filter(|c| !c.is_empty());
            unit.name_vi = f.name_vi;
            unit.name_en = Some(f.name_en);
            unit.name_fr = Some(f.name_fr);
            html_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                OrgEditTpl {
                    p: PageCtx::from(&ctx, &format!("/org/{id}/edit")),
                    unit,
                    errors,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

// ---- users ----

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    p: PageCtx,
    page: app::org::Page<User>,
    q: String,
    roles: Vec<&'static str>,
    form: UserForm,
    errors: Vec<FieldError>,
    prev_link: String,
    next_link: String,
}

#[derive(Deserialize, Default, Clone)]
struct UserForm {
    username: String,
    display_name: String,
    email: String,
    unit_code: String,
    role: String,
    password: String,
}

#[derive(Deserialize, Default)]
struct UsersQuery {
    q: Option<String>,
    page: Option<i64>,
}

async fn render_users(
    s: &AppState,
    ctx: &Ctx,
    q: UsersQuery,
    form: UserForm,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let text = q.q.clone().unwrap_or_default();
    let page = app::users::list(
        &s.db,
        who,
        app::users::ListQuery {
            q: q.q,
            page: q.page,
            per_page: Some(50),
            ..Default::default()
        },
    )
    .await?;
    let (prev_link, next_link) = pager(
        &format!("/admin/users?q={}", encode_component(&text)),
        page.page,
        page.per_page,
        page.total,
    );
    let roles = Role::ALL.iter().map(|r| r.as_str()).collect();
    html_status(
        status,
        UsersTpl {
            p: PageCtx::from(ctx, "/admin/users"),
            page,
            q: text,
            roles,
            form,
            errors,
            prev_link,
            next_link,
        },
    )
}

async fn users_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<UsersQuery>,
) -> AppResult<Response> {
    render_users(
        &s,
        &ctx,
        q,
        UserForm {
            role: "unit_officer".into(),
            ..Default::default()
        },
        vec![],
        StatusCode::OK,
    )
    .await
}

/// Resolves a unit code typed in a form to its id, as a field error when unknown.
async fn unit_by_code(s: &AppState, field: &str, code: &str) -> AppResult<Result<i64, FieldError>> {
    Ok(app::org::unit_id_by_code(&s.db, code)
        .await?
        .ok_or_else(|| FieldError::new(field, "err-no-such-unit")))
}

async fn user_create(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<UserForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    app::require(Some(who), Action::ManageUsers, Scope::Global)?;
    let unit_id = match unit_by_code(&s, "unit_code", &f.unit_code).await? {
        Ok(id) => id,
        Err(e) => {
            return render_users(
                &s,
                &ctx,
                UsersQuery::default(),
                f,
                vec![e],
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let input = app::users::CreateUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: Some(f.email.clone()),
        unit_id,
        role: f.role.clone(),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
    };
    match app::users::create(&s.db, who, input).await {
        Ok(u) => Ok(Redirect::to(&format!("/admin/users/{}", u.id)).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    if e.field == "unit_id" {
                        e.field = "unit_code".into()
                    }
                    e
                })
                .collect();
            render_users(
                &s,
                &ctx,
                UsersQuery::default(),
                UserForm {
                    password: String::new(),
                    ..f
                },
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditTpl {
    p: PageCtx,
    user: User,
    unit: OrgUnit,
    roles: Vec<&'static str>,
    can_manage: bool,
    errors: Vec<FieldError>,
}

async fn render_user(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let user = app::users::get(&s.db, who, id).await?;
    let unit = app::org::detail(&s.db, &s.org, Some(who), user.unit_id)
        .await?
        .unit;
    let can_manage =
        policy::authorize(Some(who), Action::ManageUsers, Scope::Global) == Decision::Allow;
    let roles = Role::ALL.iter().map(|r| r.as_str()).collect();
    html_status(
        status,
        UserEditTpl {
            p: PageCtx::from(ctx, &format!("/admin/users/{id}")),
            user,
            unit,
            roles,
            can_manage,
            errors,
        },
    )
}

async fn user_page(State(s): State<AppState>, ctx: Ctx, PathId(id): PathId) -> AppResult<Response> {
    render_user(&s, &ctx, id, vec![], StatusCode::OK).await
}

#[derive(Deserialize)]
struct UserEditForm {
    display_name: String,
    email: String,
    unit_code: String,
    role: String,
    disabled: Option<String>,
    password: String,
}

async fn user_update(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(f): CsrfForm<UserEditForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    app::require(Some(who), Action::ManageUsers, Scope::Global)?;
    let unit_id = match unit_by_code(&s, "unit_code", &f.unit_code).await? {
        Ok(id) => id,
        Err(e) => {
            return render_user(&s, &ctx, id, vec![e], StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let input = app::users::UpdateUser {
        display_name: Some(f.display_name),
        email: Some(f.email),
        unit_id: Some(unit_id),
        role: Some(f.role),
        disabled: Some(f.disabled.is_some()),
        password: Some(f.password).filter(|p| !p.is_empty()),
    };
    match app::users::update(&s.db, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_user(&s, &ctx, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- tokens ----

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    p: PageCtx,
    tokens: Vec<ApiToken>,
    created: Option<String>,
    errors: Vec<FieldError>,
}

async fn tokens_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let tokens = app::tokens::list(&s.db, ctx.principal()?, None).await?;
    html(TokensTpl {
        p: PageCtx::from(&ctx, "/admin/tokens"),
        tokens,
        created: None,
        errors: vec![],
    })
}

#[derive(Deserialize)]
struct TokenForm {
    username: String,
    name: String,
    expires_in_days: String,
}

async fn token_create(
    State(s): State<AppState>,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    app::require(Some(who), Action::ManageTokens, Scope::Global)?;
    let owner = app::users::id_by_username(&s.db, &f.username).await?;
    let mut errors = vec![];
    let days = match f.expires_in_days.trim() {
        "" => None,
        d => match d.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(FieldError::new("expires_in_days", "err-not-integer"));
                None
            }
        },
    };
    let result = match owner {
        Some(user_id) if errors.is_empty() => {
            app::tokens::create(
                &s.db,
                who,
                app::tokens::CreateToken {
                    user_id,
                    name: f.name,
                    role: None,
                    unit_id: None,
                    expires_in_days: days,
                },
            )
            .await
        }
        None => Err(AppError::invalid(FieldError::new(
            "username",
            "err-no-such-user",
        ))),
        _ => Err(AppError::Invalid(errors)),
    };
    let (created, errors, status) = match result {
        Ok(t) => (Some(t.secret), vec![], StatusCode::OK),
        Err(AppError::Invalid(errors)) => (None, errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => return Err(e.into()),
    };
    let tokens = app::tokens::list(&s.db, who, None).await?;
    html_status(
        status,
        TokensTpl {
            p: PageCtx::from(&ctx, "/admin/tokens"),
            tokens,
            created,
            errors,
        },
    )
}

async fn token_revoke(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<Response> {
    app::tokens::revoke(&s.db, ctx.principal()?, id).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}

// ---- audit ----

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    p: PageCtx,
    page: app::org::Page<AuditEntry>,
    action: String,
    object_type: String,
    object_id: String,
    prev_link: String,
    next_link: String,
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    page: Option<i64>,
}

async fn audit_page(
    State(s): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let who = ctx.principal()?;
    let (action, object_type, object_id) = (
        q.action.unwrap_or_default(),
        q.object_type.unwrap_or_default(),
        q.object_id.unwrap_or_default(),
    );
    let page = app::audit::list(
        &s.db,
        who,
        app::audit::ListQuery {
            action: Some(action.clone()),
            object_type: Some(object_type.clone()),
            object_id: Some(object_id.clone()),
            actor: None,
            page: q.page,
            per_page: Some(50),
        },
    )
    .await?;
    let base = format!(
        "/admin/audit?action={}&object_type={}&object_id={}",
        encode_component(&action),
        encode_component(&object_type),
        encode_component(&object_id)
    );
    let (prev_link, next_link) = pager(&base, page.page, page.per_page, page.total);
    html(AuditTpl {
        p: PageCtx::from(&ctx, "/admin/audit"),
        page,
        action,
        object_type,
        object_id,
        prev_link,
        next_link,
    })
}

// ---- API explorer ----

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsTpl {
    p: PageCtx,
    ops: Vec<super::api::DocOperation>,
}

async fn api_docs(ctx: Ctx) -> AppResult<Response> {
    html(ApiDocsTpl {
        p: PageCtx::from(&ctx, "/api/docs"),
        ops: super::api::doc_operations(),
    })
}

// ---- programmes and tasks ----

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

/// One horizontal bar, drawn on the server.
pub struct Bar {
    label: String,
    total: i64,
    svg: String,
}

const BAR_ORDER: [domain::status::Status; 6] = {
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
    }
    let svg = format!(
        "<svg class=\"bar\" width=\"240\" height=\"14\" role=\"img\" aria-label=\"{}\">{rects}</svg>",
        html_escape(&label)
    );
    Bar {
        label,
        total: counts.total,
        svg,
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "N tasks due: A completed on time, …" in the page language.
fn summary(lang: Lang, c: &domain::overview::Counts) -> String {
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
    o: app::programmes::ProgrammeOverview,
    summary: String,
    group_bars: Vec<Bar>,
    unit_bars: Vec<Bar>,
    legend: Vec<(&'static str, &'static str)>,
    tasks: Vec<(app::records::Task, String)>,
    timeline_svg: String,
    trend_svg: String,
    periodic: Vec<(&'static str, i64)>,
}

async fn programme_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<app::programmes::OverviewQuery>,
) -> AppResult<Response> {
    let as_of = q.as_of;
    let o = app::programmes::programme_overview(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, q)
        .await?;
    let lang = ctx.lang;
    let group_bars = o
        .groups
        .iter()
        .filter_map(|g| {
            o.overview.per_group.get(&g.id).map(|c| {
                bar(
                    lang,
                    format!(
                        "{}. {}",
                        g.code,
                        g.title.chars().take(80).collect::<String>()
                    ),
                    c,
                )
            })
        })
        .collect();
    let snap = s.org.snapshot(&s.db).await?;
    let mut units: Vec<(&i64, &domain::overview::Counts)> = o.overview.per_unit.iter().collect();
    // Units with the most overdue work first: that is what a leader looks for.
    units.sort_by_key(|(_, c)| {
        std::cmp::Reverse((c.by_status.get("overdue").copied().unwrap_or(0), c.total))
    });
    let unit_bars = units
        .into_iter()
        .take(40)
        .map(|(uid, c)| {
            bar(
                lang,
                snap.get(*uid)
                    .map(|u| u.name(lang.code()).to_string())
                    .unwrap_or_default(),
                c,
            )
        })
        .collect();
    let legend = BAR_ORDER
        .iter()
        .map(|st| (st.as_str(), lang.t(&format!("status-{}", st.as_str()))))
        .collect();
    let tasks =
        app::programmes::tasks(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, None, as_of).await?;
    let charts =
        app::programmes::programme_charts(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, as_of)
            .await?;
    let periodic = [
        "reported_with_results",
        "reported_without_results",
        "not_reported",
    ]
    .into_iter()
    .map(|k| (k, o.periodic.counts.get(k).copied().unwrap_or(0)))
    .collect();
    html(ProgrammeTpl {
        timeline_svg: super::charts::timeline(lang, &charts.timeline),
        trend_svg: super::charts::trend(lang, &charts.trend),
        periodic,
        summary: summary(lang, &o.overview.tasks),
        p: PageCtx::from(&ctx, &format!("/programmes/{id}")),
        o,
        group_bars,
        unit_bars,
        legend,
        tasks,
    })
}

#[derive(Template)]
#[template(path = "worklist.html")]
struct WorklistTpl {
    p: PageCtx,
    unit: OrgUnit,
    items: Vec<app::programmes::WorkItem>,
    count: i64,
    status: String,
    statuses: Vec<&'static str>,
    programmes: Vec<app::records::Programme>,
    q: app::programmes::WorklistQuery,
    /// The filters as a query string, for the export links.
    query: String,
}

async fn worklist_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(mut q): crate::extract::ApiQuery<app::programmes::WorklistQuery>,
) -> AppResult<Response> {
    let unit = app::org::detail(&s.db, &s.org, ctx.who.as_ref(), id)
        .await?
        .unit;
    q.status = q.status.filter(|s| !s.is_empty());
    let status = q.status.clone();
    if let Some(st) = &status
        && !domain::status::Status::ALL.iter().any(|x| x.as_str() == st)
    {
        return Err(AppError::invalid(FieldError::new("status", "err-unknown-status")).into());
    }
    let items =
        app::programmes::worklist(&s.db, &s.org, &s.tasks, ctx.who.as_ref(), id, &q).await?;
    let statuses = domain::status::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let programmes = app::programmes::list(&s.db, ctx.who.as_ref()).await?;
    let mut query = vec![];
    if let Some(v) = q.programme {
        query.push(format!("programme={v}"));
    }
    if let Some(v) = &q.status {
        query.push(format!("status={}", encode_component(v)));
    }
    if let Some(v) = q.due_from {
        query.push(format!("due_from={v}"));
    }
    if let Some(v) = q.due_to {
        query.push(format!("due_to={v}"));
    }
    html(WorklistTpl {
        programmes,
        query: query.join("&"),
        q: q.clone(),
        p: PageCtx::from(&ctx, &format!("/org/{id}/worklist")),
        count: items.len() as i64,
        unit,
        items,
        status: status.unwrap_or_default(),
        statuses,
    })
}

#[derive(Template)]
#[template(path = "confirm_link.html")]
struct ConfirmLinkTpl {
    p: PageCtx,
    title: &'static str,
    action: &'static str,
    token: String,
}

/// The page a mailed link opens: one button that posts the token back, so that a mail scanner
/// fetching the link confirms nothing.
pub(super) fn confirm_link_page(
    ctx: &Ctx,
    title: &'static str,
    action: &'static str,
    token: String,
) -> AppResult<Response> {
    html(ConfirmLinkTpl {
        p: PageCtx::from(ctx, action),
        title,
        action,
        token,
    })
}
