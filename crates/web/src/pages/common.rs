//! What every page shares: the page context (`PageCtx`), rendering helpers, the pager, the
//! confirm-link page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::error::AppResult;
use crate::extract::Ctx;
use crate::i18n::{LANGS, Lang};
use app::error::AppError;
use app::records::{OrgUnit, User};
use domain::FieldError;
use domain::policy::{self, Action, Decision, Role, Scope};

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
    pub fn tp(&self, prefix: &str, value: impl std::fmt::Display) -> &'static str {
        self.lang.t(&format!("{prefix}{value}"))
    }

    pub fn int(&self, n: &i64) -> String {
        self.lang.int(*n)
    }

    /// A number with up to `decimals` decimals, as the language writes it.
    pub fn num(&self, v: &f64, decimals: usize) -> String {
        self.lang.num(*v, decimals)
    }

    pub fn date(&self, d: &chrono::NaiveDate) -> String {
        self.lang.date(*d)
    }

    pub fn datetime(&self, d: &chrono::DateTime<chrono::Utc>) -> String {
        // In the product's time zone (Asia/Ho_Chi_Minh unless configured), never UTC.
        let l = domain::clock::local(*d);
        format!("{} {}", self.lang.date(l.date_naive()), l.format("%H:%M"))
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

    pub fn kind_label(&self, kind: impl std::fmt::Display) -> &'static str {
        self.lang.t(&format!("kind-{kind}"))
    }

    pub fn status_label(&self, status: &str) -> &'static str {
        self.lang.t(&format!("status-{status}"))
    }

    pub fn role_label(&self, role: impl std::fmt::Display) -> &'static str {
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

    /// May change a unit's official code and Vietnamese name (and move or close units).
    pub fn can_restructure_org(&self) -> bool {
        self.allowed(Action::RestructureOrg)
    }

    /// Sees method drafts and unpublished editions (the ranking desk).
    pub fn can_read_unpublished_rankings(&self) -> bool {
        self.allowed(Action::ReadUnpublishedRankings)
    }

    pub fn can_manage_rankings(&self) -> bool {
        self.allowed(Action::ManageRankings)
    }

    pub fn can_read_audit(&self) -> bool {
        self.allowed(Action::ReadAudit)
    }

    /// Messages of errors about none of `shown` (the fields that show their own next to them):
    /// said above the form, so that no error goes unseen.
    pub fn other_errors<'s>(
        &self,
        errors: &[FieldError],
        shown: impl AsRef<[&'s str]>,
    ) -> Vec<String> {
        errors
            .iter()
            .filter(|e| !shown.as_ref().contains(&e.field.as_str()))
            .map(|e| crate::error::field_message(self.lang, e))
            .collect()
    }

    pub fn field_error(&self, errors: &[FieldError], field: &str) -> String {
        errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| crate::error::field_message(self.lang, e))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub(super) fn html<T: Template>(t: T) -> AppResult<Response> {
    t.render()
        .map(|s| Html(s).into_response())
        .map_err(|e| AppError::Internal(e.to_string()).into())
}

/// 200 for a page, 422 for a form shown again with its errors.
pub(super) fn form_status(errors: &[domain::FieldError]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub(super) fn html_status<T: Template>(status: StatusCode, t: T) -> AppResult<Response> {
    html(t).map(|mut r| {
        *r.status_mut() = status;
        r
    })
}

pub(super) fn pager(base: &str, page: i64, per_page: i64, total: i64) -> (String, String) {
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

/// Links of a list paged by position (`cursor_pager.html`): back to the first page when this one
/// is deeper, and on to the page after `next`.
pub(super) fn cursor_pager(base: &str, deeper: bool, next: Option<&str>) -> (String, String) {
    let sep = match base {
        b if b.ends_with(['?', '&']) => "",
        b if b.contains('?') => "&",
        _ => "?",
    };
    let first = if deeper {
        base.trim_end_matches(['&', '?']).to_string()
    } else {
        String::new()
    };
    let next = next
        .map(|n| format!("{base}{sep}after={}", encode_component(n)))
        .unwrap_or_default();
    (first, next)
}

#[derive(Deserialize)]
pub(super) struct Empty {}

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
