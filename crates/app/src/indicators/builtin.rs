//! Built-in indicator sets: Annex I of Resolution 03/NQ-CP (read from `data/`, every target
//! parsed, agencies resolved through the 2025 mergers), and a provincial KPI set that provinces
//! and communes report on every quarter.

use chrono::Utc;
use serde::Serialize;

use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};
use crate::import::indicators as annex;
use domain::FieldError;
use domain::assignees;
use domain::indicators::measure::Trajectory;
use domain::indicators::rules::{Importance, Missing};
use domain::indicators::target::{Comparator, Stated};
use domain::indicators::{Aggregation, Direction, PeriodId, PeriodType, ValueType};
use store::audit::{Actor, Change};
use store::indicators::{NewIndicator, NewSet, NewTarget};

pub const ANNEX_ONE: &str =
    include_str!("../../../../data/programme-03-nq-cp/annex-1-indicators.md");

/// The code of the Annex I set; its indicators are `NQ03.<number>`.
pub const ANNEX_ONE_SET: &str = "NQ03-PL1";
/// The provincial KPI set.
pub const PROVINCE_SET: &str = "KPI-TINH";

/// What an import did (or would do): nothing it could not read is left out.
#[derive(Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorImport {
    pub set_id: Option<i64>,
    pub indicators: usize,
    pub targets: usize,
    /// Numbers of the indicators whose target is words (kept as milestones).
    pub milestones: Vec<String>,
    /// (line, message): rows not read, agencies not matched.
    pub problems: Vec<(usize, String)>,
    pub dry_run: bool,
}

/// For a built-in set about to be created: refused if `code` exists; else the national unit
/// that owns it and the programme 03/NQ-CP it belongs to (when imported).
async fn new_set_owners(
    c: &mut crate::db::DbConn<'_>,
    code: &str,
) -> AppResult<(store::org::OrgUnit, Option<i64>)> {
    if store::indicators::set_by_code(c, code).await?.is_some() {
        return Err(AppError::Conflict(vec![FieldError::new(
            "code",
            "err-duplicate-set",
        )]));
    }
    let national = store::org::find_current_by_code(c, super::NATIONAL)
        .await?
        .ok_or_else(|| AppError::invalid(FieldError::new("owner", "err-no-such-unit")))?;
    let programme = store::tasks::programme_by_code(c, crate::programmes::NQ03.code).await?;
    Ok((national, programme))
}

