//! `strata env`'s output, lines and JSON document: the environment and
//! where its name came from, its env files, and per database the URL, its
//! origin and every policy check; also `strata dev`'s lines and
//! `strata dev status`'s document.

use std::path::Path;

use serde::Serialize;
use strata::cluster::ClusterInfo;
use strata::config::{EnvNameSource, Origin, PolicyReport, ResolvedEnv};

/// Where the environment's name came from, as `env` shows it.
pub fn source(env: &ResolvedEnv) -> &'static str {
    match env.name_source {
        EnvNameSource::Flag => "--env",
        EnvNameSource::StrataEnv => "STRATA_ENV",
        EnvNameSource::DefaultEnv => "default_env",
        EnvNameSource::Fallback => "default",
    }
}

/// The env files of the environment, relative to the project root.
pub fn env_files(root: &Path, env: &ResolvedEnv) -> Vec<EnvFile> {
    env.spec
        .env_files
        .iter()
        .map(|f| EnvFile {
            path: rel(root, f),
            loaded: env.loaded_files.contains(f),
        })
        .collect()
}

/// The first two lines: the environment, and its env files.
pub fn header(root: &Path, env: &ResolvedEnv) -> [String; 2] {
    let files = if env.spec.env_files.is_empty() {
        "none".to_owned()
    } else {
        env.spec
            .env_files
            .iter()
            .map(|f| {
                let state = if env.loaded_files.contains(f) {
                    "loaded"
                } else {
                    "not found, skipped"
                };
                format!("{} ({state})", rel(root, f))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    [
        format!(
            "environment {} (from {}){}",
            env.name,
            source(env),
            if env.spec.protected {
                ", protected"
            } else {
                ""
            }
        ),
        format!("env files: {files}"),
    ]
}

/// One line per policy check (`  ok      admin sslmode: …`), and the same
/// checks for the document.
pub fn checks(
    report: &PolicyReport,
    prefix: &str,
    lines: &mut Vec<String>,
    out: &mut Vec<PolicyCheck>,
) {
    for c in &report.checks {
        let mark = if c.passed { "ok  " } else { "FAIL" };
        lines.push(format!("  {mark}    {prefix}{}: {}", c.rule, c.message));
        out.push(PolicyCheck {
            rule: format!("{prefix}{}", c.rule).replace(' ', "_"),
            passed: c.passed,
            message: c.message.clone(),
        });
    }
}

/// `path` relative to the project root, when it is inside it.
pub fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `process` or `FILE:LINE`.
pub fn origin(root: &Path, origin: &Origin) -> String {
    match origin {
        Origin::Process => "process".to_owned(),
        Origin::File { path, line } => format!("{}:{line}", rel(root, path)),
    }
}

/// The document of `strata env`.
#[derive(Debug, Serialize)]
pub struct EnvDocument<'a> {
    pub env: &'a str,
    pub databases: Vec<&'a EnvDatabase>,
    /// Where the environment's name came from (`--env`, `STRATA_ENV` …).
    pub source: &'static str,
    pub protected: bool,
    pub env_files: Vec<EnvFile>,
}

/// An env file of the environment.
#[derive(Debug, Serialize)]
pub struct EnvFile {
    pub path: String,
    pub loaded: bool,
}

/// A database in [`EnvDocument`] (owned: it is built before the document).
#[derive(Debug, Serialize)]
pub struct EnvDatabase {
    pub name: String,
    pub url_env: String,
    pub url: Option<String>,
    /// `process`, `FILE:LINE` or `local_cluster`.
    pub origin: Option<String>,
    pub database: Option<String>,
    pub policy: Vec<PolicyCheck>,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<Admin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A policy rule's result.
#[derive(Debug, Serialize)]
pub struct PolicyCheck {
    pub rule: String,
    pub passed: bool,
    pub message: String,
}

/// The server-level connection `db create|drop|reset` would use.
#[derive(Debug, Serialize)]
pub struct Admin {
    pub url: String,
    /// Where its credentials come from.
    pub source: String,
}

/// `strata dev status` on a running cluster.
#[derive(Debug, Serialize)]
pub struct DevRunning<'a> {
    pub running: bool,
    pub port: u16,
    pub pid: u32,
    pub data_dir: &'a Path,
    pub databases: Vec<DevDatabase<'a>>,
}

/// A database of the local cluster.
#[derive(Debug, Serialize)]
pub struct DevDatabase<'a> {
    pub name: &'a str,
    pub url: String,
}

/// `strata dev status` when the cluster is not running.
#[derive(Debug, Serialize)]
pub struct DevStopped<'a> {
    pub running: bool,
    pub dir: &'a Path,
}

/// `local cluster running on 127.0.0.1:PORT (pid …, data …)` (`dev up`).
pub fn cluster_started(info: &ClusterInfo) -> String {
    format!("local cluster {}", cluster_running(info))
}

/// `running on 127.0.0.1:PORT (pid …, data …)` (`dev status`).
pub fn cluster_running(info: &ClusterInfo) -> String {
    format!(
        "running on 127.0.0.1:{} (pid {}, data {})",
        info.port,
        info.pid,
        info.data_dir.display()
    )
}

/// On stderr when a command (not `dev up`) started the local cluster: where
/// it runs, that it keeps running, and the command that stops it (`-C DIR`
/// named when the project is not the working directory).
pub fn cluster_started_by_command(info: &ClusterInfo, project: Option<&Path>) -> String {
    let stop = match project {
        Some(dir) => format!("strata -C {} dev down", dir.display()),
        None => "strata dev down".to_owned(),
    };
    format!(
        "started the local cluster: 127.0.0.1:{} (pid {}, data {}, log {}); \
         it keeps running after this command: stop it with `{stop}`",
        info.port,
        info.pid,
        info.data_dir.display(),
        info.log_file.display()
    )
}

/// `dev status` when the cluster is not running.
pub fn cluster_stopped(dir: &Path) -> String {
    format!(
        "not running (cluster dir {}); start it with `strata dev up`",
        dir.display()
    )
}

/// `  main: postgres://…`: a database of the local cluster.
pub fn cluster_url(db: &str, url: &str) -> String {
    format!("  {db}: {url}")
}
