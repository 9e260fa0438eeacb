//! `/masterdata`: status and price per item.

use actix_web::http::header;
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::paging::PageRequest;
use super::wire::{path_identifier, MasterDataInput, MasterDataJson, StatusName};
use super::AppState;
use crate::db::{self, MasterDataWrite};
use crate::domain::{FieldErrors, Status};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{JsonBody, RequestBody};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_master_data)
        .service(get_master_data)
        .service(put_master_data)
        .service(delete_master_data);
}

impl RequestBody for MasterDataInput {}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMasterDataParams {
    /// Page size, 1..=1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Return records after this identifier (from the `Link` header).
    after: Option<String>,
    /// Only records with this status.
    #[param(value_type = Option<StatusName>)]
    status: Option<String>,
}

/// List master data in identifier order.
#[utoipa::path(
    tag = "masterdata",
    params(ListMasterDataParams),
    responses(
        (status = 200, description = "A page of records", body = Vec<MasterDataJson>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when more records follow"))),
        (status = 400, description = "Malformed query string", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Out-of-range parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
async fn list_master_data(
    state: web::Data<AppState>,
    params: web::Query<ListMasterDataParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let page = PageRequest::parse(params.limit, params.after.as_deref(), &mut errors);
    let status = match params
        .status
        .as_deref()
        .map(|s| Status::parse(s, "status"))
        .transpose()
    {
        Ok(status) => status,
        Err(e) => {
            errors.push(e.field, e.message);
            None
        }
    };
    let page = page
        .filter(|_| errors.is_empty())
        .ok_or(ApiError::Validation(errors))?;
    let result =
        db::master_data::list(&state.pool, page.after.as_ref(), status, page.limit).await?;
    let body: Vec<MasterDataJson> = result.records.iter().map(MasterDataJson::from).collect();
    let mut response = HttpResponse::Ok();
    if let (true, Some(last)) = (result.has_more, result.records.last()) {
        let filters: Vec<_> = status
            .map(|s| ("status", s.to_string()))
            .into_iter()
            .collect();
        response.insert_header((
            header::LINK,
            page.next_link("/masterdata", &last.identifier, &filters),
        ));
    }
    Ok(response.json(body))
}

/// Get the master data of one item.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 200, description = "The record", body = MasterDataJson),
        (status = 404, description = "No record for this item", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid identifier", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
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
    let record = db::master_data::find(&state.pool, &identifier)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Item {identifier} has no master data")))?;
    Ok(HttpResponse::Ok().json(MasterDataJson::from(&record)))
}

/// Create or replace the master data of an existing item.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    request_body = MasterDataInput,
    responses(
        (status = 200, description = "Replaced", body = MasterDataJson),
        (status = 201, description = "Created", body = MasterDataJson,
         headers(("Location" = String, description = "URL of the record"))),
        (status = 400, description = "Malformed JSON or wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rule violations, or no such item", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/{id}")]
async fn put_master_data(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<MasterDataInput>,
) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(&id)?;
    let record = body.0.parse(identifier)?;
    let write = db::master_data::upsert(&state.pool, &record).await?;
    let body = MasterDataJson::from(&record);
    match write {
        MasterDataWrite::Created => Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/masterdata/{}", record.identifier),
            ))
            .json(body)),
        MasterDataWrite::Updated => Ok(HttpResponse::Ok().json(body)),
        MasterDataWrite::UnknownItem => Err(ApiError::validation(crate::domain::FieldError::new(
            "id",
            format!("item {} does not exist", record.identifier),
        ))),
    }
}

/// Delete the master data of one item. The item stays.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No record for this item", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid identifier", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
async fn delete_master_data(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(&id)?;
    if !db::master_data::delete(&state.pool, &identifier).await? {
        return Err(ApiError::NotFound(format!(
            "Item {identifier} has no master data"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}
