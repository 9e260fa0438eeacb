//! The command line of the one binary, and the commands that need no HTTP
//! server: `migrate`, `import`, `generate` and `healthcheck`. `serve` and
//! `openapi` are run by `startup`, which owns the server.

mod export;
mod load;
mod progress;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

use crate::config::Settings;
use crate::db::bulk::LoadMode;
use crate::export::Part;
use crate::wire::records::Format;
use crate::{db, telemetry};

#[derive(Debug, Parser)]
#[command(name = "preferred-item-service", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate {
        /// Also create this login role for the service (unless it exists)
        /// and grant it rows of every table and nothing else, so that the
        /// service can run as a role that changes no table. Its password
        /// is read from `SERVICE_ROLE_PASSWORD` and used only when the
        /// role is created: afterwards rotation owns it.
        #[arg(long)]
        service_role: Option<String>,
    },
    /// Probe /health/ready on the local server; exit 0 when ready.
    Healthcheck {
        /// Probe /health/live instead: whether the process serves HTTP,
        /// whatever the database does. For container health checks.
        #[arg(long)]
        live: bool,
        /// Seconds to wait for an answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Write a synthetic catalog (items and master data) in the import format.
    Generate {
        /// How many items.
        #[arg(long)]
        items: u64,
        /// The same seed gives the same catalog.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory for items.<ext> and masterdata.<ext>.
        #[arg(long)]
        out: PathBuf,
        /// `ndjson` or `csv`.
        #[arg(long, default_value = "ndjson")]
        format: Format,
    },
    /// Write the catalog out, from one consistent snapshot, in the
    /// formats `import` reads: `items.<ext>` and `masterdata.<ext>` in
    /// `--out`, or both to standard output (`--out -`, items first; `--only`
    /// picks one).
    Export {
        /// A directory, or `-` for standard output.
        #[arg(long)]
        out: String,
        /// `ndjson` or `csv`.
        #[arg(long, default_value = "ndjson")]
        format: Format,
        /// `items` or `masterdata`: only that part.
        #[arg(long)]
        only: Option<String>,
    },
    /// Load items and/or master data from NDJSON or CSV files (`-` is
    /// stdin). Each file is all or nothing.
    Import {
        #[arg(long)]
        items: Option<String>,
        #[arg(long)]
        masterdata: Option<String>,
        /// `ndjson` or `csv`. Default: CSV for `.csv` files, NDJSON
        /// otherwise.
        #[arg(long)]
        format: Option<Format>,
        /// `upsert` adds and replaces records; `replace` makes each file the
        /// whole table (replacing items also clears master data).
        #[arg(long, default_value = "upsert")]
        mode: LoadMode,
    },
}

/// Runs a command other than `serve` and `openapi`.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve | Command::Openapi => {
            unreachable!("startup runs serve and openapi")
        }
        Command::Healthcheck { live, timeout } => {
            let settings = Settings::load()?;
            let path = if live {
                "/health/live"
            } else {
                "/health/ready"
            };
            healthcheck(settings.server.port, path, Duration::from_secs(timeout)).await
        }
        Command::Migrate { service_role } => {
            let settings = Settings::load()?;
            telemetry::init(settings.log_format(), "info");
            let pool = db::connect(settings.database_target()).await?.pool;
            db::migrate(&pool).await?;
            tracing::info!("migrations applied");
            if let Some(role) = service_role {
                let password = std::env::var("SERVICE_ROLE_PASSWORD").map_err(|_| {
                    anyhow::anyhow!(
                        "--service-role needs the role's password in SERVICE_ROLE_PASSWORD"
                    )
                })?;
                let outcome = db::roles::grant_service_role(&pool, &role, &password).await?;
                tracing::info!(role, ?outcome, "the service role has its privileges");
            }
            Ok(())
        }
        Command::Generate {
            items,
            seed,
            out,
            format,
        } => load::generate(items, seed, &out, format),
        Command::Export { out, format, only } => {
            let mut settings = Settings::load()?;
            telemetry::init(settings.log_format(), "warn");
            settings.database.statement_timeout_ms = 0;
            let pool = db::connect(settings.database_target()).await?.pool;
            let parts = match only.as_deref() {
                None => vec![Part::Items, Part::MasterData],
                Some("items") => vec![Part::Items],
                Some("masterdata") => vec![Part::MasterData],
                Some(other) => anyhow::bail!("--only: {other:?} is not items or masterdata"),
            };
            export::export(pool, &out, format, parts).await
        }
        Command::Import {
            items,
            masterdata,
            format,
            mode,
        } => {
            let mut settings = Settings::load()?;
            telemetry::init(settings.log_format(), "warn");
            // A load of millions of rows is one long COPY by design.
            settings.database.statement_timeout_ms = 0;
            settings.database.lock_timeout_ms = 0;
            let pool = db::connect(settings.database_target()).await?.pool;
            db::migrate(&pool).await?;
            load::import(
                &pool,
                items.map(|p| load::ImportFile::new(p, format)),
                masterdata.map(|p| load::ImportFile::new(p, format)),
                mode,
            )
            .await
        }
    }
}

/// A minimal HTTP/1.1 GET, so that images need no curl.
async fn healthcheck(port: u16, path: &str, timeout: Duration) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(timeout, probe)
        .await
        .context("the service did not answer in time")?
        .context("the service is not reachable")?;
    let status_line = String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if status_line.split_whitespace().nth(1) == Some("200") {
        Ok(())
    } else {
        anyhow::bail!("{path} answered {status_line}")
    }
}
