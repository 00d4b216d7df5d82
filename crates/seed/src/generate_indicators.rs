//! Indicator values at national scale: every commune, ward and special zone reports the
//! provincial KPI set each quarter and a monthly set of counts (most broken down by channel, sex
//! or area) each month of 2025–2026 that has begun: about 5,000,000 values at `national`.
//! Written with multi-row inserts, one transaction per period, with a progress bar.

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::generate::Scale;
use app::db::Db;
use app::error::AppResult;
use domain::indicators::{Aggregation, Direction, PeriodId, PeriodType, ValueType};
use store::audit::{Actor, Change};
use store::bulk::{self, Col};
use store::indicators::{NewIndicator, NewSet};

/// The monthly set's code.
pub const MONTHLY_SET: &str = "KPI-THANG";

/// (code, Vietnamese name, English name, breakdown labels, typical monthly count per commune).
type Monthly = (&'static str, &'static str, &'static str, &'static str, u32);

const SEX_AREA: &str = "Nam, thành thị|Nam, nông thôn|Nữ, thành thị|Nữ, nông thôn";
const CHANNEL: &str = "Trực tuyến|Trực tiếp|Bưu chính công ích";

/// Counts a commune reports every month (illustrative: the shape of real reporting, not its figures).
pub const MONTHLY: &[Monthly] = &[
    (
        "TH.HSTN",
        "Số hồ sơ thủ tục hành chính tiếp nhận",
        "Administrative files received",
        CHANNEL,
        120,
    ),
    (
        "TH.HSGQ",
        "Số hồ sơ thủ tục hành chính đã giải quyết",
        "Administrative files settled",
        "Đúng hạn|Quá hạn",
        110,
    ),
    (
        "TH.TTTT",
        "Số giao dịch thanh toán trực tuyến phí, lệ phí",
        "Online payments of fees",
        "Ngân hàng|Ví điện tử|Cổng thanh toán quốc gia",
        60,
    ),
    (
        "TH.DDDT",
        "Số tài khoản định danh điện tử được kích hoạt",
        "Electronic identity accounts activated",
        SEX_AREA,
        40,
    ),
    (
        "TH.KNS",
        "Số người dân được hướng dẫn kỹ năng số",
        "Residents coached in digital skills",
        SEX_AREA,
        50,
    ),
    (
        "TH.PAKN",
        "Số phản ánh, kiến nghị tiếp nhận",
        "Reports and recommendations received",
        "Trực tuyến|Trực tiếp|Điện thoại",
        8,
    ),
    (
        "TH.VBDI",
        "Số văn bản đi",
        "Outgoing documents",
        "Ký số|Không ký số",
        90,
    ),
    (
        "TH.VBDEN",
        "Số văn bản đến",
        "Incoming documents",
        "Điện tử|Giấy",
        150,
    ),
    (
        "TH.HOPTT",
        "Số cuộc họp trực tuyến",
        "Online meetings",
        "",
        6,
    ),
    (
        "TH.BRCD",
        "Số thuê bao băng rộng cố định phát triển mới",
        "New fixed broadband subscriptions",
        "Cáp quang|Khác",
        25,
    ),
    (
        "TH.TMDT",
        "Số hộ kinh doanh bán hàng trên sàn thương mại điện tử",
        "Household businesses selling online",
        "Thành thị|Nông thôn",
        5,
    ),
    (
        "TH.NCT",
        "Số người cao tuổi sử dụng dịch vụ công trực tuyến",
        "Older people using online public services",
        SEX_AREA,
        12,
    ),
    (
        "TH.HSTT",
        "Số học sinh tham gia học trực tuyến",
        "Pupils taking part in online learning",
        SEX_AREA,
        200,
    ),
    (
        "TH.KCB",
        "Số lượt khám chữa bệnh có sử dụng hồ sơ sức khỏe điện tử",
        "Medical visits using electronic health records",
        SEX_AREA,
        150,
    ),
    (
        "TH.BHXH",
        "Số lượt tra cứu bảo hiểm xã hội trên ứng dụng",
        "Social insurance look-ups on the app",
        SEX_AREA,
        80,
    ),
    (
        "TH.DL",
        "Số bản ghi dữ liệu dân cư được cập nhật",
        "Population records updated",
        "Khai sinh|Khai tử|Kết hôn|Thay đổi cư trú",
        30,
    ),
    (
        "TH.CAM",
        "Số camera giám sát kết nối trung tâm điều hành",
        "Surveillance cameras connected",
        "Giao thông|An ninh trật tự",
        3,
    ),
    (
        "TH.WIFI",
        "Số điểm phát wifi công cộng",
        "Public wifi hotspots",
        "Trụ sở|Nơi công cộng",
        2,
    ),
    (
        "TH.TOSO",
        "Số lượt hoạt động của tổ công nghệ số cộng đồng",
        "Activities of community digital teams",
        CHANNEL,
        10,
    ),
    (
        "TH.TIN",
        "Số tin bài trên cổng thông tin điện tử",
        "News items on the portal",
        "",
        15,
    ),
];

