//! Reading the whole catalog out, from one consistent snapshot: a
//! `REPEATABLE READ READ ONLY` transaction reads the items and then the
//! master data as they stood at its start, whatever commits meanwhile.
//! Rows are streamed (never collected), so memory stays flat however large
//! the catalog.

use futures_util::stream::BoxStream;
use rust_decimal::Decimal;
use sqlx::{PgPool, Postgres, Transaction};

/// An item's row as stored: identifier, brick designs, colour counts per
/// brick, and the colours of every brick one after another.
pub type ItemRow = (String, Vec<i32>, Vec<i32>, Vec<i32>);
/// A master-data row: identifier, status, price.
pub type MasterDataRow = (String, String, Decimal);

/// One snapshot of the catalog, open until dropped or finished.
pub struct Snapshot {
    tx: Transaction<'static, Postgres>,
    /// Every transaction below this id is in the snapshot (the same number
    /// as `X-Catalog-Version`).
    pub version: u64,
    pub items: u64,
    pub master_data: u64,
}

impl Snapshot {
    /// Opens the snapshot and counts what it holds.
    #[tracing::instrument(name = "catalog export snapshot", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "items", otel.kind = "client"))]
    pub async fn open(pool: &PgPool) -> Result<Snapshot, sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        // A long export is one statement per table by design.
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *tx)
            .await?;
        let (version, items, master_data): (i64, i64, i64) = sqlx::query_as(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
                    (SELECT count(*) FROM items), (SELECT count(*) FROM master_data)",
        )
        .fetch_one(&mut *tx)
        .await?;
        Ok(Snapshot {
            tx,
            version: version as u64,
            items: items as u64,
            master_data: master_data as u64,
        })
    }

    /// Every item, in identifier order.
    pub fn items(&mut self) -> BoxStream<'_, Result<ItemRow, sqlx::Error>> {
        sqlx::query_as(
            "SELECT identifier, brick_designs, brick_color_counts, brick_colors
             FROM items ORDER BY identifier",
        )
        .fetch(&mut *self.tx)
    }

    /// Every master-data record, in identifier order.
    pub fn master_data(&mut self) -> BoxStream<'_, Result<MasterDataRow, sqlx::Error>> {
        sqlx::query_as("SELECT identifier, status, price FROM master_data ORDER BY identifier")
            .fetch(&mut *self.tx)
    }

    /// Ends the read-only transaction.
    pub async fn finish(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}
