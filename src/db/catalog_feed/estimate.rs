//! How large a snapshot is about to be, before it is read.

use super::FeedConnection;

/// The most items a capacity hint asks room for: a stale statistic must not
/// reserve much more than a catalog the service is sized for.
const MAX_ITEMS_HINT: f64 = 10_000_000.0;

/// How many items the table holds as the planner's statistics estimate it
/// (0 when they were never gathered): a capacity hint for a snapshot load,
/// never a count.
pub async fn estimated_items(feed: &mut FeedConnection) -> Result<usize, sqlx::Error> {
    let estimate: f64 =
        sqlx::query_scalar("SELECT reltuples::float8 FROM pg_class WHERE oid = 'items'::regclass")
            .fetch_one(&mut feed.conn)
            .await?;
    Ok(estimate.clamp(0.0, MAX_ITEMS_HINT) as usize)
}
