//! Master data: the status and price that make an item a candidate.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use utoipa::ToSchema;

use super::{FieldError, FieldErrors, Identifier};

/// Lifecycle status, spelled exactly. The declaration order is the rank
/// order: `Normal` is preferred over `Novelty`, and so on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum Status {
    Normal,
    Novelty,
    Outgoing,
    Discontinued,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Normal,
        Status::Novelty,
        Status::Outgoing,
        Status::Discontinued,
    ];

    /// Exact spelling only: `"normal"` is not a status.
    pub fn parse(value: &str, field: &str) -> Result<Status, FieldError> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "must be one of \"Normal\", \"Novelty\", \"Outgoing\", \"Discontinued\"",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Normal => "Normal",
            Status::Novelty => "Novelty",
            Status::Outgoing => "Outgoing",
            Status::Discontinued => "Discontinued",
        }
    }

    /// 0 for the best status, 3 for the worst; the schema stores the same.
    pub fn rank(self) -> i16 {
        self as i16
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exact decimal price: greater than 0, at most 1e9, at most 4 decimal
/// places. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(Decimal);

impl Price {
    pub const MAX_SCALE: u32 = 4;
    /// The highest price accepted.
    pub const MAX: i64 = 1_000_000_000;

    /// Parses the literal text of a JSON number, e.g. `"10.50"` or `"1e3"`.
    pub fn parse(literal: &str, field: &str) -> Result<Price, FieldError> {
        let decimal = Decimal::from_str_exact(literal)
            .or_else(|_| Decimal::from_scientific(literal))
            .map_err(|_| {
                FieldError::new(
                    field,
                    format!("must be a number greater than 0 and at most {}", Self::MAX),
                )
            })?;
        Price::from_decimal(decimal, field)
    }

    pub fn from_decimal(value: Decimal, field: &str) -> Result<Price, FieldError> {
        if value <= Decimal::ZERO || value > Decimal::from(Self::MAX) {
            return Err(FieldError::new(
                field,
                format!("must be greater than 0 and at most {}", Self::MAX),
            ));
        }
        // Trailing zeros carry no value: 1.50000 is 1.5 and is accepted.
        let value = if value.scale() > Self::MAX_SCALE {
            value.normalize()
        } else {
            value
        };
        if value.scale() > Self::MAX_SCALE {
            return Err(FieldError::new(field, "must have at most 4 decimal places"));
        }
        Ok(Price(value))
    }

    pub fn value(self) -> Decimal {
        self.0
    }
}

impl FromStr for Price {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Price::parse(s, "price")
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterData {
    pub identifier: Identifier,
    pub status: Status,
    pub price: Price,
}

impl MasterData {
    /// Builds a record from its parts as received, reporting every broken
    /// rule: the identifier's and the status's (already checked by the
    /// caller, who knows where they came from) and the price's.
    pub fn parse(
        identifier: Result<Identifier, FieldError>,
        status: Result<Status, FieldError>,
        price: &str,
    ) -> Result<MasterData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let identifier = errors.take(identifier);
        let status = errors.take(status);
        let price = errors.take(Price::parse(price, "price"));
        errors.finish(|| {
            Some(MasterData {
                identifier: identifier?,
                status: status?,
                price: price?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_spelling_is_exact() {
        assert_eq!(Status::parse("Novelty", "status"), Ok(Status::Novelty));
        assert!(Status::parse("novelty", "status").is_err());
        assert!(Status::parse("NORMAL", "status").is_err());
    }

    #[test]
    fn status_order_is_rank_order() {
        assert!(Status::Normal < Status::Novelty);
        assert!(Status::Outgoing < Status::Discontinued);
        assert_eq!(Status::Discontinued.rank(), 3);
    }

    #[test]
    fn prices_keep_their_exact_decimal_text() {
        assert_eq!(Price::parse("10.0", "price").unwrap().to_string(), "10.0");
        assert_eq!(
            Price::parse("0.0001", "price").unwrap().to_string(),
            "0.0001"
        );
        assert_eq!(Price::parse("1e3", "price").unwrap().to_string(), "1000");
        assert_eq!(
            Price::parse("1000000000", "price").unwrap().to_string(),
            "1000000000"
        );
        assert_eq!(Price::parse("1.50000", "price").unwrap().to_string(), "1.5");
    }

    #[test]
    fn prices_out_of_range_or_too_precise_are_rejected() {
        for bad in [
            "0",
            "-1",
            "0.00001",
            "1000000000.0001",
            "1e10",
            "1e300",
            "10.12345",
        ] {
            let err = Price::parse(bad, "price").unwrap_err();
            assert_eq!(err.field, "price", "{bad}");
        }
    }
}
