//! `strata env` (SPEC §1.2): the environment in force, its env files, and
//! for each database the redacted URL, where it came from (`process` or
//! `FILE:LINE`) and every policy check's result. Nothing connects.
//!
//! Exit code: 0 when every set URL parses and passes its checks, 2 when any
//! URL is invalid or violates a rule (after showing everything). An unset
//! URL is shown, not an error: other commands report it when they need it.

use std::path::Path;

use anyhow::Result;
use serde_json::{Value, json};
use strata::config::{EnvNameSource, Origin, PolicyReport, UrlRole, check_url_policy};

use crate::context::Ctx;
use crate::exit::{USAGE, exit};

/// Runs `strata env`.
pub fn run(ctx: &Ctx) -> Result<()> {
    let root = ctx.project.root();
    let env = &ctx.env;
    let source = match env.name_source {
        EnvNameSource::Flag => "--env",
        EnvNameSource::StrataEnv => "STRATA_ENV",
        EnvNameSource::DefaultEnv => "default_env",
        EnvNameSource::Fallback => "default",
    };
    let mut files: Vec<Value> = Vec::new();
    for f in &env.spec.env_files {
        let loaded = env.loaded_files.contains(f);
        files.push(json!({"path": rel(root, f), "loaded": loaded}));
    }

    let mut bad = 0usize;
    let mut dbs: Vec<Value> = Vec::new();
    let mut lines: Vec<String> = vec![
        format!(
            "environment {} (from {source}){}",
            env.name,
            if env.spec.protected {
                ", protected"
            } else {
                ""
            }
        ),
        format!(
            "env files: {}",
            if files.is_empty() {
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
            }
        ),
    ];
    for db in ctx.databases()? {
        lines.push(String::new());
        lines.push(format!("{}  ({})", db.name, db.url_env));
        let mut v = json!({
            "name": db.name,
            "url_env": db.url_env,
            "url": null,
            "origin": null,
            "database": null,
            "policy": [],
            "passed": true,
        });
        match ctx.target(db) {
            Err(e) => {
                bad += 1;
                lines.push(format!("  error   {e:#}"));
                v["error"] = json!(format!("{e:#}"));
                v["passed"] = json!(false);
            }
            Ok(target) => {
                match (&target.url, &target.origin) {
                    (Some(url), Some(origin)) => {
                        lines.push(format!("  url     {url}"));
                        lines.push(format!("  from    {}", origin_text(root, origin)));
                        v["url"] = json!(url.redacted());
                        v["origin"] = json!(origin_text(root, origin));
                        v["database"] = json!(url.database());
                    }
                    _ if target.local_cluster => {
                        let name = format!("{}_{}", db.name, env.name);
                        lines.push(format!(
                            "  url     not set: the local cluster's database {name} is used"
                        ));
                        v["origin"] = json!("local_cluster");
                        v["database"] = json!(name);
                    }
                    _ => lines.push(format!(
                        "  url     not set ({} is empty or unset)",
                        db.url_env
                    )),
                }
                let mut checks = Vec::new();
                if let Some(report) = &target.policy {
                    show_checks(report, "", &mut lines, &mut checks);
                }
                let admin = ctx.libpq.admin_url(&target);
                if let Some((url, source)) = &admin {
                    lines.push(format!("  admin   {url}  (credentials: {source})"));
                    v["admin"] = json!({"url": url.redacted(), "source": source.to_string()});
                    let report = match &target.admin_policy {
                        Some(r) => r.clone(),
                        None => check_url_policy(&env.spec, url, UrlRole::Admin),
                    };
                    show_checks(&report, "admin ", &mut lines, &mut checks);
                }
                if checks.is_empty() && target.url.is_some() {
                    lines.push("  policy  no rules in this environment".to_owned());
                }
                let passed = checks.iter().all(|c| c["passed"] == json!(true));
                if !passed {
                    bad += 1;
                }
                v["policy"] = json!(checks);
                v["passed"] = json!(passed);
            }
        }
        dbs.push(v);
    }

    if ctx.out.json {
        ctx.out.json(&json!({
            "env": env.name,
            "databases": dbs,
            "source": source,
            "protected": env.spec.protected,
            "env_files": files,
        }));
    } else {
        for l in &lines {
            ctx.out.result(l);
        }
    }
    if bad > 0 {
        return Err(exit(
            USAGE,
            format!("{bad} database(s) have an invalid URL or fail a policy check"),
        ));
    }
    Ok(())
}

fn show_checks(report: &PolicyReport, prefix: &str, lines: &mut Vec<String>, out: &mut Vec<Value>) {
    for c in &report.checks {
        let mark = if c.passed { "ok  " } else { "FAIL" };
        lines.push(format!("  {mark}    {prefix}{}: {}", c.rule, c.message));
        out.push(json!({
            "rule": format!("{prefix}{}", c.rule).replace(' ', "_"),
            "passed": c.passed,
            "message": c.message,
        }));
    }
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn origin_text(root: &Path, origin: &Origin) -> String {
    match origin {
        Origin::Process => "process".to_owned(),
        Origin::File { path, line } => format!("{}:{line}", rel(root, path)),
    }
}
