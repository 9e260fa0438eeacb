//! Preferred-item questions and answers as JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bounded::Bounded;
use super::catalog::{parse_bricks, BrickList, ItemJson, ItemView, MasterDataJson, MasterDataView};
use super::json::{Checked, JsonError};
use super::problem::Problem;
#[cfg(test)]
use super::problem::ProblemField;
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

/// `PreferredItemResponse`'s JSON, written from the decision itself: the
/// one-query routes answer with it, without copying every identifier and
/// brick into the owned form first.
pub struct DecisionJson<'a>(pub &'a Decision);

impl Serialize for DecisionJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let Candidate { item, master_data } = &self.0.preferred;
        let mut answer = serializer.serialize_struct("PreferredItemResponse", 4)?;
        answer.serialize_field("preferred_item", &ItemView(item))?;
        answer.serialize_field("item_info", &MasterDataView(master_data))?;
        answer.serialize_field("candidates", &self.0.candidates)?;
        answer.serialize_field("alternatives", &AlternativesView(&self.0.alternatives))?;
        answer.end()
    }
}

struct AlternativesView<'a>(&'a [Candidate]);

impl Serialize for AlternativesView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct One<'a>(&'a Candidate);
        impl Serialize for One<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut alternative = serializer.serialize_struct("AlternativeJson", 2)?;
                alternative.serialize_field("item", &ItemView(&self.0.item))?;
                alternative.serialize_field("item_info", &MasterDataView(&self.0.master_data))?;
                alternative.end()
            }
        }
        serializer.collect_seq(self.0.iter().map(One))
    }
}

/// One answer of a batch: a success body, or `{"error": problem}`. The
/// OpenAPI schema of the batch answer; the route writes the same JSON
/// through `BatchJson`, and a unit test holds the two byte-equal.
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

/// One answer of a batch as the batch route writes it: borrowed from the
/// decision, or a problem (the "no candidate" one shared by every result
/// that has none).
pub enum BatchEntry<'a> {
    Found(&'a Decision),
    Failed(&'a Problem),
}

/// `BatchResponse`'s JSON, written from the decisions themselves, without
/// an owned copy of every identifier and brick of the answer first.
pub struct BatchJson<'a> {
    pub strategy: StrategyKind,
    pub results: &'a [BatchEntry<'a>],
}

impl Serialize for BatchJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Results<'a>(&'a [BatchEntry<'a>]);
        impl Serialize for Results<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter())
            }
        }
        let mut answer = serializer.serialize_struct("BatchResponse", 2)?;
        answer.serialize_field("strategy", &self.strategy)?;
        answer.serialize_field("results", &Results(self.results))?;
        answer.end()
    }
}

impl Serialize for BatchEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            BatchEntry::Found(decision) => DecisionJson(decision).serialize(serializer),
            BatchEntry::Failed(problem) => {
                let mut failed = serializer.serialize_struct("Failed", 1)?;
                failed.serialize_field("error", problem)?;
                failed.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items and records through their JSON forms, as a client would send
    /// them.
    fn candidate(item: serde_json::Value, record: serde_json::Value) -> Candidate {
        let item: ItemJson = serde_json::from_value(item).unwrap();
        let record: MasterDataJson = serde_json::from_value(record).unwrap();
        Candidate {
            item: item.parse().unwrap(),
            master_data: record.parse().unwrap(),
        }
    }

    #[test]
    fn the_view_writes_the_bytes_of_the_owned_answer() {
        let decision = Decision {
            preferred: candidate(
                serde_json::json!({"identifier": "item:1.a_b-c", "bricks": [
                    {"design_id": 2147483647, "color_codes": [3, 1, 2]},
                    {"design_id": 1, "color_codes": [0]},
                    {"design_id": 1, "color_codes": [0]}]}),
                serde_json::json!({"identifier": "item:1.a_b-c", "status": "Novelty",
                                   "price": 10.50}),
            ),
            alternatives: vec![
                candidate(
                    serde_json::json!({"identifier": "b",
                                       "bricks": [{"design_id": 5, "color_codes": [2147483647]}]}),
                    serde_json::json!({"identifier": "b", "status": "Normal", "price": 0.001}),
                ),
                candidate(
                    serde_json::json!({"identifier": "c",
                                       "bricks": [{"design_id": 6, "color_codes": [7, 8]}]}),
                    serde_json::json!({"identifier": "c", "status": "Outgoing", "price": 12}),
                ),
            ],
            candidates: 9,
        };
        let owned = serde_json::to_string(&PreferredItemResponse::from(&decision)).unwrap();
        let viewed = serde_json::to_string(&DecisionJson(&decision)).unwrap();
        assert_eq!(viewed, owned);
        assert!(owned.contains(r#""price":10.5}"#), "{owned}");
        let alone = Decision {
            alternatives: vec![],
            ..decision
        };
        assert_eq!(
            serde_json::to_string(&DecisionJson(&alone)).unwrap(),
            serde_json::to_string(&PreferredItemResponse::from(&alone)).unwrap()
        );
    }

    #[test]
    fn the_batch_view_writes_the_bytes_of_the_owned_batch() {
        let decision = Decision {
            preferred: candidate(
                serde_json::json!({"identifier": "a",
                                   "bricks": [{"design_id": 1, "color_codes": [2, 3]}]}),
                serde_json::json!({"identifier": "a", "status": "Normal", "price": 1.25}),
            ),
            alternatives: vec![candidate(
                serde_json::json!({"identifier": "b",
                                   "bricks": [{"design_id": 1, "color_codes": [2, 3]}]}),
                serde_json::json!({"identifier": "b", "status": "Outgoing", "price": 3}),
            )],
            candidates: 2,
        };
        let problem = |status: u16, detail: &str, errors: Vec<ProblemField>| Problem {
            kind: "about:blank".into(),
            title: "t".into(),
            status,
            detail: detail.into(),
            request_id: Some("r-1".into()),
            trace_id: None,
            total_errors: (!errors.is_empty()).then_some(errors.len() as u64),
            errors,
        };
        let invalid = problem(
            422,
            "invalid",
            vec![ProblemField {
                field: "queries[1].bricks".into(),
                message: "must \"be\" set".into(),
                index: None,
            }],
        );
        let missing = problem(404, "none", vec![]);
        let owned = BatchResponse {
            strategy: StrategyKind::Score,
            results: vec![
                BatchResult::Found(PreferredItemResponse::from(&decision)),
                BatchResult::Failed {
                    error: invalid.clone(),
                },
                BatchResult::Failed {
                    error: missing.clone(),
                },
            ],
        };
        let viewed = BatchJson {
            strategy: StrategyKind::Score,
            results: &[
                BatchEntry::Found(&decision),
                BatchEntry::Failed(&invalid),
                BatchEntry::Failed(&missing),
            ],
        };
        let owned = serde_json::to_string(&owned).unwrap();
        assert_eq!(serde_json::to_string(&viewed).unwrap(), owned);
        assert!(owned.starts_with(r#"{"strategy":"score","results":[{"preferred_item":"#));
        let empty = BatchJson {
            strategy: StrategyKind::Rank,
            results: &[],
        };
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"strategy":"rank","results":[]}"#
        );
    }
}
