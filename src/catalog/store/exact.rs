//! The exact index: candidates by brick-multiset signature, in order.
//!
//! The table holds one `u32` per signature, not the signature itself: the
//! slot of its only item, or (top bit set) the number of a group of slots
//! that share it. The signature is read from the store's own column when
//! the table compares or rehashes, so a million signatures cost a few
//! bytes each rather than a 16-byte key and a boxed list.

use hashbrown::HashTable;

/// Marks a table entry as a group number rather than a slot.
const GROUP: u32 = 1 << 31;

/// Signatures are SHA-256 prefixes already: their first 8 bytes are the hash.
fn hash(signature: u128) -> u64 {
    (signature >> 64) as u64
}

#[derive(Default)]
pub(super) struct ExactIndex {
    table: HashTable<u32>,
    /// Slots of the signatures with more than one item, in order; an empty
    /// list is free for reuse and listed in `free`.
    groups: Vec<Vec<u32>>,
    free: Vec<u32>,
}

impl ExactIndex {
    /// The slot whose signature stands for an entry.
    fn head(groups: &[Vec<u32>], entry: u32) -> u32 {
        if entry & GROUP == 0 {
            entry
        } else {
            groups[(entry & !GROUP) as usize][0]
        }
    }

    /// Whether an entry stands for `signature`.
    fn matches<'a>(
        groups: &'a [Vec<u32>],
        signatures: &'a [u128],
        signature: u128,
    ) -> impl Fn(&u32) -> bool + 'a {
        move |&entry| signatures[Self::head(groups, entry) as usize] == signature
    }

    /// An entry's hash, for the table to move it.
    fn rehash<'a>(groups: &'a [Vec<u32>], signatures: &'a [u128]) -> impl Fn(&u32) -> u64 + 'a {
        move |&entry| hash(signatures[Self::head(groups, entry) as usize])
    }

    fn slots<'a>(&'a self, entry: &'a u32) -> &'a [u32] {
        if entry & GROUP == 0 {
            std::slice::from_ref(entry)
        } else {
            &self.groups[(entry & !GROUP) as usize]
        }
    }

    fn find(&self, signature: u128, signatures: &[u128]) -> Option<&u32> {
        self.table.find(
            hash(signature),
            Self::matches(&self.groups, signatures, signature),
        )
    }

    /// The slots with `signature`, in order.
    pub(super) fn get(&self, signature: u128, signatures: &[u128]) -> &[u32] {
        self.find(signature, signatures)
            .map_or(&[][..], |entry| self.slots(entry))
    }

    /// Puts `slot` (whose signature is `signatures[slot]`) at position `at`
    /// of its signature's slots; past their end, it is appended.
    pub(super) fn insert(&mut self, slot: u32, at: usize, signatures: &[u128]) {
        let signature = signatures[slot as usize];
        let ExactIndex {
            table,
            groups,
            free,
        } = self;
        let found = table.find_mut(
            hash(signature),
            Self::matches(groups, signatures, signature),
        );
        match found {
            None => {
                table.insert_unique(hash(signature), slot, Self::rehash(groups, signatures));
            }
            Some(entry) if *entry & GROUP != 0 => {
                let slots = &mut groups[(*entry & !GROUP) as usize];
                slots.insert(at.min(slots.len()), slot);
            }
            Some(entry) => {
                let mut slots = vec![*entry];
                slots.insert(at.min(1), slot);
                let number = match free.pop() {
                    Some(number) => {
                        groups[number as usize] = slots;
                        number
                    }
                    None => {
                        groups.push(slots);
                        (groups.len() - 1) as u32
                    }
                };
                *entry = number | GROUP;
            }
        }
    }

    /// Appends `slot` to its signature's slots: for building in order.
    pub(super) fn push(&mut self, slot: u32, signatures: &[u128]) {
        self.insert(slot, usize::MAX, signatures);
    }

    /// Removes the slot at position `at` of `signature`'s slots.
    pub(super) fn remove(&mut self, signature: u128, at: usize, signatures: &[u128]) {
        let ExactIndex {
            table,
            groups,
            free,
        } = self;
        let Ok(found) = table.find_entry(
            hash(signature),
            Self::matches(groups, signatures, signature),
        ) else {
            return;
        };
        let entry = *found.get();
        if entry & GROUP == 0 {
            found.remove();
            return;
        }
        let number = entry & !GROUP;
        let slots = &mut groups[number as usize];
        slots.remove(at);
        if let [only] = slots[..] {
            groups[number as usize] = Vec::new();
            free.push(number);
            *found.into_mut() = only;
        }
    }

    pub(super) fn clear(&mut self) {
        self.table.clear();
        self.groups.clear();
        self.free.clear();
    }

    pub(super) fn shrink_groups(&mut self) {
        for slots in &mut self.groups {
            slots.shrink_to_fit();
        }
        self.groups.shrink_to_fit();
    }

    pub(super) fn reserve(&mut self, additional: usize, signatures: &[u128]) {
        self.table
            .reserve(additional, Self::rehash(&self.groups, signatures));
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.table.capacity() * 5
            + self.groups.capacity() * std::mem::size_of::<Vec<u32>>()
            + self.groups.iter().map(|g| g.capacity() * 4).sum::<usize>()
            + self.free.capacity() * 4
    }
}
