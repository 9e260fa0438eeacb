//! Loading a snapshot: the first one builds the store from scratch; later
//! ones (after a bulk load, a `TRUNCATE`, trimmed rows or another history)
//! bring the loaded store to the snapshot in place (`Reconciler`), so that
//! the process never holds two copies of the catalog and readers wait for
//! one small batch at a time, never for the whole load.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::store::{Reconciler, Store};
use super::MemoryCatalog;
use crate::db::catalog_feed::FeedConnection;

use super::follower::bounded;
use crate::db::catalog_feed::{self, CatalogRow, Position};

/// Rows per batch handed from the snapshot reader to the store builder.
const BATCH: usize = 4096;
/// Rows applied per hold of the store's lock while reconciling: small, so
/// that an answer never waits long behind a batch of changed items.
const RECONCILE_BATCH: usize = 512;
/// Slots looked at per hold of the store's read lock while collecting the
/// items a snapshot no longer holds.
const SLICE: usize = 4096;

impl MemoryCatalog {
    /// Builds a store from a snapshot and puts it in place. Rows are
    /// decoded here and stored on a thread of their own, in batches, so
    /// that both cores work on a large load.
    pub(super) async fn load_fresh(&self, conn: &mut FeedConnection) -> anyhow::Result<Position> {
        let loading = Instant::now();
        let hint = bounded(
            self.options.snapshot_timeout,
            catalog_feed::estimated_items(conn),
        )
        .await?;
        let (sender, batches) = std::sync::mpsc::sync_channel::<Vec<CatalogRow>>(8);
        // Stored batches go back to the reader, which decodes the next
        // rows into their rows' room.
        let (give_back, spent) = std::sync::mpsc::sync_channel::<Vec<CatalogRow>>(8);
        let builder = tokio::task::spawn_blocking(move || {
            let mut store = Store::with_capacity(hint);
            for batch in batches {
                store.push_all(&batch);
                let _ = give_back.try_send(batch);
            }
            let indexing = Instant::now();
            store.finish();
            (store, indexing.elapsed())
        });
        let mut batch = Vec::with_capacity(BATCH);
        // Rows of stored batches, whose strings and arrays the next rows
        // are decoded into: once the first batches have come back, a row
        // allocates only where it is longer than the one it replaces.
        let mut spares: Vec<CatalogRow> = Vec::new();
        // The closure owns `spent` (a receiver is not `Sync`, and the
        // snapshot future must be `Send`) and `spares`, and borrows the
        // rest.
        let (filling, full_to) = (&mut batch, &sender);
        let loaded = bounded(
            self.options.snapshot_timeout,
            catalog_feed::snapshot(conn, move |row| {
                filling.push(std::mem::replace(row, spares.pop().unwrap_or_default()));
                if filling.len() == BATCH {
                    let mut next = match spent.try_recv() {
                        Ok(mut returned) => {
                            spares.append(&mut returned);
                            returned
                        }
                        Err(_) => Vec::new(),
                    };
                    next.reserve(BATCH);
                    let _ = full_to.send(std::mem::replace(filling, next));
                }
            }),
        )
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
        drop(replaced);
        crate::heap::release_free_memory();
        tracing::info!(
            items,
            heap_mib = bytes / (1024 * 1024),
            seconds = loading.elapsed().as_secs_f64(),
            streamed_seconds = streamed.as_secs_f64(),
            indexing_seconds = indexing.as_secs_f64(),
            "catalog snapshot loaded"
        );
        Ok(position)
    }

    /// Brings the loaded store to a snapshot in place. While it runs,
    /// answers see each item either as it was or as the snapshot holds it;
    /// the catalog version moves only when it is done. A read that fails
    /// half-way leaves the position where it was, so the next read loads
    /// the snapshot again.
    pub(super) async fn reconcile(&self, conn: &mut FeedConnection) -> anyhow::Result<Position> {
        let loading = Instant::now();
        let write = || self.store.write().unwrap_or_else(|e| e.into_inner());
        let mut reconciler = Reconciler::new(&self.store.read().unwrap_or_else(|e| e.into_inner()));
        let mut batch = Vec::with_capacity(RECONCILE_BATCH);
        let position = bounded(
            self.options.snapshot_timeout,
            catalog_feed::snapshot(conn, |row| {
                batch.push(std::mem::take(row));
                if batch.len() == RECONCILE_BATCH {
                    reconciler.apply(&mut write(), &batch);
                    batch.clear();
                }
            }),
        )
        .await?;
        reconciler.apply(&mut write(), &batch);
        let mut gone = Vec::new();
        for start in (0..reconciler.slots()).step_by(SLICE) {
            let store = self.store.read().unwrap_or_else(|e| e.into_inner());
            gone.extend(reconciler.gone(&store, start..start + SLICE));
        }
        for names in gone.chunks(RECONCILE_BATCH) {
            let mut store = write();
            for name in names {
                store.apply(name, None);
            }
        }
        let (items, bytes) = {
            let store = self.store.read().unwrap_or_else(|e| e.into_inner());
            (store.items(), store.heap_bytes())
        };
        tracing::info!(
            items,
            changed = reconciler.changed,
            removed = gone.len(),
            heap_mib = bytes / (1024 * 1024),
            seconds = loading.elapsed().as_secs_f64(),
            "catalog snapshot loaded in place"
        );
        self.changes_applied
            .fetch_add(reconciler.changed + gone.len() as u64, Ordering::Relaxed);
        Ok(position)
    }
}
