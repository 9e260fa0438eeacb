//! `/masterdata`: status and price per item.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::paging::PageRequest;
use super::state::AppState;
use crate::db::{self, MasterDataWrite};
use crate::domain::{FieldError, FieldErrors, MasterData, Status};
use crate::http::conditional::{read_answer, tagged_json, with_tag, ETag};
use crate::http::docs::{BodyProblems, ConditionalWrite, ListProblems, LookupProblems, Tagged};
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
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when more records follow"),
                 ("ETag" = String, description = "Weak: over the page and its next link"))),
        Tagged,
        ListProblems,
    )
)]
#[get("")]
async fn list_master_data(
    state: web::Data<AppState>,
    request: HttpRequest,
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
    page.respond::<_, MasterDataJson>(&request, result, "/masterdata", &filters, |r| &r.identifier)
}

/// Get the master data of one item.
///
/// Answers carry a strong `ETag`; with `If-None-Match` holding it, the
/// answer is 304 with no body.
#[utoipa::path(
    tag = "masterdata",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 200, description = "The record", body = MasterDataJson, headers(
            ("ETag" = String, description = "Strong: the SHA-256 of this JSON, cut to 128 bits"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        Tagged,
        LookupProblems,
    )
)]
#[get("/{id}")]
async fn get_master_data(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    find_master_data(&state, &request, &id).await
}

/// The record's JSON and its tag.
fn representation(record: &MasterData) -> ApiResult<(Vec<u8>, ETag)> {
    tagged_json(&MasterDataJson::from(record))
}

pub(super) async fn find_master_data(
    state: &AppState,
    request: &HttpRequest,
    id: &str,
) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(id)?;
    let record = state
        .bounded(db::master_data::find(&state.pool, &identifier))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Item {identifier} has no master data")))?;
    let (bytes, tag) = representation(&record)?;
    Ok(read_answer(request, StatusCode::OK, bytes, &tag))
}

/// Create or replace the master data of an existing item.
///
/// Conditional: with `If-Match: <ETag>` the record is replaced only if it
/// is still as read (412 otherwise); with `If-None-Match: *` it is only
/// created (412 if it exists). Where the service requires it
/// (`APP__HTTP__REQUIRE_IF_MATCH`), a PUT with neither gets 428.
#[utoipa::path(
    tag = "masterdata",
    params(
        ("id" = String, Path, description = "Item identifier", example = "item1"),
        ("If-Match" = Option<String>, Header, description = "Replace only if the record's ETag is one of these"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only"),
    ),
    request_body = MasterDataBody,
    responses(
        (status = 200, description = "Replaced", body = MasterDataJson,
         headers(("ETag" = String, description = "The new ETag"))),
        (status = 201, description = "Created", body = MasterDataJson,
         headers(("Location" = String, description = "URL of the record"),
                 ("ETag" = String, description = "The new ETag"))),
        ConditionalWrite,
        BodyProblems,
    )
)]
#[put("/{id}")]
async fn put_master_data(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<MasterDataBody>,
) -> ApiResult<HttpResponse> {
    let preconditions = state.preconditions(&request)?;
    let record = body.0.parse(&id)?;
    let write = state
        .bounded(async {
            if !preconditions.any() {
                return Ok(db::master_data::upsert(&state.pool, &record).await?);
            }
            let mut tx = state.pool.begin().await?;
            // The item's row stays locked until the commit: no other write
            // of this record comes between the check and ours.
            if let Some(current) = db::master_data::find_locked(&mut tx, &record.identifier).await?
            {
                let tag = current.as_ref().map(representation).transpose()?;
                preconditions.check_write(tag.as_ref().map(|(_, tag)| tag))?;
            }
            let write = db::master_data::upsert(&mut *tx, &record).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(write)
        })
        .await?;
    let (bytes, tag) = representation(&record)?;
    let mut answer = match write {
        MasterDataWrite::Created => {
            let mut created = HttpResponse::Created();
            created.insert_header((
                header::LOCATION,
                format!("/masterdata/{}", record.identifier),
            ));
            created
        }
        MasterDataWrite::Replaced => HttpResponse::Ok(),
        MasterDataWrite::UnknownItem => {
            return Err(ApiError::validation(FieldError::new(
                "id",
                format!("item {} does not exist", record.identifier),
            )))
        }
    };
    Ok(with_tag(
        answer.content_type(header::ContentType::json()).body(bytes),
        &tag,
    ))
}

/// Delete the master data of one item. The item stays.
///
/// Conditional: with `If-Match: <ETag>` only if the record is still as
/// read (412 otherwise).
#[utoipa::path(
    tag = "masterdata",
    params(
        ("id" = String, Path, description = "Item identifier", example = "item1"),
        ("If-Match" = Option<String>, Header, description = "Delete only if the record's ETag is one of these"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        ConditionalWrite,
        LookupProblems,
    )
)]
#[delete("/{id}")]
async fn delete_master_data(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let preconditions = state.preconditions(&request)?;
    let identifier = path_identifier(&id)?;
    let deleted = state
        .bounded(async {
            if !preconditions.any() {
                return Ok(db::master_data::delete(&state.pool, &identifier).await?);
            }
            let mut tx = state.pool.begin().await?;
            if let Some(Some(current)) = db::master_data::find_locked(&mut tx, &identifier).await? {
                let (_, tag) = representation(&current)?;
                preconditions.check_write(Some(&tag))?;
            }
            let deleted = db::master_data::delete(&mut *tx, &identifier).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(deleted)
        })
        .await?;
    if !deleted {
        return Err(ApiError::NotFound(format!(
            "Item {identifier} has no master data"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}
