//! Public pages at the speed of static files: a cache of rendered responses for visitors who
//! are not signed in.
//!
//! A handler opts a response in with [`public`], naming which data it was built from. The entry
//! is keyed by (language, path and query) and remembers the data versions and the local day it
//! was rendered on; it is served only while those hold, so the first request after a committed
//! write renders afresh (see `app::freshness` for how the versions are read cheaply). Bodies are
//! compressed once (brotli and gzip) when stored, and carry an `ETag` so that a browser, a
//! reverse proxy or a CDN can revalidate with `If-None-Match` and get `304 Not Modified`.
//!
//! It is the outermost layer, so that a hit costs no more than a lookup: the security headers
//! and content type the inner layers set are kept with the entry and sent again; hits are
//! counted in `/metrics` (`nqtrack_page_cache_hits_total`) rather than logged one by one.
//!
//! Never cached: requests with a session cookie or an `Authorization` header (they bypass the
//! cache both ways), responses other than 200, responses that set a cookie, and pages whose
//! handler did not opt in (anything with a per-visitor form token, a secret or private data).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::extract::{SESSION_COOKIE, cookie_in, lang_of};
use app::freshness::Versions;

/// Which data a page shows; a write to any of them makes its cached copy stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deps {
    pub org: bool,
    pub tasks: bool,
    pub feedback: bool,
    pub indicators: bool,
    pub rankings: bool,
    pub catalogue: bool,
}

impl Deps {
    pub const ORG: Deps = Deps {
        org: true,
        tasks: false,
        feedback: false,
        indicators: false,
        rankings: false,
        catalogue: false,
    };
    pub const TASKS: Deps = Deps {
        org: true,
        tasks: true,
        feedback: false,
        indicators: false,
        rankings: false,
        catalogue: false,
    };
    pub const FEEDBACK: Deps = Deps {
        org: true,
        tasks: false,
        feedback: true,
        indicators: false,
        rankings: false,
        catalogue: false,
    };
    pub const INDICATORS: Deps = Deps {
        org: true,
        tasks: false,
        feedback: false,
        indicators: true,
        rankings: false,
        catalogue: false,
    };
    /// A unit's accountability report: its ranking, its work and its indicators.
    pub const RANKING_REPORT: Deps = Deps {
        org: true,
        tasks: true,
        feedback: false,
        indicators: true,
        rankings: true,
        catalogue: false,
    };
    pub const CATALOGUE: Deps = Deps {
        org: true,
        tasks: false,
        feedback: false,
        indicators: false,
        rankings: false,
        catalogue: true,
    };
    pub const RANKINGS: Deps = Deps {
        org: true,
        tasks: false,
        feedback: false,
        indicators: false,
        rankings: true,
        catalogue: false,
    };

    fn holds(self, then: Versions, now: Versions) -> bool {
        (!self.org || then.org == now.org)
            && (!self.tasks || then.tasks == now.tasks)
            && (!self.feedback || then.feedback == now.feedback)
            && (!self.indicators || then.indicators == now.indicators)
            && (!self.rankings || then.rankings == now.rankings)
            && (!self.catalogue
                || (then.catalogue == now.catalogue
                    && then.catalogue_figures == now.catalogue_figures))
    }
}

/// The handler's statement that any anonymous visitor may be given this response.
#[derive(Clone, Copy, Debug)]
struct Public(Deps);

/// Marks a rendered response as the same for every anonymous visitor (in one language).
pub fn public(res: impl IntoResponse, deps: Deps) -> Response {
    let mut r = res.into_response();
    r.extensions_mut().insert(Public(deps));
    r
}

/// For the compression layer inside: a page marked public comes out in plain bytes, since this
/// layer compresses what it keeps; everything else is compressed there as before.
#[derive(Clone, Copy)]
pub struct NotPublic;

impl tower_http::compression::Predicate for NotPublic {
    fn should_compress<B: HttpBody>(&self, response: &axum::http::Response<B>) -> bool {
        response.extensions().get::<Public>().is_none()
    }
}

/// Bounds: a crawler asking for every query string must not grow the cache without end.
const MAX_ENTRIES: usize = 4_096;
const MAX_BYTES: usize = 256 << 20;
/// A body larger than this is served but not kept.
const MAX_BODY: usize = 8 << 20;

struct Entry {
    seen: Versions,
    deps: Deps,
    day: NaiveDate,
    etag: HeaderValue,
    /// What the page's handler and the middleware set (content type, security headers), less
    /// the visitor's own cookies and the framing.
    headers: HeaderMap,
    identity: Bytes,
    gzip: Bytes,
    br: Bytes,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len() + self.gzip.len() + self.br.len()
    }
}

