//! research_agent's start-up (seed 003): resolve the database as the
//! `strata` CLI does (strata.toml, `.env`, the process environment), wait
//! for PostgreSQL, then either
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

use std::path::Path;

use strata::config::{Project, ResolvedEnv, process_env_snapshot};
use strata::connect::Endpoint;
use strata::migrator::Event;
use strata::{Migrator, TableName};
use tokio_postgres::Client;

/// What start-up needs from the configuration.
struct Resolved {
    endpoint: Endpoint,
    env: ResolvedEnv,
    table: TableName,
}

/// The app's one database, resolved exactly as `strata migrate` would.
async fn resolve() -> Result<Resolved, String> {
    let project = Project::discover(Path::new(".")).map_err(|e| chain(&e))?;
    let env = project
        .resolve_env(None, &process_env_snapshot())
        .map_err(|e| chain(&e))?;
    let Some(db) = project.databases().first().cloned() else {
        return Err("strata.toml declares no database".to_owned());
    };
    let endpoint = Endpoint::resolve(&project, &env, &db)
        .await
        .map_err(|e| chain(&e))?;
    Ok(Resolved {
        endpoint,
        env,
        table: db.history_table,
    })
}

/// An error with its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

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
    // The same resolution as the `strata` CLI, from the library: strata.toml
    // found from the working directory, the environment (STRATA_ENV, else
    // `dev`) and its env files (`.env`), the process environment winning
    // over them (compose's `environment:`, CI secrets), libpq's PG*
    // defaults, the URL policy and TLS.
    let resolved = match resolve().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("research-agent: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let Resolved {
        endpoint,
        env,
        table,
    } = resolved;
    let var = |name: &str| env.get_non_empty(name).map(|(v, _)| v.to_owned());
    let migrate_on_start = matches!(
        var("MIGRATE_ON_START").as_deref(),
        Some("true" | "1" | "yes")
    );
    let wait = var("DB_WAIT_SECS")
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
        match Migrator::new(&migrations, table.clone())
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
    } else if let Err(e) = strata::verify_table(&client, &migrations, &table).await {
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
