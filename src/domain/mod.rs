//! The catalog's domain: bricks, items, master data and the preferred-item
//! decision.
//!
//! Everything here is pure: no HTTP, no SQL. Request data becomes a domain
//! type once, at the edge, through the `parse` constructors, which report
//! every broken rule with the path of the offending field. The rest of the
//! service can then rely on the invariants the types carry.
//!
//! This module imports nothing from the rest of the crate (a test in
//! `tests/architecture.rs` checks it). Its enums carry their serde names
//! and OpenAPI descriptions, so that the wire layer uses them directly.

mod brick;
mod budget;
mod calendar;
mod field_error;
mod item;
mod master_data;
mod page;
mod preferred_item;
mod record;
mod status_weights;

pub use brick::{parse_id, Brick, BrickSet, Signature, MAX_COLORS, MAX_ID};
pub use budget::{
    codes_in, AnswerTooLarge, ShortlistBudget, INLINE_SHORTLISTED_CODES, MAX_SHORTLISTED_CODES,
};
pub use calendar::parse_date;
pub use field_error::{FieldError, FieldErrors, MAX_FIELD_ERRORS};
pub use item::{Identifier, Item};
pub use master_data::{MasterData, Price, Status};
pub use page::{parse_page_limit, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT};
pub use preferred_item::{
    Candidate, Decision, MatchMode, PreferredItemQuery, Shortlist, SortKey, Strategy, StrategyKind,
    MAX_ALTERNATIVES, MAX_BATCH,
};
pub use record::{check_bulk_count, Record, RecordError, MAX_BULK_RECORDS};
pub use status_weights::StatusWeights;
