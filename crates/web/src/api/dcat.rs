//! The public catalogue in DCAT-AP 3 (SEMICeu/DCAT-AP `releases/3.0.0`), as Turtle or JSON-LD:
//! the catalogue, its datasets (databases and open data sets) with a distribution each, its data
//! services (information systems), and the units that publish them. Mandatory properties always
//! (catalogue: title, description, publisher; dataset: title, description; distribution: access
//! URL; data service: title, endpoint URL; agent: name), recommended ones where the data exist
//! (contact point, keyword, theme, publisher). Titles and descriptions carry language tags.
//! Security details are never written.

use std::fmt::Write;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::i18n::Lang;
use app::catalogue::{Index, is_public};
use domain::catalogue::Kind;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/catalogue/dcat", get(export))
}

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
/// The EU data-theme vocabulary the catalogue's themes are taken from.
const THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";

/// The object of a statement.
enum Obj {
    Iri(String),
    Lit(String, Option<&'static str>),
    Typed(String, &'static str),
}

/// Statements, in order: (subject IRI or `_:` blank node, predicate IRI, object).
#[derive(Default)]
struct Graph(Vec<(String, String, Obj)>);

impl Graph {
    fn add(&mut self, s: &str, p: String, o: Obj) {
        self.0.push((s.to_string(), p, o));
    }
    fn a(&mut self, s: &str, class: String) {
        self.add(s, format!("{RDF}type"), Obj::Iri(class));
    }
    /// A literal per language where the text exists.
    fn texts(&mut self, s: &str, p: String, vi: &str, en: &str, fr: &str) {
        for (t, l) in [(vi, "vi"), (en, "en"), (fr, "fr")] {
            if !t.trim().is_empty() {
                self.add(s, p.clone(), Obj::Lit(t.to_string(), Some(l)));
            }
        }
    }

    fn turtle(&self) -> String {
        let node = |n: &str| {
            if n.starts_with("_:") {
                n.to_string()
            } else {
                format!("<{}>", iri_escape(n))
            }
        };
        let mut out = String::new();
        for (s, p, o) in &self.0 {
            let o = match o {
                Obj::Iri(i) => node(i),
                Obj::Lit(t, Some(l)) => format!("\"{}\"@{l}", lit_escape(t)),
                Obj::Lit(t, None) => format!("\"{}\"", lit_escape(t)),
                Obj::Typed(t, dt) => format!("\"{}\"^^<{dt}>", lit_escape(t)),
            };
            let _ = writeln!(out, "{} <{}> {} .", node(s), p, o);
        }
        out
    }

    /// Expanded JSON-LD: one node object per subject, full IRIs, no context to resolve.
    fn json_ld(&self) -> Value {
        let mut order: Vec<String> = vec![];
        let mut nodes: std::collections::HashMap<String, serde_json::Map<String, Value>> =
            Default::default();
        for (s, p, o) in &self.0 {
            let n = nodes.entry(s.clone()).or_insert_with(|| {
                order.push(s.clone());
                let mut m = serde_json::Map::new();
                m.insert("@id".into(), json!(s));
                m
            });
            let (key, value) = if p == &format!("{RDF}type") {
                (
                    "@type".to_string(),
                    match o {
                        Obj::Iri(i) => json!(i),
                        _ => continue,
                    },
                )
            } else {
                (
                    p.clone(),
                    match o {
                        Obj::Iri(i) => json!({"@id": i}),
                        Obj::Lit(t, Some(l)) => json!({"@value": t, "@language": l}),
                        Obj::Lit(t, None) => json!({"@value": t}),
                        Obj::Typed(t, dt) => json!({"@value": t, "@type": dt}),
                    },
                )
            };
            match n.get_mut(&key) {
                Some(Value::Array(a)) => a.push(value),
                _ => {
                    n.insert(key, Value::Array(vec![value]));
                }
            }
        }
        Value::Array(
            order
                .into_iter()
                .filter_map(|s| nodes.remove(&s))
                .map(Value::Object)
                .collect(),
        )
    }
}

fn lit_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04X}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

/// Characters an IRI may not hold in Turtle, percent-encoded.
fn iri_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\' | ' '
        ) || (c as u32) <= 0x20
        {
            let mut b = [0u8; 4];
            for byte in c.encode_utf8(&mut b).bytes() {
                let _ = write!(o, "%{byte:02X}");
            }
        } else {
            o.push(c);
        }
    }
    o
}

