//! Programmes and their tasks: import of an annex table, lists, task detail, the overview.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::require;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::import::annex;
use crate::import::table::{self, TableTask};
use domain::assignees::{self, Collective};
use domain::deadline::Period;
use domain::input::DueWindow;
use domain::overview::{self, Overview, Row};
use domain::policy::{self, Action, Principal, Role, Scope, Visibility};
use domain::status::TaskState;
use domain::{FieldError, text::fold};
use std::sync::Arc;
use store::audit::{Actor, Change};
use store::org_index::{OrgIndex, Snapshot};
use store::task_cache::{ProgrammeRows, TaskCache};
use store::tasks::{
    Assignment, Extension, NewTask, Programme, ProgressReport, Task, TaskGroup, Verification,
};
use store::work::{Comment, Evidence, ReminderSent};
use store::{self, org::ListFilter};

/// What an import did, or would do in a dry run; nothing it could not read is left out.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ProgrammeImportReport))]
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
pub(crate) async fn agency_dictionary(db: &Db) -> AppResult<Vec<(String, i64)>> {
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

pub const NQ03_ANNEX: &str = include_str!("../../../data/programme-03-nq-cp/annex-2-tasks.md");

/// Imports an annex table as a new programme, in one transaction; `dry_run` reports and writes nothing.
pub fn import_annex<'a>(
    db: &'a Db,
    actor: &'a Actor,
    meta: &'a ProgrammeMeta<'_>,
    text: &'a str,
    dry_run: bool,
) -> crate::BoxFuture<'a, AppResult<ImportReport>> {
    Box::pin(async move {
        let parsed = annex::parse(text);
        let tasks = parsed
            .tasks
            .iter()
            .map(|t| TableTask {
                line: t.line,
                code: t.number.to_string(),
                group: Some(t.group),
                group_code: parsed.groups.get(t.group).map(|g| g.code.clone()),
                title: t.title.clone(),
                lead: t.lead.clone(),
                coordinating: t.coordinating.clone(),
                result: t.result.clone(),
                deadline_text: t.deadline_text.clone(),
                deadline: t.deadline,
                description: String::new(),
                priority: String::new(),
                visibility: String::new(),
            })
            .collect();
        let table = table::Parsed {
            groups: parsed.groups,
            tasks,
            problems: parsed.problems,
            ..Default::default()
        };
        import_parsed(db, actor, meta, table, dry_run, false).await
    })
}

/// Imports a task list read from CSV or XLSX. Unlike the annex of a published document, a file
/// prepared for import must name a known lead unit for every task: otherwise nothing is written.
pub fn import_table<'a>(
    db: &'a Db,
    actor: &'a Actor,
    meta: &'a ProgrammeMeta<'_>,
    parsed: table::Parsed,
    dry_run: bool,
) -> crate::BoxFuture<'a, AppResult<ImportReport>> {
    Box::pin(async move { import_parsed(db, actor, meta, parsed, dry_run, true).await })
}

