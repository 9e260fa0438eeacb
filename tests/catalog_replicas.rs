//! Replicas that hold the catalog in memory, sharing one database: they
//! converge on the tables under concurrent writers of every kind, a write
//! is visible at once on the replica that took it and soon on the others,
//! and a transaction that commits after a later one is never skipped.

#[path = "harness/mod.rs"]
mod harness;

use harness::{create_database_on, server_url, spawn_replica, until, TestApp};
use preferred_item_service::config::Source;
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The convergence run and the freshness measurement take turns: on two
/// cores, eight writers beside the measurement would measure the machine.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The synthetic catalog's generator, so that a failing run can be
/// replayed from its seed.
type Rng = preferred_item_service::synthetic::SplitMix64;

/// 1 to 3 bricks from a small universe, so that queries hit often.
fn bricks(rng: &mut Rng) -> Value {
    let n = 1 + rng.below(3);
    Value::Array(
        (0..n)
            .map(|_| json!({"design_id": 1 + rng.below(12), "color_codes": [rng.below(3)]}))
            .collect(),
    )
}

fn status(rng: &mut Rng) -> &'static str {
    ["Normal", "Novelty", "Outgoing", "Discontinued"][rng.below(4) as usize]
}

fn price(rng: &mut Rng) -> String {
    format!("{}.{:02}", 1 + rng.below(50), rng.below(100))
}

async fn replica(url: &str, source: Source) -> TestApp {
    spawn_replica(url, |s| s.preferred_item.source = source).await
}

