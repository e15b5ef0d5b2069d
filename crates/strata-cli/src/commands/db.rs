//! `strata db create|drop|clean|seed|wait|reset` (SPEC §4, §5).
//!
//! Every refusal and confirmation happens before the first database is
//! touched: a protected environment refuses `drop`, `clean` and `seed`
//! (exit 5); `drop` and `reset` need each database's real name, from
//! `--confirm` or typed on a terminal, and a protected `reset` accepts only
//! the terminal. Then the databases run in `depends_on` order; a failure
//! skips its dependents, independent databases still run, and the exit code
//! is 1 (or the failure's own code).

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::{Value, json};
use strata::config::DatabaseConfig;
use strata::migrator::{Event, MigrateOptions, Migrator};

use super::{finish, record_failure};
use crate::cli::DbAction;
use crate::context::Ctx;
use crate::exit::{REFUSED, exit};
use crate::render::{DbReport, executed_line};

/// Runs `strata db …`.
pub async fn run(ctx: &Ctx, action: &DbAction) -> Result<()> {
    let dbs = ctx.databases()?;
    let verb = verb(action);
    match action {
        DbAction::Drop(a) => {
            refuse_if_protected(ctx, verb)?;
            confirm(ctx, &dbs, &a.confirm, verb)?;
        }
        DbAction::Clean(_) | DbAction::Seed(_) => refuse_if_protected(ctx, verb)?,
        DbAction::Reset(a) => confirm(ctx, &dbs, &a.confirm, verb)?,
        DbAction::Create(_) | DbAction::Wait(_) => {}
    }

    let mut reports: Vec<(DbReport, Vec<Value>)> = Vec::new();
    let mut errors = Vec::new();
    let mut failed = super::Failed::default();
    for db in dbs {
        let mut r = DbReport {
            name: db.name.clone(),
            table: ctx.table(db).to_string(),
            ..Default::default()
        };
        if failed.skip_dependent(ctx, db, &mut r) {
            reports.push((r, Vec::new()));
            continue;
        }
        let mut done = Vec::new();
        let result = match action {
            DbAction::Create(a) => create(ctx, db, a.wait, &mut r, &mut done).await,
            DbAction::Drop(a) => drop(ctx, db, a.connect.wait, &mut r, &mut done).await,
            DbAction::Clean(a) => clean(ctx, db, a.wait, &mut r, &mut done).await,
            DbAction::Seed(a) => seed(ctx, db, a.wait, &mut r, &mut done).await,
            DbAction::Wait(a) => wait(ctx, db, a.timeout, &mut r, &mut done).await,
            DbAction::Reset(a) => reset(ctx, db, a, &mut r, &mut done).await,
        };
        if let Err(e) = result {
            failed.insert(&db.name);
            record_failure(ctx, &mut r, e, &mut errors);
        }
        reports.push((r, done));
    }
    if ctx.out.json {
        let dbs: Vec<Value> = reports
            .iter()
            .map(|(r, done)| {
                let mut v = json!({
                    "name": r.name,
                    "url": r.url,
                    "status": r.outcome(),
                    "actions": done,
                });
                if !r.executed.is_empty() {
                    v["executed"] = r
                        .executed
                        .iter()
                        .map(|x| json!({"version": x.version, "script": x.script, "execution_ms": x.execution_ms}))
                        .collect();
                }
                if let Some(e) = &r.error {
                    v["error"] = json!(e);
                }
                if let Some(s) = &r.skipped {
                    v["skipped"] = json!(s);
                }
                v
            })
            .collect();
        ctx.out.json(&json!({
            "env": ctx.env.name,
            "command": format!("db {verb}"),
            "databases": dbs,
        }));
    } else if reports.len() > 1 {
        ctx.out.info("summary:");
        for (r, _) in &reports {
            let detail = match (r.outcome(), &r.skipped) {
                ("skipped", Some(s)) => s.clone(),
                (o, _) => o.to_owned(),
            };
            ctx.out.info(&format!("  {}: {detail}", r.name));
        }
    }
    finish(errors)
}

fn verb(action: &DbAction) -> &'static str {
    match action {
        DbAction::Create(_) => "create",
        DbAction::Drop(_) => "drop",
        DbAction::Clean(_) => "clean",
        DbAction::Seed(_) => "seed",
        DbAction::Wait(_) => "wait",
        DbAction::Reset(_) => "reset",
    }
}

fn refuse_if_protected(ctx: &Ctx, verb: &str) -> Result<()> {
    if ctx.env.spec.protected {
        let why = match verb {
            "seed" => "seeds are development data",
            _ => "it destroys data",
        };
        return Err(exit(
            REFUSED,
            format!(
                "refused: `strata db {verb}` is not allowed in protected environment {} ({why}); nothing was changed",
                ctx.env.name
            ),
        ));
    }
    Ok(())
}

