//! Preferred-item questions and answers as JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bounded::Bounded;
use super::catalog::{parse_bricks, BrickList, ItemJson, MasterDataJson};
use super::json::{Checked, JsonError};
use super::problem::Problem;
use super::schemas;
use crate::domain::{
    Candidate, Decision, FieldErrors, MatchMode, PreferredItemQuery, StrategyKind, MAX_BATCH,
    MAX_FIELD_ERRORS,
};

/// Which item is preferred for these bricks?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]
}))]
pub struct PreferredItemRequest {
    #[schema(schema_with = schemas::query_bricks)]
    pub bricks: BrickList,
    /// `exact` (default): the item has exactly these bricks. `contains`:
    /// the item has at least these bricks, counting repeats.
    #[serde(rename = "match", default)]
    #[schema(value_type = MatchMode)]
    pub match_mode: Checked<MatchMode>,
    /// Let `Discontinued` items be candidates (default false).
    #[serde(default)]
    pub include_discontinued: bool,
    #[serde(default)]
    #[schema(schema_with = schemas::alternatives)]
    pub alternatives: i64,
}

impl PreferredItemRequest {
    pub fn parse(&self) -> Result<PreferredItemQuery, FieldErrors> {
        let mut errors = FieldErrors::default();
        let bricks = errors.take(parse_bricks(&self.bricks, "bricks"));
        let match_mode = errors.take(self.match_mode.clone().check("match"));
        let alternatives = errors.take(PreferredItemQuery::parse_alternatives(
            self.alternatives,
            "alternatives",
        ));
        errors.finish(|| {
            Some(PreferredItemQuery {
                bricks: bricks?,
                match_mode: match_mode?,
                include_discontinued: self.include_discontinued,
                alternatives: alternatives?,
            })
        })
    }
}

/// Many questions, answered in order with one strategy.
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
    pub strategy: StrategyKind,
    #[schema(schema_with = schemas::batch_queries)]
    pub queries: Bounded<PreferredItemRequest, MAX_BATCH>,
}

impl BatchRequest {
    /// Each query parsed, or the rules it broke with their paths under
    /// `queries[i]`. (The shape of every query, its fields and their types,
    /// was checked for the whole batch when the body was read.)
    pub fn parse(self) -> Result<Vec<Result<PreferredItemQuery, FieldErrors>>, JsonError> {
        let queries = self
            .queries
            .into_checked("queries")
            .map_err(|e| JsonError::Invalid(e.into()))?;
        // The whole batch lists at most MAX_FIELD_ERRORS field errors;
        // each failed query keeps its total.
        let mut room = MAX_FIELD_ERRORS;
        Ok(queries
            .into_iter()
            .enumerate()
            .map(|(i, request)| {
                request.parse().map_err(|errors| {
                    let mut errors = errors.nested(&format!("queries[{i}]"));
                    errors.keep_listed(room);
                    room -= errors.iter().count();
                    errors
                })
            })
            .collect())
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
        let Candidate { item, master_data } = &decision.preferred;
        PreferredItemResponse {
            preferred_item: ItemJson::from(item),
            item_info: MasterDataJson::from(master_data),
            candidates: decision.candidates,
            alternatives: decision
                .alternatives
                .iter()
                .map(|c| AlternativeJson {
                    item: ItemJson::from(&c.item),
                    item_info: MasterDataJson::from(&c.master_data),
                })
                .collect(),
        }
    }
}

/// One answer of a batch: a success body, or `{"error": problem}`.
// The OpenAPI schema of a batch result (this doc comment is its
// description). The route writes the same JSON through
// `wire::answers::BatchJson`; a unit test holds the two byte-equal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[cfg_attr(not(test), allow(dead_code))]
pub enum BatchResult {
    Found(PreferredItemResponse),
    Failed { error: Problem },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResponse {
    pub strategy: StrategyKind,
    pub results: Vec<BatchResult>,
}
