//! Open311 GeoReport v2 over feedback (wiki.open311.org/GeoReport_v2): services are our
//! categories, a service request is a published item and its `service_request_id` the tracking
//! code. Every resource in JSON and in XML (the standard's default), `jurisdiction_id` accepted,
//! datetimes in W3C format in the product's zone, errors as GeoReport's `{code, description}`
//! list. An organisation posts with its API token as `api_key`.

mod format;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::extract::{ApiQuery, ClientIp, Ctx};
use crate::i18n::Lang;
use app::error::AppError;
use app::feedback::{InboxQuery, PublicItem, Submission};
pub use format::Format;

pub fn router() -> Router<AppState> {
    use Format::{Json, Xml};
    Router::new()
        .route(
            "/open311/v2/discovery.json",
            get(|s: State<AppState>| discovery(s, Json)),
        )
        .route(
            "/open311/v2/discovery.xml",
            get(|s: State<AppState>| discovery(s, Xml)),
        )
        .route(
            "/open311/v2/services.json",
            get(|s: State<AppState>, c: Ctx, q: ApiQuery<Where>| services(s, c, q, Json)),
        )
        .route(
            "/open311/v2/services.xml",
            get(|s: State<AppState>, c: Ctx, q: ApiQuery<Where>| services(s, c, q, Xml)),
        )
        .route("/open311/v2/services/{file}", get(definition))
        .route(
            "/open311/v2/requests.json",
            get(|s: State<AppState>, c: Ctx, q: ApiQuery<RequestsQuery>| requests(s, c, q, Json))
                .post(
                    |s: State<AppState>, c: Ctx, ip: ClientIp, f: Form<Create>| {
                        create(s, c, ip, f, Json)
                    },
                ),
        )
        .route(
            "/open311/v2/requests.xml",
            get(|s: State<AppState>, c: Ctx, q: ApiQuery<RequestsQuery>| requests(s, c, q, Xml))
                .post(
                    |s: State<AppState>, c: Ctx, ip: ClientIp, f: Form<Create>| {
                        create(s, c, ip, f, Xml)
                    },
                ),
        )
        .route("/open311/v2/requests/{file}", get(request))
}

/// What the version of this interface is dated: discovery's `changeset`.
const CHANGESET: &str = "2026-12-07T00:00:00+07:00";

/// A datetime as GeoReport writes it: W3C format with the product's offset, e.g.
/// `2026-07-01T08:30:00+07:00`.
fn w3c(at: DateTime<Utc>) -> String {
    domain::clock::local(at).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The jurisdiction this server answers for: the host of its public address. Requests may name
/// it or leave it out; another is an error.
fn jurisdiction(s: &AppState) -> String {
    let url = &s.cfg.public_base_url;
    let host = url.split("://").nth(1).unwrap_or(url);
    host.split('/').next().unwrap_or(host).to_string()
}

/// The error to answer when `given` names a jurisdiction not served here.
fn foreign(s: &AppState, f: Format, given: Option<&str>) -> Option<Response> {
    let j = given.filter(|j| !j.is_empty() && *j != jurisdiction(s))?;
    Some(f.errors(
        StatusCode::NOT_FOUND,
        &[format!("jurisdiction_id {j} is not served here")],
    ))
}

/// An error of the use cases in GeoReport's shape: each invalid field with its message in the
/// reader's language, or the error's title.
fn failure(f: Format, lang: Lang, e: AppError) -> Response {
    // GeoReport answers invalid input with 400.
    let status = match e {
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    };
    if status.is_server_error() {
        return crate::error::WebError(e).into_response();
    }
    let fields: Vec<String> = e
        .fields()
        .iter()
        .map(|x| {
            // Named as GeoReport names the fields it was sent.
            let field = match x.field.as_str() {
                "category" => "service_code",
                "body" => "description",
                f => f,
            };
            format!("{field}: {}", crate::error::field_message(lang, x))
        })
        .collect();
    let list = if fields.is_empty() {
        vec![lang.t(e.title_key()).to_string()]
    } else {
        fields
    };
    f.errors(status, &list)
}

async fn discovery(State(s): State<AppState>, f: Format) -> Response {
    let base = s.cfg.public_base_url.trim_end_matches('/');
    let v = json!({
        "changeset": CHANGESET,
        "contact": format!("{base}/api/docs"),
        "key_service": format!("An organisation's API token, issued by the platform's administrators ({base}/admin/tokens), is its api_key."),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base}/open311/v2"),
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    });
    f.respond(StatusCode::OK, "discovery", &v)
}

