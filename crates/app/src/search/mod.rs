//! Search across the platform (issue 16): one tantivy index on each instance's local disk, over
//! tasks, progress reports, feedback, indicators, catalogue entries and units.
//!
//! The index is derived data. Triggers write every change of searchable text into an outbox in
//! the writing transaction (migration 0029); [`indexer`] applies it a few times a second and
//! keeps its cursor in the index's own commit, so the two move together. A missing, outdated or
//! too-old index is rebuilt from the tables.
//!
//! Who reads what is decided by `domain::policy`, twice: the query itself only matches what the
//! reader may see (see [`access`]), and each hit is checked again before it is shown. A record
//! has up to two layers of text: the public one (a task that is public or internal, published
//! feedback as moderated, a public catalogue entry) and the full one, read only where the policy
//! lets the reader into the record's units (a restricted task, the citizen's own words, a draft
//! catalogue entry).

pub mod duplicates;
pub mod indexer;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use domain::policy::{self, Action, Decision, Principal, Scope};
use domain::search::{Kind, Piece, Terms};
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, FuzzyTermQuery, Occur, Query, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocSet, Index, IndexReader, IndexWriter, Searcher, TERMINATED, TantivyDocument, Term,
};

use crate::error::{AppError, AppResult};
use crate::records::OrgIndex;
use schema::Fields;
use store::org_index::Snapshot;

/// Results per page, and the most a client may ask for.
pub const PAGE: usize = 20;
pub const PAGE_MAX: usize = 50;

/// Counting stops here: past it a count says "at least" ("10,000+"). Counting a million
/// matches exactly was most of a query's work, and tells a reader nothing more.
pub const COUNT_CAP: usize = 10_000;

/// Typos are forgiven, and the last word completed, only when the words as typed find fewer
/// records than this: expanding every longer word to its neighbours in the dictionary unions
/// dozens of long lists, and a query that finds plenty as typed needs none of them.
const FEW: usize = PAGE;

/// The search of one instance: its index once opened or built.
pub struct Search {
    dir: PathBuf,
    engine: RwLock<Option<Arc<Engine>>>,
    cache: std::sync::Mutex<Cache>,
}

/// Answers of one state of the index, so that the same question asked again (a popular word,
/// the next visitor of a linked search, a search page opened again) costs a lookup. Emptied as soon as the
/// index moves on: an answer never outlives the state it was read from, so a change is found
/// as soon as the indexer has applied it, as without the cache.
#[derive(Default)]
struct Cache {
    /// The engine and reader generation the answers were read from.
    state: (usize, u64),
    answers: std::collections::HashMap<CacheKey, Results>,
}

/// Who asks (what they may read depends on their role and unit only), what, and the version of
/// the organisation tree the unit names were read from.
#[derive(PartialEq, Eq, Hash)]
struct CacheKey {
    who: Option<(domain::policy::Role, i64)>,
    q: SearchQuery,
    org: i64,
}

/// Answers kept per state of the index: a page is about 20 KB.
const CACHE_MAX: usize = 500;

impl Cache {
    fn get(&mut self, state: (usize, u64), key: &CacheKey) -> Option<Results> {
        if self.state != state {
            self.answers.clear();
            self.state = state;
            return None;
        }
        self.answers.get(key).cloned()
    }

    fn put(&mut self, state: (usize, u64), key: CacheKey, r: &Results) {
        if self.state != state {
            // Read from a state that is not the latest seen (or newer than it): a later get
            // clears it anyway; keep nothing.
            return;
        }
        if self.answers.len() >= CACHE_MAX {
            self.answers.clear();
        }
        self.answers.insert(key, r.clone());
    }
}

/// An open index, its reader and its one writer.
pub(crate) struct Engine {
    index: Index,
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    f: Fields,
}

fn tantivy_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("search index: {e}"))
}

