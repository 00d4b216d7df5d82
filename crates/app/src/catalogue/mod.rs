//! The database catalogue: units declare their databases and systems, leaders approve, the
//! Steering Committee's office accepts or returns; figures declared or reported by a system's
//! heartbeat give the four words (correct, sufficient, clean, live). Lists, facets and the
//! national dashboard read one in-memory index of every entry, rebuilt when the catalogue's or the
//! organisation's version moves.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::freshness::Freshness;
use crate::memo::Memo;
use domain::FieldError;
use domain::catalogue::{
    self as cat, DeclarationInput, DictField, Figures, Kind, Move, Quality, Standing, State,
};
use domain::policy::{Action, Decision, Principal, Scope, authorize};
use store::audit::{Actor, Change};
use store::catalogue::{Brief, EntryRow, MeasurementRow};
use store::org_index::{OrgIndex, Snapshot};

mod changes;
mod figures;
mod files;
pub mod import;
pub mod obligation;

pub use changes::{EntryChange, changes};
pub use figures::{FiguresInput, Heartbeats, Measured, report};
pub use files::{attach, file, files};

/// Every entry's declaration briefly, with themes, links and each owner's chain of units, as of
/// one catalogue and organisation version. Heartbeats do not move that version: the figures are
/// kept apart ([`Figs`]), so that a stream of heartbeats reloads only numbers.
pub struct Decl {
    pub entries: Vec<Brief>,
    pub themes: HashMap<i64, Vec<String>>,
    /// (consumer, provider)
    pub links: Vec<(i64, i64)>,
    pos: HashMap<i64, usize>,
    /// Each entry's owner and the units above it (nearest first), and its ministry or province.
    chains: Vec<Vec<i64>>,
    tops: Vec<i64>,
    pub org: Arc<Snapshot>,
}

/// Each entry's latest figures, by the entry's position in [`Decl::entries`].
pub type Figs = Vec<store::catalogue::FigRow>;

/// The catalogue as of now: declarations and latest figures.
pub struct Index {
    decl: Arc<Decl>,
    figs: Arc<Figs>,
}

impl std::ops::Deref for Index {
    type Target = Decl;
    fn deref(&self) -> &Decl {
        &self.decl
    }
}

impl Index {
    pub fn get(&self, id: i64) -> Option<&Brief> {
        self.pos.get(&id).map(|&i| &self.entries[i])
    }

    /// The four words of the entry at position `i` as of `now`.
    fn quality_at(&self, i: usize, now: DateTime<Utc>) -> Quality {
        let e = &self.entries[i];
        let f = self.figs.get(i).cloned().unwrap_or_default();
        cat::quality(
            &f.figures(),
            e.expected_population,
            e.frequency,
            f.last_update,
            now,
        )
    }

    /// An entry's four words as of now.
    pub fn quality_now(&self, e: &Brief) -> Quality {
        match self.pos.get(&e.id) {
            Some(&i) => self.quality_at(i, Utc::now()),
            None => Quality::default(),
        }
    }

    fn reads_at(&self, who: Option<&Principal>, i: usize) -> bool {
        authorize(who, Action::ReadCatalogue, Scope::Unit(&self.chains[i])) == Decision::Allow
    }
}

/// The declarations and the figures, each kept while its versions hold. Figures are reloaded by
/// one request at a time: the others wait for it rather than read the same rows again.
pub struct IndexCache {
    decl: Memo<(i64, i64), Decl>,
    /// The latest figures read: (catalogue version, figures version read before the rows, rows).
    /// A request may use any read that began at or after the figures version it saw, so during a
    /// stream of heartbeats one read serves every request waiting for it.
    figs: std::sync::Mutex<Option<(i64, i64, Arc<Figs>)>>,
    loading: tokio::sync::Mutex<()>,
    /// Answers to searches and the dashboard (see [`search`]).
    results: Memo<String, Results>,
    dashboards: Memo<(i64, i64, i64, String, i64), Dashboard>,
    /// Units' past months (see [`unit_history`]): (unit, organisation and catalogue versions, month).
    histories: Memo<(i64, i64, i64, chrono::NaiveDate), Vec<QualityPoint>>,
}

impl Default for IndexCache {
    fn default() -> Self {
        IndexCache {
            decl: Memo::with_capacity(4),
            figs: std::sync::Mutex::new(None),
            loading: tokio::sync::Mutex::new(()),
            results: Memo::with_capacity(512),
            dashboards: Memo::with_capacity(16),
            histories: Memo::with_capacity(256),
        }
    }
}

/// The index of every entry as of now (its `org` snapshot included), for facades that shape the
/// public entries their own way (CKAN, DCAT-AP): filter with [`is_public`].
pub async fn current_index(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
) -> AppResult<Arc<Index>> {
    index(db, org, fresh, cache).await
}

