//! Programmes and their tasks: import of an annex table, lists, task detail, the overview.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::require;
use crate::db::Db;
use crate::domain::assignees::{self, Collective};
use crate::domain::overview::{self, Overview, Row};
use crate::domain::policy::{Action, Principal, Scope};
use crate::domain::status::{Facts, Report, Rules};
use crate::domain::{FieldError, text::fold};
use crate::error::{AppError, AppResult};
use crate::import::annex;
use crate::store::audit::{Actor, Change};
use crate::store::tasks::{Assignment, NewTask, Programme, Task, TaskGroup};
use crate::store::{self, org::ListFilter};

/// What an import did, or would do in a dry run; nothing it could not read is left out.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub programme_id: Option<i64>,
    pub groups: usize,
    pub tasks: usize,
    pub assignments: usize,
    /// (line, message): rows not understood, completion times not parsed, agencies not matched.
    pub problems: Vec<(usize, String)>,
    pub dry_run: bool,
}

/// Known agency names (current and pre-merger) and abbreviations, folded, with the unit each
/// resolves to today (a merged ministry resolves to its successor).
async fn agency_dictionary(db: &Db) -> AppResult<Vec<(String, i64)>> {
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut dict = vec![];
    for kind in ["central_agency", "party_agency"] {
        let f = ListFilter {
            kind: Some(kind.into()),
            include_historical: true,
            limit: 10_000,
            ..Default::default()
        };
        for u in store::org::list(&mut c, &f).await?.0 {
            let target = if u.historical() {
                // Full successors first; a partial split goes to the first named successor.
                let mut succ = store::org::links(&mut c, u.id, false).await?;
                succ.sort_by_key(|l| l.merge_type != "full");
                match succ.first() {
                    Some(s) => s.id,
                    None => continue,
                }
            } else {
                u.id
            };
            dict.push((fold(&u.name_vi), target));
            if let Some(code) = &u.code
                && code.len() >= 3
            {
                dict.push((fold(code), target));
            }
        }
    }
    // Provinces by their bare name ("Bắc Ninh"), pre-merger ones resolving to today's province.
    let f = ListFilter {
        kind: Some("province".into()),
        include_historical: true,
        limit: 10_000,
        ..Default::default()
    };
    for u in store::org::list(&mut c, &f).await?.0 {
        let target = if u.historical() {
            match store::org::links(&mut c, u.id, false).await?.first() {
                Some(s) => s.id,
                None => continue,
            }
        } else {
            u.id
        };
        let bare = u
            .name_vi
            .trim_start_matches("Thành phố ")
            .trim_start_matches("Tỉnh ");
        dict.push((fold(bare), target));
        dict.push((fold(&u.name_vi), target));
    }
    // Short forms used in Government documents.
    for (alias, code) in ALIASES {
        if let Some(u) = store::org::find_current_by_code(&mut c, code).await? {
            dict.push((fold(alias), u.id));
        }
    }
    Ok(dict)
}

/// Names written without their full form in programme tables: (as written, unit code).
const ALIASES: &[(&str, &str)] = &[
    ("Viện Hàn lâm Khoa học và Công nghệ", "VAST"),
    ("Viện Hàn lâm Khoa học Xã hội", "VASS"),
    ("Ngân hàng Nhà nước", "NHNN"),
    ("Đài Truyền hình Việt Nam", "VTV"),
    ("Đài Tiếng nói Việt Nam", "VOV"),
];

async fn collective_units(db: &Db, c: Collective) -> AppResult<Vec<i64>> {
    let kind = match c {
        Collective::CentralAgencies => "central_agency",
        Collective::Provinces => "province",
    };
    let mut conn = db.acquire().await?;
    let f = ListFilter {
        kind: Some(kind.into()),
        limit: 10_000,
        ..Default::default()
    };
    Ok(store::org::list(&mut conn.conn(), &f)
        .await?
        .0
        .into_iter()
        .map(|u| u.id)
        .collect())
}

pub struct ProgrammeMeta<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub document_number: &'a str,
    pub document_type: &'a str,
    pub issuer: &'a str,
    pub issued_on: Option<NaiveDate>,
    pub owner_code: &'a str,
}