impl Search {
    /// The index lives in `<data_dir>/search`.
    pub fn new(data_dir: &Path) -> Search {
        Search {
            dir: data_dir.join("search"),
            engine: RwLock::new(None),
            cache: Default::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the index can answer (it is being built after a first start otherwise).
    pub fn ready(&self) -> bool {
        self.engine().is_some()
    }

    fn engine(&self) -> Option<Arc<Engine>> {
        self.engine.read().expect("search engine lock").clone()
    }

    fn install(&self, e: Arc<Engine>) {
        *self.engine.write().expect("search engine lock") = Some(e);
    }

    /// The outbox row up to which the index is current (tests and the status line).
    pub fn cursor(&self) -> Option<i64> {
        self.engine()
            .and_then(|e| e.payload().ok())
            .map(|p| p.cursor)
    }

    /// Searches as `who`. Runs on a blocking thread: the work is CPU and memory-mapped reads.
    pub async fn search(
        &self,
        org: &OrgIndex,
        db: &crate::db::Db,
        who: Option<&Principal>,
        q: &SearchQuery,
    ) -> AppResult<Results> {
        let Some(engine) = self.engine() else {
            return Ok(Results::not_ready(q));
        };
        let snap = org.snapshot(db).await?;
        let searcher = engine.reader.searcher();
        let state = (
            Arc::as_ptr(&engine) as usize,
            searcher.generation().generation_id(),
        );
        let key = CacheKey {
            who: who.map(|p| (p.role, p.unit_id)),
            q: q.clone(),
            org: snap.version,
        };
        if let Some(r) = self
            .cache
            .lock()
            .expect("search cache lock")
            .get(state, &key)
        {
            return Ok(r);
        }
        let who = who.cloned();
        let q = q.clone();
        let r = tokio::task::spawn_blocking(move || engine.run(who.as_ref(), &q, &snap, &searcher))
            .await
            .map_err(tantivy_err)??;
        self.cache
            .lock()
            .expect("search cache lock")
            .put(state, key, &r);
        Ok(r)
    }
}

/// What a list's `q=` filter needs (the feedback inbox, the public list).
#[derive(Clone, Copy)]
pub struct Finder<'a> {
    pub search: &'a Search,
    pub org: &'a OrgIndex,
    pub db: &'a crate::db::Db,
}

/// A list filtered by words keeps at most this many of the best matches.
pub const FILTER_CAP: usize = 1000;

impl Finder<'_> {
    /// Ids of the feedback items matching `words` that `who` may find (anonymous: published
    /// items by their public text), of `unit` and the units below when given, best first, at
    /// most [`FILTER_CAP`]. Unavailable while the index is being built.
    pub async fn feedback_ids(
        &self,
        who: Option<&Principal>,
        words: &str,
        unit: Option<i64>,
    ) -> AppResult<Vec<i64>> {
        let Some(engine) = self.search.engine() else {
            return Err(AppError::Unavailable);
        };
        let terms = Terms::parse(words);
        if terms.is_empty() {
            return Ok(vec![]);
        }
        let who = who.cloned();
        tokio::task::spawn_blocking(move || {
            let acc = access(who.as_ref());
            let searcher = engine.reader.searcher();
            let tolerant =
                engine.needs_tolerance(&searcher, &terms, &acc, Some(Kind::Feedback), unit)?;
            let q = engine.query(&terms, &acc, Some(Kind::Feedback), unit, tolerant);
            let top = searcher
                .search(&q, &TopDocs::with_limit(FILTER_CAP).order_by_score())
                .map_err(tantivy_err)?;
            let mut ids = Vec::with_capacity(top.len());
            for (_, addr) in top {
                let doc: TantivyDocument = searcher.doc(addr).map_err(tantivy_err)?;
                if let Some(id) = doc.get_first(engine.f.id).and_then(|v| v.as_u64()) {
                    ids.push(id as i64);
                }
            }
            Ok(ids)
        })
        .await
        .map_err(tantivy_err)?
    }
}

/// A feedback item that may say the same as a text.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Similar {
    pub id: i64,
    /// The tracking code, when the reader may see it.
    pub code: String,
    pub title: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub submitted_on: Option<String>,
    /// 0 to 1: the mean Jaccard index of the folded syllables and of their pairs.
    pub similarity: f64,
    pub url: String,
}

