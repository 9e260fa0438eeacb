//! `/items`: the catalog's items.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::idempotency;
use super::paging::PageRequest;
use super::state::AppState;
use crate::db::{self, ItemWrite};
use crate::domain::{parse_id, FieldErrors, Item};
use crate::http::conditional::{read_answer, tagged_json, with_tag, Condition, ETag};
use crate::http::docs::{
    BodyProblems, ConditionalWrite, IdempotencyKey, Idempotent, ListProblems, LookupProblems,
    Tagged,
};
use crate::http::{ApiError, ApiResult, JsonBody, RequestBody};
use crate::wire::{path_identifier, schemas, ItemBricksJson, ItemJson};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_items)
        .service(create_item)
        .service(get_item)
        .service(put_item)
        .service(delete_item);
}

impl RequestBody for ItemJson {}
impl RequestBody for ItemBricksJson {}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListItemsParams {
    #[param(schema_with = schemas::page_limit)]
    limit: Option<i64>,
    /// Return items after this identifier (from the `Link` header).
    after: Option<String>,
    #[param(schema_with = schemas::design_id_filter)]
    design_id: Option<i64>,
}

/// List items in identifier order.
///
/// Keyset pagination: when more items follow, the `Link` header holds the
/// URL of the next page (`rel="next"`).
#[utoipa::path(
    tag = "items",
    params(ListItemsParams),
    responses(
        (status = 200, description = "A page of items", body = Vec<ItemJson>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when more items follow"),
                 ("ETag" = String, description = "Weak: over the page and its next link"))),
        Tagged,
        ListProblems,
    )
)]
#[get("")]
async fn list_items(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<ListItemsParams>,
) -> ApiResult<HttpResponse> {
    let mut errors = FieldErrors::default();
    let page = errors.take(PageRequest::parse(params.limit, params.after.as_deref()));
    let design_id = errors.take(
        params
            .design_id
            .map(|d| parse_id(d, "design_id"))
            .transpose(),
    );
    let (page, design_id) = errors.finish(|| Some((page?, design_id?)))?;
    let result = state
        .bounded(db::items::list(&state.pool, page.keyset(), design_id))
        .await?;
    let filters: Vec<_> = design_id
        .map(|d| ("design_id", d.to_string()))
        .into_iter()
        .collect();
    page.respond::<_, ItemJson>(&request, result, "/items", &filters, |i| &i.identifier)
}

/// Get one item.
///
/// Answers carry a strong `ETag`; with `If-None-Match` holding it, the
/// answer is 304 with no body.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses(
        (status = 200, description = "The item", body = ItemJson, headers(
            ("ETag" = String, description = "Strong: the SHA-256 of this JSON, cut to 128 bits"),
            ("Cache-Control" = String, description = "`private, no-cache`: revalidate before reuse"),
        )),
        Tagged,
        LookupProblems,
    )
)]
#[get("/{id}")]
async fn get_item(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    find_item(&state, &request, &id).await
}

/// The item's JSON and its tag.
pub(super) fn item_representation(item: &Item) -> ApiResult<(Vec<u8>, ETag)> {
    tagged_json(&ItemJson::from(item))
}

pub(super) async fn find_item(
    state: &AppState,
    request: &HttpRequest,
    id: &str,
) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(id)?;
    let item = state
        .bounded(db::items::find(&state.pool, &identifier))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Item {identifier} does not exist")))?;
    let (bytes, tag) = item_representation(&item)?;
    Ok(read_answer(request, StatusCode::OK, bytes, &tag))
}

/// Create an item.
#[utoipa::path(
    tag = "items",
    request_body = ItemJson,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = ItemJson,
         headers(("Location" = String, description = "URL of the new item"),
                 ("ETag" = String, description = "The new item's ETag"))),
        Idempotent,
        BodyProblems,
    )
)]
#[post("")]
async fn create_item(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: JsonBody<ItemJson>,
) -> ApiResult<HttpResponse> {
    let request_hash = idempotency::fingerprint(&[
        &serde_json::to_vec(&body.0).map_err(|e| ApiError::Unexpected(e.into()))?
    ]);
    idempotency::once(&state, &request, request_hash, || async {
        let item = body.0.parse()?;
        let inserted = state
            .bounded(async {
                let mut conn = state.pool.acquire().await?;
                db::items::insert(&mut conn, &item).await
            })
            .await?;
        if !inserted {
            return Err(ApiError::Conflict(format!(
                "Item {} already exists",
                item.identifier
            )));
        }
        let (bytes, tag) = item_representation(&item)?;
        Ok(with_tag(
            HttpResponse::Created()
                .insert_header((header::LOCATION, format!("/items/{}", item.identifier)))
                .content_type(header::ContentType::json())
                .body(bytes),
            &tag,
        ))
    })
    .await
}

