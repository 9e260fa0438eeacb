//! Loading many records at once, for `import` and the bulk routes: PostgreSQL
//! COPY into the tables (or into staging tables that are then merged), in
//! the caller's transaction, so that a load is all or nothing.
//!
//! Statements over the staging tables are plain static strings, not
//! compile-time-checked macros: those tables exist only inside the load's
//! transaction, so there is nothing to check them against at build time.
//! The import and bulk tests cover them.
//!
//! Records arrive already parsed and validated, each with its position (a
//! line number for files, an index for request bodies). If any record is
//! invalid, nothing is written and the first `MAX_REPORTED_ERRORS`
//! problems are returned.

mod copy;
mod outcome;

pub use outcome::{LoadCounts, LoadError, LoadMode, MasterDataColumns, MAX_REPORTED_ERRORS};

use sqlx::PgConnection;
use std::collections::HashMap;
use std::fmt::Write as _;

use crate::domain::{Item, MasterData, Record, RecordError};
use copy::{copy_records, encode_item, send_all, LineBuffer};

/// Loads items. `conn` must be in a transaction.
///
/// `copies` (replace mode only) gives the master data about to be loaded in
/// the same transaction, so that the rows are written with their copies
/// right away, instead of being rewritten when the master data arrives.
#[tracing::instrument(name = "COPY items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "COPY", db.collection.name = "items", otel.kind = "client", ?mode))]
pub async fn load_items(
    conn: &mut PgConnection,
    mode: LoadMode,
    records: impl IntoIterator<Item = Record<Item>>,
    copies: Option<&HashMap<String, MasterDataColumns>>,
) -> Result<LoadCounts, LoadError> {
    let copies = copies.filter(|_| mode == LoadMode::Replace);
    let (items_target, bricks_target) = match mode {
        LoadMode::Replace => {
            // TRUNCATE fires no delete triggers: item_bricks is named too.
            // The rows are written with their copies, and the counts are
            // rebuilt once at the end, so the row triggers stand aside.
            sqlx::query!("TRUNCATE items, item_bricks, master_data, signature_counts")
                .execute(&mut *conn)
                .await?;
            maintain_copies_in_bulk(conn).await?;
            (
                "COPY items (identifier, brick_designs, brick_color_counts, brick_colors, signature, status_rank, price) FROM STDIN",
                "COPY item_bricks (brick, identifier, multiplicity, status_rank, price) FROM STDIN",
            )
        }
        LoadMode::Upsert => {
            sqlx::raw_sql(
                r#"CREATE TEMP TABLE import_items (
                       identifier text COLLATE "C", brick_designs int4[],
                       brick_color_counts int4[], brick_colors int4[], signature bytea,
                       status_rank int2, price numeric
                   ) ON COMMIT DROP;
                   CREATE TEMP TABLE import_item_bricks (
                       brick bytea, identifier text COLLATE "C", multiplicity int4,
                       status_rank int2, price numeric
                   ) ON COMMIT DROP"#,
            )
            .execute(&mut *conn)
            .await?;
            (
                "COPY import_items FROM STDIN",
                "COPY import_item_bricks FROM STDIN",
            )
        }
    };

    // Items stream to the server as they are read; their brick index rows
    // wait in memory for the second COPY.
    let mut brick_rows = Vec::new();
    let loaded = copy_records(
        conn,
        items_target,
        records,
        |i: &Item| i.identifier.as_str(),
        |item, _, rows| {
            let item_copies = copies.and_then(|c| c.get(item.identifier.as_str()));
            encode_item(item, item_copies, rows, &mut brick_rows);
        },
    )
    .await?;
    send_all(conn, bricks_target, &brick_rows).await?;

    match mode {
        LoadMode::Replace => {
            sqlx::query!(
                "INSERT INTO signature_counts (signature, status_rank, items)
                 SELECT signature, status_rank, count(*) FROM items
                 WHERE status_rank IS NOT NULL
                 GROUP BY signature, status_rank"
            )
            .execute(&mut *conn)
            .await?;
            Ok(LoadCounts {
                created: loaded,
                updated: 0,
            })
        }
        LoadMode::Upsert => {
            let (created, updated): (i64, i64) = sqlx::query_as(
                r#"WITH written AS (
                       INSERT INTO items (identifier, brick_designs, brick_color_counts, brick_colors, signature)
                       SELECT identifier, brick_designs, brick_color_counts, brick_colors, signature
                       FROM pg_temp.import_items
                       ORDER BY identifier
                       ON CONFLICT (identifier) DO UPDATE
                       SET brick_designs = EXCLUDED.brick_designs,
                           brick_color_counts = EXCLUDED.brick_color_counts,
                           brick_colors = EXCLUDED.brick_colors,
                           signature = EXCLUDED.signature,
                           updated_at = now()
                       RETURNING (xmax = 0) AS created
                   )
                   SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
                   FROM written"#,
            )
            .fetch_one(&mut *conn)
            .await?;
            sqlx::raw_sql(
                "DELETE FROM item_bricks ib USING pg_temp.import_items s WHERE ib.identifier = s.identifier;
                 INSERT INTO item_bricks (brick, identifier, multiplicity, status_rank, price)
                 SELECT s.brick, s.identifier, s.multiplicity, i.status_rank, i.price
                 FROM pg_temp.import_item_bricks s JOIN items i ON i.identifier = s.identifier",
            )
            .execute(&mut *conn)
            .await?;
            Ok(LoadCounts {
                created: created as u64,
                updated: updated as u64,
            })
        }
    }
}

