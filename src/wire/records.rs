//! Catalog records in the load formats, parsed and validated with the same
//! rules as the single-record routes.
//!
//! - **NDJSON**: one JSON object per line, exactly the API's item
//!   (`{"identifier", "bricks"}`) or master data record
//!   (`{"identifier", "status", "price"}`). Blank lines are skipped.
//! - **CSV** with a header row. Items: `identifier,bricks`, where `bricks`
//!   lists the bricks in order, separated by `;`, each as
//!   `design_id:colour/colour/…` (so `1:1/2;2:3/4` is 1:[1,2] and 2:[3,4]).
//!   Master data: `identifier,status,price`.
//!
//! Positions are 1-based line numbers for files, 0-based indexes for JSON
//! arrays.

use std::io::BufRead;
use std::str::FromStr;

use super::catalog::{ItemJson, MasterDataJson};
use super::json;
use crate::domain::{
    Brick, BrickSet, FieldError, FieldErrors, Identifier, Item, MasterData, Record, Status,
    MAX_COLORS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// From a file name: `.csv` is CSV, anything else NDJSON.
    pub fn from_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Ndjson
        }
    }

    /// The usual file extension, which is also the name `FromStr` takes.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
        }
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "ndjson" => Ok(Format::Ndjson),
            "csv" => Ok(Format::Csv),
            _ => Err(format!("{s:?} is not a format; use ndjson or csv")),
        }
    }
}

/// An item from one JSON value of a bulk body.
pub fn item_from_json(value: &[u8]) -> Result<Item, FieldErrors> {
    json::parse::<ItemJson>(value)
        .map_err(json::JsonError::into_field_errors)?
        .parse()
}

/// A master data record from one JSON value of a bulk body.
pub fn master_data_from_json(value: &[u8]) -> Result<MasterData, FieldErrors> {
    json::parse::<MasterDataJson>(value)
        .map_err(json::JsonError::into_field_errors)?
        .parse()
}

fn item_from_line(line: &str) -> Result<Item, FieldErrors> {
    item_from_json(line.as_bytes())
}

fn master_data_from_line(line: &str) -> Result<MasterData, FieldErrors> {
    master_data_from_json(line.as_bytes())
}

/// Records of an NDJSON stream, one per non-blank line.
fn ndjson<T>(
    reader: impl BufRead,
    parse: impl Fn(&str) -> Result<T, FieldErrors>,
) -> impl Iterator<Item = Record<T>> {
    reader.lines().enumerate().filter_map(move |(i, line)| {
        let position = i as u64 + 1;
        let value = match line {
            Ok(line) if line.trim().is_empty() => return None,
            Ok(line) => parse(&line),
            Err(e) => Err(FieldError::new("", format!("cannot read the line: {e}")).into()),
        };
        Some(Record { position, value })
    })
}

/// Records of a CSV stream with the expected header.
fn csv_records<T: 'static>(
    reader: impl BufRead + 'static,
    header: &'static [&'static str],
    parse: impl Fn(&csv::StringRecord) -> Result<T, FieldErrors> + 'static,
) -> Box<dyn Iterator<Item = Record<T>>> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let bad_header = match csv.headers() {
        Ok(found) if found.iter().map(str::trim).eq(header.iter().copied()) => None,
        Ok(found) => Some(format!(
            "the header must be {:?}, found {:?}",
            header.join(","),
            found.iter().collect::<Vec<_>>().join(",")
        )),
        Err(e) => Some(format!("cannot read the header: {e}")),
    };
    if let Some(message) = bad_header {
        return Box::new(std::iter::once(Record {
            position: 1,
            value: Err(FieldError::new("", message).into()),
        }));
    }
    Box::new(csv.into_records().map(move |row| match row {
        Ok(row) => {
            let position = row.position().map_or(0, |p| p.line());
            let value = if row.len() == header.len() {
                parse(&row)
            } else {
                Err(FieldError::new(
                    "",
                    format!("expected {} columns, found {}", header.len(), row.len()),
                )
                .into())
            };
            Record { position, value }
        }
        Err(e) => Record {
            position: e.position().map_or(0, |p| p.line()),
            value: Err(FieldError::new("", format!("not valid CSV: {e}")).into()),
        },
    }))
}

