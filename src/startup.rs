//! Startup: runs the command the binary was given, and builds the HTTP
//! server from settings (binds the port, wires state, middleware and
//! routes, and handles shutdown signals). The top of the dependency order:
//! nothing imports from here.

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::header;
use actix_web::middleware::{from_fn, Condition};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use sqlx::PgPool;
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{JwtValidator, KeyCache};
use crate::catalog::{FollowOptions, MemoryCatalog};
use crate::cli::{self, Cli, Command};
use crate::config::{Settings, Source};
use crate::http::access::{self, Access, RateLimit};
use crate::http::{self, ApiError, BodyLimits, RequestSpan};
use crate::metrics::Metrics;
use crate::routes::{self, AppState};
use crate::{db, telemetry};

/// Runs the command of the command line; `serve` when none is given.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve().await,
        Command::Openapi => {
            println!("{}", routes::openapi().to_pretty_json()?);
            Ok(())
        }
        command => cli::run(command).await,
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(settings.log_format(), "info");
    let pool = cli::connect(&settings).await?;
    db::migrate(&pool).await?;
    if settings.demo_data() && db::seed_demo_data(&pool).await? {
        tracing::info!("loaded the demo catalog into the empty database");
    }
    let application = Application::build(&settings, pool)?;
    tracing::info!(
        port = application.port(),
        metrics_port = application.metrics_port(),
        docs = %format!("http://127.0.0.1:{}/docs/", application.port()),
        "listening"
    );
    application.run_until_stopped().await?;
    Ok(())
}

/// A bound, not yet running server, and its metrics listener.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    draining: Arc<AtomicBool>,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free port, which
    /// `port()` reports) and builds the server over `pool`.
    pub fn build(settings: &Settings, pool: PgPool) -> anyhow::Result<Application> {
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        let draining = Arc::new(AtomicBool::new(false));
        let metrics = Arc::new(Metrics::new(settings.database.max_connections));
        let catalog = (settings.preferred_item.source == Source::Memory).then(|| {
            let catalog = MemoryCatalog::new(
                pool.clone(),
                FollowOptions {
                    poll_interval: Duration::from_millis(settings.preferred_item.poll_interval_ms),
                },
            );
            catalog.follow();
            catalog
        });
        keep_feed_trimmed(pool.clone(), settings.preferred_item.feed_retention_secs);
        let state = web::Data::new(AppState {
            pool,
            weights: settings.status_weights(),
            metrics: metrics.clone(),
            draining: draining.clone(),
            catalog,
        });
        let state_for_metrics = state.clone();
        let limits = &settings.rate_limit;
        let rate_limit = limits.enabled.then(|| {
            let rate_limit = Arc::new(RateLimit::new(
                NonZeroU32::new(limits.per_second).unwrap_or(NonZeroU32::MIN),
                NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN),
                limits.trusted_proxies.0.clone(),
            ));
            rate_limit.spawn_janitor();
            rate_limit
        });
        let jwt = settings.jwt_config()?.map(|(config, source, cooldown)| {
            KeyCache::new(source, cooldown, !settings.is_production()).map(|keys| {
                let keys = Arc::new(keys);
                keep_keys_fresh(keys.clone());
                JwtValidator::new(config, keys)
            })
        });
        let access = web::Data::new(Access {
            mode: settings.auth.mode,
            keys: settings.auth.keys.clone(),
            jwt: jwt.transpose()?,
            policy: routes::access_policy(),
            rate_limit,
        });
        let metrics = web::Data::from(metrics);
        let origins = settings.cors.allowed_origins.clone();
        let limits = BodyLimits::new(
            settings.server.json_limit_bytes,
            settings.server.large_body_limit_bytes,
            Duration::from_millis(settings.server.body_read_timeout_ms),
            settings.server.large_bodies_in_flight_bytes,
        );
        let openapi = routes::openapi();
        let known_routes = web::Data::new(KnownRoutes::from_openapi(&openapi));

        let mut server = HttpServer::new(move || {
            let app = App::new()
                .app_data(state.clone())
                .app_data(access.clone())
                .app_data(metrics.clone())
                .app_data(known_routes.clone())
                .app_data(limits.clone())
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
                .wrap(from_fn(http::trim_trailing_slash))
        })
        .keep_alive(Duration::from_secs(settings.server.keep_alive_secs))
        .client_request_timeout(Duration::from_millis(
            settings.server.client_request_timeout_ms,
        ))
        .shutdown_timeout(settings.server.shutdown_grace_secs)
        .disable_signals();
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        let metrics_server = if settings.server.metrics_enabled {
            Some(metrics_server(settings, state_for_metrics)?)
        } else {
            None
        };
        Ok(Application {
            port,
            server,
            metrics: metrics_server,
            draining,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when it is enabled.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Runs until stopped through its handle, ignoring signals. For
    /// embedding, such as the test suite.
    pub async fn run(self) -> std::io::Result<()> {
        run_with_metrics(self.server, self.metrics).await
    }

    /// Runs until SIGTERM or SIGINT, then drains: readiness turns 503, the
    /// listener closes, and requests in flight get the grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(stop_on_signal(handle, self.draining));
        run_with_metrics(self.server, self.metrics).await
    }
}