#[derive(Default)]
pub struct PageCache {
    entries: Mutex<(HashMap<String, Arc<Entry>>, usize)>,
}

impl PageCache {
    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        m.0.get(key).cloned()
    }

    fn put(&self, key: String, e: Arc<Entry>, now: Versions, day: NaiveDate) {
        let mut m = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, bytes) = &mut *m;
        if map.len() >= MAX_ENTRIES || *bytes + e.size() > MAX_BYTES {
            // Stale entries go first; if the current ones alone fill it, start afresh.
            map.retain(|_, x| x.day == day && x.deps.holds(x.seen, now));
            if map.len() >= MAX_ENTRIES
                || map.values().map(|x| x.size()).sum::<usize>() + e.size() > MAX_BYTES
            {
                map.clear();
            }
            *bytes = map.values().map(|x| x.size()).sum();
        }
        *bytes += e.size();
        if let Some(old) = map.insert(key, e) {
            *bytes -= old.size();
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The best encoding the client accepts (a coding listed with `q=0` counts as refused).
fn encoding(h: &HeaderMap) -> Encoding {
    let accepts = |name: &str| {
        h.get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|c| {
                let mut it = c.split(';');
                it.next()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
                    && !it.any(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q == 0.0)
                    })
            })
    };
    if accepts("br") {
        Encoding::Br
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn anonymous(req: &Request) -> bool {
    let h = req.headers();
    !h.contains_key(header::AUTHORIZATION) && cookie_in(h, SESSION_COOKIE).is_none()
}

/// The middleware: serves anonymous GETs from the cache while fresh, stores what handlers
/// marked public.
pub async fn serve(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || !anonymous(&req) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let key = format!(
        "{}|{}",
        lang_of(&parts).code(),
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let enc = encoding(&parts.headers);
    let revalidate = parts.headers.get(header::IF_NONE_MATCH).cloned();
    let req = Request::from_parts(parts, body);
    // Without the versions nothing can be proved fresh: render as if there were no cache.
    let Ok(now) = s.fresh.current(&s.db).await else {
        return next.run(req).await;
    };
    let day = domain::clock::local_date(Utc::now());
    if let Some(e) = s.pages.get(&key)
        && e.day == day
        && e.deps.holds(e.seen, now)
    {
        s.metrics
            .page_cache_hits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return respond(&e, enc, revalidate.as_ref(), "hit");
    }
    let res = next.run(req).await;
    let Some(Public(deps)) = res.extensions().get::<Public>().copied() else {
        return res;
    };
    if res.status() != StatusCode::OK {
        return res;
    }
    // Rendered pages have a known length; anything else (or anything huge) is not kept.
    if res
        .body()
        .size_hint()
        .upper()
        .is_none_or(|n| n > MAX_BODY as u64)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(identity) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A first-time visitor's CSRF cookie is theirs: sent to them, never kept for others.
    let own: Vec<HeaderValue> = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    for h in [
        header::SET_COOKIE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::TRANSFER_ENCODING,
    ] {
        parts.headers.remove(h);
    }
    parts.headers.remove("x-request-id");
    let entry = Arc::new(compressed(identity, parts.headers, now, deps, day).await);
    s.pages.put(key, entry.clone(), now, day);
    let mut res = respond(&entry, enc, revalidate.as_ref(), "miss");
    for c in own {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Compresses once per version, off the request threads (brotli at quality 6: within a few
/// per cent of its best on HTML, at a fraction of the time).
async fn compressed(
    identity: Bytes,
    headers: HeaderMap,
    seen: Versions,
    deps: Deps,
    day: NaiveDate,
) -> Entry {
    let body = identity.clone();
    let (gzip, br) = tokio::task::spawn_blocking(move || {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        gz.write_all(&body).expect("writing to memory");
        let gzip = gz.finish().expect("writing to memory");
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 6, 22);
            w.write_all(&body).expect("writing to memory");
        }
        (Bytes::from(gzip), Bytes::from(br))
    })
    .await
    .unwrap_or_default();
    let hash = Sha256::digest(&identity);
    let etag = format!("W/\"{}\"", hex::encode(&hash[..12]));
    Entry {
        seen,
        deps,
        day,
        etag: HeaderValue::from_str(&etag).expect("hex is ASCII"),
        headers,
        identity,
        gzip,
        br,
    }
}

fn respond(
    e: &Entry,
    enc: Encoding,
    revalidate: Option<&HeaderValue>,
    how: &'static str,
) -> Response {
    let matches = revalidate.and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim() == "*" || t.trim() == e.etag.to_str().unwrap_or(""))
    });
    let mut res = if matches {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        *r.headers_mut() = e.headers.clone();
        r.headers_mut().remove(header::CONTENT_TYPE);
        r
    } else {
        let (body, coding) = match enc {
            Encoding::Br if !e.br.is_empty() => (e.br.clone(), Some("br")),
            Encoding::Gzip | Encoding::Br if !e.gzip.is_empty() => (e.gzip.clone(), Some("gzip")),
            _ => (e.identity.clone(), None),
        };
        let mut r = Response::new(Body::from(body));
        *r.headers_mut() = e.headers.clone();
        if let Some(c) = coding {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        r
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, e.etag.clone());
    // Anyone may keep a copy, but must ask again each time (a 304 costs a few bytes): a page
    // is never stale.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, accept-language, cookie"),
    );
    h.insert("x-cache", HeaderValue::from_static(how));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn the_best_accepted_coding_is_chosen_and_q0_refuses() {
        assert!(encoding(&h("gzip, deflate, br")) == Encoding::Br);
        assert!(encoding(&h("gzip")) == Encoding::Gzip);
        assert!(encoding(&h("br;q=0, gzip;q=0.5")) == Encoding::Gzip);
        assert!(encoding(&h("identity")) == Encoding::Identity);
        assert!(encoding(&HeaderMap::new()) == Encoding::Identity);
    }

    #[tokio::test]
    async fn each_stored_coding_unpacks_to_the_same_page() {
        use std::io::Read;
        let page = Bytes::from("<p>Đắk Lắk: 102 xã, phường</p>".repeat(200));
        let e = compressed(
            page.clone(),
            HeaderMap::new(),
            Versions::default(),
            Deps::ORG,
            NaiveDate::MIN,
        )
        .await;
        assert!(e.br.len() < page.len() / 10 && e.gzip.len() < page.len() / 10);
        let mut out = Vec::new();
        brotli::Decompressor::new(&e.br[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, page);
        out.clear();
        flate2::read::GzDecoder::new(&e.gzip[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, page);
    }

    #[test]
    fn an_entry_holds_only_while_the_data_it_shows_are_unchanged() {
        let then = Versions {
            org: 1,
            tasks: 2,
            feedback: 3,
            indicators: 4,
            rankings: 6,
            catalogue: 8,
            catalogue_figures: 10,
        };
        let fb = Versions {
            feedback: 4,
            ..then
        };
        assert!(Deps::TASKS.holds(then, fb));
        assert!(!Deps::FEEDBACK.holds(then, fb));
        assert!(!Deps::TASKS.holds(then, Versions { org: 2, ..then }));
        let ind = Versions {
            indicators: 5,
            ..then
        };
        assert!(Deps::TASKS.holds(then, ind) && !Deps::INDICATORS.holds(then, ind));
        let rk = Versions {
            rankings: 7,
            ..then
        };
        assert!(Deps::INDICATORS.holds(then, rk) && !Deps::RANKINGS.holds(then, rk));
        let cat = Versions {
            catalogue: 9,
            ..then
        };
        assert!(Deps::RANKINGS.holds(then, cat) && !Deps::CATALOGUE.holds(then, cat));
        let beat = Versions {
            catalogue_figures: 11,
            ..then
        };
        assert!(
            !Deps::CATALOGUE.holds(then, beat),
            "a heartbeat changes the quality shown"
        );
    }
}

/// Rendered bodies of pages that signed-in readers open by the thousand (an indicator's page):
/// the page's frame carries the reader's name and menu, but the body depends only on data that
/// an app cache hands out as an `Arc` and on the language. Each entry keeps its `Arc` alive, so
/// the address names that data for as long as the entry exists; new data come as a new `Arc`.
#[derive(Default)]
pub struct Bodies {
    map: Mutex<HashMap<(usize, domain::i18n::Lang), BodyEntry>>,
}

type BodyEntry = (Arc<dyn std::any::Any + Send + Sync>, Arc<str>);

/// Bodies kept at most (a national page's body is about 60 KB).
const MAX_BODIES: usize = 512;

impl Bodies {
    /// The body rendered from `data` in `lang`, rendered now if it is not kept.
    pub fn get_or_render<T: std::any::Any + Send + Sync>(
        &self,
        data: &Arc<T>,
        lang: domain::i18n::Lang,
        render: impl FnOnce() -> Result<String, askama::Error>,
    ) -> Result<Arc<str>, askama::Error> {
        let key = (Arc::as_ptr(data) as usize, lang);
        if let Some((_, body)) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(body.clone());
        }
        let body: Arc<str> = render()?.into();
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= MAX_BODIES {
            m.clear();
        }
        m.insert(key, (data.clone(), body.clone()));
        Ok(body)
    }
}
