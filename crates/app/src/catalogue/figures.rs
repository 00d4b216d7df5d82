//! An entry's figures, declared by its unit or reported by its system's heartbeat. Heartbeats
//! come from cron jobs, many at a time: they are written in shared transactions (group commit),
//! each acknowledged only after the commit that holds it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::entry_for;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::group_commit::{BatchWrite, GroupCommit};
use domain::FieldError;
use domain::catalogue::{self as cat, Figures, Quality};
use domain::policy::{Action, Principal};
use store::audit::{Actor, Change};

/// Figures about an entry's records, from its unit's form or its system's heartbeat.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiguresInput {
    #[serde(flatten)]
    pub figures: Figures,
    /// When the data last changed (default: now). Not in the future.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a heartbeat or a declaration of figures gave.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measured {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub quality: Quality,
}

/// Most heartbeats one transaction stores.
const BATCH: usize = 256;

/// The heartbeats' writer (one per server).
pub struct Heartbeats(GroupCommit<Writer>);

impl Heartbeats {
    pub fn new(db: Db) -> Self {
        Heartbeats(GroupCommit::new(Writer(db), BATCH))
    }
}

/// Figures checked, waiting to be written.
pub struct Report {
    who: Principal,
    id: i64,
    figures: Figures,
    updated_at: Option<DateTime<Utc>>,
    heartbeat: bool,
}

pub struct Writer(Db);

impl BatchWrite for Writer {
    type Item = Report;
    type Out = Measured;
    fn write<'a>(
        &'a self,
        batch: &'a mut [Report],
    ) -> impl std::future::Future<Output = AppResult<Vec<AppResult<Measured>>>> + Send + 'a {
        write(&self.0, batch)
    }
}

impl Heartbeats {
    /// A system's heartbeat (with an API token of the owning unit), written in a shared
    /// transaction and answered after its commit.
    pub async fn report(
        &self,
        who: &Principal,
        id: i64,
        input: &FiguresInput,
    ) -> AppResult<Measured> {
        self.0.submit(checked(who, id, input, true)?).await
    }
}

/// Records figures for an entry in a transaction of its own: declared by its unit, or reported
/// by its system (`heartbeat`). Bad figures write nothing.
pub async fn report(
    db: &Db,
    who: &Principal,
    id: i64,
    input: &FiguresInput,
    heartbeat: bool,
) -> AppResult<Measured> {
    write(db, &mut [checked(who, id, input, heartbeat)?])
        .await?
        .remove(0)
}

fn checked(who: &Principal, id: i64, input: &FiguresInput, heartbeat: bool) -> AppResult<Report> {
    input.figures.check().map_err(AppError::Invalid)?;
    // Before 1970 is no update time a system reports (and beyond what every backend stores).
    if input.updated_at.is_some_and(|t| t.timestamp() < 0) {
        return Err(AppError::invalid(FieldError::new("updated_at", "err-date")));
    }
    if input
        .updated_at
        .is_some_and(|t| t > Utc::now() + Duration::minutes(5))
    {
        return Err(AppError::invalid(FieldError::new(
            "updated_at",
            "err-future",
        )));
    }
    Ok(Report {
        who: who.clone(),
        id,
        figures: input.figures,
        updated_at: input.updated_at,
        heartbeat,
    })
}

/// One transaction for the batch. An entry the caller may not report on is refused alone; a
/// database error fails the whole batch (nothing written).
async fn write(db: &Db, batch: &mut [Report]) -> AppResult<Vec<AppResult<Measured>>> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    let mut audit: Vec<(Actor, Vec<Change>)> = vec![];
    for r in batch.iter() {
        let mut c = tx.conn();
        let e = match entry_for(&mut c, &r.who, r.id, |_| Action::DeclareCatalogue).await {
            Ok(e) => e,
            Err(e @ (AppError::NotFound | AppError::Forbidden | AppError::Unauthorized)) => {
                out.push(Err(e));
                continue;
            }
            Err(e) => return Err(e),
        };
        let last = Some(r.updated_at.unwrap_or(now));
        let q = cat::quality(&r.figures, e.expected_population, e.frequency, last, now);
        let source = if r.heartbeat { "heartbeat" } else { "declared" };
        store::catalogue::measure(&mut c, r.id, source, &r.figures, &q, last, r.heartbeat, now)
            .await?;
        let action = if r.heartbeat {
            "catalogue.heartbeat"
        } else {
            "catalogue.figures"
        };
        let change =
            Change::new(action, "catalogue_entry", r.id).after(store::audit::to_json(&r.figures));
        let actor = Actor::of(&r.who);
        match audit.iter_mut().find(|(a, _)| a.label == actor.label) {
            Some((_, v)) => v.push(change),
            None => audit.push((actor, vec![change])),
        }
        out.push(Ok(Measured {
            id: r.id,
            at: now,
            quality: q,
        }));
    }
    store::audit::commit_batch(tx, now, audit).await?;
    Ok(out)
}
