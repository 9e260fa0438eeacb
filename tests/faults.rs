//! Fault injection against a PostgreSQL the tests control: a throwaway
//! cluster of this test binary's own (whatever DATABASE_URL says), which
//! the tests restart, stop and lock. Load is kept to seconds.

#[path = "harness/mod.rs"]
mod harness;

use harness::TestApp as App;
use preferred_item_service::auth::{AuthMode, KeyRing};
use preferred_item_service::config::{Settings, Source};
use preferred_item_service::local_postgres::LocalCluster;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex as AsyncMutex;

/// One cluster for the whole binary. The tests take turns: some stop it,
/// and all measure time.
fn cluster() -> &'static LocalCluster {
    static CLUSTER: std::sync::OnceLock<LocalCluster> = std::sync::OnceLock::new();
    CLUSTER.get_or_init(|| LocalCluster::throwaway().expect("starting a throwaway cluster"))
}

static EXCLUSIVE: AsyncMutex<()> = AsyncMutex::const_new(());

const ACQUIRE_MS: u64 = 1000;

/// The application with the demo catalog, write keys on and a small,
/// impatient pool, on a fresh database of this binary's cluster. Answers
/// come from the database unless `adjust` says otherwise: these tests are
/// about what each request does when the database fails it.
async fn spawn(adjust: impl FnOnce(&mut Settings)) -> App {
    harness::spawn_app_on(&cluster().url("postgres"), |settings| {
        settings.preferred_item.source = Source::Database;
        settings.demo_data = Some(true);
        settings.auth.mode = AuthMode::Writes;
        settings.auth.keys = KeyRing::parse(&["write:writer-key-0123456789".into()]).unwrap();
        settings.database.max_connections = 4;
        settings.database.acquire_timeout_ms = ACQUIRE_MS;
        settings.database.lock_timeout_ms = ACQUIRE_MS;
        settings.server.body_read_timeout_ms = 1000;
        adjust(settings);
    })
    .await
}

const QUERY: &str = r#"{"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]}"#;

trait Probes {
    async fn preferred(&self) -> (u16, String);
    async fn status_of(&self, path: &str) -> u16;
}

impl Probes for App {
    async fn preferred(&self) -> (u16, String) {
        match self
            .client
            .post(format!("{}/preferreditem", self.address))
            .header("content-type", "application/json")
            .body(QUERY)
            .send()
            .await
        {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(e) => (0, e.to_string()),
        }
    }

    async fn status_of(&self, path: &str) -> u16 {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .map_or(0, |r| r.status().as_u16())
    }
}

/// (started, elapsed, status, body) of each request of a bounded load.
type Log = Arc<Mutex<Vec<(Instant, Duration, u16, String)>>>;

