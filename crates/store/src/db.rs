//! The storage backends: SQLite (embedded default) and PostgreSQL (production).
//!
//! There is no `sqlx::Any`: each query is written once with `$N` placeholders and the [`on_conn!`]
//! macro compiles it for both native drivers, so types (dates, timestamps, booleans) are bound
//! natively on each side. SQL for each concern lives in `crate::store`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

/// The longest an interactive write waits for SQLite's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// A connection borrowed from either backend, inside or outside a transaction.
pub enum DbConn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Pg(&'a mut PgConnection),
}

/// Runs the same block against whichever backend `$conn` (a `&mut DbConn`) holds; inside the block
/// `$c` is the native connection.
#[macro_export]
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}

/// A write transaction. On SQLite it holds this process's turn at the write lock (see
/// [`Db::begin`]) until it commits or is dropped.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Pg(Transaction<'static, Postgres>),
}

impl Tx {
    pub fn conn(&mut self) -> DbConn<'_> {
        match self {
            Tx::Sqlite(t, _) => DbConn::Sqlite(&mut *t),
            Tx::Pg(t) => DbConn::Pg(&mut *t),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        let done = match self {
            Tx::Sqlite(t, _turn) => t.commit().await,
            Tx::Pg(t) => t.commit().await,
        };
        // Counted whatever the outcome: a failed commit only costs readers one extra read.
        LOCAL_COMMITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        done
    }
}

/// How many write transactions this process has ended. A reader that remembers the count from
/// before its read knows that no write of this process has committed since, so what it read is
/// still current as far as this process can tell (see `app::freshness`).
static LOCAL_COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn local_commits() -> u64 {
    LOCAL_COMMITS.load(std::sync::atomic::Ordering::SeqCst)
}

/// One queue of writers per SQLite file in this process. SQLite has a single write lock, and
/// writers that wait for it inside SQLite poll (the busy handler sleeps and retries), so a writer
/// that commits and begins again at once, like a background job's steps or the intake writer
/// under load, can keep others out for long. Queued here first, in arrival order, a write waits
/// only for the writes that came before it.
fn write_queue(pool: &SqlitePool) -> Arc<tokio::sync::Mutex<()>> {
    static QUEUES: OnceLock<std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    QUEUES
        .get_or_init(Default::default)
        .lock()
        .expect("write queues")
        .entry(file)
        .or_default()
        .clone()
}

pub enum Conn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Pg(sqlx::pool::PoolConnection<Postgres>),
}

impl Conn {
    pub fn conn(&mut self) -> DbConn<'_> {
        match self {
            Conn::Sqlite(c) => DbConn::Sqlite(&mut *c),
            Conn::Pg(c) => DbConn::Pg(&mut *c),
        }
    }
}

impl Db {
    /// Opens the database named by `url`: `postgres://…` or `sqlite://path` (created if missing).
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // An acknowledged write is on stable storage: the commit waits for the WAL flush
            // (the server default, set here so that a server configured otherwise does not
            // weaken the promise). A write waits for a lock at most as long as on SQLite, then
            // becomes a 503 with Retry-After.
            let lock_timeout = format!("{}ms", BUSY_TIMEOUT.as_millis());
            let opts = PgConnectOptions::from_str(url)?.options([
                ("synchronous_commit", "on"),
                ("lock_timeout", lock_timeout.as_str()),
            ]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Pg(pool))
        } else {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: every commit syncs the WAL, so an acknowledged write survives a power cut,
                // not only a killed process. Intake commits in groups, so this costs one sync
                // per group; background jobs commit in short steps.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // How long a writer waits for the write lock before the request becomes a 503
                // with Retry-After (background steps hold it for tens of milliseconds).
                .busy_timeout(BUSY_TIMEOUT);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await,
            Db::Pg(p) => sqlx::migrate!("migrations/postgres").run(p).await,
        }
    }

    /// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE` so that a transaction that
    /// reads before it writes waits for the write lock instead of failing with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => {
                // This process's writers take turns in arrival order (see `write_queue`); a
                // turn that does not come within the busy timeout is a busy database (503).
                let turn = tokio::time::timeout(BUSY_TIMEOUT, write_queue(p).lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Db::Pg(p) => Conn::Pg(p.acquire().await?),
        })
    }

    /// Writes a consistent copy of a SQLite database to `path` (VACUUM INTO: a snapshot that does
    /// not stop writers for long). PostgreSQL has its own tools.
    pub async fn backup_sqlite(&self, path: &str) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(p) => sqlx::query("VACUUM INTO $1")
                .bind(path)
                .execute(p)
                .await
                .map(|_| ()),
            Db::Pg(_) => Err(sqlx::Error::Configuration(
                "backup_sqlite on PostgreSQL".into(),
            )),
        }
    }

    /// The durability setting in force on a connection of this pool: SQLite's `synchronous`
    /// (2 = FULL) or PostgreSQL's `synchronous_commit`.
    pub async fn durability(&self) -> Result<String, sqlx::Error> {
        let mut c = self.acquire().await?;
        match &mut c {
            Conn::Sqlite(c) => sqlx::query_scalar::<_, i64>("PRAGMA synchronous")
                .fetch_one(&mut **c)
                .await
                .map(|n| n.to_string()),
            Conn::Pg(c) => {
                sqlx::query_scalar::<_, String>("SHOW synchronous_commit")
                    .fetch_one(&mut **c)
                    .await
            }
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let mut c = self.acquire().await?;
        on_conn!(&mut c.conn(), c => sqlx::query("SELECT 1").execute(&mut **c).await.map(|_| ()))
    }

    /// (open connections, idle connections) for /metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(p) => (p.size(), p.num_idle()),
            Db::Pg(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Pg(p) => p.close().await,
        }
    }
}
