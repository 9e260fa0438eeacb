//! A token bucket per client: per API key when a valid one is presented,
//! else per client address, read through trusted proxies.

use actix_web::dev::ServiceRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    trusted_proxies: Vec<IpNet>,
}

impl RateLimit {
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32, trusted_proxies: Vec<IpNet>) -> Self {
        RateLimit {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
            trusted_proxies,
        }
    }

    /// Takes a token from `bucket`; or says how long until one is free.
    pub fn check(&self, bucket: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&bucket.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// The client's address: the peer, or the nearest untrusted address in
    /// `X-Forwarded-For` when the peer is a trusted proxy.
    pub fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return Some(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .or(Some(peer))
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
