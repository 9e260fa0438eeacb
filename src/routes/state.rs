//! What every handler can reach.

use sqlx::PgPool;
use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use crate::config::BULK_DEADLINE_FACTOR;
use crate::db;
use crate::domain::{parse_date, StatusWeights};
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
    /// The client-side bound on one request's database work
    /// (`database.request_timeout_ms`).
    pub deadline: Duration,
    /// The deprecation of the legacy read paths (`server.legacy_*`).
    pub legacy: Deprecation,
    /// Refuse PUT and DELETE without a precondition (`http.require_if_match`).
    pub require_if_match: bool,
    /// How long an unfinished idempotency key stays claimed
    /// (`idempotency.lease_secs`).
    pub idempotency_lease: Duration,
}

impl AppState {
    /// The preconditions of a write; 428 when the deployment requires one
    /// and it names none.
    pub fn preconditions(
        &self,
        request: &actix_web::HttpRequest,
    ) -> Result<crate::http::conditional::Preconditions, crate::http::ApiError> {
        let preconditions = crate::http::conditional::Preconditions::of(request);
        if self.require_if_match && !preconditions.any() {
            return Err(crate::http::ApiError::PreconditionRequired);
        }
        Ok(preconditions)
    }

    /// Runs one request's database work within `deadline` (see
    /// `db::within`): past it the request gets 503, whatever the server or
    /// the network does.
    pub async fn bounded<T, E: From<sqlx::Error>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        db::within(self.deadline, work).await
    }

    /// `bounded`, for a bulk load: `BULK_DEADLINE_FACTOR` deadlines.
    pub async fn bounded_bulk<T, E: From<sqlx::Error>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        db::within(self.deadline * BULK_DEADLINE_FACTOR, work).await
    }
}

/// When the legacy paths were deprecated: the `Deprecation` header's date.
const DEPRECATED_SINCE: &str = "2026-12-01";

/// The deprecation of the legacy paths, from settings.
#[derive(Debug, Clone)]
pub struct Deprecation {
    /// Seconds since the epoch.
    pub since: u64,
    pub sunset: u64,
    pub gone_after_sunset: bool,
}

impl Deprecation {
    /// From `server.legacy_sunset` (checked by settings validation).
    pub fn new(sunset: &str, gone_after_sunset: bool) -> Deprecation {
        Deprecation {
            since: parse_date(DEPRECATED_SINCE).unwrap_or(0),
            sunset: parse_date(sunset).unwrap_or(u64::MAX),
            gone_after_sunset,
        }
    }
}
