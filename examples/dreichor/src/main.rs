//! The Dreichor runtime's start-up (seed 001): validate `DATABASE_URL`
//! strictly, then check the schema with the library's verify
//! (`strata::verify_table`, for the team's history table) against the
//! migrations embedded in this binary. It never migrates and never creates
//! or alters anything: on an incompatible schema it lists every problem and
//! exits 1, so a deploy fails fast and the operator runs `strata migrate`.
//!
//! Then it compares the live schema with `schema.sql`, the dump of what
//! the migrations make (`strata schema dump --out schema.sql`, embedded at
//! build time), with `strata::verify_schema`: an index created by hand or a
//! column changed by a hotfix refuses the start too, one line per
//! difference, until it is undone or made a migration.
//!
//! The URL rules and the history table are the ones the operator's
//! `strata` uses: this example's `strata.toml`, embedded at build time, so
//! the runtime and the runner cannot disagree about them. On top of those,
//! the runtime insists on the `postgres://` scheme (strata itself also
//! accepts `postgresql://` and key=value strings).
//!
//! The environment is `DREICHOR_ENV` (`dev` or `prod`, default `dev`).
//!
//! Exit codes: 0 ready, 1 incompatible schema (history or live schema) or
//! database unreachable, 2 invalid configuration.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use strata::config::{DbUrl, Libpq, Project, UrlRole, check_effective_policy};
use strata::connect::Endpoint;
use strata::history::TableName;
use strata::schema::{Dump, Scope};

/// The operator's configuration: environments, URL rules, history table.
const STRATA_TOML: &str = include_str!("../strata.toml");
/// The schema the migrations make, as `strata schema dump --out schema.sql`
/// wrote it.
const SCHEMA_SQL: &str = include_str!("../schema.sql");

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
    let (url, table, scope) = match configuration() {
        Ok(c) => c,
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
    let expected = match Dump::parse(SCHEMA_SQL) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("dreichor: the embedded schema.sql is invalid: {e}");
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
    if let Err(e) = strata::verify_table(&client, &migrations, &table).await {
        eprintln!("dreichor: refusing to start: {e}");
        eprintln!("dreichor: an operator must run `strata migrate` (the runtime never migrates)");
        return ExitCode::from(1);
    }
    // The files ran; does the database still look like what they made?
    if let Err(e) = strata::verify_schema(&client, &scope, &expected).await {
        eprintln!("dreichor: refusing to start: {e}");
        if !e.differences().is_empty() {
            eprintln!(
                "dreichor: the schema was changed outside the migrations: undo the change, \
                 or make it a migration and regenerate schema.sql"
            );
        }
        return ExitCode::from(1);
    }
    println!(
        "dreichor: schema compatible ({} migrations verified in {table}); ready",
        migrations.list.len()
    );
    ExitCode::SUCCESS
}

/// `DATABASE_URL`, validated as the team's document requires (it starts
/// with `postgres://`, points to localhost, names this environment's
/// database), the history table to verify against, and what the schema
/// check covers (the database's schemas, the history table left out).
fn configuration() -> Result<(DbUrl, TableName, Scope), String> {
    let project = Project::from_toml(STRATA_TOML, Path::new("strata.toml"))
        .map_err(|e| format!("the embedded strata.toml: {e}"))?;
    let env_name = std::env::var("DREICHOR_ENV").unwrap_or_else(|_| "dev".to_owned());
    let env = project
        .environment(&env_name)
        .filter(|e| e.declared)
        .ok_or_else(|| format!("DREICHOR_ENV={env_name} is not an environment of strata.toml"))?;
    let db = project
        .databases()
        .first()
        .ok_or("the embedded strata.toml declares no database")?;

    let raw = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_owned())?;
    if !raw.starts_with("postgres://") {
        return Err("DATABASE_URL must start with postgres://".to_owned());
    }
    let url = DbUrl::parse(&raw).map_err(|e| format!("DATABASE_URL: {e}"))?;
    // The rules run on what would actually be reached: PGHOST, PGDATABASE
    // and a service file included, exactly as `strata` checks them.
    let effective = Libpq::from_process_env()
        .effective(&url)
        .map_err(|e| format!("DATABASE_URL: {e}"))?;
    let report = check_effective_policy(env, &url, &effective, UrlRole::Database);
    if let Some(check) = report.first_violation() {
        return Err(format!(
            "DATABASE_URL {} breaks environment {env_name}'s {}: {}",
            report.url, check.rule, check.message
        ));
    }
    Ok((url, db.history_table.clone(), Scope::of(db)))
}