fn graph(idx: &Index, base: &str) -> Graph {
    let mut g = Graph::default();
    let cat = format!("{base}/catalogue");
    let agent = |unit: i64| format!("{base}/org/{unit}");
    let mut agents: Vec<i64> = vec![];
    // The catalogue's publisher: the Steering Committee, or the national root.
    let publisher = idx
        .org
        .by_code("BCDTW")
        .or_else(|| idx.org.by_code("VN"))
        .map(|u| u.id)
        .unwrap_or(0);
    g.a(&cat, format!("{DCAT}Catalog"));
    g.texts(
        &cat,
        format!("{DCT}title"),
        Lang::Vi.t("cat-title"),
        Lang::En.t("cat-title"),
        Lang::Fr.t("cat-title"),
    );
    g.texts(
        &cat,
        format!("{DCT}description"),
        Lang::Vi.t("cat-intro"),
        Lang::En.t("cat-intro"),
        Lang::Fr.t("cat-intro"),
    );
    g.add(&cat, format!("{DCT}publisher"), Obj::Iri(agent(publisher)));
    agents.push(publisher);
    let mut latest = None;
    for e in idx.entries.iter().filter(|e| is_public(e)) {
        let s = format!("{base}/catalogue/{}", e.id);
        let url = if e.access_url.is_empty() {
            s.clone()
        } else {
            e.access_url.clone()
        };
        let description = if e.purpose.trim().is_empty() {
            e.name_vi.as_str()
        } else {
            e.purpose.as_str()
        };
        latest = latest.max(Some(e.updated_at));
        if e.kind == Kind::System {
            g.add(&cat, format!("{DCAT}service"), Obj::Iri(s.clone()));
            g.a(&s, format!("{DCAT}DataService"));
            g.add(&s, format!("{DCAT}endpointURL"), Obj::Iri(url));
        } else {
            g.add(&cat, format!("{DCAT}dataset"), Obj::Iri(s.clone()));
            g.a(&s, format!("{DCAT}Dataset"));
            let d = format!("{s}#distribution");
            g.add(&s, format!("{DCAT}distribution"), Obj::Iri(d.clone()));
            g.a(&d, format!("{DCAT}Distribution"));
            g.add(&d, format!("{DCAT}accessURL"), Obj::Iri(url));
        }
        g.texts(
            &s,
            format!("{DCT}title"),
            &e.name_vi,
            &e.name_en,
            &e.name_fr,
        );
        g.add(
            &s,
            format!("{DCT}description"),
            Obj::Lit(description.to_string(), Some("vi")),
        );
        g.add(
            &s,
            format!("{DCT}identifier"),
            Obj::Lit(e.code.clone(), None),
        );
        g.add(
            &s,
            format!("{DCT}modified"),
            Obj::Typed(
                e.updated_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                XSD_DATETIME,
            ),
        );
        g.add(
            &s,
            format!("{DCT}publisher"),
            Obj::Iri(agent(e.owner_unit_id)),
        );
        if !agents.contains(&e.owner_unit_id) {
            agents.push(e.owner_unit_id);
        }
        for t in idx.themes.get(&e.id).into_iter().flatten() {
            g.add(&s, format!("{DCAT}theme"), Obj::Iri(format!("{THEME}{t}")));
            g.add(
                &s,
                format!("{DCAT}keyword"),
                Obj::Lit(
                    Lang::Vi.t(&format!("cat-theme-{t}")).to_string(),
                    Some("vi"),
                ),
            );
        }
        if !e.contact.trim().is_empty() {
            let c = format!("_:contact{}", e.id);
            g.add(&s, format!("{DCAT}contactPoint"), Obj::Iri(c.clone()));
            g.a(&c, format!("{VCARD}Kind"));
            g.add(&c, format!("{VCARD}fn"), Obj::Lit(e.contact.clone(), None));
        }
    }
    if let Some(t) = latest {
        g.add(
            &cat,
            format!("{DCT}modified"),
            Obj::Typed(t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), XSD_DATETIME),
        );
    }
    for a in agents {
        let s = agent(a);
        g.a(&s, format!("{FOAF}Agent"));
        let name = idx
            .org
            .get(a)
            .map(|u| u.name_vi.clone())
            .unwrap_or_else(|| "nqtrack".into());
        g.add(&s, format!("{FOAF}name"), Obj::Lit(name, Some("vi")));
    }
    g
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DcatQuery {
    /// ttl (Turtle, the default) or jsonld.
    #[serde(default)]
    format: Option<String>,
}

/// The public catalogue in DCAT-AP 3, as Turtle (`text/turtle`) or JSON-LD (`application/ld+json`).
#[utoipa::path(get, path = "/api/v1/catalogue/dcat", tag = "catalogue", security(()), params(DcatQuery),
    responses((status = 200, description = "DCAT-AP 3 in Turtle or JSON-LD", content_type = "text/turtle"),
        (status = 400, body = crate::error::Problem, content_type = "application/problem+json")))]
async fn export(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<DcatQuery>,
) -> AppResult<Response> {
    let base = s.cfg.public_base_url.trim_end_matches('/').to_string();
    let idx = app::catalogue::current_index(&s.db, &s.org, &s.fresh, &s.catalogue).await?;
    let g = graph(&idx, &base);
    Ok(match q.format.as_deref().unwrap_or("ttl") {
        "jsonld" | "json-ld" => (
            [(header::CONTENT_TYPE, "application/ld+json")],
            g.json_ld().to_string(),
        )
            .into_response(),
        "ttl" | "turtle" => (
            [(header::CONTENT_TYPE, "text/turtle; charset=utf-8")],
            g.turtle(),
        )
            .into_response(),
        _ => {
            return Err(app::error::AppError::BadRequest {
                code: "err-format-rdf",
                detail: "format: ttl or jsonld".into(),
            }
            .into());
        }
    })
}
