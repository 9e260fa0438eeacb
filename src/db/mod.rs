//! The repository: the only place that holds SQL. Rows become domain types
//! here, and handlers never see a query.

pub mod bulk;
pub mod catalog_feed;
mod demo;
mod health;
pub mod items;
pub mod master_data;
pub mod preferred_item;
pub mod roles;

pub use demo::seed_demo_data;
pub use health::HealthCheck;
pub use items::ItemWrite;
pub use master_data::MasterDataWrite;

mod connection;
pub mod export;
pub mod failover;
pub mod idempotency;

pub use connection::{connect, connect_options, explain_connect_error, Target};

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::domain::Identifier;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How the pool behaves; the `database` settings fill it in.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a pooled connection before it gets 503.
    pub acquire_timeout_ms: u64,
    /// Server-side limit on any one statement; 0 for none.
    pub statement_timeout_ms: u64,
    /// Server-side limit on waiting for a lock; 0 for none.
    pub lock_timeout_ms: u64,
    /// The server's TCP keepalive on each connection: idle seconds before
    /// the first probe, seconds between probes, and probes lost before the
    /// server drops a replica that vanished (and its locks).
    pub keepalive: (u32, u32, u32),
    /// A connection is closed and replaced after this long, so that a
    /// moved endpoint (DNS after a failover) is followed.
    pub max_lifetime: Duration,
    /// An idle connection is closed after this long.
    pub idle_timeout: Duration,
}

/// One page of rows in identifier order, and whether more follow.
#[derive(Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// The page from up to `limit + 1` fetched rows, converted one by one.
    fn of<R>(
        fetched: Vec<R>,
        limit: u32,
        convert: impl Fn(R) -> Result<T, sqlx::Error>,
    ) -> Result<Page<T>, sqlx::Error> {
        let has_more = fetched.len() > limit as usize;
        let rows = fetched
            .into_iter()
            .take(limit as usize)
            .map(convert)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { rows, has_more })
    }
}

/// Where a page of a list starts: after the identifier `after` (the empty
/// string, which sorts before every identifier, for the first page), and
/// how many rows to fetch, one more than the page holds, so that the extra
/// row tells whether more follow.
#[derive(Debug, Clone, Copy)]
pub struct Keyset<'a> {
    after: &'a str,
    limit: u32,
}

impl<'a> Keyset<'a> {
    pub fn new(after: Option<&'a Identifier>, limit: u32) -> Keyset<'a> {
        Keyset {
            after: after.map_or("", Identifier::as_str),
            limit,
        }
    }

    fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// A page of a list, or why it could not be read.
pub type Listed<T> = Result<Page<T>, sqlx::Error>;

/// Builds the pool over `url` without connecting; see `pool_with`.
pub fn pool(settings: &PoolOptions, url: &str) -> anyhow::Result<PgPool> {
    Ok(pool_with(settings, connect_options(Some(url))?))
}

/// Builds the pool without connecting: the service starts, and answers 503,
/// even while the database is away.
pub fn pool_with(settings: &PoolOptions, options: PgConnectOptions) -> PgPool {
    let options = options.application_name("preferred-item-service").options([
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
        // The server probes an idle connection, and drops one whose
        // replica vanished (its locks and its backend with it).
        ("tcp_keepalives_idle", settings.keepalive.0.to_string()),
        ("tcp_keepalives_interval", settings.keepalive.1.to_string()),
        ("tcp_keepalives_count", settings.keepalive.2.to_string()),
    ]);
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .min_connections(settings.min_connections)
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        // No ping before each use: it would double the round trips of
        // every request. A connection that broke while idle fails its
        // next statement, which answers 503, and is then discarded.
        .test_before_acquire(false)
        .max_lifetime(settings.max_lifetime)
        .idle_timeout(settings.idle_timeout)
        // A connection open at the last sign of a lost server (see
        // `failover`) is never handed out again, and is closed without the
        // check sqlx makes of a returned connection, which would wait as
        // long as TCP does on a black-holed path.
        // A new connection must reach a server that takes writes: one opened
        // between a failover's mark and the endpoint's move (DNS, a proxy)
        // would still reach the demoted writer, and, opened after the mark,
        // would not count as stale.
        .after_connect(|conn, _| {
            Box::pin(async move {
                let read_only: bool = sqlx::query_scalar(
                    "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'",
                )
                .fetch_one(&mut *conn)
                .await?;
                if read_only {
                    failover::note(&failover::read_only_server());
                    return Err(failover::read_only_server());
                }
                Ok(())
            })
        })
        .before_acquire(|_, meta| Box::pin(async move { Ok(!failover::is_stale(&meta)) }))
        .after_release(|_, meta| Box::pin(async move { Ok(!failover::is_stale(&meta)) }))
        .connect_lazy_with(options)
}

/// Applies the embedded migrations. sqlx holds a PostgreSQL advisory lock
/// while it migrates, so replicas that start together apply each migration
/// once and the others wait. When every migration is applied already,
/// nothing is run: the service may connect as a role that can change no
/// table (`roles`), which could not even check through sqlx's
/// `CREATE TABLE IF NOT EXISTS`.
#[tracing::instrument(skip_all)]
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    if all_applied(pool).await {
        tracing::debug!("every migration is applied");
        return Ok(());
    }
    // A migration may rewrite a large table: it runs without the request
    // statement timeout, on a connection of its own.
    let mut connection = pool
        .acquire()
        .await
        .context("connecting to apply migrations")?;
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *connection)
        .await?;
    let applied = MIGRATOR.run(&mut *connection).await;
    sqlx::query("RESET statement_timeout")
        .execute(&mut *connection)
        .await?;
    applied.context(
        "applying database migrations (a role that cannot change tables cannot apply them: \
         run `migrate` as the schema's owner first)",
    )
}

