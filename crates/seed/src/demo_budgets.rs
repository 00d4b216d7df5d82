//! Demo budgets: planned and disbursed amounts for the lead assignments of 03/NQ-CP in 2025
//! (mostly disbursed) and 2026 (under way), so that the budget pages and the disbursement
//! rate indicator show something on a fresh demo.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use app::error::{AppError, AppResult};
use domain::policy::Principal;
use store::db::Db;

/// Writes the budgets through the same use case as a unit would; returns how many lines.
pub fn demo_budgets<'a>(db: &'a Db, programme_id: i64) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let mut rng = StdRng::seed_from_u64(2025);
        let admin = {
            let mut c = db.acquire().await?;
            let (u, _) = store::users::get_for_login(&mut c.conn(), "admin")
                .await?
                .ok_or(AppError::Internal("demo user admin missing".into()))?;
            Principal {
                user_id: u.id,
                token_id: None,
                role: u.role,
                unit_id: u.unit_id,
                username: u.username,
            }
        };
        let leads = {
            let mut c = db.acquire().await?;
            store::tasks::lead_assignments(&mut c.conn(), programme_id).await?
        };
        let mut n = 0;
        // One assignment in three has a budget: not every task is funded separately.
        for (a, _, _) in leads.iter().filter(|(a, _, _)| a.id % 3 == 0) {
            for (year, done) in [(2025, 0.70..1.0), (2026, 0.15..0.85)] {
                let planned = rng.random_range(5..200) as f64 * 100.0;
                let disbursed = (planned * rng.random_range(done)).round();
                let input = app::budgets::BudgetInput {
                    year,
                    source: "state".into(),
                    planned: planned.to_string(),
                    disbursed: disbursed.to_string(),
                };
                app::budgets::set(db, &admin, a.id, input).await?;
                n += 1;
                if rng.random_range(0..4) == 0 {
                    let planned = rng.random_range(5..50) as f64 * 100.0;
                    let input = app::budgets::BudgetInput {
                        year,
                        source: "other".into(),
                        planned: planned.to_string(),
                        disbursed: (planned * 0.5).round().to_string(),
                    };
                    app::budgets::set(db, &admin, a.id, input).await?;
                    n += 1;
                }
            }
        }
        Ok(n)
    })
}
