//! On a catalog of 100,000 items, the preferred-item queries reach items
//! through their indexes, and for a signature or brick shared by thousands
//! of items they read only the rows they return. The plans are taken of
//! the very SQL files the repository runs.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::harness::{bricks_json, spawn_app_with};
use preferred_item_service::config::Source;

const EXACT: &str = include_str!("../../src/db/queries/shortlist_exact.sql");
const CONTAINS_ONE: &str = include_str!("../../src/db/queries/shortlist_contains_one.sql");
const CONTAINS_MANY: &str = include_str!("../../src/db/queries/shortlist_contains_many.sql");
const CATALOG: i32 = 100_000;
/// Items 1..=HOT share one signature and one brick.
const HOT: i32 = 5_000;

fn brick_key(design: i32, colour: i32) -> Vec<u8> {
    [design.to_be_bytes(), colour.to_be_bytes()].concat()
}

/// Item `gN` has one brick, design `N % 30000` in colour `N % 200`, except
/// the first `HOT` items, which all have design 7 in colour 7 and one
/// signature. Status rank is `N % 4`, and the copies on items and
/// item_bricks and the signature counts are written along, as the bulk
/// loader does.
async fn load_catalog(pool: &PgPool) {
    let statements = [
        "INSERT INTO items (identifier, brick_designs, brick_color_counts, brick_colors, signature, status_rank, price)
         SELECT 'g' || n, ARRAY[n % 30000], ARRAY[1], ARRAY[n % 200],
                CASE WHEN n <= $2 THEN sha256('hot') ELSE sha256(int4send(n)) END,
                n % 4, round(1 + (n % 5000) / 100.0, 2)
         FROM generate_series(1, $1) AS n",
        "INSERT INTO item_bricks (brick, identifier, multiplicity, status_rank, price)
         SELECT CASE WHEN n <= $2 THEN int4send(7) || int4send(7)
                     ELSE int4send(n % 30000) || int4send(n % 200) END,
                'g' || n, 1, n % 4, round(1 + (n % 5000) / 100.0, 2)
         FROM generate_series(1, $1) AS n",
    ];
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('catalog.copies_maintained', 'on', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    for statement in statements {
        sqlx::query(statement)
            .bind(CATALOG)
            .bind(HOT)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query(
        "INSERT INTO master_data (identifier, status, price)
         SELECT identifier, (ARRAY['Normal', 'Novelty', 'Outgoing', 'Discontinued'])[1 + status_rank], price
         FROM items",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO signature_counts (signature, status_rank, items)
         SELECT signature, status_rank, count(*) FROM items GROUP BY 1, 2",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
}

#[derive(Debug)]
struct Node {
    kind: String,
    relation: String,
    index: String,
    rows: u64,
}

fn nodes(plan: &Value, out: &mut Vec<Node>) {
    let text = |key: &str| {
        plan.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    if plan.get("Node Type").is_some() {
        let loops = plan
            .get("Actual Loops")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let rows = plan.get("Actual Rows").and_then(Value::as_u64).unwrap_or(0) * loops;
        out.push(Node {
            kind: text("Node Type"),
            relation: text("Relation Name"),
            index: text("Index Name"),
            rows,
        });
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

async fn explain(
    pool: &PgPool,
    sql: &str,
    bind: impl FnOnce(
        sqlx::query::QueryScalar<'_, sqlx::Postgres, Value, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryScalar<
        '_,
        sqlx::Postgres,
        Value,
        sqlx::postgres::PgArguments,
    >,
) -> Vec<Node> {
    let query = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN (ANALYZE, FORMAT JSON) {sql}"
    )));
    let plan: Value = bind(query).fetch_one(pool).await.unwrap();
    let mut all = Vec::new();
    nodes(&plan[0]["Plan"], &mut all);
    all
}

fn assert_no_sequential_scan(all: &[Node]) {
    for node in all {
        assert!(
            !(node.kind == "Seq Scan"
                && ["items", "item_bricks", "master_data"].contains(&node.relation.as_str())),
            "sequential scan of {}: {all:?}",
            node.relation
        );
    }
}

/// Rows taken from the table through `index`, excluding index-only scans
/// (which count without reading rows).
fn rows_read(all: &[Node], index: &str) -> u64 {
    all.iter()
        .filter(|n| n.index == index && n.kind == "Index Scan")
        .map(|n| n.rows)
        .sum()
}

#[tokio::test]
async fn lookups_use_their_indexes_and_read_only_what_they_return() {
    let app = spawn_app_with(|s| s.preferred_item.source = Source::Database).await;
    load_catalog(&app.pool).await;
    let hot_signature: Vec<u8> = sqlx::query_scalar("SELECT sha256('hot')")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let take = 3_i32;

    // Exact, on the signature of 5,000 items: 4 statuses x 3 rows at most.
    let exact = explain(&app.pool, EXACT, |q| {
        q.bind(vec![0_i32])
            .bind(vec![hot_signature.clone()])
            .bind(vec![true])
            .bind(vec![take])
    })
    .await;
    assert_no_sequential_scan(&exact);
    // The count is one key range of signature_counts, however many items.
    assert!(rows_read(&exact, "signature_counts_pkey") <= 4, "{exact:?}");
    assert!(
        rows_read(&exact, "items_signature_idx") <= 4 * take as u64,
        "{exact:?}"
    );

    // Contains one brick, held by 5,000 items.
    let contains_one = explain(&app.pool, CONTAINS_ONE, |q| {
        q.bind(vec![0_i32])
            .bind(vec![brick_key(7, 7)])
            .bind(vec![1_i32])
            .bind(vec![false])
            .bind(vec![take])
    })
    .await;
    assert_no_sequential_scan(&contains_one);
    assert!(
        contains_one
            .iter()
            .any(|n| n.index == "item_bricks_candidates_idx" && n.kind == "Index Only Scan"),
        "{contains_one:?}"
    );
    assert!(
        rows_read(&contains_one, "item_bricks_candidates_idx") <= 3 * take as u64,
        "{contains_one:?}"
    );

    // Contains several bricks: index probes per wanted brick.
    let contains_many = explain(&app.pool, CONTAINS_MANY, |q| {
        q.bind(vec![0_i32])
            .bind(vec![false])
            .bind(vec![1_i32])
            .bind(vec![2_i32])
            .bind(vec![0_i32, 0])
            .bind(vec![brick_key(42, 42), brick_key(43, 43)])
            .bind(vec![1_i32, 1])
    })
    .await;
    assert_no_sequential_scan(&contains_many);
    assert!(
        contains_many
            .iter()
            .any(|n| n.index == "item_bricks_candidates_idx"),
        "{contains_many:?}"
    );

    // The answers over that catalog are right. Of the hot brick's Normal
    // items (n divisible by 4), g5000 costs 1.00, g4 1.04 and g8 1.08.
    let reply = app
        .post_json(
            "/preferreditem",
            &json!({"bricks": bricks_json(&[(7, &[7])]), "match": "contains", "alternatives": 2}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["candidates"], HOT / 4 * 3);
    assert_eq!(reply.body["preferred_item"]["identifier"], "g5000");
    assert_eq!(reply.body["alternatives"][0]["item"]["identifier"], "g4");
    assert_eq!(reply.body["alternatives"][1]["item"]["identifier"], "g8");
}
