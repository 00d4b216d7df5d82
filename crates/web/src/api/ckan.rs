//! The CKAN Action API, read side, over the public catalogue, shaped as CKAN documents it
//! (ckan/ckan `doc/api/index.rst`, `ckan/logic/action/get.py`) so that CKAN clients and
//! harvesters work unchanged: served under `/api/3/action/{name}` and `/api/action/{name}`, GET
//! with query parameters or POST with a JSON body, answers in the `{help, success, result}`
//! envelope and errors in CKAN's shape. A package is a public catalogue entry; an organization the
//! unit that owns it; groups and tags are its DCAT-AP themes.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::AppState;
use app::catalogue::{Index, is_public};
use app::records::Brief;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/3/action/{name}", get(action).post(action))
        .route("/api/action/{name}", get(action).post(action))
}

/// A CKAN error: its HTTP status, `__type` and message.
struct CkanError(StatusCode, &'static str, String);

fn validation(msg: impl Into<String>) -> CkanError {
    CkanError(StatusCode::CONFLICT, "Validation Error", msg.into())
}

fn not_found() -> CkanError {
    CkanError(StatusCode::NOT_FOUND, "Not Found Error", "Not found".into())
}

fn envelope(help: &str, r: Result<Value, CkanError>) -> Response {
    let (status, body) = match r {
        Ok(result) => (
            StatusCode::OK,
            json!({"help": help, "success": true, "result": result}),
        ),
        Err(CkanError(status, kind, message)) => (
            status,
            json!({"help": help, "success": false, "error": {"message": message, "__type": kind}}),
        ),
    };
    (status, axum::Json(body)).into_response()
}

/// The call's parameters: the query string for GET, the JSON object for POST.
fn params(
    method: &Method,
    query: Option<&str>,
    body: &[u8],
) -> Result<HashMap<String, Value>, CkanError> {
    if method == Method::POST && !body.is_empty() {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| validation(format!("JSON body: {e}")))?;
        return match v {
            Value::Object(m) => Ok(m.into_iter().collect()),
            _ => Err(validation("The body must be a JSON object")),
        };
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).map_err(|e| validation(e.to_string()))?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

fn text(p: &HashMap<String, Value>, k: &str) -> Option<String> {
    match p.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        v => Some(v.to_string()),
    }
}

fn int(p: &HashMap<String, Value>, k: &str, default: i64) -> Result<i64, CkanError> {
    match text(p, k) {
        None => Ok(default),
        Some(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| validation(format!("{k}: Invalid integer"))),
    }
}

fn flag(p: &HashMap<String, Value>, k: &str) -> bool {
    matches!(p.get(k), Some(Value::Bool(true)))
        || text(p, k).is_some_and(|s| matches!(s.to_lowercase().as_str(), "true" | "1" | "yes"))
}

async fn action(
    State(s): State<AppState>,
    Path(name): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let base = s.cfg.public_base_url.trim_end_matches('/').to_string();
    let help = format!("{base}/api/3/action/help_show?name={name}");
    let p = match params(&method, query.as_deref(), &body) {
        Ok(p) => p,
        Err(e) => return envelope(&help, Err(e)),
    };
    if name == "status_show" {
        return envelope(
            &help,
            Ok(
                json!({"ckan_version": CKAN_VERSION, "site_title": "nqtrack", "site_description": "Danh mục cơ sở dữ liệu", "site_url": base, "extensions": []}),
            ),
        );
    }
    // Answers depend only on the data versions (and the hour, for freshness): harvesters ask the
    // same questions again and again, and a search with facets walks every public entry.
    let v = match s.fresh.current(&s.db).await {
        Ok(v) => v,
        Err(e) => return crate::error::WebError(e).into_response(),
    };
    let key = (
        [
            v.catalogue,
            v.catalogue_figures,
            v.org,
            chrono::Utc::now().timestamp() / 3600,
        ],
        format!(
            "{name}\u{0}{method}\u{0}{}\u{0}{}",
            query.as_deref().unwrap_or(""),
            String::from_utf8_lossy(&body)
        ),
    );
    if let Some(hit) = s.ckan.get(&key) {
        return envelope(&help, Ok((*hit).clone()));
    }
    let idx = match app::catalogue::current_index(&s.db, &s.org, &s.fresh, &s.catalogue).await {
        Ok(i) => i,
        Err(e) => return crate::error::WebError(e).into_response(),
    };
    let r = match name.as_str() {
        "package_search" => package_search(&idx, &base, &p),
        "package_show" => package_show(&idx, &base, &p),
        "package_list" => Ok(Value::Array(
            public(&idx).map(|e| json!(package_name(e))).collect(),
        )),
        "organization_list" => organization_list(&idx, &p),
        "organization_show" => organization_show(&idx, &base, &p),
        "group_list" => Ok(group_list(&idx, flag(&p, "all_fields"))),
        "tag_list" => Ok(Value::Array(
            themes(&idx)
                .into_keys()
                .map(|t| json!(t.to_lowercase()))
                .collect(),
        )),
        _ => Err(CkanError(
            StatusCode::BAD_REQUEST,
            "Bad request - Action name not known",
            format!("Action name not known: {name}"),
        )),
    };
    // Large pages (up to 1,000 packages, about 1 MB) are not kept: 64 of them would hold 64 MB.
    let small = int(&p, "rows", 10).is_ok_and(|n| n <= 100);
    if let (Ok(v), true) = (&r, small) {
        s.ckan.put(key, std::sync::Arc::new(v.clone()));
    }
    envelope(&help, r)
}

