//! The OpenAPI document (operations listed per resource, bearer security), served as JSON and
//! listed for the server-rendered explorer.

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;
use crate::error::Problem;
use app::feedback::{
    AppealInput, FeedbackByProvince, MoveInput, ProvinceFeedback, PublicItem, Rating, Stats,
    Submission, Submitted, Tracking,
};
use app::org::{MergeInput, MergeResult, OrgUnitDetail};
use app::programmes::{ProgrammeOverview, TaskDetail, WorkItem};
use app::records::{
    ApiToken, Assignment, AuditEntry, Category, Event, Evidence, Extension, Item, LinkedUnit,
    Notification, OrgUnit, Programme, ProgressReport, User,
};
use app::tokens::CreatedToken;
use app::work::{CancelInput, CascadeInput, CascadeResult, NewComment, Proposal, ProposalDecision};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "nqtrack API", version = "1", description = "Monitoring and evaluation of government programmes. Errors are RFC 9457 problem details (application/problem+json). Authenticate with `Authorization: Bearer <token>`; browser sessions must send `X-CSRF-Token` on writes."),
    paths(super::org::list_org_units, super::org::create_org_unit, super::org::get_org_unit, super::org::update_org_unit, super::users::me, super::users::list_users, super::users::create_user, super::users::get_user, super::users::update_user, super::tokens::list_tokens, super::tokens::create_token, super::tokens::revoke_token, super::audit::list_audit, super::audit::get_audit, super::programmes::list_programmes, super::programmes::programme_overview, super::tasks::list_tasks, super::tasks::get_task, super::assignments::create_report, super::assignments::verify_assignment, super::assignments::request_extension, super::assignments::decide_extension),
    components(schemas(Problem, OrgUnit, OrgUnitDetail, LinkedUnit, User, ApiToken, CreatedToken, AuditEntry, super::users::Me, Programme, ProgrammeOverview, super::tasks::TaskRow, TaskDetail, ProgressReport, Assignment, Extension)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

// Operations on tasks and the work around them.
#[derive(OpenApi)]
#[openapi(
    paths(
        super::programmes::programme_charts,
        super::assignments::cascade,
        super::assignments::cancel,
        super::assignments::claims_waiting,
        super::tasks::list_proposals,
        super::tasks::propose,
        super::tasks::decide_proposal,
        super::tasks::add_comment,
        super::assignments::add_evidence,
        super::assignments::get_evidence,
        super::notifications::list_notifications,
        super::notifications::read_notifications,
        super::org::merge_unit,
        super::worklist::worklist,
        super::worklist::calendar,
        super::jobs::run_jobs
    ),
    components(schemas(
        super::assignments::ClaimQueue,
        app::records::PendingClaim,
        app::programmes::ProgrammeCharts,
        app::programmes::TrendPoint,
        CascadeInput,
        CascadeResult,
        CancelInput,
        Proposal,
        ProposalDecision,
        NewComment,
        Evidence,
        Notification,
        super::notifications::NotificationList,
        super::notifications::ReadInput,
        MergeInput,
        MergeResult,
        WorkItem,
        super::jobs::JobsInput,
        app::jobs::TickReport
    ))
)]
pub struct WorkDoc;

// Operations on feedback.
#[derive(OpenApi)]
#[openapi(
    paths(
        super::feedback::submit,
        super::feedback::submit_with_files,
        super::feedback::track,
        super::feedback::rate,
        super::feedback::appeal,
        super::feedback::support,
        super::feedback::inbox,
        super::feedback::item,
        super::feedback::act,
        super::feedback::suggestions,
        super::feedback::published,
        super::feedback::stats,
        super::feedback::stats_by_province,
        super::feedback::categories,
        super::feedback_settings::unit_settings,
        super::feedback_settings::set_unit_settings,
        super::feedback_settings::kind_rules,
        super::feedback_settings::set_kind_rule,
        super::feedback::confirm_support
    ),
    components(schemas(
        Submission,
        Submitted,
        Tracking,
        PublicItem,
        Rating,
        AppealInput,
        MoveInput,
        app::feedback::InboxPage,
        Stats,
        FeedbackByProvince,
        ProvinceFeedback,
        Category,
        Event,
        Item,
        super::feedback::OfficerItem,
        app::feedback::UnitSettings,
        app::feedback::UnitSettingsChange,
        super::feedback::SupportByEmail,
        super::feedback::LinkToken,
        app::users::Registration,
        app::records::KindRule,
        app::feedback::Suggestions,
        app::feedback::UnitSuggestion,
        app::feedback::CategorySuggestion,
        app::feedback::ModelInfo,
        app::feedback::Accuracies
    ))
)]
pub struct FeedbackDoc;

