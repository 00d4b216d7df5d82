//! One item as officers see it: its history, the moves they may make, and moderation.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{CsrfForm, Ctx, PathId};
use crate::pages::common::{PageCtx, form_status, html_status};
use app::error::AppError;
use app::records::{Event, Item};
use domain::FieldError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feedback/items/{id}", get(item_page))
        .route("/feedback/items/{id}/act", post(act))
        .route("/feedback/items/{id}/moderate", post(moderate))
        .route("/feedback/files/{id}", get(attached_file))
}

#[derive(Deserialize)]
struct FileQuery {
    /// The sender's way in: the item's tracking code and secret.
    code: Option<String>,
    secret: Option<String>,
}

/// A file a sender attached: for the officers who may read the item, or for the sender.
async fn attached_file(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<FileQuery>,
) -> AppResult<Response> {
    let sender = q.code.as_deref().zip(q.secret.as_deref());
    let (f, bytes) =
        app::feedback::attached_file(&s.db, &s.cfg.data_dir, ctx.who.as_ref(), sender, id).await?;
    Ok(crate::api::export::download(
        bytes,
        &f.content_type,
        &f.file_name,
    ))
}

#[derive(Template)]
#[template(path = "feedback_item.html")]
struct ItemTpl {
    p: PageCtx,
    item: Item,
    history: Vec<Event>,
    files: Vec<app::records::ItemFile>,
    moves: Vec<&'static str>,
    errors: Vec<FieldError>,
    /// What the officer typed in the move form, shown again after an error.
    draft: ActForm,
    /// The same for the moderation form (None: the item's public text).
    moderation: Option<ModerateForm>,
    /// Items whose text is close to this one's, most alike first.
    duplicates: Vec<app::search::Similar>,
    /// The officer may merge this item into one of them.
    can_merge: bool,
    /// Routing suggestions, for an open item its reader may move.
    suggestions: Option<app::feedback::Suggestions>,
    categories: Vec<app::records::Category>,
}

impl ItemTpl {
    fn pct(&self, v: &f64) -> String {
        format!("{:.0}", v * 100.0)
    }

    /// A model's confidence as a percentage; the ends read "> 99" and "< 1", never a certainty.
    fn conf(&self, v: &f64) -> String {
        if *v >= 0.995 {
            ">\u{a0}99".into()
        } else if *v < 0.005 {
            "<\u{a0}1".into()
        } else {
            self.p.num(&(v * 100.0), 0)
        }
    }

    /// A day given as an ISO date, in the reader's language.
    fn day(&self, iso: &str) -> String {
        chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
            .map(|d| self.p.date(&d))
            .unwrap_or_else(|_| iso.to_string())
    }

    fn category_name(&self, code: &str) -> String {
        super::common::category_name(&self.p, &self.categories, code)
    }

    fn unit_name(&self, u: &app::feedback::UnitSuggestion) -> String {
        match self.p.lang.code() {
            "en" => u.name_en.clone(),
            "fr" => u.name_fr.clone(),
            _ => None,
        }
        .unwrap_or_else(|| u.name_vi.clone())
    }

    /// Which model the suggestions come from and how often it was right.
    fn model_line(&self, m: &app::feedback::ModelInfo) -> String {
        let pct = |v: f64| self.p.num(&(v * 100.0), 0);
        let a = &m.accuracy;
        self.p
            .t("fb-suggest-model")
            .replace(
                "{date}",
                &self.p.date(&domain::clock::local_date(m.trained_at)),
            )
            .replace("{items}", &self.p.int(&m.items))
            .replace("{unit1}", &pct(a.unit_top1))
            .replace("{unit3}", &pct(a.unit_top3))
            .replace("{cat1}", &pct(a.category_top1))
            .replace("{cat3}", &pct(a.category_top3))
    }

    /// The answer box: what was typed, else the draft waiting for approval.
    fn answer_text(&self) -> &str {
        if self.draft.answer.is_empty() {
            self.item.draft_answer.as_deref().unwrap_or("")
        } else {
            &self.draft.answer
        }
    }
    fn public_title(&self) -> &str {
        self.moderation
            .as_ref()
            .map_or(self.item.public_title.as_str(), |m| m.public_title.as_str())
    }
    fn public_body(&self) -> &str {
        self.moderation
            .as_ref()
            .map_or(self.item.public_body.as_str(), |m| m.public_body.as_str())
    }
    fn moderation_note(&self) -> &str {
        self.moderation.as_ref().map_or("", |m| m.note.as_str())
    }
}

