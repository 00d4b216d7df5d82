//! Routing suggestions (issue 16): a weekly job learns, from where past items ended up, which
//! unit handles what and under which category; the item page shows the triage officer the three
//! likeliest units and categories with their confidence. The officer decides: nothing is routed
//! by the model.
//!
//! The rules (features, the model, relative targets) are `domain::routing`; here are the training
//! over the items (read in short batches, the text analysed off the async threads), the stored
//! models and a per-instance cache of the newest one.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::org::OrgKind;
use domain::policy::Principal;
use domain::routing::{self as r, Accuracy, Counts, Model, Target, Trainer};
use store::org_index::{OrgIndex, Snapshot};
use store::{self};

/// Items read per batch while training (one short read each).
const BATCH: i64 = 5_000;

/// Labels and features seen in fewer items are left out of a model.
const MIN_DOCS: u64 = 3;

/// What is stored for one training: the two models' counts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCounts {
    pub unit: Counts<Target>,
    pub category: Counts<String>,
    /// Whether the features include syllable pairs: a model is read with the features it was
    /// trained on.
    #[serde(default = "yes")]
    pub pairs: bool,
    /// Temperatures fitted on the held-out items (`domain::routing::fit_temperature`).
    #[serde(default = "one")]
    pub unit_temperature: f64,
    #[serde(default = "one")]
    pub category_temperature: f64,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// Top-1/top-3 accuracy of both models on the held-out items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoutingAccuracy))]
pub struct Accuracies {
    /// Held-out items where the routing rules alone (the rule for the category and unit, else
    /// the unit concerned, else the triage desk) name the unit that handled them: what triage
    /// has without suggestions.
    #[serde(default)]
    pub rules_top1: f64,
    pub unit_items: u64,
    pub unit_top1: f64,
    pub unit_top3: f64,
    pub category_items: u64,
    pub category_top1: f64,
    pub category_top3: f64,
    /// The mean confidence of the first unit suggested, on the same items: close to
    /// `unit_top1` when the confidences can be taken at their word.
    #[serde(default)]
    pub unit_mean_confidence: f64,
    #[serde(default)]
    pub category_mean_confidence: f64,
}

impl Accuracies {
    fn of(unit: &Accuracy, category: &Accuracy, rules_right: u64) -> Accuracies {
        Accuracies {
            rules_top1: rules_right as f64 / unit.items.max(1) as f64,
            unit_items: unit.items,
            unit_top1: unit.top1_rate(),
            unit_top3: unit.top3_rate(),
            category_items: category.items,
            category_top1: category.top1_rate(),
            category_top3: category.top3_rate(),
            unit_mean_confidence: 0.0,
            category_mean_confidence: 0.0,
        }
    }
}

/// One training's outcome.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoutingModelInfo))]
pub struct ModelInfo {
    pub id: i64,
    pub trained_at: DateTime<Utc>,
    /// Items trained on (the held-out ones not included).
    pub items: i64,
    pub accuracy: Accuracies,
}

/// An example ready for the models. The text's features are kept once; each model adds its few
/// context features when it reads them (a hundred thousand held-out items stay small).
struct Prepared {
    id: i64,
    text: Vec<u64>,
    unit_context: Vec<u64>,
    category_context: Vec<u64>,
    /// The unit concerned and its ancestors, with their kinds.
    chain: Vec<(i64, OrgKind)>,
    unit_id: i64,
    category: String,
}

impl Prepared {
    fn unit_features(&self) -> Vec<u64> {
        [self.text.as_slice(), &self.unit_context].concat()
    }
    fn category_features(&self) -> Vec<u64> {
        [self.text.as_slice(), &self.category_context].concat()
    }
}

/// The context tokens of an item for each model.
fn contexts(kind: &str, category: &str, concerned_kind: Option<&str>) -> [Vec<String>; 2] {
    let k = format!("k:{kind}");
    [
        vec![
            k.clone(),
            format!("c:{category}"),
            format!("ck:{}", concerned_kind.unwrap_or("none")),
        ],
        vec![k],
    ]
}