impl Finder<'_> {
    /// Feedback items that may say the same as `text`, most alike first: the index's best
    /// matches on any of its words (BM25), re-scored by [`domain::search::similarity`] and kept
    /// from [`domain::search::DUPLICATE_AT`]. The public compares with published texts; a unit
    /// with the items it holds too. `except`: the item itself.
    pub async fn similar_feedback(
        &self,
        who: Option<&Principal>,
        text: &str,
        except: Option<i64>,
        unit: Option<i64>,
        limit: usize,
    ) -> AppResult<Vec<Similar>> {
        let Some(engine) = self.search.engine() else {
            return Err(AppError::Unavailable);
        };
        let snap = self.org.snapshot(self.db).await?;
        let who = who.cloned();
        let text = text.to_string();
        tokio::task::spawn_blocking(move || {
            engine.similar(who.as_ref(), &text, except, unit, limit, &snap)
        })
        .await
        .map_err(tantivy_err)?
    }
}

/// Candidates read from the index before re-scoring.
const CANDIDATES: usize = 30;

/// What was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    pub q: String,
    pub kind: Option<Kind>,
    /// Only records of this unit or the units below it.
    pub unit: Option<i64>,
    /// Where the previous page ended (an offset, opaque to clients).
    pub cursor: Option<String>,
    pub limit: Option<usize>,
    /// Leave the counts per type out (a page that asked for them already).
    pub skip_facets: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchHit))]
pub struct Hit {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub id: i64,
    /// The task's or indicator's code, the feedback's tracking code (public records only),
    /// the catalogue entry's code, the unit's code.
    pub code: String,
    pub title: String,
    /// The title with the syllables that matched marked.
    pub title_pieces: Vec<Piece>,
    /// A passage of the text around the first match, matches marked.
    pub snippet: Vec<Piece>,
    /// Where to read it, on this site.
    pub url: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// A date that helps to tell hits apart (deadline, report or submission day).
    pub date: Option<String>,
    /// The full text was searched and is shown (the reader may read inside the record).
    pub full_text: bool,
    pub score: f32,
}

/// How many hits of one kind.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchFacet))]
pub struct Facet {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub count: usize,
    /// The count stopped at 10,000: there are at least `count` hits.
    pub capped: bool,
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SearchResults))]
pub struct Results {
    pub q: String,
    /// Hits of every type for this query (the type filter aside).
    pub total: usize,
    /// A count per type stopped at 10,000: there are at least `total` hits.
    pub capped: bool,
    /// Hits per type, for the same query, the type filter aside.
    pub facets: Vec<Facet>,
    pub hits: Vec<Hit>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
    /// False while the index is being built after a first start: nothing can be found yet.
    pub ready: bool,
}

impl Results {
    fn not_ready(q: &SearchQuery) -> Results {
        Results {
            q: q.q.clone(),
            total: 0,
            capped: false,
            facets: vec![],
            hits: vec![],
            next_cursor: None,
            ready: false,
        }
    }
}

/// The layers of text a query may match for `who`, from `domain::policy`.
struct Access {
    /// Public-layer visibilities readable: "public", and "internal" for members of the
    /// administration.
    visibilities: Vec<&'static str>,
    /// Kinds whose full text `who` may read: everywhere (`None`), or inside the records of
    /// their own unit and the units below (`Some(unit)`).
    inside: Vec<(Kind, Option<i64>)>,
}

/// The kinds that have a full layer (see [`inside_action`]).
const WITH_FULL: usize = 4;

impl Access {
    /// The full-layer clauses: kinds grouped by where they may be read, so that a reader with
    /// the same reach over every kind costs one clause, without a filter on kinds.
    fn groups(&self) -> Vec<(Option<i64>, Vec<Kind>)> {
        let mut out: Vec<(Option<i64>, Vec<Kind>)> = vec![];
        for (k, within) in &self.inside {
            match out.iter_mut().find(|(w, _)| w == within) {
                Some((_, kinds)) => kinds.push(*k),
                None => out.push((*within, vec![*k])),
            }
        }
        out
    }
}

