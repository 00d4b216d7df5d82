//! Synthetic task monitoring volumes: the Resolution 57-NQ/TW implementation plan of every
//! province, each task cascaded to all communes of the province, with progress reports.
//!
//! `national`: 34 programmes of 60 tasks, about 201,000 assignments and 1,000,000 reports;
//! `small`: 3 tasks per programme (1/20). Task titles and groups come from Annex II of Resolution
//! 03/NQ-CP (real text); deadlines, reports and verifications are drawn from a seeded RNG so that
//! benchmark runs on the same database are repeatable.
//!
//! Rows are written with ids chosen here (max id + 1) in one transaction, many rows per
//! statement, so that children and reports can point at their parents without reading ids back.
//! The SQL (multi-row VALUES on SQLite, UNNEST of arrays on PostgreSQL) is in `store::bulk`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::generate::Scale;
use app::db::{Db, DbConn};
use app::error::{AppError, AppResult};
use app::import::annex;
use domain::FieldError;
use domain::deadline::Deadline;
use store::bulk::{self, Col};
use store::{self, audit::Actor, audit::Change};

/// Programme codes are `KH-57/<province code>`.
pub const CODE_PREFIX: &str = "KH-57/";
const SEED: u64 = 57_2024;
/// Reports speak for days up to this one: fixed, not today, so that runs are repeatable.
const REPORTS_UNTIL: NaiveDate = date(2026, 11, 20);
/// Provinces re-issued their plans after the 1 July 2025 merger; communes exist from that day.
const MERGER: NaiveDate = date(2025, 7, 1);

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid date"),
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskVolume {
    pub programmes: usize,
    pub tasks: usize,
    pub assignments: usize,
    pub reports: usize,
    /// Accepted completion claims (one `verifications` row per verified assignment).
    pub verifications: usize,
}

/// Tasks in each province's plan.
pub fn tasks_per_programme(scale: Scale) -> usize {
    match scale {
        Scale::Small => 3,
        Scale::National => 60,
    }
}

const NARRATIVES: &[&str] = &[
    "Đã ban hành kế hoạch triển khai và phân công nhiệm vụ cho các phòng, ban chuyên môn.",
    "Đã tổ chức hội nghị quán triệt, phổ biến nội dung Nghị quyết số 57-NQ/TW.",
    "Đang rà soát, đánh giá hiện trạng và xây dựng dự thảo.",
    "Đang lấy ý kiến các cơ quan, đơn vị liên quan đối với dự thảo.",
    "Đã hoàn thiện dự thảo, trình cấp có thẩm quyền xem xét, phê duyệt.",
    "Triển khai đúng tiến độ; đã bố trí kinh phí từ nguồn ngân sách địa phương.",
    "Đã triển khai thí điểm tại một số đơn vị; đang tổng hợp, đánh giá kết quả.",
    "Đã cập nhật số liệu lên hệ thống thông tin báo cáo của tỉnh.",
    "Tiến độ chậm do thiếu nhân lực có chuyên môn về chuyển đổi số.",
    "Đang phối hợp với doanh nghiệp viễn thông triển khai hạ tầng số.",
    "Đã tập huấn kỹ năng số cho cán bộ, công chức và Tổ công nghệ số cộng đồng.",
];
const CLAIM_NARRATIVE: &str = "Đã hoàn thành nhiệm vụ, đề nghị cấp trên xem xét, xác nhận.";
const RESULTS: &[&str] = &[
    "Kế hoạch đã được ban hành và gửi các cơ quan, đơn vị.",
    "Quyết định phê duyệt đề án đã được ban hành.",
    "100% cán bộ, công chức được tập huấn kỹ năng số cơ bản.",
    "Hệ thống đã được đưa vào vận hành chính thức.",
    "Báo cáo kết quả đã gửi Sở Khoa học và Công nghệ.",
];
const DIFFICULTIES: &[&str] = &[
    "Kinh phí thực hiện chưa được bố trí kịp thời.",
    "Thiếu cán bộ chuyên trách về công nghệ thông tin.",
    "Hạ tầng mạng tại một số thôn, bản còn hạn chế.",
    "Chờ hướng dẫn của các bộ, ngành Trung ương.",
];
const PROPOSALS: &[&str] = &[
    "Đề nghị Ban Chỉ đạo tỉnh xem xét bổ sung kinh phí.",
    "Đề nghị Sở Khoa học và Công nghệ hướng dẫn chi tiết tiêu chí đánh giá.",
    "Đề nghị tăng cường biên chế cho bộ phận chuyển đổi số.",
];
const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

