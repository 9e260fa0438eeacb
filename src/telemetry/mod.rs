//! Logs and traces: one subscriber, `json` or `pretty` logs with levels
//! from `RUST_LOG`, and, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, OpenTelemetry traces
//! exported over OTLP/HTTP (protobuf). README "Tracing" has the settings.

mod export;
mod lines;
mod propagation;
mod request;
mod sampling;

use opentelemetry::trace::{TraceContextExt, TracerProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

pub use export::{counts as span_counts, SpanCounts};
pub use propagation::{amazon_trace, remote_parent};
pub use request::{in_request_scope, in_request_scope_sync, with_current_request, RequestScope};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The tracer provider and its queue, kept for the flush at shutdown.
struct Tracing {
    provider: SdkTracerProvider,
    queue: Arc<export::QueueProcessor>,
}

static TRACING: OnceLock<Tracing> = OnceLock::new();

/// Log lines queued for the writing thread at most; past it, lines are
/// dropped and counted rather than making requests wait for stdout.
pub const LOG_LINES_QUEUED: usize = 16_384;

/// The thread that writes the server's log lines, kept so that shutdown
/// writes out what is queued, and its count of dropped lines.
struct LogWriter {
    guard: Mutex<Option<WorkerGuard>>,
    dropped: ErrorCounter,
}

static LOG_WRITER: OnceLock<LogWriter> = OnceLock::new();

/// Installs the global subscriber with logs only, written to stdout as they
/// are made (the commands, and the test harness). Safe to call more than
/// once (later calls are no-ops), which the test harness relies on.
pub fn init(format: LogFormat, default_level: &str) {
    let _ = install(format, default_level, None, std::io::stdout);
}

/// The server's logging, with traces when the environment asks for them.
/// An invalid `OTEL_*` setting is an error: the service refuses to start
/// rather than run untraced by surprise.
///
/// Log lines are handed to a thread that writes them to stdout in batches,
/// so that a request never waits on a write system call, nor on a slow or
/// blocked log pipe: at most `LOG_LINES_QUEUED` lines wait, and past that
/// they are dropped and counted (`log_lines_dropped_total`). `flush_logs`
/// writes out what is queued.
///
/// `feed_read_sampling` is the share of the catalog follower's routine feed
/// reads that are traced.
pub fn init_with_traces(
    format: LogFormat,
    default_level: &str,
    feed_read_sampling: f64,
) -> anyhow::Result<()> {
    let tracer = match traces_requested() {
        false => None,
        true => Some(start_tracing(feed_read_sampling)?),
    };
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_LINES_QUEUED)
        .thread_name("log-writer")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let _ = LOG_WRITER.set(LogWriter {
        guard: Mutex::new(Some(guard)),
        dropped: writer.error_counter(),
    });
    install(format, default_level, tracer, writer)
}

/// Log lines dropped because the writing thread's queue was full.
pub fn log_lines_dropped() -> u64 {
    LOG_WRITER
        .get()
        .map_or(0, |writer| writer.dropped.dropped_lines() as u64)
}

/// Writes out the log lines still queued and stops the writing thread;
/// lines logged afterwards are dropped. The last step of the server.
pub fn flush_logs() {
    // Dropping the guard writes out the queue and joins the thread.
    if let Some(Ok(mut guard)) = LOG_WRITER.get().map(|writer| writer.guard.lock()) {
        drop(guard.take());
    }
}

/// Whether the standard variables ask for trace export.
fn traces_requested() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim() == "true")
        || std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|v| v.trim() == "none");
    !disabled && (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
}

fn start_tracing(feed_read_sampling: f64) -> anyhow::Result<opentelemetry_sdk::trace::Tracer> {
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Ok(protocol) = std::env::var(name) {
            anyhow::ensure!(
                protocol.trim() == "http/protobuf",
                "{name}: {protocol:?} is not supported; this build exports over http/protobuf"
            );
            break;
        }
    }
    let limits = export::QueueLimits::from_env()?;
    let sampler = sampling::Sampling::from_env(feed_read_sampling)?;
    // `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` are read by the
    // resource builder; without a name the service names itself.
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok()
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|a| a.contains("service.name="));
    let mut resource = Resource::builder().with_attribute(opentelemetry::KeyValue::new(
        "service.version",
        env!("CARGO_PKG_VERSION"),
    ));
    if !named {
        resource = resource.with_service_name("preferred-item-service");
    }
    let resource = resource.build();
    let queue = Arc::new(export::QueueProcessor::start(
        limits,
        resource.clone(),
        || {
            opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .build()
                .map_err(anyhow::Error::from)
        },
    )?);
    let provider = SdkTracerProvider::builder()
        .with_span_processor(SharedQueue(queue.clone()))
        .with_sampler(sampler)
        .with_resource(resource)
        .build();
    let tracer = provider.tracer("preferred-item-service");
    let _ = TRACING.set(Tracing { provider, queue });
    Ok(tracer)
}

/// The queue, shared between the provider and the shutdown flush.
#[derive(Debug)]
struct SharedQueue(Arc<export::QueueProcessor>);

impl opentelemetry_sdk::trace::SpanProcessor for SharedQueue {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.0.on_start(span, cx)
    }

    fn on_end(&self, span: opentelemetry_sdk::trace::SpanData) {
        self.0.on_end(span)
    }

    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}

fn install<W>(
    format: LogFormat,
    default_level: &str,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
    writer: W,
) -> anyhow::Result<()>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // Spans go to the collector at `info` and above whatever `RUST_LOG`
    // keeps in the logs; sqlx's own query events stay out of them.
    let traces = tracer.map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(
                Targets::new()
                    .with_default(LevelFilter::INFO)
                    .with_target("sqlx", LevelFilter::OFF)
                    .with_target("h2", LevelFilter::OFF)
                    .with_target("hyper", LevelFilter::OFF)
                    .with_target("reqwest", LevelFilter::OFF),
            )
    });
    let registry = tracing_subscriber::registry().with(traces);
    let logs = log_layer(format, writer).with_filter(filter);
    if registry.with(logs).try_init().is_ok() {
        PRETTY.store(format == LogFormat::Pretty, Ordering::Relaxed);
    }
    Ok(())
}

fn log_layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Json => fmt::layer()
            .event_format(lines::JsonLines)
            .fmt_fields(fmt::format::JsonFields::new())
            .with_writer(writer)
            .boxed(),
        LogFormat::Pretty => fmt::layer().compact().with_writer(writer).boxed(),
    }
}

/// Exports what is queued, for at most `within`, and stops the export
/// thread: the last step of a shutdown.
pub fn shutdown(within: Duration) {
    if let Some(tracing) = TRACING.get() {
        if let Err(error) = tracing.queue.flush(within) {
            tracing::warn!(%error, "spans still queued at shutdown were not all exported");
        }
        let _ = tracing
            .provider
            .shutdown_with_timeout(Duration::from_millis(100));
    }
}

/// The trace id of `span`, when traces are on.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    TRACING.get()?;
    let cx = span.context();
    let span = cx.span();
    let context = span.span_context();
    context.is_valid().then(|| context.trace_id().to_string())
}

/// The trace id of the current span, when traces are on.
pub fn current_trace_id() -> Option<String> {
    trace_id(&tracing::Span::current())
}

/// Whether traces are being exported.
pub fn tracing_on() -> bool {
    TRACING.get().is_some()
}

/// Whether the logs are for people (`pretty`): their lines name the
/// request through its span, which JSON lines need not make.
pub fn pretty_logs() -> bool {
    PRETTY.load(Ordering::Relaxed)
}

static PRETTY: AtomicBool = AtomicBool::new(false);
