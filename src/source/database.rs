//! Shortlists from PostgreSQL, one round trip per kind of lookup.

use futures_util::future::BoxFuture;
use sqlx::PgPool;

use super::{Contents, Pending, PreferredItemSource, Question, Readiness, Sourced};
use crate::db;
use crate::http::ApiResult;
use crate::metrics::Metrics;

pub struct DatabaseSource {
    pool: PgPool,
}

impl DatabaseSource {
    pub fn new(pool: PgPool) -> DatabaseSource {
        DatabaseSource { pool }
    }

    async fn lookup(&self, question: Question<'_>) -> ApiResult<Sourced> {
        Ok(Sourced {
            shortlists: db::preferred_item::shortlists(&self.pool, question.queries).await?,
            version: None,
            stale: None,
        })
    }

    /// Ready while the database answers.
    async fn ping(&self) -> ApiResult<Readiness> {
        db::ping(&self.pool).await?;
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