/// The action that guards a kind's full text.
fn inside_action(kind: Kind) -> Option<Action> {
    match kind {
        Kind::Task | Kind::Report => Some(Action::ReadRestricted),
        Kind::Feedback => Some(Action::ReadFeedback),
        Kind::Catalogue => Some(Action::ReadCatalogue),
        Kind::Indicator | Kind::Unit => None,
    }
}

fn access(who: Option<&Principal>) -> Access {
    let mut visibilities = vec!["public"];
    if policy::authorize(who, Action::ReadInternal, Scope::Global) == Decision::Allow {
        visibilities.push("internal");
    }
    let mut inside = vec![];
    for kind in Kind::ALL {
        let Some(action) = inside_action(kind) else {
            continue;
        };
        // An empty chain contains no unit: only a role that reads everything passes.
        if policy::authorize(who, action, Scope::Unit(&[])) == Decision::Allow {
            inside.push((kind, None));
        } else if let Some(p) = who
            && policy::authorize(who, action, Scope::Unit(&[p.unit_id])) == Decision::Allow
        {
            inside.push((kind, Some(p.unit_id)));
        }
    }
    Access {
        visibilities,
        inside,
    }
}

/// Whether `who` may read the full text of a record of `kind` whose units' chains hold `scope`.
fn may_read_inside(who: Option<&Principal>, kind: Kind, scope: &[i64]) -> bool {
    inside_action(kind)
        .is_some_and(|a| policy::authorize(who, a, Scope::Unit(scope)) == Decision::Allow)
}

fn term_q(t: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs))
}

fn boost(q: Box<dyn Query>, b: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, b))
}

/// A filter: required, and no part of the score. (Scored, the rarer visibility "internal" lifted
/// an internal task above a public one with the same text.)
fn only(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (
        Occur::Must,
        Box::new(tantivy::query::ConstScoreQuery::new(q, 0.0)),
    )
}

