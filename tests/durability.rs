//! Every acknowledged submission survives a crash: the real server binary takes a load of
//! public submissions, is killed with SIGKILL in the middle, and every tracking code it answered
//! 201 for is in the database afterwards. On SQLite (WAL) and PostgreSQL.

mod common;

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn run(backend: common::Backend) {
    let (db, url) = common::fresh_db(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("nqt-dur-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_nqtrack"))
        .arg("serve")
        .env("NQTRACK_DATABASE_URL", &url)
        .env("NQTRACK_DATA_DIR", &dir)
        .env("NQTRACK_LISTEN", format!("127.0.0.1:{port}"))
        .env("NQTRACK_JOBS_EVERY_SECS", "0")
        .env("NQTRACK_FEEDBACK_PER_IP_HOUR", "1000000")
        .env("NQTRACK_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let started = Instant::now();
    let mut workers = vec![];
    for w in 0..16 {
        let (client, base, acked) = (client.clone(), base.clone(), acked.clone());
        workers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = serde_json::json!({
                    "kind": "report", "category": "public_services",
                    "title": format!("Phản ánh {w}-{i}"),
                    "body": "Cổng dịch vụ công báo lỗi khi nộp hồ sơ trực tuyến vào buổi sáng.",
                    "submitter_kind": "citizen"
                });
                match client
                    .post(format!("{base}/api/v1/feedback"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => {
                        if let Ok(v) = r.json::<serde_json::Value>().await
                            && let Some(code) = v["code"].as_str()
                        {
                            acked.lock().unwrap().push(code.to_string());
                        }
                    }
                    // The server is gone: the load is over.
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL: no shutdown, no flush, no chance to finish in-flight transactions.
    server.kill().unwrap();
    server.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "the load ran ({} acknowledged in {:?})",
        acked.len(),
        started.elapsed()
    );
    // Read back with a fresh connection (a new pool: nothing cached from the dead process).
    db.close().await;
    let db = app::db::Db::connect(&url).await.unwrap();
    let mut c = db.acquire().await.unwrap();
    let mut missing = vec![];
    for code in &acked {
        let parsed = domain::feedback::TrackingCode::parse(code).expect("a tracking code");
        if store::feedback::by_code(&mut c.conn(), &parsed)
            .await
            .unwrap()
            .is_none()
        {
            missing.push(code.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged codes lost: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(5)]
    );
    // The audit chain written alongside is intact too.
    assert!(
        store::audit::verify_chain(&mut c.conn())
            .await
            .unwrap()
            .is_ok()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_submission_after_sigkill() {
    run(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_submission_after_sigkill() {
    run(common::Backend::Postgres).await;
}

/// Acknowledged means on stable storage, not only in the OS cache: every SQLite connection syncs
/// the WAL at each commit (`synchronous = FULL`, 2), and PostgreSQL commits wait for the WAL flush.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_connections_sync_every_commit() {
    let (db, _) = common::fresh_db(common::Backend::Sqlite).await;
    // Every connection of the pool, not only the first: hold several at once.
    let mut held = vec![];
    for _ in 0..4 {
        held.push(db.acquire().await.unwrap());
    }
    drop(held);
    for _ in 0..8 {
        assert_eq!(db.durability().await.unwrap(), "2", "synchronous = FULL");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commits_wait_for_the_wal_flush() {
    let (db, _) = common::fresh_db(common::Backend::Postgres).await;
    assert_eq!(db.durability().await.unwrap(), "on");
}
