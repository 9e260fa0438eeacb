//! The store built at once and the store kept by single changes hold the
//! same rows and give the same shortlists; compaction changes neither; a
//! built store takes single changes; a shortlist decides as every
//! candidate does.

use super::{Reconciler, Store};
use crate::db::catalog_feed::CatalogRow;
use crate::domain::{
    Brick, BrickSet, Candidate, Identifier, Item, MasterData, MatchMode, PreferredItemQuery, Price,
    Status, StatusWeights, Strategy,
};

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn bricks(rng: &mut Rng) -> Vec<Brick> {
    (0..1 + rng.below(3))
        .map(|_| {
            let colours: Vec<i64> = (0..1 + rng.below(2)).map(|_| rng.below(3) as i64).collect();
            Brick::parse(rng.below(6) as i64, &colours, "b").unwrap()
        })
        .collect()
}

fn row(identifier: &str, bricks: Vec<Brick>, rng: &mut Rng) -> CatalogRow {
    let set = BrickSet::new(bricks).unwrap();
    let signature = u128::from_be_bytes(set.signature().0[..16].try_into().unwrap());
    let master_data = (rng.below(5) > 0).then(|| {
        let price = format!("{}.{}", 1 + rng.below(9), rng.below(10));
        (
            Status::ALL[rng.below(4) as usize],
            Price::parse(&price, "price").unwrap(),
        )
    });
    CatalogRow {
        identifier: identifier.to_owned(),
        designs: set.bricks().iter().map(|b| b.design_id()).collect(),
        color_counts: set
            .bricks()
            .iter()
            .map(|b| b.color_codes().len() as i32)
            .collect(),
        colors: set
            .bricks()
            .iter()
            .flat_map(|b| b.color_codes().to_vec())
            .collect(),
        signature,
        master_data,
    }
}

fn queries(rng: &mut Rng) -> Vec<PreferredItemQuery> {
    (0..200)
        .map(|_| PreferredItemQuery {
            bricks: BrickSet::new(bricks(rng)).unwrap(),
            match_mode: if rng.below(2) == 0 {
                MatchMode::Exact
            } else {
                MatchMode::Contains
            },
            include_discontinued: rng.below(2) == 0,
            alternatives: rng.below(4) as u32,
        })
        .collect()
}

/// The shortlists as comparable text.
fn answers(store: &Store, queries: &[PreferredItemQuery]) -> Vec<String> {
    queries
        .iter()
        .flat_map(|q| {
            [
                store.shortlist(q, &Strategy::Score(StatusWeights::default())),
                store.shortlist(q, &Strategy::Rank),
            ]
        })
        .map(|shortlist| {
            let ids: Vec<&str> = shortlist
                .candidates
                .iter()
                .map(|c| c.item.identifier.as_str())
                .collect();
            format!("{} {:?}", shortlist.total, ids)
        })
        .collect()
}

type Rows = std::collections::BTreeMap<String, CatalogRow>;

/// Removes `id`, or gives it a new random row, in `store` and in `current`.
fn change(store: &mut Store, current: &mut Rows, id: String, remove: bool, rng: &mut Rng) {
    if remove {
        store.apply(&id, None);
        current.remove(&id);
    } else {
        let r = row(&id, bricks(rng), rng);
        store.apply(&id, Some(&r));
        current.insert(id, r);
    }
}

/// `store` holds `current` as a fresh build of it does, and answers as it.
fn assert_same_as_a_fresh_build(store: &Store, current: &Rows, rng: &mut Rng) {
    let built = Store::build(current.values().cloned());
    assert_eq!(store.rows(), built.rows());
    assert_eq!(store.items(), current.len());
    let asked = queries(rng);
    assert_eq!(answers(store, &asked), answers(&built, &asked));
}

#[test]
fn single_changes_reach_what_a_fresh_build_holds() {
    let mut rng = Rng(7);
    let mut kept = Store::default();
    let mut current = std::collections::BTreeMap::new();
    for step in 0..3000 {
        let id = format!("item{}", rng.below(300));
        let remove = rng.below(5) == 0;
        change(&mut kept, &mut current, id, remove, &mut rng);
        if step % 1000 == 999 {
            assert_same_as_a_fresh_build(&kept, &current, &mut rng);
        }
    }
}

/// A snapshot build names its slots only when it finishes; changes after
/// it must find every item by name, or an update would leave the old row
/// beside the new one.
#[test]
fn a_built_store_finds_its_items_by_name_for_later_changes() {
    let mut rng = Rng(5);
    let mut current = Rows::new();
    for n in 0..400 {
        let id = format!("item{n}");
        current.insert(id.clone(), row(&id, bricks(&mut rng), &mut rng));
    }
    let mut store = Store::build(current.values().cloned());
    for id in current.keys() {
        let slot = store
            .find(id)
            .unwrap_or_else(|| panic!("{id} is not found"));
        assert_eq!(store.name(slot), id);
    }
    assert_eq!(store.find("item400"), None);
    for n in (0..400).step_by(3) {
        change(
            &mut store,
            &mut current,
            format!("item{n}"),
            n % 2 == 0,
            &mut rng,
        );
    }
    assert_same_as_a_fresh_build(&store, &current, &mut rng);
}

