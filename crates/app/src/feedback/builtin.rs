//! Built-in data: the default categories and the initiative review criteria.

use crate::db::Db;
use crate::error::AppResult;
use store::{self};

/// The default categories: the seven solution groups of Resolution 57 and common themes.
pub const DEFAULT_CATEGORIES: &[(&str, &str, &str, &str)] = &[
    (
        "awareness",
        "Nâng cao nhận thức, đổi mới tư duy",
        "Awareness and new thinking",
        "Sensibilisation et nouvelles façons de penser",
    ),
    (
        "institutions",
        "Hoàn thiện thể chế, chính sách",
        "Institutions and policies",
        "Institutions et politiques",
    ),
    (
        "investment",
        "Tăng cường đầu tư, hạ tầng cho KH, CN, ĐMST, CĐS",
        "Investment and infrastructure",
        "Investissement et infrastructures",
    ),
    (
        "human_resources",
        "Phát triển nguồn nhân lực, nhân tài",
        "Human resources and talent",
        "Ressources humaines et talents",
    ),
    (
        "digital_government",
        "Chuyển đổi số trong cơ quan nhà nước",
        "Digital transformation of the state",
        "Transformation numérique de l'État",
    ),
    (
        "enterprises",
        "Doanh nghiệp, khởi nghiệp đổi mới sáng tạo",
        "Businesses and start-ups",
        "Entreprises et start-up",
    ),
    (
        "international",
        "Hợp tác quốc tế",
        "International cooperation",
        "Coopération internationale",
    ),
    (
        "public_services",
        "Dịch vụ công trực tuyến",
        "Online public services",
        "Services publics en ligne",
    ),
    (
        "digital_infrastructure",
        "Hạ tầng số, viễn thông",
        "Digital infrastructure",
        "Infrastructures numériques",
    ),
    (
        "data",
        "Dữ liệu, cơ sở dữ liệu",
        "Data and databases",
        "Données et bases de données",
    ),
    (
        "ai",
        "Trí tuệ nhân tạo",
        "Artificial intelligence",
        "Intelligence artificielle",
    ),
    (
        "intellectual_property",
        "Sở hữu trí tuệ",
        "Intellectual property",
        "Propriété intellectuelle",
    ),
];

/// Loads the default categories and review sheet (idempotent).
pub async fn seed_defaults(db: &Db) -> AppResult<()> {
    let mut tx = db.begin().await?;
    for (i, (code, vi, en, fr, w)) in DEFAULT_CRITERIA.iter().enumerate() {
        store::feedback::insert_criterion(
            &mut tx.conn(),
            &store::feedback::Criterion {
                code: (*code).into(),
                name_vi: (*vi).into(),
                name_en: (*en).into(),
                name_fr: (*fr).into(),
                weight: *w,
            },
            i as i32,
        )
        .await?;
    }
    for (i, (code, vi, en, fr)) in DEFAULT_CATEGORIES.iter().enumerate() {
        store::feedback::insert_category(
            &mut tx.conn(),
            &store::feedback::Category {
                code: (*code).into(),
                name_vi: (*vi).into(),
                name_en: (*en).into(),
                name_fr: (*fr).into(),
            },
            i as i32,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The default review sheet for initiatives: novelty, feasibility, impact, cost (lower is better
/// for cost, so it is scored as "cost-effectiveness").
pub const DEFAULT_CRITERIA: &[(&str, &str, &str, &str, i32)] = &[
    ("novelty", "Tính mới", "Novelty", "Nouveauté", 2),
    (
        "feasibility",
        "Tính khả thi",
        "Feasibility",
        "Faisabilité",
        3,
    ),
    ("impact", "Hiệu quả, tác động", "Impact", "Impact", 3),
    (
        "cost",
        "Chi phí hợp lý",
        "Cost-effectiveness",
        "Rapport coût-efficacité",
        2,
    ),
];
