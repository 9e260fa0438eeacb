//! Startup: runs the command the binary was given, and builds a running
//! server from settings. The top of the dependency order: nothing imports
//! from here.
//!
//! - `server`: the public HTTP server (state, middleware, routes, CORS,
//!   Swagger UI, the 405 fallback built from the typed routes);
//! - `metrics_listener`: `/metrics` and `/catalog` on a port of their own;
//! - `tasks`: the supervisor that owns every background task;
//! - `signals`: SIGTERM and SIGINT, and draining.

mod metrics_listener;
mod server;
mod signals;
mod tasks;

pub use tasks::{Exit, Supervisor};

use actix_web::dev::Server;
use actix_web::web;
use sqlx::PgPool;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{JwtValidator, KeyCache};
use crate::catalog::{self, FollowOptions, MemoryCatalog};
use crate::cli::{self, Cli, Command};
use crate::config::{Settings, Source};
use crate::http::access::{Access, RateLimit};
use crate::metrics::Metrics;
use crate::routes::{self, AppState};
use crate::source::{DatabaseSource, MemorySource, PreferredItemSource};
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
    telemetry::init_with_traces(
        settings.log_format(),
        "info",
        settings.tracing.feed_read_sampling,
    )?;
    let served = serve_with(settings).await;
    // The log lines still queued, written out before the process ends
    // (on an error too: its cause may be in them).
    telemetry::flush_logs();
    served
}

async fn serve_with(settings: Settings) -> anyhow::Result<()> {
    let connected = db::connect(settings.database_target()).await?;
    let pool = connected.pool;
    db::migrate(&pool).await?;
    if settings.demo_data() && db::seed_demo_data(&pool).await? {
        tracing::info!("loaded the demo catalog into the empty database");
    }
    let mut application = Application::build(&settings, pool)?;
    if let Some(reloader) = connected.password_reloader {
        application.spawn_task("database password reloader", reloader.run());
    }
    tracing::info!(
        port = application.port(),
        metrics_port = application.metrics_port(),
        docs = %format!("http://127.0.0.1:{}/docs/", application.port()),
        "listening"
    );
    application.run_until_stopped().await?;
    Ok(())
}

/// How long the spans still queued at shutdown may take to export.
const TRACE_FLUSH_PATIENCE: Duration = Duration::from_secs(3);

/// A bound, not yet running server, its metrics listener and the
/// supervisor of its background tasks.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
    draining: Arc<AtomicBool>,
    supervisor: Supervisor,
}

