//! Data built into the binary: the 2025 organisation hierarchy, demo accounts, and synthetic
//! volumes for benchmarks.
//!
//! Provinces and communes come from GSO letters 915/CTK-CSCL and 1027/CTK-CSCL (25/6/2025), as
//! compiled by the dvhcvn/20250701 project (MIT licence, https://github.com/dvhcvn/20250701); see
//! `data/README.md`.

pub mod agencies;
pub mod demo_budgets;
pub mod demo_catalogue;
pub mod demo_feedback;
pub mod demo_indicators;
pub mod demo_rankings;
#[cfg(feature = "generate")]
pub mod generate;
#[cfg(feature = "generate")]
pub mod generate_catalogue;
#[cfg(feature = "generate")]
pub mod generate_feedback;
#[cfg(feature = "generate")]
pub mod generate_indicators;
#[cfg(feature = "generate")]
pub mod generate_tasks;
pub mod near_duplicates;
pub mod topics;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};

use app::db::Db;
use app::error::{AppError, AppResult};
use domain::policy::Role;
use store::{self, audit::Actor, org::NewUnit};

const PROVINCES_CSV: &str = include_str!("../../../data/provinces.csv");
const COMMUNES_CSV: &str = include_str!("../../../data/communes.csv");
const COMMUNE_MERGES_CSV: &str = include_str!("../../../data/commune-merges.csv");

pub struct SeedUnit {
    pub unit: NewUnit,
    /// Index of the parent in [`Hierarchy::units`]; parents always come first.
    pub parent: Option<usize>,
}

