//! Rule violations reported against the field that broke them.

use std::fmt;

/// One broken rule. `field` is a path into the request body such as
/// `bricks[2].color_codes[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

/// The most field errors one value lists; more are counted, not kept, so
/// that no input can make an answer grow with the number of its mistakes.
pub const MAX_FIELD_ERRORS: usize = 100;

/// Every rule a value broke, collected so that a client can fix them all in
/// one round: the first `MAX_FIELD_ERRORS`, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors {
    listed: Vec<FieldError>,
    total: usize,
}

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < MAX_FIELD_ERRORS {
            self.listed.push(FieldError::new(field, message));
        }
    }

    /// The value of `result`; or `None`, with its errors recorded. With
    /// `finish`, this is the one way to check every rule of a value before
    /// reporting: take each part, then finish.
    pub fn take<T, E: Into<FieldErrors>>(&mut self, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.absorb(errors.into());
                None
            }
        }
    }

    fn absorb(&mut self, other: FieldErrors) {
        self.total += other.total;
        let room = MAX_FIELD_ERRORS - self.listed.len();
        self.listed.extend(other.listed.into_iter().take(room));
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many rules were broken, listed or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Keeps at most `n` of the listed errors (the total stays), so that
    /// many values reported together list `MAX_FIELD_ERRORS` in all.
    pub fn keep_listed(&mut self, n: usize) {
        self.listed.truncate(n);
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.listed
    }

    /// The listed errors.
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.listed.iter()
    }

    /// What `build` makes from the parts `take` kept, when no rule was
    /// broken; else every broken rule. `build` finds a part missing only
    /// when its error was recorded.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        match build() {
            Some(value) if self.is_empty() => Ok(value),
            _ => Err(self),
        }
    }

    /// Prefixes every field path, e.g. to place an item's errors under
    /// `queries[3]`.
    pub fn nested(self, prefix: &str) -> FieldErrors {
        FieldErrors {
            listed: self
                .listed
                .into_iter()
                .map(|e| FieldError::new(join_path(prefix, &e.field), e.message))
                .collect(),
            total: self.total,
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        FieldErrors {
            listed: vec![error],
            total: 1,
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.listed.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

fn join_path(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if field.starts_with('[') => format!("{prefix}{field}"),
        (false, false) => format!("{prefix}.{field}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_errors_are_counted_not_kept() {
        let mut errors = FieldErrors::default();
        for i in 0..250 {
            errors.push(format!("codes[{i}]"), "must be between 0 and 2147483647");
        }
        let mut more = FieldErrors::default();
        more.take(Err::<(), _>(errors.clone()));
        more.take(Err::<(), _>(FieldError::new("x", "y")));
        assert_eq!(errors.total(), 250);
        assert_eq!(errors.iter().count(), MAX_FIELD_ERRORS);
        assert_eq!(more.total(), 251);
        assert_eq!(more.iter().count(), MAX_FIELD_ERRORS);
        assert_eq!(more.iter().last().unwrap().field, "codes[99]");
        let nested = more.nested("queries[3]");
        assert_eq!(nested.total(), 251);
        assert_eq!(nested.iter().next().unwrap().field, "queries[3].codes[0]");
    }
}
