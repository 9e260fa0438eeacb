//! Memory stays bounded under hostile load: sixteen clients each send the
//! largest batch the limits allow (1,000 `contains` queries of 350 bricks,
//! about 15 MB) at once, to the real binary. Each gets its answer or a fast
//! 503 with Retry-After; `/health/live` keeps answering throughout; the
//! process's peak resident memory rises by at most 256 MB, and most of it
//! goes back after the burst.

#[path = "harness/mod.rs"]
mod harness;

use std::time::{Duration, Instant};

fn worst_case_batch() -> String {
    let query = {
        let bricks: Vec<String> = (0..350)
            .map(|i| {
                format!(
                    r#"{{"design_id":{},"color_codes":[{},{}]}}"#,
                    1_000_000 + i,
                    i % 200,
                    7
                )
            })
            .collect();
        format!(
            r#"{{"bricks":[{}],"match":"contains","alternatives":20}}"#,
            bricks.join(",")
        )
    };
    let queries = vec![query; 1000].join(",");
    format!(r#"{{"strategy":"rank","queries":[{queries}]}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_worst_case_batches_get_answers_or_fast_refusals_within_256_mb() {
    let url = harness::create_database_on(harness::server_url()).await;
    let service = harness::start_ready_binary(&[
        ("DATABASE_URL", url),
        ("APP__SERVER__WORKERS", "2".into()),
        ("APP__DEMO_DATA", "true".into()),
        ("APP__AUTH__MODE", "off".into()),
        ("APP__RATE_LIMIT__ENABLED", "false".into()),
        ("RUST_LOG", "error".into()),
    ])
    .await;
    let base = service.base.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    let pid = service.child.id();
    let body = worst_case_batch();
    assert!(
        body.len() > 14_000_000 && body.len() < 16 * 1024 * 1024,
        "{}",
        body.len()
    );
    // Warm up on a small batch, so the baseline holds the pools and caches.
    let small = r#"{"queries":[{"bricks":[{"design_id":1,"color_codes":[1,2]}]}]}"#;
    let warm = client
        .post(format!("{base}/preferreditem/batch"))
        .header("content-type", "application/json")
        .body(small)
        .send()
        .await
        .unwrap();
    assert_eq!(warm.status(), 200);
    let baseline = harness::status_kib(pid, "VmRSS:");

    let probe = harness::Liveness::watch(&base, Duration::from_millis(100));

    let requests: Vec<_> = (0..16)
        .map(|_| {
            let (client, base, body) = (client.clone(), base.clone(), body.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let url = format!("{base}/preferreditem/batch");
                let response = harness::post_raw_json(&client, &url, body).await;
                let status = response.status().as_u16();
                let retry_after = response.headers().get("retry-after").is_some();
                let text = response.text().await.unwrap();
                (status, retry_after, started.elapsed(), text.len())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(request.await.unwrap());
    }
    let sampled = probe.stop().await;
    let (slowest_live, live_failures) = (sampled.slowest, sampled.failures);
    let peak = harness::status_kib(pid, "VmHWM:");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = harness::status_kib(pid, "VmRSS:");
    drop(service);

    let answered = outcomes.iter().filter(|o| o.0 == 200).count();
    let refused: Vec<_> = outcomes.iter().filter(|o| o.0 == 503).collect();
    eprintln!(
        "answered {answered}, refused {}, baseline {} MB, peak {} MB, after {} MB, slowest live {:?}",
        refused.len(),
        baseline / 1024,
        peak / 1024,
        after / 1024,
        slowest_live
    );
    assert!(
        outcomes.iter().all(|o| o.0 == 200 || o.0 == 503),
        "{:?}",
        outcomes.iter().map(|o| o.0).collect::<Vec<_>>()
    );
    assert!(answered >= 1, "no batch was answered");
    assert!(refused.iter().all(|o| o.1), "a 503 without Retry-After");
    assert_eq!(live_failures, 0, "/health/live failed during the burst");
    assert!(
        slowest_live < Duration::from_secs(1),
        "/health/live took {slowest_live:?}"
    );
    assert!(
        peak.saturating_sub(baseline) <= 256 * 1024,
        "peak RSS rose by {} MB",
        peak.saturating_sub(baseline) / 1024
    );
    // What stays: mostly the database connections' buffers, which keep the
    // size of the largest query they sent.
    assert!(
        after.saturating_sub(baseline) <= 96 * 1024,
        "RSS stayed {} MB above the baseline after the burst",
        after.saturating_sub(baseline) / 1024
    );
}
