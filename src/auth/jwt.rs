//! Bearer tokens (JWTs) from an OpenID Connect issuer, such as Cognito.
//!
//! A token is accepted only when every check passes: at most
//! `MAX_TOKEN_BYTES`; an asymmetric algorithm (RS256, PS256, ES256; never
//! `none` or HMAC); a signature by a key of the issuer's JWKS named by
//! `kid`; `exp` present and not past, `nbf` not ahead (both with the
//! leeway); `iss` exactly the issuer; the audience in `aud`, or in
//! `client_id` when there is no `aud` (Cognito access tokens). Scopes come
//! from `scope` (space-separated) or `scp` (a list), and optionally from
//! `cognito:groups` through a configured mapping. Only access tokens: the
//! header's `typ` is `at+jwt` (RFC 9068) or Cognito's `token_use` claim is
//! `access`, and an ID token (`token_use: id`) is refused, unless
//! `auth.jwt.require_access_token` is off. A header with `crit` is refused:
//! no extension is understood here. Nothing a token says is used, or
//! logged, before all of that holds.

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::jwks::KeyCache;
use super::{Principal, Scope};

/// Tokens above this size are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
const ALLOWED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256];

/// What a token must satisfy.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub read_scope: String,
    pub write_scope: String,
    /// `cognito:groups` entries that grant a scope.
    pub groups: HashMap<String, Scope>,
    pub leeway_secs: u64,
    /// Refuse tokens that are not access tokens (see the module doc).
    pub require_access_token: bool,
}

/// Why a token was refused: a short reason for `WWW-Authenticate` and a
/// label for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    TooLarge,
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    MissingClaim,
    NotAccessToken,
    Critical,
}

impl Rejection {
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::TooLarge => "token too large",
            Rejection::Malformed => "malformed token",
            Rejection::Algorithm => "algorithm not allowed",
            Rejection::UnknownKey => "unknown signing key",
            Rejection::Signature => "bad signature",
            Rejection::Expired => "token expired",
            Rejection::NotYetValid => "token not yet valid",
            Rejection::Issuer => "wrong issuer",
            Rejection::Audience => "wrong audience",
            Rejection::MissingClaim => "missing claim",
            Rejection::NotAccessToken => "not an access token",
            Rejection::Critical => "unsupported critical header",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rejection::TooLarge => "too_large",
            Rejection::Malformed => "malformed",
            Rejection::Algorithm => "algorithm",
            Rejection::UnknownKey => "unknown_key",
            Rejection::Signature => "signature",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::Issuer => "issuer",
            Rejection::Audience => "audience",
            Rejection::MissingClaim => "missing_claim",
            Rejection::NotAccessToken => "token_type",
            Rejection::Critical => "crit",
        }
    }
}

/// Whether a bearer credential is shaped like a JWT (three base64url
/// parts, a JSON header) rather than an API key.
pub fn looks_like_jwt(credential: &str) -> bool {
    credential.starts_with("eyJ") && credential.bytes().filter(|&b| b == b'.').count() == 2
}

/// What the validator reads of a token's header before trusting it.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    /// Extensions the recipient must understand; none is, here.
    crit: Option<serde::de::IgnoredAny>,
}

impl RawHeader {
    /// RFC 9068's media type of access tokens, with or without the
    /// `application/` prefix.
    fn says_access_token(&self) -> bool {
        self.typ.as_deref().is_some_and(|t| {
            let t = t.to_ascii_lowercase();
            t == "at+jwt" || t == "application/at+jwt"
        })
    }