/// Loads master data. Every record's item must exist. `conn` must be in a
/// transaction. `copies_written` says that `load_items` already wrote the
/// copies of these records in this transaction.
#[tracing::instrument(name = "COPY master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "COPY", db.collection.name = "master_data", otel.kind = "client", ?mode))]
pub async fn load_master_data(
    conn: &mut PgConnection,
    mode: LoadMode,
    records: impl IntoIterator<Item = Record<MasterData>>,
    copies_written: bool,
) -> Result<LoadCounts, LoadError> {
    // The copies on items and item_bricks, and the signature counts, are
    // written below, set-based, rather than row by row by the triggers.
    maintain_copies_in_bulk(conn).await?;
    sqlx::raw_sql(
        r#"CREATE TEMP TABLE import_master_data (
               position int8, identifier text COLLATE "C", status text, price numeric
           ) ON COMMIT DROP"#,
    )
    .execute(&mut *conn)
    .await?;

    copy_records(
        conn,
        "COPY import_master_data FROM STDIN",
        records,
        |m: &MasterData| m.identifier.as_str(),
        |md, position, rows| {
            let _ = writeln!(
                LineBuffer(rows),
                "{position}\t{}\t{}\t{}",
                md.identifier,
                md.status,
                md.price
            );
        },
    )
    .await?;

    // In an upsert, the items named stay until commit (a concurrent delete
    // waits), so that the check below still holds when the rows go in. A
    // replace has emptied and locked the catalog already.
    if mode == LoadMode::Upsert {
        sqlx::query(
            "SELECT 1 FROM items i JOIN pg_temp.import_master_data s ON s.identifier = i.identifier
             ORDER BY i.identifier FOR KEY SHARE OF i",
        )
        .execute(&mut *conn)
        .await?;
    }
    let unknown: Vec<(i64, String)> = sqlx::query_as(
        "SELECT position, identifier
         FROM pg_temp.import_master_data s
         WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.identifier = s.identifier)
         ORDER BY position
         LIMIT $1",
    )
    .bind(MAX_REPORTED_ERRORS as i64)
    .fetch_all(&mut *conn)
    .await?;
    if !unknown.is_empty() {
        return Err(LoadError::Invalid(
            unknown
                .into_iter()
                .map(|(position, identifier)| RecordError {
                    position: position as u64,
                    field: "identifier".into(),
                    message: format!("item {identifier} does not exist"),
                })
                .collect(),
        ));
    }
    if mode == LoadMode::Replace {
        sqlx::query!("DELETE FROM master_data")
            .execute(&mut *conn)
            .await?;
    }
    let (created, updated): (i64, i64) = sqlx::query_as(
        r#"WITH written AS (
               INSERT INTO master_data (identifier, status, price)
               SELECT identifier, status, price FROM pg_temp.import_master_data
               ORDER BY identifier
               ON CONFLICT (identifier) DO UPDATE
               SET status = EXCLUDED.status, price = EXCLUDED.price, updated_at = now()
               RETURNING (xmax = 0) AS created
           )
           SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created)
           FROM written"#,
    )
    .fetch_one(&mut *conn)
    .await?;
    if mode == LoadMode::Replace && !copies_written {
        // The master data that went is gone from the items too: their
        // copies are cleared here (the row triggers stand aside in a
        // load), and every signature count is made again below.
        sqlx::raw_sql(
            "UPDATE items i SET status_rank = NULL, price = NULL
             WHERE i.status_rank IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM master_data md WHERE md.identifier = i.identifier);
             UPDATE item_bricks ib SET status_rank = NULL, price = NULL
             WHERE ib.status_rank IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM master_data md WHERE md.identifier = ib.identifier);
             LOCK TABLE signature_counts IN SHARE ROW EXCLUSIVE MODE;
             DELETE FROM signature_counts;
             INSERT INTO signature_counts (signature, status_rank, items)
             SELECT signature, status_rank, count(*) FROM items
             WHERE status_rank IS NOT NULL
             GROUP BY signature, status_rank",
        )
        .execute(&mut *conn)
        .await?;
    }
    if !copies_written {
        sqlx::raw_sql(
            "UPDATE items i SET status_rank = md.status_rank, price = md.price
             FROM master_data md JOIN pg_temp.import_master_data s ON s.identifier = md.identifier
             WHERE i.identifier = md.identifier;
             UPDATE item_bricks ib SET status_rank = md.status_rank, price = md.price
             FROM master_data md JOIN pg_temp.import_master_data s ON s.identifier = md.identifier
             WHERE ib.identifier = md.identifier;
             -- Writers of single items keep the counts row by row; the
             -- recount below must not interleave with them (it would insert
             -- a count they are inserting too), so it waits for those in
             -- flight and holds off new ones until commit. Taken after this
             -- load's row locks, so a writer blocked on one of those rows
             -- holds no count yet.
             LOCK TABLE signature_counts IN SHARE ROW EXCLUSIVE MODE;
             CREATE TEMP TABLE touched_signatures ON COMMIT DROP AS
                 SELECT DISTINCT i.signature FROM items i
                 JOIN pg_temp.import_master_data s ON s.identifier = i.identifier;
             DELETE FROM signature_counts sc USING pg_temp.touched_signatures t
             WHERE sc.signature = t.signature;
             INSERT INTO signature_counts (signature, status_rank, items)
             SELECT i.signature, i.status_rank, count(*)
             FROM items i JOIN pg_temp.touched_signatures t ON t.signature = i.signature
             WHERE i.status_rank IS NOT NULL
             GROUP BY i.signature, i.status_rank",
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(LoadCounts {
        created: created as u64,
        updated: updated as u64,
    })
}

/// Locks the catalog against other writers for the rest of the transaction
/// and says whether it is empty. An upsert into an empty catalog is a
/// replace, which writes every row once, with no staging tables.
pub async fn lock_if_empty(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::raw_sql("LOCK TABLE items, item_bricks, master_data IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    let empty: bool = sqlx::query_scalar(
        "SELECT NOT EXISTS (SELECT 1 FROM items) AND NOT EXISTS (SELECT 1 FROM master_data)",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(empty)
}

/// Tells the row triggers that keep the status copies and signature counts
/// to stand aside for the rest of this transaction: the load writes them
/// itself, set-based.
async fn maintain_copies_in_bulk(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT set_config('catalog.copies_maintained', 'on', true) AS \"on!\"")
        .fetch_one(&mut *conn)
        .await?;
    Ok(())
}

/// Fresh statistics right after a load, so the planner keeps using the
/// indexes on a catalog that just grew by orders of magnitude; and a
/// visibility map, so that counting candidates reads the indexes alone.
pub async fn analyze(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!("VACUUM (ANALYZE) items, item_bricks, master_data")
        .execute(pool)
        .await?;
    Ok(())
}
