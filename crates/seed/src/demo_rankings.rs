//! The demo's ranking methods, one per peer group, in the spirit of the DTI's pillars but
//! computed from the platform's own data; clearly the project's example, not an official
//! method. Each is approved and published as version 1; the demo then computes and publishes
//! editions so that the ranking pages show something on a fresh demo.

use app::error::{AppError, AppResult};
use chrono::Datelike;
use domain::policy::Principal;
use domain::ranking::method::{
    Aggregation, Better, Grade, Item, Measure, Method, Missing, Names, Node, Normalisation,
};
use store::db::Db;
use store::org_index::OrgIndex;

fn names(vi: &str, en: &str, fr: &str) -> Names {
    Names {
        vi: vi.into(),
        en: en.into(),
        fr: fr.into(),
    }
}

fn measure(
    code: &str,
    n: Names,
    weight: f64,
    source: &str,
    better: Better,
    goal: (f64, f64),
    missing: Missing,
) -> Item {
    Item::Measure(Measure {
        code: code.into(),
        name: n,
        weight,
        source: source.into(),
        better,
        normalisation: Normalisation::Goalposts {
            worst: goal.0,
            best: goal.1,
        },
        missing,
    })
}

fn pillar(code: &str, n: Names, weight: f64, children: Vec<Item>) -> Item {
    Item::Node(Node {
        code: code.into(),
        name: n,
        weight,
        aggregation: Aggregation::Arithmetic,
        children,
    })
}

