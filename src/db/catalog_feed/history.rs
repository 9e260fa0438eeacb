//! Which history of which server a feed position belongs to, and how a
//! server tells it.

use sqlx::PgConnection;

/// Which history of which server a position was read from. Transaction ids
/// only order events within one history: after a restore, a failover to a
/// standby that missed commits, or a switch to another cluster, they can
/// go back or mean something else, and a position means nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// `pg_control_system().system_identifier`: another cluster has
    /// another (`None` where the server does not say).
    pub system: Option<String>,
    /// `pg_control_checkpoint().timeline_id`: a promoted standby starts a
    /// new one.
    pub timeline: Option<i32>,
    /// The feed's `trimmed_below`, which only grows within one history.
    pub trimmed_below: u64,
}

impl History {
    /// Why `now` is not the history `self` was read from, if it is not:
    /// another server or timeline, or ids that went back.
    pub(super) fn changed(&self, now: &History, xmin: u64, below: u64) -> Option<&'static str> {
        if now.system != self.system {
            Some("another cluster")
        } else if now.timeline != self.timeline {
            Some("another timeline")
        } else if xmin < below {
            Some("transaction ids went back")
        } else if now.trimmed_below < self.trimmed_below {
            Some("the feed's trim mark went back")
        } else {
            None
        }
    }
}

/// The server's system identifier and timeline; `None` each where the
/// server does not tell (a managed variant may not). The timeline is the
/// one WAL is being written on, from the name of the current WAL file: a
/// promoted standby writes on a new timeline at once, while its control
/// file's checkpoint names the old one until its first checkpoint ends.
pub(super) async fn server_identity(
    conn: &mut PgConnection,
) -> Result<(Option<String>, Option<i32>), sqlx::Error> {
    let system = optional(
        conn,
        "SELECT system_identifier::text FROM pg_control_system()",
    )
    .await?;
    let timeline = match optional(
        conn,
        "SELECT (('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int)::text",
    )
    .await?
    {
        Some(timeline) => Some(timeline),
        None => {
            optional(
                conn,
                "SELECT timeline_id::text FROM pg_control_checkpoint()",
            )
            .await?
        }
    };
    Ok((system, timeline.and_then(|t| t.parse().ok())))
}

/// The one text value `sql` selects, or `None` when the server refuses it
/// (a function a managed variant lacks or does not allow), read in a
/// savepoint so that a refusal leaves the snapshot usable.
async fn optional(
    conn: &mut PgConnection,
    sql: &'static str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::raw_sql("SAVEPOINT identity")
        .execute(&mut *conn)
        .await?;
    let value: Result<Option<String>, sqlx::Error> =
        sqlx::query_scalar(sql).fetch_one(&mut *conn).await;
    match value {
        Ok(value) => {
            sqlx::raw_sql("RELEASE SAVEPOINT identity")
                .execute(&mut *conn)
                .await?;
            Ok(value)
        }
        Err(sqlx::Error::Database(e)) => {
            tracing::debug!(error = %e, sql, "the server does not tell");
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT identity")
                .execute(&mut *conn)
                .await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::db::catalog_feed::history::History;

    #[test]
    fn a_position_belongs_to_one_history() {
        let at = |system: &str, timeline, trimmed_below| History {
            system: Some(system.to_owned()),
            timeline: Some(timeline),
            trimmed_below,
        };
        let read = at("7714", 1, 500);
        assert_eq!(read.changed(&at("7714", 1, 500), 900, 900), None);
        assert_eq!(read.changed(&at("7714", 1, 700), 950, 900), None);
        assert_eq!(
            read.changed(&at("8000", 1, 500), 950, 900),
            Some("another cluster")
        );
        assert_eq!(
            read.changed(&at("7714", 2, 500), 950, 900),
            Some("another timeline")
        );
        assert_eq!(
            read.changed(&at("7714", 1, 500), 850, 900),
            Some("transaction ids went back")
        );
        assert_eq!(
            read.changed(&at("7714", 1, 400), 950, 900),
            Some("the feed's trim mark went back")
        );
    }
}
