use clap::Parser;
use preferred_item_service::{cli::Cli, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    startup::run(Cli::parse()).await
}
