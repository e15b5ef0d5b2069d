//! `strata status` (alias `info`): every migration's state, per database.

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::migration::Version;
use strata::plan::{Plan, PlanOptions};

use super::driver::{Done, PerDatabase, for_each_database};
use super::release_at_exit;
use crate::cli::StatusArgs;
use crate::context::Ctx;
use crate::render::{DbReport, json, lines, status_table};

/// Runs `strata status`.
pub async fn run(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    let target = args
        .target
        .as_deref()
        .map(|v| super::migrate::parse_version("--target", v))
        .transpose()?;
    for_each_database(ctx, &Status { args, target }).await
}

struct Status<'a> {
    args: &'a StatusArgs,
    target: Option<Version>,
}

impl PerDatabase for Status<'_> {
    type Extra = ();

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        _: &mut (),
    ) -> Result<()> {
        let loaded = ctx.load_with_history(db, self.args.connect.wait).await?;
        r.warnings = loaded.migrations.warnings.clone();
        r.url = Some(loaded.endpoint.redacted().to_owned());
        if ctx.out.verbose {
            ctx.out
                .info(&lines::connected(&db.name, loaded.endpoint.redacted()));
        }
        let opts = PlanOptions {
            target: self.target.clone(),
            allow_out_of_order: false,
        };
        let plan = Plan::new(&loaded.migrations.list, &loaded.history, &opts);
        r.problems = plan.blockers.clone();
        r.warnings
            .extend(plan.warnings.iter().map(ToString::to_string));
        r.plan = Some(plan);
        release_at_exit(loaded);
        Ok(())
    }

    fn after(&self, ctx: &Ctx, r: &DbReport, _: &()) -> Option<anyhow::Error> {
        for w in &r.warnings {
            ctx.out.warn(&lines::warning(&r.name, w));
        }
        if !ctx.out.json && r.plan.is_some() {
            ctx.out
                .styled_result(&status_table(r, ctx.out.stdout_color));
        }
        None
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<()>]) -> impl Serialize + 'a {
        json::document(&ctx.env.name, dbs.iter().map(|d| &d.report), false)
    }
}
