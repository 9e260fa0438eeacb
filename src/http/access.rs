//! Access control: API keys with read or write scope, and a token bucket
//! per key (or per client address when there is no key).
//!
//! - `auth.mode` `off`: everything is open. `writes` (the default): reads
//!   are open, writes need a write key. `all`: reads need a read or write
//!   key too.
//! - `POST /preferreditem…` asks a question and changes nothing, so it is a
//!   read. `/docs`, `/openapi.json` and `/health/*` are always open, as are
//!   CORS preflights.
//! - Keys are configured as `read:<key>`, `write:<key>`, `read:sha256:<hex>`
//!   or `write:sha256:<hex>`. Only SHA-256 digests are kept; a presented key
//!   is hashed and compared with every digest in constant time, so timing
//!   reveals neither the key nor which entry matched.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use anyhow::{bail, Context};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use subtle::ConstantTimeEq;

use crate::error::{problem_response, ApiError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    Off,
    Writes,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

/// The configured keys, as digests.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(Scope, [u8; 32])>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({} keys)", self.keys.len())
    }
}

impl KeyRing {
    /// Parses `auth.keys` entries. Errors name the entry by position, never
    /// by content, so that a key is not echoed into logs.
    pub fn parse(entries: &[String]) -> anyhow::Result<KeyRing> {
        let mut keys = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (scope, rest) = match entry.split_once(':') {
                Some(("read", rest)) => (Scope::Read, rest),
                Some(("write", rest)) => (Scope::Write, rest),
                _ => bail!("auth.keys[{i}]: must start with \"read:\" or \"write:\""),
            };
            let digest = match rest.strip_prefix("sha256:") {
                Some(hex) => parse_digest(hex)
                    .with_context(|| format!("auth.keys[{i}]: sha256 needs 64 hex digits"))?,
                None if rest.len() >= 16 => Sha256::digest(rest.as_bytes()).into(),
                None => bail!("auth.keys[{i}]: a key must have at least 16 characters"),
            };
            keys.push((scope, digest));
        }
        Ok(KeyRing { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The scope of a presented key, if it is one of ours.
    pub fn scope_of(&self, presented: &str) -> Option<Scope> {
        self.scope_of_digest(&digest(presented))
    }

    /// The scope of a key by its digest. Every configured digest is
    /// compared, whatever matches first.
    fn scope_of_digest(&self, digest: &[u8; 32]) -> Option<Scope> {
        let mut found = None;
        for (scope, key) in &self.keys {
            if bool::from(key.ct_eq(digest)) {
                found = found.max(Some(*scope));
            }
        }
        found
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0_u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// What a route needs.
fn required_scope(method: &Method, path: &str) -> Option<Scope> {
    let always_open = path == "/docs"
        || path.starts_with("/docs/")
        || path == "/openapi.json"
        || path.starts_with("/health/");
    if always_open || method == Method::OPTIONS {
        return None;
    }
    let is_query = path == "/preferreditem" || path.starts_with("/preferreditem/");
    if method == Method::GET || method == Method::HEAD || (method == Method::POST && is_query) {
        Some(Scope::Read)
    } else {
        Some(Scope::Write)
    }
}

/// Settings and state of the access middleware.
pub struct Access {
    pub mode: AuthMode,
    pub keys: KeyRing,
    pub limiter: Option<DefaultKeyedRateLimiter<String>>,
    pub trusted_proxies: Vec<IpNet>,
}

impl Access {
    pub fn new(
        mode: AuthMode,
        keys: KeyRing,
        rate: Option<(NonZeroU32, NonZeroU32)>,
        trusted_proxies: Vec<IpNet>,
    ) -> Access {
        let limiter = rate.map(|(per_second, burst)| {
            RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))
        });
        Access {
            mode,
            keys,
            limiter,
            trusted_proxies,
        }
    }

    /// The client's address: the peer, or the nearest untrusted address in
    /// `X-Forwarded-For` when the peer is a trusted proxy.
    fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.iter().any(|net| net.contains(&peer)) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusted_proxies.iter().any(|net| net.contains(ip)))
            .or(Some(peer))
    }

