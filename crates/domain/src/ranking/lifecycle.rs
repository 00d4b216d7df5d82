//! The life of a method version (draft → approved → published) and of an edition (computed →
//! published). A published version never changes: a change is a new version. A published
//! edition never changes either: its scores are what was announced.

use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    Draft,
    Approved,
    Published,
}

impl VersionState {
    pub const ALL: [VersionState; 3] = [
        VersionState::Draft,
        VersionState::Approved,
        VersionState::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::Approved => "approved",
            VersionState::Published => "published",
        }
    }

    pub fn parse(s: &str) -> Option<VersionState> {
        VersionState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the method document may still be changed.
    pub fn editable(self) -> bool {
        self == VersionState::Draft
    }

    /// Whether editions computed with it may be published: only with a published method, so
    /// that the public can always read how its ranks were made (a draft or an approved version
    /// serves for trial editions).
    pub fn publishable_editions(self) -> bool {
        self == VersionState::Published
    }
}

crate::named!(VersionState, "method version state");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VersionMove {
    /// The Committee approves the draft: the document is frozen.
    Approve,
    /// Sent back to draft (only before publication), with a reason.
    Return,
    /// Announced: the methodology page shows it; it never changes again.
    Publish,
}

impl VersionMove {
    pub const ALL: [VersionMove; 3] = [
        VersionMove::Approve,
        VersionMove::Return,
        VersionMove::Publish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionMove::Approve => "approve",
            VersionMove::Return => "return",
            VersionMove::Publish => "publish",
        }
    }

    pub fn parse(s: &str) -> Option<VersionMove> {
        VersionMove::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// The state a move leads to, or why it cannot be made.
pub fn next(from: VersionState, m: VersionMove, reason: &str) -> Result<VersionState, FieldError> {
    if m == VersionMove::Return && reason.trim().is_empty() {
        return Err(FieldError::new("reason", "err-required"));
    }
    match (from, m) {
        (VersionState::Draft, VersionMove::Approve) => Ok(VersionState::Approved),
        (VersionState::Approved, VersionMove::Return) => Ok(VersionState::Draft),
        (VersionState::Approved, VersionMove::Publish) => Ok(VersionState::Published),
        _ => Err(FieldError::new("state", "err-rank-version-move")
            .with("from", from.as_str())
            .with("move", m.as_str())),
    }
}

/// Whether the document of a version in `state` may be replaced.
pub fn may_edit(state: VersionState) -> Result<(), FieldError> {
    if state.editable() {
        Ok(())
    } else {
        Err(FieldError::new("state", "err-rank-version-frozen").with("state", state.as_str()))
    }
}

/// What the public sees of a published edition, each level showing all of the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = EditionDetail))]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// Ranks, scores and grades.
    Scores,
    /// And each pillar's points (the scorecard's first level, and why a score changed).
    Pillars,
    /// And every pillar, component and measure, down to the raw values.
    Full,
}

impl Detail {
    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Scores => "scores",
            Detail::Pillars => "pillars",
            Detail::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Option<Detail> {
        [Detail::Scores, Detail::Pillars, Detail::Full]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

crate::named!(Detail, "edition detail");

/// Whether an edition computed with a version in `state` may be published (not twice).
pub fn may_publish_edition(state: VersionState, published: bool) -> Result<(), FieldError> {
    if published {
        return Err(FieldError::new("state", "err-rank-edition-published"));
    }
    if !state.publishable_editions() {
        return Err(FieldError::new("method_version", "err-rank-draft-edition"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_whole_way() {
        let s = next(VersionState::Draft, VersionMove::Approve, "").unwrap();
        assert!(may_edit(s).is_err());
        assert_eq!(
            next(s, VersionMove::Return, "").unwrap_err().code,
            "err-required"
        );
        assert_eq!(
            next(s, VersionMove::Return, "trọng số chưa hợp lý").unwrap(),
            VersionState::Draft
        );
        let p = next(s, VersionMove::Publish, "").unwrap();
        assert_eq!(p, VersionState::Published);
        assert!(may_edit(VersionState::Draft).is_ok());
        assert!(may_publish_edition(VersionState::Draft, false).is_err());
        assert!(may_publish_edition(VersionState::Approved, false).is_err());
        assert!(may_publish_edition(VersionState::Published, false).is_ok());
        assert!(may_publish_edition(VersionState::Published, true).is_err());
    }

    proptest! {
        #[test]
        fn a_published_version_never_changes(moves in prop::collection::vec((0usize..3, "\\PC{0,3}"), 0..12)) {
            // Whatever is tried after publication, the version stays published and frozen.
            let mut s = VersionState::Draft;
            let mut published = false;
            for (m, reason) in moves {
                if let Ok(to) = next(s, VersionMove::ALL[m], &reason) {
                    prop_assert!(!published, "a published version moved to {:?}", to);
                    s = to;
                }
                published |= s == VersionState::Published;
                if published {
                    prop_assert!(may_edit(s).is_err());
                }
            }
        }
    }
}