#[test]
fn compaction_changes_neither_rows_nor_answers() {
    let mut rng = Rng(11);
    let mut store = Store::default();
    for n in 0..2000 {
        let id = format!("item{}", n % 500);
        let r = row(&id, bricks(&mut rng), &mut rng);
        store.apply(&id, Some(&r));
    }
    assert!(store.garbage > 0);
    let (rows, asked) = (store.rows(), queries(&mut rng));
    let before = answers(&store, &asked);
    store.compact();
    assert_eq!(store.garbage, 0);
    assert_eq!(store.rows(), rows);
    assert_eq!(answers(&store, &asked), before);
}

#[test]
fn reconciling_in_place_reaches_what_a_fresh_build_of_the_snapshot_holds() {
    let mut rng = Rng(23);
    for round in 0..20 {
        // A store of 300 items; a snapshot that keeps some exactly, changes
        // some, drops some and adds others.
        let mut store = Store::default();
        let mut snapshot = std::collections::BTreeMap::new();
        for n in 0..300 {
            let id = format!("item{n}");
            let r = row(&id, bricks(&mut rng), &mut rng);
            store.apply(&id, Some(&r));
            match rng.below(4) {
                0 => {}
                1 => {
                    snapshot.insert(id.clone(), row(&id, bricks(&mut rng), &mut rng));
                }
                _ => {
                    snapshot.insert(id, r);
                }
            }
        }
        for n in 300..300 + rng.below(100) {
            let id = format!("item{n}");
            snapshot.insert(id.clone(), row(&id, bricks(&mut rng), &mut rng));
        }
        let rows: Vec<CatalogRow> = snapshot.values().cloned().collect();
        let mut reconciler = Reconciler::new(&store);
        for batch in rows.chunks(1 + round * 7) {
            reconciler.apply(&mut store, batch);
        }
        for name in reconciler.gone(&store, 0..reconciler.slots()) {
            store.apply(&name, None);
        }
        let built = Store::build(rows);
        assert_eq!(store.rows(), built.rows());
        assert_eq!(store.items(), built.items());
        let asked = queries(&mut rng);
        assert_eq!(answers(&store, &asked), answers(&built, &asked));
        // Reconciling with the same snapshot again changes nothing.
        let mut again = Reconciler::new(&store);
        again.apply(&mut store, &built.rows());
        assert_eq!(again.changed, 0);
        assert!(again.gone(&store, 0..again.slots()).is_empty());
    }
}

/// `row` as a candidate for `query`, when it is one.
fn candidate_for(row: &CatalogRow, query: &PreferredItemQuery) -> Option<Candidate> {
    let (status, price) = row.master_data?;
    if status == Status::Discontinued && !query.include_discontinued {
        return None;
    }
    let mut colors = row.colors.iter();
    let bricks = row
        .designs
        .iter()
        .zip(&row.color_counts)
        .map(|(&design, &n)| {
            let codes: Vec<i32> = colors.by_ref().take(n as usize).copied().collect();
            Brick::from_stored(design, &codes).unwrap()
        })
        .collect();
    let bricks = BrickSet::new(bricks).unwrap();
    let matches = match query.match_mode {
        MatchMode::Exact => bricks.counts() == query.bricks.counts(),
        MatchMode::Contains => {
            let held = bricks.counts();
            query
                .bricks
                .counts()
                .iter()
                .all(|(brick, n)| held.iter().any(|(b, m)| b == brick && m >= n))
        }
    };
    let identifier = Identifier::parse(&row.identifier, "identifier").unwrap();
    matches.then(|| Candidate {
        item: Item {
            identifier: identifier.clone(),
            bricks,
        },
        master_data: MasterData {
            identifier,
            status,
            price,
        },
    })
}

/// A shortlist holds only the candidates its strategy can prefer, chosen
/// before any is built: the decision over it is the decision over every
/// candidate, for either strategy and any weights (ties of score
/// included), and its total counts them all.
#[test]
fn a_shortlist_decides_as_every_candidate_does() {
    let mut rng = Rng(11);
    let rows: Vec<CatalogRow> = (0..400)
        .map(|i| {
            let bricks = bricks(&mut rng);
            row(&format!("i{i}"), bricks, &mut rng)
        })
        .collect();
    let store = Store::build(rows.clone());
    let weights = [[3, 2, 1, 0], [1, 1, 1, 1], [0, 0, 0, 0], [1, 5, 2, 9]].map(|[a, b, c, d]| {
        Strategy::Score(StatusWeights {
            normal: a.into(),
            novelty: b.into(),
            outgoing: c.into(),
            discontinued: d.into(),
        })
    });
    let mut decided = 0;
    for strategy in [Strategy::Rank].into_iter().chain(weights) {
        for query in queries(&mut rng) {
            let every: Vec<Candidate> = rows
                .iter()
                .filter_map(|r| candidate_for(r, &query))
                .collect();
            let total = every.len() as u64;
            let expected = strategy.decide(every, query.alternatives, total);
            let shortlist = store.shortlist(&query, &strategy);
            assert_eq!(shortlist.total, total, "{query:?}");
            assert!(shortlist.candidates.len() <= query.alternatives as usize + 1);
            decided += usize::from(expected.is_some());
            assert_eq!(
                strategy.decide(shortlist.candidates, query.alternatives, total),
                expected,
                "{strategy:?} {query:?}"
            );
        }
    }
    assert!(decided > 200, "only {decided} queries had a candidate");
}