async fn seed(app: &TestApp, count: usize, rng: &mut Rng) {
    for chunk in (0..count).collect::<Vec<_>>().chunks(10_000) {
        let items: Vec<Value> = chunk
            .iter()
            .map(|n| json!({"identifier": format!("s{n}"), "bricks": bricks(rng)}))
            .collect();
        let reply = app.post_json("/items/bulk", &Value::Array(items)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let records: Vec<String> = chunk
            .iter()
            .map(|n| {
                format!(
                    r#"{{"identifier":"s{n}","status":"{}","price":{}}}"#,
                    status(rng),
                    price(rng)
                )
            })
            .collect();
        let reply = app.bulk_master_data(&records).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

/// One random write through `app` or straight to the database. Returns the
/// status for HTTP writes (0 for SQL).
async fn random_write(app: &TestApp, sql: &mut PgConnection, rng: &mut Rng, writer: u64) -> u16 {
    let id = format!("w{}", rng.below(400));
    match rng.below(10) {
        0 | 1 => {
            let body = json!({"identifier": id, "bricks": bricks(rng)});
            app.post_json("/items", &body).await.status.as_u16()
        }
        2 => {
            let body = json!({"bricks": bricks(rng)});
            app.put_json(&format!("/items/{id}"), &body)
                .await
                .status
                .as_u16()
        }
        3 | 4 => {
            let body = format!(r#"{{"status":"{}","price":{}}}"#, status(rng), price(rng));
            app.send_raw(reqwest::Method::PUT, &format!("/masterdata/{id}"), body)
                .await
                .status
                .as_u16()
        }
        5 => app
            .delete(&format!("/masterdata/{id}"))
            .await
            .status
            .as_u16(),
        // Deleting an item cascades to its master data.
        6 => app.delete(&format!("/items/{id}")).await.status.as_u16(),
        7 => {
            let base = rng.below(400);
            let items: Vec<Value> = (0..20)
                .map(|k| json!({"identifier": format!("w{}", (base + k) % 400), "bricks": bricks(rng)}))
                .collect();
            let first = app
                .post_json("/items/bulk", &Value::Array(items))
                .await
                .status;
            let records: Vec<String> = (0..20)
                .map(|k| {
                    format!(
                        r#"{{"identifier":"w{}","status":"{}","price":{}}}"#,
                        (base + k) % 400,
                        status(rng),
                        price(rng)
                    )
                })
                .collect();
            let second = app.bulk_master_data(&records).await.status;
            // Master data for items another writer just deleted is a 422.
            if first.is_success() {
                second.as_u16()
            } else {
                first.as_u16()
            }
        }
        _ => {
            // An operator's SQL, in transactions of different lengths, so
            // that commits come out of the order their rows were written.
            let mut tx = sql.begin().await.unwrap();
            let updated = sqlx::query(
                "UPDATE master_data SET price = price + 1, status = $2 WHERE identifier = $1",
            )
            .bind(&id)
            .bind(status(rng))
            .execute(&mut *tx)
            .await;
            if updated.is_err() {
                // A deadlock or lock timeout with the other writers: the
                // transaction is aborted and rolls back, as an operator's
                // would.
                let _ = tx.rollback().await;
                return 0;
            }
            let pause = format!("SELECT pg_sleep({})", rng.below(60) as f64 / 1000.0);
            tx.execute(sqlx::AssertSqlSafe(pause)).await.unwrap();
            if writer % 2 == 0 {
                let _ = sqlx::query("DELETE FROM items WHERE identifier = $1")
                    .bind(format!("w{}", rng.below(400)))
                    .execute(&mut *tx)
                    .await;
            }
            tx.commit().await.unwrap();
            0
        }
    }
}

/// 1,000 random questions, exact and contains, as ten batches per strategy.
fn questions(rng: &mut Rng) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for path in ["/preferreditem/batch", "/preferreditem/batch"] {
        for _ in 0..5 {
            let queries: Vec<Value> = (0..100)
                .map(|_| {
                    let contains = rng.below(2) == 0;
                    json!({
                        "bricks": bricks(rng),
                        "match": if contains { "contains" } else { "exact" },
                        "include_discontinued": rng.below(3) == 0,
                        "alternatives": rng.below(4),
                    })
                })
                .collect();
            let strategy = if out.len() % 2 == 0 { "rank" } else { "score" };
            out.push((
                path.to_owned(),
                json!({"strategy": strategy, "queries": queries}),
            ));
        }
    }
    out
}

/// Problems carry the id of the request that got them; the rest must match.
fn without_request_ids(mut body: Value) -> Value {
    for result in body["results"].as_array_mut().unwrap() {
        if let Some(error) = result.get_mut("error") {
            error.as_object_mut().unwrap().remove("request_id");
        }
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_converge_on_the_tables_under_concurrent_writers() {
    let _turn = HEAVY.lock().await;
    let url = create_database_on(server_url()).await;
    let a = Arc::new(replica(&url, Source::Memory).await);
    let b = Arc::new(replica(&url, Source::Memory).await);
    let reference = replica(&url, Source::Database).await;
    let mut rng = Rng::new(20261126);
    // More than one transaction's worth of identifiers (10,000), so that
    // one statement below makes the replicas load a fresh snapshot.
    seed(&a, 12_000, &mut rng).await;

    let seconds: u64 = std::env::var("CONVERGENCE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let until = Instant::now() + Duration::from_secs(seconds);
    let failures = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..8u64)
        .map(|writer| {
            let (a, b, url) = (a.clone(), b.clone(), url.clone());
            let (failures, writes) = (failures.clone(), writes.clone());
            tokio::spawn(async move {
                let mut rng = Rng::new(writer * 7919 + 1);
                let mut sql = PgConnection::connect(&url).await.unwrap();
                while Instant::now() < until {
                    let app = if rng.below(2) == 0 { &a } else { &b };
                    let status = random_write(app, &mut sql, &mut rng, writer).await;
                    writes.fetch_add(1, Ordering::Relaxed);
                    if !matches!(status, 0 | 200 | 201 | 204 | 404 | 409 | 422 | 503) {
                        failures.fetch_add(1, Ordering::Relaxed);
                        eprintln!("writer {writer}: unexpected status {status}");
                    }
                }
            })
        })
        .collect();

    // Meanwhile: one statement past the feed's per-transaction limit, and
    // the listener connection of one replica killed.
    let mut operator = PgConnection::connect(&url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(seconds / 4)).await;
    operator
        .execute("UPDATE master_data SET price = price + 0.01 WHERE identifier LIKE 's%'")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(seconds / 4)).await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM (
             SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%' LIMIT 1) l",
    )
    .fetch_one(&mut operator)
    .await
    .unwrap();
    assert_eq!(killed, 1, "a listener connection was found and killed");

    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(failures.load(Ordering::Relaxed), 0);
    let writes = writes.load(Ordering::Relaxed);
    assert!(writes > 500, "the writers wrote: {writes}");

    let state_a = a.settle_within(Duration::from_secs(2)).await;
    let state_b = b.settle_within(Duration::from_secs(2)).await;
    println!("{writes} writes; replica a: {state_a}; replica b: {state_b}");
    assert!(state_a["items"].as_u64().unwrap() > 12_000);

    let mut compared = 0;
    for (path, body) in questions(&mut rng) {
        let expected = reference.post_json(&path, &body).await;
        assert_eq!(expected.status, 200, "{}", expected.body);
        for app in [&a, &b] {
            let got = app.post_json(&path, &body).await;
            assert_eq!(got.status, 200);
            assert_eq!(
                without_request_ids(got.body),
                without_request_ids(expected.body.clone()),
                "{body}"
            );
        }
        compared += body["queries"].as_array().unwrap().len();
    }
    assert_eq!(compared, 1000);
    assert!(
        snapshot_loads(&a).await >= 2,
        "the large statement made replica a reload"
    );
    assert!(
        snapshot_loads(&b).await >= 2,
        "the large statement made replica b reload"
    );
}

/// Changes the price of `item` through `app`; returns the price written.
async fn reprice(app: &TestApp, item: &str, n: u64) -> String {
    let price = format!("{}.{:02}", 1 + n / 100, n % 100);
    let body = format!(r#"{{"status":"Normal","price":{price}}}"#);
    let reply = app
        .send_raw(reqwest::Method::PUT, &format!("/masterdata/{item}"), body)
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
    price
}

/// The price the replica answers with, or "none" before it has any.
async fn price_seen(app: &TestApp, bricks: &Value) -> String {
    let reply = app
        .post_json("/preferreditem", &json!({"bricks": bricks}))
        .await;
    if reply.status == 404 {
        return "none".into();
    }
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("x-catalog-version").is_some());
    reply.body["item_info"]["price"].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_is_seen_at_once_where_it_was_made_and_soon_elsewhere() {
    let _turn = HEAVY.lock().await;
    let url = create_database_on(server_url()).await;
    let a = replica(&url, Source::Memory).await;
    let b = Arc::new(replica(&url, Source::Memory).await);
    let mut rng = Rng::new(5);
    seed(&a, 2_000, &mut rng).await;
    let watched = json!([{"design_id": 99, "color_codes": [99]}]);
    a.post_json("/items", &json!({"identifier": "fresh", "bricks": watched}))
        .await;

    // Readers keep replica b busy throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|k| {
            let (b, stop) = (b.clone(), stop.clone());
            tokio::spawn(async move {
                let mut rng = Rng::new(k);
                while !stop.load(Ordering::Relaxed) {
                    let query = json!({"bricks": bricks(&mut rng), "match": "contains"});
                    b.post_json("/preferreditem", &query).await;
                }
            })
        })
        .collect();

    let mut delays = Vec::new();
    for n in 0..500 {
        let price = reprice(&a, "fresh", n).await;
        let written = Instant::now();
        assert_eq!(price_seen(&a, &watched).await, price, "read your writes");
        loop {
            if price_seen(&b, &watched).await == price {
                delays.push(written.elapsed());
                break;
            }
            assert!(
                written.elapsed() < Duration::from_secs(5),
                "never seen on b"
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    delays.sort();
    let at = |p: usize| delays[(delays.len() * p / 100).min(delays.len() - 1)];
    println!(
        "seen on the other replica after a write: p50 {:?}, p99 {:?}, max {:?} (500 writes)",
        at(50),
        at(99),
        delays[delays.len() - 1]
    );
    assert!(at(99) <= Duration::from_millis(100), "p99 {:?}", at(99));
}

#[tokio::test]
async fn a_transaction_that_commits_late_is_not_skipped() {
    let url = create_database_on(server_url()).await;
    let a = replica(&url, Source::Memory).await;
    for (id, design) in [("early", 1), ("late", 2)] {
        a.create_priced(id, &[(design, &[1])], "Normal", "5").await;
    }
    let mut slow = PgConnection::connect(&url).await.unwrap();
    let mut fast = PgConnection::connect(&url).await.unwrap();
    // The slow transaction writes its feed row first, with the lower
    // sequence number, and commits last.
    slow.execute("BEGIN").await.unwrap();
    slow.execute("UPDATE master_data SET price = 1 WHERE identifier = 'late'")
        .await
        .unwrap();
    fast.execute("UPDATE master_data SET price = 2 WHERE identifier = 'early'")
        .await
        .unwrap();
    let ask = |design: i64| json!({"bricks": [{"design_id": design, "color_codes": [1]}]});
    until("the fast commit", Duration::from_secs(2), || async {
        a.post_json("/preferreditem", &ask(1)).await.body["item_info"]["price"] == json!(2)
    })
    .await;
    slow.execute("COMMIT").await.unwrap();
    until("the late commit", Duration::from_secs(2), || async {
        a.post_json("/preferreditem", &ask(2)).await.body["item_info"]["price"] == json!(1)
    })
    .await;
    a.settle_within(Duration::from_secs(1)).await;
}

async fn snapshot_loads(app: &TestApp) -> u64 {
    app.metrics().await.get("catalog_snapshot_loads_total") as u64
}

async fn price_of(app: &TestApp, design: i64) -> Value {
    let query = json!({"bricks": [{"design_id": design, "color_codes": [1]}]});
    app.post_json("/preferreditem", &query).await.body["item_info"]["price"].clone()
}

#[tokio::test]
async fn trimming_keeps_a_current_replica_and_reloads_one_that_fell_behind() {
    let url = create_database_on(server_url()).await;
    let a = replica(&url, Source::Memory).await;
    a.create_priced("kept", &[(1, &[1])], "Normal", "5").await;
    a.create_priced("missed", &[(2, &[1])], "Normal", "5").await;
    let loads = snapshot_loads(&a).await;

    // Trimming everything a current replica has read changes nothing for
    // it. Transaction ids are server-wide, so other tests' transactions can
    // hold the lower bound back for a moment: wait until the replica's
    // version has passed the rows, then trim them.
    let newest: i64 = sqlx::query_scalar("SELECT max(xid::text::bigint) FROM catalog_changes")
        .fetch_one(&a.pool)
        .await
        .unwrap();
    let what = format!("the version to pass {newest}");
    until(&what, Duration::from_secs(10), || async {
        a.settle_within(Duration::from_secs(1)).await["version"]
            .as_i64()
            .unwrap()
            > newest
    })
    .await;
    let gone = preferred_item_service::catalog::trim_feed(&a.pool, 0)
        .await
        .unwrap();
    assert!(gone >= 4, "the feed rows of the writes above went: {gone}");
    a.put_master_data("kept", "Normal", "6").await;
    assert_eq!(price_of(&a, 1).await, json!(6));
    assert_eq!(
        snapshot_loads(&a).await,
        loads,
        "no reload for a current replica"
    );

    // A replica that could not read while rows were written and trimmed
    // (its reads wait on a lock) loads a snapshot, and misses nothing.
    let mut locker = harness::lock_table(&url, "catalog_feed").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut writer = PgConnection::connect(&url).await.unwrap();
    writer
        .execute("UPDATE master_data SET price = 7 WHERE identifier = 'missed'")
        .await
        .unwrap();
    locker
        .execute(
            "DELETE FROM catalog_changes;
             UPDATE catalog_feed
             SET trimmed_below = pg_snapshot_xmax(pg_current_snapshot());",
        )
        .await
        .unwrap();
    locker.execute("COMMIT").await.unwrap();
    until("the trimmed change", Duration::from_secs(2), || async {
        price_of(&a, 2).await == json!(7)
    })
    .await;
    assert_eq!(snapshot_loads(&a).await, loads + 1, "one reload");
    a.settle_within(Duration::from_secs(1)).await;
}
