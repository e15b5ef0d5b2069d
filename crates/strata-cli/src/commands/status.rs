//! `strata status` (alias `info`): every migration's state, per database.

use std::time::Duration;

use anyhow::Result;
use strata::migrator::Migrator;
use strata::plan::PlanOptions;

use super::{finish, record_failure};
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
            let migrations = ctx.migrations(db)?;
            r.warnings = migrations.warnings.clone();
            let endpoint = ctx.endpoint(db).await?;
            r.url = Some(endpoint.redacted.clone());
            if ctx.out.verbose {
                ctx.out
                    .info(&format!("{}: connecting to {}", db.name, endpoint.redacted));
            }
            let client = ctx
                .connect(&endpoint, Duration::from_secs(args.connect.wait))
                .await?;
            let opts = strata::migrator::MigrateOptions {
                plan: PlanOptions {
                    target: target.clone(),
                    allow_out_of_order: false,
                },
                ..Default::default()
            };
            let migrator = Migrator::new(&migrations, ctx.table(db)).with_options(opts);
            let (plan, _) = migrator.plan(&client).await?;
            r.problems = plan.blockers.clone();
            r.plan = Some(plan);
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
    finish(errors)
}