pub struct Hierarchy {
    pub units: Vec<SeedUnit>,
    /// (predecessor index, successor index, full|partial, effective date)
    pub links: Vec<(usize, usize, &'static str, NaiveDate)>,
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("built-in date")
}

/// English and French names for a local unit, from the kind word that starts its Vietnamese name.
fn local_names(vi: &str) -> (Option<String>, Option<String>) {
    const PREFIXES: &[(&str, &str, &str)] = &[
        ("Thành phố ", "{} City", "Ville de {}"),
        ("Tỉnh ", "{} Province", "Province de {}"),
        ("Phường ", "{} Ward", "Quartier de {}"),
        ("Xã ", "{} Commune", "Commune de {}"),
        ("Đặc khu ", "{} Special Zone", "Zone spéciale de {}"),
        ("Thị trấn ", "{} Township", "Bourg de {}"),
    ];
    for (p, en, fr) in PREFIXES {
        if let Some(rest) = vi.strip_prefix(p) {
            return (Some(en.replace("{}", rest)), Some(fr.replace("{}", rest)));
        }
    }
    (None, None)
}

fn unit(
    code: Option<&str>,
    kind: &'static str,
    vi: &str,
    en: Option<String>,
    fr: Option<String>,
    valid_to: Option<NaiveDate>,
) -> NewUnit {
    NewUnit {
        code: code.map(str::to_string),
        kind,
        name_vi: domain::text::nfc(vi),
        name_en: en,
        name_fr: fr,
        parent_id: None,
        valid_from: None,
        valid_to,
    }
}

/// The built-in hierarchy: national root, central agencies (current and former), the 34
/// provinces and 3,321 commune-level units, and the pre-2025 units they absorbed.
pub fn hierarchy() -> Hierarchy {
    let mut units: Vec<SeedUnit> = Vec::with_capacity(14_000);
    let mut links = Vec::new();
    let push = |units: &mut Vec<SeedUnit>, u: NewUnit, parent: Option<usize>| {
        units.push(SeedUnit { unit: u, parent });
        units.len() - 1
    };
    let root = push(
        &mut units,
        unit(
            Some("VN"),
            "national",
            "Cả nước",
            Some("Viet Nam (national level)".into()),
            Some("Viêt Nam (niveau national)".into()),
            None,
        ),
        None,
    );

    let mut agency: HashMap<&str, usize> = HashMap::new();
    for (code, kind, vi, en, fr) in agencies::CURRENT {
        let kind = if *kind == "party_agency" {
            "party_agency"
        } else {
            "central_agency"
        };
        let i = push(
            &mut units,
            unit(
                Some(code),
                kind,
                vi,
                Some(en.to_string()),
                Some(fr.to_string()),
                None,
            ),
            Some(root),
        );
        agency.insert(code, i);
    }
    for (parent, code, vi, en, fr) in agencies::DEPARTMENTS {
        push(
            &mut units,
            unit(
                Some(code),
                "department",
                vi,
                Some(en.to_string()),
                Some(fr.to_string()),
                None,
            ),
            Some(agency[parent]),
        );
    }
    for (code, kind, vi, en, fr, successors, valid_to) in agencies::FORMER {
        let kind = if *kind == "party_agency" {
            "party_agency"
        } else {
            "central_agency"
        };
        let to = date(valid_to);
        let i = push(
            &mut units,
            unit(
                Some(code),
                kind,
                vi,
                Some(en.to_string()),
                Some(fr.to_string()),
                Some(to),
            ),
            Some(root),
        );
        for (s, t) in *successors {
            links.push((
                i,
                agency[s],
                if *t == "full" { "full" } else { "partial" },
                to.succ_opt().unwrap(),
            ));
        }
    }

    let merged_on = date("2025-07-01");
    let closed_on = date("2025-06-30");
    let mut province: HashMap<String, usize> = HashMap::new();
    let mut rdr = csv::Reader::from_reader(PROVINCES_CSV.as_bytes());
    let mut old_provinces = Vec::new();
    for rec in rdr.records() {
        let rec = rec.expect("built-in provinces.csv");
        let (code, name) = (&rec[0], &rec[1]);
        let (en, fr) = local_names(name);
        let i = push(
            &mut units,
            unit(Some(code), "province", name, en, fr, None),
            Some(root),
        );
        province.insert(code.to_string(), i);
        let old_codes: Vec<&str> = rec[2].split(';').collect();
        let old_names: Vec<&str> = rec[3].split(';').collect();
        // A province that absorbed nobody continues unchanged: no historical twin.
        if old_codes.len() > 1 {
            for (oc, on) in old_codes.iter().zip(old_names) {
                old_provinces.push((oc.to_string(), on.to_string(), i));
            }
        }
    }

    let mut commune: HashMap<String, usize> = HashMap::new();
    let mut rdr = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    for rec in rdr.records() {
        let rec = rec.expect("built-in communes.csv");
        let (code, name, pcode) = (&rec[0], &rec[1], &rec[2]);
        let kind = domain::org::OrgKind::from_commune_name(name).as_str();
        let (en, fr) = local_names(name);
        let i = push(
            &mut units,
            unit(Some(code), kind, name, en, fr, None),
            Some(province[pcode]),
        );
        commune.insert(code.to_string(), i);
    }

    for (oc, on, succ) in old_provinces {
        let (en, fr) = local_names(&on);
        let i = push(
            &mut units,
            unit(Some(&oc), "province", &on, en, fr, Some(closed_on)),
            Some(root),
        );
        links.push((i, succ, "full", merged_on));
    }

    // Group merge rows per new commune to skip those that merely continue one old unit unchanged.
    // (new code, [(old code, old name, full|partial)])
    type MergeRows = Vec<(String, String, String)>;
    let mut per_new: Vec<(String, MergeRows)> = Vec::new();
    let mut rdr = csv::Reader::from_reader(COMMUNE_MERGES_CSV.as_bytes());
    for rec in rdr.records() {
        let rec = rec.expect("built-in commune-merges.csv");
        let row = (rec[1].to_string(), rec[2].to_string(), rec[3].to_string());
        match per_new.last_mut() {
            Some((code, rows)) if code == &rec[0] => rows.push(row),
            _ => per_new.push((rec[0].to_string(), vec![row])),
        }
    }
    let mut old_commune: HashMap<String, usize> = HashMap::new();
    for (new_code, rows) in per_new {
        let Some(&succ) = commune.get(&new_code) else {
            continue;
        };
        let unchanged = rows.len() == 1
            && rows[0].0 == new_code
            && rows[0].1 == units[succ].unit.name_vi
            && rows[0].2 == "full";
        if unchanged {
            continue;
        }
        for (oc, on, t) in rows {
            let i = match old_commune.get(&oc) {
                Some(&i) => i,
                None => {
                    let kind = if on.starts_with("Phường") {
                        "ward"
                    } else {
                        "commune"
                    };
                    let (en, fr) = local_names(&on);
                    let parent = units[succ].parent;
                    let i = push(
                        &mut units,
                        unit(Some(&oc), kind, &on, en, fr, Some(closed_on)),
                        parent,
                    );
                    old_commune.insert(oc, i);
                    i
                }
            };
            links.push((
                i,
                succ,
                if t == "partial" { "partial" } else { "full" },
                merged_on,
            ));
        }
    }
    Hierarchy { units, links }
}

/// Loads the built-in hierarchy into an empty database, in one transaction; does nothing if units exist.
pub fn load_builtin<'a>(db: &'a Db) -> store::BoxFuture<'a, AppResult<bool>> {
    Box::pin(async move {
        // Feedback categories are reference data too; idempotent, so every start checks them.
        app::feedback::seed_defaults(db).await?;
        let mut tx = db.begin().await?;
        if store::org::count(&mut tx.conn()).await? > 0 {
            return Ok(false);
        }
        let h = hierarchy();
        let now = Utc::now();
        let mut depth = vec![0i32; h.units.len()];
        let rows: Vec<(i64, NewUnit, i32)> = h
            .units
            .iter()
            .enumerate()
            .map(|(i, s)| {
                depth[i] = s.parent.map(|p| depth[p] + 1).unwrap_or(0);
                let mut u = s.unit.clone();
                u.parent_id = s.parent.map(|p| p as i64 + 1);
                (i as i64 + 1, u, depth[i])
            })
            .collect();
        store::org::insert_bulk(&mut tx.conn(), &rows, now).await?;
        store::org::build_closure(&mut tx.conn()).await?;
        let links: Vec<(i64, i64, &str, NaiveDate)> = h
            .links
            .iter()
            .map(|(p, s, t, d)| (*p as i64 + 1, *s as i64 + 1, *t, *d))
            .collect();
        store::org::link_bulk(&mut tx.conn(), &links).await?;
        let summary = serde_json::json!({ "units": rows.len(), "links": links.len(), "source": "built-in 2025 hierarchy" });
        store::audit::commit(
            tx,
            &Actor::system("seed"),
            now,
            vec![
                store::audit::Change::new("org.seed", "org_unit", "*")
                    .after(Some(summary.to_string())),
            ],
        )
        .await?;
        Ok(true)
    })
}

