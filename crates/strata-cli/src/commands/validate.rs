//! `strata validate`: files (names, duplicates, encoding, empty files) and,
//! unless `--offline`, files against the history (SPEC §4.1). Exit 3 when
//! anything is wrong.

use std::time::Duration;

use anyhow::Result;
use strata::error::Error;
use strata::migrator::Migrator;

use super::{finish_checks, record_failure};
use crate::cli::ValidateArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::{DbReport, json_document};

/// Runs `strata validate`.
pub async fn run(ctx: &Ctx, args: &ValidateArgs) -> Result<()> {
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for db in ctx.databases()? {
        let mut r = DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let migrations = match ctx.migrations(db) {
            Ok(m) => Some(m),
            Err(Error::InvalidMigrations(list)) => {
                r.file_errors = list.iter().map(ToString::to_string).collect();
                None
            }
            Err(e) if e.is_check_failure() => {
                r.file_errors = vec![e.to_string()];
                None
            }
            Err(e) => {
                record_failure(ctx, &mut r, e.into(), &mut errors);
                reports.push(r);
                continue;
            }
        };
        if let Some(m) = &migrations {
            r.warnings = m.warnings.clone();
        }
        if let (Some(migrations), false) = (&migrations, args.offline) {
            let result: Result<()> = async {
                let endpoint = ctx.endpoint(db).await?;
                r.url = Some(endpoint.redacted().to_owned());
                // SPEC: files vs history only "when the database is reachable".
                let wait = Duration::from_secs(args.connect.wait);
                let client = match ctx.connect(&endpoint, wait).await {
                    Ok(c) => c,
                    Err(e) => {
                        r.warnings.push(format!(
                            "{e:#}; checked the files only (--offline skips the database)"
                        ));
                        return Ok(());
                    }
                };
                let (plan, _) = Migrator::new(migrations, ctx.table(db))
                    .plan(&client)
                    .await?;
                r.problems = plan.blockers.clone();
                r.plan = Some(plan);
                Ok(())
            }
            .await;
            if let Err(e) = result {
                record_failure(ctx, &mut r, e, &mut errors);
            }
        }
        for w in &r.warnings {
            ctx.out.warn(&format!("{}: {w}", r.name));
        }
        for e in &r.file_errors {
            ctx.out.result(&format!("{}: {e}", r.name));
        }
        for p in &r.problems {
            ctx.out.result(&format!("{}: {p}", r.name));
        }
        let n = r.file_errors.len() + r.problems.len();
        if n > 0 {
            errors.push(exit(
                PROBLEMS,
                format!("database {}: {n} problem(s)", r.name),
            ));
        } else if r.error.is_none() {
            let files = migrations.as_ref().map_or(0, |m| m.list.len());
            let scope = if args.offline || r.plan.is_none() {
                "files"
            } else {
                "files and history"
            };
            ctx.out.result(&format!(
                "{}: ok, {files} migration(s), {scope} consistent",
                r.name
            ));
        }
        reports.push(r);
    }
    if ctx.out.json {
        ctx.out.json(&json_document(&ctx.env.name, &reports, false));
    }
    finish_checks(ctx, errors)
}
