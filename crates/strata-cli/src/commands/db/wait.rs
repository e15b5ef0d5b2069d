//! `strata db wait`: wait until each database accepts connections and
//! answers a query.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::duration::humane;
use crate::render::DbReport;
use crate::render::db::Action;

/// Waits up to `timeout` for `db`.
pub(super) async fn wait(
    ctx: &Ctx,
    db: &DatabaseConfig,
    timeout: Duration,
    r: &mut DbReport,
    done: &mut Vec<Action>,
) -> Result<()> {
    let start = Instant::now();
    let endpoint = ctx.endpoint_no_create(db).await?;
    r.url = Some(endpoint.redacted().to_owned());
    let client = ctx
        .connect(&endpoint, timeout)
        .await
        .with_context(|| format!("gave up after {} (--timeout)", humane(timeout)))?;
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
    done.push(Action::Ready {
        waited_ms: start.elapsed().as_millis(),
    });
    Ok(())
}
