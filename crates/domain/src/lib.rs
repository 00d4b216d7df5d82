//! Domain rules as plain functions: no I/O here, so everything is tested on its own.

pub mod assignees;
pub mod audit;
pub mod clock;
pub mod deadline;
pub mod feedback;
pub mod files;
pub mod i18n;
pub mod input;
pub mod org;
pub mod org_tree;
pub mod overview;
pub mod policy;
pub mod reminders;
pub mod signin;
pub mod status;
pub mod text;
pub mod workdays;

use serde::Serialize;

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
}
