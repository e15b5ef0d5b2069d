//! `strata db create`: create each database if it is missing (idempotent).

use std::time::Duration;

use anyhow::Result;
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// Creates `db` unless it exists.
pub(super) async fn create(
    ctx: &Ctx,
    db: &DatabaseConfig,
    wait: Duration,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let (name, client) = super::admin_client(ctx, db, wait, r).await?;
    if strata::database::create_if_missing(&client, &name).await? {
        ctx.out.result(&show::created(&db.name, &name));
        done.push(Action::Created { database: name });
    } else {
        ctx.out.result(&show::exists(&db.name, &name));
        done.push(Action::Exists { database: name });
    }
    Ok(())
}
