//! What a load is asked to do and what comes of it.

use std::str::FromStr;

use crate::domain::{Price, RecordError, Status};

/// The most invalid records one load reports; reading stops there.
pub const MAX_REPORTED_ERRORS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Records are created or replace the record with their identifier;
    /// everything else stays.
    Upsert,
    /// The records become the whole table. Replacing items also removes
    /// all master data (it belongs to the items); load master data after.
    /// Takes an exclusive lock on the tables while it runs.
    Replace,
}

impl FromStr for LoadMode {
    type Err = String;

    fn from_str(s: &str) -> Result<LoadMode, String> {
        match s {
            "upsert" => Ok(LoadMode::Upsert),
            "replace" => Ok(LoadMode::Replace),
            _ => Err(format!("{s:?} is not a mode; use upsert or replace")),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{} invalid record(s)", .0.len())]
    Invalid(Vec<RecordError>),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadCounts {
    pub created: u64,
    pub updated: u64,
}

impl LoadCounts {
    pub fn total(&self) -> u64 {
        self.created + self.updated
    }
}

/// The status and price of an item's master data, as the item's own rows
/// carry them (the master data columns of `items` and `item_bricks`, kept
/// in step by a trigger), so that lookups need no join.
pub type MasterDataColumns = (Status, Price);