/// Values written, per set.
#[derive(Debug, Default)]
pub struct IndicatorVolume {
    pub quarterly: usize,
    pub monthly: usize,
}

/// The monthly set, created once.
async fn monthly_set(db: &Db) -> AppResult<(i64, Vec<(i64, Vec<String>, u32)>)> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let national = store::org::find_current_by_code(&mut c, app::indicators::NATIONAL)
        .await?
        .ok_or(app::error::AppError::NotFound)?;
    let set = match store::indicators::set_by_code(&mut c, MONTHLY_SET).await? {
        Some(s) => s.id,
        None => {
            store::indicators::insert_set(
                &mut c,
                &NewSet {
                    code: MONTHLY_SET,
                    name_vi: "Số liệu chuyển đổi số hằng tháng của cấp xã",
                    name_en: "Monthly digital transformation counts of communes",
                    name_fr: "Chiffres mensuels de la transformation numérique des communes",
                    programme_id: None,
                    owner_unit_id: national.id,
                    period_type: PeriodType::Month,
                    entry_days: 5,
                },
                now,
            )
            .await?
        }
    };
    let existing = store::indicators::list_indicators(&mut c).await?;
    let mut out = vec![];
    for (pos, (code, vi, en, labels, typical)) in MONTHLY.iter().enumerate() {
        let id = match existing.iter().find(|i| i.code == *code) {
            Some(i) => i.id,
            None => {
                store::indicators::insert_indicator(
                    &mut c,
                    &NewIndicator {
                        set_id: set,
                        code,
                        number: &(pos + 1).to_string(),
                        position: pos as i32,
                        parent_id: None,
                        name_vi: vi,
                        name_en: en,
                        name_fr: "",
                        definition: "",
                        method: "",
                        source: "Báo cáo hằng tháng của Ủy ban nhân dân cấp xã",
                        unit_of_measure: "lượt",
                        value_type: ValueType::Number,
                        direction: Direction::Higher,
                        aggregation: Aggregation::Sum,
                        disaggregations: labels,
                        responsible_unit_id: None,
                        responsible_text: "Ủy ban nhân dân cấp xã",
                        is_public: true,
                    },
                    None,
                    now,
                )
                .await?
                .id
            }
        };
        let labels: Vec<String> = if labels.is_empty() {
            vec![String::new()]
        } else {
            labels.split('|').map(str::to_string).collect()
        };
        out.push((id, labels, *typical));
    }
    store::audit::commit(
        tx,
        &Actor::system("generate"),
        now,
        vec![Change::new("indicators.create_set", "indicator_set", set)],
    )
    .await?;
    Ok((set, out))
}

