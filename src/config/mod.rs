//! Settings, loaded in layers: built-in defaults, then an optional TOML file,
//! then environment variables.
//!
//! Environment variables use the prefix `APP` and `__` for nesting
//! (`APP__SERVER__PORT`). Two names are stable exceptions: `APP_ENVIRONMENT`
//! selects the environment, and `DATABASE_URL` is honoured as is. A file is
//! read from `APP_CONFIG_FILE` when set, else from `config.toml` in the
//! working directory when it exists.

use anyhow::{bail, Context};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::auth::is_loopback_http;
use crate::auth::{AuthMode, JwksSource, JwtConfig, KeyRing, Scope};
use crate::db::PoolOptions;
use crate::domain::StatusWeights;
use crate::telemetry::LogFormat;
use std::collections::HashMap;
use std::time::Duration;

mod proxies;
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The exact `iss` of accepted tokens; JWT is off without it.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Accepted audiences (`aud`, or `client_id` without `aud`),
    /// comma-separated.
    #[serde(default)]
    pub audience: Vec<String>,
    /// The JWKS URL; default: from `<issuer>/.well-known/openid-configuration`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// A JWKS file instead of a URL, for air-gapped setups and tests.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    pub read_scope: String,
    pub write_scope: String,
    /// `cognito:groups` that grant a scope: `group=read` or `group=write`,
    /// comma-separated.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// A token naming an unknown key refreshes the keys at most this often.
    pub refresh_cooldown_secs: u64,
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`. When unset outside production, a private cluster is
    /// started from the local PostgreSQL binaries.
    #[serde(skip_serializing)]
    pub url: Option<SecretString>,
    /// Without a URL: connect as the libpq variables say (`PGHOST`,
    /// `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
    /// `PGSSLROOTCERT`). Set when `PGHOST` is.
    #[serde(skip)]
    pub from_pg_environment: bool,
    /// A file holding the password (a mounted secret). It overrides any
    /// other password and is read again every few seconds, so that a
    /// rotated password reaches new connections without a restart.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a pooled connection before it gets 503.
    pub acquire_timeout_ms: u64,
    /// Server-side limit on any one statement.
    pub statement_timeout_ms: u64,
    /// Server-side limit on waiting for a lock.
    pub lock_timeout_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedDatabaseSettings {
    /// Where the private cluster keeps its data.
    pub data_dir: PathBuf,
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
    pub weights: WeightSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightSettings {
    pub normal: Decimal,
    pub novelty: Decimal,
    pub outgoing: Decimal,
    pub discontinued: Decimal,
}

impl Default for Settings {
    fn default() -> Self {
        let weights = StatusWeights::default();
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
            },
            embedded_database: EmbeddedDatabaseSettings {
                data_dir: PathBuf::from(".data/postgres"),
            },
            log: LogSettings { format: None },
            auth: AuthSettings {
                mode: AuthMode::Writes,
                keys: KeyRing::default(),
                jwt: JwtSettings {
                    issuer: None,
                    audience: Vec::new(),
                    jwks_url: None,
                    jwks_file: None,
                    read_scope: "preferred-item/read".into(),
                    write_scope: "preferred-item/write".into(),
                    groups: Vec::new(),
                    leeway_secs: 60,
                    refresh_cooldown_secs: 30,
                },
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
            demo_data: None,
            preferred_item: PreferredItemSettings {
                weights: WeightSettings {
                    normal: weights.normal,
                    novelty: weights.novelty,
                    outgoing: weights.outgoing,
                    discontinued: weights.discontinued,
                },
            },
        }
    }
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

    fn validate(&self) -> anyhow::Result<()> {
        let production = self.environment == Environment::Production;
        match &self.database.url {
            None if production && !self.database.from_pg_environment => {
                bail!(
                    "database.url: set DATABASE_URL, or PGHOST and the other PG* variables, in \
                     production"
                )
            }
            Some(url) => {
                url::Url::parse(url.expose_secret())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "postgres" | "postgresql"))
                    .context("database.url: DATABASE_URL must be a postgres:// URL")?;
            }
            None => {}
        }
        if self.server.large_bodies_in_flight_bytes < self.server.large_body_limit_bytes {
            bail!(
                "server.large_bodies_in_flight_bytes: must be at least server.large_body_limit_bytes, \
                 or the largest body could never be accepted"
            );
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections: must be at least 1");
        }
        if self.database.min_connections > self.database.max_connections {
            bail!("database.min_connections: must not exceed database.max_connections");
        }
        if self.database.acquire_timeout_ms == 0 {
            bail!("database.acquire_timeout_ms: must be at least 1");
        }
        self.jwt_config()?;
        if production
            && self.auth.mode != AuthMode::Off
            && self.auth.keys.is_empty()
            && self.auth.jwt.issuer.is_none()
        {
            bail!(
                "auth.keys: APP__AUTH__KEYS must hold at least one key (or \
                 APP__AUTH__JWT__ISSUER be set) in production while auth.mode is {:?}",
                self.auth.mode
            );
        }
        if self.rate_limit.enabled
            && (self.rate_limit.per_second == 0 || self.rate_limit.burst == 0)
        {
            bail!("rate_limit.per_second and rate_limit.burst: must be at least 1");
        }
        let w = &self.preferred_item.weights;
        for (key, weight) in [
            ("normal", w.normal),
            ("novelty", w.novelty),
            ("outgoing", w.outgoing),
            ("discontinued", w.discontinued),
        ] {
            if weight < Decimal::ZERO
                || weight > Decimal::from(StatusWeights::MAX)
                || weight.normalize().scale() > 4
            {
                bail!(
                    "preferred_item.weights.{key}: must be between 0 and {} with at most 4 decimals",
                    StatusWeights::MAX
                );
            }
        }
        Ok(())
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
        let w = &self.preferred_item.weights;
        StatusWeights {
            normal: w.normal,
            novelty: w.novelty,
            outgoing: w.outgoing,
            discontinued: w.discontinued,
        }
    }

    /// The database URL, as a plain string for the driver.
    pub fn database_url(&self) -> Option<String> {
        self.database
            .url
            .as_ref()
            .map(|u| u.expose_secret().to_owned())
    }

    /// What tokens must satisfy and where their keys come from; `None`
    /// when no issuer is configured. Errors name the key at fault.
    pub fn jwt_config(&self) -> anyhow::Result<Option<(JwtConfig, JwksSource, Duration)>> {
        let j = &self.auth.jwt;
        let Some(issuer) = j.issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let production = self.is_production();
        let transport_ok =
            |url: &str| url.starts_with("https://") || (!production && is_loopback_http(url));
        let audiences: Vec<String> = j
            .audience
            .iter()
            .filter(|a| !a.is_empty())
            .cloned()
            .collect();
        if audiences.is_empty() {
            bail!("auth.jwt.audience: APP__AUTH__JWT__AUDIENCE must name at least one audience");
        }
        if j.read_scope.is_empty() || j.write_scope.is_empty() {
            bail!("auth.jwt.read_scope and auth.jwt.write_scope: must not be empty");
        }
        let source = match (&j.jwks_file, &j.jwks_url) {
            (Some(file), _) => JwksSource::File(file.clone()),
            (None, Some(url)) if transport_ok(url) => JwksSource::Url(url.clone()),
            (None, Some(_)) => bail!(
                "auth.jwt.jwks_url: must be https (plain http only on a loopback address outside \
                 production)"
            ),
            (None, None) if transport_ok(&issuer) => JwksSource::Discovery(issuer.clone()),
            (None, None) => bail!(
                "auth.jwt.issuer: discovery needs an https issuer (plain http only on a loopback \
                 address outside production); or set APP__AUTH__JWT__JWKS_URL"
            ),
        };
        let mut groups = HashMap::new();
        for (i, entry) in j.groups.iter().enumerate().filter(|(_, e)| !e.is_empty()) {
            let scope = match entry.rsplit_once('=') {
                Some((group, "read")) if !group.is_empty() => (group, Scope::Read),
                Some((group, "write")) if !group.is_empty() => (group, Scope::Write),
                _ => bail!("auth.jwt.groups[{i}]: must be <group>=read or <group>=write"),
            };
            groups.insert(scope.0.to_owned(), scope.1);
        }
        let config = JwtConfig {
            issuer,
            audiences,
            read_scope: j.read_scope.clone(),
            write_scope: j.write_scope.clone(),
            groups,
            leeway_secs: j.leeway_secs,
        };
        Ok(Some((
            config,
            source,
            Duration::from_secs(j.refresh_cooldown_secs),
        )))
    }

    pub fn pool_options(&self) -> PoolOptions {
        let d = &self.database;
        PoolOptions {
            max_connections: d.max_connections,
            min_connections: d.min_connections,
            acquire_timeout_ms: d.acquire_timeout_ms,
            statement_timeout_ms: d.statement_timeout_ms,
            lock_timeout_ms: d.lock_timeout_ms,
        }
    }
}

#[cfg(test)]
mod tests;
