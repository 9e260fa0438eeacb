//! Prometheus metrics: requests by route pattern (never by raw path, so
//! that cardinality stays bounded), the database pool, and preferred-item
//! outcomes by strategy, and how current the in-memory catalog is.

use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};
use sqlx::PgPool;

use crate::domain::StrategyKind;

mod process_wide;
use process_wide::ProcessWide;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    outcomes: StrategyOutcomes,
    auth: IntCounterVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    /// Counters kept process-wide elsewhere, copied in when read.
    process_wide: ProcessWide,
    task_exits: IntCounterVec,
    legacy: IntCounterVec,
    catalog: CatalogGauges,
    feed: FeedGauges,
}

/// The preferred-item outcome counters of each strategy, hit then miss,
/// resolved once: an answer counts without hashing its labels.
struct StrategyOutcomes {
    rank: [IntCounter; 2],
    score: [IntCounter; 2],
}

/// The change feed, as the trimming task last saw it.
struct FeedGauges {
    rows: IntGauge,
    oldest: Gauge,
    trim_failures: IntCounter,
}

/// The in-memory catalog's state, set when metrics are read.
struct CatalogGauges {
    version: IntGauge,
    lag: Gauge,
    items: IntGauge,
    connected: IntGauge,
    snapshot_loads: IntCounter,
    changes_applied: IntCounter,
}

/// What the in-memory catalog reports.
pub struct CatalogReading {
    pub version: u64,
    pub lag_seconds: f64,
    pub items: usize,
    pub connected: bool,
    pub snapshot_loads: u64,
    pub changes_applied: u64,
}

