//! Wire types shared by the modules: how bricks, items and master data look
//! in JSON, and their conversion to and from the domain.
//!
//! Input integers are read as `i64` and prices as the literal JSON number,
//! so that range and precision rules are checked by the domain and reported
//! as 422 with the field, instead of failing as a type error.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{
    Brick, BrickSet, FieldError, FieldErrors, Identifier, Item, MasterData, Price,
};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"design_id": 1, "color_codes": [1, 2]}))]
pub struct BrickJson {
    /// 0..=2147483647.
    #[schema(minimum = 0, maximum = 2147483647)]
    pub design_id: i64,
    /// 1 to 16 colour codes, each 0..=2147483647. Order matters.
    #[schema(value_type = Vec<ColorCode>, min_items = 1, max_items = 16)]
    pub color_codes: Vec<i64>,
}

// Describes colour codes in the OpenAPI document only: requests read them
// as plain integers, and the domain checks the range (422 with the field).
/// A colour code, 0..=2147483647.
#[derive(ToSchema)]
#[schema(minimum = 0, maximum = 2147483647)]
pub struct ColorCode(pub i64);

impl From<&Brick> for BrickJson {
    fn from(brick: &Brick) -> Self {
        BrickJson {
            design_id: brick.design_id().into(),
            color_codes: brick.color_codes().iter().map(|&c| c.into()).collect(),
        }
    }
}

/// Parses a brick list, reporting every broken rule under `field`.
pub fn parse_bricks(bricks: &[BrickJson], field: &str) -> Result<BrickSet, FieldErrors> {
    let mut errors = FieldErrors::default();
    if bricks.is_empty() || bricks.len() > BrickSet::MAX_LEN {
        errors.push(
            field,
            format!("must have between 1 and {} entries", BrickSet::MAX_LEN),
        );
        return Err(errors);
    }
    let mut parsed = Vec::with_capacity(bricks.len());
    for (i, brick) in bricks.iter().enumerate() {
        match Brick::parse(
            brick.design_id,
            &brick.color_codes,
            &format!("{field}[{i}]"),
        ) {
            Ok(b) => parsed.push(b),
            Err(e) => errors.extend(e),
        }
    }
    errors.finish(|| ())?;
    BrickSet::new(parsed).map_err(FieldErrors::from)
}

/// An item as clients send and receive it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "identifier": "item1",
    "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]
}))]
pub struct ItemJson {
    /// 1 to 64 characters of `[A-Za-z0-9._:-]`.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._:-]{1,64}$")]
    pub identifier: String,
    /// 1 to 1000 bricks, kept in the order given; matched as a multiset.
    #[schema(min_items = 1, max_items = 1000)]
    pub bricks: Vec<BrickJson>,
}

impl From<&Item> for ItemJson {
    fn from(item: &Item) -> Self {
        ItemJson {
            identifier: item.identifier.to_string(),
            bricks: item.bricks.bricks().iter().map(BrickJson::from).collect(),
        }
    }
}

impl ItemJson {
    pub fn parse(&self) -> Result<Item, FieldErrors> {
        let mut errors = FieldErrors::default();
        let identifier = Identifier::parse(&self.identifier, "identifier")
            .map_err(|e| errors.extend(e.into()))
            .ok();
        let bricks = parse_bricks(&self.bricks, "bricks")
            .map_err(|e| errors.extend(e))
            .ok();
        match (identifier, bricks) {
            (Some(identifier), Some(bricks)) => Ok(Item { identifier, bricks }),
            _ => Err(errors),
        }
    }
}

/// Status names, in rank order.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub enum StatusName {
    Normal,
    Novelty,
    Outgoing,
    Discontinued,
}

/// A master data record as clients receive it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"identifier": "item1", "status": "Normal", "price": 10.0}))]
pub struct MasterDataJson {
    pub identifier: String,
    #[schema(value_type = StatusName)]
    pub status: String,
    /// Exact decimal, greater than 0, at most 1e9, at most 4 decimals.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000000000)]
    pub price: serde_json::Number,
}

impl From<&MasterData> for MasterDataJson {
    fn from(record: &MasterData) -> Self {
        MasterDataJson {
            identifier: record.identifier.to_string(),
            status: record.status.as_str().to_owned(),
            price: price_number(record.price),
        }
    }
}

/// The exact decimal as a JSON number: with serde_json's arbitrary
/// precision, the digits go out as they are, never through a float.
pub fn price_number(price: Price) -> serde_json::Number {
    price
        .to_string()
        .parse()
        .expect("a decimal's text is a valid JSON number")
}

/// Status and price as a client sends them for one item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "Normal", "price": 10.0}))]
pub struct MasterDataInput {
    /// Optional; when present it must equal the identifier in the path.
    #[serde(default)]
    pub identifier: Option<String>,
    #[schema(value_type = StatusName)]
    pub status: String,
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000000000)]
    pub price: serde_json::Number,
}

impl MasterDataInput {
    pub fn parse(&self, identifier: Identifier) -> Result<MasterData, FieldErrors> {
        let mut errors = FieldErrors::default();
        check_body_identifier(self.identifier.as_deref(), &identifier, &mut errors);
        let record = MasterData::parse(Ok(identifier), &self.status, self.price.as_str());
        match record {
            Ok(record) if errors.is_empty() => Ok(record),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }
}

/// A master data record in the load formats: the identifier is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"identifier": "item1", "status": "Normal", "price": 10.0}))]
pub struct MasterDataRecordJson {
    pub identifier: String,
    #[schema(value_type = StatusName)]
    pub status: String,
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 1000000000)]
    pub price: serde_json::Number,
}

impl MasterDataRecordJson {
    pub fn parse(&self) -> Result<MasterData, FieldErrors> {
        MasterData::parse(
            Identifier::parse(&self.identifier, "identifier"),
            &self.status,
            self.price.as_str(),
        )
    }
}

/// An identifier repeated in a body must agree with the path.
pub fn check_body_identifier(body: Option<&str>, path: &Identifier, errors: &mut FieldErrors) {
    if let Some(body) = body {
        if body != path.as_str() {
            errors.push("identifier", "must equal the identifier in the path");
        }
    }
}

/// Parses the identifier of a path.
pub fn path_identifier(raw: &str) -> Result<Identifier, FieldError> {
    Identifier::parse(raw, "id")
}
