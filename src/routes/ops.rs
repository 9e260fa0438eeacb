//! Operational endpoints: liveness and readiness on the public listener,
//! metrics on their own.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::AppState;
use crate::http::docs::Unavailable;
use crate::http::{ApiError, ApiResult};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}

/// The metrics listener's routes: not part of the public API, and not in
/// its OpenAPI document.
pub fn configure_metrics(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(metrics).service(catalog_contents);
}

/// Prometheus metrics in the text exposition format.
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.source.observe(&state.metrics);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pool))
}

/// What this replica holds in memory: its version, item count and a digest
/// of the contents, comparable with `catalog::database_digest` of the
/// tables. 404 when the source holds no copy.
#[get("/catalog")]
async fn catalog_contents(state: web::Data<AppState>) -> HttpResponse {
    // Seconds of hashing at millions of items: off the listener's thread.
    match web::block(move || state.source.contents()).await {
        Ok(Some(contents)) => HttpResponse::Ok().json(contents),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
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
    let readiness = state.source.readiness().await?;
    Ok(HttpResponse::Ok().json(Health {
        status: readiness.as_str(),
    }))
}