/// One province's rows, in column buffers; written and cleared after each province.
#[derive(Default)]
struct Rows {
    doc_id: Vec<i64>,
    doc_number: Vec<String>,
    doc_type: Vec<&'static str>,
    doc_issuer: Vec<String>,
    doc_issued_on: Vec<NaiveDate>,
    doc_title: Vec<String>,

    prog_id: Vec<i64>,
    prog_code: Vec<String>,
    prog_name: Vec<String>,
    prog_document: Vec<i64>,
    prog_implements: Vec<Option<i64>>,
    prog_owner: Vec<i64>,

    group_id: Vec<i64>,
    group_programme: Vec<i64>,
    group_code: Vec<String>,
    group_title: Vec<String>,
    group_position: Vec<i32>,

    task_id: Vec<i64>,
    task_programme: Vec<i64>,
    task_group: Vec<Option<i64>>,
    task_code: Vec<String>,
    task_title: Vec<String>,
    task_result: Vec<Option<String>>,
    task_deadline_text: Vec<String>,
    task_deadline_json: Vec<String>,
    task_due: Vec<Option<NaiveDate>>,
    task_visibility: Vec<&'static str>,
    task_lead_text: Vec<&'static str>,
    task_coordinating: Vec<Option<&'static str>>,

    a_id: Vec<i64>,
    a_task: Vec<i64>,
    a_unit: Vec<i64>,
    a_parent: Vec<Option<i64>>,
    a_assigned_on: Vec<NaiveDate>,
    a_due: Vec<Option<NaiveDate>>,
    a_claimed_on: Vec<Option<NaiveDate>>,
    a_verified_on: Vec<Option<NaiveDate>>,
    a_last_report_on: Vec<Option<NaiveDate>>,
    a_last_percent: Vec<Option<i32>>,

    r_id: Vec<i64>,
    r_assignment: Vec<i64>,
    r_on: Vec<NaiveDate>,
    r_percent: Vec<i32>,
    r_narrative: Vec<&'static str>,
    r_results: Vec<Option<&'static str>>,
    r_difficulties: Vec<Option<&'static str>>,
    r_needs_steering: Vec<bool>,
    r_proposals: Vec<Option<&'static str>>,
    r_claims: Vec<bool>,
    r_author: Vec<i64>,

    v_id: Vec<i64>,
    v_assignment: Vec<i64>,
    v_report: Vec<i64>,
    v_comment: Vec<Option<&'static str>>,
    v_decided_on: Vec<NaiveDate>,
    v_decided_by: Vec<i64>,
}