async fn index(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
) -> AppResult<Arc<Index>> {
    let v = fresh.current(db).await?;
    let dkey = (v.catalogue, v.org);
    let usable = || {
        cache
            .figs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(cat, f, _)| *cat == v.catalogue && *f >= v.catalogue_figures)
            .map(|(_, _, figs)| figs.clone())
    };
    if let (Some(decl), Some(figs)) = (cache.decl.get(&dkey), usable()) {
        return Ok(Arc::new(Index { decl, figs }));
    }
    let _turn = cache.loading.lock().await;
    let decl = match cache.decl.get(&dkey) {
        Some(d) => d,
        None => {
            let snap = org.snapshot_at(db, v.org).await?;
            let mut c = db.acquire().await?;
            let mut c = c.conn();
            let entries = store::catalogue::all_brief(&mut c).await?;
            let mut themes: HashMap<i64, Vec<String>> = HashMap::new();
            for (e, t) in store::catalogue::all_themes(&mut c).await? {
                themes.entry(e).or_default().push(t);
            }
            let links = store::catalogue::all_links(&mut c).await?;
            let pos = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
            let chains: Vec<Vec<i64>> = entries
                .iter()
                .map(|e| snap.chain(e.owner_unit_id))
                .collect();
            // The chain runs from the unit up to the national root: the one below the root is the top.
            let tops = chains
                .iter()
                .map(|c| if c.len() >= 2 { c[c.len() - 2] } else { c[0] })
                .collect();
            let d = Arc::new(Decl {
                entries,
                themes,
                links,
                pos,
                chains,
                tops,
                org: snap,
            });
            cache.decl.put(dkey, d.clone());
            d
        }
    };
    let figs = match usable() {
        Some(f) => f,
        None => {
            let mut c = db.acquire().await?;
            let mut c = c.conn();
            let seen = store::versions::current(&mut c).await?.catalogue_figures;
            // Figures held for the same declarations: only the rows that changed since are read.
            let held = cache
                .figs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .filter(|(cat, _, _)| *cat == v.catalogue)
                .map(|(_, f, figs)| (*f, figs.clone()));
            let (mut figs, after): (Figs, _) = match held {
                Some((f, figs)) => ((*figs).clone(), Some(f)),
                None => (vec![Default::default(); decl.entries.len()], None),
            };
            for f in store::catalogue::figures_since(&mut c, after).await? {
                if let Some(&i) = decl.pos.get(&f.id) {
                    figs[i] = f;
                }
            }
            let f = Arc::new(figs);
            *cache.figs.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((v.catalogue, seen, f.clone()));
            f
        }
    };
    Ok(Arc::new(Index { decl, figs }))
}

/// Whether `who` reads the entry's non-public parts (its unit, the unit's superiors, the roles
/// that read everything).
fn reads_inside(snap: &Snapshot, who: Option<&Principal>, owner: i64) -> bool {
    authorize(who, Action::ReadCatalogue, Scope::Unit(&snap.chain(owner))) == Decision::Allow
}

/// Public: accepted and published by its unit (open data always are).
pub fn is_public(e: &Brief) -> bool {
    e.is_public && e.state == State::Accepted
}

fn visible(snap: &Snapshot, who: Option<&Principal>, e: &Brief) -> bool {
    is_public(e) || reads_inside(snap, who, e.owner_unit_id)
}

/// A search of the catalogue; every filter optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Search {
    /// Words of the code, name, purpose or subjects; diacritics and case do not matter.
    #[serde(default)]
    pub q: Option<String>,
    /// A unit: its entries and those of the units below it.
    #[serde(default)]
    pub owner: Option<i64>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub lifecycle: Option<String>,
    /// A DCAT-AP data theme (AGRI, ECON, …).
    #[serde(default)]
    pub theme: Option<String>,
    /// 1–5; only readers who may see an entry's security details filter by it.
    #[serde(default)]
    pub security_level: Option<i32>,
    /// good, fair, poor or unknown: the mean of the measured words.
    #[serde(default)]
    pub quality: Option<String>,
    /// 1-based page of 50.
    #[serde(default)]
    pub page: Option<i64>,
}

pub const PAGE: usize = 50;

/// One entry in a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub kind: Kind,
    pub owner_unit_id: i64,
    pub owner_name: String,
    pub state: State,
    pub lifecycle: cat::Lifecycle,
    pub themes: Vec<String>,
    pub exchange_connected: bool,
    pub is_public: bool,
    pub quality: Quality,
    pub standing: Standing,
    pub last_update: Option<DateTime<Utc>>,
}

