//! Idempotency keys in PostgreSQL: a claim per (caller, key), the answer
//! stored once the request is done, trimmed after a retention time. Every
//! replica reads the same table, so a retry sent to another replica gets
//! the same answer.

use sqlx::PgPool;
use std::time::Duration;

/// An answer as stored, to be sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

/// What a claim of a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This request holds the key: run it, then `complete` or `release`.
    Mine,
    /// Another request with the key is still running.
    Running,
    /// The key was used for another route or another body.
    Mismatch,
    /// The key's request is done: its answer.
    Done(StoredAnswer),
}

type Row = (
    String,
    Vec<u8>,
    Option<i16>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

/// Claims `key` of `caller` for a request to `route` whose body hashes to
/// `request_hash`. A claim left unfinished for longer than `lease` (its
/// replica died between claiming and storing) is taken over.
#[tracing::instrument(name = "INSERT idempotency_keys", skip_all, fields(db.system.name = "postgresql", db.operation.name = "INSERT", db.collection.name = "idempotency_keys", otel.kind = "client"))]
pub async fn claim(
    pool: &PgPool,
    caller: &str,
    key: &str,
    route: &str,
    request_hash: &[u8],
    lease: Duration,
) -> Result<Claim, sqlx::Error> {
    for _ in 0..3 {
        let mine: Option<(bool,)> = sqlx::query_as(
            "INSERT INTO idempotency_keys (caller, key, route, request_hash)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (caller, key) DO UPDATE
                 SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash,
                     claimed_at = now(), created_at = now()
                 WHERE idempotency_keys.status IS NULL
                   AND idempotency_keys.claimed_at < now() - make_interval(secs => $5)
             RETURNING true",
        )
        .bind(caller)
        .bind(key)
        .bind(route)
        .bind(request_hash)
        .bind(lease.as_secs_f64())
        .fetch_optional(pool)
        .await?;
        if mine.is_some() {
            return Ok(Claim::Mine);
        }
        let row: Option<Row> = sqlx::query_as(
            "SELECT route, request_hash, status, content_type, location, etag, body
             FROM idempotency_keys WHERE caller = $1 AND key = $2",
        )
        .bind(caller)
        .bind(key)
        .fetch_optional(pool)
        .await?;
        // Gone between the two statements (released or trimmed): again.
        let Some((stored_route, stored_hash, status, content_type, location, etag, body)) = row
        else {
            continue;
        };
        if stored_route != route || stored_hash != request_hash {
            return Ok(Claim::Mismatch);
        }
        return Ok(match status {
            None => Claim::Running,
            Some(status) => Claim::Done(StoredAnswer {
                status: status as u16,
                content_type,
                location,
                etag,
                body: body.unwrap_or_default(),
            }),
        });
    }
    Ok(Claim::Running)
}

/// Stores the answer of the request that holds the key.
#[tracing::instrument(name = "UPDATE idempotency_keys", skip_all, fields(db.system.name = "postgresql", db.operation.name = "UPDATE", db.collection.name = "idempotency_keys", otel.kind = "client"))]
pub async fn complete(
    pool: &PgPool,
    caller: &str,
    key: &str,
    answer: &StoredAnswer,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys
         SET status = $3, content_type = $4, location = $5, etag = $6, body = $7
         WHERE caller = $1 AND key = $2",
    )
    .bind(caller)
    .bind(key)
    .bind(answer.status as i16)
    .bind(answer.content_type.as_deref())
    .bind(answer.location.as_deref())
    .bind(answer.etag.as_deref())
    .bind(&answer.body)
    .execute(pool)
    .await?;
    Ok(())
}

/// Gives the key up, unanswered: the request failed in a way a retry may
/// not (the database was away), so the next try runs again.
#[tracing::instrument(name = "DELETE idempotency_keys", skip_all, fields(db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "idempotency_keys", otel.kind = "client"))]
pub async fn release(pool: &PgPool, caller: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND status IS NULL")
        .bind(caller)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes the keys older than `retention`, in slices so that no statement
/// runs long; returns how many went.
#[tracing::instrument(name = "DELETE idempotency_keys", skip_all, fields(db.system.name = "postgresql", db.operation.name = "DELETE", db.collection.name = "idempotency_keys", otel.kind = "client"))]
pub async fn trim(pool: &PgPool, retention: Duration) -> Result<u64, sqlx::Error> {
    let mut trimmed = 0;
    loop {
        let deleted = sqlx::query(
            "DELETE FROM idempotency_keys WHERE ctid IN (
                 SELECT ctid FROM idempotency_keys
                 WHERE created_at < now() - make_interval(secs => $1)
                 LIMIT 5000)",
        )
        .bind(retention.as_secs_f64())
        .execute(pool)
        .await?
        .rows_affected();
        trimmed += deleted;
        if deleted < 5000 {
            return Ok(trimmed);
        }
    }
}
