//! Test harness: every test gets its own database, cloned from a template that holds the real
//! hierarchy and the demo accounts, and its own server on a free port. `both!` runs a test body
//! on SQLite and on PostgreSQL; PostgreSQL must be reachable (NQTRACK_TEST_PG_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres) or the PostgreSQL tests fail.

#![allow(dead_code)]

pub mod smtp_sink;

use std::path::PathBuf;
use std::sync::OnceLock;

use app::config::Config;
use app::db::Db;
use domain::policy::{Principal, Role};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::OnceCell;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn pg_admin_url() -> String {
    std::env::var("NQTRACK_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn pg_url_for(db: &str) -> String {
    let base = pg_admin_url();
    let cut = base.rfind('/').expect("database URL has a path");
    format!("{}/{db}", &base[..cut])
}

pub fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("nqtrack-tests-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

pub fn unique() -> String {
    app::auth::random_token()[..12].to_string()
}

async fn seed(db: &Db) {
    db.migrate().await.expect("migrate");
    seed::load_builtin(db).await.expect("hierarchy");
    seed::demo_users(db).await.expect("demo users");
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();
static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let build = scratch().join("build.db");
            let db = Db::connect(&format!("sqlite://{}", build.display()))
                .await
                .unwrap();
            seed(&db).await;
            let tpl = scratch().join("template.db");
            let Db::Sqlite(p) = &db else { unreachable!() };
            sqlx::query("VACUUM INTO $1")
                .bind(tpl.display().to_string())
                .execute(p)
                .await
                .unwrap();
            db.close().await;
            tpl
        })
        .await
        .clone()
}

/// Builds the template once per test process. Databases are named after the process id, so that
/// several test runs can share a server; those left by processes that are gone are dropped.
async fn pg_template() -> String {
    PG_TEMPLATE
        .get_or_init(|| async {
            let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for the test suite ({}): {e}",
                        pg_admin_url()
                    )
                });
            let old: Vec<String> =
                sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'nqt\\_%'")
                    .fetch_all(&mut admin)
                    .await
                    .unwrap();
            for d in old {
                let pid = d.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
                let alive =
                    pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
                if !alive {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{d}\" WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            }
            let name = format!("nqt_tpl_{}", std::process::id());
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap();
            let db = Db::connect(&pg_url_for(&name)).await.unwrap();
            seed(&db).await;
            db.close().await;
            name
        })
        .await
        .clone()
}

