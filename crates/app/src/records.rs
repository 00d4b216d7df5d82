//! The records that use cases return, as the storage layer reads them. The layers above name them
//! through here and never see the storage functions themselves.

pub use store::audit::AuditEntry;
pub use store::budgets::BudgetRow;
pub use store::catalogue::{
    Brief, EntryRow as CatalogueEntry, FileRow as CatalogueFile, MeasurementRow as Measurement,
};
pub use store::feedback::{Category, Event, Item, ItemFile, KindRule, Review, RouteRow};
pub use store::indicators::{
    Indicator, IndicatorSet, RuleRow as IndicatorRule, Submission as IndicatorSubmission,
    TargetRow, ValueRow,
};
pub use store::org::{LinkedUnit, OrgUnit};
pub use store::org_index::OrgIndex;
pub use store::rankings::{Edition, ExpertScore, MethodVersion, RankMethod};
pub use store::task_cache::TaskCache;
pub use store::tasks::{Assignment, Extension, PendingClaim, Programme, ProgressReport, Task};
pub use store::users::{ApiToken, User};
pub use store::work::{Evidence, Notification};
