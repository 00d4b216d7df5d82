//! Editing an indicator's definition (the Steering Committee): names, definition and method,
//! source, unit of measure, direction, the responsible unit, publicity, and the programme tasks
//! it measures. Each edit is a new revision; every earlier one stays readable. What the stored
//! values depend on (value type, roll-up, breakdown, period type) does not change: a new
//! indicator is made for that.

use chrono::Utc;
use serde::Deserialize;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::Direction;
use domain::policy::{Action, Principal, Scope};
use store::audit::{Actor, Change};
use store::indicators::Indicator;

/// The fields to change; those left out keep their value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorEdit))]
pub struct Edit {
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    pub definition: Option<String>,
    pub method: Option<String>,
    pub source: Option<String>,
    pub unit_of_measure: Option<String>,
    /// higher, lower or band.
    pub direction: Option<String>,
    /// The unit that answers for the data (its id); null to clear.
    #[serde(default, deserialize_with = "double_option")]
    pub responsible_unit_id: Option<Option<i64>>,
    pub is_public: Option<bool>,
    /// The programme tasks the indicator measures (replaces the list).
    pub tasks: Option<Vec<i64>>,
}

/// Tells a field sent as null (Some(None)) from one left out (None).
fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// Whether `who` may edit definitions (the form is shown only to them).
pub fn may_edit(who: &Principal) -> AppResult<()> {
    crate::require(Some(who), Action::ManageIndicators, Scope::Global)
}

/// The earlier definitions, newest first: (revision, when it was replaced, its name and
/// definition as they read then).
pub async fn history(db: &Db, id: i64) -> AppResult<Vec<(i32, chrono::DateTime<Utc>, String)>> {
    let mut c = db.acquire().await?;
    Ok(store::indicators::revisions(&mut c.conn(), id)
        .await?
        .into_iter()
        .map(|(r, json, at)| {
            let then: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
            let text = match (then["name_vi"].as_str(), then["definition"].as_str()) {
                (Some(n), Some(d)) if !d.is_empty() => format!("{n} — {d}"),
                (Some(n), _) => n.to_string(),
                _ => json,
            };
            (r, at, text)
        })
        .collect())
}

pub async fn edit(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    id: i64,
    e: Edit,
) -> AppResult<Indicator> {
    may_edit(who)?;
    let snap = org.snapshot(db).await?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = store::indicators::get_indicator(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut after = before.clone();
    let mut errs = vec![];
    let mut text =
        |field: &str, v: Option<String>, max: usize, required: bool, slot: &mut String| {
            if let Some(v) = v {
                let v = domain::text::nfc(v.trim());
                if required && v.is_empty() {
                    errs.push(FieldError::new(field, "err-required"));
                } else if v.chars().count() > max {
                    errs.push(FieldError::new(field, "err-too-long"));
                } else {
                    *slot = v;
                }
            }
        };
    text("name_vi", e.name_vi, 1000, true, &mut after.name_vi);
    text("name_en", e.name_en, 1000, false, &mut after.name_en);
    text("name_fr", e.name_fr, 1000, false, &mut after.name_fr);
    text(
        "definition",
        e.definition,
        domain::text::TEXT_MAX,
        false,
        &mut after.definition,
    );
    text(
        "method",
        e.method,
        domain::text::TEXT_MAX,
        false,
        &mut after.method,
    );
    text("source", e.source, 1000, false, &mut after.source);
    text(
        "unit_of_measure",
        e.unit_of_measure,
        100,
        false,
        &mut after.unit_of_measure,
    );
    if let Some(d) = e.direction {
        match Direction::parse(d.trim()) {
            Some(d) => after.direction = d,
            None => errs.push(FieldError::new("direction", "err-choice")),
        }
    }
    if let Some(r) = e.responsible_unit_id {
        match r {
            Some(u) if snap.get(u).is_none_or(|u| u.valid_to.is_some()) => {
                errs.push(FieldError::new("responsible_unit_id", "err-no-such-unit"))
            }
            Some(u) => {
                after.responsible_unit_id = Some(u);
                after.responsible_text = snap.get(u).map(|x| x.name_vi.clone()).unwrap_or_default();
            }
            None => after.responsible_unit_id = None,
        }
    }
    if let Some(p) = e.is_public {
        after.is_public = p;
    }
    if let Some(tasks) = &e.tasks {
        for t in tasks {
            if store::tasks::get_task(&mut c, *t).await?.is_none() {
                errs.push(FieldError::new("tasks", "err-no-such-task").with("id", t));
            }
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let defined_alike = serde_json::to_value(&before).ok() == serde_json::to_value(&after).ok();
    let row = if defined_alike {
        before.clone()
    } else {
        store::indicators::update_definition(&mut c, &after, Some(who.user_id), now).await?
    };
    if let Some(tasks) = &e.tasks {
        let mut tasks = tasks.clone();
        tasks.sort_unstable();
        tasks.dedup();
        store::indicators::set_task_links(&mut c, id, &tasks).await?;
    }
    let change = Change::new("indicator.edit", "indicator", id.to_string())
        .before(store::audit::to_json(&Some(&before)))
        .after(Some(
            serde_json::json!({"definition": &row, "tasks": e.tasks}).to_string(),
        ));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(row)
}
