//! Conditional requests (RFC 9110 §13): entity tags on what the API
//! answers, `If-None-Match` on reads (304), `If-Match` and
//! `If-None-Match: *` on writes (412), and, when the deployment asks for
//! it, 428 for a write that names no precondition.
//!
//! A record's tag is strong: the SHA-256 of its JSON representation, the
//! exact bytes answered, cut to 128 bits. Two answers with the same tag are
//! byte for byte the same.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ApiError;

/// `Cache-Control` on every read that carries a validator: any cache may
/// keep the answer but must ask again before using it (`no-cache`), and
/// a shared cache must not keep it at all (`private`), as reads may need
/// credentials.
pub const READ_CACHE_CONTROL: &str = "private, no-cache";

/// An entity tag, quotes included: `"…"` or `W/"…"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag(String);

impl ETag {
    /// The strong tag of `bytes`.
    pub fn strong(bytes: &[u8]) -> ETag {
        ETag::of_digest("", &Sha256::digest(bytes).into())
    }

    /// A weak tag over `parts` (for a page, or an answer that is the same
    /// in meaning whatever its bytes).
    pub fn weak(parts: &[&[u8]]) -> ETag {
        ETag::of_digest("W/", &digest_of_parts(parts))
    }

    /// `prefix` and the digest's first 128 bits in hex, quoted.
    fn of_digest(prefix: &str, digest: &[u8; 32]) -> ETag {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut tag = String::with_capacity(prefix.len() + 34);
        tag.push_str(prefix);
        tag.push('"');
        for byte in &digest[..16] {
            tag.push(char::from(HEX[usize::from(byte >> 4)]));
            tag.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        tag.push('"');
        ETag(tag)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The opaque part, without `W/`: weak comparison compares these.
    fn opaque(&self) -> &str {
        self.0.strip_prefix("W/").unwrap_or(&self.0)
    }

    fn is_weak(&self) -> bool {
        self.0.starts_with("W/")
    }
}

/// The SHA-256 of `parts`, each prefixed by its length, so that no two
/// different lists of parts run together into the same bytes.
pub fn digest_of_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.finalize().into()
}

/// What an `If-Match` or `If-None-Match` field lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Any,
    Tags(Vec<ETag>),
}

impl Condition {
    /// The field's value, if the request has it. A list that does not parse
    /// as entity tags lists none (it matches nothing).
    fn read(headers: &HeaderMap, name: header::HeaderName) -> Option<Condition> {
        let values: Vec<&str> = headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return None;
        }
        let joined = values.join(",");
        if joined.trim() == "*" {
            return Some(Condition::Any);
        }
        let tags = joined
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .filter(|t| {
                let opaque = t.strip_prefix("W/").unwrap_or(t);
                opaque.len() >= 2 && opaque.starts_with('"') && opaque.ends_with('"')
            })
            .map(|t| ETag(t.to_owned()))
            .collect();
        Some(Condition::Tags(tags))
    }

    /// Strong comparison (`If-Match`): both strong and equal.
    fn matches_strongly(&self, current: Option<&ETag>) -> bool {
        match (self, current) {
            (Condition::Any, Some(_)) => true,
            (Condition::Tags(tags), Some(current)) => {
                !current.is_weak() && tags.iter().any(|t| !t.is_weak() && t.0 == current.0)
            }
            (_, None) => false,
        }
    }

    /// Weak comparison (`If-None-Match`): equal once `W/` is set aside.
    fn matches_weakly(&self, current: Option<&ETag>) -> bool {
        match (self, current) {
            (Condition::Any, Some(_)) => true,
            (Condition::Tags(tags), Some(current)) => {
                tags.iter().any(|t| t.opaque() == current.opaque())
            }
            (_, None) => false,
        }
    }
}

/// The preconditions of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub if_match: Option<Condition>,
    pub if_none_match: Option<Condition>,
}

impl Preconditions {
    pub fn of(request: &HttpRequest) -> Preconditions {
        Preconditions::from_headers(request.headers())
    }

