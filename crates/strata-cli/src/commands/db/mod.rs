//! `strata db create|drop|clean|seed|wait|reset` (SPEC §4, §5), one file
//! per subcommand.
//!
//! Every refusal and confirmation happens before the first database is
//! touched ([`confirm`]): a protected environment refuses `drop`, `clean`
//! and `seed` (exit 5); `drop` and `reset` need each database's real name,
//! from `--confirm` or typed on a terminal, and a protected `reset` accepts
//! only the ceremony on a terminal ([`ceremony`]: the name, then a challenge
//! code). Then the databases run in `depends_on` order; a failure skips its
//! dependents, independent databases still run, and the exit code is 1 (or
//! the failure's own code).

mod ceremony;
mod clean;
mod confirm;
mod create;
mod drop;
mod reset;
mod seed;
mod wait;

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::DbAction;
use crate::context::{AdminEndpoint, Ctx};
use crate::render::db::{self as show, Action, DbDatabase, DbDocument};
use crate::render::{DbReport, lines};

/// Runs `strata db …`.
pub async fn run(ctx: &Ctx, action: &DbAction) -> Result<()> {
    for_each_database(ctx, &Db { action }).await
}

struct Db<'a> {
    action: &'a DbAction,
}

impl Db<'_> {
    fn verb(&self) -> &'static str {
        match self.action {
            DbAction::Create(_) => "create",
            DbAction::Drop(_) => "drop",
            DbAction::Clean(_) => "clean",
            DbAction::Seed(_) => "seed",
            DbAction::Wait(_) => "wait",
            DbAction::Reset(_) => "reset",
        }
    }
}

impl PerDatabase for Db<'_> {
    /// What was done to the database, in order.
    type Extra = Vec<Action>;
    const SKIPS_DEPENDENTS: bool = true;

    fn before(&self, ctx: &Ctx, dbs: &[&DatabaseConfig]) -> Result<()> {
        let verb = self.verb();
        match self.action {
            DbAction::Drop(a) => {
                confirm::refuse_if_protected(ctx, verb)?;
                confirm::confirm(ctx, dbs, &a.confirm, verb)
            }
            DbAction::Clean(_) | DbAction::Seed(_) => confirm::refuse_if_protected(ctx, verb),
            DbAction::Reset(a) => confirm::confirm(ctx, dbs, &a.confirm, verb),
            DbAction::Create(_) | DbAction::Wait(_) => Ok(()),
        }
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        done: &mut Vec<Action>,
    ) -> Result<()> {
        match self.action {
            DbAction::Create(a) => create::create(ctx, db, a.wait, r, done).await,
            DbAction::Drop(a) => drop::drop(ctx, db, a.connect.wait, r, done).await,
            DbAction::Clean(a) => clean::clean(ctx, db, a.wait, r, done).await,
            DbAction::Seed(a) => seed::seed(ctx, db, a.wait, r, done).await,
            DbAction::Wait(a) => wait::wait(ctx, db, a.timeout, r, done).await,
            DbAction::Reset(a) => reset::reset(ctx, db, a, r, done).await,
        }
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<Vec<Action>>]) -> impl Serialize + 'a {
        DbDocument {
            env: &ctx.env.name,
            command: format!("db {}", self.verb()),
            databases: dbs
                .iter()
                .map(|d| DbDatabase::new(&d.report, &d.extra))
                .collect(),
        }
    }

    fn summary(&self, ctx: &Ctx, dbs: &[Done<Vec<Action>>]) {
        if dbs.len() > 1 {
            ctx.out.info("summary:");
            for d in dbs {
                ctx.out.info(&lines::db_summary(&d.report));
            }
        }
    }
}

/// The real database name, a server-level connection for it (`create`,
/// `drop`) and the role that connection logs in as.
async fn admin_client(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: std::time::Duration,
    r: &mut DbReport,
) -> Result<(String, tokio_postgres::Client, Option<String>)> {
    let (name, url) = confirm::real_name(ctx, db)?;
    r.url = Some(url);
    let admin = ctx.admin_endpoint(db).await?;
    ctx.banner(db, admin.endpoint(), &name);
    show_admin(ctx, db, &admin);
    let client = ctx.connect_admin(&admin, wait).await?;
    let role = admin.endpoint().pg_config().get_user().map(str::to_owned);
    Ok((name, client, role))
}

/// With `--verbose`: which server-level connection is used, and whose
/// credentials.
fn show_admin(ctx: &Ctx, db: &DatabaseConfig, admin: &AdminEndpoint) {
    if ctx.out.verbose {
        ctx.out.info(&show::admin_connection(
            &db.name,
            admin.endpoint().redacted(),
            admin.source(),
        ));
    }
}
