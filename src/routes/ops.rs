//! Operational endpoints: liveness and readiness on the public listener,
//! metrics on their own.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::AppState;
use crate::db;
use crate::http::docs::Unavailable;
use crate::http::{ApiError, ApiResult};
use crate::metrics::CatalogReading;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}

/// The metrics listener's only route: it is not part of the public API,
/// and not in its OpenAPI document.
pub fn configure_metrics(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(metrics).service(catalog_contents);
}

/// Prometheus metrics in the text exposition format.
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    if let Some(catalog) = &state.catalog {
        let f = catalog.freshness();
        state.metrics.observe_catalog(CatalogReading {
            version: f.version,
            lag_seconds: f.lag.as_secs_f64(),
            items: f.items,
            connected: f.connected,
            snapshot_loads: f.snapshot_loads,
            changes_applied: f.changes_applied,
        });
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pool))
}

/// What this replica holds in memory: its version, item count and a digest
/// of the contents, comparable with `catalog::database_digest` of the
/// tables. 404 with the database source.
#[get("/catalog")]
async fn catalog_contents(state: web::Data<AppState>) -> HttpResponse {
    let Some(catalog) = state.catalog.clone() else {
        return HttpResponse::NotFound().finish();
    };
    let f = catalog.freshness();
    let rows = catalog.rows();
    HttpResponse::Ok().json(serde_json::json!({
        "loaded": f.loaded,
        "connected": f.connected,
        "version": f.version,
        "lag_seconds": f.lag.as_secs_f64(),
        "items": rows.len(),
        "digest": crate::catalog::digest(&rows),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process serves HTTP. Never touches the database.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "Alive", body = Health))
)]
#[get("/live")]
async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the service is not draining, and it can answer reads.
///
/// With the catalog in memory (the default): 503 until the first snapshot
/// has loaded, then 200 even while the database is away, when
/// preferred-item answers still come from memory (with
/// `X-Catalog-Stale-Seconds`) and writes get 503; `status` is then
/// `"degraded"`. With the database source: 200 while the database answers.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "Ready for traffic", body = Health), Unavailable)
)]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(ApiError::Unavailable(anyhow::anyhow!("shutting down")));
    }
    if let Some(catalog) = &state.catalog {
        let f = catalog.freshness();
        if !f.loaded {
            return Err(ApiError::Unavailable(anyhow::anyhow!(
                "the catalog is still loading"
            )));
        }
        let status = if f.connected { "ok" } else { "degraded" };
        return Ok(HttpResponse::Ok().json(Health { status }));
    }
    db::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
