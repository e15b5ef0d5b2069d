//! `strata db reset`: terminate sessions, drop, create, migrate and (outside
//! a protected environment) seed: the hard reset.

use anyhow::Result;
use strata::config::DatabaseConfig;
use strata::migrator::{Event, MigrateOptions, Migrator};

use crate::cli::ResetArgs;
use crate::context::Ctx;
use crate::render::db::{self as show, Action};
use crate::render::{DbReport, lines};

/// Recreates `db` empty, migrates it and seeds it.
pub(super) async fn reset(
    ctx: &Ctx,
    db: &DatabaseConfig,
    args: &ResetArgs,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let wait = args.connect.wait;
    let (name, url) = super::confirm::real_name(ctx, db)?;
    r.url = Some(url);
    // Read the migrations first: a broken folder must fail before the drop.
    let migrations = ctx.migrations(db)?;
    let seeds = match &db.seeds {
        Some(dir) => strata::database::seed_files(dir)?,
        None => Vec::new(),
    };
    let admin = ctx.admin_endpoint(db).await?;
    ctx.banner(db, admin.endpoint(), &name);
    super::show_admin(ctx, db, &admin);
    let admin_client = ctx.connect_admin(&admin, wait).await?;
    let re = strata::database::recreate_database(&admin_client, &name).await?;
    // Closing the maintenance connection before the new database is used
    // keeps the session count honest for anyone watching pg_stat_activity.
    std::mem::drop(admin_client);
    ctx.out.result(&show::recreated(&db.name, &name, &re));
    done.push(Action::Recreated {
        database: name,
        terminated: re.terminated,
        dropped: re.dropped,
    });

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
            out.result(&lines::applied(&dbname, e));
        }
    };
    let report = migrator.run(&client, &mut on_event).await?;
    r.executed = report.executed.clone();
    done.push(Action::Migrated {
        applied: report.executed.len(),
    });
    if ctx.env.spec.protected {
        // SPEC §5: the seed step of a reset is for unprotected environments only.
        if !seeds.is_empty() {
            ctx.out
                .result(&show::seeds_not_run(&db.name, &ctx.env.name));
        }
        return Ok(());
    }
    super::seed::run_seeds(ctx, db, &client, &seeds, done).await
}
