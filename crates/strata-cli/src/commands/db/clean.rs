//! `strata db clean`: empty every table of the configured schemas except
//! the history table, restarting sequences (refused in a protected
//! environment).

use std::time::Duration;

use anyhow::Result;
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// Truncates the tables of `db`'s schemas.
pub(super) async fn clean(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: Duration,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let endpoint = ctx.endpoint(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx.connect(&endpoint, wait).await?;
    // Always sent: `0` (disabled) wins over a server or role default.
    let lock_timeout = Some(ctx.env.spec.lock_timeout);
    let tables =
        strata::database::clean(&client, &db.schemas, &ctx.table(db), lock_timeout).await?;
    ctx.out.result(&show::cleaned(
        &db.name,
        tables.len(),
        endpoint.database(),
        &db.schemas,
        &ctx.table(db),
    ));
    if ctx.out.verbose {
        for t in &tables {
            ctx.out.result(&show::truncated(t));
        }
    }
    done.push(Action::Cleaned { tables });
    Ok(())
}
