//! Export: the routes and the command give back what import reads, from one
//! snapshot; a round trip through them changes nothing.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

use crate::harness::{bricks_json, spawn_app, spawn_replica, TestApp};
use crate::import::{run, temp_dir};
use preferred_item_service::config::Source;

/// A body of `path`, as text, with its status and version header.
async fn export(app: &TestApp, path: &str) -> (u16, Option<String>, String, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (version, kind) = (header("x-catalog-version"), header("content-type"));
    (
        status,
        version,
        kind.unwrap_or_default(),
        response.text().await.unwrap(),
    )
}

#[tokio::test]
async fn the_export_routes_stream_what_the_bulk_routes_read() {
    let app = spawn_app().await;
    app.create_item("b-item", &[(2, &[3, 1]), (1, &[7])]).await;
    app.create_item("a-item", &[(5, &[0])]).await;
    app.put_master_data("a-item", "Novelty", "12.50").await;

    let (status, version, kind, items) = export(&app, "/items/export").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/x-ndjson");
    assert!(version.unwrap().parse::<u64>().unwrap() > 0);
    let lines: Vec<Value> = items
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        json!({"identifier": "a-item", "bricks": bricks_json(&[(5, &[0])])})
    );
    assert_eq!(lines[1]["identifier"], "b-item");

    let (_, _, _, records) = export(&app, "/masterdata/export").await;
    assert_eq!(
        records,
        "{\"identifier\":\"a-item\",\"status\":\"Novelty\",\"price\":12.50}\n"
    );
    let (status, _, kind, csv) = export(&app, "/masterdata/export?format=csv").await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert_eq!(csv, "identifier,status,price\na-item,Novelty,12.50\n");
    let (_, _, _, csv) = export(&app, "/items/export?format=csv").await;
    assert_eq!(csv.lines().next(), Some("identifier,bricks"));
    assert_eq!(csv.lines().nth(1), Some("a-item,5:0"));

    let wrong = app.get("/items/export?format=xml").await;
    wrong.assert_problem(422, &["format"]);

    // What came out goes back in through the bulk route unchanged.
    let copy = spawn_app().await;
    let reply = copy
        .client
        .post(copy.url("/items/bulk"))
        .header("content-type", "application/x-ndjson")
        .body(items.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(export(&copy, "/items/export").await.3, items);
}

#[derive(Debug, Clone)]
struct Record {
    id: String,
    bricks: Vec<(i64, Vec<i64>)>,
    master_data: Option<(&'static str, String)>,
}

fn identifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._:-]{1,12}"
}

fn price() -> impl Strategy<Value = String> {
    prop_oneof![
        (1..=1_000_000_000_u64).prop_map(|p| p.to_string()),
        (1..100_000_u64, 0..5_usize).prop_map(|(p, scale)| {
            let digits = format!("{p:05}");
            let (int, frac) = digits.split_at(digits.len() - 4);
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            if scale == 0 {
                if int == "0" {
                    "1".to_owned()
                } else {
                    int.to_owned()
                }
            } else if int == "0" && frac[..scale].bytes().all(|b| b == b'0') {
                format!("0.{}1", &frac[..scale - 1])
            } else {
                format!("{int}.{}", &frac[..scale])
            }
        }),
    ]
}

fn catalog() -> impl Strategy<Value = Vec<Record>> {
    let brick = (
        0..i64::from(i32::MAX),
        prop::collection::vec(0..i64::from(i32::MAX), 1..5),
    );
    let status = prop_oneof![
        Just("Normal"),
        Just("Novelty"),
        Just("Outgoing"),
        Just("Discontinued")
    ];
    prop::collection::btree_map(
        identifier(),
        (
            prop::collection::vec(brick, 1..6),
            prop::option::of((status, price())),
        ),
        0..20,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .map(|(id, (bricks, master_data))| Record {
                id,
                bricks,
                master_data,
            })
            .collect()
    })
}

