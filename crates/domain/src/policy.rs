//! The one place that decides who may do what.
//!
//! Handlers describe the request as (principal, action, scope) and call [`authorize`]; they never
//! compare roles themselves. Scope is the chain of units that own the object (the unit itself and
//! its ancestors), so "within my subtree" is a membership test with no I/O.

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Steering,
    Inspector,
    UnitLeader,
    UnitOfficer,
    Reviewer,
    /// A citizen, business or scientist with a self-made account: follows their own feedback.
    Citizen,
}

crate::named!(Role, "role");

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Administrator,
        Role::Steering,
        Role::Inspector,
        Role::UnitLeader,
        Role::UnitOfficer,
        Role::Reviewer,
        Role::Citizen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Steering => "steering",
            Role::Inspector => "inspector",
            Role::UnitLeader => "unit_leader",
            Role::UnitOfficer => "unit_officer",
            Role::Reviewer => "reviewer",
            Role::Citizen => "citizen",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Roles that see every unit's non-public data.
    fn reads_everything(self) -> bool {
        matches!(self, Role::Administrator | Role::Steering | Role::Inspector)
    }
}

/// Who is asking: a signed-in user, or a machine client holding one of the user's API tokens
/// (a token carries its own role and unit, which may be narrower than its owner's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    pub token_id: Option<i64>,
    pub role: Role,
    pub unit_id: i64,
    pub username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The organisation tree is public information.
    ReadOrgUnit,
    /// Create a unit under the scoped parent.
    CreateOrgUnit,
    /// Edit names and codes of the scoped unit.
    UpdateOrgUnit,
    /// Move a unit, close it, or import units: structural changes are for administrators.
    RestructureOrg,
    ReadUser,
    ManageUsers,
    ManageTokens,
    ReadAudit,
    /// File a progress report on an assignment (scope: the assigned unit).
    ReportProgress,
    /// Approve or return a completion claim, decide a proposal (scope: the unit that owns the programme).
    VerifyCompletion,
    /// Pass an assignment down to units below (scope: the assigned unit).
    CascadeAssignment,
    /// Propose a task of one's own under a programme (scope: the proposing unit).
    ProposeTask,
    /// Read an internal task: any signed-in account.
    ReadInternal,
    /// Read a restricted task (scope: each unit concerned: assignees and the owner of the programme).
    ReadRestricted,
    /// Comment on a task one can read.
    Comment,
    /// Run the background jobs by hand.
    RunJobs,
    /// Read feedback items held by a unit, with the submitters' details (scope: that unit).
    ReadFeedback,
    /// Move a feedback item on: accept, transfer, answer… (scope: the unit holding it).
    HandleFeedback,
    /// Publish an answer held for approval, or send it back (scope: the unit holding the item).
    ApproveAnswer,
    /// Change a unit's feedback settings, such as answer approval (scope: that unit).
    ConfigureFeedback,
    /// Read the values of an indicator that is not public (scope: the unit the values are for).
    ReadIndicatorData,
    /// Enter, change or delete values (scope: the unit the values are for).
    EnterIndicatorData,
    /// Approve the unit's own submission as its leader (scope: the submitting unit).
    ApproveIndicatorData,
    /// Accept or return a submission as the assigning level (scope: the submitting unit's parent).
    AcceptIndicatorData,
    /// Define indicators, sets and targets.
    ManageIndicators,
    /// Write ranking methods, compute and publish editions.
    ManageRankings,
    /// Read ranking editions before they are published, and method drafts.
    ReadUnpublishedRankings,
    /// Enter the values an inspection found, with their evidence (a ranking's expert measures).
    EnterExpertScores,
    /// Read a unit's catalogue entries that are not public (the unit, its superiors, and the
    /// roles that read everything).
    ReadCatalogue,
    /// Declare or edit an entry of the unit's catalogue, and report its heartbeat.
    DeclareCatalogue,
    /// Approve the unit's declaration (its leader).
    ApproveCatalogue,
    /// Accept or return an approved entry (the Steering Committee's office).
    ReviewCatalogue,
}

