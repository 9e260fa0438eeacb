//! Items, with the signature and the inverted brick index kept in step on
//! every write.

use anyhow::Context;
use sqlx::{PgConnection, PgPool};

use super::{Keyset, Listed, Page};
use futures_util::TryStreamExt;

use crate::domain::{Brick, BrickSet, Identifier, Item, ShortlistBudget};

/// What a create-or-replace did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemWrite {
    Created,
    Replaced,
}

/// The stored form of a brick list: three parallel arrays.
pub(super) struct StoredBricks {
    pub designs: Vec<i32>,
    pub color_counts: Vec<i32>,
    pub colors: Vec<i32>,
}

impl StoredBricks {
    pub fn from_set(bricks: &BrickSet) -> StoredBricks {
        let mut stored = StoredBricks {
            designs: Vec::with_capacity(bricks.len()),
            color_counts: Vec::with_capacity(bricks.len()),
            colors: Vec::new(),
        };
        for brick in bricks.bricks() {
            stored.designs.push(brick.design_id());
            stored.color_counts.push(brick.color_codes().len() as i32);
            stored.colors.extend_from_slice(brick.color_codes());
        }
        stored
    }

    pub fn into_set(self) -> anyhow::Result<BrickSet> {
        let mut colors = self.colors.into_iter();
        let bricks = self
            .designs
            .into_iter()
            .zip(self.color_counts)
            .map(|(design, n)| {
                let codes: Vec<i64> = colors.by_ref().take(n as usize).map(i64::from).collect();
                Brick::parse(design.into(), &codes, "bricks")
                    .map_err(|e| anyhow::anyhow!("stored brick is invalid: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        BrickSet::new(bricks)
            .map_err(|e| anyhow::anyhow!("stored bricks are invalid: {}", e.message))
    }
}

pub(super) fn item_from_row(
    identifier: String,
    designs: Vec<i32>,
    color_counts: Vec<i32>,
    colors: Vec<i32>,
) -> anyhow::Result<Item> {
    let identifier = Identifier::parse(&identifier, "identifier").map_err(|e| {
        anyhow::anyhow!("stored identifier {identifier:?} is invalid: {}", e.message)
    })?;
    let bricks = StoredBricks {
        designs,
        color_counts,
        colors,
    }
    .into_set()?;
    Ok(Item { identifier, bricks })
}

/// Rows for `item_bricks`: each distinct brick key with its multiplicity.
pub(super) fn brick_index_rows(bricks: &BrickSet) -> (Vec<Vec<u8>>, Vec<i32>) {
    bricks
        .counts()
        .into_iter()
        .map(|(brick, n)| (brick.key(), n as i32))
        .unzip()
}

struct ItemRow {
    identifier: String,
    brick_designs: Vec<i32>,
    brick_color_counts: Vec<i32>,
    brick_colors: Vec<i32>,
}

/// A page of items in identifier order. Rows are read as they arrive; a
/// page whose items would carry more than `MAX_SHORTLISTED_CODES` colour
/// codes ends early (with more to follow), so that no page of large items
/// is built whole in memory.
#[tracing::instrument(name = "SELECT items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "items", otel.kind = "client", limit = from.limit))]
pub async fn list(pool: &PgPool, from: Keyset<'_>, design_id: Option<i32>) -> Listed<Item> {
    let (after, fetch) = (from.after, from.fetch());
    let mut rows = match design_id {
        None => sqlx::query_as!(
            ItemRow,
            r#"SELECT identifier AS "identifier!", brick_designs, brick_color_counts, brick_colors
                   FROM items
                   WHERE identifier > $1::text COLLATE "C"
                   ORDER BY identifier
                   LIMIT $2"#,
            after,
            fetch,
        )
        .fetch(pool),
        Some(design_id) => sqlx::query_as!(
            ItemRow,
            r#"SELECT identifier AS "identifier!", brick_designs, brick_color_counts, brick_colors
                   FROM items
                   WHERE identifier > $1::text COLLATE "C" AND brick_designs @> ARRAY[$2::int4]
                   ORDER BY identifier
                   LIMIT $3"#,
            after,
            design_id,
            fetch,
        )
        .fetch(pool),
    };
    let mut budget = ShortlistBudget::default();
    let mut fetched = Vec::new();
    while let Some(row) = rows.try_next().await? {
        if budget.charge(row.brick_colors.len()).is_err() && !fetched.is_empty() {
            // The page ends here; the row read is the first of the next.
            let mut page = Page::of(fetched, from.limit, into_item)?;
            page.has_more = true;
            return Ok(page);
        }
        fetched.push(row);
    }
    Page::of(fetched, from.limit, into_item)
}

fn into_item(r: ItemRow) -> Result<Item, sqlx::Error> {
    item_from_row(
        r.identifier,
        r.brick_designs,
        r.brick_color_counts,
        r.brick_colors,
    )
    .map_err(|e| sqlx::Error::Decode(e.into()))
}

#[tracing::instrument(name = "SELECT items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "items", otel.kind = "client"))]
pub async fn find(pool: &PgPool, identifier: &Identifier) -> Result<Option<Item>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT identifier AS "identifier!", brick_designs, brick_color_counts, brick_colors
           FROM items WHERE identifier = $1"#,
        identifier.as_str(),
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        item_from_row(
            r.identifier,
            r.brick_designs,
            r.brick_color_counts,
            r.brick_colors,
        )
    })
    .transpose()
    .map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Inserts a new item. `false` when the identifier is taken; concurrent
/// inserts of one identifier therefore create it exactly once.
#[tracing::instrument(name = "INSERT items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "items", otel.kind = "client"))]
pub async fn insert(conn: &mut PgConnection, item: &Item) -> Result<bool, sqlx::Error> {
    let stored = StoredBricks::from_set(&item.bricks);
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO items (identifier, brick_designs, brick_color_counts, brick_colors, signature)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (identifier) DO NOTHING
           RETURNING 1 AS "one!""#,
        item.identifier.as_str(),
        &stored.designs,
        &stored.color_counts,
        &stored.colors,
        &item.bricks.signature().0[..],
    )
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if inserted {
        index_bricks(conn, item).await?;
    }
    Ok(inserted)
}

/// Creates the item, or replaces the bricks of an existing one.
#[tracing::instrument(name = "INSERT items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "items", otel.kind = "client"))]
pub async fn upsert(conn: &mut PgConnection, item: &Item) -> Result<ItemWrite, sqlx::Error> {
    let stored = StoredBricks::from_set(&item.bricks);
    let created = sqlx::query_scalar!(
        r#"INSERT INTO items (identifier, brick_designs, brick_color_counts, brick_colors, signature)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (identifier) DO UPDATE
           SET brick_designs = EXCLUDED.brick_designs,
               brick_color_counts = EXCLUDED.brick_color_counts,
               brick_colors = EXCLUDED.brick_colors,
               signature = EXCLUDED.signature,
               updated_at = now()
           RETURNING (xmax = 0) AS "created!""#,
        item.identifier.as_str(),
        &stored.designs,
        &stored.color_counts,
        &stored.colors,
        &item.bricks.signature().0[..],
    )
    .fetch_one(&mut *conn)
    .await?;
    if !created {
        sqlx::query!(
            "DELETE FROM item_bricks WHERE identifier = $1",
            item.identifier.as_str()
        )
        .execute(&mut *conn)
        .await?;
    }
    index_bricks(conn, item).await?;
    Ok(if created {
        ItemWrite::Created
    } else {
        ItemWrite::Replaced
    })
}

async fn index_bricks(conn: &mut PgConnection, item: &Item) -> Result<(), sqlx::Error> {
    let (keys, counts) = brick_index_rows(&item.bricks);
    sqlx::query!(
        r#"INSERT INTO item_bricks (brick, identifier, multiplicity, status_rank, price)
           SELECT b.brick, i.identifier, b.multiplicity, i.status_rank, i.price
           FROM unnest($2::bytea[], $3::int4[]) AS b(brick, multiplicity)
           CROSS JOIN items i
           WHERE i.identifier = $1"#,
        item.identifier.as_str(),
        &keys,
        &counts,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the item; its bricks and master data go with it.
#[tracing::instrument(name = "DELETE items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "items", otel.kind = "client"))]
pub async fn delete<'c>(
    conn: impl sqlx::PgExecutor<'c>,
    identifier: &Identifier,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "DELETE FROM items WHERE identifier = $1",
        identifier.as_str()
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// An item's row as stored: identifier, designs, colour counts, colours.
type StoredRow = (String, Vec<i32>, Vec<i32>, Vec<i32>);

/// The item, its row locked until the transaction ends (`FOR UPDATE`):
/// what a conditional write compares its precondition with, held still
/// until it has written.
#[tracing::instrument(name = "SELECT items", skip_all, fields(db.system.name = "postgresql", db.operation.name = "SELECT", db.collection.name = "items", otel.kind = "client"))]
pub async fn find_locked(
    conn: &mut PgConnection,
    identifier: &Identifier,
) -> Result<Option<Item>, sqlx::Error> {
    let row: Option<StoredRow> = sqlx::query_as(
        "SELECT identifier, brick_designs, brick_color_counts, brick_colors
         FROM items WHERE identifier = $1 FOR UPDATE",
    )
    .bind(identifier.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(|(identifier, designs, counts, colors)| {
        item_from_row(identifier, designs, counts, colors)
    })
    .transpose()
    .map_err(|e| sqlx::Error::Decode(e.into()))
}

/// Whether the catalog holds no item at all.
pub(super) async fn catalog_is_empty(conn: &mut PgConnection) -> anyhow::Result<bool> {
    let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM items) AS "any!""#)
        .fetch_one(conn)
        .await
        .context("checking whether the catalog is empty")?;
    Ok(!any)
}
