//! Shortlists read from the store: the slots that match a query, in
//! candidate order, and of those only the ones the strategy can prefer,
//! built into candidates.

use smallvec::SmallVec;

use super::slots::DISCONTINUED;
use super::Store;
use crate::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, MatchMode, PreferredItemQuery,
    Shortlist, SortKey, Status, Strategy, StrategyKind,
};

/// Whether `strategy` chooses among the first candidates of each status
/// (score), or among the first candidates overall (rank: its order is the
/// store's own).
fn per_status(strategy: &Strategy) -> bool {
    strategy.kind() != StrategyKind::Rank
}

/// The slots a shortlist is chosen from: at most `alternatives + 1` of
/// each status, usually a handful.
type Slots = SmallVec<[u32; 16]>;

impl Store {
    /// The shortlist of one query for `strategy`: the `alternatives + 1`
    /// candidates its decision can use, and how many candidates there are.
    /// They are chosen among the first `alternatives + 1` of each status
    /// (for the rank strategy, whose order is the store's own, the first
    /// `alternatives + 1` overall), by the strategy's own order, before any
    /// is built.
    pub fn shortlist(&self, query: &PreferredItemQuery, strategy: &Strategy) -> Shortlist {
        let take = query.shortlist_per_status() as usize;
        let include = query.include_discontinued;
        let per_status = per_status(strategy);
        if query.match_mode == MatchMode::Exact {
            let signature = u128::from_be_bytes(
                query.bricks.signature().0[..16]
                    .try_into()
                    .expect("16 of 32 bytes"),
            );
            let list = self.exact.get(signature, &self.signature);
            return self.ordered(list, include, take, strategy);
        }
        let mut wanted = Vec::new();
        for (brick, count) in query.bricks.counts() {
            match self.find_brick(brick) {
                Some(id) => wanted.push((id, count)),
                None => return Shortlist::default(),
            }
        }
        if let [(id, 1)] = wanted[..] {
            return self.ordered(&self.postings[id as usize], include, take, strategy);
        }
        // Walk the rarest brick's list, and check the rarer bricks first:
        // most candidates fail on the first brick they lack.
        wanted.sort_by_key(|&(id, _)| self.postings[id as usize].len());
        let shortest = &self.postings[wanted[0].0 as usize];
        let mut total = 0;
        let mut slots = Slots::new();
        let mut taken = [0usize; 4];
        for &slot in shortest {
            let status = self.status[slot as usize];
            if (!include && status == DISCONTINUED) || !self.holds(slot, &wanted) {
                continue;
            }
            total += 1;
            let counter = if per_status { status as usize } else { 0 };
            if taken[counter] < take {
                taken[counter] += 1;
                slots.push(slot);
            }
        }
        Shortlist {
            candidates: self.chosen(slots, take, strategy),
            total,
        }
    }

    /// The shortlist of a list in candidate order where every slot matches.
    fn ordered(&self, list: &[u32], include: bool, take: usize, strategy: &Strategy) -> Shortlist {
        let end = if include {
            list.len()
        } else {
            list.partition_point(|&s| self.status[s as usize] < DISCONTINUED)
        };
        let list = &list[..end];
        let slots = if !per_status(strategy) {
            list.iter().take(take).copied().collect()
        } else {
            // At most `take` of each of the four statuses.
            let mut slots = Slots::new();
            let mut start = 0;
            while start < list.len() {
                let status = self.status[list[start] as usize];
                let len = list[start..].partition_point(|&s| self.status[s as usize] == status);
                slots.extend_from_slice(&list[start..start + len.min(take)]);
                start += len;
            }
            slots
        };
        Shortlist {
            candidates: self.chosen(slots, take, strategy),
            total: end as u64,
        }
    }

    /// The candidates of `slots` that `strategy` prefers, at most `take`:
    /// the only ones its decision can use. The others are never built.
    /// Each slot's key is read once, not once per comparison: at millions
    /// of items each read is a few cache misses.
    fn chosen(&self, slots: Slots, take: usize, strategy: &Strategy) -> Vec<Candidate> {
        if slots.len() <= take {
            return slots
                .iter()
                .map(|&s| self.candidate(s, self.name(s)))
                .collect();
        }
        let mut keyed: SmallVec<[(SortKey<'_>, u32); 16]> =
            slots.iter().map(|&s| (self.sort_key(s), s)).collect();
        keyed.sort_unstable_by(|a, b| strategy.compare_keys(a.0, b.0));
        keyed[..take]
            .iter()
            .map(|&(key, s)| self.candidate(s, key.identifier))
            .collect()
    }

    fn sort_key(&self, slot: u32) -> SortKey<'_> {
        let s = slot as usize;
        SortKey {
            status: Status::ALL[self.status[s] as usize],
            price: self.price[s],
            identifier: self.name(slot),
        }
    }

    /// Whether the item in `slot` holds each wanted brick often enough.
    fn holds(&self, slot: u32, wanted: &[(u32, u32)]) -> bool {
        let refs = &self.brick_refs[self.item_bricks[slot as usize].range()];
        wanted
            .iter()
            .all(|&(id, n)| refs.iter().filter(|&&r| r == id).count() >= n as usize)
    }

    /// The candidate in `slot`, whose identifier (`self.name(slot)`) the
    /// caller has already read.
    fn candidate(&self, slot: u32, name: &str) -> Candidate {
        let s = slot as usize;
        let identifier =
            Identifier::parse(name, "identifier").expect("identifiers are checked when stored");
        let bricks = self.brick_refs[self.item_bricks[s].range()]
            .iter()
            .map(|&b| {
                let values = &self.brick_values[self.brick_values_at[b as usize].range()];
                Brick::from_stored(values[0], &values[1..]).expect("bricks are checked when stored")
            })
            .collect();
        Candidate {
            item: Item {
                identifier: identifier.clone(),
                bricks: BrickSet::new(bricks).expect("brick counts are checked when stored"),
            },
            master_data: MasterData {
                identifier,
                status: Status::ALL[self.status[s] as usize],
                price: self.price[s],
            },
        }
    }
}
