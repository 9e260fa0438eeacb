//! The catalog in memory: each replica holds what the preferred-item
//! decision needs and answers from it, without a database round trip.
//!
//! PostgreSQL stays the only record. The copy is loaded from a snapshot at
//! start and kept current from the change feed (`db::catalog_feed`):
//! notifications wake the follower, and it also reads the feed every
//! `poll_interval`, so a lost notification or a dropped listener delays a
//! change but never loses it. The promises, written in the README:
//!
//! - read your writes: a write's response is sent only after the replica
//!   that took it has read the feed past the write (`catch_up`);
//! - other replicas apply a change when its notification wakes them, or
//!   at their next poll;
//! - while the database is away, answers come from the last applied state,
//!   marked with how long ago it was last known to be current.

mod digest;
mod follower;
mod reload;
mod store;

use digest::Digester;
pub use digest::{database_digest, digest};

use store::Store;

use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Notify};

use crate::db::catalog_feed::{self, FeedConnection, Position};
use crate::domain::{AnswerTooLarge, PreferredItemQuery, Shortlist, ShortlistBudget, Strategy};

/// How the follower reads the feed.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    pub poll_interval: Duration,
    /// Client-side bound on one read of the feed.
    pub read_timeout: Duration,
    /// Client-side bound on loading a snapshot.
    pub snapshot_timeout: Duration,
}

/// The shortlists of a batch, the catalog version they came from, and,
/// while the feed cannot be read, how long ago the catalog was last known
/// to be current.
pub struct Shortlisted {
    pub shortlists: Vec<Shortlist>,
    pub version: u64,
    pub stale: Option<Duration>,
}

/// Where the follower stands; one poll at a time holds it.
struct Follower {
    position: Option<Position>,
    /// The number of the last poll that finished.
    completed: u64,
    /// The follower's own connection, outside the pool, and the failover
    /// mark it was opened under (`db::failover::generation`). Closed after
    /// any failed read, and reopened after a mark: a read that timed out
    /// costs this one connection, never the pool's.
    connection: Option<(FeedConnection, u64)>,
}

pub struct MemoryCatalog {
    store: RwLock<Store>,
    pool: PgPool,
    options: FollowOptions,
    follower: Mutex<Follower>,
    /// The number of the last poll that started.
    started: AtomicU64,
    wake: Notify,
    loaded: AtomicBool,
    /// Whether the last read of the feed succeeded.
    connected: AtomicBool,
    version: AtomicU64,
    /// When the last successful read began, in ms after `epoch`.
    synced_at_ms: AtomicU64,
    epoch: Instant,
    snapshot_loads: AtomicU64,
    changes_applied: AtomicU64,
}

/// How current the catalog is, for headers, readiness and metrics.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    pub loaded: bool,
    pub connected: bool,
    /// Every transaction below this id is reflected.
    pub version: u64,
    /// Time since the last read of the feed that succeeded began: the
    /// catalog is at most this far behind the database.
    pub lag: Duration,
    pub items: usize,
    pub snapshot_loads: u64,
    pub changes_applied: u64,
}

impl MemoryCatalog {
    /// An empty, unloaded catalog over `pool`; `follow` loads and keeps it.
    pub fn new(pool: PgPool, options: FollowOptions) -> Arc<MemoryCatalog> {
        Arc::new(MemoryCatalog {
            store: RwLock::new(Store::default()),
            pool,
            options,
            follower: Mutex::new(Follower {
                position: None,
                completed: 0,
                connection: None,
            }),
            started: AtomicU64::new(0),
            wake: Notify::new(),
            loaded: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            version: AtomicU64::new(0),
            synced_at_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            snapshot_loads: AtomicU64::new(0),
            changes_applied: AtomicU64::new(0),
        })
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Time since the last successful read of the feed began.
    fn lag(&self) -> Duration {
        let synced = Duration::from_millis(self.synced_at_ms.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(synced)
    }

    pub fn freshness(&self) -> Freshness {
        Freshness {
            loaded: self.is_loaded(),
            connected: self.connected.load(Ordering::Acquire),
            version: self.version.load(Ordering::Acquire),
            lag: self.lag(),
            items: self.store.read().map(|s| s.items()).unwrap_or(0),
            snapshot_loads: self.snapshot_loads.load(Ordering::Relaxed),
            changes_applied: self.changes_applied.load(Ordering::Relaxed),
        }
    }

    /// Shortlists for `queries` from memory, for `strategy`, with the
    /// version they saw; all charged to `budget`.
    pub fn shortlists(
        &self,
        queries: &[&PreferredItemQuery],
        strategy: Strategy,
        mut budget: ShortlistBudget,
    ) -> Result<Shortlisted, AnswerTooLarge> {
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        let shortlists = queries
            .iter()
            .map(|q| {
                let shortlist = store.shortlist(q, &strategy);
                budget.charge_shortlist(&shortlist)?;
                Ok(shortlist)
            })
            .collect::<Result<_, AnswerTooLarge>>()?;
        Ok(Shortlisted {
            shortlists,
            version: self.version.load(Ordering::Acquire),
            stale: (!self.connected.load(Ordering::Acquire)).then(|| self.lag()),
        })
    }

    /// How many items are held and their digest (comparable with
    /// `database_digest`), read a slice at a time: the store's lock is
    /// never held for more than `SLICE` items, so that answers and the
    /// feed's applies never wait long behind it, even at millions of
    /// items. While changes are being applied the digest may mix states;
    /// it is meant for a settled replica.
    pub fn digest(&self) -> (usize, String) {
        const SLICE: usize = 4096;
        let read = || self.store.read().unwrap_or_else(|e| e.into_inner());
        let slots = read().slots();
        let mut names = Vec::new();
        for start in (0..slots).step_by(SLICE) {
            names.extend(read().names_in(start..(start + SLICE).min(slots)));
        }
        names.sort_unstable();
        let mut digester = Digester::default();
        for slice in names.chunks(SLICE) {
            let store = read();
            for name in slice {
                if let Some(row) = store.row_of(name) {
                    digester.add(&row);
                }
            }
        }
        digester.finish()
    }

    /// Returns once a read of the feed that began after this call has
    /// finished: everything committed before the call is then applied.
    pub async fn catch_up(&self) -> anyhow::Result<()> {
        let ticket = self.started.load(Ordering::Acquire);
        let mut follower = self.follower.lock().await;
        if follower.completed > ticket {
            return Ok(());
        }
        self.poll(&mut follower).await
    }
}

/// Deletes change-feed rows older than `retention_secs` (whose transactions
/// have all ended); a replica that had not read them loads a snapshot.
/// Returns how many rows went.
pub async fn trim_feed(pool: &PgPool, retention_secs: u64) -> anyhow::Result<u64> {
    Ok(catalog_feed::trim(pool, retention_secs).await?)
}
