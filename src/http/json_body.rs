//! The JSON body extractor: size limits, a read timeout, and serde errors
//! turned into problems that name the field.
//!
//! A body that is not JSON, or holds a value of the wrong type, is a 400.
//! A missing required field or an unknown field is a 422: the JSON is
//! fine, but it breaks the schema's rules, and the problem names the field.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Duration;

use crate::domain::{FieldError, FieldErrors};
use crate::error::ApiError;

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
                tokio::task::spawn_blocking(move || parse(&body))
                    .await
                    .map_err(|e| ApiError::Unexpected(e.into()))?
                    .map(JsonBody)
            } else {
                parse(&body).map(JsonBody)
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

/// Parses a JSON document into `T`, reporting where it went wrong.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))?;
    Ok(value)
}

/// Converts a parsed JSON value into `T`, reporting where it went wrong.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(describe)
}

fn describe(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return ApiError::bad_request(format!("The request body is not valid JSON: {inner}"));
    }
    let message = strip_position(&inner.to_string());
    let field_under = |name: &str| match path.as_str() {
        "." | "" => name.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    if let Some(name) = backticked(&message, "missing field `") {
        return ApiError::validation(FieldError::new(field_under(name), "is required"));
    }
    if let Some(name) = backticked(&message, "unknown field `") {
        // The path already ends at the unknown key.
        let field = if path.ends_with(name) {
            path.clone()
        } else {
            field_under(name)
        };
        return ApiError::validation(FieldError::new(field, "is not a known field"));
    }
    let field = if path == "." { String::new() } else { path };
    let mut errors = FieldErrors::default();
    errors.push(field.clone(), message.clone());
    ApiError::BadRequest {
        detail: if field.is_empty() {
            format!("The request body has the wrong shape: {message}")
        } else {
            format!("The field {field} has the wrong type: {message}")
        },
        errors: errors.into_vec(),
    }
}

fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}
