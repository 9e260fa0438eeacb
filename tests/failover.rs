//! What a replica goes through when its database fails over or its network
//! path goes dark, on clusters made here from the machine's PostgreSQL
//! binaries, behind a TCP proxy that plays the endpoint:
//!
//! - a streaming standby (`pg_basebackup -R`) promoted after the primary
//!   stops, the endpoint switched to it;
//! - the read-only trap: the old primary stays up, read-only, and keeps
//!   the connections it has while new ones go to the promoted standby;
//! - a black hole: the proxy stops forwarding without closing anything.
//!
//! The promises (README, "Answers from memory" and "Database events"):
//! writes recover within 5 s of the endpoint pointing at the new primary;
//! a replica serves nothing the database does not hold for longer than
//! 2 s after the database is reachable again; on a black hole, answers
//! from memory say they are stale, readiness says "degraded", and writes
//! fail within the request deadline instead of hanging.

#[path = "harness/mod.rs"]
mod harness;

use harness::{create_database, item1, spawn_replica, until, url_on, Proxy, TestApp};
use preferred_item_service::local_postgres::LocalCluster;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

/// Writes resume within this of the endpoint pointing at the new primary.
const WRITES_RESUME: Duration = Duration::from_secs(5);
/// The 2 s promise, and slack for a loaded 2-core machine.
const CONVERGE: Duration = Duration::from_secs(4);
/// The request deadline these tests run with.
const REQUEST_DEADLINE_MS: u64 = 1_500;

/// One test at a time: a sign of a lost server marks every connection in
/// the process stale (a process has one database), so tests that ran side
/// by side would replace each other's connections and hide a missing
/// check.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn throwaway() -> LocalCluster {
    tokio::task::spawn_blocking(LocalCluster::throwaway)
        .await
        .unwrap()
        .unwrap()
}

/// A primary with a database `name` and a streaming standby of it.
async fn primary_and_standby(name: &str) -> (LocalCluster, LocalCluster) {
    let primary = throwaway().await;
    create_database(primary.port, name).await;
    let p = primary.clone();
    let standby = tokio::task::spawn_blocking(move || p.standby())
        .await
        .unwrap()
        .unwrap();
    (primary, standby)
}

/// A memory replica over `proxy`, with the demo catalog and short bounds.
async fn replica(proxy: &Proxy, name: &str) -> TestApp {
    spawn_replica(&url_on(proxy.port, name), |s| {
        s.demo_data = Some(true);
        s.database.acquire_timeout_ms = 500;
        s.database.request_timeout_ms = REQUEST_DEADLINE_MS;
        s.database.min_connections = 4;
        s.preferred_item.feed_read_timeout_ms = 1_000;
    })
    .await
}

/// Waits until the standby has replayed everything the primary has.
async fn caught_up(primary: &LocalCluster, standby: &LocalCluster, name: &str) {
    let mut on_primary = PgConnection::connect(&url_on(primary.port, name))
        .await
        .unwrap();
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut on_primary)
        .await
        .unwrap();
    let on_standby = sqlx::PgPool::connect(&url_on(standby.port, name))
        .await
        .unwrap();
    until(
        "the standby to replay the primary's WAL",
        CONVERGE,
        || async {
            sqlx::query_scalar::<_, bool>("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn")
                .bind(&lsn)
                .fetch_one(&on_standby)
                .await
                .unwrap_or(false)
        },
    )
    .await;
}

/// `PUT /masterdata/item1` at `price`, with a client-side bound so that a
/// hanging write fails the test instead of stalling it.
async fn put_price(app: &TestApp, price: u32) -> (u16, Duration) {
    let started = Instant::now();
    let reply = app
        .client
        .put(app.url("/masterdata/item1"))
        .json(&json!({"status": "Normal", "price": price}))
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let reply = match reply {
        Ok(r) => {
            let status = r.status().as_u16();
            if status != 200 {
                println!(
                    "PUT price {price}: {status} {}",
                    r.text().await.unwrap_or_default()
                );
            }
            status
        }
        Err(_) => 0,
    };
    (reply, started.elapsed())
}

