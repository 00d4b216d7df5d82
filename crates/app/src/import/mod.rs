//! Readers for the formats programmes arrive in. Parsing is pure; writing goes through `ops`.

pub mod annex;
pub mod indicators;
pub mod table;
