//! The preferred-item decision: which candidates qualify, and how the two
//! strategies order them.
//!
//! The database finds matching items through its indexes and hands over a
//! shortlist; this module makes the decision on exact decimals. Keeping the
//! decision here means the rules can be read and property-tested without a
//! database, and that scores never go through floating point.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use utoipa::ToSchema;

use super::{BrickSet, FieldError, Item, MasterData, Price, Status, StatusWeights};

/// The most alternatives a query may ask for.
pub const MAX_ALTERNATIVES: u32 = 20;

/// The most queries one batch may carry.
pub const MAX_BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// The item's brick multiset equals the query's.
    #[default]
    Exact,
    /// The query's multiset is included in the item's, counting multiplicity.
    Contains,
}

/// One question: which item is preferred for these bricks?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferredItemQuery {
    pub bricks: BrickSet,
    pub match_mode: MatchMode,
    pub include_discontinued: bool,
    pub alternatives: u32,
}

impl PreferredItemQuery {
    pub fn parse_alternatives(value: i64, field: &str) -> Result<u32, FieldError> {
        u32::try_from(value)
            .ok()
            .filter(|&n| n <= MAX_ALTERNATIVES)
            .ok_or_else(|| {
                FieldError::new(field, format!("must be between 0 and {MAX_ALTERNATIVES}"))
            })
    }

    /// How many candidates of each status the database must return so that
    /// the decision, preferred item and alternatives, is the same as over
    /// all candidates, for either strategy.
    ///
    /// Within one status both strategies order candidates the same way, by
    /// price and then identifier: the score `weight / price` falls as the
    /// price rises, and equal scores fall back to rank order. So the first
    /// `alternatives + 1` of the overall order are always among the first
    /// `alternatives + 1` of their own status.
    pub fn shortlist_per_status(&self) -> u32 {
        self.alternatives + 1
    }
}

/// A matching item with master data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub item: Item,
    pub master_data: MasterData,
}

/// The candidates a decision needs for one query, and how many there are:
/// what a source (the catalog in memory or the database) hands the
/// decision. It holds at least the candidates the decision can use, and
/// may hold more: the database hands over the first
/// `PreferredItemQuery::shortlist_per_status` of each status; the memory
/// store orders those by the strategy first and builds only the
/// `alternatives + 1` it prefers.
#[derive(Debug, Default)]
pub struct Shortlist {
    pub candidates: Vec<Candidate>,
    pub total: u64,
}

/// The name of a strategy, as requests spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StrategyKind {
    #[default]
    Rank,
    Score,
}

impl StrategyKind {
    /// The strategy, with `weights` for `Score`.
    pub fn with_weights(self, weights: StatusWeights) -> Strategy {
        match self {
            StrategyKind::Rank => Strategy::Rank,
            StrategyKind::Score => Strategy::Score(weights),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StrategyKind::Rank => "rank",
            StrategyKind::Score => "score",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Best status, then lower price, then lower identifier (byte order).
    Rank,
    /// Highest `weight(status) / price`; ties broken by rank.
    Score(StatusWeights),
}

/// What the strategies order candidates by: a candidate's status, price
/// and identifier (compared byte by byte).
#[derive(Debug, Clone, Copy)]
pub struct SortKey<'a> {
    pub status: Status,
    pub price: Price,
    pub identifier: &'a str,
}

impl<'a> SortKey<'a> {
    pub fn of(master_data: &'a MasterData) -> SortKey<'a> {
        SortKey {
            status: master_data.status,
            price: master_data.price,
            identifier: master_data.identifier.as_str(),
        }
    }
}

/// The answer to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub preferred: Candidate,
    /// The next candidates after the preferred one, in the strategy's order.
    pub alternatives: Vec<Candidate>,
    /// How many candidates there were in all.
    pub candidates: u64,
}

impl Strategy {
    pub fn kind(&self) -> StrategyKind {
        match self {
            Strategy::Rank => StrategyKind::Rank,
            Strategy::Score(_) => StrategyKind::Score,
        }
    }

    /// `Less` when `a` is preferred over `b`. A total order: two distinct
    /// items never compare equal, because identifiers are unique.
    pub fn compare(&self, a: &MasterData, b: &MasterData) -> Ordering {
        self.compare_keys(SortKey::of(a), SortKey::of(b))
    }

    /// `compare`, on what it reads of master data, borrowed: a source can
    /// order candidates it has not built yet.
    pub fn compare_keys(&self, a: SortKey<'_>, b: SortKey<'_>) -> Ordering {
        let by_rank = || {
            a.status
                .cmp(&b.status)
                .then_with(|| a.price.cmp(&b.price))
                .then_with(|| a.identifier.cmp(b.identifier))
        };
        match self {
            Strategy::Rank => by_rank(),
            Strategy::Score(weights) => {
                // wa / pa > wb / pb  <=>  wa * pb > wb * pa, as prices are
                // positive. Cross-multiplying keeps the comparison exact.
                let a_side = weights.weight(a.status) * b.price.value();
                let b_side = weights.weight(b.status) * a.price.value();
                b_side.cmp(&a_side).then_with(by_rank)
            }
        }
    }