/// Retries the write every 100 ms until it succeeds; how long that took.
async fn writes_resume(app: &TestApp, price: u32) -> Duration {
    let started = Instant::now();
    loop {
        let (status, _) = put_price(app, price).await;
        if status == 200 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "writes never resumed (last status {status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// item1's price as answered from memory.
async fn answered_price(app: &TestApp) -> f64 {
    let question = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]});
    let reply = app.post_json("/preferreditem", &question).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["item_info"]["price"].as_f64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_resume_and_replicas_converge_after_a_standby_is_promoted() {
    let _turn = SERIAL.lock().await;
    let name = format!("failover_{}", uuid::Uuid::new_v4().simple());
    let (primary, standby) = primary_and_standby(&name).await;
    let proxy = Proxy::start(primary.port).await;
    let app = replica(&proxy, &name).await;
    app.settle().await;
    assert_eq!(put_price(&app, 11).await.0, 200);
    caught_up(&primary, &standby, &name).await;

    primary.stop("immediate").unwrap();
    let s = standby.clone();
    tokio::task::spawn_blocking(move || s.promote())
        .await
        .unwrap()
        .unwrap();
    proxy.switch(standby.port);
    let resumed = writes_resume(&app, 12).await;
    println!("writes resumed {resumed:?} after the endpoint moved to the promoted standby");
    assert!(resumed <= WRITES_RESUME, "writes resumed after {resumed:?}");

    let state = app.settle_within(CONVERGE).await;
    assert_eq!(state["items"], 11);
    assert_eq!(answered_price(&app).await, 12.0);
    assert_eq!(item1(&app).await, "item1");
    let _ = standby.stop("immediate");
}

/// The read-only trap: a replica settled on a primary with a streaming
/// standby; then the old writer stays up and answers, read-only, while
/// the endpoint sends new connections to the promoted standby. The pool
/// still holds connections to the old writer (min_connections = 4).
struct Trap {
    primary: LocalCluster,
    standby: LocalCluster,
    app: TestApp,
    _proxy: Proxy,
}

async fn demoted_writer(name: &str) -> Trap {
    let (primary, standby) = primary_and_standby(name).await;
    let proxy = Proxy::start(primary.port).await;
    let app = replica(&proxy, name).await;
    app.settle().await;
    for price in 20..30 {
        assert_eq!(put_price(&app, price).await.0, 200);
    }
    caught_up(&primary, &standby, name).await;
    let mut old = PgConnection::connect(&url_on(primary.port, "postgres"))
        .await
        .unwrap();
    old.execute("ALTER SYSTEM SET default_transaction_read_only = on")
        .await
        .unwrap();
    old.execute("SELECT pg_reload_conf()").await.unwrap();
    let s = standby.clone();
    tokio::task::spawn_blocking(move || s.promote())
        .await
        .unwrap()
        .unwrap();
    proxy.redirect(standby.port);
    Trap {
        primary,
        standby,
        app,
        _proxy: proxy,
    }
}

