//! The service against a PostgreSQL that accepts only TLS (`hostssl`), with
//! a certificate authority made here: `sslmode`/`sslrootcert` from the URL
//! and from the PG* variables, refusals that say why, a password file
//! rotated while the service runs, and the two health probes with the
//! database stopped. The service runs as its real binary, in production
//! mode. Certificates come from the openssl command, which the PostgreSQL
//! server packages pull in.

#[path = "harness/mod.rs"]
mod harness;

use harness::{eventually_or, free_port};
use preferred_item_service::local_postgres::LocalCluster;
use sqlx::{Connection, Executor, PgConnection};
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The log a service wrote so far.
fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

async fn status_on(port: u16, path: &str) -> u16 {
    reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .map_or(0, |r| r.status().as_u16())
}

const BINARY: &str = env!("CARGO_BIN_EXE_preferred-item-service");
const DATABASE: &str = "catalog";

/// The TLS-only cluster, its CA, a CA it does not know, and where the
/// files live.
struct Tls {
    cluster: LocalCluster,
    ca: PathBuf,
    other_ca: PathBuf,
}

/// The tests take turns: one of them stops the cluster.
static TURN: Mutex<()> = Mutex::const_new(());

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running openssl");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA and a server certificate for `localhost` signed by it, and a
/// second CA that signed nothing.
fn make_certificates(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for name in ["ca", "other-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=test {name}"),
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}

fn tls() -> &'static Tls {
    static TLS: OnceLock<Tls> = OnceLock::new();
    TLS.get_or_init(|| {
        let cluster = LocalCluster::throwaway().expect("starting a throwaway cluster");
        let data = &cluster.data_dir;
        let certs = data.with_extension("certs");
        make_certificates(&certs);
        let owner = std::fs::metadata(data).unwrap();
        for (from, to) in [("server.pem", "server.crt"), ("server.key", "server.key")] {
            let target = data.join(to);
            std::fs::copy(certs.join(from), &target).unwrap();
            chown(&target, Some(owner.uid()), Some(owner.gid())).unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(
            data.join("postgresql.auto.conf"),
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
        )
        .unwrap();
        // TLS only: the role `rotating` logs in with a password, everyone
        // else is trusted, and nothing without TLS gets in.
        std::fs::write(
            data.join("pg_hba.conf"),
            "hostssl all rotating 127.0.0.1/32 scram-sha-256\n\
             hostssl all rotating ::1/128 scram-sha-256\n\
             hostssl all all 127.0.0.1/32 trust\n\
             hostssl all all ::1/128 trust\n",
        )
        .unwrap();
        cluster.stop("fast").unwrap();
        cluster.start_throwaway_again().unwrap();
        Tls {
            ca: certs.join("ca.pem"),
            other_ca: certs.join("other-ca.pem"),
            cluster,
        }
    })
}

/// An admin connection, over TLS (trusted as `postgres`).
async fn admin(database: &str) -> PgConnection {
    let t = tls();
    let url = format!(
        "postgres://postgres@localhost:{}/{database}?sslmode=verify-full&sslrootcert={}",
        t.cluster.port,
        t.ca.display()
    );
    PgConnection::connect(&url)
        .await
        .expect("connecting as admin over TLS")
}

/// A fresh catalog database owned by `rotating` (password `first`).
async fn fresh_database() {
    let mut conn = admin("postgres").await;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
    )))
    .await
    .unwrap();
    conn.execute("DROP ROLE IF EXISTS rotating").await.unwrap();
    conn.execute("CREATE ROLE rotating LOGIN PASSWORD 'first'")
        .await
        .unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {DATABASE} OWNER rotating"
    )))
    .await
    .unwrap();
}

