//! Access control: the auth matrix, rate limiting and CORS.

use preferred_item_service::auth::{AuthMode, KeyRing};
use preferred_item_service::config::TrustedProxies;
use reqwest::Method;
use serde_json::json;

use crate::harness::{spawn_app_with, Reply, TestApp};

const READ_KEY: &str = "reader-key-0123456789";
const WRITE_KEY: &str = "writer-key-0123456789";

async fn app_with_mode(mode: AuthMode) -> TestApp {
    spawn_app_with(|s| {
        s.auth.mode = mode;
        // The read key is configured as a digest, the write key in plain.
        let digest: String = sha256_hex(READ_KEY);
        s.auth.keys = KeyRing::parse(&[
            format!("read:sha256:{digest}"),
            format!("write:{WRITE_KEY}"),
        ])
        .unwrap();
    })
    .await
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn call(app: &TestApp, method: Method, path: &str, key: Option<&str>) -> Reply {
    let body = match path {
        "/items" => json!({"identifier": "a", "bricks": [{"design_id": 1, "color_codes": [1]}]}),
        "/masterdata/a" => json!({"status": "Normal", "price": 1}),
        _ => json!({"bricks": [{"design_id": 1, "color_codes": [1]}]}),
    };
    let mut request = app.client.request(method.clone(), app.url(path));
    if method != Method::GET && method != Method::DELETE {
        request = request.json(&body);
    }
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    Reply::from(request.send().await.unwrap()).await
}

/// (method, path, is a write)
const ROUTES: &[(&str, &str, bool)] = &[
    ("GET", "/items", false),
    ("GET", "/masterdata", false),
    ("POST", "/preferreditem", false),
    ("POST", "/preferreditem/score", false),
    ("POST", "/items", true),
    ("PUT", "/masterdata/a", true),
    ("DELETE", "/items/zzz", true),
];

/// The status class a call gets when access is granted: anything but 401
/// and 403 (the calls themselves may 404 or 409).
fn granted(reply: &Reply) -> bool {
    !matches!(reply.status.as_u16(), 401 | 403)
}

#[tokio::test]
async fn the_auth_matrix_gives_the_exact_statuses() {
    for mode in [AuthMode::Off, AuthMode::Writes, AuthMode::All] {
        let app = app_with_mode(mode).await;
        for &(method, path, write) in ROUTES {
            let method: Method = method.parse().unwrap();
            for (who, key) in [
                ("no key", None),
                ("bad key", Some("not-a-key-0123456789")),
                ("read key", Some(READ_KEY)),
                ("write key", Some(WRITE_KEY)),
            ] {
                let reply = call(&app, method.clone(), path, key).await;
                let expected: Option<u16> = match (mode, write, who) {
                    (AuthMode::Off, _, _) => None,
                    (_, _, "bad key") => Some(401),
                    (AuthMode::Writes, false, _) => None,
                    (AuthMode::Writes, true, "no key") => Some(401),
                    (AuthMode::Writes, true, "read key") => Some(403),
                    (AuthMode::All, _, "no key") => Some(401),
                    (AuthMode::All, true, "read key") => Some(403),
                    _ => None,
                };
                let context = format!(
                    "{mode:?} {method} {path} with {who}: {} {}",
                    reply.status, reply.body
                );
                match expected {
                    Some(status) => {
                        assert_eq!(reply.status.as_u16(), status, "{context}");
                        reply.assert_problem(status, &[]);
                        if status == 401 {
                            assert_eq!(
                                reply.header("www-authenticate"),
                                Some("Bearer"),
                                "{context}"
                            );
                        }
                    }
                    None => assert!(granted(&reply), "{context}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn docs_spec_and_health_are_always_open() {
    let app = app_with_mode(AuthMode::All).await;
    for path in ["/docs/", "/openapi.json", "/health/live", "/health/ready"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn a_write_key_allows_writes_that_persist() {
    let app = app_with_mode(AuthMode::Writes).await;
    let reply = call(&app, Method::POST, "/items", Some(WRITE_KEY)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(app.count("SELECT count(*) FROM items").await, 1);
    let refused = call(&app, Method::PUT, "/masterdata/a", Some(READ_KEY)).await;
    assert_eq!(refused.status, 403);
    assert_eq!(app.count("SELECT count(*) FROM master_data").await, 0);
}

#[tokio::test]
async fn over_the_rate_limit_is_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.per_second = 1;
        s.rate_limit.burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let reply = app.get("/items").await;
        statuses.push(reply.status.as_u16());
        last = Some(reply);
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let last = last.unwrap();
    last.assert_problem(429, &[]);
    assert_eq!(last.header("retry-after"), Some("1"));
    // Health is never limited.
    assert_eq!(app.get("/health/live").await.status, 200);
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let limited = |trusted: Vec<String>| async move {
        spawn_app_with(move |s| {
            s.rate_limit.enabled = true;
            s.rate_limit.per_second = 1;
            s.rate_limit.burst = 1;
            s.rate_limit.trusted_proxies = TrustedProxies::parse(&trusted).unwrap();
        })
        .await
    };
    let get_as = |app: &TestApp, client_ip: &str| {
        app.client
            .get(app.url("/items"))
            .header("x-forwarded-for", client_ip)
            .send()
    };

    // Behind a trusted proxy (the test's own address), each forwarded
    // client has its own bucket.
    let app = limited(vec!["127.0.0.1".into()]).await;
    assert_eq!(get_as(&app, "203.0.113.1").await.unwrap().status(), 200);
    assert_eq!(get_as(&app, "203.0.113.2").await.unwrap().status(), 200);
    assert_eq!(get_as(&app, "203.0.113.1").await.unwrap().status(), 429);

    // Otherwise the header is ignored: one bucket for the peer.
    let app = limited(vec![]).await;
    assert_eq!(get_as(&app, "203.0.113.1").await.unwrap().status(), 200);
    assert_eq!(get_as(&app, "203.0.113.2").await.unwrap().status(), 429);
}

#[tokio::test]
async fn cors_preflight_works_with_auth_on() {
    let app = spawn_app_with(|s| {
        s.auth.mode = AuthMode::All;
        s.auth.keys = KeyRing::parse(&[format!("write:{WRITE_KEY}")]).unwrap();
        s.cors.allowed_origins = vec!["https://shop.example".into()];
    })
    .await;
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/preferreditem"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://shop.example"
    );

    let refused = app
        .client
        .request(Method::OPTIONS, app.url("/preferreditem"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let actual = app
        .client
        .get(app.url("/items"))
        .header("origin", "https://shop.example")
        .bearer_auth(WRITE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(actual.status(), 200);
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
}
