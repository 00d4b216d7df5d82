//! An Open311 GeoReport v2 facade over feedback (services = our categories; service_request_id =
//! the tracking code).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::AppState;
use crate::error::AppResult;
use crate::extract::{ApiQuery, ClientIp, Ctx};
use app::feedback::{InboxQuery, PublicItem, Submission};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(open311_services))
        .route(
            "/open311/v2/requests.json",
            get(open311_requests).post(open311_create),
        )
}

async fn open311_services(State(s): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let cats = app::feedback::categories(&s.db).await?;
    let v: Vec<serde_json::Value> = cats
        .iter()
        .map(|c| {
            serde_json::json!({
                "service_code": c.code,
                "service_name": match ctx.lang.code() { "en" => &c.name_en, "fr" => &c.name_fr, _ => &c.name_vi },
                "description": "",
                "metadata": false,
                "type": "realtime",
                "keywords": "",
                "group": "",
            })
        })
        .collect();
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct Open311Create {
    service_code: String,
    description: String,
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

async fn open311_create(
    State(s): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    axum::Form(f): axum::Form<Open311Create>,
) -> AppResult<Response> {
    let name = [f.first_name, f.last_name]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let title = f
        .title
        .unwrap_or_else(|| f.description.chars().take(80).collect());
    let r = app::feedback::submit(
        &s.db,
        &s.intake,
        ip,
        ctx.who.as_ref(),
        ctx.lang,
        Submission {
            kind: "report".into(),
            category: f.service_code,
            title,
            body: f.description,
            unit_id: None,
            unit: None,
            submitter_kind: "citizen".into(),
            name: Some(name).filter(|n| !n.is_empty()),
            email: f.email,
            phone: f.phone,
            publish_name: false,
            website: String::new(),
            form_token: None,
        },
        vec![],
        &s.cfg.data_dir,
        s.cfg.evidence_max_bytes(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!([{ "service_request_id": r.code, "token": r.secret }])),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct Open311Query {
    service_request_id: Option<String>,
    /// Our extension: requests after this point of the list (the `next` link of the page
    /// before). GeoReport v2 answers a bare array, so the next page is announced in a `Link`
    /// header (RFC 8288) rather than in the body.
    after: Option<String>,
    /// Our extension, as other GeoReport servers name it: 1–200 requests a page (default 50).
    page_size: Option<i64>,
}

async fn open311_requests(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<Open311Query>,
) -> AppResult<Response> {
    let Some(codes) = q.service_request_id else {
        let query = InboxQuery {
            after: q.after,
            per_page: q.page_size,
            ..Default::default()
        };
        let page = app::feedback::published(&s.db, &s.stats, query).await?;
        let v: Vec<_> = page.items.iter().map(open311_item).collect();
        let mut res = Json(v).into_response();
        if let Some(next) = page.next {
            let size = q
                .page_size
                .map(|n| format!("&page_size={n}"))
                .unwrap_or_default();
            let link = format!(
                "</open311/v2/requests.json?after={}{size}>; rel=\"next\"",
                crate::pages::common::encode_component(&next)
            );
            if let Ok(v) = axum::http::HeaderValue::from_str(&link) {
                res.headers_mut().insert(axum::http::header::LINK, v);
            }
        }
        return Ok(crate::cache::public(res, crate::cache::Deps::FEEDBACK));
    };
    let mut out = vec![];
    for code in codes
        .split(',')
        .filter_map(|c| domain::feedback::TrackingCode::parse(c.trim()))
    {
        if let Ok(t) = app::feedback::track(&s.db, &code, None).await {
            out.push(open311_item(&t.item));
        }
    }
    Ok(crate::cache::public(
        Json(out),
        crate::cache::Deps::FEEDBACK,
    ))
}

fn open311_item(i: &PublicItem) -> serde_json::Value {
    let open = i.state.is_open();
    serde_json::json!({
        "service_request_id": i.code,
        "status": if open { "open" } else { "closed" },
        "status_notes": i.answer,
        "service_code": i.category,
        "description": i.body,
        "agency_responsible": i.unit_id.to_string(),
        "requested_datetime": i.submitted_on,
        "expected_datetime": i.deadline_on,
    })
}
