//! `strata verify`: the runtime check. Exit 0 when every migration file is
//! applied with a matching checksum and nothing failed; else exit 3 with one
//! line per problem. Reads only; never changes anything.

use std::time::Duration;

use anyhow::Result;
use strata::plan::{Plan, PlanOptions};

use super::{finish_checks, record_failure, release_at_exit};
use crate::cli::ConnectArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::{DbReport, json_document};

/// Runs `strata verify`.
pub async fn run(ctx: &Ctx, args: &ConnectArgs) -> Result<()> {
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for db in ctx.databases()? {
        let mut r = DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let result: Result<()> = async {
            let loaded = ctx
                .load_with_history(db, Duration::from_secs(args.wait))
                .await?;
            r.url = Some(loaded.endpoint.redacted().to_owned());
            let plan = Plan::new(
                &loaded.migrations.list,
                &loaded.history,
                &PlanOptions::default(),
            );
            r.problems = plan.incompatibilities();
            r.plan = Some(plan);
            release_at_exit(loaded);
            Ok(())
        }
        .await;
        if let Err(e) = result {
            record_failure(ctx, &mut r, e, &mut errors);
        } else if r.problems.is_empty() {
            let (applied, _) = r.counts();
            ctx.out.result(&format!(
                "{}: ok, {applied} migrations applied and verified",
                r.name
            ));
        } else {
            for p in &r.problems {
                ctx.out.result(&format!("{}: {p}", r.name));
            }
            let n = r.problems.len();
            errors.push(exit(
                PROBLEMS,
                format!(
                    "database {}: {n} problem(s); the schema is not compatible",
                    r.name
                ),
            ));
        }
        reports.push(r);
    }
    if ctx.out.json {
        ctx.out.json(&json_document(&ctx.env.name, &reports, false));
    }
    release_at_exit(reports);
    finish_checks(ctx, errors)
}
