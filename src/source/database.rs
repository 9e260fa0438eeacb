//! Shortlists from PostgreSQL, one round trip per kind of lookup.

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::PgPool;

use super::{Contents, PreferredItemSource, Readiness, Sourced};
use crate::db;
use crate::domain::{PreferredItemQuery, StrategyKind};
use crate::http::ApiResult;
use crate::metrics::Metrics;

pub struct DatabaseSource {
    pool: PgPool,
}

impl DatabaseSource {
    pub fn new(pool: PgPool) -> DatabaseSource {
        DatabaseSource { pool }
    }
}

impl PreferredItemSource for DatabaseSource {
    fn shortlists<'a>(
        &'a self,
        queries: &'a [&'a PreferredItemQuery],
        _strategy: StrategyKind,
    ) -> BoxFuture<'a, ApiResult<Sourced>> {
        async move {
            Ok(Sourced {
                shortlists: db::preferred_item::shortlists(&self.pool, queries).await?,
                version: None,
                stale: None,
            })
        }
        .boxed()
    }

    /// Ready while the database answers.
    fn readiness(&self) -> BoxFuture<'_, ApiResult<Readiness>> {
        async move {
            db::ping(&self.pool).await?;
            Ok(Readiness::Ready)
        }
        .boxed()
    }

    /// Every read goes to the database: a committed write is already seen.
    fn catch_up(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        async { Ok(()) }.boxed()
    }

    fn observe(&self, _metrics: &Metrics) {}

    fn contents(&self) -> Option<Contents> {
        None
    }
}