impl Trap {
    /// The replica's catalog equals the new primary's tables.
    async fn assert_follows_the_new_primary(&self, name: &str) {
        let new_primary = sqlx::PgPool::connect(&url_on(self.standby.port, name))
            .await
            .unwrap();
        let (items, digest) = preferred_item_service::catalog::database_digest(&new_primary)
            .await
            .unwrap();
        let served: serde_json::Value = self
            .app
            .client
            .get(format!(
                "{}/catalog",
                self.app.metrics_address.as_ref().unwrap()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served["items"], items);
        assert_eq!(served["digest"], digest.as_str());
    }

    fn stop(&self) {
        let _ = self.primary.stop("immediate");
        let _ = self.standby.stop("immediate");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_on_a_demoted_read_only_writer_replace_its_connections() {
    let _turn = SERIAL.lock().await;
    let name = format!("readonly_{}", uuid::Uuid::new_v4().simple());
    let trap = demoted_writer(&name).await;
    let app = &trap.app;
    let evicted_before = app
        .metrics()
        .await
        .value("db_connections_evicted_total")
        .unwrap();
    // The first write meets the read-only server (25006): it gets 503, and
    // every connection open then is replaced.
    let resumed = writes_resume(app, 31).await;
    println!("writes resumed {resumed:?} after the writer was demoted");
    assert!(resumed <= WRITES_RESUME, "writes resumed after {resumed:?}");
    // Every write from now on lands on the new primary.
    for price in 32..42 {
        assert_eq!(put_price(app, price).await.0, 200);
    }
    let metrics = app.metrics().await;
    assert!(metrics.value("db_server_lost_total").unwrap() >= 1.0);
    assert!(metrics.value("db_connections_evicted_total").unwrap() > evicted_before);
    until(
        "the replica to follow the new primary",
        CONVERGE,
        || async { answered_price(app).await == 41.0 },
    )
    .await;
    trap.assert_follows_the_new_primary(&name).await;
    trap.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_that_only_reads_leaves_a_demoted_read_only_writer() {
    let _turn = SERIAL.lock().await;
    let name = format!("readonly_reader_{}", uuid::Uuid::new_v4().simple());
    let trap = demoted_writer(&name).await;
    // Another replica writes to the new primary; this one only reads. Its
    // reads of the old writer still succeed: only the feed reader's
    // check of the server it reads tells it to move.
    let new_primary = sqlx::PgPool::connect(&url_on(trap.standby.port, &name))
        .await
        .unwrap();
    sqlx::query("UPDATE master_data SET price = 77 WHERE identifier = 'item1'")
        .execute(&new_primary)
        .await
        .unwrap();
    let moved = Instant::now();
    until(
        "the replica to follow the new primary",
        CONVERGE,
        || async { answered_price(&trap.app).await == 77.0 },
    )
    .await;
    println!(
        "a reading replica followed the new primary after {:?}",
        moved.elapsed()
    );
    trap.assert_follows_the_new_primary(&name).await;
    trap.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_black_holed_database_is_noticed_and_writes_fail_within_the_deadline() {
    let _turn = SERIAL.lock().await;
    let name = format!("blackhole_{}", uuid::Uuid::new_v4().simple());
    let cluster = throwaway().await;
    create_database(cluster.port, &name).await;
    let proxy = Proxy::start(cluster.port).await;
    let app = replica(&proxy, &name).await;
    app.settle().await;
    assert_eq!(put_price(&app, 51).await.0, 200);

    proxy.black_hole();
    let dark = Instant::now();
    // A write on a pooled connection that stopped answering: the server's
    // statement timeout cannot end the wait, the request deadline does.
    let deadline = Duration::from_millis(REQUEST_DEADLINE_MS) + Duration::from_millis(1_000);
    let (status, took) = put_price(&app, 52).await;
    println!("the first write on the black hole: {status} after {took:?}");
    assert_eq!(status, 503);
    assert!(took <= deadline, "a write took {took:?}");
    let question = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}]});
    until("answers that say they are stale", CONVERGE, || async {
        let reply = app.post_json("/preferreditem", &question).await;
        assert_eq!(reply.status, 200);
        reply.headers.contains_key("x-catalog-stale-seconds")
    })
    .await;
    println!(
        "stale answers {:?} after the path went dark",
        dark.elapsed()
    );
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["status"], "degraded");
    let live = app.get("/health/live").await;
    assert_eq!(live.status, 200);

    // Writes fail within the request deadline (plus the catch-up bound
    // they never reach: they fail before committing), never hang.
    for price in 53..56 {
        let (status, took) = put_price(&app, price).await;
        println!("a write on the black hole: {status} after {took:?}");
        assert_eq!(status, 503);
        assert!(took <= deadline, "a write took {took:?}");
    }
    let listed = Instant::now();
    assert_eq!(app.get("/items?limit=1").await.status, 503);
    assert!(listed.elapsed() <= deadline);

