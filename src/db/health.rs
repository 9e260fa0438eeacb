//! A connection of readiness's own, outside the pool, so that a probe never
//! waits behind requests that hold every pooled connection. It is opened
//! with the pool's current options (a reloaded password included) and
//! opened again after any failure, and after a failover mark (its server
//! may be the old one, still answering `SELECT 1` read-only).

use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;
use tokio::sync::Mutex;

/// How long one probe may take, connecting included.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct HealthCheck {
    pool: PgPool,
    /// The probe's connection and the failover mark it was opened under.
    connection: Mutex<Option<(PgConnection, u64)>>,
}

impl HealthCheck {
    pub fn new(pool: PgPool) -> HealthCheck {
        HealthCheck {
            pool,
            connection: Mutex::new(None),
        }
    }

    /// `SELECT 1` on the probe's connection, within `PROBE_TIMEOUT`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let mut held = self.connection.lock().await;
        let generation = super::failover::generation();
        if held
            .as_ref()
            .is_some_and(|(_, opened)| *opened != generation)
        {
            *held = None;
        }
        let probe = async {
            if held.is_none() {
                let options = (*self.pool.connect_options()).clone();
                *held = Some((PgConnection::connect_with(&options).await?, generation));
            }
            let (connection, _) = held.as_mut().expect("connected above");
            sqlx::query_scalar!("SELECT 1 AS \"one!\"")
                .fetch_one(connection)
                .await
                .map(|_| ())
        };
        let result = tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut));
        if result.is_err() {
            *held = None;
        }
        result
    }
}