/// The unit concerned and its ancestors with their kinds (empty when the item names none).
fn chain_of(snap: &Snapshot, concerned: Option<i64>) -> Vec<(i64, OrgKind)> {
    concerned
        .map(|u| snap.chain(u))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|u| snap.get(u).map(|x| (u, x.kind)))
        .collect()
}

/// An item ready for the models.
#[allow(clippy::too_many_arguments)]
fn analyse(
    snap: &Snapshot,
    id: i64,
    kind: &str,
    category: &str,
    title: &str,
    body: &str,
    concerned: Option<i64>,
    unit_id: i64,
    pairs: bool,
) -> Prepared {
    let concerned_kind = concerned.and_then(|u| snap.get(u)).map(|u| u.kind.as_str());
    let [uc, cc] = contexts(kind, category, concerned_kind);
    Prepared {
        id,
        text: r::text_features(&format!("{title}. {body}"), pairs),
        unit_context: r::context_features(&uc),
        category_context: r::context_features(&cc),
        chain: chain_of(snap, concerned),
        unit_id,
        category: category.to_string(),
    }
}

fn prepare(snap: &Snapshot, e: store::routing::Example, pairs: bool) -> Prepared {
    analyse(
        snap,
        e.id,
        &e.kind,
        &e.category,
        &e.title,
        &e.body,
        e.concerned_unit_id,
        e.unit_id,
        pairs,
    )
}

/// The labels that name a unit in force for an item concerning `chain`, with that unit.
fn candidates<'m>(
    model: &'m Model<Target>,
    snap: &Snapshot,
    chain: &[(i64, OrgKind)],
) -> impl Fn(&Target) -> Option<i64> + 'm {
    let chain = chain.to_vec();
    let current: std::collections::HashSet<i64> = model
        .labels()
        .iter()
        .filter_map(|t| r::resolve(*t, &chain))
        .filter(|u| snap.get(*u).is_some_and(|x| !x.historical()))
        .collect();
    move |t| r::resolve(*t, &chain).filter(|u| current.contains(u))
}

/// The units the model suggests for an item, likeliest first: each target resolved against the
/// chain of the unit concerned, units no longer in force left out, and two targets that name the
/// same unit counted as one.
fn rank_units(
    model: &Model<Target>,
    snap: &Snapshot,
    features: &[u64],
    chain: &[(i64, OrgKind)],
) -> Vec<r::Ranked<i64>> {
    let unit_of = candidates(model, snap, chain);
    let ranked = model.rank(features, |t| unit_of(t).is_some());
    let mut out: Vec<r::Ranked<i64>> = vec![];
    for x in ranked {
        let Some(u) = unit_of(&x.label) else {
            continue;
        };
        match out.iter_mut().find(|o| o.label == u) {
            Some(o) => o.p += x.p,
            None => out.push(r::Ranked { label: u, p: x.p }),
        }
    }
    out.sort_by(|a, b| b.p.total_cmp(&a.p).then(a.label.cmp(&b.label)));
    out
}

/// A held-out item as a calibration case for the unit model: the scores of the labels it could
/// be shown, grouped by the unit each names.
fn unit_case(model: &Model<Target>, snap: &Snapshot, p: &Prepared) -> Option<r::Case> {
    let unit_of = candidates(model, snap, &p.chain);
    let mut units: Vec<i64> = vec![];
    let mut scores = vec![];
    let mut shown_as = vec![];
    for (s, t) in model
        .scores(&p.unit_features())
        .into_iter()
        .zip(model.labels())
    {
        if let Some(u) = unit_of(t) {
            let g = units.iter().position(|x| *x == u).unwrap_or_else(|| {
                units.push(u);
                units.len() - 1
            });
            scores.push(s);
            shown_as.push(g);
        }
    }
    let truth = units.iter().position(|u| *u == p.unit_id)?;
    Some(r::Case {
        scores,
        shown_as,
        truth,
    })
}

fn category_case(model: &Model<String>, p: &Prepared) -> Option<r::Case> {
    let truth = model.labels().iter().position(|c| *c == p.category)?;
    Some(r::Case {
        scores: model.scores(&p.category_features()),
        shown_as: (0..model.labels().len()).collect(),
        truth,
    })
}