/// The binary in production mode with `env` and nothing else of ours.
struct Service {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Service {
    fn start(env: &[(&str, String)]) -> Service {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("pis-conn-{}-{port}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(BINARY)
            .env_clear()
            .env("APP_ENVIRONMENT", "production")
            .env("APP__AUTH__MODE", "off")
            .env("APP__AUTH__ALLOW_OFF_IN_PRODUCTION", "true")
            .env("APP__SERVER__HOST", "127.0.0.1")
            .env("APP__SERVER__PORT", port.to_string())
            .env("APP__SERVER__METRICS_PORT", "0")
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        Service { child, port, log }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for readiness; panics with the log if it does not come.
    async fn ready(&mut self) {
        let log = self.log.clone();
        let Service { child, port, .. } = self;
        eventually_or(
            Duration::from_secs(30),
            || {
                if let Ok(Some(exit)) = child.try_wait() {
                    panic!("the service exited ({exit}):\n{}", read(&log));
                }
                async { (status_on(*port, "/health/ready").await == 200).then_some(()) }
            },
            || format!("not ready:\n{}", read(&log)),
        )
        .await;
    }

    async fn status(&self, path: &str) -> u16 {
        status_on(self.port, path).await
    }

    /// Waits for the process to give up; its exit status and log.
    async fn refusal(mut self) -> (bool, String) {
        let log = self.log.clone();
        let child = &mut self.child;
        let success = eventually_or(
            Duration::from_secs(15),
            || std::future::ready(child.try_wait().unwrap().map(|exit| exit.success())),
            || format!("still running:\n{}", read(&log)),
        )
        .await;
        (success, self.output())
    }

    fn healthcheck(&self, live: bool) -> bool {
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("APP__SERVER__PORT", self.port.to_string())
            .arg("healthcheck");
        if live {
            command.arg("--live");
        }
        command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn url(sslmode: &str, ca: &Path, host: &str) -> String {
    format!(
        "postgres://rotating:first@{host}:{}/{DATABASE}?sslmode={sslmode}&sslrootcert={}",
        tls().cluster.port,
        ca.display()
    )
}

#[tokio::test]
async fn verify_full_with_the_right_ca_is_ready_and_every_connection_is_encrypted() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let mut service =
        Service::start(&[("DATABASE_URL", url("verify-full", &tls().ca, "localhost"))]);
    service.ready().await;
    let mut conn = admin(DATABASE).await;
    let (total, encrypted): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE s.ssl)
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name = 'preferred-item-service'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(total >= 1, "the service holds no connection");
    assert_eq!(encrypted, total);
    assert!(
        !service.output().contains("not verified"),
        "{}",
        service.output()
    );
}

#[tokio::test]
async fn a_connection_that_is_not_verified_is_named_in_one_warning() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let mut service = Service::start(&[("DATABASE_URL", url("require", &tls().ca, "localhost"))]);
    service.ready().await;
    let log = service.output();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("not verified")).collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains(r#""sslmode":"require""#), "{log}");
}

#[tokio::test]
async fn refusals_at_start_say_why_and_end_the_process() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let cases = [
        (
            "an unknown CA",
            url("verify-full", &tls().other_ca, "localhost"),
            "TLS to the database failed",
        ),
        (
            "a host name the certificate does not name",
            url("verify-full", &tls().ca, "127.0.0.1"),
            "TLS to the database failed",
        ),
        (
            "no TLS",
            url("disable", &tls().ca, "localhost"),
            "the database refused the connection",
        ),
    ];
    for (case, database_url, expected) in cases {
        let started = Instant::now();
        let (success, log) = Service::start(&[("DATABASE_URL", database_url)])
            .refusal()
            .await;
        assert!(!success, "{case}: exited 0");
        assert!(log.contains(expected), "{case}: {log}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{case}: retried for {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn production_starts_from_the_pg_variables_alone() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let t = tls();
    let mut service = Service::start(&[
        ("PGHOST", "localhost".into()),
        ("PGPORT", t.cluster.port.to_string()),
        ("PGUSER", "rotating".into()),
        ("PGPASSWORD", "first".into()),
        ("PGDATABASE", DATABASE.into()),
        ("PGSSLMODE", "verify-full".into()),
        ("PGSSLROOTCERT", t.ca.display().to_string()),
    ]);
    service.ready().await;
    assert_eq!(service.status("/items").await, 200);
    assert!(!service.output().contains("not verified"));
}

#[tokio::test]
async fn a_rotated_password_file_reaches_new_connections_without_a_restart() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let t = tls();
    let file = t.ca.with_file_name("password");
    std::fs::write(&file, "first\n").unwrap();
    let database_url = format!(
        "postgres://rotating@localhost:{}/{DATABASE}?sslmode=verify-full&sslrootcert={}",
        t.cluster.port,
        t.ca.display()
    );
    let mut service = Service::start(&[
        ("DATABASE_URL", database_url),
        ("APP__DATABASE__PASSWORD_FILE", file.display().to_string()),
    ]);
    service.ready().await;

    // Rotate: the database first, then the file, as Secrets Manager does.
    let mut conn = admin("postgres").await;
    conn.execute("ALTER ROLE rotating PASSWORD 'second'")
        .await
        .unwrap();
    std::fs::write(&file, "second\n").unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rotated_at: chrono_free::Now = chrono_free::now(&mut conn).await;
    // Every open connection goes; the next request must log in anew.
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'rotating'",
    )
    .await
    .unwrap();
    // A read that needs the database (readiness would not: the catalog in
    // memory keeps it green).
    eventually_or(
        Duration::from_secs(10),
        || async { (service.status("/items?limit=1").await == 200).then_some(()) },
        || format!("not ready after rotation:\n{}", service.output()),
    )
    .await;
    let fresh: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE usename = 'rotating' AND backend_start > $1::timestamptz",
    )
    .bind(rotated_at.0)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(fresh >= 1, "no connection was opened with the new password");
    assert!(service.output().contains("database password reloaded"));
}

