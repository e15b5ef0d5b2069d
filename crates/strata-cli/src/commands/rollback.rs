//! `strata rollback`: run the down parts of the newest applied versions
//! (`--steps N`, default 1, or `--to VERSION`), database by database in
//! reverse `depends_on` order (dependents first). Everything is checked
//! before anything runs; the library does the work
//! ([`strata::rollback::Rollback`]).

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::migrator::{Event, Executed, Migrator};
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::RollbackArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::{DbReport, json, lines};

/// Runs `strata rollback`.
pub async fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let target = match (&args.to, args.steps) {
        (Some(v), _) => RollbackTarget::To(super::migrate::parse_version("--to", v)?),
        (None, Some(0)) => return Err(exit(USAGE, "--steps must be at least 1")),
        (None, n) => RollbackTarget::Steps(n.unwrap_or(1)),
    };
    for_each_database(ctx, &RollbackCommand { args, target }).await
}

struct RollbackCommand<'a> {
    args: &'a RollbackArgs,
    target: RollbackTarget,
}

/// What a rollback did to one database.
#[derive(Default)]
struct RolledBack {
    /// The down scripts that ran.
    done: Vec<Executed>,
    /// With `--dry-run`: the scripts that would be rolled back.
    would: Vec<String>,
}

impl PerDatabase for RollbackCommand<'_> {
    type Extra = RolledBack;
    const DEPENDENTS_FIRST: bool = true;
    const DIRECT: bool = true;

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        x: &mut RolledBack,
    ) -> Result<()> {
        let migrations = ctx.migrations(db)?;
        let endpoint = ctx.endpoint(&ctx.direct(db)).await?;
        r.url = Some(endpoint.redacted().to_owned());
        let wait = self.args.connect.wait;
        // The lock, when taken, is held on this connection's session.
        let client = ctx.connect(&endpoint, wait).await?;
        let opts = RollbackOptions {
            target: self.target.clone(),
            dry_run: self.args.dry_run,
            session: ctx.session(&self.args.lock),
            placeholders: ctx
                .placeholders(db)
                .map(|p| p.with_connection(endpoint.database(), endpoint.pg_config().get_user())),
        };
        let out = ctx.out.clone();
        let name = db.name.clone();
        let mut on_event = |ev: Event<'_>| match ev {
            Event::LockWaiting(h) => out.info(&lines::lock_waiting(&name, h)),
            Event::RolledBack(e) => out.result(&lines::rolled_back(&name, e)),
            _ => {}
        };
        let report = match Rollback::new(&migrations, ctx.table(db))
            .with_options(opts)
            .run(&client, &mut on_event)
            .await
        {
            Ok(report) => report,
            Err(e) => {
                // Versions rolled back before the failure stay rolled back: report them.
                if let Some(so_far) = e.rollback_report() {
                    x.done.clone_from(&so_far.rolled_back);
                }
                return Err(e.into());
            }
        };
        if report.dry_run {
            for i in &report.selected {
                let m = &migrations.list[*i];
                let down = strata::rollback::down_script(m)
                    .map(|d| d.name)
                    .unwrap_or_default();
                ctx.out.result(&lines::would_roll_back(&db.name, m, down));
                x.would.push(m.script.clone());
            }
        }
        if report.selected.is_empty() {
            ctx.out.result(&lines::nothing_to_roll_back(&db.name));
        }
        x.done = report.rolled_back;
        // States after the rollback: the rolled-back versions are pending again.
        let (plan, _) = Migrator::new(&migrations, ctx.table(db))
            .plan(&client)
            .await?;
        r.plan = Some(plan);
        Ok(())
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<RolledBack>]) -> impl Serialize + 'a {
        json::Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| json::RolledBack {
                    database: json::database(&d.report, false),
                    rolled_back: d.extra.done.iter().map(json::Ran::from).collect(),
                    would_roll_back: self.args.dry_run.then_some(d.extra.would.as_slice()),
                })
                .collect(),
        }
    }
}
