//! The trace a request arrives in: W3C `traceparent`/`tracestate`, or the
//! AWS load balancer's `X-Amzn-Trace-Id`.

use actix_web::http::header::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;

use super::sampling::TrustedParent;

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The remote parent named by `headers`, if any: `traceparent` first, then
/// `X-Amzn-Trace-Id`. `trusted` says whether its sampling decision may be
/// followed (see `sampling`).
pub fn remote_parent(headers: &HeaderMap, trusted: bool) -> Option<Context> {
    let w3c = TraceContextPropagator::new().extract(&Headers(headers));
    let cx = if w3c.span().span_context().is_valid() {
        w3c
    } else {
        let header = headers.get("x-amzn-trace-id")?.to_str().ok()?;
        Context::new().with_remote_span_context(amazon_trace(header)?)
    };
    Some(if trusted {
        cx.with_value(TrustedParent)
    } else {
        cx
    })
}

/// Reads `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`.
///
/// The trace id is the root's two hex parts joined (an X-Ray trace id is a
/// valid W3C one). An application load balancer sends only `Root` (and
/// `Self`), as it records no segment of its own: then the parent span id
/// is the trace id's low 64 bits, a parent that no span has, so that the
/// service's span still joins the load balancer's trace. Without
/// `Sampled=1` the flag is unset: the service decides.
pub fn amazon_trace(header: &str) -> Option<SpanContext> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = false;
    for part in header.split(';') {
        let (key, value) = part.trim().split_once('=')?;
        match key.trim() {
            "Root" => root = Some(value.trim()),
            "Parent" => parent = Some(value.trim()),
            "Sampled" => sampled = value.trim() == "1",
            _ => {}
        }
    }
    let mut fields = root?.split('-');
    let (version, time, unique) = (fields.next()?, fields.next()?, fields.next()?);
    if version != "1" || time.len() != 8 || unique.len() != 24 || fields.next().is_some() {
        return None;
    }
    let trace_id = TraceId::from_hex(&format!("{time}{unique}")).ok()?;
    if trace_id == TraceId::INVALID {
        return None;
    }
    let span_id = match parent {
        Some(parent) if parent.len() == 16 => SpanId::from_hex(parent).ok()?,
        Some(_) => return None,
        None => SpanId::from(u128::from_be_bytes(trace_id.to_bytes()) as u64),
    };
    if span_id == SpanId::INVALID {
        return None;
    }
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    Some(SpanContext::new(
        trace_id,
        span_id,
        flags,
        true,
        TraceState::default(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::telemetry::propagation::amazon_trace;

    #[test]
    fn amazon_trace_ids_are_w3c_trace_ids() {
        let cx = amazon_trace(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .unwrap();
        assert_eq!(
            cx.trace_id().to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(cx.span_id().to_string(), "53995c3f42cd8ad8");
        assert!(cx.is_sampled() && cx.is_remote());

        // A load balancer's header: a root alone.
        let cx = amazon_trace(
            "Self=1-67891234-12456789abcdef012345678;Root=1-67891233-abcdef012345678912345678",
        )
        .unwrap();
        assert_eq!(
            cx.trace_id().to_string(),
            "67891233abcdef012345678912345678"
        );
        assert_eq!(
            cx.span_id().to_string(),
            "abcdef012345678912345678"[8..].to_owned()
        );
        assert!(!cx.is_sampled());

        for broken in [
            "",
            "Root=2-5759e988-bd862e3fe1be46a994272793",
            "Root=1-5759e988-bd862e3f",
            "Root=1-zzzzzzzz-bd862e3fe1be46a994272793",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=12",
            "Parent=53995c3f42cd8ad8",
        ] {
            assert!(amazon_trace(broken).is_none(), "{broken:?}");
        }
    }
}
