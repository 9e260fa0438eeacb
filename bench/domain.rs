//! Micro-benchmarks of the pure domain: the signature of a brick multiset
//! and the decision over a shortlist. Run with `cargo bench --bench domain`.

use preferred_item_service::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, Price, Status, StatusWeights,
    Strategy,
};

fn main() {
    divan::main();
}

fn bricks(n: usize) -> BrickSet {
    BrickSet::new(
        (0..n)
            .map(|i| Brick::parse((i * 7919 % 30_000) as i64, &[(i % 200) as i64, 3], "b").unwrap())
            .collect(),
    )
    .unwrap()
}

#[divan::bench(args = [1, 4, 20, 1000])]
fn signature(bencher: divan::Bencher, n: usize) {
    let set = bricks(n);
    bencher.bench(|| divan::black_box(&set).signature());
}

fn shortlist(n: usize) -> Vec<Candidate> {
    (0..n)
        .map(|i| {
            let identifier = Identifier::parse(&format!("item{i}"), "id").unwrap();
            Candidate {
                item: Item {
                    identifier: identifier.clone(),
                    bricks: bricks(2),
                },
                master_data: MasterData {
                    identifier,
                    status: Status::ALL[i % 4],
                    price: Price::parse(&format!("{}.{:02}", 1 + i % 500, i % 100), "price")
                        .unwrap(),
                },
            }
        })
        .collect()
}

/// A shortlist holds at most 4 x (alternatives + 1) candidates: 4 to 84.
#[divan::bench(args = [4, 84])]
fn decide_rank(bencher: divan::Bencher, n: usize) {
    let candidates = shortlist(n);
    bencher
        .with_inputs(|| candidates.clone())
        .bench_values(|c| Strategy::Rank.decide(c, 20, n as u64));
}

#[divan::bench(args = [4, 84])]
fn decide_score(bencher: divan::Bencher, n: usize) {
    let candidates = shortlist(n);
    let strategy = Strategy::Score(StatusWeights::default());
    bencher
        .with_inputs(|| candidates.clone())
        .bench_values(|c| strategy.decide(c, 20, n as u64));
}
