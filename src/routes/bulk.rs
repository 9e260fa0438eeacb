//! `POST /items/bulk` and `POST /masterdata/bulk`: up to 10,000 records in
//! one transaction, as a JSON array or NDJSON.

use actix_web::dev::Payload;
use actix_web::{post, web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::idempotency;
use super::state::AppState;
use crate::db::bulk::{self, LoadCounts, LoadMode};
use crate::domain::{check_bulk_count, FieldErrors, Record, MAX_BULK_RECORDS};
use crate::http::docs::{BodyProblems, IdempotencyKey, Idempotent};
use crate::http::{read_body, ApiError, ApiResult, BodyPermit, ReadBody};
use crate::wire::json;
use crate::wire::records;
use crate::wire::Bounded;
use crate::wire::{ItemJson, MasterDataJson};
use serde_json::value::RawValue;

pub fn configure_items(cfg: &mut ServiceConfig) {
    cfg.service(bulk_items);
}

pub fn configure_master_data(cfg: &mut ServiceConfig) {
    cfg.service(bulk_master_data);
}

/// A bulk body as read: its content type, its bytes and its share of the
/// budget of large bodies in flight, held until the request is answered.
pub struct BulkBody(ReadBody);

impl FromRequest for BulkBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(
            req,
            payload,
            true,
            &["application/json", "application/x-ndjson"],
        );
        Box::pin(async move { Ok(BulkBody(body.await?)) })
    }
}

/// The records of a JSON array: each element's own text, borrowed from the
/// body (never a generic JSON value), at most `MAX_BULK_RECORDS` of them.
type RawRecords<'a> = Bounded<&'a RawValue, MAX_BULK_RECORDS>;

/// Each record of `body` parsed with `parse`, with its 0-based index.
fn parse_records<T>(
    kind: &str,
    body: &[u8],
    parse: impl Fn(&[u8]) -> Result<T, FieldErrors>,
) -> Result<Vec<Record<T>>, ApiError> {
    let record = |(i, text): (usize, &[u8])| Record {
        position: i as u64,
        value: parse(text),
    };
    if kind == "application/json" {
        let raw: RawRecords<'_> = json::parse_borrowed(body)?;
        let raw = raw.into_checked("records").map_err(ApiError::validation)?;
        return Ok(raw
            .into_iter()
            .map(|r| r.get().as_bytes())
            .enumerate()
            .map(record)
            .collect());
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The NDJSON body is not UTF-8"))?;
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    check_bulk_count(lines.clone().count()).map_err(ApiError::validation)?;
    Ok(lines.map(str::as_bytes).enumerate().map(record).collect())
}

impl BulkBody {
    /// What makes two bulk requests the same: content type and bytes.
    fn fingerprint(&self) -> Vec<u8> {
        idempotency::fingerprint(&[self.0.kind.as_bytes(), &self.0.bytes])
    }

    /// The records, parsed off the worker thread (megabytes of JSON would
    /// hold up its other requests, /health/live included), and the budget
    /// the body holds.
    async fn records<T: Send + 'static>(
        self,
        parse: fn(&[u8]) -> Result<T, FieldErrors>,
    ) -> ApiResult<(Vec<Record<T>>, BodyPermit)> {
        let ReadBody {
            kind,
            bytes,
            permit,
        } = self.0;
        let records = tokio::task::spawn_blocking(move || parse_records(kind, &bytes, parse))
            .await
            .map_err(|e| ApiError::Unexpected(e.into()))??;
        Ok((records, permit))
    }
}

/// What a bulk load wrote.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"received": 2, "created": 1, "updated": 1}))]
pub struct BulkResult {
    pub received: u64,
    pub created: u64,
    pub updated: u64,
}

impl From<LoadCounts> for BulkResult {
    fn from(counts: LoadCounts) -> Self {
        BulkResult {
            received: counts.total(),
            created: counts.created,
            updated: counts.updated,
        }
    }
}

/// Create or replace up to 10,000 items, all or nothing.
///
/// The body is a JSON array of items, or NDJSON (one item per line) with
/// `Content-Type: application/x-ndjson`. When any record is invalid,
/// nothing is written and the 422 lists each bad record's `index`.
#[utoipa::path(
    tag = "items",
    request_body(content(
        (Vec<ItemJson> = "application/json"),
        (String = "application/x-ndjson", example = json!("{\"identifier\":\"a\",\"bricks\":[{\"design_id\":1,\"color_codes\":[1]}]}\n"))
    )),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "All records written", body = BulkResult),
        Idempotent,
        BodyProblems,
    )
)]
#[post("/bulk")]
async fn bulk_items(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: BulkBody,
) -> ApiResult<HttpResponse> {
    let request_hash = body.fingerprint();
    idempotency::once(&state, &request, request_hash, || async {
        let (records, _permit) = body.records(records::item_from_json).await?;
        let counts = state
            .bounded_bulk(async {
                let mut tx = state.pool.begin().await?;
                let counts = bulk::load_items(&mut tx, LoadMode::Upsert, records, None).await?;
                tx.commit().await?;
                Ok::<_, ApiError>(counts)
            })
            .await?;
        Ok(HttpResponse::Ok().json(BulkResult::from(counts)))
    })
    .await
}

/// Create or replace the master data of up to 10,000 existing items, all or
/// nothing.
///
/// Records are `{"identifier", "status", "price"}`, as a JSON array or
/// NDJSON. A record for an item that does not exist is invalid.
#[utoipa::path(
    tag = "masterdata",
    request_body(content(
        (Vec<MasterDataJson> = "application/json"),
        (String = "application/x-ndjson", example = json!("{\"identifier\":\"item1\",\"status\":\"Normal\",\"price\":10.0}\n"))
    )),
    params(IdempotencyKey),
    responses(
        (status = 200, description = "All records written", body = BulkResult),
        Idempotent,
        BodyProblems,
    )
)]
#[post("/bulk")]
async fn bulk_master_data(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: BulkBody,
) -> ApiResult<HttpResponse> {
    let request_hash = body.fingerprint();
    idempotency::once(&state, &request, request_hash, || async {
        let (records, _permit) = body.records(records::master_data_from_json).await?;
        let counts = state
            .bounded_bulk(async {
                let mut tx = state.pool.begin().await?;
                let counts =
                    bulk::load_master_data(&mut tx, LoadMode::Upsert, records, false).await?;
                tx.commit().await?;
                Ok::<_, ApiError>(counts)
            })
            .await?;
        Ok(HttpResponse::Ok().json(BulkResult::from(counts)))
    })
    .await
}
