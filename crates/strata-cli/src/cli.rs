//! Command-line syntax (clap). Names follow SPEC §4 exactly.
//!
//! A new command fits in by: a doc comment (its one-line `about`), an
//! `#[command(after_long_help = help::NAME)]` example from `help.rs` (a test
//! below fails for a command without one), and its own flags in its `Args`
//! struct. The global options need nothing: [`Global`] puts them under the
//! "Global options" heading of every command's help, and `strata help`,
//! the man page and the completions pick the command up by themselves.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::help;

/// PostgreSQL databases and schema migrations, safely.
#[derive(Debug, Parser)]
#[command(
    name = "strata",
    version,
    propagate_version = true,
    after_help = help::TOP_SHORT,
    after_long_help = help::TOP_LONG
)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes, listed apart from each command's own.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Use this strata.toml instead of searching for one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Environment (else STRATA_ENV, else default_env, else dev).
    #[arg(short = 'e', long = "env", global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Only this database (repeatable; default: all, in depends_on order).
    #[arg(long = "db", global = true, value_name = "NAME")]
    pub db: Vec<String>,
    /// Write one JSON document to stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (the SQL of a dry run, connection details).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// No colour (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented strata.toml and migrations/ (refuses to overwrite).
    #[command(after_long_help = help::INIT)]
    Init,
    /// Create the next migration file.
    #[command(after_long_help = help::NEW)]
    New(NewArgs),
    /// Every migration with its state, per database.
    ///
    /// Also `strata info` (Flyway's name for it).
    #[command(visible_alias = "info", after_long_help = help::STATUS)]
    Status(StatusArgs),
    /// Check files (names, duplicates, encoding, empty files) and, when reachable, files vs history.
    #[command(after_long_help = help::VALIDATE)]
    Validate(ValidateArgs),
    /// Apply pending migrations.
    #[command(after_long_help = help::MIGRATE)]
    Migrate(MigrateArgs),
    /// Static analysis of migrations for production hazards (default: the pending ones).
    #[command(after_long_help = help::LINT)]
    Lint(LintArgs),
    /// Runtime check: exit 0 if every file is applied with a matching checksum, else 3.
    #[command(after_long_help = help::VERIFY)]
    Verify(ConnectArgs),
    /// Run the down parts of the newest applied versions (default: one).
    #[command(after_long_help = help::ROLLBACK)]
    Rollback(RollbackArgs),
    /// Remove failed rows; with --accept-checksums record modified files' checksums.
    #[command(after_long_help = help::REPAIR)]
    Repair(RepairArgs),
    /// Mark an existing database as being at VERSION, or adopt another tool's history.
    #[command(after_long_help = help::BASELINE)]
    Baseline(BaselineArgs),
    /// The embedded local cluster in .strata/.
    #[command(after_long_help = help::DEV)]
    Dev(DevArgs),
    /// Create, drop, clean, seed, wait for or reset the databases.
    #[command(after_long_help = help::DB)]
    Db(DbArgs),
    /// The resolved environment: each database's URL, where it came from, and the policy checks.
    #[command(after_long_help = help::ENV)]
    Env,
    /// The schema as it is in the database: `schema dump`.
    #[command(after_long_help = help::SCHEMA)]
    Schema(SchemaArgs),
    /// Compare the live schema with what its applied migrations build in a scratch database (exit 3 when they differ).
    #[command(after_long_help = help::DRIFT)]
    Drift(DriftArgs),
    /// Check in a scratch database that every down part restores the schema its up started from.
    #[command(after_long_help = help::ROUNDTRIP)]
    Roundtrip,
    /// Shell completions (bash, zsh, fish, powershell, elvish) on stdout.
    #[command(after_long_help = help::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// The man page (roff) on stdout; with --out DIR, one page per command.
    #[command(after_long_help = help::MAN)]
    Man(ManArgs),
}

/// `strata completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `strata man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write strata.1 and strata-<command>.1 for every command into DIR
    /// (created if missing) instead of strata.1 to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `strata schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SchemaAction,
}

/// `strata schema dump`.
#[derive(Debug, Subcommand)]
pub enum SchemaAction {
    /// Print the schema, read from the catalogs, as sorted deterministic SQL (one statement per object).
    #[command(after_long_help = help::SCHEMA_DUMP)]
    Dump(SchemaDumpArgs),
}

/// `strata schema dump`.
#[derive(Debug, Args)]
pub struct SchemaDumpArgs {
    /// Write the dump to FILE (one database: pick it with --db when there are several).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Compare with this dump (from `strata schema dump`) instead of a scratch database.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does (sanitized to [a-z0-9_]).
    #[arg(required = true, num_args = 1..)]
    pub description: Vec<String>,
    /// Add a down section (or a .down.sql file where the folder uses pairs).
    #[arg(long)]
    pub reversible: bool,
}

/// Connection options.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectArgs {
    /// Retry a refused connection for up to DURATION (30, 30s, 500ms, 5min; bare = seconds).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = crate::duration::parse)]
    pub wait: Duration,
}

/// The migration lock's flags, for every command that takes the lock.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// How long to wait for another strata holding the migration lock (then exit 4).
    #[arg(long, value_name = "DURATION", default_value = "60", value_parser = crate::duration::parse)]
    pub lock_wait: Duration,
}

impl Default for LockArgs {
    fn default() -> Self {
        LockArgs {
            lock_wait: Duration::from_secs(60),
        }
    }
}

/// `strata status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Show states as of this target version.
    #[arg(long, value_name = "VERSION")]
    pub target: Option<String>,
}