async fn load(app: &TestApp, catalog: &[Record]) {
    if catalog.is_empty() {
        return;
    }
    let items: Vec<Value> = catalog
        .iter()
        .map(|r| {
            let bricks: Vec<Value> = r
                .bricks
                .iter()
                .map(|(d, c)| json!({"design_id": d, "color_codes": c}))
                .collect();
            json!({"identifier": r.id, "bricks": bricks})
        })
        .collect();
    let reply = app.post_json("/items/bulk", &Value::Array(items)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let records: Vec<String> = catalog
        .iter()
        .filter_map(|r| {
            let (status, price) = r.master_data.as_ref()?;
            Some(format!(
                r#"{{"identifier":"{}","status":"{status}","price":{price}}}"#,
                r.id
            ))
        })
        .collect();
    if !records.is_empty() {
        let reply = app.bulk_master_data(&records).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

/// A catalog, exported; imported elsewhere (the NDJSON through the bulk
/// routes, the CSV through `import`); exported again: the same bytes, and
/// the same records as went in.
/// The same batch of questions (each item's bricks, exact; its first brick,
/// contains) by both strategies: the answers' JSON.
async fn answers(app: &TestApp, catalog: &[Record]) -> Vec<Value> {
    let mut queries = Vec::new();
    for record in catalog.iter().take(6) {
        let bricks: Vec<Value> = record
            .bricks
            .iter()
            .map(|(d, c)| json!({"design_id": d, "color_codes": c}))
            .collect();
        queries.push(json!({"bricks": bricks.clone(), "alternatives": 2}));
        queries
            .push(json!({"bricks": [bricks[0].clone()], "match": "contains", "alternatives": 3}));
    }
    if queries.is_empty() {
        return Vec::new();
    }
    let mut got = Vec::new();
    for strategy in ["rank", "score"] {
        let reply = app
            .post_json(
                "/preferreditem/batch",
                &json!({"strategy": strategy, "queries": queries}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let mut body = reply.body;
        // Each request has its own id; the answers are what is compared.
        for result in body["results"].as_array_mut().unwrap() {
            if let Some(error) = result.get_mut("error").and_then(Value::as_object_mut) {
                error.remove("request_id");
            }
        }
        got.push(body);
    }
    got
}

async fn round_trip(
    from: &TestApp,
    to: &TestApp,
    to_by_database: &TestApp,
    catalog: &[Record],
) -> Result<(), TestCaseError> {
    for app in [from, to] {
        sqlx::query("TRUNCATE items, item_bricks, master_data, signature_counts")
            .execute(&app.pool)
            .await
            .unwrap();
    }
    load(from, catalog).await;
    let items = export(from, "/items/export").await.3;
    let records = export(from, "/masterdata/export").await.3;
    // Every record as it went in (bricks as multisets, prices as numbers).
    let exported: Vec<Value> = items
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    prop_assert_eq!(exported.len(), catalog.len());
    for (line, record) in exported.iter().zip(catalog) {
        prop_assert_eq!(line["identifier"].as_str(), Some(record.id.as_str()));
        let mut got: Vec<(i64, Vec<i64>)> = line["bricks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["design_id"].as_i64().unwrap(),
                    b["color_codes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_i64().unwrap())
                        .collect(),
                )
            })
            .collect();
        let mut want = record.bricks.clone();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
    let priced: Vec<&Record> = catalog.iter().filter(|r| r.master_data.is_some()).collect();
    prop_assert_eq!(records.lines().count(), priced.len());
    for (line, record) in records.lines().zip(priced) {
        let line: Value = serde_json::from_str(line).unwrap();
        let (status, price) = record.master_data.as_ref().unwrap();
        prop_assert_eq!(line["status"].as_str(), Some(*status));
        let exported: f64 = line["price"].to_string().parse().unwrap();
        let given: f64 = price.parse().unwrap();
        prop_assert_eq!(exported, given);
    }

    // NDJSON back in through the bulk routes.
    for (path, body) in [("/items/bulk", &items), ("/masterdata/bulk", &records)] {
        if body.is_empty() {
            continue;
        }
        let reply = to
            .client
            .post(to.url(path))
            .header("content-type", "application/x-ndjson")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        prop_assert_eq!(reply.status().as_u16(), 200);
    }
    prop_assert_eq!(&export(to, "/items/export").await.3, &items);
    prop_assert_eq!(&export(to, "/masterdata/export").await.3, &records);

    // CSV out with the command, back in with `import --mode replace`.
    let dir = temp_dir("export");
    let out = run(
        from,
        &["export", "--out", dir.to_str().unwrap(), "--format", "csv"],
    );
    prop_assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (items_csv, records_csv) = (dir.join("items.csv"), dir.join("masterdata.csv"));
    let back = run(
        to,
        &[
            "import",
            "--mode",
            "replace",
            "--items",
            items_csv.to_str().unwrap(),
            "--masterdata",
            records_csv.to_str().unwrap(),
        ],
    );
    prop_assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    prop_assert_eq!(&export(to, "/items/export").await.3, &items);
    prop_assert_eq!(&export(to, "/masterdata/export").await.3, &records);
    let _ = std::fs::remove_dir_all(dir);

    // The copy answers as the original, from memory and from the database.
    to.settle().await;
    let original = answers(from, catalog).await;
    prop_assert_eq!(&answers(to, catalog).await, &original, "from memory");
    prop_assert_eq!(
        &answers(to_by_database, catalog).await,
        &original,
        "from the database"
    );
    Ok(())
}

#[test]
fn any_catalog_survives_a_round_trip_through_export_and_import() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (from, to, to_by_database) = runtime.block_on(async {
        let (from, to) = (spawn_app().await, spawn_app().await);
        let by_database = spawn_replica(&to.database_url, |s| {
            s.preferred_item.source = Source::Database;
        })
        .await;
        (from, to, by_database)
    });
    let mut runner = TestRunner::new(Config::with_cases(24));
    let result = runner.run(&catalog(), |catalog| {
        runtime.block_on(round_trip(&from, &to, &to_by_database, &catalog))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn the_export_command_writes_both_files_or_standard_output() {
    let app = spawn_app().await;
    app.create_item("one", &[(1, &[1])]).await;
    app.put_master_data("one", "Normal", "3").await;
    let out = run(&app, &["export", "--out", "-", "--only", "items"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"identifier\":\"one\",\"bricks\":[{\"design_id\":1,\"color_codes\":[1]}]}\n"
    );
    let both = run(&app, &["export", "--out", "-"]);
    let text = String::from_utf8(both.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text
        .lines()
        .nth(1)
        .unwrap()
        .contains("\"status\":\"Normal\""));
    let stderr = String::from_utf8(both.stderr).unwrap();
    assert!(
        stderr.contains("exported 1 items and 1 master data records"),
        "{stderr}"
    );
    let wrong = run(&app, &["export", "--out", "-", "--only", "prices"]);
    assert!(!wrong.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_export_is_one_snapshot_while_writers_change_the_catalog() {
    let app = spawn_app().await;
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"identifier": format!("snap{i:03}"), "bricks": bricks_json(&[(i, &[1])])}))
        .collect();
    assert_eq!(
        app.post_json("/items/bulk", &Value::Array(items))
            .await
            .status,
        200
    );
    let records: Vec<String> = (0..300)
        .map(|i| {
            format!(
                r#"{{"identifier":"snap{i:03}","status":"Normal","price":{}}}"#,
                i + 1
            )
        })
        .collect();
    assert_eq!(app.bulk_master_data(&records).await.status, 200);

    // A writer deletes items one by one (their master data goes with them,
    // in the same transaction) throughout.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (pool, stop) = (app.pool.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("DELETE FROM items WHERE identifier = $1")
                    .bind(format!("snap{:03}", n % 300))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                n += 1;
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
            n
        })
    };
    for _ in 0..4 {
        let out = run(&app, &["export", "--out", "-"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let items: std::collections::BTreeSet<&str> = lines
            .iter()
            .filter(|l| l.get("bricks").is_some())
            .map(|l| l["identifier"].as_str().unwrap())
            .collect();
        let priced: Vec<&str> = lines
            .iter()
            .filter(|l| l.get("status").is_some())
            .map(|l| l["identifier"].as_str().unwrap())
            .collect();
        // Every record's item is in the same export, and every item of
        // this catalog has its record: both parts saw one moment.
        assert!(
            priced.iter().all(|id| items.contains(id)),
            "a record without its item"
        );
        assert_eq!(
            priced.len(),
            items.len(),
            "items and records from different moments"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let deletions = writer.await.unwrap();
    assert!(deletions > 0);
}
