//! On a catalog of 100,000 items, the preferred-item queries reach items
//! through their indexes. The plans are taken of the very SQL files the
//! repository runs.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::harness::{bricks_json, spawn_app};

const EXACT: &str = include_str!("../../src/db/queries/shortlist_exact.sql");
const CONTAINS: &str = include_str!("../../src/db/queries/shortlist_contains.sql");
const CATALOG: i32 = 100_000;

/// Item `gN` has one brick, design `N % 30000` in colour `N % 200`.
async fn load_catalog(pool: &PgPool) {
    let statements = [
        "INSERT INTO items (identifier, brick_designs, brick_color_counts, brick_colors, signature)
         SELECT 'g' || n, ARRAY[n % 30000], ARRAY[1], ARRAY[n % 200], sha256(int4send(n))
         FROM generate_series(1, $1) AS n",
        "INSERT INTO item_bricks (brick, identifier, multiplicity)
         SELECT int4send(n % 30000) || int4send(n % 200), 'g' || n, 1
         FROM generate_series(1, $1) AS n",
        "INSERT INTO master_data (identifier, status, price)
         SELECT 'g' || n, (ARRAY['Normal', 'Novelty', 'Outgoing', 'Discontinued'])[1 + n % 4],
                round(1 + (n % 5000) / 100.0, 2)
         FROM generate_series(1, $1) AS n",
    ];
    for statement in statements {
        sqlx::query(statement)
            .bind(CATALOG)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
}

/// Every (node type, relation, index) in a JSON plan.
fn nodes(plan: &Value, out: &mut Vec<(String, String, String)>) {
    let text = |key: &str| {
        plan.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if plan.get("Node Type").is_some() {
        out.push((text("Node Type"), text("Relation Name"), text("Index Name")));
    }
    for child in plan
        .get("Plans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        nodes(child, out);
    }
}

fn assert_indexed(plan: &Value, index: &str) {
    let mut all = Vec::new();
    nodes(&plan[0]["Plan"], &mut all);
    for (node, relation, _) in &all {
        assert!(
            !(node == "Seq Scan"
                && ["items", "item_bricks", "master_data"].contains(&relation.as_str())),
            "sequential scan of {relation}: {all:?}"
        );
    }
    assert!(
        all.iter().any(|(_, _, i)| i == index),
        "{index} unused: {all:?}"
    );
    assert!(
        all.iter().any(|(_, _, i)| i == "master_data_pkey"),
        "master_data_pkey unused: {all:?}"
    );
}

#[tokio::test]
async fn lookups_use_their_indexes_on_a_hundred_thousand_items() {
    let app = spawn_app().await;
    load_catalog(&app.pool).await;
    let signature: Vec<u8> =
        sqlx::query_scalar("SELECT signature FROM items WHERE identifier = 'g42'")
            .fetch_one(&app.pool)
            .await
            .unwrap();

    let exact: Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (FORMAT JSON) {EXACT}"
    )))
    .bind(vec![0_i32])
    .bind(vec![signature])
    .bind(vec![false])
    .bind(vec![1_i32])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_indexed(&exact, "items_signature_idx");

    let brick_42: Vec<u8> = [42_i32.to_be_bytes(), 42_i32.to_be_bytes()].concat();
    let brick_43: Vec<u8> = [43_i32.to_be_bytes(), 43_i32.to_be_bytes()].concat();
    let contains: Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (FORMAT JSON) {CONTAINS}"
    )))
    .bind(vec![0_i32, 1])
    .bind(vec![false, true])
    .bind(vec![1_i32, 21])
    .bind(vec![1_i32, 2])
    .bind(vec![0_i32, 1, 1])
    .bind(vec![brick_42.clone(), brick_42, brick_43])
    .bind(vec![1_i32, 1, 1])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_indexed(&contains, "item_bricks_pkey");

    // And the answers over that catalog are right (the generated
    // signatures are not real ones, so ask with `contains`): design 42 colour 42
    // is held by g42, g30042, g60042 and g90042 (all Outgoing, as n % 4
    // is 2), cheapest first.
    let reply = app
        .post_json(
            "/preferreditem",
            &json!({"bricks": bricks_json(&[(42, &[42])]), "match": "contains", "alternatives": 5}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["candidates"], 4);
    assert_eq!(reply.body["preferred_item"]["identifier"], "g30042");
}
