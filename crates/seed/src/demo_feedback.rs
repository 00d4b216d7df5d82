//! A few hundred realistic feedback items for the demo, in every state, written through the same
//! use cases as real ones (so history, clocks and audit are what the product would record).

use std::net::{IpAddr, Ipv4Addr};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::topics::Handler;
use app::db::Db;
use app::error::{AppError, AppResult};
use app::feedback::{self, Intake, MoveInput, Rating, Submission};
use domain::policy::{Principal, Role};
use store;

/// (kind, category, title, body) written the way people write to the portal.
const SAMPLES: &[(&str, &str, &str, &str)] = &[
    (
        "report",
        "public_services",
        "Không nộp được hồ sơ cấp phép xây dựng trực tuyến",
        "Từ đầu tuần, cổng dịch vụ công báo lỗi khi tải bản vẽ lên, tôi đã thử nhiều lần trên máy tính và điện thoại.",
    ),
    (
        "report",
        "digital_infrastructure",
        "Thôn vùng sâu chưa có sóng di động 4G",
        "Người dân trong thôn phải đi ra đầu xã mới gọi được điện thoại, học sinh không học trực tuyến được.",
    ),
    (
        "report",
        "data",
        "Thông tin quy hoạch trên cổng dữ liệu đã cũ",
        "Bản đồ quy hoạch sử dụng đất đăng trên cổng thông tin vẫn là bản năm 2020, chưa cập nhật sau sáp nhập.",
    ),
    (
        "recommendation",
        "institutions",
        "Đề nghị đơn giản hóa thủ tục thành lập doanh nghiệp khoa học và công nghệ",
        "Hồ sơ chứng nhận doanh nghiệp khoa học và công nghệ yêu cầu nhiều giấy tờ trùng lặp, đề nghị liên thông với đăng ký doanh nghiệp.",
    ),
    (
        "recommendation",
        "human_resources",
        "Đề nghị mở lớp kỹ năng số cho cán bộ xã sau sáp nhập",
        "Nhiều cán bộ xã mới chưa quen với phần mềm quản lý văn bản và chữ ký số, cần được hướng dẫn trực tiếp.",
    ),
    (
        "recommendation",
        "enterprises",
        "Kiến nghị hỗ trợ thử nghiệm sản phẩm AI trong khu vực công",
        "Doanh nghiệp khởi nghiệp cần cơ chế thử nghiệm có kiểm soát để triển khai trợ lý ảo tại bộ phận một cửa.",
    ),
    (
        "initiative",
        "ai",
        "Trợ lý ảo hướng dẫn thủ tục hành chính bằng tiếng Việt và tiếng dân tộc",
        "Đề xuất xây dựng trợ lý ảo trả lời câu hỏi thường gặp về thủ tục, hỗ trợ tiếng Ê Đê và tiếng M'Nông.",
    ),
    (
        "initiative",
        "digital_government",
        "Số hóa sổ hộ tịch cũ bằng nhận dạng chữ viết tay",
        "Giải pháp dùng nhận dạng chữ viết tay để số hóa sổ hộ tịch trước năm 2000, giảm thời gian tra cứu.",
    ),
    (
        "initiative",
        "investment",
        "Dùng chung máy chủ giữa các xã sau sáp nhập",
        "Đề xuất tập trung hạ tầng máy chủ của các xã về trung tâm dữ liệu tỉnh để tiết kiệm chi phí vận hành.",
    ),
    (
        "report",
        "intellectual_property",
        "Hồ sơ đăng ký sáng chế bị chậm thẩm định",
        "Hồ sơ của chúng tôi nộp từ đầu năm đến nay chưa có kết quả thẩm định hình thức.",
    ),
];

