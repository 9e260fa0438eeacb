//! One numbered record of a load (a line of a file, an element of a bulk
//! body): the parsed value, or the field errors that refused it.

use super::{FieldError, FieldErrors};

/// The most records one bulk request holds.
pub const MAX_BULK_RECORDS: usize = 10_000;

/// A bulk request holds between 1 and `MAX_BULK_RECORDS` records.
pub fn check_bulk_count(records: usize) -> Result<(), FieldError> {
    if records == 0 || records > MAX_BULK_RECORDS {
        return Err(FieldError::new(
            "records",
            format!("a bulk load holds between 1 and {MAX_BULK_RECORDS} records"),
        ));
    }
    Ok(())
}

/// A parsed record and where it came from: a 1-based line number in a
/// file, a 0-based index in a request body.
pub struct Record<T> {
    pub position: u64,
    pub value: Result<T, FieldErrors>,
}

/// Why one record was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub position: u64,
    /// Path of the field within the record; empty when about the record.
    pub field: String,
    pub message: String,
}

impl<T> Record<T> {
    /// This record's problems, each with its position.
    pub fn errors(&self) -> impl Iterator<Item = RecordError> + '_ {
        self.value.as_ref().err().into_iter().flat_map(|errors| {
            errors.iter().map(|e| RecordError {
                position: self.position,
                field: e.field.clone(),
                message: e.message.clone(),
            })
        })
    }
}
