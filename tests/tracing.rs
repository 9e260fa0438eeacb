//! Traces over OTLP/HTTP, received by an in-process collector: the real
//! binary with `OTEL_EXPORTER_OTLP_ENDPOINT` set, on its own database.

#[path = "harness/mod.rs"]
mod harness;

use harness::otlp::{black_hole, ReceivedSpan, Receiver};
use harness::{free_port, start_ready_binary, until, Binary, MetricsPage};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

/// The binary with the demo catalog, exporting to `endpoint`, its metrics
/// on a port of their own.
async fn traced(endpoint: &str, extra: &[(&str, &str)]) -> (Binary, String) {
    let url = harness::create_database_on(harness::server_url()).await;
    let metrics_port = free_port();
    let mut env = vec![
        ("DATABASE_URL", url),
        ("APP__DEMO_DATA", "true".to_owned()),
        ("APP__SERVER__METRICS_PORT", metrics_port.to_string()),
        ("RUST_LOG", "error".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.to_owned()),
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ("OTEL_SERVICE_NAME", "catalog-under-test".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let service = start_ready_binary(&env).await;
    (service, format!("http://127.0.0.1:{metrics_port}"))
}

fn named<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name:?} in {spans:#?}"))
}

#[tokio::test]
async fn a_request_continues_the_callers_trace_into_its_database_query() {
    let receiver = Receiver::start().await;
    let (service, _) = traced(&receiver.endpoint, &[]).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/items/item1", service.base))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let request_id = answer.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    // The server span ends last: once it has arrived, its children have
    // (they were queued for export before it).
    let trace = receiver.trace_with(TRACE, "GET /items/{id}").await;
    let server = named(&trace, "GET /items/{id}");
    assert_eq!(
        server.parent_span_id, PARENT,
        "the caller's span is the parent"
    );
    assert_eq!(server.kind, 2, "a server span");
    assert_eq!(server.attribute("http.request.method"), Some("GET"));
    assert_eq!(server.attribute("http.route"), Some("/items/{id}"));
    assert_eq!(server.attribute("http.response.status_code"), Some("200"));
    assert_eq!(server.attribute("request_id"), Some(request_id.as_str()));
    assert_eq!(
        server.resource.get("service.name").map(String::as_str),
        Some("catalog-under-test")
    );

    let query = named(&trace, "SELECT items");
    assert_eq!(
        query.parent_span_id, server.span_id,
        "a child of the request"
    );
    assert_eq!(query.kind, 3, "a client span");
    assert_eq!(query.attribute("db.system.name"), Some("postgresql"));
    assert_eq!(query.attribute("db.operation.name"), Some("SELECT"));
    assert_eq!(query.attribute("db.collection.name"), Some("items"));
    // Never a bound value: the identifier asked for is nowhere in it.
    assert!(
        query.attributes.values().all(|v| !v.contains("item1")),
        "{query:#?}"
    );
}

#[tokio::test]
async fn a_batch_has_its_evaluation_span_and_problems_carry_the_trace_id() {
    let receiver = Receiver::start().await;
    let (service, _) = traced(&receiver.endpoint, &[]).await;
    let client = reqwest::Client::new();
    let batch = json!({"queries": [
        {"bricks": [{"design_id": 1, "color_codes": [1]}]},
        {"bricks": []},
    ]});
    let answer = client
        .post(format!("{}/preferreditem/batch", service.base))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    // The invalid query's problem names the trace it was answered in.
    assert_eq!(body["results"][1]["error"]["trace_id"], TRACE);
    // The server span ends last: the `evaluate` span may be exported a
    // batch before it.
    let trace = receiver
        .trace_with(TRACE, "POST /preferreditem/batch")
        .await;
    let server = named(&trace, "POST /preferreditem/batch");
    let evaluate = named(&trace, "evaluate");
    assert_eq!(evaluate.parent_span_id, server.span_id);
    assert_eq!(evaluate.attribute("queries"), Some("1"));

    // A request that starts its own trace: the problem's trace id is the
    // one its span was exported under.
    let missing = client
        .get(format!("{}/items/no-such-item", service.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let problem: Value = missing.json().await.unwrap();
    let trace_id = problem["trace_id"].as_str().expect("a trace id").to_owned();
    assert_eq!(trace_id.len(), 32);
    let trace = receiver.trace_with(&trace_id, "GET /items/{id}").await;
    let server = named(&trace, "GET /items/{id}");
    assert_eq!(server.attribute("http.response.status_code"), Some("404"));
    assert_eq!(server.parent_span_id, "", "a trace of its own");
}

#[tokio::test]
async fn the_load_balancers_trace_header_is_honoured() {
    let receiver = Receiver::start().await;
    let (service, _) = traced(&receiver.endpoint, &[]).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/items/item1", service.base))
        .header(
            "x-amzn-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let trace = receiver
        .trace_with("5759e988bd862e3fe1be46a994272793", "GET /items/{id}")
        .await;
    assert_eq!(
        named(&trace, "GET /items/{id}").parent_span_id,
        "53995c3f42cd8ad8"
    );
}

/// A caller that asks for its request to be sampled when the service's
/// rule says otherwise.
async fn sampled_by_caller(service: &Binary, trace: &str) {
    let answer = reqwest::Client::new()
        .get(format!("{}/items/item1", service.base))
        .header("traceparent", format!("00-{trace}-{PARENT}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn only_trusted_hops_decide_what_is_sampled() {
    let receiver = Receiver::start().await;
    // The service's own rule samples nothing.
    let never = [("OTEL_TRACES_SAMPLER", "parentbased_always_off")];
    let (untrusting, _) = traced(&receiver.endpoint, &never).await;
    let untrusted = "11111111111111111111111111111111";
    sampled_by_caller(&untrusting, untrusted).await;

    // Behind a trusted proxy (here: the test itself), the flag is followed.
    let (trusting, _) = traced(
        &receiver.endpoint,
        &[never[0], ("APP__RATE_LIMIT__TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let trusted = "22222222222222222222222222222222";
    sampled_by_caller(&trusting, trusted).await;
    receiver.trace_with(trusted, "GET /items/{id}").await;
    // The untrusted request was answered first and its spans would have
    // gone out in the same way by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.spans().iter().all(|s| s.trace_id != untrusted),
        "an untrusted caller switched tracing on"
    );
}

#[tokio::test]
async fn sigterm_exports_the_spans_still_queued() {
    let receiver = Receiver::start().await;
    // Batches wait a minute: only the flush at shutdown sends these.
    let (mut service, _) =
        traced(&receiver.endpoint, &[("OTEL_BSP_SCHEDULE_DELAY", "60000")]).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/items/item1", service.base))
        .header("traceparent", format!("00-{TRACE}-{PARENT}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.spans().iter().all(|s| s.trace_id != TRACE));
    let stopping = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(service.child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || {
        let status = service.child.wait().unwrap();
        (status, service)
    })
    .await
    .unwrap()
    .0;
    assert!(status.success(), "{status:?}");
    assert!(stopping.elapsed() < Duration::from_secs(10));
    let trace: Vec<ReceivedSpan> = receiver
        .spans()
        .into_iter()
        .filter(|s| s.trace_id == TRACE)
        .collect();
    named(&trace, "GET /items/{id}");
    named(&trace, "SELECT items");
}

#[tokio::test]
async fn a_collector_that_hangs_costs_requests_nothing_but_dropped_spans() {
    let (endpoint, _hole) = black_hole().await;
    let (service, metrics) = traced(
        &endpoint,
        &[
            ("OTEL_BSP_MAX_QUEUE_SIZE", "8"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "60000"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    for _ in 0..100 {
        let answer = client
            .get(format!("{}/items/item1", service.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "100 requests took {took:?}");
    let page = MetricsPage::scrape(&metrics).await;
    let dropped = page.get(r#"trace_spans_dropped_total{reason="queue_full"}"#);
    // 200 spans (a request and its query each); at most 8 queued and 4
    // in the hung export.
    assert!(dropped >= 188.0, "dropped {dropped}");
    assert_eq!(page.get("trace_spans_exported_total"), 0.0);
}

#[tokio::test]
async fn a_collector_that_is_down_is_counted_as_failed_exports() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let (service, metrics) = traced(&down, &[]).await;
    let answer = reqwest::get(format!("{}/items/item1", service.base))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    harness::eventually(
        "the failed export to be counted",
        Duration::from_secs(10),
        || {
            let metrics = metrics.clone();
            async move {
                let page = MetricsPage::scrape(&metrics).await;
                (page.get(r#"trace_spans_dropped_total{reason="export_failed"}"#) >= 2.0)
                    .then_some(())
            }
        },
    )
    .await;
}

/// Without a trace exporter no span is made per request, yet a line
/// written inside a request still names it: here the warning of a 503
/// from the database source, whose database has gone away.
#[tokio::test]
async fn a_log_line_inside_a_request_carries_its_id_and_route() {
    let url = harness::create_database_on(harness::server_url()).await;
    let mut through_proxy = url::Url::parse(&url).unwrap();
    let proxy = harness::Proxy::start(through_proxy.port().unwrap_or(5432)).await;
    through_proxy.set_host(Some("127.0.0.1")).unwrap();
    through_proxy.set_port(Some(proxy.port)).unwrap();
    let log = std::env::temp_dir().join(format!("pis-lines-{}.log", uuid::Uuid::new_v4()));
    let service = harness::start_binary(
        &[
            ("DATABASE_URL", through_proxy.to_string()),
            ("APP__DEMO_DATA", "true".to_owned()),
            ("APP__PREFERRED_ITEM__SOURCE", "database".to_owned()),
            ("RUST_LOG", "info".to_owned()),
            ("APP__LOG__FORMAT", "json".to_owned()),
        ],
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    )
    .await;
    // Every connection closed, and new ones refused.
    proxy.switch(free_port());
    let answer = reqwest::Client::new()
        .post(format!("{}/preferreditem", service.base))
        .header("x-request-id", "line-check-1")
        .json(&json!({"bricks": [{"design_id": 1, "color_codes": [1]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    // The access line is written after the answer has gone out.
    until("the access line", Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        async move {
            text.lines()
                .any(|l| l.contains("line-check-1") && l.contains(r#""message":"request""#))
        }
    })
    .await;
    drop(service);
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|l: &Value| l["request_id"] == "line-check-1")
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["unavailable", "request"], "{text}");
    let warning = &lines[0];
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["route"], "/preferreditem");
    assert_eq!(warning["target"], "preferred_item_service::http::error");
    assert!(
        warning["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{warning}"
    );
    assert_eq!(warning.get("span"), None, "{warning}");
    assert_eq!(lines[1]["status"], 503);
    assert_eq!(lines[1]["route"], "/preferreditem");
}