/// Demo accounts, one per role, placed so that scope can be tried out: (username, role, unit code, display name).
pub const DEMO_USERS: &[(&str, Role, &str, &str)] = &[
    ("admin", Role::Administrator, "VN", "Quản trị hệ thống"),
    (
        "steering",
        Role::Steering,
        "BCDTW",
        "Thường trực Ban Chỉ đạo",
    ),
    ("inspector", Role::Inspector, "UBKTTW", "Kiểm tra viên"),
    (
        "daklak.leader",
        Role::UnitLeader,
        "66",
        "Lãnh đạo tỉnh Đắk Lắk",
    ),
    (
        "daklak.officer",
        Role::UnitOfficer,
        "66",
        "Cán bộ đầu mối tỉnh Đắk Lắk",
    ),
    (
        "hanoi.officer",
        Role::UnitOfficer,
        "01",
        "Cán bộ đầu mối Hà Nội",
    ),
    (
        "most.officer",
        Role::UnitOfficer,
        "BKHCN",
        "Cán bộ đầu mối Bộ KH&CN",
    ),
    (
        "most.leader",
        Role::UnitLeader,
        "BKHCN",
        "Lãnh đạo Bộ KH&CN",
    ),
    ("reviewer", Role::Reviewer, "BKHCN", "Chuyên gia đánh giá"),
    ("citizen", Role::Citizen, "VN", "Nguyễn Văn Dân"),
];

