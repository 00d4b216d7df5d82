//! A backup taken while citizens keep submitting restores into a working database: every
//! submission acknowledged before the backup began is in it, and the audit chain verifies.
//! SQLite through `nqtrack backup` (VACUUM INTO), PostgreSQL through pg_dump and pg_restore.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, Call, TestApp};
use sqlx::Connection;

/// Submissions acknowledged (201) and when.
type Acked = Arc<Mutex<Vec<(String, Instant)>>>;

fn writers(
    app: &TestApp,
    stop: &Arc<AtomicBool>,
    acked: &Acked,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..6)
        .map(|w| {
            let (stop, acked, url) = (stop.clone(), acked.clone(), app.url("/api/v1/feedback"));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let body = serde_json::json!({
                        "kind": "report",
                        "category": "public_services",
                        "title": format!("Sao lưu {w}-{n}"),
                        "body": "Cổng dịch vụ công báo lỗi khi nộp hồ sơ trực tuyến vào buổi sáng.",
                        "submitter_kind": "citizen",
                    });
                    let (s, v) = client.post(&url).json(&body).call_json().await;
                    if s == 201 {
                        let code = v["code"].as_str().unwrap().to_string();
                        acked.lock().unwrap().push((code, Instant::now()));
                    }
                }
            })
        })
        .collect()
}

async fn run(backend: Backend) {
    let app = TestApp::start_with(backend, |c| c.feedback_per_ip_hour = 1_000_000).await;
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Acked = Arc::default();
    let tasks = writers(&app, &stop, &acked);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let began = Instant::now();
    let restored_url = match backend {
        Backend::Sqlite => {
            let out = common::scratch().join(format!("backup-{}.db", common::unique()));
            let status = Command::new(env!("CARGO_BIN_EXE_nqtrack"))
                .args(["backup", &out.to_string_lossy()])
                .env("NQTRACK_DATABASE_URL", &app.db_url)
                .env("NQTRACK_LOG", "error")
                .status()
                .unwrap();
            assert!(status.success());
            format!("sqlite://{}", out.display())
        }
        Backend::Postgres => {
            let dump = common::scratch().join(format!("backup-{}.dump", common::unique()));
            let status = Command::new("pg_dump")
                .args([
                    "--format=custom",
                    "--file",
                    &dump.to_string_lossy(),
                    &app.db_url,
                ])
                .status()
                .unwrap();
            assert!(status.success(), "pg_dump");
            let name = format!("nqt_restore_{}", common::unique().to_lowercase());
            let mut admin = sqlx::PgConnection::connect(&common::pg_admin_url())
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            let url = common::pg_url_for(&name);
            let status = Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &url, &dump.to_string_lossy()])
                .status()
                .unwrap();
            assert!(status.success(), "pg_restore");
            url
        }
    };
    // Writes go on after the backup too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let before: Vec<String> = acked
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(c, _)| c.clone())
        .collect();
    assert!(before.len() >= 10, "writers were writing: {}", before.len());
    let restored = app::db::Db::connect(&restored_url).await.unwrap();
    let mut missing = vec![];
    for code in &before {
        let n: i64 = match &restored {
            app::db::Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM feedback_items WHERE code = $1")
                    .bind(code)
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
            app::db::Db::Pg(p) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM feedback_items WHERE code = $1")
                    .bind(code)
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        if n != 1 {
            missing.push(code.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing after restore: {missing:?}"
    );
    // The restored database is whole: its audit chain verifies from the first record to the last.
    let verified = app::audit::verify_chain(&restored).await.unwrap();
    assert!(
        verified.is_ok_and(|n| n as usize >= before.len()),
        "audit chain of the restored copy"
    );
    restored.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_during_writes_restores_every_acknowledged_item() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dump_during_writes_restores_every_acknowledged_item() {
    run(Backend::Postgres).await;
}
