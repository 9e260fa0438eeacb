//! The decision data of the whole catalog in flat arrays: per item (a
//! "slot") its identifier and bricks in shared arenas, its status, price
//! and signature; an exact index by signature and a contains index by
//! brick, each a list of slots in candidate order (status, price,
//! identifier), so that a lookup reads only the candidates it returns.
//!
//! Only items with master data are in the indexes: the others are no
//! candidates. Bricks are interned once (design and colours in one arena),
//! and items refer to them by number. Freed arena space is counted and
//! reclaimed by `compact` once it passes the live data.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use smallvec::SmallVec;

use crate::db::catalog_feed::CatalogRow;
use crate::domain::{Price, Status};

mod exact;
mod intern;
mod layout;
mod reconcile;
mod shortlist;
mod slots;

pub use reconcile::Reconciler;

use exact::ExactIndex;
use intern::{brick_hash, prefetch, InternTable};
use slots::{Interned, Span, NO_MASTER_DATA};

/// How many rows ahead `push_all` prefetches the interning table's entries
/// (and twice as far, the rows' arrays): far enough that they arrive before
/// the row is interned, near enough that they are still in the cache when
/// it is (a few dozen bricks in flight).
const PREFETCH_AHEAD: usize = 8;

#[derive(Default)]
pub struct Store {
    names: Vec<u8>,
    name_at: Vec<Span>,
    brick_refs: Vec<u32>,
    item_bricks: Vec<Span>,
    status: Vec<u8>,
    price: Vec<Price>,
    /// The price in ten-thousandths (prices have at most four decimals and
    /// are at most 1e9), which orders as the price does, cheaply.
    price_key: Vec<i64>,
    signature: Vec<u128>,
    free: Vec<u32>,
    by_name: HashTable<u32>,
    hasher: RandomState,
    /// Interned bricks: design id, then the colours.
    brick_values: Vec<i32>,
    brick_values_at: Vec<Span>,
    brick_by_value: InternTable,
    postings: Vec<Postings>,
    exact: ExactIndex,
    items: usize,
    garbage: usize,
}

/// The items that hold one brick, in order. Most bricks belong to a few
/// items, which are held inline: a million bricks are not a million
/// allocations.
pub(super) type Postings = SmallVec<[u32; 4]>;

/// Each of `row`'s bricks as the interning table holds its values: the
/// design, then its colours. Counts past the colours (which a stored row
/// cannot have) end the last brick early; a negative count is none.
fn each_brick(row: &CatalogRow, mut each: impl FnMut(&[i32])) {
    let mut colors = row.colors.iter();
    let mut values = SmallVec::<[i32; 8]>::new();
    for (&design, &n) in row.designs.iter().zip(&row.color_counts) {
        values.clear();
        values.push(design);
        values.extend(colors.by_ref().take(n.max(0) as usize).copied());
        each(&values);
    }
}

impl Store {
    /// A store of `rows`, as a snapshot load builds it (`push_all`,
    /// then `finish`); the tests compare it with a store kept by `apply`.
    #[cfg(test)]
    pub fn build(rows: impl IntoIterator<Item = CatalogRow>) -> Store {
        let mut store = Store::default();
        store.push_all(&rows.into_iter().collect::<Vec<_>>());
        store.finish();
        store
    }

    /// An empty store with room for about `items` items, so that a snapshot
    /// load does not grow (and rehash) its tables as rows arrive. A brick
    /// per item is reserved: catalogs share bricks between items.
    pub fn with_capacity(items: usize) -> Store {
        Store {
            names: Vec::with_capacity(items * 12),
            name_at: Vec::with_capacity(items),
            brick_refs: Vec::with_capacity(items * 3),
            item_bricks: Vec::with_capacity(items),
            status: Vec::with_capacity(items),
            price: Vec::with_capacity(items),
            price_key: Vec::with_capacity(items),
            signature: Vec::with_capacity(items),
            by_name: HashTable::with_capacity(items),
            brick_values: Vec::with_capacity(items * 2),
            brick_values_at: Vec::with_capacity(items),
            brick_by_value: InternTable::with_capacity(items),
            postings: Vec::with_capacity(items),
            ..Store::default()
        }
    }

    /// Adds rows to a store being built, unindexed (`finish` indexes them
    /// all), each while what a row further on will read is on its way to
    /// the cache: the row's arrays, then the interning table's entries.
    pub fn push_all(&mut self, rows: &[CatalogRow]) {
        for (at, row) in rows.iter().enumerate() {
            if let Some(ahead) = rows.get(at + 2 * PREFETCH_AHEAD) {
                // The row was decoded on another thread.
                prefetch(ahead.designs.as_ptr());
                prefetch(ahead.color_counts.as_ptr());
                prefetch(ahead.colors.as_ptr());
                prefetch(ahead.identifier.as_ptr());
            }
            if let Some(ahead) = rows.get(at + PREFETCH_AHEAD) {
                self.prefetch_bricks(ahead);
            }
            self.put(row, false);
        }
    }