/// Writes `n` items spread over the demo's provinces and communes; returns how many.
pub fn demo_feedback<'a>(db: &'a Db, n: usize) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let mut rng = StdRng::seed_from_u64(57);
        let intake = Intake::new(
            db.clone(),
            Default::default(),
            usize::MAX,
            app::feedback::BATCH,
        );
        let dir = std::env::temp_dir();
        let units: Vec<i64> = {
            let mut c = db.acquire().await?;
            let f = store::org::ListFilter {
                kind: Some("province".into()),
                limit: 100,
                ..Default::default()
            };
            store::org::list(&mut c.conn(), &f)
                .await?
                .0
                .into_iter()
                .map(|u| u.id)
                .collect()
        };
        let account = |name: &'static str, role: Role| async move {
            let mut c = db.acquire().await?;
            let u = store::users::get_for_login(&mut c.conn(), name).await?;
            AppResult::Ok(u.map(|(u, _)| Principal {
                user_id: u.id,
                token_id: None,
                role,
                unit_id: u.unit_id,
                username: u.username,
            }))
        };
        let (Some(steering), Some(officer)) = (
            account("steering", Role::Steering).await?,
            account("daklak.officer", Role::UnitOfficer).await?,
        ) else {
            return Ok(0);
        };
        let mut agencies = std::collections::HashMap::new();
        {
            let mut c = db.acquire().await?;
            for t in crate::topics::TOPICS {
                if let Handler::Agency(code) = t.handler
                    && let Some(u) = store::org::find_current_by_code(&mut c.conn(), code).await?
                {
                    agencies.insert(code, u.id);
                }
            }
        }
        // Đắk Lắk's leader approves its answers: a few of its officer's answers wait for approval.
        unit_settings(db, officer.unit_id, (true, false)).await?;
        let mut written = 0;
        let mut ids = Vec::with_capacity(n);
        let mut first_code: Option<String> = None;
        for i in 0..n {
            let for_approval = i % 50 == 6;
            // Every other item is drawn from the generator's topics and ends up with the unit
            // that handles its topic (the Steering Committee transfers it there, as triage
            // would): the routing suggestions learn from that history.
            let topic = (i % 2 == 1 && !for_approval)
                .then(|| &crate::topics::TOPICS[(i / 2) % crate::topics::TOPICS.len()]);
            let details;
            let (kind, category, title, body) = match topic {
                Some(t) => {
                    details = format!(
                        "{} {}",
                        t.details[i % t.details.len()],
                        t.details[(i / 3 + 1) % t.details.len()]
                    );
                    (
                        ["report", "recommendation", "initiative"][(i / 2) % 3],
                        t.category,
                        t.titles[(i / 7) % t.titles.len()],
                        details.as_str(),
                    )
                }
                None => SAMPLES[i % SAMPLES.len()],
            };
            let unit = if for_approval {
                officer.unit_id
            } else {
                units[rng.random_range(0..units.len())]
            };
            let r = feedback::submit(
                db,
                &intake,
                IpAddr::V4(Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8)),
                None,
                domain::i18n::Lang::Vi,
                Submission {
                    kind: kind.into(),
                    category: category.into(),
                    title: title.into(),
                    body: body.into(),
                    unit_id: Some(unit)
                        .filter(|_| topic.is_none_or(|t| t.handler != Handler::Triage)),
                    unit: None,
                    submitter_kind: ["citizen", "business", "scientist", "organisation"][i % 4]
                        .into(),
                    name: Some(format!("Người gửi {}", i + 1)),
                    email: Some(format!("nguoi-gui-{}@example.vn", i + 1)),
                    phone: None,
                    publish_name: i % 3 == 0,
                    website: String::new(),
                    form_token: None,
                },
                vec![],
                &dir,
                1,
            )
            .await?;
            written += 1;
            let code = domain::feedback::TrackingCode::parse(&r.code)
                .ok_or_else(|| AppError::Internal(format!("not a tracking code: {}", r.code)))?;
            let id = {
                let mut c = db.acquire().await?;
                store::feedback::by_code(&mut c.conn(), &code)
                    .await?
                    .map(|x| x.id)
                    .unwrap_or(0)
            };
            let mv = |action: &str| MoveInput {
                action: action.into(),
                note: Some("Đã xem xét theo quy định".into()),
                internal: false,
                to_unit: None,
                answer: Some(
                    "Cơ quan đã tiếp thu và xử lý; kết quả được cập nhật trên cổng thông tin."
                        .into(),
                ),
                into: None,
                days: Some(5),
                category: None,
            };
            // Walk each item some way along the path, so every state shows.
            let (to_transfer, to_merge) = (i % 50 == 13, i % 50 == 21);
            let path: &[&str] = match i % 9 {
                _ if for_approval => &["accept", "start", "interim", "answer"],
                _ if to_transfer || to_merge => &[],
                0 => &[],
                1 => &["accept"],
                2 => &["accept", "assign"],
                3 => &["accept", "start", "interim"],
                4 => &["accept", "request_info"],
                5 => &["decline"],
                6 => &["accept", "start", "answer"],
                7 => &["accept", "start", "answer", "close"],
                _ => &["accept", "answer"],
            };
            let actor = if for_approval { &officer } else { &steering };
            let mut path = path;
            if let Some(Handler::Agency(code)) = topic.map(|t| t.handler)
                && path.first() == Some(&"accept")
                && let Some(agency) = agencies.get(code)
            {
                let m = MoveInput {
                    action: "transfer".into(),
                    to_unit: Some(*agency),
                    note: Some("Thuộc thẩm quyền của bộ, ngành".into()),
                    ..mv("transfer")
                };
                feedback::act(db, &steering, id, m).await?;
                feedback::act(db, &steering, id, mv("accept_transfer")).await?;
                path = &path[1..];
            }
            for a in path {
                feedback::act(db, actor, id, mv(a)).await?;
            }
            // Sent on to the competent province (which has yet to accept), or a duplicate merged.
            if to_transfer {
                let to =
                    units[(units.iter().position(|u| *u == unit).unwrap_or(0) + 1) % units.len()];
                let m = MoveInput {
                    action: "transfer".into(),
                    to_unit: Some(to),
                    note: Some("Thuộc thẩm quyền của tỉnh khác".into()),
                    ..mv("transfer")
                };
                feedback::act(db, &steering, id, m).await?;
            }
            if to_merge && let Some(first) = &first_code {
                let m = MoveInput {
                    action: "merge".into(),
                    into: Some(first.clone()),
                    note: Some("Trùng nội dung đã tiếp nhận".into()),
                    ..mv("merge")
                };
                feedback::act(db, &steering, id, m).await?;
            }
            if first_code.is_none() {
                first_code = Some(r.code.clone());
            }
            ids.push(id);
            if i % 9 == 7 || i % 9 == 8 {
                let _ = feedback::rate(
                    db,
                    &code,
                    Rating {
                        secret: r.secret.clone(),
                        rating: 1 + (i % 5) as i32,
                        comment: None,
                    },
                )
                .await;
            }
        }
        spread_over_past_months(db, &ids, &mut rng).await?;
        // From now on Đắk Lắk also reviews what is sent to it before it is shown publicly: the
        // demo's items above were published as they came.
        unit_settings(db, officer.unit_id, (true, true)).await?;
        Ok(written)
    })
}

