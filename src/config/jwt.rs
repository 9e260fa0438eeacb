//! `auth.jwt`: bearer tokens from an OpenID Connect issuer, and what they
//! must satisfy.

use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::Settings;
use crate::auth::{is_loopback_http, JwksSource, JwtConfig, Scope};

/// Clock skew past this would make an expired token live minutes longer.
const MAX_LEEWAY_SECS: u64 = 300;
/// A key the issuer publishes is seen within this time at most.
const MAX_COOLDOWN_SECS: u64 = 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The exact `iss` of accepted tokens; JWT is off without it.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Accepted audiences (`aud`, or `client_id` without `aud`),
    /// comma-separated.
    #[serde(default)]
    pub audience: Vec<String>,
    /// The JWKS URL; default: from `<issuer>/.well-known/openid-configuration`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// A JWKS file instead of a URL, for air-gapped setups and tests.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    pub read_scope: String,
    pub write_scope: String,
    /// `cognito:groups` that grant a scope: `group=read` or `group=write`,
    /// comma-separated.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// A token naming an unknown key refreshes the keys at most this often.
    pub refresh_cooldown_secs: u64,
    /// Accept only access tokens (`typ: at+jwt`, or Cognito's
    /// `token_use: access`); an ID token is refused. Turn off only for an
    /// issuer that marks neither, and whose ID tokens cannot reach callers.
    pub require_access_token: bool,
}

impl Default for JwtSettings {
    fn default() -> Self {
        JwtSettings {
            issuer: None,
            audience: Vec::new(),
            jwks_url: None,
            jwks_file: None,
            read_scope: "preferred-item/read".into(),
            write_scope: "preferred-item/write".into(),
            groups: Vec::new(),
            leeway_secs: 60,
            refresh_cooldown_secs: 30,
            require_access_token: true,
        }
    }
}

impl Settings {
    /// What tokens must satisfy and where their keys come from; `None`
    /// when no issuer is configured. Errors name the key at fault.
    pub fn jwt_config(&self) -> anyhow::Result<Option<(JwtConfig, JwksSource, Duration)>> {
        let j = &self.auth.jwt;
        let Some(issuer) = j.issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let production = self.is_production();
        let transport_ok =
            |url: &str| url.starts_with("https://") || (!production && is_loopback_http(url));
        let audiences: Vec<String> = j
            .audience
            .iter()
            .filter(|a| !a.is_empty())
            .cloned()
            .collect();
        if audiences.is_empty() {
            bail!("auth.jwt.audience: APP__AUTH__JWT__AUDIENCE must name at least one audience");
        }
        if j.read_scope.is_empty() || j.write_scope.is_empty() {
            bail!("auth.jwt.read_scope and auth.jwt.write_scope: must not be empty");
        }
        let source = match (&j.jwks_file, &j.jwks_url) {
            (Some(file), _) => JwksSource::File(file.clone()),
            (None, Some(url)) if transport_ok(url) => JwksSource::Url(url.clone()),
            (None, Some(_)) => bail!(
                "auth.jwt.jwks_url: must be https (plain http only on a loopback address outside \
                 production)"
            ),
            (None, None) if transport_ok(&issuer) => JwksSource::Discovery(issuer.clone()),
            (None, None) => bail!(
                "auth.jwt.issuer: discovery needs an https issuer (plain http only on a loopback \
                 address outside production); or set APP__AUTH__JWT__JWKS_URL"
            ),
        };
        if j.leeway_secs > MAX_LEEWAY_SECS {
            bail!("auth.jwt.leeway_secs: must be at most {MAX_LEEWAY_SECS}");
        }
        if !(1..=MAX_COOLDOWN_SECS).contains(&j.refresh_cooldown_secs) {
            bail!("auth.jwt.refresh_cooldown_secs: must be between 1 and {MAX_COOLDOWN_SECS}");
        }
        let mut groups = HashMap::new();
        for (i, entry) in j.groups.iter().enumerate().filter(|(_, e)| !e.is_empty()) {
            let scope = match entry.rsplit_once('=') {
                Some((group, "read")) if !group.is_empty() => (group, Scope::Read),
                Some((group, "write")) if !group.is_empty() => (group, Scope::Write),
                _ => bail!("auth.jwt.groups[{i}]: must be <group>=read or <group>=write"),
            };
            groups.insert(scope.0.to_owned(), scope.1);
        }
        let config = JwtConfig {
            issuer,
            audiences,
            read_scope: j.read_scope.clone(),
            write_scope: j.write_scope.clone(),
            groups,
            leeway_secs: j.leeway_secs,
            require_access_token: j.require_access_token,
        };
        Ok(Some((
            config,
            source,
            Duration::from_secs(j.refresh_cooldown_secs),
        )))
    }
}
