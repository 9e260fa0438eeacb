//! Every `import` mode with every combination of files, in both formats,
//! for both sources: a random catalog is loaded, random files are imported
//! over it by the real binary, and the service's answers are compared with
//! the brute-force oracle's over the catalog the README's table of modes
//! says must result ("Commands", `import`).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::fmt::Write as _;

use preferred_item_service::config::Source;

use crate::harness::{spawn_app_from, TestApp};
use crate::import::{run, temp_dir, text};
use crate::oracle::*;
use crate::properties::{agrees_with_oracle, load};

/// Random cases per mode, files and format.
const CASES: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Files {
    Items,
    MasterData,
    Both,
}

const STATUSES: [&str; 4] = ["Normal", "Novelty", "Outgoing", "Discontinued"];

fn price_text(price: i64) -> String {
    format!("{}.{:04}", price / 10_000, price % 10_000)
}

/// `catalog`'s items as an import file.
fn items_file(catalog: &[RawItem], csv: bool) -> String {
    let mut out = String::new();
    if csv {
        out.push_str("identifier,bricks\n");
    }
    for item in catalog {
        if csv {
            let bricks: Vec<String> = item
                .bricks
                .iter()
                .map(|(design, colours)| {
                    let colours: Vec<String> = colours.iter().map(i64::to_string).collect();
                    format!("{design}:{}", colours.join("/"))
                })
                .collect();
            writeln!(out, "{},{}", item.id, bricks.join(";")).unwrap();
        } else {
            let line = serde_json::json!({
                "identifier": item.id,
                "bricks": crate::properties::bricks_value(&item.bricks),
            });
            writeln!(out, "{line}").unwrap();
        }
    }
    out
}

/// The master data `records` (identifier, status, price) as an import
/// file.
fn master_data_file(records: &[(String, (usize, i64))], csv: bool) -> String {
    let mut out = String::new();
    if csv {
        out.push_str("identifier,status,price\n");
    }
    for (id, (status, price)) in records {
        let (status, price) = (STATUSES[*status], price_text(*price));
        if csv {
            writeln!(out, "{id},{status},{price}").unwrap();
        } else {
            writeln!(
                out,
                r#"{{"identifier":"{id}","status":"{status}","price":{price}}}"#
            )
            .unwrap();
        }
    }
    out
}

/// The master data records `incoming` brings: its own, limited to items
/// that exist once the import has loaded its items (master data for a
/// missing item is a refused file, tested in `import.rs`).
fn records(before: &[RawItem], incoming: &[RawItem], files: Files) -> Vec<(String, (usize, i64))> {
    let exists = |id: &str| match files {
        Files::MasterData => before.iter().any(|i| i.id == id),
        _ => true,
    };
    incoming
        .iter()
        .filter(|i| exists(&i.id))
        .filter_map(|i| Some((i.id.clone(), i.master_data?)))
        .collect()
}

/// The catalog the README's table says results from importing
/// `incoming`'s files over `before`.
fn expected(before: &[RawItem], incoming: &[RawItem], replace: bool, files: Files) -> Vec<RawItem> {
    let mut catalog: BTreeMap<String, RawItem> =
        before.iter().map(|i| (i.id.clone(), i.clone())).collect();
    let records = records(before, incoming, files);
    if files != Files::MasterData {
        if replace {
            // The items file becomes every item; all master data goes
            // (with both files, the master data file then becomes it).
            catalog.clear();
        }
        for item in incoming {
            let kept = catalog.get(&item.id).and_then(|i| i.master_data);
            catalog.insert(
                item.id.clone(),
                RawItem {
                    master_data: kept,
                    ..item.clone()
                },
            );
        }
    }
    if files != Files::Items {
        if replace {
            for item in catalog.values_mut() {
                item.master_data = None;
            }
        }
        for (id, master_data) in records {
            catalog.get_mut(&id).expect("an existing item").master_data = Some(master_data);
        }
    }
    catalog.into_values().collect()
}

async fn import(
    app: &TestApp,
    before: &[RawItem],
    incoming: &[RawItem],
    replace: bool,
    files: Files,
    csv: bool,
) -> Result<(), TestCaseError> {
    let dir = temp_dir("modes");
    let extension = if csv { "csv" } else { "ndjson" };
    let mut args: Vec<String> = vec!["import".into()];
    if files != Files::MasterData {
        let path = dir.join(format!("items.{extension}"));
        std::fs::write(&path, items_file(incoming, csv)).unwrap();
        args.extend(["--items".into(), path.display().to_string()]);
    }
    if files != Files::Items {
        let path = dir.join(format!("masterdata.{extension}"));
        std::fs::write(
            &path,
            master_data_file(&records(before, incoming, files), csv),
        )
        .unwrap();
        args.extend(["--masterdata".into(), path.display().to_string()]);
    }
    let mode = if replace { "replace" } else { "upsert" };
    args.extend(["--mode".into(), mode.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(app, &args);
    let _ = std::fs::remove_dir_all(&dir);
    prop_assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    Ok(())
}

/// The tables hold exactly `catalog`: its identifiers, and its master
/// data, as (identifier, status, price in ten-thousandths).
async fn tables_hold(app: &TestApp, catalog: &[RawItem]) -> Result<(), TestCaseError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT identifier FROM items")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let mut ids = ids;
    ids.sort();
    let mut expected_ids: Vec<String> = catalog.iter().map(|i| i.id.clone()).collect();
    expected_ids.sort();
    prop_assert_eq!(ids, expected_ids);
    let rows: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT identifier, status, (price * 10000)::int8 FROM master_data")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let mut rows = rows;
    rows.sort();
    let mut expected: Vec<(String, String, i64)> = catalog
        .iter()
        .filter_map(|i| {
            let (status, price) = i.master_data?;
            Some((i.id.clone(), STATUSES[status].to_owned(), price))
        })
        .collect();
    expected.sort();
    prop_assert_eq!(rows, expected);
    Ok(())
}

fn every_mode_and_file_agrees_with_the_oracle(source: Source) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(spawn_app_from(source, |_| {}));
    for replace in [false, true] {
        for files in [Files::Items, Files::MasterData, Files::Both] {
            for csv in [false, true] {
                let mut runner = TestRunner::new(Config::with_cases(CASES));
                let cases = (
                    raw_catalog(),
                    raw_catalog(),
                    prop::collection::vec(raw_query(), 1..6),
                );
                let result = runner.run(&cases, |(before, incoming, queries)| {
                    runtime.block_on(async {
                        load(&app, &before).await;
                        import(&app, &before, &incoming, replace, files, csv).await?;
                        app.settle().await;
                        let after = expected(&before, &incoming, replace, files);
                        tables_hold(&app, &after).await?;
                        agrees_with_oracle(&app, &after, &queries).await
                    })
                });
                if let Err(failure) = result {
                    panic!("replace {replace}, {files:?}, csv {csv}: {failure}");
                }
            }
        }
    }
}

#[test]
fn every_import_mode_and_file_agrees_with_the_oracle_from_memory() {
    every_mode_and_file_agrees_with_the_oracle(Source::Memory);
}

#[test]
fn every_import_mode_and_file_agrees_with_the_oracle_from_the_database() {
    every_mode_and_file_agrees_with_the_oracle(Source::Database);
}