/// The database name the URL names (or the local cluster's `<db>_<env>`),
/// after the policy checks: what a confirmation must repeat.
fn real_name(ctx: &Ctx, db: &DatabaseConfig) -> Result<(String, String)> {
    let target = ctx.target(db)?;
    if target.uses_local_cluster() {
        let name = format!("{}_{}", db.name, ctx.env.name);
        return Ok((name, "the local cluster".to_owned()));
    }
    let url = target.require_url()?;
    target.check_policy()?;
    Ok((url.database().to_owned(), url.redacted()))
}

/// `drop` / `reset` confirmation, for every database before any is touched.
fn confirm(ctx: &Ctx, dbs: &[&DatabaseConfig], given: &[String], verb: &str) -> Result<()> {
    let protected = ctx.env.spec.protected;
    let env = &ctx.env.name;
    if protected && !given.is_empty() {
        return Err(exit(
            REFUSED,
            format!(
                "refused: --confirm is not accepted in protected environment {env}: a hard reset there \
                 must be confirmed by typing the database name on a terminal; nothing was changed"
            ),
        ));
    }
    let mut names = Vec::new();
    for db in dbs {
        names.push((db, real_name(ctx, db)?));
    }
    if !given.is_empty() {
        for (db, (name, _)) in &names {
            if !given.iter().any(|g| g == name) {
                return Err(exit(
                    REFUSED,
                    format!(
                        "refused: --confirm does not name database {name} (database {} in environment {env}); nothing was changed",
                        db.name
                    ),
                ));
            }
        }
        if let Some(extra) = given
            .iter()
            .find(|g| !names.iter().any(|(_, (n, _))| n == *g))
        {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: --confirm {extra} names no selected database; nothing was changed"
                ),
            ));
        }
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        let how = if protected {
            format!(
                "in protected environment {env} it must be run on a terminal, where you type the database name; it cannot be automated"
            )
        } else {
            "pass --confirm <database name>, or run it on a terminal".to_owned()
        };
        return Err(exit(
            REFUSED,
            format!("refused: `strata db {verb}` needs a confirmation: {how}; nothing was changed"),
        ));
    }
    let stdin = std::io::stdin();
    for (db, (name, where_)) in &names {
        let protected_note = if protected {
            format!(" PROTECTED environment {env}")
        } else {
            format!(" environment {env}")
        };
        let action = match verb {
            "reset" if protected => "terminate its sessions, DROP, recreate and migrate",
            "reset" => "terminate its sessions, DROP, recreate, migrate and seed",
            _ => "DROP, with all its data",
        };
        {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "This will {action} database {name} (strata database {},{protected_note}, {where_}).\n\
                 Type the database name to confirm: ",
                db.name
            );
            let _ = err.flush();
        }
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the confirmation")?;
        if line.trim() != name {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: the confirmation does not match database {name}; nothing was changed"
                ),
            ));
        }
    }
    Ok(())
}

/// The real database name and a server-level connection for it (`create`, `drop`).
async fn admin_client(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: u64,
    r: &mut DbReport,
) -> Result<(String, tokio_postgres::Client)> {
    let (name, url) = real_name(ctx, db)?;
    r.url = Some(url);
    let admin = ctx.admin_endpoint(db).await?;
    show_admin(ctx, db, &admin);
    let client = ctx.connect_admin(&admin, Duration::from_secs(wait)).await?;
    Ok((name, client))
}

async fn create(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: u64,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let (name, client) = admin_client(ctx, db, wait, r).await?;
    if strata::database::create_if_missing(&client, &name).await? {
        ctx.out
            .result(&format!("{}: created database {name}", db.name));
        done.push(json!({"action": "created", "database": name}));
    } else {
        ctx.out
            .result(&format!("{}: database {name} already exists", db.name));
        done.push(json!({"action": "exists", "database": name}));
    }
    Ok(())
}

async fn drop(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: u64,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let (name, client) = admin_client(ctx, db, wait, r).await?;
    if strata::database::drop_database(&client, &name).await? {
        ctx.out
            .result(&format!("{}: dropped database {name}", db.name));
        done.push(json!({"action": "dropped", "database": name}));
    } else {
        ctx.out
            .result(&format!("{}: database {name} does not exist", db.name));
        done.push(json!({"action": "absent", "database": name}));
    }
    Ok(())
}

