//! Targets per unit: the level that assigned the work breaks a target down to the units below
//! it (approved at once); a unit proposes its own, which the assigning level approves or
//! rejects. Until approved a proposal judges nothing: the unit is judged by the nearest
//! approved target above it.

use chrono::Utc;
use serde::Deserialize;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::approval::{self, Decider};
use domain::indicators::measure::Trajectory;
use domain::indicators::target::{self, Stated};
use domain::indicators::{PeriodId, read_number};
use domain::policy::Principal;
use store::audit::{Actor, Change};
use store::indicators::{NewTarget, TargetRow};

/// A target as its author writes it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = IndicatorTargetInput))]
pub struct TargetInput {
    pub unit: i64,
    /// A DHIS2 period, usually a year ("2030").
    pub period: String,
    /// target (default), baseline or milestone.
    #[serde(default)]
    pub kind: String,
    /// A target as programmes write it ("≥ 65", "40 - 50", "100%"); a baseline's figure; a
    /// milestone's words.
    pub value: String,
    /// The breakdown ("" for the total).
    #[serde(default)]
    pub disaggregation: String,
    /// linear (default) or stepwise: how the path runs from the baseline.
    #[serde(default)]
    pub trajectory: String,
    #[serde(default)]
    pub note: String,
}

/// Sets or proposes a target of `indicator` for a unit: approved when the caller is the level
/// that assigned the unit's work, proposed when the caller is the unit itself.
pub async fn set(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    indicator_id: i64,
    input: TargetInput,
) -> AppResult<TargetRow> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    snap.get(input.unit)
        .filter(|u| u.valid_to.is_none())
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let ind = store::indicators::get_indicator(&mut c, indicator_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Whose it is to set comes first: a caller with no say learns nothing from the checks.
    let assigns = super::submissions::may_decide(&snap, who, Decider::Above, input.unit, national);
    let proposes = super::submissions::may_decide(&snap, who, Decider::Unit, input.unit, national);
    if !assigns && !proposes {
        return Err(AppError::Forbidden);
    }
    let mut errs = vec![];
    let period = PeriodId::parse(input.period.trim());
    if period.is_none() {
        errs.push(FieldError::new("period", "err-period").with("period", input.period.trim()));
    }
    if !ind.breakdown().contains(&input.disaggregation.as_str()) {
        errs.push(FieldError::new("disaggregation", "err-no-such-breakdown"));
    }
    let kind = match input.kind.trim() {
        "" | "target" => "target",
        "baseline" => "baseline",
        "milestone" => "milestone",
        _ => {
            errs.push(FieldError::new("kind", "err-choice"));
            "target"
        }
    };
    let trajectory = match input.trajectory.trim() {
        "" => Some(Trajectory::Linear),
        t => Trajectory::parse(t),
    };
    if trajectory.is_none() {
        errs.push(FieldError::new("trajectory", "err-choice"));
    }
    let written = domain::text::nfc(input.value.trim());
    let note = domain::text::nfc(input.note.trim());
    if written.chars().count() > 500 || note.chars().count() > domain::text::TEXT_MAX {
        errs.push(FieldError::new("value", "err-too-long"));
    }
    // (comparator, value, upper, note)
    let figure = match kind {
        "target" => match target::parse(&written) {
            Stated::Figures { targets } if targets.len() == 1 => {
                let t = &targets[0];
                Some((Some(t.comparator), Some(t.value), t.upper))
            }
            _ => {
                errs.push(FieldError::new("value", "err-target-text"));
                None
            }
        },
        "baseline" => match read_number(&written) {
            Some(v) => Some((None, Some(v), None)),
            None => {
                errs.push(FieldError::new("value", "err-number"));
                None
            }
        },
        _ if written.is_empty() => {
            errs.push(FieldError::new("value", "err-required"));
            None
        }
        _ => Some((None, None, None)),
    };
    // Figures a spreadsheet can hold: no infinities, nothing beyond a trillion.
    let sane = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v.abs() < 1e12);
    if let Some((_, v, u)) = figure
        && !(sane(v) && sane(u))
    {
        errs.push(FieldError::new("value", "err-number"));
    }
    let (Some(period), Some(trajectory), Some((comparator, value, upper)), true) =
        (period, trajectory, figure, errs.is_empty())
    else {
        return Err(AppError::Invalid(errs));
    };
    let new = NewTarget {
        indicator_id,
        unit_id: input.unit,
        disaggregation: &input.disaggregation,
        period,
        kind,
        comparator,
        value,
        upper,
        note: &note,
        written: &written,
        trajectory,
        state: "approved",
    };
    let before = store::indicators::target_by_key(&mut c, &new).await?;
    let approved_exists = before.as_ref().is_some_and(|t| t.state == "approved");
    let state = match approval::target_state(assigns, proposes, approved_exists) {
        Ok(s) => s,
        Err(Some(code)) => return Err(AppError::Conflict(vec![FieldError::new("value", code)])),
        Err(None) => return Err(AppError::Forbidden),
    };
    let id = store::indicators::put_target(&mut c, &NewTarget { state, ..new }).await?;
    let row = store::indicators::get_target(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = if state == "approved" {
        "indicator.target.set"
    } else {
        "indicator.target.propose"
    };
    let change = Change::new(action, "indicator_target", id.to_string())
        .before(store::audit::to_json(&before));
    store::audit::commit_row(tx, &Actor::of(who), now, change, row).await
}

