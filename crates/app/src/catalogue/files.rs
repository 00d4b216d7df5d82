//! Documents attached to an entry: added by those who declare it, read by whoever reads the entry
//! (so a public entry's documents are public: the form says so).

use std::path::Path;

use chrono::Utc;

use super::{IndexCache, entry_for, readable};
use crate::attachments::{Upload, store_files};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::freshness::Freshness;
use domain::policy::{Action, Principal};
use store::audit::{Actor, Change, to_json};
use store::catalogue::FileRow;
use store::org_index::OrgIndex;

/// Attaches one document to an entry (its unit's people); checked by content first, nothing
/// written when refused. Any state: a document does not change what was reviewed.
pub async fn attach(
    db: &Db,
    data_dir: &Path,
    max_bytes: usize,
    who: &Principal,
    id: i64,
    upload: Upload,
) -> AppResult<FileRow> {
    {
        let mut c = db.acquire().await?;
        entry_for(&mut c.conn(), who, id, |_| Action::DeclareCatalogue).await?;
    }
    let stored = store_files(data_dir, max_bytes, std::slice::from_ref(&upload)).await?;
    let f = stored.first().ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut c = tx.conn();
    // Checked again inside the transaction: the entry may have gone meanwhile.
    entry_for(&mut c, who, id, |_| Action::DeclareCatalogue).await?;
    let row = store::catalogue::insert_file(&mut c, id, f, now).await?;
    let change = Change::new("catalogue.attach", "catalogue_entry", id).after(to_json(&row));
    store::audit::commit(tx, &Actor::of(who), now, vec![change]).await?;
    Ok(row)
}

/// An entry's documents, for whoever reads the entry.
pub async fn files(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    who: Option<&Principal>,
    id: i64,
) -> AppResult<Vec<FileRow>> {
    readable(db, org, fresh, cache, who, id).await?;
    let mut c = db.acquire().await?;
    store::catalogue::files_of(&mut c.conn(), id).await
}

/// A document and its content, for whoever reads its entry.
#[allow(clippy::too_many_arguments)]
pub async fn file(
    db: &Db,
    org: &OrgIndex,
    fresh: &Freshness,
    cache: &IndexCache,
    data_dir: &Path,
    who: Option<&Principal>,
    file_id: i64,
) -> AppResult<(FileRow, Vec<u8>)> {
    let f = {
        let mut c = db.acquire().await?;
        store::catalogue::get_file(&mut c.conn(), file_id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    // The entry's visibility decides, as for the entry itself.
    files(db, org, fresh, cache, who, f.entry_id).await?;
    let bytes = tokio::fs::read(data_dir.join(&f.stored_as))
        .await
        .map_err(|_| AppError::NotFound)?;
    Ok((f, bytes))
}
