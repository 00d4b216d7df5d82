//! Budgets of assignments per year and source, and their sums per unit and programme.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

/// One assignment's budget for a year and source, in million đồng.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetRow {
    pub assignment_id: i64,
    pub unit_id: i64,
    pub year: i32,
    /// state (the state budget) or other.
    pub source: String,
    pub planned: f64,
    pub disbursed: f64,
}

#[allow(clippy::too_many_arguments)]
pub async fn put(
    c: &mut DbConn<'_>,
    assignment_id: i64,
    year: i32,
    source: &str,
    planned: f64,
    disbursed: f64,
    by: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO budgets (assignment_id, year, source, planned, disbursed, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (assignment_id, year, source) DO UPDATE SET planned = excluded.planned, disbursed = excluded.disbursed,
            updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(assignment_id).bind(year).bind(source).bind(planned).bind(disbursed).bind(by).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// The budget rows of one assignment, one year and source, if any.
pub async fn get(
    c: &mut DbConn<'_>,
    assignment_id: i64,
    year: i32,
    source: &str,
) -> AppResult<Option<BudgetRow>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, BudgetRow>(
        "SELECT b.assignment_id, a.unit_id, b.year, b.source, b.planned, b.disbursed FROM budgets b JOIN assignments a ON a.id = b.assignment_id
         WHERE b.assignment_id = $1 AND b.year = $2 AND b.source = $3")
        .bind(assignment_id).bind(year).bind(source).fetch_optional(&mut **c).await?))
}

/// Every budget row of a task's assignments, by unit, year and source.
pub async fn of_task(c: &mut DbConn<'_>, task_id: i64) -> AppResult<Vec<BudgetRow>> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, BudgetRow>(
        "SELECT b.assignment_id, a.unit_id, b.year, b.source, b.planned, b.disbursed FROM budgets b JOIN assignments a ON a.id = b.assignment_id
         WHERE a.task_id = $1 ORDER BY a.unit_id, b.year, b.source")
        .bind(task_id).fetch_all(&mut **c).await?))
}

/// A unit's planned and disbursed sums for a year, over all its assignments and sources.
pub async fn unit_year(c: &mut DbConn<'_>, unit_id: i64, year: i32) -> AppResult<(f64, f64)> {
    Ok(on_conn!(c, c => sqlx::query_as::<_, (f64, f64)>(
        "SELECT CAST(COALESCE(SUM(b.planned), 0) AS DOUBLE PRECISION), CAST(COALESCE(SUM(b.disbursed), 0) AS DOUBLE PRECISION)
         FROM budgets b JOIN assignments a ON a.id = b.assignment_id WHERE a.unit_id = $1 AND b.year = $2")
        .bind(unit_id).bind(year).fetch_one(&mut **c).await?))
}

/// Sums of a programme's public tasks per (unit, year, source): (unit, year, source, planned, disbursed).
pub async fn programme_sums(
    c: &mut DbConn<'_>,
    programme_id: i64,
) -> AppResult<Vec<(i64, i32, String, f64, f64)>> {
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, (i64, i32, String, f64, f64)>(
        "SELECT a.unit_id, b.year, b.source, CAST(SUM(b.planned) AS DOUBLE PRECISION), CAST(SUM(b.disbursed) AS DOUBLE PRECISION)
         FROM budgets b JOIN assignments a ON a.id = b.assignment_id JOIN tasks t ON t.id = a.task_id
         WHERE t.programme_id = $1 AND t.visibility = 'public'
         GROUP BY a.unit_id, b.year, b.source ORDER BY a.unit_id, b.year, b.source")
        .bind(programme_id).fetch_all(&mut **c).await?),
    )
}
