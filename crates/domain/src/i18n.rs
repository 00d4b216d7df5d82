//! Languages: Vietnamese (default), English, French. Messages live in `locales/<lang>.txt` as
//! `key = value` lines; a test checks that the three files have the same keys.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Vi,
    En,
    Fr,
}

pub const LANGS: [Lang; 3] = [Lang::Vi, Lang::En, Lang::Fr];

static SOURCES: [(&str, &str); 3] = [
    ("vi", include_str!("../locales/vi.txt")),
    ("en", include_str!("../locales/en.txt")),
    ("fr", include_str!("../locales/fr.txt")),
];

pub fn parse(src: &str) -> HashMap<&str, &str> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

static MESSAGES: LazyLock<[HashMap<&'static str, &'static str>; 3]> = LazyLock::new(|| {
    [
        parse(SOURCES[0].1),
        parse(SOURCES[1].1),
        parse(SOURCES[2].1),
    ]
});

/// Storage reads a language column straight into the type; an unknown code is an error.
impl TryFrom<String> for Lang {
    type Error = crate::UnknownName;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Lang::parse(&value).ok_or(crate::UnknownName {
            what: "language",
            value,
        })
    }
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        LANGS.into_iter().find(|l| l.code() == s)
    }

    /// First supported language in an Accept-Language header.
    pub fn from_accept_language(h: &str) -> Option<Lang> {
        h.split(',')
            .filter_map(|part| {
                Lang::parse(
                    part.split(';')
                        .next()?
                        .trim()
                        .get(..2)?
                        .to_ascii_lowercase()
                        .as_str(),
                )
            })
            .next()
    }

    fn idx(self) -> usize {
        self as usize
    }

    /// The message for `key`; the key itself when missing (a test keeps that from happening).
    pub fn t(self, key: &str) -> &'static str {
        self.lookup(key)
            .unwrap_or_else(|| Box::leak(key.to_string().into_boxed_str()))
    }

    /// The message for `key` in this language, else in Vietnamese; `None` when it has none.
    fn lookup(self, key: &str) -> Option<&'static str> {
        MESSAGES[self.idx()]
            .get(key)
            .or_else(|| MESSAGES[0].get(key))
            .copied()
    }

    /// The message with `{name}` placeholders filled in.
    pub fn tf(self, key: &str, params: &[(String, String)]) -> String {
        let mut s = self.t(key).to_string();
        for (k, v) in params {
            let v = match v
                .strip_prefix(crate::NUMBER_MARK)
                .and_then(|x| x.parse::<f64>().ok())
            {
                Some(x) => self.num(x, 2),
                None => v.clone(),
            };
            s = s.replace(&format!("{{{k}}}"), &v);
        }
        s
    }

    /// The name of a form or API field (`field-<name>`, `_` read as `-`), when it has one.
    pub fn field_label(self, field: &str) -> Option<&'static str> {
        self.lookup(&format!("field-{}", field.replace('_', "-")))
    }

    /// A field error's message, naming the field first ("Tiêu đề: Trường này là bắt buộc."),
    /// so that it reads right both under the field and in an API's list of errors.
    pub fn field_message(self, e: &crate::FieldError) -> String {
        let message = self.tf(&e.code, &e.params);
        match self.field_label(&e.field) {
            Some(label) => self
                .t("field-named")
                .replace("{label}", label)
                .replace("{message}", &message),
            None => message,
        }
    }

    /// Integer with the language's thousands separator: vi 3.321, en 3,321, fr 3 321.
    pub fn int(self, n: i64) -> String {
        let sep = match self {
            Lang::Vi => ".",
            Lang::En => ",",
            Lang::Fr => "\u{202F}",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(ch);
        }
        if n < 0 { format!("-{out}") } else { out }
    }

    /// A figure with at most `decimals` decimals (trailing zeros dropped), the language's
    /// thousands separator and decimal mark: 3114663.5 → vi "3.114.663,5", en "3,114,663.5".
    pub fn num(self, v: f64, decimals: usize) -> String {
        if !v.is_finite() {
            return "—".into();
        }
        let s = format!("{:.*}", decimals, v.abs());
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        let frac = frac.trim_end_matches('0');
        let whole: i64 = whole.parse().unwrap_or(0);
        let mut out = self.int(whole);
        if !frac.is_empty() {
            out.push(if self == Lang::En { '.' } else { ',' });
            out.push_str(frac);
        }
        if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.insert(0, '-');
        }
        out
    }

    /// A share given in tenths of a percent, with one decimal as the language writes it:
    /// 875 → vi "87,5%", en "87.5%", fr "87,5 %".
    pub fn percent1(self, permille: i64) -> String {
        let (whole, tenth) = (permille / 10, (permille % 10).abs());
        match self {
            Lang::Vi => format!("{whole},{tenth}%"),
            Lang::En => format!("{whole}.{tenth}%"),
            Lang::Fr => format!("{whole},{tenth}\u{202F}%"),
        }
    }

    /// A date as people of the language write it: 01/07/2025, 1 July 2025, 1 juillet 2025.
    pub fn date(self, d: NaiveDate) -> String {
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const FR: [&str; 12] = [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ];
        let m = d.month0() as usize;
        match self {
            Lang::Vi => d.format("%d/%m/%Y").to_string(),
            Lang::En => format!("{} {} {}", d.day(), EN[m], d.year()),
            Lang::Fr => format!("{} {} {}", d.day(), FR[m], d.year()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn figures_are_written_per_language() {
        assert_eq!(Lang::Vi.num(3114663.5, 2), "3.114.663,5");
        assert_eq!(Lang::En.num(3114663.5, 2), "3,114,663.5");
        assert_eq!(Lang::Fr.num(0.7, 2), "0,7");
        assert_eq!(Lang::En.num(63.0749, 1), "63.1");
        assert_eq!(Lang::En.num(-2.0, 1), "-2");
        assert_eq!(Lang::En.num(-0.01, 1), "0");
    }

    #[test]
    fn shares_are_written_per_language() {
        assert_eq!(Lang::Vi.percent1(875), "87,5%");
        assert_eq!(Lang::En.percent1(875), "87.5%");
        assert_eq!(Lang::Fr.percent1(1000), "100,0\u{202F}%");
        assert_eq!(Lang::En.percent1(3), "0.3%");
    }

    #[test]
    fn all_languages_have_the_same_keys() {
        let keys: Vec<BTreeSet<&str>> = SOURCES
            .iter()
            .map(|(_, s)| parse(s).keys().copied().collect())
            .collect();
        for (i, (code, _)) in SOURCES.iter().enumerate().skip(1) {
            let missing: Vec<_> = keys[0].difference(&keys[i]).collect();
            let extra: Vec<_> = keys[i].difference(&keys[0]).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let vi = parse(SOURCES[0].1);
        let mut used = BTreeSet::new();
        // Every crate's sources and templates, and the binary's.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        for dir in ["crates", "src"] {
            for entry in walk(root.join(dir)) {
                let text = std::fs::read_to_string(&entry).unwrap();
                for pat in [".t(\"", ".tf(\"", "\"err-"] {
                    for (at, _) in text.match_indices(pat) {
                        // `id="err-note"` and `aria-describedby="err-note"` name an
                        // element that holds a field's error, not a message key.
                        if pat == "\"err-" && text[..at].ends_with('=') {
                            continue;
                        }
                        let part = &text[at + pat.len()..];
                        let rest = part.split('"').next().unwrap();
                        let key = if pat == "\"err-" {
                            format!("err-{rest}")
                        } else {
                            rest.to_string()
                        };
                        if !key.ends_with('-')
                            && key.contains('-')
                            && !key.contains(' ')
                            && key
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                        {
                            used.insert(key);
                        }
                    }
                }
            }
        }
        let missing: Vec<_> = used
            .iter()
            .filter(|k| !vi.contains_key(k.as_str()))
            .collect();
        assert!(missing.is_empty(), "keys used but not defined: {missing:?}");
    }

    #[test]
    fn every_field_with_an_error_has_a_name() {
        // The calls that make a field error from a literal field name.
        const MAKERS: [&str; 8] = [
            "FieldError::new(",
            "Email::parse(",
            "BoundedText::parse(",
            "BoundedText::required(",
            "BoundedText::parse_max(",
            "form_date(",
            "unit_by_code(s, ",
            "bad(",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut fields = BTreeSet::new();
        for dir in ["crates", "src"] {
            for entry in walk(root.join(dir)) {
                if entry.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&entry).unwrap();
                for maker in MAKERS {
                    for (at, _) in text.match_indices(maker) {
                        let rest = text[at + maker.len()..].trim_start();
                        let name = rest.strip_prefix('"').and_then(|r| r.split('"').next());
                        if let Some(name) = name.filter(|n| {
                            !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        }) {
                            fields.insert(name.to_string());
                        }
                    }
                }
            }
        }
        // Names in this file's own tests ("t"), and the hidden trap field that a bot fills in:
        // naming it in the message would tell the bot which field to leave empty.
        let unnamed = ["t", "website"];
        assert!(
            fields.len() > 50,
            "the scan found too few fields: {fields:?}"
        );
        for lang in LANGS {
            let missing: Vec<_> = fields
                .iter()
                .filter(|f| !unnamed.contains(&f.as_str()) && lang.field_label(f).is_none())
                .collect();
            assert!(
                missing.is_empty(),
                "{}: fields without a name: {missing:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn field_messages_name_the_field() {
        let e = crate::FieldError::new("to_unit", "err-required");
        assert_eq!(
            Lang::Vi.field_message(&e),
            "Đơn vị nhận: Trường này là bắt buộc."
        );
        assert_eq!(
            Lang::En.field_message(&e),
            "Receiving unit: This field is required."
        );
        assert_eq!(
            Lang::Fr.field_message(&e),
            "Unité destinataire\u{202F}: Ce champ est obligatoire."
        );
        let too_long = crate::FieldError::new("title", "err-too-long").with("max", 300);
        assert!(Lang::En.field_message(&too_long).starts_with("Subject: "));
        assert!(Lang::En.field_message(&too_long).contains("300"));
        // A field without a name keeps the bare message.
        let trap = crate::FieldError::new("website", "err-required");
        assert_eq!(Lang::En.field_message(&trap), "This field is required.");
    }

    fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = vec![];
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(p))
            } else {
                out.push(p)
            }
        }
        out
    }

    #[test]
    fn numbers_and_dates_per_language() {
        assert_eq!(Lang::Vi.int(3321), "3.321");
        assert_eq!(Lang::En.int(1234567), "1,234,567");
        assert_eq!(Lang::Fr.int(3321), "3\u{202F}321");
        assert_eq!(Lang::En.int(-12), "-12");
        let d = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
        assert_eq!(Lang::Vi.date(d), "01/07/2025");
        assert_eq!(Lang::En.date(d), "1 July 2025");
        assert_eq!(Lang::Fr.date(d), "1 juillet 2025");
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Some(Lang::Fr)
        );
        assert_eq!(Lang::from_accept_language("de-DE,en;q=0.5"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
