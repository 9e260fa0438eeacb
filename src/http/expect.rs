//! `Expect: 100-continue`: a client that asks before it sends a body is
//! told 413 at once when the declared `Content-Length` is over the route's
//! limit, and never sends the body. Without this, the HTTP layer answers
//! `100 Continue` to every such request before the service sees it.
//!
//! The answer is the same problem document as the 413 of a body sent
//! without asking, with the same `X-Request-Id`, `nosniff` and HSTS
//! headers, counted in the same metric and logged on the same line; the
//! connection closes after it, as the body was neither read nor sent.

use actix_web::body::BoxBody;
use actix_web::dev::{fn_service, Response, ServiceFactory};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use std::sync::Arc;

use super::request_context::{request_id_of, REQUEST_ID_HEADER};
use super::{ApiError, Hsts, RouteTable};
use crate::metrics::Metrics;
use crate::telemetry::{in_request_scope_sync, RequestScope};

/// The routes whose bodies may use the large limit (batches and bulk
/// loads); every other body has the JSON limit. `tests/expect_continue.rs`
/// checks every documented route with a body against its handler.
pub const LARGE_BODY_ROUTES: [&str; 3] =
    ["/items/bulk", "/masterdata/bulk", "/preferreditem/batch"];

/// What the check needs: the limits, and what every answer carries.
#[derive(Clone)]
pub struct ExpectCheck {
    pub json_limit: usize,
    pub large_limit: usize,
    pub hsts: Hsts,
    pub routes: Arc<RouteTable>,
    pub metrics: Arc<Metrics>,
}

impl ExpectCheck {
    /// The body limit of a path (a trailing slash is the same route).
    pub fn limit_of(&self, path: &str) -> usize {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        if LARGE_BODY_ROUTES.contains(&path) {
            self.large_limit
        } else {
            self.json_limit
        }
    }

    /// The refusal of a request that declares more than its limit, or
    /// `None` to let it continue.
    fn refusal(&self, request: &actix_http::Request) -> Option<Response<BoxBody>> {
        let head = request.head();
        let declared = head
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())?;
        let path = head.uri.path();
        let limit = self.limit_of(path);
        if declared <= limit {
            return None;
        }
        let started = std::time::Instant::now();
        let id = request_id_of(head.headers.get(&REQUEST_ID_HEADER));
        let route: Arc<str> = self
            .routes
            .pattern(path)
            .unwrap_or_else(|| Arc::from("unmatched"));
        let scope = RequestScope {
            id: id.clone(),
            route: route.clone(),
        };
        let error = ApiError::PayloadTooLarge { limit };
        let mut response: HttpResponse = in_request_scope_sync(scope, || error.error_response());
        let headers = response.headers_mut();
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if let Some(hsts) = &self.hsts.0 {
            headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        let method = super::request_context::method_label(&head.method);
        let seconds = started.elapsed().as_secs_f64();
        self.metrics.observe_request(method, &route, 413, seconds);
        tracing::info!(
            request_id = id.as_str(),
            method = head.method.as_str(),
            route = &*route,
            status = 413,
            latency_ms = seconds * 1000.0,
            declared_bytes = declared,
            "request refused before its body (Expect: 100-continue)"
        );
        Some(response.into())
    }

    /// The service the HTTP layer calls for a request that carries
    /// `Expect: 100-continue`, before it answers `100 Continue`.
    pub fn service(
        self,
    ) -> impl ServiceFactory<
        actix_http::Request,
        Config = (),
        Response = actix_http::Request,
        Error = Response<BoxBody>,
        InitError = (),
    > + Clone {
        fn_service(move |request: actix_http::Request| {
            let refused = self.refusal(&request);
            async move {
                match refused {
                    Some(response) => Err(response),
                    None => Ok(request),
                }
            }
        })
    }
}