/// How a model is made; the defaults are the product's, the others exist to be compared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Syllable pairs as features besides the syllables.
    pub pairs: bool,
    /// Units learnt relative to the unit concerned; otherwise each unit is a class of its own.
    pub relative: bool,
}

/// Syllables alone: at national scale pairs cost 1.4 points of top-1 accuracy on the unit (they
/// repeat the evidence of their syllables, which naive Bayes counts twice) and 38 % more
/// training time, for the same accuracy on the category (BENCHMARKS.md).
impl Default for Variant {
    fn default() -> Self {
        Variant {
            pairs: false,
            relative: true,
        }
    }
}

/// Trains both models on every routed item but the held-out ones, measures them on those, and
/// stores the result. `progress(done, total)` is told after each batch (by item id).
pub async fn train(db: &Db, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> AppResult<ModelInfo> {
    let (items, accuracy, json) = fit(db, Variant::default(), progress).await?;
    let now = Utc::now();
    let acc = serde_json::to_string(&accuracy).map_err(AppError::internal)?;
    let mut tx = db.begin().await?;
    let id = store::routing::save(&mut tx.conn(), now, items, &acc, &json).await?;
    tx.commit().await?;
    Ok(ModelInfo {
        id,
        trained_at: now,
        items,
        accuracy,
    })
}

/// Trains and measures a variant without storing it (the benchmark's side-by-side comparison).
pub async fn evaluate(
    db: &Db,
    variant: Variant,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> AppResult<Accuracies> {
    Ok(fit(db, variant, progress).await?.1)
}

/// How often the trainer looks at the newest model's age, and the age at which it trains again.
const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
const RETRAIN_AFTER_DAYS: i64 = 7;
/// Fewer routed items than this and no model is trained by itself (`nqtrack routing train` can).
const MIN_ROUTED: i64 = 100;

/// The background trainer of each instance: soon after a start and then every hour, trains
/// again when the newest model (any instance's) is a week old or there is none. It runs beside
/// the job runner rather than in it, so that mail and reminders never wait behind a training
/// (a minute at national scale) and no job lease can expire under it. Two instances that start
/// together may both train once; the newer model is used.
pub fn train_forever(db: Db) -> crate::BoxFuture<'static, ()> {
    Box::pin(async move {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        loop {
            if let Err(e) = train_if_due(&db).await {
                tracing::error!(error = %e, "routing suggestions: training failed");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    })
}

async fn train_if_due(db: &Db) -> AppResult<()> {
    let (last, enough) = {
        let mut c = db.acquire().await?;
        (
            store::routing::latest_trained_at(&mut c.conn()).await?,
            store::routing::routed_at_least(&mut c.conn(), MIN_ROUTED).await?,
        )
    };
    let due = last.is_none_or(|t| Utc::now() - t >= chrono::Duration::days(RETRAIN_AFTER_DAYS));
    if due && enough {
        let started = std::time::Instant::now();
        let m = train(db, &|_, _| {}).await?;
        tracing::info!(
            model = m.id,
            items = m.items,
            unit_top1 = m.accuracy.unit_top1,
            category_top1 = m.accuracy.category_top1,
            seconds = started.elapsed().as_secs_f64(),
            "routing suggestions trained"
        );
    }
    Ok(())
}

/// Trains a variant: the items trained on, the accuracy on the held-out ones, the counts as JSON.
async fn fit(
    db: &Db,
    variant: Variant,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> AppResult<(i64, Accuracies, String)> {
    let snap = OrgIndex::default().snapshot(db).await?;
    let (total, routes, triage) = {
        let mut c = db.acquire().await?;
        (
            store::feedback::max_id(&mut c.conn()).await?,
            store::feedback::routes(&mut c.conn()).await?,
            super::common::triage_unit(&mut c.conn()).await?,
        )
    };
    let mut units: Trainer<Target> = Trainer::default();
    let mut categories: Trainer<String> = Trainer::default();
    let mut held: Vec<Prepared> = vec![];
    let mut after = 0;
    let mut items = 0i64;
    loop {
        let batch = {
            let mut c = db.acquire().await?;
            store::routing::examples_after(&mut c.conn(), after, BATCH).await?
        };
        let Some(last) = batch.last() else { break };
        after = last.id;
        // Analysing text is CPU work: off the threads that serve requests.
        let s = snap.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            batch
                .into_iter()
                .map(|e| prepare(&s, e, variant.pairs))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(AppError::internal)?;
        for p in prepared {
            if r::held_out(p.id) {
                held.push(p);
            } else {
                units.add(target(variant, &p.chain, p.unit_id), &p.unit_features());
                categories.add(p.category.clone(), &p.category_features());
                items += 1;
            }
        }
        progress(after.max(0) as u64, total.max(0) as u64);
    }
    let mut counts = StoredCounts {
        unit: units.finish(MIN_DOCS),
        category: categories.finish(MIN_DOCS),
        pairs: variant.pairs,
        unit_temperature: 1.0,
        category_temperature: 1.0,
    };
    let (accuracy, json) = tokio::task::spawn_blocking(move || {
        // Half the held-out items fit the temperatures; the other half measures the models as
        // the page shows them (units, not labels), so the confidence is judged out of sample.
        let (fit_on, measure_on): (Vec<Prepared>, Vec<Prepared>) =
            held.into_iter().partition(|p| p.id % 2 == 0);
        let unit = Model::new(&counts.unit);
        let category = Model::new(&counts.category);
        let unit_cases: Vec<r::Case> = fit_on
            .iter()
            .filter_map(|p| unit_case(&unit, &snap, p))
            .collect();
        let category_cases: Vec<r::Case> = fit_on
            .iter()
            .filter_map(|p| category_case(&category, p))
            .collect();
        counts.unit_temperature = r::fit_temperature(&unit_cases);
        counts.category_temperature = r::fit_temperature(&category_cases);
        let unit = unit.with_temperature(counts.unit_temperature);
        let category = category.with_temperature(counts.category_temperature);
        let (mut ua, mut ca) = (Accuracy::default(), Accuracy::default());
        let (mut uconf, mut cconf) = (0.0, 0.0);
        let mut rules_right = 0;
        for p in &measure_on {
            let routed = domain::feedback::route(
                &routes,
                &p.category,
                p.chain.first().map(|(u, _)| *u),
                triage,
            );
            rules_right += u64::from(routed == p.unit_id);
            let ranked = rank_units(&unit, &snap, &p.unit_features(), &p.chain);
            uconf += ranked.first().map_or(0.0, |x| x.p);
            ua.record(&ranked, &p.unit_id);
            let ranked = category.rank(&p.category_features(), |_| true);
            cconf += ranked.first().map_or(0.0, |x| x.p);
            ca.record(&ranked, &p.category);
        }
        let json = serde_json::to_string(&counts).map_err(AppError::internal)?;
        let mut a = Accuracies::of(&ua, &ca, rules_right);
        a.unit_mean_confidence = uconf / ua.items.max(1) as f64;
        a.category_mean_confidence = cconf / ca.items.max(1) as f64;
        Ok::<_, AppError>((a, json))
    })
    .await
    .map_err(AppError::internal)??;
    Ok((items, accuracy, json))
}

fn target(variant: Variant, chain: &[(i64, OrgKind)], unit: i64) -> Target {
    if variant.relative {
        r::target_of(chain, unit)
    } else {
        Target::Unit(unit)
    }
}

/// The newest model, loaded.
pub struct Loaded {
    pub info: ModelInfo,
    pairs: bool,
    unit: Model<Target>,
    category: Model<String>,
}

/// This instance's copy of the newest model. Each use asks for the newest model's id (one read
/// of a table of a few rows), so a model stored by any instance's job is used from the next
/// request; loading one is done off the async threads.
#[derive(Default)]
pub struct RoutingModels {
    loaded: Mutex<Option<Arc<Loaded>>>,
    /// One load at a time: the requests that arrive meanwhile wait for it instead of each
    /// reading the model again.
    loading: tokio::sync::Mutex<()>,
}

impl RoutingModels {
    pub async fn current(&self, db: &Db) -> AppResult<Option<Arc<Loaded>>> {
        let latest = {
            let mut c = db.acquire().await?;
            store::routing::latest_id(&mut c.conn()).await?
        };
        let cached = self.loaded.lock().expect("routing models").clone();
        if cached.as_ref().map(|m| m.info.id) == latest {
            return Ok(cached);
        }
        let Some(id) = latest else { return Ok(None) };
        let _one = self.loading.lock().await;
        let cached = self.loaded.lock().expect("routing models").clone();
        if let Some(m) = cached.as_ref().filter(|m| m.info.id >= id) {
            return Ok(Some(m.clone()));
        }
        let row = {
            let mut c = db.acquire().await?;
            store::routing::get(&mut c.conn(), id).await?
        };
        let Some(row) = row else { return Ok(cached) };
        let m = Arc::new(
            tokio::task::spawn_blocking(move || load(row))
                .await
                .map_err(AppError::internal)??,
        );
        *self.loaded.lock().expect("routing models") = Some(m.clone());
        Ok(Some(m))
    }
}

fn load(row: store::routing::StoredModel) -> AppResult<Loaded> {
    let counts: StoredCounts = serde_json::from_str(&row.counts).map_err(AppError::internal)?;
    Ok(Loaded {
        info: ModelInfo {
            id: row.id,
            trained_at: row.trained_at,
            items: row.items,
            accuracy: serde_json::from_str(&row.accuracy).unwrap_or_default(),
        },
        pairs: counts.pairs,
        unit: Model::new(&counts.unit).with_temperature(counts.unit_temperature),
        category: Model::new(&counts.category).with_temperature(counts.category_temperature),
    })
}

/// Suggestions for one item.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoutingSuggestions))]
pub struct Suggestions {
    /// The model they come from; none before the first training.
    pub model: Option<ModelInfo>,
    /// The three likeliest units, likeliest first.
    pub units: Vec<UnitSuggestion>,
    /// The three likeliest categories, likeliest first.
    pub categories: Vec<CategorySuggestion>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoutingUnitSuggestion))]
pub struct UnitSuggestion {
    pub unit_id: i64,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    /// The model's probability, 0–1 (naive Bayes is sure of itself: read it as an order, with
    /// the held-out accuracy beside it).
    pub confidence: f64,
    /// The unit holds the item now.
    pub current: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RoutingCategorySuggestion))]
