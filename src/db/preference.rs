//! Preferred-item lookups: matching items through their indexes, and a
//! shortlist of candidates per query that the domain decides on.
//!
//! A whole batch costs at most two round trips, one for its `exact` queries
//! and one for its `contains` queries, whatever its size.
//!
//! - `exact`: one probe of `items_signature_idx` per query.
//! - `contains`: the inverted index `item_bricks` gives, per wanted brick,
//!   the items holding it at least as often as wanted; an item matches when
//!   it turns up for every distinct wanted brick.
//!
//! For each query, only the first `alternatives + 1` candidates of each
//! status (by price, then identifier) come back, with the total count; see
//! `PreferenceQuery::shortlist_per_status` for why that is enough.

use sqlx::PgPool;

use super::items::{brick_index_rows, item_from_row};
use super::master_data::master_data_from_row;
use crate::domain::{Candidate, MatchMode, PreferenceQuery};

/// The candidates the decision needs for one query, and how many there are.
#[derive(Debug, Default)]
pub struct Shortlist {
    pub candidates: Vec<Candidate>,
    pub total: u64,
}

/// Shortlists for each query, in query order.
#[tracing::instrument(skip_all, fields(queries = queries.len()))]
pub async fn shortlists(
    pool: &PgPool,
    queries: &[&PreferenceQuery],
) -> Result<Vec<Shortlist>, sqlx::Error> {
    let mut shortlists: Vec<Shortlist> = queries.iter().map(|_| Shortlist::default()).collect();
    let mut exact = ExactParams::default();
    let mut contains = ContainsParams::default();
    for (position, query) in queries.iter().enumerate() {
        let position = position as i32;
        match query.match_mode {
            MatchMode::Exact => exact.push(position, query),
            MatchMode::Contains => contains.push(position, query),
        }
    }
    let mut rows = Vec::new();
    if !exact.positions.is_empty() {
        rows.extend(exact.fetch(pool).await?);
    }
    if !contains.positions.is_empty() {
        rows.extend(contains.fetch(pool).await?);
    }
    for row in rows {
        let shortlist = &mut shortlists[row.position as usize];
        shortlist.total = row.total as u64;
        let item = item_from_row(
            row.identifier.clone(),
            row.brick_designs,
            row.brick_color_counts,
            row.brick_colors,
        )
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
        let info = master_data_from_row(row.identifier, row.status, row.price)?;
        shortlist.candidates.push(Candidate { item, info });
    }
    Ok(shortlists)
}

struct ShortlistRow {
    position: i32,
    identifier: String,
    status: String,
    price: rust_decimal::Decimal,
    total: i64,
    brick_designs: Vec<i32>,
    brick_color_counts: Vec<i32>,
    brick_colors: Vec<i32>,
}

#[derive(Default)]
struct ExactParams {
    positions: Vec<i32>,
    signatures: Vec<Vec<u8>>,
    include_discontinued: Vec<bool>,
    take: Vec<i32>,
}

impl ExactParams {
    fn push(&mut self, position: i32, query: &PreferenceQuery) {
        self.positions.push(position);
        self.signatures.push(query.bricks.signature().0.to_vec());
        self.include_discontinued.push(query.include_discontinued);
        self.take.push(query.shortlist_per_status() as i32);
    }

    async fn fetch(&self, pool: &PgPool) -> Result<Vec<ShortlistRow>, sqlx::Error> {
        sqlx::query_file_as!(
            ShortlistRow,
            "src/db/queries/shortlist_exact.sql",
            &self.positions,
            &self.signatures,
            &self.include_discontinued,
            &self.take,
        )
        .fetch_all(pool)
        .await
    }
}

#[derive(Default)]
struct ContainsParams {
    positions: Vec<i32>,
    include_discontinued: Vec<bool>,
    take: Vec<i32>,
    distinct_bricks: Vec<i32>,
    wanted_positions: Vec<i32>,
    wanted_bricks: Vec<Vec<u8>>,
    wanted_counts: Vec<i32>,
}

impl ContainsParams {
    fn push(&mut self, position: i32, query: &PreferenceQuery) {
        let (keys, counts) = brick_index_rows(&query.bricks);
        self.positions.push(position);
        self.include_discontinued.push(query.include_discontinued);
        self.take.push(query.shortlist_per_status() as i32);
        self.distinct_bricks.push(keys.len() as i32);
        self.wanted_positions
            .extend(std::iter::repeat_n(position, keys.len()));
        self.wanted_bricks.extend(keys);
        self.wanted_counts.extend(counts);
    }

    async fn fetch(&self, pool: &PgPool) -> Result<Vec<ShortlistRow>, sqlx::Error> {
        sqlx::query_file_as!(
            ShortlistRow,
            "src/db/queries/shortlist_contains.sql",
            &self.positions,
            &self.include_discontinued,
            &self.take,
            &self.distinct_bricks,
            &self.wanted_positions,
            &self.wanted_bricks,
            &self.wanted_counts,
        )
        .fetch_all(pool)
        .await
    }
}