/// Imports Annex I of 03/NQ-CP as the set `NQ03-PL1`, in one transaction.
pub fn import_annex_one<'a>(
    db: &'a Db,
    actor: &'a Actor,
    dry_run: bool,
) -> crate::BoxFuture<'a, AppResult<IndicatorImport>> {
    Box::pin(async move {
        let parsed = annex::parse(ANNEX_ONE);
        let mut report = IndicatorImport {
            dry_run,
            problems: parsed
                .problems
                .iter()
                .map(|p| (p.line, p.message.clone()))
                .collect(),
            ..Default::default()
        };
        let dict = crate::programmes::agency_dictionary(db).await?;
        let now = Utc::now();
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let (national, programme) = new_set_owners(&mut c, ANNEX_ONE_SET).await?;
        let set_id = store::indicators::insert_set(&mut c, &NewSet {
            code: ANNEX_ONE_SET,
            name_vi: "Phụ lục I — Các chỉ tiêu cụ thể của Chương trình hành động (Nghị quyết 03/NQ-CP)",
            name_en: "Annex I — Targets of the Government's action programme (Resolution 03/NQ-CP)",
            name_fr: "Annexe I — Objectifs du programme d'action du Gouvernement (résolution 03/NQ-CP)",
            programme_id: programme,
            owner_unit_id: national.id,
            period_type: PeriodType::Year,
            // National statistics for a year are published in the first quarter of the next.
            entry_days: 90,
        }, now).await?;
        let mut ids: std::collections::HashMap<String, i64> = Default::default();
        let mut rank_rules: Vec<String> = vec![];
        for (pos, row) in parsed.rows.iter().enumerate() {
            let who = assignees::read(&row.agency, &dict);
            for u in &who.unmatched {
                report.problems.push((
                    row.line,
                    format!("indicator {}: agency not matched: {u}", row.number),
                ));
            }
            let labels: Vec<String> = match &row.stated {
                Stated::Figures { targets } => {
                    targets.iter().filter_map(|t| t.label.clone()).collect()
                }
                Stated::Milestone { .. } => vec![],
            };
            let code = format!("NQ03.{}", row.number);
            let names = super::annex_one_names::of(&row.number);
            // A country's rank within South-East Asia cannot be worse than its world rank.
            if row.value_type == ValueType::Rank
                && labels.iter().any(|l| l == "Đông Nam Á")
                && labels.iter().any(|l| l == "Thế giới")
            {
                rank_rules.push(code.clone());
            }
            let ind = store::indicators::insert_indicator(
                &mut c,
                &NewIndicator {
                    set_id,
                    code: &code,
                    number: &row.number,
                    position: pos as i32,
                    parent_id: row.parent.as_ref().and_then(|p| ids.get(p).copied()),
                    name_vi: &row.name,
                    name_en: names.map_or("", |n| n.0),
                    name_fr: names.map_or("", |n| n.1),
                    definition: "",
                    method: "",
                    source: "Nghị quyết 03/NQ-CP, Phụ lục I",
                    unit_of_measure: &row.unit_of_measure,
                    value_type: row.value_type,
                    direction: row.direction,
                    // National figures: the responsible agency reports the figure for the country.
                    aggregation: Aggregation::None,
                    disaggregations: &labels.join("|"),
                    responsible_unit_id: who.units.first().copied(),
                    responsible_text: &row.agency,
                    is_public: true,
                },
                actor.user_id,
                now,
            )
            .await?;
            ids.insert(row.number.clone(), ind.id);
            report.indicators += 1;
            let period = PeriodId::Year(row.year);
            match &row.stated {
                Stated::Figures { targets } => {
                    for t in targets {
                        store::indicators::put_target(
                            &mut c,
                            &NewTarget {
                                indicator_id: ind.id,
                                unit_id: national.id,
                                disaggregation: t.label.as_deref().unwrap_or(""),
                                period,
                                kind: "target",
                                comparator: Some(t.comparator),
                                value: Some(t.value),
                                upper: t.upper,
                                note: t.note.as_deref().unwrap_or(""),
                                written: &row.result,
                                trajectory: Trajectory::Linear,
                                state: "approved",
                            },
                        )
                        .await?;
                        report.targets += 1;
                    }
                }
                Stated::Milestone { text } if !text.is_empty() => {
                    store::indicators::put_target(
                        &mut c,
                        &NewTarget {
                            indicator_id: ind.id,
                            unit_id: national.id,
                            disaggregation: "",
                            period,
                            kind: "milestone",
                            comparator: None,
                            value: None,
                            upper: None,
                            note: "",
                            written: text,
                            trajectory: Trajectory::Stepwise,
                            state: "approved",
                        },
                    )
                    .await?;
                    report.milestones.push(row.number.clone());
                }
                Stated::Milestone { .. } => {}
            }
        }
        for code in &rank_rules {
            let rule = format!("R.{code}");
            let names = [
                format!("Chỉ tiêu {code}: thứ hạng Đông Nam Á không lớn hơn thứ hạng thế giới"),
                format!("Indicator {code}: the South-East Asian rank is not above the world rank"),
                format!(
                    "Indicateur {code} : le rang en Asie du Sud-Est ne dépasse pas le rang mondial"
                ),
            ];
            let expression = format!("#{{{code}.Đông Nam Á}} <= #{{{code}.Thế giới}}");
            insert_rule(
                &mut c,
                set_id,
                &rule,
                &names,
                &expression,
                Importance::Blocking,
                now,
            )
            .await?;
        }
        report.set_id = Some(set_id);
        if dry_run {
            report.set_id = None;
            return Ok(report);
        }
        let summary = serde_json::json!({"code": ANNEX_ONE_SET, "indicators": report.indicators, "targets": report.targets, "milestones": report.milestones.len(), "problems": report.problems.len()});
        store::audit::commit(
            tx,
            actor,
            now,
            vec![
                Change::new("indicators.import", "indicator_set", set_id)
                    .after(Some(summary.to_string())),
            ],
        )
        .await?;
        Ok(report)
    })
}

