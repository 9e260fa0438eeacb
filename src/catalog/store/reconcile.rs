//! Bringing a loaded store to a snapshot in place, a batch of rows at a
//! time, instead of building a second store beside it: an item the store
//! holds exactly is only marked seen, another is applied, and once the
//! snapshot has streamed, the items it did not hold are removed. Memory
//! grows by what changed, not by a second copy of the catalog, and each
//! batch holds the store's lock only for its own rows.

use super::Store;
use crate::db::catalog_feed::CatalogRow;

/// Which of the store's slots the snapshot held, and what changed.
pub struct Reconciler {
    /// Slots that were live when reconciling began and that the snapshot
    /// holds. Slots used later (by new or changed items) are never
    /// removed, whatever this says of them.
    seen: Vec<bool>,
    pub changed: u64,
}

impl Reconciler {
    pub fn new(store: &Store) -> Reconciler {
        Reconciler {
            seen: vec![false; store.slots()],
            changed: 0,
        }
    }

    /// Makes `store` hold each of `rows`.
    pub fn apply(&mut self, store: &mut Store, rows: &[CatalogRow]) {
        for row in rows {
            let slot = match store.slot_holding(row) {
                Some(slot) => Some(slot),
                None => {
                    self.changed += 1;
                    store.apply(&row.identifier, Some(row))
                }
            };
            if let Some(seen) = slot.and_then(|s| self.seen.get_mut(s as usize)) {
                *seen = true;
            }
        }
    }

    /// The identifiers among `slots` that the store held when reconciling
    /// began and the snapshot did not: those to remove.
    pub fn gone(&self, store: &Store, slots: std::ops::Range<usize>) -> Vec<String> {
        let end = slots.end.min(self.seen.len());
        (slots.start.min(end)..end)
            .filter(|&s| !self.seen[s])
            .flat_map(|s| store.names_in(s..s + 1))
            .collect()
    }

    /// How many slots `gone` may be asked about.
    pub fn slots(&self) -> usize {
        self.seen.len()
    }
}