/// (value, count) of one facet, largest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Facets {
    pub owner: Vec<FacetValue>,
    pub kind: Vec<FacetValue>,
    pub state: Vec<FacetValue>,
    pub lifecycle: Vec<FacetValue>,
    pub theme: Vec<FacetValue>,
    /// Empty for readers who may not see security levels.
    pub security_level: Vec<FacetValue>,
    pub quality: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Results {
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub items: Vec<Hit>,
    pub facets: Facets,
}

fn hit(idx: &Index, i: usize, lang: &str, now: DateTime<Utc>) -> Hit {
    let e = &idx.entries[i];
    let q = idx.quality_at(i, now);
    Hit {
        id: e.id,
        code: e.code.clone(),
        name_vi: e.name_vi.clone(),
        name_en: e.name_en.clone(),
        name_fr: e.name_fr.clone(),
        kind: e.kind,
        owner_unit_id: e.owner_unit_id,
        owner_name: idx
            .org
            .get(e.owner_unit_id)
            .map(|u| u.name(lang).to_string())
            .unwrap_or_default(),
        state: e.state,
        lifecycle: e.lifecycle,
        themes: idx.themes.get(&e.id).cloned().unwrap_or_default(),
        exchange_connected: e.exchange_connected,
        is_public: e.is_public,
        standing: Standing::of(q.overall()),
        quality: q,
        last_update: idx.figs.get(i).and_then(|f| f.last_update),
    }
}

/// The entries `who` may read that match `s`, a page of them, and the facets of the matches
/// (each facet counted over the matches of every other filter, so a reader sees what choosing
/// a value would give).
pub async fn search(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    s: &Search,
    lang: &str,
) -> AppResult<Results> {
    // The same question by the same kind of reader over the same data has the same answer:
    // kept per versions, reader (role and unit), language, query, and hour ("live" decays).
    let v = fresh.current(db).await?;
    let now = Utc::now();
    let key = format!(
        "{}:{}:{}:{:?}:{lang}:{}:{s:?}",
        v.catalogue,
        v.catalogue_figures,
        v.org,
        who.map(|w| (w.role, w.unit_id)),
        now.timestamp() / 3600
    );
    if let Some(r) = cache.results.get(&key) {
        return Ok((*r).clone());
    }
    let r = search_now(db, org, fresh, cache, who, s, lang, now).await?;
    cache.results.put(key, Arc::new(r.clone()));
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
async fn search_now(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    s: &Search,
    lang: &str,
    now: DateTime<Utc>,
) -> AppResult<Results> {
    let idx = index(db, org, fresh, cache).await?;
    let snap = &idx.org;
    let needle =
        s.q.as_deref()
            .map(domain::text::fold)
            .filter(|q| !q.is_empty());
    let words: Vec<&str> = needle
        .as_deref()
        .map(|n| n.split(' ').collect())
        .unwrap_or_default();
    let kind = s
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| Kind::parse(k).ok_or(()));
    let state = s
        .state
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| State::parse(k).ok_or(()));
    let life = s
        .lifecycle
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| cat::Lifecycle::parse(k).ok_or(()));
    let mut errs = vec![];
    for (f, bad) in [
        ("kind", matches!(kind, Some(Err(())))),
        ("state", matches!(state, Some(Err(())))),
        ("lifecycle", matches!(life, Some(Err(())))),
    ] {
        if bad {
            errs.push(FieldError::new(f, "err-choice"));
        }
    }
    let quality = match s.quality.as_deref().filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => match [
            Standing::Good,
            Standing::Fair,
            Standing::Poor,
            Standing::Unknown,
        ]
        .into_iter()
        .find(|x| x.as_str() == q)
        {
            Some(x) => Some(x),
            None => {
                errs.push(FieldError::new("quality", "err-choice"));
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let theme = s
        .theme
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(str::to_uppercase);
    // Each entry's facet values, and which filters it passes.
    struct Row<'a> {
        i: usize,
        e: &'a Brief,
        top: i64,
        standing: Standing,
        /// Whether the reader sees the entry's non-public parts (its security level among them).
        inside: bool,
    }
    let mut rows: Vec<Row> = vec![];
    for (i, e) in idx.entries.iter().enumerate() {
        if !words.iter().all(|w| e.search_text.contains(w)) {
            continue;
        }
        let inside = idx.reads_at(who, i);
        if !inside && !is_public(e) {
            continue;
        }
        rows.push(Row {
            i,
            e,
            top: idx.tops[i],
            standing: Standing::of(idx.quality_at(i, now).overall()),
            inside,
        });
    }
    // Security levels are a filter only for readers who see some entry's level; for the others
    // the filter is ignored, as if it had not been sent.
    let level = s.security_level.filter(|_| rows.iter().any(|r| r.inside));
    let empty: Vec<String> = vec![];
    let themes_of = |e: &Brief| idx.themes.get(&e.id).unwrap_or(&empty);
    // passes(row, except): every filter but the named one.
    let passes = |r: &Row, except: &str| -> bool {
        (except == "owner" || s.owner.is_none_or(|o| idx.chains[r.i].contains(&o)))
            && (except == "kind" || !matches!(kind, Some(Ok(k)) if k != r.e.kind))
            && (except == "state" || !matches!(state, Some(Ok(k)) if k != r.e.state))
            && (except == "lifecycle" || !matches!(life, Some(Ok(k)) if k != r.e.lifecycle))
            && (except == "theme" || theme.as_ref().is_none_or(|t| themes_of(r.e).contains(t)))
            && (except == "security_level"
                || level.is_none_or(|l| r.inside && l == r.e.security_level))
            && (except == "quality" || quality.is_none_or(|q| q == r.standing))
    };
    let count = |except: &str, key: &dyn Fn(&Row) -> Vec<String>| -> Vec<(String, i64)> {
        let mut m: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows.iter().filter(|r| passes(r, except)) {
            for k in key(r) {
                *m.entry(k).or_default() += 1;
            }
        }
        let mut v: Vec<(String, i64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let plain = |v: Vec<(String, i64)>| -> Vec<FacetValue> {
        v.into_iter()
            .map(|(value, count)| FacetValue {
                label: value.clone(),
                value,
                count,
            })
            .collect()
    };
    let facets = Facets {
        owner: count("owner", &|r| vec![r.top.to_string()])
            .into_iter()
            .take(40)
            .map(|(value, count)| FacetValue {
                label: value
                    .parse()
                    .ok()
                    .and_then(|id| snap.get(id))
                    .map(|u| u.name(lang).to_string())
                    .unwrap_or_default(),
                value,
                count,
            })
            .collect(),
        kind: plain(count("kind", &|r| vec![r.e.kind.as_str().into()])),
        state: plain(count("state", &|r| vec![r.e.state.as_str().into()])),
        lifecycle: plain(count("lifecycle", &|r| vec![r.e.lifecycle.as_str().into()])),
        theme: plain(count("theme", &|r| themes_of(r.e).clone())),
        // Counted over the entries whose level the reader may see.
        security_level: plain(count("security_level", &|r| {
            if r.inside {
                vec![r.e.security_level.to_string()]
            } else {
                vec![]
            }
        })),
        quality: plain(count("quality", &|r| vec![r.standing.as_str().into()])),
    };
    let matches: Vec<&Row> = rows.iter().filter(|r| passes(r, "")).collect();
    let total = matches.len() as i64;
    let pages = (total + PAGE as i64 - 1) / PAGE as i64;
    let page = s.page.unwrap_or(1).clamp(1, pages.max(1));
    let items = matches
        .iter()
        .skip((page as usize - 1) * PAGE)
        .take(PAGE)
        .map(|r| hit(&idx, r.i, lang, now))
        .collect();
    Ok(Results {
        total,
        page,
        pages,
        items,
        facets,
    })
}

/// What only the unit and those above it see of an entry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Security {
    pub security_level: i32,
    pub hosting: cat::Hosting,
    /// Services exposed on the data exchange platforms.
    pub services: String,
    pub last_heartbeat: Option<DateTime<Utc>>,
}

/// Another entry named by this one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryRef {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
}

