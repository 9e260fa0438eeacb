//! The built-in defaults: every setting has one outside production.

use std::path::PathBuf;

use super::{
    AuthSettings, CorsSettings, DatabaseSettings, EmbeddedDatabaseSettings, Environment,
    JwtSettings, LogSettings, PreferredItemSettings, RateLimitSettings, ServerSettings, Settings,
    Source, TrustedProxies,
};
use crate::auth::{AuthMode, KeyRing};
use crate::domain::StatusWeights;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            environment: Environment::Local,
            server: ServerSettings {
                host: "0.0.0.0".into(),
                port: 8080,
                workers: 0,
                json_limit_bytes: 256 * 1024,
                large_body_limit_bytes: 16 * 1024 * 1024,
                large_bodies_in_flight_bytes: 32 * 1024 * 1024,
                body_read_timeout_ms: 10_000,
                shutdown_grace_secs: 25,
                keep_alive_secs: 75,
                client_request_timeout_ms: 5_000,
                metrics_enabled: true,
                metrics_port: 9090,
                hsts_max_age_secs: 0,
                legacy_sunset: "2027-06-30".into(),
                legacy_gone_after_sunset: false,
            },
            database: DatabaseSettings {
                url: None,
                from_pg_environment: false,
                password_file: None,
                max_connections: 16,
                min_connections: 0,
                acquire_timeout_ms: 2_000,
                statement_timeout_ms: 5_000,
                lock_timeout_ms: 2_000,
                request_timeout_ms: 10_000,
                keepalive_idle_secs: 10,
                keepalive_interval_secs: 5,
                keepalive_count: 3,
                max_lifetime_secs: 300,
                idle_timeout_secs: 60,
            },
            embedded_database: EmbeddedDatabaseSettings {
                data_dir: PathBuf::from(".data/postgres"),
            },
            log: LogSettings { format: None },
            auth: AuthSettings {
                mode: AuthMode::Writes,
                keys: KeyRing::default(),
                jwt: JwtSettings::default(),
                allow_off_in_production: false,
            },
            rate_limit: RateLimitSettings {
                enabled: true,
                per_second: 1000,
                burst: 2000,
                trusted_proxies: TrustedProxies::default(),
            },
            cors: CorsSettings {
                allowed_origins: Vec::new(),
            },
            tracing: Default::default(),
            http: Default::default(),
            idempotency: Default::default(),
            demo_data: None,
            preferred_item: PreferredItemSettings {
                source: Source::Memory,
                poll_interval_ms: 500,
                feed_retention_secs: 900,
                feed_trim_interval_secs: 60,
                feed_read_timeout_ms: 2_000,
                snapshot_timeout_secs: 120,
                weights: StatusWeights::default(),
            },
        }
    }
}
