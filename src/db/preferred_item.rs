//! Preferred-item lookups: matching items through their indexes, and a
//! shortlist of candidates per query that the domain decides on.
//!
//! A whole batch costs at most three round trips, one per kind of lookup,
//! whatever its size.
//!
//! - `exact`: `items_signature_idx` orders the items of one signature by
//!   status, price and identifier.
//! - `contains` one distinct brick: `item_bricks_candidates_idx` orders the
//!   items holding a brick the same way.
//! - `contains` several bricks: the posting lists of the wanted bricks are
//!   intersected; an item matches when it holds every one often enough.
//!
//! For each query, only the first `alternatives + 1` candidates of each
//! status (by price, then identifier) come back, with the total count; see
//! `PreferredItemQuery::shortlist_per_status` for why that is enough. The
//! first two lookups read just those rows from their index, however many
//! items match.

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgPool, Row};

use super::items::{brick_index_rows, item_from_row};
use super::master_data::master_data_from_row;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;

use crate::domain::{
    AnswerTooLarge, Candidate, MatchMode, PreferredItemQuery, Shortlist, ShortlistBudget, Status,
    INLINE_SHORTLISTED_CODES,
};

/// Why shortlists could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    TooLarge(#[from] AnswerTooLarge),
}

/// Shortlists for each query, in query order. Rows are read as they
/// arrive and charged to one request's budget, which stops the read once
/// it is spent.
#[tracing::instrument(name = "SELECT item_bricks", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "item_bricks", otel.kind = "client", queries = queries.len()))]
pub async fn shortlists(
    pool: &PgPool,
    queries: &[&PreferredItemQuery],
) -> Result<Vec<Shortlist>, LookupError> {
    let shortlists: Vec<Shortlist> = queries.iter().map(|_| Shortlist::default()).collect();
    let mut exact = ExactParams::default();
    let mut contains_one = ContainsOneParams::default();
    let mut contains_many = ContainsManyParams::default();
    for (position, query) in queries.iter().enumerate() {
        let position = position as i32;
        match query.match_mode {
            MatchMode::Exact => exact.push(position, query),
            MatchMode::Contains if query.bricks.counts().len() == 1 => {
                contains_one.push(position, query)
            }
            MatchMode::Contains => contains_many.push(position, query),
        }
    }
    let mut rows = Vec::new();
    let mut budget = ShortlistBudget::default();
    if !exact.positions.is_empty() {
        collect(exact.fetch(pool), &mut rows, &mut budget).await?;
    }
    if !contains_one.positions.is_empty() {
        collect(contains_one.fetch(pool), &mut rows, &mut budget).await?;
    }
    if !contains_many.positions.is_empty() {
        collect(contains_many.fetch(pool), &mut rows, &mut budget).await?;
    }
    // Turning rows into items is the heavy part of a large answer: past
    // the inline allowance it runs off the HTTP worker.
    let codes = budget.spent();
    let fill = move || fill_shortlists(shortlists, rows);
    if codes > INLINE_SHORTLISTED_CODES {
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(fill))
            .await
            .map_err(|e| LookupError::Database(sqlx::Error::Decode(e.into())))?
    } else {
        fill()
    }
}

/// Puts each row's candidate in its query's shortlist.
fn fill_shortlists(
    mut shortlists: Vec<Shortlist>,
    rows: Vec<PgRow>,
) -> Result<Vec<Shortlist>, LookupError> {
    for row in rows {
        let row = ShortlistRow::from_row(&row)?;
        let shortlist = &mut shortlists[row.position as usize];
        shortlist.total = row.total as u64;
        let item = item_from_row(
            row.identifier.clone(),
            row.brick_designs,
            row.brick_color_counts,
            row.brick_colors,
        )
        .map_err(|e| sqlx::Error::Decode(e.into()))?;
        let status = usize::try_from(row.status_rank)
            .ok()
            .and_then(|rank| Status::ALL.get(rank))
            .ok_or_else(|| {
                sqlx::Error::Decode(
                    format!("stored status rank {} is invalid", row.status_rank).into(),
                )
            })?;
        let master_data =
            master_data_from_row(row.identifier, status.as_str().to_owned(), row.price)?;
        shortlist.candidates.push(Candidate { item, master_data });
    }
    Ok(shortlists)
}

