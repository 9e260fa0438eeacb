//! Settings, loaded in layers: built-in defaults, then an optional TOML file,
//! then environment variables.
//!
//! Environment variables use the prefix `APP` and `__` for nesting
//! (`APP__SERVER__PORT`). Two names are stable exceptions: `APP_ENVIRONMENT`
//! selects the environment, and `DATABASE_URL` is honoured as is. A file is
//! read from `APP_CONFIG_FILE` when set, else from `config.toml` in the
//! working directory when it exists.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::auth::{AuthMode, KeyRing};
use crate::domain::StatusWeights;
use crate::telemetry::LogFormat;

mod database;
mod defaults;
mod jwt;
mod protocol;
mod proxies;
mod validate;
pub use database::{DatabaseSettings, EmbeddedDatabaseSettings, BULK_DEADLINE_FACTOR};
pub use jwt::JwtSettings;
pub use protocol::{HttpSettings, IdempotencySettings, TracingSettings, TrustSampling};
pub use proxies::TrustedProxies;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Local,
    Production,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub embedded_database: EmbeddedDatabaseSettings,
    pub log: LogSettings,
    /// Load the demo catalog into an empty database at start. Defaults to
    /// on outside production and off in production.
    pub demo_data: Option<bool>,
    pub preferred_item: PreferredItemSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    #[serde(default)]
    pub cors: CorsSettings,
    #[serde(default)]
    pub tracing: TracingSettings,
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub idempotency: IdempotencySettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `off`, `writes` (reads open, writes need a write key) or `all`.
    pub mode: AuthMode,
    /// `read:<key>`, `write:<key>`, `read:sha256:<hex>`, `write:sha256:<hex>`.
    /// Comma-separated in `APP__AUTH__KEYS`. Parsed once, here; only
    /// digests are kept, and `Debug` prints none of them.
    #[serde(default)]
    pub keys: KeyRing,
    /// Bearer tokens from an OpenID Connect issuer; off without `issuer`.
    pub jwt: JwtSettings,
    /// Production refuses to start with `mode` off unless this says that
    /// an open catalog is meant.
    #[serde(default)]
    pub allow_off_in_production: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Sustained requests per second per API key, or per client address.
    pub per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub burst: u32,
    /// Peers whose `X-Forwarded-For` is believed: addresses or CIDR blocks.
    #[serde(default)]
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Origins allowed to call the API from a browser; `*` allows any.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Largest JSON body accepted by the single-record routes, in bytes.
    pub json_limit_bytes: usize,
    /// Largest body accepted by the batch and bulk routes, in bytes.
    pub large_body_limit_bytes: usize,
    /// Bytes of batch and bulk bodies the process holds at once; a request
    /// that would go over gets a fast 503. What is parsed from a body takes
    /// a few times its size, so this bounds their memory.
    pub large_bodies_in_flight_bytes: usize,
    /// Time a client has to send its whole body once the head is in.
    pub body_read_timeout_ms: u64,
    /// How long in-flight requests may run after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Longer than a load balancer's usual 60 s idle timeout, so that the
    /// balancer, not the service, closes idle connections.
    pub keep_alive_secs: u64,
    /// Time a client has to send its request head.
    pub client_request_timeout_ms: u64,
    /// Serve `GET /metrics` on `metrics_port`, a listener of its own, so
    /// that a load balancer in front of `port` never exposes it.
    pub metrics_enabled: bool,
    /// The metrics listener's port (on `host`); 0 picks a free one.
    pub metrics_port: u16,
    /// `Strict-Transport-Security: max-age=<this>` on every answer; 0 (the
    /// default) sends none. Set it when TLS terminates in front of the
    /// service (an HTTPS load balancer): the service itself speaks HTTP.
    #[serde(default)]
    pub hsts_max_age_secs: u64,
    /// The date (`YYYY-MM-DD`, UTC) after which the legacy read paths may
    /// be retired: their `Sunset` header.
    #[serde(default = "default_legacy_sunset")]
    pub legacy_sunset: String,
    /// Answer the legacy read paths with 410 from the sunset date on.
    #[serde(default)]
    pub legacy_gone_after_sunset: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `json` or `pretty`; defaults to `json` in production and `pretty`
    /// elsewhere. Levels come from `RUST_LOG`.
    pub format: Option<LogFormat>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferredItemSettings {
    /// Where answers come from: `memory` (the default), a copy of the
    /// catalog in each replica kept current from the database's change
    /// feed, or `database`, one query per lookup, for catalogs too large
    /// for memory.
    pub source: Source,
    /// How often a replica reads the change feed when no notification
    /// woke it earlier; also how soon it retries while the database is
    /// away.
    pub poll_interval_ms: u64,
    /// How long the change feed keeps its rows. A replica that was away
    /// longer loads a fresh snapshot.
    pub feed_retention_secs: u64,
    /// How often the feed is trimmed (and its backlog reported).
    #[serde(default = "default_trim_interval")]
    pub feed_trim_interval_secs: u64,
    /// Client-side limit on one read of the feed: past it the replica
    /// counts as disconnected (answers carry `X-Catalog-Stale-Seconds`)
    /// and reads again on a fresh connection.
    #[serde(default = "default_feed_read_timeout")]
    pub feed_read_timeout_ms: u64,
    /// Client-side limit on loading a whole snapshot.
    #[serde(default = "default_snapshot_timeout")]
    pub snapshot_timeout_secs: u64,
    /// Score weight per status; `StatusWeights::check` states the rule.
    pub weights: StatusWeights,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    #[default]
    Memory,
    Database,
}

