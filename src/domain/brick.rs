//! Bricks and brick multisets, with the canonical form that matching uses.

use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use super::{FieldError, FieldErrors};

/// The largest design id or colour code: ids are non-negative 32-bit ints.
pub const MAX_ID: i64 = i32::MAX as i64;
/// The most colour codes one brick may carry.
pub const MAX_COLORS: usize = 16;

/// A design in an ordered list of colours. `[1, 2]` and `[2, 1]` are
/// different bricks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Brick {
    design_id: i32,
    /// Most bricks have one to three colours: held inline, so that a brick
    /// read from a request or the catalog costs no allocation of its own.
    color_codes: SmallVec<[i32; 4]>,
}

/// A design id or a colour code: `0..=MAX_ID`.
pub fn parse_id(value: i64, field: impl Into<String>) -> Result<i32, FieldError> {
    i32::try_from(value)
        .ok()
        .filter(|&v| v >= 0)
        .ok_or_else(|| FieldError::new(field, format!("must be between 0 and {MAX_ID}")))
}

impl Brick {
    /// Checks the ranges: ids in `0..=MAX_ID`, 1 to `MAX_COLORS` colours.
    /// `field` is the path of this brick in the request, used to name the
    /// offending fields.
    pub fn parse(design_id: i64, color_codes: &[i64], field: &str) -> Result<Brick, FieldErrors> {
        // A valid brick, the usual case, costs no field names: they are
        // only spelled out for the errors of an invalid one.
        match Brick::valid(design_id, color_codes) {
            Some(brick) => Ok(brick),
            None => Self::refuse(design_id, color_codes, field),
        }
    }

    /// The brick when it breaks no rule; `parse` says which it breaks.
    pub fn valid(design_id: i64, color_codes: &[i64]) -> Option<Brick> {
        let in_range = |value: i64| i32::try_from(value).ok();
        Self::checked(
            in_range(design_id)?,
            color_codes.iter().map(|&c| in_range(c)),
        )
    }

    /// A brick read back from a store that checked it when it was written:
    /// the same rules, without field names. `None` when one is broken.
    pub fn from_stored(design_id: i32, color_codes: &[i32]) -> Option<Brick> {
        Self::checked(design_id, color_codes.iter().map(|&c| Some(c)))
    }

    /// The brick when the ids are in `0..=MAX_ID` (`None` codes are not)
    /// and there are 1 to `MAX_COLORS` colours.
    fn checked(
        design_id: i32,
        color_codes: impl ExactSizeIterator<Item = Option<i32>>,
    ) -> Option<Brick> {
        let non_negative = |value: i32| (value >= 0).then_some(value);
        if !(1..=MAX_COLORS).contains(&color_codes.len()) {
            return None;
        }
        Some(Brick {
            design_id: non_negative(design_id)?,
            color_codes: color_codes
                .map(|c| c.and_then(non_negative))
                .collect::<Option<_>>()?,
        })
    }

    /// The field errors of a brick that `parse` found invalid.
    #[cold]
    fn refuse(design_id: i64, color_codes: &[i64], field: &str) -> Result<Brick, FieldErrors> {
        let mut errors = FieldErrors::default();
        let design = errors.take(parse_id(design_id, format!("{field}.design_id")));
        if color_codes.is_empty() || color_codes.len() > MAX_COLORS {
            errors.push(
                format!("{field}.color_codes"),
                format!("must have between 1 and {MAX_COLORS} entries"),
            );
        }
        let codes: Vec<Option<i32>> = color_codes
            .iter()
            .enumerate()
            .map(|(i, &code)| errors.take(parse_id(code, format!("{field}.color_codes[{i}]"))))
            .collect();
        errors.finish(|| {
            Some(Brick {
                design_id: design?,
                color_codes: codes.into_iter().collect::<Option<_>>()?,
            })
        })
    }

    pub fn design_id(&self) -> i32 {
        self.design_id
    }

    pub fn color_codes(&self) -> &[i32] {
        &self.color_codes
    }

    /// The exact, collision-free key of this brick in the inverted index:
    /// the design id and then each colour, 4 bytes big-endian each.
    /// Big-endian keeps keys of one design contiguous and in design order.
    pub fn key(&self) -> Vec<u8> {
        let mut key = Vec::with_capacity(4 * (1 + self.color_codes.len()));
        key.extend_from_slice(&self.design_id.to_be_bytes());
        for code in &self.color_codes {
            key.extend_from_slice(&code.to_be_bytes());
        }
        key
    }
}

