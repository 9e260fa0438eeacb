//! The exact index: candidates by brick-multiset signature, in order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Signatures are SHA-256 prefixes already: their first 8 bytes are the hash.
#[derive(Default)]
pub(super) struct PrefixHasher(u64);

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

pub(super) type ExactIndex = HashMap<u128, Group, BuildHasherDefault<PrefixHasher>>;

/// The candidates of one signature, in order. Most signatures have one
/// item, which is held inline.
#[derive(Debug, Clone)]
pub(super) enum Group {
    One(u32),
    Many(Vec<u32>),
}

impl Group {
    pub(super) fn as_slice(&self) -> &[u32] {
        match self {
            Group::One(slot) => std::slice::from_ref(slot),
            Group::Many(slots) => slots,
        }
    }

    pub(super) fn insert(&mut self, at: usize, slot: u32) {
        match self {
            Group::One(first) => {
                let mut slots = vec![*first];
                slots.insert(at, slot);
                *self = Group::Many(slots);
            }
            Group::Many(slots) => slots.insert(at, slot),
        }
    }

    /// Removes the slot at `at`; false when the group is then empty.
    pub(super) fn remove(&mut self, at: usize) -> bool {
        match self {
            Group::One(_) => false,
            Group::Many(slots) => {
                slots.remove(at);
                match slots[..] {
                    [] => false,
                    [only] => {
                        *self = Group::One(only);
                        true
                    }
                    _ => true,
                }
            }
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Group::One(_) => 0,
            Group::Many(slots) => slots.capacity() * 4,
        }
    }
}