    /// Asks for the interning table's entries that `row`'s bricks will
    /// probe. It reads the row as `put` does and changes nothing; a
    /// malformed row only prefetches less.
    fn prefetch_bricks(&self, row: &CatalogRow) {
        each_brick(row, |values| {
            self.brick_by_value
                .prefetch(brick_hash(&self.hasher, values))
        });
    }

    /// Indexes a store built with `push_all`.
    pub fn finish(&mut self) {
        self.index_all();
    }

    pub fn items(&self) -> usize {
        self.items
    }

    /// Heap bytes held, approximately (capacities, not lengths).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.names.capacity()
            + self.name_at.capacity() * size_of::<Span>()
            + self.brick_refs.capacity() * 4
            + self.item_bricks.capacity() * size_of::<Span>()
            + self.status.capacity()
            + self.price.capacity() * size_of::<Price>()
            + self.price_key.capacity() * 8
            + self.signature.capacity() * 16
            + self.by_name.capacity() * 5
            + self.brick_values.capacity() * 4
            + self.brick_values_at.capacity() * size_of::<Span>()
            + self.brick_by_value.slots() * size_of::<Interned>()
            + self.postings.capacity() * size_of::<Postings>()
            + self
                .postings
                .iter()
                .filter(|p| p.spilled())
                .map(|p| p.capacity() * 4)
                .sum::<usize>()
            + self.exact.heap_bytes()
    }

    /// Makes the store hold `row` for `identifier`, or nothing when `None`;
    /// the slot that holds it now. Slots never move (compaction rewrites
    /// only the arenas).
    pub fn apply(&mut self, identifier: &str, row: Option<&CatalogRow>) -> Option<u32> {
        if let Some(slot) = self.find(identifier) {
            self.unindex(slot);
            self.release(slot);
        }
        let slot = row.and_then(|row| self.put(row, true));
        if let Some(slot) = slot {
            self.index(slot);
        }
        if self.garbage > 1024 * 1024 && self.garbage > self.names.len() + self.brick_refs.len() {
            self.compact();
        }
        slot
    }

    /// The slot of `row`'s identifier when the store holds exactly `row`
    /// there (bricks in order, signature, status and price), without
    /// building anything.
    pub fn slot_holding(&self, row: &CatalogRow) -> Option<u32> {
        let slot = self.find(&row.identifier)?;
        let s = slot as usize;
        let master_data = (self.status[s] != NO_MASTER_DATA)
            .then(|| (Status::ALL[self.status[s] as usize], self.price[s]));
        if self.signature[s] != row.signature || master_data != row.master_data {
            return None;
        }
        let refs = &self.brick_refs[self.item_bricks[s].range()];
        if refs.len() != row.designs.len() {
            return None;
        }
        let mut colors = row.colors.iter();
        for ((&b, &design), &n) in refs.iter().zip(&row.designs).zip(&row.color_counts) {
            let values = &self.brick_values[self.brick_values_at[b as usize].range()];
            if values[0] != design
                || values.len() != n as usize + 1
                || !values[1..].iter().eq(colors.by_ref().take(n as usize))
            {
                return None;
            }
        }
        colors.next().is_none().then_some(slot)
    }

    /// Every item, as the rows it was built from, in identifier order.
    #[cfg(test)]
    pub fn rows(&self) -> Vec<CatalogRow> {
        let mut rows: Vec<CatalogRow> = (0..self.name_at.len() as u32)
            .filter(|&s| self.name_at[s as usize].len > 0)
            .map(|slot| self.row_at(slot))
            .collect();
        rows.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        rows
    }

    /// How many slots there are, live or free.
    pub fn slots(&self) -> usize {
        self.name_at.len()
    }

    /// The identifiers of the live items in `slots`.
    pub fn names_in(&self, slots: std::ops::Range<usize>) -> Vec<String> {
        let end = slots.end.min(self.name_at.len());
        (slots.start.min(end)..end)
            .filter(|&s| self.name_at[s].len > 0)
            .map(|s| self.name(s as u32).to_owned())
            .collect()
    }

    /// The item `identifier`, as the row it was built from.
    pub fn row_of(&self, identifier: &str) -> Option<CatalogRow> {
        self.find(identifier).map(|slot| self.row_at(slot))
    }

    fn row_at(&self, slot: u32) -> CatalogRow {
        let s = slot as usize;
        let (mut designs, mut color_counts, mut colors) = (vec![], vec![], vec![]);
        for &b in &self.brick_refs[self.item_bricks[s].range()] {
            let values = &self.brick_values[self.brick_values_at[b as usize].range()];
            designs.push(values[0]);
            color_counts.push(values.len() as i32 - 1);
            colors.extend_from_slice(&values[1..]);
        }
        CatalogRow {
            identifier: self.name(slot).to_owned(),
            designs,
            color_counts,
            colors,
            signature: self.signature[s],
            master_data: (self.status[s] != NO_MASTER_DATA)
                .then(|| (Status::ALL[self.status[s] as usize], self.price[s])),
        }
    }
}

#[cfg(test)]
mod tests;
