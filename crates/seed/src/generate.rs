//! Synthetic but realistic volumes on top of the real hierarchy, for benchmarks.
//!
//! `national`: 20,000 users spread like a real deployment (focal points in every commune, teams
//! in provinces and ministries). All generated users share one password hash, computed once:
//! hashing 20,000 passwords with argon2 would take minutes and measure nothing of interest.

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

use app::db::Db;
use app::error::{AppError, AppResult};
use domain::policy::Role;
use store::audit::{Actor, Change};
use store::org::ListFilter;
use store::{self, users::NewUser};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    Small,
    National,
}

impl Scale {
    pub fn users(self) -> usize {
        match self {
            Scale::Small => 2_000,
            Scale::National => 20_000,
        }
    }
}

pub const GENERATED_PASSWORD: &str = "generated-user-pw";

/// Which units get users, in proportion: every commune-level unit, province and agency.
async fn target_units(db: &Db) -> AppResult<Vec<(i64, Role, String)>> {
    let mut c = db.acquire().await?;
    let mut out = vec![];
    for (kind, role) in [
        ("commune", Role::UnitOfficer),
        ("ward", Role::UnitOfficer),
        ("special_zone", Role::UnitOfficer),
        ("province", Role::UnitLeader),
        ("central_agency", Role::UnitOfficer),
        ("party_agency", Role::UnitOfficer),
    ] {
        let f = ListFilter {
            kind: Some(kind.into()),
            limit: 10_000,
            ..Default::default()
        };
        let (units, _) = store::org::list(&mut c.conn(), &f).await?;
        out.extend(units.into_iter().map(|u| {
            (
                u.id,
                role,
                u.code.unwrap_or_else(|| u.id.to_string()).to_lowercase(),
            )
        }));
    }
    Ok(out)
}

/// Creates `scale.users()` accounts (usernames `gen.<unit code>.<n>`), in batches of 500, each
/// batch one transaction with its audit records. Returns the number created.
pub fn generate<'a>(
    db: &'a Db,
    scale: Scale,
    progress: bool,
) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let units = target_units(db).await?;
        if units.is_empty() {
            return Err(AppError::Internal(
                "no units: run migrations and load the hierarchy first".into(),
            ));
        }
        let total = scale.users();
        let hash = app::auth::hash_password(GENERATED_PASSWORD.into()).await?;
        let run = app::auth::random_token()[..6].to_string();
        let bar = if progress {
            ProgressBar::new(total as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} users {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let actor = Actor::system("generate");
        let mut made = 0;
        while made < total {
            let n = (total - made).min(500);
            let now = Utc::now();
            let batch: Vec<NewUser> = (made..made + n)
                .map(|i| {
                    let (unit_id, role, code) = &units[i % units.len()];
                    NewUser {
                        username: format!("gen.{run}.{code}.{i}"),
                        display_name: format!("Cán bộ {i}"),
                        email: None,
                        unit_id: *unit_id,
                        role: *role,
                        password_hash: Some(hash.clone()),
                    }
                })
                .collect();
            let mut tx = db.begin().await?;
            store::users::insert_many(&mut tx.conn(), &batch, now).await?;
            let changes = batch
            .iter()
            .map(|u| Change::new("user.create", "user", u.username.clone()).after(Some(serde_json::json!({ "username": u.username, "role": u.role, "unit_id": u.unit_id }).to_string())))
            .collect();
            store::audit::append(&mut tx.conn(), &actor, now, changes).await?;
            tx.commit().await?;
            made += n;
            bar.set_position(made as u64);
        }
        bar.finish();
        // Without statistics, PostgreSQL planned an officer's list of accounts as a walk of
        // every username (70 ms instead of 1 ms) until the next analyse.
        store::bulk::analyze(db, &["users", "audit_log", "org_units", "org_closure"]).await?;
        Ok(made)
    })
}
