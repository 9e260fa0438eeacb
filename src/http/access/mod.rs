//! Access control: the key check and the rate limit, before anything else
//! runs.
//!
//! - `auth.mode` `off`: everything is open. `writes` (the default): reads
//!   are open, writes need a write key. `all`: reads need a read or write
//!   key too.
//! - What is a read, a write or open comes from the routes' `Policy`.

mod policy;
mod rate_limit;

pub use policy::{Policy, Rule};
pub use rate_limit::RateLimit;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error};
use std::sync::Arc;

use super::error::ApiError;
use crate::auth::{self, AuthMode, KeyRing, Scope};

/// Settings and state of the access middleware.
pub struct Access {
    pub mode: AuthMode,
    pub keys: KeyRing,
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

/// Checks the key, then the rate limit.
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
    // Hashed once: for the key check and, as the bucket name, for the
    // rate limit. The key itself is not kept.
    let presented = bearer(&req).map(auth::digest);
    let scope = presented
        .as_ref()
        .and_then(|d| access.keys.scope_of_digest(d));
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
    if let Some(rate_limit) = &access.rate_limit {
        let bucket = match (&presented, scope) {
            (Some(digest), Some(_)) => format!("key:{}", auth::hex(digest)),
            _ => format!(
                "ip:{}",
                rate_limit
                    .client_address(&req)
                    .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
            ),
        };
        if let Err(wait) = rate_limit.check(&bucket) {
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Ok(reject(req, ApiError::TooManyRequests { retry_after_secs }));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
