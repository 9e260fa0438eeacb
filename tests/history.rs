//! A replica follows the database it is connected to, whatever happened
//! to that database: the endpoint switched to another cluster (with a
//! higher transaction-id counter), or the same server restored to an
//! earlier copy (transaction ids go back). The promise of the README's
//! "Answers from memory": once the database is reachable again, a replica
//! serves no item state the database does not hold for longer than 2 s.
//! Each test uses clusters of its own, made here from the machine's
//! PostgreSQL binaries.

#[path = "harness/mod.rs"]
mod harness;

use harness::{create_database, item1, spawn_replica, url_on as url, Proxy};
use preferred_item_service::local_postgres::LocalCluster;
use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

/// The promise, and slack for a loaded 2-core machine.
const BOUND: Duration = Duration::from_secs(4);

/// Runs `n` transactions that each take an id.
async fn burn_transaction_ids(url: &str, n: usize) {
    let mut connection = PgConnection::connect(url).await.unwrap();
    for _ in 0..n {
        connection
            .execute("SELECT pg_current_xact_id()")
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_follows_the_endpoint_to_another_cluster() {
    let name = format!("switch_{}", uuid::Uuid::new_v4().simple());
    let a = tokio::task::spawn_blocking(LocalCluster::throwaway)
        .await
        .unwrap()
        .unwrap();
    let b = tokio::task::spawn_blocking(LocalCluster::throwaway)
        .await
        .unwrap()
        .unwrap();
    create_database(a.port, &name).await;
    create_database(b.port, &name).await;

    // Cluster b: the same schema, other data (item1 gone, prices moved),
    // written at transaction ids below what the replica will have read on
    // a, and a counter far past a's: neither its feed rows nor its ids say
    // that anything changed; only its identity does.
    let other = preferred_item_service::pool(
        &harness::test_settings().pool_options(),
        &url(b.port, &name),
    )
    .unwrap();
    preferred_item_service::migrate(&other).await.unwrap();
    preferred_item_service::seed_demo_data(&other)
        .await
        .unwrap();
    sqlx::raw_sql(
        "DELETE FROM items WHERE identifier = 'item1';
         UPDATE master_data SET price = price + 100;",
    )
    .execute(&other)
    .await
    .unwrap();
    burn_transaction_ids(&url(b.port, &name), 6000).await;
    burn_transaction_ids(&url(a.port, &name), 3000).await;

    let proxy = Proxy::start(a.port).await;
    let app = spawn_replica(&url(proxy.port, &name), |s| {
        s.demo_data = Some(true);
        s.database.acquire_timeout_ms = 500;
    })
    .await;
    app.settle().await;
    assert_eq!(item1(&app).await, "item1");

    proxy.switch(b.port);
    let switched = Instant::now();
    let state = app.settle_within(BOUND).await;
    let followed = switched.elapsed();
    println!("followed the endpoint to another cluster after {followed:?}: {state}");
    assert_eq!(state["items"], 10);
    assert_eq!(item1(&app).await, "404");
    drop(other);
    let _ = a.stop("immediate");
    let _ = b.stop("immediate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_follows_its_database_restored_to_an_earlier_copy() {
    let name = format!("restore_{}", uuid::Uuid::new_v4().simple());
    let cluster = tokio::task::spawn_blocking(LocalCluster::throwaway)
        .await
        .unwrap()
        .unwrap();
    create_database(cluster.port, &name).await;
    let app = spawn_replica(&url(cluster.port, &name), |s| {
        s.demo_data = Some(true);
        s.database.acquire_timeout_ms = 500;
    })
    .await;
    app.settle().await;

    // The earlier copy: the demo catalog.
    cluster.stop("fast").unwrap();
    let copy = cluster.data_dir.with_extension("earlier");
    let copied = std::process::Command::new("cp")
        .args(["-a"])
        .arg(&cluster.data_dir)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(copied.success());
    cluster.start_throwaway_again().unwrap();

    // Later history, which the restore will undo: item1 deleted and many
    // transactions, so that the restored ids are far below the replica's.
    harness::until("the database back", BOUND, || async {
        app.get("/items?limit=1").await.status == 200
    })
    .await;
    let deleted = app
        .client
        .delete(app.url("/items/item1"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    for i in 0..200 {
        app.create_priced(&format!("later{i}"), &[(70, &[i])], "Normal", "1")
            .await;
    }
    app.settle().await;
    assert_eq!(item1(&app).await, "404");

    // The restore: the earlier copy on the same port.
    cluster.stop("fast").unwrap();
    std::fs::remove_dir_all(&cluster.data_dir).unwrap();
    std::fs::rename(&copy, &cluster.data_dir).unwrap();
    cluster.start_throwaway_again().unwrap();
    let restored = Instant::now();
    // A write after the restore, with the restored (lower) ids.
    let mut writer = harness::eventually("a connection", BOUND, || async {
        PgConnection::connect(&url(cluster.port, &name)).await.ok()
    })
    .await;
    writer
        .execute("UPDATE master_data SET price = 42 WHERE identifier = 'item2'")
        .await
        .unwrap();
    let state = app.settle_within(BOUND).await;
    println!(
        "followed the restore after {:?}: {state}",
        restored.elapsed()
    );
    assert_eq!(state["items"], 11);
    assert_eq!(item1(&app).await, "item1");
    let _ = cluster.stop("immediate");
}
