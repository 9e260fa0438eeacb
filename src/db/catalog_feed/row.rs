//! A catalog row: the columns a replica reads for one item, and the checks
//! every way of reading them applies (the row protocol for the feed's
//! few rows, binary `COPY` for snapshots).

use rust_decimal::Decimal;

use crate::domain::{Price, Status};

/// One item as the tables hold it, with its master data if it has any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogRow {
    pub identifier: String,
    pub designs: Vec<i32>,
    pub color_counts: Vec<i32>,
    pub colors: Vec<i32>,
    /// The first 16 bytes of the stored SHA-256 signature.
    pub signature: u128,
    pub master_data: Option<(Status, Price)>,
}

pub(super) type RawRow = (
    String,
    Vec<i32>,
    Vec<i32>,
    Vec<i32>,
    Vec<u8>,
    Option<i16>,
    Option<Decimal>,
);

pub(super) fn catalog_row(raw: RawRow) -> Result<CatalogRow, sqlx::Error> {
    let (identifier, designs, color_counts, colors, signature, rank, price) = raw;
    let signature = signature_of(&signature).map_err(|what| invalid(&identifier, what))?;
    let master_data = master_data_of(rank, price).map_err(|what| invalid(&identifier, what))?;
    Ok(CatalogRow {
        identifier,
        designs,
        color_counts,
        colors,
        signature,
        master_data,
    })
}

pub(super) fn invalid(identifier: &str, what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored {what} of {identifier:?} is invalid").into())
}

/// The first 16 bytes of a stored signature.
pub(super) fn signature_of(stored: &[u8]) -> Result<u128, &'static str> {
    stored
        .get(..16)
        .and_then(|s| <[u8; 16]>::try_from(s).ok())
        .map(u128::from_be_bytes)
        .ok_or("signature")
}

/// The copied status and price, when the item has master data (both
/// columns set).
pub(super) fn master_data_of(
    rank: Option<i16>,
    price: Option<Decimal>,
) -> Result<Option<(Status, Price)>, &'static str> {
    match (rank, price) {
        (Some(rank), Some(price)) => {
            let status = usize::try_from(rank)
                .ok()
                .and_then(|r| Status::ALL.get(r).copied())
                .ok_or("status")?;
            let price = Price::from_decimal(price, "price").map_err(|_| "price")?;
            Ok(Some((status, price)))
        }
        _ => Ok(None),
    }
}

/// Items with the status and price that master data copies onto them (a
/// trigger keeps the copies in step; see migration 0002): no join, so a
/// snapshot of a million items streams in about half the time.
pub(super) const SELECT_ROWS: &str = "SELECT i.identifier, i.brick_designs, i.brick_color_counts, \
     i.brick_colors, i.signature, i.status_rank, i.price FROM items i";
