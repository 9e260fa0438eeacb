//! Writers of the NDJSON and CSV record formats (`wire::records`), for
//! `export`: what they write, `import` and the bulk routes read back as it
//! was.

use super::records::{Format, ITEM_CSV_HEADER, MASTER_DATA_CSV_HEADER};
use rust_decimal::Decimal;
use std::io::Write;

/// The first line of a CSV file of items or master data; nothing for
/// NDJSON.
pub fn header(format: Format, items: bool, out: &mut Vec<u8>) {
    if format == Format::Csv {
        let header = if items {
            ITEM_CSV_HEADER
        } else {
            MASTER_DATA_CSV_HEADER
        };
        out.extend_from_slice(header.join(",").as_bytes());
        out.push(b'\n');
    }
}

fn number(out: &mut Vec<u8>, value: i32) {
    let _ = write!(out, "{value}");
}

/// One item from its stored columns: `designs[i]` has `counts[i]`
/// colours, taken in turn from `colours`. Identifiers need no escaping
/// in either format (`A-Z a-z 0-9 . _ : -`).
pub fn item(
    format: Format,
    out: &mut Vec<u8>,
    identifier: &str,
    designs: &[i32],
    counts: &[i32],
    colours: &[i32],
) {
    let mut rest = colours;
    let json = format == Format::Ndjson;
    if json {
        out.extend_from_slice(br#"{"identifier":""#);
        out.extend_from_slice(identifier.as_bytes());
        out.extend_from_slice(br#"","bricks":["#);
    } else {
        out.extend_from_slice(identifier.as_bytes());
        out.push(b',');
    }
    for (i, (&design, &count)) in designs.iter().zip(counts).enumerate() {
        let (own, after) = rest.split_at((count.max(0) as usize).min(rest.len()));
        rest = after;
        if json {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"design_id":"#);
            number(out, design);
            out.extend_from_slice(br#","color_codes":["#);
        } else {
            if i > 0 {
                out.push(b';');
            }
            number(out, design);
            out.push(b':');
        }
        for (j, &colour) in own.iter().enumerate() {
            if j > 0 {
                out.push(if json { b',' } else { b'/' });
            }
            number(out, colour);
        }
        if json {
            out.extend_from_slice(b"]}");
        }
    }
    out.extend_from_slice(if json { b"]}\n" } else { b"\n" });
}

/// One master-data record. Statuses are single words; the price is
/// written as stored (`7.0` stays `7.0`).
pub fn master_data(
    format: Format,
    out: &mut Vec<u8>,
    identifier: &str,
    status: &str,
    price: &Decimal,
) {
    let _ = match format {
        Format::Ndjson => writeln!(
            out,
            r#"{{"identifier":"{identifier}","status":"{status}","price":{price}}}"#
        ),
        Format::Csv => writeln!(out, "{identifier},{status},{price}"),
    };
}
