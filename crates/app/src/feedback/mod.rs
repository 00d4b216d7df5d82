//! Feedback use cases: public intake with a tracking code and secret, the tracking page, the
//! officers' moves (accept, transfer, answer…), rating and appeal, supports, and statistics.
//!
//! One file per concern; this module only re-exports them, so callers write `app::feedback::…`.

mod builtin;
mod common;
mod handling;
mod intake;
mod lists;
mod review;
mod routing;
mod settings;
mod stats;
mod support;
mod tracking;

pub use builtin::*;
pub use common::*;
pub use handling::*;
pub use intake::*;
pub use lists::*;
pub use review::*;
pub use routing::*;
pub use settings::*;
pub use stats::*;
pub use support::*;
pub use tracking::*;
