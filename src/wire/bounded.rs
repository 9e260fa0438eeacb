//! JSON arrays read in bounded memory: `Bounded<T, MAX>` keeps at most
//! `MAX` elements and skips the rest without building them (serde's
//! `IgnoredAny`), remembering only how many there were. A list over its
//! limit is then one error, whatever its length, and its elements past the
//! limit are never materialised nor checked one by one.

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

use crate::domain::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::len_without_is_empty)]
pub struct Bounded<T, const MAX: usize> {
    items: Vec<T>,
    /// How many elements the array had.
    len: usize,
}

impl<T, const MAX: usize> Bounded<T, MAX> {
    /// The elements, when there are 1 to `MAX` of them; else the one
    /// error on `field`.
    pub fn check(&self, field: &str) -> Result<&[T], FieldError> {
        self.within_limit()
            .ok_or_else(|| FieldError::new(field, format!("must have between 1 and {MAX} entries")))
    }

    /// The elements, when there are 1 to `MAX` of them.
    pub fn within_limit(&self) -> Option<&[T]> {
        (1..=MAX).contains(&self.len).then_some(&self.items[..])
    }

    /// `check`, taking the elements.
    pub fn into_checked(self, field: &str) -> Result<Vec<T>, FieldError> {
        self.check(field)?;
        Ok(self.items)
    }

    /// How many elements the array had, kept or not.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The kept elements (at most `MAX`).
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
}

impl<T, const MAX: usize> From<Vec<T>> for Bounded<T, MAX> {
    fn from(items: Vec<T>) -> Self {
        let len = items.len();
        Bounded { items, len }
    }
}

impl<T: Serialize, const MAX: usize> Serialize for Bounded<T, MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for Bounded<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T, const MAX: usize>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for Elements<T, MAX> {
            type Value = Bounded<T, MAX>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX).min(64));
                while items.len() < MAX {
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => {
                            let len = items.len();
                            return Ok(Bounded { items, len });
                        }
                    }
                }
                let mut len = items.len();
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    len += 1;
                }
                Ok(Bounded { items, len })
            }
        }

        deserializer.deserialize_seq(Elements::<T, MAX>(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_past_the_limit_are_counted_not_kept_nor_checked() {
        // Past the third element, even values of the wrong type are skipped.
        let read: Bounded<i64, 3> =
            serde_json::from_str(r#"[1, 2, 3, 4, "five", {"six": [6]}, -7]"#).unwrap();
        assert_eq!(read.len(), 7);
        assert_eq!(read.iter().count(), 3);
        let error = read.check("codes").unwrap_err();
        assert_eq!(error.field, "codes");
        assert_eq!(error.message, "must have between 1 and 3 entries");
        let fine: Bounded<i64, 3> = serde_json::from_str("[1, 2]").unwrap();
        assert_eq!(fine.check("codes").unwrap(), &[1, 2]);
        let empty: Bounded<i64, 3> = serde_json::from_str("[]").unwrap();
        assert!(empty.check("codes").is_err());
        // Within the limit, elements are checked as usual.
        assert!(serde_json::from_str::<Bounded<i64, 3>>(r#"[1, "x"]"#).is_err());
    }
}