/// The SHA-256 digest of a brick multiset's canonical form. Two multisets
/// are equal exactly when their signatures are (up to SHA-256 collisions,
/// which nobody has ever exhibited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 32]);

/// The bricks of an item or a query: kept in the order given, compared as a
/// multiset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrickSet {
    bricks: Vec<Brick>,
}

impl BrickSet {
    /// The most bricks an item or a query may list.
    pub const MAX_LEN: usize = 1000;

    /// Builds a set from bricks that are already valid, checking the count.
    pub fn new(bricks: Vec<Brick>) -> Result<BrickSet, FieldError> {
        if bricks.is_empty() || bricks.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                "bricks",
                format!("must have between 1 and {} entries", Self::MAX_LEN),
            ));
        }
        Ok(BrickSet { bricks })
    }

    pub fn bricks(&self) -> &[Brick] {
        &self.bricks
    }

    pub fn len(&self) -> usize {
        self.bricks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bricks.is_empty()
    }

    /// Each distinct brick with its multiplicity, in brick order. This is
    /// the canonical form: it does not depend on the order of the list.
    pub fn counts(&self) -> Vec<(&Brick, u32)> {
        let mut sorted: Vec<&Brick> = self.bricks.iter().collect();
        sorted.sort_unstable();
        let mut counts: Vec<(&Brick, u32)> = Vec::with_capacity(sorted.len());
        for brick in sorted {
            match counts.last_mut() {
                Some((last, count)) if *last == brick => *count += 1,
                _ => counts.push((brick, 1)),
            }
        }
        counts
    }

    pub fn signature(&self) -> Signature {
        let mut hasher = Sha256::new();
        for (brick, count) in self.counts() {
            hasher.update(brick.design_id.to_be_bytes());
            hasher.update((brick.color_codes.len() as u32).to_be_bytes());
            for code in &brick.color_codes {
                hasher.update(code.to_be_bytes());
            }
            hasher.update(count.to_be_bytes());
        }
        Signature(hasher.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brick(design: i64, colors: &[i64]) -> Brick {
        Brick::parse(design, colors, "b").unwrap()
    }

    fn set(bricks: &[Brick]) -> BrickSet {
        BrickSet::new(bricks.to_vec()).unwrap()
    }

    #[test]
    fn colour_order_makes_a_different_brick() {
        assert_ne!(brick(1, &[1, 2]), brick(1, &[2, 1]));
        assert_ne!(brick(1, &[1, 2]).key(), brick(1, &[2, 1]).key());
    }

    #[test]
    fn list_order_does_not_change_the_signature() {
        let a = brick(1, &[1, 2]);
        let b = brick(2, &[3, 4]);
        assert_eq!(
            set(&[a.clone(), b.clone()]).signature(),
            set(&[b, a]).signature()
        );
    }

    #[test]
    fn multiplicity_changes_the_signature() {
        let a = brick(1, &[1, 2]);
        let one = set(std::slice::from_ref(&a));
        let two = set(&[a.clone(), a]);
        assert_ne!(one.signature(), two.signature());
    }

    #[test]
    fn brick_keys_do_not_collide_across_designs_and_colours() {
        // Design 1 with colours [0, 5] must not equal design 1 with colour
        // [0] followed by anything else.
        assert_ne!(brick(1, &[0, 5]).key(), brick(1, &[0]).key());
        assert_eq!(brick(1, &[0, 5]).key().len(), 12);
    }

    #[test]
    fn out_of_range_values_name_their_fields() {
        let err = Brick::parse(-1, &[1, MAX_ID + 1], "bricks[3]").unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["bricks[3].design_id", "bricks[3].color_codes[1]"]);
    }

    #[test]
    fn colour_count_is_bounded() {
        assert!(Brick::parse(1, &[], "b").is_err());
        assert!(Brick::parse(1, &[0; MAX_COLORS], "b").is_ok());
        assert!(Brick::parse(1, &[0; MAX_COLORS + 1], "b").is_err());
    }

    #[test]
    fn a_brick_set_holds_one_to_a_thousand_bricks() {
        assert!(BrickSet::new(vec![]).is_err());
        assert!(BrickSet::new(vec![brick(1, &[1]); 1000]).is_ok());
        assert!(BrickSet::new(vec![brick(1, &[1]); 1001]).is_err());
    }
}