/// Any of `qs` (at least one); a single one is itself (a one-clause union is a level of
/// stepping for nothing).
fn any_of(mut qs: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if qs.len() == 1 {
        return qs.pop().expect("one query");
    }
    Box::new(BooleanQuery::new(
        qs.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

impl Engine {
    /// The clauses on one layer's three fields: every folded syllable must match (as typed;
    /// when `tolerant`, also within its typos, and the last one as a prefix being typed); exact
    /// spellings and bigrams add. Flat, to be joined with a layer's filters in one conjunction:
    /// each level of nesting costs a union or an intersection stepping over every match.
    fn text_clauses(
        &self,
        terms: &Terms,
        layer: schema::Layer,
        tolerant: bool,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![];
        let n = terms.folded.len();
        for (i, t) in terms.folded.iter().enumerate() {
            let term = Term::from_field_text(layer.folded, t);
            let mut alts: Vec<Box<dyn Query>> = vec![term_q(term.clone())];
            let typos = domain::search::typos_allowed(t);
            if tolerant && typos > 0 {
                alts.push(boost(
                    Box::new(FuzzyTermQuery::new(term.clone(), typos, true)),
                    0.5,
                ));
            }
            if tolerant && i + 1 == n && t.chars().count() >= 3 {
                alts.push(boost(
                    Box::new(FuzzyTermQuery::new_prefix(term, 0, false)),
                    0.3,
                ));
            }
            clauses.push((Occur::Must, any_of(alts)));
        }
        for e in &terms.exact {
            let t = Term::from_field_text(layer.exact, e);
            clauses.push((Occur::Should, boost(term_q(t), 1.5)));
        }
        for b in &terms.bigrams {
            let t = Term::from_field_text(layer.bigrams, b);
            clauses.push((Occur::Should, boost(term_q(t), 2.0)));
        }
        clauses
    }

    /// The whole query: a match in a layer the reader may see, of the type and unit asked.
    /// Each layer is one flat conjunction of its words and filters; a single layer (the
    /// public's) is the query itself.
    fn query(
        &self,
        terms: &Terms,
        acc: &Access,
        kind: Option<Kind>,
        unit: Option<i64>,
        tolerant: bool,
    ) -> Box<dyn Query> {
        let f = &self.f;
        // The type and unit asked, in every layer.
        let filters = || {
            let mut c: Vec<(Occur, Box<dyn Query>)> = vec![];
            if let Some(k) = kind {
                c.push(only(term_q(Term::from_field_text(f.kind, k.as_str()))));
            }
            if let Some(u) = unit {
                c.push(only(term_q(Term::from_field_u64(f.under, u as u64))));
            }
            c
        };
        let mut layers: Vec<Box<dyn Query>> = vec![];
        let vis = any_of(
            acc.visibilities
                .iter()
                .map(|v| term_q(Term::from_field_text(f.pub_vis, v)))
                .collect(),
        );
        let mut c = self.text_clauses(terms, f.public, tolerant);
        c.push(only(vis));
        c.extend(filters());
        layers.push(Box::new(BooleanQuery::new(c)));
        for (within, kinds) in acc.groups() {
            if kind.is_some_and(|k| !kinds.contains(&k)) {
                continue;
            }
            let mut c = self.text_clauses(terms, f.full, tolerant);
            if kinds.len() < WITH_FULL && kind.is_none() {
                c.push(only(any_of(
                    kinds
                        .iter()
                        .map(|k| term_q(Term::from_field_text(f.kind, k.as_str())))
                        .collect(),
                )));
            }
            if let Some(u) = within {
                c.push(only(term_q(Term::from_field_u64(f.scope, u as u64))));
            }
            c.extend(filters());
            layers.push(Box::new(BooleanQuery::new(c)));
        }
        any_of(layers)
    }

    /// Whether the words as typed find too few records (of `kind`, when given; the search page
    /// passes none, so that its counts and every type's hits use the same rule) for the query
    /// to be run without its typos forgiven.
    fn needs_tolerance(
        &self,
        searcher: &Searcher,
        terms: &Terms,
        acc: &Access,
        kind: Option<Kind>,
        unit: Option<i64>,
    ) -> AppResult<bool> {
        let strict = self.query(terms, acc, kind, unit, false);
        Ok(count_upto(searcher, &*strict, FEW)? < FEW)
    }

    /// The hits of each kind, each count stopped at [`COUNT_CAP`].
    fn counts(
        &self,
        searcher: &Searcher,
        terms: &Terms,
        acc: &Access,
        unit: Option<i64>,
        tolerant: bool,
    ) -> AppResult<[usize; Kind::ALL.len()]> {
        let mut out = [0; Kind::ALL.len()];
        for (n, k) in out.iter_mut().zip(Kind::ALL) {
            *n = count_upto(
                searcher,
                &*self.query(terms, acc, Some(k), unit, tolerant),
                COUNT_CAP,
            )?;
        }
        Ok(out)
    }

    /// Any of the text's syllables on a layer (the candidates of a duplicate).
    fn any_words(&self, words: &[String], layer: schema::Layer) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            words
                .iter()
                .map(|w| {
                    (
                        Occur::Should,
                        term_q(Term::from_field_text(layer.folded, w)),
                    )
                })
                .collect(),
        ))
    }

    fn similar(
        &self,
        who: Option<&Principal>,
        text: &str,
        except: Option<i64>,
        unit: Option<i64>,
        limit: usize,
        snap: &Snapshot,
    ) -> AppResult<Vec<Similar>> {
        let f = &self.f;
        let mine = domain::search::shingles(text);
        let mut words: Vec<String> = Terms::parse(text).folded;
        // The longest syllables say most; a pasted page must not become a thousand clauses.
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.truncate(32);
        if words.is_empty() {
            return Ok(vec![]);
        }
        let acc = access(who);
        let feedback = || term_q(Term::from_field_text(f.kind, Kind::Feedback.as_str()));
        let mut layers: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, self.any_words(&words, f.public)),
                (
                    Occur::Must,
                    term_q(Term::from_field_text(f.pub_vis, "public")),
                ),
            ])),
        )];
        if let Some((_, within)) = acc.inside.iter().find(|(k, _)| *k == Kind::Feedback) {
            let mut c: Vec<(Occur, Box<dyn Query>)> =
                vec![(Occur::Must, self.any_words(&words, f.full))];
            if let Some(u) = within {
                c.push((
                    Occur::Must,
                    term_q(Term::from_field_u64(f.scope, *u as u64)),
                ));
            }
            layers.push((Occur::Should, Box::new(BooleanQuery::new(c))));
        }
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, feedback()),
            (Occur::Must, Box::new(BooleanQuery::new(layers))),
        ];
        if let Some(u) = unit {
            all.push((Occur::Must, term_q(Term::from_field_u64(f.under, u as u64))));
        }
        let q = BooleanQuery::new(all);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&q, &TopDocs::with_limit(CANDIDATES).order_by_score())
            .map_err(tantivy_err)?;
        let mut out = vec![];
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr).map_err(tantivy_err)?;
            let terms = Terms::default();
            let Some(h) = self.hit(&doc, who, &acc, &terms, 0.0, snap) else {
                continue;
            };
            if Some(h.id) == except {
                continue;
            }
            let theirs = domain::search::shingles(&format!(
                "{} {}",
                h.title,
                doc_body(&doc, f, h.full_text)
            ));
            let s = domain::search::similarity(&mine, &theirs);
            if s >= domain::search::DUPLICATE_AT {
                out.push(Similar {
                    id: h.id,
                    code: h.code,
                    title: h.title,
                    unit_id: h.unit_id,
                    unit_name: h.unit_name,
                    submitted_on: h.date,
                    // Four decimals, so that a whole percentage rounded from them is (ties aside) the
                    // one the exact value gives: 0.8247 shows as 82 %, not 83 %.
                    similarity: (s * 10_000.0).round() / 10_000.0,
                    url: h.url,
                });
            }
        }
        out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        out.truncate(limit);
        Ok(out)
    }

    fn run(
        &self,
        who: Option<&Principal>,
        q: &SearchQuery,
        snap: &Snapshot,
        searcher: &Searcher,
    ) -> AppResult<Results> {
        let terms = Terms::parse(&q.q);
        let mut out = Results {
            q: q.q.clone(),
            total: 0,
            capped: false,
            facets: vec![],
            hits: vec![],
            next_cursor: None,
            ready: true,
        };
        if terms.is_empty() {
            return Ok(out);
        }
        let acc = access(who);
        let offset: usize = q
            .cursor
            .as_deref()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
            .min(10_000);
        let limit = q.limit.unwrap_or(PAGE).clamp(1, PAGE_MAX);
        // One more than the page says whether there is a next one.
        let top_docs = TopDocs::with_limit(limit + 1)
            .and_offset(offset)
            .order_by_score();
        let tolerant = self.needs_tolerance(searcher, &terms, &acc, None, q.unit)?;
        if !q.skip_facets {
            let counts = self.counts(searcher, &terms, &acc, q.unit, tolerant)?;
            for (k, n) in Kind::ALL.into_iter().zip(counts) {
                out.total += n;
                out.capped |= n >= COUNT_CAP;
                if n > 0 {
                    out.facets.push(Facet {
                        kind: k,
                        count: n,
                        capped: n >= COUNT_CAP,
                    });
                }
            }
        }
        let query = self.query(&terms, &acc, q.kind, q.unit, tolerant);
        let top = searcher.search(&query, &top_docs).map_err(tantivy_err)?;
        if top.len() > limit {
            out.next_cursor = Some((offset + limit).to_string());
        }
        for (score, addr) in top.into_iter().take(limit) {
            let doc: TantivyDocument = searcher.doc(addr).map_err(tantivy_err)?;
            if let Some(h) = self.hit(&doc, who, &acc, &terms, score, snap) {
                out.hits.push(h);
            }
        }
        Ok(out)
    }

    /// A stored document as a hit for `who`, or nothing if the policy says no (the query
    /// already filtered; this is the second check).
    fn hit(
        &self,
        doc: &TantivyDocument,
        who: Option<&Principal>,
        acc: &Access,
        terms: &Terms,
        score: f32,
        snap: &Snapshot,
    ) -> Option<Hit> {
        let f = &self.f;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let num = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .map(|v| v as i64)
        };
        let kind = Kind::parse(text(f.kind))?;
        let id = num(f.id)?;
        let scope: Vec<i64> = doc
            .get_all(f.scope)
            .filter_map(|v| v.as_u64())
            .map(|v| v as i64)
            .collect();
        let has_full = !text(f.full_title).is_empty();
        let has_public = !text(f.public_title).is_empty();
        let full = has_full && may_read_inside(who, kind, &scope);
        let public = has_public && acc.visibilities.contains(&text(f.pub_vis));
        if !full && !public {
            return None;
        }
        let (title, body) = if full {
            (text(f.full_title), text(f.full_body))
        } else {
            (text(f.public_title), text(f.public_body))
        };
        let code = text(f.code).to_string();
        let task = num(f.task);
        let url = match kind {
            Kind::Task => format!("/tasks/{id}"),
            Kind::Report => format!("/tasks/{}", task.unwrap_or(0)),
            Kind::Feedback if full => format!("/feedback/items/{id}"),
            Kind::Feedback => format!("/feedback/track/{code}"),
            Kind::Indicator => format!("/indicators/{id}"),
            Kind::Catalogue => format!("/catalogue/{id}"),
            Kind::Unit => format!("/org/{id}"),
        };
        let unit_id = num(f.unit);
        let date = Some(text(f.date))
            .filter(|d| !d.is_empty())
            .map(str::to_string);
        Some(Hit {
            kind,
            id,
            code,
            title: title.to_string(),
            // Long titles (an annex's task is a paragraph) are cut from their start.
            title_pieces: domain::search::highlight(
                &domain::text::cut_at_word(title, 200),
                terms,
                400,
                true,
            ),
            snippet: domain::search::highlight(body, terms, 220, true),
            url,
            unit_name: unit_id.and_then(|u| snap.get(u)).map(|u| u.name_vi.clone()),
            unit_id,
            date,
            full_text: full,
            score,
        })
    }
}