impl Rows {
    /// Writes the buffers parents first, so that every foreign key finds its row.
    async fn write(&self, c: &mut DbConn<'_>, now: DateTime<Utc>) -> AppResult<()> {
        use Col::*;
        bulk::insert_columns(
            c,
            "documents",
            &[
                ("id", Int(&self.doc_id)),
                ("number", Text(&self.doc_number)),
                ("doc_type", Str(&self.doc_type)),
                ("issuer", Text(&self.doc_issuer)),
                ("issued_on", Date(&self.doc_issued_on)),
                ("title", Text(&self.doc_title)),
            ],
            Some(now),
        )
        .await?;
        bulk::insert_columns(
            c,
            "programmes",
            &[
                ("id", Int(&self.prog_id)),
                ("code", Text(&self.prog_code)),
                ("name", Text(&self.prog_name)),
                ("document_id", Int(&self.prog_document)),
                ("implements_id", OptInt(&self.prog_implements)),
                ("owner_unit_id", Int(&self.prog_owner)),
            ],
            Some(now),
        )
        .await?;
        bulk::insert_columns(
            c,
            "task_groups",
            &[
                ("id", Int(&self.group_id)),
                ("programme_id", Int(&self.group_programme)),
                ("code", Text(&self.group_code)),
                ("title", Text(&self.group_title)),
                ("position", Int4(&self.group_position)),
            ],
            None,
        )
        .await?;
        bulk::insert_columns(
            c,
            "tasks",
            &[
                ("id", Int(&self.task_id)),
                ("programme_id", Int(&self.task_programme)),
                ("group_id", OptInt(&self.task_group)),
                ("code", Text(&self.task_code)),
                ("title", Text(&self.task_title)),
                ("result_text", OptText(&self.task_result)),
                ("deadline_text", Text(&self.task_deadline_text)),
                ("deadline_json", Text(&self.task_deadline_json)),
                ("due_on", OptDate(&self.task_due)),
                ("visibility", Str(&self.task_visibility)),
                ("lead_text", Str(&self.task_lead_text)),
                ("coordinating_text", OptStr(&self.task_coordinating)),
            ],
            Some(now),
        )
        .await?;
        // Every generated assignment is a lead one: the province's own, and each commune's share.
        let leads = vec![true; self.a_id.len()];
        bulk::insert_columns(
            c,
            "assignments",
            &[
                ("id", Int(&self.a_id)),
                ("task_id", Int(&self.a_task)),
                ("unit_id", Int(&self.a_unit)),
                ("is_lead", Bool(&leads)),
                ("parent_id", OptInt(&self.a_parent)),
                ("assigned_on", Date(&self.a_assigned_on)),
                ("original_due", OptDate(&self.a_due)),
                ("claimed_on", OptDate(&self.a_claimed_on)),
                ("verified_on", OptDate(&self.a_verified_on)),
                ("last_report_on", OptDate(&self.a_last_report_on)),
                ("last_percent", OptInt4(&self.a_last_percent)),
            ],
            None,
        )
        .await?;
        bulk::insert_columns(
            c,
            "reports",
            &[
                ("id", Int(&self.r_id)),
                ("assignment_id", Int(&self.r_assignment)),
                ("reported_on", Date(&self.r_on)),
                ("percent", Int4(&self.r_percent)),
                ("narrative", Str(&self.r_narrative)),
                ("results", OptStr(&self.r_results)),
                ("difficulties", OptStr(&self.r_difficulties)),
                ("needs_steering", Bool(&self.r_needs_steering)),
                ("proposals", OptStr(&self.r_proposals)),
                ("claims_completion", Bool(&self.r_claims)),
                ("author_user_id", Int(&self.r_author)),
            ],
            Some(now),
        )
        .await?;
        let approved = vec![true; self.v_id.len()];
        bulk::insert_columns(
            c,
            "verifications",
            &[
                ("id", Int(&self.v_id)),
                ("assignment_id", Int(&self.v_assignment)),
                ("report_id", Int(&self.v_report)),
                ("approved", Bool(&approved)),
                ("comment", OptStr(&self.v_comment)),
                ("decided_on", Date(&self.v_decided_on)),
                ("decided_by", Int(&self.v_decided_by)),
            ],
            Some(now),
        )
        .await
    }

    fn clear(&mut self) {
        *self = Rows::default();
    }
}

/// Next free id of each table written.
struct Ids {
    document: i64,
    programme: i64,
    group: i64,
    task: i64,
    assignment: i64,
    report: i64,
    verification: i64,
}

const TABLES: [&str; 7] = [
    "documents",
    "programmes",
    "task_groups",
    "tasks",
    "assignments",
    "reports",
    "verifications",
];

async fn next_ids(c: &mut DbConn<'_>) -> AppResult<Ids> {
    let next = bulk::next_ids(c, &TABLES).await?;
    Ok(Ids {
        document: next[0],
        programme: next[1],
        group: next[2],
        task: next[3],
        assignment: next[4],
        report: next[5],
        verification: next[6],
    })
}

/// A deadline as provinces write them: mostly month, quarter and year ends from late 2025 to
/// 2027, a few ongoing tasks. Returns the text as written.
fn deadline_text(rng: &mut StdRng) -> String {
    let x: f64 = rng.random();
    if x < 0.07 {
        "Thường xuyên".into()
    } else if x < 0.52 {
        // Months October 2025 to December 2027.
        let k = rng.random_range(0..27);
        let (y, m) = (2025 + (9 + k) / 12, (9 + k) % 12 + 1);
        if rng.random_bool(0.2) {
            format!("Tháng {m}/{y}")
        } else {
            format!("{m}/{y}")
        }
    } else if x < 0.82 {
        // Quarters IV/2025 to IV/2027.
        let k = rng.random_range(0..9);
        let (y, q) = (2025 + (3 + k) / 4, (3 + k) % 4);
        format!("Quý {}/{y}", ROMAN[q as usize])
    } else {
        rng.random_range(2025..=2027).to_string()
    }
}

