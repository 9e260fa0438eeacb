//! `Idempotency-Key` on the POSTs that create (`POST /items`,
//! `POST /items/bulk`, `POST /masterdata/bulk`), after the IETF httpapi
//! draft: the same key with the same request gets the first answer again,
//! its status included; with another request, 422; while the first is
//! still running, 409. Keys belong to the caller (the API key or the
//! token's subject; `anonymous` when access control is off) and live in
//! PostgreSQL for `idempotency.retention_secs` (24 h by default), so a
//! retry may reach any replica. README "Safe retries" has the contract.

use actix_web::body::{to_bytes, BoxBody};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::future::Future;

use super::state::AppState;
use crate::auth::Principal;
use crate::db::idempotency::{self, Claim, StoredAnswer};
use crate::domain::FieldError;
use crate::http::conditional::digest_of_parts;
use crate::http::{ApiError, ApiResult};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// On an answer sent again for a key: the first request's answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotency-replayed");

/// The key of a request, if it sent one: 1 to 255 visible ASCII characters.
fn key_of(request: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = request.headers().get(&IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"'))
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| ApiError::BadRequest {
            detail: "The Idempotency-Key header is not a valid key".into(),
            errors: vec![FieldError::new(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )],
        })?;
    Ok(Some(key.to_owned()))
}

/// The fingerprint of a request body: what "the same request" means.
pub fn fingerprint(parts: &[&[u8]]) -> Vec<u8> {
    digest_of_parts(parts).to_vec()
}

/// Runs `work` once per key: the first time it runs and its answer is
/// kept (unless it is a 5xx, which a retry should run again); after that
/// the kept answer is sent.
pub async fn once<F, Fut>(
    state: &AppState,
    request: &HttpRequest,
    request_hash: Vec<u8>,
    work: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<HttpResponse>>,
{
    let Some(key) = key_of(request)? else {
        return work().await;
    };
    let caller = request
        .extensions()
        .get::<Principal>()
        .map_or_else(|| "anonymous".to_owned(), |p| p.id.clone());
    let route = format!(
        "{} {}",
        request.method(),
        request
            .match_pattern()
            .unwrap_or_else(|| request.path().to_owned())
    );
    let claim = state
        .bounded(idempotency::claim(
            &state.pool,
            &caller,
            &key,
            &route,
            &request_hash,
            state.idempotency_lease,
        ))
        .await?;
    match claim {
        Claim::Mine => {}
        Claim::Running => {
            return Err(ApiError::Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly"
                    .into(),
            ))
        }
        Claim::Mismatch => {
            return Err(ApiError::validation(FieldError::new(
                "Idempotency-Key",
                "was used for a different request: send a new key for a new request",
            )))
        }
        Claim::Done(answer) => return Ok(replay(answer)),
    }
    let response = match work().await {
        Ok(response) => response,
        Err(error) => error.error_response(),
    };
    if response.status().is_server_error() {
        if let Err(error) = idempotency::release(&state.pool, &caller, &key).await {
            tracing::warn!(%error, "an idempotency key could not be released");
        }
        return Ok(response);
    }
    let (response, answer) = keep(response).await?;
    // The write is done whatever happens to its record: a failure to keep
    // the answer is logged, and the answer still sent. A retry then finds
    // the key running until its lease ends, and runs again.
    if let Err(error) = state
        .bounded(idempotency::complete(&state.pool, &caller, &key, &answer))
        .await
    {
        tracing::warn!(%error, "the answer of an idempotency key could not be kept");
    }
    Ok(response)
}

/// The answer's parts worth keeping, and the answer itself, rebuilt.
async fn keep(response: HttpResponse) -> ApiResult<(HttpResponse, StoredAnswer)> {
    let text = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (content_type, location, etag) = (
        text(header::CONTENT_TYPE),
        text(header::LOCATION),
        text(header::ETAG),
    );
    let status = response.status().as_u16();
    let (head, body) = response.into_parts();
    let body = to_bytes(body)
        .await
        .map_err(|_| ApiError::Unexpected(anyhow::anyhow!("an answer could not be read back")))?;
    let answer = StoredAnswer {
        status,
        content_type,
        location,
        etag,
        body: body.to_vec(),
    };
    Ok((head.set_body(BoxBody::new(body)), answer))
}

fn replay(answer: StoredAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.insert_header((REPLAYED, HeaderValue::from_static("true")));
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::LOCATION, answer.location),
        (header::ETAG, answer.etag),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            response.insert_header((name, value));
        }
    }
    response.body(answer.body)
}
