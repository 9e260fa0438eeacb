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

use hashbrown::HashTable;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

use crate::db::catalog_feed::CatalogRow;
use crate::db::preferred_item::Shortlist;
use crate::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, MatchMode, PreferredItemQuery, Price,
    Status,
};

/// `status` of an item without master data.
const NO_MASTER_DATA: u8 = u8::MAX;
const DISCONTINUED: u8 = Status::Discontinued as u8;

#[derive(Debug, Clone, Copy, Default)]
struct Span {
    at: u32,
    len: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.at as usize..(self.at + self.len) as usize
    }
}

/// Signatures are SHA-256 prefixes already: their first 8 bytes are the hash.
#[derive(Default)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = (value >> 64) as u64;
    }
}

type ExactIndex = HashMap<u128, Vec<u32>, BuildHasherDefault<PrefixHasher>>;

#[derive(Default)]
pub struct Store {
    names: Vec<u8>,
    name_at: Vec<Span>,
    brick_refs: Vec<u32>,
    bricks_at: Vec<Span>,
    status: Vec<u8>,
    price: Vec<Price>,
    signature: Vec<u128>,
    free: Vec<u32>,
    by_name: HashTable<u32>,
    hasher: RandomState,
    /// Interned bricks: design id, then the colours.
    brick_values: Vec<i32>,
    brick_at: Vec<Span>,
    brick_by_value: HashTable<u32>,
    postings: Vec<Vec<u32>>,
    exact: ExactIndex,
    items: usize,
    garbage: usize,
}

impl Store {
    /// A store of `rows`, indexed once at the end: the candidates are
    /// sorted once and appended to their lists in order.
    pub fn build(rows: impl IntoIterator<Item = CatalogRow>) -> Store {
        let mut store = Store::default();
        for row in rows {
            store.push(&row);
        }
        store.finish();
        store
    }

    /// Adds a row to a store being built; `finish` indexes them all.
    pub fn push(&mut self, row: &CatalogRow) {
        self.put(row);
    }

