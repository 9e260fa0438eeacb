//! A token bucket per client: per API key when a valid one is presented,
//! else per client address, read through trusted proxies.

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl RateLimit {
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        RateLimit {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
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
        }
    }
}
