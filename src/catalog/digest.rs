//! Digests of catalog contents: equal digests, equal contents. The
//! metrics listener serves a replica's; `database_digest` computes the
//! tables'.

use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::db::catalog_feed::{self, CatalogRow};

/// A digest built one row at a time, rows in identifier order.
#[derive(Default)]
pub struct Digester {
    hasher: Sha256,
    rows: usize,
}

impl Digester {
    pub fn add(&mut self, row: &CatalogRow) {
        let hasher = &mut self.hasher;
        hasher.update(row.identifier.as_bytes());
        hasher.update([0]);
        for part in [&row.designs, &row.color_counts, &row.colors] {
            hasher.update((part.len() as u32).to_be_bytes());
            for v in part {
                hasher.update(v.to_be_bytes());
            }
        }
        hasher.update(row.signature.to_be_bytes());
        match &row.master_data {
            Some((status, price)) => {
                hasher.update(status.as_str().as_bytes());
                hasher.update(price.value().normalize().to_string().as_bytes());
            }
            None => hasher.update(b"-"),
        }
        hasher.update([0]);
        self.rows += 1;
    }

    /// How many rows were added, and the digest.
    pub fn finish(self) -> (usize, String) {
        (self.rows, format!("{:x}", self.hasher.finalize()))
    }
}

/// A digest of catalog rows in identifier order: equal digests, equal
/// contents. The metrics listener serves a replica's; `database_digest`
/// computes the tables'.
pub fn digest(rows: &[CatalogRow]) -> String {
    let mut digester = Digester::default();
    for row in rows {
        digester.add(row);
    }
    digester.finish().1
}

/// The number of items in the tables and their `digest`, read in one
/// snapshot.
pub async fn database_digest(pool: &PgPool) -> anyhow::Result<(usize, String)> {
    let mut rows = Vec::new();
    let mut feed = catalog_feed::FeedConnection::open(&pool.connect_options()).await?;
    catalog_feed::snapshot(&mut feed, |row| rows.push(std::mem::take(row))).await?;
    rows.sort_by(|a, b| a.identifier.cmp(&b.identifier));
    Ok((rows.len(), digest(&rows)))
}
