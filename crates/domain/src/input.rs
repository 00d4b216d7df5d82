//! Input that can only hold valid values. Each type is built from raw input by `parse`, which
//! answers the field error the API returns (a message key translated at the edge); past that point
//! nothing is checked again.

use chrono::NaiveDate;

use super::FieldError;
use super::text::{TEXT_MAX, nfc};

/// An email address of the shape `someone@host.tld`, at most 254 bytes, without whitespace.
/// (Deliverability is proved by the mailed links, not here.) Case is kept as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Email, FieldError> {
        let ok = raw.len() <= 254
            && !raw.contains(char::is_whitespace)
            && raw
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if ok {
            Ok(Email(raw.to_string()))
        } else {
            Err(FieldError::new(field, "err-email"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text in NFC, trimmed, at most `max` characters (by default [`TEXT_MAX`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse_max(field: &str, raw: &str, max: usize) -> Result<BoundedText, FieldError> {
        let s = nfc(raw);
        if s.chars().count() > max {
            Err(FieldError::new(field, "err-too-long").with("max", max))
        } else {
            Ok(BoundedText(s))
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<BoundedText, FieldError> {
        Self::parse_max(field, raw, TEXT_MAX)
    }

    /// Like [`BoundedText::parse`], and also refuses an empty text.
    pub fn required(field: &str, raw: &str) -> Result<BoundedText, FieldError> {
        let t = Self::parse(field, raw)?;
        if t.0.is_empty() {
            Err(FieldError::new(field, "err-required"))
        } else {
            Ok(t)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A window of deadlines (both ends optional, both included), never ending before it starts.
/// Filters of the overview and the worklists take one, so the order of the two ends is checked once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DueWindow {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

impl DueWindow {
    /// Refuses an end before the start, on the field `due_to`.
    pub fn parse(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<DueWindow, FieldError> {
        match (from, to) {
            (Some(a), Some(b)) if a > b => Err(FieldError::new("due_to", "err-before-start")),
            _ => Ok(DueWindow { from, to }),
        }
    }

    pub fn from(&self) -> Option<NaiveDate> {
        self.from
    }

    pub fn to(&self) -> Option<NaiveDate> {
        self.to
    }

    /// Whether a deadline falls in the window. A task without a deadline belongs only to the window
    /// that is open at both ends: asking for a range of dates asks for tasks that have one.
    pub fn contains(&self, due: Option<NaiveDate>) -> bool {
        match due {
            Some(d) => self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t),
            None => self.from.is_none() && self.to.is_none(),
        }
    }
}

/// Collects the field errors of a whole form, so that every problem is reported at once.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    /// The value, or `None` with its error recorded.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// An optional raw value parsed when present.
    pub fn take_opt<T>(
        &mut self,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        raw.and_then(|r| self.take(parse(r)))
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e)
    }

    pub fn extend(&mut self, es: impl IntoIterator<Item = FieldError>) {
        self.0.extend(es)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_errors(self) -> Vec<FieldError> {
        self.0
    }
}

/// A form's one-time token as clients make them up: 16–128 ASCII letters, digits, `-` or `_`.
pub fn is_form_token(t: &str) -> bool {
    (16..=128).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(n)
    }

    proptest! {
        /// A window holds exactly the deadlines between its ends; a reversed window cannot be built.
        #[test]
        fn due_windows(a in proptest::option::of(0i64..400), b in proptest::option::of(0i64..400),
                       due in proptest::option::of(0i64..400)) {
            let (from, to, due) = (a.map(day), b.map(day), due.map(day));
            match DueWindow::parse(from, to) {
                Err(e) => {
                    prop_assert!(from.unwrap() > to.unwrap());
                    prop_assert_eq!(e.field.as_str(), "due_to");
                }
                Ok(w) => {
                    let inside = match due {
                        Some(d) => (from.unwrap_or(NaiveDate::MIN)..=to.unwrap_or(NaiveDate::MAX)).contains(&d),
                        None => from.is_none() && to.is_none(),
                    };
                    prop_assert_eq!(w.contains(due), inside);
                    prop_assert_eq!((w.from(), w.to()), (from, to));
                }
            }
        }
    }

    #[test]
    fn emails() {
        assert!(Email::parse("email", "an.nguyen@daklak.gov.vn").is_ok());
        for bad in ["", "no-at.vn", "@host.vn", "a@host", "a b@host.vn"] {
            let e = Email::parse("email", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.code.as_str()),
                ("email", "err-email"),
                "{bad}"
            );
        }
        let long = format!("{}@x.vn", "a".repeat(250));
        assert!(Email::parse("email", &long).is_err());
    }

    #[test]
    fn bounded_text_counts_characters_after_nfc() {
        // "ắ" typed as NFD is three code points but one character after NFC.
        let nfd = "a\u{0306}\u{0301}".repeat(10);
        assert_eq!(
            BoundedText::parse_max("t", &nfd, 10)
                .unwrap()
                .as_str()
                .chars()
                .count(),
            10
        );
        let e = BoundedText::parse_max("t", &nfd, 9).unwrap_err();
        assert_eq!(e.code, "err-too-long");
        assert_eq!(
            BoundedText::required("t", "   ").unwrap_err().code,
            "err-required"
        );
    }

    #[test]
    fn checks_collect_every_error() {
        let mut c = Checks::new();
        assert!(c.take(Email::parse("email", "x")).is_none());
        assert!(c.take_opt(Some("y"), |r| Email::parse("cc", r)).is_none());
        assert!(c.take_opt(None, |r| Email::parse("bcc", r)).is_none());
        let fields: Vec<_> = c.into_errors().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "cc"]);
    }

    proptest! {
        #[test]
        fn a_parsed_email_parses_again_to_itself(user in "[a-z0-9._]{1,20}", host in "[a-z]{1,10}\\.[a-z]{2,4}") {
            let raw = format!("{user}@{host}");
            let e = Email::parse("email", &raw).unwrap();
            prop_assert_eq!(Email::parse("email", e.as_str()).unwrap(), e.clone());
            prop_assert_eq!(e.as_str(), raw.as_str());
        }

        #[test]
        fn bounded_text_never_exceeds_its_bound(s in "\\PC{0,40}", max in 0usize..30) {
            match BoundedText::parse_max("t", &s, max) {
                Ok(t) => prop_assert!(t.as_str().chars().count() <= max),
                Err(e) => prop_assert_eq!(e.code, "err-too-long"),
            }
        }
    }
}
