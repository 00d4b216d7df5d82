//! Organisation units: browse, search, create, edit, restructure, import.

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{clean_opt, paging, require, require_on_unit};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use domain::org::{self as rules, OrgKind};
use domain::policy::{Action, Principal, Scope};
use domain::{FieldError, text};
use store::audit::{Actor, Change, to_json};
use store::org::{LinkedUnit, ListFilter, NewUnit, OrgUnit};
use store::org_index::OrgIndex;
use store::{self, is_unique_violation};

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// Unit kind (national, central_agency, party_agency, province, commune, ward, special_zone, department).
    pub kind: Option<String>,
    /// Only direct children of this unit id.
    pub parent: Option<i64>,
    /// Search text; case and diacritics are ignored ("dak lak" finds "Đắk Lắk").
    pub q: Option<String>,
    /// Include units that no longer exist (merged before 2025). Default false.
    pub include_historical: Option<bool>,
    /// Page number from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The page's number from 1, or 0 for a page reached by `after`.
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// Where the next page starts: pass it as `after` (lists that page by position; absent on
    /// the last page and on lists that page by number only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

pub const Q_MAX: usize = 100;

pub async fn list(
    db: &Db,
    idx: &OrgIndex,
    who: Option<&Principal>,
    q: ListQuery,
) -> AppResult<Page<OrgUnit>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let (limit, offset) = paging(q.page, q.per_page)?;
    let mut errs = vec![];
    if let Some(k) = &q.kind
        && OrgKind::parse(k).is_none()
    {
        errs.push(FieldError::new("kind", "err-unknown-kind"));
    }
    let folded = q.q.as_deref().map(text::fold).filter(|s| !s.is_empty());
    if q.q.as_deref().is_some_and(|s| s.chars().count() > Q_MAX) {
        errs.push(FieldError::new("q", "err-too-long").with("max", Q_MAX));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let f = ListFilter {
        kind: q.kind,
        parent: q.parent,
        q: folded,
        include_historical: q.include_historical.unwrap_or(false),
        limit,
        offset,
    };
    let (items, total) = idx.snapshot(db).await?.list(&f);
    Ok(Page {
        items,
        page: offset / limit + 1,
        per_page: limit,
        total,
        next: None,
    })
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgUnitDetail {
    #[serde(flatten)]
    pub unit: OrgUnit,
    pub historical: bool,
    pub parent: Option<OrgUnit>,
    /// From the root down to the parent.
    pub ancestors: Vec<OrgUnit>,
    /// Children in force.
    pub children_count: i64,
    /// Units merged into this one.
    pub predecessors: Vec<LinkedUnit>,
    /// Units this one was merged into.
    pub successors: Vec<LinkedUnit>,
}

pub async fn detail(
    db: &Db,
    idx: &OrgIndex,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<OrgUnitDetail> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let snap = idx.snapshot(db).await?;
    let unit = snap.get(id).cloned().ok_or(AppError::NotFound)?;
    let ancestors = snap.ancestors(id);
    Ok(OrgUnitDetail {
        historical: unit.historical(),
        parent: ancestors.last().cloned(),
        ancestors,
        children_count: snap.children_count(id),
        predecessors: snap.links(id, true),
        successors: snap.links(id, false),
        unit,
    })
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateOrgUnit {
    pub code: Option<String>,
    pub kind: String,
    pub name_vi: String,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    pub parent_id: i64,
}

fn check_names(vi: &str, en: &Option<String>, fr: &Option<String>, errs: &mut Vec<FieldError>) {
    errs.extend(rules::check_name("name_vi", vi, true));
    errs.extend(rules::check_name(
        "name_en",
        en.as_deref().unwrap_or(""),
        false,
    ));
    errs.extend(rules::check_name(
        "name_fr",
        fr.as_deref().unwrap_or(""),
        false,
    ));
}

pub async fn create(db: &Db, who: &Principal, input: CreateOrgUnit) -> AppResult<OrgUnit> {
    let name_vi = text::nfc(&input.name_vi);
    let (name_en, name_fr) = (clean_opt(input.name_en), clean_opt(input.name_fr));
    let code = clean_opt(input.code);
    let mut errs = vec![];
    let kind = OrgKind::parse(&input.kind);
    if kind.is_none() {
        errs.push(FieldError::new("kind", "err-unknown-kind"));
    }
    check_names(&name_vi, &name_en, &name_fr, &mut errs);
    if let Some(c) = &code {
        errs.extend(rules::check_code("code", c));
    }
    let mut tx = db.begin().await?;
    let parent = store::org::get(&mut tx.conn(), input.parent_id).await?;
    let Some(parent) = parent else {
        errs.push(FieldError::new("parent_id", "err-no-such-unit"));
        return Err(AppError::Invalid(errs));
    };
    require_on_unit(&mut tx.conn(), Some(who), Action::CreateOrgUnit, parent.id).await?;
    let (true, Some(kind)) = (errs.is_empty(), kind) else {
        return Err(AppError::Invalid(errs));
    };
    // Units below the administrative map (departments) are for everyone in scope; new provinces,
    // communes and agencies are restructuring.
    if kind != OrgKind::Department {
        require(Some(who), Action::RestructureOrg, Scope::Global)?;
    }
    let errs = domain::org_tree::check_create(kind, &parent.tree_unit());
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let new = NewUnit {
        code,
        kind: kind.as_str(),
        name_vi,
        name_en,
        name_fr,
        parent_id: Some(parent.id),
        valid_from: Some(domain::clock::local_date(Utc::now())),
        valid_to: None,
    };
    let now = Utc::now();
    let id = match store::org::insert(&mut tx.conn(), &new, now).await {
        Err(AppError::Db(e)) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(vec![FieldError::new(
                "code",
                "err-duplicate-code",
            )]));
        }
        r => r?,
    };
    let unit = store::org::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("org_unit.create", "org_unit", id);
    store::audit::commit_row(tx, &Actor::of(who), now, change, unit).await
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgUnit {
    pub code: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub name_fr: Option<String>,
    /// Moving a unit is for administrators.
    pub parent_id: Option<i64>,
    /// Closing a unit (it stays as historical) is for administrators.
    pub valid_to: Option<NaiveDate>,
}

pub async fn update(db: &Db, who: &Principal, id: i64, input: UpdateOrgUnit) -> AppResult<OrgUnit> {
    let mut tx = db.begin().await?;
    let before = store::org::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_on_unit(&mut tx.conn(), Some(who), Action::UpdateOrgUnit, id).await?;
    let restructure =
        input.parent_id.is_some_and(|p| Some(p) != before.parent_id) || input.valid_to.is_some();
    if restructure {
        require(Some(who), Action::RestructureOrg, Scope::Global)?;
    }
    let mut after = before.clone();
    let mut errs = vec![];
    // The official code and Vietnamese name are those of the register of administrative units
    // (or of the Government's list of agencies): only whoever may restructure the tree changes
    // them; a unit's own staff keep its translations up to date.
    let official = domain::policy::authorize(Some(who), Action::RestructureOrg, Scope::Global)
        == domain::policy::Decision::Allow;
    if let Some(v) = input.name_vi {
        after.name_vi = text::nfc(&v);
        if after.name_vi != before.name_vi && !official {
            errs.push(FieldError::new("name_vi", "err-official-identity"));
        }
    }
    if input.name_en.is_some() {
        after.name_en = clean_opt(input.name_en);
    }
    if input.name_fr.is_some() {
        after.name_fr = clean_opt(input.name_fr);
    }
    if input.code.is_some() {
        after.code = clean_opt(input.code);
        if after.code != before.code && !official {
            errs.push(FieldError::new("code", "err-official-identity"));
        } else if let Some(c) = &after.code {
            errs.extend(rules::check_code("code", c));
        }
    }
    check_names(&after.name_vi, &after.name_en, &after.name_fr, &mut errs);
    if let Some(to) = input.valid_to {
        let below = store::org::open_below(&mut tx.conn(), id).await?;
        errs.extend(domain::org_tree::check_close(
            &before.tree_unit(),
            below,
            to,
        ));
        after.valid_to = Some(to);
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let now = Utc::now();
    match store::org::update_fields(&mut tx.conn(), &after, now).await {
        Err(AppError::Db(e)) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(vec![FieldError::new(
                "code",
                "err-duplicate-code",
            )]));
        }
        r => r?,
    }
    if let Some(p) = input.parent_id.filter(|p| Some(*p) != before.parent_id) {
        let parent = store::org::get(&mut tx.conn(), p)
            .await?
            .ok_or_else(|| AppError::invalid(FieldError::new("parent_id", "err-no-such-unit")))?;
        let chain = store::org::chain(&mut tx.conn(), p).await?;
        let errs = domain::org_tree::check_move(&before.tree_unit(), &parent.tree_unit(), &chain);
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        store::org::reparent(&mut tx.conn(), id, p, now).await?;
    }
    let after = store::org::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change::new("org_unit.update", "org_unit", id).before(to_json(&before));
    store::audit::commit_row(tx, &Actor::of(who), now, change, after).await
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The successor unit, which takes over the work.
    pub into: i64,
    /// Day the merger takes effect (default today).
    pub on: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeResult {
    pub unit: OrgUnit,
    /// Open assignments now held by the successor (their history goes with them).
    pub handed_over: usize,
    /// Open assignments the successor already held for the same task: kept, marked superseded.
    pub superseded: usize,
    /// Units in force that sat directly under the merged unit and now sit under the successor.
    pub moved_units: usize,
}

/// Merges a unit into its successor (administrators): the unit closes and stays as history, a
/// merger link is recorded, and its open assignments pass to the successor, in one transaction.
pub async fn merge(db: &Db, who: &Principal, id: i64, input: MergeInput) -> AppResult<MergeResult> {
    require(Some(who), Action::RestructureOrg, Scope::Global)?;
    let mut tx = db.begin().await?;
    let before = store::org::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let into = store::org::get(&mut tx.conn(), input.into)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("into", "err-no-such-unit")))?;
    let now = Utc::now();
    let on = input.on.unwrap_or(domain::clock::local_date(now));
    let chain = store::org::chain(&mut tx.conn(), into.id).await?;
    let errs = domain::org_tree::check_merge(&before.tree_unit(), &into.tree_unit(), &chain, on);
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut after = before.clone();
    after.valid_to = Some(on);
    store::org::update_fields(&mut tx.conn(), &after, now).await?;
    store::org::link(&mut tx.conn(), id, into.id, "full", on).await?;
    let (mut handed_over, mut superseded) = (0, 0);
    let mut changes = vec![];
    // The units in force below follow their parent to the successor (a merged province's
    // communes become the successor's), so none is left under a closed unit.
    let children = store::org::children_in_force(&mut tx.conn(), id).await?;
    for &child in &children {
        store::org::reparent(&mut tx.conn(), child, into.id, now).await?;
        changes.push(Change::new("org_unit.move", "org_unit", child).after(Some(
            serde_json::json!({ "parent_id": into.id, "from": id }).to_string(),
        )));
    }
    for a in store::tasks::open_assignments_of(&mut tx.conn(), id).await? {
        if store::tasks::holds_task(&mut tx.conn(), a.task_id, into.id).await? {
            store::tasks::supersede(&mut tx.conn(), a.id, on).await?;
            superseded += 1;
        } else {
            store::tasks::hand_over(&mut tx.conn(), a.id, id, into.id).await?;
            handed_over += 1;
        }
        changes.push(Change {
            action: "assignment.hand_over",
            object_type: "assignment",
            object_id: a.id.to_string(),
            before: to_json(&a),
            after: Some(
                serde_json::json!({ "unit_id": into.id, "handed_over_from": id }).to_string(),
            ),
        });
    }
    changes.insert(
        0,
        Change::new("org_unit.merge", "org_unit", id).before(to_json(&before)).after(Some(serde_json::json!({ "into": into.id, "on": on, "handed_over": handed_over, "superseded": superseded, "moved_units": children.len() }).to_string())),
    );
    let unit = store::org::get(&mut tx.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::audit::commit(tx, &Actor::of(who), now, changes).await?;
    Ok(MergeResult {
        unit,
        handed_over,
        superseded,
        moved_units: children.len(),
    })
}

