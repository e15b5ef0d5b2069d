//! `strata baseline VERSION`: mark an existing database as being at VERSION
//! (one `baseline` row; refused when the history has rows).
//! `strata baseline --from TOOL`: adopt the history of flyway, dbmate,
//! golang-migrate, sqlx, node-pg-migrate or refinery, recording the same
//! applied versions with the files' checksums ([`strata::adopt`]).

use anyhow::Result;
use serde::Serialize;
use strata::adopt::{AdoptOptions, Tool, adopt};
use strata::config::DatabaseConfig;
use strata::history::{NewRow, TableName};
use strata::migration::Version;

use super::driver::{Done, PerDatabase, for_each_database};
use crate::cli::BaselineArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::{DbReport, json, lines};

/// Runs `strata baseline`.
pub async fn run(ctx: &Ctx, args: &BaselineArgs) -> Result<()> {
    let version = args
        .at_version
        .as_deref()
        .map(|v| super::migrate::parse_version("VERSION", v))
        .transpose()?;
    let tool: Option<Tool> = args
        .from
        .as_deref()
        .map(|t| t.parse::<Tool>().map_err(|e| exit(USAGE, e)))
        .transpose()?;
    let from_table = args
        .from_table
        .as_deref()
        .map(|t| TableName::parse(t).map_err(|e| exit(USAGE, format!("--from-table {t}: {e}"))))
        .transpose()?;
    let baseline = Baseline {
        args,
        version,
        tool,
        from_table,
    };
    for_each_database(ctx, &baseline).await
}

struct Baseline<'a> {
    args: &'a BaselineArgs,
    version: Option<Version>,
    tool: Option<Tool>,
    from_table: Option<TableName>,
}

impl PerDatabase for Baseline<'_> {
    /// The rows recorded; None when the database failed.
    type Extra = Option<Vec<NewRow>>;
    const DIRECT: bool = true;

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        recorded: &mut Option<Vec<NewRow>>,
    ) -> Result<()> {
        let args = self.args;
        let endpoint = ctx.endpoint(&ctx.direct(db)).await?;
        r.url = Some(endpoint.redacted().to_owned());
        let wait = args.connect.wait;
        // The lock is held on this connection's session.
        let client = ctx.connect(&endpoint, wait).await?;
        let out = ctx.out.clone();
        let name = db.name.clone();
        let mut on_wait = |h: &strata::error::LockHolder| out.info(&lines::lock_waiting(&name, h));
        let session = ctx.session(&args.lock);
        let table = ctx.table(db);
        match (self.tool, &self.version) {
            (Some(tool), _) => {
                let migrations = ctx.migrations(db)?;
                let opts = AdoptOptions {
                    tool,
                    from_table: self.from_table.clone(),
                    dry_run: args.dry_run,
                    session,
                };
                let rep = adopt(&client, &table, &migrations, &opts, &mut on_wait).await?;
                let verb = if args.dry_run {
                    "would record"
                } else {
                    "recorded"
                };
                for row in &rep.recorded {
                    ctx.out.result(&lines::recorded_row(&db.name, verb, row));
                }
                ctx.out.info(&lines::adopted(
                    &db.name,
                    args.dry_run,
                    rep.recorded.len(),
                    tool,
                    &rep.source,
                    &table,
                ));
                *recorded = Some(rep.recorded);
            }
            (None, Some(v)) => {
                if args.dry_run {
                    ctx.out.result(&lines::would_baseline(&db.name, v));
                } else {
                    strata::baseline::baseline(&client, &table, v, &session, &mut on_wait).await?;
                    ctx.out.result(&lines::baselined(&db.name, v, &table));
                }
                *recorded = Some(Vec::new());
            }
            (None, None) => return Err(exit(USAGE, "give a VERSION or --from TOOL")),
        }
        Ok(())
    }

    fn document<'a>(
        &'a self,
        ctx: &'a Ctx,
        dbs: &'a [Done<Option<Vec<NewRow>>>],
    ) -> impl Serialize + 'a {
        json::Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| {
                    let done = d.extra.as_ref().map(|rows| json::Baselined {
                        baseline: self.version.as_ref().map(ToString::to_string),
                        from: self.tool.map(Tool::as_str),
                        recorded: rows.iter().map(json::Recorded::from).collect(),
                        dry_run: self.args.dry_run,
                    });
                    json::Changed::new(&d.report, done)
                })
                .collect(),
        }
    }
}