/// The example method: work against deadlines, service to citizens, the unit's databases in the
/// catalogue, and (with `inspection`) an inspector's findings; 1,000 points as the DTI counts; grades as Regulation 366-QĐ/TW bands
/// them on 100 points.
pub fn example_method(inspection: bool) -> Method {
    let work = pillar(
        "work",
        names(
            "Thực hiện nhiệm vụ",
            "Carrying out tasks",
            "Exécution des tâches",
        ),
        if inspection { 40.0 } else { 50.0 },
        vec![
            measure(
                "on_time",
                names(
                    "Hoàn thành đúng hạn",
                    "Completed on time",
                    "Achevées à temps",
                ),
                40.0,
                "tasks.on_time",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
            measure(
                "overdue",
                names(
                    "Quá hạn theo mức độ trễ",
                    "Overdue, weighted by lateness",
                    "En retard, pondéré par le retard",
                ),
                20.0,
                "tasks.overdue_weighted",
                Better::Lower,
                (2.0, 0.0),
                Missing::Exclude,
            ),
            measure(
                "verified",
                names(
                    "Hoàn thành được xác nhận",
                    "Completions verified",
                    "Achèvements vérifiés",
                ),
                20.0,
                "tasks.verified",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
            measure(
                "reporting",
                names(
                    "Báo cáo tiến độ kịp thời",
                    "Progress reported in time",
                    "Avancement rapporté à temps",
                ),
                20.0,
                "tasks.reporting",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
            measure(
                "targets",
                names(
                    "Đạt chỉ tiêu được giao",
                    "Indicator targets reached",
                    "Cibles des indicateurs atteintes",
                ),
                20.0,
                "indicators.achievement",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
        ],
    );
    let citizens = pillar(
        "citizens",
        names(
            "Phục vụ người dân, doanh nghiệp",
            "Serving citizens and businesses",
            "Service aux citoyens et entreprises",
        ),
        if inspection { 25.0 } else { 35.0 },
        vec![
            measure(
                "answered",
                names(
                    "Trả lời đúng hạn luật định",
                    "Answered within the legal deadline",
                    "Réponses dans le délai légal",
                ),
                50.0,
                "feedback.on_time",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
            measure(
                "satisfaction",
                names("Mức độ hài lòng", "Satisfaction", "Satisfaction"),
                30.0,
                "feedback.satisfaction",
                Better::Higher,
                (1.0, 5.0),
                Missing::GroupMedian,
            ),
            measure(
                "appealed",
                names(
                    "Tỷ lệ bị khiếu nại lại",
                    "Answers appealed",
                    "Réponses contestées",
                ),
                20.0,
                "feedback.appealed",
                Better::Lower,
                (20.0, 0.0),
                Missing::Exclude,
            ),
        ],
    );
    // The data pillar: the catalogue the Committee asked for ("where are our data?").
    let data = pillar(
        "data",
        names("Dữ liệu", "Data", "Données"),
        15.0,
        vec![
            measure(
                "databases_accepted",
                names(
                    "Cơ sở dữ liệu được chấp nhận",
                    "Databases accepted",
                    "Bases de données acceptées",
                ),
                50.0,
                "catalogue.completeness",
                Better::Higher,
                (0.0, 100.0),
                Missing::Zero,
            ),
            measure(
                "data_quality",
                names("Chất lượng dữ liệu", "Data quality", "Qualité des données"),
                50.0,
                "catalogue.quality",
                Better::Higher,
                (0.0, 100.0),
                Missing::Exclude,
            ),
        ],
    );
    let mut pillars = vec![work, citizens, data];
    if inspection {
        pillars.push(pillar(
            "inspection",
            names(
                "Kết quả kiểm tra",
                "Inspection findings",
                "Résultats d'inspection",
            ),
            20.0,
            vec![measure(
                "inspection_score",
                names("Điểm kiểm tra", "Inspection score", "Note d'inspection"),
                1.0,
                "expert:inspection",
                Better::Higher,
                (0.0, 100.0),
                Missing::GroupMedian,
            )],
        ));
    }
    let grade = |code: &str, n: Names, min: f64| Grade {
        code: code.into(),
        name: n,
        min,
    };
    Method {
        scale: 1000.0,
        aggregation: Aggregation::Arithmetic,
        pillars,
        grades: vec![
            grade(
                "excellent",
                names("Xuất sắc", "Excellent", "Excellent"),
                90.0,
            ),
            grade("good", names("Tốt", "Good", "Bon"), 70.0),
            grade("fair", names("Hoàn thành", "Fair", "Passable"), 50.0),
            grade("weak", names("Yếu", "Weak", "Faible"), 0.0),
        ],
        geometric_floor: 1.0,
    }
}

/// (code, peer group, names, with an inspection pillar)
pub const DEMO_METHODS: [(&str, &str, [&str; 3], bool); 3] = [
    (
        "VD-TINH",
        "province",
        [
            "Chỉ số ví dụ: đánh giá tỉnh, thành phố (không chính thức)",
            "Example index: provinces (not an official method)",
            "Indice d'exemple : provinces (méthode non officielle)",
        ],
        true,
    ),
    (
        "VD-BO",
        "central_agency",
        [
            "Chỉ số ví dụ: đánh giá bộ, ngành (không chính thức)",
            "Example index: ministries and central agencies (not an official method)",
            "Indice d'exemple : ministères (méthode non officielle)",
        ],
        true,
    ),
    (
        "VD-XA",
        "commune",
        [
            "Chỉ số ví dụ: đánh giá xã, phường (không chính thức)",
            "Example index: communes and wards (not an official method)",
            "Indice d'exemple : communes (méthode non officielle)",
        ],
        false,
    ),
];

async fn principal(db: &Db, username: &str) -> AppResult<Option<Principal>> {
    let mut c = db.acquire().await?;
    Ok(store::users::get_for_login(&mut c.conn(), username)
        .await?
        .map(|(u, _)| Principal {
            user_id: u.id,
            token_id: None,
            role: u.role,
            unit_id: u.unit_id,
            username: u.username,
        }))
}

/// Creates the three example methods, each approved and published as version 1: (version id,
/// peer group).
pub async fn examples(db: &Db, who: &Principal) -> AppResult<Vec<(i64, &'static str)>> {
    let mut out = vec![];
    for (code, group, n, inspection) in DEMO_METHODS {
        let view = app::rankings::create_method(
            db,
            who,
            app::rankings::NewMethodInput {
                code: code.into(),
                peer_group: group.into(),
                name_vi: n[0].into(),
                name_en: n[1].into(),
                name_fr: n[2].into(),
                example: true,
                document: example_method(inspection),
            },
        )
        .await?;
        for action in ["approve", "publish"] {
            app::rankings::move_version(
                db,
                who,
                view.version.id,
                app::rankings::MoveInput {
                    action: action.into(),
                    reason: String::new(),
                },
            )
            .await?;
        }
        out.push((view.version.id, group));
    }
    Ok(out)
}

/// Computes an edition of the year as of `as_of` and publishes it in full.
pub async fn publish_edition(
    db: &Db,
    org: &OrgIndex,
    who: &Principal,
    version_id: i64,
    as_of: chrono::NaiveDate,
    within_unit: Option<i64>,
) -> AppResult<app::records::Edition> {
    let e = app::rankings::compute(
        db,
        org,
        who,
        app::rankings::ComputeInput {
            version_id,
            period: as_of.format("%Y").to_string(),
            as_of: Some(as_of),
            within_unit,
        },
    )
    .await?;
    app::rankings::publish(
        db,
        who,
        e.id,
        app::rankings::PublishInput {
            detail: "full".into(),
        },
    )
    .await
}

/// Inspection findings of the year for the first twelve provinces by code, a spread of scores.
pub async fn findings(db: &Db, org: &OrgIndex, who: &Principal, year: i32) -> AppResult<()> {
    let snap = org.snapshot(db).await?;
    for (i, p) in snap
        .current_of_kind(domain::org::OrgKind::Province)
        .iter()
        .take(12)
        .enumerate()
    {
        app::rankings::enter_expert(
            db,
            org,
            who,
            app::rankings::ExpertInput {
                key: "inspection".into(),
                unit_id: p.id,
                period: year.to_string(),
                value: 55.0 + ((i * 37) % 45) as f64,
                evidence: format!("Biên bản kiểm tra số {}/BB-BCĐ (dữ liệu minh hoạ)", 10 + i),
            },
        )
        .await?;
    }
    Ok(())
}

/// The demo: the example methods, inspection findings, and editions of the year as of 30
/// September and as of `today` (the provinces, the ministries, the communes of Đắk Lắk), all
/// published in full. Returns how many editions.
pub fn demo_rankings<'a>(
    db: &'a Db,
    org: &'a OrgIndex,
    today: chrono::NaiveDate,
) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let who = principal(db, "steering")
            .await?
            .ok_or(AppError::Internal("demo user steering missing".into()))?;
        findings(db, org, &who, today.year()).await?;
        let dak_lak = org
            .snapshot(db)
            .await?
            .current_of_kind(domain::org::OrgKind::Province)
            .iter()
            .find(|p| p.code.as_deref() == Some("66"))
            .map(|p| p.id);
        let september = chrono::NaiveDate::from_ymd_opt(today.year(), 9, 30).filter(|d| *d < today);
        let mut editions = 0;
        for (version, group) in examples(db, &who).await? {
            let within = if group == "commune" { dak_lak } else { None };
            for as_of in [september, Some(today)].into_iter().flatten() {
                publish_edition(db, org, &who, version, as_of, within).await?;
                editions += 1;
            }
        }
        Ok(editions)
    })
}

/// An edition computed by `generate`: (peer group, units, seconds).
pub type Timed = (&'static str, usize, f64);

/// For `generate`: the Committee's secretariat account `gen.steering`, the example methods, the
/// findings, and one published edition per peer group nationwide as of `today`, each timed:
/// (peer group, units, seconds).
pub fn generate_rankings<'a>(
    db: &'a Db,
    today: chrono::NaiveDate,
) -> store::BoxFuture<'a, AppResult<Vec<Timed>>> {
    Box::pin(async move {
        let org = OrgIndex::default();
        let who = match principal(db, "gen.steering").await? {
            Some(p) => p,
            None => {
                let mut c = db.acquire().await?;
                let unit = store::org::find_current_by_code(&mut c.conn(), "BCDTW")
                    .await?
                    .ok_or(AppError::Internal(
                        "the Steering Committee's unit BCDTW is missing".into(),
                    ))?
                    .id;
                store::users::insert(
                    &mut c.conn(),
                    &store::users::NewUser {
                        username: "gen.steering".into(),
                        display_name: "Văn phòng Ban Chỉ đạo (dữ liệu tổng hợp)".into(),
                        email: None,
                        unit_id: unit,
                        role: domain::policy::Role::Steering,
                        password_hash: None,
                    },
                    chrono::Utc::now(),
                )
                .await?;
                drop(c);
                principal(db, "gen.steering")
                    .await?
                    .ok_or(AppError::Internal("gen.steering missing".into()))?
            }
        };
        findings(db, &org, &who, today.year()).await?;
        let mut out = vec![];
        for (version, group) in examples(db, &who).await? {
            let start = std::time::Instant::now();
            let e = publish_edition(db, &org, &who, version, today, None).await?;
            let units = {
                let mut c = db.acquire().await?;
                store::rankings::edition_units(&mut c.conn(), e.id)
                    .await?
                    .len()
            };
            out.push((group, units, start.elapsed().as_secs_f64()));
        }
        Ok(out)
    })
}
