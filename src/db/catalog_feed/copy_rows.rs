//! Catalog rows from PostgreSQL's binary `COPY` format, for snapshots.
//!
//! A snapshot of a million items spends much of the replica's CPU decoding
//! rows. Through the row protocol every column of every row goes through
//! the driver's typed decoding (a type check per column, a decode call per
//! array element, a `numeric` rebuilt digit by digit as a decimal). `COPY
//! … TO STDOUT (FORMAT binary)` sends the same values in the same binary
//! encodings, and this module reads them in one pass over the bytes.
//!
//! The format: an 11-byte signature, a flags word and a header extension;
//! then per row a field count (`-1` ends the data) and per field a length
//! (`-1` for NULL) and that many bytes in the type's binary encoding. The
//! columns are those of `SELECT_ROWS`: `text`, three `int4[]`, `bytea`,
//! `smallint`, `numeric`.

use rust_decimal::Decimal;

use super::row::{invalid, master_data_of, signature_of, CatalogRow};

const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
const FIELDS: i16 = 7;
const INT4_OID: u32 = 23;

/// What went wrong, as a decode error naming the place.
fn malformed(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("catalog snapshot: malformed COPY data ({what})").into())
}

/// Decodes a `COPY` stream delivered in chunks of any size.
#[derive(Default)]
pub struct CopyRows {
    pending: Vec<u8>,
    header_read: bool,
    ended: bool,
}

impl CopyRows {
    /// Takes the next chunk and hands each complete row's bytes to `each`
    /// (to decode with `decode_into`); an incomplete row waits for the
    /// next chunk.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut each: impl FnMut(&[u8]) -> Result<(), sqlx::Error>,
    ) -> Result<(), sqlx::Error> {
        if self.ended {
            return if chunk.is_empty() {
                Ok(())
            } else {
                Err(malformed("data after the trailer"))
            };
        }
        // The common case: the previous chunk ended on a row's end, and
        // this one is parsed where it lies.
        let owned;
        let bytes: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            self.pending.extend_from_slice(chunk);
            owned = std::mem::take(&mut self.pending);
            &owned
        };
        let mut at = 0;
        if !self.header_read {
            match header_len(bytes)? {
                Some(len) => {
                    at = len;
                    self.header_read = true;
                }
                None => {
                    self.pending = bytes.to_vec();
                    return Ok(());
                }
            }
        }
        while at < bytes.len() {
            let rest = &bytes[at..];
            let Some(len) = tuple_len(rest)? else { break };
            match len {
                Tuple::Trailer => {
                    at += 2;
                    self.ended = true;
                    if at != bytes.len() {
                        return Err(malformed("data after the trailer"));
                    }
                    break;
                }
                Tuple::Row(len) => {
                    each(&rest[..len])?;
                    at += len;
                }
            }
        }
        self.pending = bytes[at..].to_vec();
        Ok(())
    }

    /// Checks that the stream ended where the format says it ends.
    pub fn finish(self) -> Result<(), sqlx::Error> {
        if self.ended && self.pending.is_empty() {
            Ok(())
        } else {
            Err(malformed("the stream stopped before its trailer"))
        }
    }
}

/// The header's length, once all of it has arrived.
fn header_len(bytes: &[u8]) -> Result<Option<usize>, sqlx::Error> {
    if bytes.len() < SIGNATURE.len() + 8 {
        return Ok(None);
    }
    if &bytes[..SIGNATURE.len()] != SIGNATURE {
        return Err(malformed("signature"));
    }
    let mut cursor = Cursor::new(&bytes[SIGNATURE.len()..]);
    let flags = cursor.u32()?;
    if flags & 0x0001_0000 != 0 {
        return Err(malformed("rows carry OIDs"));
    }
    let extension = cursor.length()?;
    let len = SIGNATURE.len() + 8 + extension;
    Ok((bytes.len() >= len).then_some(len))
}

enum Tuple {
    Row(usize),
    Trailer,
}

/// The next tuple's length, once all of it has arrived.
fn tuple_len(bytes: &[u8]) -> Result<Option<Tuple>, sqlx::Error> {
    let Some(count) = bytes.get(..2) else {
        return Ok(None);
    };
    match i16::from_be_bytes([count[0], count[1]]) {
        -1 => return Ok(Some(Tuple::Trailer)),
        FIELDS => {}
        _ => return Err(malformed("field count")),
    }
    let mut at = 2;
    for _ in 0..FIELDS {
        let Some(len) = bytes.get(at..at + 4) else {
            return Ok(None);
        };
        let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
        at += 4;
        if len >= 0 {
            at += len as usize;
        } else if len != -1 {
            return Err(malformed("field length"));
        }
    }
    Ok((bytes.len() >= at).then_some(Tuple::Row(at)))
}

