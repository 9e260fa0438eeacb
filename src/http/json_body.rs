//! The JSON body extractor: the content type, size limits and a read
//! timeout; the parsing itself, and which failure is a 400 or a 422, is
//! the wire layer's (`wire::json`).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::wire::json::parse;

/// Body size limits, the time a client has to send its body, and the
/// budget of large bodies in flight.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    pub json: usize,
    pub large: usize,
    pub read_timeout: Duration,
    /// KiB of large bodies (batches, bulk loads) that may be held at once
    /// across the process, from the first byte read until the request is
    /// answered. A request that would go over gets a fast 503.
    pub large_in_flight: Arc<Semaphore>,
}

impl BodyLimits {
    pub fn new(json: usize, large: usize, read_timeout: Duration, in_flight_bytes: usize) -> Self {
        BodyLimits {
            json,
            large,
            read_timeout,
            large_in_flight: Arc::new(Semaphore::new(in_flight_bytes.div_ceil(1024).max(1))),
        }
    }

    /// The limits registered as app data.
    pub fn of(req: &HttpRequest) -> BodyLimits {
        req.app_data::<BodyLimits>()
            .expect("BodyLimits is registered as app data")
            .clone()
    }
}

/// A share of the large-body budget, held as long as the body (and what
/// was parsed from it) is; released on drop.
pub struct BodyPermit {
    _held: Option<OwnedSemaphorePermit>,
}

impl Drop for BodyPermit {
    /// After a large body, gives the memory it and its parse took back to
    /// the system, so that a burst does not leave the process at its peak.
    fn drop(&mut self) {
        let large = self._held.as_ref().is_some_and(|p| p.num_permits() >= 1024);
        if large {
            crate::heap::release_free_memory();
        }
    }
}

/// Takes budget as a body grows, and refuses at once when there is none.
struct Reservation {
    budget: Option<Arc<Semaphore>>,
    held: Option<OwnedSemaphorePermit>,
}

impl Reservation {
    fn ensure(&mut self, bytes: usize) -> Result<(), ApiError> {
        let Some(budget) = &self.budget else {
            return Ok(());
        };
        let need = bytes.div_ceil(1024).max(1);
        let have = self.held.as_ref().map_or(0, |p| p.num_permits());
        if need <= have {
            return Ok(());
        }
        // Grow by at least doubling, so that a streamed body asks rarely.
        let want = (need - have).max(have).min(u32::MAX as usize) as u32;
        let more = budget
            .clone()
            .try_acquire_many_owned(want)
            .or_else(|_| budget.clone().try_acquire_many_owned((need - have) as u32))
            .map_err(|_| ApiError::Busy)?;
        match &mut self.held {
            Some(held) => held.merge(more),
            None => self.held = Some(more),
        }
        Ok(())
    }
}

/// A request body type, and which limit applies to it.
pub trait RequestBody: DeserializeOwned + Send + 'static {
    /// Whether this body may use the larger limit (batches, bulk loads).
    const LARGE: bool = false;
}

/// A parsed JSON body. For large bodies it holds its share of the budget
/// until it is dropped, at the end of the request.
pub struct JsonBody<T>(pub T, BodyPermit);

impl<T> JsonBody<T> {
    /// The body, and the budget it holds: drop the body as soon as it has
    /// been turned into what the handler needs, keep the permit to the end.
    pub fn into_parts(self) -> (T, BodyPermit) {
        (self.0, self.1)
    }
}

impl<T: RequestBody> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = BodyLimits::of(req);
        let (limit, budget) = if T::LARGE {
            (limits.large, Some(limits.large_in_flight.clone()))
        } else {
            (limits.json, None)
        };
        let body = read_body(
            req,
            payload,
            limit,
            limits.read_timeout,
            budget,
            &["application/json"],
        );
        Box::pin(async move {
            let ReadBody {
                bytes: body,
                permit,
                ..
            } = body.await?;
            if T::LARGE && body.len() > 64 * 1024 {
                // Parsing megabytes would stall this worker, and with it
                // every other request it serves, /health/live included.
                Ok(JsonBody(
                    tokio::task::spawn_blocking(move || parse(&body))
                        .await
                        .map_err(|e| ApiError::Unexpected(e.into()))??,
                    permit,
                ))
            } else {
                Ok(JsonBody(parse(&body)?, permit))
            }
        })
    }
}

/// A body as read: the content type it was read as, its bytes, and its
/// share of the large-body budget.
pub struct ReadBody {
    pub kind: &'static str,
    pub bytes: Vec<u8>,
    pub permit: BodyPermit,
}

/// Reads a whole body of one of the `accepted` content types (any `+json`
/// type counts as `application/json`; no content type is taken as the
/// first accepted one), within `limit` bytes and `timeout`, taking its
/// size from `budget` as it arrives (503 when the budget is spent).
/// Returns the content type it was read as, and the budget it holds.
pub fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    timeout: Duration,
    budget: Option<Arc<Semaphore>>,
    accepted: &'static [&'static str],
) -> LocalBoxFuture<'static, Result<ReadBody, ApiError>> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    Box::pin(async move {
        let kind = match content_type {
            None => accepted[0],
            Some(ct) => {
                let essence = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                let essence = if essence.ends_with("+json") {
                    "application/json".to_owned()
                } else {
                    essence
                };
                *accepted
                    .iter()
                    .find(|a| **a == essence)
                    .ok_or(ApiError::UnsupportedMediaType(ct))?
            }
        };
        if declared_length.is_some_and(|n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut reservation = Reservation { budget, held: None };
        // A declared length is reserved whole, before anything is read.
        reservation.ensure(declared_length.unwrap_or(0))?;
        let read = async {
            let mut body = Vec::with_capacity(declared_length.unwrap_or(1024).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::bad_request("The request body could not be read"))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                reservation.ensure(body.len() + chunk.len())?;
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        let body =
            tokio::time::timeout(timeout, read)
                .await
                .map_err(|_| ApiError::BodyTimeout {
                    ms: timeout.as_millis(),
                })??;
        Ok(ReadBody {
            kind,
            bytes: body,
            permit: BodyPermit {
                _held: reservation.held,
            },
        })
    })
}
