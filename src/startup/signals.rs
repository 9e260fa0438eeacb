//! SIGTERM and SIGINT: drain, then stop.

use actix_web::dev::ServerHandle;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Waits for SIGTERM or SIGINT, then drains: readiness turns 503 (so that
/// balancers stop routing), the listener closes, and requests in flight
/// get the server's grace period. Then it waits to be stopped with the
/// other background tasks.
pub async fn stop_on_signal(handle: ServerHandle, draining: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("could not install signal handlers");
        return std::future::pending().await;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down: finishing requests in flight");
    draining.store(true, Ordering::Relaxed);
    handle.stop(true).await;
    std::future::pending::<()>().await
}
