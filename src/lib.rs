//! Preferred Item Service: a brick-product catalog that answers which item
//! is preferred for a list of bricks.
//!
//! Dependencies point one way, from the top of this list to the bottom
//! (`ARCHITECTURE.md` draws the map; `tests/architecture.rs` enforces it):
//!
//! 1. `startup`: runs the command line and builds the server.
//! 2. `routes` (HTTP handlers) and `cli` (the other commands).
//! 3. `http` (errors, extractors, middleware), `metrics`, and `catalog` (the
//!    catalog in memory, followed from the database's change feed).
//! 4. `config`: settings, layered.
//! 5. `db` (storage), `wire` (JSON and the load formats), `auth` (keys),
//!    `synthetic`, `telemetry`, `local_postgres`.
//! 6. `domain`: pure types and the decision; imports nothing of ours.
//!
//! The library's surface is what the binary, the tests and the benchmarks
//! use: `cli::Cli` and `startup` to run, `config::Settings` and `auth` to
//! configure, `domain` to decide, `catalog` to check a replica's copy, `telemetry`, `local_postgres` for a
//! private cluster, and the database entry points re-exported below. The
//! rest is private to the crate, so that the compiler flags what nothing
//! uses.

pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
mod db;
pub mod domain;
mod export;
mod heap;
mod http;
pub mod local_postgres;
mod metrics;
mod routes;
mod source;
pub mod startup;
pub mod synthetic;
pub mod telemetry;
mod wire;

pub use db::{migrate, pool, seed_demo_data, PoolOptions};
