//! `strata db drop`: drop each database (confirmed by name beforehand,
//! refused in a protected environment).

use std::time::Duration;

use anyhow::Result;
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// Drops `db` if it exists.
pub(super) async fn drop(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: Duration,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let (name, client, _) = super::admin_client(ctx, db, wait, r).await?;
    if strata::database::drop_database(&client, &name).await? {
        ctx.out.result(&show::dropped(&db.name, &name));
        done.push(Action::Dropped { database: name });
    } else {
        ctx.out.result(&show::absent(&db.name, &name));
        done.push(Action::Absent { database: name });
    }
    Ok(())
}