/// Parses the CSV `bricks` cell: `1:1/2;2:3/4`.
/// A CSV brick cell, `design:colour/colour;design:colour`. A cell with
/// too many bricks, or a brick with too many colours, is one error,
/// counted before anything is parsed.
fn bricks_from_csv(cell: &str) -> Result<BrickSet, FieldErrors> {
    if cell.split(';').count() > BrickSet::MAX_LEN {
        return Err(FieldError::new(
            "bricks",
            format!("must have between 1 and {} entries", BrickSet::MAX_LEN),
        )
        .into());
    }
    let mut errors = FieldErrors::default();
    let bricks: Vec<Option<Brick>> = cell
        .split(';')
        .enumerate()
        .map(|(i, text)| {
            let field = format!("bricks[{i}]");
            let brick = match text.split_once(':') {
                Some((_, colours)) if colours.split('/').count() > MAX_COLORS => {
                    Err(FieldError::new(
                        format!("{field}.color_codes"),
                        format!("must have between 1 and {MAX_COLORS} entries"),
                    )
                    .into())
                }
                parts => parts
                    .and_then(|(design, colours)| {
                        let design = design.trim().parse::<i64>().ok()?;
                        let colours = colours
                            .split('/')
                            .map(|c| c.trim().parse::<i64>().ok())
                            .collect::<Option<Vec<_>>>()?;
                        Some((design, colours))
                    })
                    .ok_or_else(|| {
                        FieldErrors::from(FieldError::new(
                            &field,
                            format!("{text:?} is not design_id:colour/colour/…"),
                        ))
                    })
                    .and_then(|(design, colours)| Brick::parse(design, &colours, &field)),
            };
            errors.take(brick)
        })
        .collect();
    let bricks = errors.finish(|| bricks.into_iter().collect::<Option<Vec<_>>>())?;
    BrickSet::new(bricks).map_err(FieldErrors::from)
}

fn item_from_csv(row: &csv::StringRecord) -> Result<Item, FieldErrors> {
    let mut errors = FieldErrors::default();
    let identifier = errors.take(Identifier::parse(row[0].trim(), "identifier"));
    let bricks = errors.take(bricks_from_csv(&row[1]));
    errors.finish(|| {
        Some(Item {
            identifier: identifier?,
            bricks: bricks?,
        })
    })
}

fn master_data_from_csv(row: &csv::StringRecord) -> Result<MasterData, FieldErrors> {
    MasterData::parse(
        Identifier::parse(row[0].trim(), "identifier"),
        Status::parse(row[1].trim(), "status"),
        row[2].trim(),
    )
}

pub const ITEM_CSV_HEADER: &[&str] = &["identifier", "bricks"];
pub const MASTER_DATA_CSV_HEADER: &[&str] = &["identifier", "status", "price"];

pub fn item_records(
    format: Format,
    reader: impl BufRead + 'static,
) -> Box<dyn Iterator<Item = Record<Item>>> {
    match format {
        Format::Ndjson => Box::new(ndjson(reader, item_from_line)),
        Format::Csv => csv_records(reader, ITEM_CSV_HEADER, item_from_csv),
    }
}

pub fn master_data_records(
    format: Format,
    reader: impl BufRead + 'static,
) -> Box<dyn Iterator<Item = Record<MasterData>>> {
    match format {
        Format::Ndjson => Box::new(ndjson(reader, master_data_from_line)),
        Format::Csv => csv_records(reader, MASTER_DATA_CSV_HEADER, master_data_from_csv),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(format: Format, text: &'static str) -> Vec<Record<Item>> {
        item_records(format, std::io::Cursor::new(text)).collect()
    }

    #[test]
    fn csv_bricks_keep_their_order_and_colours() {
        let records = items(Format::Csv, "identifier,bricks\nitem1,2:4/3;1:1/2\n");
        let item = records[0].value.as_ref().unwrap();
        let bricks: Vec<_> = item
            .bricks
            .bricks()
            .iter()
            .map(|b| (b.design_id(), b.color_codes().to_vec()))
            .collect();
        assert_eq!(bricks, [(2, vec![4, 3]), (1, vec![1, 2])]);
        assert_eq!(records[0].position, 2);
    }

    #[test]
    fn bad_csv_cells_name_the_brick() {
        let records = items(
            Format::Csv,
            "identifier,bricks\na,1:1;x:2\nb,1:99999999999\n",
        );
        let first = records[0].value.as_ref().unwrap_err();
        assert_eq!(first.iter().next().unwrap().field, "bricks[1]");
        let second = records[1].value.as_ref().unwrap_err();
        assert_eq!(
            second.iter().next().unwrap().field,
            "bricks[0].color_codes[0]"
        );
        assert_eq!(records[1].position, 3);
    }

    #[test]
    fn a_wrong_csv_header_is_one_error_on_line_one() {
        let records = items(Format::Csv, "id,bricks\na,1:1\n");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].position, 1);
    }

    #[test]
    fn ndjson_lines_are_numbered_and_blank_ones_skipped() {
        let records = items(
            Format::Ndjson,
            "{\"identifier\":\"a\",\"bricks\":[{\"design_id\":1,\"color_codes\":[1]}]}\n\n{\"identifier\":\"b\"}\n",
        );
        assert_eq!(records.len(), 2);
        assert!(records[0].value.is_ok());
        assert_eq!(records[1].position, 3);
        assert_eq!(
            records[1]
                .value
                .as_ref()
                .unwrap_err()
                .iter()
                .next()
                .unwrap()
                .field,
            "bricks"
        );
    }
}
