//! HTTP plumbing shared by every route: the request context middleware,
//! the JSON body extractor and the query-string error handling.

pub mod access;
pub mod json_body;
mod request_context;

pub use json_body::{from_value, parse, BodyLimits, JsonBody, RequestBody};
pub use request_context::{request_context, trim_trailing_slash, RequestId, RequestSpan};

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::HttpRequest;

use crate::error::ApiError;

/// Query strings that fail to parse (a letter where a number belongs, an
/// unknown parameter) get a 400 problem, like malformed bodies.
pub fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let detail = match &error {
        QueryPayloadError::Deserialize(e) => format!("Invalid query string: {e}"),
        _ => "Invalid query string".to_owned(),
    };
    ApiError::bad_request(detail).into()
}

pub fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(format!("Invalid path: {error}")).into()
}