/// The reports of one assignment and what they imply for its denormalised columns.
struct Progress {
    /// (day, percent, claims completion), in order, days strictly increasing.
    reports: Vec<(NaiveDate, i32, bool)>,
    claimed_on: Option<NaiveDate>,
    verified_on: Option<NaiveDate>,
}

fn round5(x: f64) -> i32 {
    ((x / 5.0).round() * 5.0) as i32
}

fn simulate(rng: &mut StdRng, assigned_on: NaiveDate, due: Option<NaiveDate>) -> Progress {
    let none = Progress {
        reports: vec![],
        claimed_on: None,
        verified_on: None,
    };
    let mut n: i64 = rng.random_range(0..=10);
    let start = assigned_on + Duration::days(1);
    if n == 0 || start > REPORTS_UNTIL {
        return none;
    }
    let horizon = due.map_or(REPORTS_UNTIL, |d| d.min(REPORTS_UNTIL));
    // Ongoing tasks are judged per period and never claimed done.
    let claim = match due {
        None => None,
        Some(d) if d <= REPORTS_UNTIL => rng.random_bool(0.7).then(|| {
            let late_room = (REPORTS_UNTIL - d).num_days();
            if late_room > 1 && rng.random_bool(0.25) {
                // Finished after the deadline: "completed late" once verified.
                d + Duration::days(rng.random_range(1..=late_room.min(75)))
            } else {
                d - Duration::days(rng.random_range(0..30))
            }
        }),
        Some(_) => rng
            .random_bool(0.12)
            .then(|| REPORTS_UNTIL - Duration::days(rng.random_range(0..120))),
    }
    .filter(|c| *c >= start);
    let end = claim.unwrap_or(horizon);
    if end < start {
        return none;
    }
    let len = (end - start).num_days() + 1;
    n = n.min(len);
    // Final percent: 100 when claimed, else about the share of the time elapsed.
    let last = if claim.is_some() {
        100
    } else {
        let frac = match due {
            Some(d) if d > assigned_on => {
                (end - assigned_on).num_days() as f64 / (d - assigned_on).num_days() as f64
            }
            _ => 0.5,
        };
        round5(frac.min(1.0) * 90.0 + rng.random_range(-30.0..10.0)).clamp(0, 95)
    };
    let mut reports = Vec::with_capacity(n as usize);
    let mut prev = 0;
    for i in 0..n {
        // One report in each of n equal slices of the window: strictly increasing days.
        let (a, b) = (len * i / n, len * (i + 1) / n - 1);
        let is_last = i == n - 1;
        let on = if is_last && claim.is_some() {
            end
        } else {
            start + Duration::days(rng.random_range(a..=b))
        };
        let p = if is_last {
            last
        } else {
            let target = last as f64 * (i + 1) as f64 / n as f64;
            round5(target + rng.random_range(-10.0..5.0)).clamp(prev, last.min(95))
        };
        prev = p;
        reports.push((on, p, is_last && claim.is_some()));
    }
    // Most claims are verified within three weeks; the rest are still pending.
    let verified_on = claim
        .filter(|_| rng.random_bool(0.8))
        .map(|c| c + Duration::days(rng.random_range(2..=21)))
        .filter(|v| *v <= REPORTS_UNTIL);
    Progress {
        reports,
        claimed_on: claim,
        verified_on,
    }
}

struct Province {
    id: i64,
    code: String,
    name: String,
    communes: Vec<i64>,
}

async fn load_provinces(c: &mut DbConn<'_>) -> AppResult<Vec<Province>> {
    let provinces = bulk::current_provinces(c).await?;
    let communes = bulk::current_communes(c).await?;
    let mut by_parent: HashMap<i64, Vec<i64>> = HashMap::new();
    for (p, id) in communes {
        by_parent.entry(p).or_default().push(id);
    }
    Ok(provinces
        .into_iter()
        .map(|(id, code, name)| Province {
            id,
            code: code.unwrap_or_else(|| id.to_string()),
            name,
            communes: by_parent.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// The error for a second run: generating twice would duplicate every plan.
pub fn already_generated() -> AppError {
    AppError::Conflict(vec![FieldError::new("code", "err-duplicate-programme")])
}

/// Whether the plans were generated already (`KH-57/…` programmes exist).
pub fn generated<'a>(db: &'a Db) -> store::BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        let mut c = db.acquire().await?;
        bulk::generated_programmes_exist(&mut c.conn()).await
    })
}

