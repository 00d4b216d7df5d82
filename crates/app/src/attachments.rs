//! Uploaded files (evidence of reports, attachments of feedback): checked by content, then stored
//! content-addressed under the data directory.

use std::path::{Path, PathBuf};

use domain::files::{self, StoredFile};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// An uploaded file before it is checked.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Checks every file first (nothing is written if one is refused), then stores them.
pub async fn store_files(
    data_dir: &Path,
    max_bytes: usize,
    files: &[Upload],
) -> AppResult<Vec<StoredFile>> {
    let mut errs = vec![];
    let mut checked = vec![];
    for f in files {
        let name = files::clean_name(&f.name);
        match files::check(&name, &f.bytes, max_bytes) {
            Ok(ct) => checked.push((name, ct, f)),
            Err(e) => errs.push(e.with("name", &name)),
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let mut out = vec![];
    for (name, ct, f) in checked {
        let sha = hex::encode(Sha256::digest(&f.bytes));
        let rel = format!("evidence/{}/{}", &sha[..2], sha);
        let path: PathBuf = data_dir.join(&rel);
        if tokio::fs::metadata(&path).await.is_err() {
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(AppError::internal)?;
            }
            let tmp = path.with_extension("part");
            tokio::fs::write(&tmp, &f.bytes)
                .await
                .map_err(AppError::internal)?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(AppError::internal)?;
        }
        out.push(StoredFile {
            file_name: name,
            content_type: ct,
            size: f.bytes.len() as i64,
            sha256: sha,
            stored_as: rel,
        });
    }
    Ok(out)
}
