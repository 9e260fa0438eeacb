//! Idempotency-Key on the creating POSTs: replays, mismatches, a duplicate
//! still running, callers kept apart, replicas sharing keys, trimming.

use crate::harness::{
    bricks_json, lock_table, spawn_app, spawn_app_with, spawn_replica, Reply, TestApp,
};
use preferred_item_service::auth::{AuthMode, KeyRing};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn create(app: &TestApp, key: &str, id: &str, design: i64) -> Reply {
    let item = json!({"identifier": id, "bricks": bricks_json(&[(design, &[1])])});
    app.send_with(
        Method::POST,
        "/items",
        &[("idempotency-key", key)],
        Some(&item),
    )
    .await
}

#[tokio::test]
async fn a_retry_with_the_same_key_gets_the_first_answer_again() {
    let app = spawn_app().await;
    let first = create(&app, "retry-1", "once", 1).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.header("idempotency-replayed"), None);
    let again = create(&app, "retry-1", "once", 1).await;
    assert_eq!(again.status, 201, "not 409: the first attempt's answer");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), Some("/items/once"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);

    // A refusal is an answer too: the same 409 comes back for its key.
    let taken = create(&app, "retry-2", "once", 1).await;
    taken.assert_problem(409, &[]);
    let taken_again = create(&app, "retry-2", "once", 1).await;
    assert_eq!(taken_again.status, 409);
    assert_eq!(taken_again.header("idempotency-replayed"), Some("true"));

    // Without a key nothing is kept: a second POST is a conflict.
    let plain = json!({"identifier": "once", "bricks": bricks_json(&[(1, &[1])])});
    app.post_json("/items", &plain)
        .await
        .assert_problem(409, &[]);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = spawn_app().await;
    assert_eq!(create(&app, "k", "first", 1).await.status, 201);
    let other = create(&app, "k", "second", 2).await;
    other.assert_problem(422, &["Idempotency-Key"]);
    assert_eq!(
        app.get("/items/second").await.status,
        404,
        "nothing written"
    );
    // Not a valid key at all: 400 naming the header.
    let long = "x".repeat(256);
    for bad in [long.as_str(), "has space"] {
        create(&app, bad, "third", 3)
            .await
            .assert_problem(400, &["Idempotency-Key"]);
    }
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
}

#[tokio::test]
async fn a_duplicate_while_the_first_is_running_gets_409_then_the_answer() {
    let app = spawn_app().await;
    let mut locker = lock_table(&app.database_url, "items").await;
    let first = {
        let app_client = app.client.clone();
        let url = app.url("/items");
        tokio::spawn(async move {
            let item = json!({"identifier": "slow", "bricks": bricks_json(&[(1, &[1])])});
            let response = app_client
                .post(url)
                .header("idempotency-key", "dup")
                .json(&item)
                .send()
                .await
                .unwrap();
            Reply::from(response).await
        })
    };
    // The first has claimed the key and waits on the lock.
    crate::harness::until("the key to be claimed", Duration::from_secs(5), || async {
        app.count("SELECT count(*) FROM idempotency_keys").await == 1
    })
    .await;
    let duplicate = create(&app, "dup", "slow", 1).await;
    duplicate.assert_problem(409, &[]);
    assert!(duplicate.body["detail"]
        .as_str()
        .unwrap()
        .contains("still being processed"));
    sqlx::Executor::execute(&mut locker, "COMMIT")
        .await
        .unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status, 201);
    let replayed = create(&app, "dup", "slow", 1).await;
    assert_eq!(replayed.status, 201);
    assert_eq!(replayed.header("idempotency-replayed"), Some("true"));
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = spawn_app_with(|s| {
        s.auth.mode = AuthMode::Writes;
        s.auth.keys = KeyRing::parse(&[
            "write:writer-one-0123456789".to_owned(),
            "write:writer-two-0123456789".to_owned(),
        ])
        .unwrap();
    })
    .await;
    let post = |secret: &'static str, id: &'static str| {
        let item = json!({"identifier": id, "bricks": bricks_json(&[(1, &[1])])});
        let bearer = format!("Bearer {secret}");
        let app = &app;
        async move {
            app.send_with(
                Method::POST,
                "/items",
                &[
                    ("idempotency-key", "shared-key"),
                    ("authorization", &bearer),
                ],
                Some(&item),
            )
            .await
        }
    };
    assert_eq!(post("writer-one-0123456789", "one").await.status, 201);
    // The other caller's same key is another key: its own request runs.
    let two = post("writer-two-0123456789", "two").await;
    assert_eq!(two.status, 201, "{}", two.body);
    assert_eq!(two.header("idempotency-replayed"), None);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 2);
}

#[tokio::test]
async fn a_retry_that_reaches_another_replica_is_replayed_there() {
    let first = spawn_app().await;
    let second = spawn_replica(&first.database_url, |_| {}).await;
    let answered = create(&first, "across", "roaming", 1).await;
    assert_eq!(answered.status, 201);
    let replayed = create(&second, "across", "roaming", 1).await;
    assert_eq!(replayed.status, 201);
    assert_eq!(replayed.header("idempotency-replayed"), Some("true"));
    assert_eq!(replayed.body, answered.body);

    // The bulk routes too.
    let records = json!([{"identifier": "roaming", "status": "Normal", "price": 2}]);
    let loaded = bulk(&first, &records).await;
    assert_eq!(loaded.status, 200);
    assert_eq!(
        loaded.body,
        json!({"received": 1, "created": 1, "updated": 0})
    );
    let again = bulk(&second, &records).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, loaded.body, "created once, not updated");
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    let items = json!([{"identifier": "bulked", "bricks": bricks_json(&[(4, &[4])])}]);
    let once = second
        .send_with(
            Method::POST,
            "/items/bulk",
            &[("idempotency-key", "bulk-2")],
            Some(&items),
        )
        .await;
    let twice = first
        .send_with(
            Method::POST,
            "/items/bulk",
            &[("idempotency-key", "bulk-2")],
            Some(&items),
        )
        .await;
    assert_eq!((once.status.as_u16(), twice.status.as_u16()), (200, 200));
    assert_eq!(twice.body, once.body);
    assert_eq!(twice.header("idempotency-replayed"), Some("true"));
}

async fn bulk(app: &TestApp, records: &Value) -> Reply {
    app.send_with(
        Method::POST,
        "/masterdata/bulk",
        &[("idempotency-key", "bulk-1")],
        Some(records),
    )
    .await
}

#[tokio::test]
async fn keys_are_trimmed_after_their_retention() {
    let app = spawn_app_with(|s| {
        s.idempotency.retention_secs = 1;
        s.idempotency.trim_interval_secs = 1;
    })
    .await;
    assert_eq!(create(&app, "short-lived", "kept", 1).await.status, 201);
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 1);
    crate::harness::until("the key to be trimmed", Duration::from_secs(10), || async {
        app.count("SELECT count(*) FROM idempotency_keys").await == 0
    })
    .await;
    // Past its retention the key is free again: a new request runs.
    let reused = create(&app, "short-lived", "other", 2).await;
    assert_eq!(reused.status, 201, "{}", reused.body);
    assert_eq!(reused.header("idempotency-replayed"), None);
    let _: Value = reused.body;
}
