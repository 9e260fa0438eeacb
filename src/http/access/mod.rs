//! Access control: the key check and the rate limit, before anything else
//! runs.
//!
//! - `auth.mode` `off`: everything is open. `writes` (the default): reads
//!   are open, writes need a write key. `all`: reads need a read or write
//!   key too.
//! - What is a read, a write or open comes from the routes' `Policy`.
//! - A bearer credential shaped like a JWT is a token when an issuer is
//!   configured (`auth::JwtValidator`); anything else is an API key. The
//!   rate limit keys on the token's `sub`, the key's digest, or else the
//!   client's address.

mod policy;
mod rate_limit;

pub use policy::{Policy, Rule};
pub use rate_limit::RateLimit;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

use super::error::ApiError;
use crate::auth::{self, AuthMode, JwtValidator, KeyRing, Principal, Scope};
use crate::metrics::Metrics;

/// Settings and state of the access middleware.
pub struct Access {
    pub mode: AuthMode,
    pub keys: KeyRing,
    /// Bearer tokens from an OpenID Connect issuer, when one is configured.
    pub jwt: Option<JwtValidator>,
    pub policy: Policy,
    pub rate_limit: Option<Arc<RateLimit>>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
}

/// The address a request came from (see `client_address`), for the rate
/// limit and the large-body budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client's address: the peer, or the nearest untrusted address in
/// `X-Forwarded-For` when the peer is a trusted proxy.
pub fn client_address(req: &ServiceRequest, trusted_proxies: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
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
        .find(|ip| !trusted(ip))
        .or(Some(peer))
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn too_many(wait: std::time::Duration) -> ApiError {
    let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests { retry_after_secs }
}

/// The refusal, once a small body has been read and dropped, so that the
/// client's connection stays open (see `json_body::drain`).
async fn reject<B>(mut req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = req.take_payload();
    super::drain::drain(&mut payload, declared).await;
    let response = actix_web::ResponseError::error_response(&error);
    req.into_response(response).map_into_right_body()
}

/// What the credential of a request proved.
enum Credential {
    None,
    Key {
        bucket: String,
        principal: Option<Principal>,
    },
    Token(Principal),
    Refused(auth::Rejection),
}

async fn identify(access: &Access, presented: Option<&str>) -> Credential {
    let Some(presented) = presented else {
        return Credential::None;
    };
    if let Some(jwt) = &access.jwt {
        if presented.len() > auth::MAX_TOKEN_BYTES {
            return Credential::Refused(auth::Rejection::TooLarge);
        }
        if auth::looks_like_jwt(presented) {
            return match jwt.validate(presented).await {
                Ok(principal) => Credential::Token(principal),
                Err(rejection) => Credential::Refused(rejection),
            };
        }
    }
    // Hashed once: for the key check and, as the bucket name, for the
    // rate limit. The key itself is not kept.
    let digest = auth::digest(presented);
    let hex = hex::encode(digest);
    let principal = access.keys.scope_of_digest(&digest).map(|scope| Principal {
        id: format!("key:{}", &hex[..12]),
        scope: Some(scope),
    });
    Credential::Key {
        bucket: format!("key:{hex}"),
        principal,
    }
}

/// Checks the credential (an API key or a bearer token), then the rate
/// limit.
pub async fn access_control(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let access = req
        .app_data::<web::Data<Access>>()
        .expect("Access is registered as app data")
        .clone();
    let Some(required) = access.policy.required(req.method(), req.path()) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let client = client_address(&req, &access.trusted_proxies);
    if let Some(client) = client {
        req.extensions_mut().insert(ClientAddress(client));
    }
    let ip_bucket = || {
        format!(
            "ip:{}",
            client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
        )
    };
    // A refusal costs the client's address a token too, so that guessing
    // credentials is rate limited; past the limit the answer is 429.
    let refusal = |error: ApiError| {
        let throttled = access
            .rate_limit
            .as_ref()
            .and_then(|limit| limit.check(&ip_bucket()).err());
        throttled.map_or(error, too_many)
    };
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let observe = |method: &str, outcome: &str| {
        if let Some(metrics) = &metrics {
            metrics.observe_auth(method, outcome);
        }
    };
    let credential = match access.mode {
        // Everything is open: credentials are not even looked at.
        AuthMode::Off => Credential::None,
        _ => identify(&access, bearer(&req)).await,
    };
    let (principal, bucket) = match credential {
        // A credential that is sent must be a valid one, even where none is
        // needed: a typo should not pass silently.
        Credential::Refused(rejection) => {
            observe("token", rejection.label());
            let refused = ApiError::Unauthorized {
                token_refused: Some(rejection.reason()),
            };
            return Ok(reject(req, refusal(refused)).await);
        }
        Credential::Key {
            principal: None, ..
        } => {
            observe("key", "unknown_key");
            let refused = ApiError::Unauthorized {
                token_refused: None,
            };
            return Ok(reject(req, refusal(refused)).await);
        }
        Credential::Key {
            principal: Some(principal),
            bucket,
        } => {
            observe("key", "accepted");
            (Some(principal), Some(bucket))
        }
        Credential::Token(principal) => {
            observe("token", "accepted");
            tracing::Span::current().record("sub", principal.id.as_str());
            let bucket = format!("sub:{}", principal.id);
            (Some(principal), Some(bucket))
        }
        Credential::None => (None, None),
    };
    let needs_credential = match access.mode {
        AuthMode::Off => false,
        AuthMode::Writes => required == Scope::Write,
        AuthMode::All => true,
    };
    if needs_credential {
        match principal.as_ref().map(|p| p.scope) {
            None => {
                let refused = ApiError::Unauthorized {
                    token_refused: None,
                };
                return Ok(reject(req, refusal(refused)).await);
            }
            Some(scope) if scope < Some(required) => {
                return Ok(reject(req, refusal(ApiError::Forbidden)).await)
            }
            Some(_) => {}
        }
    }
    let Some(rate_limit) = access.rate_limit.clone() else {
        if let Some(principal) = principal {
            req.extensions_mut().insert(principal);
        }
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let bucket = bucket.unwrap_or_else(ip_bucket);
    // A read that revalidates (If-None-Match) is counted only if it is not
    // answered 304; until then it draws on the larger revalidation
    // allowance. Writes are always counted first: a write must never run
    // and then be refused.
    let revalidation = required == Scope::Read && req.headers().contains_key(header::IF_NONE_MATCH);
    let checked = if revalidation {
        rate_limit.check_revalidation(&bucket)
    } else {
        rate_limit.check(&bucket)
    };
    if let Err(wait) = checked {
        return Ok(reject(req, too_many(wait)).await);
    }
    if let Some(principal) = principal {
        req.extensions_mut().insert(principal);
    }
    let response = next.call(req).await?;
    if !revalidation || response.status() == actix_web::http::StatusCode::NOT_MODIFIED {
        return Ok(response.map_into_left_body());
    }
    match rate_limit.check(&bucket) {
        Ok(()) => Ok(response.map_into_left_body()),
        Err(wait) => {
            let (request, _) = response.into_parts();
            let refused = actix_web::ResponseError::error_response(&too_many(wait));
            Ok(ServiceResponse::new(request, refused).map_into_right_body())
        }
    }
}
