//! `spawn_app()`: a fresh database, the application on a random port, and
//! typed request helpers. Shared by the API tests and the fault-injection
//! tests; each binary uses part of it.
#![allow(dead_code)]

use preferred_item_service::auth::AuthMode;
use preferred_item_service::config::{Settings, Source};
use preferred_item_service::local_postgres::LocalCluster;
use preferred_item_service::startup::Application;
use preferred_item_service::telemetry::{self, LogFormat};
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::sync::OnceLock;
use std::time::Duration;

mod clusters;
mod liveness;
mod metrics;
#[allow(dead_code)]
pub mod otlp;
mod proxy;
mod wait;

// Each test binary uses part of the harness.
#[allow(unused_imports)]
pub use clusters::{create_database, item1, url_on};
#[allow(unused_imports)]
pub use liveness::Liveness;
#[allow(unused_imports)]
pub use metrics::MetricsPage;
#[allow(unused_imports)]
pub use proxy::Proxy;
#[allow(unused_imports)]
pub use wait::{eventually, eventually_or, until};

/// The server URL test databases are created on, made once per process.
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            telemetry::init(LogFormat::Pretty, "debug");
        }
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => LocalCluster::throwaway()
                .expect("starting a throwaway PostgreSQL cluster")
                .url("postgres"),
        }
    })
}

/// `server_url()` with another database name.
pub fn database_url(name: &str) -> String {
    database_url_on(server_url(), name)
}

fn database_url_on(server: &str, name: &str) -> String {
    let mut url = url::Url::parse(server).expect("a valid DATABASE_URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub struct TestApp {
    pub address: String,
    /// The metrics listener, when enabled.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    /// A pool on the test's own database, to check what was stored.
    pub pool: PgPool,
    /// The URL of the test's own database.
    pub database_url: String,
}

/// The settings every test app starts from.
pub fn test_settings() -> Settings {
    let mut settings = Settings::default();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.server.metrics_port = 0;
    settings.server.workers = 2;
    settings.demo_data = Some(false);
    // Access control has its own tests (auth.rs); elsewhere it is off.
    settings.auth.mode = AuthMode::Off;
    settings.rate_limit.enabled = false;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the application on a fresh, migrated database after letting the
/// test adjust the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(server_url(), adjust).await
}

/// `spawn_app_with` with preferred-item answers from `source`.
pub async fn spawn_app_from(source: Source, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.preferred_item.source = source;
        adjust(s);
    })
    .await
}

/// Runs each named `async fn(Source)` as two tests, `memory::name` and
/// `database::name`: the preferred-item tests hold for both sources.
#[macro_export]
macro_rules! for_both_sources {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $name() {
                super::$name(preferred_item_service::config::Source::Memory).await
            })*
        }
        mod database {
            $(#[tokio::test]
            async fn $name() {
                super::$name(preferred_item_service::config::Source::Database).await
            })*
        }
    };
}

