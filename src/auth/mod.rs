//! Who a caller is and what it may do, with no HTTP in sight: API keys for
//! machines (`keys`), and bearer tokens from an OpenID Connect issuer for
//! people and frontends (`jwt`, with its key cache in `jwks`). The access
//! middleware in `http::access` asks these and answers.

mod jwks;
mod jwt;
mod keys;

pub use jwks::{is_loopback_http, JwksSource, KeyCache};
pub use jwt::{looks_like_jwt, JwtConfig, JwtValidator, Rejection, MAX_TOKEN_BYTES};
pub use keys::{digest, KeyRing};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    Off,
    Writes,
    All,
}

/// What a caller may do. Write implies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

/// A caller that proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// For tokens, the `sub` claim; for API keys, `key:` and the first
    /// characters of the key's digest. Names the rate-limit bucket and goes
    /// into the request's log line.
    pub id: String,
    /// The most it may do; `None` when it may do nothing here.
    pub scope: Option<Scope>,
}