    /// Indexes a store built with `push`.
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
            + self.bricks_at.capacity() * size_of::<Span>()
            + self.status.capacity()
            + self.price.capacity() * size_of::<Price>()
            + self.signature.capacity() * 16
            + self.by_name.capacity() * 5
            + self.brick_values.capacity() * 4
            + self.brick_at.capacity() * size_of::<Span>()
            + self.brick_by_value.capacity() * 5
            + self.postings.capacity() * size_of::<Vec<u32>>()
            + self
                .postings
                .iter()
                .map(|p| p.capacity() * 4)
                .sum::<usize>()
            + self.exact.capacity() * (16 + size_of::<Vec<u32>>() + 1)
            + self.exact.values().map(|g| g.capacity() * 4).sum::<usize>()
    }

    /// Makes the store hold `row` for `identifier`, or nothing when `None`.
    pub fn apply(&mut self, identifier: &str, row: Option<&CatalogRow>) {
        if let Some(slot) = self.find(identifier) {
            self.unindex(slot);
            self.release(slot);
        }
        if let Some(row) = row {
            if let Some(slot) = self.put(row) {
                self.index(slot);
            }
        }
        if self.garbage > 1024 * 1024 && self.garbage > self.names.len() + self.brick_refs.len() {
            self.compact();
        }
    }

    /// Every item, as the rows it was built from, in identifier order.
    pub fn rows(&self) -> Vec<CatalogRow> {
        let mut rows: Vec<CatalogRow> = (0..self.name_at.len() as u32)
            .filter(|&s| self.name_at[s as usize].len > 0)
            .map(|slot| {
                let s = slot as usize;
                let (mut designs, mut color_counts, mut colors) = (vec![], vec![], vec![]);
                for &b in &self.brick_refs[self.bricks_at[s].range()] {
                    let values = &self.brick_values[self.brick_at[b as usize].range()];
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
            })
            .collect();
        rows.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        rows
    }

    /// The shortlist of one query: the first `alternatives + 1`
    /// candidates of each status, and how many candidates there are.
    pub fn shortlist(&self, query: &PreferredItemQuery) -> Shortlist {
        let take = query.shortlist_per_status() as usize;
        let include = query.include_discontinued;
        if query.match_mode == MatchMode::Exact {
            let signature = u128::from_be_bytes(
                query.bricks.signature().0[..16]
                    .try_into()
                    .expect("16 of 32 bytes"),
            );
            let list = self.exact.get(&signature).map_or(&[][..], Vec::as_slice);
            return self.ordered(list, include, take);
        }
        let mut wanted = Vec::new();
        for (brick, count) in query.bricks.counts() {
            match self.find_brick(brick) {
                Some(id) => wanted.push((id, count)),
                None => return Shortlist::default(),
            }
        }
        if let [(id, 1)] = wanted[..] {
            return self.ordered(&self.postings[id as usize], include, take);
        }
        let shortest = wanted
            .iter()
            .map(|&(id, _)| &self.postings[id as usize])
            .min_by_key(|list| list.len())
            .expect("a query has bricks");
        let mut shortlist = Shortlist::default();
        let mut taken = [0usize; 4];
        for &slot in shortest {
            let status = self.status[slot as usize];
            if (!include && status == DISCONTINUED) || !self.holds(slot, &wanted) {
                continue;
            }
            shortlist.total += 1;
            if taken[status as usize] < take {
                taken[status as usize] += 1;
                shortlist.candidates.push(self.candidate(slot));
            }
        }
        shortlist
    }

    /// The shortlist of a list in candidate order where every slot matches.
    fn ordered(&self, list: &[u32], include: bool, take: usize) -> Shortlist {
        let end = if include {
            list.len()
        } else {
            list.partition_point(|&s| self.status[s as usize] < DISCONTINUED)
        };
        let list = &list[..end];
        let mut candidates = Vec::new();
        let mut start = 0;
        while start < list.len() {
            let status = self.status[list[start] as usize];
            let len = list[start..].partition_point(|&s| self.status[s as usize] == status);
            candidates.extend(
                list[start..start + len.min(take)]
                    .iter()
                    .map(|&s| self.candidate(s)),
            );
            start += len;
        }
        Shortlist {
            candidates,
            total: end as u64,
        }
    }

    /// Whether the item in `slot` holds each wanted brick often enough.
    fn holds(&self, slot: u32, wanted: &[(u32, u32)]) -> bool {
        let refs = &self.brick_refs[self.bricks_at[slot as usize].range()];
        wanted
            .iter()
            .all(|&(id, n)| refs.iter().filter(|&&r| r == id).count() >= n as usize)
    }

    fn candidate(&self, slot: u32) -> Candidate {
        let s = slot as usize;
        let identifier = Identifier::parse(self.name(slot), "identifier")
            .expect("identifiers are checked when stored");
        let bricks = self.brick_refs[self.bricks_at[s].range()]
            .iter()
            .map(|&b| {
                let values = &self.brick_values[self.brick_at[b as usize].range()];
                let colors: Vec<i64> = values[1..].iter().map(|&c| i64::from(c)).collect();
                Brick::parse(i64::from(values[0]), &colors, "bricks")
                    .expect("bricks are checked when stored")
            })
            .collect();
        Candidate {
            item: Item {
                identifier: identifier.clone(),
                bricks: BrickSet::new(bricks).expect("brick counts are checked when stored"),
            },
            info: MasterData {
                identifier,
                status: Status::ALL[self.status[s] as usize],
                price: self.price[s],
            },
        }
    }

    fn name(&self, slot: u32) -> &str {
        let bytes = &self.names[self.name_at[slot as usize].range()];
        std::str::from_utf8(bytes).expect("identifiers are ASCII")
    }

    fn find(&self, identifier: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(identifier);
        self.by_name
            .find(hash, |&s| self.name(s) == identifier)
            .copied()
    }

    fn find_brick(&self, brick: &Brick) -> Option<u32> {
        let mut values = Vec::with_capacity(1 + brick.color_codes().len());
        values.push(brick.design_id());
        values.extend_from_slice(brick.color_codes());
        let hash = self.hasher.hash_one(&values[..]);
        self.brick_by_value
            .find(hash, |&b| {
                self.brick_values[self.brick_at[b as usize].range()] == values[..]
            })
            .copied()
    }

    fn intern_brick(&mut self, values: &[i32]) -> u32 {
        let hash = self.hasher.hash_one(values);
        let Store {
            brick_values,
            brick_at,
            brick_by_value,
            postings,
            hasher,
            ..
        } = self;
        let found = brick_by_value
            .find(hash, |&b| {
                brick_values[brick_at[b as usize].range()] == *values
            })
            .copied();
        found.unwrap_or_else(|| {
            let id = brick_at.len() as u32;
            brick_at.push(Span {
                at: brick_values.len() as u32,
                len: values.len() as u32,
            });
            brick_values.extend_from_slice(values);
            postings.push(Vec::new());
            brick_by_value.insert_unique(hash, id, |&b| {
                hasher.hash_one(&brick_values[brick_at[b as usize].range()])
            });
            id
        })
    }

    /// Stores a row in a free slot, unindexed. Rows that break the
    /// schema's rules (which the database enforces) are skipped.
    fn put(&mut self, row: &CatalogRow) -> Option<u32> {
        let well_formed = Identifier::parse(&row.identifier, "identifier").is_ok()
            && !row.designs.is_empty()
            && row.designs.len() <= BrickSet::MAX_LEN
            && row.designs.len() == row.color_counts.len()
            && row.color_counts.iter().all(|&n| n > 0)
            && row.color_counts.iter().map(|&n| n as usize).sum::<usize>() == row.colors.len();
        if !well_formed {
            tracing::error!(
                identifier = row.identifier,
                "a stored item breaks the schema's rules"
            );
            return None;
        }
        let mut colors = row.colors.iter();
        let mut refs = Vec::with_capacity(row.designs.len());
        let mut values = Vec::new();
        for (&design, &n) in row.designs.iter().zip(&row.color_counts) {
            values.clear();
            values.push(design);
            values.extend(colors.by_ref().take(n as usize));
            refs.push(self.intern_brick(&values));
        }
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
            None => (
                NO_MASTER_DATA,
                Price::from_decimal(1.into(), "price").expect("1 is a price"),
            ),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                let s = slot as usize;
                self.name_at[s] = name;
                self.bricks_at[s] = bricks;
                self.status[s] = status;
                self.price[s] = price;
                self.signature[s] = row.signature;
                slot
            }
            None => {
                self.name_at.push(name);
                self.bricks_at.push(bricks);
                self.status.push(status);
                self.price.push(price);
                self.signature.push(row.signature);
                (self.name_at.len() - 1) as u32
            }
        };
        let hash = self.hasher.hash_one(&row.identifier);
        let Store {
            by_name,
            names,
            name_at,
            hasher,
            ..
        } = self;
        by_name.insert_unique(hash, slot, |&s| {
            hasher.hash_one(std::str::from_utf8(&names[name_at[s as usize].range()]).unwrap_or(""))
        });
        self.items += 1;
        Some(slot)
    }

    fn release(&mut self, slot: u32) {
        let hash = self.hasher.hash_one(self.name(slot));
        if let Ok(entry) = self.by_name.find_entry(hash, |&s| s == slot) {
            entry.remove();
        }
        let s = slot as usize;
        self.garbage += self.name_at[s].len as usize + self.bricks_at[s].len as usize;
        self.name_at[s] = Span::default();
        self.bricks_at[s] = Span::default();
        self.status[s] = NO_MASTER_DATA;
        self.free.push(slot);
        self.items -= 1;
    }

    /// Whether slot `a` comes before slot `b` in candidate order.
    fn before(&self, a: u32, b: u32) -> bool {
        let (x, y) = (a as usize, b as usize);
        (self.status[x], self.price[x], self.name(a))
            < (self.status[y], self.price[y], self.name(b))
    }

    /// The distinct bricks of the item in `slot`.
    fn distinct_bricks(&self, slot: u32) -> Vec<u32> {
        let mut refs = self.brick_refs[self.bricks_at[slot as usize].range()].to_vec();
        refs.sort_unstable();
        refs.dedup();
        refs
    }

    fn index(&mut self, slot: u32) {
        if self.status[slot as usize] == NO_MASTER_DATA {
            return;
        }
        for brick in self.distinct_bricks(slot) {
            let list = &self.postings[brick as usize];
            let at = list.partition_point(|&s| self.before(s, slot));
            self.postings[brick as usize].insert(at, slot);
        }
        let signature = self.signature[slot as usize];
        let list = self.exact.get(&signature).map_or(&[][..], Vec::as_slice);
        let at = list.partition_point(|&s| self.before(s, slot));
        self.exact.entry(signature).or_default().insert(at, slot);
    }

    fn unindex(&mut self, slot: u32) {
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
        if let Some(list) = self.exact.get(&signature) {
            let at = list.partition_point(|&s| self.before(s, slot));
            let emptied = {
                let list = self.exact.get_mut(&signature).expect("present");
                if list.get(at) == Some(&slot) {
                    list.remove(at);
                }
                list.is_empty()
            };
            if emptied {
                self.exact.remove(&signature);
            }
        }
    }

    /// Builds both indexes from scratch: one sort of all candidates, then
    /// each appended to its lists in order.
    fn index_all(&mut self) {
        let mut order: Vec<u32> = (0..self.name_at.len() as u32)
            .filter(|&s| self.status[s as usize] != NO_MASTER_DATA)
            .collect();
        order.sort_unstable_by(|&a, &b| {
            let (x, y) = (a as usize, b as usize);
            (self.status[x], self.price[x], self.name(a)).cmp(&(
                self.status[y],
                self.price[y],
                self.name(b),
            ))
        });
        for list in &mut self.postings {
            list.clear();
        }
        self.exact.clear();
        for &slot in &order {
            let mut last = u32::MAX;
            let span = self.bricks_at[slot as usize];
            let mut refs = self.brick_refs[span.range()].to_vec();
            refs.sort_unstable();
            for brick in refs {
                if brick != last {
                    self.postings[brick as usize].push(slot);
                    last = brick;
                }
            }
            self.exact
                .entry(self.signature[slot as usize])
                .or_default()
                .push(slot);
        }
        for list in &mut self.postings {
            list.shrink_to_fit();
        }
        for list in self.exact.values_mut() {
            list.shrink_to_fit();
        }
    }

    /// Rewrites the arenas without the space of removed items.
    fn compact(&mut self) {
        let mut names = Vec::with_capacity(self.names.len() - self.garbage.min(self.names.len()));
        let mut refs = Vec::new();
        for s in 0..self.name_at.len() {
            let (name, bricks) = (self.name_at[s], self.bricks_at[s]);
            self.name_at[s].at = names.len() as u32;
            names.extend_from_slice(&self.names[name.range()]);
            self.bricks_at[s].at = refs.len() as u32;
            refs.extend_from_slice(&self.brick_refs[bricks.range()]);
        }
        self.names = names;
        self.brick_refs = refs;
        self.garbage = 0;
    }
}
