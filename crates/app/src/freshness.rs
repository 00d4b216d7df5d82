//! How fresh the data are, at the cost of one tiny read per moment rather than per request.
//!
//! A cached public page may be served only if nothing it was built from changed before the
//! request arrived. Reading the versions on every request would put the database back on the
//! path of every cached page; instead concurrent requests share one read, provided that read
//! *started after they arrived*. That keeps the rule exact (a write committed before a request
//! is always seen by it) while a crowd of readers costs one read per read's duration. Waiters
//! are woken together by a broadcast, not handed a lock one after another.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::watch;

pub use store::versions::Versions;

use crate::db::Db;
use crate::error::AppResult;

pub struct Freshness {
    /// How many reads have started.
    started: AtomicU64,
    /// Whether a read is under way (its reader is the one that set this).
    reading: AtomicBool,
    /// The last finished read: (its number, what it saw).
    last: watch::Sender<(u64, Versions)>,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            started: AtomicU64::new(0),
            reading: AtomicBool::new(false),
            last: watch::Sender::new((0, Versions::default())),
        }
    }
}

/// The reader's turn: released when the read ends, however it ends.
struct Turn<'a>(&'a Freshness);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.reading.store(false, Ordering::SeqCst);
        // Wakes the waiters: they find the answer, or one of them reads again.
        self.0.last.send_modify(|_| {});
    }
}

impl Freshness {
    /// The versions as of some moment after this call began.
    pub async fn current(&self, db: &Db) -> AppResult<Versions> {
        let arrived = self.started.load(Ordering::SeqCst);
        let mut rx = self.last.subscribe();
        loop {
            // A read numbered above `arrived` began after this request did: its answer is fresh.
            let (n, v) = *rx.borrow_and_update();
            if n > arrived {
                return Ok(v);
            }
            if self
                .reading
                .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
                // Whatever happens to this request (an error, or its client gone and this
                // future dropped mid-read), the turn is given back and the waiters woken.
                let _turn = Turn(self);
                let mut c = db.acquire().await?;
                let v = store::versions::current(&mut c.conn()).await?;
                self.last.send_replace((n, v));
                return Ok(v);
            }
            // Someone else is reading: wait for its answer (or its failure), then look again.
            if rx.changed().await.is_err() {
                return Err(crate::error::AppError::Unavailable);
            }
        }
    }
}
