//! Reading the catalog for a replica's memory: whole snapshots, and the
//! change feed that migration 0005 has every write fill in.
//!
//! Commit-safe order: a feed row carries the id of the transaction that
//! wrote it. Each read runs in one REPEATABLE READ snapshot and takes that
//! snapshot's `xmin`, the oldest transaction still running: every
//! transaction below it has finished, so no row below it can appear later.
//! A reader keeps `below` (the `xmin` of its last read) and the sequence
//! numbers it has already applied at or above it. The next read takes the
//! rows at or above `below` that it has not applied, whatever their
//! sequence numbers, and the current state of the identifiers they name,
//! from the same snapshot. A transaction that took a low sequence number
//! and commits late is read when it becomes visible; it is never skipped.

use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgListener};
use sqlx::{Connection, PgConnection, PgPool};
use std::collections::HashSet;

mod copy_rows;
mod estimate;
mod history;
mod row;

use copy_rows::CopyRows;
use row::{catalog_row, RawRow, SELECT_ROWS};

pub use estimate::estimated_items;
pub use history::History;
pub use row::CatalogRow;

/// The channel the feed's triggers notify.
const CHANNEL: &str = "catalog_changes";

/// Where a reader stands in the feed.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// Every transaction below this id is applied (or had no rows).
    pub below: u64,
    /// Rows at or above `below` that are applied already.
    pub applied: HashSet<i64>,
    /// The history the position belongs to.
    pub history: History,
}

/// What a read of the feed found.
pub enum Changes {
    /// The feed cannot say what changed (a bulk load or TRUNCATE, or rows
    /// trimmed before this reader saw them): load a snapshot.
    Reload,
    /// The current state of each named identifier (`None`: gone), and the
    /// position after applying them.
    Rows {
        rows: Vec<(String, Option<CatalogRow>)>,
        position: Position,
    },
}

type Snapshot<'c> = sqlx::Transaction<'c, sqlx::Postgres>;

/// A connection that reads the feed and snapshots: without a statement
/// timeout (a whole catalog streams through it; the reader bounds it on its
/// side), and with its server's identity read once, when it opens. A
/// server's identity cannot change under an open connection: a standby is
/// refused at every read, and only a promotion changes a timeline.
pub struct FeedConnection {
    conn: PgConnection,
    identity: (Option<String>, Option<i32>),
}

impl FeedConnection {
    pub async fn open(options: &PgConnectOptions) -> Result<FeedConnection, sqlx::Error> {
        let mut conn = PgConnection::connect_with(options).await?;
        sqlx::raw_sql("SET statement_timeout = 0")
            .execute(&mut conn)
            .await?;
        let mut tx = conn.begin().await?;
        let identity = history::server_identity(&mut tx).await?;
        tx.commit().await?;
        Ok(FeedConnection { conn, identity })
    }
}

/// A read-only transaction on one snapshot, its `xmin`, and the history
/// it belongs to, in two round trips. Dropped without
/// commit, it rolls back. A server that cannot take writes (a standby, or
/// a writer demoted by a failover and made read-only) is not the primary
/// the service writes to: reading it is an error that marks the pool's
/// connections stale, so that the next read reconnects.
async fn begin_snapshot(
    feed: &mut FeedConnection,
) -> Result<(Snapshot<'_>, u64, History), sqlx::Error> {
    let (system, timeline) = feed.identity.clone();
    let mut tx = feed
        .conn
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let conn: &mut PgConnection = &mut tx;
    let (xmin, trimmed, read_only): (i64, i64, bool) = sqlx::query_as(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, \
                trimmed_below::text::bigint, \
                pg_is_in_recovery() \
                  OR current_setting('default_transaction_read_only')::bool \
         FROM catalog_feed",
    )
    .fetch_one(&mut *conn)
    .await?;
    if read_only {
        return Err(super::failover::read_only_server());
    }
    let history = History {
        system,
        timeline,
        trimmed_below: trimmed as u64,
    };
    Ok((tx, xmin as u64, history))
}

/// The feed rows at or above `below`: (sequence number, transaction id,
/// identifier or `None` for a reload marker).
async fn feed_rows(
    conn: &mut PgConnection,
    below: u64,
) -> Result<Vec<(i64, i64, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, xid::text::bigint, identifier FROM catalog_changes \
         WHERE xid >= $1::bigint::text::xid8",
    )
    .bind(below as i64)
    .fetch_all(&mut *conn)
    .await
}

