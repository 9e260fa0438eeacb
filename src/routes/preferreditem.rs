//! `/preferreditem`: which item is preferred for a list of bricks.

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::wire::{parse_bricks, BrickJson, ItemJson, MasterDataJson};
use super::AppState;
use crate::db;
use crate::domain::{Candidate, Decision, FieldErrors, MatchMode, PreferenceQuery, Strategy};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::{JsonBody, RequestBody};

/// The most queries one batch may carry.
pub const MAX_BATCH: usize = 1000;

const NOT_FOUND: &str = "No preferred item found for the provided bricks";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(preferred_by_rank)
        .service(preferred_by_score)
        .service(preferred_batch);
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchName {
    Exact,
    Contains,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StrategyName {
    Rank,
    Score,
}

/// Which item is preferred for these bricks?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]
}))]
pub struct PreferredItemRequest {
    /// 1 to 1000 bricks, compared as a multiset.
    #[schema(min_items = 1, max_items = 1000)]
    pub bricks: Vec<BrickJson>,
    /// `exact` (default): the item has exactly these bricks. `contains`:
    /// the item has at least these bricks, counting repeats.
    #[serde(rename = "match", default)]
    #[schema(value_type = Option<MatchName>)]
    pub match_mode: Option<String>,
    /// Let `Discontinued` items be candidates (default false).
    #[serde(default)]
    pub include_discontinued: Option<bool>,
    /// Also return the next N candidates, 0..=20 (default 0).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 20)]
    pub alternatives: Option<i64>,
}

impl RequestBody for PreferredItemRequest {}

impl PreferredItemRequest {
    /// Parses into a query, naming fields under `prefix`.
    fn parse(&self, prefix: &str) -> Result<PreferenceQuery, FieldErrors> {
        let mut errors = FieldErrors::default();
        let bricks = parse_bricks(&self.bricks, "bricks")
            .map_err(|e| errors.extend(e))
            .ok();
        let match_mode = self
            .match_mode
            .as_deref()
            .map_or(Ok(MatchMode::default()), |m| MatchMode::parse(m, "match"))
            .map_err(|e| errors.push(e.field, e.message))
            .ok();
        let alternatives =
            PreferenceQuery::parse_alternatives(self.alternatives.unwrap_or(0), "alternatives")
                .map_err(|e| errors.push(e.field, e.message))
                .ok();
        match (bricks, match_mode, alternatives) {
            (Some(bricks), Some(match_mode), Some(alternatives)) => Ok(PreferenceQuery {
                bricks,
                match_mode,
                include_discontinued: self.include_discontinued.unwrap_or(false),
                alternatives,
            }),
            _ => Err(errors.nested(prefix)),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlternativeJson {
    pub item: ItemJson,
    pub item_info: MasterDataJson,
}

/// The preferred item, its master data, how many candidates there were,
/// and the requested alternatives in the strategy's order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "preferred_item": {"identifier": "item1", "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]},
    "item_info": {"identifier": "item1", "status": "Normal", "price": 10.0},
    "candidates": 1,
    "alternatives": []
}))]
pub struct PreferredItemResponse {
    pub preferred_item: ItemJson,
    pub item_info: MasterDataJson,
    pub candidates: u64,
    pub alternatives: Vec<AlternativeJson>,
}

impl From<&Decision> for PreferredItemResponse {
    fn from(decision: &Decision) -> Self {
        let Candidate { item, info } = &decision.preferred;
        PreferredItemResponse {
            preferred_item: ItemJson::from(item),
            item_info: MasterDataJson::from(info),
            candidates: decision.candidates,
            alternatives: decision
                .alternatives
                .iter()
                .map(|c| AlternativeJson {
                    item: ItemJson::from(&c.item),
                    item_info: MasterDataJson::from(&c.info),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "strategy": "rank",
    "queries": [
        {"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]},
        {"bricks": [{"design_id": 2, "color_codes": [1, 2]}], "alternatives": 2}
    ]
}))]
pub struct BatchRequest {
    /// `rank` (default) or `score`, for every query of the batch.
    #[serde(default)]
    #[schema(value_type = Option<StrategyName>)]
    pub strategy: Option<String>,
    /// 1 to 1000 queries, answered in order.
    #[schema(min_items = 1, max_items = 1000)]
    pub queries: Vec<PreferredItemRequest>,
}

impl RequestBody for BatchRequest {
    const LARGE: bool = true;
}

/// One answer of a batch: a success body, or `{"error": problem}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchResult {
    Found(PreferredItemResponse),
    Failed { error: Problem },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    #[schema(value_type = StrategyName)]
    pub strategy: &'static str,
    pub results: Vec<BatchResult>,
}

fn strategy_name(strategy: Strategy) -> &'static str {
    match strategy {
        Strategy::Rank => "rank",
        Strategy::Score(_) => "score",
    }
}

