//! Downloads: the `format` query parameter, tables rendered as CSV or XLSX, and file responses.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::AppResult;
use app::error::AppError;
use app::export::{self, Format, Table};
use domain::FieldError;

/// A file download: the name is sent both plain (ASCII fallback) and UTF-8 encoded (RFC 6266).
pub fn download(bytes: impl Into<axum::body::Bytes>, content_type: &str, name: &str) -> Response {
    let ascii: String = domain::text::fold(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes.into(),
    )
        .into_response()
}

/// Renders a table as the asked format.
pub fn export_response(t: &Table, format: Format, name: &str) -> AppResult<Response> {
    let bytes = export::render(t, format).map_err(AppError::internal)?;
    Ok(download(
        bytes,
        format.content_type(),
        &format!("{name}.{}", format.extension()),
    ))
}

pub fn parse_format(f: Option<&str>) -> AppResult<Option<Format>> {
    match f.map(str::trim).filter(|f| !f.is_empty() && *f != "json") {
        None => Ok(None),
        Some(v) => Format::from_query(v)
            .map(Some)
            .ok_or_else(|| AppError::invalid(FieldError::new("format", "err-format")).into()),
    }
}