/// Column buffers of `indicator_values`.
#[derive(Default)]
struct Rows {
    ind: Vec<i64>,
    unit: Vec<i64>,
    period: Vec<String>,
    dis: Vec<String>,
    value: Vec<Option<f64>>,
    num: Vec<Option<f64>>,
    den: Vec<Option<f64>>,
    comment: Vec<String>,
    source: Vec<String>,
    evidence: Vec<String>,
}

impl Rows {
    fn push(
        &mut self,
        ind: i64,
        unit: i64,
        period: &str,
        dis: &str,
        v: f64,
        ratio: Option<(f64, f64)>,
    ) {
        self.ind.push(ind);
        self.unit.push(unit);
        self.period.push(period.to_string());
        self.dis.push(dis.to_string());
        self.value.push(Some(v));
        self.num.push(ratio.map(|r| r.0));
        self.den.push(ratio.map(|r| r.1));
        self.comment.push(String::new());
        self.source.push("generate".into());
        self.evidence.push(String::new());
    }

    fn len(&self) -> usize {
        self.ind.len()
    }

    async fn write(&mut self, c: &mut store::db::DbConn<'_>) -> AppResult<()> {
        let at = vec![Utc::now(); self.len()];
        bulk::insert_columns(
            c,
            "indicator_values",
            &[
                ("indicator_id", Col::Int(&self.ind)),
                ("unit_id", Col::Int(&self.unit)),
                ("period", Col::Text(&self.period)),
                ("disaggregation", Col::Text(&self.dis)),
                ("value", Col::OptFloat(&self.value)),
                ("numerator", Col::OptFloat(&self.num)),
                ("denominator", Col::OptFloat(&self.den)),
                ("comment", Col::Text(&self.comment)),
                ("source", Col::Text(&self.source)),
                ("evidence", Col::Text(&self.evidence)),
                ("entered_at", Col::Ts(&at)),
            ],
            None,
        )
        .await?;
        *self = Rows::default();
        Ok(())
    }
}

