//! The metrics listener: `GET /metrics` and `GET /catalog` on
//! `server.host:server.metrics_port`, one worker, never on the public port.

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::TcpListener;

use crate::config::Settings;
use crate::routes::{self, AppState};

/// Binds the metrics port; returns the bound port and the server.
pub fn build(settings: &Settings, state: web::Data<AppState>) -> anyhow::Result<(u16, Server)> {
    let address = format!("{}:{}", settings.server.host, settings.server.metrics_port);
    let listener = TcpListener::bind(&address)
        .with_context(|| format!("binding the metrics port {address}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes::configure_metrics)
            .wrap(actix_web::middleware::from_fn(
                crate::http::security_headers,
            ))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// Serves `server`, and the metrics listener for as long as it runs.
pub async fn serve_beside(server: Server, metrics: Option<(u16, Server)>) -> std::io::Result<()> {
    let Some((_, metrics)) = metrics else {
        return server.await;
    };
    let metrics_handle = metrics.handle();
    let public = async {
        let result = server.await;
        metrics_handle.stop(false).await;
        result
    };
    let (result, _) = tokio::join!(public, metrics);
    result
}
