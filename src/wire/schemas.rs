//! The OpenAPI schemas of bounded values, built from the domain's limits,
//! so that the document states the same bounds that validation enforces
//! (utoipa's attributes take literals only). Used through
//! `#[schema(schema_with = …)]` and `#[param(schema_with = …)]`.

use utoipa::openapi::schema::{
    Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::Ref;

use crate::domain::{
    BrickSet, Identifier, Price, MAX_ALTERNATIVES, MAX_BATCH, MAX_COLORS, MAX_ID, MAX_PAGE_LIMIT,
};

fn integer(min: i64, max: i64, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
        .build()
}

fn list_of(schema: &str, max: usize, description: &str) -> Array {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(schema))
        .min_items(Some(1))
        .max_items(Some(max))
        .description(Some(description))
        .build()
}

pub fn design_id() -> Object {
    integer(0, MAX_ID, &format!("0..={MAX_ID}."))
}

pub fn design_id_filter() -> Object {
    integer(
        0,
        MAX_ID,
        &format!("Only items that have a brick of this design (0..={MAX_ID})."),
    )
}

pub fn color_codes() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0))
                .maximum(Some(MAX_ID)),
        )
        .min_items(Some(1))
        .max_items(Some(MAX_COLORS))
        .description(Some(format!(
            "1 to {MAX_COLORS} colour codes, each 0..={MAX_ID}. Order matters."
        )))
        .build()
}

pub fn item_bricks() -> Array {
    list_of(
        "BrickJson",
        BrickSet::MAX_LEN,
        &format!(
            "1 to {} bricks, kept in the order given; matched as a multiset.",
            BrickSet::MAX_LEN
        ),
    )
}

pub fn query_bricks() -> Array {
    list_of(
        "BrickJson",
        BrickSet::MAX_LEN,
        &format!("1 to {} bricks, compared as a multiset.", BrickSet::MAX_LEN),
    )
}

pub fn batch_queries() -> Array {
    list_of(
        "PreferredItemRequest",
        MAX_BATCH,
        &format!(
            "1 to {MAX_BATCH} queries, answered in order. A query that breaks a rule gets \
             its 422 in its place in the results."
        ),
    )
}

pub fn identifier() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(Identifier::MAX_LEN))
        .pattern(Some(format!(
            "^[A-Za-z0-9._:-]{{1,{}}}$",
            Identifier::MAX_LEN
        )))
        .description(Some(format!(
            "1 to {} characters of `[A-Za-z0-9._:-]`.",
            Identifier::MAX_LEN
        )))
        .build()
}

pub fn price() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
        .exclusive_minimum(Some(0))
        .maximum(Some(Price::MAX))
        .description(Some(format!(
            "Exact decimal, greater than 0, at most {}, at most {} decimals.",
            Price::MAX,
            Price::MAX_SCALE
        )))
        .build()
}

pub fn alternatives() -> Object {
    integer(
        0,
        i64::from(MAX_ALTERNATIVES),
        &format!("Also return the next N candidates, 0..={MAX_ALTERNATIVES} (default 0)."),
    )
}

pub fn page_limit() -> Object {
    integer(
        1,
        i64::from(MAX_PAGE_LIMIT),
        &format!(
            "Page size, 1..={MAX_PAGE_LIMIT} (default {}).",
            crate::domain::DEFAULT_PAGE_LIMIT
        ),
    )
}