/// Decodes one complete tuple into `row`, reusing its buffers, with the
/// checks of the row protocol's decoding (`catalog_row`).
pub fn decode_into(tuple: &[u8], row: &mut CatalogRow) -> Result<(), sqlx::Error> {
    let mut cursor = Cursor::new(&tuple[2..]);
    let identifier = std::str::from_utf8(cursor.field()?.ok_or_else(|| malformed("identifier"))?)
        .map_err(|_| malformed("identifier is not UTF-8"))?;
    row.identifier.clear();
    row.identifier.push_str(identifier);
    int4_array(cursor.field()?, &mut row.designs)?;
    int4_array(cursor.field()?, &mut row.color_counts)?;
    int4_array(cursor.field()?, &mut row.colors)?;
    let signature = cursor.field()?.ok_or_else(|| malformed("signature"))?;
    row.signature = signature_of(signature).map_err(|what| invalid(identifier, what))?;
    let rank = match cursor.field()? {
        None => None,
        Some(&[a, b]) => Some(i16::from_be_bytes([a, b])),
        Some(_) => return Err(malformed("status_rank")),
    };
    let price = cursor.field()?.map(numeric).transpose()?;
    row.master_data = master_data_of(rank, price).map_err(|what| invalid(identifier, what))?;
    Ok(())
}

/// A one-dimensional `int4[]` without NULL elements (`{}` is empty), into
/// `values`.
fn int4_array(field: Option<&[u8]>, values: &mut Vec<i32>) -> Result<(), sqlx::Error> {
    values.clear();
    let mut cursor = Cursor::new(field.ok_or_else(|| malformed("array is NULL"))?);
    let dimensions = cursor.i32()?;
    let _has_nulls = cursor.i32()?;
    let element = cursor.u32()?;
    if element != INT4_OID {
        return Err(malformed("array element type"));
    }
    match dimensions {
        0 => return Ok(()),
        1 => {}
        _ => return Err(malformed("array dimensions")),
    }
    let len = cursor.length()?;
    let _lower_bound = cursor.i32()?;
    if len.checked_mul(8) != Some(cursor.remaining()) {
        return Err(malformed("array length"));
    }
    values.reserve(len);
    for _ in 0..len {
        if cursor.i32()? != 4 {
            return Err(malformed("array element"));
        }
        values.push(cursor.i32()?);
    }
    Ok(())
}

/// PostgreSQL's binary `numeric`: digit count, weight, sign, display
/// scale, then base-10,000 digits, the first worth 10,000^weight. The
/// decimal keeps the display scale, as the row protocol's decoding does.
fn numeric(bytes: &[u8]) -> Result<Decimal, sqlx::Error> {
    let mut cursor = Cursor::new(bytes);
    let ndigits = cursor.i16()?;
    let weight = i32::from(cursor.i16()?);
    let sign = cursor.u16()?;
    let scale = u32::from(cursor.u16()?);
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        _ => return Err(malformed("price is not a finite number")),
    };
    if ndigits == 0 {
        return Ok(Decimal::ZERO);
    }
    // Prices are at most 10^9 with 4 places: 5 digits of 10,000 at most.
    if !(1..=7).contains(&ndigits) || scale > 16 || cursor.remaining() != ndigits as usize * 2 {
        return Err(malformed("price is out of range"));
    }
    let mut mantissa: i128 = 0;
    for _ in 0..ndigits {
        let digit = cursor.i16()?;
        if !(0..10_000).contains(&digit) {
            return Err(malformed("price digit"));
        }
        mantissa = mantissa * 10_000 + i128::from(digit);
    }
    // The last digit is worth 10,000^(weight - ndigits + 1); the decimal
    // wants units of 10^-scale.
    let exponent = 4 * (weight - i32::from(ndigits) + 1) + scale as i32;
    let unscaled = if exponent >= 0 {
        10i128
            .checked_pow(exponent as u32)
            .and_then(|p| mantissa.checked_mul(p))
            .ok_or_else(|| malformed("price is out of range"))?
    } else {
        let p = 10i128
            .checked_pow(exponent.unsigned_abs())
            .ok_or_else(|| malformed("price is out of range"))?;
        if mantissa % p != 0 {
            return Err(malformed("price has digits past its scale"));
        }
        mantissa / p
    };
    let unscaled = if negative { -unscaled } else { unscaled };
    Decimal::try_from_i128_with_scale(unscaled, scale)
        .map_err(|_| malformed("price is out of range"))
}

/// Big-endian reads over one field; running out is malformed data, as a
/// field's length was checked before it is read.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes }
    }

    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], sqlx::Error> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or_else(|| malformed("truncated field"))?;
        self.bytes = rest;
        Ok(*head)
    }

    fn i16(&mut self) -> Result<i16, sqlx::Error> {
        self.take().map(i16::from_be_bytes)
    }

    fn u16(&mut self) -> Result<u16, sqlx::Error> {
        self.take().map(u16::from_be_bytes)
    }

    fn i32(&mut self) -> Result<i32, sqlx::Error> {
        self.take().map(i32::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, sqlx::Error> {
        self.take().map(u32::from_be_bytes)
    }

    /// A non-negative length.
    fn length(&mut self) -> Result<usize, sqlx::Error> {
        usize::try_from(self.i32()?).map_err(|_| malformed("negative length"))
    }

    /// A field: its length, then its bytes; `None` for NULL.
    fn field(&mut self) -> Result<Option<&'a [u8]>, sqlx::Error> {
        let len = self.i32()?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| malformed("field length"))?;
        if len > self.bytes.len() {
            return Err(malformed("truncated field"));
        }
        let (field, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(Some(field))
    }
}

#[cfg(test)]
mod tests;
