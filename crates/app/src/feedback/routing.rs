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
use crate::require_on_unit;
use domain::policy::{Action, Principal};
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
    /// Temperatures fitted on the held-out items (`domain::routing::fit_temperature`).
    #[serde(default = "one")]
    pub unit_temperature: f64,
    #[serde(default = "one")]
    pub category_temperature: f64,
}

fn one() -> f64 {
    1.0
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

/// An example ready for the models.
struct Prepared {
    id: i64,
    unit_features: Vec<u64>,
    category_features: Vec<u64>,
    /// The unit concerned and its ancestors.
    chain: Vec<i64>,
    unit_id: i64,
    category: String,
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

/// The features of an item's text and context for the unit and the category models, and the
/// chain of the unit it concerns.
fn analyse(
    snap: &Snapshot,
    kind: &str,
    category: &str,
    title: &str,
    body: &str,
    concerned: Option<i64>,
    pairs: bool,
) -> (Vec<u64>, Vec<u64>, Vec<i64>) {
    let chain = concerned.map(|u| snap.chain(u)).unwrap_or_default();
    let concerned_kind = concerned.and_then(|u| snap.get(u)).map(|u| u.kind.as_str());
    let [uc, cc] = contexts(kind, category, concerned_kind);
    let text = format!("{title}. {body}");
    (
        r::features(&text, &uc, pairs),
        r::features(&text, &cc, pairs),
        chain,
    )
}

fn prepare(snap: &Snapshot, e: store::routing::Example, pairs: bool) -> Prepared {
    let (unit_features, category_features, chain) = analyse(
        snap,
        &e.kind,
        &e.category,
        &e.title,
        &e.body,
        e.concerned_unit_id,
        pairs,
    );
    Prepared {
        id: e.id,
        unit_features,
        category_features,
        chain,
        unit_id: e.unit_id,
        category: e.category,
    }
}

/// The units the model suggests for an item, likeliest first: each target resolved against the
/// chain of the unit concerned, units no longer in force left out, and two targets that name the
/// same unit counted as one.
fn rank_units(
    model: &Model<Target>,
    snap: &Snapshot,
    features: &[u64],
    chain: &[i64],
) -> Vec<r::Ranked<i64>> {
    let ranked = model.rank(features, |t| {
        r::resolve(*t, chain)
            .and_then(|u| snap.get(u))
            .is_some_and(|u| !u.historical())
    });
    let mut out: Vec<r::Ranked<i64>> = vec![];
    for x in ranked {
        let Some(u) = r::resolve(x.label, chain) else {
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

/// How a model is made; the defaults are the product's, the others exist to be compared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Syllable pairs as features besides the syllables.
    pub pairs: bool,
    /// Units learnt relative to the unit concerned; otherwise each unit is a class of its own.
    pub relative: bool,
}

impl Default for Variant {
    fn default() -> Self {
        Variant {
            pairs: true,
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
            store::routing::max_item_id(&mut c.conn()).await?,
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
                units.add(target(variant, &p.chain, p.unit_id), &p.unit_features);
                categories.add(p.category.clone(), &p.category_features);
                items += 1;
            }
        }
        progress(after.max(0) as u64, total.max(0) as u64);
    }
    let mut counts = StoredCounts {
        unit: units.finish(MIN_DOCS),
        category: categories.finish(MIN_DOCS),
        unit_temperature: 1.0,
        category_temperature: 1.0,
    };
    let (accuracy, json) = tokio::task::spawn_blocking(move || {
        // Temperatures first, on the labels each held-out item could be given.
        let unit = Model::new(&counts.unit);
        let category = Model::new(&counts.category);
        let mut unit_cases = vec![];
        let mut category_cases = vec![];
        for p in &held {
            let target = target(variant, &p.chain, p.unit_id);
            let (scores, labels): (Vec<f64>, Vec<&Target>) = unit
                .scores(&p.unit_features)
                .into_iter()
                .zip(unit.labels())
                .filter(|(_, t)| r::resolve(**t, &p.chain).is_some())
                .unzip();
            if let Some(i) = labels.iter().position(|t| **t == target) {
                unit_cases.push((scores, i));
            }
            if let Some(i) = category.labels().iter().position(|c| *c == p.category) {
                category_cases.push((category.scores(&p.category_features), i));
            }
        }
        counts.unit_temperature = r::fit_temperature(&unit_cases);
        counts.category_temperature = r::fit_temperature(&category_cases);
        let unit = unit.with_temperature(counts.unit_temperature);
        let category = category.with_temperature(counts.category_temperature);
        let (mut ua, mut ca) = (Accuracy::default(), Accuracy::default());
        let (mut uconf, mut cconf) = (0.0, 0.0);
        let mut rules_right = 0;
        for p in &held {
            let routed =
                domain::feedback::route(&routes, &p.category, p.chain.first().copied(), triage);
            rules_right += u64::from(routed == p.unit_id);
            // Measured as the page shows it: units, not the model's labels.
            let ranked = rank_units(&unit, &snap, &p.unit_features, &p.chain);
            uconf += ranked.first().map_or(0.0, |x| x.p);
            ua.record(&ranked, &p.unit_id);
            let ranked = category.rank(&p.category_features, |_| true);
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

fn target(variant: Variant, chain: &[i64], unit: i64) -> Target {
    if variant.relative {
        r::target_of(chain, unit)
    } else {
        Target::Unit(unit)
    }
}

/// The newest model, loaded.
pub struct Loaded {
    pub info: ModelInfo,
    unit: Model<Target>,
    category: Model<String>,
}

/// This instance's copy of the newest model. Each use asks for the newest model's id (one read
/// of a table of a few rows), so a model stored by any instance's job is used from the next
/// request; loading one is done off the async threads.
#[derive(Default)]
pub struct RoutingModels {
    loaded: Mutex<Option<Arc<Loaded>>>,
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
        let item = store::feedback::get(&mut c.conn(), item_id)
            .await?
            .ok_or(AppError::NotFound)?;
        require_on_unit(
            &mut c.conn(),
            Some(who),
            Action::HandleFeedback,
            item.unit_id,
        )
        .await?;
        item
    };
    let Some(m) = models.current(db).await? else {
        return Ok(Suggestions {
            model: None,
            units: vec![],
            categories: vec![],
        });
    };
    let snap = org.snapshot(db).await?;
    let (uf, cf, chain) = analyse(
        &snap,
        item.kind.as_str(),
        &item.category,
        &item.title,
        &item.body,
        item.concerned_unit_id,
        true,
    );
    let units = rank_units(&m.unit, &snap, &uf, &chain)
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
        .rank(&cf, |_| true)
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
