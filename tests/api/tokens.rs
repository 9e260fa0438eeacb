//! Bearer tokens from an OpenID Connect issuer: the token matrix. The
//! issuer's keys are made here (openssl, RSA and P-256) and served as a
//! JWKS file or from a small HTTP server of the test's own; tokens are
//! signed here. Every case asserts the exact status and `WWW-Authenticate`.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey};
use preferred_item_service::auth::AuthMode;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::harness::{spawn_app_with, Reply, TestApp};

const ISSUER: &str = "https://issuer.test/pool";
const AUDIENCE: &str = "catalog-frontend";

/// The issuer's keys: two RSA keys (one published only after "rotation")
/// and a P-256 key.
struct Keys {
    dir: PathBuf,
    rsa: EncodingKey,
    rsa_next: EncodingKey,
    ec: EncodingKey,
    rsa_public_pem: Vec<u8>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("running openssl");
    assert!(status.success(), "openssl {args:?}");
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pis-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["rsa", "rsa-next"] {
            openssl(
                &dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
        }
        openssl(
            &dir,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "ec.pem",
            ],
        );
        openssl(
            &dir,
            &["pkey", "-in", "rsa.pem", "-pubout", "-out", "rsa.pub.pem"],
        );
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        Keys {
            rsa: EncodingKey::from_rsa_pem(&read("rsa.pem")).unwrap(),
            rsa_next: EncodingKey::from_rsa_pem(&read("rsa-next.pem")).unwrap(),
            ec: EncodingKey::from_ec_pem(&read("ec.pem")).unwrap(),
            rsa_public_pem: read("rsa.pub.pem"),
            dir,
        }
    })
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

/// The JWKS before rotation: `rsa-1` and `ec-1`; after: `rsa-2` too.
fn jwks(rotated: bool) -> String {
    let k = keys();
    let mut set = vec![
        jwk(&k.rsa, Algorithm::RS256, "rsa-1"),
        jwk(&k.ec, Algorithm::ES256, "ec-1"),
    ];
    if rotated {
        set.push(jwk(&k.rsa_next, Algorithm::RS256, "rsa-2"));
    }
    serde_json::to_string(&JwkSet { keys: set }).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Claims of a valid token with `scope`; tests change what they test.
fn claims(scope: &str) -> Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now() + 600, "iat": now(), "scope": scope})
}

/// An access token (`typ: at+jwt`, RFC 9068) of `claims`.
fn sign(alg: Algorithm, key: &EncodingKey, kid: &str, claims: &Value) -> String {
    sign_with_header(
        json!({"alg": format!("{alg:?}"), "typ": "at+jwt", "kid": kid}),
        alg,
        key,
        claims,
    )
}