#[derive(Deserialize, Default)]
struct Where {
    jurisdiction_id: Option<String>,
}

fn category_name(lang: Lang, c: &app::records::Category) -> &str {
    match lang.code() {
        "en" => &c.name_en,
        "fr" => &c.name_fr,
        _ => &c.name_vi,
    }
}

async fn services(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<Where>,
    f: Format,
) -> Response {
    if let Some(r) = foreign(&s, f, q.jurisdiction_id.as_deref()) {
        return r;
    }
    let cats = match app::feedback::categories(&s.db).await {
        Ok(c) => c,
        Err(e) => return failure(f, ctx.lang, e),
    };
    let v: Vec<Value> = cats
        .iter()
        .map(|c| {
            json!({
                "service_code": c.code,
                "service_name": category_name(ctx.lang, c),
                "description": "",
                "metadata": false,
                "type": "realtime",
                "keywords": "",
                "group": "",
            })
        })
        .collect();
    crate::cache::public(
        f.respond(StatusCode::OK, "services", &Value::Array(v)),
        crate::cache::Deps::FEEDBACK,
    )
}

/// A service's definition: our services ask for no attributes beyond the standard fields.
async fn definition(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<Where>,
) -> Response {
    let Some((code, f)) = Format::split(&file) else {
        return Format::Json.errors(StatusCode::NOT_FOUND, &[format!("{file}: .json or .xml")]);
    };
    if let Some(r) = foreign(&s, f, q.jurisdiction_id.as_deref()) {
        return r;
    }
    match app::feedback::categories(&s.db).await {
        Ok(cats) if cats.iter().any(|c| c.code == code) => crate::cache::public(
            f.respond(
                StatusCode::OK,
                "service_definition",
                &json!({"service_code": code, "attributes": []}),
            ),
            crate::cache::Deps::FEEDBACK,
        ),
        Ok(_) => f.errors(
            StatusCode::NOT_FOUND,
            &[format!("service_code {code} not found")],
        ),
        Err(e) => failure(f, ctx.lang, e),
    }
}

