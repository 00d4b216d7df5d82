//! Account administration pages: the list of accounts, creating one, editing one.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, PathId};
use crate::pages::common::{PageCtx, cursor_pager, encode_component, html_status};
use app::error::AppError;
use app::records::{OrgUnit, User};
use domain::FieldError;
use domain::policy::{self, Action, Decision, Role, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}", get(user_page).post(user_update))
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    p: PageCtx,
    page: app::org::Page<User>,
    q: String,
    roles: Vec<&'static str>,
    form: UserForm,
    errors: Vec<FieldError>,
    first_link: String,
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
    /// Accounts after this username (the link to the next page).
    after: Option<String>,
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
            after: q.after,
            page: q.page,
            per_page: Some(50),
            ..Default::default()
        },
    )
    .await?;
    let (first_link, next_link) = cursor_pager(
        &format!("/admin/users?q={}", encode_component(&text)),
        page.page != 1,
        page.next.as_deref(),
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
            first_link,
            next_link,
        },
    )
}

async fn users_page(
    State(s): State<AppState>,
    ctx: Ctx,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<UsersQuery>,
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
