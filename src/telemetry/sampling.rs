//! Which traces are kept: `OTEL_TRACES_SAMPLER(_ARG)`, with a caller's
//! sampling decision followed only when it comes from a trusted hop.
//!
//! A `traceparent` carries a trace id and a "sampled" flag. The trace id
//! is always continued: it only ties spans together. The flag decides how
//! much this replica records and exports, so a client that may set it
//! could make every request traced (filling the export queue and the
//! tracing bill, and crowding out the traces an operator wants) or none.
//! By default it is followed only from `rate_limit.trusted_proxies` (the
//! load balancer, another service behind it); from anyone else the
//! service samples by its own rule, by trace id.

use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, SamplingResult, ShouldSample};

/// Marks a parent context whose sampling decision may be followed.
#[derive(Debug, Clone, Copy)]
pub struct TrustedParent;

/// The service's sampler.
#[derive(Debug, Clone)]
pub struct Sampling {
    /// The rule for traces that start here (or whose parent's flag is not
    /// followed).
    root: Sampler,
    /// `parentbased_*`: follow a trusted remote parent's flag.
    parent_based: bool,
    /// The rule for the catalog follower's routine feed reads.
    feed_reads: Sampler,
}

/// The name of the span of a feed read (`db::catalog_feed::changes`).
pub const FEED_READ: &str = "catalog feed read";

impl Sampling {
    /// From `OTEL_TRACES_SAMPLER` (default `parentbased_always_on`) and
    /// `OTEL_TRACES_SAMPLER_ARG` (the ratio of the `*traceidratio` ones).
    pub fn from_env(feed_read_ratio: f64) -> anyhow::Result<Sampling> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&feed_read_ratio),
            "tracing.feed_read_sampling: {feed_read_ratio} is not a ratio from 0 to 1"
        );
        let name =
            std::env::var("OTEL_TRACES_SAMPLER").unwrap_or_else(|_| "parentbased_always_on".into());
        let ratio = || -> anyhow::Result<f64> {
            match std::env::var("OTEL_TRACES_SAMPLER_ARG") {
                Err(_) => Ok(1.0),
                Ok(arg) => arg
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "OTEL_TRACES_SAMPLER_ARG: {arg:?} is not a ratio from 0 to 1"
                        )
                    }),
            }
        };
        let (root, parent_based) = match name.trim() {
            "always_on" => (Sampler::AlwaysOn, false),
            "always_off" => (Sampler::AlwaysOff, false),
            "traceidratio" => (Sampler::TraceIdRatioBased(ratio()?), false),
            "parentbased_always_on" => (Sampler::AlwaysOn, true),
            "parentbased_always_off" => (Sampler::AlwaysOff, true),
            "parentbased_traceidratio" => (Sampler::TraceIdRatioBased(ratio()?), true),
            other => anyhow::bail!(
                "OTEL_TRACES_SAMPLER: {other:?} is not one of always_on, always_off, \
                 traceidratio, parentbased_always_on, parentbased_always_off, \
                 parentbased_traceidratio"
            ),
        };
        Ok(Sampling {
            root,
            parent_based,
            feed_reads: Sampler::TraceIdRatioBased(feed_read_ratio),
        })
    }
}

impl ShouldSample for Sampling {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        if let Some(cx) = parent.filter(|cx| cx.has_active_span()) {
            let span = cx.span();
            let parent_span = span.span_context();
            // Spans inside the process follow their parent, always; a
            // remote parent only when trusted and the rule is parent-based.
            let follow = !parent_span.is_remote()
                || (self.parent_based && cx.get::<TrustedParent>().is_some());
            if parent_span.is_valid() && follow {
                return SamplingResult {
                    decision: if parent_span.is_sampled() {
                        SamplingDecision::RecordAndSample
                    } else {
                        SamplingDecision::Drop
                    },
                    attributes: Vec::new(),
                    trace_state: parent_span.trace_state().clone(),
                };
            }
        }
        let rule = if name == FEED_READ {
            &self.feed_reads
        } else {
            &self.root
        };
        let mut result = rule.should_sample(parent, trace_id, name, kind, attributes, links);
        if parent.is_none() {
            result.trace_state = TraceState::default();
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::sampling::{
        Sampler, Sampling, SamplingDecision, ShouldSample, TrustedParent,
    };
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags};
    use opentelemetry::trace::{SpanKind, TraceContextExt, TraceId, TraceState};
    use opentelemetry::Context;

    fn remote(sampled: bool) -> Context {
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(7u128),
            SpanId::from(9u64),
            flags,
            true,
            TraceState::default(),
        ))
    }

    fn decide(sampling: &Sampling, cx: &Context) -> SamplingDecision {
        sampling
            .should_sample(
                Some(cx),
                TraceId::from(7u128),
                "span",
                &SpanKind::Server,
                &[],
                &[],
            )
            .decision
    }

    #[test]
    fn a_remote_flag_is_followed_only_when_trusted() {
        let never = Sampling {
            root: Sampler::AlwaysOff,
            parent_based: true,
            feed_reads: Sampler::AlwaysOff,
        };
        // An untrusted caller cannot switch tracing on...
        assert_eq!(decide(&never, &remote(true)), SamplingDecision::Drop);
        // ...a trusted one can.
        let trusted = remote(true).with_value(TrustedParent);
        assert_eq!(decide(&never, &trusted), SamplingDecision::RecordAndSample);
        // Nor can an untrusted caller switch it off.
        let always = Sampling {
            root: Sampler::AlwaysOn,
            parent_based: true,
            feed_reads: Sampler::AlwaysOff,
        };
        assert_eq!(
            decide(&always, &remote(false)),
            SamplingDecision::RecordAndSample
        );
        // `always_on` ignores even a trusted parent.
        let on = Sampling {
            root: Sampler::AlwaysOn,
            parent_based: false,
            feed_reads: Sampler::AlwaysOff,
        };
        let trusted_off = remote(false).with_value(TrustedParent);
        assert_eq!(decide(&on, &trusted_off), SamplingDecision::RecordAndSample);
    }
}