/// A fresh database for one test.
pub async fn fresh_db(backend: Backend) -> (Db, String) {
    match backend {
        Backend::Sqlite => {
            let tpl = sqlite_template().await;
            let path = scratch().join(format!("t-{}.db", unique()));
            std::fs::copy(tpl, &path).unwrap();
            let url = format!("sqlite://{}", path.display());
            (Db::connect(&url).await.unwrap(), url)
        }
        Backend::Postgres => {
            let tpl = pg_template().await;
            let name = format!("nqt_t_{}_{}", std::process::id(), unique());
            let mut admin = sqlx::PgConnection::connect(&pg_admin_url()).await.unwrap();
            let mut tries = 0;
            // Two CREATE DATABASE … TEMPLATE at the same moment can collide; retry briefly.
            while let Err(e) = sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
                .execute(&mut admin)
                .await
            {
                tries += 1;
                assert!(tries < 50, "cannot create test database: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let url = pg_url_for(&name);
            (Db::connect(&url).await.unwrap(), url)
        }
    }
}

pub struct TestApp {
    pub db: Db,
    pub db_url: String,
    pub base: String,
    pub backend: Backend,
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with settings changed by `f` (e.g. mail to a local SMTP sink).
    pub async fn start_with(backend: Backend, f: impl FnOnce(&mut Config)) -> TestApp {
        let (db, db_url) = fresh_db(backend).await;
        db.close().await;
        Self::start_on(backend, db_url, f).await
    }

    /// Another instance on an existing database (its own pool, caches and writer).
    pub async fn start_on(
        backend: Backend,
        db_url: String,
        f: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = Db::connect(&db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut cfg = Config {
            data_dir: scratch().join(format!("data-{}", unique())),
            public_base_url: format!("http://{addr}"),
            ..Config::default()
        };
        f(&mut cfg);
        let state = web::AppState::new(db.clone(), cfg);
        tokio::spawn(web::serve(listener, state));
        TestApp {
            db,
            db_url,
            base: format!("http://{addr}"),
            backend,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn anon(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// The CSRF token rendered in a page's forms.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let html = client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        extract_csrf(&html).unwrap_or_else(|| panic!("no CSRF field on {path}"))
    }

    /// Signs in through the form; returns the response of the POST.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let csrf = self.csrf(client, "/login").await;
        client
            .post(self.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", username),
                ("password", password),
                ("next", "/org"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let c = self.browser();
        let r = self.sign_in(&c, username, seed::DEMO_PASSWORD).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {username} failed"
        );
        c
    }

    /// An API token for a demo user, issued directly through the use case.
    pub async fn token(&self, username: &str) -> String {
        let (user_id, root) = {
            let mut c = self.db.acquire().await.unwrap();
            let u = store::users::get_for_login(&mut c.conn(), username)
                .await
                .unwrap()
                .expect("user")
                .0;
            let root = store::org::find_current_by_code(&mut c.conn(), "VN")
                .await
                .unwrap()
                .unwrap();
            (u.id, root.id)
        };
        let admin = Principal {
            user_id: 0,
            token_id: None,
            role: Role::Administrator,
            unit_id: root,
            username: "test".into(),
        };
        let t = app::tokens::create(
            &self.db,
            &admin,
            app::tokens::CreateToken {
                user_id,
                name: "test".into(),
                role: None,
                unit_id: None,
                expires_in_days: None,
                form_token: None,
            },
        )
        .await
        .unwrap();
        t.secret
    }

    pub async fn unit_id(&self, code: &str) -> i64 {
        let mut c = self.db.acquire().await.unwrap();
        store::org::find_current_by_code(&mut c.conn(), code)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("unit {code}"))
            .id
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        let mut c = self.db.acquire().await.unwrap();
        store::users::get_for_login(&mut c.conn(), username)
            .await
            .unwrap()
            .expect("user")
            .0
            .id
    }

    pub async fn audit_count(&self) -> i64 {
        let mut c = self.db.acquire().await.unwrap();
        store::audit::list(
            &mut c.conn(),
            &store::audit::ListFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .1
    }

    /// Runs SQL directly against the test database (to tamper with it, or to look behind the API).
    pub async fn exec(&self, sql: &str) {
        match &self.db {
            Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Db::Pg(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .unwrap();
    }

    pub async fn scalar_text(&self, sql: &str) -> String {
        match &self.db {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap()
    }

    /// Every row's single text column, in the query's order.
    pub async fn scalar_texts(&self, sql: &str) -> Vec<String> {
        match &self.db {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        }
        .unwrap()
    }

    /// An anonymous visitor's page in a language (`vi`, `en`, `fr`), whatever its status.
    pub async fn page_in(&self, path: &str, lang: &str) -> String {
        self.anon()
            .get(self.url(path))
            .header("cookie", format!("nqt_lang={lang}"))
            .call()
            .await
            .text()
            .await
            .unwrap()
    }

    /// The inbox counters (kept by triggers) agree with a count of the items, both ways.
    pub async fn assert_inbox_counts(&self) {
        let missing = self
            .scalar_i64(
                "SELECT COUNT(*) FROM (SELECT unit_id, kind, state, category, COUNT(*) AS n
                   FROM feedback_items GROUP BY unit_id, kind, state, category) g
                 LEFT JOIN feedback_unit_counts c ON c.unit_id = g.unit_id AND c.kind = g.kind
                   AND c.state = g.state AND c.category = g.category
                 WHERE c.n IS NULL OR c.n <> g.n",
            )
            .await;
        let stale = self
            .scalar_i64(
                "SELECT COUNT(*) FROM feedback_unit_counts c WHERE c.n <> (SELECT COUNT(*)
                   FROM feedback_items i WHERE i.unit_id = c.unit_id AND i.kind = c.kind
                   AND i.state = c.state AND i.category = c.category)",
            )
            .await;
        assert_eq!((missing, stale), (0, 0), "inbox counters off");
    }

    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        match &self.db {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Db::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap()
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")?;
    let rest = &html[i + 20..];
    Some(rest[..rest.find('"')?].to_string())
}

pub async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({s}, {ct}): {text}"));
    if !s.is_success() {
        assert_eq!(
            ct, "application/problem+json",
            "errors are problem details: {text}"
        );
    }
    (s, v)
}

/// Defines `sqlite::$name` and `postgres::$name` running the same body.
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::common::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::common::TestApp::start($crate::common::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::common::TestApp::start($crate::common::Backend::Postgres).await).await;
            }
        }
    };
}

/// An API client that sends a bearer token with every request.
pub fn bearer(token: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(h)
        .build()
        .unwrap()
}

/// Sending a request in tests: a request that cannot be sent at all is a test failure.
pub trait Call {
    /// Sends the request.
    fn call(self) -> impl std::future::Future<Output = reqwest::Response> + Send;
    /// Sends the request and reads the JSON answer (problem details when it failed).
    fn call_json(self) -> impl std::future::Future<Output = (StatusCode, Value)> + Send;
    /// Sends the request and reads the status and the body as text.
    fn call_text(self) -> impl std::future::Future<Output = (StatusCode, String)> + Send;
}

impl Call for reqwest::RequestBuilder {
    async fn call(self) -> reqwest::Response {
        self.send().await.expect("request sent")
    }

    async fn call_json(self) -> (StatusCode, Value) {
        json(self.call().await).await
    }

    async fn call_text(self) -> (StatusCode, String) {
        let r = self.call().await;
        let s = r.status();
        (s, r.text().await.expect("body read"))
    }
}

/// A province ranking method made by `steering` from the project's example (with the inspection
/// pillar): its id and its first version's id, approved and published when `publish`.
pub async fn example_method(
    app: &TestApp,
    steering: &reqwest::Client,
    code: &str,
    publish: bool,
) -> (i64, i64) {
    let document = serde_json::to_value(seed::demo_rankings::example_method(true)).unwrap();
    let (s, v) = steering
        .post(app.url("/api/v1/methods"))
        .json(&serde_json::json!({"code": code, "peer_group": "province", "name_vi": format!("Chỉ số thử {code}"), "example": true, "document": document}))
        .call_json()
        .await;
    assert_eq!(s, 201, "{v}");
    let (method, version) = (
        v["method"]["id"].as_i64().unwrap(),
        v["version"]["id"].as_i64().unwrap(),
    );
    if publish {
        for action in ["approve", "publish"] {
            let (s, v) = steering
                .post(app.url(&format!("/api/v1/method-versions/{version}/actions")))
                .json(&serde_json::json!({"action": action}))
                .call_json()
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }
    (method, version)
}

/// An inspection finding for `unit` in `period`, entered by `inspector` with its evidence.
pub async fn finding(
    app: &TestApp,
    inspector: &reqwest::Client,
    unit: i64,
    period: &str,
    value: f64,
) {
    let (s, v) = inspector
        .post(app.url("/api/v1/expert-scores"))
        .json(&serde_json::json!({"key": "inspection", "unit_id": unit, "period": period, "value": value, "evidence": "Biên bản kiểm tra"}))
        .call_json()
        .await;
    assert_eq!(s, 200, "{v}");
}