/// Answers of the CKAN facade per (data versions and hour, action and its parameters).
pub type CkanAnswers = app::memo::Memo<([i64; 4], String), Value>;

/// The CKAN version whose Action API this facade follows.
const CKAN_VERSION: &str = "2.10.0";

fn public(idx: &Index) -> impl Iterator<Item = &Brief> {
    idx.entries.iter().filter(|e| is_public(e))
}

/// A package's name: the entry's code in lower case, URL-safe.
fn package_name(e: &Brief) -> String {
    e.code.to_lowercase().replace('.', "-")
}

/// An organization's name: its official code in lower case, or `unit-{id}`.
fn org_name(idx: &Index, unit: i64) -> String {
    idx.org
        .get(unit)
        .and_then(|u| u.code.clone())
        .map(|c| c.to_lowercase())
        .unwrap_or_else(|| format!("unit-{unit}"))
}

fn organization(idx: &Index, unit: i64) -> Value {
    let title = idx
        .org
        .get(unit)
        .map(|u| u.name_vi.clone())
        .unwrap_or_default();
    json!({"id": unit.to_string(), "name": org_name(idx, unit), "title": title, "display_name": title, "type": "organization",
        "state": "active", "is_organization": true, "approval_status": "approved", "description": "", "image_url": ""})
}

fn package(idx: &Index, base: &str, e: &Brief) -> Value {
    let tags: Vec<Value> = idx
        .themes
        .get(&e.id)
        .into_iter()
        .flatten()
        .map(|t| json!({"name": t.to_lowercase(), "display_name": t.to_lowercase(), "state": "active", "vocabulary_id": null}))
        .collect();
    let groups: Vec<Value> = idx
        .themes
        .get(&e.id)
        .into_iter()
        .flatten()
        .map(|t| json!({"name": t.to_lowercase(), "title": t, "display_name": t}))
        .collect();
    let page = format!("{base}/catalogue/{}", e.id);
    let url = if e.access_url.is_empty() {
        page.clone()
    } else {
        e.access_url.clone()
    };
    let q = idx.quality_now(e);
    let mut extras = vec![
        json!({"key": "kind", "value": e.kind.as_str()}),
        json!({"key": "update_frequency", "value": e.frequency.as_str()}),
        json!({"key": "lifecycle", "value": e.lifecycle.as_str()}),
        json!({"key": "exchange_connected", "value": e.exchange_connected.to_string()}),
    ];
    for (k, v) in q.words() {
        if let Some(v) = v {
            extras.push(json!({"key": format!("quality_{k}"), "value": format!("{v:.1}")}));
        }
    }
    let mut p = json!({
        "id": e.id.to_string(),
        "name": package_name(e),
        "title": e.name_vi,
        "notes": e.purpose,
        "url": page,
        "type": "dataset",
        "state": "active",
        "private": false,
        "license_id": "notspecified",
        "license_title": "License not specified",
        "maintainer": e.contact,
        "author": null,
        "version": null,
        "owner_org": e.owner_unit_id.to_string(),
        "organization": organization(idx, e.owner_unit_id),
        "metadata_created": e.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "metadata_modified": e.updated_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        "num_tags": tags.len(),
        "tags": tags,
        "groups": groups,
        "resources": [{
            "id": format!("{}-access", e.id),
            "package_id": e.id.to_string(),
            "name": e.name_vi,
            "url": url,
            "format": if e.kind == domain::catalogue::Kind::OpenData { "" } else { "API" },
            "description": "",
            "position": 0,
            "state": "active"
        }],
        "num_resources": 1,
        "extras": extras,
    });
    if !e.name_en.is_empty() {
        p["title_translated"] = json!({"vi": e.name_vi, "en": e.name_en, "fr": e.name_fr});
    }
    p
}

