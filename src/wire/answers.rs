//! Preferred-item answers written from the decisions themselves: the
//! JSON of `PreferredItemResponse` and `BatchResponse` (whose shapes the
//! OpenAPI schema describes), without an owned copy of every identifier
//! and brick first. Unit tests hold the two byte-equal.

use serde::Serialize;

use super::catalog::{ItemView, MasterDataView};
use super::problem::Problem;
use crate::domain::{Candidate, Decision, StrategyKind};

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
        let mut answer = serializer.serialize_struct("BatchResponse", 2)?;
        answer.serialize_field("strategy", &self.strategy)?;
        answer.serialize_field("results", self.results)?;
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
    use crate::wire::preferred_item::{BatchResponse, BatchResult, PreferredItemResponse};
    use crate::wire::{ItemJson, MasterDataJson, ProblemField};

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