impl Application {
    /// Binds `server.host:server.port` (port 0 picks a free port, which
    /// `port()` reports), builds the server over `pool` and starts its
    /// background tasks.
    pub fn build(settings: &Settings, pool: PgPool) -> anyhow::Result<Application> {
        let draining = Arc::new(AtomicBool::new(false));
        let metrics = Arc::new(Metrics::new(settings.database.max_connections));
        let mut supervisor = Supervisor::new(Some(metrics.clone()));
        let source = preferred_item_source(settings, &pool, &mut supervisor);
        supervisor.spawn(
            "change feed trimmer",
            keep_feed_trimmed(
                pool.clone(),
                settings.preferred_item.feed_retention_secs,
                Duration::from_secs(settings.preferred_item.feed_trim_interval_secs),
                metrics.clone(),
            ),
        );
        supervisor.spawn(
            "idempotency key trimmer",
            keep_idempotency_keys_trimmed(
                pool.clone(),
                Duration::from_secs(settings.idempotency.retention_secs),
                Duration::from_secs(settings.idempotency.trim_interval_secs.max(1)),
            ),
        );
        let state = web::Data::new(AppState {
            pool,
            weights: settings.status_weights(),
            metrics: metrics.clone(),
            draining: draining.clone(),
            source,
            deadline: settings.database.request_deadline(),
            legacy: routes::Deprecation::new(
                &settings.server.legacy_sunset,
                settings.server.legacy_gone_after_sunset,
            ),
            require_if_match: settings.http.require_if_match,
            idempotency_lease: Duration::from_secs(settings.idempotency.lease_secs),
        });
        let access = web::Data::new(access(settings, &mut supervisor)?);
        let (port, server) = server::build(settings, state.clone(), access, metrics)?;
        let metrics = if settings.server.metrics_enabled {
            Some(metrics_listener::build(settings, state)?)
        } else {
            None
        };
        Ok(Application {
            port,
            server,
            metrics,
            draining,
            supervisor,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when it is enabled.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Runs `work` under the application's supervisor.
    pub fn spawn_task(
        &mut self,
        name: &'static str,
        work: impl Future<Output = ()> + Send + 'static,
    ) {
        self.supervisor.spawn(name, work);
    }

    /// Runs until stopped through its handle, ignoring signals. For
    /// embedding, such as the test suite.
    pub async fn run(self) -> std::io::Result<()> {
        let result = metrics_listener::serve_beside(self.server, self.metrics).await;
        self.supervisor.shutdown().await;
        result
    }

    /// Runs until SIGTERM or SIGINT, then drains: readiness turns 503, the
    /// listener closes, and requests in flight get the grace period; then
    /// the background tasks stop.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let handle = self.server.handle();
        self.supervisor
            .spawn("signals", signals::stop_on_signal(handle, self.draining));
        let result = metrics_listener::serve_beside(self.server, self.metrics).await;
        self.supervisor.shutdown().await;
        // The spans of the last requests, still queued: exported before the
        // process ends, within a bound that keeps the whole stop inside a
        // container's stop timeout (the grace, then at most this).
        tokio::task::spawn_blocking(|| telemetry::shutdown(TRACE_FLUSH_PATIENCE))
            .await
            .ok();
        tracing::info!("stopped");
        result
    }
}

/// The source `preferred_item.source` names; the catalog in memory gets
/// its follower and listener under `supervisor`.
fn preferred_item_source(
    settings: &Settings,
    pool: &PgPool,
    supervisor: &mut Supervisor,
) -> Arc<dyn PreferredItemSource> {
    match settings.preferred_item.source {
        Source::Database => Arc::new(DatabaseSource::new(
            pool.clone(),
            settings.database.max_connections,
            Duration::from_millis(settings.database.acquire_timeout_ms),
            settings.database.request_deadline(),
        )),
        Source::Memory => {
            let catalog = MemoryCatalog::new(
                pool.clone(),
                FollowOptions {
                    poll_interval: Duration::from_millis(settings.preferred_item.poll_interval_ms),
                    read_timeout: Duration::from_millis(
                        settings.preferred_item.feed_read_timeout_ms,
                    ),
                    snapshot_timeout: Duration::from_secs(
                        settings.preferred_item.snapshot_timeout_secs,
                    ),
                },
            );
            supervisor.spawn("catalog listener", catalog.clone().listen());
            supervisor.spawn("catalog follower", catalog.clone().follow());
            Arc::new(MemorySource::new(catalog))
        }
    }
}

/// Access control from settings; the rate limiter's janitor and the token
/// key refresher run under `supervisor`.
fn access(settings: &Settings, supervisor: &mut Supervisor) -> anyhow::Result<Access> {
    let limits = &settings.rate_limit;
    let rate_limit = limits.enabled.then(|| {
        let rate_limit = Arc::new(RateLimit::new(
            NonZeroU32::new(limits.per_second).unwrap_or(NonZeroU32::MIN),
            NonZeroU32::new(limits.burst).unwrap_or(NonZeroU32::MIN),
        ));
        supervisor.spawn(
            "rate limit janitor",
            rate_limit.clone().forget_quiet_clients(),
        );
        rate_limit
    });
    let jwt = match settings.jwt_config()? {
        Some((config, source, cooldown)) => {
            let keys = Arc::new(KeyCache::new(source, cooldown, !settings.is_production())?);
            supervisor.spawn("token key refresher", keep_keys_fresh(keys.clone()));
            Some(JwtValidator::new(config, keys))
        }
        None => None,
    };
    Ok(Access {
        mode: settings.auth.mode,
        keys: settings.auth.keys.clone(),
        jwt,
        policy: routes::access_policy(),
        rate_limit,
        trusted_proxies: limits.trusted_proxies.0.clone(),
    })
}

/// Trims the change feed every `every`, whichever source serves answers
/// (the triggers fill it either way), and reports its backlog. A failure
/// is a warning and a count in `catalog_feed_trim_failures_total`.
async fn keep_feed_trimmed(
    pool: PgPool,
    retention_secs: u64,
    every: Duration,
    metrics: Arc<Metrics>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match catalog::trim_feed(&pool, retention_secs).await {
            Ok(0) => {}
            Ok(rows) => tracing::info!(rows, "trimmed the change feed"),
            Err(e) => {
                metrics.observe_trim_failure();
                tracing::warn!(error = %e, "trimming the change feed failed");
            }
        }
        match db::catalog_feed::backlog(&pool).await {
            Ok((rows, oldest)) => metrics.observe_feed(rows, oldest),
            Err(e) => tracing::warn!(error = %e, "reading the change feed's backlog failed"),
        }
    }
}

/// Deletes idempotency keys past their retention, every `every`.
async fn keep_idempotency_keys_trimmed(pool: PgPool, retention: Duration, every: Duration) {
    // The first run one interval after start: nothing is due at start that
    // cannot wait, and a starting replica has enough to do.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        match db::idempotency::trim(&pool, retention).await {
            Ok(0) => {}
            Ok(keys) => tracing::info!(keys, "trimmed idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "trimming idempotency keys failed"),
        }
    }
}

/// Loads the token signing keys at start, then every ten minutes, so that
/// a key the issuer stops publishing stops being accepted. A failed load
/// keeps the keys already held.
async fn keep_keys_fresh(keys: Arc<KeyCache>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match keys.refresh_now().await {
            Ok(()) => tracing::info!("token signing keys loaded"),
            Err(e) => tracing::warn!(error = %e, "loading the token signing keys failed"),
        }
    }
}
