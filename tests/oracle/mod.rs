//! Random small catalogs and questions, and a brute-force oracle that
//! answers them sharing no code with the service: it compares sorted brick
//! lists, counts by hand, and orders candidates with integer arithmetic on
//! prices in ten-thousandths. Used by the domain's property tests and by
//! the property tests of the whole service.
#![allow(dead_code)]

use proptest::prelude::*;
use std::cmp::Ordering;

/// A brick as plain data: design and colours from a small universe, so
/// that random catalogs match often.
pub type RawBrick = (i64, Vec<i64>);

#[derive(Debug, Clone)]
pub struct RawItem {
    pub id: String,
    pub bricks: Vec<RawBrick>,
    /// (status index, price in ten-thousandths)
    pub master_data: Option<(usize, i64)>,
}

pub fn raw_brick() -> impl Strategy<Value = RawBrick> {
    (
        0..3_i64,
        prop_oneof![
            Just(vec![0]),
            Just(vec![1]),
            Just(vec![0, 1]),
            Just(vec![1, 0])
        ],
    )
}

pub fn raw_bricks() -> impl Strategy<Value = Vec<RawBrick>> {
    prop::collection::vec(raw_brick(), 1..5)
}

/// Prices chosen to collide and to tie scores exactly (0.6 and 0.9 give
/// 2/0.6 == 3/0.9), in ten-thousandths.
pub fn raw_price() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(6_000),
        Just(9_000),
        Just(10_000),
        Just(20_000),
        Just(30_000),
        Just(1),
        1..200_000_i64
    ]
}

pub fn raw_catalog() -> impl Strategy<Value = Vec<RawItem>> {
    prop::collection::vec(
        (
            raw_bricks(),
            prop::option::weighted(0.85, (0..4_usize, raw_price())),
        ),
        0..14,
    )
    .prop_map(|items| {
        items
            .into_iter()
            .enumerate()
            // Identifiers whose byte order differs from numeric order.
            .map(|(i, (bricks, master_data))| RawItem {
                id: format!("{}{}", ["a", "B", "_", "b"][i % 4], i),
                bricks,
                master_data,
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
pub struct RawQuery {
    pub bricks: Vec<RawBrick>,
    pub contains: bool,
    pub include_discontinued: bool,
    pub alternatives: u32,
    pub weights: [i64; 4],
    pub score: bool,
}

pub fn raw_query() -> impl Strategy<Value = RawQuery> {
    (
        prop::collection::vec(raw_brick(), 1..4),
        any::<bool>(),
        any::<bool>(),
        0..5_u32,
        prop_oneof![Just([3, 2, 1, 0]), [0..5_i64, 0..5_i64, 0..5_i64, 0..5_i64]],
        any::<bool>(),
    )
        .prop_map(
            |(bricks, contains, include_discontinued, alternatives, weights, score)| RawQuery {
                bricks,
                contains,
                include_discontinued,
                alternatives,
                weights,
                score,
            },
        )
}

pub fn oracle_matches(item: &[RawBrick], wanted: &[RawBrick], contains: bool) -> bool {
    if contains {
        let mut left: Vec<RawBrick> = item.to_vec();
        wanted
            .iter()
            .all(|w| match left.iter().position(|b| b == w) {
                Some(i) => {
                    left.remove(i);
                    true
                }
                None => false,
            })
    } else {
        let (mut a, mut b) = (item.to_vec(), wanted.to_vec());
        a.sort();
        b.sort();
        a == b
    }
}

pub fn oracle_candidates<'c>(catalog: &'c [RawItem], raw: &RawQuery) -> Vec<&'c RawItem> {
    catalog
        .iter()
        .filter(|i| i.master_data.is_some())
        .filter(|i| raw.include_discontinued || i.master_data.unwrap().0 != 3)
        .filter(|i| oracle_matches(&i.bricks, &raw.bricks, raw.contains))
        .collect()
}

/// `Less` when `a` is preferred.
pub fn oracle_compare(raw: &RawQuery, a: &RawItem, b: &RawItem) -> Ordering {
    let ((sa, pa), (sb, pb)) = (a.master_data.unwrap(), b.master_data.unwrap());
    let rank = || (sa, pa, a.id.as_bytes()).cmp(&(sb, pb, b.id.as_bytes()));
    if !raw.score {
        return rank();
    }
    // weight / (price / 10^4): compare wa * pb against wb * pa exactly.
    let lhs = i128::from(raw.weights[sa]) * i128::from(pb);
    let rhs = i128::from(raw.weights[sb]) * i128::from(pa);
    rhs.cmp(&lhs).then_with(rank)
}

pub fn oracle_answer(catalog: &[RawItem], raw: &RawQuery) -> Option<(Vec<String>, u64)> {
    let mut candidates = oracle_candidates(catalog, raw);
    let total = candidates.len() as u64;
    candidates.sort_by(|a, b| oracle_compare(raw, a, b));
    let ids: Vec<String> = candidates
        .iter()
        .take(raw.alternatives as usize + 1)
        .map(|c| c.id.clone())
        .collect();
    (!ids.is_empty()).then_some((ids, total))
}
