//! Property tests of the pure decision against a brute-force oracle over
//! random small catalogs: given every candidate, `Strategy::decide` picks
//! what the oracle picks, under any weights. The lookups that shortlist
//! candidates are checked through the running service, against the same
//! oracle, in `tests/api/properties.rs`.

#[path = "oracle/mod.rs"]
mod oracle;

use oracle::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

use preferred_item_service::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, Price, Status, StatusWeights,
    Strategy as Decider,
};

fn brick_set(bricks: &[RawBrick]) -> BrickSet {
    BrickSet::new(
        bricks
            .iter()
            .map(|(d, c)| Brick::parse(*d, c, "b").unwrap())
            .collect(),
    )
    .unwrap()
}

fn candidate(item: &RawItem) -> Candidate {
    let (status, price) = item.master_data.expect("candidates have master data");
    let identifier = Identifier::parse(&item.id, "id").unwrap();
    Candidate {
        item: Item {
            identifier: identifier.clone(),
            bricks: brick_set(&item.bricks),
        },
        master_data: MasterData {
            identifier,
            status: Status::ALL[status],
            price: Price::from_decimal(Decimal::new(price, 4), "price").unwrap(),
        },
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

/// The domain's decision over every candidate the oracle found.
fn decision(catalog: &[RawItem], raw: &RawQuery) -> Option<(Vec<String>, u64)> {
    let candidates: Vec<Candidate> = oracle_candidates(catalog, raw)
        .into_iter()
        .map(candidate)
        .collect();
    let total = candidates.len() as u64;
    let decision = strategy_of(raw).decide(candidates, raw.alternatives, total)?;
    let ids = std::iter::once(&decision.preferred)
        .chain(&decision.alternatives)
        .map(|c| c.master_data.identifier.to_string())
        .collect();
    Some((ids, decision.candidates))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_decision_is_the_oracles_under_any_weights(catalog in raw_catalog(), raw in raw_query()) {
        prop_assert_eq!(decision(&catalog, &raw), oracle_answer(&catalog, &raw));
    }

    #[test]
    fn the_order_of_the_bricks_never_changes_the_signature(bricks in raw_bricks(), seed in any::<u64>()) {
        let mut shuffled = bricks.clone();
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = (seed.rotate_left(i as u32) % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        prop_assert_eq!(brick_set(&bricks).signature(), brick_set(&shuffled).signature());
    }

    #[test]
    fn equal_multisets_have_equal_signatures_and_only_they(a in raw_bricks(), b in raw_bricks()) {
        let (sa, sb) = (brick_set(&a), brick_set(&b));
        prop_assert_eq!(sa.signature() == sb.signature(), oracle_matches(&a, &b, false));
    }
}
