//! The Dreichor runtime's start-up (seed 001): validate `DATABASE_URL`
//! strictly, then check the schema with `strata::verify_table` against the
//! migrations embedded in this binary. It never migrates and never creates
//! or alters anything: on an incompatible schema it lists every problem and
//! exits 1, so a deploy fails fast and the operator runs `strata migrate`.
//!
//! Exit codes: 0 ready, 1 incompatible schema or database unreachable,
//! 2 invalid configuration.

use std::process::ExitCode;
use std::time::Duration;

use strata::config::{DbUrl, Libpq};
use strata::connect::Endpoint;
use strata::history::TableName;

/// The history table of `strata.toml` (`history_table`).
const HISTORY_TABLE: &str = "public.dreichor_schema_migrations";

fn main() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dreichor: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(start())
}

async fn start() -> ExitCode {
    let url = match database_url() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("dreichor: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    // libpq's rules on top of the team's: PGPASSWORD / ~/.pgpass fill a
    // missing password, TLS is what `sslmode` asks.
    let endpoint = match Endpoint::for_url(&url, &Libpq::from_process_env()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("dreichor: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let migrations = match strata::embed_migrations!("$CARGO_MANIFEST_DIR/infra/db/migrations") {
        Ok(m) => m,
        Err(e) => {
            eprintln!("dreichor: the embedded migrations are invalid: {e}");
            return ExitCode::from(2);
        }
    };
    let table = match TableName::parse(HISTORY_TABLE) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("dreichor: {e}");
            return ExitCode::from(2);
        }
    };
    // No wait: the runtime starts after its database, and fails fast if not.
    let client = match endpoint.connect(Duration::ZERO).await {
        Ok(client) => client,
        Err(e) => {
            eprintln!("dreichor: cannot connect to the database: {e}");
            return ExitCode::from(1);
        }
    };
    match strata::verify_table(&client, &migrations, &table).await {
        Ok(()) => {
            println!(
                "dreichor: schema compatible ({} migrations verified in {table}); ready",
                migrations.list.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dreichor: refusing to start: {e}");
            eprintln!(
                "dreichor: an operator must run `strata migrate` (the runtime never migrates)"
            );
            ExitCode::from(1)
        }
    }
}

/// `DATABASE_URL`, validated as the team's document requires: `postgres://`,
/// pointing to localhost, naming this environment's database
/// (`DREICHOR_DATABASE`, default `dreichor_<DREICHOR_ENV>`, env default `dev`).
fn database_url() -> Result<DbUrl, String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_owned())?;
    let rest = url
        .strip_prefix("postgres://")
        .ok_or("DATABASE_URL must start with postgres://")?;
    let (authority, path) = rest
        .split_once('/')
        .ok_or("DATABASE_URL names no database")?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    if host != "localhost" && host != "127.0.0.1" {
        return Err(format!("DATABASE_URL must point to localhost, not {host}"));
    }
    let database = path.split('?').next().unwrap_or_default();
    let expected = std::env::var("DREICHOR_DATABASE").unwrap_or_else(|_| {
        format!(
            "dreichor_{}",
            std::env::var("DREICHOR_ENV").unwrap_or_else(|_| "dev".into())
        )
    });
    if database != expected {
        return Err(format!(
            "DATABASE_URL names database {database}, this environment's is {expected}"
        ));
    }
    DbUrl::parse(&url).map_err(|e| format!("DATABASE_URL: {e}"))
}
