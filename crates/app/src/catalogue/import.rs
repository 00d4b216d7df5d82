//! A unit's inventory brought into the catalogue: a spreadsheet (CSV or XLSX, headers recognised
//! in Vietnamese, English or French, diacritics and case ignored) or a CKAN instance's
//! `package_search` answer. A dry run lists every value not understood, row by row, and writes
//! nothing; a real import writes every row in one transaction or, when any row has a problem,
//! nothing at all.

use chrono::Utc;
use serde::Serialize;
use serde_json::Value;

use super::{obligation, provider_ids};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::import::table::read_grid;
use domain::FieldError;
use domain::catalogue::{self as cat, DeclarationInput};
use domain::i18n::Lang;
use domain::policy::{Action, Principal};
use domain::text::fold;
use store::audit::{Actor, Change};

/// The columns a declaration is read from, each with its folded header names in vi, en and fr.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "code",
        &[
            "ma",
            "ma csdl",
            "ma co so du lieu",
            "ma danh muc",
            "code",
            "identifier",
            "identifiant",
        ],
    ),
    (
        "name_vi",
        &[
            "ten",
            "ten csdl",
            "ten co so du lieu",
            "ten he thong",
            "ten danh muc",
            "name",
            "title",
            "nom",
            "titre",
        ],
    ),
    (
        "name_en",
        &["ten tieng anh", "name (en)", "english name", "nom anglais"],
    ),
    (
        "name_fr",
        &["ten tieng phap", "name (fr)", "french name", "nom francais"],
    ),
    ("kind", &["loai", "loai csdl", "kind", "type"]),
    (
        "purpose",
        &[
            "muc dich",
            "mo ta",
            "purpose",
            "description",
            "objet",
            "finalite",
        ],
    ),
    (
        "legal_basis",
        &[
            "can cu phap ly",
            "co so phap ly",
            "legal basis",
            "base juridique",
        ],
    ),
    (
        "themes",
        &[
            "linh vuc",
            "chu de",
            "themes",
            "theme",
            "sector",
            "sectors",
            "secteur",
            "thematique",
        ],
    ),
    (
        "data_subjects",
        &[
            "doi tuong",
            "doi tuong du lieu",
            "data subjects",
            "subjects",
            "personnes concernees",
        ],
    ),
    (
        "expected_population",
        &[
            "quy mo",
            "so ban ghi du kien",
            "expected records",
            "population",
            "expected population",
            "population attendue",
        ],
    ),
    (
        "frequency",
        &[
            "tan suat cap nhat",
            "tan suat",
            "update frequency",
            "frequency",
            "frequence",
            "frequence de mise a jour",
        ],
    ),
    (
        "lifecycle",
        &[
            "tinh trang",
            "trang thai",
            "lifecycle",
            "status",
            "statut",
            "cycle de vie",
        ],
    ),
    (
        "hosting",
        &["noi dat", "noi dat he thong", "hosting", "hebergement"],
    ),
    (
        "security_level",
        &[
            "cap do",
            "cap do an toan",
            "cap do an toan he thong thong tin",
            "security level",
            "niveau de securite",
        ],
    ),
    (
        "exchange_connected",
        &[
            "ket noi",
            "da ket noi",
            "ket noi nen tang chia se",
            "connected",
            "connecte",
        ],
    ),
    ("services", &["dich vu", "services"]),
    (
        "contact",
        &[
            "dau moi",
            "dau moi lien he",
            "contact",
            "contact point",
            "point de contact",
        ],
    ),
    (
        "access_url",
        &[
            "dia chi",
            "dia chi truy cap",
            "url",
            "access url",
            "adresse",
            "adresse d'acces",
        ],
    ),
    (
        "providers",
        &[
            "khai thac du lieu tu",
            "khai thac tu",
            "consumes",
            "consomme",
        ],
    ),
    ("is_public", &["cong khai", "public", "publie"]),
    (
        "dictionary",
        &["tu dien du lieu", "data dictionary", "dictionnaire"],
    ),
];

/// A value that was not understood, where it was.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportProblem {
    /// The spreadsheet row (1-based) or the package's position in `results` (1-based).
    pub line: usize,
    pub field: String,
    pub value: String,
    /// The field error's message key (e.g. err-choice).
    pub code: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CatalogueImportReport))]
