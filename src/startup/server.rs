//! The public HTTP server: state, middleware, routes, Swagger UI, CORS and
//! the fallback that answers 405 for a known path asked with another
//! method.

use actix_cors::Cors;
use actix_service::{map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpRequest, HttpResponse, ResponseError};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::http::access::{self, Access};
use crate::http::{self, ApiError, BodyLimits, ExpectCheck, Hsts, RequestSpan, RouteTable};
use crate::metrics::Metrics;
use crate::routes::{self, AppState};

/// Binds `server.host:server.port` and builds the server; returns the
/// bound port and the server, not yet running.
pub fn build(
    settings: &Settings,
    state: web::Data<AppState>,
    access: web::Data<Access>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<(u16, Server)> {
    let address = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
    let port = listener.local_addr()?.port();
    let metrics = web::Data::from(metrics);
    let origins = settings.cors.allowed_origins.clone();
    let limits = BodyLimits::new(
        settings.server.json_limit_bytes,
        settings.server.large_body_limit_bytes,
        Duration::from_millis(settings.server.body_read_timeout_ms),
        settings.server.large_bodies_in_flight_bytes,
    );
    let hsts = Hsts::new(settings.server.hsts_max_age_secs);
    let openapi = routes::openapi();
    let known_routes = web::Data::new(route_table(&openapi));
    let trace_trust = web::Data::new(http::TraceTrust {
        policy: settings.tracing.trust_incoming_sampling,
        proxies: settings.rate_limit.trusted_proxies.0.clone(),
    });

    let expect = ExpectCheck {
        json_limit: settings.server.json_limit_bytes,
        large_limit: settings.server.large_body_limit_bytes,
        hsts: hsts.clone(),
        routes: known_routes.clone().into_inner(),
        metrics: metrics.clone().into_inner(),
    };
    let app = move || {
        let app = App::new()
            .app_data(state.clone())
            .app_data(access.clone())
            .app_data(metrics.clone())
            .app_data(known_routes.clone())
            .app_data(limits.clone())
            .app_data(hsts.clone())
            .app_data(trace_trust.clone())
            .app_data(web::QueryConfig::default().error_handler(http::query_error))
            .app_data(web::PathConfig::default().error_handler(http::path_error));
        let (app, _) = routes::mount(app);
        app.service(web::redirect("/docs", "/docs/").permanent())
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
            .default_service(web::to(not_found))
            .wrap(from_fn(routes::catch_up_after_writes))
            .wrap(from_fn(access::access_control))
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap(from_fn(http::request_context))
            .wrap(from_fn(http::security_headers))
            .wrap(from_fn(http::trim_trailing_slash))
    };

    // What `actix_web::HttpServer` assembles, with its defaults, plus the
    // check of `Expect: 100-continue` that it offers no way to set.
    let builder = actix_server::Server::build();
    let graceful = builder.graceful_shutdown_signal();
    let keep_alive = Duration::from_secs(settings.server.keep_alive_secs);
    let request_timeout = Duration::from_millis(settings.server.client_request_timeout_ms);
    let local = listener.local_addr()?;
    let mut builder = builder
        .listen("preferred-item-service", listener, move || {
            let graceful = graceful.clone();
            let factory = app().into_factory().map_err(|error| error.error_response());
            actix_http::HttpService::build()
                .graceful_shutdown_signal(move || {
                    let graceful = graceful.clone();
                    async move { graceful.notified().await }
                })
                .keep_alive(keep_alive)
                .client_request_timeout(request_timeout)
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(local)
                .expect(expect.clone().service())
                .finish(map_config(factory, |_| AppConfig::default()))
                .tcp()
        })?
        .shutdown_timeout(settings.server.shutdown_grace_secs)
        .disable_signals();
    if settings.server.workers > 0 {
        builder = builder.workers(settings.server.workers);
    }
    Ok((port, builder.run()))
}

/// CORS for the configured origins (`*` for any). Preflights are answered
/// here, before the key check, as browsers send them without credentials.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static("idempotency-replayed"),
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-catalog-version"),
            header::HeaderName::from_static("x-catalog-stale-seconds"),
            header::HeaderName::from_static("x-catalog-caught-up"),
            header::HeaderName::from_static("deprecation"),
            header::HeaderName::from_static("sunset"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// The documented routes and their methods, read from the typed paths of
/// the document the routes describe, with Swagger UI's own.
fn route_table(openapi: &utoipa::openapi::OpenApi) -> RouteTable {
    let documented = openapi.paths.paths.iter().map(|(path, item)| {
        let methods: Vec<&str> = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
            ("HEAD", &item.head),
        ]
        .into_iter()
        .filter(|(_, operation)| operation.is_some())
        .map(|(method, _)| method)
        .collect();
        (path.as_str(), methods)
    });
    let docs = [
        ("/docs", vec!["GET"]),
        ("/docs/{file}", vec!["GET"]),
        ("/openapi.json", vec!["GET"]),
    ];
    RouteTable::new(documented.chain(docs))
}

async fn not_found(
    req: HttpRequest,
    known: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    if let Some(allowed) = known.allowed(req.path()) {
        let mut response = ApiError::MethodNotAllowed(req.method().to_string()).error_response();
        if let Ok(value) = header::HeaderValue::from_str(allowed) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return Ok(response);
    }
    Err(ApiError::NotFound(format!(
        "No route for {} {}",
        req.method(),
        req.path()
    )))
}
