//! Domain rules as plain functions: no I/O here, so everything is tested on its own.

pub mod assignees;
pub mod audit;
pub mod catalogue;
pub mod clock;
pub mod deadline;
pub mod feedback;
pub mod files;
pub mod i18n;
pub mod indicators;
pub mod input;
pub mod org;
pub mod org_tree;
pub mod overview;
pub mod policy;
pub mod ranking;
pub mod reminders;
pub mod routing;
pub mod search;
pub mod signin;
pub mod status;
pub mod text;
pub mod workdays;

use serde::Serialize;

/// A stored name that is none of its type's values: corrupt data, reported as an error and never
/// replaced by a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {}: {:?}", self.what, self.value)
    }
}

impl std::error::Error for UnknownName {}

/// For an enum with `as_str` and `parse`: `Display` (templates and messages write the name) and
/// `TryFrom<String>` (storage reads a column straight into the type, failing on an unknown name).
macro_rules! named {
    ($t:ty, $what:literal) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl TryFrom<String> for $t {
            type Error = $crate::UnknownName;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                <$t>::parse(&value).ok_or($crate::UnknownName { what: $what, value })
            }
        }
    };
}
pub(crate) use named;

/// A problem with one input field; `code` is a message key translated at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

impl FieldError {
    pub fn new(field: &str, code: &str) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            params: vec![],
        }
    }

    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.push((name.into(), value.to_string()));
        self
    }

    /// A figure, written at the edge as the reader's language writes numbers (2 decimals at most).
    pub fn with_number(mut self, name: &str, value: f64) -> Self {
        self.params
            .push((name.into(), format!("{NUMBER_MARK}{value}")));
        self
    }
}

/// Marks a parameter that holds a figure to be written per language.
pub const NUMBER_MARK: &str = "\u{1}num:";