/// Streams every item to `each`, and returns the feed position of the
/// snapshot they were read from. `each` sees each row in the same place:
/// it takes the row with `std::mem::take`, or swaps in a spent one whose
/// buffers the next row is decoded into.
#[tracing::instrument(name = "catalog snapshot", skip_all, fields(db.system.name = "postgresql", db.operation.name = "COPY", db.collection.name = "items", otel.kind = "client"))]
pub async fn snapshot(
    feed: &mut FeedConnection,
    mut each: impl FnMut(&mut CatalogRow),
) -> Result<Position, sqlx::Error> {
    let (mut tx, xmin, history) = begin_snapshot(feed).await?;
    let conn: &mut PgConnection = &mut tx;
    let applied = feed_rows(&mut *conn, xmin)
        .await?
        .into_iter()
        .map(|(seq, _, _)| seq)
        .collect();
    {
        // Binary COPY rather than the row protocol: the same values, read
        // in one pass (see `copy_rows`).
        let mut chunks = conn
            .copy_out_raw(&format!("COPY ({SELECT_ROWS}) TO STDOUT (FORMAT binary)"))
            .await?;
        let mut rows = CopyRows::default();
        let mut row = CatalogRow::default();
        while let Some(chunk) = chunks.try_next().await? {
            rows.feed(&chunk, |tuple| {
                copy_rows::decode_into(tuple, &mut row)?;
                each(&mut row);
                Ok(())
            })?;
        }
        rows.finish()?;
    }
    tx.commit().await?;
    Ok(Position {
        below: xmin,
        applied,
        history,
    })
}

/// What changed since `position`, read in one snapshot.
#[tracing::instrument(name = "catalog feed read", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "catalog_changes", otel.kind = "client"))]
pub async fn changes(
    feed: &mut FeedConnection,
    position: &Position,
) -> Result<Changes, sqlx::Error> {
    let (mut tx, xmin, history) = begin_snapshot(feed).await?;
    let conn: &mut PgConnection = &mut tx;
    if let Some(why) = position.history.changed(&history, xmin, position.below) {
        tracing::warn!(
            reason = why,
            "the database's history changed under the catalog; loading a snapshot"
        );
        return Ok(Changes::Reload);
    }
    if history.trimmed_below > position.below {
        return Ok(Changes::Reload);
    }
    let feed = feed_rows(&mut *conn, position.below).await?;
    let below = xmin.max(position.below);
    let mut named = Vec::new();
    for (seq, _, identifier) in feed.iter().filter(|r| !position.applied.contains(&r.0)) {
        match identifier {
            Some(identifier) => named.push(identifier.clone()),
            None => {
                tracing::debug!(seq, "the feed asks for a fresh snapshot");
                return Ok(Changes::Reload);
            }
        }
    }
    named.sort_unstable();
    named.dedup();
    let mut found: Vec<CatalogRow> = if named.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as::<_, RawRow>(sqlx::AssertSqlSafe(format!(
            "{SELECT_ROWS} WHERE i.identifier = ANY($1)"
        )))
        .bind(&named)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(catalog_row)
        .collect::<Result<_, _>>()?
    };
    tx.commit().await?;
    found.sort_unstable_by(|a, b| a.identifier.cmp(&b.identifier));
    let mut found = found.into_iter().peekable();
    let rows = named
        .into_iter()
        .map(|identifier| {
            let row = found.next_if(|r| r.identifier == identifier);
            (identifier, row)
        })
        .collect();
    // Rows below the new `below` can never be read again; those at or
    // above it are remembered so that the next read skips them.
    let applied = feed
        .iter()
        .filter(|(_, xid, _)| *xid as u64 >= below)
        .map(|(seq, _, _)| *seq)
        .collect();
    Ok(Changes::Rows {
        rows,
        position: Position {
            below,
            applied,
            history,
        },
    })
}

/// Rows one trimming statement deletes at most.
const TRIM_BATCH: i64 = 10_000;

/// Deletes feed rows older than `retention_secs` whose transactions have
/// all finished, `TRIM_BATCH` at a time (lowest transaction ids first),
/// each batch raising `trimmed_below` past it in the same statement, with
/// a statement timeout of its own. Returns how many rows went.
pub async fn trim(pool: &PgPool, retention_secs: u64) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL statement_timeout = '30s'")
            .execute(&mut *tx)
            .await?;
        let (gone,): (i64,) = sqlx::query_as(
            "WITH gone AS (
                 DELETE FROM catalog_changes
                 WHERE seq IN (
                     SELECT seq FROM catalog_changes
                     WHERE recorded_at < now() - make_interval(secs => $1)
                       AND xid < pg_snapshot_xmin(pg_current_snapshot())
                     ORDER BY xid
                     LIMIT $2)
                 RETURNING xid::text::bigint AS xid
             ), raised AS (
                 UPDATE catalog_feed
                 SET trimmed_below = greatest(trimmed_below, ((SELECT max(xid) FROM gone) + 1)::text::xid8)
                 WHERE EXISTS (SELECT 1 FROM gone)
             )
             SELECT count(*) FROM gone",
        )
        .bind(retention_secs as f64)
        .bind(TRIM_BATCH)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        total += gone as u64;
        if gone < TRIM_BATCH {
            return Ok(total);
        }
    }
}

/// How many rows the feed holds, and the age of the oldest in seconds.
pub async fn backlog(pool: &PgPool) -> Result<(u64, f64), sqlx::Error> {
    let (rows, oldest): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), extract(epoch FROM now() - min(recorded_at))::float8 \
         FROM catalog_changes",
    )
    .fetch_one(pool)
    .await?;
    Ok((rows as u64, oldest.unwrap_or(0.0)))
}

/// A connection that listens on the feed's channel.
pub async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