/// With the database stopped: liveness passes whatever the source;
/// readiness fails with the database source, and passes with the catalog
/// in memory, which still answers preferred-item reads.
async fn health_with_the_database_stopped(source: &str) -> (bool, bool) {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let mut service = Service::start(&[
        ("DATABASE_URL", url("verify-full", &tls().ca, "localhost")),
        ("APP__PREFERRED_ITEM__SOURCE", source.into()),
    ]);
    service.ready().await;
    assert!(service.healthcheck(true));
    assert!(service.healthcheck(false));
    tls().cluster.stop("fast").unwrap();
    // The catalog's follower notices within its poll interval.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let live = service.healthcheck(true);
    let ready = service.healthcheck(false);
    tls().cluster.start_throwaway_again().unwrap();
    (live, ready)
}

#[tokio::test]
async fn with_the_database_stopped_live_passes_and_ready_follows_the_source() {
    let (live, ready) = health_with_the_database_stopped("database").await;
    assert!(live, "healthcheck --live failed with the database stopped");
    assert!(
        !ready,
        "database source: healthcheck passed with the database stopped"
    );
    let (live, ready) = health_with_the_database_stopped("memory").await;
    assert!(live, "healthcheck --live failed with the database stopped");
    assert!(
        ready,
        "memory source: the replica still answers, so it stays ready"
    );
}

/// The database's clock as text, so that no date crate is needed.
mod chrono_free {
    pub struct Now(pub String);

    pub async fn now(conn: &mut sqlx::PgConnection) -> Now {
        Now(sqlx::query_scalar("SELECT now()::text")
            .fetch_one(conn)
            .await
            .unwrap())
    }
}

/// The libpq variables for `user` with `password` over verified TLS, as
/// ECS fills them from a secret.
fn pg_environment(user: &str, password: &str) -> Vec<(&'static str, String)> {
    let t = tls();
    vec![
        ("PGHOST", "localhost".into()),
        ("PGPORT", t.cluster.port.to_string()),
        ("PGUSER", user.into()),
        ("PGPASSWORD", password.into()),
        ("PGDATABASE", DATABASE.into()),
        ("PGSSLMODE", "verify-full".into()),
        ("PGSSLROOTCERT", t.ca.display().to_string()),
    ]
}

