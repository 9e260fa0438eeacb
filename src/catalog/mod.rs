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

mod store;

use store::Store;

use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Notify};

use crate::db::catalog_feed::{self, CatalogRow, Changes, Position};
use crate::db::preferred_item::Shortlist;
use crate::domain::{PreferredItemQuery, StrategyKind};

/// Rows per batch handed from the snapshot reader to the store builder.
const BATCH: usize = 4096;

/// How the follower reads the feed.
#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    pub poll_interval: Duration,
}

/// The shortlists of a batch, the catalog version they came from, and,
/// while the feed cannot be read, how long ago the catalog was last known
/// to be current.
pub struct Answer {
    pub shortlists: Vec<Shortlist>,
    pub version: u64,
    pub stale: Option<Duration>,
}

/// Where the follower stands; one poll at a time holds it.
struct Follower {
    position: Option<Position>,
    /// The number of the last poll that finished.
    completed: u64,
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
    /// version they saw.
    pub fn shortlists(&self, queries: &[&PreferredItemQuery], strategy: StrategyKind) -> Answer {
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        let per_status = strategy != StrategyKind::Rank;
        Answer {
            shortlists: queries
                .iter()
                .map(|q| store.shortlist(q, per_status))
                .collect(),
            version: self.version.load(Ordering::Acquire),
            stale: (!self.connected.load(Ordering::Acquire)).then(|| self.lag()),
        }
    }