/// Approves or rejects (removes) a proposed target; the assigning level decides.
pub async fn decide(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    target_id: i64,
    approve: bool,
    reason: &str,
) -> AppResult<Option<TargetRow>> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let t = store::indicators::get_target(&mut c, target_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !super::submissions::may_decide(&snap, who, Decider::Above, t.unit_id, national) {
        return Err(AppError::Forbidden);
    }
    if t.state != "proposed" {
        return Err(AppError::Conflict(vec![FieldError::new(
            "state",
            "err-target-not-proposed",
        )]));
    }
    let reason = domain::text::nfc(reason.trim());
    if !approve && reason.is_empty() {
        return Err(AppError::invalid(FieldError::new("reason", "err-required")));
    }
    let before = store::audit::to_json(&Some(&t));
    if approve {
        store::indicators::set_target_state(&mut c, target_id, "approved").await?;
        let row = store::indicators::get_target(&mut c, target_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let change = Change::new(
            "indicator.target.approve",
            "indicator_target",
            target_id.to_string(),
        )
        .before(before);
        Ok(Some(
            store::audit::commit_row(tx, &Actor::of(who), now, change, row).await?,
        ))
    } else {
        store::indicators::delete_target(&mut c, target_id).await?;
        let change = Change::new(
            "indicator.target.reject",
            "indicator_target",
            target_id.to_string(),
        )
        .before(before)
        .after(Some(serde_json::json!({ "reason": reason }).to_string()));
        store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
        Ok(None)
    }
}

/// A proposal waiting for the caller, with names for the page.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TargetProposal))]
pub struct Proposal {
    pub target: TargetRow,
    pub indicator_code: String,
    pub indicator_name: String,
    pub unit_name: String,
}

/// The proposed targets the caller may decide (as the level that assigned the unit's work).
pub async fn proposals(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
) -> AppResult<Vec<Proposal>> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut out = vec![];
    for t in store::indicators::proposed_targets(&mut c).await? {
        if !super::submissions::may_decide(&snap, who, Decider::Above, t.unit_id, national) {
            continue;
        }
        let Some(ind) = store::indicators::get_indicator(&mut c, t.indicator_id).await? else {
            continue;
        };
        out.push(Proposal {
            indicator_code: ind.code,
            indicator_name: ind.name_vi,
            unit_name: snap
                .get(t.unit_id)
                .map(|u| u.name_vi.clone())
                .unwrap_or_default(),
            target: t,
        });
    }
    Ok(out)
}

/// What `who` may do with `unit`'s targets: Some("approved") to set them, Some("proposed") to
/// propose them, None neither (pages offer the form accordingly).
pub async fn may_set(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    unit: i64,
) -> AppResult<Option<&'static str>> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    let assigns = super::submissions::may_decide(&snap, who, Decider::Above, unit, national);
    let proposes = super::submissions::may_decide(&snap, who, Decider::Unit, unit, national);
    Ok(approval::target_state(assigns, proposes, false).ok())
}
