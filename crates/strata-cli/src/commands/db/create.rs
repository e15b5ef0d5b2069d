//! `strata db create`: create each database if it is missing (idempotent),
//! owned by `owner`, or by the database URL's role when the admin
//! credentials are another role (SPEC §4).

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
    let (name, client, admin_role) = super::admin_client(ctx, db, wait, r).await?;
    let owner = match &db.owner {
        Some(owner) => Some(owner.clone()),
        // The database URL's own role, when the admin credentials are
        // another: on PostgreSQL 15+ only the owner may create in `public`.
        None => {
            let endpoint = ctx.endpoint_no_create(db).await?;
            let role = endpoint.pg_config().get_user();
            role.filter(|r| Some(*r) != admin_role.as_deref())
                .map(str::to_owned)
        }
    };
    if strata::database::create_owned_if_missing(&client, &name, owner.as_deref()).await? {
        ctx.out
            .result(&show::created(&db.name, &name, owner.as_deref()));
        done.push(Action::Created {
            database: name,
            owner,
        });
    } else {
        ctx.out.result(&show::exists(&db.name, &name));
        done.push(Action::Exists { database: name });
    }
    Ok(())
}
