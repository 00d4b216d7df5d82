//! The database catalogue ("where are our data?"): the kinds of entries, their lifecycle and
//! review workflow, the data dictionary, and the four words of the Steering Committee — correct,
//! sufficient, clean, live (đúng, đủ, sạch, sống) — computed from measured figures.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::input::{BoundedText, Checks};

/// An enum stored and shown by name, with its list of values.
macro_rules! names {
    ($(#[$m:meta])* $t:ident as $schema:ident, $what:literal, [$($v:ident => $s:literal),+ $(,)?]) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = $schema))]
        // Every name is the variant's in snake case; said once for the enum, since the OpenAPI
        // derive does not read a rename passed through this macro.
        #[serde(rename_all = "snake_case")]
        pub enum $t { $($v),+ }

        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        crate::named!($t, $what);
    };
}

names!(
    /// What an entry describes.
    Kind as CatalogueKind, "catalogue kind", [
    National => "national",
    Specialised => "specialised",
    Shared => "shared",
    Local => "local",
    OpenData => "open_data",
    System => "system",
]);

names!(
    /// Where a database or system is in its life.
    Lifecycle as CatalogueLifecycle, "lifecycle status", [
    Planned => "planned",
    Building => "building",
    Operating => "operating",
    Retired => "retired",
]);

names!(
    /// Where it runs.
    Hosting as CatalogueHosting, "hosting", [
    NationalCentre => "national_centre",
    UnitCentre => "unit_centre",
    Cloud => "cloud",
]);

names!(
    /// How often its data are expected to change.
    Frequency as CatalogueFrequency, "update frequency", [
    Continuous => "continuous",
    Daily => "daily",
    Weekly => "weekly",
    Monthly => "monthly",
    Quarterly => "quarterly",
    Yearly => "yearly",
]);

names!(
    /// The review workflow: the unit's officer declares, its leader approves, the reviewer (the
    /// Steering Committee's office) accepts or returns with a reason.
    State as CatalogueState, "catalogue state", [
    Draft => "draft",
    Declared => "declared",
    Approved => "approved",
    Accepted => "accepted",
    Returned => "returned",
]);

names!(
    /// A step of the workflow.
    Move as CatalogueMove, "catalogue move", [
    Declare => "declare",
    Approve => "approve",
    Accept => "accept",
    Return => "return",
]);

names!(
    /// A field's type in the data dictionary.
    FieldType as CatalogueFieldType, "field type", [
    Text => "text",
    Number => "number",
    Date => "date",
    Boolean => "boolean",
    Code => "code",
    Geometry => "geometry",
    File => "file",
]);

names!(
    /// Master data a field refers to (checked by "correct").
    Master as CatalogueMaster, "master data", [
    None => "none",
    PersonalId => "personal_id",
    AdminUnit => "admin_unit",
    BusinessId => "business_id",
    LandParcel => "land_parcel",
]);

/// Themes of the DCAT-AP data-theme vocabulary (publications.europa.eu "data-theme"), used as
/// sectors so that the DCAT export needs no mapping.
pub const THEMES: [&str; 13] = [
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH",
    "TRAN",
];

/// Kinds published whatever the unit chooses: open data sets are public by nature.
pub fn always_public(kind: Kind) -> bool {
    kind == Kind::OpenData
}

impl Frequency {
    /// The days after which data not updated are late.
    pub fn days(self) -> i64 {
        match self {
            Frequency::Continuous | Frequency::Daily => 1,
            Frequency::Weekly => 7,
            Frequency::Monthly => 31,
            Frequency::Quarterly => 92,
            Frequency::Yearly => 366,
        }
    }
}

/// The state after `m` from `s`, or `None` when the move is not open there. A returned or draft
/// entry is declared again after its edit; a return needs a reason (checked by [`check_move`]).
pub fn next(s: State, m: Move) -> Option<State> {
    match (s, m) {
        (State::Draft | State::Returned, Move::Declare) => Some(State::Declared),
        (State::Declared, Move::Approve) => Some(State::Approved),
        (State::Approved, Move::Accept) => Some(State::Accepted),
        // The leader sends a declaration back to the officer; the reviewer an approved one.
        (State::Declared | State::Approved, Move::Return) => Some(State::Returned),
        _ => None,
    }
}

/// A move with its reason, checked: the new state, or the field error to show.
pub fn check_move(s: State, m: Move, reason: &str) -> Result<State, FieldError> {
    let to = next(s, m)
        .ok_or_else(|| FieldError::new("move", "err-catalogue-move").with("state", s.as_str()))?;
    if m == Move::Return && reason.trim().is_empty() {
        return Err(FieldError::new("reason", "err-required"));
    }
    Ok(to)
}

/// The state an entry takes when its owner edits it: an edit is reviewed again, so anything but
/// a draft becomes a draft (an edit to a returned entry keeps it returned until declared).
pub fn after_edit(s: State) -> State {
    match s {
        State::Returned => State::Returned,
        _ => State::Draft,
    }
}

/// One field of the data dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DictField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub description: String,
    #[serde(default = "no_master")]
    pub master: Master,
    #[serde(default)]
    pub mandatory: bool,
}

