use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{item_json, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_created_item_is_returned_with_its_location_and_bricks_in_order() {
    let app = spawn_app().await;
    let body = item_json("item-1", &[(2, &[4, 3]), (1, &[1, 2])]);

    let reply = app.post_json("/items", &body).await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.header("location"), Some("/items/item-1"));
    assert_eq!(reply.body, body);
    let stored = app.get("/items/item-1").await;
    assert_eq!(stored.status, StatusCode::OK);
    assert_eq!(stored.body, body);
}

#[tokio::test]
async fn creating_an_existing_identifier_is_a_conflict_that_changes_nothing() {
    let app = spawn_app().await;
    app.create_item("dup", &[(1, &[1])]).await;

    let reply = app
        .post_json("/items", &item_json("dup", &[(9, &[9])]))
        .await;

    reply.assert_problem(409, &[]);
    assert_eq!(reply.body["detail"], "Item dup already exists");
    assert_eq!(
        app.get("/items/dup").await.body,
        item_json("dup", &[(1, &[1])])
    );
}

#[tokio::test]
async fn concurrent_creates_of_one_identifier_succeed_exactly_once() {
    let app = spawn_app().await;
    let attempts = (0..12).map(|i| {
        let app = &app;
        async move {
            app.post_json("/items", &item_json("race", &[(i, &[1])]))
                .await
                .status
        }
    });

    let statuses = futures_util::future::join_all(attempts).await;

    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!((created, conflicts), (1, 11), "{statuses:?}");
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 1);
}

#[tokio::test]
async fn put_creates_then_replaces_the_bricks() {
    let app = spawn_app().await;
    let first = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}]});
    let second = json!({"identifier": "p1", "bricks": [{"design_id": 5, "color_codes": [6]}, {"design_id": 5, "color_codes": [6]}]});

    let created = app.put_json("/items/p1", &first).await;
    let replaced = app.put_json("/items/p1", &second).await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("location"), Some("/items/p1"));
    assert_eq!(replaced.status, StatusCode::OK);
    assert_eq!(replaced.body, second);
    assert_eq!(app.get("/items/p1").await.body, second);
    // The inverted index follows: one distinct brick, twice.
    let multiplicity: i32 =
        sqlx::query_scalar("SELECT multiplicity FROM item_bricks WHERE identifier = 'p1'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(multiplicity, 2);
}

#[tokio::test]
async fn put_with_a_different_identifier_in_the_body_is_refused() {
    let app = spawn_app().await;
    let body = json!({"identifier": "other", "bricks": [{"design_id": 1, "color_codes": [1]}]});

    let reply = app.put_json("/items/p1", &body).await;

    reply.assert_problem(422, &["identifier"]);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
}

#[tokio::test]
async fn deleting_an_item_deletes_its_master_data_and_brick_index() {
    let app = spawn_app().await;
    app.create_priced("gone", &[(1, &[1]), (2, &[2])], "Normal", "1.5")
        .await;

    let reply = app.delete("/items/gone").await;

    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.body, serde_json::Value::Null);
    app.get("/items/gone").await.assert_problem(404, &[]);
    app.get("/masterdata/gone").await.assert_problem(404, &[]);
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 0);
}

#[tokio::test]
async fn deleting_a_missing_item_is_not_found() {
    let app = spawn_app().await;
    let reply = app.delete("/items/nothing").await;
    reply.assert_problem(404, &[]);
    assert_eq!(reply.body["detail"], "Item nothing does not exist");
}