/// The stored body of the layer a hit showed.
fn doc_body<'d>(doc: &'d TantivyDocument, f: &Fields, full: bool) -> &'d str {
    let field = if full { f.full_body } else { f.public_body };
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("")
}

/// How many documents match `q`, stopping at `cap`; nothing is scored.
fn count_upto(searcher: &Searcher, q: &dyn Query, cap: usize) -> AppResult<usize> {
    let weight = q
        .weight(EnableScoring::disabled_from_searcher(searcher))
        .map_err(tantivy_err)?;
    let mut n = 0;
    for segment in searcher.segment_readers() {
        let alive = segment.alive_bitset();
        let mut docs = weight.scorer(segment, 1.0).map_err(tantivy_err)?;
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n >= cap {
                    return Ok(n);
                }
            }
            doc = docs.advance();
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::doc;
    use tantivy::schema::{STRING, Schema};

    /// Counting stops at its cap, and a deleted document is not counted.
    #[test]
    fn counts_stop_at_the_cap_and_skip_deleted_documents() {
        let mut b = Schema::builder();
        let word = b.add_text_field("word", STRING);
        let index = Index::create_in_ram(b.build());
        let mut w: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..30 {
            let kind = if i % 3 == 0 { "ba" } else { "khac" };
            w.add_document(doc!(word => kind)).unwrap();
        }
        w.commit().unwrap();
        // A second segment, so that the count runs across segments.
        for _ in 0..5 {
            w.add_document(doc!(word => "ba")).unwrap();
        }
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let ba = TermQuery::new(Term::from_field_text(word, "ba"), IndexRecordOption::Basic);
        assert_eq!(count_upto(&searcher, &ba, 100).unwrap(), 15);
        assert_eq!(count_upto(&searcher, &ba, 12).unwrap(), 12);
        assert_eq!(count_upto(&searcher, &ba, 15).unwrap(), 15);

        w.delete_term(Term::from_field_text(word, "khac"));
        w.add_document(doc!(word => "khac")).unwrap();
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let khac = TermQuery::new(
            Term::from_field_text(word, "khac"),
            IndexRecordOption::Basic,
        );
        assert_eq!(count_upto(&searcher, &khac, 100).unwrap(), 1);
    }
}