/// Serves the metrics listener for as long as the public one runs.
async fn run_with_metrics(server: Server, metrics: Option<(u16, Server)>) -> std::io::Result<()> {
    let Some((_, metrics)) = metrics else {
        return server.await;
    };
    let metrics_handle = metrics.handle();
    tokio::spawn(metrics);
    let result = server.await;
    metrics_handle.stop(false).await;
    result
}

/// `GET /metrics` on `server.host:server.metrics_port`, one worker.
fn metrics_server(
    settings: &Settings,
    state: web::Data<AppState>,
) -> anyhow::Result<(u16, Server)> {
    let address = format!("{}:{}", settings.server.host, settings.server.metrics_port);
    let listener = TcpListener::bind(&address)
        .with_context(|| format!("binding the metrics port {address}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes::configure_metrics)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// Loads the token signing keys at start, then every ten minutes, so that
/// a key the issuer stops publishing stops being accepted. A failed load
/// keeps the keys already held.
/// Trims the change feed once a minute, whichever source serves answers:
/// the triggers fill it either way.
fn keep_feed_trimmed(pool: PgPool, retention_secs: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match crate::catalog::trim_feed(&pool, retention_secs).await {
                Ok(0) => {}
                Ok(rows) => tracing::info!(rows, "trimmed the change feed"),
                Err(e) => tracing::debug!(error = %e, "trimming the change feed failed"),
            }
        }
    });
}

fn keep_keys_fresh(keys: Arc<KeyCache>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match keys.refresh_now().await {
                Ok(()) => tracing::info!("token signing keys loaded"),
                Err(e) => tracing::warn!(error = %e, "loading the token signing keys failed"),
            }
        }
    });
}

async fn stop_on_signal(handle: ServerHandle, draining: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("could not install signal handlers");
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down: finishing requests in flight");
    draining.store(true, Ordering::Relaxed);
    handle.stop(true).await;
    tracing::info!("stopped");
}

/// CORS for the configured origins (`*` for any). Preflights are answered
/// here, before the key check, as browsers send them without credentials.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-catalog-version"),
            header::HeaderName::from_static("x-catalog-stale-seconds"),
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

/// The documented paths and their methods, so that a known path asked
/// with another method gets 405 and `Allow` rather than 404.
struct KnownRoutes(Vec<(actix_web::dev::ResourceDef, String)>);

impl KnownRoutes {
    fn from_openapi(openapi: &utoipa::openapi::OpenApi) -> KnownRoutes {
        let paths = serde_json::to_value(&openapi.paths).unwrap_or_default();
        let routes = paths
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let methods: Vec<String> = ["get", "put", "post", "delete", "patch", "head"]
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_ascii_uppercase())
                    .collect();
                (
                    actix_web::dev::ResourceDef::new(path.as_str()),
                    methods.join(", "),
                )
            })
            .collect();
        KnownRoutes(routes)
    }

    fn allowed(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_str())
    }
}

async fn not_found(
    req: actix_web::HttpRequest,
    known: web::Data<KnownRoutes>,
) -> Result<actix_web::HttpResponse, ApiError> {
    if let Some(allowed) = known.allowed(req.path()) {
        let mut response = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed(
            req.method().to_string(),
        ));
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
