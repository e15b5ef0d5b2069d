//! `strata db wait`: wait until each database accepts connections and
//! answers a query.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// Waits up to `timeout` seconds for `db`.
pub(super) async fn wait(
    ctx: &Ctx,
    db: &DatabaseConfig,
    timeout: u64,
    r: &mut DbReport,
    done: &mut Vec<Action>,
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
    ctx.out
        .result(&show::ready(&db.name, endpoint.database(), start.elapsed()));
    done.push(Action::Ready {
        waited_ms: start.elapsed().as_millis(),
    });
    Ok(())
}
