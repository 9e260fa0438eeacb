//! Bad input: every rule of the API (README, "Errors"), with the exact status and
//! the fields named, and nothing stored.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{spawn_app, spawn_app_with};

fn brick(design: Value, colors: Value) -> Value {
    json!({"design_id": design, "color_codes": colors})
}

#[tokio::test]
async fn item_rule_violations_are_422_naming_each_field() {
    let app = spawn_app().await;
    let ok = || vec![brick(json!(1), json!([1]))];
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "empty identifier",
            json!({"identifier": "", "bricks": ok()}),
            vec!["identifier"],
        ),
        (
            "long identifier",
            json!({"identifier": "x".repeat(65), "bricks": ok()}),
            vec!["identifier"],
        ),
        (
            "bad characters",
            json!({"identifier": "a b/c", "bricks": ok()}),
            vec!["identifier"],
        ),
        (
            "no bricks",
            json!({"identifier": "a", "bricks": []}),
            vec!["bricks"],
        ),
        (
            "1001 bricks",
            json!({"identifier": "a", "bricks": vec![brick(json!(1), json!([1])); 1001]}),
            vec!["bricks"],
        ),
        (
            "no colours",
            json!({"identifier": "a", "bricks": [brick(json!(1), json!([]))]}),
            vec!["bricks[0].color_codes"],
        ),
        (
            "17 colours",
            json!({"identifier": "a", "bricks": [brick(json!(1), json!(vec![0; 17]))]}),
            vec!["bricks[0].color_codes"],
        ),
        (
            "negative design",
            json!({"identifier": "a", "bricks": [brick(json!(-1), json!([1]))]}),
            vec!["bricks[0].design_id"],
        ),
        (
            "design too large",
            json!({"identifier": "a", "bricks": [brick(json!(2147483648_i64), json!([1]))]}),
            vec!["bricks[0].design_id"],
        ),
        (
            "colour too large",
            json!({"identifier": "a", "bricks": [brick(json!(1), json!([1])), brick(json!(1), json!([1, 2147483648_i64]))]}),
            vec!["bricks[1].color_codes[1]"],
        ),
        (
            "several at once",
            json!({"identifier": "", "bricks": [brick(json!(-1), json!([-1]))]}),
            vec![
                "identifier",
                "bricks[0].design_id",
                "bricks[0].color_codes[0]",
            ],
        ),
        ("missing bricks", json!({"identifier": "a"}), vec!["bricks"]),
        (
            "unknown field",
            json!({"identifier": "a", "bricks": ok(), "colour": 1}),
            vec!["colour"],
        ),
        (
            "unknown nested field",
            json!({"identifier": "a", "bricks": [{"design_id": 1, "color_codes": [1], "x": 0}]}),
            vec!["bricks[0].x"],
        ),
    ];
    for (case, body, fields) in cases {
        let reply = app.post_json("/items", &body).await;
        assert_eq!(reply.status.as_u16(), 422, "{case}: {}", reply.body);
        reply.assert_problem(422, &fields);
    }
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
}

