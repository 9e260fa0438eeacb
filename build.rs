//! Names the commit the binary is built from, for the `build_info`
//! metric: `BUILD_COMMIT` when set (an image build passes it), else the
//! repository's `HEAD`, else "unknown".

use std::fs;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=BUILD_COMMIT");
    let commit = std::env::var("BUILD_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_head)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BUILD_COMMIT={}", commit.trim());
}

/// The commit `.git/HEAD` names, short; the build script runs again when
/// HEAD or the ref it names moves (only files that exist are watched, so
/// that a missing one does not rebuild every time).
fn git_head() -> Option<String> {
    let watch = |path: &str| {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    };
    watch(".git/HEAD");
    let head = fs::read_to_string(".git/HEAD").ok()?;
    let head = head.trim();
    let commit = match head.strip_prefix("ref: ") {
        None => head.to_owned(),
        Some(name) => {
            let loose = format!(".git/{name}");
            watch(&loose);
            watch(".git/packed-refs");
            fs::read_to_string(&loose).ok().or_else(|| {
                fs::read_to_string(".git/packed-refs")
                    .ok()?
                    .lines()
                    .find(|line| line.ends_with(&format!(" {name}")))
                    .and_then(|line| line.split(' ').next())
                    .map(str::to_owned)
            })?
        }
    };
    Some(commit.trim().chars().take(12).collect())
}
