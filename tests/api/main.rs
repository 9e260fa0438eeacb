//! Black-box tests of the HTTP API against a real PostgreSQL: a fresh
//! database per test, the real migrations, real HTTP on a random port.
//!
//! `DATABASE_URL` (any database on the server; it is used to create the
//! test databases) selects an existing server. Without it, a throwaway
//! cluster is started from the local PostgreSQL binaries.

mod auth;
mod bulk;
mod conditional;
mod docs;
mod errors;
mod export;
#[path = "../harness/mod.rs"]
mod harness;
mod idempotency;
mod import;
mod import_modes;
mod items;
mod masterdata;
mod ops;
#[path = "../oracle/mod.rs"]
mod oracle;
mod preferred_item;
mod properties;
mod query_plans;
mod snapshot;
mod tokens;
