//! `strata baseline VERSION`: mark an existing database as being at VERSION
//! (one `baseline` row; refused when the history has rows).
//! `strata baseline --from TOOL`: adopt the history of flyway, dbmate,
//! golang-migrate, sqlx, node-pg-migrate or refinery, recording the same
//! applied versions with the files' checksums ([`strata::adopt`]).

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use strata::adopt::{AdoptOptions, Tool, adopt};
use strata::history::{NewRow, TableName};

use super::{finish, record_failure};
use crate::cli::BaselineArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};

/// Runs `strata baseline`.
pub async fn run(ctx: &Ctx, args: &BaselineArgs) -> Result<()> {
    let version = args
        .at_version
        .as_deref()
        .map(super::migrate::parse_target)
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
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for db in ctx.databases()? {
        let mut r = crate::render::DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let result: Result<Vec<NewRow>> = async {
            let endpoint = ctx.endpoint(db).await?;
            r.url = Some(endpoint.redacted().to_owned());
            let wait = Duration::from_secs(args.connect.wait);
            // The lock is held on this connection's session.
            let client = ctx.connect(&endpoint, wait).await?;
            let out = ctx.out.clone();
            let name = db.name.clone();
            let mut on_wait = |h: &strata::error::LockHolder| {
                out.info(&format!(
                    "{name}: waiting for the migration lock, held by {h}"
                ))
            };
            let session = ctx.session(&args.lock);
            let table = ctx.table(db);
            match (tool, &version) {
                (Some(tool), _) => {
                    let migrations = ctx.migrations(db)?;
                    let opts = AdoptOptions {
                        tool,
                        from_table: from_table.clone(),
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
                        ctx.out.result(&format!(
                            "{}: {verb} {} {} ({})",
                            db.name,
                            row.kind.as_str(),
                            row.version
                                .as_ref()
                                .map(|v| format!("V{v}"))
                                .unwrap_or_else(|| "R".into()),
                            row.script
                        ));
                    }
                    ctx.out.info(&format!(
                        "{}: {} {} row(s) from {tool}'s history {} into {table}",
                        db.name,
                        if args.dry_run {
                            "would adopt"
                        } else {
                            "adopted"
                        },
                        rep.recorded.len(),
                        rep.source
                    ));
                    Ok(rep.recorded)
                }
                (None, Some(v)) => {
                    if args.dry_run {
                        ctx.out
                            .result(&format!("{}: would baseline at version {v}", db.name));
                        return Ok(Vec::new());
                    }
                    strata::baseline::baseline(&client, &table, v, &session, &mut on_wait).await?;
                    ctx.out
                        .result(&format!("{}: baselined at version {v} ({table})", db.name));
                    Ok(Vec::new())
                }
                (None, None) => Err(exit(USAGE, "give a VERSION or --from TOOL")),
            }
        }
        .await;
        match result {
            Err(e) => {
                record_failure(ctx, &mut r, e, &mut errors);
                docs.push(json!({"name": r.name, "url": r.url, "history_table": r.table, "error": r.error}));
            }
            Ok(rows) => docs.push(json!({
                "name": r.name,
                "url": r.url,
                "history_table": r.table,
                "baseline": version.as_ref().map(ToString::to_string),
                "from": tool.map(Tool::as_str),
                "recorded": rows.iter().map(|x| json!({
                    "version": x.version.as_ref().map(ToString::to_string), "kind": x.kind.as_str(), "script": x.script, "checksum": x.checksum.map(|c| c.to_hex()),
                })).collect::<Vec<_>>(),
                "dry_run": args.dry_run,
            })),
        }
    }
    if ctx.out.json {
        ctx.out
            .json(&json!({"env": ctx.env.name, "databases": docs}));
    }
    finish(errors)
}
