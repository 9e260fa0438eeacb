//! A replica's snapshot reads the catalog with binary `COPY` and decodes
//! it itself. Its answers must be those of the database source, which
//! reads the same rows through the driver's typed decoding: bricks,
//! statuses and prices, each price with its display scale (10.50 stays
//! 10.50).

use preferred_item_service::config::Source;
use serde_json::json;

use crate::harness::{bricks_json, spawn_app_from, spawn_replica};

#[tokio::test]
async fn a_snapshot_replica_answers_what_the_database_answers() {
    let database = spawn_app_from(Source::Database, |_| {}).await;
    let prices = [
        "1",
        "10.50",
        "0.0001",
        "1000000000",
        "123456789.1234",
        "7.0000",
        "99.9",
        "1e3",
        "2.5e-3",
        "10000.001",
        "3.14",
    ];
    let statuses = ["Normal", "Novelty", "Outgoing", "Discontinued"];
    let mut items = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let colours: Vec<i64> = (0..=i as i64).map(|c| c * 37 + 1).collect();
        let bricks: Vec<(i64, &[i64])> =
            vec![(3001 + i as i64, &colours), (77, &[0]), (i as i64, &[0, 5])];
        let id = format!("{}", 1_000_000 + i);
        database
            .create_priced(&id, &bricks, statuses[i % statuses.len()], price)
            .await;
        items.push((id, bricks_json(&bricks)));
    }
    // An item without master data.
    database.create_item("2000000", &[(5, &[3])]).await;
    items.push(("2000000".into(), bricks_json(&[(5, &[3])])));

    let memory = spawn_replica(&database.database_url, |s| {
        s.preferred_item.source = Source::Memory;
    })
    .await;
    let mut answered = 0;
    for (id, bricks) in &items {
        let question = json!({"bricks": bricks});
        let from_database = database.post_json("/preferreditem", &question).await;
        let from_memory = memory.post_json("/preferreditem", &question).await;
        assert_eq!(from_memory.status, from_database.status, "{id}");
        if from_memory.status != 200 {
            // A problem carries its own request id.
            assert_eq!(from_memory.body["type"], from_database.body["type"], "{id}");
            continue;
        }
        assert_eq!(from_memory.body, from_database.body, "{id}");
        {
            answered += 1;
            assert_eq!(
                from_memory.body["preferred_item"]["identifier"],
                id.as_str()
            );
            let i = id.parse::<usize>().unwrap() - 1_000_000;
            // The literal as written, or its normal form when written with
            // an exponent.
            let price = from_memory.body["item_info"]["price"].to_string();
            let written = prices[i];
            if !written.contains('e') {
                assert_eq!(price, written, "{id}");
            }
        }
    }
    // Every priced item that is not discontinued (2 of the 11) is answered.
    assert_eq!(answered, 9);
}