/// A request as GeoReport posts it. Every field may be missing here, so that what is missing is
/// answered as the use case's field errors in GeoReport's shape.
#[derive(Deserialize)]
struct Create {
    #[serde(default)]
    service_code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    jurisdiction_id: Option<String>,
    /// An organisation's API token: the request is sent as that organisation.
    #[serde(default)]
    api_key: Option<String>,
    /// Our extension: a title (else the description's first 80 characters).
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

async fn create(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Form(c): Form<Create>,
    f: Format,
) -> Response {
    if let Some(r) = foreign(&s, f, c.jurisdiction_id.as_deref()) {
        return r;
    }
    let mut who = ctx.who.clone();
    if let Some(key) = c.api_key.as_deref().filter(|k| !k.is_empty()) {
        match app::session::from_token(&s.db, key.trim()).await {
            Ok(Some(p)) => who = Some(p),
            Ok(None) => {
                return f.errors(StatusCode::FORBIDDEN, &["api_key not valid".to_string()]);
            }
            Err(e) => return failure(f, ctx.lang, e),
        }
    }
    let name = [c.first_name, c.last_name]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let title = c
        .title
        .unwrap_or_else(|| c.description.chars().take(80).collect());
    let submitter = if c.api_key.is_some() {
        "organisation"
    } else {
        "citizen"
    };
    let r = app::feedback::submit(
        &s.db,
        &s.intake,
        ip,
        who.as_ref(),
        ctx.lang,
        Submission {
            kind: "report".into(),
            category: c.service_code,
            title,
            body: c.description,
            unit_id: None,
            unit: None,
            submitter_kind: submitter.into(),
            name: Some(name).filter(|n| !n.is_empty()),
            email: c.email,
            phone: c.phone,
            publish_name: false,
            website: String::new(),
            form_token: None,
        },
        vec![],
        &s.cfg.data_dir,
        s.cfg.evidence_max_bytes(),
    )
    .await;
    match r {
        Ok(r) => f.respond(
            StatusCode::CREATED,
            "service_requests",
            &json!([{
                "service_request_id": r.code,
                "token": r.secret,
                "service_notice": "",
                "account_id": null,
            }]),
        ),
        Err(e) => failure(f, ctx.lang, e),
    }
}

#[derive(Deserialize, Default)]
struct RequestsQuery {
    jurisdiction_id: Option<String>,
    /// Tracking codes, comma-separated: every other filter is then ignored, as the standard says.
    service_request_id: Option<String>,
    service_code: Option<String>,
    /// Sent at or after / at or before (W3C datetimes; compared by the day in the product's zone).
    start_date: Option<String>,
    end_date: Option<String>,
    /// `open` or `closed` (comma-separated allowed).
    status: Option<String>,
    /// Our extension: requests after this point of the list (the `next` link of the page
    /// before). GeoReport v2 answers a bare array, so the next page is announced in a `Link`
    /// header (RFC 8288) rather than in the body.
    after: Option<String>,
    /// Our extension, as other GeoReport servers name it: 1–200 requests a page (default 50).
    page_size: Option<i64>,
}

/// A W3C datetime (or a bare date) as the day it falls on in the product's zone.
fn day_of(raw: &str) -> Option<NaiveDate> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| domain::clock::local_date(t.with_timezone(&Utc)))
        .ok()
        .or_else(|| raw.parse().ok())
}

async fn requests(
    State(s): State<AppState>,
    ctx: Ctx,
    ApiQuery(q): ApiQuery<RequestsQuery>,
    f: Format,
) -> Response {
    if let Some(r) = foreign(&s, f, q.jurisdiction_id.as_deref()) {
        return r;
    }
    if let Some(codes) = &q.service_request_id {
        let mut out = vec![];
        for code in codes
            .split(',')
            .filter_map(|c| domain::feedback::TrackingCode::parse(c.trim()))
        {
            if let Ok(t) = app::feedback::track(&s.db, &code, None).await {
                out.push(t.item);
            }
        }
        return match described(&s, ctx.lang, &out).await {
            Ok(v) => crate::cache::public(
                f.respond(StatusCode::OK, "service_requests", &v),
                crate::cache::Deps::FEEDBACK,
            ),
            Err(e) => failure(f, ctx.lang, e),
        };
    }
    let mut bad = vec![];
    let mut day = |name: &str, raw: &Option<String>| -> Option<NaiveDate> {
        let raw = raw.as_deref()?;
        let d = day_of(raw);
        if d.is_none() {
            bad.push(format!("{name}: {raw} is not a W3C datetime"));
        }
        d
    };
    let (from, to) = (
        day("start_date", &q.start_date),
        day("end_date", &q.end_date),
    );
    // Published items are answered or closed: none is open in GeoReport's sense.
    let statuses: Vec<&str> = q
        .status
        .as_deref()
        .map(|x| x.split(',').map(str::trim).collect())
        .unwrap_or_default();
    if let Some(x) = statuses.iter().find(|x| !matches!(**x, "open" | "closed")) {
        bad.push(format!("status: {x} is neither open nor closed"));
    }
    if !bad.is_empty() {
        return f.errors(StatusCode::BAD_REQUEST, &bad);
    }
    if !statuses.is_empty() && !statuses.contains(&"closed") {
        return crate::cache::public(
            f.respond(StatusCode::OK, "service_requests", &json!([])),
            crate::cache::Deps::FEEDBACK,
        );
    }
    let query = InboxQuery {
        category: q.service_code.clone(),
        after: q.after.clone(),
        per_page: q.page_size,
        ..Default::default()
    };
    let (items, next) = match app::feedback::published_sent(&s.db, query, from, to).await {
        Ok(p) => p,
        Err(e) => return failure(f, ctx.lang, e),
    };
    let v = match described(&s, ctx.lang, &items).await {
        Ok(v) => v,
        Err(e) => return failure(f, ctx.lang, e),
    };
    let mut res = f.respond(StatusCode::OK, "service_requests", &v);
    if let Some(next) = next {
        // The same filters on the next page.
        let mut link = format!(
            "</open311/v2/requests.{}?after={}",
            if f == Format::Xml { "xml" } else { "json" },
            crate::pages::common::encode_component(&next)
        );
        for (k, v) in [
            ("page_size", q.page_size.map(|n| n.to_string())),
            ("service_code", q.service_code),
            ("start_date", q.start_date),
            ("end_date", q.end_date),
            ("status", q.status),
            ("jurisdiction_id", q.jurisdiction_id),
        ] {
            if let Some(v) = v {
                link.push_str(&format!(
                    "&{k}={}",
                    crate::pages::common::encode_component(&v)
                ));
            }
        }
        link.push_str(">; rel=\"next\"");
        if let Ok(v) = axum::http::HeaderValue::from_str(&link) {
            res.headers_mut().insert(axum::http::header::LINK, v);
        }
    }
    crate::cache::public(res, crate::cache::Deps::FEEDBACK)
}

