use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::spawn_app;

#[tokio::test]
async fn master_data_is_created_then_updated() {
    let app = spawn_app().await;
    app.create_item("m1", &[(1, &[1])]).await;

    let created = app
        .put_json(
            "/masterdata/m1",
            &json!({"status": "Novelty", "price": 5.5}),
        )
        .await;
    let updated = app
        .put_json(
            "/masterdata/m1/",
            &json!({"identifier": "m1", "status": "Outgoing", "price": 4}),
        )
        .await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("location"), Some("/masterdata/m1"));
    assert_eq!(
        created.body,
        json!({"identifier": "m1", "status": "Novelty", "price": 5.5})
    );
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        app.get("/masterdata/m1").await.body,
        json!({"identifier": "m1", "status": "Outgoing", "price": 4})
    );
}

#[tokio::test]
async fn prices_are_exact_decimals_from_json_to_the_database_and_back() {
    let app = spawn_app().await;
    app.create_item("exact", &[(1, &[1])]).await;
    // 0.1 + 999999999.9999 has no exact float; 17 significant digits.
    let body = r#"{"status": "Normal", "price": 999999999.9999}"#;
    let reply = app
        .send_raw(Method::PUT, "/masterdata/exact", body.into())
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);

    let raw = app
        .client
        .get(app.url("/masterdata/exact"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        raw,
        r#"{"identifier":"exact","status":"Normal","price":999999999.9999}"#
    );
    let stored: String = sqlx::query_scalar("SELECT price::text FROM master_data")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, "999999999.9999");
}

#[tokio::test]
async fn master_data_for_an_unknown_item_is_refused_and_not_stored() {
    let app = spawn_app().await;
    let reply = app
        .put_json(
            "/masterdata/ghost",
            &json!({"status": "Normal", "price": 1}),
        )
        .await;
    reply.assert_problem(422, &["id"]);
    assert_eq!(
        reply.body["errors"][0]["message"],
        "item ghost does not exist"
    );
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn deleting_master_data_keeps_the_item() {
    let app = spawn_app().await;
    app.create_priced("keep", &[(1, &[1])], "Normal", "1").await;

    assert_eq!(
        app.delete("/masterdata/keep").await.status,
        StatusCode::NO_CONTENT
    );
    app.get("/masterdata/keep").await.assert_problem(404, &[]);
    assert_eq!(app.get("/items/keep").await.status, StatusCode::OK);
    app.delete("/masterdata/keep")
        .await
        .assert_problem(404, &[]);
}

#[tokio::test]
async fn listing_filters_by_status_and_pages_with_link() {
    let app = spawn_app().await;
    for (id, status) in [
        ("a", "Normal"),
        ("b", "Novelty"),
        ("c", "Normal"),
        ("d", "Normal"),
        ("e", "Discontinued"),
    ] {
        app.create_priced(id, &[(1, &[1])], status, "2.25").await;
    }

    let first = app.get("/masterdata?status=Normal&limit=2").await;
    assert_eq!(
        first.body,
        json!([
            {"identifier": "a", "status": "Normal", "price": 2.25},
            {"identifier": "c", "status": "Normal", "price": 2.25}
        ])
    );
    assert_eq!(
        first.header("link"),
        Some(r#"</masterdata?limit=2&after=c&status=Normal>; rel="next""#)
    );
    let second = app.get("/masterdata?limit=2&after=c&status=Normal").await;
    assert_eq!(second.body.as_array().unwrap().len(), 1);
    assert_eq!(second.header("link"), None);

    let all = app.get("/masterdata").await;
    assert_eq!(all.body.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn the_legacy_master_data_path_still_answers() {
    let app = spawn_app().await;
    app.create_priced("old", &[(1, &[1])], "Outgoing", "7.0")
        .await;
    let reply = app.get("/masterdata/item/old").await;
    assert_eq!(
        reply.body,
        json!({"identifier": "old", "status": "Outgoing", "price": 7.0})
    );
}
