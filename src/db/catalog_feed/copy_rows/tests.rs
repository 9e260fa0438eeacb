use super::*;
use crate::db::catalog_feed::CatalogRow;
use crate::domain::{Price, Status};
use std::str::FromStr;

/// One row as `COPY … (FORMAT binary)` encodes it; `price` is PostgreSQL's
/// numeric encoding: (weight, display scale, base-10,000 digits).
#[derive(Clone, Copy)]
struct Encoded<'a> {
    identifier: &'a str,
    designs: &'a [i32],
    color_counts: &'a [i32],
    colors: &'a [i32],
    rank: Option<i16>,
    price: Option<(i16, u16, &'a [i16])>,
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn array(values: &[i32]) -> Vec<u8> {
    let mut a = Vec::new();
    a.extend_from_slice(&i32::from(!values.is_empty()).to_be_bytes());
    a.extend_from_slice(&0i32.to_be_bytes());
    a.extend_from_slice(&INT4_OID.to_be_bytes());
    if !values.is_empty() {
        a.extend_from_slice(&(values.len() as i32).to_be_bytes());
        a.extend_from_slice(&1i32.to_be_bytes());
        for v in values {
            a.extend_from_slice(&4i32.to_be_bytes());
            a.extend_from_slice(&v.to_be_bytes());
        }
    }
    a
}

fn numeric_bytes(weight: i16, scale: u16, digits: &[i16]) -> Vec<u8> {
    let mut n = Vec::new();
    n.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    n.extend_from_slice(&weight.to_be_bytes());
    n.extend_from_slice(&0u16.to_be_bytes());
    n.extend_from_slice(&scale.to_be_bytes());
    for d in digits {
        n.extend_from_slice(&d.to_be_bytes());
    }
    n
}

fn tuple(out: &mut Vec<u8>, row: &Encoded) {
    out.extend_from_slice(&FIELDS.to_be_bytes());
    field(out, row.identifier.as_bytes());
    field(out, &array(row.designs));
    field(out, &array(row.color_counts));
    field(out, &array(row.colors));
    field(out, &[7u8; 32]);
    match row.rank {
        Some(rank) => field(out, &rank.to_be_bytes()),
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    match row.price {
        Some((weight, scale, digits)) => field(out, &numeric_bytes(weight, scale, digits)),
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

fn stream(rows: &[Encoded]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    for row in rows {
        tuple(&mut out, row);
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

fn decode(chunks: &[&[u8]]) -> Result<Vec<CatalogRow>, sqlx::Error> {
    let mut rows = Vec::new();
    let mut decoder = CopyRows::default();
    for chunk in chunks {
        decoder.feed(chunk, |tuple| {
            let mut row = CatalogRow::default();
            decode_into(tuple, &mut row)?;
            rows.push(row);
            Ok(())
        })?;
    }
    decoder.finish()?;
    Ok(rows)
}

const ROWS: [Encoded<'static>; 3] = [
    Encoded {
        identifier: "1234567",
        designs: &[3001, 3002],
        color_counts: &[2, 1],
        colors: &[1, 21, 5],
        rank: Some(0),
        // 10.50: 10 and 5000/10,000, shown with two places.
        price: Some((0, 2, &[10, 5000])),
    },
    Encoded {
        identifier: "7654321",
        designs: &[-4],
        color_counts: &[1],
        colors: &[-1],
        rank: None,
        price: None,
    },
    Encoded {
        identifier: "1000001",
        designs: &[9],
        color_counts: &[1],
        colors: &[0],
        rank: Some(2),
        // 123456789.1234
        price: Some((2, 4, &[1, 2345, 6789, 1234])),
    },
];

fn expected() -> Vec<CatalogRow> {
    let price = |s: &str| Price::from_decimal(Decimal::from_str(s).unwrap(), "price").unwrap();
    vec![
        CatalogRow {
            identifier: "1234567".into(),
            designs: vec![3001, 3002],
            color_counts: vec![2, 1],
            colors: vec![1, 21, 5],
            signature: u128::from_be_bytes([7; 16]),
            master_data: Some((Status::ALL[0], price("10.50"))),
        },
        CatalogRow {
            identifier: "7654321".into(),
            designs: vec![-4],
            color_counts: vec![1],
            colors: vec![-1],
            signature: u128::from_be_bytes([7; 16]),
            master_data: None,
        },
        CatalogRow {
            identifier: "1000001".into(),
            designs: vec![9],
            color_counts: vec![1],
            colors: vec![0],
            signature: u128::from_be_bytes([7; 16]),
            master_data: Some((Status::ALL[2], price("123456789.1234"))),
        },
    ]
}

#[test]
fn rows_decode_whatever_the_chunks() {
    let bytes = stream(&ROWS);
    assert_eq!(decode(&[&bytes]).unwrap(), expected());
    for split in 0..=bytes.len() {
        let (a, b) = bytes.split_at(split);
        assert_eq!(decode(&[a, b]).unwrap(), expected(), "split at {split}");
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(decode(&singles).unwrap(), expected());
}

#[test]
fn a_reused_row_keeps_nothing_of_the_row_before() {
    // Each row is decoded into the buffers of the row before, the first
    // into those of a longer row.
    let rows = [ROWS[2], ROWS[0], ROWS[1]];
    let bytes = stream(&rows);
    let mut decoded = Vec::new();
    let mut scratch = CatalogRow {
        identifier: "9999999999".into(),
        designs: vec![1; 40],
        color_counts: vec![1; 40],
        colors: vec![1; 40],
        signature: 1,
        master_data: None,
    };
    let mut decoder = CopyRows::default();
    decoder
        .feed(&bytes, |tuple| {
            decode_into(tuple, &mut scratch)?;
            decoded.push(scratch.clone());
            Ok(())
        })
        .unwrap();
    decoder.finish().unwrap();
    let expected = expected();
    assert_eq!(
        decoded,
        [
            expected[2].clone(),
            expected[0].clone(),
            expected[1].clone()
        ]
    );
}

#[test]
fn prices_keep_their_value_and_display_scale() {
    let cases: [(i16, u16, &[i16], &str); 8] = [
        (0, 2, &[10, 5000], "10.50"),
        (0, 1, &[1, 5000], "1.5"),
        (2, 0, &[10], "1000000000"),
        (-1, 4, &[1], "0.0001"),
        (2, 4, &[1, 2345, 6789, 1234], "123456789.1234"),
        (0, 4, &[7], "7.0000"),
        (0, 0, &[9999], "9999"),
        (1, 3, &[1, 0, 10], "10000.001"),
    ];
    for (weight, scale, digits, text) in cases {
        let decimal = numeric(&numeric_bytes(weight, scale, digits)).unwrap();
        assert_eq!(decimal.to_string(), text);
        assert_eq!(decimal.scale(), u32::from(scale), "{text}");
    }
    // NaN, digits past the scale, a digit out of base.
    let mut nan = numeric_bytes(0, 0, &[]);
    nan[4..6].copy_from_slice(&0xC000u16.to_be_bytes());
    assert!(numeric(&nan).is_err());
    assert!(numeric(&numeric_bytes(0, 1, &[1, 5500])).is_err());
    assert!(numeric(&numeric_bytes(0, 0, &[10_000])).is_err());
}

#[test]
fn malformed_streams_are_errors_not_rows() {
    let good = stream(&ROWS);
    let header = SIGNATURE.len() + 8;

    let mut bad_signature = good.clone();
    bad_signature[0] = b'X';
    assert!(decode(&[&bad_signature]).is_err());

    let mut wrong_count = good.clone();
    wrong_count[header..header + 2].copy_from_slice(&6i16.to_be_bytes());
    assert!(decode(&[&wrong_count]).is_err());

    // Cut anywhere before the trailer's end: never a silent short catalog.
    for cut in 0..good.len() {
        assert!(decode(&[&good[..cut]]).is_err(), "cut at {cut}");
    }

    let mut trailing = good.clone();
    trailing.push(0);
    assert!(decode(&[&trailing]).is_err());

    // A NULL identifier.
    let mut null_id = good[..header].to_vec();
    null_id.extend_from_slice(&FIELDS.to_be_bytes());
    null_id.extend_from_slice(&(-1i32).to_be_bytes());
    let mut rest = Vec::new();
    tuple(&mut rest, &ROWS[0]);
    let first_field = 4 + ROWS[0].identifier.len();
    null_id.extend_from_slice(&rest[2 + first_field..]);
    null_id.extend_from_slice(&(-1i16).to_be_bytes());
    assert!(decode(&[&null_id]).is_err());
}
