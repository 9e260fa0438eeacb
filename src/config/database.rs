//! The `database` settings: where to connect, the pool, and the bounds
//! that let a replica notice a lost server in seconds.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

use super::Settings;
use crate::db::{PoolOptions, Target};

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
    /// Client-side limit on one request's database work (a bulk load gets
    /// `BULK_DEADLINE_FACTOR` times as long): past it the request gets
    /// 503 and the connections open at that moment are replaced. The
    /// statement timeout cannot end a wait on a server or network path that
    /// stopped answering; this does.
    #[serde(default = "default_request_timeout")]
    pub request_timeout_ms: u64,
    /// Seconds a connection is idle before the server's first keepalive
    /// probe.
    #[serde(default = "default_keepalive_idle")]
    pub keepalive_idle_secs: u32,
    /// Seconds between keepalive probes.
    #[serde(default = "default_keepalive_interval")]
    pub keepalive_interval_secs: u32,
    /// Probes lost before the server drops the connection.
    #[serde(default = "default_keepalive_count")]
    pub keepalive_count: u32,
    /// A connection is replaced after this long, so that an endpoint moved
    /// by DNS (a Multi-AZ failover, a blue/green switchover) is followed
    /// even by a replica that saw no error.
    #[serde(default = "default_max_lifetime")]
    pub max_lifetime_secs: u64,
    /// An idle connection is closed after this long.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_secs: u64,
}

/// How many request deadlines a bulk load may take: it runs several
/// statements over up to 10,000 records.
pub const BULK_DEADLINE_FACTOR: u32 = 6;

fn default_request_timeout() -> u64 {
    10_000
}
fn default_keepalive_idle() -> u32 {
    10
}
fn default_keepalive_interval() -> u32 {
    5
}
fn default_keepalive_count() -> u32 {
    3
}
fn default_max_lifetime() -> u64 {
    300
}
fn default_idle_timeout() -> u64 {
    60
}

impl DatabaseSettings {
    /// The client-side deadline of one request's database work.
    pub fn request_deadline(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedDatabaseSettings {
    /// Where the private cluster keeps its data.
    pub data_dir: PathBuf,
}

impl Settings {
    /// The database URL, as a plain string for the driver.
    pub fn database_url(&self) -> Option<String> {
        self.database
            .url
            .as_ref()
            .map(|u| u.expose_secret().to_owned())
    }

    /// Where the server's connections go.
    pub fn database_target(&self) -> Target {
        Target {
            url: self.database_url(),
            from_pg_environment: self.database.from_pg_environment,
            local_cluster_dir: self.embedded_database.data_dir.clone(),
            password_file: self.database.password_file.clone(),
            production: self.is_production(),
            pool: self.pool_options(),
        }
    }

    pub fn pool_options(&self) -> PoolOptions {
        let d = &self.database;
        PoolOptions {
            max_connections: d.max_connections,
            min_connections: d.min_connections,
            acquire_timeout_ms: d.acquire_timeout_ms,
            statement_timeout_ms: d.statement_timeout_ms,
            lock_timeout_ms: d.lock_timeout_ms,
            keepalive: (
                d.keepalive_idle_secs,
                d.keepalive_interval_secs,
                d.keepalive_count,
            ),
            max_lifetime: Duration::from_secs(d.max_lifetime_secs),
            idle_timeout: Duration::from_secs(d.idle_timeout_secs),
        }
    }
}
