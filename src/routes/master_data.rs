//! `/masterdata`: status and price per item.

use actix_web::http::header;
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::paging::PageRequest;
use super::state::AppState;
use crate::db::{self, MasterDataWrite};
use crate::domain::{FieldError, FieldErrors, Status};
use crate::http::docs::{BodyProblems, ListProblems, LookupProblems};
use crate::http::{ApiError, ApiResult, JsonBody, RequestBody};
use crate::wire::{path_identifier, schemas, MasterDataBody, MasterDataJson};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_master_data)
        .service(get_master_data)
        .service(put_master_data)
        .service(delete_master_data);
}

impl RequestBody for MasterDataBody {}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMasterDataParams {
    #[param(schema_with = schemas::page_limit)]
    limit: Option<i64>,
    /// Return records after this identifier (from the `Link` header).
    after: Option<String>,
    /// Only records with this status. Read as text, so that an unknown
    /// status is a 422 on `status` like any other broken rule.
    #[param(value_type = Option<Status>)]
    status: Option<String>,
}

/// List master data in identifier order.
#[utoipa::path(
    tag = "masterdata",
    params(ListMasterDataParams),
    responses(
        (status = 200, description = "A page of records", body = Vec<MasterDataJson>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when more records follow"))),
        ListProblems,
    )
)]
#[get("")]
async fn list_master_data(
    state: web::Data<AppState>,
    params: web::Query<ListMasterDataParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let page = errors.take(PageRequest::parse(params.limit, params.after.as_deref()));
    let status = errors.take(
        params
            .status
            .as_deref()
            .map(|s| Status::parse(s, "status"))
            .transpose(),
    );
    let (page, status) = errors.finish(|| Some((page?, status?)))?;
    let result = state
        .bounded(db::master_data::list(&state.pool, page.keyset(), status))
        .await?;
    let filters: Vec<_> = status
        .map(|s| ("status", s.to_string()))
        .into_iter()
        .collect();
    Ok(page.respond::<_, MasterDataJson>(result, "/masterdata", &filters, |r| &r.identifier))
}

/// Get the master data of one item.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 200, description = "The record", body = MasterDataJson), LookupProblems)
)]
#[get("/{id}")]
async fn get_master_data(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    find_master_data(&state, &id).await
}

pub(super) async fn find_master_data(state: &AppState, id: &str) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(id)?;
    let record = state
        .bounded(db::master_data::find(&state.pool, &identifier))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Item {identifier} has no master data")))?;
    Ok(HttpResponse::Ok().json(MasterDataJson::from(&record)))
}

/// Create or replace the master data of an existing item.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    request_body = MasterDataBody,
    responses(
        (status = 200, description = "Replaced", body = MasterDataJson),
        (status = 201, description = "Created", body = MasterDataJson,
         headers(("Location" = String, description = "URL of the record"))),
        BodyProblems,
    )
)]
#[put("/{id}")]
async fn put_master_data(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<MasterDataBody>,
) -> ApiResult<HttpResponse> {
    let record = body.0.parse(&id)?;
    let write = state
        .bounded(db::master_data::upsert(&state.pool, &record))
        .await?;
    let body = MasterDataJson::from(&record);
    match write {
        MasterDataWrite::Created => Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/masterdata/{}", record.identifier),
            ))
            .json(body)),
        MasterDataWrite::Replaced => Ok(HttpResponse::Ok().json(body)),
        MasterDataWrite::UnknownItem => Err(ApiError::validation(FieldError::new(
            "id",
            format!("item {} does not exist", record.identifier),
        ))),
    }
}

/// Delete the master data of one item. The item stays.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 204, description = "Deleted"), LookupProblems)
)]
#[delete("/{id}")]
async fn delete_master_data(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(&id)?;
    if !state
        .bounded(db::master_data::delete(&state.pool, &identifier))
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "Item {identifier} has no master data"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}
