//! research_agent's start-up (seed 003): wait for PostgreSQL, then either
//! migrate (opt-in, `MIGRATE_ON_START=true`, like TypeORM's `migrationsRun`)
//! or only verify, refusing to start on an incompatible schema.
//!
//! Migrating on start is safe with several replicas: strata's migration lock
//! (an advisory lock on the migrating session) lets one replica migrate while
//! the others wait, then find nothing to do.
//!
//! Exit codes: 0 ready, 1 migration failed / incompatible schema / no
//! database, 2 invalid configuration.

use std::process::ExitCode;
use std::time::Duration;

use strata::config::{DbUrl, Libpq};
use strata::connect::Endpoint;
use strata::migrator::Event;
use strata::{Migrator, TableName};
use tokio_postgres::Client;

fn main() -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(start()),
        Err(e) => {
            eprintln!("research-agent: cannot start the runtime: {e}");
            ExitCode::from(1)
        }
    }
}

async fn start() -> ExitCode {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("research-agent: DATABASE_URL is not set (see .env.example)");
        return ExitCode::from(2);
    };
    // libpq's rules: PGPASSWORD / ~/.pgpass fill a missing password, and
    // TLS is what `sslmode` asks (prefer when unset).
    let endpoint = match DbUrl::parse(&url) {
        Ok(url) => Endpoint::for_url(&url, &Libpq::from_process_env()),
        Err(e) => {
            eprintln!("research-agent: invalid DATABASE_URL: {e}");
            return ExitCode::from(2);
        }
    };
    let endpoint = match endpoint {
        Ok(e) => e,
        Err(e) => {
            eprintln!("research-agent: invalid DATABASE_URL: {e}");
            return ExitCode::from(2);
        }
    };
    let migrate_on_start = matches!(
        std::env::var("MIGRATE_ON_START").as_deref(),
        Ok("true" | "1" | "yes")
    );
    let wait = std::env::var("DB_WAIT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_secs);
    let migrations = match strata::embed_migrations!("$CARGO_MANIFEST_DIR/migrations") {
        Ok(m) => m,
        Err(e) => {
            eprintln!("research-agent: the embedded migrations are invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(client) = connect(&endpoint, wait).await else {
        eprintln!("research-agent: PostgreSQL did not accept connections within {wait:?}");
        return ExitCode::from(1);
    };
    if migrate_on_start {
        // The migration lock is taken on this connection's session: strata
        // releases it when the run ends, failed or not, and the server does
        // if this process dies.
        let mut on_event = |e: Event<'_>| match e {
            Event::LockWaiting(h) => {
                eprintln!("research-agent: another instance is migrating ({h}); waiting")
            }
            Event::Applied(m) => println!(
                "research-agent: applied {} ({} ms)",
                m.script, m.execution_ms
            ),
            _ => {}
        };
        match Migrator::new(&migrations, TableName::default())
            .run(&client, &mut on_event)
            .await
        {
            Ok(report) if report.executed.is_empty() => {
                println!("research-agent: schema up to date");
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("research-agent: migration failed, not starting: {e}");
                return ExitCode::from(1);
            }
        }
    } else if let Err(e) = strata::verify(&client, &migrations).await {
        eprintln!("research-agent: refusing to start: {e}");
        eprintln!("research-agent: run `strata migrate`, or set MIGRATE_ON_START=true");
        return ExitCode::from(1);
    }
    println!("research-agent: ready");
    ExitCode::SUCCESS
}

/// Connects, retrying for up to `wait` while the server is starting.
async fn connect(endpoint: &Endpoint, wait: Duration) -> Option<Client> {
    match endpoint.connect(wait).await {
        Ok(client) => Some(client),
        Err(e) => {
            eprintln!("research-agent: {e}");
            None
        }
    }
}
