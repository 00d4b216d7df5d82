//! What routing suggestions learn from (items whose unit has taken them on) and the trained
//! models (migration 0030).

use chrono::{DateTime, Utc};

use crate::db::DbConn;
use crate::error::AppResult;
use crate::on_conn;

/// An item as training reads it: its text, context and where it ended up.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Example {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub concerned_unit_id: Option<i64>,
    pub unit_id: i64,
}

/// States in which the holding unit has accepted the item as its own: a received item may still
/// be moved on, a transferred one is on its way, a declined or merged one was never routed.
const ROUTED: &str =
    "('accepted', 'assigned', 'in_progress', 'waiting', 'awaiting_approval', 'answered', 'closed')";

/// Routed items with an id above `after`, in id order.
pub async fn examples_after(c: &mut DbConn<'_>, after: i64, limit: i64) -> AppResult<Vec<Example>> {
    let sql = format!(
        "SELECT id, kind, category, title, body, concerned_unit_id, unit_id FROM feedback_items \
         WHERE id > $1 AND state IN {ROUTED} ORDER BY id LIMIT $2"
    );
    Ok(on_conn!(c, c => sqlx::query_as(&sql).bind(after).bind(limit).fetch_all(&mut **c).await?))
}

/// Whether at least `n` items have been routed (below that, no model is worth training).
pub async fn routed_at_least(c: &mut DbConn<'_>, n: i64) -> AppResult<bool> {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM feedback_items WHERE state IN {ROUTED} LIMIT $1) x"
    );
    let k: i64 = on_conn!(c, c => sqlx::query_scalar(&sql).bind(n).fetch_one(&mut **c).await?);
    Ok(k >= n)
}

/// When the newest model was trained.
pub async fn latest_trained_at(c: &mut DbConn<'_>) -> AppResult<Option<DateTime<Utc>>> {
    let sql = "SELECT trained_at FROM routing_models ORDER BY id DESC LIMIT 1";
    Ok(on_conn!(c, c => sqlx::query_scalar(sql).fetch_optional(&mut **c).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredModel {
    pub id: i64,
    pub trained_at: DateTime<Utc>,
    pub items: i64,
    pub accuracy: String,
    pub counts: String,
}

/// Models kept besides the newest.
const KEEP: i64 = 3;

/// Stores a model and drops all but the newest few.
pub async fn save(
    c: &mut DbConn<'_>,
    trained_at: DateTime<Utc>,
    items: i64,
    accuracy: &str,
    counts: &str,
) -> AppResult<i64> {
    let sql = "INSERT INTO routing_models (trained_at, items, accuracy, counts) VALUES ($1, $2, $3, $4) RETURNING id";
    let id: i64 = on_conn!(c, c => sqlx::query_scalar(sql).bind(trained_at).bind(items).bind(accuracy).bind(counts).fetch_one(&mut **c).await?);
    let sql = "DELETE FROM routing_models WHERE id <= $1";
    on_conn!(c, c => sqlx::query(sql).bind(id - KEEP - 1).execute(&mut **c).await.map(|_| ())?);
    Ok(id)
}

/// The newest model's id, if any: cheap, read to see whether a cached model is current.
pub async fn latest_id(c: &mut DbConn<'_>) -> AppResult<Option<i64>> {
    let sql = "SELECT MAX(id) FROM routing_models";
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, Option<i64>>(sql).fetch_one(&mut **c).await?))
}

pub async fn get(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<StoredModel>> {
    let sql = "SELECT id, trained_at, items, accuracy, counts FROM routing_models WHERE id = $1";
    Ok(on_conn!(c, c => sqlx::query_as(sql).bind(id).fetch_optional(&mut **c).await?))
}
