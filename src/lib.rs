//! nqtrack: monitoring and evaluation of government programmes.
//!
//! - `domain`: rules as plain functions (text folding, org kinds, permissions, audit chain).
//! - `store`: SQL, one module per concern, for SQLite and PostgreSQL.
//! - `ops`: use cases (permission, validation, one transaction, audit record).
//! - `jobs`: the background job runner (reminders, escalation, digests, email).
//! - `export`: CSV, XLSX and iCalendar files of any list.
//! - `web`: HTTP (JSON API, pages, middleware).
//! - `seed`: the built-in 2025 hierarchy, demo accounts, synthetic volumes.
//! - `cli`: the `nqtrack` commands.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod ops;
pub mod seed;
pub mod store;
pub mod web;
