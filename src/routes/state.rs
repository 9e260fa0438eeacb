//! What every handler can reach.

use sqlx::PgPool;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::domain::StatusWeights;
use crate::metrics::Metrics;
use crate::source::PreferredItemSource;

pub struct AppState {
    pub pool: PgPool,
    pub weights: StatusWeights,
    pub metrics: Arc<Metrics>,
    /// Set on SIGTERM: readiness turns 503 so that balancers stop routing.
    pub draining: Arc<AtomicBool>,
    /// Where preferred-item shortlists come from (`preferred_item.source`).
    pub source: Arc<dyn PreferredItemSource>,
}