/// An entry as a reader may see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub kind: Kind,
    pub owner_unit_id: i64,
    pub owner_name: String,
    pub managing_unit_id: Option<i64>,
    pub legal_basis: String,
    pub purpose: String,
    pub themes: Vec<String>,
    pub data_subjects: String,
    pub dictionary: Vec<DictField>,
    pub expected_population: Option<i64>,
    pub frequency: cat::Frequency,
    pub lifecycle: cat::Lifecycle,
    pub lifecycle_since: Option<chrono::NaiveDate>,
    pub exchange_connected: bool,
    pub contact: String,
    pub access_url: String,
    pub is_public: bool,
    pub state: State,
    /// Why it was last returned (only for readers inside).
    pub state_reason: String,
    pub figures: Figures,
    pub quality: Quality,
    pub last_update: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// None unless the reader belongs to the unit or above it.
    pub security: Option<Security>,
    /// The entries whose data it consumes, and those that consume its data (as far as the reader may see them).
    pub providers: Vec<EntryRef>,
    pub consumers: Vec<EntryRef>,
    /// The moves the reader may make now.
    pub moves: Vec<Move>,
    /// Whether the reader may edit it and report its figures.
    pub editable: bool,
}

fn may(snap: &Snapshot, who: Option<&Principal>, action: Action, owner: i64) -> bool {
    authorize(who, action, Scope::Unit(&snap.chain(owner))) == Decision::Allow
}