#[tokio::test]
async fn listing_pages_through_every_item_in_byte_order_by_following_link() {
    let app = spawn_app().await;
    let mut expected: Vec<String> = (0..25).map(|i| format!("it{i:02}")).collect();
    expected.extend(["A", "Z", "a", "z"].map(String::from));
    for id in &expected {
        app.create_item(id, &[(1, &[1])]).await;
    }
    expected.sort();

    let mut seen = Vec::new();
    let mut next = Some("/items?limit=10".to_owned());
    let mut pages = 0;
    while let Some(path) = next {
        let reply = app.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK);
        let page = reply.body.as_array().unwrap();
        assert!(page.len() <= 10);
        seen.extend(
            page.iter()
                .map(|i| i["identifier"].as_str().unwrap().to_owned()),
        );
        next = reply.header("link").map(|link| {
            assert!(link.ends_with(r#">; rel="next""#), "{link}");
            link[1..link.find('>').unwrap()].to_owned()
        });
        pages += 1;
    }

    assert_eq!(pages, 3);
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_last_full_page_has_no_next_link() {
    let app = spawn_app().await;
    for id in ["a", "b"] {
        app.create_item(id, &[(1, &[1])]).await;
    }
    let reply = app.get("/items?limit=2").await;
    assert_eq!(reply.body.as_array().unwrap().len(), 2);
    assert_eq!(reply.header("link"), None);
}

#[tokio::test]
async fn listing_filters_by_design_and_keeps_the_filter_in_the_link() {
    let app = spawn_app().await;
    app.create_item("a", &[(7, &[1]), (1, &[1])]).await;
    app.create_item("b", &[(1, &[1])]).await;
    app.create_item("c", &[(7, &[2, 3])]).await;
    app.create_item("d", &[(7, &[9])]).await;

    let first = app.get("/items?design_id=7&limit=2").await;
    let ids: Vec<_> = first
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["identifier"].clone())
        .collect();
    assert_eq!(ids, [json!("a"), json!("c")]);
    assert_eq!(
        first.header("link"),
        Some(r#"</items?limit=2&after=c&design_id=7>; rel="next""#)
    );

    let second = app.get("/items?limit=2&after=c&design_id=7").await;
    assert_eq!(
        second.body,
        json!([{"identifier": "d", "bricks": [{"design_id": 7, "color_codes": [9]}]}])
    );
}

#[tokio::test]
async fn trailing_slashes_are_accepted() {
    let app = spawn_app().await;
    let created = app
        .post_json("/items/", &item_json("s", &[(1, &[1])]))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(app.get("/items/").await.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/items/s/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_legacy_item_path_still_answers() {
    let app = spawn_app().await;
    app.create_item("old", &[(1, &[1])]).await;
    let reply = app.get("/items/item/old").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["identifier"], "old");
    app.get("/items/item/missing")
        .await
        .assert_problem(404, &[]);
}

/// The legacy paths say they are deprecated in every answer (RFC 9745
/// `Deprecation`, RFC 8594 `Sunset`, a successor `Link`), are counted by
/// caller, and are retired with 410 past the sunset only when set to.
#[tokio::test]
async fn the_legacy_paths_say_they_are_deprecated_and_can_be_retired() {
    let app = spawn_app().await;
    app.create_priced("old", &[(1, &[1])], "Normal", "2").await;
    let expect_marked = |reply: &crate::harness::Reply, successor: Option<&str>| {
        // 2026-12-01 and the default sunset, 2027-06-30, both 00:00 UTC.
        assert_eq!(reply.headers["deprecation"], "@1796083200");
        assert_eq!(reply.headers["sunset"], "Wed, 30 Jun 2027 00:00:00 GMT");
        assert_eq!(
            reply.headers.get("link").map(|v| v.to_str().unwrap()),
            successor
        );
    };
    let item = app.get("/items/item/old").await;
    assert_eq!(item.status, StatusCode::OK);
    expect_marked(&item, Some("</items/old>; rel=\"successor-version\""));
    let record = app.get("/masterdata/item/old").await;
    assert_eq!(record.status, StatusCode::OK);
    expect_marked(
        &record,
        Some("</masterdata/old>; rel=\"successor-version\""),
    );
    // Errors are marked too; an invalid identifier gets no successor.
    let missing = app.get("/items/item/missing").await;
    missing.assert_problem(404, &[]);
    expect_marked(
        &missing,
        Some("</items/missing>; rel=\"successor-version\""),
    );
    let invalid = app.get("/items/item/%20bad").await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    expect_marked(&invalid, None);
    // The successors say nothing of the kind.
    let current = app.get("/items/old").await;
    assert!(current.headers.get("deprecation").is_none());
    let page = app.metrics().await;
    assert_eq!(
        page.get(r#"legacy_requests_total{caller="anonymous",route="/items/item/{id}"}"#),
        3.0
    );
    assert_eq!(
        page.get(r#"legacy_requests_total{caller="anonymous",route="/masterdata/item/{id}"}"#),
        1.0
    );

    // Past the sunset: still answered unless set to retire them.
    let past = spawn_app_with(|s| s.server.legacy_sunset = "2020-01-01".into()).await;
    past.create_item("old", &[(1, &[1])]).await;
    assert_eq!(past.get("/items/item/old").await.status, StatusCode::OK);
    let retired = spawn_app_with(|s| {
        s.server.legacy_sunset = "2020-01-01".into();
        s.server.legacy_gone_after_sunset = true;
    })
    .await;
    retired.create_item("old", &[(1, &[1])]).await;
    let gone = retired.get("/items/item/old").await;
    gone.assert_problem(410, &[]);
    assert_eq!(gone.body["type"], "urn:problem:gone");
    assert_eq!(gone.headers["sunset"], "Wed, 01 Jan 2020 00:00:00 GMT");
    assert_eq!(
        gone.headers["link"],
        "</items/old>; rel=\"successor-version\""
    );
    assert_eq!(retired.get("/items/old").await.status, StatusCode::OK);
}