impl Settings {
    /// Loads settings from the process environment and validates them.
    pub fn load() -> anyhow::Result<Settings> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Settings::load_from(&vars)
    }

    /// Loads settings from the given environment variables. Separated from
    /// the process environment so that tests can exercise it.
    pub fn load_from(vars: &[(String, String)]) -> anyhow::Result<Settings> {
        let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let environment = match var("APP_ENVIRONMENT").as_deref() {
            None | Some("local") => Environment::Local,
            Some("production") => Environment::Production,
            Some(other) => bail!(
                "APP_ENVIRONMENT: unknown environment {other:?}; use \"local\" or \"production\""
            ),
        };
        let defaults = Settings {
            environment,
            ..Settings::default()
        };

        let file = var("APP_CONFIG_FILE");
        let mut builder = config::Config::builder()
            .add_source(config::Config::try_from(&defaults).context("building default settings")?);
        builder = match &file {
            Some(path) => builder.add_source(config::File::with_name(path).required(true)),
            None => builder.add_source(config::File::with_name("config.toml").required(false)),
        };
        let env_source = config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("auth.keys")
            .with_list_parse_key("auth.jwt.audience")
            .with_list_parse_key("auth.jwt.groups")
            .with_list_parse_key("rate_limit.trusted_proxies")
            .with_list_parse_key("cors.allowed_origins")
            .source(Some(vars.iter().cloned().collect()));
        builder = builder.add_source(env_source);
        if let Some(url) = var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.environment = environment;
        settings.database.from_pg_environment =
            settings.database.url.is_none() && var("PGHOST").is_some();
        settings.validate()?;
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    pub fn demo_data(&self) -> bool {
        self.demo_data.unwrap_or(!self.is_production())
    }

    pub fn log_format(&self) -> LogFormat {
        self.log.format.unwrap_or(if self.is_production() {
            LogFormat::Json
        } else {
            LogFormat::Pretty
        })
    }

    pub fn status_weights(&self) -> StatusWeights {
        self.preferred_item.weights
    }
}

fn default_legacy_sunset() -> String {
    "2027-06-30".to_owned()
}

fn default_trim_interval() -> u64 {
    60
}

fn default_feed_read_timeout() -> u64 {
    2_000
}

fn default_snapshot_timeout() -> u64 {
    120
}

#[cfg(test)]
mod tests;
