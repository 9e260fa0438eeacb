//! The preferred-item answers of the running service (HTTP, the SQL
//! lookups that shortlist candidates, then the decision) against the
//! brute-force oracle, over random small catalogs loaded through the bulk
//! routes. Each case asks a batch of random questions with both
//! strategies, plus each question again with its bricks reversed.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use preferred_item_service::config::Source;

use crate::harness::{spawn_app_from, TestApp};
use crate::oracle::*;

const CASES: u32 = 300;

pub fn bricks_value(bricks: &[RawBrick]) -> Value {
    bricks
        .iter()
        .map(|(design, colours)| json!({"design_id": design, "color_codes": colours}))
        .collect()
}

/// Replaces the catalog with `catalog`, through the bulk routes.
pub async fn load(app: &TestApp, catalog: &[RawItem]) {
    sqlx::query("TRUNCATE items, item_bricks, master_data, signature_counts")
        .execute(&app.pool)
        .await
        .unwrap();
    if catalog.is_empty() {
        app.settle().await;
        return;
    }
    let items: Vec<Value> = catalog
        .iter()
        .map(|i| json!({"identifier": i.id, "bricks": bricks_value(&i.bricks)}))
        .collect();
    let reply = app.post_json("/items/bulk", &Value::Array(items)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // Prices as exact literals, in ten-thousandths.
    let records: Vec<String> = catalog
        .iter()
        .filter_map(|i| {
            let (status, price) = i.master_data?;
            let status = ["Normal", "Novelty", "Outgoing", "Discontinued"][status];
            Some(format!(
                r#"{{"identifier":"{}","status":"{status}","price":{}.{:04}}}"#,
                i.id,
                price / 10_000,
                price % 10_000
            ))
        })
        .collect();
    if !records.is_empty() {
        let reply = app.bulk_master_data(&records).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

/// The service's answer to each query: identifiers of the preferred item
/// and alternatives, and the candidate count.
fn answers(reply: &Value) -> Vec<Option<(Vec<String>, u64)>> {
    reply["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            if r.get("error").is_some() {
                assert_eq!(r["error"]["status"], 404, "{r}");
                return None;
            }
            let ids = std::iter::once(&r["preferred_item"])
                .chain(
                    r["alternatives"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| &a["item"]),
                )
                .map(|i| i["identifier"].as_str().unwrap().to_owned())
                .collect();
            Some((ids, r["candidates"].as_u64().unwrap()))
        })
        .collect()
}

async fn check(
    app: &TestApp,
    catalog: &[RawItem],
    queries: &[RawQuery],
) -> Result<(), TestCaseError> {
    load(app, catalog).await;
    agrees_with_oracle(app, catalog, queries).await
}

/// Asks `queries` (each also with its bricks reversed, with both
/// strategies) and compares every answer with the oracle's over
/// `catalog`.
pub async fn agrees_with_oracle(
    app: &TestApp,
    catalog: &[RawItem],
    queries: &[RawQuery],
) -> Result<(), TestCaseError> {
    for score in [false, true] {
        let queries: Vec<RawQuery> = queries
            .iter()
            .map(|q| RawQuery {
                score,
                weights: [3, 2, 1, 0],
                ..q.clone()
            })
            .collect();
        // Each question, then the same with its bricks reversed.
        let asked: Vec<Value> = queries
            .iter()
            .flat_map(|q| {
                let mut reversed = q.bricks.clone();
                reversed.reverse();
                [q.bricks.clone(), reversed].map(|bricks| {
                    json!({
                        "bricks": bricks_value(&bricks),
                        "match": if q.contains { "contains" } else { "exact" },
                        "include_discontinued": q.include_discontinued,
                        "alternatives": q.alternatives,
                    })
                })
            })
            .collect();
        let strategy = if score { "score" } else { "rank" };
        let reply = app
            .post_json(
                "/preferreditem/batch",
                &json!({"strategy": strategy, "queries": asked}),
            )
            .await;
        prop_assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
        let got = answers(&reply.body);
        for (i, query) in queries.iter().enumerate() {
            let expected = oracle_answer(catalog, query);
            prop_assert_eq!(&got[2 * i], &expected, "{} query {:?}", strategy, query);
            prop_assert_eq!(
                &got[2 * i + 1],
                &expected,
                "{} reversed {:?}",
                strategy,
                query
            );
        }
    }
    Ok(())
}

fn the_service_answers_as_the_oracle_does(source: Source) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(spawn_app_from(source, |_| {}));
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let cases = (raw_catalog(), prop::collection::vec(raw_query(), 1..6));
    let result = runner.run(&cases, |(catalog, queries)| {
        runtime.block_on(check(&app, &catalog, &queries))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn the_memory_source_answers_as_the_oracle_does() {
    the_service_answers_as_the_oracle_does(Source::Memory);
}

#[test]
fn the_database_source_answers_as_the_oracle_does() {
    the_service_answers_as_the_oracle_does(Source::Database);
}
