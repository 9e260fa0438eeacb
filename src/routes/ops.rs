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

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}

/// The metrics listener's only route: it is not part of the public API,
/// and not in its OpenAPI document.
pub fn configure_metrics(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(metrics);
}

/// Prometheus metrics in the text exposition format.
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.pool))
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

/// Readiness: the database answers and the service is not draining.
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "Ready for traffic", body = Health), Unavailable)
)]
#[get("/ready")]
async fn ready(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if state.draining.load(Ordering::Relaxed) {
        return Err(ApiError::Unavailable(anyhow::anyhow!("shutting down")));
    }
    db::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
