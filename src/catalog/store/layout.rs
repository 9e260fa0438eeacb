//! The store's building blocks and its upkeep: interning, slots, the
//! candidate order and the two indexes.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

use smallvec::SmallVec;

use super::intern::brick_hash;
use super::slots::{price_key, Interned, Lookup, Span, NO_MASTER_DATA};
use super::{each_brick, Postings, Store};
use crate::db::catalog_feed::CatalogRow;
use crate::domain::{Brick, BrickSet, Identifier, Price};

impl Store {
    pub(super) fn name(&self, slot: u32) -> &str {
        std::str::from_utf8(self.name_bytes(slot)).expect("identifiers are ASCII")
    }

    pub(super) fn find(&self, identifier: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(identifier);
        self.by_name
            .find(hash, |&s| self.name(s) == identifier)
            .copied()
    }

    pub(super) fn find_brick(&self, brick: &Brick) -> Option<u32> {
        let mut values = SmallVec::<[i32; 8]>::new();
        values.push(brick.design_id());
        values.extend_from_slice(brick.color_codes());
        self.interned(&values).id
    }

    /// Looks a brick's values up; a brick of one colour, in the table alone.
    fn interned(&self, values: &[i32]) -> Lookup {
        let hash = brick_hash(&self.hasher, values);
        let head = Interned::head(values);
        let found = self.brick_by_value.find(hash, |entry| {
            entry.head == head
                && (values.len() == 2
                    || self.brick_values[self.brick_values_at[entry.id as usize].range()]
                        == *values)
        });
        let id = found.map(|entry| entry.id);
        Lookup { hash, head, id }
    }

    pub(super) fn intern_brick(&mut self, values: &[i32]) -> u32 {
        let Lookup { hash, head, id } = self.interned(values);
        if let Some(id) = id {
            return id;
        }
        let Store {
            brick_values,
            brick_values_at,
            brick_by_value,
            postings,
            hasher,
            ..
        } = self;
        let id = brick_values_at.len() as u32;
        brick_values_at.push(Span {
            at: brick_values.len() as u32,
            len: values.len() as u32,
        });
        brick_values.extend_from_slice(values);
        postings.push(Postings::new());
        brick_by_value.insert(hash, Interned { id, head }, |entry| {
            brick_hash(
                hasher,
                &brick_values[brick_values_at[entry.id as usize].range()],
            )
        });
        id
    }

