//! API token administration pages: list, issue (secret shown once), revoke.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, PathId};
use crate::pages::common::{Empty, PageCtx, html, html_status};
use app::error::AppError;
use app::records::ApiToken;
use domain::FieldError;
use domain::policy::{Action, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(tokens_page).post(token_create))
        .route("/admin/tokens/{id}/revoke", post(token_revoke))
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensTpl {
    p: PageCtx,
    tokens: Vec<ApiToken>,
    created: Option<String>,
    errors: Vec<FieldError>,
    /// What was typed, shown again after an error; a fresh one-time token after a success.
    draft: TokenForm,
}

/// The form as it starts: empty, with a new one-time token (a second sending creates nothing).
fn blank() -> TokenForm {
    TokenForm {
        form_token: app::auth::random_token(),
        ..TokenForm::default()
    }
}

async fn tokens_page(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let tokens = app::tokens::list(&s.db, ctx.principal()?, None).await?;
    html(TokensTpl {
        p: PageCtx::from(&ctx, "/admin/tokens"),
        tokens,
        created: None,
        errors: vec![],
        draft: blank(),
    })
}

#[derive(Deserialize, Default)]
struct TokenForm {
    username: String,
    name: String,
    expires_in_days: String,
    #[serde(default)]
    form_token: String,
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
                    name: f.name.clone(),
                    role: None,
                    unit_id: None,
                    expires_in_days: days,
                    form_token: Some(f.form_token.clone()),
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
    let (created, errors, status, draft) = match result {
        Ok(t) => (Some(t.secret), vec![], StatusCode::OK, blank()),
        Err(AppError::Invalid(errors)) => (None, errors, StatusCode::UNPROCESSABLE_ENTITY, f),
        // Sent again (a refresh of the page that showed the secret): nothing new; the list
        // below has the token the first sending created.
        Err(AppError::Conflict(errors)) => (None, errors, StatusCode::CONFLICT, blank()),
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
            draft,
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