    /// Drops rate-limit state of clients that have gone quiet.
    pub fn forget_idle_clients(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn reject<B>(req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    let mut response = problem_response(&error.problem());
    match &error {
        ApiError::Unauthorized => {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        ApiError::TooManyRequests { retry_after_secs } => {
            if let Ok(value) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        _ => {}
    }
    req.into_response(response).map_into_right_body()
}

/// Checks the key, then the rate limit, before anything else runs.
pub async fn access_control(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let access = req
        .app_data::<web::Data<Access>>()
        .expect("Access is registered as app data")
        .clone();
    let required = required_scope(req.method(), req.path());
    // Hashed once: for the key check and, as the bucket name, for the
    // rate limit. The key itself is not kept.
    let presented = bearer(&req).map(digest);
    let scope = presented
        .as_ref()
        .and_then(|d| access.keys.scope_of_digest(d));

    if let Some(required) = required {
        let needs_key = match access.mode {
            AuthMode::Off => false,
            AuthMode::Writes => required == Scope::Write,
            AuthMode::All => true,
        };
        if needs_key {
            match scope {
                None => return Ok(reject(req, ApiError::Unauthorized)),
                Some(scope) if scope < required => return Ok(reject(req, ApiError::Forbidden)),
                Some(_) => {}
            }
        } else if presented.is_some() && scope.is_none() && access.mode != AuthMode::Off {
            // A key that is sent must be a valid one, even where none is
            // needed: a typo should not pass silently.
            return Ok(reject(req, ApiError::Unauthorized));
        }
        if let Some(limiter) = &access.limiter {
            let bucket = match (&presented, scope) {
                (Some(digest), Some(_)) => format!("key:{}", hex(digest)),
                _ => format!(
                    "ip:{}",
                    access
                        .client_address(&req)
                        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
                ),
            };
            if let Err(not_until) = limiter.check_key(&bucket) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return Ok(reject(req, ApiError::TooManyRequests { retry_after_secs }));
            }
        }
    }
    req.extensions_mut().insert(scope);
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses `rate_limit.trusted_proxies`: addresses or CIDR blocks.
pub fn parse_proxies(entries: &[String]) -> anyhow::Result<Vec<IpNet>> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.trim().is_empty())
        .map(|(i, entry)| {
            let entry = entry.trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .with_context(|| {
                    format!("rate_limit.trusted_proxies[{i}]: {entry:?} is not an address or CIDR block")
                })
        })
        .collect()
}

/// Keeps rate-limit memory bounded.
pub fn spawn_janitor(access: Arc<Access>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            access.forget_idle_clients();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(entries: &[&str]) -> KeyRing {
        KeyRing::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn plain_and_digest_keys_are_recognised_with_their_scope() {
        let digest = hex(&digest("reader-key-0123456789"));
        let keys = ring(&[
            "write:writer-key-0123456789",
            &format!("read:sha256:{digest}"),
        ]);
        assert_eq!(keys.scope_of("writer-key-0123456789"), Some(Scope::Write));
        assert_eq!(keys.scope_of("reader-key-0123456789"), Some(Scope::Read));
        assert_eq!(keys.scope_of("writer-key-012345678"), None);
        assert_eq!(keys.scope_of(""), None);
    }

    #[test]
    fn bad_entries_are_named_by_position_without_echoing_the_key() {
        let err = KeyRing::parse(&["admin:secret-secret-secret".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "auth.keys[0]: must start with \"read:\" or \"write:\""
        );
        let err = KeyRing::parse(&["read:short".into()]).unwrap_err();
        assert!(!err.to_string().contains("short"));
        assert!(KeyRing::parse(&["read:sha256:abc".into()]).is_err());
    }

    #[test]
    fn queries_are_reads_and_docs_are_open() {
        assert_eq!(
            required_scope(&Method::POST, "/preferreditem/batch"),
            Some(Scope::Read)
        );
        assert_eq!(required_scope(&Method::GET, "/items"), Some(Scope::Read));
        assert_eq!(
            required_scope(&Method::POST, "/items/bulk"),
            Some(Scope::Write)
        );
        assert_eq!(
            required_scope(&Method::DELETE, "/masterdata/x"),
            Some(Scope::Write)
        );
        assert_eq!(required_scope(&Method::GET, "/docs/index.html"), None);
        assert_eq!(required_scope(&Method::GET, "/health/ready"), None);
        assert_eq!(required_scope(&Method::OPTIONS, "/items"), None);
        assert_eq!(required_scope(&Method::GET, "/metrics"), Some(Scope::Read));
    }

    #[test]
    fn proxies_accept_addresses_and_blocks() {
        let nets = parse_proxies(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        assert!(nets[0].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        assert!(nets[1].contains(&"127.0.0.1".parse::<IpAddr>().unwrap()));
        assert!(parse_proxies(&["nope".into()]).is_err());
    }
}
