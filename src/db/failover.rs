//! Connections that outlived their server. After a failover the pool may
//! hold connections to a server that is gone, read-only (a demoted writer)
//! or shutting down, and on a black-holed network path connections that
//! never answer. One error that says so (a connection-class SQLSTATE, an
//! admin shutdown, a read-only transaction, an I/O error or a client-side
//! deadline) marks every connection opened before it as stale: none of them
//! is handed out again, and each is closed when it is next acquired or
//! released. Connections opened after the mark are kept, so a single
//! failover costs one round of reconnections, not one per request.
//!
//! The mark is process-wide: a process has one database.

use sqlx::pool::PoolConnectionMetadata;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Milliseconds after `epoch()` of the last mark, plus one (0: never).
static MARKED_AT_MS: AtomicU64 = AtomicU64::new(0);
static MARKS: AtomicU64 = AtomicU64::new(0);
static EVICTED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn sender() -> &'static watch::Sender<u64> {
    static GENERATION: OnceLock<watch::Sender<u64>> = OnceLock::new();
    GENERATION.get_or_init(|| watch::channel(0).0)
}

/// Whether `error` says the connection's server is not the writable
/// primary it was, or that the connection itself is dead.
pub fn means_server_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 25006: read-only transaction (a
            // demoted writer); 57P01-57P03: admin shutdown, crash
            // shutdown, cannot connect now.
            code.starts_with("08") || matches!(&*code, "25006" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Marks every connection open now as stale when `error` means the server
/// was lost; returns whether it did.
pub fn note(error: &sqlx::Error) -> bool {
    if !means_server_lost(error) {
        return false;
    }
    mark(&error.to_string());
    true
}

/// Marks every connection open now as stale.
pub fn mark(reason: &str) {
    let now = epoch().elapsed().as_millis() as u64 + 1;
    let before = MARKED_AT_MS.fetch_max(now, Ordering::AcqRel);
    // One log line per burst: many requests fail on the same event.
    if now.saturating_sub(before) > 1_000 {
        tracing::warn!(
            reason,
            "a database connection failed in a way that means its server was lost; \
             connections opened before now are closed as they come back"
        );
    }
    MARKS.fetch_add(1, Ordering::Relaxed);
    sender().send_modify(|g| *g += 1);
}

/// Whether a connection of this age was open at the last mark; counts the
/// ones it says so of, which the pool then closes.
pub fn is_stale(meta: &PoolConnectionMetadata) -> bool {
    let marked = MARKED_AT_MS.load(Ordering::Acquire);
    if marked == 0 {
        return false;
    }
    let marked_at = epoch() + Duration::from_millis(marked - 1);
    let opened_at = Instant::now().checked_sub(meta.age);
    let stale = opened_at.is_none_or(|opened| opened <= marked_at);
    if stale {
        EVICTED.fetch_add(1, Ordering::Relaxed);
    }
    stale
}

/// Changes on every mark: long-lived connections outside the pool (the
/// catalog's listener) reconnect when it does.
pub fn marks() -> watch::Receiver<u64> {
    sender().subscribe()
}

/// How many marks there have been: a connection kept outside the pool
/// compares it with the count when it was opened.
pub fn generation() -> u64 {
    *sender().borrow()
}

/// Connections closed because they were open at a mark.
pub fn evicted() -> u64 {
    EVICTED.load(Ordering::Relaxed)
}

/// Marks made since the process started.
pub fn marks_made() -> u64 {
    MARKS.load(Ordering::Relaxed)
}

/// The error for a server that takes no writes where the primary should
/// be: a standby, or a writer demoted by a failover.
pub fn read_only_server() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(
        "the server is read-only (a standby, or a writer demoted by a failover)",
    ))
}

/// The error for database work that did not finish within `deadline` on
/// the client's side: the server, or the path to it, stopped answering.
pub fn timed_out(what: &str, deadline: Duration) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what}: the database did not answer within {deadline:?}"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::db::failover::{means_server_lost, timed_out};
    use std::time::Duration;

    #[test]
    fn connection_class_errors_mean_the_server_was_lost() {
        let io = sqlx::Error::Io(std::io::Error::other("reset"));
        assert!(means_server_lost(&io));
        assert!(means_server_lost(&timed_out(
            "a read",
            Duration::from_secs(1)
        )));
        assert!(!means_server_lost(&sqlx::Error::PoolTimedOut));
        assert!(!means_server_lost(&sqlx::Error::RowNotFound));
    }
}
