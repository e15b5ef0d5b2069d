//! `strata env`'s lines: the environment and where its name came from, its
//! env files, and per database the URL, its origin and every policy check.

use std::path::Path;

use strata::config::{EnvNameSource, Origin, PolicyReport, ResolvedEnv};

use super::json::{EnvFile, PolicyCheck};

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
