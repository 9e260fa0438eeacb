//! HTTP plumbing shared by every route, with no route of its own: the
//! error type and its problem documents, the JSON body extractor, the
//! request context middleware and access control.

pub mod access;
pub mod docs;
mod drain;
pub mod error;
mod expect;
mod json_body;
mod request_context;
mod route_table;
mod security_headers;

pub mod conditional;
pub use error::{ApiError, ApiResult};
pub use expect::ExpectCheck;
pub use json_body::{read_body, BodyLimits, BodyPermit, JsonBody, ReadBody, RequestBody};
pub use request_context::{
    in_this_request, request_context, trim_trailing_slash, RequestSpan, TraceTrust,
};
pub use route_table::RouteTable;
pub use security_headers::{security_headers, Hsts};

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::HttpRequest;

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
