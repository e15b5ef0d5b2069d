//! `strata rollback`: run the down parts of the newest applied versions
//! (`--steps N`, default 1, or `--to VERSION`), database by database in
//! reverse `depends_on` order (dependents first). Everything is checked
//! before anything runs; the library does the work
//! ([`strata::rollback::Rollback`]).

use std::time::Duration;

use anyhow::Result;
use serde_json::json;
use strata::migrator::{Event, Executed, Migrator};
use strata::rollback::{Rollback, RollbackOptions, RollbackTarget};

use super::{finish, record_failure};
use crate::cli::RollbackArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::{DbReport, json_document};

/// Runs `strata rollback`.
pub async fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let target = match (&args.to, args.steps) {
        (Some(v), _) => RollbackTarget::To(super::migrate::parse_target(v)?),
        (None, Some(0)) => return Err(exit(USAGE, "--steps must be at least 1")),
        (None, n) => RollbackTarget::Steps(n.unwrap_or(1)),
    };
    let mut reports: Vec<(DbReport, Vec<Executed>, Vec<String>)> = Vec::new();
    let mut errors = Vec::new();
    let mut dbs = ctx.databases()?;
    // Dependents first: they were migrated after what they depend on.
    dbs.reverse();
    for db in dbs {
        let mut r = DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        let mut rolled_back = Vec::new();
        let mut would = Vec::new();
        let result: Result<()> = async {
            let migrations = ctx.migrations(db)?;
            let endpoint = ctx.endpoint(db).await?;
            r.url = Some(endpoint.redacted().to_owned());
            let wait = Duration::from_secs(args.connect.wait);
            // The lock, when taken, is held on this connection's session.
            let client = ctx.connect(&endpoint, wait).await?;
            let opts = RollbackOptions {
                target: target.clone(),
                dry_run: args.dry_run,
                session: ctx.session(&args.lock),
            };
            let out = ctx.out.clone();
            let name = db.name.clone();
            let mut on_event = |ev: Event<'_>| match ev {
                Event::LockWaiting(h) => out.info(&format!(
                    "{name}: waiting for the migration lock, held by {h}"
                )),
                Event::RolledBack(e) => out.result(&format!("{name}: {}", line(e))),
                _ => {}
            };
            let report = Rollback::new(&migrations, ctx.table(db))
                .with_options(opts)
                .run(&client, &mut on_event)
                .await?;
            if report.dry_run {
                for i in &report.selected {
                    let m = &migrations.list[*i];
                    let down = strata::rollback::down_script(m)
                        .map(|d| d.name)
                        .unwrap_or_default();
                    let label = m
                        .version
                        .as_ref()
                        .map(|v| format!("V{v}"))
                        .unwrap_or_default();
                    ctx.out.result(&format!(
                        "{}: would roll back {label} {}  [{down}]",
                        db.name, m.description
                    ));
                    would.push(m.script.clone());
                }
            }
            if report.selected.is_empty() {
                ctx.out
                    .result(&format!("{}: nothing to roll back", db.name));
            }
            rolled_back = report.rolled_back;
            // States after the rollback: the rolled-back versions are pending again.
            let (plan, _) = Migrator::new(&migrations, ctx.table(db))
                .plan(&client)
                .await?;
            r.plan = Some(plan);
            Ok(())
        }
        .await;
        if let Err(e) = result {
            // Versions rolled back before the failure stay rolled back: report them.
            if let Some(so_far) = e
                .downcast_ref::<strata::Error>()
                .and_then(strata::Error::rollback_report)
            {
                rolled_back.clone_from(&so_far.rolled_back);
            }
            record_failure(ctx, &mut r, e, &mut errors);
        }
        reports.push((r, rolled_back, would));
    }
    if ctx.out.json {
        let list: Vec<serde_json::Value> = reports
            .iter()
            .map(|(r, done, would)| {
                let mut v = json_document(&ctx.env.name, std::slice::from_ref(r), false)["databases"][0].clone();
                v["rolled_back"] = done
                    .iter()
                    .map(|x| json!({"version": x.version, "script": x.script, "execution_ms": x.execution_ms}))
                    .collect();
                if args.dry_run {
                    v["would_roll_back"] = json!(would);
                }
                v
            })
            .collect();
        ctx.out
            .json(&json!({"env": ctx.env.name, "databases": list}));
    }
    finish(errors)
}

/// `rolled back V3 add items (4 ms)`.
fn line(e: &Executed) -> String {
    let label = e
        .version
        .as_ref()
        .map(|v| format!("V{v}"))
        .unwrap_or_default();
    format!(
        "rolled back {label} {} ({} ms)",
        e.description, e.execution_ms
    )
}
