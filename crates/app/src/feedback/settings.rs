//! Configuration: routing rules, days off, per-unit settings, deadline rules per kind; and the
//! public reference lists (categories, days off).

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::{require, require_on_unit};
use domain::FieldError;
use domain::feedback::{self as fb, Kind};
use domain::policy::{Action, Decision, Principal, Scope, authorize};
use domain::text::nfc;
use store::audit::{Actor, Change};
use store::feedback::KindRule;
use store::{self};

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRoute {
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub target_unit_id: i64,
}

/// Routing rules are data: administrators add and retire them; retired rules stay as history.
pub async fn add_route(db: &Db, who: &Principal, input: NewRoute) -> AppResult<i64> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut errs = vec![];
    if let Some(cat) = &input.category
        && !store::feedback::categories(&mut tx.conn())
            .await?
            .iter()
            .any(|c| &c.code == cat)
    {
        errs.push(FieldError::new("category", "err-unknown-category"));
    }
    for (field, unit) in [
        ("unit_id", input.unit_id),
        ("target_unit_id", Some(input.target_unit_id)),
    ] {
        if let Some(u) = unit
            && store::org::get(&mut tx.conn(), u)
                .await?
                .is_none_or(|x| x.historical())
        {
            errs.push(FieldError::new(field, "err-no-such-unit"));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let id = store::feedback::insert_route(
        &mut tx.conn(),
        input.category.as_deref(),
        input.unit_id,
        input.target_unit_id,
        now,
    )
    .await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change::new("feedback_route.create", "feedback_route", id).after(Some(serde_json::json!({ "category": input.category, "unit_id": input.unit_id, "target_unit_id": input.target_unit_id }).to_string()))],
    )
    .await?;
    Ok(id)
}

pub async fn retire_route(db: &Db, who: &Principal, id: i64) -> AppResult<()> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if !store::feedback::retire_route(&mut tx.conn(), id, now).await? {
        return Err(AppError::NotFound);
    }
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![Change::new("feedback_route.retire", "feedback_route", id)],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHoliday {
    pub day: NaiveDate,
    /// holiday (a day off) or workday (a weekend day worked in exchange).
    pub kind: String,
    pub name_vi: String,
}

