//! Checks of loaded settings; every error names the key at fault.

use anyhow::{bail, Context};
use secrecy::ExposeSecret;

use super::{Environment, Settings};
use crate::auth::AuthMode;

impl Settings {
    pub(super) fn validate(&self) -> anyhow::Result<()> {
        let production = self.environment == Environment::Production;
        match &self.database.url {
            None if production && !self.database.from_pg_environment => {
                bail!(
                    "database.url: set DATABASE_URL, or PGHOST and the other PG* variables, in \
                     production"
                )
            }
            Some(url) => {
                url::Url::parse(url.expose_secret())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "postgres" | "postgresql"))
                    .context("database.url: DATABASE_URL must be a postgres:// URL")?;
            }
            None => {}
        }
        if self.server.large_bodies_in_flight_bytes < self.server.large_body_limit_bytes {
            bail!(
                "server.large_bodies_in_flight_bytes: must be at least server.large_body_limit_bytes, \
                 or the largest body could never be accepted"
            );
        }
        if !(10..=60_000).contains(&self.preferred_item.poll_interval_ms) {
            bail!("preferred_item.poll_interval_ms: must be between 10 and 60000");
        }
        if !(1..=3600).contains(&self.preferred_item.feed_trim_interval_secs) {
            bail!("preferred_item.feed_trim_interval_secs: must be between 1 and 3600");
        }
        if !(100..=60_000).contains(&self.preferred_item.feed_read_timeout_ms) {
            bail!("preferred_item.feed_read_timeout_ms: must be between 100 and 60000");
        }
        if !(1..=3600).contains(&self.preferred_item.snapshot_timeout_secs) {
            bail!("preferred_item.snapshot_timeout_secs: must be between 1 and 3600");
        }
        if self.preferred_item.feed_retention_secs < 60 {
            bail!("preferred_item.feed_retention_secs: must be at least 60");
        }
        if crate::domain::parse_date(&self.server.legacy_sunset).is_none() {
            bail!("server.legacy_sunset: must be a date written YYYY-MM-DD");
        }
        if self.database.max_connections == 0 {
            bail!("database.max_connections: must be at least 1");
        }
        if self.database.min_connections > self.database.max_connections {
            bail!("database.min_connections: must not exceed database.max_connections");
        }
        if self.database.acquire_timeout_ms == 0 {
            bail!("database.acquire_timeout_ms: must be at least 1");
        }
        if !(100..=600_000).contains(&self.database.request_timeout_ms) {
            bail!("database.request_timeout_ms: must be between 100 and 600000");
        }
        let keepalive = [
            ("keepalive_idle_secs", self.database.keepalive_idle_secs),
            (
                "keepalive_interval_secs",
                self.database.keepalive_interval_secs,
            ),
            ("keepalive_count", self.database.keepalive_count),
        ];
        for (name, value) in keepalive {
            if !(1..=3600).contains(&value) {
                bail!("database.{name}: must be between 1 and 3600");
            }
        }
        if self.database.max_lifetime_secs < 10 || self.database.idle_timeout_secs < 10 {
            bail!("database.max_lifetime_secs and database.idle_timeout_secs: must be at least 10");
        }
        self.jwt_config()?;
        if production && self.auth.mode == AuthMode::Off && !self.auth.allow_off_in_production {
            bail!(
                "auth.mode: off opens every write to anyone; production refuses it unless \
                 APP__AUTH__ALLOW_OFF_IN_PRODUCTION=true says so on purpose"
            );
        }
        if production
            && self.auth.mode != AuthMode::Off
            && self.auth.keys.is_empty()
            && self.auth.jwt.issuer.is_none()
        {
            bail!(
                "auth.keys: APP__AUTH__KEYS must hold at least one key (or \
                 APP__AUTH__JWT__ISSUER be set) in production while auth.mode is {:?}",
                self.auth.mode
            );
        }
        if self.rate_limit.enabled
            && (self.rate_limit.per_second == 0 || self.rate_limit.burst == 0)
        {
            bail!("rate_limit.per_second and rate_limit.burst: must be at least 1");
        }
        self.preferred_item
            .weights
            .check()
            .map_err(|e| anyhow::anyhow!("preferred_item.weights.{e}"))?;
        Ok(())
    }
}