/// Writes the values (the sets are created if missing: Annex I, the provincial KPI set, the
/// monthly set). Small scale: the communes of the first three provinces only.
pub fn generate_indicators<'a>(
    db: &'a Db,
    scale: Scale,
    progress: bool,
) -> store::BoxFuture<'a, AppResult<IndicatorVolume>> {
    Box::pin(async move {
        let actor = Actor::system("generate");
        let mut c0 = db.acquire().await?;
        let have_annex =
            store::indicators::set_by_code(&mut c0.conn(), app::indicators::builtin::ANNEX_ONE_SET)
                .await?
                .is_some();
        let have_kpi =
            store::indicators::set_by_code(&mut c0.conn(), app::indicators::builtin::PROVINCE_SET)
                .await?
                .is_some();
        let mut communes = store::bulk::current_communes(&mut c0.conn()).await?;
        drop(c0);
        if !have_annex {
            app::indicators::builtin::import_annex_one(db, &actor, false).await?;
        }
        if !have_kpi {
            app::indicators::builtin::create_province_set(db, &actor).await?;
        }
        if scale == Scale::Small {
            let mut seen = vec![];
            communes.retain(|(p, _)| {
                if !seen.contains(p) {
                    seen.push(*p);
                }
                seen.len() <= 3
            });
        }
        let (_, monthly) = monthly_set(db).await?;
        let kpis: Vec<(i64, &'static str)> = {
            let mut c = db.acquire().await?;
            let all = store::indicators::list_indicators(&mut c.conn()).await?;
            app::indicators::builtin::PROVINCE_KPIS
                .iter()
                .filter_map(|k| {
                    all.iter()
                        .find(|i| i.code == k.code)
                        .map(|i| (i.id, k.code))
                })
                .collect()
        };
        let today = domain::clock::local_date(Utc::now());
        let quarters = PeriodId::Quarter(2025, 1).through(
            PeriodId::containing(PeriodType::Quarter, today).min(PeriodId::Quarter(2026, 4)),
        );
        let months = PeriodId::Month(2025, 1)
            .through(PeriodId::containing(PeriodType::Month, today).min(PeriodId::Month(2026, 12)));
        let per_month: usize = monthly.iter().map(|(_, l, _)| l.len()).sum();
        let total = communes.len() * (quarters.len() * kpis.len() + months.len() * per_month);
        let bar = if progress {
            ProgressBar::new(total as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} indicator values {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let mut rng = StdRng::seed_from_u64(5757);
        // Each commune's level and pace, so that provinces differ and trends show.
        let pace: std::collections::HashMap<i64, (f64, f64)> = communes
            .iter()
            .map(|(_, u)| {
                (
                    *u,
                    (rng.random_range(30.0..65.0), rng.random_range(0.3..4.0)),
                )
            })
            .collect();
        let mut vol = IndicatorVolume::default();
        let mut touched = vec![];
        for (qi, q) in quarters.iter().enumerate() {
            let mut rows = Rows::default();
            let label = q.to_string();
            for (_, unit) in &communes {
                let (start, step) = pace[unit];
                for (id, code) in &kpis {
                    let (v, ratio) = match *code {
                        "KPI.KNS" => (rng.random_range(0..40) as f64, None),
                        "KPI.CKHCN" => (rng.random_range(50..3000) as f64, None),
                        _ => {
                            let den = rng.random_range(30..600) as f64;
                            let share = (start + step * qi as f64 + rng.random_range(-6.0..6.0))
                                .clamp(0.0, 100.0);
                            let num = (den * share / 100.0).round();
                            (num / den * 100.0, Some((num, den)))
                        }
                    };
                    rows.push(*id, *unit, &label, "", v, ratio);
                }
            }
            let n = rows.len();
            let mut tx = db.begin().await?;
            rows.write(&mut tx.conn()).await?;
            tx.commit().await?;
            vol.quarterly += n;
            bar.inc(n as u64);
        }
        touched.extend(
            kpis.iter()
                .flat_map(|k| quarters.iter().map(move |q| (k.0, *q))),
        );
        for (mi, m) in months.iter().enumerate() {
            let mut rows = Rows::default();
            let label = m.to_string();
            let season = 1.0 + 0.1 * ((mi % 12) as f64 / 12.0 * std::f64::consts::TAU).sin();
            for (_, unit) in &communes {
                let (start, _) = pace[unit];
                for (id, labels, typical) in &monthly {
                    for l in labels {
                        let mean = *typical as f64 * season * (start / 45.0) / labels.len() as f64;
                        let v = (mean * rng.random_range(0.5..1.5)).round().max(0.0);
                        rows.push(*id, *unit, &label, l, v, None);
                    }
                }
                if rows.len() >= 50_000 {
                    let n = rows.len();
                    let mut tx = db.begin().await?;
                    rows.write(&mut tx.conn()).await?;
                    tx.commit().await?;
                    vol.monthly += n;
                    bar.inc(n as u64);
                }
            }
            let n = rows.len();
            let mut tx = db.begin().await?;
            rows.write(&mut tx.conn()).await?;
            tx.commit().await?;
            vol.monthly += n;
            bar.inc(n as u64);
        }
        touched.extend(
            monthly
                .iter()
                .flat_map(|m| months.iter().map(move |p| (m.0, *p))),
        );
        bar.finish();
        let now = Utc::now();
        let mut tx = db.begin().await?;
        store::indicators::bump(&mut tx.conn(), &touched).await?;
        let summary = serde_json::json!({"quarterly": vol.quarterly, "monthly": vol.monthly});
        store::audit::commit(
            tx,
            &actor,
            now,
            vec![
                Change::new("indicator.generate", "indicator_values", "all")
                    .after(Some(summary.to_string())),
            ],
        )
        .await?;
        bulk::analyze(db, &["indicator_values"]).await?;
        Ok(vol)
    })
}
