//! A connection of readiness's own, outside the pool, so that a probe never
//! waits behind requests that hold every pooled connection. It is opened
//! with the pool's current options (a reloaded password included) and
//! opened again after any failure.

use sqlx::{Connection, PgConnection, PgPool};
use std::time::Duration;
use tokio::sync::Mutex;

/// How long one probe may take, connecting included.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct HealthCheck {
    pool: PgPool,
    connection: Mutex<Option<PgConnection>>,
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
        let probe = async {
            if held.is_none() {
                let options = (*self.pool.connect_options()).clone();
                *held = Some(PgConnection::connect_with(&options).await?);
            }
            let connection = held.as_mut().expect("connected above");
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
