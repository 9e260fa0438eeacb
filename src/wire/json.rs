//! JSON documents into wire types, with every failure named by its field.
//!
//! A document that is not JSON, or holds a value of the wrong type, is
//! `Malformed` (the HTTP layer answers 400). A missing or unknown field, or
//! an unknown enum value, is a broken rule of the schema: `Invalid`, with
//! the field (422).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::{FieldError, FieldErrors};

/// A field read as `T` when it can be, and otherwise kept as the rule it
/// broke (an unknown enum value), so that the rest of the document is still
/// checked and every broken rule is reported in one answer. A value of the
/// wrong type still fails the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked<T> {
    Valid(T),
    /// The rule the value broke, e.g. `must be "exact" or "contains"`.
    Invalid(String),
}

impl<T> Checked<T> {
    /// The value, or the broken rule on `field`.
    pub fn check(self, field: &str) -> Result<T, FieldError> {
        match self {
            Checked::Valid(value) => Ok(value),
            Checked::Invalid(rule) => Err(FieldError::new(field, rule)),
        }
    }
}

impl<T: Default> Default for Checked<T> {
    fn default() -> Self {
        Checked::Valid(T::default())
    }
}

impl<T: Serialize> Serialize for Checked<T> {
    /// Only valid values are ever sent.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Checked::Valid(value) => value.serialize(serializer),
            Checked::Invalid(rule) => Err(serde::ser::Error::custom(rule)),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Checked<T> {
    /// Only a string can be an enum value here: anything else is refused
    /// at its first token, without reading (or buffering) the rest of it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<T>(std::marker::PhantomData<T>);

        impl<T: DeserializeOwned> serde::de::Visitor<'_> for Text<T> {
            type Value = Checked<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Checked<T>, E> {
                let value = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text);
                match T::deserialize(value) {
                    Ok(valid) => Ok(Checked::Valid(valid)),
                    Err(e) => match unknown_variant(&e.to_string()) {
                        Some(rule) => Ok(Checked::Invalid(rule)),
                        None => Err(E::custom(strip_position(&e.to_string()))),
                    },
                }
            }
        }

        deserializer.deserialize_str(Text(std::marker::PhantomData))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("{detail}")]
    Malformed {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Invalid(FieldErrors),
}

impl JsonError {
    /// The failure as field errors, for formats that report every record
    /// the same way (the load formats).
    pub fn into_field_errors(self) -> FieldErrors {
        match self {
            JsonError::Invalid(errors) => errors,
            JsonError::Malformed { detail, errors } if errors.is_empty() => {
                FieldError::new("", detail).into()
            }
            JsonError::Malformed { errors, .. } => {
                let mut all = FieldErrors::default();
                for e in errors {
                    all.push(e.field, e.message);
                }
                all
            }
        }
    }
}

/// A body small enough to parse twice when it fails (the second time to
/// name its field, see `parse_borrowed`), and, for batches and bulk
/// loads, to parse on the HTTP worker. A larger one is parsed once, and a
/// large batch or bulk body off the worker.
pub const SMALL_BODY_BYTES: usize = 64 * 1024;

/// Parses a JSON document into `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    parse_borrowed(body)
}