/// Reads `stream` into `rows` as they came, undecoded, charging each
/// row's colour codes.
async fn collect(
    mut stream: RowStream<'_>,
    rows: &mut Vec<PgRow>,
    budget: &mut ShortlistBudget,
) -> Result<(), LookupError> {
    while let Some(row) = stream.try_next().await? {
        budget.charge(colour_codes(&row)?)?;
        rows.push(row);
    }
    Ok(())
}

/// How many colour codes a row's `brick_colors` holds, read from the size
/// of its binary form without decoding it: a one-dimensional `int4[]` is a
/// 20-byte header and 8 bytes (length and value) per element; an empty
/// array is a 12-byte header.
fn colour_codes(row: &PgRow) -> Result<usize, sqlx::Error> {
    let raw = row.try_get_raw("brick_colors")?;
    let bytes = raw.as_bytes().map_err(sqlx::Error::Decode)?;
    Ok(bytes.len().saturating_sub(20) / 8)
}

type RowStream<'a> = BoxStream<'a, Result<PgRow, sqlx::Error>>;

#[derive(sqlx::FromRow)]
struct ShortlistRow {
    position: i32,
    identifier: String,
    status_rank: i16,
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
    fn push(&mut self, position: i32, query: &PreferredItemQuery) {
        self.positions.push(position);
        self.signatures.push(query.bricks.signature().0.to_vec());
        self.include_discontinued.push(query.include_discontinued);
        self.take.push(query.shortlist_per_status() as i32);
    }

    fn fetch<'a>(&'a self, pool: &'a PgPool) -> RowStream<'a> {
        sqlx::query(include_str!("queries/shortlist_exact.sql"))
            .bind(&self.positions)
            .bind(&self.signatures)
            .bind(&self.include_discontinued)
            .bind(&self.take)
            .fetch(pool)
    }
}

#[derive(Default)]
struct ContainsOneParams {
    positions: Vec<i32>,
    bricks: Vec<Vec<u8>>,
    needed: Vec<i32>,
    include_discontinued: Vec<bool>,
    take: Vec<i32>,
}

impl ContainsOneParams {
    fn push(&mut self, position: i32, query: &PreferredItemQuery) {
        let (mut keys, counts) = brick_index_rows(&query.bricks);
        self.positions.push(position);
        self.bricks.push(keys.remove(0));
        self.needed.push(counts[0]);
        self.include_discontinued.push(query.include_discontinued);
        self.take.push(query.shortlist_per_status() as i32);
    }

    fn fetch<'a>(&'a self, pool: &'a PgPool) -> RowStream<'a> {
        sqlx::query(include_str!("queries/shortlist_contains_one.sql"))
            .bind(&self.positions)
            .bind(&self.bricks)
            .bind(&self.needed)
            .bind(&self.include_discontinued)
            .bind(&self.take)
            .fetch(pool)
    }
}

#[derive(Default)]
struct ContainsManyParams {
    positions: Vec<i32>,
    include_discontinued: Vec<bool>,
    take: Vec<i32>,
    distinct_bricks: Vec<i32>,
    wanted_positions: Vec<i32>,
    wanted_bricks: Vec<Vec<u8>>,
    wanted_counts: Vec<i32>,
}

impl ContainsManyParams {
    fn push(&mut self, position: i32, query: &PreferredItemQuery) {
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

    fn fetch<'a>(&'a self, pool: &'a PgPool) -> RowStream<'a> {
        sqlx::query(include_str!("queries/shortlist_contains_many.sql"))
            .bind(&self.positions)
            .bind(&self.include_discontinued)
            .bind(&self.take)
            .bind(&self.distinct_bricks)
            .bind(&self.wanted_positions)
            .bind(&self.wanted_bricks)
            .bind(&self.wanted_counts)
            .fetch(pool)
    }
}
