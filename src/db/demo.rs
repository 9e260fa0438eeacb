//! The demo catalog: the eleven items of the original API's worked
//! examples, so that Swagger UI has something to try on a fresh start.

use anyhow::Context;
use sqlx::PgPool;

use super::{items, master_data};
use crate::domain::{Brick, BrickSet, Identifier, Item, MasterData, Price, Status};

type DemoItem = (
    &'static str,
    &'static [(i64, &'static [i64])],
    Status,
    &'static str,
);

const DEMO_ITEMS: &[DemoItem] = &[
    (
        "item1",
        &[(1, &[1, 2]), (2, &[3, 4])],
        Status::Normal,
        "10.0",
    ),
    (
        "item2",
        &[(1, &[1, 2]), (2, &[4, 3])],
        Status::Novelty,
        "5.0",
    ),
    (
        "item3",
        &[(1, &[1, 2]), (3, &[5, 6])],
        Status::Outgoing,
        "7.0",
    ),
    ("item4", &[(1, &[1, 2])], Status::Normal, "3.0"),
    (
        "item5",
        &[(3, &[1, 2]), (2, &[3, 4])],
        Status::Normal,
        "9.0",
    ),
    (
        "item6",
        &[(3, &[1, 2]), (2, &[4, 3])],
        Status::Novelty,
        "6.0",
    ),
    (
        "item7",
        &[(2, &[1, 2]), (3, &[5, 6])],
        Status::Outgoing,
        "4.0",
    ),
    ("item8", &[(2, &[1, 2])], Status::Normal, "7.0"),
    ("item9", &[(2, &[1, 2])], Status::Novelty, "3.0"),
    ("item10", &[(2, &[1, 2])], Status::Outgoing, "3.0"),
    ("item11", &[(2, &[1, 2])], Status::Discontinued, "10.0"),
];

/// Arbitrary, fixed key of the advisory lock that serialises seeding
/// across replicas starting together.
const SEED_LOCK: i64 = 0x5052_4546_4954_454d;

fn demo_catalog() -> anyhow::Result<Vec<(Item, MasterData)>> {
    DEMO_ITEMS
        .iter()
        .map(|&(id, bricks, status, price)| {
            let identifier = Identifier::parse(id, "identifier")?;
            let bricks = bricks
                .iter()
                .map(|(design, colors)| Brick::parse(*design, colors, "bricks"))
                .collect::<Result<Vec<_>, _>>()?;
            let item = Item {
                identifier: identifier.clone(),
                bricks: BrickSet::new(bricks)?,
            };
            let info = MasterData {
                identifier,
                status,
                price: Price::parse(price, "price")?,
            };
            Ok((item, info))
        })
        .collect()
}

/// Loads the demo catalog when the catalog is empty. Returns whether it did.
#[tracing::instrument(skip_all)]
pub async fn seed_demo_data(pool: &PgPool) -> anyhow::Result<bool> {
    let mut tx = pool
        .begin()
        .await
        .context("starting the demo-data transaction")?;
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", SEED_LOCK)
        .execute(&mut *tx)
        .await
        .context("taking the demo-data lock")?;
    if !items::catalog_is_empty(&mut tx).await? {
        return Ok(false);
    }
    for (item, info) in demo_catalog()? {
        items::insert(&mut tx, &item)
            .await
            .context("inserting a demo item")?;
        master_data::upsert(&mut *tx, &info)
            .await
            .context("inserting demo master data")?;
    }
    tx.commit().await.context("committing the demo data")?;
    Ok(true)
}
