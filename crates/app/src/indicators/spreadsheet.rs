//! Bulk entry by spreadsheet: a template of a unit's sheet for a period (the unit and the units
//! directly below it that the caller enters for), as CSV or XLSX with DHIS2's column names, and
//! a filled file read back into a data value set. The values then go through the DHIS2 import:
//! the same checks, rights, locks and conflicts as the API, each conflict named by its row.

use std::collections::HashMap;

use chrono::Utc;

use super::dhis2::{self, DataValue, DataValueSet, ImportOptions, ImportSummary, Scalar};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::export::{Cell, Table};
use domain::FieldError;
use domain::i18n::Lang;
use domain::indicators::{PeriodId, ValueType};
use domain::policy::{Action, Principal, Scope};

/// The columns read back, in DHIS2's CSV names; other columns (the names for people) are
/// ignored. Vietnamese headers are read too.
const COLUMNS: [(&str, &[&str]); 8] = [
    ("dataElement", &["ma chi tieu"]),
    ("period", &["ky"]),
    ("orgUnit", &["ma don vi"]),
    ("categoryOptionCombo", &["phan to"]),
    ("value", &["gia tri"]),
    ("numerator", &["tu so"]),
    ("denominator", &["mau so"]),
    ("comment", &["ghi chu"]),
];

/// The template of `unit`'s sheet of `set` for `period`: one row per indicator, breakdown and
/// unit, the stored value filled in, and two last columns naming the indicator and the unit.
pub async fn template(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    lang: Lang,
    set_id: i64,
    unit: i64,
    period: Option<PeriodId>,
) -> AppResult<Table> {
    let snap = org.snapshot(db).await?;
    snap.get(unit).ok_or(AppError::NotFound)?;
    crate::require(
        Some(who),
        Action::ReadIndicatorData,
        Scope::Unit(&snap.chain(unit)),
    )?;
    let national = super::national_id(&snap)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let set = store::indicators::get_set(&mut c, set_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = domain::clock::local_date(Utc::now());
    let period = super::check_period(
        &set,
        period.unwrap_or_else(|| super::last_ended(set.period_type, today)),
        today,
    )?;
    let all = super::indicators_of(&mut c, set_id).await?;
    let parents: std::collections::HashSet<i64> = all.iter().filter_map(|i| i.parent_id).collect();
    let inds: Vec<_> = all
        .into_iter()
        .filter(|i| !(parents.contains(&i.id) && i.value_type == ValueType::Milestone))
        .collect();
    let units: Vec<i64> = super::validation::with_children(&snap, unit)
        .into_iter()
        .filter(|u| {
            inds.iter()
                .any(|i| super::entry::may_enter(&snap, who, i, *u, national))
        })
        .collect();
    let ids: Vec<i64> = inds.iter().map(|i| i.id).collect();
    let stored: HashMap<(i64, i64, String), store::indicators::ValueRow> =
        store::indicators::values_of_units(&mut c, &ids, &units, &[period])
            .await?
            .into_iter()
            .map(|v| ((v.indicator_id, v.unit_id, v.disaggregation.clone()), v))
            .collect();
    let name = |vi: &str, en: &str, fr: &str| -> String {
        let s = match lang {
            Lang::En => en,
            Lang::Fr => fr,
            _ => vi,
        };
        if s.is_empty() { vi } else { s }.to_string()
    };
    let mut rows = vec![];
    for u in &units {
        let Some(ou) = snap.get(*u) else { continue };
        let code = ou.code.clone().unwrap_or_else(|| u.to_string());
        for i in inds
            .iter()
            .filter(|i| super::entry::may_enter(&snap, who, i, *u, national))
        {
            for b in i.breakdown() {
                let v = stored.get(&(i.id, *u, b.to_string()));
                let value = v.map_or(Cell::Empty, |v| match (&v.text_value, v.value) {
                    (Some(t), _) => Cell::from(t.clone()),
                    // A ratio's figure follows from its parts: they are what is filled in.
                    (None, Some(_)) if v.numerator.is_some() => Cell::Empty,
                    (None, Some(x)) => Cell::from(x),
                    _ => Cell::Empty,
                });
                rows.push(vec![
                    Cell::from(&i.code),
                    Cell::from(period.to_string()),
                    Cell::from(&code),
                    Cell::from(b),
                    value,
                    Cell::from(v.and_then(|v| v.numerator)),
                    Cell::from(v.and_then(|v| v.denominator)),
                    Cell::from(v.map(|v| v.comment.clone())),
                    Cell::from(format!(
                        "{} {}{}",
                        i.number,
                        name(&i.name_vi, &i.name_en, &i.name_fr),
                        if i.unit_of_measure.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", i.unit_of_measure)
                        }
                    )),
                    Cell::from(ou.name(lang.code()).to_string()),
                ]);
            }
        }
    }
    let mut headers: Vec<String> = COLUMNS.iter().map(|(h, _)| h.to_string()).collect();
    headers.push(lang.t("ind-col-name").to_string());
    headers.push(lang.t("ind-unit-sel").to_string());
    Ok(Table {
        title: format!("{} {period}", set.code),
        headers,
        rows,
    })
}

