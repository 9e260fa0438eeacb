//! The repository: the only place that holds SQL. Rows become domain types
//! here, and handlers never see a query.

pub mod bulk;
mod demo;
pub mod items;
pub mod master_data;
pub mod preference;

pub use demo::seed_demo_data;
pub use items::{ItemPage, ItemWrite};
pub use master_data::{MasterDataPage, MasterDataWrite};
pub use preference::Shortlist;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

use crate::config::DatabaseSettings;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Builds the pool without connecting: the service starts, and answers 503,
/// even while the database is away.
pub fn pool(settings: &DatabaseSettings, url: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .context("parsing the database URL")?
        .application_name("preferred-item-service")
        .options([
            (
                "statement_timeout",
                settings.statement_timeout_ms.to_string(),
            ),
            // A statement stuck behind a lock gives up soon, and the
            // request gets 503, instead of holding its connection.
            ("lock_timeout", settings.lock_timeout_ms.to_string()),
            // Plan each prepared statement once. The lookups bind arrays,
            // for which PostgreSQL would otherwise re-plan on every call,
            // which costs more than running them; every query is written
            // so that its generic plan is its best one (no `$1 IS NULL OR`
            // filters).
            ("plan_cache_mode", "force_generic_plan".to_owned()),
        ]);
    Ok(PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        // No ping before each use: it would double the round trips of
        // every request. A connection that broke while idle fails its
        // next statement, which answers 503, and is then discarded.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// The database URL from settings, as a plain string for the driver.
pub fn url(settings: &DatabaseSettings) -> Option<String> {
    settings.url.as_ref().map(|u| u.expose_secret().to_owned())
}

/// Applies the embedded migrations. sqlx holds a PostgreSQL advisory lock
/// while it migrates, so replicas that start together apply each migration
/// once and the others wait.
#[tracing::instrument(skip_all)]
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")
}

/// Waits until the database answers, for at most `patience`. Used at start
/// so that a database that comes up a little after the service is no error.
pub async fn wait_until_reachable(pool: &PgPool, patience: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match ping(pool).await {
            Ok(()) => return Ok(()),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(e).context("the database did not become reachable")
            }
            Err(e) => {
                tracing::info!(error = %e, "waiting for the database");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// One round trip, for readiness.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar!("SELECT 1 AS \"one!\"")
        .fetch_one(pool)
        .await
        .map(|_| ())
}