/// One request by its tracking code.
async fn request(
    State(s): State<AppState>,
    ctx: Ctx,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<Where>,
) -> Response {
    let Some((code, f)) = Format::split(&file) else {
        return Format::Json.errors(StatusCode::NOT_FOUND, &[format!("{file}: .json or .xml")]);
    };
    if let Some(r) = foreign(&s, f, q.jurisdiction_id.as_deref()) {
        return r;
    }
    let Some(code) = domain::feedback::TrackingCode::parse(code) else {
        return f.errors(
            StatusCode::NOT_FOUND,
            &[format!("service_request_id {code} not found")],
        );
    };
    let item = match app::feedback::track(&s.db, &code, None).await {
        Ok(t) => t.item,
        Err(e) => return failure(f, ctx.lang, e),
    };
    match described(&s, ctx.lang, std::slice::from_ref(&item)).await {
        Ok(v) => crate::cache::public(
            f.respond(StatusCode::OK, "service_requests", &v),
            crate::cache::Deps::FEEDBACK,
        ),
        Err(e) => failure(f, ctx.lang, e),
    }
}

/// Items as GeoReport's service requests, every field of the standard present: the category's
/// and the unit's names in the reader's language; no location, since feedback carries none.
async fn described(s: &AppState, lang: Lang, items: &[PublicItem]) -> app::error::AppResult<Value> {
    let cats = app::feedback::categories(&s.db).await?;
    let snap = s.org.snapshot(&s.db).await?;
    let start_of = |d: NaiveDate| {
        d.pred_opt()
            .map(domain::clock::end_of_day)
            .map(|t| w3c(t + chrono::Duration::seconds(1)))
    };
    Ok(Value::Array(
        items
            .iter()
            .map(|i| {
                json!({
                    "service_request_id": i.code,
                    "status": if i.state.is_open() { "open" } else { "closed" },
                    "status_notes": i.answer.clone().unwrap_or_default(),
                    "service_name": cats.iter().find(|c| c.code == i.category).map(|c| category_name(lang, c)).unwrap_or_default(),
                    "service_code": i.category,
                    "description": i.body,
                    "agency_responsible": snap.get(i.unit_id).map(|u| u.name(lang.code())).unwrap_or_default(),
                    "service_notice": "",
                    "requested_datetime": w3c(i.submitted_at),
                    // Known to the day: the start of the day of the answer.
                    "updated_datetime": i.answered_on.and_then(start_of),
                    // The deadline's day counts to its end.
                    "expected_datetime": i.deadline_on.map(|d| w3c(domain::clock::end_of_day(d))),
                    "address": "",
                    "address_id": "",
                    "zipcode": "",
                    "lat": null,
                    "long": null,
                    "media_url": "",
                })
            })
            .collect(),
    ))
}
