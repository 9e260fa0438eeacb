//! Shortlists from PostgreSQL, one round trip per kind of lookup.

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use std::time::Duration;
use tokio::sync::Semaphore;

use super::{Contents, Pending, PreferredItemSource, Question, Readiness, Sourced};
use crate::db::{self, HealthCheck};
use crate::http::{ApiError, ApiResult};
use crate::metrics::Metrics;

pub struct DatabaseSource {
    pool: PgPool,
    health: HealthCheck,
    /// Batches in flight at once: at most half the pool, so that single
    /// questions and writes always find connections.
    batches: Semaphore,
    /// How long a batch waits for its turn before it gets 503.
    patience: Duration,
    /// The client-side bound on one lookup's database work.
    deadline: Duration,
}

impl DatabaseSource {
    pub fn new(
        pool: PgPool,
        max_connections: u32,
        acquire_timeout: Duration,
        deadline: Duration,
    ) -> DatabaseSource {
        DatabaseSource {
            health: HealthCheck::new(pool.clone()),
            pool,
            batches: Semaphore::new(batch_share(max_connections)),
            patience: acquire_timeout,
            deadline,
        }
    }

    async fn lookup(&self, question: Question<'_>) -> ApiResult<Sourced> {
        let _turn = if question.queries.len() > 1 {
            let turn = tokio::time::timeout(self.patience, self.batches.acquire())
                .await
                .map_err(|_| ApiError::Busy)?
                .map_err(|e| ApiError::Unexpected(e.into()))?;
            Some(turn)
        } else {
            None
        };
        Ok(Sourced {
            shortlists: db::within(
                self.deadline,
                db::preferred_item::shortlists(&self.pool, question.queries),
            )
            .await?,
            version: None,
            stale: None,
        })
    }

    /// Ready while the database answers, on readiness's own connection.
    async fn ping(&self) -> ApiResult<Readiness> {
        self.health.ping().await?;
        Ok(Readiness::Ready)
    }
}

impl PreferredItemSource for DatabaseSource {
    fn shortlists<'a>(&'a self, question: Question<'a>) -> Pending<'a, Sourced> {
        Box::pin(self.lookup(question))
    }

    fn readiness(&self) -> Pending<'_, Readiness> {
        Box::pin(self.ping())
    }

    /// Every read goes to the database: a committed write is already seen.
    fn catch_up(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn observe(&self, _metrics: &Metrics) {}

    fn contents(&self) -> Option<Contents> {
        None
    }
}

/// Batches that may run at once on a pool of `max_connections`: half of
/// it, at least one. A batch takes one connection at a time.
fn batch_share(max_connections: u32) -> usize {
    (max_connections as usize / 2).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn batches_get_half_the_pool_and_at_least_one_connection() {
        assert_eq!(super::batch_share(16), 8);
        assert_eq!(super::batch_share(3), 1);
        assert_eq!(super::batch_share(1), 1);
    }
}
