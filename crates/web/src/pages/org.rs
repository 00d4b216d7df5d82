//! The organisation pages: search and browse units, one unit with its children, editing a unit.

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
use crate::pages::common::{PageCtx, encode_component, html, html_status, pager};
use app::error::AppError;
use app::records::{LinkedUnit, OrgUnit};
use domain::FieldError;
use domain::policy::{self, Action, Decision, Scope};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org", get(org_index))
        .route("/org/{id}", get(org_unit))
        .route("/org/{id}/edit", get(org_edit_form).post(org_edit))
}

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

async fn org_index(
    State(s): State<AppState>,
    ctx: Ctx,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<OrgIndexQuery>,
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
    /// Merged and successor units named in the reader's language, where a translation exists.
    linked_names: std::collections::HashMap<i64, String>,
}

impl OrgUnitTpl {
    fn linked_name<'a>(&'a self, l: &'a LinkedUnit) -> &'a str {
        self.linked_names
            .get(&l.id)
            .map(String::as_str)
            .unwrap_or(&l.name_vi)
    }

    fn link_label(&self, l: &LinkedUnit) -> String {
        format!(
            "{} · {}",
            self.p.kind_label(l.kind),
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
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<PageQuery>,
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
    let snap = s.org.snapshot(&s.db).await?;
    let linked_names = d
        .predecessors
        .iter()
        .chain(&d.successors)
        .filter_map(|l| snap.get(l.id))
        .map(|u| (u.id, u.name(ctx.lang.code()).to_string()))
        .collect();
    html(OrgUnitTpl {
        p: PageCtx::from(&ctx, &format!("/org/{id}")),
        d,
        children,
        can_edit,
        prev_link,
        next_link,
        linked_names,
    })
    .map(|r| crate::cache::public(r, crate::cache::Deps::ORG))
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
    match app::org::update(&s.db, who, id, input).await {
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
