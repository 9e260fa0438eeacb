//! The issuer's signing keys: fetched from the JWKS URL (found through
//! OpenID Connect discovery when none is configured) or read from a file,
//! cached, and refreshed when a token names a key the cache does not hold,
//! at most once per cooldown, so that random `kid`s cannot hammer the
//! provider. A refresh that fails keeps the keys already cached.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// `http://` on a loopback address: allowed for JWKS and discovery outside
/// production, for tests and local issuers.
pub fn is_loopback_http(raw: &str) -> bool {
    let Ok(url) = url::Url::parse(raw) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    Url(String),
    /// `<issuer>/.well-known/openid-configuration` names the JWKS URL.
    Discovery(String),
    File(PathBuf),
}

/// One usable key: the decoding key and the algorithm the JWK pins, if any.
#[derive(Clone)]
pub struct CachedKey {
    pub key: Arc<DecodingKey>,
    pub algorithm: Option<Algorithm>,
}

type HttpsClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Empty<bytes::Bytes>,
>;

/// The most a JWKS or discovery document may weigh.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

pub struct KeyCache {
    source: JwksSource,
    client: HttpsClient,
    keys: RwLock<HashMap<String, CachedKey>>,
    cooldown: Duration,
    /// Whether a discovered `jwks_uri` may be plain http on a loopback
    /// address (never in production).
    loopback_http: bool,
    /// Serialises refreshes, and remembers when the last one started.
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl KeyCache {
    pub fn new(
        source: JwksSource,
        cooldown: Duration,
        loopback_http: bool,
    ) -> anyhow::Result<KeyCache> {
        // Public CAs (Mozilla's list, compiled in), so that no CA file of the
        // image decides whom the service trusts for its keys.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        Ok(KeyCache {
            source,
            client,
            keys: RwLock::new(HashMap::new()),
            cooldown,
            loopback_http,
            last_refresh: tokio::sync::Mutex::new(None),
        })
    }

    /// The key `kid`; refreshes the cache first when it does not hold it
    /// and the cooldown since the last refresh has passed.
    pub async fn key(&self, kid: &str) -> Option<CachedKey> {
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        let mut last = self.last_refresh.lock().await;
        // Another request may have refreshed while this one waited.
        if let Some(key) = self.cached(kid) {
            return Some(key);
        }
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            return None;
        }
        *last = Some(Instant::now());
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "refreshing the token signing keys failed; the cached keys stay");
        }
        self.cached(kid)
    }

    /// Loads the keys now, whatever the cooldown (at start, and on a timer).
    pub async fn refresh_now(&self) -> anyhow::Result<()> {
        let mut last = self.last_refresh.lock().await;
        *last = Some(Instant::now());
        self.refresh().await
    }

    fn cached(&self, kid: &str) -> Option<CachedKey> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    async fn refresh(&self) -> anyhow::Result<()> {
        let set: JwkSet = match &self.source {
            JwksSource::File(path) => serde_json::from_slice(
                &tokio::fs::read(path)
                    .await
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?,
            )?,
            JwksSource::Url(url) => self.fetch(url).await?,
            JwksSource::Discovery(issuer) => {
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                let discovery: serde_json::Value = self.fetch(&url).await?;
                // OpenID Connect Discovery 1.0 §4.3: the document must name
                // exactly the issuer it was fetched for.
                if discovery["issuer"].as_str() != Some(issuer.as_str()) {
                    anyhow::bail!("{url} names another issuer than {issuer}");
                }
                let jwks_uri = discovery["jwks_uri"]
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("{url} names no jwks_uri"))?;
                let loopback = self.loopback_http && is_loopback_http(jwks_uri);
                if !jwks_uri.starts_with("https://") && !loopback {
                    anyhow::bail!("{url} names a jwks_uri that is not https");
                }
                self.fetch(jwks_uri).await?
            }
        };
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            // Keys for encryption, or of a kind we cannot verify with, are
            // left out; the rest of the set still counts.
            if jwk.common.public_key_use == Some(jsonwebtoken::jwk::PublicKeyUse::Encryption) {
                continue;
            }
            if let Ok(key) = DecodingKey::from_jwk(jwk) {
                let algorithm = jwk
                    .common
                    .key_algorithm
                    .and_then(|a| a.to_string().parse::<Algorithm>().ok());
                keys.insert(
                    kid,
                    CachedKey {
                        key: Arc::new(key),
                        algorithm,
                    },
                );
            }
        }
        if let Ok(mut cached) = self.keys.write() {
            *cached = keys;
        }
        Ok(())
    }

    /// GETs `url` (no redirects) within 5 s and parses its JSON body.
    async fn fetch<T: serde::de::DeserializeOwned>(&self, url: &str) -> anyhow::Result<T> {
        use http_body_util::BodyExt;
        let uri: hyper::Uri = url.parse()?;
        let get = async {
            let response = self.client.get(uri).await?;
            if !response.status().is_success() {
                anyhow::bail!("{url} answered {}", response.status());
            }
            let body = http_body_util::Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("reading {url}: {e}"))?
                .to_bytes();
            Ok(serde_json::from_slice(&body)?)
        };
        tokio::time::timeout(Duration::from_secs(5), get)
            .await
            .map_err(|_| anyhow::anyhow!("{url} did not answer within 5 s"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_may_use_plain_http() {
        assert!(is_loopback_http("http://127.0.0.1:9000/jwks.json"));
        assert!(is_loopback_http("http://localhost/jwks"));
        assert!(is_loopback_http("http://[::1]:8080/"));
        assert!(!is_loopback_http("http://idp.example.com/jwks"));
        assert!(!is_loopback_http("https://127.0.0.1/jwks"));
    }
}