async fn clean(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: u64,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let endpoint = ctx.endpoint(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx.connect(&endpoint, Duration::from_secs(wait)).await?;
    // Always sent: `0` (disabled) wins over a server or role default.
    let lock_timeout = Some(ctx.env.spec.lock_timeout);
    let tables =
        strata::database::clean(&client, &db.schemas, &ctx.table(db), lock_timeout).await?;
    ctx.out.result(&format!(
        "{}: cleaned {} table(s) in {} (schemas {}; history {} kept)",
        db.name,
        tables.len(),
        endpoint.database(),
        db.schemas.join(", "),
        ctx.table(db)
    ));
    if ctx.out.verbose {
        for t in &tables {
            ctx.out.result(&format!("  truncated {t}"));
        }
    }
    done.push(json!({"action": "cleaned", "tables": tables}));
    Ok(())
}

async fn seed(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: u64,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let Some(dir) = &db.seeds else {
        ctx.out
            .result(&format!("{}: no seeds folder, nothing to seed", db.name));
        return Ok(());
    };
    let files = strata::database::seed_files(dir)?;
    if files.is_empty() {
        ctx.out
            .result(&format!("{}: no seed files in {}", db.name, dir.display()));
        return Ok(());
    }
    let endpoint = ctx.endpoint(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx.connect(&endpoint, Duration::from_secs(wait)).await?;
    run_seeds(ctx, db, &client, &files, done).await
}

async fn run_seeds(
    ctx: &Ctx,
    db: &DatabaseConfig,
    client: &tokio_postgres::Client,
    files: &[strata::database::SeedFile],
    done: &mut Vec<Value>,
) -> Result<()> {
    for f in files {
        let took = strata::database::run_seed(client, f).await?;
        let ms = took.as_millis();
        ctx.out
            .result(&format!("{}: seeded {} ({ms} ms)", db.name, f.name));
        done.push(json!({"action": "seeded", "script": f.name, "execution_ms": ms}));
    }
    Ok(())
}

async fn wait(
    ctx: &Ctx,
    db: &DatabaseConfig,
    timeout: u64,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let start = Instant::now();
    let endpoint = ctx.endpoint_no_create(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx
        .connect(&endpoint, Duration::from_secs(timeout))
        .await
        .with_context(|| format!("gave up after {timeout}s (--timeout)"))?;
    client
        .simple_query("SELECT 1")
        .await
        .context("connected, but the server does not answer")?;
    let secs = start.elapsed().as_secs_f64();
    ctx.out.result(&format!(
        "{}: {} accepts connections ({secs:.1}s)",
        db.name,
        endpoint.database()
    ));
    done.push(json!({"action": "ready", "waited_ms": start.elapsed().as_millis()}));
    Ok(())
}

async fn reset(
    ctx: &Ctx,
    db: &DatabaseConfig,
    args: &crate::cli::ResetArgs,
    r: &mut DbReport,
    done: &mut Vec<Value>,
) -> Result<()> {
    let wait = Duration::from_secs(args.connect.wait);
    let (name, url) = real_name(ctx, db)?;
    r.url = Some(url);
    // Read the migrations first: a broken folder must fail before the drop.
    let migrations = ctx.migrations(db)?;
    let seeds = match &db.seeds {
        Some(dir) => strata::database::seed_files(dir)?,
        None => Vec::new(),
    };
    let admin = ctx.admin_endpoint(db).await?;
    show_admin(ctx, db, &admin);
    let admin_client = ctx.connect_admin(&admin, wait).await?;
    let re = strata::database::recreate_database(&admin_client, &name).await?;
    drop_client(admin_client);
    ctx.out.result(&format!(
        "{}: {}recreated database {name}{}",
        db.name,
        if re.dropped { "dropped and " } else { "" },
        if re.terminated > 0 {
            format!(" (terminated {} session(s))", re.terminated)
        } else {
            String::new()
        }
    ));
    done.push(json!({"action": "recreated", "database": name, "terminated": re.terminated, "dropped": re.dropped}));

    let endpoint = ctx.endpoint(db).await?;
    // The migration lock is held on this connection's session.
    let client = ctx.connect(&endpoint, wait).await?;
    let opts = MigrateOptions {
        session: ctx.session(&args.lock),
        ..Default::default()
    };
    let migrator = Migrator::new(&migrations, ctx.table(db)).with_options(opts);
    let out = ctx.out.clone();
    let dbname = db.name.clone();
    let mut on_event = |ev: Event<'_>| {
        if let Event::Applied(e) = ev {
            out.result(&format!("{dbname}: {}", executed_line(e)));
        }
    };
    let report = migrator.run(&client, &mut on_event).await?;
    r.executed = report.executed.clone();
    done.push(json!({"action": "migrated", "applied": report.executed.len()}));
    if ctx.env.spec.protected {
        // SPEC §5: the seed step of a reset is for unprotected environments only.
        if !seeds.is_empty() {
            ctx.out.result(&format!(
                "{}: seeds not run: {} is a protected environment",
                db.name, ctx.env.name
            ));
        }
        return Ok(());
    }
    run_seeds(ctx, db, &client, &seeds, done).await
}

fn drop_client(client: tokio_postgres::Client) {
    // Closing the maintenance connection before the new database is used
    // keeps the session count honest for anyone watching pg_stat_activity.
    std::mem::drop(client);
}

fn show_admin(ctx: &Ctx, db: &DatabaseConfig, admin: &crate::context::AdminEndpoint) {
    if ctx.out.verbose {
        ctx.out.info(&format!(
            "{}: server-level connection {} (credentials: {})",
            db.name,
            admin.endpoint().redacted(),
            admin.source()
        ));
    }
}