/// A unit's feedback settings: (answers approved by the leader, moderation before publication).
async fn unit_settings(db: &Db, unit: i64, settings: (bool, bool)) -> AppResult<()> {
    let mut tx = db.begin().await?;
    store::feedback::set_unit_settings(&mut tx.conn(), unit, settings, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Everything above happened today; spread it over the last five months so that the statistics
/// show answers on time and late, and open items past their deadline. Each item keeps its place in
/// the day's sequence under its new day.
async fn spread_over_past_months(db: &Db, ids: &[i64], rng: &mut StdRng) -> AppResult<()> {
    let cal = feedback::calendar(db).await?;
    let today = domain::clock::local_date(chrono::Utc::now());
    let mut tx = db.begin().await?;
    for &id in ids {
        let Some(mut item) = store::feedback::get(&mut tx.conn(), id).await? else {
            continue;
        };
        let shift = chrono::Duration::days(rng.random_range(1..=150));
        let seq: i64 = item
            .code
            .rsplit('-')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(id);
        item.submitted_at -= shift;
        item.submitted_on -= shift;
        item.clock_from -= shift;
        item.code = domain::feedback::TrackingCode::new(item.submitted_on, seq).into_string();
        let lag = chrono::Duration::days(rng.random_range(2..=30));
        let answered = (item.submitted_on + lag).min(today);
        item.answered_on = item.answered_on.map(|_| answered);
        item.closed_on = item.closed_on.map(|_| answered);
        item.rated_on = item.rated_on.map(|_| answered);
        item.decided_on = item.decided_on.map(|_| answered);
        item.paused_since = item.paused_since.map(|d| d - shift);
        if item.deadline_on.is_some() {
            item.deadline_on = Some(feedback::deadline_of(&cal, &item));
        }
        store::feedback::update(&mut tx.conn(), &item).await?;
        store::feedback::set_submission(&mut tx.conn(), &item).await?;
        for e in store::feedback::events(&mut tx.conn(), id).await? {
            store::feedback::set_event_time(&mut tx.conn(), e.id, e.at - shift).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