// Indicators, targets and DHIS2 data values.
#[derive(OpenApi)]
#[openapi(
    paths(
        super::indicators::list_sets,
        super::indicators::catalogue,
        super::indicators::detail,
        super::indicators::figures,
        super::indicators::scorecard,
        super::indicators::sheet,
        super::indicators::enter,
        super::indicators::decide,
        super::indicators::queue,
        super::indicators::list_rules,
        super::indicators::add_rule,
        super::indicators::delete_rule,
        super::indicators::validation,
        super::indicators::set_target,
        super::indicators::edit_indicator,
        super::budgets::set_budget,
        super::budgets::task_budget,
        super::budgets::programme_budget,
        super::indicators::proposed_targets,
        super::indicators::decide_target,
        super::indicators::import_values,
        super::indicators::export_values
    ),
    components(schemas(
        app::records::IndicatorSet,
        app::records::Indicator,
        app::records::TargetRow,
        app::records::ValueRow,
        app::records::IndicatorSubmission,
        app::indicators::SetEntry,
        app::indicators::CatalogueRow,
        app::indicators::Detail,
        app::indicators::Figures,
        app::indicators::UnitFigure,
        app::indicators::figures::Projection,
        app::indicators::Scorecard,
        app::indicators::figures::ScorecardSet,
        app::indicators::entry::Sheet,
        app::indicators::entry::SheetRow,
        app::indicators::entry::FormValue,
        app::indicators::submissions::Waiting,
        app::records::IndicatorRule,
        app::indicators::validation::Finding,
        app::indicators::validation::Report,
        app::indicators::validation::RuleInput,
        app::indicators::targets::TargetInput,
        app::indicators::definitions::Edit,
        app::budgets::BudgetInput,
        app::budgets::TaskBudget,
        app::budgets::UnitYear,
        app::budgets::ProgrammeBudget,
        app::records::BudgetRow,
        app::indicators::targets::Proposal,
        super::indicators::TargetDecisionInput,
        app::indicators::dhis2::DataValueSet,
        app::indicators::dhis2::DataValue,
        app::indicators::dhis2::Scalar,
        app::indicators::dhis2::ImportSummary,
        app::indicators::dhis2::ImportCount,
        app::indicators::dhis2::Conflict,
        app::indicators::dhis2::Strategy,
        app::indicators::dhis2::IdScheme,
        app::indicators::dhis2::AtomicMode,
        domain::indicators::target::Target,
        domain::indicators::target::Comparator,
        super::indicators::SheetValue,
        super::indicators::SheetInput,
        super::indicators::MoveInput
    ))
)]
pub struct IndicatorsDoc;

#[derive(OpenApi)]
#[openapi(
    paths(
        super::rankings::list_methods,
        super::rankings::create_method,
        super::rankings::new_version,
        super::rankings::get_version,
        super::rankings::edit_version,
        super::rankings::move_version,
        super::rankings::list_editions,
        super::rankings::compute,
        super::rankings::get_edition,
        super::rankings::publish,
        super::rankings::reproduce,
        super::rankings::what_if,
        super::rankings::scorecard,
        super::rankings::why,
        super::rankings::history,
        super::rankings::changes,
        super::rankings::enter_expert
    ),
    components(schemas(
        app::records::RankMethod,
        app::records::MethodVersion,
        app::records::Edition,
        app::records::ExpertScore,
        app::rankings::MethodSummary,
        app::rankings::VersionView,
        app::rankings::NewMethodInput,
        app::rankings::DocumentInput,
        app::rankings::MoveInput,
        app::rankings::ComputeInput,
        app::rankings::PublishInput,
        app::rankings::EditionHead,
        app::rankings::EditionView,
        app::rankings::RankedUnit,
        app::rankings::Scorecard,
        app::rankings::HistoryPoint,
        domain::ranking::changelog::Changelog,
        domain::ranking::changelog::Move,
        domain::ranking::changelog::GradeChange,
        app::rankings::CardLine,
        app::rankings::WhatIfInput,
        app::rankings::WhatIfUnit,
        app::rankings::ExpertInput,
        domain::ranking::engine::Part,
        domain::ranking::method::Missing,
        domain::ranking::uncertainty::Effect,
        domain::ranking::attribution::Change
    ))
)]
pub struct RankingsDoc;

