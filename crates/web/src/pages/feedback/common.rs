//! Helpers shared by the feedback pages: the categories and their names in the page language.

use crate::AppState;
use crate::error::AppResult;
use crate::pages::common::PageCtx;
use app::records::Category;

pub(super) async fn categories(s: &AppState) -> AppResult<Vec<Category>> {
    Ok(app::feedback::categories(&s.db).await?)
}

pub(super) fn category_name(p: &PageCtx, cats: &[Category], code: &str) -> String {
    cats.iter()
        .find(|c| c.code == code)
        .map(|c| match p.lang.code() {
            "en" => c.name_en.clone(),
            "fr" => c.name_fr.clone(),
            _ => c.name_vi.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}
