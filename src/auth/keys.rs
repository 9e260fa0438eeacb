//! API keys: the key ring that settings hold and the access middleware
//! consults.
//!
//! Keys are configured as `read:<key>`, `write:<key>`, `read:sha256:<hex>`
//! or `write:sha256:<hex>`. Only SHA-256 digests are kept (and printed
//! back, should settings ever be serialized); a presented key is hashed
//! and compared with every digest in constant time, so timing reveals
//! neither the key nor which entry matched.

use anyhow::{bail, Context};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Scope;

/// The configured keys, as digests.
#[derive(Clone, Default)]
pub struct KeyRing {
    keys: Vec<(Scope, [u8; 32])>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({} keys)", self.keys.len())
    }
}

impl KeyRing {
    /// Parses `auth.keys` entries. Errors name the entry by position, never
    /// by content, so that a key is not echoed into logs.
    pub fn parse(entries: &[String]) -> anyhow::Result<KeyRing> {
        let mut keys = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let (scope, rest) = match entry.split_once(':') {
                Some(("read", rest)) => (Scope::Read, rest),
                Some(("write", rest)) => (Scope::Write, rest),
                _ => bail!("auth.keys[{i}]: must start with \"read:\" or \"write:\""),
            };
            let digest = match rest.strip_prefix("sha256:") {
                Some(hex) => parse_digest(hex)
                    .with_context(|| format!("auth.keys[{i}]: sha256 needs 64 hex digits"))?,
                None if rest.len() >= 16 => Sha256::digest(rest.as_bytes()).into(),
                None => bail!("auth.keys[{i}]: a key must have at least 16 characters"),
            };
            keys.push((scope, digest));
        }
        Ok(KeyRing { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The scope of a key by its digest (see `digest`). Every configured
    /// digest is compared, whatever matches first.
    pub fn scope_of_digest(&self, digest: &[u8; 32]) -> Option<Scope> {
        let mut found = None;
        for (scope, key) in &self.keys {
            if bool::from(key.ct_eq(digest)) {
                found = found.max(Some(*scope));
            }
        }
        found
    }
}

/// The SHA-256 digest of a presented key.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn parse_digest(text: &str) -> Option<[u8; 32]> {
    let mut out = [0_u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

impl<'de> Deserialize<'de> for KeyRing {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyRing, D::Error> {
        let entries = Vec::<String>::deserialize(deserializer)?;
        KeyRing::parse(&entries).map_err(serde::de::Error::custom)
    }
}

impl Serialize for KeyRing {
    /// As digests only, which parse back to the same ring.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.keys.iter().map(|(scope, digest)| {
            let scope = match scope {
                Scope::Read => "read",
                Scope::Write => "write",
            };
            format!("{scope}:sha256:{}", hex::encode(digest))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(entries: &[&str]) -> KeyRing {
        KeyRing::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn scope_of(keys: &KeyRing, presented: &str) -> Option<Scope> {
        keys.scope_of_digest(&digest(presented))
    }

    #[test]
    fn plain_and_digest_keys_are_recognised_with_their_scope() {
        let digest = hex::encode(digest("reader-key-0123456789"));
        let keys = ring(&[
            "write:writer-key-0123456789",
            &format!("read:sha256:{digest}"),
        ]);
        assert_eq!(scope_of(&keys, "writer-key-0123456789"), Some(Scope::Write));
        assert_eq!(scope_of(&keys, "reader-key-0123456789"), Some(Scope::Read));
        assert_eq!(scope_of(&keys, "writer-key-012345678"), None);
        assert_eq!(scope_of(&keys, ""), None);
    }

    #[test]
    fn bad_entries_are_named_by_position_without_echoing_the_key() {
        let err = KeyRing::parse(&["admin:secret-secret-secret".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "auth.keys[0]: must start with \"read:\" or \"write:\""
        );
        let err = KeyRing::parse(&["read:short".into()]).unwrap_err();
        assert!(!err.to_string().contains("short"));
        assert!(KeyRing::parse(&["read:sha256:abc".into()]).is_err());
    }

    #[test]
    fn a_ring_serializes_as_digests_that_parse_back() {
        let keys = ring(&["write:writer-key-0123456789"]);
        let text = serde_json::to_string(&keys).unwrap();
        assert!(!text.contains("writer-key"), "{text}");
        let back: KeyRing = serde_json::from_str(&text).unwrap();
        assert_eq!(scope_of(&back, "writer-key-0123456789"), Some(Scope::Write));
    }
}
