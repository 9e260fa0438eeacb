//! The score strategy's weight per status, and the rule they follow.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{FieldError, Status};

/// Score weight per status. Non-negative, so a higher price never raises a
/// score (`check` states the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusWeights {
    pub normal: Decimal,
    pub novelty: Decimal,
    pub outgoing: Decimal,
    pub discontinued: Decimal,
}

impl Default for StatusWeights {
    fn default() -> Self {
        StatusWeights {
            normal: Decimal::from(3),
            novelty: Decimal::from(2),
            outgoing: Decimal::from(1),
            discontinued: Decimal::ZERO,
        }
    }
}

impl StatusWeights {
    /// The largest weight accepted: with prices of at most 1e9 and four
    /// decimals, the cross products below stay exact in 96 bits.
    pub const MAX: i64 = 1_000_000;

    /// Every weight between 0 and `MAX` with at most four decimals; the
    /// error names the first weight that is not.
    pub fn check(&self) -> Result<(), FieldError> {
        for (field, weight) in [
            ("normal", self.normal),
            ("novelty", self.novelty),
            ("outgoing", self.outgoing),
            ("discontinued", self.discontinued),
        ] {
            if weight < Decimal::ZERO
                || weight > Decimal::from(Self::MAX)
                || weight.normalize().scale() > 4
            {
                return Err(FieldError::new(
                    field,
                    format!(
                        "must be between 0 and {} with at most 4 decimals",
                        Self::MAX
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn weight(&self, status: Status) -> Decimal {
        match status {
            Status::Normal => self.normal,
            Status::Novelty => self.novelty,
            Status::Outgoing => self.outgoing,
            Status::Discontinued => self.discontinued,
        }
    }
}