/// Resolution 03/NQ-CP, as it is built into the binary (Annex II, see `data/`).
pub const NQ03: ProgrammeMeta<'static> = ProgrammeMeta {
    code: "03/NQ-CP",
    name: "Chương trình hành động của Chính phủ thực hiện Nghị quyết số 57-NQ/TW",
    document_number: "03/NQ-CP",
    document_type: "resolution",
    issuer: "Chính phủ",
    issued_on: NaiveDate::from_ymd_opt(2025, 1, 9),
    owner_code: "VN",
};

pub const NQ03_ANNEX: &str = include_str!("../../data/programme-03-nq-cp/annex-2-tasks.md");

/// Imports an annex table as a new programme, in one transaction; `dry_run` reports and writes nothing.
pub async fn import_annex(
    db: &Db,
    actor: &Actor,
    meta: &ProgrammeMeta<'_>,
    text: &str,
    dry_run: bool,
) -> AppResult<ImportReport> {
    let parsed = annex::parse(text);
    let mut report = ImportReport {
        dry_run,
        groups: parsed.groups.len(),
        tasks: parsed.tasks.len(),
        ..Default::default()
    };
    report
        .problems
        .extend(parsed.problems.iter().map(|p| (p.line, p.message.clone())));
    if parsed.tasks.is_empty() {
        return Err(AppError::invalid(FieldError::new("file", "err-no-tasks")));
    }
    let dict = agency_dictionary(db).await?;
    let mut collectives: HashMap<Collective, Vec<i64>> = HashMap::new();
    for c in [Collective::CentralAgencies, Collective::Provinces] {
        collectives.insert(c, collective_units(db, c).await?);
    }
    let mut tx = db.begin().await?;
    let mut conn = tx.conn();
    if store::tasks::programme_by_code(&mut conn, meta.code)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(vec![FieldError::new(
            "code",
            "err-duplicate-programme",
        )]));
    }
    let owner = store::org::find_current_by_code(&mut conn, meta.owner_code)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("owner", "err-no-such-unit")))?;
    let now = Utc::now();
    let doc = store::tasks::insert_document(
        &mut conn,
        meta.document_number,
        meta.document_type,
        meta.issuer,
        meta.issued_on,
        meta.name,
        now,
    )
    .await?;
    let pid =
        store::tasks::insert_programme(&mut conn, meta.code, meta.name, doc, owner.id, now).await?;
    let mut group_ids = vec![];
    for (i, g) in parsed.groups.iter().enumerate() {
        group_ids
            .push(store::tasks::insert_group(&mut conn, pid, &g.code, &g.title, i as i32).await?);
    }
    let assigned_on = meta.issued_on.unwrap_or(now.date_naive());
    for t in &parsed.tasks {
        let code = t.number.to_string();
        let new = NewTask {
            programme_id: pid,
            group_id: group_ids.get(t.group).copied(),
            code: &code,
            title: &t.title,
            result_text: &t.result,
            deadline_text: &t.deadline_text,
            deadline_json: serde_json::to_string(&t.deadline).unwrap_or_default(),
            due_on: t.deadline.due(),
            lead_text: &t.lead,
            coordinating_text: &t.coordinating,
        };
        let task_id = store::tasks::insert_task(&mut conn, &new, now).await?;
        for (cell, is_lead) in [(&t.lead, true), (&t.coordinating, false)] {
            let who = assignees::read(cell, &dict);
            for u in &who.unmatched {
                report.problems.push((
                    t.line,
                    format!(
                        "task {}: {} agency not matched: {u}",
                        t.number,
                        if is_lead { "lead" } else { "coordinating" }
                    ),
                ));
            }
            let mut units = who.units.clone();
            for c in &who.collectives {
                units.extend(collectives[c].iter().copied());
            }
            for u in units {
                store::tasks::insert_assignment(
                    &mut conn,
                    task_id,
                    u,
                    is_lead,
                    assigned_on,
                    new.due_on,
                )
                .await?;
            }
        }
    }
    report.assignments = store::tasks::count_assignments(&mut conn, pid).await? as usize;
    report.programme_id = Some(pid);
    let summary = serde_json::json!({ "code": meta.code, "groups": report.groups, "tasks": report.tasks, "assignments": report.assignments, "problems": report.problems.len() });
    store::audit::append(
        &mut conn,
        actor,
        now,
        vec![Change {
            action: "programme.import",
            object_type: "programme",
            object_id: pid.to_string(),
            before: None,
            after: Some(summary.to_string()),
        }],
    )
    .await?;
    if dry_run {
        report.programme_id = None;
        return Ok(report); // dropping the transaction rolls back
    }
    tx.commit().await?;
    Ok(report)
}