impl Metrics {
    pub fn new(pool_max: u32) -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route pattern and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route pattern",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let outcomes = IntCounterVec::new(
            Opts::new(
                "preferred_item_outcomes_total",
                "Preferred-item answers by strategy and outcome (hit, miss)",
            ),
            &["strategy", "outcome"],
        )
        .expect("valid metric");
        let auth = IntCounterVec::new(
            Opts::new(
                "auth_outcomes_total",
                "Credentials checked, by method (key, token) and outcome (accepted or the reason refused)",
            ),
            &["method", "outcome"],
        )
        .expect("valid metric");
        let pool_size = IntGauge::new("db_pool_connections", "Open database connections")
            .expect("valid metric");
        let pool_idle = IntGauge::new("db_pool_idle_connections", "Idle database connections")
            .expect("valid metric");
        let pool_max_gauge =
            IntGauge::new("db_pool_max_connections", "Configured pool size").expect("valid metric");
        let process_wide = ProcessWide::new();
        let legacy = IntCounterVec::new(
            Opts::new(
                "legacy_requests_total",
                "Calls of the deprecated legacy paths, by route and caller (an API key's id, \
                 token, or anonymous)",
            ),
            &["route", "caller"],
        )
        .expect("valid metric");
        let task_exits = IntCounterVec::new(
            Opts::new(
                "background_task_exits_total",
                "Background tasks that ended on their own (returned or panicked), by task",
            ),
            &["task"],
        )
        .expect("valid metric");
        pool_max_gauge.set(i64::from(pool_max));
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let catalog = CatalogGauges {
            version: gauge(
                "catalog_applied_version",
                "The in-memory catalog reflects every transaction below this id",
            ),
            lag: Gauge::new(
                "catalog_lag_seconds",
                "Time since the last successful read of the change feed began: how far the \
                 in-memory catalog may be behind the database",
            )
            .expect("valid metric"),
            items: gauge("catalog_items", "Items in the in-memory catalog"),
            connected: gauge(
                "catalog_connected",
                "1 while the last read of the change feed succeeded",
            ),
            snapshot_loads: counter(
                "catalog_snapshot_loads_total",
                "Whole-catalog snapshots loaded (at start, after bulk loads, after a long absence)",
            ),
            changes_applied: counter(
                "catalog_changes_applied_total",
                "Item changes applied from the change feed",
            ),
        };
        let feed = FeedGauges {
            rows: gauge(
                "catalog_feed_rows",
                "Rows in the change feed, at the last trim",
            ),
            oldest: Gauge::new(
                "catalog_feed_oldest_seconds",
                "Age of the change feed's oldest row, at the last trim",
            )
            .expect("valid metric"),
            trim_failures: counter(
                "catalog_feed_trim_failures_total",
                "Runs of change-feed trimming that failed",
            ),
        };
        // The process collector's set: resident and virtual memory, CPU
        // seconds, open and maximum file descriptors, start time, threads.
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("metric registered once");
        let build = IntGaugeVec::new(
            Opts::new(
                "build_info",
                "The running build: its version and commit (always 1)",
            ),
            &["version", "commit"],
        )
        .expect("valid metric");
        build
            .with_label_values(&[env!("CARGO_PKG_VERSION"), env!("BUILD_COMMIT")])
            .set(1);
        for collector in [
            Box::new(build) as Box<dyn prometheus::core::Collector>,
            Box::new(requests.clone()),
            Box::new(latency.clone()),
            Box::new(outcomes.clone()),
            Box::new(auth.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max_gauge.clone()),
            Box::new(task_exits.clone()),
            Box::new(legacy.clone()),
            Box::new(catalog.version.clone()),
            Box::new(catalog.lag.clone()),
            Box::new(catalog.items.clone()),
            Box::new(catalog.connected.clone()),
            Box::new(catalog.snapshot_loads.clone()),
            Box::new(catalog.changes_applied.clone()),
            Box::new(feed.rows.clone()),
            Box::new(feed.oldest.clone()),
            Box::new(feed.trim_failures.clone()),
        ]
        .into_iter()
        .chain(process_wide.collectors())
        {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            outcomes: {
                let of = |strategy: StrategyKind| {
                    ["hit", "miss"].map(|o| outcomes.with_label_values(&[strategy.as_str(), o]))
                };
                StrategyOutcomes {
                    rank: of(StrategyKind::Rank),
                    score: of(StrategyKind::Score),
                }
            },
            auth,
            pool_size,
            pool_idle,
            process_wide,
            task_exits,
            legacy,
            catalog,
            feed,
        }
    }

    pub fn observe_catalog(&self, reading: CatalogReading) {
        let c = &self.catalog;
        c.version.set(reading.version as i64);
        c.lag.set(reading.lag_seconds);
        c.items.set(reading.items as i64);
        c.connected.set(i64::from(reading.connected));
        c.snapshot_loads.inc_by(
            reading
                .snapshot_loads
                .saturating_sub(c.snapshot_loads.get()),
        );
        c.changes_applied.inc_by(
            reading
                .changes_applied
                .saturating_sub(c.changes_applied.get()),
        );
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let code = actix_web::http::StatusCode::from_u16(status).ok();
        let text;
        let status = match &code {
            // A static string for every known status: no allocation.
            Some(code) => code.as_str(),
            None => {
                text = status.to_string();
                &text
            }
        };
        self.requests
            .with_label_values(&[method, route, status])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// A call of a deprecated path, by route and caller.
    pub fn observe_legacy(&self, route: &str, caller: &str) {
        self.legacy.with_label_values(&[route, caller]).inc();
    }

    pub fn observe_outcome(&self, strategy: StrategyKind, hit: bool) {
        let counters = match strategy {
            StrategyKind::Rank => &self.outcomes.rank,
            StrategyKind::Score => &self.outcomes.score,
        };
        counters[usize::from(!hit)].inc();
    }

    pub fn observe_feed(&self, rows: u64, oldest_seconds: f64) {
        self.feed.rows.set(rows as i64);
        self.feed.oldest.set(oldest_seconds);
    }

    pub fn observe_trim_failure(&self) {
        self.feed.trim_failures.inc();
    }

    pub fn observe_task_exit(&self, task: &str) {
        self.task_exits.with_label_values(&[task]).inc();
    }

    pub fn observe_auth(&self, method: &str, outcome: &str) {
        self.auth.with_label_values(&[method, outcome]).inc();
    }

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self, pool: &PgPool) -> String {
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle.set(pool.num_idle() as i64);
        self.process_wide.sync();
        self.render_registry()
    }

    /// The text exposition of what is registered, as it stands.
    pub fn render_registry(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}