fn no_master() -> Master {
    Master::None
}

/// Fields of a dictionary at most.
pub const DICT_MAX: usize = 200;

/// Reads a data dictionary written one field per line, `name | type | description | master |
/// mandatory` (the last three optional; mandatory as `*`, `x`, `yes`, `có`), as a form sends it.
pub fn parse_dictionary(raw: &str) -> Result<Vec<DictField>, FieldError> {
    let mut out: Vec<DictField> = vec![];
    for (i, line) in raw.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let bad = |code: &str| {
            FieldError::new("dictionary", code)
                .with("line", i + 1)
                .with("value", line)
        };
        let name = cells[0];
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad("err-dictionary-line"));
        }
        let kind = match cells.get(1).copied().unwrap_or("text") {
            "" => FieldType::Text,
            t => FieldType::parse(&t.to_lowercase()).ok_or_else(|| bad("err-dictionary-line"))?,
        };
        let description = cells.get(2).copied().unwrap_or("").to_string();
        let master = match cells.get(3).copied().unwrap_or("") {
            "" => Master::None,
            m => Master::parse(&m.to_lowercase()).ok_or_else(|| bad("err-dictionary-line"))?,
        };
        let mandatory = matches!(
            cells.get(4).map(|s| s.to_lowercase()).as_deref(),
            Some("*" | "x" | "yes" | "có" | "oui" | "true" | "1")
        );
        if out.iter().any(|f| f.name == name) {
            return Err(bad("err-dictionary-twice"));
        }
        out.push(DictField {
            name: crate::text::nfc(name),
            kind,
            description: crate::text::nfc(&description),
            master,
            mandatory,
        });
    }
    if out.len() > DICT_MAX {
        return Err(FieldError::new("dictionary", "err-too-many-items").with("max", DICT_MAX));
    }
    Ok(out)
}