/// Create an item, or replace its bricks.
///
/// Conditional: with `If-Match: <ETag>` the item is replaced only if it
/// is still as read (412 otherwise); with `If-None-Match: *` it is only
/// created (412 if it exists). Where the service requires it
/// (`APP__HTTP__REQUIRE_IF_MATCH`), a PUT with neither gets 428.
#[utoipa::path(
    tag = "items",
    params(
        ("id" = String, Path, description = "Item identifier", example = "item1"),
        ("If-Match" = Option<String>, Header, description = "Replace only if the item's ETag is one of these"),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only"),
    ),
    request_body = ItemBricksJson,
    responses(
        (status = 200, description = "Replaced", body = ItemJson,
         headers(("ETag" = String, description = "The new ETag"))),
        (status = 201, description = "Created", body = ItemJson,
         headers(("Location" = String, description = "URL of the new item"),
                 ("ETag" = String, description = "The new ETag"))),
        ConditionalWrite,
        BodyProblems,
    )
)]
#[put("/{id}")]
async fn put_item(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
    body: JsonBody<ItemBricksJson>,
) -> ApiResult<HttpResponse> {
    let preconditions = state.preconditions(&request)?;
    let item = body.0.parse(&id)?;
    let write = state
        .bounded(async {
            let mut tx = state.pool.begin().await?;
            if preconditions.any() {
                let current = db::items::find_locked(&mut tx, &item.identifier).await?;
                let tag = current.as_ref().map(item_representation).transpose()?;
                preconditions.check_write(tag.as_ref().map(|(_, tag)| tag))?;
                if current.is_none() && preconditions.if_none_match == Some(Condition::Any) {
                    // Create only: a creator that got here first wins.
                    if !db::items::insert(&mut tx, &item).await? {
                        return Err(ApiError::PreconditionFailed(
                            "If-None-Match: *: the target already exists".into(),
                        ));
                    }
                    tx.commit().await?;
                    return Ok(ItemWrite::Created);
                }
            }
            let write = db::items::upsert(&mut tx, &item).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(write)
        })
        .await?;
    let (bytes, tag) = item_representation(&item)?;
    let mut answer = match write {
        ItemWrite::Created => {
            let mut created = HttpResponse::Created();
            created.insert_header((header::LOCATION, format!("/items/{}", item.identifier)));
            created
        }
        ItemWrite::Replaced => HttpResponse::Ok(),
    };
    Ok(with_tag(
        answer.content_type(header::ContentType::json()).body(bytes),
        &tag,
    ))
}

/// Delete an item and its master data.
///
/// Conditional: with `If-Match: <ETag>` only if the item is still as read
/// (412 otherwise).
#[utoipa::path(
    tag = "items",
    params(
        ("id" = String, Path, description = "Item identifier", example = "item1"),
        ("If-Match" = Option<String>, Header, description = "Delete only if the item's ETag is one of these"),
    ),
    responses(
        (status = 204, description = "Deleted, with its master data"),
        ConditionalWrite,
        LookupProblems,
    )
)]
#[delete("/{id}")]
async fn delete_item(
    state: web::Data<AppState>,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let preconditions = state.preconditions(&request)?;
    let identifier = path_identifier(&id)?;
    let deleted = state
        .bounded(async {
            if !preconditions.any() {
                return Ok(db::items::delete(&state.pool, &identifier).await?);
            }
            let mut tx = state.pool.begin().await?;
            let current = db::items::find_locked(&mut tx, &identifier).await?;
            if let Some(current) = &current {
                let (_, tag) = item_representation(current)?;
                preconditions.check_write(Some(&tag))?;
            }
            let deleted = db::items::delete(&mut *tx, &identifier).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(deleted)
        })
        .await?;
    if !deleted {
        return Err(ApiError::NotFound(format!(
            "Item {identifier} does not exist"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}
