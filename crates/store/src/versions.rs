//! The data versions, one row each, bumped by triggers (tasks, feedback) or by the
//! organisation writers (`org::bump_version`) in the writing transaction. Caches of rendered
//! public pages compare them to know whether anything they were built from has changed.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Versions {
    pub org: i64,
    pub tasks: i64,
    pub feedback: i64,
    /// All indicator data (definitions, targets, values).
    pub indicators: i64,
    /// Ranking methods, their versions and editions.
    pub rankings: i64,
    /// The database catalogue (entries, themes, links, latest figures).
    pub catalogue: i64,
    /// The catalogue's latest figures (heartbeats and declared figures).
    pub catalogue_figures: i64,
}

/// All of them in one statement (one round trip on PostgreSQL).
pub async fn current(c: &mut DbConn<'_>) -> AppResult<Versions> {
    const SQL: &str = "SELECT (SELECT version FROM org_version WHERE id = 1), \
        (SELECT v FROM task_version WHERE id = 1), (SELECT v FROM feedback_version WHERE id = 1), \
        (SELECT v FROM indicator_data_version WHERE id = 1), (SELECT v FROM rank_version WHERE id = 1), (SELECT v FROM catalogue_version WHERE id = 1), (SELECT f FROM catalogue_version WHERE id = 1)";
    let (org, tasks, feedback, indicators, rankings, catalogue, catalogue_figures) = on_conn!(c, c => sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64, i64)>(SQL)
        .fetch_one(&mut **c).await?);
    Ok(Versions {
        org,
        tasks,
        feedback,
        indicators,
        rankings,
        catalogue,
        catalogue_figures,
    })
}