/// The dictionary written back as [`parse_dictionary`] reads it.
pub fn write_dictionary(fields: &[DictField]) -> String {
    fields
        .iter()
        .map(|f| {
            format!(
                "{} | {} | {} | {} | {}",
                f.name,
                f.kind.as_str(),
                f.description,
                f.master.as_str(),
                if f.mandatory { "*" } else { "" }
            )
            .trim_end_matches([' ', '|'])
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An entry as its unit declares it, every value valid.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub name_fr: String,
    pub kind: Kind,
    pub managing_unit_id: Option<i64>,
    pub legal_basis: String,
    pub purpose: String,
    pub themes: Vec<String>,
    pub data_subjects: String,
    pub dictionary: Vec<DictField>,
    pub expected_population: Option<i64>,
    pub frequency: Frequency,
    pub lifecycle: Lifecycle,
    pub lifecycle_since: Option<NaiveDate>,
    pub hosting: Hosting,
    pub security_level: i32,
    pub exchange_connected: bool,
    pub services: String,
    pub contact: String,
    pub access_url: String,
    pub is_public: bool,
    /// Codes of the entries whose data this one consumes.
    pub providers: Vec<String>,
}

/// The raw values of a declaration, as a form or the API sends them.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclarationInput {
    pub code: String,
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub name_fr: String,
    /// national, specialised, shared, local, open_data or system.
    pub kind: String,
    #[serde(default)]
    pub managing_unit_id: Option<i64>,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub purpose: String,
    /// DCAT-AP data themes (AGRI, ECON, EDUC, …).
    #[serde(default)]
    pub themes: Vec<String>,
    #[serde(default)]
    pub data_subjects: String,
    /// One field per line: `name | type | description | master | *` (mandatory).
    #[serde(default)]
    pub dictionary: String,
    #[serde(default)]
    pub expected_population: Option<i64>,
    /// continuous, daily, weekly, monthly, quarterly or yearly.
    pub frequency: String,
    /// planned, building, operating or retired.
    pub lifecycle: String,
    #[serde(default)]
    pub lifecycle_since: Option<NaiveDate>,
    /// national_centre, unit_centre or cloud.
    pub hosting: String,
    /// 1–5 (the information system's security level).
    pub security_level: i32,
    #[serde(default)]
    pub exchange_connected: bool,
    /// Services exposed on the data exchange platforms.
    #[serde(default)]
    pub services: String,
    #[serde(default)]
    pub contact: String,
    /// Where the public gets the data (open data sets), or the system's address.
    #[serde(default)]
    pub access_url: String,
    #[serde(default)]
    pub is_public: bool,
    /// Codes of the entries whose data this one consumes, separated by commas or spaces.
    #[serde(default)]
    pub providers: String,
}

fn pick<T>(c: &mut Checks, field: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    let r = parse(raw.trim()).ok_or_else(|| FieldError::new(field, "err-choice"));
    c.take(r)
}

/// An entry's code: 2–40 capital letters, digits, `.`, `-` or `_`.
pub fn parse_code(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_uppercase();
    let ok = (2..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(s)
    } else {
        Err(FieldError::new("code", "err-catalogue-code"))
    }
}

impl DeclarationInput {
    /// Every value checked at once; all the field errors, or a declaration that holds only valid
    /// values.
    pub fn parse(&self) -> Result<Declaration, Vec<FieldError>> {
        let mut c = Checks::new();
        let code = c.take(parse_code(&self.code));
        let name_vi = c.take(
            BoundedText::parse_max("name_vi", &self.name_vi, 300).and_then(|t| {
                if t.as_str().is_empty() {
                    Err(FieldError::new("name_vi", "err-required"))
                } else {
                    Ok(t)
                }
            }),
        );
        let name_en = c.take(BoundedText::parse_max("name_en", &self.name_en, 300));
        let name_fr = c.take(BoundedText::parse_max("name_fr", &self.name_fr, 300));
        let kind = pick(&mut c, "kind", &self.kind, Kind::parse);
        let frequency = pick(&mut c, "frequency", &self.frequency, Frequency::parse);
        let lifecycle = pick(&mut c, "lifecycle", &self.lifecycle, Lifecycle::parse);
        let hosting = pick(&mut c, "hosting", &self.hosting, Hosting::parse);
        let legal_basis = c.take(BoundedText::parse("legal_basis", &self.legal_basis));
        let purpose = c.take(BoundedText::parse("purpose", &self.purpose));
        let data_subjects = c.take(BoundedText::parse_max(
            "data_subjects",
            &self.data_subjects,
            500,
        ));
        let services = c.take(BoundedText::parse_max("services", &self.services, 2000));
        let contact = c.take(BoundedText::parse_max("contact", &self.contact, 300));
        let access_url = c.take(parse_url(&self.access_url));
        let dictionary = c.take(parse_dictionary(&self.dictionary));
        if !(1..=5).contains(&self.security_level) {
            c.push(
                FieldError::new("security_level", "err-range")
                    .with("min", 1)
                    .with("max", 5),
            );
        }
        if let Some(n) = self.expected_population
            && !(0..=10_000_000_000).contains(&n)
        {
            c.push(FieldError::new("expected_population", "err-number"));
        }
        let mut providers: Vec<String> = vec![];
        for p in self
            .providers
            .split([',', ' ', ';', '\n'])
            .filter(|p| !p.trim().is_empty())
        {
            match parse_code(p) {
                Ok(p) if !providers.contains(&p) => providers.push(p),
                Ok(_) => {}
                Err(_) => {
                    c.push(FieldError::new("providers", "err-catalogue-code"));
                    break;
                }
            }
        }
        if providers.len() > 50 {
            c.push(FieldError::new("providers", "err-too-many-items").with("max", 50));
        }
        let mut themes: Vec<String> = vec![];
        for t in &self.themes {
            let t = t.trim().to_uppercase();
            if t.is_empty() {
                continue;
            }
            if !THEMES.contains(&t.as_str()) {
                c.push(FieldError::new("themes", "err-choice"));
                break;
            }
            if !themes.contains(&t) {
                themes.push(t);
            }
        }
        if !c.is_empty() {
            return Err(c.into_errors());
        }
        let (Some(code), Some(name_vi), Some(name_en), Some(name_fr), Some(kind)) =
            (code, name_vi, name_en, name_fr, kind)
        else {
            unreachable!("errors were returned above")
        };
        let (Some(frequency), Some(lifecycle), Some(hosting), Some(legal_basis), Some(purpose)) =
            (frequency, lifecycle, hosting, legal_basis, purpose)
        else {
            unreachable!("errors were returned above")
        };
        let (
            Some(data_subjects),
            Some(services),
            Some(contact),
            Some(access_url),
            Some(dictionary),
        ) = (data_subjects, services, contact, access_url, dictionary)
        else {
            unreachable!("errors were returned above")
        };
        Ok(Declaration {
            code,
            name_vi: name_vi.into_string(),
            name_en: name_en.into_string(),
            name_fr: name_fr.into_string(),
            kind,
            managing_unit_id: self.managing_unit_id,
            legal_basis: legal_basis.into_string(),
            purpose: purpose.into_string(),
            themes,
            data_subjects: data_subjects.into_string(),
            dictionary,
            expected_population: self.expected_population,
            frequency,
            lifecycle,
            lifecycle_since: self.lifecycle_since,
            hosting,
            security_level: self.security_level,
            exchange_connected: self.exchange_connected,
            services: services.into_string(),
            contact: contact.into_string(),
            access_url,
            is_public: self.is_public || always_public(kind),
            providers,
        })
    }
}

/// An address of the web (http or https), or nothing.
pub fn parse_url(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let ok = (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() <= 500
        && s.len() > 8
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::new("access_url", "err-url"))
    }
}