fn find<'a>(idx: &'a Index, id: &str) -> Option<&'a Brief> {
    let id = id.trim();
    public(idx).find(|e| e.id.to_string() == id || package_name(e) == id.to_lowercase())
}

fn package_show(idx: &Index, base: &str, p: &HashMap<String, Value>) -> Result<Value, CkanError> {
    let id = text(p, "id").ok_or_else(|| validation("id: Missing value"))?;
    find(idx, &id)
        .map(|e| package(idx, base, e))
        .ok_or_else(not_found)
}

/// Each theme and its public packages, in code order.
fn themes(idx: &Index) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for e in public(idx) {
        for t in idx.themes.get(&e.id).into_iter().flatten() {
            *m.entry(t.clone()).or_default() += 1;
        }
    }
    m
}

fn group_list(idx: &Index, all_fields: bool) -> Value {
    Value::Array(
        themes(idx)
            .into_iter()
            .map(|(t, n)| {
                if all_fields {
                    json!({"id": t.to_lowercase(), "name": t.to_lowercase(), "title": t, "display_name": t, "package_count": n,
                        "type": "group", "state": "active", "is_organization": false, "approval_status": "approved", "description": "", "image_url": ""})
                } else {
                    json!(t.to_lowercase())
                }
            })
            .collect(),
    )
}

/// Units owning public packages, with their counts.
fn owners(idx: &Index) -> BTreeMap<String, (i64, i64)> {
    let mut m: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for e in public(idx) {
        m.entry(org_name(idx, e.owner_unit_id))
            .or_insert((e.owner_unit_id, 0))
            .1 += 1;
    }
    m
}

fn organization_list(idx: &Index, p: &HashMap<String, Value>) -> Result<Value, CkanError> {
    let all_fields = flag(p, "all_fields");
    let limit = int(p, "limit", 1000)?.min(1000) as usize;
    let offset = int(p, "offset", 0)? as usize;
    Ok(Value::Array(
        owners(idx)
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(name, (unit, n))| {
                if all_fields {
                    let mut o = organization(idx, unit);
                    o["package_count"] = json!(n);
                    o
                } else {
                    json!(name)
                }
            })
            .collect(),
    ))
}

fn organization_show(
    idx: &Index,
    base: &str,
    p: &HashMap<String, Value>,
) -> Result<Value, CkanError> {
    let id = text(p, "id").ok_or_else(|| validation("id: Missing value"))?;
    let (name, (unit, n)) = owners(idx)
        .into_iter()
        .find(|(name, (unit, _))| *name == id.to_lowercase() || unit.to_string() == id)
        .ok_or_else(not_found)?;
    let mut o = organization(idx, unit);
    o["name"] = json!(name);
    o["package_count"] = json!(n);
    if flag(p, "include_datasets") {
        o["packages"] = Value::Array(
            public(idx)
                .filter(|e| e.owner_unit_id == unit)
                .take(10)
                .map(|e| package(idx, base, e))
                .collect(),
        );
    }
    Ok(o)
}

/// One `field:value` filter of `fq`, on the fields a CKAN client filters by.
fn passes(idx: &Index, e: &Brief, field: &str, value: &str) -> Result<bool, CkanError> {
    let value = value.trim_matches('"');
    Ok(match field {
        "organization" => org_name(idx, e.owner_unit_id) == value.to_lowercase(),
        "owner_org" => e.owner_unit_id.to_string() == value,
        "tags" | "groups" => idx
            .themes
            .get(&e.id)
            .is_some_and(|ts| ts.iter().any(|t| t.eq_ignore_ascii_case(value))),
        "name" => package_name(e) == value.to_lowercase(),
        "id" => e.id.to_string() == value,
        "res_format" => {
            (e.kind == domain::catalogue::Kind::OpenData && value.is_empty())
                || (e.kind != domain::catalogue::Kind::OpenData
                    && value.eq_ignore_ascii_case("api"))
        }
        "kind" => e.kind.as_str() == value,
        "dataset_type" | "type" => value == "dataset",
        "private" => value == "false",
        "state" => value == "active",
        "capacity" => value == "public",
        f => {
            return Err(validation(format!(
                "Search Query is invalid: unknown field \"{f}\" in fq"
            )));
        }
    })
}

