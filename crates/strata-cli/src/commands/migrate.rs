//! `strata migrate`: apply pending migrations, database by database in
//! `depends_on` order. A failed database stops its dependents (reported as
//! skipped); independent databases still run.

use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use strata::config::DatabaseConfig;
use strata::migration::Version;
use strata::migrator::{Event, MigrateOptions, Migrator};
use strata::notice::Notices;
use strata::plan::{Plan, PlanOptions};

use super::driver::{Done, PerDatabase, for_each_database};
use super::release_at_exit;
use crate::cli::MigrateArgs;
use crate::context::Ctx;
use crate::exit::{USAGE, exit};
use crate::render::{DbReport, json, lines};

/// Parses the version given to `flag` (`--target`, `--to`, `VERSION`): the
/// error names the flag the user typed.
pub fn parse_version(flag: &str, s: &str) -> Result<Version> {
    let v = s.strip_prefix(['V', 'v']).unwrap_or(s);
    v.parse::<Version>()
        .map_err(|e| exit(USAGE, format!("{flag} {s}: {e}")))
}

/// Runs `strata migrate`.
pub async fn run(ctx: &Ctx, args: &MigrateArgs) -> Result<()> {
    let target = args
        .target
        .as_deref()
        .map(|v| parse_version("--target", v))
        .transpose()?;
    let backups = Default::default();
    for_each_database(
        ctx,
        &Migrate {
            args,
            target,
            backups,
        },
    )
    .await
}

struct Migrate<'a> {
    args: &'a MigrateArgs,
    target: Option<Version>,
    /// `--backup`: the dump file of each database, by name.
    backups: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
}

/// A database of `migrate --json`, with its `--backup` file.
#[derive(Serialize)]
struct WithBackup<'a> {
    #[serde(flatten)]
    database: json::Database<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<String>,
}

impl PerDatabase for Migrate<'_> {
    type Extra = ();
    const SKIPS_DEPENDENTS: bool = true;
    const DIRECT: bool = true;

    async fn prepare(&self, ctx: &Ctx, dbs: &[&DatabaseConfig]) -> Result<()> {
        let args = self.args;
        if let Some(dir) = &args.backup {
            let taken = super::backup::take(
                ctx,
                dbs,
                dir,
                args.dry_run,
                args.connect.wait,
                args.lock.lock_wait,
            )
            .await?;
            *self.backups.borrow_mut() = taken;
        }
        Ok(())
    }

    async fn run(
        &self,
        ctx: &Ctx,
        db: &DatabaseConfig,
        r: &mut DbReport,
        _: &mut (),
    ) -> Result<()> {
        let args = self.args;
        let opts = MigrateOptions {
            plan: PlanOptions {
                target: self.target.clone(),
                allow_out_of_order: args.allow_out_of_order,
            },
            dry_run: args.dry_run,
            single_transaction: args.single_transaction,
            session: ctx.session(&args.lock),
            resume: args.resume,
            first_run: strata::migrator::FirstRun::of(&ctx.project, db),
            placeholders: None,
            lock_retries: args.lock_retries.unwrap_or(ctx.env.spec.lock_retries),
        };
        migrate_one(ctx, db, opts, args.connect.wait, args.no_lint, r).await
    }

    fn document<'a>(&'a self, ctx: &'a Ctx, dbs: &'a [Done<()>]) -> impl Serialize + 'a {
        let backups = self.backups.borrow();
        json::Document {
            env: &ctx.env.name,
            databases: dbs
                .iter()
                .map(|d| WithBackup {
                    database: json::database(&d.report, true),
                    backup: backups.get(&d.report.name).cloned(),
                })
                .collect(),
        }
    }

    fn summary(&self, ctx: &Ctx, dbs: &[Done<()>]) {
        if dbs.len() > 1 {
            ctx.out.info("summary:");
            for d in dbs {
                ctx.out.info(&lines::migrate_summary(&d.report));
            }
        }
    }
}