/// Reads a filled template (or any table with DHIS2's column names) into a data value set,
/// with the line of each value for messages. Rows with no value, numerator or denominator are
/// left out: a blank row of the template is a value not given, not one to delete.
pub fn read(bytes: &[u8]) -> AppResult<(DataValueSet, Vec<usize>)> {
    let grid = crate::import::table::read_grid(bytes).map_err(|e| {
        AppError::invalid(FieldError::new("file", "err-sheet-file").with("detail", e))
    })?;
    let key = |s: &str| domain::text::fold(s).replace([' ', '_'], "");
    let wanted: Vec<(usize, Vec<String>)> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (name, aliases))| {
            let mut keys = vec![key(name)];
            keys.extend(aliases.iter().map(|a| key(a)));
            (i, keys)
        })
        .collect();
    // The header is the first row naming the data element column.
    let Some((at, header)) = grid
        .iter()
        .enumerate()
        .find(|(_, (_, cells))| cells.iter().any(|c| wanted[0].1.contains(&key(c))))
    else {
        return Err(AppError::invalid(FieldError::new(
            "file",
            "err-sheet-header",
        )));
    };
    let col: Vec<Option<usize>> = wanted
        .iter()
        .map(|(_, keys)| header.1.iter().position(|c| keys.contains(&key(c))))
        .collect();
    let mut set = DataValueSet {
        data_set: None,
        complete_date: None,
        period: None,
        org_unit: None,
        attribute_option_combo: None,
        data_values: vec![],
    };
    let mut lines = vec![];
    for (line, cells) in &grid[at + 1..] {
        let get = |k: usize| {
            col[k]
                .and_then(|c| cells.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let (value, numerator, denominator) = (get(4), get(5), get(6));
        if value.is_none() && numerator.is_none() && denominator.is_none() {
            continue;
        }
        set.data_values.push(DataValue {
            data_element: get(0).unwrap_or_default(),
            period: get(1),
            org_unit: get(2),
            category_option_combo: get(3),
            attribute_option_combo: None,
            value: value.map(Scalar::Text),
            comment: get(7),
            stored_by: None,
            last_updated: None,
            numerator: numerator.map(Scalar::Text),
            denominator: denominator.map(Scalar::Text),
        });
        lines.push(*line);
    }
    Ok((set, lines))
}

/// Imports a filled sheet for `who`; the summary's conflicts keep their indexes, and the lines
/// say which row each index came from.
pub async fn upload(
    db: &Db,
    org: &store::org_index::OrgIndex,
    who: &Principal,
    lang: Lang,
    bytes: &[u8],
    dry_run: bool,
) -> AppResult<(ImportSummary, Vec<usize>)> {
    let (set, lines) = read(bytes)?;
    if set.data_values.is_empty() {
        return Err(AppError::invalid(FieldError::new(
            "file",
            "err-sheet-empty",
        )));
    }
    let opts = ImportOptions {
        dry_run,
        ..Default::default()
    };
    Ok((dhis2::import(db, org, who, lang, set, opts).await?, lines))
}
