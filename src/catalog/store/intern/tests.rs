use super::*;

fn entry(id: u32) -> Interned {
    Interned {
        id,
        head: [id as i32, 1],
    }
}

#[test]
fn finds_what_it_holds_through_collisions_and_growth() {
    let mut table = InternTable::with_capacity(2);
    // Every key hashes to one of four values that start a probe in the
    // last four entries: long runs that wrap around the end, across
    // several growths.
    let hash = |id: u32| u64::MAX - u64::from(id % 4);
    for id in 0..1000 {
        assert!(table.find(hash(id), |e| e.id == id).is_none());
        table.insert(hash(id), entry(id), |e| hash(e.id));
        table.prefetch(hash(id));
    }
    assert_eq!(table.len, 1000);
    assert!(table.slots() >= 1334 && table.slots().is_power_of_two());
    for id in 0..1000 {
        let found = table.find(hash(id), |e| e.id == id).map(|e| e.head);
        assert_eq!(found, Some([id as i32, 1]));
    }
    assert!(table.find(hash(1000), |e| e.id == 1000).is_none());
    assert!(InternTable::default().find(0, |_| true).is_none());
}