async fn migrate_one(
    ctx: &Ctx,
    db: &DatabaseConfig,
    mut opts: MigrateOptions,
    wait: Duration,
    no_lint: bool,
    r: &mut DbReport,
) -> Result<()> {
    // The folder is read on a blocking thread while the connections open,
    // the lock is taken and the history is read under it.
    let scan = ctx.migrations_in_background(db);
    let dry_run = opts.dry_run;
    let table = ctx.table(db);
    // The migrating connection forwards the server's notices here.
    let notices = Notices::new();
    let remote = notices.scope(async {
        let endpoint = ctx.endpoint(&ctx.direct(db)).await?;
        if ctx.out.verbose {
            ctx.out
                .info(&lines::connecting(&db.name, endpoint.redacted()));
        }
        let client = ctx.connect(&endpoint, wait).await?;
        // The lock is held on this connection's session: strata releases it
        // on every path, and the server does if the process dies. One
        // connection instead of two saves a backend start per run.
        let locked = if dry_run {
            None
        } else {
            let mut on_wait = |h: &strata::error::LockHolder| {
                ctx.out.info(&lines::lock_waiting(&db.name, h));
            };
            Some(strata::migrator::lock_and_read(&client, &table, &opts, &mut on_wait).await?)
        };
        anyhow::Ok((endpoint, client, locked))
    });
    let (migrations, remote) = tokio::join!(scan.wait(), remote);
    // File problems first, as if the folder had been read before connecting.
    let migrations = migrations?;
    for w in &migrations.warnings {
        ctx.out.warn(&lines::warning(&db.name, w));
    }
    let (endpoint, client, locked) = remote?;
    r.url = Some(endpoint.redacted().to_owned());
    let user = endpoint.pg_config().get_user();
    opts.placeholders = ctx
        .placeholders(db)
        .map(|p| p.with_connection(endpoint.database(), user));
    let placeholders = opts.placeholders.clone();
    let single_transaction = opts.single_transaction;
    // A failed migration has no `Executed`: its notices stay in the sink.
    let unreported = notices.clone();
    let mut migrator = Migrator::new(&migrations, ctx.table(db));
    if !no_lint {
        migrator = migrator.with_lint(ctx.project.lint().clone());
    }
    let migrator = migrator
        .with_options(opts)
        .with_notices(notices)
        .with_blocker_watch(endpoint.clone());
    let show_progress = ctx.out.stderr_tty && !ctx.out.quiet && !ctx.out.json;
    let mut bar: Option<ProgressBar> = None;
    let out = ctx.out.clone();
    let name = db.name.clone();
    // For --json after a run that fails without changing anything (its
    // error carries no report): the states are the ones planned.
    let mut planned: Option<Plan> = None;
    // The migration running, to name it with the notices of a failure.
    let mut running = String::new();
    // Behind a pooler the warning is in the JSON too, on every outcome.
    let pooled = std::cell::Cell::new(false);
    let mut on_event = |ev: Event<'_>| match ev {
        Event::BehindPooler => {
            pooled.set(true);
            out.warn(&lines::behind_pooler(&name));
        }
        Event::LockWaiting(h) => out.info(&lines::lock_waiting(&name, h)),
        Event::HistoryCreated(t) if out.verbose => out.info(&lines::history_created(&name, t)),
        Event::BaselinedOnMigrate(t) => out.info(&lines::baselined_on_migrate(&name, t)),
        Event::Planned(plan) if !dry_run => {
            for w in &plan.warnings {
                out.warn(&lines::warning(&name, &w.to_string()));
            }
            if out.json {
                planned = Some(plan.clone());
            }
            if show_progress && !plan.to_apply.is_empty() {
                let pb = ProgressBar::new(plan.to_apply.len() as u64);
                pb.set_style(
                    ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                pb.set_prefix(name.clone());
                bar = Some(pb);
            }
        }
        Event::Planned(plan) => {
            for w in &plan.warnings {
                out.warn(&lines::warning(&name, &w.to_string()));
            }
        }
        Event::LockRetry(retry) => {
            let line = lines::lock_retry(&name, retry);
            match &bar {
                Some(pb) => pb.suspend(|| out.info(&line)),
                None => out.info(&line),
            }
        }
        Event::Resuming(m, skipped) => out.info(&lines::resuming(&name, m, skipped)),
        Event::Started(m) => {
            running.clone_from(&m.script);
            if let Some(pb) = &bar {
                pb.set_message(crate::output::printable(&m.script).into_owned());
            }
        }
        Event::Applied(e) => {
            let line = lines::applied(&name, e);
            match &bar {
                Some(pb) => {
                    pb.suspend(|| out.result(&line));
                    pb.inc(1);
                }
                None => out.result(&line),
            }
            // WARNINGs always, the rest with -v; on stderr.
            for n in &e.notices {
                let text = lines::notice(&name, &e.script, n);
                match &bar {
                    Some(pb) if n.is_warning() => pb.suspend(|| out.warn(&text)),
                    None if n.is_warning() => out.warn(&text),
                    Some(pb) if out.verbose => pb.suspend(|| out.info(&text)),
                    None if out.verbose => out.info(&text),
                    _ => {}
                }
            }
        }
        _ => {}
    };
    let result = match locked {
        Some(locked) => migrator.run_locked(&client, locked, &mut on_event).await,
        None => migrator.run(&client, &mut on_event).await,
    };
    if let Some(pb) = bar.take() {
        pb.finish_and_clear();
    }
    if pooled.get() {
        r.warnings.push(lines::behind_pooler(&db.name));
    }
    let report = match result {
        Ok(report) => report,
        // What ran before the failure, and the states after it, come with
        // the error when the run changed the database.
        Err(mut e) => {
            // What the failed migration raised before it failed (in one
            // transaction: every migration of it, all rolled back).
            let script = if single_transaction {
                "--single-transaction"
            } else {
                running.as_str()
            };
            for n in unreported.take() {
                let text = lines::notice(&db.name, script, &n);
                if n.is_warning() {
                    ctx.out.warn(&text);
                } else if ctx.out.verbose {
                    ctx.out.info(&text);
                }
            }
            if e.is_commit_unknown() {
                // SPEC §4.2 step 5: reconnect once and read the history.
                if let Ok(again) = ctx.connect(&endpoint, Duration::ZERO).await {
                    e = migrator.settle_lost_commit(e, &again).await;
                }
            }
            match e.report() {
                Some(so_far) => {
                    r.executed.clone_from(&so_far.executed);
                    r.plan = Some(so_far.plan.clone());
                }
                None => r.plan = planned,
            }
            return Err(e.into());
        }
    };
    r.executed.clone_from(&report.executed);
    if report.dry_run {
        if report.plan.to_apply.is_empty() {
            ctx.out.result(&lines::nothing_to_apply(&db.name));
        }
        for i in &report.plan.to_apply {
            let m = &migrations.list[*i];
            ctx.out.result(&lines::would_apply(&db.name, m));
            if ctx.out.verbose {
                let sql = m.content.read_part(&m.up, &m.script)?;
                let sql = match &placeholders {
                    Some(p) => replaced(p, &sql, &m.script)?,
                    None => sql,
                };
                ctx.out.result(sql.trim_end());
            }
        }
    } else if report.executed.is_empty() {
        ctx.out.result(&lines::up_to_date(&db.name, &report.plan));
    } else {
        ctx.out
            .info(&lines::applied_total(&db.name, &report.executed));
    }
    r.problems = report.plan.blockers.clone();
    r.warnings
        .extend(report.plan.warnings.iter().map(ToString::to_string));
    r.plan = Some(report.plan);
    drop(migrator);
    release_at_exit(migrations);
    Ok(())
}

/// `sql` (a whole part of `script`) with its placeholders replaced, line by
/// line as the runner does: what `--dry-run -v` shows.
fn replaced(p: &strata::migration::Placeholders, sql: &str, script: &str) -> Result<String> {
    let mut out = String::with_capacity(sql.len());
    for (i, line) in sql.split_inclusive('\n').enumerate() {
        let line = p.replace(line, script).map_err(|u| {
            anyhow::anyhow!(
                "{script}: line {} of the part: placeholder ${{{}}} {}",
                i + 1,
                u.name,
                u.problem
            )
        })?;
        out.push_str(&line);
    }
    Ok(out)
}