    /// Every item held, in identifier order (for tests and checks).
    pub fn rows(&self) -> Vec<catalog_feed::CatalogRow> {
        self.store.read().unwrap_or_else(|e| e.into_inner()).rows()
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

    /// Loads the first snapshot, then follows the feed until the process
    /// ends: on each notification, and every `poll_interval` regardless.
    pub fn follow(self: &Arc<Self>) {
        let catalog = self.clone();
        tokio::spawn(async move { catalog.listen().await });
        let catalog = self.clone();
        tokio::spawn(async move {
            // One warning when reading starts failing, not one per retry.
            let mut warned = false;
            loop {
                let result = {
                    let mut follower = catalog.follower.lock().await;
                    catalog.poll(&mut follower).await
                };
                match result {
                    Ok(()) => warned = false,
                    Err(e) => {
                        catalog.connected.store(false, Ordering::Release);
                        if !std::mem::replace(&mut warned, true) {
                            tracing::warn!(
                                error = %e,
                                loaded = catalog.is_loaded(),
                                "reading the catalog from the database failed; answering from the last applied state"
                            );
                        }
                    }
                }
                let _ =
                    tokio::time::timeout(catalog.options.poll_interval, catalog.wake.notified())
                        .await;
            }
        });
    }

    /// Keeps a listener on the feed's channel, reconnecting when it drops.
    /// A notification only wakes the follower: the feed says what changed.
    async fn listen(self: Arc<Self>) {
        loop {
            match catalog_feed::listen(&self.pool).await {
                Ok(mut listener) => {
                    // Whatever happened while no one listened is read now.
                    self.wake.notify_one();
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(_)) => self.wake.notify_one(),
                            Ok(None) => {
                                tracing::info!("the catalog listener lost its connection");
                                self.wake.notify_one();
                            }
                            Err(e) => {
                                tracing::info!(error = %e, "the catalog listener failed; reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "listening for catalog changes failed"),
            }
            tokio::time::sleep(self.options.poll_interval.min(Duration::from_millis(250))).await;
        }
    }

    /// One read of the feed (or a snapshot load), applied.
    async fn poll(&self, follower: &mut Follower) -> anyhow::Result<()> {
        let number = self.started.fetch_add(1, Ordering::AcqRel) + 1;
        let began = self.epoch.elapsed();
        let changes = match &follower.position {
            None => Changes::Reload,
            Some(position) => catalog_feed::changes(&self.pool, position).await?,
        };
        match changes {
            Changes::Reload => {
                let loading = Instant::now();
                // Rows are decoded here and stored on a thread of their
                // own, in batches, so that both cores work on a large load.
                let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<CatalogRow>>(8);
                let builder = tokio::task::spawn_blocking(move || {
                    let mut store = Store::default();
                    for batch in batches {
                        for row in &batch {
                            store.push(row);
                        }
                    }
                    let indexing = Instant::now();
                    store.finish();
                    (store, indexing.elapsed())
                });
                let mut batch = Vec::with_capacity(BATCH);
                let loaded = catalog_feed::snapshot(&self.pool, |row| {
                    batch.push(row);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        let _ = sender.send(full);
                    }
                })
                .await;
                let _ = sender.send(batch);
                drop(sender);
                let streamed = loading.elapsed();
                let (store, indexing) = builder.await?;
                let position = loaded?;
                let (items, bytes) = (store.items(), store.heap_bytes());
                let replaced = std::mem::replace(
                    &mut *self.store.write().unwrap_or_else(|e| e.into_inner()),
                    store,
                );
                // While a snapshot loads, the old one keeps answering: the
                // process holds both for a moment. Give the old one back.
                drop(replaced);
                crate::http::release_free_memory();
                tracing::info!(
                    items,
                    heap_mib = bytes / (1024 * 1024),
                    seconds = loading.elapsed().as_secs_f64(),
                    streamed_seconds = streamed.as_secs_f64(),
                    indexing_seconds = indexing.as_secs_f64(),
                    "catalog snapshot loaded"
                );
                self.version.store(position.below, Ordering::Release);
                follower.position = Some(position);
                self.snapshot_loads.fetch_add(1, Ordering::Relaxed);
                self.loaded.store(true, Ordering::Release);
            }
            Changes::Rows { rows, position } => {
                if !rows.is_empty() {
                    let mut store = self.store.write().unwrap_or_else(|e| e.into_inner());
                    for (identifier, row) in &rows {
                        store.apply(identifier, row.as_ref());
                    }
                    self.changes_applied
                        .fetch_add(rows.len() as u64, Ordering::Relaxed);
                }
                self.version.store(position.below, Ordering::Release);
                follower.position = Some(position);
            }
        }
        follower.completed = number;
        self.synced_at_ms
            .store(began.as_millis() as u64, Ordering::Release);
        if !self.connected.swap(true, Ordering::AcqRel) {
            tracing::info!("the catalog follows the database");
        }
        Ok(())
    }
}

/// Deletes change-feed rows older than `retention_secs` (whose transactions
/// have all ended); a replica that had not read them loads a snapshot.
/// Returns how many rows went.
pub async fn trim_feed(pool: &PgPool, retention_secs: u64) -> anyhow::Result<u64> {
    Ok(catalog_feed::trim(pool, retention_secs).await?)
}

/// A digest of catalog rows in identifier order: equal digests, equal
/// contents. The metrics listener serves a replica's; `database_digest`
/// computes the tables'.
pub fn digest(rows: &[catalog_feed::CatalogRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for row in rows {
        hasher.update(row.identifier.as_bytes());
        hasher.update([0]);
        for part in [&row.designs, &row.color_counts, &row.colors] {
            hasher.update((part.len() as u32).to_be_bytes());
            for v in part {
                hasher.update(v.to_be_bytes());
            }
        }
        hasher.update(row.signature.to_be_bytes());
        match &row.master_data {
            Some((status, price)) => {
                hasher.update(status.as_str().as_bytes());
                hasher.update(price.value().normalize().to_string().as_bytes());
            }
            None => hasher.update(b"-"),
        }
        hasher.update([0]);
    }
    format!("{:x}", hasher.finalize())
}

/// The number of items in the tables and their `digest`, read in one
/// snapshot.
pub async fn database_digest(pool: &PgPool) -> anyhow::Result<(usize, String)> {
    let mut rows = Vec::new();
    catalog_feed::snapshot(pool, |row| rows.push(row)).await?;
    rows.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok((rows.len(), digest(&rows)))
}
