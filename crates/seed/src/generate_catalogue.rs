//! Synthetic catalogue at national scale: about 20 entries per central agency, 50 per province and
//! 5 per commune (≈ 20,000), in every review state, a share of them public, and for the systems
//! that report themselves a heartbeat every two weeks over the past year. Written with bulk
//! inserts in a few transactions, then each ministry's and province's obligation task is brought
//! to its completeness through the use case's own rule.

use chrono::{Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use app::error::{AppError, AppResult};
use domain::catalogue::{self as cat, Figures, Frequency, Kind};
use store::bulk::{Col, insert_columns};
use store::db::Db;

use crate::generate::Scale;

pub struct Generated {
    pub entries: usize,
    pub measurements: usize,
}

/// Entries per unit kind (small: a few per ministry and province, none for communes).
fn per_unit(scale: Scale, kind: &str) -> usize {
    match (scale, kind) {
        (Scale::National, "central_agency") => 20,
        (Scale::National, "province") => 50,
        (Scale::National, _) => 5,
        (Scale::Small, "central_agency") => 2,
        (Scale::Small, "province") => 5,
        (Scale::Small, _) => 0,
    }
}

const SUBJECTS: [&str; 8] = [
    "đất đai",
    "hộ tịch",
    "y tế",
    "giáo dục",
    "doanh nghiệp",
    "giao thông",
    "môi trường",
    "nông nghiệp",
];

pub fn generate_catalogue(
    db: &Db,
    scale: Scale,
    progress: bool,
) -> store::BoxFuture<'_, AppResult<Generated>> {
    Box::pin(async move {
        let mut rng = StdRng::seed_from_u64(15);
        let now = Utc::now();
        let (units, first) = {
            let mut c = db.acquire().await?;
            let mut c = c.conn();
            let mut units: Vec<(i64, String, String)> = vec![];
            for kind in ["central_agency", "province"] {
                let f = store::org::ListFilter {
                    kind: Some(kind.into()),
                    limit: 100_000,
                    ..Default::default()
                };
                for u in store::org::list(&mut c, &f).await?.0 {
                    units.push((
                        u.id,
                        u.code.clone().unwrap_or_else(|| u.id.to_string()),
                        kind.to_string(),
                    ));
                }
            }
            for (_, id) in store::bulk::current_communes(&mut c).await? {
                units.push((id, format!("X{id}"), "commune".into()));
            }
            let [first] = store::bulk::next_ids(&mut c, &["catalogue_entries"]).await?;
            (units, first)
        };
        if units.is_empty() {
            return Err(AppError::Internal(
                "no units: load the hierarchy first".into(),
            ));
        }
        let total: usize = units.iter().map(|u| per_unit(scale, &u.2)).sum();
        let bar = if progress {
            ProgressBar::new(total as u64)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} catalogue entries {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let kinds = [
            Kind::Specialised,
            Kind::Shared,
            Kind::Local,
            Kind::OpenData,
            Kind::System,
            Kind::Local,
        ];
        let states = [
            "accepted", "accepted", "accepted", "accepted", "accepted", "accepted", "approved",
            "approved", "declared", "returned", "draft",
        ];
        let mut id = first;
        let mut made = 0;
        let mut measured = 0;
        // One transaction per 2,000 entries with their measurements.
        let mut buf = Buf::default();
        for (unit, code, kind) in &units {
            for n in 0..per_unit(scale, kind) {
                let k = kinds[rng.random_range(0..kinds.len())];
                let state = states[rng.random_range(0..states.len())];
                let subject = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
                let freq = Frequency::ALL[rng.random_range(0..Frequency::ALL.len())];
                let expected: i64 = rng.random_range(1_000..2_000_000);
                let quality = rng.random_range(0.6..0.995);
                let name = format!("Cơ sở dữ liệu {subject} {code}-{n}");
                let ecode = format!("G-{code}-{n}");
                let public = k == Kind::OpenData || rng.random_range(0..10) < 3;
                let beats = state == "accepted" && rng.random_range(0..2) == 0;
                let created = now - Duration::days(rng.random_range(30..400));
                let share = rng.random_range(0.5..1.0);
                let f = figures(&mut rng, expected, share, quality);
                let last = (state != "draft")
                    .then(|| now - Duration::days(rng.random_range(0..(freq.days() * 3).max(2))));
                buf.push_entry(
                    id,
                    &ecode,
                    &name,
                    k,
                    *unit,
                    freq,
                    state,
                    public,
                    expected,
                    &f,
                    last,
                    beats.then_some(now),
                    created,
                    &mut rng,
                );
                if beats {
                    let mut t = now - Duration::days(364);
                    while t < now {
                        let share = rng.random_range(0.5..1.0);
                        let f = figures(&mut rng, expected, share, quality);
                        let q = cat::quality(&f, Some(expected), freq, Some(t), t);
                        buf.push_measurement(id, t, &f, &q);
                        measured += 1;
                        t += Duration::days(14);
                    }
                }
                id += 1;
                made += 1;
                if buf.ids.len() >= 2_000 {
                    buf.write(db).await?;
                    bar.set_position(made as u64);
                }
            }
        }
        buf.write(db).await?;
        bar.finish();
        // Each ministry's and province's obligation follows its completeness.
        let admin = {
            let mut c = db.acquire().await?;
            let (authors, fallback) = store::bulk::report_authors(&mut c.conn()).await?;
            let _ = authors;
            fallback
        };
        let who = domain::policy::Principal {
            user_id: admin,
            token_id: None,
            role: domain::policy::Role::Administrator,
            unit_id: 0,
            username: "system.generate".into(),
        };
        let mut tx = db.begin().await?;
        let mut changes = vec![];
        for (unit, _, kind) in units.iter().filter(|u| u.2 != "commune") {
            let _ = kind;
            changes.extend(
                app::catalogue::obligation::follow(&mut tx.conn(), &who, *unit, now).await?,
            );
        }
        store::audit::append(
            &mut tx.conn(),
            &store::audit::Actor::system("generate"),
            now,
            changes,
        )
        .await?;
        tx.commit().await?;
        store::bulk::analyze(
            db,
            &[
                "catalogue_entries",
                "catalogue_themes",
                "catalogue_measurements",
            ],
        )
        .await?;
        Ok(Generated {
            entries: made,
            measurements: measured,
        })
    })
}

fn figures(rng: &mut StdRng, expected: i64, share: f64, quality: f64) -> Figures {
    let records = ((expected as f64) * share).round() as i64;
    let checked = records / 5;
    let miss = |rng: &mut StdRng, n: i64| {
        ((n as f64) * (1.0 - quality) * rng.random_range(0.3..1.0)).round() as i64
    };
    Figures {
        records: Some(records),
        checked: Some(checked),
        valid: Some(checked - miss(rng, checked)),
        complete: Some(records - miss(rng, records)),
        duplicates: Some(miss(rng, records) / 5),
        format_errors: Some(miss(rng, records) / 5),
    }
}

/// Column buffers of entries, their themes and measurements.
#[derive(Default)]
struct Buf {
    ids: Vec<i64>,
    codes: Vec<String>,
    names: Vec<String>,
    search: Vec<String>,
    kinds: Vec<&'static str>,
    owners: Vec<i64>,
    freqs: Vec<&'static str>,
    states: Vec<&'static str>,
    public: Vec<bool>,
    connected: Vec<bool>,
    levels: Vec<i32>,
    expected: Vec<Option<i64>>,
    figs: [Vec<Option<i64>>; 6],
    last: Vec<Option<chrono::DateTime<Utc>>>,
    beat: Vec<Option<chrono::DateTime<Utc>>>,
    created: Vec<chrono::DateTime<Utc>>,
    theme_entry: Vec<i64>,
    theme: Vec<&'static str>,
    m_entry: Vec<i64>,
    m_at: Vec<chrono::DateTime<Utc>>,
    m_figs: [Vec<Option<i64>>; 6],
    m_words: [Vec<Option<f64>>; 4],
}

impl Buf {
    #[allow(clippy::too_many_arguments)]
    fn push_entry(
        &mut self,
        id: i64,
        code: &str,
        name: &str,
        kind: Kind,
        owner: i64,
        freq: Frequency,
        state: &'static str,
        public: bool,
        expected: i64,
        f: &Figures,
        last: Option<chrono::DateTime<Utc>>,
        beat: Option<chrono::DateTime<Utc>>,
        created: chrono::DateTime<Utc>,
        rng: &mut StdRng,
    ) {
        self.ids.push(id);
        self.codes.push(code.to_uppercase());
        self.search
            .push(domain::text::fold(&format!("{code} {name}")));
        self.names.push(name.to_string());
        self.kinds.push(kind.as_str());
        self.owners.push(owner);
        self.freqs.push(freq.as_str());
        self.states.push(state);
        self.public.push(public);
        self.connected
            .push(state == "accepted" && rng.random_range(0..2) == 0);
        self.levels.push(rng.random_range(1..=5));
        self.expected.push(Some(expected));
        for (i, v) in [
            f.records,
            f.checked,
            f.valid,
            f.complete,
            f.duplicates,
            f.format_errors,
        ]
        .into_iter()
        .enumerate()
        {
            self.figs[i].push(v);
        }
        self.last.push(last);
        self.beat.push(beat);
        self.created.push(created);
        for _ in 0..rng.random_range(1..=2) {
            let t = cat::THEMES[rng.random_range(0..cat::THEMES.len())];
            if !(self.theme_entry.last() == Some(&id) && self.theme.last() == Some(&t)) {
                self.theme_entry.push(id);
                self.theme.push(t);
            }
        }
    }

    fn push_measurement(
        &mut self,
        id: i64,
        at: chrono::DateTime<Utc>,
        f: &Figures,
        q: &cat::Quality,
    ) {
        self.m_entry.push(id);
        self.m_at.push(at);
        for (i, v) in [
            f.records,
            f.checked,
            f.valid,
            f.complete,
            f.duplicates,
            f.format_errors,
        ]
        .into_iter()
        .enumerate()
        {
            self.m_figs[i].push(v);
        }
        for (i, (_, w)) in q.words().into_iter().enumerate() {
            self.m_words[i].push(w);
        }
    }

    async fn write(&mut self, db: &Db) -> AppResult<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let n = self.ids.len();
        let empty: Vec<String> = vec![String::new(); n];
        let dict: Vec<String> = vec!["[]".into(); n];
        let hosting: Vec<&'static str> = vec!["unit_centre"; n];
        let lifecycle: Vec<&'static str> = vec!["operating"; n];
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        store::bulk::lock_tables(
            &mut c,
            &[
                "catalogue_entries",
                "catalogue_themes",
                "catalogue_measurements",
            ],
        )
        .await?;
        insert_columns(
            &mut c,
            "catalogue_entries",
            &[
                ("id", Col::Int(&self.ids)),
                ("code", Col::Text(&self.codes)),
                ("name_vi", Col::Text(&self.names)),
                ("search_text", Col::Text(&self.search)),
                ("kind", Col::Str(&self.kinds)),
                ("owner_unit_id", Col::Int(&self.owners)),
                ("purpose", Col::Text(&empty)),
                ("dictionary", Col::Text(&dict)),
                ("expected_population", Col::OptInt(&self.expected)),
                ("frequency", Col::Str(&self.freqs)),
                ("lifecycle", Col::Str(&lifecycle)),
                ("hosting", Col::Str(&hosting)),
                ("security_level", Col::Int4(&self.levels)),
                ("exchange_connected", Col::Bool(&self.connected)),
                ("is_public", Col::Bool(&self.public)),
                ("state", Col::Str(&self.states)),
                ("records", Col::OptInt(&self.figs[0])),
                ("checked", Col::OptInt(&self.figs[1])),
                ("valid", Col::OptInt(&self.figs[2])),
                ("complete", Col::OptInt(&self.figs[3])),
                ("duplicates", Col::OptInt(&self.figs[4])),
                ("format_errors", Col::OptInt(&self.figs[5])),
                ("last_update", Col::OptTs(&self.last)),
                ("last_heartbeat", Col::OptTs(&self.beat)),
                ("created_at", Col::Ts(&self.created)),
                ("updated_at", Col::Ts(&self.created)),
            ],
            None,
        )
        .await?;
        insert_columns(
            &mut c,
            "catalogue_themes",
            &[
                ("entry_id", Col::Int(&self.theme_entry)),
                ("theme", Col::Str(&self.theme)),
            ],
            None,
        )
        .await?;
        insert_columns(
            &mut c,
            "catalogue_measurements",
            &[
                ("entry_id", Col::Int(&self.m_entry)),
                ("at", Col::Ts(&self.m_at)),
                ("source", Col::Str(&vec!["heartbeat"; self.m_entry.len()])),
                ("records", Col::OptInt(&self.m_figs[0])),
                ("checked", Col::OptInt(&self.m_figs[1])),
                ("valid", Col::OptInt(&self.m_figs[2])),
                ("complete", Col::OptInt(&self.m_figs[3])),
                ("duplicates", Col::OptInt(&self.m_figs[4])),
                ("format_errors", Col::OptInt(&self.m_figs[5])),
                ("correct", Col::OptFloat(&self.m_words[0])),
                ("sufficient", Col::OptFloat(&self.m_words[1])),
                ("clean", Col::OptFloat(&self.m_words[2])),
                ("live", Col::OptFloat(&self.m_words[3])),
            ],
            None,
        )
        .await?;
        store::bulk::advance_id_sequences(&mut c, &["catalogue_entries", "catalogue_measurements"])
            .await?;
        tx.commit().await?;
        *self = Buf::default();
        Ok(())
    }
}