/// Result of a CSV import: all rows are written, or none.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = OrgImportReport))]
pub struct ImportReport {
    pub created: usize,
    /// (line number, field, message key)
    pub errors: Vec<(usize, String, String)>,
}

pub const IMPORT_HEADER: &str = "code,kind,name_vi,name_en,name_fr,parent_code";

/// Imports units from CSV with the header [`IMPORT_HEADER`]; parents are referenced by the code of a
/// unit in force, either already stored or earlier in the file.
pub fn import_csv<'a>(
    db: &'a Db,
    actor: &'a Actor,
    who: Option<&'a Principal>,
    bytes: &'a [u8],
) -> crate::BoxFuture<'a, AppResult<ImportReport>> {
    Box::pin(async move {
        if let Some(p) = who {
            require(Some(p), Action::RestructureOrg, Scope::Global)?;
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let Ok(text_in) = std::str::from_utf8(bytes) else {
            return Err(AppError::invalid(FieldError::new("file", "err-not-utf8")));
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text_in.as_bytes());
        let header = rdr.headers().map_err(|_| {
            AppError::invalid(
                FieldError::new("file", "err-csv-header").with("expected", IMPORT_HEADER),
            )
        })?;
        if header.iter().map(str::trim).collect::<Vec<_>>().join(",") != IMPORT_HEADER {
            return Err(AppError::invalid(
                FieldError::new("file", "err-csv-header").with("expected", IMPORT_HEADER),
            ));
        }
        let mut report = ImportReport {
            created: 0,
            errors: vec![],
        };
        let mut tx = db.begin().await?;
        let now = Utc::now();
        let mut changes = vec![];
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(_) => {
                    report
                        .errors
                        .push((line, "row".into(), "err-csv-row".into()));
                    continue;
                }
            };
            let code = text::nfc(&rec[0]);
            let name_vi = text::nfc(&rec[2]);
            let (name_en, name_fr) = (
                clean_opt(Some(rec[3].to_string())),
                clean_opt(Some(rec[4].to_string())),
            );
            let mut errs = vec![];
            errs.extend(rules::check_code("code", &code));
            check_names(&name_vi, &name_en, &name_fr, &mut errs);
            let kind = OrgKind::parse(rec[1].trim());
            if kind.is_none() {
                errs.push(FieldError::new("kind", "err-unknown-kind"));
            }
            let parent = store::org::find_current_by_code(&mut tx.conn(), rec[5].trim()).await?;
            if parent.is_none() {
                errs.push(FieldError::new("parent_code", "err-no-such-unit"));
            }
            if let (Some(k), Some(p)) = (kind, &parent)
                && !k.allowed_under(Some(p.kind))
            {
                errs.push(FieldError::new("kind", "err-kind-under-parent").with("parent", p.kind));
            }
            if errs.is_empty()
                && store::org::find_current_by_code(&mut tx.conn(), &code)
                    .await?
                    .is_some()
            {
                errs.push(FieldError::new("code", "err-duplicate-code"));
            }
            if !errs.is_empty() {
                report
                    .errors
                    .extend(errs.into_iter().map(|e| (line, e.field, e.code)));
                continue;
            }
            let new = NewUnit {
                code: Some(code),
                kind: kind.unwrap().as_str(),
                name_vi,
                name_en,
                name_fr,
                parent_id: parent.map(|p| p.id),
                valid_from: Some(domain::clock::local_date(now)),
                valid_to: None,
            };
            let id = store::org::insert(&mut tx.conn(), &new, now).await?;
            changes.push(Change { action: "org_unit.import", object_type: "org_unit", object_id: id.to_string(), before: None, after: to_json(&serde_json::json!({"code": new.code, "kind": new.kind, "name_vi": new.name_vi, "parent_id": new.parent_id})) });
            report.created += 1;
        }
        if !report.errors.is_empty() {
            // Dropping the transaction rolls everything back.
            report.created = 0;
            return Ok(report);
        }
        store::audit::commit(tx, actor, now, changes).await?;
        Ok(report)
    })
}

