//! GeoReport v2's two formats: JSON as it is, and XML (the standard's default) written from the
//! same JSON value — a list under a root element, each item an element named after the list,
//! each field a child element. Errors are GeoReport's list of `{code, description}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `digital_infrastructure.xml` → (`digital_infrastructure`, XML); `None` for another ending.
    pub fn split(file: &str) -> Option<(&str, Format)> {
        let (stem, ext) = file.rsplit_once('.')?;
        let f = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        Some((stem, f))
    }

    /// `v` with `status`: JSON as it is, XML under `root`.
    pub fn respond(self, status: StatusCode, root: &str, v: &Value) -> Response {
        match self {
            Format::Json => (status, axum::Json(v)).into_response(),
            Format::Xml => {
                let mut r = (status, to_xml(root, v)).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/xml; charset=utf-8"),
                );
                r
            }
        }
    }

    /// GeoReport's error list, one entry per description.
    pub fn errors(self, status: StatusCode, descriptions: &[String]) -> Response {
        let v = Value::Array(
            descriptions
                .iter()
                .map(|d| json!({"code": status.as_u16(), "description": d}))
                .collect(),
        );
        self.respond(status, "errors", &v)
    }
}

/// The element name of a list's items.
fn item_name(list: &str) -> &str {
    match list {
        "service_requests" => "request",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

pub fn to_xml(root: &str, v: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    element(&mut out, root, v);
    out
}

fn element(out: &mut String, name: &str, v: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => escape(out, s),
        Value::Array(items) => {
            let item = item_name(name);
            for x in items {
                element(out, item, x);
            }
        }
        Value::Object(fields) => {
            for (k, x) in fields {
                element(out, k, x);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Text as XML 1.0 character data: markup escaped, characters XML cannot carry left out.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_become_elements_named_after_them() {
        let v = json!([{"service_request_id": "PA-1", "lat": null, "description": "a < b & \"c\"\u{1}"}]);
        assert_eq!(
            to_xml("service_requests", &v),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><description>a &lt; b &amp; &quot;c&quot;</description><lat></lat><service_request_id>PA-1</service_request_id></request></service_requests>"
        );
        let d = json!({"endpoints": [{"formats": ["text/xml", "application/json"]}]});
        assert_eq!(
            to_xml("discovery", &d),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><discovery><endpoints><endpoint><formats><format>text/xml</format><format>application/json</format></formats></endpoint></endpoints></discovery>"
        );
        assert_eq!(Format::split("ai.xml"), Some(("ai", Format::Xml)));
        assert_eq!(Format::split("PA-1.json"), Some(("PA-1", Format::Json)));
        assert_eq!(Format::split("ai.csv"), None);
        assert_eq!(Format::split("ai"), None);
    }
}
