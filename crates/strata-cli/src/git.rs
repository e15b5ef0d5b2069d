//! What `strata lint --base REF` asks git: the repository around a
//! migrations folder, where the branch left REF, and which of the folder's
//! files REF has and which the branch changed. Runs the `git` binary (the
//! one the user's own hooks and CI use, with their config), every call
//! bounded by [`TIMEOUT`]; every failure is a usage error (exit 2) naming
//! the ref or the folder.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::exit::{USAGE, exit};

/// How long one git call may take (a cold `ls-tree` of a large repository
/// is well under a second).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A migrations folder inside a git repository, compared with a ref.
#[derive(Debug)]
pub struct Compared {
    /// File names (no folder) in the folder on REF's tip.
    pub on_base: Vec<String>,
    /// File names in the working tree's folder that were not there where
    /// the branch left REF (committed or not, tracked or not).
    pub added: BTreeSet<String>,
    /// File names there where the branch left REF, and changed since
    /// (commits and the working tree's uncommitted edits).
    pub edited: BTreeSet<String>,
}

/// Compares `folder` (as it is in the working tree) with `base`.
///
/// # Errors
/// Exit 2: git missing, `folder` not in a git repository, `base` unknown,
/// no common ancestor with HEAD, a git call failing or timing out.
pub fn compare(folder: &Path, base: &str, present: &[String]) -> Result<Compared> {
    let folder = folder.canonicalize().map_err(|e| {
        exit(
            USAGE,
            format!(
                "cannot read the migrations folder {}: {e}",
                folder.display()
            ),
        )
    })?;
    let top = git(&folder, &["rev-parse", "--show-toplevel"])
        .map_err(|e| e.context(format!("lint --base {base}")))?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let top = top.canonicalize().unwrap_or(top);
    let rel = folder.strip_prefix(&top).map_err(|_| {
        exit(
            USAGE,
            format!(
                "{} is not inside the git repository at {}",
                folder.display(),
                top.display()
            ),
        )
    })?;
    // The pathspec of the folder, from the top (`.` when it is the top).
    let spec = if rel.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        rel.to_str()
            .ok_or_else(|| exit(USAGE, format!("{} is not UTF-8", rel.display())))?
            .to_owned()
    };
    // A ref never starts with `-`; git would read it as an option.
    if base.starts_with('-') || base.is_empty() {
        return Err(exit(USAGE, format!("unknown git ref `{base}`")));
    }
    let tip = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        exit(
            USAGE,
            format!(
                "unknown git ref `{base}` in the repository at {}",
                top.display()
            ),
        )
    })?;
    let tip = tip.trim().to_owned();
    let fork = git(&top, &["merge-base", &tip, "HEAD"]).map_err(|e| {
        e.context(format!(
            "lint --base {base}: no common ancestor of `{base}` and HEAD"
        ))
    })?;
    let fork = fork.trim().to_owned();
    let on_base = children(&ls_tree(&top, &tip, &spec)?, &spec);
    let at_fork: BTreeSet<String> = children(&ls_tree(&top, &fork, &spec)?, &spec)
        .into_iter()
        .collect();
    let changed = git(
        &top,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            &fork,
            "--",
            &spec,
        ],
    )?;
    let changed: BTreeSet<String> = children(&split_z(&changed), &spec).into_iter().collect();
    let added = present
        .iter()
        .filter(|n| !at_fork.contains(*n))
        .cloned()
        .collect();
    let edited = present
        .iter()
        .filter(|n| at_fork.contains(*n) && changed.contains(*n))
        .cloned()
        .collect();
    Ok(Compared {
        on_base,
        added,
        edited,
    })
}

fn ls_tree(top: &Path, commit: &str, spec: &str) -> Result<Vec<String>> {
    let out = git(
        top,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            "--full-name",
            commit,
            "--",
            spec,
        ],
    )?;
    Ok(split_z(&out))
}

fn split_z(out: &str) -> Vec<String> {
    out.split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The file names directly in the folder `spec` (sub-folders hold no
/// migrations of this one), from paths relative to the top.
fn children(paths: &[String], spec: &str) -> Vec<String> {
    paths
        .iter()
        .filter_map(|p| {
            let rest = if spec == "." {
                p.as_str()
            } else {
                p.strip_prefix(spec)?.strip_prefix('/')?
            };
            (!rest.contains('/')).then(|| rest.to_owned())
        })
        .collect()
}

/// Runs `git ARGS` in `dir`; its stdout, or exit 2 with git's own message.
fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        // Folder names are paths, not patterns.
        .env("GIT_LITERAL_PATHSPECS", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            exit(
                USAGE,
                format!("cannot run git (lint --base needs it on PATH): {e}"),
            )
        })?;
    // Read both pipes while waiting: a full pipe would stall git forever.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < TIMEOUT => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(exit(
                    USAGE,
                    format!(
                        "git {} did not finish within {}s",
                        args.join(" "),
                        TIMEOUT.as_secs()
                    ),
                ));
            }
            Err(e) => return Err(exit(USAGE, format!("git {}: {e}", args.join(" ")))),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let what = if first.contains("not a git repository") {
            format!("not a git repository: {}", dir.display())
        } else {
            format!("git {} failed: {}", args.join(" "), first.trim())
        };
        return Err(exit(USAGE, what));
    }
    String::from_utf8(out).map_err(|_| {
        exit(
            USAGE,
            format!("git {}: output is not UTF-8", args.join(" ")),
        )
    })
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    })
}
