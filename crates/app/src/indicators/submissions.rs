//! Submitting a unit's values of a set for a period, and the approval queue.

use chrono::Utc;
use serde::Serialize;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::FieldError;
use domain::indicators::PeriodId;
use domain::indicators::approval::{self, Decider, Move, State};
use domain::policy::{self, Action, Decision, Principal, Scope};
use store::audit::{Actor, Change};
use store::indicators::Submission;
use store::org_index::Snapshot;

/// Whether `who` may make a move that `decider` decides on `unit`'s submission.
pub(crate) fn may_decide(
    snap: &Snapshot,
    who: &Principal,
    decider: Decider,
    unit: i64,
    national: i64,
) -> bool {
    let chain = snap.chain(unit);
    let allow = |a: Action, chain: &[i64]| {
        policy::authorize(Some(who), a, Scope::Unit(chain)) == Decision::Allow
    };
    match decider {
        Decider::Unit => allow(Action::EnterIndicatorData, &chain),
        Decider::Leader => allow(Action::ApproveIndicatorData, &chain),
        Decider::Above => {
            // The level that assigned the work: the unit above; for the nation, the Steering Committee.
            let above = if unit == national {
                chain.clone()
            } else {
                chain[1..].to_vec()
            };
            if unit == national || above.is_empty() {
                who.role == policy::Role::Steering || who.role == policy::Role::Administrator
            } else {
                allow(Action::AcceptIndicatorData, &above)
            }
        }
    }
}

/// Moves the submission of `set`'s values by `unit` for `period`; `reason` is required to return.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    set_id: i64,
    unit: i64,
    period: PeriodId,
    mv: Move,
    reason: &str,
) -> AppResult<Submission> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    snap.get(unit).ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let set = store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let period = super::check_period(&set, period, domain::clock::local_date(now))?;
    let before = store::indicators::submission(&mut c, set_id, unit, period).await?;
    let from = before.as_ref().map_or(State::Open, |s| s.state);
    let reason = domain::text::nfc(reason);
    if reason.chars().count() > domain::text::TEXT_MAX {
        return Err(AppError::invalid(FieldError::new("reason", "err-too-long")));
    }
    // A missing reason is bad input; a move the state does not allow is a conflict.
    let (to, decider) = approval::next(from, mv, &reason).map_err(|e| {
        if e.field == "reason" {
            AppError::Invalid(vec![e])
        } else {
            AppError::Conflict(vec![e])
        }
    })?;
    if !may_decide(&snap, who, decider, unit, national) {
        return Err(AppError::Forbidden);
    }
    // Values that break a blocking rule are corrected before they go up.
    if mv == Move::Submit {
        let inds = super::indicators_of(&mut c, set_id).await?;
        let units = super::validation::with_children(&snap, unit);
        let (found, _) =
            super::validation::findings_of_units(&mut c, &snap, set_id, &inds, &units, period)
                .await?;
        let blocking = found
            .iter()
            .filter(|f| f.importance == domain::indicators::rules::Importance::Blocking)
            .count();
        if blocking > 0 {
            return Err(AppError::Conflict(vec![
                FieldError::new("state", "err-findings-block").with("count", blocking),
            ]));
        }
    }
    let row = Submission {
        set_id,
        unit_id: unit,
        period,
        state: to,
        reason: if mv == Move::Return {
            reason
        } else {
            String::new()
        },
        updated_by: Some(who.user_id),
        updated_at: now,
    };
    store::indicators::put_submission(&mut c, &row).await?;
    let change = Change::new(
        "indicator.submission",
        "indicator_submission",
        format!("{set_id}:{unit}:{period}"),
    )
    .before(store::audit::to_json(&before));
    store::audit::commit_row(tx, &Actor::of(who), now, change, row).await
}

/// The moves `who` may make from `state` on `unit`'s submission: what the entry page offers.
pub(crate) fn moves(
    snap: &Snapshot,
    who: &Principal,
    unit: i64,
    national: i64,
    state: State,
) -> Vec<Move> {
    Move::ALL
        .into_iter()
        .filter(|m| {
            // Any reason will do to ask whether a return is possible at all.
            approval::next(state, *m, "?")
                .is_ok_and(|(_, decider)| may_decide(snap, who, decider, unit, national))
        })
        .collect()
}

/// A submission waiting for the caller, with names for the page.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Waiting {
    pub submission: Submission,
    pub set_code: String,
    pub set_name: String,
    pub unit_name: String,
    /// approve (the caller leads the unit) or accept (the caller is the level above).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub next: Move,
}

/// Submissions the caller may approve or accept, oldest first.
pub async fn queue(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
) -> AppResult<Vec<Waiting>> {
    let snap = org.snapshot(db).await?;
    let national = super::national_id(&snap)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let sets = store::indicators::list_sets(&mut c).await?;
    let mut out = vec![];
    for s in store::indicators::submissions_in(&mut c, None, &[State::Submitted, State::Approved])
        .await?
    {
        let (next, decider) = if s.state == State::Submitted {
            (Move::Approve, Decider::Leader)
        } else {
            (Move::Accept, Decider::Above)
        };
        if !may_decide(&snap, who, decider, s.unit_id, national) {
            continue;
        }
        let Some(set) = sets.iter().find(|x| x.id == s.set_id) else {
            continue;
        };
        out.push(Waiting {
            set_code: set.code.clone(),
            set_name: set.name_vi.clone(),
            unit_name: snap
                .get(s.unit_id)
                .map(|u| u.name_vi.clone())
                .unwrap_or_default(),
            submission: s,
            next,
        });
    }
    Ok(out)
}