/// A token with exactly `header`, signed with `key`.
fn sign_with_header(header: Value, alg: Algorithm, key: &EncodingKey, claims: &Value) -> String {
    use base64::Engine;
    let encode = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let message = format!("{}.{}", encode(&header), encode(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{signature}")
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, &keys().rsa, "rsa-1", claims)
}

/// The app with tokens from a JWKS file and every route needing a
/// credential.
async fn app_with_file(cooldown_secs: u64) -> (TestApp, PathBuf) {
    let file = keys()
        .dir
        .join(format!("jwks-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, jwks(false)).unwrap();
    let path = file.clone();
    let app = spawn_app_with(move |s| {
        s.auth.mode = AuthMode::All;
        s.auth.jwt.issuer = Some(ISSUER.into());
        s.auth.jwt.audience = vec![AUDIENCE.into()];
        s.auth.jwt.jwks_file = Some(path);
        s.auth.jwt.refresh_cooldown_secs = cooldown_secs;
        s.auth.jwt.groups = vec!["catalog-editors=write".into()];
    })
    .await;
    (app, file)
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, token: &str) -> Reply {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(token);
    if method == reqwest::Method::POST {
        request = request.json(
            &json!({"identifier": format!("t{}", uuid::Uuid::new_v4().simple()),
            "bricks": [{"design_id": 1, "color_codes": [1]}]}),
        );
    }
    Reply::from(request.send().await.unwrap()).await
}

fn assert_refused(reply: &Reply, reason: &str) {
    reply.assert_problem(401, &[]);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(format!(r#"Bearer error="invalid_token", error_description="{reason}""#).as_str()),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn the_token_matrix_gives_the_exact_statuses_and_challenges() {
    let (app, _) = app_with_file(30).await;
    let k = keys();
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    // Valid RS256 and ES256; write implies read; read does not write.
    assert_eq!(
        call(
            &app,
            get.clone(),
            "/items",
            &rs256(&claims("preferred-item/read"))
        )
        .await
        .status,
        200
    );
    let es = sign(
        Algorithm::ES256,
        &k.ec,
        "ec-1",
        &claims("preferred-item/write"),
    );
    assert_eq!(call(&app, get.clone(), "/items", &es).await.status, 200);
    assert_eq!(call(&app, post.clone(), "/items", &es).await.status, 201);
    let forbidden = call(
        &app,
        post.clone(),
        "/items",
        &rs256(&claims("preferred-item/read")),
    )
    .await;
    forbidden.assert_problem(403, &[]);
    assert_eq!(
        forbidden.header("www-authenticate"),
        Some(r#"Bearer error="insufficient_scope""#)
    );
    // A group mapped to write; scp as a list.
    let mut grouped = claims("");
    grouped["cognito:groups"] = json!(["catalog-editors"]);
    assert_eq!(
        call(&app, post.clone(), "/items", &rs256(&grouped))
            .await
            .status,
        201
    );
    let mut scp = claims("");
    scp.as_object_mut().unwrap().remove("scope");
    scp["scp"] = json!(["preferred-item/read"]);
    assert_eq!(
        call(&app, get.clone(), "/items", &rs256(&scp)).await.status,
        200
    );
    // A valid token without any of our scopes.
    let none = call(
        &app,
        get.clone(),
        "/items",
        &rs256(&claims("openid profile")),
    )
    .await;
    none.assert_problem(403, &[]);

    // Time: expired beyond the leeway; not yet valid beyond it; a token
    // without exp.
    let mut expired = claims("preferred-item/read");
    expired["exp"] = json!(now() - 120);
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&expired)).await,
        "token expired",
    );
    let mut within_leeway = claims("preferred-item/read");
    within_leeway["exp"] = json!(now() - 30);
    assert_eq!(
        call(&app, get.clone(), "/items", &rs256(&within_leeway))
            .await
            .status,
        200
    );
    let mut early = claims("preferred-item/read");
    early["nbf"] = json!(now() + 300);
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&early)).await,
        "token not yet valid",
    );
    let mut no_exp = claims("preferred-item/read");
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&no_exp)).await,
        "missing claim",
    );

    // Issuer and audience.
    let mut issuer = claims("preferred-item/read");
    issuer["iss"] = json!("https://issuer.test/pool/");
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&issuer)).await,
        "wrong issuer",
    );
    let mut audience = claims("preferred-item/read");
    audience["aud"] = json!("someone-else");
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&audience)).await,
        "wrong audience",
    );
    let mut cognito = claims("preferred-item/read");
    cognito.as_object_mut().unwrap().remove("aud");
    cognito["client_id"] = json!(AUDIENCE);
    assert_eq!(
        call(&app, get.clone(), "/items", &rs256(&cognito))
            .await
            .status,
        200
    );

    // Algorithms: none, and HS256 keyed with the public key.
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "rsa-1"})),
        b64(&claims("preferred-item/write"))
    );
    assert_refused(
        &call(&app, get.clone(), "/items", &unsigned).await,
        "algorithm not allowed",
    );
    let hmac = sign(
        Algorithm::HS256,
        &EncodingKey::from_secret(&k.rsa_public_pem),
        "rsa-1",
        &claims("preferred-item/write"),
    );
    assert_refused(
        &call(&app, post.clone(), "/items", &hmac).await,
        "algorithm not allowed",
    );

    // A payload changed after signing.
    let valid = rs256(&claims("preferred-item/read"));
    let parts: Vec<&str> = valid.split('.').collect();
    let mut richer = claims("preferred-item/write");
    richer["sub"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64(&richer), parts[2]);
    assert_refused(
        &call(&app, post.clone(), "/items", &tampered).await,
        "bad signature",
    );

    // Garbage, and a 10 KiB token, refused before any parsing.
    assert_refused(
        &call(&app, get.clone(), "/items", "eyJnope.eyJnope.sig").await,
        "malformed token",
    );
    let mut huge = claims("preferred-item/read");
    huge["padding"] = json!("x".repeat(10 * 1024));
    assert_refused(
        &call(&app, get.clone(), "/items", &rs256(&huge)).await,
        "token too large",
    );

    // Open routes stay open, and API keys still work beside tokens.
    assert_eq!(app.get("/health/live").await.status, 200);

    // The outcomes are counted by reason.
    app.metrics().await.assert_has(&[
        r#"auth_outcomes_total{method="token",outcome="expired"} 1"#,
        r#"auth_outcomes_total{method="token",outcome="algorithm"} 2"#,
        r#"auth_outcomes_total{method="token",outcome="signature"} 1"#,
        r#"auth_outcomes_total{method="token",outcome="too_large"} 1"#,
    ]);
}