/// The action a move needs: declaring is the unit's; approving its leader's; accepting the
/// reviewer's; a return is the leader's while declared and the reviewer's once approved.
fn action_for(state: State, m: Move) -> Action {
    match (m, state) {
        (Move::Declare, _) => Action::DeclareCatalogue,
        (Move::Approve, _) | (Move::Return, State::Declared) => Action::ApproveCatalogue,
        (Move::Accept | Move::Return, _) => Action::ReviewCatalogue,
    }
}

fn moves_for(snap: &Snapshot, who: Option<&Principal>, e: &EntryRow) -> Vec<Move> {
    Move::ALL
        .iter()
        .copied()
        .filter(|m| {
            cat::next(e.state, *m).is_some()
                && may(snap, who, action_for(e.state, *m), e.owner_unit_id)
        })
        .collect()
}

/// One entry as `who` may see it (404 when they may not).
pub async fn entry(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    id: i64,
    lang: &str,
) -> AppResult<EntryView> {
    let idx = index(db, org, fresh, cache).await?;
    let snap = &idx.org;
    let brief = idx.get(id).ok_or(AppError::NotFound)?;
    if !visible(snap, who, brief) {
        return Err(AppError::NotFound);
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let e = store::catalogue::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let inside = reads_inside(snap, who, e.owner_unit_id);
    let refs = |ids: Vec<i64>| -> Vec<EntryRef> {
        ids.into_iter()
            .filter_map(|i| idx.get(i))
            .filter(|b| visible(snap, who, b))
            .map(|b| EntryRef {
                id: b.id,
                code: b.code.clone(),
                name_vi: b.name_vi.clone(),
            })
            .collect()
    };
    let providers = refs(
        idx.links
            .iter()
            .filter(|l| l.0 == id)
            .map(|l| l.1)
            .collect(),
    );
    let consumers = refs(
        idx.links
            .iter()
            .filter(|l| l.1 == id)
            .map(|l| l.0)
            .collect(),
    );
    let now = Utc::now();
    let quality = cat::quality(
        &e.figures(),
        e.expected_population,
        e.frequency,
        e.last_update,
        now,
    );
    Ok(EntryView {
        id: e.id,
        owner_name: snap
            .get(e.owner_unit_id)
            .map(|u| u.name(lang).to_string())
            .unwrap_or_default(),
        themes: idx.themes.get(&id).cloned().unwrap_or_default(),
        dictionary: serde_json::from_str(&e.dictionary).unwrap_or_default(),
        figures: e.figures(),
        quality,
        security: inside.then(|| Security {
            security_level: e.security_level,
            hosting: e.hosting,
            services: e.services.clone(),
            last_heartbeat: e.last_heartbeat,
        }),
        state_reason: if inside {
            e.state_reason.clone()
        } else {
            String::new()
        },
        moves: moves_for(snap, who, &e),
        editable: may(snap, who, Action::DeclareCatalogue, e.owner_unit_id),
        providers,
        consumers,
        code: e.code,
        name_vi: e.name_vi,
        name_en: e.name_en,
        name_fr: e.name_fr,
        kind: e.kind,
        owner_unit_id: e.owner_unit_id,
        managing_unit_id: e.managing_unit_id,
        legal_basis: e.legal_basis,
        purpose: e.purpose,
        data_subjects: e.data_subjects,
        expected_population: e.expected_population,
        frequency: e.frequency,
        lifecycle: e.lifecycle,
        lifecycle_since: e.lifecycle_since,
        exchange_connected: e.exchange_connected,
        contact: e.contact,
        access_url: e.access_url,
        is_public: e.is_public,
        state: e.state,
        last_update: e.last_update,
        updated_at: e.updated_at,
    })
}

/// The entry `who` may take `action` on (chosen from its state): 404 when they may not even read
/// it, as for an entry that does not exist; 403 when they read it but may not act.
async fn entry_for(
    c: &mut store::db::DbConn<'_>,
    who: &Principal,
    id: i64,
    action: impl Fn(State) -> Action,
) -> AppResult<EntryRow> {
    let e = store::catalogue::get(c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let chain = store::org::chain(c, e.owner_unit_id).await?;
    let public = e.is_public && e.state == State::Accepted;
    if !public
        && authorize(Some(who), Action::ReadCatalogue, Scope::Unit(&chain)) != Decision::Allow
    {
        return Err(AppError::NotFound);
    }
    crate::require(Some(who), action(e.state), Scope::Unit(&chain))?;
    Ok(e)
}

/// The providers' ids for their codes, each known (a field error otherwise) and not the entry itself.
async fn provider_ids(
    c: &mut store::db::DbConn<'_>,
    codes: &[String],
    own: Option<i64>,
) -> AppResult<Vec<i64>> {
    let mut out = vec![];
    for code in codes {
        match store::catalogue::id_by_code(c, code).await? {
            Some(id) if Some(id) != own => out.push(id),
            _ => {
                return Err(AppError::invalid(
                    FieldError::new("providers", "err-catalogue-unknown").with("code", code),
                ));
            }
        }
    }
    Ok(out)
}

fn parse(input: &DeclarationInput) -> AppResult<cat::Declaration> {
    input.parse().map_err(AppError::Invalid)
}

/// A unit declares a new entry (a draft until it is declared for approval).
pub async fn create(
    db: &Db,
    who: &Principal,
    owner_unit_id: i64,
    input: &DeclarationInput,
) -> AppResult<EntryRow> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    crate::require_on_unit(&mut c, Some(who), Action::DeclareCatalogue, owner_unit_id).await?;
    owner_exists(&mut c, owner_unit_id).await?;
    let d = parse(input)?;
    check_managing(&mut c, d.managing_unit_id).await?;
    if store::catalogue::id_by_code(&mut c, &d.code)
        .await?
        .is_some()
    {
        return Err(AppError::invalid(FieldError::new(
            "code",
            "err-catalogue-code-taken",
        )));
    }
    let providers = provider_ids(&mut c, &d.providers, None).await?;
    let id = store::catalogue::insert(&mut c, &d, owner_unit_id, now).await?;
    store::catalogue::set_providers(&mut c, id, &providers).await?;
    let row = store::catalogue::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut changes = vec![
        Change::new("catalogue.create", "catalogue_entry", id).after(store::audit::to_json(&row)),
    ];
    changes.extend(obligation::follow(&mut c, who, owner_unit_id, now).await?);
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(row)
}

/// The owner must be a unit that exists (an unknown id is the caller's mistake, not a server error).
pub(crate) async fn owner_exists(c: &mut store::db::DbConn<'_>, unit: i64) -> AppResult<()> {
    match store::org::get(c, unit).await? {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(FieldError::new(
            "owner_unit_id",
            "err-no-such-unit",
        ))),
    }
}