fn start_load(
    app: Arc<App>,
    workers: usize,
    until: Instant,
) -> (Log, Vec<tokio::task::JoinHandle<()>>) {
    let log: Log = Arc::default();
    let handles = (0..workers)
        .map(|_| {
            let (app, log) = (app.clone(), log.clone());
            tokio::spawn(async move {
                while Instant::now() < until {
                    let started = Instant::now();
                    let (status, body) = app.preferred().await;
                    log.lock()
                        .unwrap()
                        .push((started, started.elapsed(), status, body));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    (log, handles)
}

fn assert_no_leak(body: &str) {
    for needle in [
        "SELECT",
        "sqlx",
        "postgres",
        "panicked",
        "error returned from database",
        "Connection refused",
        "backtrace",
    ] {
        assert!(
            !body.contains(needle),
            "an error body leaks {needle:?}: {body}"
        );
    }
}

async fn restart_under_load(mode: &str) {
    let _turn = EXCLUSIVE.lock().await;
    let app = Arc::new(spawn(|_| {}).await);
    assert_eq!(app.preferred().await.0, 200);
    let until = Instant::now() + Duration::from_secs(6);
    let (log, handles) = start_load(app.clone(), 6, until);

    tokio::time::sleep(Duration::from_millis(1000)).await;
    cluster().stop(mode).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster().start_throwaway_again().unwrap();
    let back = Instant::now();
    for h in handles {
        h.await.unwrap();
    }

    let log = log.lock().unwrap();
    assert!(log.len() > 50, "the load ran: {} requests", log.len());
    for (_, _, status, body) in log.iter() {
        assert!(
            *status == 200 || *status == 503,
            "{mode}: status {status}: {body}"
        );
        if *status == 503 {
            assert_no_leak(body);
        }
    }
    let late: Vec<_> = log
        .iter()
        .filter(|(started, ..)| *started >= back + Duration::from_secs(2))
        .collect();
    assert!(!late.is_empty());
    assert!(
        late.iter().all(|(_, _, status, _)| *status == 200),
        "{mode}: not all requests succeeded 2 s after the database came back: {:?}",
        late.iter().map(|l| l.2).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_fast_restart_under_load_gives_only_503s_then_full_recovery() {
    restart_under_load("fast").await;
}

#[tokio::test]
async fn an_immediate_restart_under_load_gives_only_503s_then_full_recovery() {
    restart_under_load("immediate").await;
}

#[tokio::test]
async fn with_the_database_stopped_503s_come_in_time_and_readiness_follows() {
    let _turn = EXCLUSIVE.lock().await;
    let app = spawn(|_| {}).await;
    assert_eq!(app.status_of("/health/ready").await, 200);

    cluster().stop("fast").unwrap();
    // Observe first, assert after the database is back, so that a failure
    // here does not leave the other tests without one.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = app.preferred().await;
        answers.push((status, body, started.elapsed()));
    }
    let ready_while_down = app.status_of("/health/ready").await;
    let live_while_down = app.status_of("/health/live").await;
    cluster().start_throwaway_again().unwrap();
    let back = Instant::now();

    for (status, body, took) in &answers {
        assert_eq!(*status, 503, "{body}");
        assert_no_leak(body);
        assert!(
            *took <= Duration::from_millis(ACQUIRE_MS + 500),
            "a 503 took {took:?}"
        );
    }
    assert_eq!(ready_while_down, 503);
    assert_eq!(live_while_down, 200);

    // Recovered within 2 s, without a restart of the service.
    harness::until(
        "recovery",
        Duration::from_secs(2).saturating_sub(back.elapsed()),
        || async { app.preferred().await.0 == 200 && app.status_of("/health/ready").await == 200 },
    )
    .await;
}

#[tokio::test]
async fn a_held_table_lock_exhausts_the_pool_but_not_the_service() {
    let _turn = EXCLUSIVE.lock().await;
    let app = Arc::new(spawn(|_| {}).await);
    let mut locker = harness::lock_table(&app.database_url, "items").await;

    // Twice as many requests as connections.
    let stuck: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                let (status, body) = app.preferred().await;
                (status, body, started.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Meanwhile, what needs no database is answered at once.
    let quick = Instant::now();
    assert_eq!(app.status_of("/health/live").await, 200);
    let bad_json = app
        .client
        .post(format!("{}/preferreditem", app.address))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let no_key = app
        .client
        .post(format!("{}/items", app.address))
        .json(&json!({"identifier": "x", "bricks": [{"design_id": 1, "color_codes": [1]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    assert!(
        quick.elapsed() < Duration::from_millis(300),
        "took {:?}",
        quick.elapsed()
    );

    for handle in stuck {
        let (status, body, took) = handle.await.unwrap();
        assert_eq!(status, 503, "{body}");
        assert_no_leak(&body);
        assert!(
            took <= Duration::from_millis(2 * ACQUIRE_MS + 500),
            "a 503 took {took:?}"
        );
    }
    locker.execute("ROLLBACK").await.unwrap();
    assert_eq!(app.preferred().await.0, 200);
}

#[tokio::test]
async fn a_client_that_sends_its_body_too_slowly_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _turn = EXCLUSIVE.lock().await;
    let app = spawn(|_| {}).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"POST /preferreditem HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"bricks\"")
        .await
        .unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the connection was not cut off");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_then_exits_zero() {
    let _turn = EXCLUSIVE.blocking_lock();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(harness::create_database_on(&cluster().url("postgres")));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_preferred-item-service"))
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("APP__SERVER__PORT", port.to_string())
        .env("APP__SERVER__HOST", "127.0.0.1")
        .env("APP__SERVER__METRICS_PORT", "0")
        .env("APP__DATABASE__LOCK_TIMEOUT_MS", "20000")
        .env("APP__DATABASE__STATEMENT_TIMEOUT_MS", "20000")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let ready = format!("http://127.0.0.1:{port}/health/ready");
        harness::until("the service to start", Duration::from_secs(20), || async {
            client
                .get(&ready)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        let mut locker = harness::lock_table(&url, "items").await;

        let in_flight = tokio::spawn({
            let client = client.clone();
            async move {
                client
                    .get(format!("http://127.0.0.1:{port}/items/item1"))
                    .send()
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        tokio::time::sleep(Duration::from_millis(700)).await;
        locker.execute("COMMIT").await.unwrap();

        let response = in_flight
            .await
            .unwrap()
            .expect("the request in flight was answered");
        assert_eq!(response.status(), 200);
    });
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// A preferred-item answer with its catalog headers.
async fn answer(app: &App) -> (u16, serde_json::Value, Option<String>, Option<String>) {
    let response = app
        .client
        .post(format!("{}/preferreditem", app.address))
        .header("content-type", "application/json")
        .body(QUERY)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (version, stale) = (
        header("x-catalog-version"),
        header("x-catalog-stale-seconds"),
    );
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or_default(),
        version,
        stale,
    )
}

#[tokio::test]
async fn with_the_database_stopped_the_memory_catalog_answers_and_catches_up_after() {
    let _turn = EXCLUSIVE.lock().await;
    let app = spawn(|s| s.preferred_item.source = Source::Memory).await;
    let (status, before, version, stale) = answer(&app).await;
    assert_eq!(status, 200, "{before}");
    assert!(version.is_some());
    assert_eq!(stale, None, "no staleness while the database answers");

    cluster().stop("fast").unwrap();
    // The follower notices at its next read, within one poll interval.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(answer(&app).await);
    }
    let write = app
        .client
        .put(format!("{}/masterdata/item1", app.address))
        .bearer_auth("writer-key-0123456789")
        .json(&json!({"status": "Normal", "price": 7}))
        .send()
        .await
        .unwrap();
    let write_status = write.status().as_u16();
    let write_body = write.text().await.unwrap();
    let ready = app.get("/health/ready").await;
    let live_while_down = app.status_of("/health/live").await;
    cluster().start_throwaway_again().unwrap();

    for (status, body, version, stale) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body, &before, "the last applied state answers");
        assert!(version.is_some());
        let stale: u64 = stale
            .as_deref()
            .expect("a staleness header")
            .parse()
            .unwrap();
        assert!((1..=5).contains(&stale), "stale for {stale} s");
    }
    assert_eq!(write_status, 503, "{write_body}");
    assert_no_leak(&write_body);
    assert_eq!(
        ready.status, 200,
        "reads are served, so the replica stays ready"
    );
    assert_eq!(ready.body["status"], "degraded");
    assert_eq!(live_while_down, 200);

    // A change made elsewhere after the restart is served within 1 s.
    let mut writer = harness::eventually("a connection", Duration::from_secs(10), || async {
        PgConnection::connect(&app.database_url).await.ok()
    })
    .await;
    writer
        .execute("UPDATE master_data SET price = 7 WHERE identifier = 'item1'")
        .await
        .unwrap();
    let changed = Instant::now();
    let stale = harness::eventually(
        "the change served within 1 s",
        Duration::from_secs(1),
        || async {
            let (status, body, _, stale) = answer(&app).await;
            (status == 200 && body["item_info"]["price"] == json!(7)).then_some(stale)
        },
    )
    .await;
    assert_eq!(stale, None, "caught up, so no longer stale");
    println!(
        "change after the restart served after {:?}",
        changed.elapsed()
    );
    assert_eq!(app.get("/health/ready").await.body["status"], "ok");
}

#[tokio::test]
async fn a_restart_under_load_never_interrupts_memory_answers() {
    let _turn = EXCLUSIVE.lock().await;
    let app = Arc::new(spawn(|s| s.preferred_item.source = Source::Memory).await);
    let until = Instant::now() + Duration::from_secs(5);
    let (log, handles) = start_load(app.clone(), 6, until);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    cluster().stop("immediate").unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    cluster().start_throwaway_again().unwrap();
    for h in handles {
        h.await.unwrap();
    }
    let log = log.lock().unwrap();
    assert!(log.len() > 50, "the load ran: {} requests", log.len());
    for (_, took, status, body) in log.iter() {
        assert_eq!(*status, 200, "{body}");
        assert!(
            *took < Duration::from_millis(500),
            "an answer took {took:?}"
        );
    }
}

#[tokio::test]
async fn readiness_waits_for_the_first_snapshot() {
    let _turn = EXCLUSIVE.lock().await;
    // A database whose feed table is locked: the snapshot cannot start.
    let url = harness::create_database_on(&cluster().url("postgres")).await;
    let pool = preferred_item_service::pool(&test_pool_options(), &url).unwrap();
    preferred_item_service::migrate(&pool).await.unwrap();
    preferred_item_service::seed_demo_data(&pool).await.unwrap();
    let mut locker = harness::lock_table(&url, "catalog_feed").await;
    let mut settings = harness::test_settings();
    settings.database.url = Some(url.clone().into());
    let application = preferred_item_service::startup::Application::build(&settings, pool).unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run());
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            let request = if path == "/preferreditem" {
                client
                    .post(format!("{address}{path}"))
                    .header("content-type", "application/json")
                    .body(QUERY)
            } else {
                client.get(format!("{address}{path}"))
            };
            request.send().await.unwrap().status().as_u16()
        }
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status("/health/live").await, 200);
    assert_eq!(status("/health/ready").await, 503);
    assert_eq!(status("/preferreditem").await, 503);

    locker.execute("ROLLBACK").await.unwrap();
    let released = Instant::now();
    harness::until(
        "readiness",
        Duration::from_secs(2).saturating_sub(released.elapsed()),
        || async { status("/health/ready").await == 200 },
    )
    .await;
    assert_eq!(status("/preferreditem").await, 200);
}

fn test_pool_options() -> preferred_item_service::PoolOptions {
    harness::test_settings().pool_options()
}

#[tokio::test]
async fn trimming_goes_in_batches_and_a_failed_run_is_counted_and_reported() {
    let app = harness::spawn_app_with(|s| {
        s.preferred_item.source = Source::Database;
        s.preferred_item.feed_trim_interval_secs = 1;
    })
    .await;
    // 25,000 old rows: three batches of at most 10,000.
    let mut sql = PgConnection::connect(&app.database_url).await.unwrap();
    sql.execute(
        "INSERT INTO catalog_changes (identifier, recorded_at)
         SELECT 'gone' || g, now() - interval '1 hour' FROM generate_series(1, 25000) g",
    )
    .await
    .unwrap();
    let gone = preferred_item_service::catalog::trim_feed(&app.pool, 60)
        .await
        .unwrap();
    assert_eq!(gone, 25_000);
    assert_eq!(app.count("SELECT count(*) FROM catalog_changes").await, 0);

    // Fresh rows stay, and the trimmer reports them.
    app.create_priced("kept", &[(1, &[1])], "Normal", "1").await;
    harness::until("the backlog reported", Duration::from_secs(5), || async {
        app.metrics().await.value("catalog_feed_rows") >= Some(2.0)
    })
    .await;
    let page = app.metrics().await;
    assert!(page.get("catalog_feed_oldest_seconds") < 60.0);
    assert_eq!(page.get("catalog_feed_trim_failures_total"), 0.0);

    // A lock that outlasts the lock timeout makes a run fail: a warning and
    // a count, and the next run after it goes through.
    let mut locker = harness::lock_table(&app.database_url, "catalog_changes").await;
    harness::until("a failed trim counted", Duration::from_secs(10), || async {
        app.metrics().await.get("catalog_feed_trim_failures_total") >= 1.0
    })
    .await;
    locker.execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn a_write_waits_at_most_two_seconds_for_its_replica_and_says_so() {
    let app = harness::spawn_app_with(|s| {
        s.demo_data = Some(true);
        s.preferred_item.source = Source::Memory;
        // Longer than the bound: the feed's reads wait on the lock below.
        s.database.lock_timeout_ms = 8_000;
        s.database.statement_timeout_ms = 10_000;
    })
    .await;
    let write = |price: i64| {
        let app = &app;
        async move {
            let started = Instant::now();
            let reply = app
                .client
                .put(app.url("/masterdata/item1"))
                .json(&json!({"status": "Normal", "price": price}))
                .send()
                .await
                .unwrap();
            (
                reply.status().as_u16(),
                reply
                    .headers()
                    .get("x-catalog-caught-up")
                    .map(|v| v.to_str().unwrap().to_owned()),
                started.elapsed(),
            )
        }
    };
    let (status, header, _) = write(11).await;
    assert_eq!((status, header), (200, None));

    let mut locker = harness::lock_table(&app.database_url, "catalog_feed").await;
    let (status, header, took) = write(12).await;
    locker.execute("ROLLBACK").await.unwrap();
    assert_eq!(status, 200, "committed");
    assert_eq!(header.as_deref(), Some("false"));
    assert!(
        (Duration::from_millis(1900)..Duration::from_millis(3500)).contains(&took),
        "answered after {took:?}"
    );
    // The write was committed, and the replica applies it once it can.
    app.settle().await;
    assert_eq!(app.get("/masterdata/item1").await.body["price"], json!(12));
}