    fn of(token: &str) -> Option<RawHeader> {
        use base64::Engine;
        let header = token.split('.').next()?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    aud: Option<OneOrMany>,
    client_id: Option<String>,
    scope: Option<String>,
    scp: Option<Vec<String>>,
    #[serde(rename = "cognito:groups")]
    groups: Option<Vec<String>>,
    /// Cognito's kind of token: `access` or `id`.
    token_use: Option<String>,
}

pub struct JwtValidator {
    config: JwtConfig,
    keys: Arc<KeyCache>,
    /// The checks of each allowed algorithm, made once from the config.
    validations: [(Algorithm, Validation); 3],
}

impl JwtValidator {
    pub fn new(config: JwtConfig, keys: Arc<KeyCache>) -> JwtValidator {
        let validations = ALLOWED.map(|alg| {
            let mut validation = Validation::new(alg);
            validation.set_issuer(&[&config.issuer]);
            validation.required_spec_claims = HashSet::from(["exp".to_owned(), "iss".to_owned()]);
            validation.leeway = config.leeway_secs;
            validation.validate_nbf = true;
            validation.validate_aud = false;
            (alg, validation)
        });
        JwtValidator {
            config,
            keys,
            validations,
        }
    }

    /// The caller a token proves, or why it proves nothing.
    pub async fn validate(&self, token: &str) -> Result<Principal, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::TooLarge);
        }
        // The header is read by hand, so that `none` and HMAC are refused as
        // such before anything else is parsed.
        let header = RawHeader::of(token).ok_or(Rejection::Malformed)?;
        if header.crit.is_some() {
            return Err(Rejection::Critical);
        }
        let alg: Algorithm = header.alg.parse().map_err(|_| Rejection::Algorithm)?;
        let (_, validation) = self
            .validations
            .iter()
            .find(|(allowed, _)| *allowed == alg)
            .ok_or(Rejection::Algorithm)?;
        let kid = header.kid.as_deref().ok_or(Rejection::UnknownKey)?;
        let key = self.keys.key(kid).await.ok_or(Rejection::UnknownKey)?;
        if key.algorithm.is_some_and(|pinned| pinned != alg) {
            return Err(Rejection::Algorithm);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => Rejection::Expired,
                ErrorKind::ImmatureSignature => Rejection::NotYetValid,
                ErrorKind::InvalidIssuer => Rejection::Issuer,
                ErrorKind::MissingRequiredClaim(_) => Rejection::MissingClaim,
                ErrorKind::InvalidAlgorithm => Rejection::Algorithm,
                ErrorKind::InvalidSignature => Rejection::Signature,
                _ => Rejection::Malformed,
            }
        })?;
        let claims = data.claims;
        if self.config.require_access_token {
            let access = match claims.token_use.as_deref() {
                Some(kind) => kind == "access",
                None => header.says_access_token(),
            };
            if !access {
                return Err(Rejection::NotAccessToken);
            }
        }
        let audience_ok = match &claims.aud {
            Some(OneOrMany::One(aud)) => self.config.audiences.contains(aud),
            Some(OneOrMany::Many(auds)) => auds.iter().any(|a| self.config.audiences.contains(a)),
            None => claims
                .client_id
                .as_ref()
                .is_some_and(|c| self.config.audiences.contains(c)),
        };
        if !audience_ok {
            return Err(Rejection::Audience);
        }
        let sub = claims.sub.clone().ok_or(Rejection::MissingClaim)?;
        Ok(Principal {
            id: sub,
            scope: self.scope_of(&claims),
        })
    }

    fn scope_of(&self, claims: &Claims) -> Option<Scope> {
        let named: Vec<&str> = match (&claims.scope, &claims.scp) {
            (Some(scope), _) => scope.split_whitespace().collect(),
            (None, Some(scp)) => scp.iter().map(String::as_str).collect(),
            (None, None) => Vec::new(),
        };
        let from_scopes = named.iter().filter_map(|s| {
            if *s == self.config.write_scope {
                Some(Scope::Write)
            } else if *s == self.config.read_scope {
                Some(Scope::Read)
            } else {
                None
            }
        });
        let from_groups = claims
            .groups
            .iter()
            .flatten()
            .filter_map(|g| self.config.groups.get(g).copied());
        from_scopes.chain(from_groups).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_are_told_from_api_keys_by_shape() {
        assert!(looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(!looks_like_jwt("writer-key-0123456789"));
        assert!(!looks_like_jwt("eyJ.only-one-dot"));
    }
}