/// Whether every embedded migration is recorded as applied, with the
/// checksum it has here. Any doubt (no table yet, a failed or changed
/// migration) is `false`, and sqlx decides.
async fn all_applied(pool: &PgPool) -> bool {
    let recorded: Result<Vec<(i64, Vec<u8>)>, sqlx::Error> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    let Ok(recorded) = recorded else {
        return false;
    };
    let recorded: std::collections::HashMap<i64, Vec<u8>> = recorded.into_iter().collect();
    MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .all(|m| {
            recorded
                .get(&m.version)
                .is_some_and(|checksum| checksum.as_slice() == &*m.checksum)
        })
}

/// Waits until the database answers, for at most `patience`. Used at start
/// so that a database that comes up a little after the service is no error.
/// A failure that waiting cannot cure (TLS, authentication, a refused
/// connection) ends the wait at once, saying what it was.
pub async fn wait_until_reachable(pool: &PgPool, patience: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match ping(pool).await {
            Ok(()) => return Ok(()),
            Err(e) => {
                if let Some(why) = explain_connect_error(&e) {
                    return Err(anyhow::Error::new(e).context(why));
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(e).context("the database did not become reachable");
                }
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

static POOL_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

/// How many requests have given up waiting for a pooled connection.
pub fn pool_timeouts() -> u64 {
    POOL_TIMEOUTS.load(Ordering::Relaxed)
}

/// Counts a request that failed with `error`, for the pool metrics.
/// Counts a request that failed with `error`, for the pool metrics, and
/// marks the pool's connections stale when it means the server was lost.
pub fn record_failure(error: &sqlx::Error) {
    if matches!(error, sqlx::Error::PoolTimedOut) {
        POOL_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
    }
    failover::note(error);
}

/// Runs `work` (one request's database work) for at most `deadline` on
/// the client's side. Past it, the connections open now are marked stale
/// (before `work`'s connection goes back to the pool) and the error is a
/// retryable one: the server, or the network path to it, stopped
/// answering, and the statement timeout, which the server enforces, cannot
/// end the wait.
pub async fn within<T, E: From<sqlx::Error>>(
    deadline: Duration,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let work = std::pin::pin!(work);
    tokio::select! {
        done = work => done,
        () = tokio::time::sleep(deadline) => {
            let error = failover::timed_out("database work", deadline);
            failover::note(&error);
            Err(error.into())
        }
    }
}

/// Whether a database error means "the database is away or overloaded"
/// (retryable: 503) rather than a bug (500).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 53: insufficient resources;
            // 55P03: lock timeout; 57014: statement timeout; 57P01-57P03:
            // shutdown, crash, start; 40001 and 40P01: a serialization
            // failure or deadlock with concurrent writers, which a retry
            // resolves.
            // 25006: a read-only transaction, on a writer demoted by a
            // failover.
            code.starts_with("08")
                || code.starts_with("53")
                || matches!(
                    &*code,
                    "25006" | "55P03" | "57014" | "57P01" | "57P02" | "57P03" | "40001" | "40P01"
                )
        }),
        _ => false,
    }
}