#[tokio::test]
async fn only_access_tokens_pass_and_critical_headers_are_refused() {
    let (app, _) = app_with_file(30).await;
    let k = keys();
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;
    let header = |typ: &str| json!({"alg": "RS256", "typ": typ, "kid": "rsa-1"});
    let token =
        |typ: &str, claims: &Value| sign_with_header(header(typ), Algorithm::RS256, &k.rsa, claims);
    let with = |scope: &str, extra: Value| {
        let mut c = claims(scope);
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };

    // A plain JWT that says nothing of its kind is not taken for access.
    let plain = token("JWT", &claims("preferred-item/read"));
    assert_refused(
        &call(&app, get.clone(), "/items", &plain).await,
        "not an access token",
    );
    // An ID token is refused even with at+jwt, and its group grants
    // nothing.
    let id = token(
        "at+jwt",
        &with(
            "",
            json!({"token_use": "id", "cognito:groups": ["catalog-editors"]}),
        ),
    );
    assert_refused(
        &call(&app, post.clone(), "/items", &id).await,
        "not an access token",
    );
    // Cognito's access tokens say so in token_use, with a typ of JWT.
    let cognito = token(
        "JWT",
        &with("preferred-item/write", json!({"token_use": "access"})),
    );
    assert_eq!(
        call(&app, post.clone(), "/items", &cognito).await.status,
        201
    );
    // The media type form of RFC 9068 is accepted too.
    let media = token("application/at+jwt", &claims("preferred-item/read"));
    assert_eq!(call(&app, get.clone(), "/items", &media).await.status, 200);

    // `crit` names extensions the service must understand; it knows none.
    let critical = sign_with_header(
        json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa-1", "crit": ["exp"]}),
        Algorithm::RS256,
        &k.rsa,
        &claims("preferred-item/read"),
    );
    assert_refused(
        &call(&app, get.clone(), "/items", &critical).await,
        "unsupported critical header",
    );
    app.metrics().await.assert_has(&[
        r#"auth_outcomes_total{method="token",outcome="token_type"} 2"#,
        r#"auth_outcomes_total{method="token",outcome="crit"} 1"#,
    ]);
}

#[tokio::test]
async fn a_rotated_key_is_accepted_without_a_restart() {
    let (app, file) = app_with_file(1).await;
    let next = sign(
        Algorithm::RS256,
        &keys().rsa_next,
        "rsa-2",
        &claims("preferred-item/read"),
    );
    assert_refused(
        &call(&app, reqwest::Method::GET, "/items", &next).await,
        "unknown signing key",
    );
    std::fs::write(&file, jwks(true)).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &next)
            .await
            .status,
        200
    );
}

/// A JWKS endpoint of the test's own: counts its requests, and can go away.
struct JwksServer {
    url: String,
    hits: Arc<AtomicU64>,
    down: Arc<AtomicBool>,
}

async fn jwks_server() -> JwksServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicU64::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (h, d) = (hits.clone(), down.clone());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let mut buf = [0_u8; 4096];
            let _ = stream.read(&mut buf).await;
            if d.load(Ordering::SeqCst) {
                continue; // drop the connection: the provider is unreachable
            }
            h.fetch_add(1, Ordering::SeqCst);
            let body = jwks(false);
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
    });
    JwksServer { url, hits, down }
}

/// An issuer on 127.0.0.1 that serves discovery, naming `named_issuer`
/// (its own address when `None`), and the JWKS. Returns its address.
async fn issuer_server(named_issuer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = named_issuer.map_or_else(|| base.clone(), str::to_owned);
    let jwks_uri = format!("{base}/jwks.json");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0_u8; 4096];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let body = if String::from_utf8_lossy(&buf[..n]).contains("openid-configuration") {
                json!({"issuer": issuer, "jwks_uri": jwks_uri}).to_string()
            } else {
                jwks(false)
            };
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                .await;
        }
    });
    base
}

#[tokio::test]
async fn discovery_must_name_the_configured_issuer() {
    for (named, accepted) in [(None, true), (Some("https://impostor.example"), false)] {
        let issuer = issuer_server(named).await;
        let configured = issuer.clone();
        let app = spawn_app_with(move |s| {
            s.auth.mode = AuthMode::All;
            s.auth.jwt.issuer = Some(configured);
            s.auth.jwt.audience = vec![AUDIENCE.into()];
        })
        .await;
        let mut token_claims = claims("preferred-item/read");
        token_claims["iss"] = json!(issuer);
        let reply = call(&app, reqwest::Method::GET, "/items", &rs256(&token_claims)).await;
        if accepted {
            assert_eq!(reply.status, 200, "{}", reply.body);
        } else {
            // The keys of a document that names another issuer are never
            // loaded.
            assert_refused(&reply, "unknown signing key");
        }
    }
}

