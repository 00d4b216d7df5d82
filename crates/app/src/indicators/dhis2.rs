//! DHIS2's `dataValueSets`: values in and out in the shape DHIS2 clients already speak.
//! Indicators are DHIS2 data elements, org units are units (by code or id), a breakdown is a
//! category option combo (by its label; DHIS2's default combo and "" mean the total).
//!
//! Every value is checked on its own; those refused come back as `conflicts` naming their index
//! in the payload, the others are written in one transaction (or none with `atomicMode=ALL`),
//! and `dryRun` checks and counts without writing.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::entry::{self, Planned, Raw};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::i18n::Lang;
use domain::indicators::PeriodId;
use domain::policy::Principal;
use store::indicators::{Indicator, NewValue};

/// DHIS2's default category option combo: the total, no breakdown.
pub const DEFAULT_COMBO: &str = "HllvX50cXC0";

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    #[serde(default)]
    pub data_values: Vec<DataValue>,
}

/// A value is a string in DHIS2; numbers and booleans sent bare are accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Text(s) => s.clone(),
            Scalar::Number(n) => format_number(*n),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// A number as DHIS2 writes it: no exponent, no trailing ".0".
fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    pub data_element: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_option_combo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Exported: who entered the value and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    /// nqtrack's own: the numerator and denominator of a ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Scalar>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Strategy {
    Create,
    Update,
    #[default]
    CreateAndUpdate,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdScheme {
    /// nqtrack's numeric ids (DHIS2's `UID` is read the same way).
    #[serde(alias = "UID", alias = "uid", alias = "id")]
    Id,
    #[default]
    #[serde(alias = "code")]
    Code,
    #[serde(alias = "name")]
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AtomicMode {
    All,
    #[default]
    None,
}

/// Import options, as DHIS2 takes them in the query string.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(rename_all = "camelCase")]
pub struct ImportOptions {
    /// Check and count, write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// CREATE, UPDATE, CREATE_AND_UPDATE (default) or DELETE.
    #[serde(default)]
    pub import_strategy: Strategy,
    /// How data elements and org units are named: CODE (default), ID/UID, or NAME.
    #[serde(default)]
    pub id_scheme: IdScheme,
    /// Overrides `idScheme` for data elements.
    pub data_element_id_scheme: Option<IdScheme>,
    /// Overrides `idScheme` for org units.
    pub org_unit_id_scheme: Option<IdScheme>,
    /// ALL: write nothing if any value is refused. NONE (default): write the others.
    #[serde(default)]
    pub atomic_mode: AtomicMode,
}

#[derive(Debug, Default, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportCount {
    pub imported: usize,
    pub updated: usize,
    pub ignored: usize,
    pub deleted: usize,
}

#[derive(Debug, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// What was refused: the data element, org unit, period or value as sent.
    pub object: String,
    /// Why, in the caller's language.
    pub value: String,
    /// The message key, stable across languages.
    pub error_code: String,
    pub property: String,
    /// Positions in `dataValues`, from 0.
    pub indexes: Vec<usize>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub response_type: &'static str,
    /// SUCCESS, WARNING (some refused) or ERROR (nothing written).
    pub status: &'static str,
    pub description: String,
    pub import_count: ImportCount,
    pub conflicts: Vec<Conflict>,
    pub dry_run: bool,
}

fn ind_key(scheme: IdScheme, i: &Indicator) -> String {
    match scheme {
        IdScheme::Id => i.id.to_string(),
        IdScheme::Code => i.code.clone(),
        IdScheme::Name => domain::text::fold(&i.name_vi),
    }
}

fn lookup_key(scheme: IdScheme, s: &str) -> String {
    match scheme {
        IdScheme::Name => domain::text::fold(s),
        _ => s.trim().to_string(),
    }
}

