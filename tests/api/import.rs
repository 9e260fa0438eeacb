//! The `import` and `generate` commands, run as the real binary against
//! the test's database.

use preferred_item_service::config::Source;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::harness::{spawn_app, spawn_app_from, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_preferred-item-service");

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "pis-import-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(app: &TestApp) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "error");
    command
}

pub fn run(app: &TestApp, args: &[&str]) -> Output {
    command(app).args(args).output().unwrap()
}

fn generate(dir: &Path, items: u64, format: &str) {
    let out = Command::new(BIN)
        .args([
            "generate",
            "--items",
            &items.to_string(),
            "--seed",
            "42",
            "--format",
            format,
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every item through the API, in identifier order, as NDJSON lines.
async fn all_items(app: &TestApp) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some("/items?limit=1000".to_owned());
    while let Some(path) = next {
        let reply = app.get(&path).await;
        items.extend(reply.body.as_array().unwrap().iter().cloned());
        next = reply
            .header("link")
            .map(|l| l[1..l.find('>').unwrap()].to_owned());
    }
    items
}

fn sorted_lines(path: &Path) -> Vec<Value> {
    let mut values: Vec<Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    values.sort_by(|a, b| a["identifier"].as_str().cmp(&b["identifier"].as_str()));
    values
}

#[tokio::test]
async fn an_ndjson_catalog_round_trips_through_import_exactly() {
    let app = spawn_app().await;
    let dir = temp_dir("ndjson");
    generate(&dir, 1500, "ndjson");
    let items = dir.join("items.ndjson");
    let master = dir.join("masterdata.ndjson");

    let out = run(
        &app,
        &[
            "import",
            "--items",
            items.to_str().unwrap(),
            "--masterdata",
            master.to_str().unwrap(),
        ],
    );

    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("items: 1500 rows (1500 created, 0 updated)"),
        "{stdout}"
    );
    assert!(stdout.contains("rows/s"), "{stdout}");
    assert_eq!(all_items(&app).await, sorted_lines(&items));
    let master_count = std::fs::read_to_string(&master).unwrap().lines().count() as i64;
    assert_eq!(
        app.count("SELECT count(*) FROM master_data").await,
        master_count
    );
}

#[tokio::test]
async fn a_csv_catalog_imports_to_the_same_items_as_its_ndjson_twin() {
    let app = spawn_app().await;
    let (csv_dir, json_dir) = (temp_dir("csv"), temp_dir("json"));
    generate(&csv_dir, 800, "csv");
    generate(&json_dir, 800, "ndjson");

    let out = run(
        &app,
        &[
            "import",
            "--items",
            csv_dir.join("items.csv").to_str().unwrap(),
            "--masterdata",
            csv_dir.join("masterdata.csv").to_str().unwrap(),
        ],
    );

    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        all_items(&app).await,
        sorted_lines(&json_dir.join("items.ndjson"))
    );
    let first_price = sorted_lines(&json_dir.join("masterdata.ndjson"))[0].clone();
    let id = first_price["identifier"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/masterdata/{id}")).await.body,
        first_price
    );
}