#[tokio::test]
async fn random_kids_cannot_hammer_the_provider_and_cached_keys_outlive_it() {
    let server = jwks_server().await;
    let url = server.url.clone();
    let app = spawn_app_with(move |s| {
        s.auth.mode = AuthMode::All;
        s.auth.jwt.issuer = Some(ISSUER.into());
        s.auth.jwt.audience = vec![AUDIENCE.into()];
        s.auth.jwt.jwks_url = Some(url);
    })
    .await;
    let valid = rs256(&claims("preferred-item/read"));
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &valid)
            .await
            .status,
        200
    );
    let warm = server.hits.load(Ordering::SeqCst);
    assert_eq!(warm, 1, "the keys are fetched once at start");

    for _ in 0..20 {
        let kid = uuid::Uuid::new_v4().to_string();
        let token = sign(
            Algorithm::RS256,
            &keys().rsa,
            &kid,
            &claims("preferred-item/read"),
        );
        assert_refused(
            &call(&app, reqwest::Method::GET, "/items", &token).await,
            "unknown signing key",
        );
    }
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        warm,
        "no refresh within the cooldown"
    );

    server.down.store(true, Ordering::SeqCst);
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &valid)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn tokens_get_rate_limited_per_subject() {
    let file = keys()
        .dir
        .join(format!("jwks-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, jwks(false)).unwrap();
    let app = spawn_app_with(move |s| {
        s.auth.mode = AuthMode::All;
        s.auth.jwt.issuer = Some(ISSUER.into());
        s.auth.jwt.audience = vec![AUDIENCE.into()];
        s.auth.jwt.jwks_file = Some(file);
        s.rate_limit.enabled = true;
        s.rate_limit.per_second = 1;
        s.rate_limit.burst = 1;
    })
    .await;
    let token_of = |sub: &str| {
        let mut c = claims("preferred-item/read");
        c["sub"] = json!(sub);
        rs256(&c)
    };
    let alice = token_of("alice");
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &alice)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &alice)
            .await
            .status,
        429
    );
    // Same address, another subject: its own bucket.
    assert_eq!(
        call(&app, reqwest::Method::GET, "/items", &token_of("bob"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_openapi_document_offers_both_schemes_and_no_lock_on_health() {
    let app = crate::harness::spawn_app().await;
    let doc = app.get("/openapi.json").await.body;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["oidc_token"]["bearerFormat"], "JWT");
    // No lock: an explicit empty list, which says that no credential is
    // asked for.
    assert_eq!(
        doc["paths"]["/health/live"]["get"]["security"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["paths"]["/health/ready"]["get"]["security"],
        serde_json::json!([])
    );
    let security = doc["paths"]["/items"]["post"]["security"].to_string();
    assert!(
        security.contains("oidc_token") && security.contains("api_key"),
        "{security}"
    );
    assert!(
        doc.get("security").is_none(),
        "no document-wide requirement"
    );
}

#[tokio::test]
async fn the_request_log_names_the_subject_and_never_holds_the_token() {
    let database_url = crate::harness::create_database_on(crate::harness::server_url()).await;
    let file = keys()
        .dir
        .join(format!("jwks-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, jwks(false)).unwrap();
    let log = keys()
        .dir
        .join(format!("log-{}.jsonl", uuid::Uuid::new_v4().simple()));
    let service = crate::harness::start_binary(
        &[
            ("DATABASE_URL", database_url),
            ("APP__LOG__FORMAT", "json".into()),
            ("APP__AUTH__MODE", "all".into()),
            ("APP__AUTH__JWT__ISSUER", ISSUER.into()),
            ("APP__AUTH__JWT__AUDIENCE", AUDIENCE.into()),
            ("APP__AUTH__JWT__JWKS_FILE", file.display().to_string()),
            ("RUST_LOG", "info".into()),
        ],
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    )
    .await;
    let mut claims = claims("preferred-item/read");
    claims["sub"] = json!("subject-7f3a");
    let token = rs256(&claims);
    let status = reqwest::Client::new()
        .get(format!("{}/items", service.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(service);
    assert_eq!(status, 200);
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(r#""route":"/items""#) && l.contains(r#""message":"request""#))
        .unwrap_or_else(|| panic!("no request line in\n{text}"));
    let entry: Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["principal"], "subject-7f3a", "{line}");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!text.contains(signature), "the token reached the log");
}