pub struct ImportReport {
    pub dry_run: bool,
    /// Rows read as declarations.
    pub rows: usize,
    /// Entries written (0 on a dry run or when any row has a problem).
    pub created: usize,
    pub codes: Vec<String>,
    /// Headers not recognised (their columns are ignored).
    pub ignored_columns: Vec<String>,
    /// Fields no column gave, and the value assumed for every row.
    pub assumed: Vec<(String, String)>,
    pub problems: Vec<ImportProblem>,
}

/// The label of a named value in any language, folded, to its name: "Hằng tháng", "Monthly",
/// "Mensuelle" and "monthly" all read as `monthly`.
fn named(raw: &str, prefix: &str, names: &[&str]) -> Option<String> {
    let f = fold(raw.trim());
    if f.is_empty() {
        return None;
    }
    names
        .iter()
        .find(|n| {
            fold(n) == f
                || [Lang::Vi, Lang::En, Lang::Fr]
                    .iter()
                    .any(|l| fold(l.t(&format!("{prefix}{n}"))) == f)
        })
        .map(|n| n.to_string())
}

fn yes(raw: &str) -> bool {
    matches!(
        fold(raw.trim()).as_str(),
        "x" | "co" | "yes" | "oui" | "true" | "1" | "da ket noi" | "cong khai"
    )
}

/// What each field defaults to when no column gives it.
const DEFAULTS: [(&str, &str); 4] = [
    ("frequency", "yearly"),
    ("lifecycle", "operating"),
    ("hosting", "unit_centre"),
    ("security_level", "1"),
];

/// One row's raw values (by field name) as a declaration, with the values not understood.
fn declaration(
    line: usize,
    get: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<ImportProblem>,
) -> DeclarationInput {
    let mut bad = |field: &str, value: &str| {
        problems.push(ImportProblem {
            line,
            field: field.into(),
            value: value.into(),
            code: "err-choice".into(),
        })
    };
    let text = |f: &str| get(f).unwrap_or_default();
    let mut pick = |f: &str, prefix: &str, names: &[&str]| -> String {
        let raw = get(f).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| {
            DEFAULTS
                .iter()
                .find(|d| d.0 == f)
                .map(|d| d.1.to_string())
                .unwrap_or_default()
        });
        match named(&raw, prefix, names) {
            Some(n) => n,
            None => {
                bad(f, &raw);
                raw
            }
        }
    };
    let kinds: Vec<&str> = cat::Kind::ALL.iter().map(|k| k.as_str()).collect();
    let freqs: Vec<&str> = cat::Frequency::ALL.iter().map(|k| k.as_str()).collect();
    let lives: Vec<&str> = cat::Lifecycle::ALL.iter().map(|k| k.as_str()).collect();
    let hosts: Vec<&str> = cat::Hosting::ALL.iter().map(|k| k.as_str()).collect();
    let kind = pick("kind", "cat-kind-", &kinds);
    let frequency = pick("frequency", "cat-frequency-", &freqs);
    let lifecycle = pick("lifecycle", "cat-lifecycle-", &lives);
    let hosting = pick("hosting", "cat-hosting-", &hosts);
    let mut themes = vec![];
    for t in text("themes")
        .split([',', ';', '\n'])
        .filter(|t| !t.trim().is_empty())
    {
        match named(t, "cat-theme-", &cat::THEMES) {
            Some(n) => themes.push(n),
            None => bad("themes", t.trim()),
        }
    }
    let level_raw = get("security_level")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "1".into());
    let security_level = level_raw
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse::<i32>()
        .unwrap_or_else(|_| {
            bad("security_level", &level_raw);
            0
        });
    let expected = get("expected_population").filter(|v| !v.trim().is_empty());
    let expected_population = expected.as_deref().and_then(|raw| {
        let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
        let n = digits.parse::<i64>().ok();
        if n.is_none() {
            bad("expected_population", raw);
        }
        n
    });
    DeclarationInput {
        code: text("code"),
        name_vi: text("name_vi"),
        name_en: text("name_en"),
        name_fr: text("name_fr"),
        kind,
        managing_unit_id: None,
        legal_basis: text("legal_basis"),
        purpose: text("purpose"),
        themes,
        data_subjects: text("data_subjects"),
        dictionary: text("dictionary"),
        expected_population,
        frequency,
        lifecycle,
        lifecycle_since: None,
        hosting,
        security_level,
        exchange_connected: yes(&text("exchange_connected")),
        services: text("services"),
        contact: text("contact"),
        access_url: text("access_url"),
        is_public: yes(&text("is_public")),
        providers: text("providers"),
    }
}

