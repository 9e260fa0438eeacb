//! Keyset pagination shared by the list routes.

use crate::domain::{FieldErrors, Identifier};

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

/// A validated page request.
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Identifier>,
}

impl PageRequest {
    pub fn parse(
        limit: Option<i64>,
        after: Option<&str>,
        errors: &mut FieldErrors,
    ) -> Option<PageRequest> {
        let limit = match limit {
            None => Some(DEFAULT_LIMIT),
            Some(n) if (1..=i64::from(MAX_LIMIT)).contains(&n) => Some(n as u32),
            Some(_) => {
                errors.push("limit", format!("must be between 1 and {MAX_LIMIT}"));
                None
            }
        };
        let after = match after.map(|a| Identifier::parse(a, "after")).transpose() {
            Ok(after) => Some(after),
            Err(e) => {
                errors.push(e.field, e.message);
                None
            }
        };
        Some(PageRequest {
            limit: limit?,
            after: after?,
        })
    }

    /// The `Link` header pointing at the page after `last`, keeping the
    /// filters of this request.
    pub fn next_link(&self, path: &str, last: &Identifier, filters: &[(&str, String)]) -> String {
        let mut url = format!("{path}?limit={}&after={}", self.limit, last);
        for (key, value) in filters {
            url.push_str(&format!("&{key}={value}"));
        }
        format!("<{url}>; rel=\"next\"")
    }
}