    /// Stores a row in a free slot, unindexed, and names it (`by_name`)
    /// when `named`; a snapshot build leaves naming to `index_all`. Rows
    /// that break the schema's rules (which the database enforces) are
    /// skipped.
    pub(super) fn put(&mut self, row: &CatalogRow, named: bool) -> Option<u32> {
        let well_formed = Identifier::parse(&row.identifier, "identifier").is_ok()
            && !row.designs.is_empty()
            && row.designs.len() <= BrickSet::MAX_LEN
            && row.designs.len() == row.color_counts.len()
            && row.color_counts.iter().all(|&n| n > 0)
            && row.color_counts.iter().map(|&n| n as usize).sum::<usize>() == row.colors.len()
            && row.designs.iter().chain(&row.colors).all(|&id| id >= 0);
        if !well_formed {
            tracing::error!(
                identifier = row.identifier,
                "a stored item breaks the schema's rules"
            );
            return None;
        }
        let mut refs = Vec::with_capacity(row.designs.len());
        each_brick(row, |values| refs.push(self.intern_brick(values)));
        let name = Span {
            at: self.names.len() as u32,
            len: row.identifier.len() as u32,
        };
        self.names.extend_from_slice(row.identifier.as_bytes());
        let bricks = Span {
            at: self.brick_refs.len() as u32,
            len: refs.len() as u32,
        };
        self.brick_refs.extend_from_slice(&refs);
        let (status, price) = match row.master_data {
            Some((status, price)) => (status as u8, price),
            None => (NO_MASTER_DATA, self.placeholder_price()),
        };
        let key = price_key(price);
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = slot as usize;
                self.name_at[s] = name;
                self.item_bricks[s] = bricks;
                self.status[s] = status;
                self.price[s] = price;
                self.price_key[s] = key;
                self.signature[s] = row.signature;
                slot
            }
            None => {
                self.name_at.push(name);
                self.item_bricks.push(bricks);
                self.status.push(status);
                self.price.push(price);
                self.price_key.push(key);
                self.signature.push(row.signature);
                (self.name_at.len() - 1) as u32
            }
        };
        if named {
            let Store {
                by_name,
                names,
                name_at,
                hasher,
                ..
            } = self;
            name_slot(by_name, hasher, names, name_at, slot);
        }
        self.items += 1;
        Some(slot)
    }

    pub(super) fn release(&mut self, slot: u32) {
        let hash = self.hasher.hash_one(self.name(slot));
        if let Ok(entry) = self.by_name.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        let s = slot as usize;
        self.garbage += self.name_at[s].len as usize + self.item_bricks[s].len as usize;
        self.name_at[s] = Span::default();
        self.item_bricks[s] = Span::default();
        self.status[s] = NO_MASTER_DATA;
        self.free.push(slot);
        self.items -= 1;
    }

    /// The order of candidates: status, price, identifier (bytes).
    pub(super) fn order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let (x, y) = (a as usize, b as usize);
        (self.status[x], self.price_key[x])
            .cmp(&(self.status[y], self.price_key[y]))
            .then_with(|| self.name_bytes(a).cmp(self.name_bytes(b)))
    }

    /// Whether slot `a` comes before slot `b` in candidate order.
    pub(super) fn before(&self, a: u32, b: u32) -> bool {
        self.order(a, b).is_lt()
    }

    pub(super) fn name_bytes(&self, slot: u32) -> &[u8] {
        &self.names[self.name_at[slot as usize].range()]
    }

    pub(super) fn placeholder_price(&self) -> Price {
        self.price
            .first()
            .copied()
            .unwrap_or_else(|| Price::from_decimal(1.into(), "price").expect("1 is a price"))
    }

    /// The distinct bricks of the item in `slot`.
    pub(super) fn distinct_bricks(&self, slot: u32) -> Vec<u32> {
        let mut refs = self.brick_refs[self.item_bricks[slot as usize].range()].to_vec();
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    pub(super) fn index(&mut self, slot: u32) {
        if self.status[slot as usize] == NO_MASTER_DATA {
            return;
        }
        for brick in self.distinct_bricks(slot) {
            let list = &self.postings[brick as usize];
            let at = list.partition_point(|&s| self.before(s, slot));
            self.postings[brick as usize].insert(at, slot);
        }
        let signature = self.signature[slot as usize];
        let at = self
            .exact
            .get(signature, &self.signature)
            .partition_point(|&s| self.before(s, slot));
        self.exact.insert(slot, at, &self.signature);
    }

    pub(super) fn unindex(&mut self, slot: u32) {
        if self.status[slot as usize] == NO_MASTER_DATA {
            return;
        }
        for brick in self.distinct_bricks(slot) {
            let list = &self.postings[brick as usize];
            let at = list.partition_point(|&s| self.before(s, slot));
            if list.get(at) == Some(&slot) {
                self.postings[brick as usize].remove(at);
            }
        }
        let signature = self.signature[slot as usize];
        let list = self.exact.get(signature, &self.signature);
        let at = list.partition_point(|&s| self.before(s, slot));
        if list.get(at) == Some(&slot) {
            self.exact.remove(signature, at, &self.signature);
        }
    }

    /// Builds the name table and both indexes from scratch: one sort of
    /// all candidates, then each appended to its lists in order.
    pub(super) fn index_all(&mut self) {
        // Status and price packed in one key (prices stay below 2^44
        // ten-thousandths), sorted; then runs of equal keys by identifier.
        let mut keyed: Vec<(u64, u32)> = (0..self.name_at.len() as u32)
            .filter(|&s| self.status[s as usize] != NO_MASTER_DATA)
            .map(|s| {
                let key = (u64::from(self.status[s as usize]) << 56)
                    | self.price_key[s as usize].max(0) as u64;
                (key, s)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(key, _)| key);
        let mut order: Vec<u32> = keyed.iter().map(|&(_, s)| s).collect();
        let mut start = 0;
        while start < keyed.len() {
            let len = keyed[start..].partition_point(|&(key, _)| key == keyed[start].0);
            if len > 1 {
                order[start..start + len]
                    .sort_unstable_by(|&a, &b| self.name_bytes(a).cmp(self.name_bytes(b)));
            }
            start += len;
        }
        drop(keyed);
        // The name table and the two indexes are built side by side: they
        // share only what they read.
        let Store {
            postings,
            exact,
            item_bricks,
            brick_refs,
            signature,
            by_name,
            names,
            name_at,
            hasher,
            items,
            ..
        } = self;
        let (item_bricks, brick_refs, signature) = (&*item_bricks, &*brick_refs, &*signature);
        let (names, name_at, hasher) = (&*names, &*name_at, &*hasher);
        let order = &order;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                by_name.clear();
                by_name.reserve(*items, |&s| name_hash(hasher, names, name_at, s));
                // Released slots have no name (identifiers are never empty).
                for slot in (0..name_at.len() as u32).filter(|&s| name_at[s as usize].len > 0) {
                    name_slot(by_name, hasher, names, name_at, slot);
                }
            });
            scope.spawn(move || {
                exact.clear();
                exact.reserve(order.len(), signature);
                for &slot in order {
                    exact.push(slot, signature);
                }
                exact.shrink_groups();
            });
            for list in postings.iter_mut() {
                list.clear();
            }
            let mut refs = Vec::new();
            for &slot in order {
                let mut last = u32::MAX;
                refs.clear();
                refs.extend_from_slice(&brick_refs[item_bricks[slot as usize].range()]);
                refs.sort_unstable();
                for &brick in &refs {
                    if brick != last {
                        postings[brick as usize].push(slot);
                        last = brick;
                    }
                }
            }
            for list in postings.iter_mut() {
                list.shrink_to_fit();
            }
        });
    }

    /// Rewrites the arenas without the space of removed items.
    pub(super) fn compact(&mut self) {
        let mut names = Vec::with_capacity(self.names.len() - self.garbage.min(self.names.len()));
        let mut refs = Vec::new();
        for s in 0..self.name_at.len() {
            let (name, bricks) = (self.name_at[s], self.item_bricks[s]);
            self.name_at[s].at = names.len() as u32;
            names.extend_from_slice(&self.names[name.range()]);
            self.item_bricks[s].at = refs.len() as u32;
            refs.extend_from_slice(&self.brick_refs[bricks.range()]);
        }
        self.names = names;
        self.brick_refs = refs;
        self.garbage = 0;
    }
}

/// The hash of the name of `slot`, for the name table.
fn name_hash(hasher: &RandomState, names: &[u8], name_at: &[Span], slot: u32) -> u64 {
    hasher.hash_one(std::str::from_utf8(&names[name_at[slot as usize].range()]).unwrap_or(""))
}

/// Enters `slot` in the name table under its name.
fn name_slot(
    by_name: &mut HashTable<u32>,
    hasher: &RandomState,
    names: &[u8],
    name_at: &[Span],
    slot: u32,
) {
    let hash = name_hash(hasher, names, name_at, slot);
    by_name.insert_unique(hash, slot, |&s| name_hash(hasher, names, name_at, s));
}
