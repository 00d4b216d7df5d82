//! `generate --scale national` adds 1,000,000 feedback items across units and the years 2025–2026
//! (small: 50,000), in every state, for the feedback benchmarks. Bulk-written like the tasks.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use super::generate::Scale;
use super::topics::{self, Handler};
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
/// Share of items filed somewhere else than their topic's handler (an officer's other reading),
/// and of items whose sender chose another category than the topic's.
const ROUTING_NOISE: f64 = 0.06;
const CATEGORY_NOISE: f64 = 0.15;

/// The places items are about and the units that handle them.
struct Places {
    /// Communes, wards and special zones in force, with their province and names.
    local: Vec<(i64, i64, String, String)>,
    provinces: Vec<(i64, String)>,
    agencies: std::collections::HashMap<&'static str, i64>,
    agency_ids: Vec<i64>,
    triage: i64,
}

impl Places {
    async fn load(db: &Db) -> AppResult<Places> {
        use domain::org::OrgKind;
        let snap = store::org_index::OrgIndex::default().snapshot(db).await?;
        let mut local = vec![];
        for kind in [OrgKind::Commune, OrgKind::Ward, OrgKind::SpecialZone] {
            for u in snap.current_of_kind(kind) {
                if let Some(p) = u.parent_id.and_then(|p| snap.get(p)) {
                    local.push((u.id, p.id, u.name_vi.clone(), p.name_vi.clone()));
                }
            }
        }
        let provinces: Vec<(i64, String)> = snap
            .current_of_kind(OrgKind::Province)
            .into_iter()
            .map(|u| (u.id, u.name_vi.clone()))
            .collect();
        let mut agencies = std::collections::HashMap::new();
        for t in topics::TOPICS {
            if let Handler::Agency(code) = t.handler
                && let Some(u) = snap.by_code(code)
            {
                agencies.insert(code, u.id);
            }
        }
        let mut agency_ids: Vec<i64> = agencies.values().copied().collect();
        agency_ids.sort_unstable();
        let triage = snap
            .by_code("BCDTW")
            .or_else(|| snap.by_code("VN"))
            .map(|u| u.id)
            .ok_or_else(|| app::error::AppError::Internal("no triage unit".into()))?;
        if local.is_empty() || provinces.is_empty() {
            return Err(app::error::AppError::Internal(
                "no provinces or communes to generate feedback for".into(),
            ));
        }
        Ok(Places {
            local,
            provinces,
            agencies,
            agency_ids,
            triage,
        })
    }
}

/// One generated item: its wording, the unit it concerns, the one that handles it, its category.
struct Drawn {
    title: String,
    body: String,
    concerned: Option<i64>,
    unit: i64,
    category: &'static str,
}

/// Draws an item from a topic: three in four name a commune, one in seven a province, the rest
/// no place; the text is the topic's title and one or two of its sentences with common ones,
/// sometimes the place, sometimes typed without diacritics.
fn draw(rng: &mut StdRng, places: &Places) -> Drawn {
    let topic = &topics::TOPICS[rng.random_range(0..topics::TOPICS.len())];
    let roll: f64 = rng.random();
    let (concerned, commune, province) = if roll < 0.75 {
        let (c, p, cn, pn) = &places.local[rng.random_range(0..places.local.len())];
        (Some(*c), Some((*c, cn.as_str())), Some((*p, pn.as_str())))
    } else if roll < 0.9 {
        let (p, pn) = &places.provinces[rng.random_range(0..places.provinces.len())];
        (Some(*p), None, Some((*p, pn.as_str())))
    } else {
        (None, None, None)
    };
    let mut unit = match topic.handler {
        Handler::Commune => commune.or(province).map(|x| x.0),
        Handler::Province => province.map(|x| x.0),
        Handler::Agency(code) => places.agencies.get(code).copied(),
        Handler::Triage => None,
    }
    .unwrap_or(places.triage);
    if rng.random_bool(ROUTING_NOISE) {
        let others: Vec<i64> = [commune.map(|x| x.0), province.map(|x| x.0)]
            .into_iter()
            .flatten()
            .chain(
                (!places.agency_ids.is_empty())
                    .then(|| places.agency_ids[rng.random_range(0..places.agency_ids.len())]),
            )
            .collect();
        if !others.is_empty() {
            unit = others[rng.random_range(0..others.len())];
        }
    }
    let category = if rng.random_bool(CATEGORY_NOISE) {
        CATEGORIES[rng.random_range(0..CATEGORIES.len())]
    } else {
        topic.category
    };
    let title = topic.titles[rng.random_range(0..topic.titles.len())].to_string();
    let mut sentences: Vec<&str> = vec![];
    let first = rng.random_range(0..topic.details.len());
    sentences.push(topic.details[first]);
    if topic.details.len() > 1 && rng.random_bool(0.5) {
        let second =
            (first + 1 + rng.random_range(0..topic.details.len() - 1)) % topic.details.len();
        sentences.push(topic.details[second]);
    }
    for _ in 0..rng.random_range(0..=2) {
        sentences.push(topics::COMMON[rng.random_range(0..topics::COMMON.len())]);
    }
    let mut body = sentences.join(" ");
    if rng.random_bool(0.4) {
        match (commune, province) {
            (Some((_, c)), Some((_, p))) => body.push_str(&format!(" Địa bàn: {c}, {p}.")),
            (None, Some((_, p))) => body.push_str(&format!(" Địa bàn: {p}.")),
            _ => {}
        }
    }
    // Some people type without diacritics.
    let (title, body) = if rng.random_bool(0.1) {
        (domain::text::fold(&title), domain::text::fold(&body))
    } else {
        (title, body)
    };
    Drawn {
        title,
        body,
        concerned,
        unit,
        category,
    }
}

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
        let places = Places::load(db).await?;
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let first = store::feedback::max_id(&mut c).await? + 1;
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
            let mut concerned = vec![];
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
                let d = draw(&mut rng, &places);
                cat.push(d.category);
                title.push(d.title);
                body.push(d.body);
                unit.push(d.unit);
                concerned.push(d.concerned);
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
                    ("concerned_unit_id", Col::OptInt(&concerned)),
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
        // The background duplicate pass looks at items from now on, not at generated history.
        store::search::set_duplicate_cursor(&mut c, first + n as i64 - 1).await?;
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
