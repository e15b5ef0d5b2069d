//! `strata verify`: the runtime check. Exit 0 when every migration file is
//! applied with a matching checksum and nothing failed; else exit 3 with one
//! line per problem. Reads only; never changes anything.

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::plan::{Plan, PlanOptions};

use super::driver::{Done, PerDatabase, for_each_database};
use super::release_at_exit;
use crate::cli::ConnectArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::{DbReport, json, lines};

/// Runs `strata verify`.
pub async fn run(ctx: &Ctx, args: &ConnectArgs) -> Result<()> {
    for_each_database(ctx, &Verify { args }).await
}

struct Verify<'a> {
    args: &'a ConnectArgs,
}

impl PerDatabase for Verify<'_> {
    type Extra = ();

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        _: &mut (),
    ) -> Result<()> {
        let loaded = ctx.load_with_history(db, self.args.wait).await?;
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

    fn after(&self, ctx: &Ctx, r: &DbReport, _: &()) -> Option<anyhow::Error> {
        if r.error.is_some() {
            return None;
        }
        if r.problems.is_empty() {
            ctx.out.result(&lines::verified(r));
            return None;
        }
        for p in &r.problems {
            ctx.out.result(&lines::problem(&r.name, p));
        }
        let n = r.problems.len();
        Some(exit(
            PROBLEMS,
            format!(
                "database {}: {n} problem(s); the schema is not compatible",
                r.name
            ),
        ))
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<()>]) -> impl Serialize + 'a {
        json::document(&ctx.env.name, dbs.iter().map(|d| &d.report), false)
    }
}
