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
}

fn bearer(req: &ServiceRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn reject<B>(req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
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
            return Ok(reject(req, refused));
        }
        Credential::Key {
            principal: None, ..
        } => {
            observe("key", "unknown_key");
            return Ok(reject(
                req,
                ApiError::Unauthorized {
                    token_refused: None,
                },
            ));
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
                return Ok(reject(
                    req,
                    ApiError::Unauthorized {
                        token_refused: None,
                    },
                ))
            }
            Some(scope) if scope < Some(required) => return Ok(reject(req, ApiError::Forbidden)),
            Some(_) => {}
        }
    }
    if let Some(rate_limit) = &access.rate_limit {
        let bucket = bucket.unwrap_or_else(|| {
            format!(
                "ip:{}",
                rate_limit
                    .client_address(&req)
                    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
            )
        });
        if let Err(wait) = rate_limit.check(&bucket) {
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Ok(reject(req, ApiError::TooManyRequests { retry_after_secs }));
        }
    }
    if let Some(principal) = principal {
        req.extensions_mut().insert(principal);
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