/// Imports a data value set for `who`.
pub fn import<'a>(
    db: &'a Db,
    org: &'a store::org_index::OrgIndex,
    who: &'a Principal,
    lang: Lang,
    set: DataValueSet,
    opts: ImportOptions,
) -> crate::BoxFuture<'a, AppResult<ImportSummary>> {
    Box::pin(async move {
        let snap = org.snapshot(db).await?;
        let national = super::national_id(&snap)?;
        let de_scheme = opts.data_element_id_scheme.unwrap_or(opts.id_scheme);
        let ou_scheme = opts.org_unit_id_scheme.unwrap_or(opts.id_scheme);
        let now = Utc::now();
        let today = domain::clock::local_date(now);
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let all = store::indicators::list_indicators(&mut c).await?;
        let sets = store::indicators::list_sets(&mut c).await?;
        // Indicators under the name the caller's id scheme gives them.
        let names: HashMap<String, Indicator> = all
            .iter()
            .map(|i| (ind_key(de_scheme, i), i.clone()))
            .collect();
        let mut conflicts: Vec<Conflict> = vec![];
        let mut refuse = |i: usize, object: &str, property: &str, e: domain::FieldError| {
            let code = e.code.clone();
            if let Some(c) = conflicts
                .iter_mut()
                .find(|c| c.error_code == code && c.object == object && c.property == property)
            {
                c.indexes.push(i);
            } else {
                conflicts.push(Conflict {
                    object: object.to_string(),
                    value: lang.tf(&e.code, &e.params),
                    error_code: code,
                    property: property.to_string(),
                    indexes: vec![i],
                });
            }
        };
        if let Some(ds) = &set.data_set
            && !sets
                .iter()
                .any(|s| s.code == *ds || s.id.to_string() == *ds)
        {
            return Err(AppError::invalid(domain::FieldError::new(
                "dataSet",
                "err-no-such-set",
            )));
        }
        let mut unit_cache: HashMap<String, Option<i64>> = HashMap::new();
        let mut locked: HashMap<(i64, i64, PeriodId), bool> = HashMap::new();
        let mut states: HashMap<
            i64,
            HashMap<(i64, PeriodId), domain::indicators::approval::State>,
        > = HashMap::new();
        let mut checked: Vec<(usize, Planned)> = vec![];
        let mut seen: HashSet<(i64, i64, PeriodId, String)> = HashSet::new();
        for (i, dv) in set.data_values.iter().enumerate() {
            let Some(ind) = names.get(&lookup_key(de_scheme, &dv.data_element)) else {
                refuse(
                    i,
                    &dv.data_element,
                    "dataElement",
                    domain::FieldError::new("dataElement", "err-no-such-indicator")
                        .with("id", &dv.data_element),
                );
                continue;
            };
            let ou = dv.org_unit.as_ref().or(set.org_unit.as_ref());
            let Some(ou) = ou else {
                refuse(
                    i,
                    "",
                    "orgUnit",
                    domain::FieldError::new("orgUnit", "err-required"),
                );
                continue;
            };
            let unit = match unit_cache.get(ou) {
                Some(u) => *u,
                None => {
                    let u = match ou_scheme {
                        IdScheme::Id => ou
                            .trim()
                            .parse::<i64>()
                            .ok()
                            .filter(|id| snap.get(*id).is_some_and(|u| !u.historical())),
                        IdScheme::Code => store::org::find_current_by_code(&mut c, ou.trim())
                            .await?
                            .map(|u| u.id),
                        IdScheme::Name => {
                            let f = store::org::ListFilter {
                                q: Some(domain::text::fold(ou)),
                                limit: 2,
                                ..Default::default()
                            };
                            let (found, _) = snap.list(&f);
                            found
                                .into_iter()
                                .find(|u| domain::text::fold(&u.name_vi) == domain::text::fold(ou))
                                .map(|u| u.id)
                        }
                    };
                    unit_cache.insert(ou.clone(), u);
                    u
                }
            };
            let Some(unit) = unit else {
                refuse(
                    i,
                    ou,
                    "orgUnit",
                    domain::FieldError::new("orgUnit", "err-no-such-unit"),
                );
                continue;
            };
            let pe = dv
                .period
                .as_ref()
                .or(set.period.as_ref())
                .map(String::as_str)
                .unwrap_or("");
            let Some(period) = PeriodId::parse(pe) else {
                refuse(
                    i,
                    pe,
                    "period",
                    domain::FieldError::new("period", "err-period").with("period", pe),
                );
                continue;
            };
            let Some(ind_set) = sets.iter().find(|s| s.id == ind.set_id) else {
                continue;
            };
            if let Err(AppError::Invalid(es)) = super::check_period(ind_set, period, today) {
                for e in es {
                    refuse(i, pe, "period", e);
                }
                continue;
            }
            let combo = dv.category_option_combo.as_deref().unwrap_or("").trim();
            let breakdown = if combo == DEFAULT_COMBO { "" } else { combo };
            if !ind.breakdown().contains(&breakdown) {
                refuse(
                    i,
                    combo,
                    "categoryOptionCombo",
                    domain::FieldError::new("categoryOptionCombo", "err-no-such-breakdown"),
                );
                continue;
            }
            if entry::derived(ind) {
                refuse(
                    i,
                    &dv.data_element,
                    "dataElement",
                    domain::FieldError::new("dataElement", "err-derived-value"),
                );
                continue;
            }
            if !entry::may_enter(&snap, who, ind, unit, national) {
                refuse(
                    i,
                    ou,
                    "orgUnit",
                    domain::FieldError::new("orgUnit", "err-forbidden-unit"),
                );
                continue;
            }
            let lk = (ind.set_id, unit, period);
            let is_locked = match locked.get(&lk) {
                Some(l) => *l,
                None => {
                    let seen = states.entry(ind.set_id).or_default();
                    let l = !entry::editable(&mut c, &snap, ind.set_id, unit, period, seen).await?;
                    locked.insert(lk, l);
                    l
                }
            };
            if is_locked {
                refuse(
                    i,
                    pe,
                    "period",
                    domain::FieldError::new("period", "err-values-locked"),
                );
                continue;
            }
            let key = (ind.id, unit, period, breakdown.to_string());
            if !seen.insert(key.clone()) {
                refuse(
                    i,
                    &dv.data_element,
                    "dataElement",
                    domain::FieldError::new("dataElement", "err-duplicate-value"),
                );
                continue;
            }
            let value = if opts.import_strategy == Strategy::Delete {
                None
            } else {
                let raw = Raw {
                    value: dv.value.as_ref().map(Scalar::text).unwrap_or_default(),
                    numerator: dv.numerator.as_ref().map(Scalar::text),
                    denominator: dv.denominator.as_ref().map(Scalar::text),
                    comment: dv
                        .comment
                        .as_deref()
                        .map(domain::text::nfc)
                        .unwrap_or_default(),
                    source: String::new(),
                    evidence: String::new(),
                };
                match entry::read(ind, &raw, "value") {
                    Ok((value, text_value, ratio)) => Some(NewValue {
                        indicator_id: ind.id,
                        unit_id: unit,
                        period,
                        disaggregation: breakdown.to_string(),
                        value,
                        text_value,
                        numerator: ratio.map(|r| r.0),
                        denominator: ratio.map(|r| r.1),
                        comment: raw.comment,
                        source: "dataValueSets".into(),
                        evidence: String::new(),
                    }),
                    Err(e) => {
                        let shown = dv.value.as_ref().map(Scalar::text).unwrap_or_default();
                        refuse(i, &shown, "value", e);
                        continue;
                    }
                }
            };
            checked.push((
                i,
                Planned {
                    key,
                    value,
                    existing: None,
                },
            ));
        }
        // The rows the values would replace, read per (indicator, period) in this transaction.
        let mut pairs: Vec<(i64, PeriodId)> =
            checked.iter().map(|(_, p)| (p.key.0, p.key.2)).collect();
        pairs.sort();
        pairs.dedup();
        let mut stored = store::indicators::existing(&mut c, &pairs).await?;
        let mut count = ImportCount::default();
        let mut plan = vec![];
        for (_, mut p) in checked {
            p.existing = stored.remove(&p.key);
            let keep = !matches!(
                (opts.import_strategy, &p.existing),
                (Strategy::Create, Some(_)) | (Strategy::Update, None) | (Strategy::Delete, None)
            );
            if keep {
                plan.push(p);
            } else {
                count.ignored += 1;
            }
        }
        count.ignored += conflicts.iter().map(|c| c.indexes.len()).sum::<usize>();
        let refused = !conflicts.is_empty();
        let write = !(opts.dry_run || (refused && opts.atomic_mode == AtomicMode::All));
        let ((imported, updated, deleted, unchanged), records) =
            entry::write(&mut c, who, plan, now).await?;
        count.imported = imported;
        count.updated = updated;
        count.deleted = deleted;
        // A value sent again unchanged is neither imported nor updated.
        count.ignored += unchanged;
        if write {
            entry::commit(tx, who, now, &records).await?;
        }
        // Otherwise dropping the transaction rolls every write back.
        let status = match (refused, write || opts.dry_run) {
            (false, _) => "SUCCESS",
            (true, true) => "WARNING",
            (true, false) => "ERROR",
        };
        if !write && !opts.dry_run {
            count = ImportCount {
                ignored: set.data_values.len(),
                ..Default::default()
            };
        }
        Ok(ImportSummary {
            response_type: "ImportSummary",
            status,
            description: lang
                .t(match status {
                    "SUCCESS" => "dvs-success",
                    "WARNING" => "dvs-warning",
                    _ => "dvs-error",
                })
                .to_string(),
            import_count: count,
            conflicts,
            dry_run: opts.dry_run,
        })
    })
}

