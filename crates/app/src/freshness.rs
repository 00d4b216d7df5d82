//! How fresh the data are, at the cost of one tiny read per moment rather than per request.
//!
//! A cached public page may be served only if nothing it was built from changed before the
//! request arrived. Reading the versions on every request would put the database back on the
//! path of every cached page, so there are two ways to know without reading:
//!
//! - **Writes of this process** are exact. Every write transaction of this process is counted
//!   when it ends (`store::db::local_commits`); the last read remembers the count from before it
//!   began. While no write has ended since, and the read is younger than [`OTHERS_WITHIN`], its
//!   answer is reused with no database work at all: an atomic load and a clock read.
//! - **Writes of other processes** (a second server on the same PostgreSQL, the command line)
//!   are not counted here, so they are seen at the latest [`OTHERS_WITHIN`] after they commit.
//!
//! Otherwise concurrent requests share one read, provided that read *started after they
//! arrived*: a write this process committed before a request is always seen by it, while a crowd
//! of readers costs one read per read's duration. Waiters are woken together by a broadcast, not
//! handed a lock one after another.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use std::time::{Duration, Instant};

use tokio::sync::watch;

pub use store::versions::Versions;

use crate::db::Db;
use crate::error::AppResult;

/// How long an answer is reused for writes this process cannot count (see the module comment).
pub const OTHERS_WITHIN: Duration = Duration::from_millis(200);

/// A finished read: its number, what it saw, and this process's write count and the time just
/// before it began.
#[derive(Clone, Copy)]
struct Read {
    n: u64,
    versions: Versions,
    commits: u64,
    at: Instant,
}

pub struct Freshness {
    /// How many reads have started.
    started: AtomicU64,
    /// Whether a read is under way (its reader is the one that set this).
    reading: AtomicBool,
    /// The last finished read.
    last: watch::Sender<Read>,
}

impl Default for Freshness {
    fn default() -> Self {
        Freshness {
            started: AtomicU64::new(0),
            reading: AtomicBool::new(false),
            last: watch::Sender::new(Read {
                n: 0,
                versions: Versions::default(),
                commits: u64::MAX,
                at: Instant::now(),
            }),
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
        let commits = store::db::local_commits();
        let last = *self.last.borrow();
        if last.commits == commits && last.at.elapsed() < OTHERS_WITHIN {
            return Ok(last.versions);
        }
        let arrived = self.started.load(Ordering::SeqCst);
        let mut rx = self.last.subscribe();
        loop {
            // A read numbered above `arrived` began after this request did: its answer is fresh.
            let r = *rx.borrow_and_update();
            if r.n > arrived {
                return Ok(r.versions);
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
                let (commits, at) = (store::db::local_commits(), Instant::now());
                let mut c = db.acquire().await?;
                let versions = store::versions::current(&mut c.conn()).await?;
                self.last.send_replace(Read {
                    n,
                    versions,
                    commits,
                    at,
                });
                return Ok(versions);
            }
            // Someone else is reading: wait for its answer (or its failure), then look again.
            if rx.changed().await.is_err() {
                return Err(crate::error::AppError::Unavailable);
            }
        }
    }
}
