//! `strata env` (SPEC §1.2): the environment in force, its env files, and
//! for each database the redacted URL, where it came from (`process` or
//! `FILE:LINE`) and every policy check's result. Nothing connects.
//!
//! Exit code: 0 when every set URL parses and passes its checks, 2 when any
//! URL is invalid or violates a rule (after showing everything). An unset
//! URL is shown, not an error: other commands report it when they need it.

use anyhow::Result;
use serde::Serialize;
use strata::config::{DatabaseConfig, UrlRole, check_effective_policy, check_url_policy};

use super::driver::{Done, PerDatabase, for_each_database};
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::env::{Admin, EnvDatabase, EnvDocument};
use crate::render::{DbReport, env as show};

/// Runs `strata env`.
pub async fn run(ctx: &Ctx) -> Result<()> {
    for_each_database(ctx, &Env).await
}

struct Env;

impl PerDatabase for Env {
    /// What the document shows of the database (always set: nothing fails).
    type Extra = Option<EnvDatabase>;

    fn connects(&self) -> bool {
        false
    }

    fn before(&self, ctx: &Ctx, _: &[&DatabaseConfig]) -> Result<()> {
        for l in show::header(ctx.project.root(), &ctx.env) {
            ctx.out.result(&l);
        }
        Ok(())
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        _: &mut DbReport,
        shown: &mut Option<EnvDatabase>,
    ) -> Result<()> {
        let (lines, v) = database(ctx, db);
        for l in &lines {
            ctx.out.result(l);
        }
        *shown = Some(v);
        Ok(())
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<EnvDatabase>>],
    ) -> impl Serialize + 'a {
        let env = &ctx.env;
        EnvDocument {
            env: &env.name,
            databases: dbs.iter().filter_map(|d| d.extra.as_ref()).collect(),
            source: show::source(env),
            protected: env.spec.protected,
            env_files: show::env_files(ctx.project.root(), env),
        }
    }

    fn conclude(&self, dbs: &[Done<Option<EnvDatabase>>]) -> Result<()> {
        let bad = dbs
            .iter()
            .filter(|d| d.extra.as_ref().is_some_and(|v| !v.passed))
            .count();
        if bad > 0 {
            return Err(exit(
                USAGE,
                format!("{bad} database(s) have an invalid URL or fail a policy check"),
            ));
        }
        Ok(())
    }
}

/// A database's lines and its entry in the document.
fn database(ctx: &Ctx, db: &DatabaseConfig) -> (Vec<String>, EnvDatabase) {
    let root = ctx.project.root();
    let env = &ctx.env;
    let mut lines = vec![String::new(), format!("{}  ({})", db.name, db.url_env)];
    let mut v = EnvDatabase {
        name: db.name.clone(),
        url_env: db.url_env.clone(),
        url: None,
        origin: None,
        database: None,
        policy: Vec::new(),
        passed: true,
        admin: None,
        error: None,
    };
    let target = match ctx.target(db) {
        Err(e) => {
            lines.push(format!("  error   {e:#}"));
            v.error = Some(format!("{e:#}"));
            v.passed = false;
            return (lines, v);
        }
        Ok(target) => target,
    };
    match (&target.url, &target.origin) {
        (Some(url), Some(origin)) => {
            lines.push(format!("  url     {url}"));
            lines.push(format!("  from    {}", show::origin(root, origin)));
            v.url = Some(url.redacted());
            v.origin = Some(show::origin(root, origin));
            v.database = Some(url.database().to_owned());
        }
        _ if target.local_cluster => {
            let name = format!("{}_{}", db.name, env.name);
            lines.push(format!(
                "  url     not set: the local cluster's database {name} is used"
            ));
            v.origin = Some("local_cluster".to_owned());
            v.database = Some(name);
        }
        _ => lines.push(format!(
            "  url     not set ({} is empty or unset)",
            db.url_env
        )),
    }
    if let Some(report) = &target.policy {
        show::checks(report, "", &mut lines, &mut v.policy);
    }
    if let Some((url, source)) = &ctx.libpq.admin_url(&target) {
        lines.push(format!("  admin   {url}  (credentials: {source})"));
        v.admin = Some(Admin {
            url: url.redacted(),
            source: source.to_string(),
        });
        let report = match &target.admin_policy {
            Some(r) => r.clone(),
            None => match ctx.libpq.effective(url) {
                Ok(effective) => check_effective_policy(&env.spec, url, &effective, UrlRole::Admin),
                Err(_) => check_url_policy(&env.spec, url, UrlRole::Admin),
            },
        };
        show::checks(&report, "admin ", &mut lines, &mut v.policy);
    }
    if v.policy.is_empty() && target.url.is_some() {
        lines.push("  policy  no rules in this environment".to_owned());
    }
    v.passed = v.policy.iter().all(|c| c.passed);
    (lines, v)
}
