use serde_json::{json, Value};

use crate::harness::{item_json, spawn_app, spawn_app_with, Reply};

async fn post_ndjson(app: &crate::harness::TestApp, path: &str, body: String) -> Reply {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    Reply::from(response).await
}

#[tokio::test]
async fn a_json_array_of_items_is_created_and_replaced_in_one_go() {
    let app = spawn_app().await;
    app.create_item("b", &[(9, &[9])]).await;
    let body = json!([
        item_json("a", &[(1, &[1, 2])]),
        item_json("b", &[(2, &[3]), (2, &[3])]),
        item_json("c", &[(3, &[4])]),
    ]);

    let reply = app.post_json("/items/bulk", &body).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body,
        json!({"received": 3, "created": 2, "updated": 1})
    );
    assert_eq!(
        app.get("/items/b").await.body,
        item_json("b", &[(2, &[3]), (2, &[3])])
    );
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 3);
    // The signature follows: b is found by its new bricks.
    let found = app
        .post_json("/preferreditem", &json!({"bricks": [{"design_id": 2, "color_codes": [3]}, {"design_id": 2, "color_codes": [3]}]}))
        .await;
    found.assert_problem(404, &[]); // no master data yet
    let md = post_ndjson(
        &app,
        "/masterdata/bulk",
        "{\"identifier\":\"b\",\"status\":\"Novelty\",\"price\":1.5}\n".into(),
    )
    .await;
    assert_eq!(md.body, json!({"received": 1, "created": 1, "updated": 0}));
    let found = app
        .post_json("/preferreditem", &json!({"bricks": [{"design_id": 2, "color_codes": [3]}, {"design_id": 2, "color_codes": [3]}]}))
        .await;
    assert_eq!(found.body["preferred_item"]["identifier"], "b");
    app.assert_copies_consistent().await;
}

#[tokio::test]
async fn ndjson_items_are_accepted() {
    let app = spawn_app().await;
    let body = format!(
        "{}\n\n{}\n",
        item_json("x", &[(1, &[1])]),
        item_json("y", &[(2, &[2])])
    );
    let reply = post_ndjson(&app, "/items/bulk", body).await;
    assert_eq!(
        reply.body,
        json!({"received": 2, "created": 2, "updated": 0})
    );
    assert_eq!(app.count("SELECT count(*) FROM items").await, 2);
}

#[tokio::test]
async fn one_bad_record_rejects_the_whole_load_and_is_reported_by_index() {
    let app = spawn_app().await;
    let body = json!([
        item_json("ok1", &[(1, &[1])]),
        item_json("ok2", &[(1, &[2])]),
        {"identifier": "bad", "bricks": [{"design_id": -5, "color_codes": [1]}]},
        {"identifier": "bad two", "bricks": [{"design_id": 1, "color_codes": [1]}]},
        item_json("ok1", &[(1, &[3])]),
    ]);

    let reply = app.post_json("/items/bulk", &body).await;

    reply.assert_problem(422, &["bricks[0].design_id", "identifier", "identifier"]);
    let indexes: Vec<Value> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].clone())
        .collect();
    assert_eq!(indexes, [json!(2), json!(3), json!(4)]);
    assert_eq!(
        reply.body["errors"][2]["message"],
        "ok1 appears more than once"
    );
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 0);
}

#[tokio::test]
async fn master_data_for_unknown_items_rejects_the_load() {
    let app = spawn_app().await;
    app.create_item("known", &[(1, &[1])]).await;
    let body = json!([
        {"identifier": "known", "status": "Normal", "price": 2},
        {"identifier": "ghost", "status": "Normal", "price": 2},
        {"identifier": "known2", "status": "Bogus", "price": 0},
    ]);
    let reply = app.post_json("/masterdata/bulk", &body).await;
    reply.assert_problem(422, &["status", "price"]);
    assert_eq!(reply.body["errors"][0]["index"], 2);

    let reply = app
        .post_json("/masterdata/bulk", &json!([body[0], body[1]]))
        .await;
    reply.assert_problem(422, &["identifier"]);
    assert_eq!(reply.body["errors"][0]["index"], 1);
    assert_eq!(
        reply.body["errors"][0]["message"],
        "item ghost does not exist"
    );
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn a_bulk_load_holds_one_to_ten_thousand_records() {
    let app = spawn_app().await;
    app.post_json("/items/bulk", &json!([]))
        .await
        .assert_problem(422, &["records"]);
    let many: Vec<Value> = (0..10_001)
        .map(|i| item_json(&format!("i{i}"), &[(1, &[1])]))
        .collect();
    app.post_json("/items/bulk", &Value::Array(many.clone()))
        .await
        .assert_problem(422, &["records"]);
    let reply = app
        .post_json("/items/bulk", &Value::Array(many[..10_000].to_vec()))
        .await;
    assert_eq!(
        reply.body,
        json!({"received": 10000, "created": 10000, "updated": 0})
    );
}

#[tokio::test]
async fn bulk_bodies_have_their_own_limit_and_shape() {
    let app = spawn_app_with(|s| s.server.large_body_limit_bytes = 2048).await;
    let many: Vec<Value> = (0..100)
        .map(|i| item_json(&format!("i{i}"), &[(1, &[1])]))
        .collect();
    app.post_json("/items/bulk", &Value::Array(many))
        .await
        .assert_problem(413, &[]);
    app.post_json("/items/bulk", &json!({"identifier": "a"}))
        .await
        .assert_problem(400, &[""]);
    let bad_line = post_ndjson(&app, "/items/bulk", "{not json}\n".into()).await;
    bad_line.assert_problem(422, &[""]);
    assert_eq!(bad_line.body["errors"][0]["index"], 0);
}
