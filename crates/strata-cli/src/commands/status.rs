//! `strata status` (alias `info`): every migration's state, per database.

use std::time::Duration;

use anyhow::Result;
use strata::plan::{Plan, PlanOptions};

use super::{finish, record_failure, release_at_exit};
use crate::cli::StatusArgs;
use crate::context::Ctx;
use crate::render::{DbReport, json_document, status_table};

/// Runs `strata status`.
pub async fn run(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    let target = args
        .target
        .as_deref()
        .map(super::migrate::parse_target)
        .transpose()?;
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
                .load_with_history(db, Duration::from_secs(args.connect.wait))
                .await?;
            r.warnings = loaded.migrations.warnings.clone();
            r.url = Some(loaded.endpoint.redacted().to_owned());
            if ctx.out.verbose {
                ctx.out.info(&format!(
                    "{}: connected to {}",
                    db.name,
                    loaded.endpoint.redacted()
                ));
            }
            let opts = PlanOptions {
                target: target.clone(),
                allow_out_of_order: false,
            };
            let plan = Plan::new(&loaded.migrations.list, &loaded.history, &opts);
            r.problems = plan.blockers.clone();
            r.plan = Some(plan);
            release_at_exit(loaded);
            Ok(())
        }
        .await;
        if let Err(e) = result {
            record_failure(ctx, &mut r, e, &mut errors);
        }
        for w in &r.warnings {
            ctx.out.warn(&format!("{}: {w}", r.name));
        }
        if !ctx.out.json && r.plan.is_some() {
            ctx.out.result(&status_table(&r, ctx.out.stdout_color));
        }
        reports.push(r);
    }
    if ctx.out.json {
        ctx.out.json(&json_document(&ctx.env.name, &reports, false));
    }
    release_at_exit(reports);
    finish(errors)
}
