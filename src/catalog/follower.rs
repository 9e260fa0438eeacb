//! The follower: loads a snapshot, then reads the change feed on every
//! notification and every `poll_interval`. `startup`'s supervisor runs
//! `follow` and `listen` as background tasks.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{Follower, MemoryCatalog};
use crate::db::catalog_feed::FeedConnection;
use crate::db::catalog_feed::{self, Changes};
use crate::db::failover;

impl MemoryCatalog {
    /// Loads the first snapshot, then follows the feed until dropped: on
    /// each notification (see `listen`), and every `poll_interval`
    /// regardless.
    pub async fn follow(self: Arc<Self>) {
        let catalog = self;
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
                    if let Some(e) = e.downcast_ref::<sqlx::Error>() {
                        failover::note(e);
                    }
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
                tokio::time::timeout(catalog.options.poll_interval, catalog.wake.notified()).await;
        }
    }

    /// Keeps a listener on the feed's channel, reconnecting when it drops
    /// and when the pool's connections are marked stale (a failover: the
    /// listener's connection may be on the old server). A notification
    /// only wakes the follower: the feed says what changed. A lost
    /// connection marks the catalog disconnected at once, until the
    /// follower's next read succeeds.
    pub async fn listen(self: Arc<Self>) {
        let mut marks = failover::marks();
        loop {
            marks.mark_unchanged();
            match catalog_feed::listen(&self.pool).await {
                Ok(mut listener) => {
                    // Whatever happened while no one listened is read now.
                    self.wake.notify_one();
                    loop {
                        let received = tokio::select! {
                            received = listener.try_recv() => received,
                            _ = marks.changed() => {
                                tracing::info!("the catalog listener reconnects after a failover");
                                break;
                            }
                        };
                        match received {
                            Ok(Some(_)) => self.wake.notify_one(),
                            Ok(None) => {
                                tracing::info!("the catalog listener lost its connection");
                                self.connected.store(false, Ordering::Release);
                                self.wake.notify_one();
                            }
                            Err(e) => {
                                tracing::info!(error = %e, "the catalog listener failed; reconnecting");
                                self.connected.store(false, Ordering::Release);
                                failover::note(&e);
                                self.wake.notify_one();
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

    /// One read of the feed (or a snapshot load), applied, on the
    /// follower's own connection; a failed read closes it.
    pub(super) async fn poll(&self, follower: &mut Follower) -> anyhow::Result<()> {
        let result = self.poll_on(follower).await;
        if result.is_err() {
            follower.connection = None;
        }
        result
    }

    /// The follower's connection: the open one, unless a failover mark
    /// came since it was opened.
    async fn connection<'f>(
        &self,
        held: &'f mut Option<(FeedConnection, u64)>,
    ) -> anyhow::Result<&'f mut FeedConnection> {
        let generation = failover::generation();
        if held
            .as_ref()
            .is_some_and(|(_, opened)| *opened != generation)
        {
            *held = None;
        }
        if held.is_none() {
            let options = (*self.pool.connect_options()).clone();
            let connection =
                bounded(self.options.read_timeout, FeedConnection::open(&options)).await?;
            *held = Some((connection, generation));
        }
        Ok(&mut held.as_mut().expect("connected above").0)
    }

    async fn poll_on(&self, follower: &mut Follower) -> anyhow::Result<()> {
        let number = self.started.fetch_add(1, Ordering::AcqRel) + 1;
        let began = self.epoch.elapsed();
        let conn = self.connection(&mut follower.connection).await?;
        let changes = match &follower.position {
            None => Changes::Reload,
            Some(position) => {
                bounded(
                    self.options.read_timeout,
                    catalog_feed::changes(conn, position),
                )
                .await?
            }
        };
        match changes {
            Changes::Reload => {
                let position = if self.is_loaded() {
                    self.reconcile(conn).await?
                } else {
                    self.load_fresh(conn).await?
                };
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

/// A read of the follower's that took longer than its bound: the replica
/// is not known to be current. Not a sign of a lost server by itself (a
/// read may be slow under load), so it marks nothing: only the follower's
/// own connection is closed.
#[derive(Debug, thiserror::Error)]
#[error("a read of the catalog took longer than {0:?}")]
pub(super) struct ReadTimedOut(pub Duration);

/// `work` within `bound`, else `ReadTimedOut`.
pub(super) async fn bounded<T>(
    bound: Duration,
    work: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(bound, work).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(ReadTimedOut(bound).into()),
    }
}
