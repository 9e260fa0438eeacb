//! Bricks, items and master data as JSON, and their conversion to and from
//! the domain.
//!
//! Input integers are read as `i64` and prices as the literal JSON number,
//! so that range and precision rules are checked by the domain and
//! reported as 422 with the field, instead of failing as a type error.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bounded::Bounded;
use super::json::Checked;
use super::schemas;
use crate::domain::{
    parse_id, Brick, BrickSet, FieldError, FieldErrors, Identifier, Item, MasterData, Price,
    Status, MAX_COLORS,
};

/// The colour codes of a brick as read: at most `MAX_COLORS` kept.
pub type ColorCodes = Bounded<i64, MAX_COLORS>;

/// A brick list as read: at most `BrickSet::MAX_LEN` kept.
pub type BrickList = Bounded<BrickJson, { BrickSet::MAX_LEN }>;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"design_id": 1, "color_codes": [1, 2]}))]
pub struct BrickJson {
    #[schema(schema_with = schemas::design_id)]
    pub design_id: i64,
    #[schema(schema_with = schemas::color_codes)]
    pub color_codes: ColorCodes,
}

impl From<&Brick> for BrickJson {
    fn from(brick: &Brick) -> Self {
        BrickJson {
            design_id: brick.design_id().into(),
            color_codes: brick
                .color_codes()
                .iter()
                .map(|&c| c.into())
                .collect::<Vec<i64>>()
                .into(),
        }
    }
}

/// Parses a brick list, reporting every broken rule under `field`.
pub fn parse_bricks(bricks: &BrickList, field: &str) -> Result<BrickSet, FieldErrors> {
    let bricks = bricks.check(field)?;
    // A valid list, the usual case, costs no field names: they are only
    // spelled out when some rule is broken.
    let valid: Option<Vec<Brick>> = bricks.iter().map(BrickJson::valid).collect();
    if let Some(valid) = valid {
        return BrickSet::new(valid).map_err(FieldErrors::from);
    }
    let mut errors = FieldErrors::default();
    let parsed: Vec<Option<Brick>> = bricks
        .iter()
        .enumerate()
        .map(|(i, b)| errors.take(b.parse(&format!("{field}[{i}]"))))
        .collect();
    let set = errors.finish(|| parsed.into_iter().collect::<Option<Vec<_>>>())?;
    BrickSet::new(set).map_err(FieldErrors::from)
}

impl BrickJson {
    /// The brick when it breaks no rule; `parse` says which it breaks.
    fn valid(&self) -> Option<Brick> {
        Brick::valid(self.design_id, self.color_codes.within_limit()?)
    }

    /// The brick, or every rule it breaks under `field`. A colour list of
    /// the wrong length is one error; its codes are not checked then.
    pub fn parse(&self, field: &str) -> Result<Brick, FieldErrors> {
        match self.color_codes.check(&format!("{field}.color_codes")) {
            Ok(codes) => Brick::parse(self.design_id, codes, field),
            Err(length) => {
                let mut errors = FieldErrors::default();
                errors.take(parse_id(self.design_id, format!("{field}.design_id")));
                errors.take(Err::<(), _>(length));
                Err(errors)
            }
        }
    }
}

/// An item as clients send and receive it, and as the load formats carry
/// it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "identifier": "item1",
    "bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]
}))]
pub struct ItemJson {
    #[schema(schema_with = schemas::identifier)]
    pub identifier: String,
    #[schema(schema_with = schemas::item_bricks)]
    pub bricks: BrickList,
}

impl From<&Item> for ItemJson {
    fn from(item: &Item) -> Self {
        ItemJson {
            identifier: item.identifier.as_str().to_owned(),
            bricks: item
                .bricks
                .bricks()
                .iter()
                .map(BrickJson::from)
                .collect::<Vec<_>>()
                .into(),
        }
    }
}

/// `ItemJson`'s JSON, written from the item itself (no copy first).
pub struct ItemView<'a>(pub &'a Item);

impl Serialize for ItemView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut item = serializer.serialize_struct("ItemJson", 2)?;
        item.serialize_field("identifier", self.0.identifier.as_str())?;
        item.serialize_field("bricks", &BricksView(self.0.bricks.bricks()))?;
        item.end()
    }
}

struct BricksView<'a>(&'a [Brick]);

impl Serialize for BricksView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(BrickView))
    }
}

struct BrickView<'a>(&'a Brick);

