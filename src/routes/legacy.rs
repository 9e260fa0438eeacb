//! The legacy read paths of the original API, `GET /items/item/{id}` and
//! `GET /masterdata/item/{id}`: kept for its clients, and marked deprecated
//! in OpenAPI through `#[deprecated]`. Registering them is intended, hence
//! the module-wide allowance.
#![allow(deprecated)]

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::AppState;
use crate::http::docs::LookupProblems;
use crate::http::ApiResult;
use crate::wire::{ItemJson, MasterDataJson};

/// Mounted in the `/items` scope.
pub fn configure_items(cfg: &mut ServiceConfig) {
    cfg.service(get_item_legacy);
}

/// Mounted in the `/masterdata` scope.
pub fn configure_master_data(cfg: &mut ServiceConfig) {
    cfg.service(get_master_data_legacy);
}

/// Get one item (the legacy path of the original API).
///
/// Deprecated: use `GET /items/{id}`.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 200, description = "The item", body = ItemJson), LookupProblems)
)]
#[deprecated(note = "kept for clients of the original API; use GET /items/{id}")]
#[get("/item/{id}")]
async fn get_item_legacy(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    super::items::find_item(&state, &id).await
}

/// Get the master data of one item (the legacy path of the original API).
///
/// Deprecated: use `GET /masterdata/{id}`.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 200, description = "The record", body = MasterDataJson), LookupProblems)
)]
#[deprecated(note = "kept for clients of the original API; use GET /masterdata/{id}")]
#[get("/item/{id}")]
async fn get_master_data_legacy(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    super::master_data::find_master_data(&state, &id).await
}
