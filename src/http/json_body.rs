//! The JSON body extractor: the content type, size limits and a read
//! timeout; the parsing itself, and which failure is a 400 or a 422, is
//! the wire layer's (`wire::json`).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Duration;

use super::error::ApiError;
use crate::wire::json::parse;

/// Body size limits and the time a client has to send its body.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub json: usize,
    pub large: usize,
    pub read_timeout: Duration,
}

impl BodyLimits {
    /// The limits registered as app data.
    pub fn of(req: &HttpRequest) -> BodyLimits {
        *req.app_data::<BodyLimits>()
            .expect("BodyLimits is registered as app data")
    }
}

/// A request body type, and which limit applies to it.
pub trait RequestBody: DeserializeOwned + Send + 'static {
    /// Whether this body may use the larger limit (batches, bulk loads).
    const LARGE: bool = false;
}

pub struct JsonBody<T>(pub T);

impl<T: RequestBody> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = BodyLimits::of(req);
        let limit = if T::LARGE { limits.large } else { limits.json };
        let body = read_body(
            req,
            payload,
            limit,
            limits.read_timeout,
            &["application/json"],
        );
        Box::pin(async move {
            let (_, body) = body.await?;
            if T::LARGE && body.len() > 64 * 1024 {
                // Parsing megabytes would stall this worker, and with it
                // every other request it serves, /health/live included.
                Ok(JsonBody(
                    tokio::task::spawn_blocking(move || parse(&body))
                        .await
                        .map_err(|e| ApiError::Unexpected(e.into()))??,
                ))
            } else {
                Ok(JsonBody(parse(&body)?))
            }
        })
    }
}

/// Reads a whole body of one of the `accepted` content types (any `+json`
/// type counts as `application/json`; no content type is taken as the
/// first accepted one), within `limit` bytes and `timeout`. Returns the
/// content type it was read as.
pub fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
    timeout: Duration,
    accepted: &'static [&'static str],
) -> LocalBoxFuture<'static, Result<(&'static str, Vec<u8>), ApiError>> {
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
        let read = async {
            let mut body = Vec::with_capacity(declared_length.unwrap_or(1024).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::bad_request("The request body could not be read"))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
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
        Ok((kind, body))
    })
}