#[tokio::test]
async fn stdin_is_read_when_the_file_is_a_dash() {
    let app = spawn_app().await;
    let mut child = command(&app)
        .args(["import", "--items", "-", "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"identifier,bricks\nitem1,1:1/2;2:3/4\nitem2,1:1/2;2:4/3\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        app.get("/items/item2").await.body,
        serde_json::json!({"identifier": "item2", "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [4, 3]}]})
    );
}

#[tokio::test]
async fn a_bad_record_anywhere_rolls_back_the_whole_file_and_names_its_line() {
    let app = spawn_app().await;
    app.create_item("existing", &[(1, &[1])]).await;
    let dir = temp_dir("bad");
    generate(&dir, 3000, "ndjson");
    let path = dir.join("items.ndjson");
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2499] = r#"{"identifier":"x","bricks":[{"design_id":1,"color_codes":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}]}"#.into();
    lines[2899] = r#"{"identifier":"y" "bricks":[]}"#.into();
    std::fs::write(&path, lines.join("\n")).unwrap();

    let out = run(&app, &["import", "--items", path.to_str().unwrap()]);

    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    let file = path.to_str().unwrap();
    assert!(
        stderr.contains(&format!(
            "{file}:2500: bricks[0].color_codes: must have between 1 and 16 entries"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{file}:2900: ")), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 1);
}

#[tokio::test]
async fn master_data_for_a_missing_item_names_its_line_and_writes_nothing() {
    let app = spawn_app().await;
    app.create_item("a", &[(1, &[1])]).await;
    let dir = temp_dir("md");
    let path = dir.join("masterdata.csv");
    std::fs::write(
        &path,
        "identifier,status,price\na,Normal,1.25\nnope,Normal,2\n",
    )
    .unwrap();

    let out = run(&app, &["import", "--masterdata", path.to_str().unwrap()]);

    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3: identifier: item nope does not exist",
            path.display()
        )),
        "{stderr}"
    );
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn replace_mode_makes_the_file_the_whole_catalog() {
    let app = spawn_app().await;
    app.create_priced("old", &[(1, &[1])], "Normal", "1").await;
    let dir = temp_dir("replace");
    let path = dir.join("items.csv");
    std::fs::write(&path, "identifier,bricks\nnew,5:5\n").unwrap();

    let out = run(
        &app,
        &[
            "import",
            "--items",
            path.to_str().unwrap(),
            "--mode",
            "replace",
        ],
    );

    assert!(out.status.success(), "{}", text(&out.stderr));
    app.get("/items/old").await.assert_problem(404, &[]);
    assert_eq!(app.get("/items/new").await.status, 200);
    app.assert_copies_consistent().await;
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 1);
}

#[tokio::test]
async fn an_interrupted_import_leaves_nothing_behind() {
    let app = spawn_app().await;
    app.create_item("survivor", &[(1, &[1])]).await;
    let dir = temp_dir("interrupt");
    generate(&dir, 20_000, "ndjson");
    let data = std::fs::read(dir.join("items.ndjson")).unwrap();
    let mut child = command(&app)
        // Replace mode truncates and copies straight into the tables: the
        // hardest case to leave clean.
        .args(["import", "--items", "-", "--mode", "replace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Well past the first COPY chunk, so rows have reached the server.
    stdin.write_all(&data[..data.len() * 3 / 4]).unwrap();
    stdin.flush().unwrap();
    let copying = async {
        loop {
            let active: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%'",
            )
            .fetch_one(&app.pool)
            .await
            .unwrap();
            if active > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), copying)
        .await
        .expect("the import reached COPY");

    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);

    // The server rolls the transaction back when the connection drops.
    crate::harness::until(
        "the abandoned COPY to end",
        std::time::Duration::from_secs(10),
        || async {
            let busy: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'COPY%' AND state <> 'idle'",
            )
            .fetch_one(&app.pool)
            .await
            .unwrap();
            busy == 0
        },
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM item_bricks").await, 1);
    assert_eq!(app.get("/items/survivor").await.status, 200);
}

#[tokio::test]
async fn the_default_upsert_loads_an_empty_catalog_as_a_replace_and_keeps_a_full_one() {
    let app = spawn_app().await;
    let dir = temp_dir("upsert-empty");
    generate(&dir, 2_000, "ndjson");
    let items = dir.join("items.ndjson");
    let master = dir.join("masterdata.ndjson");
    let args = [
        "import",
        "--items",
        items.to_str().unwrap(),
        "--masterdata",
        master.to_str().unwrap(),
    ];

    let first = run(&app, &args);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stderr).contains("loading as a replace"),
        "{}",
        text(&first.stderr)
    );
    assert_eq!(app.count("SELECT count(*) FROM items").await, 2_000);
    let priced = app.count("SELECT count(*) FROM master_data").await;
    assert!(priced > 1_800, "{priced}");
    app.assert_copies_consistent().await;
    // The replica's catalog in memory follows a load from another process.
    app.settle().await;

    // A catalog that holds data is upserted: what the files do not name stays.
    app.create_priced("kept", &[(7, &[7])], "Normal", "1").await;
    let second = run(&app, &args);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(!text(&second.stderr).contains("loading as a replace"));
    assert!(
        text(&second.stdout).contains("0 created, 2000 updated"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(app.get("/items/kept").await.status, 200);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 2_001);
    assert_eq!(
        app.count("SELECT count(*) FROM master_data").await,
        priced + 1
    );
    app.assert_copies_consistent().await;
    app.settle().await;
}

/// Replacing master data alone leaves no trace of the records that went:
/// not in the master data, not on the items' copies, not in the counts,
/// and not in answers, from either source (the replica that answers is
/// not the one that imported, so it follows the change feed).
async fn replacing_master_data_alone_forgets_the_records_that_went(source: Source) {
    let app = spawn_app_from(source, |s| s.demo_data = Some(true)).await;
    let item8 = json!({"bricks": [{"design_id": 2, "color_codes": [1, 2]}]});
    let before = app.post_json("/preferreditem", &item8).await;
    assert_eq!(before.body["preferred_item"]["identifier"], "item8");

    let dir = temp_dir("replace-master-data");
    let path = dir.join("masterdata.ndjson");
    std::fs::write(
        &path,
        "{\"identifier\":\"item1\",\"status\":\"Normal\",\"price\":10.0}\n",
    )
    .unwrap();
    let out = run(
        &app,
        &[
            "import",
            "--masterdata",
            path.to_str().unwrap(),
            "--mode",
            "replace",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let listed = app.get("/masterdata").await;
    assert_eq!(
        listed.body,
        json!([{"identifier": "item1", "status": "Normal", "price": 10.0}])
    );
    app.assert_copies_consistent().await;
    assert_eq!(
        app.count("SELECT coalesce(sum(items), 0)::int8 FROM signature_counts")
            .await,
        1
    );
    app.settle().await;
    app.post_json("/preferreditem", &item8)
        .await
        .assert_problem(404, &[]);
    let item1 = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]});
    let kept = app.post_json("/preferreditem", &item1).await;
    assert_eq!(kept.body["preferred_item"]["identifier"], "item1");
}

crate::for_both_sources!(replacing_master_data_alone_forgets_the_records_that_went);