    proxy.resume();
    let resumed = writes_resume(&app, 57).await;
    println!("writes resumed {resumed:?} after forwarding resumed");
    assert!(resumed <= WRITES_RESUME);
    until("fresh answers", CONVERGE, || async {
        let reply = app.post_json("/preferreditem", &question).await;
        !reply.headers.contains_key("x-catalog-stale-seconds")
    })
    .await;
    assert_eq!(app.get("/health/ready").await.body["status"], "ok");
    app.settle_within(CONVERGE).await;
    assert_eq!(answered_price(&app).await, 57.0);
    let _ = cluster.stop("immediate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_connection_asks_the_server_for_tcp_keepalive() {
    let _turn = SERIAL.lock().await;
    let name = format!("keepalive_{}", uuid::Uuid::new_v4().simple());
    let cluster = throwaway().await;
    create_database(cluster.port, &name).await;
    let mut settings = harness::test_settings();
    settings.database.keepalive_idle_secs = 7;
    settings.database.keepalive_interval_secs = 4;
    settings.database.keepalive_count = 2;
    let pool = preferred_item_service::pool(&settings.pool_options(), &url_on(cluster.port, &name))
        .unwrap();
    // Several connections at once, so that each is a new one. Over TCP the
    // server reports the values it set on the socket (over a Unix socket
    // it would report 0).
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.acquire().await.unwrap();
        let values: (String, String, String) = sqlx::query_as(
            "SELECT current_setting('tcp_keepalives_idle'), \
                    current_setting('tcp_keepalives_interval'), \
                    current_setting('tcp_keepalives_count')",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(values, ("7".into(), "4".into(), "2".into()));
        held.push(conn);
    }
    drop(held);
    // The defaults: 10 s idle, probes 5 s apart, 3 of them.
    let defaults = harness::test_settings().pool_options();
    let pool = preferred_item_service::pool(&defaults, &url_on(cluster.port, &name)).unwrap();
    let values: (String, String, String) = sqlx::query_as(
        "SELECT current_setting('tcp_keepalives_idle'), \
                current_setting('tcp_keepalives_interval'), \
                current_setting('tcp_keepalives_count')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(values, ("10".into(), "5".into(), "3".into()));
    pool.close().await;
    let _ = cluster.stop("immediate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_the_server_terminates_are_never_reused() {
    let _turn = SERIAL.lock().await;
    let name = format!("terminated_{}", uuid::Uuid::new_v4().simple());
    let cluster = throwaway().await;
    create_database(cluster.port, &name).await;
    let proxy = Proxy::start(cluster.port).await;
    let app = replica(&proxy, &name).await;
    app.settle().await;
    // Four writes at once, so that the pool holds several connections.
    let warm: Vec<_> = (0..4).map(|i| put_price(&app, 60 + i)).collect();
    for (status, _) in futures_util::future::join_all(warm).await {
        assert_eq!(status, 200);
    }
    let lost_before = app.metrics().await.value("db_server_lost_total").unwrap();

    // An operator (or a shutting-down server) ends every backend of the
    // service: each open connection gets 57P01 on its next use.
    let mut admin = PgConnection::connect(&url_on(cluster.port, &name))
        .await
        .unwrap();
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'preferred-item-service' AND datname = $1",
    )
    .bind(&name)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(ended >= 4, "only {ended} backends were ended");

    // At most the first write meets a terminated connection; the rest never
    // do, although several were idle in the pool.
    let mut failed = 0;
    for price in 70..80 {
        let (status, _) = put_price(&app, price).await;
        if status != 200 {
            assert_eq!(status, 503);
            failed += 1;
        }
    }
    assert!(failed <= 1, "{failed} writes met terminated connections");
    let lost = app.metrics().await.value("db_server_lost_total").unwrap();
    assert!(lost > lost_before, "no lost server was noted");
    // The follower's own connection was ended too: it reconnects and the
    // replica answers the last write.
    app.settle_within(CONVERGE).await;
    assert_eq!(answered_price(&app).await, 79.0);
    let _ = cluster.stop("immediate");
}
