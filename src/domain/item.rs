//! Items: an identifier and the bricks the item is made of.

use std::fmt;

use super::{BrickSet, FieldError};

/// 1 to 64 characters of `[A-Za-z0-9._:-]`. Being ASCII, identifiers order
/// by bytes the same way everywhere: in Rust, and in PostgreSQL under the
/// "C" collation the schema uses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identifier(String);

impl Identifier {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str, field: &str) -> Result<Identifier, FieldError> {
        let valid_chars = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if value.is_empty() || value.len() > Self::MAX_LEN || !valid_chars {
            return Err(FieldError::new(
                field,
                format!(
                    "must be 1 to {} characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'",
                    Self::MAX_LEN
                ),
            ));
        }
        Ok(Identifier(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub identifier: Identifier,
    pub bricks: BrickSet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_accept_the_documented_charset() {
        for ok in ["item1", "A.b_c:d-e", "0", &"x".repeat(64)] {
            assert!(Identifier::parse(ok, "identifier").is_ok(), "{ok}");
        }
    }

    #[test]
    fn identifiers_reject_anything_else() {
        for bad in ["", "has space", "slash/", "ümlaut", &"x".repeat(65), "a%20"] {
            let err = Identifier::parse(bad, "identifier").unwrap_err();
            assert_eq!(err.field, "identifier", "{bad}");
        }
    }
}
