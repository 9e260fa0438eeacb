//! `GET /items/export` and `GET /masterdata/export`: the whole table,
//! streamed from one snapshot in the formats `import` and the bulk routes
//! read (see `crate::export`).

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use futures_util::stream;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::AppState;
use crate::export::{self, Part};
use crate::http::docs::ListProblems;
use crate::http::{ApiError, ApiResult};
use crate::wire::records::Format;

pub fn configure_items(cfg: &mut ServiceConfig) {
    cfg.service(export_items);
}

pub fn configure_master_data(cfg: &mut ServiceConfig) {
    cfg.service(export_master_data);
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `ndjson` (the default) or `csv`.
    #[param(pattern = "^(ndjson|csv)$")]
    format: Option<String>,
}

fn format_of(params: &ExportParams) -> ApiResult<Format> {
    params
        .format
        .as_deref()
        .map_or(Ok(Format::Ndjson), str::parse)
        .map_err(|_| {
            ApiError::validation(crate::domain::FieldError::new(
                "format",
                "must be ndjson or csv",
            ))
        })
}

/// Streams one part of the catalog.
async fn export(state: &AppState, format: Format, part: Part) -> ApiResult<HttpResponse> {
    let export = state
        .bounded(async {
            export::start(state.pool.clone(), format, vec![part])
                .await
                .map_err(|e| match e.downcast::<sqlx::Error>() {
                    Ok(e) => ApiError::from(e),
                    Err(e) => ApiError::Unexpected(e),
                })
        })
        .await?;
    let content_type = match format {
        Format::Ndjson => "application/x-ndjson",
        Format::Csv => "text/csv; charset=utf-8",
    };
    let chunks = stream::unfold(export.chunks, |mut chunks| async move {
        let chunk = chunks.recv().await?;
        let chunk = chunk
            .map(|c| c.bytes)
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()));
        Some((chunk, chunks))
    });
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("x-catalog-version", export.version.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(chunks))
}

/// Every item, in identifier order, as NDJSON (default) or CSV: the
/// formats `import` and `POST /items/bulk` read, from one consistent
/// snapshot named by `X-Catalog-Version`.
#[utoipa::path(
    tag = "items",
    params(ExportParams),
    responses(
        (status = 200, description = "Every item, streamed", headers(
            ("X-Catalog-Version" = u64, description = "The snapshot: every transaction below this id is in it"),
        ), content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        ListProblems,
    )
)]
#[get("/export")]
async fn export_items(
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    export(&state, format_of(&params)?, Part::Items).await
}

/// Every master-data record, in identifier order, as NDJSON (default) or
/// CSV: the formats `import` and `POST /masterdata/bulk` read, from one
/// consistent snapshot named by `X-Catalog-Version`.
#[utoipa::path(
    tag = "masterdata",
    params(ExportParams),
    responses(
        (status = 200, description = "Every record, streamed", headers(
            ("X-Catalog-Version" = u64, description = "The snapshot: every transaction below this id is in it"),
        ), content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        ListProblems,
    )
)]
#[get("/export")]
async fn export_master_data(
    state: web::Data<AppState>,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    export(&state, format_of(&params)?, Part::MasterData).await
}
