//! Preferred Item Service: a brick-product catalog that answers which item
//! is preferred for a list of bricks.
//!
//! Dependencies point inward: `routes` and `db` depend on `domain`, which
//! depends on neither. `http` holds the plumbing every route shares.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod local_postgres;
pub mod metrics;
pub mod records;
pub mod routes;
pub mod startup;
pub mod synthetic;
pub mod telemetry;