/// Figures about an entry's records, declared by its unit or reported by a heartbeat. Every count
/// is optional: a word whose figures are missing is unknown, never good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CatalogueFigures))]
pub struct Figures {
    /// Records held.
    pub records: Option<i64>,
    /// Records checked against master data, and how many of them matched.
    pub checked: Option<i64>,
    pub valid: Option<i64>,
    /// Records with every mandatory field filled.
    pub complete: Option<i64>,
    /// Records found twice, and records with a malformed value.
    pub duplicates: Option<i64>,
    pub format_errors: Option<i64>,
}

impl Figures {
    /// The figures' own consistency: counts are not negative and parts never exceed wholes.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut c = Checks::new();
        let fields = [
            ("records", self.records),
            ("checked", self.checked),
            ("valid", self.valid),
            ("complete", self.complete),
            ("duplicates", self.duplicates),
            ("format_errors", self.format_errors),
        ];
        for (f, v) in fields {
            if let Some(v) = v
                && !(0..=1_000_000_000_000).contains(&v)
            {
                c.push(FieldError::new(f, "err-number"));
            }
        }
        let above = |part: Option<i64>, whole: Option<i64>| matches!((part, whole), (Some(p), Some(w)) if p > w);
        if above(self.valid, self.checked) {
            c.push(FieldError::new("valid", "err-part-above").with("whole", "checked"));
        }
        for (f, v) in [
            ("checked", self.checked),
            ("complete", self.complete),
            ("duplicates", self.duplicates),
            ("format_errors", self.format_errors),
        ] {
            if above(v, self.records) {
                c.push(FieldError::new(f, "err-part-above").with("whole", "records"));
            }
        }
        if c.is_empty() {
            Ok(())
        } else {
            Err(c.into_errors())
        }
    }
}

