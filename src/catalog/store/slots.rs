//! What a slot of the store is made of: spans into the arenas, the price
//! key that orders as the price does, and the status codes.

use crate::domain::{Price, Status};

/// `price` in ten-thousandths: exact, as prices have at most four decimals.
pub(super) fn price_key(price: Price) -> i64 {
    let mut value = price.value();
    value.rescale(4);
    i64::try_from(value.mantissa()).unwrap_or(i64::MAX)
}

/// `status` of an item without master data.
pub(super) const NO_MASTER_DATA: u8 = u8::MAX;
pub(super) const DISCONTINUED: u8 = Status::Discontinued as u8;

/// An interned brick in the table that finds it by value: its id, and
/// its design and first colour. Ids and codes are never negative, so the
/// first colour is stored bitwise negated when more colours follow: a brick
/// of one colour (most of them) is told apart by the entry alone, without
/// reading the arenas.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    pub(super) id: u32,
    pub(super) head: [i32; 2],
}

impl Interned {
    /// The `head` of a brick's values (a design, then one colour or more).
    pub(super) fn head(values: &[i32]) -> [i32; 2] {
        match values {
            [design, color] => [*design, *color],
            [design, color, ..] => [*design, !*color],
            _ => unreachable!("a brick has a design and at least one colour"),
        }
    }
}

/// A brick's values looked up in the interning table: their hash and head
/// (kept, so that interning a new brick hashes it once), and the brick's
/// id when it is interned already.
pub(super) struct Lookup {
    pub(super) hash: u64,
    pub(super) head: [i32; 2],
    pub(super) id: Option<u32>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Span {
    pub(super) at: u32,
    pub(super) len: u32,
}

impl Span {
    pub(super) fn range(self) -> std::ops::Range<usize> {
        self.at as usize..(self.at + self.len) as usize
    }
}
