//! Prometheus metrics: requests by route pattern (never by raw path, so
//! that cardinality stays bounded), the database pool, and preferred-item
//! outcomes by strategy.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use sqlx::PgPool;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    outcomes: IntCounterVec,
    auth: IntCounterVec,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    pool_timeouts: IntCounter,
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
        let pool_timeouts = IntCounter::new(
            "db_pool_acquire_timeouts_total",
            "Requests that waited the whole acquire timeout for a connection",
        )
        .expect("valid metric");
        pool_max_gauge.set(i64::from(pool_max));
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(outcomes.clone()),
            Box::new(auth.clone()),
            Box::new(pool_size.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max_gauge.clone()),
            Box::new(pool_timeouts.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            outcomes,
            auth,
            pool_size,
            pool_idle,
            pool_timeouts,
        }
    }

    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    pub fn observe_outcome(&self, strategy: &str, hit: bool) {
        self.outcomes
            .with_label_values(&[strategy, if hit { "hit" } else { "miss" }])
            .inc();
    }

    pub fn observe_auth(&self, method: &str, outcome: &str) {
        self.auth.with_label_values(&[method, outcome]).inc();
    }

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self, pool: &PgPool) -> String {
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle.set(pool.num_idle() as i64);
        let timeouts = crate::db::pool_timeouts();
        self.pool_timeouts
            .inc_by(timeouts.saturating_sub(self.pool_timeouts.get()));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}