async fn check_managing(c: &mut store::db::DbConn<'_>, unit: Option<i64>) -> AppResult<()> {
    if let Some(u) = unit
        && store::org::get(c, u).await?.is_none()
    {
        return Err(AppError::invalid(FieldError::new(
            "managing_unit_id",
            "err-no-such-unit",
        )));
    }
    Ok(())
}

/// The unit edits its entry; an edit is reviewed again (see `domain::catalogue::after_edit`).
pub async fn edit(
    db: &Db,
    who: &Principal,
    id: i64,
    input: &DeclarationInput,
) -> AppResult<EntryRow> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let before = entry_for(&mut c, who, id, |_| Action::DeclareCatalogue).await?;
    let d = parse(input)?;
    check_managing(&mut c, d.managing_unit_id).await?;
    if store::catalogue::id_by_code(&mut c, &d.code)
        .await?
        .is_some_and(|other| other != id)
    {
        return Err(AppError::invalid(FieldError::new(
            "code",
            "err-catalogue-code-taken",
        )));
    }
    let providers = provider_ids(&mut c, &d.providers, Some(id)).await?;
    store::catalogue::update(&mut c, id, &d, cat::after_edit(before.state), now).await?;
    store::catalogue::set_providers(&mut c, id, &providers).await?;
    let row = store::catalogue::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut changes = vec![
        Change::new("catalogue.edit", "catalogue_entry", id)
            .before(store::audit::to_json(&before))
            .after(store::audit::to_json(&row)),
    ];
    changes.extend(obligation::follow(&mut c, who, row.owner_unit_id, now).await?);
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(row)
}

/// A step of the review workflow.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CatalogueMoveInput))]
pub struct MoveInput {
    /// declare, approve, accept or return.
    #[serde(rename = "move")]
    pub step: String,
    /// Required to return.
    #[serde(default)]
    pub reason: String,
}

pub async fn move_entry(
    db: &Db,
    who: &Principal,
    id: i64,
    input: &MoveInput,
) -> AppResult<EntryRow> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    let m = Move::parse(input.step.trim())
        .ok_or_else(|| AppError::invalid(FieldError::new("move", "err-choice")))?;
    let before = entry_for(&mut c, who, id, |state| action_for(state, m)).await?;
    let to = cat::check_move(before.state, m, &input.reason).map_err(AppError::invalid)?;
    let reason = domain::input::BoundedText::parse_max("reason", &input.reason, 2000)
        .map_err(AppError::invalid)?;
    let reason = if m == Move::Return {
        reason.into_string()
    } else {
        String::new()
    };
    store::catalogue::set_state(&mut c, id, to, &reason, now).await?;
    let row = store::catalogue::get(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let action = match m {
        Move::Declare => "catalogue.declare",
        Move::Approve => "catalogue.approve",
        Move::Accept => "catalogue.accept",
        Move::Return => "catalogue.return",
    };
    let change =
        Change::new(action, "catalogue_entry", id).before(store::audit::to_json(&before.state));
    let mut changes = vec![change.after(store::audit::to_json(&(to, &reason)))];
    changes.extend(obligation::follow(&mut c, who, row.owner_unit_id, now).await?);
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(row)
}