/// The id of the unit in force with this official code (as typed in a form), if any.
pub fn unit_id_by_code<'a>(
    db: &'a Db,
    code: &'a str,
) -> crate::BoxFuture<'a, AppResult<Option<i64>>> {
    Box::pin(async move {
        let mut c = db.acquire().await?;
        Ok(store::org::find_current_by_code(&mut c.conn(), code.trim())
            .await?
            .map(|u| u.id))
    })
}

/// Which unit in force a person means by `text`: its official code ("24133") or its name, with
/// or without diacritics and level ("Buon Ma Thuot", "Phường Buôn Ma Thuột"), optionally
/// followed by ", <province>" to tell apart communes of the same name. `Err` is the message
/// for `field`: no such unit, or several (the province is then asked for).
pub async fn resolve(
    db: &Db,
    idx: &OrgIndex,
    field: &str,
    text: &str,
) -> AppResult<Result<i64, FieldError>> {
    let snap = idx.snapshot(db).await?;
    Ok(resolve_in(&snap, field, text, None))
}

fn resolve_in(
    snap: &store::org_index::Snapshot,
    field: &str,
    text: &str,
    within: Option<i64>,
) -> Result<i64, FieldError> {
    let text = text.trim();
    let none = || FieldError::new(field, "err-no-such-unit");
    if text.is_empty() || text.chars().count() > Q_MAX {
        return Err(none());
    }
    if let Some((head, tail)) = text.rsplit_once(',')
        && !head.trim().is_empty()
    {
        let province = resolve_in(snap, field, tail, None)?;
        return resolve_in(snap, field, head, Some(province));
    }
    let q = text::fold(text);
    let (found, _) = snap.list(&ListFilter {
        kind: None,
        parent: None,
        q: Some(q.clone()),
        include_historical: false,
        limit: 5_000,
        offset: 0,
    });
    let inside = |u: &&OrgUnit| within.is_none_or(|p| u.id != p && snap.chain(u.id).contains(&p));
    // The official code first: what /org shows and what officials quote.
    let by_code: Vec<&OrgUnit> = found
        .iter()
        .filter(|u| {
            u.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(text))
        })
        .filter(inside)
        .collect();
    if let [u] = by_code.as_slice() {
        return Ok(u.id);
    }
    // Then the whole name, with or without its level ("phường", "xã", "tỉnh"…).
    let suffix = format!(" {q}");
    let named: Vec<&OrgUnit> = found
        .iter()
        .filter(inside)
        .filter(|u| {
            let n = text::fold(&u.name_vi);
            n == q || n.ends_with(&suffix)
        })
        .collect();
    let pick = if named.is_empty() {
        found.iter().filter(inside).collect()
    } else {
        named
    };
    match pick.as_slice() {
        [u] => Ok(u.id),
        [] => Err(none()),
        many => Err(FieldError::new(field, "err-unit-ambiguous").with("n", many.len())),
    }
}

/// The provinces and centrally run cities in force, by name: the first step of the public
/// form's unit picker (public data, no role needed).
pub async fn provinces(db: &Db, idx: &OrgIndex) -> AppResult<Vec<OrgUnit>> {
    let snap = idx.snapshot(db).await?;
    let (mut units, _) = snap.list(&ListFilter {
        kind: Some(OrgKind::Province.as_str().into()),
        parent: None,
        q: None,
        include_historical: false,
        limit: 1_000,
        offset: 0,
    });
    units.sort_by_key(|u| text::fold(&u.name_vi));
    Ok(units)
}