/// Declarations read from a spreadsheet or a CKAN answer: (line, declaration), the ignored
/// headers, the assumed fields, and the problems found while reading.
type Read = (
    Vec<(usize, DeclarationInput)>,
    Vec<String>,
    Vec<(String, String)>,
    Vec<ImportProblem>,
);

fn read_table(bytes: &[u8]) -> Result<Read, FieldError> {
    let rows = read_grid(bytes)
        .map_err(|e| FieldError::new("file", "err-import-file").with("detail", e))?;
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let (_, headers) = rows
        .next()
        .ok_or_else(|| FieldError::new("file", "err-import-empty"))?;
    let mut columns: Vec<Option<&str>> = vec![];
    let mut ignored = vec![];
    for h in &headers {
        let f = fold(h.trim());
        let field = COLUMNS
            .iter()
            .find(|(_, names)| {
                names.contains(&f.as_str()) || names.contains(&f.trim_end_matches(['*', ':', ' ']))
            })
            .map(|(n, _)| *n);
        if field.is_none() && !h.trim().is_empty() {
            ignored.push(h.trim().to_string());
        }
        columns.push(field);
    }
    for needed in ["code", "name_vi"] {
        if !columns.contains(&Some(needed)) {
            return Err(FieldError::new("file", "err-import-column").with("column", needed));
        }
    }
    let assumed: Vec<(String, String)> = DEFAULTS
        .iter()
        .filter(|(f, _)| !columns.contains(&Some(f)))
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    let mut problems = vec![];
    let mut out = vec![];
    for (line, cells) in rows {
        let get = |f: &str| {
            columns
                .iter()
                .position(|c| *c == Some(f))
                .and_then(|i| cells.get(i).cloned())
        };
        out.push((line, declaration(line, &get, &mut problems)));
    }
    Ok((out, ignored, assumed, problems))
}

fn read_ckan(bytes: &[u8]) -> Result<Read, FieldError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| FieldError::new("file", "err-import-file").with("detail", e))?;
    // The whole answer ({help, success, result}) or its result.
    let result = v.get("result").unwrap_or(&v);
    let packages = result
        .get("results")
        .and_then(Value::as_array)
        .ok_or_else(|| FieldError::new("file", "err-import-ckan"))?;
    let mut problems = vec![];
    let mut out = vec![];
    for (i, p) in packages.iter().enumerate() {
        let line = i + 1;
        let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        let names = |k: &str| -> Vec<String> {
            p.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let extra = |k: &str| -> Option<String> {
            p.get("extras")?
                .as_array()?
                .iter()
                .find(|e| e.get("key").and_then(Value::as_str) == Some(k))?
                .get("value")?
                .as_str()
                .map(str::to_string)
        };
        // Tags and groups that name a DCAT-AP theme become themes; the others are not themes.
        let themes: Vec<String> = names("groups")
            .into_iter()
            .chain(names("tags"))
            .filter(|t| cat::THEMES.contains(&t.to_uppercase().as_str()))
            .map(|t| t.to_uppercase())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let url = p
            .get("resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .and_then(|r| r.get("url"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let get = |f: &str| -> Option<String> {
            match f {
                "code" => s("name"),
                "name_vi" => s("title"),
                "purpose" => s("notes"),
                "kind" => Some(extra("kind").unwrap_or_else(|| "open_data".into())),
                "frequency" => extra("update_frequency"),
                "lifecycle" => extra("lifecycle"),
                "themes" => Some(themes.join(",")),
                "contact" => s("maintainer").or_else(|| s("author")),
                "access_url" => url.clone(),
                "is_public" => {
                    Some((!p.get("private").and_then(Value::as_bool).unwrap_or(false)).to_string())
                }
                _ => None,
            }
        };
        out.push((line, declaration(line, &get, &mut problems)));
    }
    let assumed = vec![
        ("hosting".to_string(), "unit_centre".to_string()),
        ("security_level".to_string(), "1".to_string()),
    ];
    Ok((out, vec![], assumed, problems))
}