/// Answers parsed queries with one database round trip per match mode.
async fn decide_all(
    state: &AppState,
    strategy: Strategy,
    queries: &[&PreferenceQuery],
) -> ApiResult<Vec<Option<Decision>>> {
    let shortlists = db::preference::shortlists(&state.pool, queries).await?;
    let work: Vec<(u32, db::Shortlist)> = queries
        .iter()
        .map(|q| q.alternatives)
        .zip(shortlists)
        .collect();
    let decide = move || {
        work.into_iter()
            .map(|(alternatives, shortlist)| {
                strategy.decide(shortlist.candidates, alternatives, shortlist.total)
            })
            .collect::<Vec<_>>()
    };
    if queries.len() > 50 {
        // Large batches are decided off the worker thread, so that it keeps
        // answering other requests, /health/live included.
        tokio::task::spawn_blocking(decide)
            .await
            .map_err(|e| ApiError::Unexpected(e.into()))
    } else {
        Ok(decide())
    }
}

async fn answer_one(
    state: &AppState,
    strategy: Strategy,
    request: &PreferredItemRequest,
) -> ApiResult<HttpResponse> {
    let query = request.parse("")?;
    let decision = decide_all(state, strategy, &[&query])
        .await?
        .pop()
        .flatten();
    state
        .metrics
        .observe_outcome(strategy_name(strategy), decision.is_some());
    let decision = decision.ok_or_else(|| ApiError::NotFound(NOT_FOUND.into()))?;
    Ok(HttpResponse::Ok().json(PreferredItemResponse::from(&decision)))
}

/// The preferred item by rank.
///
/// Candidates are the matching items with master data (`Discontinued` ones
/// only with `include_discontinued`). The best status wins (Normal >
/// Novelty > Outgoing > Discontinued), then the lower price, then the
/// lower identifier.
#[utoipa::path(
    tag = "preferreditem",
    request_body = PreferredItemRequest,
    responses(
        (status = 200, description = "The preferred item", body = PreferredItemResponse),
        (status = 400, description = "Malformed JSON or wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No candidate", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "urn:problem:not-found", "title": "Not Found", "status": 404,
                          "detail": "No preferred item found for the provided bricks",
                          "request_id": "3f1c2a4e-8d0b-4c2e-9d5e-2b7f0a1c9e11", "errors": []})),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rule violations, by field", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("")]
async fn preferred_by_rank(
    state: web::Data<AppState>,
    body: JsonBody<PreferredItemRequest>,
) -> ApiResult<HttpResponse> {
    answer_one(&state, Strategy::Rank, &body.0).await
}

/// The preferred item by score.
///
/// `score = weight(status) / price`, with configurable weights (default
/// Normal 3, Novelty 2, Outgoing 1, Discontinued 0). The highest score
/// wins; ties are broken by rank. Computed on exact decimals.
#[utoipa::path(
    tag = "preferreditem",
    request_body = PreferredItemRequest,
    responses(
        (status = 200, description = "The preferred item", body = PreferredItemResponse),
        (status = 400, description = "Malformed JSON or wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No candidate", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rule violations, by field", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/score")]
async fn preferred_by_score(
    state: web::Data<AppState>,
    body: JsonBody<PreferredItemRequest>,
) -> ApiResult<HttpResponse> {
    answer_one(&state, Strategy::Score(state.weights), &body.0).await
}

/// Many queries at once, answered in order.
///
/// Each result is a success body or `{"error": problem}` (404 for no
/// candidate, 422 for an invalid query). The whole batch costs at most two
/// database round trips.
#[utoipa::path(
    tag = "preferreditem",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One result per query, in order", body = BatchResponse),
        (status = 400, description = "Malformed JSON or wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad strategy or query count", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/batch")]
async fn preferred_batch(
    state: web::Data<AppState>,
    body: JsonBody<BatchRequest>,
) -> ApiResult<HttpResponse> {
    let batch = body.0;
    let mut errors = FieldErrors::default();
    let strategy = match batch.strategy.as_deref() {
        None | Some("rank") => Some((Strategy::Rank, "rank")),
        Some("score") => Some((Strategy::Score(state.weights), "score")),
        Some(_) => {
            errors.push("strategy", "must be \"rank\" or \"score\"");
            None
        }
    };
    if batch.queries.is_empty() || batch.queries.len() > MAX_BATCH {
        errors.push(
            "queries",
            format!("must have between 1 and {MAX_BATCH} entries"),
        );
    }
    let Some((strategy, strategy_name)) = strategy.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };

    let parsed: Vec<Result<PreferenceQuery, FieldErrors>> = batch
        .queries
        .iter()
        .enumerate()
        .map(|(i, q)| q.parse(&format!("queries[{i}]")))
        .collect();
    let valid: Vec<&PreferenceQuery> = parsed.iter().filter_map(|p| p.as_ref().ok()).collect();
    let decisions = decide_all(&state, strategy, &valid).await?;
    for decision in &decisions {
        state
            .metrics
            .observe_outcome(strategy_name, decision.is_some());
    }
    let mut decisions = decisions.into_iter();

    let results = parsed
        .iter()
        .map(|p| match p {
            Err(errors) => BatchResult::Failed {
                error: ApiError::Validation(errors.clone()).problem(),
            },
            Ok(_) => match decisions.next().flatten() {
                Some(decision) => BatchResult::Found(PreferredItemResponse::from(&decision)),
                None => BatchResult::Failed {
                    error: ApiError::NotFound(NOT_FOUND.into()).problem(),
                },
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchResponse {
        strategy: strategy_name,
        results,
    }))
}
