//! The role × scope matrix: every role (and anonymous visitors) against objects of their own
//! unit, a child unit, a foreign unit and public objects, for every endpoint of the platform.
//! Expected outcomes are written out here independently of `domain::policy`.

mod common;
use common::Call;

use reqwest::Method;
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Who {
    Anonymous,
    Admin,
    Steering,
    Inspector,
    Leader,
    Officer,
    Reviewer,
    /// A self-made public account (role citizen).
    Citizen,
}

const ALL: [Who; 8] = [
    Who::Anonymous,
    Who::Admin,
    Who::Steering,
    Who::Inspector,
    Who::Leader,
    Who::Officer,
    Who::Reviewer,
    Who::Citizen,
];

impl Who {
    fn username(self) -> Option<&'static str> {
        Some(match self {
            Who::Anonymous => return None,
            Who::Admin => "admin",
            Who::Steering => "steering",
            Who::Inspector => "inspector",
            Who::Leader => "daklak.leader",
            Who::Officer => "daklak.officer",
            Who::Reviewer => "reviewer",
            Who::Citizen => "citizen",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Obj {
    Own,
    Child,
    Foreign,
    Public,
}

#[derive(Clone, Copy, Debug)]
enum Ep {
    ListUnits,
    GetUnit,
    PatchUnit,
    CreateUnit,
    ListUsers,
    GetUser,
    PatchUser,
    CreateUser,
    ListTokens,
    CreateToken,
    RevokeToken,
    Audit,
    Me,
    PageEditUnit,
    PageUser,
    PageAudit,
    PageTokens,
    Programmes,
    Overview,
    Tasks,
    Task,
    Report,
    Verify,
    AskExtension,
    DecideExtension,
    RestrictedTask,
    InternalTask,
    Cascade,
    Cancel,
    Propose,
    ListProposals,
    DecideProposal,
    Comment,
    AddEvidence,
    GetEvidence,
    Notifications,
    ReadNotifications,
    Merge,
    Worklist,
    Calendar,
    Charts,
    RunJobs,
    PageTask,
    PageNotifications,
    FbSubmit,
    FbTrack,
    FbInbox,
    FbItem,
    /// Routing suggestions for an item: for those who may move it.
    FbSuggest,
    FbAct,
    FbDecide,
    FbReview,
    FbModerate,
    FbSupport,
    FbStats,
    FbPublished,
    FbRoutes,
    FbAddRoute,
    FbAddHoliday,
    PageFbInbox,
    PageFbForm,
    FbApprove,
    FbUnitSettings,
    FbSetUnitSettings,
    FbRules,
    FbSetRule,
    PageFbSettings,
    PageFbBulk,
    FbMine,
    Register,
    FbSubmitFiles,
    IndSets,
    IndCatalogue,
    IndFigures,
    IndFiguresPrivate,
    IndSheet,
    IndEnter,
    IndSubmit,
    IndQueue,
    DvsImport,
    DvsExport,
    PageIndicators,
    PageIndicator,
    PageIndEntry,
    PageIndApprovals,
    IndRules,
    IndAddRule,
    IndDeleteRule,
    IndValidation,
    PageIndValidation,
    IndSetTarget,
    IndProposals,
    IndDecideTarget,
    PageIndTargets,
    PageIndTemplate,
    SetBudget,
    TaskBudget,
    ProgrammeBudget,
    PageTaskBudget,
    PageProgrammeBudget,
    IndEdit,
    PageIndEdit,
    RkMethods,
    RkVersion,
    RkNewVersion,
    RkEditions,
    RkPublished,
    RkUnpublished,
    RkScorecard,
    RkCompute,
    RkWhatIf,
    RkExpert,
    PageRkDesk,
    PageRkEdit,
    PageRkWhatIf,
    PageRkCompute,
    PageRkExpert,
    RkChanges,
    RkHistory,
    PageRkReport,
    CatSearch,
    CatDashboard,
    CatShow,
    CatHistory,
    CatChanges,
    CatUnitQuality,
    CatFiles,
    CatFile,
    CatAttach,
    CatCreate,
    CatEdit,
    CatMove,
    CatFigures,
    CatHeartbeat,
    PageCatalogue,
    PageCatEntry,
    PageCatEdit,
    PageCatDashboard,
    CkanSearch,
    CkanShow,
    CatDcat,
    CatImport,
    /// Search finds a restricted task, a feedback item's full text, a catalogue draft exactly
    /// where reading them directly is allowed.
    SearchTask,
    SearchFeedback,
    SearchCatalogue,
}

/// The rule book, stated plainly.
fn expected(who: Who, ep: Ep, obj: Obj) -> u16 {
    // A search hit is a read: found exactly where reading the record directly is allowed.
    match ep {
        Ep::SearchTask => return expected(who, Ep::RestrictedTask, obj),
        Ep::SearchFeedback => return expected(who, Ep::FbItem, obj),
        Ep::SearchCatalogue => return expected(who, Ep::CatShow, obj),
        _ => {}
    }
    use Who::*;
    let in_subtree = matches!(obj, Obj::Own | Obj::Child);
    let local = matches!(who, Leader | Officer);
    let reads_all = matches!(who, Admin | Steering | Inspector);
    let page = matches!(
        ep,
        Ep::PageEditUnit
            | Ep::PageUser
            | Ep::PageAudit
            | Ep::PageTokens
            | Ep::PageFbSettings
            | Ep::PageFbBulk
    );
    let page = page || matches!(ep, Ep::PageNotifications | Ep::PageFbInbox);
    let public = matches!(
        ep,
        Ep::ListUnits
            | Ep::GetUnit
            | Ep::Programmes
            | Ep::Overview
            | Ep::Tasks
            | Ep::Task
            | Ep::TaskBudget
            | Ep::ProgrammeBudget
            | Ep::PageTaskBudget
            | Ep::PageProgrammeBudget
            | Ep::GetEvidence
            | Ep::Worklist
            | Ep::Calendar
            | Ep::Charts
            | Ep::PageTask
            | Ep::FbSubmit
            | Ep::FbTrack
            | Ep::FbStats
            | Ep::FbPublished
            | Ep::PageFbForm
            | Ep::FbRules
            | Ep::Register
            | Ep::FbSubmitFiles
    );
    // Indicators: definitions and public figures for everyone; a unit's sheet, its values of a
    // non-public indicator and its entry for its own people, those above it and the national roles.
    let signed_in = who != Anonymous;
    let enters = who == Admin || who == Steering || (local && in_subtree);
    let reads_values = reads_all || (local && in_subtree);
    match ep {
        Ep::IndSets
        | Ep::IndCatalogue
        | Ep::IndFigures
        | Ep::DvsExport
        | Ep::PageIndicators
        | Ep::PageIndicator
        | Ep::IndRules => {
            return 200;
        }
        // Rules and definitions are written by the Steering Committee (and the administrator).
        Ep::IndAddRule | Ep::IndDeleteRule | Ep::IndEdit => {
            return if !signed_in {
                401
            } else if matches!(who, Admin | Steering) {
                match ep {
                    Ep::IndAddRule => 201,
                    Ep::IndDeleteRule => 204,
                    _ => 200,
                }
            } else {
                403
            };
        }
        // The assigning level sets a unit's target, the unit proposes its own: both answer 200.
        Ep::IndSetTarget => {
            return if !signed_in {
                401
            } else if enters {
                200
            } else {
                403
            };
        }
        // Only the level above the unit decides its proposal.
        Ep::IndDecideTarget => {
            return if !signed_in {
                401
            } else if matches!(who, Admin | Steering) || (who == Leader && obj == Obj::Child) {
                200
            } else {
                403
            };
        }
        Ep::IndProposals => return if signed_in { 200 } else { 401 },
        Ep::PageIndTargets => return if signed_in { 200 } else { 303 },
        // The definition form, for those who may edit definitions.
        Ep::PageIndEdit => {
            return if !signed_in {
                303
            } else if matches!(who, Admin | Steering) {
                200
            } else {
                403
            };
        }
        Ep::IndFiguresPrivate | Ep::IndSheet | Ep::IndValidation => {
            return if !signed_in {
                401
            } else if reads_values {
                200
            } else {
                403
            };
        }
        Ep::PageIndEntry | Ep::PageIndValidation | Ep::PageIndTemplate => {
            return if !signed_in {
                303
            } else if reads_values {
                200
            } else {
                403
            };
        }
        Ep::IndEnter | Ep::IndSubmit | Ep::DvsImport => {
            return if !signed_in {
                401
            } else if enters {
                200
            } else {
                403
            };
        }
        Ep::IndQueue => return if signed_in { 200 } else { 401 },
        Ep::PageIndApprovals => return if signed_in { 200 } else { 303 },
        _ => {}
    }
    // Rankings: methods and published editions are public; unpublished editions exist only for
    // the Steering Committee, inspectors (and administrators); the Committee writes methods and
    // computes editions, inspectors enter their findings and try other weights.
    match ep {
        Ep::RkMethods | Ep::RkVersion | Ep::RkEditions | Ep::RkPublished | Ep::RkHistory => {
            return 200;
        }
        Ep::RkUnpublished | Ep::RkScorecard | Ep::RkChanges | Ep::PageRkReport => {
            return if reads_all { 200 } else { 404 };
        }
        Ep::RkNewVersion | Ep::RkCompute => {
            return if !signed_in {
                401
            } else if matches!(who, Admin | Steering) {
                201
            } else {
                403
            };
        }
        Ep::RkWhatIf | Ep::RkExpert => {
            return if !signed_in {
                401
            } else if reads_all {
                200
            } else {
                403
            };
        }
        // The desk's pages send visitors to sign in; its forms redirect once done.
        Ep::PageRkDesk | Ep::PageRkWhatIf => {
            return if !signed_in {
                303
            } else if reads_all {
                200
            } else {
                403
            };
        }
        Ep::PageRkEdit => {
            return if !signed_in {
                303
            } else if matches!(who, Admin | Steering) {
                200
            } else {
                403
            };
        }
        Ep::PageRkCompute => {
            return if !signed_in || matches!(who, Admin | Steering) {
                303
            } else {
                403
            };
        }
        Ep::PageRkExpert => return if !signed_in || reads_all { 303 } else { 403 },
        _ => {}
    }
    // Catalogue: search, dashboard and public entries for everyone; an entry that is not public
    // exists only for its unit, the units above it and the roles that read everything; the unit's
    // people (and the administrator) declare, edit and report its figures. `Obj::Public` is an
    // accepted public entry for reading and a draft of the national unit for writing.
    let cat_reads = reads_all || (local && in_subtree);
    let cat_writes = who == Admin || (local && in_subtree);
    match ep {
        Ep::CatSearch
        | Ep::CatDashboard
        | Ep::PageCatalogue
        | Ep::PageCatDashboard
        | Ep::CkanSearch
        | Ep::CkanShow
        | Ep::CatDcat
        | Ep::CatUnitQuality => return 200,
        // An entry's changes are its inside: a public entry's outsiders are refused.
        Ep::CatChanges => {
            return if cat_reads {
                200
            } else if obj != Obj::Public {
                404
            } else if signed_in {
                403
            } else {
                401
            };
        }
        Ep::CatShow | Ep::CatHistory | Ep::CatFiles | Ep::CatFile | Ep::PageCatEntry => {
            return if obj == Obj::Public || cat_reads {
                200
            } else {
                404
            };
        }
        Ep::CatCreate | Ep::CatImport => {
            return if !signed_in {
                401
            } else if cat_writes {
                if matches!(ep, Ep::CatCreate) {
                    201
                } else {
                    200
                }
            } else {
                403
            };
        }
        Ep::CatEdit | Ep::CatMove | Ep::CatFigures | Ep::CatHeartbeat | Ep::CatAttach => {
            return if !signed_in {
                401
            } else if cat_writes {
                if matches!(ep, Ep::CatAttach) {
                    201
                } else {
                    200
                }
            } else if cat_reads {
                403
            } else {
                404
            };
        }
        Ep::PageCatEdit => {
            return if !signed_in {
                303
            } else if cat_writes {
                200
            } else if cat_reads {
                403
            } else {
                404
            };
        }
        _ => {}
    }
    // Tasks one may not read do not exist for the caller.
    match ep {
        Ep::RestrictedTask => {
            return if reads_all || (local && in_subtree) {
                200
            } else {
                404
            };
        }
        // Internal work is for the administration's accounts, not for public ones.
        Ep::InternalTask => {
            return if matches!(who, Anonymous | Citizen) {
                404
            } else {
                200
            };
        }
        _ => {}
    }
    if who == Anonymous && !public {
        return if page { 303 } else { 401 };
    }
    // A public account is no member of the administration: no comments, no proposals.
    if who == Citizen && matches!(ep, Ep::Comment | Ep::ListProposals) {
        return 403;
    }
    match ep {
        Ep::ListUnits
        | Ep::GetUnit
        | Ep::Me
        | Ep::Programmes
        | Ep::Overview
        | Ep::Tasks
        | Ep::Task
        | Ep::TaskBudget
        | Ep::ProgrammeBudget
        | Ep::PageTaskBudget
        | Ep::PageProgrammeBudget
        | Ep::GetEvidence
        | Ep::Worklist
        | Ep::Calendar
        | Ep::Charts
        | Ep::PageTask
        | Ep::Notifications
        | Ep::ReadNotifications
        | Ep::PageNotifications
        | Ep::ListProposals => 200,
        Ep::RestrictedTask
        | Ep::InternalTask
        | Ep::SearchTask
        | Ep::SearchFeedback
        | Ep::SearchCatalogue => unreachable!(),
        Ep::IndSets
        | Ep::IndCatalogue
        | Ep::IndFigures
        | Ep::IndFiguresPrivate
        | Ep::IndSheet
        | Ep::IndEnter
        | Ep::IndSubmit
        | Ep::IndQueue
        | Ep::DvsImport
        | Ep::DvsExport
        | Ep::PageIndicators
        | Ep::PageIndicator
        | Ep::PageIndEntry
        | Ep::PageIndApprovals
        | Ep::IndRules
        | Ep::IndAddRule
        | Ep::IndDeleteRule
        | Ep::IndValidation
        | Ep::PageIndValidation
        | Ep::IndSetTarget
        | Ep::IndProposals
        | Ep::IndDecideTarget
        | Ep::PageIndTargets
        | Ep::PageIndTemplate
        | Ep::IndEdit
        | Ep::PageIndEdit
        | Ep::RkMethods
        | Ep::RkVersion
        | Ep::RkNewVersion
        | Ep::RkEditions
        | Ep::RkPublished
        | Ep::RkUnpublished
        | Ep::RkScorecard
        | Ep::RkCompute
        | Ep::RkWhatIf
        | Ep::RkExpert
        | Ep::PageRkDesk
        | Ep::PageRkEdit
        | Ep::PageRkWhatIf
        | Ep::PageRkCompute
        | Ep::PageRkExpert
        | Ep::RkChanges
        | Ep::RkHistory
        | Ep::PageRkReport
        | Ep::CatSearch
        | Ep::CatDashboard
        | Ep::CatUnitQuality
        | Ep::CatShow
        | Ep::CatHistory
        | Ep::CatChanges
        | Ep::CatFiles
        | Ep::CatFile
        | Ep::CatAttach
        | Ep::CatCreate
        | Ep::CatEdit
        | Ep::CatMove
        | Ep::CatFigures
        | Ep::CatHeartbeat
        | Ep::PageCatalogue
        | Ep::PageCatEntry
        | Ep::PageCatEdit
        | Ep::PageCatDashboard
        | Ep::CkanSearch
        | Ep::CkanShow
        | Ep::CatDcat
        | Ep::CatImport => unreachable!("decided above"),
        Ep::FbSubmit | Ep::FbSubmitFiles => 201,
        Ep::FbTrack
        | Ep::FbStats
        | Ep::FbPublished
        | Ep::PageFbForm
        | Ep::FbSupport
        | Ep::FbMine
        | Ep::FbRules => 200,
        Ep::Register => 202,
        Ep::FbUnitSettings => {
            if reads_all || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        // Publishing an answer held for approval: the unit's leader (or above), steering, administrators.
        Ep::FbApprove => {
            if matches!(who, Admin | Steering) || (who == Leader && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::FbSetUnitSettings => {
            if who == Admin || (who == Leader && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::FbSetRule => {
            if who == Admin {
                200
            } else {
                403
            }
        }
        // The form redirects back to the inbox once saved.
        Ep::PageFbSettings => {
            if who == Admin || (who == Leader && in_subtree) {
                303
            } else {
                403
            }
        }
        // Bulk moves report per item: read back from the redirect as 200 (applied) or 403 (refused).
        Ep::PageFbBulk => {
            if matches!(who, Admin | Steering) || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        // Feedback held by a unit: its people (and those above it) read and handle it; steering
        // handles everything; inspectors read everything and change nothing.
        Ep::FbInbox | Ep::FbItem | Ep::PageFbInbox => {
            if reads_all || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::FbAct | Ep::FbDecide | Ep::FbModerate | Ep::FbSuggest => {
            if matches!(who, Admin | Steering) || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::FbReview => {
            if matches!(who, Admin | Steering | Reviewer) || (local && in_subtree) {
                201
            } else {
                403
            }
        }
        Ep::FbRoutes => {
            if who == Admin {
                200
            } else {
                403
            }
        }
        Ep::FbAddRoute | Ep::FbAddHoliday => {
            if who == Admin {
                201
            } else {
                403
            }
        }
        // Cascading decides work: leaders of the unit (or above), and the Steering Committee.
        Ep::Cascade => {
            if matches!(who, Admin | Steering) || (who == Leader && in_subtree) {
                201
            } else {
                403
            }
        }
        Ep::Cancel | Ep::DecideProposal => {
            if matches!(who, Admin | Steering) {
                200
            } else {
                403
            }
        }
        Ep::Propose => {
            if who == Admin || (local && in_subtree) {
                201
            } else {
                403
            }
        }
        Ep::Comment => {
            if who == Reviewer {
                403
            } else {
                201
            }
        }
        Ep::AddEvidence => {
            if who == Admin || (local && in_subtree) {
                201
            } else {
                403
            }
        }
        Ep::Merge | Ep::RunJobs => {
            if who == Admin {
                200
            } else {
                403
            }
        }
        Ep::PatchUnit | Ep::PageEditUnit => {
            if who == Admin || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::CreateUnit => {
            if who == Admin || (local && in_subtree) {
                201
            } else {
                403
            }
        }
        Ep::ListUsers => {
            if reads_all || matches!(who, Reviewer | Citizen) || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::GetUser | Ep::PageUser => {
            if reads_all || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        Ep::PatchUser | Ep::ListTokens | Ep::RevokeToken | Ep::PageTokens => {
            if who == Admin {
                200
            } else {
                403
            }
        }
        Ep::CreateUser | Ep::CreateToken => {
            if who == Admin {
                201
            } else {
                403
            }
        }
        Ep::Audit | Ep::PageAudit => {
            if matches!(who, Admin | Inspector) {
                200
            } else {
                403
            }
        }
        Ep::Report | Ep::AskExtension => {
            if who == Admin || (local && in_subtree) {
                201
            } else {
                403
            }
        }
        // A budget is entered by the unit that reports on the assignment.
        Ep::SetBudget => {
            if who == Admin || (local && in_subtree) {
                200
            } else {
                403
            }
        }
        // The programme belongs to the national level: only administrators and the Steering Committee verify.
        Ep::Verify | Ep::DecideExtension => {
            if matches!(who, Admin | Steering) {
                200
            } else {
                403
            }
        }
    }
}

fn scopes(ep: Ep) -> &'static [Obj] {
    match ep {
        Ep::Report
        | Ep::AskExtension
        | Ep::RestrictedTask
        | Ep::Propose
        | Ep::AddEvidence
        | Ep::SetBudget
        | Ep::SearchTask
        | Ep::SearchFeedback => &[Obj::Own, Obj::Child, Obj::Foreign],
        Ep::Cascade => &[Obj::Own, Obj::Foreign],
        Ep::FbInbox
        | Ep::FbItem
        | Ep::FbSuggest
        | Ep::FbAct
        | Ep::FbDecide
        | Ep::FbReview
        | Ep::FbModerate
        | Ep::FbApprove
        | Ep::FbUnitSettings
        | Ep::FbSetUnitSettings
        | Ep::PageFbSettings
        | Ep::PageFbBulk
        | Ep::PageFbInbox => &[Obj::Own, Obj::Child, Obj::Foreign],
        Ep::IndFiguresPrivate
        | Ep::IndSheet
        | Ep::IndEnter
        | Ep::IndSubmit
        | Ep::DvsImport
        | Ep::PageIndEntry
        | Ep::IndValidation
        | Ep::PageIndValidation
        | Ep::IndSetTarget
        | Ep::IndDecideTarget
        | Ep::PageIndTemplate => &[Obj::Own, Obj::Child, Obj::Foreign],
        Ep::ListUnits | Ep::GetUnit | Ep::PatchUnit | Ep::CreateUnit | Ep::PageEditUnit => {
            &[Obj::Own, Obj::Child, Obj::Foreign, Obj::Public]
        }
        Ep::ListUsers
        | Ep::GetUser
        | Ep::PatchUser
        | Ep::CreateUser
        | Ep::CreateToken
        | Ep::PageUser => &[Obj::Own, Obj::Child, Obj::Foreign],
        Ep::CatShow
        | Ep::CatHistory
        | Ep::CatChanges
        | Ep::CatFiles
        | Ep::CatFile
        | Ep::CatAttach
        | Ep::CatCreate
        | Ep::CatImport
        | Ep::CatEdit
        | Ep::CatMove
        | Ep::CatFigures
        | Ep::CatHeartbeat
        | Ep::PageCatEntry
        | Ep::PageCatEdit
        | Ep::SearchCatalogue => &[Obj::Own, Obj::Child, Obj::Foreign, Obj::Public],
        _ => &[Obj::Public],
    }
}

const ENDPOINTS: [Ep; 145] = [
    Ep::ListUnits,
    Ep::GetUnit,
    Ep::PatchUnit,
    Ep::CreateUnit,
    Ep::ListUsers,
    Ep::GetUser,
    Ep::PatchUser,
    Ep::CreateUser,
    Ep::ListTokens,
    Ep::CreateToken,
    Ep::RevokeToken,
    Ep::Audit,
    Ep::Me,
    Ep::PageEditUnit,
    Ep::PageUser,
    Ep::PageAudit,
    Ep::PageTokens,
    Ep::Programmes,
    Ep::Overview,
    Ep::Tasks,
    Ep::Task,
    Ep::Report,
    Ep::Verify,
    Ep::AskExtension,
    Ep::DecideExtension,
    Ep::RestrictedTask,
    Ep::InternalTask,
    Ep::Cascade,
    Ep::Cancel,
    Ep::Propose,
    Ep::ListProposals,
    Ep::DecideProposal,
    Ep::Comment,
    Ep::AddEvidence,
    Ep::GetEvidence,
    Ep::Notifications,
    Ep::ReadNotifications,
    Ep::Merge,
    Ep::Worklist,
    Ep::Calendar,
    Ep::Charts,
    Ep::RunJobs,
    Ep::PageTask,
    Ep::PageNotifications,
    Ep::FbSubmit,
    Ep::FbTrack,
    Ep::FbInbox,
    Ep::FbItem,
    Ep::FbSuggest,
    Ep::FbAct,
    Ep::FbDecide,
    Ep::FbReview,
    Ep::FbModerate,
    Ep::FbSupport,
    Ep::FbStats,
    Ep::FbPublished,
    Ep::FbRoutes,
    Ep::FbAddRoute,
    Ep::FbAddHoliday,
    Ep::PageFbInbox,
    Ep::PageFbForm,
    Ep::FbApprove,
    Ep::FbUnitSettings,
    Ep::FbSetUnitSettings,
    Ep::FbRules,
    Ep::FbSetRule,
    Ep::PageFbSettings,
    Ep::PageFbBulk,
    Ep::FbMine,
    Ep::Register,
    Ep::FbSubmitFiles,
    Ep::IndSets,
    Ep::IndCatalogue,
    Ep::IndFigures,
    Ep::IndFiguresPrivate,
    Ep::IndSheet,
    Ep::IndEnter,
    Ep::IndSubmit,
    Ep::IndQueue,
    Ep::DvsImport,
    Ep::DvsExport,
    Ep::PageIndicators,
    Ep::PageIndicator,
    Ep::PageIndEntry,
    Ep::PageIndApprovals,
    Ep::IndRules,
    Ep::IndAddRule,
    Ep::IndDeleteRule,
    Ep::IndValidation,
    Ep::PageIndValidation,
    Ep::IndSetTarget,
    Ep::IndProposals,
    Ep::IndDecideTarget,
    Ep::PageIndTargets,
    Ep::PageIndTemplate,
    Ep::SetBudget,
    Ep::TaskBudget,
    Ep::ProgrammeBudget,
    Ep::PageTaskBudget,
    Ep::PageProgrammeBudget,
    Ep::IndEdit,
    Ep::PageIndEdit,
    Ep::RkMethods,
    Ep::RkVersion,
    Ep::RkNewVersion,
    Ep::RkEditions,
    Ep::RkPublished,
    Ep::RkUnpublished,
    Ep::RkScorecard,
    Ep::RkCompute,
    Ep::RkWhatIf,
    Ep::RkExpert,
    Ep::PageRkDesk,
    Ep::PageRkEdit,
    Ep::PageRkWhatIf,
    Ep::PageRkCompute,
    Ep::PageRkExpert,
    Ep::RkChanges,
    Ep::RkHistory,
    Ep::PageRkReport,
    Ep::CatSearch,
    Ep::CatDashboard,
    Ep::CatShow,
    Ep::CatHistory,
    Ep::CatChanges,
    Ep::CatUnitQuality,
    Ep::CatFiles,
    Ep::CatFile,
    Ep::CatAttach,
    Ep::CatCreate,
    Ep::CatEdit,
    Ep::CatMove,
    Ep::CatFigures,
    Ep::CatHeartbeat,
    Ep::PageCatalogue,
    Ep::PageCatEntry,
    Ep::PageCatEdit,
    Ep::PageCatDashboard,
    Ep::CkanSearch,
    Ep::CkanShow,
    Ep::CatDcat,
    Ep::CatImport,
    Ep::SearchTask,
    Ep::SearchFeedback,
    Ep::SearchCatalogue,
];

#[macro_export]
macro_rules! both_with {
    ($name:ident, $cfg:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::common::TestApp::start_with($crate::common::Backend::Sqlite, $cfg).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::common::TestApp::start_with($crate::common::Backend::Postgres, $cfg).await).await;
            }
        }
    };
}

// Many submissions come from one test address: the per-address limit is tested elsewhere.
both_with!(
    role_scope_matrix,
    |c: &mut app::config::Config| c.feedback_per_ip_hour = 10_000,
    |app| {
        let own = app.unit_id("66").await;
        let (_, v) = common::json(
            app.anon()
                .get(app.url(&format!("/api/v1/org-units?parent={own}&per_page=1")))
                .call()
                .await,
        )
        .await;
        let child = v["items"][0]["id"].as_i64().unwrap();
        let foreign = app.unit_id("01").await;
        let public = app.unit_id("VN").await;
        let admin_token = app.token("admin").await;
        let programme = app::programmes::import_annex(
            &app.db,
            &store::audit::Actor::system("test"),
            &app::programmes::NQ03,
            app::programmes::NQ03_ANNEX,
            false,
        )
        .await
        .unwrap()
        .programme_id
        .unwrap();
        let task = app
            .scalar_i64(&format!(
                "SELECT MIN(id) FROM tasks WHERE programme_id = {programme}"
            ))
            .await;
        // Task 7 (due 01/2025) is assigned to every province; the child commune gets an assignment of its own too.
        let t6 = app
            .scalar_i64(&format!(
                "SELECT id FROM tasks WHERE programme_id = {programme} AND code = '7'"
            ))
            .await;
        // One account in each scope, and an account whose own unit is the child commune.
        let (s, cu) = common::json(app.anon().post(app.url("/api/v1/users")).bearer_auth(&admin_token)
        .json(&json!({"username": "commune.officer", "display_name": "Cán bộ xã", "unit_id": child, "role": "unit_officer"})).call().await).await;
        assert_eq!(s, 201);
        let user_in = |o: Obj| match o {
            Obj::Own => "daklak.leader",
            Obj::Child => "commune.officer",
            _ => "hanoi.officer",
        };
        let unit_of = |o: Obj| match o {
            Obj::Own => own,
            Obj::Child => child,
            Obj::Foreign => foreign,
            Obj::Public => public,
        };
        let mut tokens = std::collections::HashMap::new();
        for w in ALL {
            if let Some(u) = w.username() {
                tokens.insert(w, app.token(u).await);
            }
        }
        let mut browsers = std::collections::HashMap::new();
        for w in ALL {
            let b = match w.username() {
                Some(u) => app.signed_in(u).await,
                None => app.browser(),
            };
            browsers.insert(w, b);
        }
        let _ = cu;
        {
            let mut c = app.db.acquire().await.unwrap();
            let d = chrono::NaiveDate::from_ymd_opt(2025, 1, 9).unwrap();
            store::tasks::insert_assignment(
                &mut c.conn(),
                t6,
                child,
                true,
                d,
                chrono::NaiveDate::from_ymd_opt(2025, 1, 31),
            )
            .await
            .unwrap();
        }
        let assignment_of = |unit: i64| {
            let app = &app;
            async move {
                app.scalar_i64(&format!(
                    "SELECT id FROM assignments WHERE task_id = {t6} AND unit_id = {unit}"
                ))
                .await
            }
        };
        let own_assignment = assignment_of(own).await;
        // One restricted task per scope (held by that unit), one internal task, a report with
        // evidence on each unit's assignment, for the endpoints of the work on tasks.
        let mut restricted = std::collections::HashMap::new();
        for (i, obj) in [Obj::Own, Obj::Child, Obj::Foreign].into_iter().enumerate() {
            let unit = unit_of(obj);
            app.exec(&format!("INSERT INTO tasks (programme_id, code, title, deadline_text, deadline_json, visibility, created_at) VALUES ({programme}, 'R{i}', 'Mật {i}', '2026', '{{}}', 'restricted', '2025-01-09T00:00:00Z')")).await;
            let t = app
                .scalar_i64(&format!(
                    "SELECT id FROM tasks WHERE programme_id = {programme} AND code = 'R{i}'"
                ))
                .await;
            app.exec(&format!("INSERT INTO assignments (task_id, unit_id, is_lead, assigned_on) VALUES ({t}, {unit}, TRUE, '2025-01-09')")).await;
            restricted.insert(format!("{obj:?}"), t);
        }
        app.exec(&format!("INSERT INTO tasks (programme_id, code, title, deadline_text, deadline_json, visibility, created_at) VALUES ({programme}, 'N1', 'Nội bộ', '2026', '{{}}', 'internal', '2025-01-09T00:00:00Z')")).await;
        let internal = app
            .scalar_i64(&format!(
                "SELECT id FROM tasks WHERE programme_id = {programme} AND code = 'N1'"
            ))
            .await;
        // Indicators: the provincial KPI set, one of its indicators made non-public.
        app::indicators::builtin::create_province_set(
            &app.db,
            &store::audit::Actor::system("test"),
        )
        .await
        .unwrap();
        app.exec("UPDATE indicators SET is_public = FALSE WHERE code = 'KPI.KNS'")
            .await;
        let kpi_set = app
            .scalar_i64("SELECT id FROM indicator_sets WHERE code = 'KPI-TINH'")
            .await;
        let kns = app
            .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.KNS'")
            .await;
        let dvctt = app
            .scalar_i64("SELECT id FROM indicators WHERE code = 'KPI.DVCTT'")
            .await;
        let unit_code = |unit: i64| {
            let app = &app;
            async move {
                app.scalar_text(&format!("SELECT code FROM org_units WHERE id = {unit}"))
                    .await
            }
        };
        let mut report_of = std::collections::HashMap::new();
        for obj in [Obj::Own, Obj::Child, Obj::Foreign] {
            let a = assignment_of(unit_of(obj)).await;
            let r = app
                .anon()
                .post(app.url(&format!("/api/v1/assignments/{a}/reports")))
                .bearer_auth(&admin_token)
                .json(&json!({"percent": 5, "narrative": "bắt đầu"}))
                .call()
                .await;
            assert_eq!(r.status(), 201);
            let v: serde_json::Value = r.json().await.unwrap();
            report_of.insert(format!("{obj:?}"), v["id"].as_i64().unwrap());
        }
        let pdf = b"%PDF-1.4 matrix".to_vec();
        let r = app
            .anon()
            .post(app.url(&format!("/api/v1/reports/{}/evidence", report_of["Own"])))
            .bearer_auth(&admin_token)
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(pdf.clone()).file_name("a.pdf"),
            ))
            .call()
            .await;
        assert_eq!(r.status(), 201);
        let evidence: serde_json::Value = r.json().await.unwrap();
        // Feedback: a submission about a unit is held by that unit (no routing rule).
        let fb_submit = |unit: i64, kind: &'static str| {
            let app = &app;
            async move {
                let r = app.anon().post(app.url("/api/v1/feedback"))
                .json(&json!({"kind": kind, "category": "data", "title": "Dữ liệu đất đai chưa được cập nhật",
                    "body": "Thông tin quy hoạch trên cổng dữ liệu của địa phương đã cũ hơn một năm.", "unit_id": unit, "submitter_kind": "citizen"}))
                .call().await;
                assert_eq!(r.status(), 201);
                let v: serde_json::Value = r.json().await.unwrap();
                let code = v["code"].as_str().unwrap().to_string();
                let id = app
                    .scalar_i64(&format!(
                        "SELECT id FROM feedback_items WHERE code = '{code}'"
                    ))
                    .await;
                (id, code)
            }
        };
        let mut fb_initiative = std::collections::HashMap::new();
        for obj in [Obj::Own, Obj::Child, Obj::Foreign] {
            fb_initiative.insert(
                format!("{obj:?}"),
                fb_submit(unit_of(obj), "initiative").await.0,
            );
        }
        let (published_id, published_code) = fb_submit(own, "recommendation").await;
        for body in [
            json!({"action": "accept"}),
            json!({"action": "answer", "answer": "Đã cập nhật."}),
        ] {
            let r = app
                .anon()
                .post(app.url(&format!("/api/v1/feedback/{published_id}/actions")))
                .bearer_auth(&admin_token)
                .json(&body)
                .call()
                .await;
            assert_eq!(r.status(), 200);
        }
        // Rankings: a published method version, an edition left unpublished and one published.
        let rk_document = serde_json::to_value(seed::demo_rankings::example_method(true)).unwrap();
        let admin_api = common::bearer(&admin_token);
        let (st, v) = admin_api
            .post(app.url("/api/v1/methods"))
            .json(&json!({"code": "MX", "peer_group": "province", "name_vi": "Ma trận", "example": true, "document": rk_document}))
            .call_json()
            .await;
        assert_eq!(st, 201, "{v}");
        let (rk_method, rk_version) = (
            v["method"]["id"].as_i64().unwrap(),
            v["version"]["id"].as_i64().unwrap(),
        );
        for action in ["approve", "publish"] {
            let (st, v) = admin_api
                .post(app.url(&format!("/api/v1/method-versions/{rk_version}/actions")))
                .json(&json!({"action": action}))
                .call_json()
                .await;
            assert_eq!(st, 200, "{v}");
        }
        let mut rk_editions = vec![];
        for _ in 0..2 {
            let (st, v) = admin_api
                .post(app.url("/api/v1/rankings"))
                .json(&json!({"version_id": rk_version, "period": "2026"}))
                .call_json()
                .await;
            assert_eq!(st, 201, "{v}");
            rk_editions.push(v["id"].as_i64().unwrap());
        }
        let (rk_draft, rk_published) = (rk_editions[0], rk_editions[1]);
        let (st, v) = admin_api
            .post(app.url(&format!("/api/v1/rankings/{rk_published}/publish")))
            .json(&json!({"detail": "scores"}))
            .call_json()
            .await;
        assert_eq!(st, 200, "{v}");
        // Catalogue: a draft of each scope's unit (written to), and an accepted public entry of
        // the national unit (read by everyone).
        let mut cat_draft = std::collections::HashMap::new();
        for obj in [Obj::Own, Obj::Child, Obj::Foreign, Obj::Public] {
            let (st, v) = admin_api
                .post(app.url("/api/v1/catalogue"))
                .json(&json!({"owner_unit_id": unit_of(obj), "code": format!("MX-{obj:?}"), "name_vi": "Cơ sở dữ liệu thử",
                    "kind": "local", "frequency": "monthly", "lifecycle": "operating", "hosting": "cloud", "security_level": 2}))
                .call_json()
                .await;
            assert_eq!(st, 201, "{v}");
            cat_draft.insert(format!("{obj:?}"), v["id"].as_i64().unwrap());
        }
        let (st, v) = admin_api
            .post(app.url("/api/v1/catalogue"))
            .json(&json!({"owner_unit_id": public, "code": "MX-MO", "name_vi": "Dữ liệu mở thử", "kind": "open_data",
                "frequency": "monthly", "lifecycle": "operating", "hosting": "cloud", "security_level": 1}))
            .call_json()
            .await;
        assert_eq!(st, 201, "{v}");
        let cat_public = v["id"].as_i64().unwrap();
        for m in ["declare", "approve", "accept"] {
            let (st, v) = admin_api
                .post(app.url(&format!("/api/v1/catalogue/{cat_public}/moves")))
                .json(&json!({"move": m}))
                .call_json()
                .await;
            assert_eq!(st, 200, "{v}");
        }
        // A document on each entry, to download.
        let mut cat_file = std::collections::HashMap::new();
        for obj in [Obj::Own, Obj::Child, Obj::Foreign, Obj::Public] {
            let id = if obj == Obj::Public {
                cat_public
            } else {
                cat_draft[&format!("{obj:?}")]
            };
            let (st, v) = admin_api
                .post(app.url(&format!("/api/v1/catalogue/{id}/files")))
                .multipart(reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(pdf.clone()).file_name("mo-ta.pdf"),
                ))
                .call_json()
                .await;
            assert_eq!(st, 201, "{v}");
            cat_file.insert(format!("{obj:?}"), v["id"].as_i64().unwrap());
        }
        // The search index applies what was written above within a fraction of a second: wait
        // until the last of it is found.
        let fb_codes: std::collections::HashMap<String, String> = {
            let mut m = std::collections::HashMap::new();
            for (k, id) in &fb_initiative {
                m.insert(
                    k.clone(),
                    app.scalar_text(&format!("SELECT code FROM feedback_items WHERE id = {id}"))
                        .await,
                );
            }
            m
        };
        let search_ids = |v: &serde_json::Value| -> Vec<i64> {
            v["hits"]
                .as_array()
                .map(|h| h.iter().filter_map(|x| x["id"].as_i64()).collect())
                .unwrap_or_default()
        };
        let search_path = |ep: Ep, obj: Obj| -> (String, i64) {
            let i = [Obj::Own, Obj::Child, Obj::Foreign]
                .iter()
                .position(|o| *o == obj)
                .unwrap_or(9);
            let key = format!("{obj:?}");
            match ep {
                Ep::SearchTask => (
                    format!("/api/v1/search?type=task&q=M%E1%BA%ADt%20{i}"),
                    restricted[&key],
                ),
                Ep::SearchFeedback => (
                    format!("/api/v1/search?type=feedback&q={}", fb_codes[&key]),
                    fb_initiative[&key],
                ),
                _ if obj == Obj::Public => {
                    ("/api/v1/search?type=catalogue&q=MX%20MO".into(), cat_public)
                }
                _ => (
                    format!("/api/v1/search?type=catalogue&q=MX%20{key}"),
                    cat_draft[&key],
                ),
            }
        };
        for _ in 0..300 {
            let (st, v) = admin_api
                .get(app.url(&search_path(Ep::SearchCatalogue, Obj::Public).0))
                .call_json()
                .await;
            if st == 200 && search_ids(&v).contains(&cat_public) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let cat_declaration = |code: String| {
            json!({"code": code, "name_vi": "Cơ sở dữ liệu thử", "kind": "local",
            "frequency": "monthly", "lifecycle": "operating", "hosting": "cloud", "security_level": 2})
        };
        let mut n = 0;
        let mut failures = vec![];
        for ep in ENDPOINTS {
            for &obj in scopes(ep) {
                for who in ALL {
                    n += 1;
                    let unit = unit_of(obj);
                    let target_user = app.user_id(user_in(obj)).await;
                    let mut form: Option<Vec<(String, String)>> = None;
                    let (method, path, body): (Method, String, Option<serde_json::Value>) = match ep
                    {
                        Ep::IndSets => (Method::GET, "/api/v1/indicator-sets".into(), None),
                        Ep::IndCatalogue => (Method::GET, "/api/v1/indicators".into(), None),
                        Ep::IndFigures => (Method::GET, format!("/api/v1/indicators/{dvctt}/figures"), None),
                        Ep::IndFiguresPrivate => (
                            Method::GET,
                            format!("/api/v1/indicators/{kns}/figures?unit={unit}&period=2026Q3"),
                            None,
                        ),
                        Ep::IndSheet => (
                            Method::GET,
                            format!("/api/v1/indicator-sets/{kpi_set}/sheet?unit={unit}&period=2026Q3"),
                            None,
                        ),
                        Ep::IndEnter => (
                            Method::POST,
                            format!("/api/v1/indicator-sets/{kpi_set}/sheet"),
                            Some(json!({"unit": unit, "period": "2026Q3", "values": [{"indicator_id": kns, "value": format!("{n}")}]})),
                        ),
                        Ep::IndSubmit => (
                            Method::POST,
                            format!("/api/v1/indicator-sets/{kpi_set}/submissions"),
                            Some(json!({"unit": unit, "period": "2026Q2", "move": "submit"})),
                        ),
                        Ep::IndQueue => (Method::GET, "/api/v1/indicator-submissions".into(), None),
                        Ep::DvsImport => (
                            Method::POST,
                            "/api/v1/dataValueSets".into(),
                            Some(json!({"dataSet": "KPI-TINH", "period": "2026Q1", "orgUnit": unit_code(unit).await,
                                "dataValues": [{"dataElement": "KPI.KNS", "value": format!("{n}")}]})),
                        ),
                        Ep::DvsExport => (
                            Method::GET,
                            "/api/v1/dataValueSets?dataSet=KPI-TINH&period=2026Q3&orgUnit=66&children=true".into(),
                            None,
                        ),
                        Ep::PageIndicators => (Method::GET, "/indicators".into(), None),
                        Ep::PageIndicator => (Method::GET, format!("/indicators/{dvctt}"), None),
                        Ep::PageIndEntry => (
                            Method::GET,
                            format!("/indicators/entry?set={kpi_set}&unit={unit}&period=2026Q3"),
                            None,
                        ),
                        Ep::PageIndApprovals => (Method::GET, "/indicators/approvals".into(), None),
                        Ep::IndRules => (Method::GET, format!("/api/v1/indicator-sets/{kpi_set}/rules"), None),
                        Ep::IndAddRule => (
                            Method::POST,
                            format!("/api/v1/indicator-sets/{kpi_set}/rules"),
                            Some(json!({"code": format!("M{n}"), "name_vi": "Không âm", "expression": "#{KPI.KNS} >= 0"})),
                        ),
                        Ep::IndDeleteRule => {
                            // A rule of its own for each call, so that every allowed caller deletes one.
                            app.exec(&format!(
                                "INSERT INTO indicator_rules (set_id, code, name_vi, expression, missing, importance, created_at)
                                 VALUES ({kpi_set}, 'D{n}', 'x', '#{{KPI.KNS}} >= 0', 'NEVER_SKIP', 'warning', '2026-01-01T00:00:00Z')"
                            ))
                            .await;
                            let id = app.scalar_i64(&format!("SELECT id FROM indicator_rules WHERE code = 'D{n}'")).await;
                            (Method::DELETE, format!("/api/v1/indicator-rules/{id}"), None)
                        }
                        Ep::IndValidation => (
                            Method::GET,
                            format!("/api/v1/indicator-sets/{kpi_set}/validation?unit={unit}&period=2026Q3&children=true"),
                            None,
                        ),
                        Ep::IndSetTarget => {
                            // Each caller starts with no target of the unit's own for the year.
                            app.exec(&format!("DELETE FROM indicator_targets WHERE unit_id = {unit} AND period = '2029'")).await;
                            (
                                Method::PUT,
                                format!("/api/v1/indicators/{dvctt}/targets"),
                                Some(json!({"unit": unit, "period": "2029", "value": format!("≥ {}", 50 + n % 40)})),
                            )
                        }
                        Ep::IndEdit => (
                            Method::PATCH,
                            format!("/api/v1/indicators/{dvctt}"),
                            Some(json!({"method": format!("case {n}")})),
                        ),
                        Ep::IndProposals => (Method::GET, "/api/v1/indicator-targets/proposed".into(), None),
                        Ep::IndDecideTarget => {
                            // A proposal of its own for each caller to decide.
                            app.exec(&format!("DELETE FROM indicator_targets WHERE unit_id = {unit} AND period = '2028'")).await;
                            app.exec(&format!(
                                "INSERT INTO indicator_targets (indicator_id, unit_id, disaggregation, period, kind, comparator, value, note, written, trajectory, state)
                                 VALUES ({dvctt}, {unit}, '', '2028', 'target', 'at_least', 50, '', '≥ 50', 'linear', 'proposed')"
                            ))
                            .await;
                            let id = app
                                .scalar_i64(&format!("SELECT id FROM indicator_targets WHERE unit_id = {unit} AND period = '2028'"))
                                .await;
                            (
                                Method::POST,
                                format!("/api/v1/indicator-targets/{id}/decision"),
                                Some(json!({"approve": true})),
                            )
                        }
                        Ep::PageIndTargets => (Method::GET, format!("/indicators/{dvctt}/targets?unit={unit}"), None),
                        Ep::PageIndEdit => (Method::GET, format!("/indicators/{dvctt}/edit"), None),
                        Ep::RkMethods => (Method::GET, "/api/v1/methods".into(), None),
                        Ep::SearchTask | Ep::SearchFeedback | Ep::SearchCatalogue => {
                            (Method::GET, search_path(ep, obj).0, None)
                        }
                        Ep::RkVersion => (Method::GET, format!("/api/v1/methods/{rk_method}/versions/1"), None),
                        Ep::RkNewVersion => (
                            Method::POST,
                            format!("/api/v1/methods/{rk_method}/versions"),
                            Some(json!({"document": rk_document, "note": format!("case {n}")})),
                        ),
                        Ep::RkEditions => (Method::GET, "/api/v1/rankings".into(), None),
                        Ep::RkPublished => (Method::GET, format!("/api/v1/rankings/{rk_published}"), None),
                        Ep::RkUnpublished => (Method::GET, format!("/api/v1/rankings/{rk_draft}"), None),
                        Ep::RkScorecard => (Method::GET, format!("/api/v1/rankings/{rk_draft}/units/{own}"), None),
                        Ep::RkCompute => (
                            Method::POST,
                            "/api/v1/rankings".into(),
                            Some(json!({"version_id": rk_version, "period": "2026"})),
                        ),
                        Ep::RkWhatIf => (
                            Method::POST,
                            format!("/api/v1/rankings/{rk_draft}/what-if"),
                            Some(json!({"weights": {"work": 2.0}})),
                        ),
                        Ep::RkExpert => (
                            Method::POST,
                            "/api/v1/expert-scores".into(),
                            Some(json!({"key": "inspection", "unit_id": own, "period": "2026", "value": n % 100, "evidence": format!("Biên bản {n}")})),
                        ),
                        Ep::PageRkDesk => (Method::GET, "/rankings/manage".into(), None),
                        Ep::RkChanges => (Method::GET, format!("/api/v1/rankings/{rk_draft}/changes"), None),
                        Ep::PageRkReport => (Method::GET, format!("/rankings/{rk_draft}/units/{own}/report"), None),
                        Ep::RkHistory => (Method::GET, format!("/api/v1/rankings/{rk_published}/units/{own}/history"), None),
                        Ep::PageRkEdit => (Method::GET, format!("/methods/{rk_method}/versions/1/edit"), None),
                        Ep::PageRkWhatIf => (Method::GET, format!("/rankings/{rk_draft}/what-if?w.work=2"), None),
                        Ep::PageRkCompute => {
                            let csrf = app.csrf(&browsers[&who], "/feedback/new").await;
                            form = Some(vec![
                                ("_csrf".into(), csrf),
                                ("version_id".into(), rk_version.to_string()),
                                ("period".into(), "2026".into()),
                            ]);
                            (Method::POST, "/rankings/manage/compute".into(), None)
                        }
                        Ep::PageRkExpert => {
                            let csrf = app.csrf(&browsers[&who], "/feedback/new").await;
                            form = Some(vec![
                                ("_csrf".into(), csrf),
                                ("key".into(), "inspection".into()),
                                ("unit".into(), "66".into()),
                                ("period".into(), "2026".into()),
                                ("value".into(), (n % 100).to_string()),
                                ("evidence".into(), format!("Biên bản {n}")),
                            ]);
                            (Method::POST, "/rankings/manage/expert".into(), None)
                        }
                        Ep::CatSearch => (Method::GET, "/api/v1/catalogue?q=thu".into(), None),
                        Ep::CatDashboard => (Method::GET, "/api/v1/catalogue/dashboard".into(), None),
                        Ep::CkanSearch => (Method::GET, "/api/3/action/package_search?q=thu".into(), None),
                        Ep::CkanShow => (Method::GET, "/api/3/action/package_show?id=mx-mo".into(), None),
                        Ep::CatDcat => (Method::GET, "/api/v1/catalogue/dcat".into(), None),
                        // A CKAN answer with no package: what it checks is who may import.
                        Ep::CatImport => (
                            Method::POST,
                            format!("/api/v1/catalogue/import?owner={unit}&dry_run=true"),
                            Some(json!({"result": {"results": []}})),
                        ),
                        Ep::PageCatalogue => (Method::GET, "/catalogue?q=thu".into(), None),
                        Ep::PageCatDashboard => (Method::GET, "/catalogue/dashboard".into(), None),
                        Ep::CatUnitQuality => (Method::GET, format!("/api/v1/catalogue/units/{unit}/quality"), None),
                        Ep::CatFile => {
                            (Method::GET, format!("/api/v1/catalogue/files/{}", cat_file[&format!("{obj:?}")]), None)
                        }
                        Ep::CatShow | Ep::CatHistory | Ep::CatChanges | Ep::CatFiles | Ep::PageCatEntry => {
                            let id = if obj == Obj::Public { cat_public } else { cat_draft[&format!("{obj:?}")] };
                            let path = match ep {
                                Ep::CatShow => format!("/api/v1/catalogue/{id}"),
                                Ep::CatHistory => format!("/api/v1/catalogue/{id}/history"),
                                Ep::CatChanges => format!("/api/v1/catalogue/{id}/changes"),
                                Ep::CatFiles => format!("/api/v1/catalogue/{id}/files"),
                                _ => format!("/catalogue/{id}"),
                            };
                            (Method::GET, path, None)
                        }
                        Ep::CatCreate => (
                            Method::POST,
                            "/api/v1/catalogue".into(),
                            Some({
                                let mut d = cat_declaration(format!("MX-N{n}"));
                                d["owner_unit_id"] = json!(unit);
                                d
                            }),
                        ),
                        Ep::CatEdit | Ep::CatMove | Ep::CatFigures | Ep::CatHeartbeat | Ep::CatAttach | Ep::PageCatEdit => {
                            let id = cat_draft[&format!("{obj:?}")];
                            // Every caller starts from a draft.
                            app.exec(&format!("UPDATE catalogue_entries SET state = 'draft' WHERE id = {id}")).await;
                            match ep {
                                Ep::CatEdit => (Method::PUT, format!("/api/v1/catalogue/{id}"), Some(cat_declaration(format!("MX-{obj:?}")))),
                                Ep::CatMove => (Method::POST, format!("/api/v1/catalogue/{id}/moves"), Some(json!({"move": "declare"}))),
                                Ep::CatFigures => (Method::POST, format!("/api/v1/catalogue/{id}/figures"), Some(json!({"records": n}))),
                                Ep::CatHeartbeat => (Method::POST, format!("/api/v1/catalogue/{id}/heartbeat"), Some(json!({"records": n}))),
                                Ep::CatAttach => (Method::POST, format!("/api/v1/catalogue/{id}/files"), None),
                                _ => (Method::GET, format!("/catalogue/{id}/edit"), None),
                            }
                        }
                        Ep::PageIndTemplate => (
                            Method::GET,
                            format!("/indicators/entry/template?set={kpi_set}&unit={unit}&period=2026Q3"),
                            None,
                        ),
                        Ep::PageIndValidation => (
                            Method::GET,
                            format!("/indicators/validation?set={kpi_set}&unit={unit}&period=2026Q3"),
                            None,
                        ),
                        Ep::ListUnits => (
                            Method::GET,
                            format!("/api/v1/org-units?parent={unit}"),
                            None,
                        ),
                        Ep::GetUnit => (Method::GET, format!("/api/v1/org-units/{unit}"), None),
                        Ep::PatchUnit => (
                            Method::PATCH,
                            format!("/api/v1/org-units/{unit}"),
                            Some(json!({"name_en": format!("Renamed by {who:?}")})),
                        ),
                        Ep::CreateUnit => (
                            Method::POST,
                            "/api/v1/org-units".into(),
                            Some(
                                json!({"kind": "department", "name_vi": format!("Phòng {n}"), "parent_id": unit, "code": format!("M-{n}")}),
                            ),
                        ),
                        Ep::ListUsers => (Method::GET, format!("/api/v1/users?unit={unit}"), None),
                        Ep::GetUser => (Method::GET, format!("/api/v1/users/{target_user}"), None),
                        Ep::PatchUser => (
                            Method::PATCH,
                            format!("/api/v1/users/{target_user}"),
                            Some(json!({"display_name": format!("Tên {n}")})),
                        ),
                        Ep::CreateUser => (
                            Method::POST,
                            "/api/v1/users".into(),
                            Some(
                                json!({"username": format!("m{n}"), "display_name": "M", "unit_id": unit, "role": "unit_officer"}),
                            ),
                        ),
                        Ep::ListTokens => (Method::GET, "/api/v1/tokens".into(), None),
                        Ep::CreateToken => (
                            Method::POST,
                            "/api/v1/tokens".into(),
                            Some(json!({"user_id": target_user, "name": format!("t{n}")})),
                        ),
                        Ep::RevokeToken => {
                            let (_, t) = common::json(
                                app.anon()
                                    .post(app.url("/api/v1/tokens"))
                                    .bearer_auth(&admin_token)
                                    .json(&json!({"user_id": target_user, "name": "victim"}))
                                    .call()
                                    .await,
                            )
                            .await;
                            (Method::DELETE, format!("/api/v1/tokens/{}", t["id"]), None)
                        }
                        Ep::Audit => (Method::GET, "/api/v1/audit".into(), None),
                        Ep::Me => (Method::GET, "/api/v1/me".into(), None),
                        Ep::PageEditUnit => (Method::GET, format!("/org/{unit}/edit"), None),
                        Ep::PageUser => (Method::GET, format!("/admin/users/{target_user}"), None),
                        Ep::PageAudit => (Method::GET, "/admin/audit".into(), None),
                        Ep::PageTokens => (Method::GET, "/admin/tokens".into(), None),
                        Ep::Programmes => (Method::GET, "/api/v1/programmes".into(), None),
                        Ep::Overview => (
                            Method::GET,
                            format!("/api/v1/programmes/{programme}/overview"),
                            None,
                        ),
                        Ep::Tasks => (
                            Method::GET,
                            format!("/api/v1/tasks?programme={programme}"),
                            None,
                        ),
                        Ep::Task => (Method::GET, format!("/api/v1/tasks/{task}"), None),
                        Ep::TaskBudget => (Method::GET, format!("/api/v1/tasks/{task}/budget"), None),
                        Ep::PageTaskBudget => (Method::GET, format!("/tasks/{task}/budget"), None),
                        Ep::ProgrammeBudget => (Method::GET, format!("/api/v1/programmes/{programme}/budget"), None),
                        Ep::PageProgrammeBudget => (Method::GET, format!("/programmes/{programme}/budget"), None),
                        Ep::SetBudget => {
                            let a = assignment_of(unit).await;
                            (
                                Method::PUT,
                                format!("/api/v1/assignments/{a}/budget"),
                                Some(json!({"year": 2026, "planned": format!("{}", 100 + n), "disbursed": "10"})),
                            )
                        }
                        Ep::Report => {
                            let a = assignment_of(unit).await;
                            (
                                Method::POST,
                                format!("/api/v1/assignments/{a}/reports"),
                                Some(json!({"percent": 10, "narrative": format!("report {n}")})),
                            )
                        }
                        Ep::AskExtension => {
                            let a = assignment_of(unit).await;
                            (
                                Method::POST,
                                format!("/api/v1/assignments/{a}/extensions"),
                                Some(
                                    json!({"requested_due": "2099-12-31", "reason": format!("case {n}")}),
                                ),
                            )
                        }
                        Ep::DecideExtension => {
                            let a = assignment_of(foreign).await;
                            let r = app
                                .anon()
                                .post(app.url(&format!("/api/v1/assignments/{a}/extensions")))
                                .bearer_auth(&admin_token)
                                .json(
                                    &json!({"requested_due": "2099-12-31", "reason": "to decide"}),
                                )
                                .call()
                                .await;
                            assert_eq!(r.status(), 201);
                            let e: serde_json::Value = r.json().await.unwrap();
                            (
                                Method::POST,
                                format!("/api/v1/extensions/{}/decision", e["id"]),
                                Some(json!({"approve": false, "comment": "refused"})),
                            )
                        }
                        Ep::RestrictedTask => (
                            Method::GET,
                            format!("/api/v1/tasks/{}", restricted[&format!("{obj:?}")]),
                            None,
                        ),
                        Ep::InternalTask => {
                            (Method::GET, format!("/api/v1/tasks/{internal}"), None)
                        }
                        Ep::Cascade => {
                            let a = assignment_of(unit).await;
                            (
                                Method::POST,
                                format!("/api/v1/assignments/{a}/cascade"),
                                Some(json!({})),
                            )
                        }
                        Ep::Cancel => {
                            let a = assignment_of(foreign).await;
                            app.exec(&format!(
                                "UPDATE assignments SET cancelled_on = NULL WHERE id = {a}"
                            ))
                            .await;
                            (
                                Method::POST,
                                format!("/api/v1/assignments/{a}/cancel"),
                                Some(json!({"reason": format!("case {n}")})),
                            )
                        }
                        Ep::Propose => (
                            Method::POST,
                            format!("/api/v1/programmes/{programme}/proposals"),
                            Some(
                                json!({"title": format!("Đề xuất {n}"), "deadline": "2027", "unit_id": unit}),
                            ),
                        ),
                        Ep::ListProposals => (
                            Method::GET,
                            format!("/api/v1/programmes/{programme}/proposals"),
                            None,
                        ),
                        Ep::DecideProposal => {
                            let r = app.anon().post(app.url(&format!("/api/v1/programmes/{programme}/proposals"))).bearer_auth(&admin_token)
                            .json(&json!({"title": format!("Đề xuất {n}"), "deadline": "2027", "unit_id": own})).call().await;
                            assert_eq!(r.status(), 201);
                            let t: serde_json::Value = r.json().await.unwrap();
                            (
                                Method::POST,
                                format!("/api/v1/tasks/{}/decision", t["id"]),
                                Some(json!({"approve": true})),
                            )
                        }
                        Ep::Comment => (
                            Method::POST,
                            format!("/api/v1/tasks/{task}/comments"),
                            Some(json!({"body": format!("ý kiến {n}")})),
                        ),
                        Ep::AddEvidence => (
                            Method::POST,
                            format!(
                                "/api/v1/reports/{}/evidence",
                                report_of[&format!("{obj:?}")]
                            ),
                            None,
                        ),
                        Ep::GetEvidence => (
                            Method::GET,
                            format!("/api/v1/evidence/{}", evidence["id"]),
                            None,
                        ),
                        Ep::Notifications => (Method::GET, "/api/v1/notifications".into(), None),
                        Ep::ReadNotifications => (
                            Method::POST,
                            "/api/v1/notifications/read".into(),
                            Some(json!({})),
                        ),
                        Ep::Merge => {
                            let mut ids = vec![];
                            for k in 0..2 {
                                let r = app.anon().post(app.url("/api/v1/org-units")).bearer_auth(&admin_token)
                                .json(&json!({"kind": "department", "name_vi": format!("Vụ {n}-{k}"), "parent_id": public, "code": format!("MG-{n}-{k}")})).call().await;
                                assert_eq!(r.status(), 201);
                                let u: serde_json::Value = r.json().await.unwrap();
                                ids.push(u["id"].as_i64().unwrap());
                            }
                            (
                                Method::POST,
                                format!("/api/v1/org-units/{}/merge", ids[0]),
                                Some(json!({"into": ids[1]})),
                            )
                        }
                        Ep::Worklist => (
                            Method::GET,
                            format!("/api/v1/org-units/{own}/worklist"),
                            None,
                        ),
                        Ep::Calendar => (
                            Method::GET,
                            format!("/api/v1/org-units/{own}/calendar.ics"),
                            None,
                        ),
                        Ep::Charts => (
                            Method::GET,
                            format!("/api/v1/programmes/{programme}/charts"),
                            None,
                        ),
                        Ep::RunJobs => (Method::POST, "/api/v1/jobs/run".into(), Some(json!({}))),
                        Ep::PageTask => (Method::GET, format!("/tasks/{task}"), None),
                        Ep::PageNotifications => (Method::GET, "/notifications".into(), None),
                        Ep::FbSubmit => (
                            Method::POST,
                            "/api/v1/feedback".into(),
                            Some(
                                json!({"kind": "report", "category": "ai", "title": format!("Phản ánh {n}"),
                            "body": "Nội dung phản ánh đủ dài để được tiếp nhận vào hệ thống.", "submitter_kind": "citizen"}),
                            ),
                        ),
                        Ep::FbSubmitFiles => {
                            (Method::POST, "/api/v1/feedback/with-files".into(), None)
                        }
                        Ep::FbTrack => (
                            Method::GET,
                            format!("/api/v1/feedback/track/{published_code}"),
                            None,
                        ),
                        Ep::FbInbox => (Method::GET, format!("/api/v1/feedback?unit={unit}"), None),
                        Ep::PageFbInbox => {
                            (Method::GET, format!("/feedback/inbox?unit={unit}"), None)
                        }
                        Ep::FbItem => {
                            let (id, _) = fb_submit(unit, "report").await;
                            (Method::GET, format!("/api/v1/feedback/{id}"), None)
                        }
                        Ep::FbSuggest => {
                            let (id, _) = fb_submit(unit, "report").await;
                            (Method::GET, format!("/api/v1/feedback/{id}/suggestions"), None)
                        }
                        Ep::FbAct => {
                            let (id, _) = fb_submit(unit, "report").await;
                            (
                                Method::POST,
                                format!("/api/v1/feedback/{id}/actions"),
                                Some(json!({"action": "accept"})),
                            )
                        }
                        Ep::FbDecide => {
                            let (id, _) = fb_submit(unit, "recommendation").await;
                            (
                                Method::POST,
                                format!("/api/v1/feedback/{id}/decision"),
                                Some(json!({"decision": "declined", "reason": "Chưa phù hợp"})),
                            )
                        }
                        Ep::FbModerate => {
                            let (id, _) = fb_submit(unit, "report").await;
                            (
                                Method::POST,
                                format!("/api/v1/feedback/{id}/moderation"),
                                Some(json!({"hidden": true, "note": "Thông tin cá nhân"})),
                            )
                        }
                        Ep::FbReview => (
                            Method::POST,
                            format!(
                                "/api/v1/feedback/{}/reviews",
                                fb_initiative[&format!("{obj:?}")]
                            ),
                            Some(
                                json!({"scores": {"novelty": 3, "feasibility": 3, "impact": 3, "cost": 3}}),
                            ),
                        ),
                        Ep::FbSupport => (
                            Method::POST,
                            format!("/api/v1/feedback/track/{published_code}/support"),
                            None,
                        ),
                        Ep::FbStats => (
                            Method::GET,
                            format!("/api/v1/feedback/stats?unit={own}"),
                            None,
                        ),
                        Ep::FbPublished => (Method::GET, "/api/v1/feedback/published".into(), None),
                        Ep::FbRoutes => (Method::GET, "/api/v1/feedback/routes".into(), None),
                        Ep::FbAddRoute => (
                            Method::POST,
                            "/api/v1/feedback/routes".into(),
                            Some(
                                json!({"category": "ai", "unit_id": foreign, "target_unit_id": foreign}),
                            ),
                        ),
                        Ep::FbAddHoliday => (
                            Method::POST,
                            "/api/v1/holidays".into(),
                            Some(
                                json!({"day": format!("2030-01-{:02}", 1 + n % 28), "kind": "holiday", "name_vi": "Nghỉ"}),
                            ),
                        ),
                        Ep::PageFbForm => (Method::GET, "/feedback/new".into(), None),
                        Ep::FbApprove => {
                            // An officer's answer waiting for the leader (set up directly).
                            let (id, _) = fb_submit(unit, "report").await;
                            app.exec(&format!("UPDATE feedback_items SET state = 'awaiting_approval', draft_answer = 'Dự thảo trả lời' WHERE id = {id}")).await;
                            (
                                Method::POST,
                                format!("/api/v1/feedback/{id}/actions"),
                                Some(json!({"action": "approve"})),
                            )
                        }
                        Ep::FbUnitSettings => (
                            Method::GET,
                            format!("/api/v1/feedback/units/{unit}/settings"),
                            None,
                        ),
                        Ep::FbSetUnitSettings => (
                            Method::PUT,
                            format!("/api/v1/feedback/units/{unit}/settings"),
                            Some(json!({"approve_answers": n % 2 == 0})),
                        ),
                        Ep::FbRules => (Method::GET, "/api/v1/feedback/rules".into(), None),
                        Ep::FbMine => (Method::GET, "/api/v1/feedback/mine".into(), None),
                        Ep::Register => (
                            Method::POST,
                            "/api/v1/register".into(),
                            Some(
                                json!({"username": format!("dan.{n}"), "display_name": "Người dân", "email": format!("dan{n}@example.vn"), "password": "mot-mat-khau-du-dai"}),
                            ),
                        ),
                        Ep::PageFbSettings => {
                            let csrf = app.csrf(&browsers[&who], "/feedback/new").await;
                            form = Some(vec![
                                ("_csrf".into(), csrf),
                                ("approve_answers".into(), "on".into()),
                            ]);
                            (
                                Method::POST,
                                format!("/feedback/units/{unit}/settings"),
                                None,
                            )
                        }
                        Ep::PageFbBulk => {
                            let (id, _) = fb_submit(unit, "report").await;
                            let csrf = app.csrf(&browsers[&who], "/feedback/new").await;
                            form = Some(vec![
                                ("_csrf".into(), csrf),
                                ("unit".into(), unit.to_string()),
                                ("action".into(), "accept".into()),
                                (format!("item-{id}"), "on".into()),
                            ]);
                            (Method::POST, "/feedback/inbox/bulk".into(), None)
                        }
                        Ep::FbSetRule => (
                            Method::PUT,
                            "/api/v1/feedback/rules/report".into(),
                            Some(
                                json!({"kind": "report", "accept_days": 3, "answer_days": 15 + n % 2, "appeal_days": 30, "transfer_clock": "restart"}),
                            ),
                        ),
                        Ep::Verify => {
                            // A fresh claim to decide on, filed by an administrator.
                            let r = app.anon().post(app.url(&format!("/api/v1/assignments/{own_assignment}/reports"))).bearer_auth(&admin_token)
                            .json(&json!({"percent": 100, "narrative": "done", "claims_completion": true})).call().await;
                            assert_eq!(r.status(), 201);
                            (
                                Method::POST,
                                format!("/api/v1/assignments/{own_assignment}/verification"),
                                Some(json!({"approve": false, "comment": "returned"})),
                            )
                        }
                    };
                    let is_page = !path.starts_with("/api/");
                    let form_body = form.take();
                    let mut req = if is_page {
                        browsers[&who].request(method.clone(), app.url(&path))
                    } else {
                        app.anon().request(method.clone(), app.url(&path))
                    };
                    if !is_page && let Some(t) = tokens.get(&who) {
                        req = req.bearer_auth(t);
                    }
                    if let Some(b) = &body {
                        req = req.json(b);
                    }
                    if let Some(f) = &form_body {
                        req = req.form(f);
                    }
                    if matches!(ep, Ep::FbSubmitFiles) {
                        let sub = json!({"kind": "report", "category": "ai", "title": format!("Phản ánh {n}"),
                            "body": "Nội dung phản ánh kèm tệp, đủ dài để được tiếp nhận.", "submitter_kind": "citizen"});
                        req = req.multipart(
                            reqwest::multipart::Form::new()
                                .text("submission", sub.to_string())
                                .part(
                                    "file",
                                    reqwest::multipart::Part::bytes(pdf.clone())
                                        .file_name("kem-theo.pdf"),
                                ),
                        );
                    }
                    if matches!(ep, Ep::AddEvidence | Ep::CatAttach) {
                        req = req.multipart(
                            reqwest::multipart::Form::new().part(
                                "file",
                                reqwest::multipart::Part::bytes(pdf.clone())
                                    .file_name("minh-chung.pdf"),
                            ),
                        );
                    }
                    let res = req.call().await;
                    let mut got = res.status().as_u16();
                    let location = res
                        .headers()
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    if got == 303 && matches!(ep, Ep::PageFbSettings | Ep::PageFbBulk) {
                        if who == Who::Anonymous {
                            assert!(location.contains("/login"), "{location}");
                        } else if matches!(ep, Ep::PageFbBulk) {
                            got = if location.contains("bulk_ok=1") {
                                200
                            } else {
                                403
                            };
                        } else {
                            assert!(location.contains("saved=1"), "{location}");
                        }
                    }
                    if matches!(ep, Ep::AskExtension | Ep::DecideExtension) {
                        // Refuse whatever is still pending, so that the next case starts clean.
                        let pending: Vec<i64> = match &app.db {
                            app::db::Db::Sqlite(p) => sqlx::query_scalar(
                                "SELECT id FROM extensions WHERE approved IS NULL",
                            )
                            .fetch_all(p)
                            .await
                            .unwrap(),
                            app::db::Db::Pg(p) => sqlx::query_scalar(
                                "SELECT id FROM extensions WHERE approved IS NULL",
                            )
                            .fetch_all(p)
                            .await
                            .unwrap(),
                        };
                        for id in pending {
                            let r = app
                                .anon()
                                .post(app.url(&format!("/api/v1/extensions/{id}/decision")))
                                .bearer_auth(&admin_token)
                                .json(&json!({"approve": false, "comment": "reset"}))
                                .call()
                                .await;
                            assert_eq!(r.status(), 200);
                        }
                    }
                    if matches!(ep, Ep::IndSubmit) {
                        // Open the period again, so that the next caller starts from the same state.
                        app.exec("DELETE FROM indicator_submissions").await;
                    }
                    let mut res = res;
                    if matches!(ep, Ep::DvsImport) && got == 200 {
                        // DHIS2 answers 200 and lists refused values: a value outside the caller's scope is refused.
                        let v: serde_json::Value = res.json().await.unwrap();
                        let refused = v["conflicts"].as_array().is_some_and(|c| {
                            c.iter().any(|c| c["errorCode"] == "err-forbidden-unit")
                        });
                        let written = v["importCount"]["imported"].as_u64().unwrap_or(0)
                            + v["importCount"]["updated"].as_u64().unwrap_or(0);
                        got = match (refused, written) {
                            (true, 0) => 403,
                            (false, 1) => 200,
                            _ => 500,
                        };
                        res = app.anon().get(app.url("/healthz")).call().await;
                    }
                    let want = expected(who, ep, obj);
                    if matches!(
                        ep,
                        Ep::SearchTask | Ep::SearchFeedback | Ep::SearchCatalogue
                    ) {
                        // The search answers 200 to everyone: what counts is whether the record is among the hits.
                        assert_eq!(got, 200, "{who:?} {path}");
                        let v: serde_json::Value = res.json().await.unwrap();
                        let found = search_ids(&v).contains(&search_path(ep, obj).1);
                        got = if found {
                            200
                        } else if want == 200 {
                            404
                        } else {
                            want
                        };
                        res = app.anon().get(app.url("/healthz")).call().await;
                    }
                    if got != want {
                        failures.push(format!(
                            "{who:?} {method} {path} ({obj:?}): got {got}, want {want}"
                        ));
                        continue;
                    }
                    // Listing users never leaks accounts outside what the caller may read.
                    if matches!(ep, Ep::ListUsers) && got == 200 {
                        let v: serde_json::Value = res.json().await.unwrap();
                        let names: Vec<&str> = v["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|u| u["username"].as_str().unwrap())
                            .collect();
                        if matches!(who, Who::Reviewer | Who::Citizen) && !names.is_empty() {
                            failures.push(format!("{who:?} sees others: {names:?}"));
                        }
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {n} cases wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
        assert!(n > 300, "matrix covers {n} cases");
    }
);