pub async fn list(db: &Db, who: Option<&Principal>) -> AppResult<Vec<Programme>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::tasks::list_programmes(&mut c.conn()).await
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// Judge as of this date (default today).
    pub as_of: Option<NaiveDate>,
    /// Only tasks whose deadline in force is on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Only tasks whose deadline in force is on or before this date.
    pub due_to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgrammeOverview {
    pub programme: Programme,
    pub as_of: NaiveDate,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub groups: Vec<TaskGroup>,
    /// Tasks, per lead unit (assignments) and per group, by status.
    #[schema(value_type = Object)]
    pub overview: Overview,
}

fn facts(a: &Assignment) -> Facts {
    Facts {
        assigned_on: Some(a.assigned_on),
        original_due: a.original_due,
        extension: a.extension_due.zip(a.extension_approved_on),
        reports: a
            .last_report_on
            .map(|on| {
                vec![Report {
                    on,
                    percent: a.last_percent.unwrap_or(0).clamp(0, 100) as u8,
                }]
            })
            .unwrap_or_default(),
        completion: a.claimed_on.zip(a.verified_on),
        cancelled_on: a.cancelled_on,
        superseded_on: None,
    }
}

pub async fn programme_overview(
    db: &Db,
    who: Option<&Principal>,
    id: i64,
    q: OverviewQuery,
) -> AppResult<ProgrammeOverview> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    if let (Some(a), Some(b)) = (q.due_from, q.due_to)
        && a > b
    {
        return Err(AppError::invalid(FieldError::new(
            "due_to",
            "err-before-start",
        )));
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let programme = store::tasks::get_programme(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows: Vec<Row> = store::tasks::lead_assignments(&mut c, id)
        .await?
        .into_iter()
        .map(|(a, group)| Row {
            task_id: a.task_id,
            group,
            unit_id: a.unit_id,
            facts: facts(&a),
        })
        .collect();
    let rules = rules_of_programme(&programme);
    let as_of = q.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let overview = overview::overview(&rows, as_of, q.due_from, q.due_to, rules);
    let groups = store::tasks::groups(&mut c, id).await?;
    Ok(ProgrammeOverview {
        programme,
        as_of,
        due_from: q.due_from,
        due_to: q.due_to,
        groups,
        overview,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentView {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub unit_name: String,
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    pub status: String,
    pub assignments: Vec<AssignmentView>,
}

pub async fn task_detail(
    db: &Db,
    idx: &crate::store::org_index::OrgIndex,
    who: Option<&Principal>,
    id: i64,
    as_of: Option<NaiveDate>,
) -> AppResult<TaskDetail> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let task = store::tasks::get_task(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if task.visibility != "public" {
        return Err(AppError::NotFound);
    }
    let programme = store::tasks::get_programme(&mut c, task.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rules = rules_of_programme(&programme);
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let snap = idx.snapshot(db).await?;
    let mut lead_statuses = vec![];
    let mut assignments = vec![];
    for a in store::tasks::assignments_of_task(&mut c, id).await? {
        let s = crate::domain::status::status(&facts(&a), as_of, rules);
        if a.is_lead {
            lead_statuses.push(s);
        }
        let unit_name = snap
            .get(a.unit_id)
            .map(|u| u.name_vi.clone())
            .unwrap_or_default();
        assignments.push(AssignmentView {
            assignment: a,
            unit_name,
            status: s.as_str().into(),
        });
    }
    Ok(TaskDetail {
        status: overview::rollup(&lead_statuses).as_str().into(),
        task,
        assignments,
    })
}

/// Tasks of a programme with their rolled-up status, optionally only those a unit leads.
pub async fn tasks(
    db: &Db,
    who: Option<&Principal>,
    programme_id: i64,
    unit: Option<i64>,
    as_of: Option<NaiveDate>,
) -> AppResult<Vec<(Task, String)>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let programme = store::tasks::get_programme(&mut c, programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rules = rules_of_programme(&programme);
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let mut by_task: BTreeMap<i64, (Vec<crate::domain::status::Status>, bool)> = BTreeMap::new();
    for (a, _) in store::tasks::lead_assignments(&mut c, programme_id).await? {
        let e = by_task.entry(a.task_id).or_default();
        e.0.push(crate::domain::status::status(&facts(&a), as_of, rules));
        e.1 |= unit.is_none_or(|u| u == a.unit_id);
    }
    let mut out = vec![];
    for t in store::tasks::tasks_of(&mut c, programme_id).await? {
        let (statuses, matches) = by_task.remove(&t.id).unwrap_or_default();
        if unit.is_some() && !matches {
            continue;
        }
        if t.visibility == "public" {
            out.push((t, overview::rollup(&statuses).as_str().to_string()));
        }
    }
    Ok(out)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItem {
    pub assignment: Assignment,
    pub task: Task,
    pub status: String,
    /// The deadline in force (an approved extension replaces the original).
    pub due: Option<NaiveDate>,
}

/// Urgency order for a worklist: what needs action first.
fn urgency(s: crate::domain::status::Status) -> u8 {
    use crate::domain::status::Status::*;
    match s {
        Overdue => 0,
        AtRisk => 1,
        NotStarted => 2,
        InProgress => 3,
        CompletedLate | CompletedOnTime => 4,
        Cancelled | Superseded => 5,
    }
}

/// A unit's assignments across programmes, most urgent first, then by deadline.
pub async fn worklist(
    db: &Db,
    who: Option<&Principal>,
    unit_id: i64,
    status: Option<&str>,
    as_of: Option<NaiveDate>,
) -> AppResult<Vec<WorkItem>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let as_of = as_of.unwrap_or_else(|| Utc::now().date_naive());
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let mut rules_of: HashMap<i64, Rules> = HashMap::new();
    let mut items = vec![];
    for (a, task) in store::tasks::worklist(&mut c, unit_id).await? {
        let rules = match rules_of.get(&task.programme_id) {
            Some(r) => *r,
            None => {
                let p = store::tasks::get_programme(&mut c, task.programme_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let r = rules_of_programme(&p);
                rules_of.insert(task.programme_id, r);
                r
            }
        };
        let f = facts(&a);
        let s = crate::domain::status::status(&f, as_of, rules);
        if status.is_some_and(|w| w != s.as_str()) {
            continue;
        }
        let due = crate::domain::status::deadline_in_force(&f, as_of);
        items.push((
            urgency(s),
            due.unwrap_or(NaiveDate::MAX),
            WorkItem {
                assignment: a,
                task,
                status: s.as_str().into(),
                due,
            },
        ));
    }
    items.sort_by_key(|(u, due, w)| (*u, *due, w.task.id));
    Ok(items.into_iter().map(|(_, _, w)| w).collect())
}

/// How a programme judges its assignments (its own settings).
pub fn rules_of_programme(p: &Programme) -> Rules {
    Rules {
        extension_counts_on_time: p.extension_counts_on_time,
        stale_after_days: i64::from(p.stale_after_days),
    }
}

/// Checks that the caller may decide for the assigning level of this assignment's programme.
pub async fn require_assigning_level(
    c: &mut crate::db::DbConn<'_>,
    who: &Principal,
    a: &Assignment,
) -> AppResult<()> {
    let task = store::tasks::get_task(c, a.task_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = store::tasks::get_programme(c, task.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::require_on_unit(
        c,
        Some(who),
        Action::VerifyCompletion,
        programme.owner_unit_id,
    )
    .await
}
