//! Hostile input against the real binary at default settings (reads open,
//! as in production): one case per attack of the README's "Limits and
//! abuse" (tokens have theirs in `tests/api/tokens.rs`). Each case asserts the status, how large the answer may be, how
//! long it may take, how far resident memory may rise (the kernel's peak,
//! reset before the case), and that `/health/live` answered throughout,
//! sampled every 50 ms.
//!
//! The cases take turns: each measures one process's peak memory.

#[path = "harness/mod.rs"]
mod harness;

use harness::{free_port, start_ready_binary, status_kib, Binary, Liveness};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// No single request may raise resident memory by more than this.
const MEMORY_RISE_LIMIT_KIB: u64 = 256 * 1024;

/// The service with its default settings (reads open, writes behind a
/// key), on a fresh database.
async fn service(extra: &[(&str, &str)]) -> (Binary, reqwest::Client) {
    let (service, client, _) = service_on_database(extra).await;
    (service, client)
}

/// `service`, and the URL of its database.
async fn service_on_database(extra: &[(&str, &str)]) -> (Binary, reqwest::Client, String) {
    let url = harness::create_database_on(harness::server_url()).await;
    let mut env = vec![
        ("DATABASE_URL", url.clone()),
        ("APP__DEMO_DATA", "true".to_owned()),
        ("APP__AUTH__KEYS", "write:writer-key-0123456789".to_owned()),
        ("RUST_LOG", "error".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let service = start_ready_binary(&env).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    (service, client, url)
}

/// One attack at a time: each case measures what one hostile request does
/// to a replica (liveness, memory), which an attack running beside it in
/// another test would blur on a 2-core machine.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Stops sampling and asserts liveness answered every time, in time.
async fn assert_answered(liveness: Liveness, case: &str) {
    let sampled = liveness.stop().await;
    let (slowest, failures, samples) = (sampled.slowest, sampled.failures, sampled.samples);
    println!("{case}: liveness slowest {slowest:?} over {samples} samples");
    assert!(samples > 0, "{case}: liveness was never sampled");
    assert_eq!(
        failures, 0,
        "{case}: liveness failed {failures} of {samples} samples"
    );
    assert!(
        slowest < Duration::from_millis(500),
        "{case}: liveness took {slowest:?}"
    );
}

/// What one attack did: status, answer, time, memory rise.
struct Outcome {
    status: u16,
    body: Vec<u8>,
    took: Duration,
    rise_kib: u64,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn assert_bounded(&self, case: &str, answer_limit: usize, time_limit: Duration) {
        assert!(
            self.body.len() <= answer_limit,
            "{case}: an answer of {} bytes",
            self.body.len()
        );
        assert!(self.took <= time_limit, "{case}: took {:?}", self.took);
        assert!(
            self.rise_kib <= MEMORY_RISE_LIMIT_KIB,
            "{case}: resident memory rose by {} MiB",
            self.rise_kib / 1024
        );
        println!(
            "{case}: {} in {:?}, {} bytes, peak memory +{} MiB",
            self.status,
            self.took,
            self.body.len(),
            self.rise_kib / 1024
        );
    }
}

/// Sends `body` to `path` while watching liveness and the peak of
/// resident memory.
async fn attack(
    service: &Binary,
    client: &reqwest::Client,
    case: &str,
    path: &str,
    body: Vec<u8>,
) -> Outcome {
    let pid = service.child.id();
    let baseline = status_kib(pid, "VmRSS:");
    // Resets the peak (VmHWM) to the current resident set.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let liveness = Liveness::watch(&service.base, Duration::from_millis(50));
    let started = Instant::now();
    let response = harness::post_raw_json(client, &format!("{}{path}", service.base), body).await;
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap().to_vec();
    let took = started.elapsed();
    assert_answered(liveness, case).await;
    let peak = status_kib(pid, "VmHWM:");
    Outcome {
        status,
        body,
        took,
        rise_kib: peak.saturating_sub(baseline),
    }
}

/// A brick with `codes` colour codes of -1 (each one broken), as text.
fn brick_of_bad_codes(codes: usize) -> String {
    let mut brick = String::with_capacity(codes * 3 + 40);
    brick.push_str(r#"{"design_id":1,"color_codes":["#);
    for i in 0..codes {
        if i > 0 {
            brick.push(',');
        }
        brick.push_str("-1");
    }
    brick.push_str("]}");
    brick
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn millions_of_broken_codes_make_one_error_not_millions() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client) = service(&[]).await;

    // 16 MB: one query, one brick of about 5.4 million -1 codes.
    let codes = (16 * 1024 * 1024 - 200) / 3;
    let body = format!(
        r#"{{"queries":[{{"bricks":[{}]}}]}}"#,
        brick_of_bad_codes(codes)
    );
    assert!(body.len() <= 16 * 1024 * 1024);
    let batch = attack(
        &service,
        &client,
        "16 MB batch",
        "/preferreditem/batch",
        body.into_bytes(),
    )
    .await;
    assert_eq!(batch.status, 200);
    batch.assert_bounded("16 MB batch", 4 * 1024, Duration::from_secs(10));
    let error = &batch.json()["results"][0]["error"];
    assert_eq!(error["status"], 422);
    assert_eq!(
        error["errors"],
        json!([{"field": "queries[0].bricks[0].color_codes",
                "message": "must have between 1 and 16 entries"}])
    );

    // 81 KB on the single route: 1,000 bricks of 16 bad codes and a bad
    // design id each, 17,000 broken rules in all.
    let bricks: Vec<String> = (0..1000)
        .map(|_| {
            r#"{"design_id":-1,"color_codes":[-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1]}"#
                .to_owned()
        })
        .collect();
    let body = format!(r#"{{"bricks":[{}]}}"#, bricks.join(","));
    assert!(body.len() < 256 * 1024);
    let single = attack(
        &service,
        &client,
        "81 KB question",
        "/preferreditem",
        body.into_bytes(),
    )
    .await;
    assert_eq!(single.status, 422);
    single.assert_bounded("81 KB question", 16 * 1024, Duration::from_secs(5));
    let problem = single.json();
    assert_eq!(problem["errors"].as_array().unwrap().len(), 100);
    assert_eq!(problem["total_errors"], 17_000);
    assert_eq!(
        problem["detail"],
        "The request breaks 17000 rules; the first 100 are listed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn floods_of_unknown_fields_and_deep_nesting_are_refused_early() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client) = service(&[]).await;

    let mut fields = String::from(r#"{"bricks":[{"design_id":1,"color_codes":[1]}]"#);
    for i in 0..15_000 {
        fields.push_str(&format!(r#","x{i}":[1,2,3]"#));
    }
    fields.push('}');
    let unknown = attack(
        &service,
        &client,
        "unknown fields",
        "/preferreditem",
        fields.into_bytes(),
    )
    .await;
    assert_eq!(unknown.status, 422);
    unknown.assert_bounded("unknown fields", 2 * 1024, Duration::from_secs(2));
    assert_eq!(
        unknown.json()["errors"],
        json!([{"field": "x0", "message": "is not a known field"}])
    );

    let depth = 100_000;
    let nested = format!(
        r#"{{"queries":[{{"bricks":[{{"design_id":1,"color_codes":{}1{}}}]}}]}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let deep = attack(
        &service,
        &client,
        "deep nesting",
        "/preferreditem/batch",
        nested.into_bytes(),
    )
    .await;
    assert_eq!(deep.status, 400);
    deep.assert_bounded("deep nesting", 2 * 1024, Duration::from_secs(2));

    // An enum field that holds a huge value is refused at its first token.
    let huge_match = format!(
        r#"{{"bricks":[{{"design_id":1,"color_codes":[1]}}],"match":[{}]}}"#,
        vec!["1"; 100_000].join(",")
    );
    let enum_flood = attack(
        &service,
        &client,
        "enum flood",
        "/preferreditem",
        huge_match.into_bytes(),
    )
    .await;
    assert_eq!(enum_flood.status, 400);
    enum_flood.assert_bounded("enum flood", 2 * 1024, Duration::from_secs(2));
    assert_eq!(enum_flood.json()["errors"][0]["field"], "match");
}

/// A catalog where 21 items of 1,000 bricks of 16 colours each hold one
/// common brick: the worst the limits allow a contains question to find.
async fn largest_items(service: &Binary, client: &reqwest::Client) {
    let items: Vec<Value> = (0..21)
        .map(|i| {
            let mut bricks = vec![json!({"design_id": 7, "color_codes": [7]})];
            bricks.extend((1..1000).map(|b| {
                json!({"design_id": 100_000 + b, "color_codes": (0..16).map(|c| 1_000_000_000 + c).collect::<Vec<i64>>()})
            }));
            json!({"identifier": format!("big{i:02}"), "bricks": bricks})
        })
        .collect();
    let loaded = client
        .post(format!("{}/items/bulk", service.base))
        .bearer_auth("writer-key-0123456789")
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(loaded.status(), 200, "{}", loaded.text().await.unwrap());
    let prices: Vec<Value> = (0..21)
        .map(|i| {
            let status = ["Normal", "Novelty", "Outgoing"][i % 3];
            json!({"identifier": format!("big{i:02}"), "status": status, "price": 1 + i})
        })
        .collect();
    let priced = client
        .post(format!("{}/masterdata/bulk", service.base))
        .bearer_auth("writer-key-0123456789")
        .json(&prices)
        .send()
        .await
        .unwrap();
    assert_eq!(priced.status(), 200);
}

async fn the_worst_answer_is_refused_in_bounded_memory(source: &str) {
    let _turn = TURN.lock().await;
    let (service, client) = service(&[("APP__PREFERRED_ITEM__SOURCE", source)]).await;
    largest_items(&service, &client).await;
    // Let the catalog in memory take the items in (read your writes holds
    // for the replica that took them; this is that replica).
    let question = json!({"bricks": [{"design_id": 7, "color_codes": [7]}], "match": "contains", "alternatives": 20});
    let one = client
        .post(format!("{}/preferreditem/score", service.base))
        .json(&question)
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["alternatives"].as_array().unwrap().len(), 20);

    let batch = json!({"strategy": "score", "queries": vec![question.clone(); 1000]});
    let case = format!("worst batch ({source})");
    let outcome = attack(
        &service,
        &client,
        &case,
        "/preferreditem/batch",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!(
        outcome.status,
        422,
        "{}",
        String::from_utf8_lossy(&outcome.body)
    );
    outcome.assert_bounded(&case, 4 * 1024, Duration::from_secs(20));
    let problem = outcome.json();
    assert_eq!(problem["type"], "urn:problem:answer-too-large");
    assert_eq!(problem["errors"][0]["field"], "queries");

    // The largest answer the budget allows: 11 such queries carry 3.69
    // million colour codes, just under the 4 million of one request. It is
    // gathered, decided and written out off the HTTP worker.
    let batch = json!({"strategy": "score", "queries": vec![question; 11]});
    let case = format!("largest allowed batch ({source})");
    let outcome = attack(
        &service,
        &client,
        &case,
        "/preferreditem/batch",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!(outcome.status, 200);
    outcome.assert_bounded(&case, 64 * 1024 * 1024, Duration::from_secs(30));
    let answer = outcome.json();
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), 11);
    assert!(results
        .iter()
        .all(|r| r["alternatives"].as_array().map(Vec::len) == Some(20)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_worst_answer_from_memory_is_refused_in_bounded_memory() {
    let _turn = SERIAL.lock().await;
    the_worst_answer_is_refused_in_bounded_memory("memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_worst_answer_from_the_database_is_refused_in_bounded_memory() {
    let _turn = SERIAL.lock().await;
    the_worst_answer_is_refused_in_bounded_memory("database").await;
}

/// Opens a connection that declares a 16 MiB batch and sends nothing more.
async fn idle_declared_body(base: &str) -> tokio::net::TcpStream {
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /preferreditem/batch HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        16 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idle_connections_that_declare_huge_bodies_pin_nothing() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client) = service(&[]).await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(idle_declared_body(&service.base).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let batch = json!({"queries": [{"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]}]});
    for _ in 0..5 {
        let answer = client
            .post(format!("{}/preferreditem/batch", service.base))
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            200,
            "an idle declaration pinned the budget"
        );
    }
    // A client holds what it sent, and no more than its share (16 MiB of
    // the 32 MiB budget): its second 10 MB body in flight is refused, and
    // another client's body would still fit.
    let mut first = idle_declared_body(&service.base).await;
    first
        .write_all(&vec![b' '; 10 * 1024 * 1024])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut second = idle_declared_body(&service.base).await;
    let _ = second.write_all(&vec![b' '; 10 * 1024 * 1024]).await;
    let mut answer = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), second.read_exact(&mut answer))
        .await
        .expect("the over-share body is refused at once")
        .unwrap();
    assert_eq!(&answer, b"HTTP/1.1 503");
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guessing_keys_is_rate_limited_like_any_other_request() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client) = service(&[
        ("APP__RATE_LIMIT__PER_SECOND", "20"),
        ("APP__RATE_LIMIT__BURST", "20"),
    ])
    .await;
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..200 {
        let status = client
            .put(format!("{}/masterdata/item1", service.base))
            .bearer_auth(format!("guess-{i:04}-0123456789"))
            .json(&json!({"status": "Normal", "price": 1}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        *statuses.entry(status).or_insert(0) += 1;
    }
    let refused = statuses.get(&401).copied().unwrap_or(0);
    let throttled = statuses.get(&429).copied().unwrap_or(0);
    assert_eq!(refused + throttled, 200, "{statuses:?}");
    assert!(throttled >= 150, "{statuses:?}");
    assert!((20..=50).contains(&refused), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn made_up_methods_fold_into_one_metric_label() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let metrics_port = free_port().to_string();
    let (service, client) = service(&[("APP__SERVER__METRICS_PORT", &metrics_port)]).await;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    let page = || async {
        reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // One of each first, so that the label set exists before counting.
    let method = |m: &str| reqwest::Method::from_bytes(m.as_bytes()).unwrap();
    for path in ["/items", "/no-such-path"] {
        let _ = client
            .request(method("MADEUP0"), format!("{}{path}", service.base))
            .send()
            .await;
    }
    let before = series(&page().await);
    for i in 1..300 {
        for path in ["/items", "/no-such-path"] {
            let _ = client
                .request(
                    method(&format!("MADEUP{i}")),
                    format!("{}{path}", service.base),
                )
                .send()
                .await;
        }
    }
    let text = page().await;
    assert_eq!(series(&text), before, "{text}");
    assert!(text.contains(r#"method="OTHER""#), "{text}");
    assert!(!text.contains("MADEUP"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_take_at_most_half_the_pool_and_readiness_never_waits_for_them() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client, url) = service_on_database(&[
        ("APP__PREFERRED_ITEM__SOURCE", "database"),
        ("APP__DATABASE__MAX_CONNECTIONS", "4"),
        ("APP__DATABASE__LOCK_TIMEOUT_MS", "3000"),
    ])
    .await;
    let base = service.base.clone();
    // Every lookup waits on this lock until it is released.
    let mut locker = harness::lock_table(&url, "items").await;
    let batch = json!({"queries": [{"bricks": [{"design_id": 1, "color_codes": [1, 2]}]}, {"bricks": [{"design_id": 2, "color_codes": [1]}], "match": "contains"}]});
    let batches: Vec<_> = (0..6)
        .map(|_| {
            let (client, base, batch) = (client.clone(), base.clone(), batch.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{base}/preferreditem/batch"))
                    .json(&batch)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'preferred-item-service'
           AND wait_event_type = 'Lock'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(
        (1..=2).contains(&waiting),
        "{waiting} pooled connections held by batches (the pool has 4)"
    );
    let started = Instant::now();
    let ready = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "readiness took {:?}",
        started.elapsed()
    );
    sqlx::Executor::execute(&mut locker, "ROLLBACK")
        .await
        .unwrap();
    let mut statuses: Vec<u16> = Vec::new();
    for b in batches {
        statuses.push(b.await.unwrap());
    }
    // Those that got a turn answered once the lock went; the others were
    // told to retry.
    assert!(
        statuses.iter().all(|s| [200, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&200), "{statuses:?}");
}

/// A log pipe that nobody reads (a stuck log driver): requests are
/// answered all the same, and the lines past the log queue are dropped and
/// counted rather than blocking the thread that logs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_log_pipe_nobody_reads_blocks_no_request() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let url = harness::create_database_on(harness::server_url()).await;
    let metrics_port = free_port();
    let env = [
        ("DATABASE_URL", url),
        ("APP__DEMO_DATA", "false".to_owned()),
        ("APP__SERVER__METRICS_PORT", metrics_port.to_string()),
        // One access line per request.
        ("RUST_LOG", "info".to_owned()),
    ];
    // The read end stays open in `service.child.stdout` and is never read:
    // once the pipe's buffer is full, a write to it blocks.
    let service = harness::start_binary(&env, std::process::Stdio::piped()).await;
    assert!(service.child.stdout.is_some());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    const REQUESTS: usize = 24_000;
    const TASKS: usize = 8;
    let liveness = Liveness::watch(&service.base, Duration::from_millis(50));
    let started = Instant::now();
    let sent: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, live) = (client.clone(), format!("{}/health/live", service.base));
            tokio::spawn(async move {
                let mut answered = 0;
                for _ in 0..REQUESTS / TASKS {
                    let response = client.get(&live).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let mut answered = 0;
    for task in sent {
        answered += task.await.unwrap();
    }
    let took = started.elapsed();
    assert_answered(liveness, "unread log pipe").await;
    assert_eq!(answered, REQUESTS);
    assert!(took < Duration::from_secs(120), "took {took:?}");
    let page = harness::MetricsPage::scrape(&format!("http://127.0.0.1:{metrics_port}")).await;
    let dropped = page.get("log_lines_dropped_total") as u64;
    // 24,000 access lines (and the liveness samples' own) against a queue
    // of 16,384 lines, a 64 KiB pipe and a 64 KiB write buffer: a few
    // hundred lines fit in the buffers, the rest past the queue is dropped.
    println!("unread log pipe: {REQUESTS} requests in {took:?}, {dropped} lines dropped");
    assert!(
        (5_000..=REQUESTS as u64 + 1_000).contains(&dropped),
        "{dropped} lines dropped"
    );
}

/// Sends a request's head with `Expect: 100-continue` and no body, and
/// returns the connection and what the server said first.
async fn ask_first(
    base: &str,
    method: &str,
    path: &str,
    length: usize,
    extra: &str,
) -> (tokio::net::TcpStream, String) {
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer writer-key-0123456789\r\n{extra}\
         Expect: 100-continue\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut first))
        .await
        .expect("the server answers the head alone")
        .unwrap();
    (stream, String::from_utf8(first).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_asks_first_is_refused_before_it_sends_a_body_too_large() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let metrics_port = free_port().to_string();
    let (service, client) = service(&[("APP__SERVER__METRICS_PORT", &metrics_port)]).await;
    let liveness = Liveness::watch(&service.base, Duration::from_millis(50));
    let single = 256 * 1024;
    let large = 16 * 1024 * 1024;

    // Over the limit: the whole answer comes without a byte of the body,
    // and the connection closes after it.
    for (path, limit) in [
        ("/preferreditem", single),
        ("/preferreditem/", single),
        ("/preferreditem/batch", large),
        ("/items/bulk", large),
    ] {
        let started = Instant::now();
        let (mut stream, first) = ask_first(
            &service.base,
            "POST",
            path,
            limit + 1,
            "X-Request-Id: asked-first-1\r\n",
        )
        .await;
        assert_eq!(first, "HTTP/1.1 413", "{path}");
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
            .await
            .expect("the connection closes after the refusal")
            .unwrap();
        let rest = String::from_utf8(rest).unwrap();
        let (head, body) = rest.split_once("\r\n\r\n").unwrap();
        let head = head.to_ascii_lowercase();
        for line in [
            "content-type: application/problem+json",
            "x-content-type-options: nosniff",
            "x-request-id: asked-first-1",
            "connection: close",
        ] {
            assert!(head.contains(line), "{path}: {line} missing in {head}");
        }
        assert!(rest.len() < 4096, "{path}: {} bytes", rest.len());
        let problem: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            problem,
            json!({
                "type": "urn:problem:payload-too-large",
                "title": "Payload Too Large",
                "status": 413,
                "detail": format!("The request body is larger than the limit of {limit} bytes"),
                "request_id": "asked-first-1",
                "errors": [],
            }),
            "{path}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{path}");
    }

    // Within the limit: `100 Continue`, then the answer to the body.
    let question = br#"{"bricks": [{"design_id": 1, "color_codes": [1, 2]}]}"#;
    let (mut stream, first) =
        ask_first(&service.base, "POST", "/preferreditem", question.len(), "").await;
    assert_eq!(first, "HTTP/1.1 100");
    stream.write_all(question).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let mut read = 0;
    while !String::from_utf8_lossy(&answer[..read]).ends_with('}') {
        let more = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer[read..]))
            .await
            .expect("the question is answered")
            .unwrap();
        assert!(more > 0, "{:?}", String::from_utf8_lossy(&answer[..read]));
        read += more;
    }
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(
        answer.starts_with(" Continue\r\n\r\nHTTP/1.1 200 OK\r\n"),
        "{answer}"
    );

    // Counted like any other answer, on its route.
    let page = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counted = |route: &str| {
        page.lines()
            .find(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains(&format!(r#"route="{route}""#))
                    && l.contains(r#"status="413""#)
            })
            .map(|l| l.rsplit(' ').next().unwrap().to_owned())
    };
    assert_eq!(counted("/preferreditem").as_deref(), Some("2"), "{page}");
    assert_eq!(
        counted("/preferreditem/batch").as_deref(),
        Some("1"),
        "{page}"
    );
    drop(client);
    assert_answered(liveness, "asked first").await;
}

/// The check before `100 Continue` keeps its own list of the routes with
/// the large limit: for every documented route that takes a body, a
/// client that asks first is refused exactly when the same body sent
/// without asking would be.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_first_is_refused_on_exactly_the_routes_whose_handlers_refuse() {
    let _turn = SERIAL.lock().await;
    let _turn = TURN.lock().await;
    let (service, client) = service(&[]).await;
    let document: Value = client
        .get(format!("{}/openapi.json", service.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let over_single = vec![b' '; 256 * 1024 + 1];
    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch"] {
            if item[method]["requestBody"].is_null() {
                continue;
            }
            let path = path.replace("{id}", "x").replace("{identifier}", "x");
            assert!(!path.contains('{'), "a parameter to fill in: {path}");
            let sent = client
                .request(
                    reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    format!("{}{path}", service.base),
                )
                .header("Authorization", "Bearer writer-key-0123456789")
                .header("Content-Type", "application/json")
                .body(over_single.clone())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            let (_, first) = ask_first(
                &service.base,
                &method.to_uppercase(),
                &path,
                over_single.len(),
                "",
            )
            .await;
            let asked = if first == "HTTP/1.1 413" { 413 } else { 0 };
            assert_eq!(
                sent == 413,
                asked == 413,
                "{method} {path}: {sent} sent, {first:?} asking first"
            );
            checked.push(format!("{method} {path} {sent}"));
        }
    }
    println!("{checked:#?}");
    assert!(checked.len() >= 7, "{checked:?}");
    assert!(checked.iter().any(|c| c.ends_with(" 413")), "{checked:?}");
    assert!(checked.iter().any(|c| !c.ends_with(" 413")), "{checked:?}");
}
