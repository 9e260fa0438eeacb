//! `/items`: the catalog's items.

use actix_web::http::header;
use actix_web::{delete, get, post, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::paging::PageRequest;
use super::state::AppState;
use crate::db::{self, ItemWrite};
use crate::domain::{parse_id, FieldErrors};
use crate::http::docs::{BodyProblems, Conflict, ListProblems, LookupProblems};
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
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when more items follow"))),
        ListProblems,
    )
)]
#[get("")]
async fn list_items(
    state: web::Data<AppState>,
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
    Ok(page.respond::<_, ItemJson>(result, "/items", &filters, |i| &i.identifier))
}

/// Get one item.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 200, description = "The item", body = ItemJson), LookupProblems)
)]
#[get("/{id}")]
async fn get_item(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    find_item(&state, &id).await
}

pub(super) async fn find_item(state: &AppState, id: &str) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(id)?;
    let item = state
        .bounded(db::items::find(&state.pool, &identifier))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Item {identifier} does not exist")))?;
    Ok(HttpResponse::Ok().json(ItemJson::from(&item)))
}

/// Create an item.
#[utoipa::path(
    tag = "items",
    request_body = ItemJson,
    responses(
        (status = 201, description = "Created", body = ItemJson,
         headers(("Location" = String, description = "URL of the new item"))),
        Conflict,
        BodyProblems,
    )
)]
#[post("")]
async fn create_item(
    state: web::Data<AppState>,
    body: JsonBody<ItemJson>,
) -> ApiResult<HttpResponse> {
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
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/items/{}", item.identifier)))
        .json(ItemJson::from(&item)))
}

/// Create an item, or replace its bricks.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    request_body = ItemBricksJson,
    responses(
        (status = 200, description = "Replaced", body = ItemJson),
        (status = 201, description = "Created", body = ItemJson,
         headers(("Location" = String, description = "URL of the new item"))),
        BodyProblems,
    )
)]
#[put("/{id}")]
async fn put_item(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<ItemBricksJson>,
) -> ApiResult<HttpResponse> {
    let item = body.0.parse(&id)?;
    let write = state
        .bounded(async {
            let mut tx = state.pool.begin().await?;
            let write = db::items::upsert(&mut tx, &item).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(write)
        })
        .await?;
    let body = ItemJson::from(&item);
    Ok(match write {
        ItemWrite::Created => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/items/{}", item.identifier)))
            .json(body),
        ItemWrite::Replaced => HttpResponse::Ok().json(body),
    })
}

/// Delete an item and its master data.
#[utoipa::path(
    tag = "items",
    params(("id" = String, Path, description = "Item identifier", example = "item1")),
    responses((status = 204, description = "Deleted, with its master data"), LookupProblems)
)]
#[delete("/{id}")]
async fn delete_item(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let identifier = path_identifier(&id)?;
    if !state
        .bounded(db::items::delete(&state.pool, &identifier))
        .await?
    {
        return Err(ApiError::NotFound(format!(
            "Item {identifier} does not exist"
        )));
    }
    Ok(HttpResponse::NoContent().finish())
}
