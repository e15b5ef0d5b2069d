//! `strata db seed`: run `seeds/<database>/*.sql` in file-name order, each
//! in a transaction (refused in a protected environment); also the last
//! step of `db reset`.

use std::time::Duration;

use anyhow::Result;
use strata::config::DatabaseConfig;
use strata::database::SeedFile;

use crate::context::Ctx;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// Runs `db`'s seed files, if it has any.
pub(super) async fn seed(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: Duration,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let Some(dir) = &db.seeds else {
        ctx.out.result(&show::no_seeds_folder(&db.name));
        return Ok(());
    };
    let files = strata::database::seed_files(dir)?;
    if files.is_empty() {
        ctx.out.result(&show::no_seed_files(&db.name, dir));
        return Ok(());
    }
    let endpoint = ctx.endpoint(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx.connect(&endpoint, wait).await?;
    run_seeds(ctx, db, &client, &files, done).await
}

/// Runs `files` in order on `client`.
pub(super) async fn run_seeds(
    ctx: &Ctx,
    db: &DatabaseConfig,
    client: &tokio_postgres::Client,
    files: &[SeedFile],
    done: &mut Vec<Action>,
) -> Result<()> {
    for f in files {
        let took = strata::database::run_seed(client, f).await?;
        let ms = took.as_millis();
        ctx.out.result(&show::seeded(&db.name, &f.name, ms));
        done.push(Action::Seeded {
            script: f.name.clone(),
            execution_ms: ms,
        });
    }
    Ok(())
}