/// Parses a JSON document into `T`, which may borrow from `body`.
///
/// A small body is parsed without tracking its path first: most bodies are
/// valid, and tracking nearly doubles the parse (10.4k against 5.8k
/// instructions for a one-query body, BENCHMARKS.md). When that
/// fails, the body is parsed again with tracking, which finds the same
/// error and names its field. A large body is parsed once, with tracking,
/// so that a failure never costs two passes over megabytes.
pub fn parse_borrowed<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, JsonError> {
    if body.len() <= SMALL_BODY_BYTES {
        if let Ok(value) = serde_json::from_slice(body) {
            return Ok(value);
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer.end().map_err(|e| JsonError::Malformed {
        detail: format!("The request body is not valid JSON: {e}"),
        errors: vec![],
    })?;
    Ok(value)
}

fn describe(error: serde_path_to_error::Error<serde_json::Error>) -> JsonError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.is_syntax() || inner.is_eof() || inner.is_io() {
        return JsonError::Malformed {
            detail: format!("The request body is not valid JSON: {inner}"),
            errors: vec![],
        };
    }
    let message = strip_position(&inner.to_string());
    let field = if path == "." { String::new() } else { path };
    let field_under = |name: &str| match field.as_str() {
        "" => name.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    let invalid =
        |field: String, message: String| JsonError::Invalid(FieldError::new(field, message).into());
    if let Some(name) = backticked(&message, "missing field `") {
        return invalid(field_under(name), "is required".into());
    }
    if let Some(name) = backticked(&message, "unknown field `") {
        // The path already ends at the unknown key.
        let at = if field.ends_with(name) {
            field.clone()
        } else {
            field_under(name)
        };
        return invalid(at, "is not a known field".into());
    }
    if let Some(expected) = unknown_variant(&message) {
        return invalid(field, expected);
    }
    JsonError::Malformed {
        detail: if field.is_empty() {
            format!("The request body has the wrong shape: {message}")
        } else {
            format!("The field {field} has the wrong type: {message}")
        },
        errors: vec![FieldError::new(field, message)],
    }
}

/// serde's "unknown variant `x`, expected `a` or `b`" (or "expected one of
/// `a`, `b`, `c`") as the rule: `must be "a" or "b"`.
fn unknown_variant(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (_, expected) = rest.split_once("`, expected ")?;
    let quoted = expected.replace('`', "\"");
    Some(match quoted.strip_prefix("one of ") {
        Some(list) => format!("must be one of {list}"),
        None => format!("must be {quoted}"),
    })
}

fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        status: Status,
        count: u32,
    }

    fn fields(error: JsonError) -> Vec<(String, String)> {
        match error {
            JsonError::Invalid(errors) => errors
                .into_vec()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect(),
            other => panic!("expected a rule violation, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_enum_value_is_a_rule_on_its_field() {
        let error = parse::<Probe>(br#"{"status": "normal", "count": 1}"#).unwrap_err();
        assert_eq!(
            fields(error),
            [(
                "status".to_owned(),
                r#"must be one of "Normal", "Novelty", "Outgoing", "Discontinued""#.to_owned()
            )]
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_rules_and_wrong_types_are_malformed() {
        let missing = parse::<Probe>(br#"{"status": "Normal"}"#).unwrap_err();
        assert_eq!(fields(missing), [("count".into(), "is required".into())]);
        let unknown = parse::<Probe>(br#"{"status": "Normal", "count": 1, "x": 2}"#).unwrap_err();
        assert_eq!(
            fields(unknown),
            [("x".into(), "is not a known field".into())]
        );
        let wrong = parse::<Probe>(br#"{"status": "Normal", "count": "one"}"#).unwrap_err();
        assert!(
            matches!(wrong, JsonError::Malformed { ref errors, .. } if errors[0].field == "count")
        );
        assert!(matches!(
            parse::<Probe>(b"{"),
            Err(JsonError::Malformed { .. })
        ));
    }

    #[test]
    fn a_checked_field_keeps_its_broken_rule_and_lets_the_rest_be_read() {
        #[derive(Debug, serde::Deserialize)]
        struct Lenient {
            status: Checked<Status>,
            count: u32,
        }
        let read: Lenient = parse(br#"{"status": "Gone", "count": 3}"#).unwrap();
        assert_eq!(read.count, 3);
        let rule = read.status.check("status").unwrap_err();
        assert_eq!(rule.field, "status");
        assert!(
            rule.message.starts_with("must be one of"),
            "{}",
            rule.message
        );
        let wrong = parse::<Lenient>(br#"{"status": 5, "count": 3}"#).unwrap_err();
        assert!(
            matches!(wrong, JsonError::Malformed { ref errors, .. } if errors[0].field == "status")
        );
    }
}
