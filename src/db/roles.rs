//! The role the service runs as, when it is not the role that owns the
//! schema. The owner (RDS's master user) applies migrations and creates
//! this role; the service itself then reads and writes rows and can change
//! no table. In AWS the role's password rotates with Secrets Manager's
//! multi-user rotation, which alternates between this role and a clone it
//! creates as a member of this one: the previous password stays valid for
//! a whole rotation period, so running tasks keep connecting
//! (`deploy/cdk/`).

use anyhow::Context;
use sqlx::PgPool;

/// What `grant_service_role` did.
#[derive(Debug, PartialEq, Eq)]
pub enum ServiceRole {
    /// The role was created, with the given password.
    Created,
    /// The role existed; its password was left alone (rotation owns it).
    Existed,
}

/// Creates `name` (a login role with `password`) unless it exists, and
/// grants it what the service needs, now and for tables later migrations
/// create: connecting, rows of every table in `public` (read, insert,
/// update, delete, truncate), its sequences, and nothing else. Run it as
/// the owner of the schema, after the migrations. Idempotent.
pub async fn grant_service_role(
    pool: &PgPool,
    name: &str,
    password: &str,
) -> anyhow::Result<ServiceRole> {
    let mut tx = pool.begin().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
    let outcome = if exists {
        ServiceRole::Existed
    } else {
        let create: String = sqlx::query_scalar(
            "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)",
        )
        .bind(name)
        .bind(password)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("creating the service role {name}"))?;
        ServiceRole::Created
    };
    let grants: String = sqlx::query_scalar(
        "SELECT format(
            'GRANT CONNECT ON DATABASE %1$I TO %2$I;
             GRANT USAGE ON SCHEMA public TO %2$I;
             GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO %2$I;
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %2$I;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO %2$I;
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %2$I;',
            current_database(), $1::text)",
    )
    .bind(name)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(grants))
        .execute(&mut *tx)
        .await
        .with_context(|| format!("granting the service role {name} its privileges"))?;
    tx.commit().await?;
    Ok(outcome)
}