    pub fn from_headers(headers: &HeaderMap) -> Preconditions {
        Preconditions {
            if_match: Condition::read(headers, header::IF_MATCH),
            if_none_match: Condition::read(headers, header::IF_NONE_MATCH),
        }
    }

    /// Whether the request names any precondition.
    pub fn any(&self) -> bool {
        self.if_match.is_some() || self.if_none_match.is_some()
    }

    /// Evaluates the preconditions of a write against the target's current
    /// tag (`None`: it does not exist): 412 when they fail.
    pub fn check_write(&self, current: Option<&ETag>) -> Result<(), ApiError> {
        if let Some(condition) = &self.if_match {
            if !condition.matches_strongly(current) {
                return Err(ApiError::PreconditionFailed(match current {
                    None => "If-Match: the target does not exist".into(),
                    Some(_) => "If-Match: the target has changed since that tag".into(),
                }));
            }
        }
        if let Some(condition) = &self.if_none_match {
            if condition.matches_weakly(current) {
                return Err(ApiError::PreconditionFailed(match condition {
                    Condition::Any => "If-None-Match: *: the target already exists".into(),
                    Condition::Tags(_) => "If-None-Match: the target still has that tag".into(),
                }));
            }
        }
        Ok(())
    }

    /// Whether a read whose answer has tag `current` is answered 304.
    pub fn not_modified(&self, current: &ETag) -> bool {
        self.if_none_match
            .as_ref()
            .is_some_and(|c| c.matches_weakly(Some(current)))
    }
}

/// The JSON of `body` and its strong tag.
pub fn tagged_json(body: &impl Serialize) -> Result<(Vec<u8>, ETag), ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Unexpected(e.into()))?;
    let tag = ETag::strong(&bytes);
    Ok((bytes, tag))
}

/// A read's answer: 304 with the tag alone when the request's
/// `If-None-Match` holds it, else `status` with the body; both with the
/// tag and `Cache-Control`.
pub fn read_answer(
    request: &HttpRequest,
    status: StatusCode,
    bytes: Vec<u8>,
    tag: &ETag,
) -> HttpResponse {
    let not_modified = Preconditions::of(request).not_modified(tag);
    let mut answer = HttpResponse::build(if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        status
    });
    answer
        .insert_header((header::ETAG, tag.as_str()))
        .insert_header((header::CACHE_CONTROL, READ_CACHE_CONTROL));
    if not_modified {
        return answer.finish();
    }
    answer.content_type(header::ContentType::json()).body(bytes)
}

/// Adds `tag` to a write's answer.
pub fn with_tag(mut response: HttpResponse, tag: &ETag) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(tag.as_str()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn if_match_compares_strongly_and_if_none_match_weakly() {
        let current = ETag::strong(b"{}");
        let weak = ETag(format!("W/{}", current.as_str()));
        let both = Preconditions::from_headers(&headers(&[("if-match", weak.as_str())]));
        assert!(
            both.check_write(Some(&current)).is_err(),
            "a weak tag never matches If-Match"
        );
        let exact = Preconditions::from_headers(&headers(&[(
            "if-match",
            &format!("\"other\", {}", current.as_str()),
        )]));
        assert!(exact.check_write(Some(&current)).is_ok());
        assert!(
            exact.check_write(None).is_err(),
            "If-Match on nothing fails"
        );
        let revalidate = Preconditions::from_headers(&headers(&[("if-none-match", weak.as_str())]));
        assert!(revalidate.not_modified(&current));
        let create_only = Preconditions::from_headers(&headers(&[("if-none-match", "*")]));
        assert!(create_only.check_write(None).is_ok());
        assert!(create_only.check_write(Some(&current)).is_err());
        let garbage = Preconditions::from_headers(&headers(&[("if-match", "not-a-tag")]));
        assert_eq!(garbage.if_match, Some(Condition::Tags(vec![])));
        assert!(garbage.check_write(Some(&current)).is_err());
    }
}
