//! The demo's database catalogue: example data. Names of national databases appear only where
//! a public source names them — Annex II of Resolution 03/NQ-CP (tasks 70, 73 and 136, in
//! `data/programme-03-nq-cp/annex-2-tasks.md`); their figures are invented. The other entries
//! are labelled "ví dụ" (example). Entries pass through the same use cases as a unit's own, in
//! every review state; their quality history over the past year is written as the generator
//! writes synthetic data, then today's heartbeat goes through the use case.

use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use app::catalogue::{FiguresInput, MoveInput};
use app::error::{AppError, AppResult};
use domain::catalogue::{self as cat, DeclarationInput, Figures};
use domain::policy::Principal;
use store::db::Db;

/// One demo entry: (owner code, code, name, kind, themes, state to reach, public, providers, frequency).
struct Demo {
    owner: &'static str,
    code: &'static str,
    name: &'static str,
    name_en: &'static str,
    kind: &'static str,
    themes: &'static [&'static str],
    state: &'static str,
    public: bool,
    providers: &'static str,
    frequency: &'static str,
    source: &'static str,
    expected: i64,
}

const EXAMPLE: &str =
    "Dữ liệu ví dụ của bản trình diễn nqtrack; các số liệu không phải số liệu thật.";

const DEMO: &[Demo] = &[
    Demo {
        owner: "BCA",
        code: "CSDLQG-DANCU",
        name: "Cơ sở dữ liệu quốc gia về dân cư",
        name_en: "National population database",
        kind: "national",
        themes: &["SOCI", "GOVE"],
        state: "accepted",
        public: true,
        providers: "",
        frequency: "continuous",
        source: "Tên theo Phụ lục II Nghị quyết 03/NQ-CP, nhiệm vụ 73.",
        expected: 1_000_000,
    },
    Demo {
        owner: "BCA",
        code: "CSDL-TONGHOP",
        name: "Cơ sở dữ liệu tổng hợp quốc gia",
        name_en: "National consolidated database",
        kind: "national",
        themes: &["GOVE"],
        state: "approved",
        public: false,
        providers: "CSDLQG-DANCU",
        frequency: "daily",
        source: "Tên theo Phụ lục II Nghị quyết 03/NQ-CP, nhiệm vụ 70.",
        expected: 500_000,
    },
    Demo {
        owner: "BNG",
        code: "BNG-CHUYENGIA",
        name: "Cơ sở dữ liệu về chuyên gia, trí thức Việt Nam ở nước ngoài",
        name_en: "Database of Vietnamese experts and intellectuals abroad",
        kind: "specialised",
        themes: &["TECH", "INTR"],
        state: "declared",
        public: false,
        providers: "",
        frequency: "monthly",
        source: "Tên theo Phụ lục II Nghị quyết 03/NQ-CP, nhiệm vụ 136.",
        expected: 20_000,
    },
    Demo {
        owner: "66",
        code: "DLK-DATDAI",
        name: "Cơ sở dữ liệu đất đai tỉnh Đắk Lắk (ví dụ)",
        name_en: "Land database of Đắk Lắk (example)",
        kind: "local",
        themes: &["REGI", "ENVI"],
        state: "accepted",
        public: true,
        providers: "",
        frequency: "daily",
        source: "",
        expected: 300_000,
    },
    Demo {
        owner: "66",
        code: "DLK-MOTCUA",
        name: "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh Đắk Lắk (ví dụ)",
        name_en: "Administrative procedures system of Đắk Lắk (example)",
        kind: "system",
        themes: &["GOVE"],
        state: "accepted",
        public: true,
        providers: "CSDLQG-DANCU, DLK-DATDAI",
        frequency: "continuous",
        source: "Loại hệ thống theo Phụ lục II Nghị quyết 03/NQ-CP, nhiệm vụ 73.",
        expected: 150_000,
    },
    Demo {
        owner: "66",
        code: "DLK-WIFI",
        name: "Điểm truy cập wifi công cộng tỉnh Đắk Lắk (ví dụ)",
        name_en: "Public wifi access points of Đắk Lắk (example)",
        kind: "open_data",
        themes: &["TECH", "REGI"],
        state: "accepted",
        public: true,
        providers: "",
        frequency: "quarterly",
        source: "",
        expected: 800,
    },
    Demo {
        owner: "66",
        code: "DLK-CBCCVC",
        name: "Cơ sở dữ liệu cán bộ, công chức, viên chức tỉnh Đắk Lắk (ví dụ)",
        name_en: "Civil servants database of Đắk Lắk (example)",
        kind: "local",
        themes: &["GOVE"],
        state: "returned",
        public: false,
        providers: "CSDLQG-DANCU",
        frequency: "monthly",
        source: "",
        expected: 60_000,
    },
    Demo {
        owner: "66",
        code: "DLK-YTE",
        name: "Cơ sở dữ liệu y tế cơ sở tỉnh Đắk Lắk (ví dụ)",
        name_en: "Primary health care database of Đắk Lắk (example)",
        kind: "local",
        themes: &["HEAL"],
        state: "draft",
        public: false,
        providers: "CSDLQG-DANCU",
        frequency: "weekly",
        source: "",
        expected: 1_800_000,
    },
    Demo {
        owner: "01",
        code: "HN-GIAOTHONG",
        name: "Dữ liệu mở giao thông công cộng Hà Nội (ví dụ)",
        name_en: "Hanoi public transport open data (example)",
        kind: "open_data",
        themes: &["TRAN"],
        state: "accepted",
        public: true,
        providers: "",
        frequency: "weekly",
        source: "",
        expected: 5_000,
    },
    Demo {
        owner: "01",
        code: "HN-XAYDUNG",
        name: "Cơ sở dữ liệu cấp phép xây dựng Hà Nội (ví dụ)",
        name_en: "Hanoi building permits database (example)",
        kind: "local",
        themes: &["REGI"],
        state: "declared",
        public: false,
        providers: "CSDLQG-DANCU",
        frequency: "daily",
        source: "",
        expected: 400_000,
    },
    Demo {
        owner: "BKHCN",
        code: "BKHCN-NHIEMVU",
        name: "Cơ sở dữ liệu nhiệm vụ khoa học và công nghệ (ví dụ)",
        name_en: "Science and technology projects database (example)",
        kind: "specialised",
        themes: &["TECH"],
        state: "accepted",
        public: true,
        providers: "",
        frequency: "monthly",
        source: "",
        expected: 70_000,
    },
];