/// A fresh, empty database on the server at `server`; its URL.
pub async fn create_database_on(server: &str) -> String {
    let name = format!("pis_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(server)
        .await
        .expect("connecting to the test server");
    admin
        .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("creating the test database");
    database_url_on(server, &name)
}

/// `spawn_app_with` on a fresh database of the server at `server`.
pub async fn spawn_app_on(server: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = create_database_on(server).await;
    spawn_replica(&url, adjust).await
}

/// Another application on the database at `url` (migrated if need be): a
/// replica beside the ones already serving it.
pub async fn spawn_replica(url: &str, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = url.to_owned();
    let mut settings = test_settings();
    settings.database.url = Some(SecretString::from(url.clone()));
    adjust(&mut settings);

    let pool =
        preferred_item_service::pool(&settings.pool_options(), &url).expect("building the pool");
    preferred_item_service::migrate(&pool)
        .await
        .expect("migrating the test database");
    if settings.demo_data() {
        preferred_item_service::seed_demo_data(&pool)
            .await
            .expect("seeding demo data");
    }
    let application = Application::build(&settings, pool.clone()).expect("building the app");
    let address = format!("http://127.0.0.1:{}", application.port());
    let metrics_address = application
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(application.run());
    if settings.preferred_item.source == Source::Memory {
        // Preferred-item routes answer 503 until the first snapshot is in.
        let client = reqwest::Client::new();
        until("readiness", Duration::from_secs(10), || async {
            let ready = client.get(format!("{address}/health/ready")).send().await;
            ready.is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
    }
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap(),
        pool,
        database_url: url,
    }
}

/// A response's status, headers and JSON body, read once.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn from(response: Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("reading the body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem document: status, content type, and the fields
    /// named in `errors`, in order.
    pub fn assert_problem(&self, status: u16, fields: &[&str]) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:problem:")));
        assert!(self.body["title"].is_string());
        assert!(self.body["detail"].is_string());
        assert_eq!(
            self.body["request_id"].as_str(),
            self.header("x-request-id"),
            "the problem carries the request id"
        );
        let named: Vec<&str> = self.body["errors"]
            .as_array()
            .expect("errors is an array")
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, fields, "body: {}", self.body);
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        Reply::from(self.client.delete(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> Reply {
        self.send_raw(method, path, body.to_string()).await
    }

    pub async fn send_raw(&self, method: reqwest::Method, path: &str, body: String) -> Reply {
        let response = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        Reply::from(response).await
    }

    /// `method path` with `headers`, and a JSON body when given.
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Reply::from(request.send().await.unwrap()).await
    }

    /// Creates an item with bricks given as `(design, colours)` pairs.
    pub async fn create_item(&self, id: &str, bricks: &[(i64, &[i64])]) {
        let reply = self.post_json("/items", &item_json(id, bricks)).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "creating {id}: {}",
            reply.body
        );
    }

    pub async fn put_master_data(&self, id: &str, status: &str, price: &str) {
        let body = format!(r#"{{"status": "{status}", "price": {price}}}"#);
        let reply = self
            .send_raw(reqwest::Method::PUT, &format!("/masterdata/{id}"), body)
            .await;
        assert!(
            reply.status.is_success(),
            "master data of {id}: {}",
            reply.body
        );
    }

    /// Creates an item and its master data.
    pub async fn create_priced(
        &self,
        id: &str,
        bricks: &[(i64, &[i64])],
        status: &str,
        price: &str,
    ) {
        self.create_item(id, bricks).await;
        self.put_master_data(id, status, price).await;
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

impl TestApp {
    /// Waits until this replica's catalog in memory holds what the tables
    /// hold (after writes that did not go through it), for at most 5 s.
    pub async fn settle(&self) {
        self.settle_within(std::time::Duration::from_secs(5)).await;
    }

    /// `settle` within `within`; returns the replica's `GET /catalog`
    /// (null with the database source, which holds no catalog).
    pub async fn settle_within(&self, within: std::time::Duration) -> Value {
        let Some(metrics) = &self.metrics_address else {
            return Value::Null;
        };
        // The pool may hold connections a restarted server dropped.
        let (items, digest) = eventually("the tables' digest", within, || async {
            preferred_item_service::catalog::database_digest(&self.pool)
                .await
                .ok()
        })
        .await;
        let what = format!("the catalog in memory to reach the tables' state ({items} items)");
        eventually(&what, within, || async {
            let reply = self
                .client
                .get(format!("{metrics}/catalog"))
                .send()
                .await
                .unwrap();
            if reply.status() == StatusCode::NOT_FOUND {
                return Some(Value::Null);
            }
            let body: Value = reply.json().await.unwrap();
            (body["digest"] == digest.as_str() && body["items"] == items).then_some(body)
        })
        .await
    }

    /// This replica's metrics page.
    pub async fn metrics(&self) -> MetricsPage {
        MetricsPage::scrape(self.metrics_address.as_ref().expect("metrics are enabled")).await
    }

    /// `POST /masterdata/bulk` with `records`, each a JSON object as text
    /// (so that prices keep their literal form).
    pub async fn bulk_master_data(&self, records: &[String]) -> Reply {
        let body = format!("[{}]", records.join(","));
        self.send_raw(reqwest::Method::POST, "/masterdata/bulk", body)
            .await
    }

    /// The status and price copied onto items and item_bricks agree with
    /// master data everywhere.
    pub async fn assert_copies_consistent(&self) {
        let drift = self
            .count(
                "SELECT (SELECT count(*) FROM items i LEFT JOIN master_data md USING (identifier)
                         WHERE i.status_rank IS DISTINCT FROM md.status_rank
                            OR i.price IS DISTINCT FROM md.price)
                      + (SELECT count(*) FROM item_bricks ib LEFT JOIN master_data md USING (identifier)
                         WHERE ib.status_rank IS DISTINCT FROM md.status_rank
                            OR ib.price IS DISTINCT FROM md.price)",
            )
            .await;
        assert_eq!(
            drift, 0,
            "rows whose status or price copy drifted from master data"
        );
    }
}

/// A connection on `url` holding `table` in ACCESS EXCLUSIVE mode, in a
/// transaction that stays open until the connection ends or runs
/// `ROLLBACK`/`COMMIT`: whatever touches the table waits meanwhile.
pub async fn lock_table(url: &str, table: &str) -> PgConnection {
    let mut locker = PgConnection::connect(url).await.unwrap();
    locker.execute("BEGIN").await.unwrap();
    let lock = format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(lock))
        .execute(&mut locker)
        .await
        .unwrap();
    locker
}

pub fn bricks_json(bricks: &[(i64, &[i64])]) -> Value {
    Value::Array(
        bricks
            .iter()
            .map(|(d, c)| json!({"design_id": d, "color_codes": c}))
            .collect(),
    )
}

pub fn item_json(id: &str, bricks: &[(i64, &[i64])]) -> Value {
    json!({"identifier": id, "bricks": bricks_json(bricks)})
}

/// The real binary, serving on a free port of 127.0.0.1 with `env` and
/// nothing else of ours (metrics on a free port too), once it answers
/// `/health/live`.
pub struct Binary {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS:`, `VmHWM:`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// `POST url` with `body` as JSON, as bytes sent unchanged.
pub async fn post_raw_json(
    client: &reqwest::Client,
    url: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A port of 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `start_binary`, returned once `/health/ready` answers 200.
pub async fn start_ready_binary(env: &[(&str, String)]) -> Binary {
    let service = start_binary(env, std::process::Stdio::null()).await;
    let ready = format!("{}/health/ready", service.base);
    until("readiness", Duration::from_secs(30), || async {
        reqwest::get(&ready).await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    service
}

pub async fn start_binary(env: &[(&str, String)], stdout: std::process::Stdio) -> Binary {
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_preferred-item-service"))
        .env_clear()
        .env("APP__SERVER__HOST", "127.0.0.1")
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__SERVER__METRICS_PORT", "0")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(stdout)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    until("the service to start", Duration::from_secs(30), || async {
        reqwest::get(format!("{base}/health/live")).await.is_ok()
    })
    .await;
    Binary { child, base }
}
