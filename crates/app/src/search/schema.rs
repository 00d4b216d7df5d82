//! The index's fields, and a record turned into its document.

use std::path::Path;

use domain::policy::Visibility;
use domain::search::{Kind, analyse};
use serde::{Deserialize, Serialize};
use store::org_index::Snapshot;
use store::search::Source;
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, TantivyDocument};

use super::tantivy_err;
use crate::error::AppResult;

/// Raised when the fields or the analysis change: an index of another version is rebuilt.
pub const VERSION: u32 = 4;

/// What an index's commit says about it, as JSON in the commit's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub version: u32,
    /// Every outbox row up to this id is applied.
    pub cursor: i64,
}

/// The three analysed fields of one layer of text.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    pub folded: Field,
    pub exact: Field,
    pub bigrams: Field,
}

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// "task:12": what a change deletes before adding the record again.
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub code: Field,
    pub unit: Field,
    /// The record's unit and its ancestors: the `unit=` filter.
    pub under: Field,
    /// The chains of the units concerned (assignees and programme owner, holder, owner): who
    /// may read the full layer.
    pub scope: Field,
    /// The public layer's visibility: public or internal; absent when there is no public layer.
    pub pub_vis: Field,
    pub public: Layer,
    pub full: Layer,
    pub public_title: Field,
    pub public_body: Field,
    pub full_title: Field,
    pub full_body: Field,
    pub task: Field,
    pub date: Field,
}

/// The analysis happened before indexing (`domain::search::analyse`): the index only splits on
/// spaces.
const TOKENIZER: &str = "syllables";

fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let mut layer = |p: &str| Layer {
        folded: b.add_text_field(&format!("{p}_folded"), analysed.clone()),
        exact: b.add_text_field(&format!("{p}_exact"), analysed.clone()),
        bigrams: b.add_text_field(&format!("{p}_bigrams"), analysed.clone()),
    };
    let public = layer("pub");
    let full = layer("full");
    let f = Fields {
        public,
        full,
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_u64_field("id", STORED),
        code: b.add_text_field("code", STORED),
        unit: b.add_u64_field("unit", STORED),
        under: b.add_u64_field("under", INDEXED),
        scope: b.add_u64_field("scope", INDEXED | STORED),
        pub_vis: b.add_text_field("pub_vis", STRING | STORED),
        public_title: b.add_text_field("public_title", STORED),
        public_body: b.add_text_field("public_body", STORED),
        full_title: b.add_text_field("full_title", STORED),
        full_body: b.add_text_field("full_body", STORED),
        task: b.add_u64_field("task", STORED),
        date: b.add_text_field("date", STORED),
    };
    (b.build(), f)
}

/// Opens the index in `dir`, or creates an empty one there.
pub fn open_or_create(dir: &Path) -> AppResult<(Index, Fields)> {
    std::fs::create_dir_all(dir).map_err(tantivy_err)?;
    let (schema, f) = build();
    let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(tantivy_err)?;
    let index = Index::open_or_create(mmap, schema).map_err(tantivy_err)?;
    index.tokenizers().register(
        TOKENIZER,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
    Ok((index, f))
}

pub fn key(kind: Kind, id: i64) -> String {
    format!("{}:{id}", kind.as_str())
}

/// `title_weight`: how many times the title counts (a match in it weighs more than one in the
/// body; a unit that no longer exists counts its name once, so that the unit in force with the
/// same name ranks first).
fn add_layer(d: &mut TantivyDocument, l: Layer, title: &str, body: &str, title_weight: usize) {
    let titles = std::iter::repeat_n(title, title_weight);
    for t in titles.chain(std::iter::once(body)) {
        let a = analyse(t);
        d.add_text(l.folded, &a.folded);
        d.add_text(l.exact, &a.exact);
        d.add_text(l.bigrams, &a.bigrams);
    }
}

/// A record's document. `concerned`: the units whose people may read a restricted task or
/// report (assignees and the programme's owner).
pub fn document(
    f: &Fields,
    kind: Kind,
    s: &Source,
    concerned: &[i64],
    snap: &Snapshot,
) -> TantivyDocument {
    let mut d = TantivyDocument::default();
    d.add_text(f.key, key(kind, s.id));
    d.add_text(f.kind, kind.as_str());
    d.add_u64(f.id, s.id as u64);
    if let Some(u) = s.unit_id {
        d.add_u64(f.unit, u as u64);
        for a in snap.chain(u) {
            d.add_u64(f.under, a as u64);
        }
    }
    if let Some(t) = s.task_id {
        d.add_u64(f.task, t as u64);
    }
    if let Some(day) = &s.date {
        d.add_text(f.date, day);
    }
    let weight = if kind == Kind::Unit && s.date.is_some() {
        1
    } else {
        2
    };
    // Which layers the record has, by its own rule.
    let (public_vis, full_units): (Option<&str>, Vec<i64>) = match kind {
        Kind::Task | Kind::Report => match Visibility::parse(&s.visibility) {
            Some(Visibility::Public) => (Some("public"), vec![]),
            Some(Visibility::Internal) => (Some("internal"), vec![]),
            // Restricted, or unreadable: only the units concerned.
            _ => (None, concerned.to_vec()),
        },
        Kind::Feedback | Kind::Catalogue => (
            (s.public == 1).then_some("public"),
            s.unit_id.into_iter().collect(),
        ),
        Kind::Indicator | Kind::Unit => (Some("public"), vec![]),
    };
    // Stored only: a hit is shown through a layer its reader may read, and a tracking code is
    // public on a published item.
    d.add_text(f.code, &s.code);
    if let Some(v) = public_vis {
        d.add_text(f.pub_vis, v);
        // A tracking code is searchable by those who read the item inside only.
        let code = if kind == Kind::Feedback { "" } else { &s.code };
        add_layer(
            &mut d,
            f.public,
            &s.public_title,
            &format!("{code} {} {}", s.public_body, s.extra),
            weight,
        );
        d.add_text(f.public_title, &s.public_title);
        d.add_text(f.public_body, &s.public_body);
    }
    if !full_units.is_empty() {
        let mut scope: Vec<i64> = full_units.iter().flat_map(|u| snap.chain(*u)).collect();
        scope.sort_unstable();
        scope.dedup();
        for u in scope {
            d.add_u64(f.scope, u as u64);
        }
        add_layer(
            &mut d,
            f.full,
            &s.title,
            &format!("{} {} {}", s.code, s.body, s.extra),
            weight,
        );
        d.add_text(f.full_title, &s.title);
        d.add_text(f.full_body, &s.body);
    }
    d
}