/// Who may read a task (set per task, `public` unless the annex says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    /// Every signed-in account.
    Internal,
    /// The units concerned, their superiors, the Steering Committee and inspectors.
    Restricted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
            Visibility::Restricted => "restricted",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        [
            Visibility::Public,
            Visibility::Internal,
            Visibility::Restricted,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

crate::named!(Visibility, "task visibility");

/// Who may read a task: public to everyone, internal to every account, restricted to the units
/// concerned (`chains`: one unit chain per assignee and the programme owner), steering and inspectors.
pub fn may_read_task(who: Option<&Principal>, visibility: Visibility, chains: &[Vec<i64>]) -> bool {
    match visibility {
        Visibility::Public => true,
        Visibility::Internal => {
            authorize(who, Action::ReadInternal, Scope::Global) == Decision::Allow
        }
        Visibility::Restricted => chains
            .iter()
            .any(|c| authorize(who, Action::ReadRestricted, Scope::Unit(c)) == Decision::Allow),
    }
}

/// Which objects an action touches.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Not tied to a unit (lists, settings, the audit trail).
    Global,
    /// Owned by a unit; the slice holds that unit's id and all its ancestors' ids.
    Unit(&'a [i64]),
    /// A user account: its unit chain, and its id so people may always read themselves.
    User { unit_chain: &'a [i64], user_id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in: ask for credentials.
    NeedsLogin,
    Deny,
}

fn within(p: &Principal, chain: &[i64]) -> bool {
    chain.contains(&p.unit_id)
}

pub fn authorize(who: Option<&Principal>, action: Action, scope: Scope<'_>) -> Decision {
    use Action::*;
    if action == ReadOrgUnit {
        return Decision::Allow;
    }
    let Some(p) = who else {
        return Decision::NeedsLogin;
    };
    let allowed = match (action, p.role) {
        (ReadOrgUnit, _) => true,
        // A self-made public account is no member of the administration: it reads only itself.
        (_, Role::Citizen) => {
            action == ReadUser
                && matches!(scope, Scope::User { user_id, .. } if user_id == p.user_id)
        }
        (_, Role::Administrator) => true,
        (CreateOrgUnit | UpdateOrgUnit, Role::UnitLeader | Role::UnitOfficer) => match scope {
            Scope::Unit(chain) => within(p, chain),
            _ => false,
        },
        (CreateOrgUnit | UpdateOrgUnit | RestructureOrg | ManageUsers | ManageTokens, _) => false,
        (ReadUser, r) if r.reads_everything() => true,
        (ReadUser, Role::UnitLeader | Role::UnitOfficer) => match scope {
            Scope::User {
                unit_chain,
                user_id,
            } => user_id == p.user_id || within(p, unit_chain),
            Scope::Unit(chain) => within(p, chain),
            Scope::Global => false,
        },
        (ReadUser, _) => matches!(scope, Scope::User { user_id, .. } if user_id == p.user_id),
        (ReadAudit, Role::Inspector) => true,
        (ReadAudit, _) => false,
        (ReportProgress, Role::UnitLeader | Role::UnitOfficer) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (VerifyCompletion, Role::Steering) => true,
        (VerifyCompletion, Role::UnitLeader) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ReportProgress | VerifyCompletion, _) => false,
        (CascadeAssignment, Role::Steering) => true,
        (CascadeAssignment | ProposeTask, Role::UnitLeader) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ProposeTask, Role::UnitOfficer) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (CascadeAssignment | ProposeTask, _) => false,
        (ReadInternal, _) => true,
        (ReadRestricted, r) if r.reads_everything() => true,
        (ReadRestricted, _) => matches!(scope, Scope::Unit(chain) if within(p, chain)),
        (Comment, Role::Reviewer) => false,
        (Comment, _) => true,
        (RunJobs, _) => false,
        (ReadFeedback, r) if r.reads_everything() => true,
        (HandleFeedback, Role::Steering) => true,
        (ReadFeedback | HandleFeedback, Role::UnitLeader | Role::UnitOfficer) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ReadFeedback | HandleFeedback, _) => false,
        (ApproveAnswer, Role::Steering) => true,
        (ApproveAnswer | ConfigureFeedback, Role::UnitLeader) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ApproveAnswer | ConfigureFeedback, _) => false,
        (ReadIndicatorData, r) if r.reads_everything() => true,
        (ReadIndicatorData | EnterIndicatorData, Role::UnitLeader | Role::UnitOfficer) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ReadIndicatorData, _) => false,
        // The Steering Committee's secretariat keeps the national figures.
        (EnterIndicatorData, Role::Steering) => true,
        (EnterIndicatorData, _) => false,
        (ApproveIndicatorData | AcceptIndicatorData, Role::UnitLeader) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (AcceptIndicatorData, Role::Steering) => true,
        (ApproveIndicatorData | AcceptIndicatorData, _) => false,
        (ManageIndicators, Role::Steering) => true,
        (ManageIndicators, _) => false,
        (ManageRankings, Role::Steering) => true,
        (ManageRankings, _) => false,
        (ReadUnpublishedRankings | EnterExpertScores, Role::Steering | Role::Inspector) => true,
        (ReadUnpublishedRankings | EnterExpertScores, _) => false,
        (ReadCatalogue, r) if r.reads_everything() => true,
        (ReadCatalogue | DeclareCatalogue, Role::UnitLeader | Role::UnitOfficer) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ReadCatalogue | DeclareCatalogue, _) => false,
        (ApproveCatalogue, Role::UnitLeader) => {
            matches!(scope, Scope::Unit(chain) if within(p, chain))
        }
        (ApproveCatalogue, _) => false,
        (ReviewCatalogue, Role::Steering) => true,
        (ReviewCatalogue, _) => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// Whether `who` may enter a value for the unit whose chain is `unit_chain`. Besides the