/// An entry's quality history (the latest 200 measurements), for readers of the entry.
pub async fn history(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<Vec<MeasurementRow>> {
    readable(db, org, fresh, cache, who, id).await?;
    let mut c = db.acquire().await?;
    store::catalogue::measurements(&mut c.conn(), id, 200).await
}

/// The index, and the owner of entry `id` when `who` may see the entry (404 otherwise).
async fn readable(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<(Arc<Index>, i64)> {
    let idx = index(db, org, fresh, cache).await?;
    let e = idx.get(id).ok_or(AppError::NotFound)?;
    if !visible(&idx.org, who, e) {
        return Err(AppError::NotFound);
    }
    let owner = e.owner_unit_id;
    Ok((idx, owner))
}

/// One ministry's or province's line of the national dashboard.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitLine {
    pub unit_id: i64,
    pub code: Option<String>,
    pub name: String,
    pub kind: domain::org::OrgKind,
    /// Entries of the unit and the units below it, by state.
    pub entries: i64,
    pub declared: i64,
    pub approved: i64,
    pub accepted: i64,
    pub connected: i64,
    /// Accepted ÷ entries × 100 (0 when nothing is declared).
    pub completeness: f64,
    /// Mean of each word over the entries where it is measured.
    pub quality: Quality,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dashboard {
    pub total: UnitLine,
    pub agencies: Vec<UnitLine>,
    pub provinces: Vec<UnitLine>,
}

#[derive(Default)]
struct Sums {
    entries: i64,
    declared: i64,
    approved: i64,
    accepted: i64,
    connected: i64,
    words: cat::QualityMean,
}

impl Sums {
    /// Every entry of `unit` and the units below it, as of `now`.
    fn under(idx: &Index, unit: i64, now: DateTime<Utc>) -> Sums {
        let mut s = Sums::default();
        for (i, e) in idx.entries.iter().enumerate() {
            if idx.chains[i].contains(&unit) {
                s.add(e, &idx.quality_at(i, now));
            }
        }
        s
    }

    fn add(&mut self, e: &Brief, q: &Quality) {
        self.entries += 1;
        self.declared += i64::from(e.state != State::Draft);
        self.approved += i64::from(matches!(e.state, State::Approved | State::Accepted));
        self.accepted += i64::from(e.state == State::Accepted);
        self.connected += i64::from(e.exchange_connected);
        self.words.add(q);
    }

    fn line(
        &self,
        unit_id: i64,
        code: Option<String>,
        name: String,
        kind: domain::org::OrgKind,
    ) -> UnitLine {
        UnitLine {
            unit_id,
            code,
            name,
            kind,
            entries: self.entries,
            declared: self.declared,
            approved: self.approved,
            accepted: self.accepted,
            connected: self.connected,
            completeness: cat::completeness(self.accepted, self.entries),
            quality: self.words.mean(),
        }
    }
}

/// "Where are our data?": per ministry and province, entries declared, approved, accepted,
/// connected to the exchange platform, and the four words. Counts of every entry are public;
/// no entry's details are.
pub async fn dashboard(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    lang: &str,
) -> AppResult<Dashboard> {
    let v = fresh.current(db).await?;
    let now = Utc::now();
    let key = (
        v.catalogue,
        v.catalogue_figures,
        v.org,
        lang.to_string(),
        now.timestamp() / 3600,
    );
    if let Some(d) = cache.dashboards.get(&key) {
        return Ok((*d).clone());
    }
    let idx = index(db, org, fresh, cache).await?;
    let snap = &idx.org;
    let mut per: HashMap<i64, Sums> = HashMap::new();
    let mut all = Sums::default();
    for (i, e) in idx.entries.iter().enumerate() {
        let q = idx.quality_at(i, now);
        per.entry(idx.tops[i]).or_default().add(e, &q);
        all.add(e, &q);
    }
    let lines = |kind: domain::org::OrgKind| -> Vec<UnitLine> {
        snap.current_of_kind(kind)
            .into_iter()
            .map(|u| {
                per.get(&u.id)
                    .map(|s| s.line(u.id, u.code.clone(), u.name(lang).to_string(), u.kind))
                    .unwrap_or_else(|| {
                        Sums::default().line(u.id, u.code.clone(), u.name(lang).to_string(), u.kind)
                    })
            })
            .collect()
    };
    let d = Dashboard {
        total: all.line(0, None, String::new(), domain::org::OrgKind::National),
        agencies: lines(domain::org::OrgKind::CentralAgency),
        provinces: lines(domain::org::OrgKind::Province),
    };
    cache.dashboards.put(key, Arc::new(d.clone()));
    Ok(d)
}

/// A unit's own line (its subtree), for its catalogue page.
pub async fn unit_line(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    unit: i64,
    lang: &str,
) -> AppResult<UnitLine> {
    let idx = index(db, org, fresh, cache).await?;
    let snap = &idx.org;
    let u = snap.get(unit).ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let s = Sums::under(&idx, unit, now);
    Ok(s.line(u.id, u.code.clone(), u.name(lang).to_string(), u.kind))
}

/// A unit's four words at one time.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityPoint {
    pub at: DateTime<Utc>,
    /// Each word's mean over the entries where it is measured.
    pub quality: Quality,
}

/// A unit's four words (its subtree's entries) at the end of each of the last eleven months, and
/// now: the history of its catalogue's quality. Past months only change with the declarations
/// (measurements are taken at the time they arrive), so they are kept per catalogue version and
/// month; the last point is the unit's line as of now.
pub async fn unit_history(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    unit: i64,
) -> AppResult<Vec<QualityPoint>> {
    let idx = index(db, org, fresh, cache).await?;
    if idx.org.get(unit).is_none() {
        return Err(AppError::NotFound);
    }
    let now = Utc::now();
    let today = domain::clock::local_date(now);
    let key = (
        unit,
        idx.org.version,
        fresh.current(db).await?.catalogue,
        today.with_day(1).unwrap_or(today),
    );
    let past = match cache.histories.get(&key) {
        Some(p) => p,
        None => {
            let ends = month_ends(today, 11);
            let mut by_entry: BTreeMap<i64, cat::Measured> = BTreeMap::new();
            for (i, e) in idx.entries.iter().enumerate() {
                if idx.chains[i].contains(&unit) {
                    by_entry.insert(
                        e.id,
                        cat::Measured {
                            expected: e.expected_population,
                            frequency: e.frequency,
                            measures: vec![],
                        },
                    );
                }
            }
            let last = ends.last().copied().unwrap_or(now);
            let mut c = db.acquire().await?;
            for (id, at, f) in store::catalogue::measures_under(&mut c.conn(), unit, last).await? {
                if let Some(m) = by_entry.get_mut(&id) {
                    m.measures.push((at, f));
                }
            }
            let entries: Vec<cat::Measured> = by_entry.into_values().collect();
            let p = Arc::new(
                ends.iter()
                    .zip(cat::series(&entries, &ends))
                    .map(|(&at, quality)| QualityPoint { at, quality })
                    .collect::<Vec<_>>(),
            );
            cache.histories.put(key, p.clone());
            p
        }
    };
    let s = Sums::under(&idx, unit, now);
    let mut out = (*past).clone();
    out.push(QualityPoint {
        at: now,
        quality: s.words.mean(),
    });
    Ok(out)
}

/// The last instant of each of the `n` months before `today`'s (in the product's zone), oldest
/// first.
fn month_ends(today: chrono::NaiveDate, n: u32) -> Vec<DateTime<Utc>> {
    let first = today.with_day(1).unwrap_or(today);
    (1..=n)
        .rev()
        .filter_map(|k| {
            let start = first.checked_sub_months(chrono::Months::new(k - 1))?;
            Some(domain::clock::end_of_day(start.pred_opt()?))
        })
        .collect()
}

/// The dependency graph of what `who` may see: entries with at least one link, and the links.
pub async fn graph(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    owner: Option<i64>,
) -> AppResult<(Vec<EntryRef>, Vec<(i64, i64)>)> {
    let idx = index(db, org, fresh, cache).await?;
    let snap = &idx.org;
    let ok = |id: i64| idx.get(id).is_some_and(|b| visible(snap, who, b));
    let near = |id: i64| {
        owner.is_none_or(|o| {
            idx.get(id)
                .is_some_and(|b| snap.chain(b.owner_unit_id).contains(&o))
        })
    };
    let links: Vec<(i64, i64)> = idx
        .links
        .iter()
        .copied()
        .filter(|(a, b)| ok(*a) && ok(*b) && (near(*a) || near(*b)))
        .take(400)
        .collect();
    let mut ids: Vec<i64> = links.iter().flat_map(|(a, b)| [*a, *b]).collect();
    ids.sort_unstable();
    ids.dedup();
    let nodes = ids
        .into_iter()
        .filter_map(|i| idx.get(i))
        .map(|b| EntryRef {
            id: b.id,
            code: b.code.clone(),
            name_vi: b.name_vi.clone(),
        })
        .collect();
    Ok((nodes, links))
}
