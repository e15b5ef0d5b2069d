//! `strata repair`: remove failed rows and, with `--accept-checksums`,
//! record the current checksums of modified migrations. Prints exactly what
//! it changed (with `--dry-run`, what it would change). The library does the
//! work ([`strata::repair`]).

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::repair::{RepairOptions, RepairReport, repair};

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::RepairArgs;
use crate::context::Ctx;
use crate::render::{DbReport, json, lines};

/// Runs `strata repair`.
pub async fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    for_each_database(ctx, &Repair { args }).await
}

struct Repair<'a> {
    args: &'a RepairArgs,
}

impl PerDatabase for Repair<'_> {
    /// What was repaired; None when the database failed.
    type Extra = Option<RepairReport>;
    const DIRECT: bool = true;

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        done: &mut Option<RepairReport>,
    ) -> Result<()> {
        let args = self.args;
        let migrations = ctx.migrations(db)?;
        let endpoint = ctx.endpoint(&ctx.direct(db)).await?;
        r.url = Some(endpoint.redacted().to_owned());
        let wait = args.connect.wait;
        // The lock, when taken, is held on this connection's session.
        let client = ctx.connect(&endpoint, wait).await?;
        let opts = RepairOptions {
            accept_checksums: args.accept_checksums,
            dry_run: args.dry_run,
            session: ctx.session(&args.lock),
        };
        let out = ctx.out.clone();
        let name = db.name.clone();
        let mut on_wait = |h: &strata::error::LockHolder| out.info(&lines::lock_waiting(&name, h));
        let rep = repair(&client, &ctx.table(db), &migrations, &opts, &mut on_wait).await?;
        let (remove, accept) = if args.dry_run {
            ("would remove", "would record")
        } else {
            ("removed", "recorded")
        };
        let n = &db.name;
        for row in &rep.removed {
            ctx.out.result(&lines::removed_row(n, remove, row));
        }
        for c in &rep.accepted {
            ctx.out.result(&lines::accepted_checksum(n, accept, c));
        }
        for s in &rep.still_modified {
            ctx.out.warn(&lines::still_modified(n, s));
        }
        if rep.is_noop() {
            ctx.out.result(&lines::nothing_to_repair(n));
        }
        *done = Some(rep);
        Ok(())
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<RepairReport>>],
    ) -> impl Serialize + 'a {
        json::Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| json::Changed::new(&d.report, d.extra.as_ref().map(json::Repaired::from)))
                .collect(),
        }
    }
}