/// `strata validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Check the files only; do not connect.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Lint these files (no database); default: the pending migrations.
    #[arg(value_name = "FILES")]
    pub files: Vec<std::path::PathBuf>,
    /// Lint every migration file, without connecting.
    #[arg(long)]
    pub offline: bool,
    /// Lint only the migrations added or edited since git REF (no
    /// database), and fail on a version not above REF's highest.
    #[arg(long, value_name = "REF", conflicts_with = "files")]
    pub base: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Apply nothing beyond this version.
    #[arg(long, value_name = "VERSION")]
    pub target: Option<String>,
    /// Print the plan (with -v, the SQL); change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run all pending migrations in one transaction.
    #[arg(long)]
    pub single_transaction: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Run a migration that fails on lock_timeout again up to N times, with
    /// backoff (default: the environment's `lock_retries`, else 0).
    #[arg(long, value_name = "N")]
    pub lock_retries: Option<u32>,
    /// Apply pending versions lower than the highest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Continue a failed no-transaction migration at its failed statement
    /// (after checking the statements already applied are unchanged).
    #[arg(long)]
    pub resume: bool,
    /// Do not refuse on error-level lint findings in what is to be applied.
    #[arg(long)]
    pub no_lint: bool,
    /// Before anything is applied, `pg_dump -Fc` each database into DIR
    /// (created if missing) as `<database>-<UTC timestamp>.dump`; if a dump
    /// fails, nothing is migrated.
    #[arg(long, value_name = "DIR")]
    pub backup: Option<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Roll back the N highest applied versions (default 1).
    #[arg(long, value_name = "N", conflicts_with = "to")]
    pub steps: Option<usize>,
    /// Roll back every applied version above VERSION (VERSION stays applied; 0 = all).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Check and list what would be rolled back; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata repair`.
#[derive(Debug, Args)]
pub struct RepairArgs {
    /// Record the current checksums of modified migrations.
    #[arg(long)]
    pub accept_checksums: bool,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The version the database is at.
    #[arg(
        value_name = "VERSION",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub at_version: Option<String>,
    /// Adopt the history of another tool: flyway, dbmate, golang-migrate, sqlx, node-pg-migrate, refinery.
    #[arg(long, value_name = "TOOL")]
    pub from: Option<String>,
    /// That tool's history table, when not its default (`schema.table`).
    #[arg(long, value_name = "TABLE", requires = "from")]
    pub from_table: Option<String>,
    /// Print what would be recorded; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `strata dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: DevAction,
}

/// `strata dev up|down|status`.
#[derive(Debug, Subcommand)]
pub enum DevAction {
    /// Initialise (first time) and start the local cluster.
    #[command(after_long_help = help::DEV_UP)]
    Up,
    /// Stop the local cluster.
    #[command(after_long_help = help::DEV_DOWN)]
    Down,
    /// Whether it runs, where, and the URL of each database.
    #[command(after_long_help = help::DEV_STATUS)]
    Status,
}

/// `strata db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: DbAction,
}

/// `strata db create|drop|clean|seed|wait|reset`.
#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Create each database if it is missing (idempotent).
    #[command(after_long_help = help::DB_CREATE)]
    Create(DbConnectArgs),
    /// Drop each database (refused in a protected environment).
    #[command(after_long_help = help::DB_DROP)]
    Drop(ConfirmArgs),
    /// Empty every table of the configured schemas except the history table; restart sequences.
    #[command(after_long_help = help::DB_CLEAN)]
    Clean(DbConnectArgs),
    /// Run seeds/<database>/*.sql in file-name order, each in a transaction.
    #[command(after_long_help = help::DB_SEED)]
    Seed(DbConnectArgs),
    /// Wait until every database accepts connections.
    #[command(after_long_help = help::DB_WAIT)]
    Wait(WaitArgs),
    /// Terminate sessions, drop, create, migrate and seed: the hard reset.
    #[command(after_long_help = help::DB_RESET)]
    Reset(ResetArgs),
}

/// Connection options of `db` commands.
#[derive(Debug, Args, Clone, Default)]
pub struct DbConnectArgs {
    /// Retry a refused connection for up to DURATION (30, 30s, 500ms, 5min; bare = seconds).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = crate::duration::parse)]
    pub wait: Duration,
}

/// `db drop`.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfirmArgs {
    /// The real database name (from the URL), confirming the drop; repeat for several databases.
    #[arg(long, value_name = "NAME")]
    pub confirm: Vec<String>,
    #[command(flatten)]
    pub connect: DbConnectArgs,
}

/// `db wait`.
#[derive(Debug, Args, Clone)]
pub struct WaitArgs {
    /// Give up after DURATION (30, 30s, 2min; bare = seconds).
    #[arg(long, value_name = "DURATION", default_value = "30", value_parser = crate::duration::parse)]
    pub timeout: Duration,
}

/// `db reset`.
#[derive(Debug, Args, Clone, Default)]
#[command(mut_arg("lock_wait", |a| a.help("How long to wait for another strata holding the migration lock")))]
pub struct ResetArgs {
    /// The real database name (from the URL), confirming the reset; repeat for several databases.
    /// Never accepted in a protected environment.
    #[arg(long, value_name = "NAME")]
    pub confirm: Vec<String>,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub connect: DbConnectArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap checks names, conflicts and requirements only when asked (or at
        // run time, by panicking): ask here.
        super::Cli::command().debug_assert();
    }

    /// Every command, nested ones included, shows an example in its
    /// `--help`: a new command without one fails here.
    #[test]
    fn every_command_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                let example = sub
                    .get_after_long_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if !example.contains("Example") || !example.contains("strata ") {
                    missing.push(path.clone());
                }
                walk(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "strata", &mut missing);
        // clap's own `help` subcommand is added when parsing, not here.
        assert!(
            missing.is_empty(),
            "commands without an example: {missing:?}"
        );
    }
}
