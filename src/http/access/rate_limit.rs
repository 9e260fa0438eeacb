//! A token bucket per client: per API key when a valid one is presented,
//! else per client address, read through trusted proxies.

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    /// Revalidations (reads with `If-None-Match`) answered 304 are not
    /// counted against `limiter`; they draw on this allowance instead,
    /// `REVALIDATION_FACTOR` times larger, so that a flood of conditional
    /// requests is still bounded.
    revalidations: DefaultKeyedRateLimiter<String>,
}

/// How many times the rate limit revalidations may run at.
pub const REVALIDATION_FACTOR: u32 = 10;

impl RateLimit {
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        let times =
            |n: NonZeroU32| n.saturating_mul(NonZeroU32::new(REVALIDATION_FACTOR).expect("10"));
        RateLimit {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            revalidations: RateLimiter::keyed(
                Quota::per_second(times(per_second)).allow_burst(times(burst)),
            ),
        }
    }

    /// Takes a token from `bucket`'s revalidation allowance.
    pub fn check_revalidation(&self, bucket: &str) -> Result<(), Duration> {
        self.revalidations
            .check_key(&bucket.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.revalidations.clock().now()))
    }

    /// Takes a token from `bucket`; or says how long until one is free.
    pub fn check(&self, bucket: &str) -> Result<(), Duration> {
        // The limiter's own clock: making a clock per refusal would
        // calibrate one each time, which cost more than the refusal.
        self.limiter
            .check_key(&bucket.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Drops the buckets of clients that have gone quiet, every minute, so
    /// that memory stays bounded. Runs until dropped.
    pub async fn forget_quiet_clients(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            self.limiter.retain_recent();
            self.revalidations.retain_recent();
        }
    }
}