/// What to export: a set (by code or id), periods, org units, and their children.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(rename_all = "camelCase")]
pub struct ExportQuery {
    /// The set, by code or id (required).
    pub data_set: String,
    /// One period identifier, or several separated by commas.
    pub period: String,
    /// One org unit (by the id scheme), or several separated by commas.
    pub org_unit: String,
    /// Include every unit below the org units.
    #[serde(default)]
    pub children: bool,
    #[serde(default)]
    pub id_scheme: IdScheme,
}

/// Exports values in the shape `import` reads (values of non-public indicators only for
/// units the caller may read).
pub async fn export(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: Option<&Principal>,
    q: ExportQuery,
) -> AppResult<DataValueSet> {
    let snap = org.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let sets = store::indicators::list_sets(&mut c).await?;
    let set = sets
        .into_iter()
        .find(|s| s.code == q.data_set || s.id.to_string() == q.data_set)
        .ok_or_else(|| AppError::invalid(domain::FieldError::new("dataSet", "err-no-such-set")))?;
    let mut periods = vec![];
    for p in q.period.split(',').filter(|p| !p.trim().is_empty()) {
        periods.push(PeriodId::parse(p).ok_or_else(|| {
            AppError::invalid(domain::FieldError::new("period", "err-period").with("period", p))
        })?);
    }
    if periods.is_empty() {
        return Err(AppError::invalid(domain::FieldError::new(
            "period",
            "err-required",
        )));
    }
    let mut units = vec![];
    for ou in q.org_unit.split(',').filter(|o| !o.trim().is_empty()) {
        let u = match q.id_scheme {
            IdScheme::Id => ou
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|id| snap.get(id).map(|u| u.id)),
            _ => store::org::find_current_by_code(&mut c, ou.trim())
                .await?
                .map(|u| u.id),
        };
        units.push(u.ok_or_else(|| {
            AppError::invalid(domain::FieldError::new("orgUnit", "err-no-such-unit"))
        })?);
    }
    if units.is_empty() {
        return Err(AppError::invalid(domain::FieldError::new(
            "orgUnit",
            "err-required",
        )));
    }
    if q.children {
        let mut all = vec![];
        let mut stack = units.clone();
        while let Some(u) = stack.pop() {
            all.push(u);
            let f = store::org::ListFilter {
                parent: Some(u),
                limit: 100_000,
                ..Default::default()
            };
            stack.extend(snap.list(&f).0.into_iter().map(|x| x.id));
        }
        units = all;
    }
    let inds = super::indicators_of(&mut c, set.id).await?;
    let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
    let mut out = DataValueSet {
        data_set: Some(set.code.clone()),
        ..Default::default()
    };
    let by_id: HashMap<i64, &Indicator> = inds.iter().map(|i| (i.id, i)).collect();
    for chunk in units.chunks(500) {
        for v in store::indicators::values_of_units(&mut c, &ids, chunk, &periods).await? {
            let ind = by_id[&v.indicator_id];
            if !super::may_read_values(who, ind, &snap.chain(v.unit_id)) {
                continue;
            }
            let unit_name = match q.id_scheme {
                IdScheme::Id => v.unit_id.to_string(),
                _ => snap
                    .get(v.unit_id)
                    .and_then(|u| u.code.clone())
                    .unwrap_or_else(|| v.unit_id.to_string()),
            };
            out.data_values.push(DataValue {
                data_element: match q.id_scheme {
                    IdScheme::Id => ind.id.to_string(),
                    _ => ind.code.clone(),
                },
                period: Some(v.period.to_string()),
                org_unit: Some(unit_name),
                category_option_combo: Some(if v.disaggregation.is_empty() {
                    DEFAULT_COMBO.to_string()
                } else {
                    v.disaggregation.clone()
                }),
                attribute_option_combo: None,
                value: Some(Scalar::Text(match (&v.text_value, v.value) {
                    (Some(t), _) => t.clone(),
                    (None, Some(x)) => format_number(x),
                    (None, None) => String::new(),
                })),
                comment: Some(v.comment.clone()).filter(|c| !c.is_empty()),
                stored_by: v.entered_by.map(|u| u.to_string()),
                last_updated: Some(v.entered_at.to_rfc3339()),
                numerator: v.numerator.map(Scalar::Number),
                denominator: v.denominator.map(Scalar::Number),
            });
        }
    }
    Ok(out)
}
