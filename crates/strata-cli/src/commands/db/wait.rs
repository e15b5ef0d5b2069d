//! `strata db wait`: wait until each database accepts connections and
//! answers a query.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::duration::humane;
use crate::render::DbReport;
use crate::render::db::{self as show, Action};

/// How much longer than `--timeout` a hanging connection attempt may run
/// before `db wait` calls it unanswered.
const HANG_GRACE: Duration = Duration::from_secs(1);

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
    // Only a failure that waiting could fix was retried: say "gave up" for
    // those alone; anything else (a wrong password, no such database, no
    // answer within connect_timeout) failed at once and says why.
    // --timeout bounds the whole wait, also a connection attempt that
    // connect_timeout would let run longer. The retry loop stops itself at
    // `timeout` with the last error (connection refused, …); the outer bound
    // gets a grace period so it fires only for an attempt that hangs, and
    // does not race the loop and misname a refused connection.
    let connecting = tokio::time::timeout(
        timeout.saturating_add(HANG_GRACE),
        ctx.connect(&endpoint, timeout),
    );
    let Ok(connected) = connecting.await else {
        anyhow::bail!(
            "gave up after {} (--timeout): the server accepted the connection but did not answer",
            humane(timeout)
        );
    };
    let client = match connected {
        Ok(client) => client,
        Err(e) if is_retried(&e) => {
            return Err(e)
                .with_context(|| format!("gave up after {} (--timeout)", humane(timeout)));
        }
        Err(e) => return Err(e),
    };
    let left = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_secs(1));
    match tokio::time::timeout(left, client.simple_query("SELECT 1")).await {
        Ok(answer) => answer
            .map(drop)
            .context("connected, but the server does not answer")?,
        Err(_) => anyhow::bail!(
            "connected, but the server did not answer `SELECT 1` within {}",
            humane(left)
        ),
    }
    ctx.out
        .result(&show::ready(&db.name, endpoint.database(), start.elapsed()));
    done.push(Action::Ready {
        waited_ms: start.elapsed().as_millis(),
    });
    Ok(())
}

/// Whether `e` is a connection failure `db wait` kept retrying.
fn is_retried(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<strata::error::Error>(),
            Some(strata::error::Error::Connect { source, .. }) if strata::connect::is_transient(source)
        )
    })
}