impl Serialize for BrickView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut brick = serializer.serialize_struct("BrickJson", 2)?;
        // The domain's `i32`s: the same digits as `BrickJson`'s `i64`s.
        brick.serialize_field("design_id", &self.0.design_id())?;
        brick.serialize_field("color_codes", self.0.color_codes())?;
        brick.end()
    }
}

impl ItemJson {
    pub fn parse(&self) -> Result<Item, FieldErrors> {
        let mut errors = FieldErrors::default();
        let identifier = errors.take(Identifier::parse(&self.identifier, "identifier"));
        let bricks = errors.take(parse_bricks(&self.bricks, "bricks"));
        errors.finish(|| {
            Some(Item {
                identifier: identifier?,
                bricks: bricks?,
            })
        })
    }
}

/// The body of `PUT /items/{id}`: the bricks, and optionally the
/// identifier again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}]}))]
pub struct ItemBricksJson {
    /// Optional; when present it must equal the identifier in the path.
    #[serde(default)]
    pub identifier: Option<String>,
    #[schema(schema_with = schemas::item_bricks)]
    pub bricks: BrickList,
}

impl ItemBricksJson {
    /// The item at the path `id`.
    pub fn parse(&self, id: &str) -> Result<Item, FieldErrors> {
        let mut errors = FieldErrors::default();
        let identifier = errors.take(path_identifier(id));
        if let Some(path) = &identifier {
            errors.take(check_body_identifier(self.identifier.as_deref(), path));
        }
        let bricks = errors.take(parse_bricks(&self.bricks, "bricks"));
        errors.finish(|| {
            Some(Item {
                identifier: identifier?,
                bricks: bricks?,
            })
        })
    }
}

/// A master data record as clients receive it, and as the bulk route and
/// the load formats carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"identifier": "item1", "status": "Normal", "price": 10.0}))]
pub struct MasterDataJson {
    pub identifier: String,
    #[schema(value_type = Status)]
    pub status: Checked<Status>,
    #[schema(schema_with = schemas::price)]
    pub price: serde_json::Number,
}

impl From<&MasterData> for MasterDataJson {
    fn from(record: &MasterData) -> Self {
        MasterDataJson {
            identifier: record.identifier.as_str().to_owned(),
            status: Checked::Valid(record.status),
            price: price_number(record.price),
        }
    }
}

/// `MasterDataJson`'s JSON, written from the record itself.
pub struct MasterDataView<'a>(pub &'a MasterData);

impl Serialize for MasterDataView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut record = serializer.serialize_struct("MasterDataJson", 3)?;
        record.serialize_field("identifier", self.0.identifier.as_str())?;
        record.serialize_field("status", &self.0.status)?;
        record.serialize_field("price", &price_number(self.0.price))?;
        record.end()
    }
}

impl MasterDataJson {
    pub fn parse(&self) -> Result<MasterData, FieldErrors> {
        MasterData::parse(
            Identifier::parse(&self.identifier, "identifier"),
            self.status.clone().check("status"),
            self.price.as_str(),
        )
    }
}

/// The exact decimal as a JSON number: with serde_json's arbitrary
/// precision, the digits go out as they are, never through a float.
fn price_number(price: Price) -> serde_json::Number {
    price
        .to_string()
        .parse()
        .expect("a decimal's text is a valid JSON number")
}

/// The body of `PUT /masterdata/{id}`: status and price, and optionally
/// the identifier again.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "Normal", "price": 10.0}))]
pub struct MasterDataBody {
    /// Optional; when present it must equal the identifier in the path.
    #[serde(default)]
    pub identifier: Option<String>,
    #[schema(value_type = Status)]
    pub status: Checked<Status>,
    #[schema(schema_with = schemas::price)]
    pub price: serde_json::Number,
}

impl MasterDataBody {
    /// The record of the item at the path `id`.
    pub fn parse(&self, id: &str) -> Result<MasterData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let identifier = path_identifier(id);
        if let Ok(path) = &identifier {
            errors.take(check_body_identifier(self.identifier.as_deref(), path));
        }
        let record = errors.take(MasterData::parse(
            identifier,
            self.status.clone().check("status"),
            self.price.as_str(),
        ));
        errors.finish(|| record)
    }
}

/// An identifier repeated in a body must agree with the path.
fn check_body_identifier(body: Option<&str>, path: &Identifier) -> Result<(), FieldError> {
    match body {
        Some(body) if body != path.as_str() => Err(FieldError::new(
            "identifier",
            "must equal the identifier in the path",
        )),
        _ => Ok(()),
    }
}

/// Parses the identifier of a path.
pub fn path_identifier(raw: &str) -> Result<Identifier, FieldError> {
    Identifier::parse(raw, "id")
}