async fn principal(db: &Db, username: &str) -> AppResult<Principal> {
    let mut c = db.acquire().await?;
    let (u, _) = store::users::get_for_login(&mut c.conn(), username)
        .await?
        .ok_or_else(|| AppError::Internal(format!("demo user {username} missing")))?;
    Ok(Principal {
        user_id: u.id,
        token_id: None,
        role: u.role,
        unit_id: u.unit_id,
        username: u.username,
    })
}

/// Figures of a database `quality` (0–1) good, holding `share` of its expected records.
fn figures(rng: &mut StdRng, expected: i64, share: f64, quality: f64) -> Figures {
    let records = ((expected as f64) * share).round() as i64;
    let checked = records / 5;
    let bad = |rng: &mut StdRng, n: i64, q: f64| {
        ((n as f64) * (1.0 - q) * rng.random_range(0.5..1.0)).round() as i64
    };
    Figures {
        records: Some(records),
        checked: Some(checked),
        valid: Some(checked - bad(rng, checked, quality)),
        complete: Some(records - bad(rng, records, quality)),
        duplicates: Some(bad(rng, records, 0.5 + quality / 2.0) / 4),
        format_errors: Some(bad(rng, records, 0.5 + quality / 2.0) / 4),
    }
}

/// Writes the demo catalogue; returns how many entries.
pub fn demo_catalogue(db: &Db) -> store::BoxFuture<'_, AppResult<usize>> {
    Box::pin(async move {
        let mut rng = StdRng::seed_from_u64(2026);
        let admin = principal(db, "admin").await?;
        let steering = principal(db, "steering").await?;
        let officer = principal(db, "daklak.officer").await?;
        let leader = principal(db, "daklak.leader").await?;
        let now = Utc::now();
        for (i, d) in DEMO.iter().enumerate() {
            let owner = {
                let mut c = db.acquire().await?;
                store::org::find_current_by_code(&mut c.conn(), d.owner)
                    .await?
                    .ok_or_else(|| AppError::Internal(format!("unit {} missing", d.owner)))?
                    .id
            };
            // Đắk Lắk's entries are declared by its own people, the rest by the administrator.
            let (declarer, approver) = if d.owner == "66" {
                (&officer, &leader)
            } else {
                (&admin, &admin)
            };
            let input = DeclarationInput {
                code: d.code.into(),
                name_vi: d.name.into(),
                name_en: d.name_en.into(),
                kind: d.kind.into(),
                legal_basis: d.source.into(),
                purpose: EXAMPLE.into(),
                themes: d.themes.iter().map(|t| t.to_string()).collect(),
                data_subjects: "Công dân, tổ chức".into(),
                dictionary: "ma_ban_ghi | code | Mã bản ghi | none | *\nso_dinh_danh | code | Số định danh cá nhân | personal_id | *\nma_don_vi_hanh_chinh | code | Mã đơn vị hành chính | admin_unit | *\nngay_cap_nhat | date | Ngày cập nhật".into(),
                expected_population: Some(d.expected),
                frequency: d.frequency.into(),
                lifecycle: "operating".into(),
                hosting: if d.kind == "national" { "national_centre" } else { "unit_centre" }.into(),
                security_level: if d.kind == "national" { 4 } else { 2 + (i as i32 % 2) },
                exchange_connected: d.state == "accepted" && d.kind != "open_data",
                services: format!("https://lgsp.example.vn/{}/v1", d.code.to_lowercase()),
                contact: "Phòng Chuyển đổi số (ví dụ)".into(),
                access_url: if d.public { format!("https://dulieu.example.vn/{}", d.code.to_lowercase()) } else { String::new() },
                is_public: d.public,
                providers: d.providers.into(),
                ..Default::default()
            };
            let row = app::catalogue::create(db, declarer, owner, &input).await?;
            let id = row.id;
            let step = |m: &str, reason: &str| MoveInput {
                step: m.into(),
                reason: reason.into(),
            };
            let path: &[(&Principal, &str, &str)] = match d.state {
                "declared" => &[(declarer, "declare", "")],
                "approved" => &[(declarer, "declare", ""), (approver, "approve", "")],
                "returned" => &[
                    (declarer, "declare", ""),
                    (approver, "approve", ""),
                    (
                        &steering,
                        "return",
                        "Chưa nêu căn cứ pháp lý và từ điển dữ liệu chưa đủ trường bắt buộc.",
                    ),
                ],
                "accepted" => &[
                    (declarer, "declare", ""),
                    (approver, "approve", ""),
                    (&steering, "accept", ""),
                ],
                _ => &[],
            };
            for (who, m, reason) in path {
                app::catalogue::move_entry(db, who, id, &step(m, reason)).await?;
            }
            if d.state == "draft" {
                continue;
            }
            // A year of measurements (one per frequency period, at most weekly), then today's heartbeat.
            let quality = rng.random_range(0.78..0.99);
            let freq = cat::Frequency::parse(d.frequency).unwrap_or(cat::Frequency::Monthly);
            let step_days = freq.days().clamp(7, 92);
            let mut t = now - Duration::days(365);
            let mut share: f64 = rng.random_range(0.55..0.75);
            let mut tx = db.begin().await?;
            while t < now - Duration::days(step_days) {
                share = (share + rng.random_range(0.0..0.02)).min(1.0);
                let f = figures(&mut rng, d.expected, share, quality);
                // Some entries fell silent for a while: their "live" dips.
                let last = if i % 3 == 0
                    && t > now - Duration::days(120)
                    && t < now - Duration::days(60)
                {
                    t - Duration::days(step_days * 2)
                } else {
                    t
                };
                let q = cat::quality(&f, Some(d.expected), freq, Some(last), t);
                store::catalogue::measure(
                    &mut tx.conn(),
                    id,
                    "heartbeat",
                    &f,
                    &q,
                    Some(last),
                    true,
                    t,
                )
                .await?;
                t += Duration::days(step_days);
            }
            tx.commit().await?;
            let f = figures(&mut rng, d.expected, share, quality);
            app::catalogue::report(
                db,
                declarer,
                id,
                &FiguresInput {
                    figures: f,
                    updated_at: None,
                },
                true,
            )
            .await?;
        }
        Ok(DEMO.len())
    })
}
