//! `strata validate`: files (names, duplicates, encoding, empty files) and,
//! unless `--offline`, files against the history (SPEC §4.1). Exit 3 when
//! anything is wrong.

use anyhow::Result;
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::error::Error;
use strata::migrator::Migrator;

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::ValidateArgs;
use crate::context::Ctx;
use crate::exit::{PROBLEMS, exit};
use crate::render::{DbReport, json, lines};

/// Runs `strata validate`.
pub async fn run(ctx: &Ctx, args: &ValidateArgs) -> Result<()> {
    for_each_database(ctx, &Validate { args }).await
}

struct Validate<'a> {
    args: &'a ValidateArgs,
}

impl PerDatabase for Validate<'_> {
    /// How many migration files were read.
    type Extra = usize;

    fn connects(&self) -> bool {
        !self.args.offline
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        files: &mut usize,
    ) -> Result<()> {
        let migrations = match ctx.migrations(db) {
            Ok(m) => m,
            Err(Error::InvalidMigrations(list)) => {
                r.file_errors = list.iter().map(ToString::to_string).collect();
                return Ok(());
            }
            Err(e) if e.is_check_failure() => {
                r.file_errors = vec![e.to_string()];
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        r.warnings = migrations.warnings.clone();
        *files = migrations.list.len();
        if self.args.offline {
            return Ok(());
        }
        let endpoint = ctx.endpoint(db).await?;
        r.url = Some(endpoint.redacted().to_owned());
        // SPEC: files vs history only "when the database is reachable".
        let wait = self.args.connect.wait;
        let client = match ctx.connect(&endpoint, wait).await {
            Ok(c) => c,
            Err(e) => {
                r.warnings.push(format!(
                    "{}; checked the files only (--offline skips the database)",
                    crate::output::one_line(&e)
                ));
                return Ok(());
            }
        };
        let (plan, _) = Migrator::new(&migrations, ctx.table(db))
            .plan(&client)
            .await?;
        r.problems = plan.blockers.clone();
        r.warnings
            .extend(plan.warnings.iter().map(ToString::to_string));
        r.plan = Some(plan);
        Ok(())
    }

    fn after(&self, ctx: &Ctx, r: &DbReport, files: &usize) -> Option<anyhow::Error> {
        for w in &r.warnings {
            ctx.out.warn(&lines::warning(&r.name, w));
        }
        for e in &r.file_errors {
            ctx.out.result(&lines::file_error(&r.name, e));
        }
        for p in &r.problems {
            ctx.out.result(&lines::problem(&r.name, p));
        }
        let n = r.file_errors.len() + r.problems.len();
        if n > 0 {
            return Some(exit(
                PROBLEMS,
                format!("database {}: {n} problem(s)", r.name),
            ));
        }
        if r.error.is_none() {
            let files_only = self.args.offline || r.plan.is_none();
            ctx.out
                .result(&lines::validated(&r.name, *files, files_only));
        }
        None
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<usize>]) -> impl Serialize + 'a {
        json::document(&ctx.env.name, dbs.iter().map(|d| &d.report), false)
    }
}
