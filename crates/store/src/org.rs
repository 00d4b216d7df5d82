//! Organisation units, the closure table and merge links.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Arg, Filter};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::{bind_all, on_conn};

const COLS: &str =
    "id, code, kind, name_vi, name_en, name_fr, parent_id, depth, valid_from, valid_to";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnit {
    pub id: i64,
    pub code: Option<String>,
    /// One of national, central_agency, party_agency, province, commune, ward, special_zone, department.
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: domain::org::OrgKind,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    pub parent_id: Option<i64>,
    pub depth: i32,
    pub valid_from: Option<NaiveDate>,
    /// Set when the unit no longer exists (merged or dissolved).
    pub valid_to: Option<NaiveDate>,
}

impl OrgUnit {
    pub fn historical(&self) -> bool {
        self.valid_to.is_some()
    }

    /// The unit as the tree's structural rules see it.
    pub fn tree_unit(&self) -> domain::org_tree::Unit {
        domain::org_tree::Unit {
            id: self.id,
            kind: self.kind,
            parent_id: self.parent_id,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }

    /// Name in the given language, falling back to Vietnamese.
    pub fn name(&self, lang: &str) -> &str {
        let alt = match lang {
            "en" => self.name_en.as_deref(),
            "fr" => self.name_fr.as_deref(),
            _ => None,
        };
        alt.filter(|s| !s.is_empty()).unwrap_or(&self.name_vi)
    }
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: Option<String>,
    pub kind: &'static str,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    pub parent_id: Option<i64>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// Folded text that `q` searches: every name and the code.
pub fn search_key(code: Option<&str>, vi: &str, en: Option<&str>, fr: Option<&str>) -> String {
    use domain::text::fold;
    let mut k = fold(vi);
    for s in [en, fr, code].into_iter().flatten() {
        k.push_str(" | ");
        k.push_str(&fold(s));
    }
    k
}

/// Tells in-memory copies of the tree (see `org_index`) that it changed.
pub async fn bump_version(c: &mut DbConn<'_>) -> AppResult<()> {
    on_conn!(c, c => sqlx::query("UPDATE org_version SET version = version + 1 WHERE id = 1").execute(&mut **c).await.map(|_| ())?);
    Ok(())
}

/// Inserts a unit and its closure rows; returns its id.
pub async fn insert(c: &mut DbConn<'_>, u: &NewUnit, now: DateTime<Utc>) -> AppResult<i64> {
    let key = search_key(
        u.code.as_deref(),
        &u.name_vi,
        u.name_en.as_deref(),
        u.name_fr.as_deref(),
    );
    let id = on_conn!(c, c => {
        let depth: i32 = match u.parent_id {
            Some(p) => sqlx::query_scalar::<_, i32>("SELECT depth + 1 FROM org_units WHERE id = $1")
                .bind(p).fetch_one(&mut **c).await?,
            None => 0,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO org_units (code, kind, name_vi, name_en, name_fr, search_key, parent_id, depth, valid_from, valid_to, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id")
            .bind(&u.code).bind(u.kind).bind(&u.name_vi).bind(&u.name_en).bind(&u.name_fr).bind(&key)
            .bind(u.parent_id).bind(depth).bind(u.valid_from).bind(u.valid_to).bind(now)
            .fetch_one(&mut **c).await?;
        sqlx::query(
            "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
             SELECT ancestor_id, $1, depth + 1 FROM org_closure WHERE descendant_id = $2
             UNION ALL SELECT $1, $1, 0")
            .bind(id).bind(u.parent_id.unwrap_or(-1)).execute(&mut **c).await?;
        id
    });
    bump_version(c).await?;
    Ok(id)
}

pub async fn link(
    c: &mut DbConn<'_>,
    predecessor: i64,
    successor: i64,
    merge_type: &str,
    effective: NaiveDate,
) -> AppResult<()> {
    on_conn!(c, c => sqlx::query(
        "INSERT INTO org_links (predecessor_id, successor_id, merge_type, effective) VALUES ($1, $2, $3, $4)
         ON CONFLICT (predecessor_id, successor_id) DO NOTHING")
        .bind(predecessor).bind(successor).bind(merge_type).bind(effective).execute(&mut **c).await.map(|_| ())?);
    bump_version(c).await
}

pub async fn get(c: &mut DbConn<'_>, id: i64) -> AppResult<Option<OrgUnit>> {
    let sql = format!("SELECT {COLS} FROM org_units WHERE id = $1");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, OrgUnit>(&sql).bind(id).fetch_optional(&mut **c).await?),
    )
}

pub async fn find_current_by_code(c: &mut DbConn<'_>, code: &str) -> AppResult<Option<OrgUnit>> {
    let sql = format!("SELECT {COLS} FROM org_units WHERE code = $1 AND valid_to IS NULL");
    Ok(
        on_conn!(c, c => sqlx::query_as::<_, OrgUnit>(&sql).bind(code).fetch_optional(&mut **c).await?),
    )
}

pub async fn count(c: &mut DbConn<'_>) -> AppResult<i64> {
    Ok(
        on_conn!(c, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM org_units").fetch_one(&mut **c).await?),
    )
}

/// Ids of the unit and all its ancestors, nearest first: the input of every scope decision.
pub async fn chain(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT ancestor_id FROM org_closure WHERE descendant_id = $1 ORDER BY depth")
        .bind(id).fetch_all(&mut **c).await?))
}

/// Ancestors from the root down to the parent (for breadcrumbs).
pub async fn ancestors(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<OrgUnit>> {
    let sql = format!(
        "SELECT u.{} FROM org_closure cl JOIN org_units u ON u.id = cl.ancestor_id
         WHERE cl.descendant_id = $1 AND cl.depth > 0 ORDER BY cl.depth DESC",
        COLS.replace(", ", ", u.")
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, OrgUnit>(&sql).bind(id).fetch_all(&mut **c).await?))
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub kind: Option<String>,
    pub parent: Option<i64>,
    /// Already folded.
    pub q: Option<String>,
    pub include_historical: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A page of units and the total number matching.
pub async fn list(c: &mut DbConn<'_>, f: &ListFilter) -> AppResult<(Vec<OrgUnit>, i64)> {
    let mut w = Filter::default();
    if let Some(k) = &f.kind {
        w.push("kind = {}", Arg::Text(k.clone()));
    }
    if let Some(p) = f.parent {
        w.push("parent_id = {}", Arg::Int(p));
    }
    if let Some(q) = &f.q {
        w.push(
            "search_key LIKE {} ESCAPE '\\'",
            Arg::Text(format!("%{}%", domain::text::like_escape(q))),
        );
    }
    if !f.include_historical {
        w.raw("valid_to IS NULL");
    }
    let wh = w.where_clause();
    let count_sql = format!("SELECT COUNT(*) FROM org_units{wh}");
    let page_sql = format!(
        "SELECT {COLS} FROM org_units{wh} ORDER BY depth, name_vi, id LIMIT {} OFFSET {}",
        w.next_placeholder(1),
        w.next_placeholder(2)
    );
    Ok(on_conn!(c, c => {
        let total: i64 = bind_all!(sqlx::query_scalar(&count_sql), &w.args).fetch_one(&mut **c).await?;
        let items = bind_all!(sqlx::query_as::<_, OrgUnit>(&page_sql), &w.args)
            .bind(f.limit).bind(f.offset).fetch_all(&mut **c).await?;
        (items, total)
    }))
}

pub async fn children_count(c: &mut DbConn<'_>, id: i64) -> AppResult<i64> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM org_units WHERE parent_id = $1 AND valid_to IS NULL")
        .bind(id).fetch_one(&mut **c).await?))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedUnit {
    pub id: i64,
    pub code: Option<String>,
    #[sqlx(try_from = "String")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: domain::org::OrgKind,
    pub name_vi: String,
    /// `full`: the whole unit went over; `partial`: only part of it.
    pub merge_type: String,
    pub effective: NaiveDate,
}

/// Units merged into `id` (`predecessors = true`) or that `id` was merged into.
pub async fn links(c: &mut DbConn<'_>, id: i64, predecessors: bool) -> AppResult<Vec<LinkedUnit>> {
    let (join, key) = if predecessors {
        ("predecessor_id", "successor_id")
    } else {
        ("successor_id", "predecessor_id")
    };
    let sql = format!(
        "SELECT u.id, u.code, u.kind, u.name_vi, l.merge_type, l.effective FROM org_links l
         JOIN org_units u ON u.id = l.{join} WHERE l.{key} = $1 ORDER BY u.name_vi, u.id"
    );
    Ok(on_conn!(c, c => sqlx::query_as::<_, LinkedUnit>(&sql).bind(id).fetch_all(&mut **c).await?))
}

/// Changes names and code; the caller validated them.
pub async fn update_fields(c: &mut DbConn<'_>, u: &OrgUnit, now: DateTime<Utc>) -> AppResult<()> {
    let key = search_key(
        u.code.as_deref(),
        &u.name_vi,
        u.name_en.as_deref(),
        u.name_fr.as_deref(),
    );
    on_conn!(c, c => sqlx::query(
        "UPDATE org_units SET code = $2, name_vi = $3, name_en = $4, name_fr = $5, search_key = $6, valid_to = $7, updated_at = $8 WHERE id = $1")
        .bind(u.id).bind(&u.code).bind(&u.name_vi).bind(&u.name_en).bind(&u.name_fr).bind(&key).bind(u.valid_to).bind(now)
        .execute(&mut **c).await.map(|_| ())?);
    bump_version(c).await
}

/// Whether `candidate` lies in the subtree of `root` (itself included).
pub async fn is_descendant(c: &mut DbConn<'_>, root: i64, candidate: i64) -> AppResult<bool> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
        .bind(root).bind(candidate).fetch_one(&mut **c).await? > 0))
}

/// Ids of the units in force directly under `id`.
pub async fn children_in_force(c: &mut DbConn<'_>, id: i64) -> AppResult<Vec<i64>> {
    Ok(on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT id FROM org_units WHERE parent_id = $1 AND valid_to IS NULL ORDER BY id")
        .bind(id).fetch_all(&mut **c).await?))
}

