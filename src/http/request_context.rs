//! Per-request context: the request id, the one log line per request, and
//! trailing-slash normalisation.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Uri;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use ipnet::IpNet;
use std::sync::Arc;
use std::time::Instant;
use tracing::Span;
use tracing_actix_web::RootSpanBuilder;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::RouteTable;
use crate::auth::Principal;
use crate::config::TrustSampling;
use crate::metrics::Metrics;
use crate::telemetry::{
    in_request_scope, in_request_scope_sync, with_current_request, RequestScope,
};

/// The id of the request being served, if any.
pub fn current_request_id() -> Option<String> {
    with_current_request(|scope| scope.id.clone())
}

/// `work`, to be run on another thread as part of the current request:
/// inside its span, with its id and route.
pub fn in_this_request<T>(work: impl FnOnce() -> T) -> impl FnOnce() -> T {
    let span = Span::current();
    let scope = with_current_request(Clone::clone);
    move || {
        let _entered = span.enter();
        match scope {
            Some(scope) => in_request_scope_sync(scope, work),
            None => work(),
        }
    }
}

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The route pattern of a request (or `unmatched`), in its extensions.
#[derive(Debug, Clone)]
struct RouteLabel(Arc<str>);

/// The id of a request, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// An incoming id is kept when it is 1 to 128 characters of
/// `[A-Za-z0-9._:-]`, so that it is safe in logs and headers.
fn well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The id of a request: its well-formed `X-Request-Id`, or a new one.
pub(super) fn request_id_of(incoming: Option<&HeaderValue>) -> String {
    incoming
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// The method as a metric label: the methods of HTTP, and `OTHER` for
/// anything a client makes up, so that labels stay bounded.
pub(super) fn method_label(method: &actix_web::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

/// Assigns the request id (echoing a well-formed incoming one), makes it
/// available to error bodies, sets `X-Request-Id` on the response and logs
/// one line per request.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id_of(req.headers().get(&REQUEST_ID_HEADER));
    req.extensions_mut().insert(RequestId(id.clone()));
    let started = Instant::now();
    let method = req.method().clone();
    // The route pattern, from the documented routes: a label that stays
    // bounded, found without matching every route's expression.
    let route: Arc<str> = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.pattern(req.path()))
        .unwrap_or_else(|| Arc::from("unmatched"));
    req.extensions_mut().insert(RouteLabel(route.clone()));

    let scope = RequestScope {
        id: id.clone(),
        route: route.clone(),
    };
    let mut response = in_request_scope(scope, next.call(req)).await?;

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    let latency_ms = seconds * 1000.0;
    if let Some(metrics) = response.request().app_data::<web::Data<Metrics>>() {
        metrics.observe_request(method_label(&method), &route, status, seconds);
    }
    // The fields are looked up only when the line is written: a filter that
    // leaves it out makes the request cheaper, not just quieter.
    if tracing::enabled!(tracing::Level::INFO) {
        let extensions = response.request().extensions();
        let principal = extensions.get::<Principal>().map(|p| p.id.as_str());
        let trace_id = extensions
            .get::<tracing_actix_web::RootSpan>()
            .and_then(|span| crate::telemetry::trace_id(span));
        // Strings as `&str`: a log line copies them in as they are, where
        // `%` would format them.
        tracing::info!(
            request_id = id.as_str(),
            trace_id = trace_id.as_deref(),
            method = method.as_str(),
            route = &*route,
            status,
            latency_ms,
            principal,
            "request"
        );
    }
    Ok(response)
}

/// `/items/` is `/items`. Swagger UI keeps its trailing slash: its assets
/// are addressed relative to `/docs/`.
pub async fn trim_trailing_slash(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("/docs/") {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let path_and_query = match req.query_string() {
            "" => trimmed.to_owned(),
            q => format!("{trimmed}?{q}"),
        };
        let mut parts = req.head().uri.clone().into_parts();
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

/// Whose incoming sampling decision a request's span follows
/// (`tracing.trust_incoming_sampling`).
#[derive(Debug, Clone, Default)]
pub struct TraceTrust {
    pub policy: TrustSampling,
    pub proxies: Vec<IpNet>,
}

impl TraceTrust {
    fn trusts(&self, request: &ServiceRequest) -> bool {
        match self.policy {
            TrustSampling::All => true,
            TrustSampling::None => false,
            TrustSampling::Proxies => request
                .peer_addr()
                .is_some_and(|peer| self.proxies.iter().any(|net| net.contains(&peer.ip()))),
        }
    }
}

/// The span of a request, named `{method} {route}` after OpenTelemetry's
/// HTTP server conventions: its id, method, route pattern and status, so
/// that every log line inside a request carries them and a trace shows
/// them. It continues the trace the request arrived in (`traceparent`, or
/// `X-Amzn-Trace-Id`).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let method = method_label(request.method());
        let route = request
            .extensions()
            .get::<RouteLabel>()
            .map(|r| r.0.clone())
            .unwrap_or_else(|| Arc::from("unmatched"));
        macro_rules! request_span {
            ($level:expr) => {
                tracing::span!(
                    $level,
                    "request",
                    otel.name = %format!("{method} {route}"),
                    otel.kind = "server",
                    otel.status_code = tracing::field::Empty,
                    request_id = %id,
                    method = %request.method(),
                    route = %route,
                    http.request.method = method,
                    http.route = %route,
                    url.path = %request.path(),
                    http.response.status_code = tracing::field::Empty,
                    sub = tracing::field::Empty,
                )
            };
        }
        // Without a trace exporter, JSON lines need no span at `info`: a
        // line inside the request takes its id and route from the
        // request's scope (`RequestScope`). Pretty lines name the request
        // through this span. It holds the id and route, not the
        // OpenTelemetry attributes.
        macro_rules! log_span {
            ($level:expr) => {
                tracing::span!(
                    $level,
                    "request",
                    request_id = %id,
                    method,
                    route = %route,
                )
            };
        }
        let exporting = crate::telemetry::tracing_on();
        // Health checks (a load balancer's, the orchestrator's: several a
        // minute) are not traced.
        let span = match (exporting, route.starts_with("/health")) {
            (true, true) => request_span!(tracing::Level::DEBUG),
            (true, false) => request_span!(tracing::Level::INFO),
            (false, false) if crate::telemetry::pretty_logs() => log_span!(tracing::Level::INFO),
            (false, _) => log_span!(tracing::Level::DEBUG),
        };
        if exporting {
            let trust = request
                .app_data::<web::Data<TraceTrust>>()
                .is_some_and(|trust| trust.trusts(request));
            if let Some(parent) = crate::telemetry::remote_parent(request.headers(), trust) {
                let _ = span.set_parent(parent);
            }
        }
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.response.status_code", status.as_u16());
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn request_ids_must_be_short_and_plain() {
        assert!(well_formed("abc-123_X.y:z"));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed("has space"));
        assert!(!well_formed("new\nline"));
    }
}