fn package_search(idx: &Index, base: &str, p: &HashMap<String, Value>) -> Result<Value, CkanError> {
    let rows = int(p, "rows", 10)?.min(1000) as usize;
    let start = int(p, "start", 0)? as usize;
    let q = text(p, "q").unwrap_or_default();
    let q = if q.trim() == "*:*" { String::new() } else { q };
    let words: Vec<String> = domain::text::fold(&q)
        .split(' ')
        .filter(|w| !w.is_empty() && !w.contains(':'))
        .map(str::to_string)
        .collect();
    // `field:value` terms of q act as filters, as in Solr.
    let mut filters: Vec<(String, String)> = q
        .split_whitespace()
        .filter_map(|t| {
            t.split_once(':')
                .map(|(f, v)| (f.to_string(), v.to_string()))
        })
        .collect();
    let mut fqs: Vec<String> = text(p, "fq").into_iter().collect();
    if let Some(Value::Array(list)) = p.get("fq_list") {
        fqs.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    for fq in &fqs {
        for term in fq.split_whitespace() {
            let term = term.trim_start_matches('+');
            let (f, v) = term
                .split_once(':')
                .ok_or_else(|| validation(format!("Search Query is invalid: \"{term}\"")))?;
            filters.push((f.to_string(), v.to_string()));
        }
    }
    let mut hits: Vec<&Brief> = vec![];
    for e in public(idx) {
        if !words.iter().all(|w| e.search_text.contains(w.as_str())) {
            continue;
        }
        let mut ok = true;
        for (f, v) in &filters {
            ok &= passes(idx, e, f, v)?;
        }
        if ok {
            hits.push(e);
        }
    }
    let sort = text(p, "sort").unwrap_or_else(|| "score desc, metadata_modified desc".into());
    match sort.trim() {
        "score desc, metadata_modified desc" | "metadata_modified desc" => {
            hits.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)))
        }
        "metadata_modified asc" => {
            hits.sort_by(|a, b| a.updated_at.cmp(&b.updated_at).then(a.id.cmp(&b.id)))
        }
        "metadata_created desc" => {
            hits.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)))
        }
        "name asc" => hits.sort_by_key(|e| package_name(e)),
        "name desc" => hits.sort_by_key(|e| std::cmp::Reverse(package_name(e))),
        "title_string asc" => hits.sort_by(|a, b| a.name_vi.cmp(&b.name_vi)),
        "title_string desc" => hits.sort_by(|a, b| b.name_vi.cmp(&a.name_vi)),
        s => {
            return Err(validation(format!(
                "Search Query is invalid: cannot sort by \"{s}\""
            )));
        }
    }
    let fields: Vec<String> = match p.get("facet.field") {
        None => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => serde_json::from_str::<Vec<String>>(s)
            .map_err(|_| validation("facet.field: must be a JSON list"))?,
        Some(_) => return Err(validation("facet.field: must be a JSON list")),
    };
    let facet_limit = int(p, "facet.limit", 50)? as usize;
    let mut facets = serde_json::Map::new();
    let mut search_facets = serde_json::Map::new();
    for f in &fields {
        let mut counts: BTreeMap<String, (String, i64)> = BTreeMap::new();
        for e in &hits {
            let values: Vec<(String, String)> = match f.as_str() {
                "organization" => {
                    let t = idx
                        .org
                        .get(e.owner_unit_id)
                        .map(|u| u.name_vi.clone())
                        .unwrap_or_default();
                    vec![(org_name(idx, e.owner_unit_id), t)]
                }
                "tags" | "groups" => idx
                    .themes
                    .get(&e.id)
                    .into_iter()
                    .flatten()
                    .map(|t| (t.to_lowercase(), t.clone()))
                    .collect(),
                "res_format" => vec![if e.kind == domain::catalogue::Kind::OpenData {
                    (String::new(), String::new())
                } else {
                    ("API".into(), "API".into())
                }],
                "license_id" => vec![("notspecified".into(), "License not specified".into())],
                "kind" => vec![(e.kind.as_str().into(), e.kind.as_str().into())],
                other => {
                    return Err(validation(format!(
                        "facet.field: unknown field \"{other}\""
                    )));
                }
            };
            for (v, label) in values {
                counts.entry(v).or_insert((label, 0)).1 += 1;
            }
        }
        let mut items: Vec<(String, String, i64)> =
            counts.into_iter().map(|(v, (l, n))| (v, l, n)).collect();
        items.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        items.truncate(facet_limit);
        facets.insert(
            f.clone(),
            Value::Object(
                items
                    .iter()
                    .map(|(v, _, n)| (v.clone(), json!(n)))
                    .collect(),
            ),
        );
        search_facets.insert(
            f.clone(),
            json!({"title": f, "items": items.iter().map(|(v, l, n)| json!({"name": v, "display_name": l, "count": n})).collect::<Vec<_>>()}),
        );
    }
    Ok(json!({
        "count": hits.len(),
        "sort": sort,
        "facets": facets,
        "search_facets": search_facets,
        "results": hits.iter().skip(start).take(rows).map(|e| package(idx, base, e)).collect::<Vec<_>>(),
    }))
}
