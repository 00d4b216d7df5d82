//! Group commit: writes queued by concurrent requests are stored by one writer task in shared
//! transactions, and each request is answered only after the commit that holds its write. SQLite
//! has one writer and pays one fsync per commit; sharing the commit is what lets it take
//! thousands of small writes a second. Used by the public intake and the catalogue's heartbeats.

use std::future::Future;
use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// Stores a batch in one transaction. The outer error means nothing was written (the whole batch
/// failed); otherwise one answer per item, in order (an item refused alone, the others stored).
pub trait BatchWrite: Send + Sync + 'static {
    type Item: Send + 'static;
    type Out: Send + 'static;
    fn write<'a>(
        &'a self,
        batch: &'a mut [Self::Item],
    ) -> impl Future<Output = AppResult<Vec<AppResult<Self::Out>>>> + Send + 'a;
}

type Job<W> = (
    <W as BatchWrite>::Item,
    oneshot::Sender<AppResult<<W as BatchWrite>::Out>>,
);

/// The queue in front of one writer task, started on first use (inside the runtime that serves
/// the requests).
pub struct GroupCommit<W: BatchWrite> {
    writer: std::sync::Mutex<Option<W>>,
    batch: usize,
    queue: OnceLock<mpsc::Sender<Job<W>>>,
}

impl<W: BatchWrite> GroupCommit<W> {
    /// `batch`: most items one transaction stores.
    pub fn new(writer: W, batch: usize) -> Self {
        GroupCommit {
            writer: std::sync::Mutex::new(Some(writer)),
            batch: batch.max(1),
            queue: OnceLock::new(),
        }
    }

    /// Queues `item` and waits until the transaction holding it has committed (or failed).
    pub async fn submit(&self, item: W::Item) -> AppResult<W::Out> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * self.batch);
            let w = self
                .writer
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .expect("the writer starts once");
            tokio::spawn(run(w, rx, self.batch));
            tx
        });
        let stopped = || AppError::Internal("the writer stopped".into());
        let (reply, answer) = oneshot::channel();
        queue.send((item, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Further tries of a batch that found the database busy (each waits up to the busy timeout).
const BUSY_RETRIES: usize = 1;

async fn run<W: BatchWrite>(w: W, mut rx: mpsc::Receiver<Job<W>>, size: usize) {
    let mut jobs = Vec::with_capacity(size);
    while rx.recv_many(&mut jobs, size).await > 0 {
        let (mut items, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        let mut first = w.write(&mut items).await;
        // The database was busy (nothing was written): try the whole batch again before the
        // clients get a 503 with Retry-After.
        for _ in 0..BUSY_RETRIES {
            match &first {
                Err(e) if e.is_busy() => first = w.write(&mut items).await,
                _ => break,
            }
        }
        let results = match first {
            Ok(r) => r,
            Err(e) if e.is_busy() => (0..items.len())
                .map(|_| Err(AppError::Unavailable))
                .collect(),
            // One failing item must not sink the others: store them one by one.
            Err(_) if items.len() > 1 => {
                let mut out = Vec::with_capacity(items.len());
                for i in 0..items.len() {
                    out.push(
                        w.write(&mut items[i..=i])
                            .await
                            .and_then(|mut r| r.remove(0)),
                    );
                }
                out
            }
            Err(e) => vec![Err(e)],
        };
        for (reply, r) in replies.into_iter().zip(results) {
            let _ = reply.send(r);
        }
    }
}