async fn import_parsed(
    db: &Db,
    actor: &Actor,
    meta: &ProgrammeMeta<'_>,
    parsed: table::Parsed,
    dry_run: bool,
    require_lead: bool,
) -> AppResult<ImportReport> {
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
    let assigned_on = meta.issued_on.unwrap_or(domain::clock::local_date(now));
    let mut leaderless = vec![];
    for t in &parsed.tasks {
        let visibility = Visibility::parse(&t.visibility).unwrap_or(Visibility::Public);
        let new = NewTask {
            programme_id: pid,
            group_id: t.group.and_then(|g| group_ids.get(g).copied()),
            code: &t.code,
            title: &t.title,
            result_text: &t.result,
            deadline_text: &t.deadline_text,
            deadline_json: serde_json::to_string(&t.deadline).unwrap_or_default(),
            due_on: t.deadline.due(),
            lead_text: &t.lead,
            coordinating_text: &t.coordinating,
            visibility,
            state: TaskState::Active,
            proposed_by: None,
            description: Some(t.description.as_str()).filter(|d| !d.is_empty()),
            priority: if t.priority.is_empty() {
                "normal"
            } else {
                &t.priority
            },
            period: None,
        };
        let task_id = store::tasks::insert_task(&mut conn, &new, now).await?;
        for (cell, is_lead) in [(&t.lead, true), (&t.coordinating, false)] {
            let who = assignees::read(cell, &dict);
            for u in &who.unmatched {
                report.problems.push((
                    t.line,
                    format!(
                        "task {}: {} agency not matched: {u}",
                        t.code,
                        if is_lead { "lead" } else { "coordinating" }
                    ),
                ));
            }
            let mut units = who.units.clone();
            for c in &who.collectives {
                units.extend(collectives[c].iter().copied());
            }
            if is_lead && units.is_empty() {
                leaderless.push(t.code.clone());
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
    if require_lead && !leaderless.is_empty() {
        // The whole import is refused; the problems say which names were not recognised.
        let mut errs: Vec<FieldError> = leaderless
            .iter()
            .map(|c| FieldError::new("lead", "err-import-no-lead").with("task", c))
            .collect();
        errs.extend(
            report
                .problems
                .iter()
                .filter(|(_, m)| m.contains("lead agency not matched"))
                .map(|(line, m)| {
                    FieldError::new("lead", "err-import-problem")
                        .with("line", line)
                        .with("problem", m)
                }),
        );
        return Err(AppError::Invalid(errs));
    }
    report.assignments = store::tasks::count_assignments(&mut conn, pid).await? as usize;
    report.programme_id = Some(pid);
    if dry_run {
        report.programme_id = None;
        return Ok(report); // dropping the transaction rolls back
    }
    let summary = serde_json::json!({ "code": meta.code, "groups": report.groups, "tasks": report.tasks, "assignments": report.assignments, "problems": report.problems.len() });
    let change = Change::new("programme.import", "programme", pid).after(Some(summary.to_string()));
    store::audit::commit(tx, actor, now, vec![change]).await?;
    Ok(report)
}

pub async fn list(db: &Db, who: Option<&Principal>) -> AppResult<Vec<Programme>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let mut c = db.acquire().await?;
    store::tasks::list_programmes(&mut c.conn()).await
}

/// One programme, from the cache of programme data.
pub async fn get(
    db: &Db,
    cache: &TaskCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<Programme> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let mut c = db.acquire().await?;
    let data = cache
        .programme(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(data.programme.clone())
}

/// Whether `who` may read `task`; for restricted tasks the units holding it are looked up.
/// The task `id` if `who` may read it; a task one may not read does not exist, as far as the
/// caller can tell.
pub(crate) async fn readable_task(
    c: &mut crate::db::DbConn<'_>,
    snap: &Snapshot,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<store::tasks::Task> {
    let task = store::tasks::get_task(c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = store::tasks::get_programme(c, task.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if may_read(
        c,
        snap,
        who,
        task.id,
        task.visibility,
        programme.owner_unit_id,
    )
    .await?
    {
        Ok(task)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn may_read(
    c: &mut crate::db::DbConn<'_>,
    snap: &Snapshot,
    who: Option<&Principal>,
    task_id: i64,
    visibility: Visibility,
    owner_unit_id: i64,
) -> AppResult<bool> {
    if visibility == Visibility::Public {
        return Ok(true);
    }
    let mut units = if visibility == Visibility::Internal {
        vec![]
    } else {
        store::tasks::units_of_task(c, task_id).await?
    };
    units.push(owner_unit_id);
    let chains: Vec<Vec<i64>> = units.iter().map(|u| snap.chain(*u)).collect();
    Ok(policy::may_read_task(who, visibility, &chains))
}

/// Visibility of many tasks at once, each looked up once.
struct Gate<'s> {
    snap: &'s Snapshot,
    owner: i64,
    seen: HashMap<i64, bool>,
}

impl Gate<'_> {
    async fn allows(
        &mut self,
        c: &mut crate::db::DbConn<'_>,
        who: Option<&Principal>,
        task_id: i64,
        visibility: Visibility,
    ) -> AppResult<bool> {
        if visibility == Visibility::Public {
            return Ok(true);
        }
        if let Some(v) = self.seen.get(&task_id) {
            return Ok(*v);
        }
        let v = may_read(c, self.snap, who, task_id, visibility, self.owner).await?;
        self.seen.insert(task_id, v);
        Ok(v)
    }
}

#[derive(Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct OverviewQuery {
    /// Judge as of this date (default today).
    pub as_of: Option<NaiveDate>,
    /// Only tasks whose deadline in force is on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Only tasks whose deadline in force is on or before this date.
    pub due_to: Option<NaiveDate>,
}

/// How the ongoing and recurring tasks did in the last reporting period that has ended.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PeriodSummary {
    pub period: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// reported_with_results, reported_without_results, not_reported → lead assignments.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub counts: BTreeMap<&'static str, i64>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgrammeOverview {
    pub programme: Programme,
    pub as_of: NaiveDate,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub groups: Vec<TaskGroup>,
    /// Tasks, per lead unit (assignments) and per group, by status.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub overview: Overview,
    pub periodic: PeriodSummary,
}

/// What a computation for a reader depends on: (programme, task data version, organisation
/// version, as of, the reader's role and unit) — what a reader may see depends only on the role
/// and the unit, so readers alike share one computation.
type ReaderKey = (i64, i64, i64, NaiveDate, Option<(Role, i64)>);

fn reader_key(
    data: &ProgrammeRows,
    snap: &Snapshot,
    who: Option<&Principal>,
    as_of: NaiveDate,
) -> ReaderKey {
    (
        data.programme.id,
        data.version,
        snap.version,
        as_of,
        who.map(|w| (w.role, w.unit_id)),
    )
}

/// Overviews per reader key and due window: each evaluates every readable lead assignment of
/// the programme, while the data change a few times an hour.
pub type OverviewCache = crate::memo::Memo<(ReaderKey, DueWindow), ProgrammeOverview>;

pub async fn programme_overview(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    overviews: &OverviewCache,
    who: Option<&Principal>,
    id: i64,
    q: OverviewQuery,
) -> AppResult<Arc<ProgrammeOverview>> {
    let window = DueWindow::parse(q.due_from, q.due_to).map_err(AppError::invalid)?;
    let (snap, data) = programme_data(db, idx, cache, who, id).await?;
    let as_of = q
        .as_of
        .unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let key = (reader_key(&data, &snap, who, as_of), window);
    if let Some(o) = overviews.get(&key) {
        return Ok(o);
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let (rows, visible) = visible_rows(&mut c, &data, &snap, who).await?;
    let programme = data.programme.clone();
    let rules = programme.rules();
    let overview = overview::overview(&rows, as_of, window, rules);
    let groups = data.groups.clone();
    // The last period that has ended by `as_of`.
    let period = programme.reporting_period;
    let (cur_start, _) = period.containing(as_of);
    let (start, end) = period.containing(cur_start.pred_opt().unwrap_or(cur_start));
    let mut per_assignment: BTreeMap<i64, Vec<(NaiveDate, bool)>> = BTreeMap::new();
    for &(aid, on, results) in cache.periodic(&mut c, id, start, end).await?.iter() {
        if !visible.contains(&aid) {
            continue;
        }
        let e = per_assignment.entry(aid).or_default();
        if let Some(on) = on {
            e.push((on, results));
        }
    }
    let lists: Vec<Vec<(NaiveDate, bool)>> = per_assignment.into_values().collect();
    let o = Arc::new(ProgrammeOverview {
        periodic: PeriodSummary {
            period: programme.reporting_period.to_string(),
            start,
            end,
            counts: overview::period_counts(&lists, start, end, as_of),
        },
        programme,
        as_of,
        due_from: q.due_from,
        due_to: q.due_to,
        groups,
        overview,
    });
    overviews.put(key, o.clone());
    Ok(o)
}

/// The rows of `visible_rows` for a use case of its own, with the as-of date (default today).
async fn readable_rows(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: Option<&Principal>,
    id: i64,
    as_of: Option<NaiveDate>,
) -> AppResult<(Arc<ProgrammeRows>, Vec<Row>, NaiveDate)> {
    let (snap, data) = programme_data(db, idx, cache, who, id).await?;
    let mut c = db.acquire().await?;
    let (rows, _) = visible_rows(&mut c.conn(), &data, &snap, who).await?;
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    Ok((data, rows, as_of))
}

/// The organisation and a programme's rows as cached (their version is the one the rows were
/// read at), once the caller may read programmes at all.
async fn programme_data(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<(Arc<Snapshot>, Arc<ProgrammeRows>)> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let snap = idx.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let data = cache
        .programme(&mut c.conn(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((snap, data))
}

/// A programme's top-level lead assignments that the caller may read, as overview rows, with
/// the ids of those assignments (read through the cache).
async fn visible_rows(
    c: &mut crate::db::DbConn<'_>,
    data: &ProgrammeRows,
    snap: &Snapshot,
    who: Option<&Principal>,
) -> AppResult<(Vec<Row>, std::collections::HashSet<i64>)> {
    let mut gate = Gate {
        snap,
        owner: data.programme.owner_unit_id,
        seen: HashMap::new(),
    };
    let mut rows: Vec<Row> = Vec::with_capacity(data.lead.len());
    let mut ids = std::collections::HashSet::with_capacity(data.lead.len());
    for (a, group, visibility) in &data.lead {
        if gate.allows(c, who, a.task_id, *visibility).await? {
            ids.insert(a.id);
            rows.push(Row {
                task_id: a.task_id,
                group: *group,
                unit_id: a.unit_id,
                facts: a.facts(),
            });
        }
    }
    Ok((rows, ids))
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendPoint {
    pub day: NaiveDate,
    /// Tasks whose deadline had passed by that day.
    pub due: i64,
    /// Tasks completed (verified) by that day.
    pub completed: i64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgrammeCharts {
    pub as_of: NaiveDate,
    /// Month (first day) → tasks due that month, by status as of `as_of`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub timeline: BTreeMap<NaiveDate, overview::Counts>,
    /// Month ends from the first assignment to `as_of` (at most 36).
    pub trend: Vec<TrendPoint>,
}

/// The charts of a programme per reader key: the trend evaluates every readable lead
/// assignment at each of up to 36 month ends (at national scale most of the signed-in programme
/// page's time).
pub type ChartsCache = crate::memo::Memo<ReaderKey, ProgrammeCharts>;

/// The leaders' dashboard data: the timeline of deadlines and the trend of completion.
pub async fn programme_charts(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    charts: &ChartsCache,
    who: Option<&Principal>,
    id: i64,
    as_of: Option<NaiveDate>,
) -> AppResult<Arc<ProgrammeCharts>> {
    let (snap, data) = programme_data(db, idx, cache, who, id).await?;
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let key = reader_key(&data, &snap, who, as_of);
    if let Some(x) = charts.get(&key) {
        return Ok(x);
    }
    let mut c = db.acquire().await?;
    let (rows, _) = visible_rows(&mut c.conn(), &data, &snap, who).await?;
    let x = Arc::new(compute_charts(&data, &rows, as_of));
    charts.put(key, x.clone());
    Ok(x)
}

fn compute_charts(data: &ProgrammeRows, rows: &[Row], as_of: NaiveDate) -> ProgrammeCharts {
    let rules = data.programme.rules();
    let start = rows
        .iter()
        .filter_map(|r| r.facts.assigned_on)
        .min()
        .unwrap_or(as_of);
    let mut points = vec![];
    let mut m = start;
    while m <= as_of && points.len() < 36 {
        let end = Period::Monthly.containing(m).1;
        points.push(end.min(as_of));
        m = end + chrono::Duration::days(1);
    }
    if points.len() == 36 {
        // Keep the most recent 36 months.
        let mut m = as_of;
        points.clear();
        for _ in 0..36 {
            let (s, _) = Period::Monthly.containing(m);
            points.push(m);
            m = s - chrono::Duration::days(1);
        }
        points.reverse();
    }
    ProgrammeCharts {
        as_of,
        timeline: overview::timeline(rows, as_of, rules),
        trend: overview::trend(rows, &points, rules)
            .into_iter()
            .map(|(day, due, completed)| TrendPoint {
                day,
                due,
                completed,
            })
            .collect(),
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentView {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub unit_name: String,
    /// Name of the unit that held it before a merger.
    pub handed_over_from_name: Option<String>,
    pub status: String,
    /// Percent rolled up from the communes it was cascaded to, if any.
    pub cascade_percent: Option<u8>,
    pub cascaded_to: i64,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: Task,
    pub status: String,
    pub programme: Programme,
    pub assignments: Vec<AssignmentView>,
    pub reports: Vec<ProgressReport>,
    pub evidence: Vec<Evidence>,
    pub verifications: Vec<Verification>,
    pub extensions: Vec<Extension>,
    pub reminders: Vec<ReminderSent>,
    pub comments: Vec<Comment>,
}

fn unit_name(snap: &Snapshot, id: i64) -> String {
    snap.get(id).map(|u| u.name_vi.clone()).unwrap_or_default()
}

pub async fn task_detail(
    db: &Db,
    idx: &OrgIndex,
    who: Option<&Principal>,
    id: i64,
    as_of: Option<NaiveDate>,
) -> AppResult<TaskDetail> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let snap = idx.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let task = store::tasks::get_task(&mut c, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = store::tasks::get_programme(&mut c, task.programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A task one may not read does not exist, as far as the caller can tell.
    if !may_read(
        &mut c,
        &snap,
        who,
        task.id,
        task.visibility,
        programme.owner_unit_id,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    let rules = programme.rules();
    let mode = programme.rollup;
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let all = store::tasks::assignments_of_task(&mut c, id).await?;
    let mut kids: HashMap<i64, (u64, u64, u64)> = HashMap::new();
    for k in all
        .iter()
        .filter(|k| k.cancelled_on.is_none() && k.superseded_on.is_none())
    {
        if let Some(p) = k.parent_id {
            let e = kids.entry(p).or_default();
            e.0 += 1;
            if k.verified_on.is_some() {
                e.1 += 1;
                e.2 += 100;
            } else {
                e.2 += k.last_percent.unwrap_or(0).clamp(0, 100) as u64;
            }
        }
    }
    let mut lead_statuses = vec![];
    let mut assignments = vec![];
    for a in all {
        let s = domain::status::status(&a.facts(), as_of, rules);
        if a.is_lead && a.parent_id.is_none() {
            lead_statuses.push(s);
        }
        let (n, done, sum) = kids.get(&a.id).copied().unwrap_or_default();
        assignments.push(AssignmentView {
            unit_name: unit_name(&snap, a.unit_id),
            handed_over_from_name: a.handed_over_from.map(|u| unit_name(&snap, u)),
            status: s.as_str().into(),
            cascade_percent: overview::cascade_percent(n, done, sum, mode),
            cascaded_to: n as i64,
            assignment: a,
        });
    }
    Ok(TaskDetail {
        status: overview::task_status_name(&lead_statuses).into(),
        reports: store::tasks::reports_of_task(&mut c, id).await?,
        evidence: store::work::evidence_of_task(&mut c, id).await?,
        verifications: store::tasks::verifications_of_task(&mut c, id).await?,
        extensions: store::tasks::extensions_of_task(&mut c, id).await?,
        reminders: store::work::reminders_of_task(&mut c, id).await?,
        comments: store::work::comments_of(&mut c, id).await?,
        task,
        programme,
        assignments,
    })
}

/// Tasks of a programme that the caller may read, with their rolled-up status, optionally only
/// those a unit leads.
pub async fn tasks(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: Option<&Principal>,
    programme_id: i64,
    unit: Option<i64>,
    as_of: Option<NaiveDate>,
) -> AppResult<Vec<(Task, String)>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    let snap = idx.snapshot(db).await?;
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let data = cache
        .programme(&mut c, programme_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let programme = &data.programme;
    let rules = programme.rules();
    let as_of = as_of.unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let mut by_task: BTreeMap<i64, (Vec<domain::status::Status>, bool)> = BTreeMap::new();
    for (a, _, _) in &data.lead {
        let e = by_task.entry(a.task_id).or_default();
        e.0.push(domain::status::status(&a.facts(), as_of, rules));
        e.1 |= unit.is_none_or(|u| u == a.unit_id);
    }
    let mut gate = Gate {
        snap: &snap,
        owner: programme.owner_unit_id,
        seen: HashMap::new(),
    };
    let mut out = vec![];
    for t in &data.tasks {
        let (statuses, matches) = by_task.remove(&t.id).unwrap_or_default();
        if t.state != TaskState::Active || (unit.is_some() && !matches) {
            continue;
        }
        if gate.allows(&mut c, who, t.id, t.visibility).await? {
            out.push((t.clone(), overview::task_status_name(&statuses).to_string()));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkItem {
    pub assignment: Assignment,
    pub task: Task,
    pub status: String,
    /// The deadline in force (an approved extension replaces the original).
    pub due: Option<NaiveDate>,
    /// Percent rolled up from the units it was cascaded to.
    pub cascade_percent: Option<u8>,
    pub cascaded_to: i64,
}

/// Urgency order for a worklist: what needs action first.
fn urgency(s: domain::status::Status) -> u8 {
    use domain::status::Status::*;
    match s {
        Overdue => 0,
        AtRisk => 1,
        NotStarted => 2,
        InProgress => 3,
        CompletedLate | CompletedOnTime => 4,
        Cancelled | Superseded => 5,
    }
}

/// Filters of a worklist.
#[derive(Debug, Default, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WorklistQuery {
    pub programme: Option<i64>,
    pub group: Option<i64>,
    pub status: Option<String>,
    /// Deadline in force on or after.
    pub due_from: Option<NaiveDate>,
    /// Deadline in force on or before.
    pub due_to: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
    /// true: only work still to do (not completed, cancelled or superseded).
    pub open: Option<bool>,
    /// true: only the unit's lead assignments (not those it coordinates).
    pub lead: Option<bool>,
}

/// A unit's assignments across programmes that the caller may read, most urgent first.
pub async fn worklist(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: Option<&Principal>,
    unit_id: i64,
    q: &WorklistQuery,
) -> AppResult<Vec<WorkItem>> {
    require(who, Action::ReadOrgUnit, Scope::Global)?;
    if let Some(st) = q.status.as_deref().filter(|s| !s.is_empty())
        && !domain::status::Status::ALL.iter().any(|x| x.as_str() == st)
    {
        return Err(AppError::invalid(FieldError::new(
            "status",
            "err-unknown-status",
        )));
    }
    let window = DueWindow::parse(q.due_from, q.due_to).map_err(AppError::invalid)?;
    let as_of = q
        .as_of
        .unwrap_or_else(|| domain::clock::local_date(Utc::now()));
    let snap = idx.snapshot(db).await?;
    if snap.get(unit_id).is_none() {
        return Err(AppError::NotFound);
    }
    let mut c = db.acquire().await?;
    let mut c = c.conn();
    let data = cache.unit(&mut c, unit_id).await?;
    let mut items = vec![];
    for (a, task) in &data.items {
        if q.programme.is_some_and(|p| p != task.programme_id)
            || q.group.is_some_and(|g| Some(g) != task.group_id)
        {
            continue;
        }
        let Some(programme) = data.programmes.get(&task.programme_id) else {
            continue;
        };
        let (rules, owner, mode) = (programme.rules(), programme.owner_unit_id, programme.rollup);
        if task.visibility != Visibility::Public
            && !may_read(&mut c, &snap, who, task.id, task.visibility, owner).await?
        {
            continue;
        }
        let f = a.facts();
        let s = domain::status::status(&f, as_of, rules);
        if q.status
            .as_deref()
            .is_some_and(|w| !w.is_empty() && w != s.as_str())
            || (q.open == Some(true) && !s.is_open())
            || (q.lead == Some(true) && !a.is_lead)
        {
            continue;
        }
        let due = domain::status::deadline_in_force(&f, as_of);
        if !window.contains(due) {
            continue;
        }
        let (n, done, sum) = data.cascades.get(&a.id).copied().unwrap_or_default();
        items.push((
            urgency(s),
            due.unwrap_or(NaiveDate::MAX),
            WorkItem {
                cascade_percent: overview::cascade_percent(n as u64, done as u64, sum as u64, mode),
                cascaded_to: n,
                assignment: a.clone(),
                task: task.clone(),
                status: s.as_str().into(),
                due,
            },
        ));
    }
    items.sort_by_key(|(u, due, w)| (*u, *due, w.task.id));
    Ok(items.into_iter().map(|(_, _, w)| w).collect())
}

/// Checks that the caller may decide for the assigning level of this assignment's programme.
pub async fn require_assigning_level(
    c: &mut crate::db::DbConn<'_>,
    who: &Principal,
    a: &Assignment,
) -> AppResult<()> {
    // The level that assigned the work verifies it: the province for its communes, the
    // programme's owner for the units it named itself.
    let unit = store::tasks::assigning_unit(c, a.id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::require_on_unit(c, Some(who), Action::VerifyCompletion, unit).await
}

/// A lead assignment with a deadline, for the national lists (overdue, due soon).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineItem {
    pub task_id: i64,
    pub unit_id: i64,
    pub due: NaiveDate,
}

/// A programme as the Steering Committee follows it: each lead unit's record against its
/// deadlines, ranked, and the lead work overdue or due within 30 and 90 days.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct League {
    pub programme: Programme,
    pub as_of: NaiveDate,
    /// (unit id, record), best share on time first.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub units: Vec<(i64, overview::OnTime)>,
    /// Open and past the deadline, the longest overdue first.
    pub overdue: Vec<DeadlineItem>,
    /// Open with a deadline from `as_of` to 30 days later, soonest first.
    pub due_30: Vec<DeadlineItem>,
    /// How many are due from `as_of` to 90 days later (the 30 above included).
    pub due_90: i64,
}

pub async fn league(
    db: &Db,
    idx: &OrgIndex,
    cache: &TaskCache,
    who: Option<&Principal>,
    id: i64,
    as_of: Option<NaiveDate>,
) -> AppResult<League> {
    let (data, rows, as_of) = readable_rows(db, idx, cache, who, id, as_of).await?;
    let rules = data.programme.rules();
    let (mut overdue, mut due_30, mut due_90) = (vec![], vec![], 0);
    for r in &rows {
        let s = domain::status::status(&r.facts, as_of, rules);
        let Some(due) = domain::status::deadline_in_force(&r.facts, as_of) else {
            continue;
        };
        let item = DeadlineItem {
            task_id: r.task_id,
            unit_id: r.unit_id,
            due,
        };
        if s == domain::status::Status::Overdue {
            overdue.push(item);
        } else if s.is_open() && due >= as_of && due <= as_of + chrono::Duration::days(90) {
            due_90 += 1;
            if due <= as_of + chrono::Duration::days(30) {
                due_30.push(item);
            }
        }
    }
    overdue.sort_by_key(|i| (i.due, i.task_id, i.unit_id));
    due_30.sort_by_key(|i| (i.due, i.task_id, i.unit_id));
    Ok(League {
        units: overview::rank(&overview::on_time(&rows, as_of, rules)),
        programme: data.programme.clone(),
        as_of,
        overdue,
        due_30,
        due_90,
    })
}

/// The programme a task belongs to (any state: proposals too).
pub async fn programme_of_task(db: &Db, task_id: i64) -> AppResult<i64> {
    let mut c = db.acquire().await?;
    Ok(store::tasks::get_task(&mut c.conn(), task_id)
        .await?
        .ok_or(AppError::NotFound)?
        .programme_id)
}
