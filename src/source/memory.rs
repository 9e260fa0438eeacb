//! Shortlists from the catalog in memory (`catalog::MemoryCatalog`).

use futures_util::future::BoxFuture;
use std::sync::Arc;

use super::{is_heavy, Contents, Pending, PreferredItemSource, Question, Readiness, Sourced};
use crate::catalog::MemoryCatalog;
use crate::domain::{PreferredItemQuery, ShortlistBudget, INLINE_SHORTLISTED_CODES};
use crate::http::{in_this_request, ApiError, ApiResult};
use crate::metrics::{CatalogReading, Metrics};

pub struct MemorySource {
    catalog: Arc<MemoryCatalog>,
}

impl MemorySource {
    pub fn new(catalog: Arc<MemoryCatalog>) -> MemorySource {
        MemorySource { catalog }
    }
}

fn still_loading() -> ApiError {
    ApiError::Unavailable(anyhow::anyhow!("the catalog is still loading"))
}

impl MemorySource {
    /// 503 until the first snapshot has loaded. A lookup gathers at most
    /// `INLINE_SHORTLISTED_CODES` on the HTTP worker; a heavy batch, or one
    /// whose candidates turn out to carry more, is looked up off the
    /// worker with the request's whole budget.
    async fn lookup(&self, question: Question<'_>) -> ApiResult<Sourced> {
        if !self.catalog.is_loaded() {
            return Err(still_loading());
        }
        let Question { queries, strategy } = question;
        let inline = if is_heavy(queries.iter().map(|q| q.bricks.len())) {
            None
        } else {
            let allowance = ShortlistBudget::of(INLINE_SHORTLISTED_CODES);
            self.catalog.shortlists(queries, strategy, allowance).ok()
        };
        let shortlisted = match inline {
            Some(shortlisted) => shortlisted,
            None => {
                let catalog = self.catalog.clone();
                let owned: Vec<PreferredItemQuery> = queries.iter().map(|q| (*q).clone()).collect();
                tokio::task::spawn_blocking(in_this_request(move || {
                    let refs: Vec<&PreferredItemQuery> = owned.iter().collect();
                    catalog.shortlists(&refs, strategy, ShortlistBudget::default())
                }))
                .await
                .map_err(|e| ApiError::Unexpected(e.into()))??
            }
        };
        Ok(Sourced {
            shortlists: shortlisted.shortlists,
            version: Some(shortlisted.version),
            stale: shortlisted.stale,
        })
    }

    /// 503 until the first snapshot has loaded; then ready even while the
    /// database is away (degraded), as reads are answered from memory.
    fn readiness_now(&self) -> ApiResult<Readiness> {
        let f = self.catalog.freshness();
        if !f.loaded {
            return Err(still_loading());
        }
        Ok(if f.connected {
            Readiness::Ready
        } else {
            Readiness::Degraded
        })
    }
}

impl PreferredItemSource for MemorySource {
    fn shortlists<'a>(&'a self, question: Question<'a>) -> Pending<'a, Sourced> {
        Box::pin(self.lookup(question))
    }

    fn readiness(&self) -> Pending<'_, Readiness> {
        Box::pin(std::future::ready(self.readiness_now()))
    }

    fn catch_up(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(self.catalog.catch_up())
    }

    fn observe(&self, metrics: &Metrics) {
        let f = self.catalog.freshness();
        metrics.observe_catalog(CatalogReading {
            version: f.version,
            lag_seconds: f.lag.as_secs_f64(),
            items: f.items,
            connected: f.connected,
            snapshot_loads: f.snapshot_loads,
            changes_applied: f.changes_applied,
        });
    }

    fn contents(&self) -> Option<Contents> {
        let f = self.catalog.freshness();
        let (items, digest) = self.catalog.digest();
        Some(Contents {
            loaded: f.loaded,
            connected: f.connected,
            version: f.version,
            lag_seconds: f.lag.as_secs_f64(),
            items,
            digest,
        })
    }
}