pub const DEMO_PASSWORD: &str = "nqtrack-demo-2025";

/// Creates the demo accounts (skips those that exist). Returns how many were created.
pub fn demo_users<'a>(db: &'a Db) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        let hash = app::auth::hash_password(DEMO_PASSWORD.to_string()).await?;
        let now = Utc::now();
        let mut changes = vec![];
        let mut tx = db.begin().await?;
        for (username, role, code, name) in DEMO_USERS {
            let mut c = tx.conn();
            if store::users::get_for_login(&mut c, username)
                .await?
                .is_some()
            {
                continue;
            }
            let unit = store::org::find_current_by_code(&mut c, code)
                .await?
                .ok_or(AppError::Internal(format!("demo unit {code} missing")))?;
            let new = store::users::NewUser {
                username: username.to_string(),
                display_name: name.to_string(),
                email: Some(format!("{username}@demo.nqtrack.invalid")),
                unit_id: unit.id,
                role: *role,
                password_hash: Some(hash.clone()),
            };
            let id = store::users::insert(&mut c, &new, now).await?;
            let after =
                serde_json::json!({ "username": username, "role": role, "unit_id": unit.id });
            changes.push(
                store::audit::Change::new("user.create", "user", id).after(Some(after.to_string())),
            );
        }
        let created = changes.len();
        store::audit::commit(tx, &Actor::system("demo"), now, changes).await?;
        Ok(created)
    })
}