/// Fields of the item page's forms that show their error next to them.
const FIELDS: [&str; 8] = [
    "note",
    "category",
    "answer",
    "to_unit",
    "into",
    "days",
    "public_title",
    "public_body",
];

impl ItemTpl {
    /// The fields above when their forms are on the page (the caller has moves left), none
    /// otherwise: an error is never about a field nobody sees.
    fn shown(&self) -> &'static [&'static str] {
        if self.moves.is_empty() { &[] } else { &FIELDS }
    }
}

async fn render_item(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<FieldError>,
    draft: ActForm,
    moderation: Option<ModerateForm>,
) -> AppResult<Response> {
    let (item, history) = app::feedback::item_for_officer(&s.db, ctx.principal()?, id).await?;
    let moves = app::feedback::moves_for(&s.db, ctx.principal()?, &item).await?;
    let files = app::feedback::files_for_officer(&s.db, ctx.principal()?, &item).await?;
    // While the index is being built after a start, the page shows no suggestion.
    let duplicates = match s
        .finder()
        .similar_feedback(
            ctx.who.as_ref(),
            &format!("{} {}", item.title, item.body),
            Some(id),
            // Candidates held by the same unit or below: the ones its officers can merge.
            Some(item.unit_id),
            5,
        )
        .await
    {
        Err(AppError::Unavailable) => vec![],
        r => r?,
    };
    let can_merge = moves.contains(&"merge");
    // Suggestions help whoever may still move the item; a settled one needs none.
    // They are a help: if they cannot be worked out, the page goes without them.
    let suggestions = if moves.contains(&"categorise") {
        match app::feedback::suggest(&s.db, &s.org, &s.routing, ctx.principal()?, id).await {
            Ok(x) => Some(x),
            Err(e) => {
                tracing::warn!(item = id, error = %e, "routing suggestions unavailable");
                None
            }
        }
    } else {
        None
    };
    let categories = super::common::categories(s).await?;
    html_status(
        form_status(&errors),
        ItemTpl {
            p: PageCtx::from(ctx, &format!("/feedback/items/{id}")),
            item,
            history,
            files,
            moves,
            errors,
            draft,
            moderation,
            duplicates,
            can_merge,
            suggestions,
            categories,
        },
    )
}

/// `?action=transfer&to_unit=…` fills the move form (a suggestion's "Transfer here…"): the
/// officer still writes the reason and confirms.
async fn item_page(
    State(s): State<AppState>,
    ctx: Ctx,
    PathId(id): PathId,
    crate::extract::ApiQuery(prefill): crate::extract::ApiQuery<Prefill>,
) -> AppResult<Response> {
    let draft = ActForm {
        action: prefill.action.unwrap_or_default(),
        to_unit: prefill.to_unit.map(|u| u.to_string()).unwrap_or_default(),
        ..ActForm::default()
    };
    render_item(&s, &ctx, id, vec![], draft, None).await
}

#[derive(Deserialize, Default)]
struct Prefill {
    action: Option<String>,
    to_unit: Option<i64>,
}

#[derive(Deserialize, Default)]
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
    category: String,
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
        action: f.action.clone(),
        note: Some(f.note.clone()),
        internal: f.internal.is_some(),
        to_unit: f.to_unit.trim().parse().ok(),
        answer: Some(f.answer.clone()),
        into: Some(f.into.trim().to_string()).filter(|s| !s.is_empty()),
        days: f.days.trim().parse().ok(),
        category: Some(f.category.trim().to_string()).filter(|s| !s.is_empty()),
    };
    match app::feedback::act(&s.db, who, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/feedback/items/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_item(&s, &ctx, id, errors, f, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct ModerateForm {
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
        public_title: Some(f.public_title.clone()),
        public_body: Some(f.public_body.clone()),
        note: f.note.clone(),
    };
    match app::feedback::moderate(&s.db, ctx.principal()?, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/feedback/items/{id}")).into_response()),
        Err(AppError::Invalid(errors) | AppError::Conflict(errors)) => {
            render_item(&s, &ctx, id, errors, ActForm::default(), Some(f)).await
        }
        Err(e) => Err(e.into()),
    }
}