pub struct CategorySuggestion {
    pub code: String,
    pub confidence: f64,
    /// The item has this category now.
    pub current: bool,
}

/// How many of each are suggested.
const SHOWN: usize = 3;

/// Suggestions for an item, for the officers who may handle it.
pub async fn suggest(
    db: &Db,
    org: &OrgIndex,
    models: &RoutingModels,
    who: &Principal,
    item_id: i64,
) -> AppResult<Suggestions> {
    let item = {
        let mut c = db.acquire().await?;
        super::common::item_to_handle(&mut c.conn(), who, item_id).await?
    };
    let Some(m) = models.current(db).await? else {
        return Ok(Suggestions {
            model: None,
            units: vec![],
            categories: vec![],
        });
    };
    let snap = org.snapshot(db).await?;
    let p = analyse(
        &snap,
        item.id,
        item.kind.as_str(),
        &item.category,
        &item.title,
        &item.body,
        item.concerned_unit_id,
        item.unit_id,
        m.pairs,
    );
    let units = rank_units(&m.unit, &snap, &p.unit_features(), &p.chain)
        .into_iter()
        .take(SHOWN)
        .filter_map(|x| {
            snap.get(x.label).map(|u| UnitSuggestion {
                unit_id: u.id,
                name_vi: u.name_vi.clone(),
                name_en: u.name_en.clone(),
                name_fr: u.name_fr.clone(),
                confidence: x.p,
                current: u.id == item.unit_id,
            })
        })
        .collect();
    let categories = m
        .category
        .rank(&p.category_features(), |_| true)
        .into_iter()
        .take(SHOWN)
        .map(|x| CategorySuggestion {
            current: x.label == item.category,
            code: x.label,
            confidence: x.p,
        })
        .collect();
    Ok(Suggestions {
        model: Some(m.info.clone()),
        units,
        categories,
    })
}