/// Progress on the demo programme so that every status shows: reports, completion claims verified
/// on time and late, stale work, untouched work. Deterministic (by task number), written through
/// the same use cases as real reports, so it is audited like them.
pub fn demo_progress<'a>(db: &'a Db, programme_id: i64) -> store::BoxFuture<'a, AppResult<usize>> {
    Box::pin(async move {
        use app::reports::{Decision, NewReport, submit, verify_on};
        use domain::policy::Principal;
        let today = domain::clock::local_date(Utc::now());
        // Reports are filed under the demo administrator, decisions under the Steering Committee's account.
        let account = |username: &'static str| async move {
            let mut c = db.acquire().await?;
            let (u, _) = store::users::get_for_login(&mut c.conn(), username)
                .await?
                .ok_or(AppError::Internal(format!("demo user {username} missing")))?;
            let role = u.role;
            Ok::<_, AppError>(Principal {
                user_id: u.id,
                token_id: None,
                role,
                unit_id: u.unit_id,
                username: u.username,
            })
        };
        let system = account("admin").await?;
        let steering = account("steering").await?;
        let (tasks, mut c) = {
            let mut c = db.acquire().await?;
            (
                store::tasks::tasks_of(&mut c.conn(), programme_id).await?,
                db.acquire().await?,
            )
        };
        let mut written = 0;
        for t in tasks {
            let n: i64 = t.code.parse().unwrap_or(0);
            let assignments: Vec<_> = store::tasks::assignments_of_task(&mut c.conn(), t.id)
                .await?
                .into_iter()
                .filter(|a| a.is_lead)
                .take(8)
                .collect();
            for (k, a) in assignments.iter().enumerate() {
                let due = a.original_due;
                let at = |d: NaiveDate| d.clamp(a.assigned_on, today);
                let report = |percent: i32, on: NaiveDate, claim: bool| NewReport {
                    percent,
                    narrative: format!("Báo cáo tiến độ nhiệm vụ {} ({percent}%)", t.code),
                    results: claim.then(|| "Văn bản đã ban hành".to_string()),
                    difficulties: (percent < 50)
                        .then(|| "Chờ ý kiến các cơ quan phối hợp".to_string()),
                    needs_steering: percent < 30 && n % 2 == 0,
                    proposals: None,
                    claims_completion: claim,
                    reported_on: Some(at(on)),
                    form_token: None,
                };
                // Completed (on time or late) only where the deadline passed more than a month ago.
                let long_past = due.filter(|d| *d + chrono::Duration::days(30) < today);
                match ((n + k as i64) % 5, long_past) {
                    (0 | 1, Some(d)) => {
                        let done_on = if (n + k as i64) % 5 == 0 {
                            d - chrono::Duration::days(10)
                        } else {
                            d + chrono::Duration::days(20)
                        };
                        submit(
                            db,
                            &system,
                            a.id,
                            report(50, done_on - chrono::Duration::days(40), false),
                            &[],
                        )
                        .await?;
                        submit(db, &system, a.id, report(100, done_on, true), &[]).await?;
                        // Decided a week after the claim, on the day it would have been.
                        verify_on(
                            db,
                            &steering,
                            a.id,
                            Decision {
                                approve: true,
                                comment: Some("Đạt yêu cầu".into()),
                            },
                            at(done_on + chrono::Duration::days(7)),
                        )
                        .await?;
                        written += 3;
                    }
                    (2, _) => {
                        submit(
                            db,
                            &system,
                            a.id,
                            report(70, today - chrono::Duration::days(5), false),
                            &[],
                        )
                        .await?;
                        written += 1;
                    }
                    (3, _) => {
                        submit(
                            db,
                            &system,
                            a.id,
                            report(20, today - chrono::Duration::days(90), false),
                            &[],
                        )
                        .await?;
                        written += 1;
                    }
                    // Claims waiting for the assigning level, and one returned with its reasons.
                    (4, _) if n % 3 != 2 => {
                        let on = today - chrono::Duration::days(n % 10);
                        submit(db, &system, a.id, report(100, on, true), &[]).await?;
                        written += 1;
                        if n % 3 == 1 {
                            verify_on(
                                db,
                                &steering,
                                a.id,
                                Decision {
                                    approve: false,
                                    comment: Some("Chưa có văn bản ban hành kèm theo".into()),
                                },
                                today,
                            )
                            .await?;
                            written += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(written)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_hierarchy_has_the_2025_units() {
        let h = hierarchy();
        let current = |kind: &str| {
            h.units
                .iter()
                .filter(|u| u.unit.kind == kind && u.unit.valid_to.is_none())
                .count()
        };
        assert_eq!(current("province"), 34);
        assert_eq!(current("commune"), 2621);
        assert_eq!(current("ward"), 687);
        assert_eq!(current("special_zone"), 13);
        assert_eq!(current("national"), 1);
        // Parents always precede children, so ids can be assigned in order.
        for (i, u) in h.units.iter().enumerate() {
            if let Some(p) = u.parent {
                assert!(p < i);
            }
        }
        // Codes of units in force are unique.
        let mut seen = std::collections::HashSet::new();
        for u in h.units.iter().filter(|u| u.unit.valid_to.is_none()) {
            assert!(
                seen.insert(u.unit.code.clone().unwrap()),
                "duplicate {:?}",
                u.unit.code
            );
        }
    }

    #[test]
    fn tuyen_quang_absorbed_ha_giang() {
        let h = hierarchy();
        let idx = h
            .units
            .iter()
            .position(|u| u.unit.code.as_deref() == Some("08") && u.unit.valid_to.is_none())
            .unwrap();
        let mut preds: Vec<&str> = h
            .links
            .iter()
            .filter(|l| l.1 == idx)
            .map(|l| h.units[l.0].unit.name_vi.as_str())
            .collect();
        preds.sort();
        assert_eq!(preds, ["Tỉnh Hà Giang", "Tỉnh Tuyên Quang"]);
    }

    #[test]
    fn local_names_translate_kind_words() {
        assert_eq!(
            local_names("Phường Ba Đình"),
            (
                Some("Ba Đình Ward".into()),
                Some("Quartier de Ba Đình".into())
            )
        );
        assert_eq!(
            local_names("Tỉnh Đắk Lắk").0.as_deref(),
            Some("Đắk Lắk Province")
        );
    }
}