/// Imports `bytes` (CSV, XLSX, or CKAN's `package_search` JSON, told apart by their content) into
/// the catalogue of `owner`, as drafts. With `dry_run`, or when any row has a problem, nothing is
/// written and the report says why.
pub async fn import(
    db: &Db,
    who: &Principal,
    owner: i64,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<ImportReport> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    crate::require_on_unit(&mut c, Some(who), Action::DeclareCatalogue, owner).await?;
    super::owner_exists(&mut c, owner).await?;
    let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let (rows, ignored_columns, assumed, mut problems) = if json {
        read_ckan(bytes)
    } else {
        read_table(bytes)
    }
    .map_err(AppError::invalid)?;
    let mut codes: Vec<String> = vec![];
    let mut parsed = vec![];
    for (line, input) in &rows {
        match input.parse() {
            Ok(d) => {
                let code = d.code.clone();
                let known = store::catalogue::id_by_code(&mut c, &code).await?.is_some();
                if known || codes.contains(&code) {
                    problems.push(ImportProblem {
                        line: *line,
                        field: "code".into(),
                        value: code.clone(),
                        code: "err-catalogue-code-taken".into(),
                    });
                }
                codes.push(code);
                parsed.push((*line, d));
            }
            Err(errs) => {
                for e in errs {
                    // A value already reported as not understood is not reported again.
                    if !problems
                        .iter()
                        .any(|p| p.line == *line && p.field == e.field)
                    {
                        problems.push(ImportProblem {
                            line: *line,
                            value: raw_of(input, &e.field),
                            field: e.field,
                            code: e.code,
                        });
                    }
                }
            }
        }
    }
    problems.sort_by(|a, b| a.line.cmp(&b.line).then(a.field.cmp(&b.field)));
    let mut report = ImportReport {
        dry_run,
        rows: rows.len(),
        created: 0,
        codes,
        ignored_columns,
        assumed,
        problems,
    };
    if dry_run || !report.problems.is_empty() || parsed.is_empty() {
        return Ok(report);
    }
    let mut changes = vec![];
    // Providers may name entries of the same file: all are inserted first, then linked.
    let mut ids = vec![];
    for (_, d) in &parsed {
        let id = store::catalogue::insert(&mut c, d, owner, now).await?;
        ids.push(id);
    }
    for ((line, d), id) in parsed.iter().zip(&ids) {
        let providers = match provider_ids(&mut c, &d.providers, Some(*id)).await {
            Ok(p) => p,
            Err(AppError::Invalid(_)) => {
                report.problems.push(ImportProblem {
                    line: *line,
                    field: "providers".into(),
                    value: d.providers.join(", "),
                    code: "err-catalogue-unknown".into(),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        store::catalogue::set_providers(&mut c, *id, &providers).await?;
        let row = store::catalogue::get(&mut c, *id)
            .await?
            .ok_or(AppError::NotFound)?;
        changes.push(
            Change::new("catalogue.import", "catalogue_entry", *id)
                .after(store::audit::to_json(&row)),
        );
    }
    if !report.problems.is_empty() {
        // Dropping the transaction rolls every insert back.
        return Ok(report);
    }
    changes.extend(obligation::follow(&mut c, who, owner, now).await?);
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    report.created = ids.len();
    Ok(report)
}

/// The raw value a field error is about, for the report.
fn raw_of(input: &DeclarationInput, field: &str) -> String {
    match field {
        "code" => input.code.clone(),
        "name_vi" => input.name_vi.clone(),
        "kind" => input.kind.clone(),
        "frequency" => input.frequency.clone(),
        "lifecycle" => input.lifecycle.clone(),
        "hosting" => input.hosting.clone(),
        "security_level" => input.security_level.to_string(),
        "access_url" => input.access_url.clone(),
        "dictionary" => input.dictionary.clone(),
        "providers" => input.providers.clone(),
        "themes" => input.themes.join(", "),
        _ => String::new(),
    }
}
