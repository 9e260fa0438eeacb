//! How much one request's candidates may carry. A shortlist holds whole
//! items, and an answer repeats them: with the limits of a batch (1,000
//! queries, 20 alternatives, items of 1,000 bricks of 16 colours) the
//! worst answer would be gigabytes. Sources charge every shortlist to a
//! `ShortlistBudget` as they build it and stop once it is spent.

use super::Shortlist;

/// The most colour codes the candidates of one request may carry in all:
/// about 40 MB of items in memory and at most about 50 MB of answer.
pub const MAX_SHORTLISTED_CODES: usize = 4_000_000;

/// The most colour codes a lookup may gather on an HTTP worker thread: a
/// few milliseconds of work. A lookup that needs more starts again off the
/// worker, with the whole `MAX_SHORTLISTED_CODES`, so that the worker keeps
/// answering its other requests (`/health/live` included) however few
/// bricks the question names and however large the items it matches.
pub const INLINE_SHORTLISTED_CODES: usize = 100_000;

/// A request asked for more than `MAX_SHORTLISTED_CODES` of candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the candidates of this request carry more than {MAX_SHORTLISTED_CODES} colour codes")]
pub struct AnswerTooLarge;

/// What is left of one request's allowance.
#[derive(Debug, Clone, Copy)]
pub struct ShortlistBudget {
    allowance: usize,
    left: usize,
}

impl Default for ShortlistBudget {
    fn default() -> Self {
        ShortlistBudget::of(MAX_SHORTLISTED_CODES)
    }
}

impl ShortlistBudget {
    /// An allowance of `codes` colour codes (`MAX_SHORTLISTED_CODES` by
    /// default).
    pub fn of(codes: usize) -> ShortlistBudget {
        ShortlistBudget {
            allowance: codes,
            left: codes,
        }
    }

    /// Charges `codes` colour codes; an error once the allowance is spent.
    pub fn charge(&mut self, codes: usize) -> Result<(), AnswerTooLarge> {
        self.left = self.left.checked_sub(codes).ok_or(AnswerTooLarge)?;
        Ok(())
    }

    /// The colour codes charged so far.
    pub fn spent(&self) -> usize {
        self.allowance - self.left
    }

    /// Charges what `shortlist`'s candidates carry.
    pub fn charge_shortlist(&mut self, shortlist: &Shortlist) -> Result<(), AnswerTooLarge> {
        self.charge(codes_in(shortlist))
    }
}

/// How many colour codes `shortlist`'s candidates carry.
pub fn codes_in(shortlist: &Shortlist) -> usize {
    shortlist
        .candidates
        .iter()
        .flat_map(|c| c.item.bricks.bricks())
        .map(|b| b.color_codes().len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_runs_out_once() {
        let mut budget = ShortlistBudget::default();
        budget.charge(MAX_SHORTLISTED_CODES - 1).unwrap();
        budget.charge(1).unwrap();
        assert_eq!(budget.charge(1), Err(AnswerTooLarge));
    }
}