/// How many units in force sit anywhere below `id` (itself excluded).
pub async fn open_below(c: &mut DbConn<'_>, id: i64) -> AppResult<usize> {
    let n = on_conn!(c, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM org_closure cl JOIN org_units u ON u.id = cl.descendant_id
         WHERE cl.ancestor_id = $1 AND cl.depth > 0 AND u.valid_to IS NULL")
        .bind(id).fetch_one(&mut **c).await?);
    Ok(n as usize)
}

/// Moves `id` and its subtree under `new_parent`, rewriting closure rows and depths.
/// The caller has checked that `new_parent` is not inside the subtree.
pub async fn reparent(
    c: &mut DbConn<'_>,
    id: i64,
    new_parent: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    on_conn!(c, c => {
        let old_depth: i32 = sqlx::query_scalar("SELECT depth FROM org_units WHERE id = $1").bind(id).fetch_one(&mut **c).await?;
        let new_depth: i32 = sqlx::query_scalar("SELECT depth + 1 FROM org_units WHERE id = $1").bind(new_parent).fetch_one(&mut **c).await?;
        // Drop links between the subtree and its old ancestors, keep links inside the subtree.
        sqlx::query(
            "DELETE FROM org_closure WHERE descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)
             AND ancestor_id NOT IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)")
            .bind(id).execute(&mut **c).await?;
        sqlx::query(
            "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
             SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1
             FROM org_closure a CROSS JOIN org_closure d WHERE a.descendant_id = $2 AND d.ancestor_id = $1")
            .bind(id).bind(new_parent).execute(&mut **c).await?;
        sqlx::query(
            "UPDATE org_units SET depth = depth + $2, updated_at = $3 WHERE id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)")
            .bind(id).bind(new_depth - old_depth).bind(now).execute(&mut **c).await?;
        sqlx::query("UPDATE org_units SET parent_id = $2 WHERE id = $1").bind(id).bind(new_parent).execute(&mut **c).await?;
    });
    bump_version(c).await
}

/// Inserts units with ids chosen by the caller (a fresh database being seeded), many rows per
/// statement; closure rows are built afterwards by [`build_closure`].
pub async fn insert_bulk(
    c: &mut DbConn<'_>,
    rows: &[(i64, NewUnit, i32)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    const PER_ROW: usize = 12;
    for chunk in rows.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO org_units (id, code, kind, name_vi, name_en, name_fr, search_key, parent_id, depth, valid_from, valid_to, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * PER_ROW;
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for k in 1..=PER_ROW {
                sql.push_str(&format!("${},", b + k));
            }
            sql.push_str(&format!("${})", b + PER_ROW));
        }
        on_conn!(c, c => {
            let mut q = sqlx::query(&sql);
            for (id, u, depth) in chunk {
                let key = search_key(u.code.as_deref(), &u.name_vi, u.name_en.as_deref(), u.name_fr.as_deref());
                q = q.bind(*id).bind(&u.code).bind(u.kind).bind(&u.name_vi).bind(&u.name_en).bind(&u.name_fr)
                    .bind(key).bind(u.parent_id).bind(*depth).bind(u.valid_from).bind(u.valid_to).bind(now);
            }
            q.execute(&mut **c).await?;
        });
    }
    if let DbConn::Pg(c) = c {
        sqlx::query("SELECT setval(pg_get_serial_sequence('org_units', 'id'), (SELECT MAX(id) FROM org_units))")
            .execute(&mut **c).await?;
    }
    bump_version(c).await
}

/// Fills the closure table level by level for units that have no closure rows yet.
pub async fn build_closure(c: &mut DbConn<'_>) -> AppResult<()> {
    on_conn!(c, c => {
        let max: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(depth), 0) FROM org_units").fetch_one(&mut **c).await?;
        for d in 0..=max {
            sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
                 SELECT cl.ancestor_id, u.id, cl.depth + 1 FROM org_units u JOIN org_closure cl ON cl.descendant_id = u.parent_id
                 WHERE u.depth = $1 AND NOT EXISTS (SELECT 1 FROM org_closure x WHERE x.descendant_id = u.id)")
                .bind(d).execute(&mut **c).await?;
            sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, depth)
                 SELECT id, id, 0 FROM org_units u WHERE u.depth = $1 AND NOT EXISTS (SELECT 1 FROM org_closure x WHERE x.ancestor_id = u.id AND x.descendant_id = u.id)")
                .bind(d).execute(&mut **c).await?;
        }
    });
    Ok(())
}

pub async fn link_bulk(c: &mut DbConn<'_>, links: &[(i64, i64, &str, NaiveDate)]) -> AppResult<()> {
    for chunk in links.chunks(2000) {
        let mut sql = String::from(
            "INSERT INTO org_links (predecessor_id, successor_id, merge_type, effective) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 4;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${},${},${},${})", b + 1, b + 2, b + 3, b + 4));
        }
        sql.push_str(" ON CONFLICT (predecessor_id, successor_id) DO NOTHING");
        on_conn!(c, c => {
            let mut q = sqlx::query(&sql);
            for (p, s, t, e) in chunk {
                q = q.bind(*p).bind(*s).bind(*t).bind(*e);
            }
            q.execute(&mut **c).await?;
        });
    }
    bump_version(c).await
}