/// A write and a read through `service`, each on a connection opened now
/// (every connection of `user` is closed first, so each must log in).
async fn works_on_new_connections(service: &Service, user: &str) {
    let mut conn = admin("postgres").await;
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
        .bind(user)
        .execute(&mut conn)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let id = format!("rotated-{}", uuid::Uuid::new_v4().simple());
    let put = eventually_or(
        Duration::from_secs(10),
        || async {
            let reply = client
                .put(format!("http://127.0.0.1:{}/items/{id}", service.port))
                .json(&serde_json::json!({"bricks": [{"design_id": 1, "color_codes": [1]}]}))
                .send()
                .await
                .ok()?;
            (reply.status() == 201).then_some(reply.status())
        },
        || format!("{user} could not write:\n{}", service.output()),
    )
    .await;
    assert_eq!(put, 201);
    assert_eq!(service.status(&format!("/items/{id}")).await, 200);
}

/// Secrets Manager's multi-user rotation, as the CDK app sets it up: the
/// schema's owner runs `migrate --service-role`, the service runs as that
/// role, and each rotation switches the secret between the role and a
/// clone that is a member of it, changing only the password of the one
/// the secret switches to. A task keeps connecting through the next
/// rotation; a task started after it uses the clone.
#[tokio::test]
async fn multi_user_rotation_never_breaks_a_running_task() {
    let _turn = TURN.lock().await;
    fresh_database().await;
    let mut conn = admin("postgres").await;
    conn.execute("DROP ROLE IF EXISTS catalog_app_clone, catalog_app")
        .await
        .unwrap();
    // The owner may create roles, as RDS's master user may.
    conn.execute("ALTER ROLE rotating CREATEROLE")
        .await
        .unwrap();

    let migrate = |password: &str| {
        let t = tls();
        Command::new(BINARY)
            .env_clear()
            .env("APP_ENVIRONMENT", "production")
            .env("APP__AUTH__MODE", "off")
            .env("APP__AUTH__ALLOW_OFF_IN_PRODUCTION", "true")
            .env("RUST_LOG", "warn")
            .env(
                "DATABASE_URL",
                format!(
                    "postgres://rotating:first@localhost:{}/{DATABASE}?sslmode=verify-full&sslrootcert={}",
                    t.cluster.port,
                    t.ca.display()
                ),
            )
            .env("SERVICE_ROLE_PASSWORD", password)
            .args(["migrate", "--service-role", "catalog_app"])
            .output()
            .unwrap()
    };
    let out = migrate("app-1");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Again, with another password: the role exists, its password stays.
    let out = migrate("not-used");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The role reads and writes rows, and can change no table.
    let role_url = |user: &str, password: &str| {
        let t = tls();
        format!(
            "postgres://{user}:{password}@localhost:{}/{DATABASE}?sslmode=verify-full&sslrootcert={}",
            t.cluster.port,
            t.ca.display()
        )
    };
    let mut as_role = PgConnection::connect(&role_url("catalog_app", "app-1"))
        .await
        .expect("the role logs in with the password it was created with");
    for ddl in [
        "CREATE TABLE intruder (x int)",
        "DROP TABLE items",
        "ALTER TABLE items ADD COLUMN x int",
    ] {
        let refused = as_role.execute(ddl).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code()).unwrap();
        assert!(code == "42501" || code == "42P01", "{ddl}: {refused}");
    }
    drop(as_role);

    let mut first = Service::start(&pg_environment("catalog_app", "app-1"));
    first.ready().await;
    works_on_new_connections(&first, "catalog_app").await;

    // Rotation 1: the clone is created with a new password; the secret now
    // names the clone. The running task's password still works.
    conn.execute("CREATE ROLE catalog_app_clone LOGIN PASSWORD 'app-2'")
        .await
        .unwrap();
    conn.execute("GRANT catalog_app TO catalog_app_clone")
        .await
        .unwrap();
    works_on_new_connections(&first, "catalog_app").await;
    let mut second = Service::start(&pg_environment("catalog_app_clone", "app-2"));
    second.ready().await;
    works_on_new_connections(&second, "catalog_app_clone").await;

    // Rotation 2 changes the role's password; the task started after
    // rotation 1 is untouched. (A task started before rotation 1 must have
    // been replaced by now: one rotation period, 30 days, is its bound.)
    conn.execute("ALTER ROLE catalog_app PASSWORD 'app-3'")
        .await
        .unwrap();
    works_on_new_connections(&second, "catalog_app_clone").await;
}
