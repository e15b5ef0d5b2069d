//! `strata repair`: remove failed rows and, with `--accept-checksums`,
//! record the current checksums of modified migrations. Prints exactly what
//! it changed (with `--dry-run`, what it would change). The library does the
//! work ([`strata::repair`]).

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use strata::repair::{RepairOptions, RepairReport, repair};

use super::{finish, record_failure};
use crate::cli::RepairArgs;
use crate::context::Ctx;

/// Runs `strata repair`.
pub async fn run(ctx: &Ctx, args: &RepairArgs) -> Result<()> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    let (remove, accept) = if args.dry_run {
        ("would remove", "would record")
    } else {
        ("removed", "recorded")
    };
    for db in ctx.databases()? {
        let mut r = crate::render::DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let result: Result<RepairReport> = async {
            let migrations = ctx.migrations(db)?;
            let endpoint = ctx.endpoint(db).await?;
            r.url = Some(endpoint.redacted().to_owned());
            let wait = Duration::from_secs(args.connect.wait);
            // The lock, when taken, is held on this connection's session.
            let client = ctx.connect(&endpoint, wait).await?;
            let opts = RepairOptions {
                accept_checksums: args.accept_checksums,
                dry_run: args.dry_run,
                session: ctx.session(&args.lock),
            };
            let out = ctx.out.clone();
            let name = db.name.clone();
            let mut on_wait = |h: &strata::error::LockHolder| {
                out.info(&format!(
                    "{name}: waiting for the migration lock, held by {h}"
                ))
            };
            Ok(repair(&client, &ctx.table(db), &migrations, &opts, &mut on_wait).await?)
        }
        .await;
        match result {
            Err(e) => {
                record_failure(ctx, &mut r, e, &mut errors);
                docs.push(json!({"name": r.name, "url": r.url, "history_table": r.table, "error": r.error}));
            }
            Ok(rep) => {
                let n = &db.name;
                for row in &rep.removed {
                    ctx.out.result(&format!(
                        "{n}: {remove} failed row #{} {} ({}, failed at {})",
                        row.installed_rank,
                        row.version
                            .as_ref()
                            .map(|v| format!("V{v}"))
                            .unwrap_or_else(|| "R".into()),
                        row.script,
                        row.applied_at
                    ));
                }
                for c in &rep.accepted {
                    ctx.out.result(&format!(
                        "{n}: {accept} checksum of V{} ({}): {} -> {}",
                        c.version,
                        c.script,
                        c.old.map_or("none".to_owned(), |c| c.to_hex()),
                        c.new
                    ));
                }
                for s in &rep.still_modified {
                    ctx.out.warn(&format!(
                        "{n}: {s} is modified; run `strata repair --accept-checksums` to record its new checksum, \
                         or restore the file"
                    ));
                }
                if rep.is_noop() {
                    ctx.out.result(&format!("{n}: nothing to repair"));
                }
                docs.push(json!({
                    "name": r.name,
                    "url": r.url,
                    "history_table": r.table,
                    "dry_run": rep.dry_run,
                    "removed": rep.removed.iter().map(|x| json!({
                        "installed_rank": x.installed_rank, "version": x.version.as_ref().map(ToString::to_string), "script": x.script,
                    })).collect::<Vec<_>>(),
                    "accepted": rep.accepted.iter().map(|c| json!({
                        "version": c.version.to_string(), "script": c.script, "old": c.old.map(|c| c.to_hex()), "new": c.new.to_hex(),
                    })).collect::<Vec<_>>(),
                    "still_modified": rep.still_modified,
                }));
            }
        }
    }
    if ctx.out.json {
        ctx.out
            .json(&json!({"env": ctx.env.name, "databases": docs}));
    }
    finish(errors)
}