/// Generates the plans of all 34 provinces in one transaction. Refuses (conflict) if programmes
/// with the `KH-57/` prefix exist already.
pub fn generate_tasks<'a>(
    db: &'a Db,
    scale: Scale,
    progress: bool,
) -> store::BoxFuture<'a, AppResult<TaskVolume>> {
    Box::pin(async move {
        let plan = annex::parse(app::programmes::NQ03_ANNEX);
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        if bulk::generated_programmes_exist(&mut c).await? {
            return Err(already_generated());
        }
        // Ids are chosen here: keep other writers out of these tables until commit.
        bulk::lock_tables(&mut c, &TABLES).await?;
        let provinces = load_provinces(&mut c).await?;
        if provinces.is_empty() {
            return Err(AppError::Internal(
                "no provinces: run migrations and load the hierarchy first".into(),
            ));
        }
        let implements = store::tasks::programme_by_code(&mut c, "03/NQ-CP").await?;
        let (user_of, fallback) = bulk::report_authors(&mut c).await?;
        let author = |unit: i64| user_of.get(&unit).copied().unwrap_or(fallback);
        let mut ids = next_ids(&mut c).await?;

        let per_programme = tasks_per_programme(scale).min(plan.tasks.len());
        let total: usize = provinces
            .iter()
            .map(|p| (1 + p.communes.len()) * per_programme)
            .sum();
        let bar = if progress {
            ProgressBar::new(total as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} assignments {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );

        let now = Utc::now();
        let mut rng = StdRng::seed_from_u64(SEED);
        let mut vol = TaskVolume::default();
        let mut rows = Rows::default();
        for p in &provinces {
            // The plan: issued a few weeks after the merger.
            let issued_on = MERGER + Duration::days(rng.random_range(3..45));
            let (doc, pid) = (ids.document, ids.programme);
            ids.document += 1;
            ids.programme += 1;
            let name = format!("Kế hoạch thực hiện Nghị quyết 57-NQ/TW của {}", p.name);
            rows.doc_id.push(doc);
            rows.doc_number
                .push(format!("{}/KH-UBND-{}", rng.random_range(100..400), p.code));
            rows.doc_type.push("plan");
            rows.doc_issuer.push(format!("Ủy ban nhân dân {}", p.name));
            rows.doc_issued_on.push(issued_on);
            rows.doc_title.push(name.clone());
            rows.prog_id.push(pid);
            rows.prog_code.push(format!("{CODE_PREFIX}{}", p.code));
            rows.prog_name.push(name);
            rows.prog_document.push(doc);
            rows.prog_implements.push(implements);
            rows.prog_owner.push(p.id);
            vol.programmes += 1;

            let mut group_ids = Vec::with_capacity(plan.groups.len());
            for (i, g) in plan.groups.iter().enumerate() {
                group_ids.push(ids.group);
                rows.group_id.push(ids.group);
                rows.group_programme.push(pid);
                rows.group_code.push(g.code.clone());
                rows.group_title.push(g.title.clone());
                rows.group_position.push(i as i32);
                ids.group += 1;
            }

            // A sample of the national tasks, in annex order, numbered 1..n.
            let mut picked =
                rand::seq::index::sample(&mut rng, plan.tasks.len(), per_programme).into_vec();
            picked.sort_unstable();
            for (k, &ti) in picked.iter().enumerate() {
                let t = &plan.tasks[ti];
                let tid = ids.task;
                ids.task += 1;
                let text = deadline_text(&mut rng);
                let deadline = Deadline::parse(&text);
                let due = deadline.due();
                rows.task_id.push(tid);
                rows.task_programme.push(pid);
                rows.task_group.push(group_ids.get(t.group).copied());
                rows.task_code.push((k + 1).to_string());
                rows.task_title.push(t.title.clone());
                rows.task_result
                    .push((!t.result.is_empty()).then(|| t.result.clone()));
                rows.task_deadline_json
                    .push(serde_json::to_string(&deadline).unwrap_or_default());
                rows.task_deadline_text.push(text);
                rows.task_due.push(due);
                rows.task_visibility.push(if rng.random_bool(0.9) {
                    "public"
                } else {
                    "internal"
                });
                rows.task_lead_text
                    .push("Sở Khoa học và Công nghệ; Ủy ban nhân dân các xã, phường, đặc khu");
                rows.task_coordinating
                    .push(rng.random_bool(0.6).then_some("Các sở, ban, ngành tỉnh"));
                vol.tasks += 1;

                // The province's own assignment, then one per commune, cascaded a little later.
                let lead = ids.assignment;
                let cascaded_on = issued_on + Duration::days(rng.random_range(5..30));
                let units = std::iter::once((p.id, None, issued_on))
                    .chain(p.communes.iter().map(|&u| (u, Some(lead), cascaded_on)));
                for (unit, parent, assigned_on) in units {
                    let aid = ids.assignment;
                    ids.assignment += 1;
                    let sim = simulate(&mut rng, assigned_on, due);
                    let by = author(unit);
                    for &(on, percent, claims) in &sim.reports {
                        rows.r_id.push(ids.report);
                        ids.report += 1;
                        rows.r_assignment.push(aid);
                        rows.r_on.push(on);
                        rows.r_percent.push(percent);
                        rows.r_narrative.push(if claims {
                            CLAIM_NARRATIVE
                        } else {
                            *NARRATIVES.choose(&mut rng).expect("list")
                        });
                        rows.r_results.push(if claims || rng.random_bool(0.2) {
                            RESULTS.choose(&mut rng).copied()
                        } else {
                            None
                        });
                        let stuck = percent < 50 && rng.random_bool(0.35);
                        rows.r_difficulties
                            .push(stuck.then(|| *DIFFICULTIES.choose(&mut rng).expect("list")));
                        let steer = stuck && rng.random_bool(0.3);
                        rows.r_needs_steering.push(steer);
                        rows.r_proposals
                            .push(steer.then(|| *PROPOSALS.choose(&mut rng).expect("list")));
                        rows.r_claims.push(claims);
                        rows.r_author.push(by);
                    }
                    vol.reports += sim.reports.len();
                    let last = sim.reports.last();
                    if let Some(v) = sim.verified_on {
                        rows.v_id.push(ids.verification);
                        ids.verification += 1;
                        rows.v_assignment.push(aid);
                        rows.v_report.push(ids.report - 1);
                        rows.v_comment
                            .push(rng.random_bool(0.5).then_some("Đạt yêu cầu"));
                        rows.v_decided_on.push(v);
                        // Decided by the assigning level: the province.
                        rows.v_decided_by.push(author(p.id));
                        vol.verifications += 1;
                    }
                    rows.a_id.push(aid);
                    rows.a_task.push(tid);
                    rows.a_unit.push(unit);
                    rows.a_parent.push(parent);
                    rows.a_assigned_on.push(assigned_on);
                    rows.a_due.push(due);
                    rows.a_claimed_on.push(sim.claimed_on);
                    rows.a_verified_on.push(sim.verified_on);
                    rows.a_last_report_on.push(last.map(|r| r.0));
                    rows.a_last_percent.push(last.map(|r| r.1));
                    vol.assignments += 1;
                }
            }
            rows.write(&mut c, now).await?;
            rows.clear();
            bar.set_position(vol.assignments as u64);
        }

        // Explicit ids bypassed the sequences: move them past what was written.
        bulk::advance_id_sequences(&mut c, &TABLES).await?;
        let summary = serde_json::json!({
            "scale": { "tasks_per_programme": per_programme },
            "seed": SEED,
            "programmes": vol.programmes,
            "tasks": vol.tasks,
            "assignments": vol.assignments,
            "reports": vol.reports,
            "verifications": vol.verifications,
        });
        store::audit::append(
            &mut c,
            &Actor::system("generate"),
            now,
            vec![Change {
                action: "programme.generate",
                object_type: "programme",
                object_id: format!("{CODE_PREFIX}*"),
                before: None,
                after: Some(summary.to_string()),
            }],
        )
        .await?;
        tx.commit().await?;
        // Fresh statistics, so that benchmark queries right after are planned for the new sizes.
        bulk::analyze(db, &["assignments", "reports", "tasks", "verifications"]).await?;
        bar.finish();
        Ok(vol)
    })
}
