//! Where preferred-item shortlists come from: one trait, and one type per
//! source. The routes, the readiness probe, the metrics listener and the
//! read-your-writes middleware ask the `PreferredItemSource` of the
//! application state and never branch on which one it is.
//!
//! - `MemorySource` (the default): the catalog in memory, followed from the
//!   change feed; answers carry the catalog version.
//! - `DatabaseSource`: one round trip per kind of lookup.
//!
//! Adding a source means adding a type that implements the trait, and the
//! line in `startup` that picks it from settings.

mod database;
mod memory;

pub use database::DatabaseSource;
pub use memory::MemorySource;

use futures_util::future::BoxFuture;
use std::time::Duration;

use crate::domain::{PreferredItemQuery, Shortlist, Strategy};
use crate::http::ApiResult;
use crate::metrics::Metrics;

/// Shortlists, in query order, and where they came from.
pub struct Sourced {
    pub shortlists: Vec<Shortlist>,
    /// Every transaction below this id is reflected (memory only).
    pub version: Option<u64>,
    /// While the source cannot reach the database: how long ago it was
    /// last known to be current (memory only).
    pub stale: Option<Duration>,
}

/// What readiness reports while the service can answer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Reads are answered from the last known state; writes fail.
    Degraded,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Ready => "ok",
            Readiness::Degraded => "degraded",
        }
    }
}

/// What the metrics listener's `GET /catalog` reports of a copy held by
/// the replica, comparable with `catalog::database_digest`.
#[derive(Debug, serde::Serialize)]
pub struct Contents {
    pub loaded: bool,
    pub connected: bool,
    pub version: u64,
    pub lag_seconds: f64,
    pub items: usize,
    pub digest: String,
}

/// What the routes ask a source: these queries, for this strategy.
#[derive(Clone, Copy)]
pub struct Question<'a> {
    pub queries: &'a [&'a PreferredItemQuery],
    pub strategy: Strategy,
}

/// An answer still being worked out.
pub type Pending<'a, T> = BoxFuture<'a, ApiResult<T>>;

/// A source of preferred-item shortlists. It decides readiness, freshness
/// and what a write waits for; the domain decides the answer.
pub trait PreferredItemSource: Send + Sync {
    /// Shortlists for the question's queries, in query order.
    fn shortlists<'a>(&'a self, question: Question<'a>) -> Pending<'a, Sourced>;

    /// Whether the service can answer reads now; an error is a 503.
    fn readiness(&self) -> Pending<'_, Readiness>;

    /// Returns once everything committed before the call is visible to
    /// this replica's reads (read your writes).
    fn catch_up(&self) -> BoxFuture<'_, anyhow::Result<()>>;

    /// Sets the source's gauges before the metrics page is rendered.
    fn observe(&self, metrics: &Metrics);

    /// The copy this replica holds, if it holds one.
    fn contents(&self) -> Option<Contents>;
}

/// Whether a batch with queries of these brick counts is worth moving off
/// the HTTP worker: a hundred queries of a few bricks take well under a
/// millisecond, a thousand queries of hundreds of bricks take long enough
/// to hold up the worker's other requests, /health/live included.
pub fn is_heavy(bricks: impl Iterator<Item = usize>) -> bool {
    bricks.sum::<usize>() > 2_000
}
