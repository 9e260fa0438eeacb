//! Conditional requests: ETags on reads and writes, 304, 412 and 428.

use crate::harness::{bricks_json, spawn_app, spawn_app_with, Reply, TestApp};
use reqwest::Method;
use serde_json::json;

fn etag(reply: &Reply) -> String {
    reply.header("etag").expect("an ETag").to_owned()
}

fn assert_strong(tag: &str) {
    assert!(
        tag.len() == 34 && tag.starts_with('"') && tag.ends_with('"'),
        "a strong tag of 128 bits: {tag}"
    );
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Reply {
    app.send_with(Method::GET, path, headers, None).await
}

#[tokio::test]
async fn an_item_read_carries_a_strong_tag_and_revalidates_with_304() {
    let app = spawn_app().await;
    app.create_item("tagged", &[(1, &[1, 2])]).await;
    let first = app.get("/items/tagged").await;
    assert_eq!(first.status, 200);
    let tag = etag(&first);
    assert_strong(&tag);
    assert_eq!(first.header("cache-control"), Some("private, no-cache"));
    // The same representation, the same tag.
    assert_eq!(etag(&app.get("/items/tagged").await), tag);

    let again = get_with(&app, "/items/tagged", &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, serde_json::Value::Null, "no body");
    assert_eq!(etag(&again), tag);
    assert_eq!(again.header("cache-control"), Some("private, no-cache"));
    // Weak comparison: W/ is set aside; a list holding it matches too.
    let weak = format!("W/{tag}");
    let listed = format!("\"other\", {tag}");
    for header in [weak.as_str(), listed.as_str(), "*"] {
        let reply = get_with(&app, "/items/tagged", &[("if-none-match", header)]).await;
        assert_eq!(reply.status, 304, "{header}");
    }
    let other = get_with(&app, "/items/tagged", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body["identifier"], "tagged");

    // A write's answer carries the new representation's tag.
    let put = app
        .put_json(
            "/items/tagged",
            &json!({"bricks": bricks_json(&[(2, &[3])])}),
        )
        .await;
    assert_eq!(put.status, 200);
    let new_tag = etag(&put);
    assert_ne!(new_tag, tag);
    assert_eq!(etag(&app.get("/items/tagged").await), new_tag);
    let stale = get_with(&app, "/items/tagged", &[("if-none-match", &tag)]).await;
    assert_eq!(stale.status, 200, "a changed item is sent again");
}

#[tokio::test]
async fn if_match_guards_puts_and_deletes_of_items() {
    let app = spawn_app().await;
    app.create_item("guarded", &[(1, &[1])]).await;
    let tag = etag(&app.get("/items/guarded").await);
    let change = json!({"bricks": bricks_json(&[(5, &[5])])});

    let replaced = app
        .send_with(
            Method::PUT,
            "/items/guarded",
            &[("if-match", &tag)],
            Some(&change),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let current = etag(&replaced);

    // The old tag no longer holds: 412, and nothing is written.
    let other = json!({"bricks": bricks_json(&[(9, &[9])])});
    let refused = app
        .send_with(
            Method::PUT,
            "/items/guarded",
            &[("if-match", &tag)],
            Some(&other),
        )
        .await;
    refused.assert_problem(412, &[]);
    assert_eq!(refused.body["type"], "urn:problem:precondition-failed");
    let stored = app.get("/items/guarded").await;
    assert_eq!(stored.body["bricks"], bricks_json(&[(5, &[5])]));
    // A weak tag never satisfies If-Match.
    let weak = format!("W/{current}");
    app.send_with(
        Method::PUT,
        "/items/guarded",
        &[("if-match", &weak)],
        Some(&other),
    )
    .await
    .assert_problem(412, &[]);
    // If-Match on an item that does not exist: 412, and it is not created.
    app.send_with(
        Method::PUT,
        "/items/absent",
        &[("if-match", &current)],
        Some(&other),
    )
    .await
    .assert_problem(412, &[]);
    assert_eq!(app.get("/items/absent").await.status, 404);

    // DELETE: a stale tag keeps the item; the current one deletes it.
    app.send_with(
        Method::DELETE,
        "/items/guarded",
        &[("if-match", &tag)],
        None,
    )
    .await
    .assert_problem(412, &[]);
    assert_eq!(app.get("/items/guarded").await.status, 200);
    let deleted = app
        .send_with(
            Method::DELETE,
            "/items/guarded",
            &[("if-match", &current)],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
    // Nothing to delete: 404 whatever the precondition.
    app.send_with(
        Method::DELETE,
        "/items/guarded",
        &[("if-match", &current)],
        None,
    )
    .await
    .assert_problem(404, &[]);
}

#[tokio::test]
async fn if_none_match_star_creates_only() {
    let app = spawn_app().await;
    let body = json!({"bricks": bricks_json(&[(1, &[1])])});
    let created = app
        .send_with(
            Method::PUT,
            "/items/fresh",
            &[("if-none-match", "*")],
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_strong(&etag(&created));
    assert_eq!(created.header("location"), Some("/items/fresh"));
    let second = json!({"bricks": bricks_json(&[(2, &[2])])});
    let refused = app
        .send_with(
            Method::PUT,
            "/items/fresh",
            &[("if-none-match", "*")],
            Some(&second),
        )
        .await;
    refused.assert_problem(412, &[]);
    assert_eq!(
        app.get("/items/fresh").await.body["bricks"],
        bricks_json(&[(1, &[1])])
    );

    // Master data: created once, refused after.
    let record = json!({"status": "Normal", "price": 3});
    let made = app
        .send_with(
            Method::PUT,
            "/masterdata/fresh",
            &[("if-none-match", "*")],
            Some(&record),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    app.send_with(
        Method::PUT,
        "/masterdata/fresh",
        &[("if-none-match", "*")],
        Some(&json!({"status": "Outgoing", "price": 1})),
    )
    .await
    .assert_problem(412, &[]);
    assert_eq!(app.get("/masterdata/fresh").await.body["status"], "Normal");
}

#[tokio::test]
async fn master_data_reads_and_writes_are_conditional_too() {
    let app = spawn_app().await;
    app.create_priced("priced", &[(1, &[1])], "Normal", "4")
        .await;
    let read = app.get("/masterdata/priced").await;
    let tag = etag(&read);
    assert_strong(&tag);
    assert_eq!(
        get_with(&app, "/masterdata/priced", &[("if-none-match", &tag)])
            .await
            .status,
        304
    );
    let cheaper = json!({"status": "Normal", "price": 3});
    let replaced = app
        .send_with(
            Method::PUT,
            "/masterdata/priced",
            &[("if-match", &tag)],
            Some(&cheaper),
        )
        .await;
    assert_eq!(replaced.status, 200);
    assert_ne!(etag(&replaced), tag);
    app.send_with(
        Method::PUT,
        "/masterdata/priced",
        &[("if-match", &tag)],
        Some(&json!({"status": "Outgoing", "price": 9})),
    )
    .await
    .assert_problem(412, &[]);
    app.send_with(
        Method::DELETE,
        "/masterdata/priced",
        &[("if-match", &tag)],
        None,
    )
    .await
    .assert_problem(412, &[]);
    let stored = app.get("/masterdata/priced").await;
    assert_eq!(stored.body["price"], 3);
    let gone = app
        .send_with(
            Method::DELETE,
            "/masterdata/priced",
            &[("if-match", &etag(&stored))],
            None,
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn a_deployment_can_require_a_precondition_on_every_write() {
    let app = spawn_app_with(|s| s.http.require_if_match = true).await;
    let body = json!({"bricks": bricks_json(&[(1, &[1])])});
    let refused = app.put_json("/items/strict", &body).await;
    refused.assert_problem(428, &[]);
    assert_eq!(refused.body["type"], "urn:problem:precondition-required");
    assert_eq!(app.count("SELECT count(*) FROM items").await, 0);
    let created = app
        .send_with(
            Method::PUT,
            "/items/strict",
            &[("if-none-match", "*")],
            Some(&body),
        )
        .await;
    assert_eq!(created.status, 201);
    app.delete("/items/strict").await.assert_problem(428, &[]);
    app.send_raw(
        Method::PUT,
        "/masterdata/strict",
        r#"{"status": "Normal", "price": 1}"#.into(),
    )
    .await
    .assert_problem(428, &[]);
    // Creating with POST names no precondition and needs none.
    let posted = app
        .post_json(
            "/items",
            &json!({"identifier": "posted", "bricks": bricks_json(&[(2, &[2])])}),
        )
        .await;
    assert_eq!(posted.status, 201);
    assert_strong(&etag(&posted));
}

#[tokio::test]
async fn list_pages_carry_a_weak_tag() {
    let app = spawn_app().await;
    app.create_item("a", &[(1, &[1])]).await;
    app.create_item("b", &[(2, &[2])]).await;
    let page = app.get("/items?limit=1").await;
    let tag = etag(&page);
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(page.header("cache-control"), Some("private, no-cache"));
    let again = get_with(&app, "/items?limit=1", &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, 304);
    assert!(
        again.header("link").is_some(),
        "the next link stays on a 304"
    );
    // The next item changing changes the second page, not the first.
    app.put_json("/items/b", &json!({"bricks": bricks_json(&[(3, &[3])])}))
        .await;
    assert_eq!(
        get_with(&app, "/items?limit=1", &[("if-none-match", &tag)])
            .await
            .status,
        304
    );
    app.put_json("/items/a", &json!({"bricks": bricks_json(&[(4, &[4])])}))
        .await;
    assert_eq!(
        get_with(&app, "/items?limit=1", &[("if-none-match", &tag)])
            .await
            .status,
        200
    );
    let records = app.get("/masterdata").await;
    assert!(etag(&records).starts_with("W/\""));
}

#[tokio::test]
async fn a_repeated_question_is_not_modified_until_its_answer_changes() {
    let app = spawn_app().await;
    app.create_priced("answer", &[(1, &[1])], "Normal", "5")
        .await;
    app.settle().await;
    let question = json!({"bricks": [{"design_id": 1, "color_codes": [1]}]});
    let first = app.post_json("/preferreditem", &question).await;
    assert_eq!(first.status, 200);
    let tag = etag(&first);
    assert!(tag.starts_with("W/\""), "{tag}");
    let again = app
        .send_with(
            Method::POST,
            "/preferreditem",
            &[("if-none-match", &tag)],
            Some(&question),
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, serde_json::Value::Null);
    assert!(again.header("x-catalog-version").is_some());
    // The price it shows changes: the answer is sent again.
    app.put_master_data("answer", "Normal", "4").await;
    let changed = app
        .send_with(
            Method::POST,
            "/preferreditem",
            &[("if-none-match", &tag)],
            Some(&question),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["item_info"]["price"], 4);
    assert_ne!(etag(&changed), tag);
}

#[tokio::test]
async fn of_two_editors_with_the_same_tag_exactly_one_wins() {
    let app = spawn_app().await;
    app.create_item("contested", &[(1, &[1])]).await;
    for round in 0..10i64 {
        let tag = etag(&app.get("/items/contested").await);
        let (left, right) = (
            json!({"bricks": bricks_json(&[(100 + round, &[1])])}),
            json!({"bricks": bricks_json(&[(200 + round, &[2])])}),
        );
        let condition = [("if-match", tag.as_str())];
        let (a, b) = tokio::join!(
            app.send_with(Method::PUT, "/items/contested", &condition, Some(&left)),
            app.send_with(Method::PUT, "/items/contested", &condition, Some(&right)),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}");
        let winner = if a.status == 200 { &left } else { &right };
        let stored = app.get("/items/contested").await;
        assert_eq!(stored.body["bricks"], winner["bricks"], "round {round}");
        let won = if a.status == 200 { &a } else { &b };
        assert_eq!(etag(&stored), etag(won));
    }
}

#[tokio::test]
async fn browsers_on_another_origin_can_read_the_tag_and_send_preconditions() {
    let app =
        spawn_app_with(|s| s.cors.allowed_origins = vec!["https://shop.example".into()]).await;
    app.create_item("cors", &[(1, &[1])]).await;
    let read = get_with(&app, "/items/cors", &[("origin", "https://shop.example")]).await;
    let exposed = read
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.split(',').any(|h| h.trim() == "etag"), "{exposed}");
    let preflight = app
        .send_with(
            Method::OPTIONS,
            "/items/cors",
            &[
                ("origin", "https://shop.example"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "if-match"),
            ],
            None,
        )
        .await;
    assert_eq!(preflight.status, 200);
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("if-match"), "{allowed}");
}

#[tokio::test]
async fn revalidations_answered_304_do_not_count_against_the_rate_limit() {
    let app = spawn_app_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.per_second = 1;
        s.rate_limit.burst = 2;
    })
    .await;
    app.create_item("limited", &[(1, &[1])]).await; // the first token
    let read = app.get("/items/limited").await; // the second
    assert_eq!(read.status, 200);
    let tag = etag(&read);
    // Revalidations answered 304 take nothing from the limit...
    for i in 0..10 {
        let again = get_with(&app, "/items/limited", &[("if-none-match", &tag)]).await;
        assert_eq!(again.status, 304, "revalidation {i}");
    }
    // ...while one that gets the whole answer counts like any read.
    let stale = get_with(&app, "/items/limited", &[("if-none-match", "\"stale\"")]).await;
    stale.assert_problem(429, &[]);
    assert!(stale.header("retry-after").is_some());
    app.get("/items/limited").await.assert_problem(429, &[]);
    // Revalidations have an allowance of their own, ten times the limit:
    // a flood of them is refused too.
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..40 {
        let reply = get_with(&app, "/items/limited", &[("if-none-match", &tag)]).await;
        *statuses.entry(reply.status.as_u16()).or_insert(0) += 1;
    }
    assert!(statuses.get(&429).copied().unwrap_or(0) > 0, "{statuses:?}");
    assert!(statuses.get(&304).copied().unwrap_or(0) > 0, "{statuses:?}");
}
