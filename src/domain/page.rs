//! Pages of a list: how many rows one page holds.

use super::FieldError;

/// Rows per page when the request names no `limit`.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// The most rows one page holds.
pub const MAX_PAGE_LIMIT: u32 = 1000;

/// The page size a request asks for: `1..=MAX_PAGE_LIMIT`, or the default.
pub fn parse_page_limit(limit: Option<i64>) -> Result<u32, FieldError> {
    match limit {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(n) if (1..=i64::from(MAX_PAGE_LIMIT)).contains(&n) => Ok(n as u32),
        Some(_) => Err(FieldError::new(
            "limit",
            format!("must be between 1 and {MAX_PAGE_LIMIT}"),
        )),
    }
}
