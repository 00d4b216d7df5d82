//! Indicator values for the demo: every commune's quarterly figures of the provincial KPI set
//! since 2025 (provinces and the nation are rolled up from them), a few national figures of
//! Annex I, and submissions in each state, so that every status shows. The figures are
//! illustrative, generated from a fixed seed, and say so in their comment: not statistics.

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use app::db::Db;
use app::error::AppResult;
use app::indicators::builtin::{ANNEX_ONE_SET, PROVINCE_KPIS, PROVINCE_SET};
use domain::indicators::PeriodId;
use domain::indicators::approval::State;
use store::indicators::{NewValue, Submission};

const NOTE: &str = "Số liệu minh họa (demo)";

/// (indicator code, breakdown, [(year, value)]).
type NationalFigures = (&'static str, &'static str, &'static [(i32, f64)]);

/// One commune's value of a KPI for a quarter: (value, numerator, denominator).
fn commune_value(rng: &mut StdRng, level: f64, code: &str) -> (f64, Option<f64>, Option<f64>) {
    match code {
        "KPI.KNS" => (rng.random_range(0..30) as f64, None, None),
        "KPI.CKHCN" => (rng.random_range(50..2000) as f64, None, None),
        _ => {
            let den = rng.random_range(50..400) as f64;
            let share = (level + rng.random_range(-8.0..8.0)).clamp(0.0, 100.0);
            let num = (den * share / 100.0).round();
            (num / den * 100.0, Some(num), Some(den))
        }
    }
}

/// Values from 2025Q1 to the last quarter that ended, for every commune, written in one
/// transaction; returns how many values were written.
pub fn demo_indicators<'a>(
    db: &'a Db,
    today: chrono::NaiveDate,
) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let mut rng = StdRng::seed_from_u64(57);
        let now = Utc::now();
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let Some(set) = store::indicators::set_by_code(&mut c, PROVINCE_SET).await? else {
            return Ok(0);
        };
        let inds = store::indicators::list_indicators(&mut c).await?;
        let kpis: Vec<(i64, &str)> = PROVINCE_KPIS
            .iter()
            .filter_map(|k| {
                inds.iter()
                    .find(|i| i.code == k.code)
                    .map(|i| (i.id, k.code))
            })
            .collect();
        let last = PeriodId::containing(domain::indicators::PeriodType::Quarter, today).prev();
        let quarters = PeriodId::Quarter(2025, 1).through(last);
        let communes = store::bulk::current_communes(&mut c).await?;
        let provinces: Vec<i64> = {
            let mut p: Vec<i64> = communes.iter().map(|(p, _)| *p).collect();
            p.dedup();
            p
        };
        // Each province's starting level and pace: some ahead of the path, some behind.
        let pace: std::collections::HashMap<i64, (f64, f64)> = provinces
            .iter()
            .map(|p| {
                (
                    *p,
                    (rng.random_range(35.0..60.0), rng.random_range(0.5..4.5)),
                )
            })
            .collect();
        // One province has not reported the last quarter at all (late data), and a few communes
        // of every province have not either.
        let silent = provinces.get(7).copied();
        let mut values = vec![];
        for (province, commune) in &communes {
            let (start, step) = pace[province];
            for (qi, q) in quarters.iter().enumerate() {
                let missing =
                    *q == last && (Some(*province) == silent || rng.random_range(0..100) < 6);
                if missing {
                    continue;
                }
                for (id, code) in &kpis {
                    let offset = match *code {
                        "KPI.SHHS" => 10.0,
                        "KPI.VBKS" => 25.0,
                        "KPI.TTTT" => -12.0,
                        _ => 0.0,
                    };
                    let (value, numerator, denominator) =
                        commune_value(&mut rng, start + offset + step * qi as f64, code);
                    values.push(NewValue {
                        indicator_id: *id,
                        unit_id: *commune,
                        period: *q,
                        disaggregation: String::new(),
                        value: Some(value),
                        text_value: None,
                        numerator,
                        denominator,
                        comment: NOTE.into(),
                        source: "demo".into(),
                        evidence: String::new(),
                    });
                }
            }
        }
        // National figures of Annex I for 2024 and 2025 (illustrative).
        let national = store::org::find_current_by_code(&mut c, app::indicators::NATIONAL).await?;
        let annex: &[NationalFigures] = &[
            ("NQ03.12", "", &[(2024, 45.0), (2025, 52.0)]),
            ("NQ03.31", "", &[(2024, 20.0), (2025, 24.0)]),
            ("NQ03.11.1", "", &[(2024, 48.0), (2025, 55.0)]),
            ("NQ03.4", "Đông Nam Á", &[(2024, 5.0), (2025, 4.0)]),
            ("NQ03.4", "Thế giới", &[(2025, 71.0)]),
            ("NQ03.23.2", "", &[(2025, 9.0)]),
            ("NQ03.10", "", &[(2024, 18.3), (2025, 19.5)]),
        ];
        if let (Some(n), Some(_)) = (
            national,
            store::indicators::set_by_code(&mut c, ANNEX_ONE_SET).await?,
        ) {
            for (code, dis, pts) in annex {
                let Some(ind) = inds.iter().find(|i| i.code == *code) else {
                    continue;
                };
                for (y, v) in *pts {
                    values.push(NewValue {
                        indicator_id: ind.id,
                        unit_id: n.id,
                        period: PeriodId::Year(*y),
                        disaggregation: dis.to_string(),
                        value: Some(*v),
                        text_value: None,
                        numerator: None,
                        denominator: None,
                        comment: NOTE.into(),
                        source: "demo".into(),
                        evidence: String::new(),
                    });
                }
            }
            if let Some(ind) = inds.iter().find(|i| i.code == "NQ03.1") {
                values.push(NewValue {
                    indicator_id: ind.id,
                    unit_id: n.id,
                    period: PeriodId::Year(2025),
                    disaggregation: String::new(),
                    value: None,
                    text_value: Some("Đã ban hành các cơ chế thí điểm; một số lĩnh vực đạt trình độ khu vực (minh họa).".into()),
                    numerator: None,
                    denominator: None,
                    comment: NOTE.into(),
                    source: "demo".into(),
                    evidence: String::new(),
                });
            }
        }
        store::indicators::write_values(&mut c, &values, &[], &[], None, now).await?;
        let touched: Vec<(i64, PeriodId)> =
            values.iter().map(|v| (v.indicator_id, v.period)).collect();
        store::indicators::bump(&mut c, &touched).await?;
        // Submissions: each state once, on provinces the demo accounts work with.
        let prev = last.prev();
        for (code, period, state, reason) in [
            ("66", last, State::Submitted, ""),
            ("01", prev, State::Approved, ""),
            ("66", prev, State::Accepted, ""),
            (
                "79",
                last,
                State::Returned,
                "Số hồ sơ trực tuyến lớn hơn tổng số hồ sơ ở hai xã; đề nghị kiểm tra lại.",
            ),
        ] {
            if let Some(u) = store::org::find_current_by_code(&mut c, code).await? {
                store::indicators::put_submission(
                    &mut c,
                    &Submission {
                        set_id: set.id,
                        unit_id: u.id,
                        period,
                        state,
                        reason: reason.into(),
                        updated_by: None,
                        updated_at: now,
                    },
                )
                .await?;
            }
        }
        let n = values.len();
        store::audit::commit(
            tx,
            &store::audit::Actor::system("demo"),
            now,
            vec![
                store::audit::Change::new("indicator.demo_values", "indicator_set", set.id)
                    .after(Some(format!("{{\"values\": {n}}}"))),
            ],
        )
        .await?;
        Ok(n)
    })
}
