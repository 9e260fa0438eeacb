//! The span queue between requests and the collector.
//!
//! A request's spans are handed to a bounded queue and nothing more: when
//! the queue is full the span is dropped and counted, so a slow or absent
//! collector never makes a request wait. One thread of its own drains the
//! queue in batches and exports them with a blocking HTTP client, which
//! needs no async runtime on that thread. `flush` waits, up to a deadline,
//! until everything queued before it has been handed to the collector.

use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Spans handed to the collector, dropped because the queue was full, and
/// lost because an export failed: process-wide, for the metrics page.
static EXPORTED: AtomicU64 = AtomicU64::new(0);
static DROPPED_QUEUE_FULL: AtomicU64 = AtomicU64::new(0);
static DROPPED_EXPORT_FAILED: AtomicU64 = AtomicU64::new(0);

/// What the queue has done since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanCounts {
    pub exported: u64,
    pub dropped_queue_full: u64,
    pub dropped_export_failed: u64,
}

pub fn counts() -> SpanCounts {
    SpanCounts {
        exported: EXPORTED.load(Ordering::Relaxed),
        dropped_queue_full: DROPPED_QUEUE_FULL.load(Ordering::Relaxed),
        dropped_export_failed: DROPPED_EXPORT_FAILED.load(Ordering::Relaxed),
    }
}

/// The queue's limits (`OTEL_BSP_*`).
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Spans held at most; more are dropped.
    pub max_queue: usize,
    /// Spans per export at most.
    pub max_batch: usize,
    /// How long a span may wait for a batch to fill.
    pub delay: Duration,
}

impl QueueLimits {
    /// `OTEL_BSP_MAX_QUEUE_SIZE` (2048), `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`
    /// (512, at most the queue) and `OTEL_BSP_SCHEDULE_DELAY` (5000 ms).
    pub fn from_env() -> anyhow::Result<QueueLimits> {
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match std::env::var(name) {
                Ok(value) => value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| anyhow::anyhow!("{name}: {value:?} is not a positive integer")),
                Err(_) => Ok(default),
            }
        };
        let max_queue = number("OTEL_BSP_MAX_QUEUE_SIZE", 2048)? as usize;
        let max_batch = (number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512)? as usize).min(max_queue);
        let delay = Duration::from_millis(number("OTEL_BSP_SCHEDULE_DELAY", 5000)?);
        Ok(QueueLimits {
            max_queue,
            max_batch,
            delay,
        })
    }
}

#[derive(Default)]
struct State {
    spans: VecDeque<SpanData>,
    /// Flushes asked for, and how many of them are done.
    flushes_asked: u64,
    flushes_done: u64,
    stopping: bool,
    stopped: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the export thread.
    work: Condvar,
    /// Wakes those waiting for a flush.
    done: Condvar,
    limits: QueueLimits,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A `SpanProcessor` over a bounded queue and an export thread.
pub struct QueueProcessor {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for QueueProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueProcessor")
            .field("limits", &self.shared.limits)
            .finish()
    }
}

impl QueueProcessor {
    /// Starts the export thread; `exporter` is built on it, so that a
    /// blocking HTTP client is made (and dropped) outside any runtime.
    pub fn start<E, F>(limits: QueueLimits, resource: Resource, exporter: F) -> anyhow::Result<Self>
    where
        E: SpanExporter + 'static,
        F: FnOnce() -> anyhow::Result<E> + Send + 'static,
    {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            limits,
        });
        let (built, made) = std::sync::mpsc::channel();
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("span-export".into())
            .spawn(move || {
                let mut exporter = match exporter() {
                    Ok(exporter) => {
                        let _ = built.send(Ok(()));
                        exporter
                    }
                    Err(error) => {
                        let _ = built.send(Err(error));
                        return;
                    }
                };
                exporter.set_resource(&resource);
                export_loop(&thread_shared, &mut exporter);
                let _ = exporter.shutdown_with_timeout(Duration::from_secs(1));
            })?;
        made.recv()
            .map_err(|_| anyhow::anyhow!("the span export thread ended at start"))??;
        Ok(QueueProcessor { shared })
    }

    /// Waits until the spans queued before the call have been exported (or
    /// found unexportable), for at most `within`.
    pub fn flush(&self, within: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + within;
        let mut state = self.shared.lock();
        if state.stopped {
            return Ok(());
        }
        state.flushes_asked += 1;
        let mine = state.flushes_asked;
        self.shared.work.notify_one();
        while state.flushes_done < mine && !state.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OTelSdkError::Timeout(within));
            }
            state = self
                .shared
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}

/// Drains the queue until told to stop: a batch when it is full, when the
/// oldest span has waited `delay`, or when a flush asks.
fn export_loop<E: SpanExporter>(shared: &Shared, exporter: &mut E) {
    let limits = shared.limits;
    loop {
        let (batch, flush_to, stop) = {
            let mut state = shared.lock();
            let waited_from = Instant::now();
            loop {
                let flushing = state.flushes_done < state.flushes_asked;
                let due = waited_from.elapsed() >= limits.delay && !state.spans.is_empty();
                if state.stopping || flushing || due || state.spans.len() >= limits.max_batch {
                    break;
                }
                let left = limits.delay.saturating_sub(waited_from.elapsed());
                state = shared
                    .work
                    .wait_timeout(state, left.max(Duration::from_millis(1)))
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            let take = state.spans.len().min(limits.max_batch);
            let batch: Vec<SpanData> = state.spans.drain(..take).collect();
            // A flush is done once the queue it saw has gone out.
            let flush_to = state.spans.is_empty().then_some(state.flushes_asked);
            (batch, flush_to, state.stopping && state.spans.is_empty())
        };
        if !batch.is_empty() {
            let size = batch.len() as u64;
            match block_on(exporter.export(batch)) {
                Ok(()) => EXPORTED.fetch_add(size, Ordering::Relaxed),
                Err(_) => DROPPED_EXPORT_FAILED.fetch_add(size, Ordering::Relaxed),
            };
        }
        let mut state = shared.lock();
        if let Some(asked) = flush_to {
            state.flushes_done = state.flushes_done.max(asked);
            shared.done.notify_all();
        }
        if stop {
            state.stopped = true;
            shared.done.notify_all();
            return;
        }
    }
}

/// Runs `work` to its end on this thread. Deliberately not a tokio
/// runtime: the blocking HTTP client runs one of its own, which refuses to
/// start or stop inside another.
fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut work = std::pin::pin!(work);
    loop {
        if let std::task::Poll::Ready(done) = work.as_mut().poll(&mut context) {
            return done;
        }
        std::thread::park();
    }
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        let mut state = self.shared.lock();
        if state.stopping {
            return;
        }
        if state.spans.len() >= self.shared.limits.max_queue {
            DROPPED_QUEUE_FULL.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.spans.push_back(span);
        if state.spans.len() == self.shared.limits.max_batch {
            self.shared.work.notify_one();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.flush(Duration::from_secs(5))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let flushed = self.flush(timeout);
        let mut state = self.shared.lock();
        state.stopping = true;
        self.shared.work.notify_one();
        drop(state);
        flushed
    }
}