    /// Orders the shortlisted candidates and takes the preferred one and up
    /// to `alternatives` more. `None` when there is no candidate.
    pub fn decide(
        &self,
        mut shortlist: Vec<Candidate>,
        alternatives: u32,
        candidates: u64,
    ) -> Option<Decision> {
        shortlist.sort_by(|a, b| self.compare(&a.master_data, &b.master_data));
        shortlist.truncate(alternatives as usize + 1);
        let mut ordered = shortlist.into_iter();
        let preferred = ordered.next()?;
        Some(Decision {
            preferred,
            alternatives: ordered.collect(),
            candidates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Brick, Identifier, Price, Status};

    fn master_data(id: &str, status: Status, price: &str) -> MasterData {
        MasterData {
            identifier: Identifier::parse(id, "identifier").unwrap(),
            status,
            price: Price::parse(price, "price").unwrap(),
        }
    }

    fn candidate(id: &str, status: Status, price: &str) -> Candidate {
        let bricks = BrickSet::new(vec![Brick::parse(1, &[1], "b").unwrap()]).unwrap();
        let master_data = master_data(id, status, price);
        Candidate {
            item: Item {
                identifier: master_data.identifier.clone(),
                bricks,
            },
            master_data,
        }
    }

    fn preferred(strategy: Strategy, shortlist: Vec<Candidate>) -> String {
        let n = shortlist.len() as u64;
        strategy
            .decide(shortlist, 0, n)
            .unwrap()
            .preferred
            .master_data
            .identifier
            .to_string()
    }

    #[test]
    fn the_worked_example_prefers_c_under_both_strategies() {
        let shortlist = vec![
            candidate("A", Status::Normal, "10.00"),
            candidate("B", Status::Novelty, "5.00"),
            candidate("C", Status::Normal, "3.00"),
        ];
        assert_eq!(preferred(Strategy::Rank, shortlist.clone()), "C");
        let score = Strategy::Score(StatusWeights::default());
        assert_eq!(preferred(score, shortlist), "C");
    }

    #[test]
    fn rank_puts_status_before_price() {
        let shortlist = vec![
            candidate("cheap", Status::Novelty, "1"),
            candidate("dear", Status::Normal, "100"),
        ];
        assert_eq!(preferred(Strategy::Rank, shortlist), "dear");
    }

    #[test]
    fn score_can_prefer_a_cheaper_worse_status() {
        // Novelty at 1 scores 2; Normal at 100 scores 0.03.
        let shortlist = vec![
            candidate("cheap", Status::Novelty, "1"),
            candidate("dear", Status::Normal, "100"),
        ];
        let score = Strategy::Score(StatusWeights::default());
        assert_eq!(preferred(score, shortlist), "cheap");
    }

    #[test]
    fn equal_scores_fall_back_to_rank() {
        // 3 / 3 == 2 / 2: Normal wins the tie.
        let shortlist = vec![
            candidate("b", Status::Novelty, "2"),
            candidate("a", Status::Normal, "3"),
        ];
        let score = Strategy::Score(StatusWeights::default());
        assert_eq!(preferred(score, shortlist), "a");
    }

    #[test]
    fn exactly_equal_scores_tie_even_where_floats_would_differ() {
        // 3 / 0.9 and 2 / 0.6 are both 10/3. In f64 the second comes out
        // larger (3.3333333333333335 against 3.333333333333333), which
        // would wrongly prefer the Novelty; exactly, they tie and rank
        // prefers the Normal.
        let shortlist = vec![
            candidate("novelty", Status::Novelty, "0.6"),
            candidate("normal", Status::Normal, "0.9"),
        ];
        let score = Strategy::Score(StatusWeights::default());
        assert_eq!(preferred(score, shortlist), "normal");
    }

    #[test]
    fn identifiers_break_the_last_tie_in_byte_order() {
        let shortlist = vec![
            candidate("b", Status::Normal, "1"),
            candidate("B", Status::Normal, "1"),
            candidate("a", Status::Normal, "1"),
        ];
        assert_eq!(preferred(Strategy::Rank, shortlist), "B");
    }

    #[test]
    fn alternatives_follow_the_preferred_item_in_order() {
        let shortlist = vec![
            candidate("x", Status::Outgoing, "1"),
            candidate("y", Status::Normal, "5"),
            candidate("z", Status::Normal, "4"),
        ];
        let decision = Strategy::Rank.decide(shortlist, 5, 3).unwrap();
        let order: Vec<_> = std::iter::once(&decision.preferred)
            .chain(&decision.alternatives)
            .map(|c| c.master_data.identifier.as_str())
            .collect();
        assert_eq!(order, ["z", "y", "x"]);
    }

    #[test]
    fn no_candidates_means_no_decision() {
        assert_eq!(Strategy::Rank.decide(vec![], 3, 0), None);
    }
}