/// How a word stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Good,
    Fair,
    Poor,
    Unknown,
}

impl Standing {
    pub fn of(score: Option<f64>) -> Standing {
        match score {
            None => Standing::Unknown,
            Some(s) if s >= 90.0 => Standing::Good,
            Some(s) if s >= 70.0 => Standing::Fair,
            Some(_) => Standing::Poor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Good => "good",
            Standing::Fair => "fair",
            Standing::Poor => "poor",
            Standing::Unknown => "unknown",
        }
    }
}

/// The four words as scores from 0 to 100 (`None`: not measured).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quality {
    /// Đúng: share of the records checked against master data that matched.
    pub correct: Option<f64>,
    /// Đủ: coverage of the expected population and of mandatory fields (their mean).
    pub sufficient: Option<f64>,
    /// Sạch: share of the records neither duplicated nor malformed.
    pub clean: Option<f64>,
    /// Sống: freshness of the last update against the declared frequency.
    pub live: Option<f64>,
}

fn share(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 100.0).clamp(0.0, 100.0)
    }
}

/// Freshness: 100 while the last update is within one period of the declared frequency, falling
/// linearly to 0 at three periods; `None` when the data were never updated.
pub fn live_score(
    last_update: Option<DateTime<Utc>>,
    f: Frequency,
    now: DateTime<Utc>,
) -> Option<f64> {
    let last = last_update?;
    let age = (now - last).num_seconds().max(0) as f64 / 86_400.0;
    let period = f.days() as f64;
    Some(if age <= period {
        100.0
    } else {
        (100.0 * (3.0 * period - age) / (2.0 * period)).clamp(0.0, 100.0)
    })
}

