//! Where and how to connect: a `DATABASE_URL`, or the libpq environment
//! variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`,
//! `PGSSLMODE`, `PGSSLROOTCERT`) that ECS fills from an RDS secret; TLS
//! through rustls with libpq's `sslmode` and `sslrootcert`; and a password
//! file that is read again while the service runs, so that a rotated
//! password reaches new connections without a restart.

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::PgPool;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::PoolOptions;
use crate::local_postgres::LocalCluster;

/// How often the password file is read again.
const PASSWORD_RELOAD: Duration = Duration::from_secs(2);

/// The options of `url`, or from the libpq environment variables when
/// there is no URL.
pub fn connect_options(url: Option<&str>) -> anyhow::Result<PgConnectOptions> {
    match url {
        Some(url) => PgConnectOptions::from_str(url).context("parsing the database URL"),
        None => Ok(PgConnectOptions::new_without_pgpass()),
    }
}

/// Whether the server's certificate and host name are both checked.
pub fn is_verified(options: &PgConnectOptions) -> bool {
    matches!(options.get_ssl_mode(), PgSslMode::VerifyFull)
}

/// `sslmode` as libpq spells it.
pub fn ssl_mode_name(options: &PgConnectOptions) -> &'static str {
    match options.get_ssl_mode() {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// What a failed first connection means when waiting would not help: TLS
/// that cannot be set up or verified, credentials or a `pg_hba.conf` that
/// refuse us, or settings that cannot work. `None` for failures that may
/// pass (the database starting, the network).
pub fn explain_connect_error(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Tls(e) => Some(tls_failed(e)),
        // rustls reports a certificate it refuses (unknown issuer, another
        // host name) through the stream, as invalid data.
        sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::InvalidData => Some(tls_failed(e)),
        sqlx::Error::Configuration(e) => Some(format!("the database settings are unusable: {e}")),
        sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("28")) => {
            Some(format!(
                "the database refused the connection ({}): check the user, the password and \
                 sslmode (a server that accepts only TLS refuses sslmode=disable)",
                db.message()
            ))
        }
        _ => None,
    }
}

fn tls_failed(e: &dyn std::fmt::Display) -> String {
    format!(
        "TLS to the database failed ({e}): check sslmode and sslrootcert (an unknown CA, a host \
         name the certificate does not name, or a server without TLS)"
    )
}

/// Where the server's connections go; the `database` settings fill it in.
#[derive(Debug, Clone)]
pub struct Target {
    /// A URL; without one, the libpq variables or the private cluster.
    pub url: Option<String>,
    /// Without a URL: connect as the libpq variables say.
    pub from_pg_environment: bool,
    /// Without a URL or libpq variables: the private cluster's data.
    pub local_cluster_dir: PathBuf,
    pub password_file: Option<PathBuf>,
    /// Warn when the server is not verified.
    pub production: bool,
    pub pool: PoolOptions,
}

/// A connected pool, and the task that keeps its password current (for
/// the supervisor of a long-running server to run).
pub struct Connected {
    pub pool: PgPool,
    pub password_reloader: Option<PasswordReloader>,
}

/// The pool over `target` (a URL, the PG* variables, or the private local
/// cluster; production requires one of the first two, which settings
/// validation checks). In production, a connection whose server is not
/// verified is logged as a warning, once. Waits up to 30 s for the
/// database, so that starting next to it is no error; failures that
/// waiting cannot cure end the wait at once.
pub async fn connect(target: Target) -> anyhow::Result<Connected> {
    let url = match target.url {
        Some(url) => Some(url),
        None if target.from_pg_environment => None,
        None => {
            let dir = target.local_cluster_dir.clone();
            let cluster = tokio::task::spawn_blocking(move || LocalCluster::start_or_reuse(&dir))
                .await?
                .context("starting the local PostgreSQL cluster")?;
            let url = cluster.url("postgres");
            tracing::info!(%url, data_dir = %cluster.data_dir.display(), "using the local PostgreSQL cluster");
            Some(url)
        }
    };
    let mut options = connect_options(url.as_deref())?;
    let password = match &target.password_file {
        Some(file) => Some(read_password(file).await?),
        None => None,
    };
    if let Some(password) = &password {
        options = options.password(password);
    }
    if target.production && !is_verified(&options) {
        tracing::warn!(
            sslmode = ssl_mode_name(&options),
            "the database connection is not verified: set sslmode=verify-full (with \
             sslrootcert) so that the server's certificate and host name are checked"
        );
    }
    let pool = super::pool_with(&target.pool, options);
    let password_reloader =
        target
            .password_file
            .zip(password)
            .map(|(path, current)| PasswordReloader {
                pool: pool.clone(),
                path,
                current,
            });
    super::wait_until_reachable(&pool, Duration::from_secs(30)).await?;
    Ok(Connected {
        pool,
        password_reloader,
    })
}

/// Reads the password file every few seconds and, when the password in it
/// changes, gives the pool's future connections the new one. Connections
/// already open stay as they are; PostgreSQL keeps them when a password
/// changes.
pub struct PasswordReloader {
    pool: PgPool,
    path: PathBuf,
    current: String,
}

impl PasswordReloader {
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(PASSWORD_RELOAD);
        loop {
            tick.tick().await;
            match read_password(&self.path).await {
                Ok(password) if password != self.current => {
                    let options = (*self.pool.connect_options()).clone().password(&password);
                    self.pool.set_connect_options(options);
                    self.current = password;
                    tracing::info!(file = %self.path.display(), "database password reloaded");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the database password file"),
            }
        }
    }
}

/// The password in `path`, without a trailing newline.
pub async fn read_password(path: &std::path::Path) -> anyhow::Result<String> {
    let text = tokio::fs::read_to_string(path)
        .await
        .with_context(|| format!("reading the database password file {}", path.display()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}
