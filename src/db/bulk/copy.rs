//! The COPY side of a load: checking records as they stream past, encoding
//! them in COPY's text format, and sending them in chunks.

use sqlx::PgConnection;
use std::collections::HashSet;
use std::fmt::Write as _;

use super::outcome::{LoadError, MasterDataColumns, MAX_REPORTED_ERRORS};
use crate::db::items::{brick_index_rows, StoredBricks};
use crate::domain::{Item, Record, RecordError};

/// COPY data is sent in chunks of about this size.
const CHUNK_BYTES: usize = 1 << 20;

/// Collects errors, and identifiers seen, so duplicates are caught too.
struct Checker {
    errors: Vec<RecordError>,
    seen: HashSet<String>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            errors: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// The value when the record is valid and its identifier new.
    fn check<T>(&mut self, record: Record<T>, identifier: impl Fn(&T) -> &str) -> Option<T> {
        match record.value {
            Err(errors) => {
                self.errors
                    .extend(errors.into_vec().into_iter().map(|e| RecordError {
                        position: record.position,
                        field: e.field,
                        message: e.message,
                    }));
                None
            }
            Ok(value) => {
                if !self.seen.insert(identifier(&value).to_owned()) {
                    self.errors.push(RecordError {
                        position: record.position,
                        field: "identifier".into(),
                        message: format!("{} appears more than once", identifier(&value)),
                    });
                    return None;
                }
                Some(value).filter(|_| self.errors.is_empty())
            }
        }
    }

    fn full(&self) -> bool {
        self.errors.len() >= MAX_REPORTED_ERRORS
    }

    fn finish(mut self) -> Result<(), LoadError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            self.errors.truncate(MAX_REPORTED_ERRORS);
            Err(LoadError::Invalid(self.errors))
        }
    }
}

/// `bytes` as COPY's text form of a `bytea`: `\\x` and lowercase hex.
fn bytea(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"\\\\x");
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    hex::encode_to_slice(bytes, &mut out[start..]).expect("the buffer is twice the input");
}

fn int_array(out: &mut Vec<u8>, values: &[i32]) {
    let mut text = String::with_capacity(values.len() * 4 + 2);
    text.push('{');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, "{v}");
    }
    text.push('}');
    out.extend_from_slice(text.as_bytes());
}

/// COPY text rows for `items` and `item_bricks`. Identifiers, numbers and
/// hex need no escaping in COPY's text format.
pub(super) fn encode_item(
    item: &Item,
    copies: Option<&MasterDataColumns>,
    items: &mut Vec<u8>,
    bricks: &mut Vec<u8>,
) {
    let copy_columns = match copies {
        Some((status, price)) => format!("\t{}\t{}", status.rank(), price),
        None => "\t\\N\t\\N".to_owned(),
    };
    let stored = StoredBricks::from_set(&item.bricks);
    let id = item.identifier.as_str().as_bytes();
    items.extend_from_slice(id);
    items.push(b'\t');
    int_array(items, &stored.designs);
    items.push(b'\t');
    int_array(items, &stored.color_counts);
    items.push(b'\t');
    int_array(items, &stored.colors);
    items.push(b'\t');
    bytea(items, &item.bricks.signature().0);
    items.extend_from_slice(copy_columns.as_bytes());
    items.push(b'\n');
    let (keys, counts) = brick_index_rows(&item.bricks);
    for (key, count) in keys.iter().zip(counts) {
        bytea(bricks, key);
        bricks.push(b'\t');
        bricks.extend_from_slice(id);
        bricks.push(b'\t');
        bricks.extend_from_slice(count.to_string().as_bytes());
        bricks.extend_from_slice(copy_columns.as_bytes());
        bricks.push(b'\n');
    }
}

/// Checks each record and streams the valid ones, encoded by `encode`,
/// through `statement` (a `COPY … FROM STDIN`) in chunks. When any record
/// is invalid, the COPY is aborted and the problems are returned. Returns
/// how many records were sent.
pub(super) async fn copy_records<T>(
    conn: &mut PgConnection,
    statement: &str,
    records: impl IntoIterator<Item = Record<T>>,
    identifier: impl Fn(&T) -> &str,
    mut encode: impl FnMut(&T, u64, &mut Vec<u8>),
) -> Result<u64, LoadError> {
    let mut checker = Checker::new();
    let mut rows = Vec::with_capacity(CHUNK_BYTES + 4096);
    let mut sent = 0_u64;
    let mut copy = conn.copy_in_raw(statement).await?;
    for record in records {
        let position = record.position;
        if let Some(value) = checker.check(record, &identifier) {
            encode(&value, position, &mut rows);
            sent += 1;
            if rows.len() >= CHUNK_BYTES {
                copy.send(rows.as_slice()).await?;
                rows.clear();
            }
        }
        if checker.full() {
            break;
        }
    }
    if let Err(invalid) = checker.finish() {
        copy.abort("invalid records").await?;
        return Err(invalid);
    }
    copy.send(rows.as_slice()).await?;
    copy.finish().await?;
    Ok(sent)
}

pub(super) async fn send_all(
    conn: &mut PgConnection,
    statement: &str,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    let mut copy = conn.copy_in_raw(statement).await?;
    for chunk in data.chunks(CHUNK_BYTES) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// `fmt::Write` into a byte buffer.
pub(super) struct LineBuffer<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for LineBuffer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}