#[tokio::test]
async fn master_data_rule_violations_are_422_naming_each_field() {
    let app = spawn_app().await;
    app.create_item("m", &[(1, &[1])]).await;
    let cases = [
        (r#"{"status": "normal", "price": 1}"#, vec!["status"]),
        (r#"{"status": "Normal", "price": 0}"#, vec!["price"]),
        (r#"{"status": "Normal", "price": -2}"#, vec!["price"]),
        (
            r#"{"status": "Normal", "price": 1000000000.0001}"#,
            vec!["price"],
        ),
        (r#"{"status": "Normal", "price": 1.23456}"#, vec!["price"]),
        (r#"{"status": "Normal", "price": 1e400}"#, vec!["price"]),
        (r#"{"status": "Gone", "price": 0}"#, vec!["status", "price"]),
        (r#"{"status": "Normal"}"#, vec!["price"]),
        (
            r#"{"identifier": "other", "status": "Normal", "price": 1}"#,
            vec!["identifier"],
        ),
    ];
    for (body, fields) in cases {
        let reply = app
            .send_raw(Method::PUT, "/masterdata/m", body.into())
            .await;
        assert_eq!(reply.status.as_u16(), 422, "{body}: {}", reply.body);
        reply.assert_problem(422, &fields);
    }
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn malformed_json_and_wrong_types_are_400() {
    let app = spawn_app().await;
    let cases = [
        ("/items", r#"{"identifier": "a", "bricks": ["#, vec![]),
        ("/items", "not json", vec![]),
        (
            "/items",
            r#"{"identifier": 7, "bricks": []}"#,
            vec!["identifier"],
        ),
        (
            "/items",
            r#"{"identifier": "a", "bricks": [{"design_id": "1", "color_codes": [1]}]}"#,
            vec!["bricks[0].design_id"],
        ),
        (
            "/items",
            r#"{"identifier": "a", "bricks": [{"design_id": 1.5, "color_codes": [1]}]}"#,
            vec!["bricks[0].design_id"],
        ),
        (
            "/items",
            r#"{"identifier": "a", "bricks": {}}"#,
            vec!["bricks"],
        ),
        ("/items", r#"[]"#, vec![""]),
        (
            "/preferreditem",
            r#"{"bricks": [{"design_id": 1, "color_codes": [1]}], "alternatives": "2"}"#,
            vec!["alternatives"],
        ),
    ];
    for (path, body, fields) in cases {
        let reply = app.send_raw(Method::POST, path, body.into()).await;
        assert_eq!(reply.status.as_u16(), 400, "{body}: {}", reply.body);
        reply.assert_problem(400, &fields);
    }
    let price_as_string = app
        .send_raw(
            Method::PUT,
            "/masterdata/a",
            r#"{"status": "Normal", "price": "1"}"#.into(),
        )
        .await;
    price_as_string.assert_problem(400, &["price"]);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.server.json_limit_bytes = 1024).await;
    let big = json!({"identifier": "a", "bricks": vec![brick(json!(1), json!([1, 2, 3])); 100]});
    let reply = app.post_json("/items", &big).await;
    reply.assert_problem(413, &[]);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/items"))
        .header("content-type", "text/plain")
        .body("identifier=a")
        .send()
        .await
        .unwrap();
    crate::harness::Reply::from(response)
        .await
        .assert_problem(415, &[]);
}

#[tokio::test]
async fn list_parameters_are_checked() {
    let app = spawn_app().await;
    app.get("/items?limit=0")
        .await
        .assert_problem(422, &["limit"]);
    app.get("/items?limit=1001")
        .await
        .assert_problem(422, &["limit"]);
    app.get("/items?after=bad%20id")
        .await
        .assert_problem(422, &["after"]);
    app.get("/items?design_id=-1")
        .await
        .assert_problem(422, &["design_id"]);
    app.get("/items?limit=ten").await.assert_problem(400, &[]);
    app.get("/items?desing_id=1").await.assert_problem(400, &[]);
    app.get("/masterdata?status=normal")
        .await
        .assert_problem(422, &["status"]);
}

#[tokio::test]
async fn identifiers_in_paths_are_checked() {
    let app = spawn_app().await;
    let long = "x".repeat(65);
    app.get(&format!("/items/{long}"))
        .await
        .assert_problem(422, &["id"]);
    app.delete("/masterdata/a%20b")
        .await
        .assert_problem(422, &["id"]);
}

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    app.get("/nowhere").await.assert_problem(404, &[]);
}

#[tokio::test]
async fn a_known_path_with_another_method_is_405_with_allow() {
    let app = spawn_app().await;
    let reply = app.send_raw(Method::PATCH, "/items/a", "{}".into()).await;
    reply.assert_problem(405, &[]);
    assert_eq!(reply.header("allow"), Some("GET, PUT, DELETE"));
    let reply = app.delete("/preferreditem").await;
    reply.assert_problem(405, &[]);
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    let echoed = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-42.a:b_c")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42.a:b_c");

    let replaced = app
        .client
        .get(app.url("/items/missing"))
        .header("x-request-id", "has spaces and {braces}")
        .send()
        .await
        .unwrap();
    let id = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "a generated UUID: {id}");
    let body: Value = replaced.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
}
