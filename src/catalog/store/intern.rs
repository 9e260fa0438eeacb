//! The table that finds an interned brick by its values: open addressing
//! with linear probing over the 12-byte `Interned` entries.
//!
//! Bricks are never removed from it (their ids are permanent), so the table
//! needs no deletion markers, and it is its own rather than a general hash
//! table's for one reason: a snapshot build can ask for the entries that
//! rows further on will probe (`Store::push_all`) before it needs
//! them. At a million items the table is larger than the caches, and a
//! probe that has to wait for memory was the largest single cost of a
//! snapshot load on its building thread.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;

use super::slots::Interned;

/// An entry that no brick holds: its id is one no brick gets.
const VACANT: Interned = Interned {
    id: u32::MAX,
    head: [0, 0],
};
const EMPTY: u32 = VACANT.id;

#[derive(Default)]
pub(super) struct InternTable {
    /// A power of two long (or empty); at most three quarters are taken.
    entries: Vec<Interned>,
    len: usize,
}

impl InternTable {
    /// A table with room for `bricks` bricks before it grows.
    pub(super) fn with_capacity(bricks: usize) -> InternTable {
        let mut table = InternTable::default();
        if bricks > 0 {
            table.entries = vec![VACANT; slots_for(bricks)];
        }
        table
    }

    /// How many entries it holds room for, taken or not.
    pub(super) fn slots(&self) -> usize {
        self.entries.len()
    }

    fn start(&self, hash: u64) -> usize {
        hash as usize & (self.entries.len() - 1)
    }

    /// The entry of the brick with `hash` for which `eq` holds.
    pub(super) fn find(&self, hash: u64, eq: impl Fn(&Interned) -> bool) -> Option<&Interned> {
        if self.entries.is_empty() {
            return None;
        }
        let mask = self.entries.len() - 1;
        let mut at = self.start(hash);
        loop {
            let entry = &self.entries[at];
            if entry.id == EMPTY {
                return None;
            }
            if eq(entry) {
                return Some(entry);
            }
            at = (at + 1) & mask;
        }
    }

    /// Enters a brick that `find` did not find. `rehash` gives the hash of
    /// an entry already in the table, for when the table grows.
    pub(super) fn insert(&mut self, hash: u64, entry: Interned, rehash: impl Fn(&Interned) -> u64) {
        assert!(entry.id != EMPTY, "a brick id is below u32::MAX");
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            let slots = slots_for(self.len + 1).max(self.entries.len() * 2);
            let old = std::mem::replace(&mut self.entries, vec![VACANT; slots]);
            for kept in old.into_iter().filter(|e| e.id != EMPTY) {
                self.place(rehash(&kept), kept);
            }
        }
        self.place(hash, entry);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, entry: Interned) {
        let mask = self.entries.len() - 1;
        let mut at = self.start(hash);
        while self.entries[at].id != EMPTY {
            at = (at + 1) & mask;
        }
        self.entries[at] = entry;
    }

    /// Asks for the entry where a probe for `hash` starts.
    pub(super) fn prefetch(&self, hash: u64) {
        if !self.entries.is_empty() {
            prefetch(&self.entries[self.start(hash)]);
        }
    }
}

/// Asks the processor to bring the cache line that holds `value` into its
/// cache, without waiting for it. Elsewhere than on x86-64 it does nothing.
pub(super) fn prefetch<T>(value: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it reads nothing into the program
    // and cannot fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(value.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The hash under which the table holds a brick's values (its design,
/// then its colours): one definition for lookups, growth and prefetching,
/// which must agree.
pub(super) fn brick_hash(hasher: &RandomState, values: &[i32]) -> u64 {
    hasher.hash_one(values)
}

/// A power of two with room for `bricks` at three quarters full.
fn slots_for(bricks: usize) -> usize {
    (bricks + bricks / 3 + 1).next_power_of_two().max(16)
}

#[cfg(test)]
mod tests;
