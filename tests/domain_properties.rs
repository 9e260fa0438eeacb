//! Property tests of the preferred-item decision against a brute-force
//! oracle over random small catalogs.
//!
//! The system under test is what the service does: match, admit, keep the
//! first `alternatives + 1` of each status (what the database returns),
//! then decide. The oracle shares none of that code: it compares sorted
//! brick lists, counts by hand, and orders candidates with integer
//! arithmetic on prices in ten-thousandths.

use proptest::prelude::*;
use rust_decimal::Decimal;
use std::cmp::Ordering;

use preferred_item_service::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, MatchMode, PreferenceQuery, Price,
    Status, StatusWeights, Strategy as Decider,
};

/// A brick as plain data: design and colours from a small universe, so
/// that random catalogs match often.
type RawBrick = (i64, Vec<i64>);

#[derive(Debug, Clone)]
struct RawItem {
    id: String,
    bricks: Vec<RawBrick>,
    /// (status index, price in ten-thousandths)
    info: Option<(usize, i64)>,
}

fn raw_brick() -> impl Strategy<Value = RawBrick> {
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

fn raw_bricks() -> impl Strategy<Value = Vec<RawBrick>> {
    prop::collection::vec(raw_brick(), 1..5)
}

/// Prices chosen to collide and to tie scores exactly (0.6 and 0.9 give
/// 2/0.6 == 3/0.9), in ten-thousandths.
fn raw_price() -> impl Strategy<Value = i64> {
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

fn raw_catalog() -> impl Strategy<Value = Vec<RawItem>> {
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
            .map(|(i, (bricks, info))| RawItem {
                id: format!("{}{}", ["a", "B", "_", "b"][i % 4], i),
                bricks,
                info,
            })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct RawQuery {
    bricks: Vec<RawBrick>,
    contains: bool,
    include_discontinued: bool,
    alternatives: u32,
    weights: [i64; 4],
    score: bool,
}

fn raw_query() -> impl Strategy<Value = RawQuery> {
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

// ---- the system under test -------------------------------------------

fn brick_set(bricks: &[RawBrick]) -> BrickSet {
    BrickSet::new(
        bricks
            .iter()
            .map(|(d, c)| Brick::parse(*d, c, "b").unwrap())
            .collect(),
    )
    .unwrap()
}

fn master_data(item: &RawItem) -> Option<MasterData> {
    item.info.map(|(status, price)| MasterData {
        identifier: Identifier::parse(&item.id, "id").unwrap(),
        status: Status::ALL[status],
        price: Price::from_decimal(Decimal::new(price, 4), "price").unwrap(),
    })
}

fn query_of(raw: &RawQuery) -> PreferenceQuery {
    PreferenceQuery {
        bricks: brick_set(&raw.bricks),
        match_mode: if raw.contains {
            MatchMode::Contains
        } else {
            MatchMode::Exact
        },
        include_discontinued: raw.include_discontinued,
        alternatives: raw.alternatives,
    }
}

fn strategy_of(raw: &RawQuery) -> Decider {
    if raw.score {
        let w = raw.weights.map(Decimal::from);
        Decider::Score(StatusWeights {
            normal: w[0],
            novelty: w[1],
            outgoing: w[2],
            discontinued: w[3],
        })
    } else {
        Decider::Rank
    }
}

/// The service's answer: identifiers of the preferred item and the
/// alternatives, and the candidate count.
fn service_answer(catalog: &[RawItem], raw: &RawQuery) -> Option<(Vec<String>, u64)> {
    let query = query_of(raw);
    let mut candidates: Vec<Candidate> = catalog
        .iter()
        .filter_map(|item| {
            let info = master_data(item)?;
            let bricks = brick_set(&item.bricks);
            (query.matches(&bricks) && query.admits(&info)).then(|| Candidate {
                item: Item {
                    identifier: info.identifier.clone(),
                    bricks,
                },
                info,
            })
        })
        .collect();
    let total = candidates.len() as u64;
    // What the database returns: the first few of each status.
    candidates.sort_by(|a, b| {
        (a.info.status, a.info.price, &a.info.identifier).cmp(&(
            b.info.status,
            b.info.price,
            &b.info.identifier,
        ))
    });
    let mut kept = Vec::new();
    for status in Status::ALL {
        kept.extend(
            candidates
                .iter()
                .filter(|c| c.info.status == status)
                .take(query.shortlist_per_status() as usize)
                .cloned(),
        );
    }
    let decision = strategy_of(raw).decide(kept, raw.alternatives, total)?;
    let ids = std::iter::once(&decision.preferred)
        .chain(&decision.alternatives)
        .map(|c| c.info.identifier.to_string())
        .collect();
    Some((ids, decision.candidates))
}

// ---- the oracle --------------------------------------------------------

fn oracle_matches(item: &[RawBrick], wanted: &[RawBrick], contains: bool) -> bool {
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

fn oracle_candidates<'c>(catalog: &'c [RawItem], raw: &RawQuery) -> Vec<&'c RawItem> {
    catalog
        .iter()
        .filter(|i| i.info.is_some())
        .filter(|i| raw.include_discontinued || i.info.unwrap().0 != 3)
        .filter(|i| oracle_matches(&i.bricks, &raw.bricks, raw.contains))
        .collect()
}

/// `Less` when `a` is preferred.
fn oracle_compare(raw: &RawQuery, a: &RawItem, b: &RawItem) -> Ordering {
    let ((sa, pa), (sb, pb)) = (a.info.unwrap(), b.info.unwrap());
    let rank = || (sa, pa, a.id.as_bytes()).cmp(&(sb, pb, b.id.as_bytes()));
    if !raw.score {
        return rank();
    }
    // weight / (price / 10^4): compare wa * pb against wb * pa exactly.
    let lhs = i128::from(raw.weights[sa]) * i128::from(pb);
    let rhs = i128::from(raw.weights[sb]) * i128::from(pa);
    rhs.cmp(&lhs).then_with(rank)
}

fn oracle_answer(catalog: &[RawItem], raw: &RawQuery) -> Option<(Vec<String>, u64)> {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_answer_is_the_oracles_answer(catalog in raw_catalog(), raw in raw_query()) {
        prop_assert_eq!(service_answer(&catalog, &raw), oracle_answer(&catalog, &raw));
    }

    #[test]
    fn the_answer_is_a_candidate_that_no_candidate_beats(catalog in raw_catalog(), raw in raw_query()) {
        let candidates = oracle_candidates(&catalog, &raw);
        match service_answer(&catalog, &raw) {
            None => prop_assert!(candidates.is_empty()),
            Some((ids, _)) => {
                let best = candidates.iter().find(|c| c.id == ids[0]);
                prop_assert!(best.is_some(), "{} is not a candidate", ids[0]);
                let best = best.unwrap();
                for other in &candidates {
                    prop_assert!(oracle_compare(&raw, other, best) != Ordering::Less,
                        "{} beats {}", other.id, best.id);
                }
            }
        }
    }

    #[test]
    fn the_order_of_the_requested_bricks_never_changes_the_answer(
        catalog in raw_catalog(),
        raw in raw_query(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = raw.clone();
        // A deterministic permutation from the seed.
        let n = shuffled.bricks.len();
        for i in (1..n).rev() {
            let j = (seed.rotate_left(i as u32) % (i as u64 + 1)) as usize;
            shuffled.bricks.swap(i, j);
        }
        prop_assert_eq!(query_of(&raw).bricks.signature(), query_of(&shuffled).bricks.signature());
        prop_assert_eq!(service_answer(&catalog, &raw), service_answer(&catalog, &shuffled));
    }

    #[test]
    fn exact_candidates_are_contains_candidates(catalog in raw_catalog(), raw in raw_query()) {
        let exact = RawQuery { contains: false, ..raw.clone() };
        let contains = RawQuery { contains: true, ..raw };
        let query = query_of(&exact);
        let wide = query_of(&contains);
        for item in &catalog {
            let bricks = brick_set(&item.bricks);
            if query.matches(&bricks) {
                prop_assert!(wide.matches(&bricks), "{} matches exactly but not contains", item.id);
            }
        }
    }

    #[test]
    fn equal_multisets_have_equal_signatures_and_only_they(a in raw_bricks(), b in raw_bricks()) {
        let (sa, sb) = (brick_set(&a), brick_set(&b));
        prop_assert_eq!(sa.signature() == sb.signature(), oracle_matches(&a, &b, false));
    }
}