#[derive(OpenApi)]
#[openapi(
    paths(
        super::catalogue::search,
        super::catalogue::create,
        super::catalogue::show,
        super::catalogue::edit,
        super::catalogue::move_entry,
        super::catalogue::figures,
        super::catalogue::heartbeat,
        super::catalogue::history,
        super::catalogue::unit_quality,
        super::catalogue::changes,
        super::catalogue::files,
        super::catalogue::attach,
        super::catalogue::file,
        super::catalogue::dashboard,
        super::dcat::export,
        super::catalogue::import
    ),
    components(schemas(
        app::records::CatalogueEntry,
        app::records::Measurement,
        super::catalogue::CreateInput,
        app::catalogue::Results,
        app::catalogue::Hit,
        app::catalogue::Facets,
        app::catalogue::FacetValue,
        app::catalogue::EntryView,
        app::catalogue::EntryRef,
        app::catalogue::Security,
        app::catalogue::MoveInput,
        app::catalogue::FiguresInput,
        app::catalogue::Measured,
        app::catalogue::Dashboard,
        app::catalogue::UnitLine,
        domain::catalogue::DeclarationInput,
        domain::catalogue::DictField,
        domain::catalogue::Figures,
        domain::catalogue::Quality,
        domain::catalogue::Standing,
        domain::catalogue::Kind,
        domain::catalogue::State,
        domain::catalogue::Move,
        domain::catalogue::Lifecycle,
        domain::catalogue::Hosting,
        domain::catalogue::Frequency,
        domain::catalogue::FieldType,
        domain::catalogue::Master,
        app::catalogue::import::ImportReport,
        app::catalogue::import::ImportProblem
    ))
)]
pub struct CatalogueDoc;

#[derive(OpenApi)]
#[openapi(
    paths(super::search::search, super::search::similar),
    components(schemas(
        app::search::Results,
        app::search::Similar,
        app::search::Hit,
        app::search::Facet,
        domain::search::Kind,
        domain::search::Piece
    ))
)]
pub struct SearchDoc;

pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(WorkDoc::openapi());
    doc.merge(FeedbackDoc::openapi());
    doc.merge(IndicatorsDoc::openapi());
    doc.merge(RankingsDoc::openapi());
    doc.merge(CatalogueDoc::openapi());
    doc.merge(SearchDoc::openapi());
    document_errors(&mut doc);
    doc
}

/// The error answers every operation can give, added where an operation does not list them
/// itself, so that a client (or a fuzzer) finds every status it can meet in the document: 400 for
/// input that cannot be read, 401 for a wrong or expired token, 403 outside the caller's role or
/// scope, 404 for an unknown id in the path, 422 for input that breaks a rule, 503 with
/// Retry-After when the database is busy. All are problem details.
fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const ANSWERS: [(&str, &str, &str); 6] = [
        (
            "400",
            "BadRequest",
            "The request could not be read (malformed JSON, query or path).",
        ),
        (
            "401",
            "Unauthorized",
            "Sign-in required, or the token is wrong, revoked or expired.",
        ),
        (
            "403",
            "Forbidden",
            "Outside the caller's role or organisational scope.",
        ),
        (
            "404",
            "NotFound",
            "No such object (or not visible to the caller).",
        ),
        (
            "422",
            "Unprocessable",
            "The input breaks a rule; `errors` names each field.",
        ),
        (
            "503",
            "Busy",
            "The database is busy; nothing was written. Retry after `Retry-After` seconds.",
        ),
    ];
    let components = doc.components.get_or_insert_with(Default::default);
    for (_, name, text) in ANSWERS {
        let problem = ResponseBuilder::new()
            .description(text)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert(name.to_string(), RefOr::T(problem));
    }
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            let params = op.parameters.iter().flatten();
            let has_path_param = params
                .clone()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path));
            let has_input = op.request_body.is_some() || params.clone().next().is_some();
            for (code, name, _) in ANSWERS {
                let applies = match code {
                    // An id in the path, or in the query (`?programme=`, `?unit=`), may name nothing.
                    "404" => has_path_param || has_input,
                    "422" => has_input,
                    _ => true,
                };
                if applies {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
                }
            }
        }
    }
}

/// The document is built from every schema of the API (a few milliseconds of CPU): once per
/// process, then served as the same bytes.
static OPENAPI_JSON: std::sync::LazyLock<axum::body::Bytes> = std::sync::LazyLock::new(|| {
    serde_json::to_vec(&openapi())
        .expect("the OpenAPI document serialises")
        .into()
});

async fn openapi_json() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON.clone(),
    )
        .into_response()
}

/// One operation as listed on the explorer page.
pub struct DocOperation {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub params: Vec<(String, String)>,
    pub public: bool,
}

/// The operations of the OpenAPI document, for the server-rendered explorer (built once).
pub fn doc_operations() -> &'static [DocOperation] {
    static OPS: std::sync::LazyLock<Vec<DocOperation>> = std::sync::LazyLock::new(operations);
    &OPS
}

fn operations() -> Vec<DocOperation> {
    let doc = openapi();
    let mut out = vec![];
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            let params = op
                .parameters
                .iter()
                .flatten()
                .map(|p| (p.name.clone(), p.description.clone().unwrap_or_default()))
                .collect();
            let public = op.security.as_ref().is_some_and(|s| {
                s.iter().any(|r| {
                    serde_json::to_value(r)
                        .map(|v| v == serde_json::json!({}))
                        .unwrap_or(false)
                })
            });
            out.push(DocOperation {
                method,
                path: path.clone(),
                summary: op
                    .summary
                    .clone()
                    .or(op.description.clone())
                    .unwrap_or_default(),
                params,
                public,
            });
        }
    }
    out
}