/// The four words from an entry's figures, expected population, frequency and last update.
pub fn quality(
    f: &Figures,
    expected: Option<i64>,
    frequency: Frequency,
    last_update: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Quality {
    let correct = match (f.checked, f.valid) {
        (Some(c), Some(v)) if c > 0 => Some(share(v, c)),
        _ => None,
    };
    let coverage = match (f.records, expected) {
        (Some(r), Some(e)) if e > 0 => Some(share(r, e)),
        _ => None,
    };
    let filled = match (f.complete, f.records) {
        (Some(c), Some(r)) if r > 0 => Some(share(c, r)),
        _ => None,
    };
    let sufficient = match (coverage, filled) {
        (Some(a), Some(b)) => Some((a + b) / 2.0),
        (a, b) => a.or(b),
    };
    let clean = match f.records {
        Some(r) if r > 0 && (f.duplicates.is_some() || f.format_errors.is_some()) => {
            let bad = f.duplicates.unwrap_or(0) + f.format_errors.unwrap_or(0);
            Some(100.0 - share(bad, r))
        }
        _ => None,
    };
    Quality {
        correct,
        sufficient,
        clean,
        live: live_score(last_update, frequency, now),
    }
}

impl Quality {
    /// The words in their order with their names.
    pub fn words(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("correct", self.correct),
            ("sufficient", self.sufficient),
            ("clean", self.clean),
            ("live", self.live),
        ]
    }

    /// Their mean over the measured ones.
    pub fn overall(&self) -> Option<f64> {
        let xs: Vec<f64> = self.words().iter().filter_map(|w| w.1).collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// The mean of each word over the qualities added where that word is measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct QualityMean {
    sums: [(f64, i64); 4],
}

impl QualityMean {
    pub fn add(&mut self, q: &Quality) {
        for (i, (_, w)) in q.words().iter().enumerate() {
            if let Some(w) = w {
                self.sums[i].0 += w;
                self.sums[i].1 += 1;
            }
        }
    }

    pub fn mean(&self) -> Quality {
        let m = |i: usize| (self.sums[i].1 > 0).then(|| self.sums[i].0 / self.sums[i].1 as f64);
        Quality {
            correct: m(0),
            sufficient: m(1),
            clean: m(2),
            live: m(3),
        }
    }
}

/// One entry's measurements, for its unit's history: what they are judged against, and the
/// figures each measurement gave, oldest first.
#[derive(Debug, Clone)]
pub struct Measured {
    pub expected: Option<i64>,
    pub frequency: Frequency,
    pub measures: Vec<(DateTime<Utc>, Figures)>,
}

/// A unit's four words at each of `ends`: every entry is judged on its latest measurement at or
/// before the end (freshness counted from that measurement to the end); each word is the mean over
/// the entries where it is measured. Entries measured only later count nowhere.
pub fn series(entries: &[Measured], ends: &[DateTime<Utc>]) -> Vec<Quality> {
    ends.iter()
        .map(|&end| {
            let mut m = QualityMean::default();
            for q in entries.iter().filter_map(|e| e.quality_at(end)) {
                m.add(&q);
            }
            m.mean()
        })
        .collect()
}

impl Measured {
    /// The entry's four words at `end`, judged on its latest measurement at or before it
    /// (freshness counted from that measurement to `end`); `None` when it was not measured by then.
    pub fn quality_at(&self, end: DateTime<Utc>) -> Option<Quality> {
        let n = self.measures.partition_point(|(at, _)| *at <= end);
        let (at, f) = self.measures.get(n.checked_sub(1)?)?;
        Some(quality(f, self.expected, self.frequency, Some(*at), end))
    }
}

/// A unit's catalogue completeness (0–100): the share of its entries accepted by the reviewer.
/// A unit with no entry has declared nothing, so it is at 0.
pub fn completeness(accepted: i64, entries: i64) -> f64 {
    if entries <= 0 {
        0.0
    } else {
        share(accepted, entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn the_workflow_runs_declare_approve_accept_and_back_after_a_return() {
        let mut s = State::Draft;
        for m in [
            Move::Declare,
            Move::Approve,
            Move::Return,
            Move::Declare,
            Move::Approve,
            Move::Accept,
        ] {
            s = check_move(s, m, "thiếu từ điển dữ liệu").unwrap();
        }
        assert_eq!(s, State::Accepted);
        assert!(
            check_move(State::Approved, Move::Return, "  ").is_err_and(|e| e.field == "reason")
        );
        assert!(check_move(State::Accepted, Move::Approve, "").is_err_and(|e| e.field == "move"));
        assert_eq!(after_edit(State::Accepted), State::Draft);
    }

    #[test]
    fn a_dictionary_reads_back_what_it_wrote() {
        let d = parse_dictionary(
            "ma_dinh_danh | code | Số định danh cá nhân | personal_id | *\n\nho_ten | text | Họ và tên\nngay_sinh|date",
        )
        .unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].master, Master::PersonalId);
        assert!(d[0].mandatory && !d[1].mandatory);
        assert_eq!(d[2].kind, FieldType::Date);
        assert_eq!(parse_dictionary(&write_dictionary(&d)).unwrap(), d);
        let e = parse_dictionary("a | text\nb | colour").unwrap_err();
        assert_eq!(e.code, "err-dictionary-line");
        assert!(e.params.contains(&("line".into(), "2".into())));
        assert_eq!(
            parse_dictionary("a\na").unwrap_err().code,
            "err-dictionary-twice"
        );
    }

    fn input() -> DeclarationInput {
        DeclarationInput {
            code: "dl-dat-dai".into(),
            name_vi: "Cơ sở dữ liệu đất đai".into(),
            kind: "local".into(),
            frequency: "monthly".into(),
            lifecycle: "operating".into(),
            hosting: "unit_centre".into(),
            security_level: 3,
            themes: vec!["regi".into(), "REGI".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_declaration_holds_only_valid_values_and_reports_every_error() {
        let d = input().parse().unwrap();
        assert_eq!(d.code, "DL-DAT-DAI");
        assert_eq!(d.themes, vec!["REGI".to_string()]);
        assert!(!d.is_public);
        let open = DeclarationInput {
            kind: "open_data".into(),
            ..input()
        };
        assert!(
            open.parse().unwrap().is_public,
            "open data are always public"
        );
        let bad = DeclarationInput {
            code: "x".into(),
            kind: "spreadsheet".into(),
            security_level: 6,
            access_url: "ftp://x".into(),
            themes: vec!["SPORT".into()],
            ..input()
        };
        let fields: Vec<String> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        for f in ["code", "kind", "security_level", "access_url", "themes"] {
            assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
        }
    }

    #[test]
    fn figures_whose_parts_exceed_their_wholes_are_refused() {
        let f = Figures {
            records: Some(10),
            checked: Some(5),
            valid: Some(6),
            duplicates: Some(11),
            ..Default::default()
        };
        let fields: Vec<String> = f
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, vec!["valid", "duplicates"]);
        assert!(
            Figures {
                records: Some(-1),
                ..Default::default()
            }
            .check()
            .is_err()
        );
        assert!(Figures::default().check().is_ok());
    }

    #[test]
    fn the_four_words_of_a_known_case() {
        let f = Figures {
            records: Some(900),
            checked: Some(200),
            valid: Some(190),
            complete: Some(810),
            duplicates: Some(9),
            format_errors: Some(9),
        };
        let now = t0();
        let q = quality(
            &f,
            Some(1000),
            Frequency::Monthly,
            Some(now - Duration::days(62)),
            now,
        );
        assert_eq!(q.correct, Some(95.0));
        assert_eq!(q.sufficient, Some(90.0)); // (90 + 90) / 2
        assert_eq!(q.clean, Some(98.0));
        // 62 days old against 31: half way from one period to three.
        assert_eq!(q.live, Some(50.0));
        assert_eq!(Standing::of(q.live), Standing::Poor);
        assert_eq!(Standing::of(q.correct), Standing::Good);
        let none = quality(&Figures::default(), None, Frequency::Daily, None, now);
        assert_eq!(none, Quality::default());
        assert_eq!(none.overall(), None);
    }

    #[test]
    fn a_units_history_judges_each_entry_on_its_latest_measurement() {
        let f = |valid| Figures {
            checked: Some(100),
            valid: Some(valid),
            ..Default::default()
        };
        let day = |d| t0() + Duration::days(d);
        let a = Measured {
            expected: None,
            frequency: Frequency::Daily,
            measures: vec![(day(0), f(90)), (day(10), f(70))],
        };
        let b = Measured {
            expected: None,
            frequency: Frequency::Monthly,
            measures: vec![(day(5), f(50))],
        };
        let got = series(&[a, b], &[day(-1), day(3), day(12)]);
        // Before any measurement: nothing measured.
        assert_eq!(got[0], Quality::default());
        // Day 3: only A (90 % correct), three days old for a daily frequency: no longer live.
        assert_eq!((got[1].correct, got[1].live), (Some(90.0), Some(0.0)));
        // Day 12: A at 70 % and two days old (50), B at 50 % and a week old for monthly (100).
        assert_eq!((got[2].correct, got[2].live), (Some(60.0), Some(75.0)));
    }

    proptest! {
        #[test]
        fn every_word_stays_between_0_and_100(
            records in 0i64..1_000_000, checked in 0i64..1_000_000, valid in 0i64..1_000_000,
            complete in 0i64..1_000_000, dup in 0i64..1_000_000, fmt in 0i64..1_000_000,
            expected in 0i64..2_000_000, age in 0i64..2_000, f in 0usize..6,
        ) {
            let figs = Figures { records: Some(records), checked: Some(checked), valid: Some(valid),
                complete: Some(complete), duplicates: Some(dup), format_errors: Some(fmt) };
            let now = t0();
            let q = quality(&figs, Some(expected), Frequency::ALL[f], Some(now - Duration::days(age)), now);
            for (_, w) in q.words() {
                if let Some(w) = w { prop_assert!((0.0..=100.0).contains(&w)); }
            }
        }

        #[test]
        fn freshness_never_rises_with_age(a in 0i64..5_000, b in 0i64..5_000, f in 0usize..6) {
            let now = t0();
            let (young, old) = (a.min(b), a.max(b));
            let fq = Frequency::ALL[f];
            let y = live_score(Some(now - Duration::hours(young)), fq, now).unwrap();
            let o = live_score(Some(now - Duration::hours(old)), fq, now).unwrap();
            prop_assert!(o <= y);
            prop_assert_eq!(live_score(Some(now), fq, now), Some(100.0));
        }

        #[test]
        fn no_move_leaves_accepted_but_every_other_state_reaches_it(
            moves in proptest::collection::vec(0usize..4, 0..12),
        ) {
            // Whatever moves are tried, an accepted entry stays accepted until an edit.
            let mut s = State::Accepted;
            for m in &moves {
                if let Some(n) = next(s, Move::ALL[*m]) { s = n; }
            }
            prop_assert_eq!(s, State::Accepted);
            for start in State::ALL {
                let mut s = *start;
                for m in [Move::Declare, Move::Approve, Move::Accept] {
                    if let Some(n) = next(s, m) { s = n; }
                }
                prop_assert_eq!(s, State::Accepted);
            }
        }

        #[test]
        fn a_units_history_is_the_mean_of_its_entries_as_of_each_end(
            entries in proptest::collection::vec(
                (0usize..6, proptest::collection::vec((0i64..400, 1i64..1_000, 0i64..1_000), 0..6)),
                1..6),
            end_days in proptest::collection::vec(0i64..450, 1..5),
        ) {
            // Each entry measured on some days (records, checked, valid as the figures).
            let start = t0();
            let measured: Vec<Measured> = entries.iter().map(|(f, ms)| {
                let mut ms: Vec<(DateTime<Utc>, Figures)> = ms.iter().map(|(d, c, v)| (
                    start + Duration::days(*d),
                    Figures { records: Some(*c), checked: Some(*c), valid: Some((*v).min(*c)), ..Default::default() },
                )).collect();
                ms.sort_by_key(|m| m.0);
                Measured { expected: Some(1_000), frequency: Frequency::ALL[*f], measures: ms }
            }).collect();
            let ends: Vec<DateTime<Utc>> = end_days.iter().map(|d| start + Duration::days(*d) + Duration::hours(12)).collect();
            let got = series(&measured, &ends);
            prop_assert_eq!(got.len(), ends.len());
            for (end, q) in ends.iter().zip(&got) {
                // Each entry's own words as of the end, from its latest measurement before it.
                let own: Vec<Quality> = measured.iter().filter_map(|e| {
                    e.measures.iter().rev().find(|(at, _)| at <= end)
                        .map(|(at, f)| quality(f, e.expected, e.frequency, Some(*at), *end))
                }).collect();
                for (i, (_, w)) in q.words().iter().enumerate() {
                    let xs: Vec<f64> = own.iter().filter_map(|o| o.words()[i].1).collect();
                    match w {
                        None => prop_assert!(xs.is_empty()),
                        Some(w) => {
                            let lo = xs.iter().cloned().fold(f64::INFINITY, f64::min);
                            let hi = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                            prop_assert!(*w >= lo - 1e-9 && *w <= hi + 1e-9, "{} not in [{}, {}]", w, lo, hi);
                            let mean = xs.iter().sum::<f64>() / xs.len() as f64;
                            prop_assert!((w - mean).abs() < 1e-9);
                        }
                    }
                }
            }
        }

        #[test]
        fn completeness_is_a_share(accepted in 0i64..1_000, extra in 0i64..1_000) {
            let c = completeness(accepted, accepted + extra);
            prop_assert!((0.0..=100.0).contains(&c));
            prop_assert_eq!(completeness(accepted + extra, accepted + extra) == 100.0, accepted + extra > 0);
        }
    }
}
