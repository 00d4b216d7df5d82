//! The submission of a unit's values for a set and period: open → submitted → approved (by the
//! unit's leader) → accepted (by the assigning level), or returned with a reason. Values can be
//! changed only while open or returned; approved and accepted values are locked and re-opened
//! only with a reason.

use serde::Serialize;

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorState))]
#[serde(rename_all = "snake_case")]
pub enum State {
    Open,
    Submitted,
    Approved,
    Accepted,
    Returned,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Open,
        State::Submitted,
        State::Approved,
        State::Accepted,
        State::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Submitted => "submitted",
            State::Approved => "approved",
            State::Accepted => "accepted",
            State::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether values may be entered or changed.
    pub fn editable(self) -> bool {
        matches!(self, State::Open | State::Returned)
    }
}

crate::named!(State, "submission state");

/// What someone does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorMoveKind))]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// The unit sends its values (who may enter them).
    Submit,
    /// The unit's leader approves them.
    Approve,
    /// The assigning level accepts them.
    Accept,
    /// Sent back with a reason: by the leader while submitted, by the assigning level after.
    Return,
}

impl Move {
    pub const ALL: [Move; 4] = [Move::Submit, Move::Approve, Move::Accept, Move::Return];

    pub fn as_str(self) -> &'static str {
        match self {
            Move::Submit => "submit",
            Move::Approve => "approve",
            Move::Accept => "accept",
            Move::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<Move> {
        Move::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Who must allow a move: the unit's people, its leader, or the level above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    Unit,
    Leader,
    Above,
}

/// The state a move leads to and who decides it, or why it cannot be made.
pub fn next(from: State, m: Move, reason: &str) -> Result<(State, Decider), FieldError> {
    let refuse = || {
        Err(FieldError::new("state", "err-submission-move")
            .with("from", from.as_str())
            .with("move", m.as_str()))
    };
    if m == Move::Return && reason.trim().is_empty() {
        return Err(FieldError::new("reason", "err-required"));
    }
    match (from, m) {
        (State::Open | State::Returned, Move::Submit) => Ok((State::Submitted, Decider::Unit)),
        (State::Submitted, Move::Approve) => Ok((State::Approved, Decider::Leader)),
        (State::Approved, Move::Accept) => Ok((State::Accepted, Decider::Above)),
        (State::Submitted, Move::Return) => Ok((State::Returned, Decider::Leader)),
        // Re-opening locked values: only the level above, only with a reason.
        (State::Approved | State::Accepted, Move::Return) => Ok((State::Returned, Decider::Above)),
        _ => refuse(),
    }
}

/// Who sets a unit's target: the level that assigned the work sets it outright (approved);
/// the unit itself only proposes it, and not over an approved target of its own (the assigning
/// level changes that). Err is the message key of the refusal (None: not the caller's to set).
pub fn target_state(
    assigns: bool,
    proposes: bool,
    approved_exists: bool,
) -> Result<&'static str, Option<&'static str>> {
    match (assigns, proposes) {
        (true, _) => Ok("approved"),
        (false, true) if approved_exists => Err(Some("err-target-approved")),
        (false, true) => Ok("proposed"),
        (false, false) => Err(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_whole_way() {
        let (s, _) = next(State::Open, Move::Submit, "").unwrap();
        let (s, d) = next(s, Move::Approve, "").unwrap();
        assert_eq!(d, Decider::Leader);
        let (s, d) = next(s, Move::Accept, "").unwrap();
        assert_eq!((s, d), (State::Accepted, Decider::Above));
        assert_eq!(next(s, Move::Return, " ").unwrap_err().code, "err-required");
        assert_eq!(
            next(s, Move::Return, "số liệu sai").unwrap(),
            (State::Returned, Decider::Above)
        );
        assert!(next(State::Open, Move::Accept, "").is_err());
    }

    proptest! {
        #[test]
        fn locked_values_open_only_through_a_reasoned_return(from in 0usize..5, m in 0usize..4, reason in "\\PC{0,5}") {
            let (from, m) = (State::ALL[from], Move::ALL[m]);
            if let Ok((to, _)) = next(from, m, &reason) {
                // A locked submission becomes editable only by a return that gives a reason.
                if !from.editable() && to.editable() {
                    prop_assert_eq!(m, Move::Return);
                    prop_assert!(!reason.trim().is_empty());
                }
                // Nothing is accepted that its leader did not approve.
                if to == State::Accepted {
                    prop_assert_eq!(from, State::Approved);
                }
            }
        }
    }

    #[test]
    fn a_unit_proposes_and_the_level_above_decides() {
        assert_eq!(target_state(true, true, true), Ok("approved"));
        assert_eq!(target_state(true, false, false), Ok("approved"));
        assert_eq!(target_state(false, true, false), Ok("proposed"));
        assert_eq!(
            target_state(false, true, true),
            Err(Some("err-target-approved")),
            "a proposal never hides an approved target"
        );
        assert_eq!(target_state(false, false, false), Err(None));
    }
}
