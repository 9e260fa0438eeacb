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
