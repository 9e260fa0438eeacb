//! The wire formats: how bricks, items, master data, preferred-item
//! questions and answers, and problems look in JSON, and the load formats
//! (NDJSON and CSV) that carry catalogs in bulk.
//!
//! Everything a client or a file sends becomes a domain type here, through
//! one set of rules, so that the HTTP handlers, the bulk routes and the
//! `import` command validate alike. Nothing here knows of actix or SQL.

mod answers;
mod bounded;
mod catalog;
pub mod export;
pub mod json;
mod preferred_item;
mod problem;
pub mod records;
pub mod schemas;

pub use answers::{BatchEntry, BatchJson, DecisionJson};
pub use bounded::Bounded;
pub use catalog::{
    path_identifier, BrickJson, ItemBricksJson, ItemJson, MasterDataBody, MasterDataJson,
};
pub use preferred_item::{
    BatchRequest, BatchResponse, PreferredItemRequest, PreferredItemResponse,
};
pub use problem::{Problem, ProblemField};
