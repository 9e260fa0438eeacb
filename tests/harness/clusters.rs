//! Databases on the tests' own clusters, and the one question the
//! failover tests ask of a replica.

use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};

use super::TestApp;

/// The URL of `database` on the server at `port` on 127.0.0.1.
pub fn url_on(port: u16, database: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/{database}")
}

/// Creates `name` on the server at `port`.
pub async fn create_database(port: u16, name: &str) {
    let mut admin = PgConnection::connect(&url_on(port, "postgres"))
        .await
        .unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .unwrap();
}

/// The answer for the demo item1's bricks: the preferred identifier, or
/// the status when there is none.
pub async fn item1(app: &TestApp) -> String {
    let question = json!({"bricks": [{"design_id": 1, "color_codes": [1, 2]}, {"design_id": 2, "color_codes": [3, 4]}]});
    let reply = app.post_json("/preferreditem", &question).await;
    match reply.status.as_u16() {
        200 => reply.body["preferred_item"]["identifier"]
            .as_str()
            .unwrap()
            .to_owned(),
        status => status.to_string(),
    }
}