/// Administrators add days off decided after the built-in calendar (e.g. next year's Tết).
pub async fn add_holiday(db: &Db, who: &Principal, input: NewHoliday) -> AppResult<()> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let mut errs = vec![];
    if !matches!(input.kind.as_str(), "holiday" | "workday") {
        errs.push(FieldError::new("kind", "err-unknown-day-kind"));
    }
    let name = nfc(&input.name_vi);
    if name.is_empty() {
        errs.push(FieldError::new("name_vi", "err-required"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    store::feedback::insert_holiday(&mut tx.conn(), input.day, &input.kind, &name).await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![
            Change::new("holiday.create", "holiday", input.day).after(Some(
                serde_json::json!({ "kind": input.kind, "name": name }).to_string(),
            )),
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitSettings {
    /// Officers' answers wait for the unit leader's approval before they are published.
    pub approve_answers: bool,
    /// What is sent to the unit stays off the public pages (tracking page, public list, Open311)
    /// until a moderator has reviewed it; the sender, with the secret, still reads it.
    pub moderate_first: bool,
}

/// A change of settings: a setting left out keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnitSettingsChange {
    pub approve_answers: Option<bool>,
    pub moderate_first: Option<bool>,
}

impl From<(bool, bool)> for UnitSettings {
    fn from((approve_answers, moderate_first): (bool, bool)) -> Self {
        UnitSettings {
            approve_answers,
            moderate_first,
        }
    }
}

/// A unit's feedback settings (its own officers and leaders, and those who read everything).
pub async fn unit_settings(db: &Db, who: &Principal, unit: i64) -> AppResult<UnitSettings> {
    let mut c = db.acquire().await?;
    require_on_unit(&mut c.conn(), Some(who), Action::ReadFeedback, unit).await?;
    Ok(store::feedback::unit_settings(&mut c.conn(), unit)
        .await?
        .into())
}

/// Whether this person may change the unit's feedback settings (for showing the form).
pub async fn may_configure(db: &Db, who: &Principal, unit: i64) -> AppResult<bool> {
    let mut c = db.acquire().await?;
    let chain = store::org::chain(&mut c.conn(), unit).await?;
    Ok(authorize(Some(who), Action::ConfigureFeedback, Scope::Unit(&chain)) == Decision::Allow)
}

/// The unit's leader (or an administrator) decides whether answers need approval and whether what
/// is sent to the unit waits for moderation before it is public. Turning moderation on holds only
/// what arrives from then on: what is already public stays public.
pub async fn set_unit_settings(
    db: &Db,
    who: &Principal,
    unit: i64,
    input: UnitSettingsChange,
) -> AppResult<UnitSettings> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if store::org::get(&mut tx.conn(), unit).await?.is_none() {
        return Err(AppError::NotFound);
    }
    require_on_unit(&mut tx.conn(), Some(who), Action::ConfigureFeedback, unit).await?;
    let before = UnitSettings::from(store::feedback::unit_settings(&mut tx.conn(), unit).await?);
    let after = UnitSettings {
        approve_answers: input.approve_answers.unwrap_or(before.approve_answers),
        moderate_first: input.moderate_first.unwrap_or(before.moderate_first),
    };
    store::feedback::set_unit_settings(
        &mut tx.conn(),
        unit,
        (after.approve_answers, after.moderate_first),
        now,
    )
    .await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![
            Change::new("feedback.settings", "org_unit", unit)
                .before(Some(serde_json::to_string(&before).unwrap_or_default()))
                .after(Some(serde_json::to_string(&after).unwrap_or_default())),
        ],
    )
    .await?;
    Ok(after)
}

/// The deadline rules per kind (public: they are the law the answers are judged by).
pub async fn kind_rules(db: &Db) -> AppResult<Vec<KindRule>> {
    let mut c = db.acquire().await?;
    store::feedback::kind_rules(&mut c.conn()).await
}

/// Administrators change the working days allowed for a kind, the appeal period or what a
/// transfer does to the clock. Items already received keep the days they were given.
pub async fn set_kind_rule(db: &Db, who: &Principal, rule: KindRule) -> AppResult<KindRule> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let mut errs = vec![];
    if Kind::parse(&rule.kind).is_none() {
        errs.push(FieldError::new("kind", "err-unknown-kind-feedback"));
    }
    for (field, v, max) in [
        ("accept_days", rule.accept_days, 30),
        ("answer_days", rule.answer_days, 120),
        ("appeal_days", rule.appeal_days, 365),
    ] {
        if !(1..=max).contains(&v) {
            errs.push(
                FieldError::new(field, "err-range")
                    .with("min", 1)
                    .with("max", max),
            );
        }
    }
    if fb::TransferClock::parse(&rule.transfer_clock).is_none() {
        errs.push(FieldError::new("transfer_clock", "err-transfer-clock"));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let before = store::feedback::kind_rule(&mut tx.conn(), &rule.kind).await?;
    store::feedback::set_kind_rule(&mut tx.conn(), &rule).await?;
    store::audit::commit(
        tx,
        &Actor::of(who),
        now,
        vec![
            Change::new("feedback.rule", "feedback_kind", rule.kind.clone())
                .before(before.map(|b| serde_json::to_string(&b).unwrap_or_default()))
                .after(Some(serde_json::to_string(&rule).unwrap_or_default())),
        ],
    )
    .await?;
    Ok(rule)
}

/// Topic categories (public).
pub async fn categories(db: &Db) -> AppResult<Vec<store::feedback::Category>> {
    let mut c = db.acquire().await?;
    store::feedback::categories(&mut c.conn()).await
}

/// Days off and make-up working days added to the built-in calendar (public): (day, kind).
pub async fn holidays(db: &Db) -> AppResult<Vec<(NaiveDate, String)>> {
    let mut c = db.acquire().await?;
    store::feedback::holidays(&mut c.conn()).await
}

/// The routing rules, retired ones included (administrators).
pub async fn routes(db: &Db, who: Option<&Principal>) -> AppResult<Vec<store::feedback::RouteRow>> {
    require(who, Action::RestructureOrg, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::feedback::route_rows(&mut c.conn()).await
}
