//! Counters that other modules keep process-wide (the pool's acquire
//! timeouts, failover marks and evictions, trace spans exported and
//! dropped, log lines dropped), copied into Prometheus counters when the
//! page is read.

use prometheus::core::Collector;
use prometheus::{IntCounter, IntCounterVec, Opts};

pub(super) struct ProcessWide {
    pool_timeouts: IntCounter,
    /// Signs of a lost server, and the connections closed for them.
    server_lost: IntCounter,
    evicted: IntCounter,
    /// Spans exported, and dropped by reason (`queue_full`, `export_failed`).
    spans_exported: IntCounter,
    spans_dropped: IntCounterVec,
    /// Log lines dropped because the log writer's queue was full.
    log_lines_dropped: IntCounter,
}

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).expect("valid metric")
}

impl ProcessWide {
    pub(super) fn new() -> ProcessWide {
        let spans_dropped = IntCounterVec::new(
            Opts::new(
                "trace_spans_dropped_total",
                "Trace spans dropped: the export queue was full, or their export failed",
            ),
            &["reason"],
        )
        .expect("valid metric");
        for reason in ["queue_full", "export_failed"] {
            spans_dropped.with_label_values(&[reason]);
        }
        ProcessWide {
            pool_timeouts: counter(
                "db_pool_acquire_timeouts_total",
                "Requests that waited the whole acquire timeout for a connection",
            ),
            server_lost: counter(
                "db_server_lost_total",
                "Errors that meant the database server was lost (a connection-class error, \
                 a read-only server, an admin shutdown, a client-side timeout); each marks \
                 the connections open at that moment stale",
            ),
            evicted: counter(
                "db_connections_evicted_total",
                "Pooled connections closed because they were open when the server was lost",
            ),
            spans_exported: counter(
                "trace_spans_exported_total",
                "Trace spans handed to the OTLP collector",
            ),
            spans_dropped,
            log_lines_dropped: counter(
                "log_lines_dropped_total",
                "Log lines dropped because the queue to the thread that writes them to stdout \
                 was full (a slow or blocked log pipe)",
            ),
        }
    }

    pub(super) fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.pool_timeouts.clone()),
            Box::new(self.server_lost.clone()),
            Box::new(self.evicted.clone()),
            Box::new(self.spans_exported.clone()),
            Box::new(self.spans_dropped.clone()),
            Box::new(self.log_lines_dropped.clone()),
        ]
    }

    /// Brings every counter up to its process-wide value.
    pub(super) fn sync(&self) {
        let spans = crate::telemetry::span_counts();
        for (counter, now) in [
            (&self.pool_timeouts, crate::db::pool_timeouts()),
            (&self.server_lost, crate::db::failover::marks_made()),
            (&self.evicted, crate::db::failover::evicted()),
            (&self.spans_exported, spans.exported),
            (
                &self.spans_dropped.with_label_values(&["queue_full"]),
                spans.dropped_queue_full,
            ),
            (
                &self.spans_dropped.with_label_values(&["export_failed"]),
                spans.dropped_export_failed,
            ),
            (
                &self.log_lines_dropped,
                crate::telemetry::log_lines_dropped(),
            ),
        ] {
            counter.inc_by(now.saturating_sub(counter.get()));
        }
    }
}
