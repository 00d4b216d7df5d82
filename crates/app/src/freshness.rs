//! How fresh the data are, at the cost of one tiny read per moment rather than per request.
//!
//! A cached public page may be served only if nothing it was built from changed before the
//! request arrived. Reading the versions on every request would put the database back on the
//! path of every cached page; instead concurrent requests share one read, provided that read
//! *started after they arrived*. That keeps the rule exact (a write committed before a request
//! is always seen by it) while a crowd of readers costs one read per read's duration.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

pub use store::versions::Versions;

use crate::db::Db;
use crate::error::AppResult;

#[derive(Default)]
pub struct Freshness {
    /// How many reads have started.
    started: AtomicU64,
    /// The last finished read: (its number, what it saw). The lock also keeps reads one at a time.
    last: Mutex<(u64, Versions)>,
}

impl Freshness {
    /// The versions as of some moment after this call began.
    pub async fn current(&self, db: &Db) -> AppResult<Versions> {
        let arrived = self.started.load(Ordering::SeqCst);
        let mut last = self.last.lock().await;
        // A read numbered above `arrived` began after this request did: its answer is fresh.
        if last.0 > arrived {
            return Ok(last.1);
        }
        let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        let mut c = db.acquire().await?;
        let v = store::versions::current(&mut c.conn()).await?;
        *last = (n, v);
        Ok(v)
    }
}