/// One indicator of the provincial KPI set, with its national baseline (2024) and targets.
pub struct Kpi {
    pub code: &'static str,
    pub name: [&'static str; 3],
    pub unit: &'static str,
    pub value_type: ValueType,
    pub aggregation: Aggregation,
    pub definition: &'static str,
    pub baseline: Option<f64>,
    /// (year, comparator, value): milestones and the final target.
    pub targets: &'static [(i32, Comparator, f64)],
    pub trajectory: Trajectory,
}

/// The provincial KPI set: figures every province and commune reports each quarter. The
/// ratios mirror indicators 11.1, 11.3, 11.6 and 11.10 of Annex I at the local level; the
/// baselines are illustrative starting points for the demo, not official statistics.
pub const PROVINCE_KPIS: &[Kpi] = &[
    Kpi {
        code: "KPI.DVCTT",
        name: [
            "Tỉ lệ hồ sơ thủ tục hành chính được tiếp nhận, giải quyết trực tuyến",
            "Share of administrative procedure files received and processed online",
            "Part des dossiers de procédures administratives reçus et traités en ligne",
        ],
        unit: "%",
        value_type: ValueType::Percentage,
        aggregation: Aggregation::Ratio,
        definition: "Số hồ sơ tiếp nhận trực tuyến trong kỳ / tổng số hồ sơ tiếp nhận trong kỳ × 100.",
        baseline: Some(45.0),
        targets: &[
            (2027, Comparator::AtLeast, 65.0),
            (2030, Comparator::AtLeast, 80.0),
        ],
        trajectory: Trajectory::Linear,
    },
    Kpi {
        code: "KPI.TTTT",
        name: [
            "Tỉ lệ thanh toán trực tuyến trong giải quyết thủ tục hành chính",
            "Share of online payments in administrative procedures",
            "Part des paiements en ligne dans les procédures administratives",
        ],
        unit: "%",
        value_type: ValueType::Percentage,
        aggregation: Aggregation::Ratio,
        definition: "Số giao dịch thanh toán trực tuyến / tổng số giao dịch thanh toán phí, lệ phí thủ tục hành chính × 100.",
        baseline: Some(30.0),
        targets: &[(2030, Comparator::AtLeast, 80.0)],
        trajectory: Trajectory::Linear,
    },
    Kpi {
        code: "KPI.SHHS",
        name: [
            "Tỉ lệ hồ sơ, kết quả giải quyết thủ tục hành chính được số hóa",
            "Share of administrative files and results digitised",
            "Part des dossiers et résultats administratifs numérisés",
        ],
        unit: "%",
        value_type: ValueType::Percentage,
        aggregation: Aggregation::Ratio,
        definition: "Số hồ sơ, kết quả được số hóa / tổng số hồ sơ, kết quả giải quyết × 100.",
        baseline: Some(50.0),
        targets: &[(2030, Comparator::Reach, 100.0)],
        trajectory: Trajectory::Linear,
    },
    Kpi {
        code: "KPI.VBKS",
        name: [
            "Tỉ lệ văn bản đi được ký số và gửi trên môi trường điện tử",
            "Share of outgoing documents digitally signed and sent electronically",
            "Part des documents sortants signés et envoyés électroniquement",
        ],
        unit: "%",
        value_type: ValueType::Percentage,
        aggregation: Aggregation::Ratio,
        definition: "Số văn bản đi ký số, gửi điện tử / tổng số văn bản đi × 100.",
        baseline: Some(70.0),
        targets: &[
            (2026, Comparator::AtLeast, 90.0),
            (2030, Comparator::Reach, 100.0),
        ],
        trajectory: Trajectory::Stepwise,
    },
    Kpi {
        code: "KPI.KNS",
        name: [
            "Số cán bộ, công chức được bồi dưỡng kỹ năng số trong kỳ",
            "Officials trained in digital skills during the period",
            "Agents formés aux compétences numériques pendant la période",
        ],
        unit: "người",
        value_type: ValueType::Number,
        aggregation: Aggregation::Sum,
        definition: "Số lượt cán bộ, công chức, viên chức hoàn thành khóa bồi dưỡng kỹ năng số trong quý.",
        baseline: None,
        targets: &[],
        trajectory: Trajectory::Linear,
    },
    Kpi {
        code: "KPI.CKHCN",
        name: [
            "Chi ngân sách cho khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số",
            "Budget spent on science, technology, innovation and digital transformation",
            "Dépenses budgétaires pour la science, la technologie, l'innovation et la transformation numérique",
        ],
        unit: "triệu đồng",
        value_type: ValueType::Number,
        aggregation: Aggregation::Sum,
        definition: "Số chi ngân sách nhà nước thực hiện trong quý cho khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số.",
        baseline: None,
        targets: &[],
        trajectory: Trajectory::Linear,
    },
];

/// Adds a built-in validation rule (missing values skip it).
async fn insert_rule(
    c: &mut DbConn<'_>,
    set_id: i64,
    code: &str,
    names: &[String; 3],
    expression: &str,
    importance: Importance,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    store::indicators::insert_rule(
        c,
        &store::indicators::NewRule {
            set_id,
            code,
            name_vi: &names[0],
            name_en: &names[1],
            name_fr: &names[2],
            expression,
            missing: Missing::SkipIfAnyValueMissing,
            importance,
        },
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Creates the provincial KPI set with its national targets (every unit without a target of
/// its own is judged by them).
pub fn create_province_set<'a>(
    db: &'a Db,
    actor: &'a Actor,
) -> crate::BoxFuture<'a, AppResult<i64>> {
    Box::pin(async move {
        let now = Utc::now();
        let mut tx = db.begin().await?;
        let mut c = tx.conn();
        let (national, programme) = new_set_owners(&mut c, PROVINCE_SET).await?;
        let set_id = store::indicators::insert_set(
            &mut c,
            &NewSet {
                code: PROVINCE_SET,
                name_vi: "Bộ chỉ số chuyển đổi số cấp tỉnh, cấp xã",
                name_en: "Digital transformation KPIs of provinces and communes",
                name_fr: "Indicateurs de transformation numérique des provinces et des communes",
                programme_id: programme,
                owner_unit_id: national.id,
                period_type: PeriodType::Quarter,
                entry_days: 10,
            },
            now,
        )
        .await?;
        let mut ids = vec![];
        for (pos, k) in PROVINCE_KPIS.iter().enumerate() {
            let ind = store::indicators::insert_indicator(
                &mut c,
                &NewIndicator {
                    set_id,
                    code: k.code,
                    number: &(pos + 1).to_string(),
                    position: pos as i32,
                    parent_id: None,
                    name_vi: k.name[0],
                    name_en: k.name[1],
                    name_fr: k.name[2],
                    definition: k.definition,
                    method: "",
                    source: "Báo cáo của Ủy ban nhân dân cấp tỉnh, cấp xã",
                    unit_of_measure: k.unit,
                    value_type: k.value_type,
                    direction: Direction::Higher,
                    aggregation: k.aggregation,
                    disaggregations: "",
                    responsible_unit_id: None,
                    responsible_text: "Ủy ban nhân dân các tỉnh, thành phố; Ủy ban nhân dân cấp xã",
                    is_public: true,
                },
                actor.user_id,
                now,
            )
            .await?;
            ids.push(ind.id);
            if let Some(b) = k.baseline {
                store::indicators::put_target(
                    &mut c,
                    &NewTarget {
                        indicator_id: ind.id,
                        unit_id: national.id,
                        disaggregation: "",
                        period: PeriodId::Year(2024),
                        kind: "baseline",
                        comparator: None,
                        value: Some(b),
                        upper: None,
                        note: "",
                        written: "",
                        trajectory: k.trajectory,
                        state: "approved",
                    },
                )
                .await?;
            }
            for (year, cmp, v) in k.targets {
                store::indicators::put_target(
                    &mut c,
                    &NewTarget {
                        indicator_id: ind.id,
                        unit_id: national.id,
                        disaggregation: "",
                        period: PeriodId::Year(*year),
                        kind: "target",
                        comparator: Some(*cmp),
                        value: Some(*v),
                        upper: None,
                        note: "",
                        written: "",
                        trajectory: k.trajectory,
                        state: "approved",
                    },
                )
                .await?;
            }
        }
        let names = [
            "Chi ngân sách cho khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số trong quý thường lớn hơn 0".to_string(),
            "Budget spent on science, technology, innovation and digital transformation in a quarter is normally above 0".to_string(),
            "Les dépenses trimestrielles pour la science, la technologie, l'innovation et la transformation numérique sont normalement positives".to_string(),
        ];
        insert_rule(
            &mut c,
            set_id,
            "R.CKHCN",
            &names,
            "#{KPI.CKHCN} > 0",
            Importance::Warning,
            now,
        )
        .await?;
        let summary = serde_json::json!({"code": PROVINCE_SET, "indicators": ids.len()});
        store::audit::commit(
            tx,
            actor,
            now,
            vec![
                Change::new("indicators.create_set", "indicator_set", set_id)
                    .after(Some(summary.to_string())),
            ],
        )
        .await?;
        Ok(set_id)
    })
}
