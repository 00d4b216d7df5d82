//! `generate --scale national` adds 1,000,000 feedback items across units and the years 2025–2026
//! (small: 50,000), in every state, for the feedback benchmarks. Bulk-written like the tasks.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use super::generate::Scale;
use app::db::Db;
use app::error::AppResult;
use domain::workdays::Calendar;
use store::audit::{Actor, Change};
use store::bulk::{self, Col};

pub fn items(scale: Scale) -> usize {
    match scale {
        Scale::Small => 50_000,
        Scale::National => 1_000_000,
    }
}

const KINDS: [&str; 3] = ["report", "recommendation", "initiative"];
const CATEGORIES: [&str; 12] = [
    "awareness",
    "institutions",
    "investment",
    "human_resources",
    "digital_government",
    "enterprises",
    "international",
    "public_services",
    "digital_infrastructure",
    "data",
    "ai",
    "intellectual_property",
];
const TITLES: [&str; 6] = [
    "Cổng dịch vụ công báo lỗi khi nộp hồ sơ",
    "Khu dân cư chưa có sóng di động ổn định",
    "Đề nghị công khai dữ liệu quy hoạch",
    "Kiến nghị đơn giản hóa thủ tục chứng nhận doanh nghiệp khoa học",
    "Sáng kiến trợ lý ảo hỗ trợ thủ tục hành chính",
    "Đề nghị đào tạo kỹ năng số cho cán bộ cơ sở",
];

/// Writes the items in batches (one transaction); returns how many.
pub fn generate_feedback<'a>(
    db: &'a Db,
    scale: Scale,
    progress: bool,
) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let n = items(scale);
        let cal = Calendar::builtin();
        let mut rng = StdRng::seed_from_u64(311);
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let units = bulk::feedback_units(&mut c).await?;
        let first = bulk::max_feedback_id(&mut c).await? + 1;
        let bar = if progress {
            let b = ProgressBar::new(n as u64);
            b.set_style(
                ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
                    .expect("template"),
            );
            b.set_message("feedback");
            b
        } else {
            ProgressBar::hidden()
        };
        let start = NaiveDate::from_ymd_opt(2025, 1, 2).expect("date");
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        let span = (today - start).num_days();
        // The secret of generated items is their code: benchmarks can open the private view.
        let mut day_seq: std::collections::HashMap<NaiveDate, i64> = Default::default();
        const BATCH: usize = 50_000;
        let mut done = 0;
        while done < n {
            let m = BATCH.min(n - done);
            let mut ids = Vec::with_capacity(m);
            let (mut code, mut secret, mut kind, mut cat) = (vec![], vec![], vec![], vec![]);
            let (mut title, mut body, mut unit, mut state) = (vec![], vec![], vec![], vec![]);
            let (mut at, mut on, mut deadline) = (vec![], vec![], vec![]);
            let (mut answer, mut answered, mut rating, mut rated) =
                (vec![], vec![], vec![], vec![]);
            let mut allowed = vec![];
            let mut submitter = vec![];
            for i in 0..m {
                let id = first + (done + i) as i64;
                let day = start + Duration::days(rng.random_range(0..=span));
                let seq = day_seq.entry(day).or_insert(0);
                *seq += 1;
                let c = domain::feedback::TrackingCode::new(day, *seq).into_string();
                secret.push(hex::encode(Sha256::digest(c.as_bytes())));
                code.push(c);
                ids.push(id);
                kind.push(KINDS[rng.random_range(0..3)]);
                cat.push(CATEGORIES[rng.random_range(0..CATEGORIES.len())]);
                let t = TITLES[rng.random_range(0..TITLES.len())];
                title.push(t.to_string());
                body.push(format!(
                    "{t}. Nội dung chi tiết của phản ánh số {id}, gửi qua cổng tiếp nhận."
                ));
                unit.push(units[rng.random_range(0..units.len())]);
                submitter.push(
                    ["citizen", "business", "scientist", "organisation"][rng.random_range(0..4)],
                );
                let due = cal.add_working_days(day, 15);
                at.push(Utc.from_utc_datetime(&day.and_hms_opt(8, 0, 0).expect("time")));
                on.push(day);
                deadline.push(due);
                allowed.push(15);
                // Older items are mostly answered, a share of them late; recent ones still open.
                let age = (today - day).num_days();
                let roll: f64 = rng.random();
                let (st, ans) = if age > 40 && roll < 0.85 || age > 10 && roll < 0.5 {
                    let took = if rng.random_bool(0.8) {
                        rng.random_range(1..=15)
                    } else {
                        rng.random_range(16..=40)
                    };
                    let a = cal.add_working_days(day, took).min(today);
                    (
                        if rng.random_bool(0.5) {
                            "closed"
                        } else {
                            "answered"
                        },
                        Some(a),
                    )
                } else {
                    (
                        ["received", "accepted", "assigned", "in_progress"][rng.random_range(0..4)],
                        None,
                    )
                };
                state.push(st);
                answer
                    .push(ans.map(|_| "Cơ quan đã tiếp thu và trả lời theo quy định.".to_string()));
                answered.push(ans);
                let r = ans
                    .filter(|_| rng.random_bool(0.6))
                    .map(|_| rng.random_range(1..=5));
                rating.push(r);
                rated.push(r.and(ans));
            }
            bulk::insert_columns(
                &mut c,
                "feedback_items",
                &[
                    ("id", Col::Int(&ids)),
                    ("code", Col::Text(&code)),
                    ("secret_hash", Col::Text(&secret)),
                    ("kind", Col::Str(&kind)),
                    ("category", Col::Str(&cat)),
                    ("title", Col::Text(&title)),
                    ("body", Col::Text(&body)),
                    ("public_title", Col::Text(&title)),
                    ("public_body", Col::Text(&body)),
                    ("unit_id", Col::Int(&unit)),
                    ("concerned_unit_id", Col::Int(&unit)),
                    ("state", Col::Str(&state)),
                    ("submitter_kind", Col::Str(&submitter)),
                    ("submitted_at", Col::Ts(&at)),
                    ("submitted_on", Col::Date(&on)),
                    ("clock_from", Col::Date(&on)),
                    ("allowed_days", Col::Int4(&allowed)),
                    ("deadline_on", Col::Date(&deadline)),
                    ("answer", Col::OptText(&answer)),
                    ("answered_on", Col::OptDate(&answered)),
                    ("rating", Col::OptInt4(&rating)),
                    ("rated_on", Col::OptDate(&rated)),
                ],
                None,
            )
            .await?;
            done += m;
            bar.set_position(done as u64);
        }
        // The day counters continue after the generated codes.
        bulk::set_feedback_counters(&mut c, &day_seq).await?;
        bulk::advance_id_sequences(&mut c, &["feedback_items"]).await?;
        store::audit::append(
            &mut c,
            &Actor::system("generate"),
            Utc::now(),
            vec![Change {
                action: "feedback.generate",
                object_type: "feedback",
                object_id: "*".into(),
                before: None,
                after: Some(serde_json::json!({ "items": n }).to_string()),
            }],
        )
        .await?;
        tx.commit().await?;
        bar.finish_and_clear();
        bulk::analyze(db, &["feedback_items"]).await?;
        Ok(n)
    })
}