/// unit's own people, the agency responsible for an indicator (`responsible_chain`) keeps its
/// national figure (`national`: the value is for the national unit).
pub fn may_enter_value(
    who: Option<&Principal>,
    unit_chain: &[i64],
    national: bool,
    responsible_chain: Option<&[i64]>,
) -> Decision {
    let own = authorize(who, Action::EnterIndicatorData, Scope::Unit(unit_chain));
    match responsible_chain {
        Some(r) if own == Decision::Deny && national => {
            authorize(who, Action::EnterIndicatorData, Scope::Unit(r))
        }
        _ => own,
    }
}

/// An administrator account may stop being one (role changed, disabled) only while another
/// active administrator remains: otherwise nobody could manage accounts, units or tokens again.
pub fn check_admin_kept(other_active_admins: i64) -> Option<FieldError> {
    (other_active_admins < 1).then(|| FieldError::new("role", "err-last-admin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: i64 = 1;
    const PROVINCE: i64 = 10;
    const COMMUNE: i64 = 100;
    const OTHER_PROVINCE: i64 = 20;

    fn who(role: Role, unit_id: i64) -> Principal {
        Principal {
            user_id: 7,
            token_id: None,
            role,
            unit_id,
            username: "u".into(),
        }
    }

    #[test]
    fn anonymous_reads_only_the_org_tree() {
        assert_eq!(
            authorize(None, Action::ReadOrgUnit, Scope::Global),
            Decision::Allow
        );
        for a in [
            Action::ReadUser,
            Action::ManageUsers,
            Action::ReadAudit,
            Action::UpdateOrgUnit,
        ] {
            assert_eq!(authorize(None, a, Scope::Global), Decision::NeedsLogin);
        }
    }

    #[test]
    fn officer_edits_own_subtree_only() {
        let p = who(Role::UnitOfficer, PROVINCE);
        let own = [PROVINCE, ROOT];
        let child = [COMMUNE, PROVINCE, ROOT];
        let foreign = [OTHER_PROVINCE, ROOT];
        assert_eq!(
            authorize(Some(&p), Action::UpdateOrgUnit, Scope::Unit(&own)),
            Decision::Allow
        );
        assert_eq!(
            authorize(Some(&p), Action::UpdateOrgUnit, Scope::Unit(&child)),
            Decision::Allow
        );
        assert_eq!(
            authorize(Some(&p), Action::UpdateOrgUnit, Scope::Unit(&foreign)),
            Decision::Deny
        );
        assert_eq!(
            authorize(Some(&p), Action::RestructureOrg, Scope::Unit(&own)),
            Decision::Deny
        );
        assert_eq!(
            authorize(Some(&p), Action::ManageUsers, Scope::Unit(&own)),
            Decision::Deny
        );
    }

    #[test]
    fn inspector_reads_everything_changes_nothing() {
        let p = who(Role::Inspector, ROOT);
        let foreign = [OTHER_PROVINCE, ROOT];
        assert_eq!(
            authorize(Some(&p), Action::ReadAudit, Scope::Global),
            Decision::Allow
        );
        assert_eq!(
            authorize(
                Some(&p),
                Action::ReadUser,
                Scope::User {
                    unit_chain: &foreign,
                    user_id: 1
                }
            ),
            Decision::Allow
        );
        for a in [
            Action::UpdateOrgUnit,
            Action::CreateOrgUnit,
            Action::ManageUsers,
            Action::ManageTokens,
        ] {
            assert_eq!(
                authorize(Some(&p), a, Scope::Unit(&foreign)),
                Decision::Deny
            );
        }
    }

    #[test]
    fn reporting_and_verifying() {
        let own = [COMMUNE, PROVINCE, ROOT];
        let officer = who(Role::UnitOfficer, PROVINCE);
        assert_eq!(
            authorize(Some(&officer), Action::ReportProgress, Scope::Unit(&own)),
            Decision::Allow
        );
        assert_eq!(
            authorize(
                Some(&officer),
                Action::ReportProgress,
                Scope::Unit(&[OTHER_PROVINCE, ROOT])
            ),
            Decision::Deny
        );
        assert_eq!(
            authorize(Some(&officer), Action::VerifyCompletion, Scope::Unit(&own)),
            Decision::Deny
        );
        let leader = who(Role::UnitLeader, PROVINCE);
        assert_eq!(
            authorize(Some(&leader), Action::VerifyCompletion, Scope::Unit(&own)),
            Decision::Allow
        );
        assert_eq!(
            authorize(
                Some(&leader),
                Action::VerifyCompletion,
                Scope::Unit(&[ROOT])
            ),
            Decision::Deny
        );
        assert_eq!(
            authorize(
                Some(&who(Role::Steering, ROOT)),
                Action::VerifyCompletion,
                Scope::Unit(&[ROOT])
            ),
            Decision::Allow
        );
        assert_eq!(
            authorize(
                Some(&who(Role::Inspector, ROOT)),
                Action::ReportProgress,
                Scope::Unit(&own)
            ),
            Decision::Deny
        );
    }

    #[test]
    fn task_visibility() {
        let own = vec![COMMUNE, PROVINCE, ROOT];
        let chains = vec![own.clone()];
        let officer = who(Role::UnitOfficer, COMMUNE);
        let above = who(Role::UnitLeader, PROVINCE);
        let other = who(Role::UnitLeader, OTHER_PROVINCE);
        let inspector = who(Role::Inspector, ROOT);
        for v in ["public", "internal", "restricted"] {
            let v = Visibility::parse(v).unwrap();
            assert_eq!(
                may_read_task(None, v, &chains),
                v == Visibility::Public,
                "{v}"
            );
            assert!(may_read_task(Some(&officer), v, &chains), "{v}");
            assert!(may_read_task(Some(&above), v, &chains), "{v}");
            assert!(may_read_task(Some(&inspector), v, &chains), "{v}");
            assert_eq!(
                may_read_task(Some(&other), v, &chains),
                v != Visibility::Restricted,
                "{v}"
            );
        }
        // A stored name that is no visibility is an error where it is read, not a guess.
        let e = Visibility::try_from("secret".to_string()).unwrap_err();
        assert_eq!(e.to_string(), "unknown task visibility: \"secret\"");
        assert_eq!(
            Visibility::try_from("internal".to_string()),
            Ok(Visibility::Internal)
        );
    }

    #[test]
    fn cascading_and_proposing() {
        let own = [PROVINCE, ROOT];
        let foreign = [OTHER_PROVINCE, ROOT];
        let leader = who(Role::UnitLeader, PROVINCE);
        let officer = who(Role::UnitOfficer, PROVINCE);
        let ok =
            |p: &Principal, a, c: &[i64]| authorize(Some(p), a, Scope::Unit(c)) == Decision::Allow;
        assert!(ok(&leader, Action::CascadeAssignment, &own));
        assert!(!ok(&leader, Action::CascadeAssignment, &foreign));
        assert!(!ok(&officer, Action::CascadeAssignment, &own));
        assert!(ok(&officer, Action::ProposeTask, &own));
        assert!(!ok(&officer, Action::ProposeTask, &foreign));
        assert!(!ok(&who(Role::Inspector, ROOT), Action::ProposeTask, &own));
        assert!(!ok(&who(Role::Steering, ROOT), Action::RunJobs, &own));
        assert!(ok(&who(Role::Administrator, ROOT), Action::RunJobs, &own));
    }

    #[test]
    fn a_citizen_account_reads_only_itself() {
        let c = who(Role::Citizen, ROOT);
        for a in [
            Action::ReadInternal,
            Action::Comment,
            Action::ReadFeedback,
            Action::HandleFeedback,
            Action::ReadRestricted,
            Action::ReportProgress,
            Action::ReadAudit,
        ] {
            assert_eq!(
                authorize(Some(&c), a, Scope::Unit(&[ROOT])),
                Decision::Deny,
                "{a:?}"
            );
            assert_eq!(
                authorize(Some(&c), a, Scope::Global),
                Decision::Deny,
                "{a:?}"
            );
        }
        let me = Scope::User {
            unit_chain: &[ROOT],
            user_id: c.user_id,
        };
        let other = Scope::User {
            unit_chain: &[ROOT],
            user_id: c.user_id + 1,
        };
        assert_eq!(authorize(Some(&c), Action::ReadUser, me), Decision::Allow);
        assert_eq!(authorize(Some(&c), Action::ReadUser, other), Decision::Deny);
        assert_eq!(
            authorize(Some(&c), Action::ReadOrgUnit, Scope::Global),
            Decision::Allow
        );
    }

    #[test]
    fn feedback_is_handled_by_the_unit_holding_it() {
        let own = [COMMUNE, PROVINCE, ROOT];
        let foreign = [OTHER_PROVINCE, ROOT];
        let ok =
            |p: &Principal, a, c: &[i64]| authorize(Some(p), a, Scope::Unit(c)) == Decision::Allow;
        let officer = who(Role::UnitOfficer, PROVINCE);
        assert!(ok(&officer, Action::HandleFeedback, &own));
        assert!(!ok(&officer, Action::HandleFeedback, &foreign));
        let inspector = who(Role::Inspector, ROOT);
        assert!(ok(&inspector, Action::ReadFeedback, &foreign));
        assert!(!ok(&officer, Action::ApproveAnswer, &own));
        assert!(!ok(&officer, Action::ConfigureFeedback, &own));
        assert!(!ok(&inspector, Action::ApproveAnswer, &foreign));
        let leader = who(Role::UnitLeader, PROVINCE);
        assert!(ok(&leader, Action::ApproveAnswer, &own));
        assert!(ok(&leader, Action::ConfigureFeedback, &own));
        assert!(!ok(&leader, Action::ApproveAnswer, &foreign));
        assert!(!ok(&leader, Action::ConfigureFeedback, &foreign));
        assert!(!ok(&inspector, Action::HandleFeedback, &foreign));
        assert!(ok(
            &who(Role::Steering, ROOT),
            Action::HandleFeedback,
            &foreign
        ));
        assert!(!ok(
            &who(Role::Reviewer, PROVINCE),
            Action::ReadFeedback,
            &own
        ));
        assert_eq!(
            authorize(None, Action::ReadFeedback, Scope::Unit(&own)),
            Decision::NeedsLogin
        );
    }

    #[test]
    fn reviewer_reads_only_self() {
        let p = who(Role::Reviewer, PROVINCE);
        let own = [PROVINCE, ROOT];
        assert_eq!(
            authorize(
                Some(&p),
                Action::ReadUser,
                Scope::User {
                    unit_chain: &own,
                    user_id: 7
                }
            ),
            Decision::Allow
        );
        assert_eq!(
            authorize(
                Some(&p),
                Action::ReadUser,
                Scope::User {
                    unit_chain: &own,
                    user_id: 8
                }
            ),
            Decision::Deny
        );
    }

    #[test]
    fn only_admin_manages_accounts_and_only_admin_or_inspector_reads_audit() {
        for r in Role::ALL {
            let p = who(r, ROOT);
            let admin = r == Role::Administrator;
            assert_eq!(
                authorize(Some(&p), Action::ManageUsers, Scope::Global) == Decision::Allow,
                admin
            );
            assert_eq!(
                authorize(Some(&p), Action::ManageTokens, Scope::Global) == Decision::Allow,
                admin
            );
            assert_eq!(
                authorize(Some(&p), Action::ReadAudit, Scope::Global) == Decision::Allow,
                admin || r == Role::Inspector
            );
        }
    }
}

/// Which accounts a principal may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserListScope {
    All,
    Subtree(i64),
    OnlySelf(i64),
}

pub fn user_list_scope(p: &Principal) -> UserListScope {
    match p.role {
        r if r.reads_everything() => UserListScope::All,
        Role::UnitLeader | Role::UnitOfficer => UserListScope::Subtree(p.unit_id),
        _ => UserListScope::OnlySelf(p.user_id),
    }
}

#[cfg(test)]
mod list_scope_tests {
    use super::*;

    #[test]
    fn list_scope_follows_role() {
        let p = |role| Principal {
            user_id: 3,
            token_id: None,
            role,
            unit_id: 9,
            username: "x".into(),
        };
        assert_eq!(user_list_scope(&p(Role::Inspector)), UserListScope::All);
        assert_eq!(
            user_list_scope(&p(Role::UnitOfficer)),
            UserListScope::Subtree(9)
        );
        assert_eq!(
            user_list_scope(&p(Role::Reviewer)),
            UserListScope::OnlySelf(3)
        );
    }
}
