//! Master data records: one per item at most, gone with their item.

use anyhow::anyhow;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::{Keyset, Listed, Page};
use crate::domain::{Identifier, MasterData, Price, Status};

/// What a create-or-replace did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MasterDataWrite {
    Created,
    Replaced,
    /// There is no item with this identifier.
    UnknownItem,
}

pub(super) fn master_data_from_row(
    identifier: String,
    status: String,
    price: Decimal,
) -> Result<MasterData, sqlx::Error> {
    let invalid = |what: &str| sqlx::Error::Decode(anyhow!("stored {what} is invalid").into());
    Ok(MasterData {
        identifier: Identifier::parse(&identifier, "identifier")
            .map_err(|_| invalid("identifier"))?,
        status: Status::parse(&status, "status").map_err(|_| invalid("status"))?,
        price: Price::from_decimal(price, "price").map_err(|_| invalid("price"))?,
    })
}

struct MasterDataRow {
    identifier: String,
    status: String,
    price: Decimal,
}

#[tracing::instrument(name = "SELECT master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "master_data", otel.kind = "client", limit = from.limit))]
pub async fn list(pool: &PgPool, from: Keyset<'_>, status: Option<Status>) -> Listed<MasterData> {
    let (after, fetch) = (from.after, from.fetch());
    let rows: Vec<MasterDataRow> = match status {
        None => {
            sqlx::query_as!(
                MasterDataRow,
                r#"SELECT identifier AS "identifier!", status, price
                   FROM master_data
                   WHERE identifier > $1::text COLLATE "C"
                   ORDER BY identifier
                   LIMIT $2"#,
                after,
                fetch,
            )
            .fetch_all(pool)
            .await?
        }
        Some(status) => {
            sqlx::query_as!(
                MasterDataRow,
                r#"SELECT identifier AS "identifier!", status, price
                   FROM master_data
                   WHERE status = $1 AND identifier > $2::text COLLATE "C"
                   ORDER BY identifier
                   LIMIT $3"#,
                status.as_str(),
                after,
                fetch,
            )
            .fetch_all(pool)
            .await?
        }
    };
    Page::of(rows, from.limit, |r| {
        master_data_from_row(r.identifier, r.status, r.price)
    })
}

#[tracing::instrument(name = "SELECT master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "master_data", otel.kind = "client"))]
pub async fn find<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    identifier: &Identifier,
) -> Result<Option<MasterData>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT identifier AS "identifier!", status, price FROM master_data WHERE identifier = $1"#,
        identifier.as_str(),
    )
    .fetch_optional(conn)
    .await?
    .map(|r| master_data_from_row(r.identifier, r.status, r.price))
    .transpose()
}

/// Creates or replaces the record of an existing item.
#[tracing::instrument(name = "INSERT master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "master_data", otel.kind = "client"))]
pub async fn upsert<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    record: &MasterData,
) -> Result<MasterDataWrite, sqlx::Error> {
    // Inserting through a SELECT from items turns "no such item" into zero
    // rows instead of a foreign-key error, and the row lock the insert
    // takes on the item keeps a concurrent delete from slipping between.
    let created = sqlx::query_scalar!(
        r#"INSERT INTO master_data (identifier, status, price)
           SELECT identifier, $2, $3 FROM items WHERE identifier = $1
           ON CONFLICT (identifier) DO UPDATE
           SET status = EXCLUDED.status, price = EXCLUDED.price, updated_at = now()
           RETURNING (xmax = 0) AS "created!""#,
        record.identifier.as_str(),
        record.status.as_str(),
        record.price.value(),
    )
    .fetch_optional(conn)
    .await;
    let created = match created {
        // The item was deleted between the SELECT and the foreign-key check.
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Ok(MasterDataWrite::UnknownItem)
        }
        other => other?,
    };
    Ok(match created {
        None => MasterDataWrite::UnknownItem,
        Some(true) => MasterDataWrite::Created,
        Some(false) => MasterDataWrite::Replaced,
    })
}

#[tracing::instrument(name = "DELETE master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "master_data", otel.kind = "client"))]
pub async fn delete<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    identifier: &Identifier,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "DELETE FROM master_data WHERE identifier = $1",
        identifier.as_str()
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// The item's master data, with the *item's* row locked until the
/// transaction ends: a conditional write of the record compares and writes
/// with no other write of it in between, a first creation included. `None`
/// inside `Some` when the item exists without master data; `None` when the
/// item does not exist.
#[tracing::instrument(name = "SELECT master_data", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "master_data", otel.kind = "client"))]
pub async fn find_locked(
    conn: &mut sqlx::PgConnection,
    identifier: &Identifier,
) -> Result<Option<Option<MasterData>>, sqlx::Error> {
    let item: Option<(String,)> =
        sqlx::query_as("SELECT identifier FROM items WHERE identifier = $1 FOR UPDATE")
            .bind(identifier.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    if item.is_none() {
        return Ok(None);
    }
    find(&mut *conn, identifier).await.map(Some)
}
