//! The legacy read paths of the original API, `GET /items/item/{id}` and
//! `GET /masterdata/item/{id}`: kept for its clients, marked deprecated in
//! OpenAPI through `#[deprecated]`, and in every answer, so that running
//! clients learn it too: `Deprecation` (RFC 9745), `Sunset` (RFC 8594,
//! `server.legacy_sunset`) and `Link: <successor>; rel="successor-version"`.
//! Each call is counted by caller (`legacy_requests_total`). From the
//! sunset date on, `server.legacy_gone_after_sunset` answers 410.
//! Registering them is intended, hence the module-wide allowance.
#![allow(deprecated)]

use actix_web::http::header::{self, HeaderName, HeaderValue, HttpDate};
use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::AppState;
use crate::auth::Principal;
use crate::domain::Identifier;
use crate::http::docs::{Gone, LookupProblems, Tagged};
use crate::http::{ApiError, ApiResult};
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
/// Deprecated: use `GET /items/{id}`. Every answer carries `Deprecation`,
/// `Sunset` and a `Link` to the successor; 410 from the sunset date on
/// when the service is set to retire the path.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 200, description = "The item", body = ItemJson, headers(
            ("Deprecation" = String, description = "RFC 9745: when this path was deprecated, `@` and epoch seconds"),
            ("Sunset" = String, description = "RFC 8594: the date after which it may be retired"),
            ("Link" = String, description = "The successor: `</items/{id}>; rel=\"successor-version\"`"),
        )),
        Tagged,
        LookupProblems,
        Gone,
    )
)]
#[deprecated(note = "kept for clients of the original API; use GET /items/{id}")]
#[get("/item/{id}")]
async fn get_item_legacy(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let found = super::items::find_item(&state, &request, &id);
    answer(&state, &request, "/items/item/{id}", "/items", &id, found).await
}

/// Get the master data of one item (the legacy path of the original API).
///
/// Deprecated: use `GET /masterdata/{id}`. Every answer carries
/// `Deprecation`, `Sunset` and a `Link` to the successor; 410 from the
/// sunset date on when the service is set to retire the path.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 200, description = "The record", body = MasterDataJson, headers(
            ("Deprecation" = String, description = "RFC 9745: when this path was deprecated, `@` and epoch seconds"),
            ("Sunset" = String, description = "RFC 8594: the date after which it may be retired"),
            ("Link" = String, description = "The successor: `</masterdata/{id}>; rel=\"successor-version\"`"),
        )),
        Tagged,
        LookupProblems,
        Gone,
    )
)]
#[deprecated(note = "kept for clients of the original API; use GET /masterdata/{id}")]
#[get("/item/{id}")]
async fn get_master_data_legacy(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let found = super::master_data::find_master_data(&state, &request, &id);
    answer(
        &state,
        &request,
        "/masterdata/item/{id}",
        "/masterdata",
        &id,
        found,
    )
    .await
}

/// Who called, as a bounded label: an API key's id, `token` for any bearer
/// token (its subject is in the request's log line), or `anonymous`.
fn caller(request: &HttpRequest) -> String {
    match request.extensions().get::<Principal>() {
        Some(p) if p.id.starts_with("key:") => p.id.clone(),
        Some(_) => "token".to_owned(),
        None => "anonymous".to_owned(),
    }
}

/// Counts the call, answers it (or 410 past the sunset, when set), and
/// marks whatever the answer is as deprecated.
async fn answer(
    state: &AppState,
    request: &HttpRequest,
    route: &str,
    successor_scope: &str,
    id: &str,
    found: impl Future<Output = ApiResult<HttpResponse>>,
) -> ApiResult<HttpResponse> {
    let deprecation = &state.legacy;
    state.metrics.observe_legacy(route, &caller(request));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut response = if deprecation.gone_after_sunset && now >= deprecation.sunset {
        ApiError::Gone(format!(
            "{route} was retired at its sunset; use {successor_scope}/{{id}}"
        ))
        .error_response()
    } else {
        found.await.unwrap_or_else(|e| e.error_response())
    };
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("@{}", deprecation.since)) {
        headers.insert(HeaderName::from_static("deprecation"), value);
    }
    if let Ok(value) = HeaderValue::from_str(&HttpDate::from(at(deprecation.sunset)).to_string()) {
        headers.insert(HeaderName::from_static("sunset"), value);
    }
    // Only a valid identifier is repeated in the successor's address.
    if Identifier::parse(id, "id").is_ok() {
        let link = format!("<{successor_scope}/{id}>; rel=\"successor-version\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            headers.insert(header::LINK, value);
        }
    }
    Ok(response)
}
