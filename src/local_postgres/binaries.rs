//! Finding the server binaries, and running them as a user they accept.

use anyhow::Context;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str = "no PostgreSQL server binaries (initdb, pg_ctl, postgres) were found \
     on PATH or under /usr/lib/postgresql/*/bin; install them (Debian: `apt-get install \
     postgresql`) or set DATABASE_URL to an existing server";

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
pub(super) struct Binaries(PathBuf);

impl Binaries {
    pub(super) fn find() -> anyhow::Result<Binaries> {
        let complete = |dir: &Path| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|b| dir.join(b).is_file())
        };
        let on_path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut debian: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        // Newest major version first.
        debian.sort_by_key(|p| {
            std::cmp::Reverse(
                p.parent()
                    .and_then(|v| v.file_name())
                    .and_then(|v| v.to_str())
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(0),
            )
        });
        // Homebrew's versioned formulae (postgresql@16, …), which are not
        // linked onto PATH by default.
        let homebrew = ["/opt/homebrew/opt", "/usr/local/opt"]
            .iter()
            .flat_map(|root| {
                fs::read_dir(root)
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
            })
            .filter(|e| e.file_name().to_string_lossy().starts_with("postgresql"))
            .map(|e| e.path().join("bin"));
        on_path
            .into_iter()
            .chain(debian)
            .chain(homebrew)
            .map(|dir| {
                fs::canonicalize(dir.join("postgres"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .unwrap_or(dir)
            })
            .find(|dir| complete(dir))
            .map(Binaries)
            .context(INSTALL_HINT)
    }

    pub(super) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

/// The user the server runs as: ourselves, or `postgres` when we are root.
pub(super) struct Owner {
    ids: Option<(u32, u32)>,
}

impl Owner {
    pub(super) fn for_current_user() -> anyhow::Result<Owner> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(Owner { ids: None });
        }
        let passwd = fs::read_to_string("/etc/passwd").context("reading /etc/passwd")?;
        let ids = passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.first() == Some(&"postgres") && fields.len() > 3)
            .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .context(
                "running as root, and there is no `postgres` user to run the local cluster as; \
                 install the PostgreSQL server packages or set DATABASE_URL",
            )?;
        Ok(Owner { ids: Some(ids) })
    }

    pub(super) fn command(&self, program: PathBuf) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.ids {
            command.uid(uid).gid(gid);
            // Keep the server out of root's home and working directory.
            command.current_dir("/");
        }
        command
    }

    pub(super) fn own(&self, path: &Path) -> anyhow::Result<()> {
        if let Some((uid, gid)) = self.ids {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .with_context(|| format!("handing {} to the postgres user", path.display()))?;
        }
        Ok(())
    }
}
