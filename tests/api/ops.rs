use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use crate::harness::spawn_app;
use preferred_item_service::startup::Application;

#[tokio::test]
async fn liveness_and_readiness_answer_when_the_database_is_up() {
    let app = spawn_app().await;
    let live = app.get("/health/live").await;
    assert_eq!(
        (live.status, live.body),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    let ready = app.get("/health/ready").await;
    assert_eq!(
        (ready.status, ready.body),
        (StatusCode::OK, json!({"status": "ok"}))
    );
}

#[tokio::test]
async fn without_a_database_readiness_is_503_and_liveness_stays_200() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = crate::harness::test_settings();
    settings.database.acquire_timeout_ms = 500;
    let url = format!("postgres://postgres@127.0.0.1:{port}/none");
    settings.database.url = Some(SecretString::from(url.clone()));
    let pool = preferred_item_service::pool(&settings.pool_options(), &url).unwrap();
    let application = Application::build(&settings, pool).unwrap();
    let address = format!("http://127.0.0.1:{}", application.port());
    tokio::spawn(application.run());
    let client = reqwest::Client::new();

    let live = client
        .get(format!("{address}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);

    let ready = crate::harness::Reply::from(
        client
            .get(format!("{address}/health/ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    ready.assert_problem(503, &[]);
    assert_eq!(ready.header("retry-after"), Some("1"));

    let items =
        crate::harness::Reply::from(client.get(format!("{address}/items")).send().await.unwrap())
            .await;
    items.assert_problem(503, &[]);
    let body = items.body.to_string();
    assert!(
        !body.contains("Connection refused") && !body.contains("sqlx"),
        "{body}"
    );
}

#[tokio::test]
async fn a_fresh_start_with_demo_data_loads_the_eleven_demo_items_once() {
    let app = crate::harness::spawn_app_with(|s| s.demo_data = Some(true)).await;
    let items = app.get("/items").await;
    let ids: Vec<_> = items
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["identifier"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = (1..=11).map(|i| format!("item{i}")).collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        app.get("/masterdata").await.body.as_array().unwrap().len(),
        11
    );
    assert_eq!(
        app.get("/masterdata/item2").await.body,
        json!({"identifier": "item2", "status": "Novelty", "price": 5.0})
    );

    // A second start on the same database does not load them again.
    assert!(!preferred_item_service::seed_demo_data(&app.pool)
        .await
        .unwrap());
    assert_eq!(app.count("SELECT count(*) FROM items").await, 11);
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_outcomes_by_strategy() {
    let app = crate::harness::spawn_app_with(|s| s.demo_data = Some(true)).await;
    app.get("/items/item1").await;
    app.get("/items/nope").await;
    let hit = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]});
    let miss = json!({"bricks": [{"design_id": 99, "color_codes": [1]}]});
    app.post_json("/preferreditem", &hit).await;
    app.post_json("/preferreditem", &miss).await;
    app.post_json("/preferreditem/score", &hit).await;

    let metrics = app
        .metrics_address
        .as_ref()
        .expect("metrics are on by default");
    let response = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let page = crate::harness::MetricsPage(response.text().await.unwrap());
    page.assert_has(&[
        r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="/items/{id}",status="404"} 1"#,
        r#"preferred_item_outcomes_total{outcome="hit",strategy="rank"} 1"#,
        r#"preferred_item_outcomes_total{outcome="miss",strategy="rank"} 1"#,
        r#"preferred_item_outcomes_total{outcome="hit",strategy="score"} 1"#,
        "db_pool_max_connections 16",
        // The catalog in memory: the eleven demo items, one snapshot.
        "catalog_items 11",
        "catalog_connected 1",
        "catalog_snapshot_loads_total 1",
    ]);
    assert!(page.get("catalog_applied_version") > 0.0);
    let lag = page.get("catalog_lag_seconds");
    assert!((0.0..5.0).contains(&lag), "lag {lag}");
    assert!(page.0.contains("http_request_duration_seconds_bucket"));
    assert!(page.value("db_pool_connections").is_some());
    assert!(
        !page.0.contains("/items/nope"),
        "raw paths must not become labels"
    );
}

/// The process collector's set and the build, as an operator expects them
/// of any Prometheus target.
#[tokio::test]
async fn metrics_include_the_process_and_the_build() {
    let app = crate::harness::spawn_app().await;
    let page = app.metrics().await;
    // This process: the test binary, whose memory, threads and descriptors
    // the service reports as its own.
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let resident_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let reported = page.get("process_resident_memory_bytes");
    assert!(
        (reported / 1024.0 - resident_kib).abs() < resident_kib * 0.5,
        "reported {reported} bytes, /proc says {resident_kib} KiB"
    );
    assert!(page.get("process_open_fds") > 3.0);
    assert!(page.get("process_max_fds") >= page.get("process_open_fds"));
    // Whole seconds only (the collector divides by the clock tick), so a
    // young process may report 0.
    assert!(page.get("process_cpu_seconds_total") >= 0.0);
    let started = page.get("process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        started > now - 3600.0 && started <= now,
        "start time {started}"
    );
    assert!(page.get("process_threads") >= 2.0);
    let build = page
        .0
        .lines()
        .find(|l| l.starts_with("build_info{"))
        .expect("build_info is on the page");
    assert!(
        build.starts_with("build_info{commit=\"")
            && build.ends_with(&format!("\",version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"))),
        "{build}"
    );
    assert!(!build.contains("commit=\"\""), "{build}");
}

#[tokio::test]
async fn metrics_are_served_on_their_own_port_and_not_on_the_public_one() {
    let app = crate::harness::spawn_app().await;
    app.get("/metrics").await.assert_problem(404, &[]);
    let metrics = app.metrics_address.as_ref().unwrap();
    for (path, status) in [("/metrics", 200), ("/items", 404), ("/health/live", 404)] {
        let response = app
            .client
            .get(format!("{metrics}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path} on the metrics port");
    }
    let doc = app.get("/openapi.json").await.body;
    assert!(doc["paths"].get("/metrics").is_none());
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let app = crate::harness::spawn_app_with(|s| s.server.metrics_enabled = false).await;
    assert!(app.metrics_address.is_none());
    app.get("/metrics").await.assert_problem(404, &[]);
}

#[tokio::test]
async fn every_answer_says_nosniff_the_docs_carry_a_policy_and_hsts_is_opt_in() {
    let app = spawn_app().await;
    for path in ["/health/live", "/items", "/no-such-path", "/openapi.json"] {
        let reply = app.get(path).await;
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(reply.header("strict-transport-security"), None, "{path}");
        assert_eq!(reply.header("content-security-policy"), None, "{path}");
    }
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    let policy = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let metrics = reqwest::get(format!("{}/metrics", app.metrics_address.as_ref().unwrap()))
        .await
        .unwrap();
    assert_eq!(metrics.headers()["x-content-type-options"], "nosniff");

    let behind_tls =
        crate::harness::spawn_app_with(|s| s.server.hsts_max_age_secs = 31_536_000).await;
    assert_eq!(
        behind_tls
            .get("/health/live")
            .await
            .header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}
