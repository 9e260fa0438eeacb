//! The synthetic catalog of `generate`: a realistic shape with hard cases,
//! reproducible from a seed.
//!
//! - Identifiers are numeric strings, `1` to `N`.
//! - About 60% of items have one brick, 30% two to four, 10% five to 20.
//! - Designs are spread over 1..=30000, with 20% drawn from 300 hot
//!   designs; colours are in 0..=200, and about 15% of bricks have two or
//!   three colours.
//! - About 30% of items are alternates: the bricks of an earlier item, in a
//!   shuffled order, under another identifier. One alternate in five
//!   copies one of five hot sets, so those gather 100+ alternates from
//!   10,000 items up.
//! - About 95% of items have master data: 55% Normal, 15% Novelty, 15%
//!   Outgoing, 15% Discontinued, priced 0.05 to 500.00.
//!
//! The random generator is SplitMix64, written out here, so that a seed
//! gives the same catalog whatever crate versions are in use.

use std::io::{self, Write};

/// A small, fast, well-mixed generator (Steele, Lea and Flood, 2014).
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` for tests and catalogs (modulo bias is
    /// negligible for small `n`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

pub type GeneratedBrick = (u32, Vec<u32>);

/// One generated item and, for most, its master data.
pub struct GeneratedItem {
    pub identifier: String,
    pub bricks: Vec<GeneratedBrick>,
    /// Status name and price in cents.
    pub master_data: Option<(&'static str, u64)>,
}

const HOT_DESIGNS: usize = 300;
const HOT_SETS: usize = 5;

/// Generates `count` items from `seed`, one at a time.
pub struct Catalog {
    rng: SplitMix64,
    next: u64,
    count: u64,
    hot_designs: Vec<u32>,
    /// Brick sets alternates can copy: the hot ones first, then a sample of
    /// earlier items.
    hot_sets: Vec<Vec<GeneratedBrick>>,
    earlier: Vec<Vec<GeneratedBrick>>,
}

impl Catalog {
    pub fn new(count: u64, seed: u64) -> Catalog {
        let mut rng = SplitMix64::new(seed);
        let hot_designs = (0..HOT_DESIGNS)
            .map(|_| rng.range(1, 30_000) as u32)
            .collect();
        Catalog {
            rng,
            next: 0,
            count,
            hot_designs,
            hot_sets: Vec::new(),
            earlier: Vec::new(),
        }
    }

    fn brick(&mut self) -> GeneratedBrick {
        let design = if self.rng.chance(20) {
            self.hot_designs[self.rng.range(0, HOT_DESIGNS as u64 - 1) as usize]
        } else {
            self.rng.range(1, 30_000) as u32
        };
        let colours = if self.rng.chance(15) {
            self.rng.range(2, 3)
        } else {
            1
        };
        let colours = (0..colours)
            .map(|_| self.rng.range(0, 200) as u32)
            .collect();
        (design, colours)
    }

    fn fresh_bricks(&mut self) -> Vec<GeneratedBrick> {
        let roll = self.rng.range(0, 99);
        let n = match roll {
            0..=59 => 1,
            60..=89 => self.rng.range(2, 4),
            _ => self.rng.range(5, 20),
        };
        (0..n).map(|_| self.brick()).collect()
    }

    fn shuffled(&mut self, bricks: &[GeneratedBrick]) -> Vec<GeneratedBrick> {
        let mut bricks = bricks.to_vec();
        for i in (1..bricks.len()).rev() {
            let j = self.rng.range(0, i as u64) as usize;
            bricks.swap(i, j);
        }
        bricks
    }

    fn master_data(&mut self) -> Option<(&'static str, u64)> {
        if !self.rng.chance(95) {
            return None;
        }
        let status = match self.rng.range(0, 99) {
            0..=54 => "Normal",
            55..=69 => "Novelty",
            70..=84 => "Outgoing",
            _ => "Discontinued",
        };
        Some((status, self.rng.range(5, 50_000)))
    }
}

impl Iterator for Catalog {
    type Item = GeneratedItem;

    fn next(&mut self) -> Option<GeneratedItem> {
        if self.next == self.count {
            return None;
        }
        self.next += 1;
        let bricks = if self.hot_sets.len() < HOT_SETS {
            let set = self.fresh_bricks();
            self.hot_sets.push(set.clone());
            set
        } else if self.rng.chance(30) {
            let source = if self.rng.chance(20) {
                let i = self.rng.range(0, HOT_SETS as u64 - 1) as usize;
                self.hot_sets[i].clone()
            } else {
                let i = self.rng.range(0, self.earlier.len() as u64 - 1) as usize;
                self.earlier[i].clone()
            };
            self.shuffled(&source)
        } else {
            self.fresh_bricks()
        };
        // A bounded reservoir of earlier sets keeps memory flat at any size.
        if self.earlier.len() < 100_000 {
            self.earlier.push(bricks.clone());
        } else {
            let i = self.rng.range(0, self.next) as usize;
            if i < self.earlier.len() {
                self.earlier[i] = bricks.clone();
            }
        }
        Some(GeneratedItem {
            identifier: self.next.to_string(),
            bricks,
            master_data: self.master_data(),
        })
    }
}

/// Writes an item as one NDJSON line of the import format.
pub fn write_item_ndjson(out: &mut impl Write, item: &GeneratedItem) -> io::Result<()> {
    write!(out, r#"{{"identifier":"{}","bricks":["#, item.identifier)?;
    for (i, (design, colours)) in item.bricks.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, r#"{{"design_id":{design},"color_codes":["#)?;
        write_joined(out, colours, b",")?;
        out.write_all(b"]}")?;
    }
    out.write_all(b"]}\n")
}

/// Writes an item as one CSV row: `identifier,bricks`.
pub fn write_item_csv(out: &mut impl Write, item: &GeneratedItem) -> io::Result<()> {
    write!(out, "{},", item.identifier)?;
    for (i, (design, colours)) in item.bricks.iter().enumerate() {
        if i > 0 {
            out.write_all(b";")?;
        }
        write!(out, "{design}:")?;
        write_joined(out, colours, b"/")?;
    }
    out.write_all(b"\n")
}

fn write_joined(out: &mut impl Write, values: &[u32], separator: &[u8]) -> io::Result<()> {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.write_all(separator)?;
        }
        write!(out, "{v}")?;
    }
    Ok(())
}

/// The price in cents as a decimal literal, e.g. `12.05`.
pub fn price_literal(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub fn write_master_data_ndjson(
    out: &mut impl Write,
    identifier: &str,
    status: &str,
    cents: u64,
) -> io::Result<()> {
    writeln!(
        out,
        r#"{{"identifier":"{identifier}","status":"{status}","price":{}}}"#,
        price_literal(cents)
    )
}

pub fn write_master_data_csv(
    out: &mut impl Write,
    identifier: &str,
    status: &str,
    cents: u64,
) -> io::Result<()> {
    writeln!(out, "{identifier},{status},{}", price_literal(cents))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_catalog() {
        let render = |seed| {
            let mut out = Vec::new();
            for item in Catalog::new(500, seed) {
                write_item_ndjson(&mut out, &item).unwrap();
            }
            out
        };
        assert_eq!(render(7), render(7));
        assert_ne!(render(7), render(8));
    }

    #[test]
    fn the_shape_follows_the_documented_distribution() {
        let items: Vec<_> = Catalog::new(20_000, 1).collect();
        let share = |f: &dyn Fn(&GeneratedItem) -> bool| {
            items.iter().filter(|i| f(i)).count() as f64 / items.len() as f64
        };
        let single = share(&|i| i.bricks.len() == 1);
        let priced = share(&|i| i.master_data.is_some());
        assert!(
            (0.55..0.68).contains(&single),
            "single-brick share {single}"
        );
        assert!((0.93..0.97).contains(&priced), "master data share {priced}");
        assert!(items.iter().all(|i| (1..=20).contains(&i.bricks.len())));
        assert!(items
            .iter()
            .flat_map(|i| &i.bricks)
            .all(|(d, c)| (1..=30_000).contains(d)
                && (1..=3).contains(&c.len())
                && c.iter().all(|&x| x <= 200)));
        assert!(items
            .iter()
            .filter_map(|i| i.master_data)
            .all(|(_, cents)| (5..=50_000).contains(&cents)));
    }

    #[test]
    fn hot_sets_gather_a_hundred_alternates() {
        let items: Vec<_> = Catalog::new(10_000, 3).collect();
        let mut first = items[0].bricks.clone();
        first.sort();
        let alternates = items[1..]
            .iter()
            .filter(|i| {
                let mut b = i.bricks.clone();
                b.sort();
                b == first
            })
            .count();
        assert!(alternates >= 100, "{alternates} alternates");
    }

    #[test]
    fn prices_are_written_as_exact_decimals() {
        assert_eq!(price_literal(5), "0.05");
        assert_eq!(price_literal(50_000), "500.00");
        assert_eq!(price_literal(1_234), "12.34");
    }
}
