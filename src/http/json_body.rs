//! The JSON body extractor: the content type, size limits and a read
//! timeout; the parsing itself, and which failure is a 400 or a 422, is
//! the wire layer's (`wire::json`).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::access::ClientAddress;
use super::error::ApiError;
use crate::wire::json::{parse, SMALL_BODY_BYTES};

/// Body size limits, the time a client has to send its body, and the
/// budget of large bodies in flight.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    pub json: usize,
    pub large: usize,
    pub read_timeout: Duration,
    /// KiB of large bodies (batches, bulk loads) that may be held at once
    /// across the process, counted as bytes arrive, until the request is
    /// answered. A request that would go over gets a fast 503.
    pub large_in_flight: Arc<Semaphore>,
    /// What each client address holds of that budget.
    pub shares: Arc<ClientShares>,
}

impl BodyLimits {
    pub fn new(json: usize, large: usize, read_timeout: Duration, in_flight_bytes: usize) -> Self {
        let budget_kib = in_flight_bytes.div_ceil(1024).max(1);
        BodyLimits {
            json,
            large,
            read_timeout,
            large_in_flight: Arc::new(Semaphore::new(budget_kib)),
            shares: Arc::new(ClientShares {
                held: Mutex::new(HashMap::new()),
                // A quarter of the budget, but always room for the largest
                // body: 16 MiB of the default 32 MiB.
                share_kib: (budget_kib / 4).max(large.div_ceil(1024)),
            }),
        }
    }

    /// The limits registered as app data.
    pub fn of(req: &HttpRequest) -> BodyLimits {
        req.app_data::<BodyLimits>()
            .expect("BodyLimits is registered as app data")
            .clone()
    }
}

/// KiB of the large-body budget held per client address: one client may
/// hold at most `share_kib`, so that a few clients cannot starve the rest.
#[derive(Debug)]
pub struct ClientShares {
    held: Mutex<HashMap<IpAddr, usize>>,
    share_kib: usize,
}

impl ClientShares {
    /// Takes `kib` for `client`, unless that passes its share.
    fn take(&self, client: IpAddr, kib: usize) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let entry = held.entry(client).or_insert(0);
        if *entry + kib > self.share_kib {
            return false;
        }
        *entry += kib;
        true
    }

    fn give_back(&self, client: IpAddr, kib: usize) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = held.get_mut(&client) {
            *entry = entry.saturating_sub(kib);
            if *entry == 0 {
                held.remove(&client);
            }
        }
    }
}

/// A share of the large-body budget, held as long as the body (and what
/// was parsed from it) is; released on drop.
pub struct BodyPermit {
    _held: Option<OwnedSemaphorePermit>,
    client: Option<(Arc<ClientShares>, IpAddr, usize)>,
}

impl Drop for BodyPermit {
    /// After a large body, gives the memory it and its parse took back to
    /// the system, so that a burst does not leave the process at its peak.
    fn drop(&mut self) {
        if let Some((shares, client, kib)) = self.client.take() {
            shares.give_back(client, kib);
        }
        let large = self._held.as_ref().is_some_and(|p| p.num_permits() >= 1024);
        if large {
            crate::heap::release_free_memory();
        }
    }
}

/// Takes budget as a body's bytes arrive (never for bytes only declared),
/// and refuses at once when there is none, or when the client would pass
/// its share.
struct Reservation {
    budget: Option<(Arc<Semaphore>, Arc<ClientShares>)>,
    client: Option<IpAddr>,
    held: Option<OwnedSemaphorePermit>,
    /// The body's size limit in KiB: never reserve past it.
    limit_kib: usize,
}

impl Reservation {
    fn ensure(&mut self, bytes: usize) -> Result<(), ApiError> {
        let Some((budget, shares)) = &self.budget else {
            return Ok(());
        };
        let need = bytes.div_ceil(1024).max(1);
        let have = self.held.as_ref().map_or(0, |p| p.num_permits());
        if need <= have {
            return Ok(());
        }
        // Grow by at least doubling, so that a streamed body asks rarely,
        // but never past the body's own limit.
        let want = (need - have)
            .max(have)
            .min(self.limit_kib.max(need) - have)
            .min(u32::MAX as usize) as u32;
        let more = budget
            .clone()
            .try_acquire_many_owned(want)
            .or_else(|_| budget.clone().try_acquire_many_owned((need - have) as u32))
            .map_err(|_| ApiError::Busy)?;
        if let Some(client) = self.client {
            if !shares.take(client, more.num_permits()) {
                return Err(ApiError::Busy);
            }
        }
        match &mut self.held {
            Some(held) => held.merge(more),
            None => self.held = Some(more),
        }
        Ok(())
    }

    fn into_permit(mut self) -> BodyPermit {
        let held = self.held.take();
        let client = match (&self.budget, self.client, &held) {
            (Some((_, shares)), Some(client), Some(held)) => {
                Some((shares.clone(), client, held.num_permits()))
            }
            _ => None,
        };
        BodyPermit {
            _held: held,
            client,
        }
    }
}

impl Drop for Reservation {
    /// A body that failed half-way gives its client's share back.
    fn drop(&mut self) {
        if let (Some((_, shares)), Some(client), Some(held)) =
            (&self.budget, self.client, &self.held)
        {
            shares.give_back(client, held.num_permits());
        }
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
        let body = read_body(req, payload, T::LARGE, &["application/json"]);
        Box::pin(async move {
            let ReadBody {
                bytes: body,
                permit,
                ..
            } = body.await?;
            if T::LARGE && body.len() > SMALL_BODY_BYTES {
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
/// first accepted one), within the size limit and the read timeout. A
/// `large` body (batches, bulk loads) takes its size from the large-body
/// budget as it arrives (503 when the budget, or the client's share of it,
/// is spent). Returns the content type it was read as, and the budget it
/// holds.
pub fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    large: bool,
    accepted: &'static [&'static str],
) -> LocalBoxFuture<'static, Result<ReadBody, ApiError>> {
    let limits = BodyLimits::of(req);
    let (limit, timeout) = (
        if large { limits.large } else { limits.json },
        limits.read_timeout,
    );
    let budget = large.then(|| (limits.large_in_flight.clone(), limits.shares.clone()));
    let client = req
        .extensions()
        .get::<ClientAddress>()
        .map(|c| c.0)
        .or_else(|| req.peer_addr().map(|a| a.ip()));
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
                match accepted.iter().find(|a| **a == essence) {
                    Some(kind) => *kind,
                    None => {
                        super::drain::drain(&mut payload, declared_length).await;
                        return Err(ApiError::UnsupportedMediaType(ct));
                    }
                }
            }
        };
        if declared_length.is_some_and(|n| n > limit) {
            super::drain::drain(&mut payload, declared_length).await;
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut reservation = Reservation {
            budget,
            client,
            held: None,
            limit_kib: limit.div_ceil(1024),
        };
        let read = async {
            // Memory follows what arrives, not what is declared.
            let mut body = Vec::with_capacity(declared_length.unwrap_or(1024).min(64 * 1024));
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
            permit: reservation.into_permit(),
        })
    })
}
