//! Settings of HTTP semantics, idempotency keys and tracing (what the
//! service adds to the standard `OTEL_*` variables).

use serde::{Deserialize, Serialize};

/// HTTP semantics a deployment may tighten.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Refuse (428) a PUT or DELETE of an item or a master-data record that
    /// sends neither `If-Match` nor `If-None-Match`, so that no client can
    /// overwrite another's change without having seen it.
    #[serde(default)]
    pub require_if_match: bool,
}

/// `Idempotency-Key` on the creating POSTs (README "Safe retries").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencySettings {
    /// How long a key and its answer are kept (at least a day is promised
    /// to clients; default 86400).
    #[serde(default = "default_idempotency_retention")]
    pub retention_secs: u64,
    /// How often keys past their retention are deleted.
    #[serde(default = "default_idempotency_trim_interval")]
    pub trim_interval_secs: u64,
    /// How long a key whose request has not finished stays claimed: past
    /// it (its replica died), a retry runs the request again. Longer than
    /// the longest request (a bulk load's bound, 60 s by default).
    #[serde(default = "default_idempotency_lease")]
    pub lease_secs: u64,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        IdempotencySettings {
            retention_secs: default_idempotency_retention(),
            trim_interval_secs: default_idempotency_trim_interval(),
            lease_secs: default_idempotency_lease(),
        }
    }
}

fn default_idempotency_retention() -> u64 {
    86_400
}

fn default_idempotency_trim_interval() -> u64 {
    600
}

fn default_idempotency_lease() -> u64 {
    120
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustSampling {
    #[default]
    Proxies,
    All,
    None,
}

/// Traces themselves are set by the standard `OTEL_*` variables (README
/// "Tracing"); this is what the service adds to them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracingSettings {
    /// Whose sampling decision (`traceparent`'s flag, `X-Amzn-Trace-Id`'s
    /// `Sampled`) is followed: `proxies` (from `rate_limit.trusted_proxies`
    /// only, the default), `all` or `none`. The trace id is continued
    /// whoever sends it.
    #[serde(default)]
    pub trust_incoming_sampling: TrustSampling,
    /// The share of the catalog follower's routine feed reads that are
    /// traced (0 to 1, default 0.01): a replica reads the feed twice a
    /// second, and each read is a trace of its own.
    #[serde(default = "default_feed_read_sampling")]
    pub feed_read_sampling: f64,
}

impl Default for TracingSettings {
    fn default() -> Self {
        TracingSettings {
            trust_incoming_sampling: TrustSampling::default(),
            feed_read_sampling: default_feed_read_sampling(),
        }
    }
}

fn default_feed_read_sampling() -> f64 {
    0.01
}
