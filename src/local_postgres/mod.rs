//! A private PostgreSQL cluster started from the server binaries installed
//! on the machine: the default database outside production, and the
//! throwaway database of the test suite.
//!
//! Binaries are looked up on `PATH`, then under Debian's
//! `/usr/lib/postgresql/<version>/bin` (newest first), then under
//! Homebrew's `opt/postgresql@<version>/bin`. `initdb` and
//! `postgres` refuse to run as root, so as root the cluster runs as the
//! `postgres` user, which the PostgreSQL packages create.

use anyhow::{bail, Context};
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod binaries;

use binaries::{Binaries, Owner};

/// A running cluster that accepts trusted connections on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    pub data_dir: PathBuf,
    pub port: u16,
}

impl LocalCluster {
    /// The URL of `database` on this cluster, as user `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the cluster in `data_dir`, creating it on first use, or
    /// reuses it when it is already running. The server keeps running after
    /// this process exits, so that the next start is instant.
    pub fn start_or_reuse(data_dir: &Path) -> anyhow::Result<LocalCluster> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        let data_dir = std::path::absolute(data_dir)
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        if let Some(port) = running_port(&data_dir) {
            return Ok(LocalCluster { data_dir, port });
        }
        if !data_dir.join("PG_VERSION").exists() {
            init(&bin, &owner, &data_dir)?;
        }
        let port = free_port()?;
        let log = data_dir.join("server.log");
        let status = owner
            .command(bin.path("pg_ctl"))
            .arg("start")
            .arg("--wait")
            .arg("--silent")
            .arg("-D")
            .arg(&data_dir)
            .arg("-l")
            .arg(&log)
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
            ))
            .stdout(Stdio::null())
            .status()
            .context("running pg_ctl start")?;
        if !status.success() {
            bail!(
                "pg_ctl could not start the local cluster; see {}",
                log.display()
            );
        }
        let cluster = LocalCluster { data_dir, port };
        cluster.wait_until_accepting(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// Starts a fresh cluster in a temporary directory, tuned for tests
    /// (no fsync), that ends with this process.
    pub fn throwaway() -> anyhow::Result<LocalCluster> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        remove_stale_throwaways();
        // One process may run several (a test of a switch between clusters).
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let data_dir = std::env::temp_dir().join(format!(
            "preferred-item-service-test-{}{suffix}",
            std::process::id()
        ));
        if data_dir.exists() {
            fs::remove_dir_all(&data_dir).context("clearing an old throwaway cluster")?;
        }
        init(&bin, &owner, &data_dir)?;
        let port = free_port()?;
        spawn_throwaway_server(&bin, &owner, &data_dir, port)?;
        let cluster = LocalCluster { data_dir, port };
        cluster.wait_until_accepting(Duration::from_secs(30))?;
        Ok(cluster)
    }

    /// Stops the server. `mode` is pg_ctl's: `fast` disconnects clients
    /// and shuts down cleanly, `immediate` kills everything at once (as a
    /// crash would).
    pub fn stop(&self, mode: &str) -> anyhow::Result<()> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        let status = owner
            .command(bin.path("pg_ctl"))
            .args(["stop", "--wait", "--silent", "-m", mode, "-D"])
            .arg(&self.data_dir)
            .status()
            .context("running pg_ctl stop")?;
        if !status.success() {
            bail!(
                "pg_ctl could not stop the cluster in {}",
                self.data_dir.display()
            );
        }
        Ok(())
    }

    /// Starts a stopped throwaway cluster again, on the same port.
    pub fn start_throwaway_again(&self) -> anyhow::Result<()> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        spawn_throwaway_server(&bin, &owner, &self.data_dir, self.port)?;
        self.wait_until_accepting(Duration::from_secs(30))
    }

    /// A streaming standby of this running cluster: a base backup taken
    /// with `pg_basebackup -R`, started as a throwaway server on a port of
    /// its own, read-only until `promote`.
    pub fn standby(&self) -> anyhow::Result<LocalCluster> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        let data_dir = self.data_dir.with_extension("standby");
        if data_dir.exists() {
            fs::remove_dir_all(&data_dir).context("clearing an old standby")?;
        }
        fs::create_dir_all(&data_dir)?;
        fs::set_permissions(&data_dir, fs::Permissions::from_mode(0o700))?;
        owner.own(&data_dir)?;
        let output = owner
            .command(bin.path("pg_basebackup"))
            .args(["-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(self.port.to_string())
            .arg("-D")
            .arg(&data_dir)
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"])
            .output()
            .context("running pg_basebackup")?;
        if !output.status.success() {
            bail!(
                "pg_basebackup failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let port = free_port()?;
        spawn_throwaway_server(&bin, &owner, &data_dir, port)?;
        let standby = LocalCluster { data_dir, port };
        standby.wait_until_accepting(Duration::from_secs(30))?;
        Ok(standby)
    }

    /// Promotes a standby to a primary (`pg_ctl promote`), on a new
    /// timeline, and waits until it takes writes.
    pub fn promote(&self) -> anyhow::Result<()> {
        let bin = Binaries::find()?;
        let owner = Owner::for_current_user()?;
        let status = owner
            .command(bin.path("pg_ctl"))
            .args(["promote", "--wait", "--silent", "-D"])
            .arg(&self.data_dir)
            .status()
            .context("running pg_ctl promote")?;
        if !status.success() {
            bail!("pg_ctl could not promote {}", self.data_dir.display());
        }
        Ok(())
    }

    fn wait_until_accepting(&self, patience: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        // The server accepts TCP before it accepts logins; a completed
        // startup is marked by "ready" in postmaster.pid.
        while started.elapsed() < patience {
            if running_port(&self.data_dir) == Some(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        bail!(
            "the local PostgreSQL cluster in {} did not become ready within {:?}",
            self.data_dir.display(),
            patience
        )
    }
}

/// Runs `postgres` for a throwaway cluster, tuned for tests (no fsync).
/// The server is a child of a thread that lives as long as this process,
/// and is told to shut down when that thread goes: when the process exits,
/// the cluster goes with it.
fn spawn_throwaway_server(
    bin: &Binaries,
    owner: &Owner,
    data_dir: &Path,
    port: u16,
) -> anyhow::Result<()> {
    let mut command = owner.command(bin.path("postgres"));
    command
        .arg("-D")
        .arg(data_dir)
        .arg("-p")
        .arg(port.to_string())
        .args(["-c", "listen_addresses=127.0.0.1"])
        .args(["-c", "unix_socket_directories="])
        .args(["-c", "fsync=off"])
        .args(["-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off"])
        .args(["-c", "max_connections=300"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // On Linux the server is told to quit when the test process dies. Other
    // systems have no such signal; their throwaway clusters are found and
    // removed by the next run (`remove_stale_throwaways`).
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("throwaway-postgres".into())
        .spawn(move || {
            let spawned = command.spawn().map(|mut child| {
                let _ = sender.send(Ok(()));
                // Reap the server when it stops, so a restart finds no
                // zombie holding its pid.
                let _ = child.wait();
            });
            if let Err(e) = spawned {
                let _ = sender.send(Err(e));
            }
            // The parent-death signal fires when this thread ends.
            loop {
                std::thread::park();
            }
        })
        .context("starting the throwaway cluster's thread")?;
    receiver
        .recv()
        .context("the throwaway cluster's thread died")?
        .context("starting postgres")
}

fn init(bin: &Binaries, owner: &Owner, data_dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))?;
    owner.own(data_dir)?;
    let output = owner
        .command(bin.path("initdb"))
        .arg("-D")
        .arg(data_dir)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .output()
        .context("running initdb")?;
    if !output.status.success() {
        bail!(
            "initdb failed in {}: {}",
            data_dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// The port of the server running in `data_dir`, once it is ready.
fn running_port(data_dir: &Path) -> Option<u16> {
    let pid_file = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let lines: Vec<&str> = pid_file.lines().collect();
    let pid: i32 = lines.first()?.trim().parse().ok()?;
    // SAFETY: signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    // A hot standby that accepts connections says "standby".
    let ready = lines
        .get(7)
        .is_some_and(|status| matches!(status.trim(), "ready" | "standby"));
    if alive && ready {
        lines.get(3)?.trim().parse().ok()
    } else {
        None
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Removes throwaway clusters of test runs whose process is gone.
fn remove_stale_throwaways() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("preferred-item-service-test-"))
            .and_then(|p| p.split(['-', '.']).next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } != 0 && running_port(&entry.path()).is_none() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
