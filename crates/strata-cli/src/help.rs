//! The prose of `--help` that is not one flag's description: the top-level
//! page's environment variables and exit codes (SPEC §9), and one example
//! per command. `cli.rs` attaches them (`after_help` / `after_long_help`),
//! so `strata help COMMAND`, `--help`, the man page and the completions all
//! come from the same definitions.
//!
//! Examples are `after_long_help`: `-h` stays a compact list of flags,
//! `--help` (and `strata help COMMAND`) adds the example. Every command has
//! one; a test in `cli.rs` fails for a command without.

/// Below the short `-h` of the top level.
pub const TOP_SHORT: &str = "\
'strata help COMMAND' (or 'strata COMMAND --help') shows a command's flags and an example;
'strata --help' adds the environment variables and the exit codes.";

/// Below the top-level `--help`: environment variables and exit codes.
pub const TOP_LONG: &str = "\
Environment:
  STRATA_ENV            the environment when --env is not given (else default_env, else dev)
  DATABASE_URL          a database's URL: the default url_env; a database may name its own
                        url_env, admin_url_env and direct_url_env in strata.toml
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGPASSFILE PGSERVICE PGSERVICEFILE PGSSLMODE
  PGSSLROOTCERT PGSSLCERT PGSSLKEY PGCONNECT_TIMEOUT PGAPPNAME PGOPTIONS …
                        libpq's defaults, read as libpq reads them (every PG* variable libpq
                        knows; one whose setting strata cannot honour is an error, never ignored)
  STRATA_PG_BIN         the directory of initdb/pg_ctl/postgres for the local cluster
                        (else pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)
  NO_COLOR CLICOLOR CLICOLOR_FORCE TERM
                        colour, as usual (--no-color too)
  CI                    when set, the hard reset of a protected environment is refused
  The environment's env files (strata.toml env_files) are read too; a variable already
  set in the process environment wins over every file.

Exit codes:
  0        success (for verify/validate: everything is in order)
  1        the operation failed (SQL error, connection failure, I/O)
  2        usage or configuration error (flags, strata.toml, URL policy)
  3        checks found problems (verify, validate, lint errors, migrate refused by state)
  4        timed out waiting for the migration lock
  5        refused: a destructive operation not allowed here or not confirmed
  130/143  interrupted by SIGINT / SIGTERM

Examples:
  strata init && strata new create users     start a project and its first migration
  strata migrate                             apply the pending migrations (dev: local cluster)
  STRATA_ENV=prod strata migrate --wait 30   in a release step, the URL from DATABASE_URL
  strata verify                              at application start: exit 0 when up to date";

/// `strata init`.
pub const INIT: &str = "\
Example:
  strata init                 strata.toml and migrations/ in the current directory";

/// `strata new`.
pub const NEW: &str = "\
Examples:
  strata new create users     migrations/V002__create_users.sql (the next version)
  strata new --reversible add orders --db shop";

/// `strata status`.
pub const STATUS: &str = "\
Examples:
  strata status               every migration of every database, with its state
  strata info --env test --json";

/// `strata validate`.
pub const VALIDATE: &str = "\
Examples:
  strata validate --offline   the files only (names, duplicates, encoding), no database
  strata validate             the files, then the files against the history";

/// `strata migrate`.
pub const MIGRATE: &str = "\
Examples:
  strata migrate --dry-run -v        the plan and its SQL; nothing changes
  strata migrate --target 5          apply up to V5
  strata --env prod migrate --wait 30 --lock-wait 5min";

/// `strata verify`.
pub const VERIFY: &str = "\
Example:
  strata --env prod verify || exit 1     refuse to start an application on a stale schema";

/// `strata rollback`.
pub const ROLLBACK: &str = "\
Examples:
  strata rollback             the newest applied version
  strata rollback --to 3 --dry-run";

/// `strata repair`.
pub const REPAIR: &str = "\
Examples:
  strata repair --dry-run     what would be removed
  strata repair --accept-checksums";

/// `strata baseline`.
pub const BASELINE: &str = "\
Examples:
  strata baseline 7           an existing database is at V7
  strata baseline --from flyway --dry-run";

/// `strata dev`.
pub const DEV: &str = "\
Examples:
  strata dev up               start the local cluster (initdb on first use)
  strata dev status           where it runs and each database's URL
  strata dev down             stop it";

/// `strata dev up`.
pub const DEV_UP: &str = "\
Example:
  strata dev up               start the local cluster in .strata/cluster/ (initdb on first use)";

/// `strata dev down`.
pub const DEV_DOWN: &str = "\
Example:
  strata dev down             stop the local cluster (its data stays in .strata/cluster/)";

/// `strata dev status`.
pub const DEV_STATUS: &str = "\
Example:
  strata dev status --json    running or not, its port, pid, data directory and URLs";

/// `strata db`.
pub const DB: &str = "\
Examples:
  strata db create --env test
  strata db wait --timeout 60s
  strata db drop --confirm app_test";

/// `strata db create`.
pub const DB_CREATE: &str = "\
Example:
  strata --env test db create        create app_test if missing (admin role from PGUSER/admin_url_env)";

/// `strata db drop`.
pub const DB_DROP: &str = "\
Example:
  strata --env test db drop --confirm app_test";

/// `strata db clean`.
pub const DB_CLEAN: &str = "\
Example:
  strata --env test db clean         empty the tables between test runs; keep schema and history";

/// `strata db seed`.
pub const DB_SEED: &str = "\
Example:
  strata db seed --db core           run seeds/core/*.sql in file-name order";

/// `strata db wait`.
pub const DB_WAIT: &str = "\
Example:
  strata db wait --timeout 60s       a container healthcheck or a CI step before migrate";

/// `strata db reset`.
pub const DB_RESET: &str = "\
Example:
  strata db reset --confirm app_dev  terminate sessions, drop, create, migrate, seed";

/// `strata env`.
pub const ENV: &str = "\
Example:
  strata --env prod env       each database's URL (redacted), where it came from, the policy checks";

/// `strata lint`.
pub const LINT: &str = "\
Examples:
  strata lint                           the pending migrations of every database (needs the database)
  strata lint --offline                 every migration file, no database
  strata lint --offline migrations/V7__add_index.sql
  strata lint --base origin/main        what this branch adds since origin/main, no database
  strata lint --json                    the findings as JSON (exit 3 when one is an error)";

/// `strata schema`.
pub const SCHEMA: &str = "\
Example:
  strata schema dump --out schema.sql   the schema as sorted SQL, to commit and review";

/// `strata schema dump`.
pub const SCHEMA_DUMP: &str = "\
Examples:
  strata schema dump                    every database's schema, one statement per object
  strata --db core schema dump --out schema/core.sql
  strata schema dump --json             the snapshot as JSON";

/// `strata drift`.
pub const DRIFT: &str = "\
Examples:
  strata drift                          every database against a scratch copy built from its history
  strata --db core drift --against schema/core.sql
                                        against a committed dump, no scratch database
  strata drift --json                   the differences as JSON (exit 3 when there are some)";

/// `strata roundtrip`.
pub const ROUNDTRIP: &str = "\
Examples:
  strata roundtrip                      up, down, up of every reversible migration in a scratch database
  strata roundtrip --json               per migration: restored, not_restored (with differences), irreversible";

/// `strata completions`.
pub const COMPLETIONS: &str = "\
Examples:
  strata completions bash > ~/.local/share/bash-completion/completions/strata
  strata completions zsh > \"${fpath[1]}/_strata\"
  strata completions fish > ~/.config/fish/completions/strata.fish";

/// `strata man`.
pub const MAN: &str = "\
Examples:
  strata man | man -l -                 read it now
  strata man --out /usr/local/share/man/man1
                                        strata.1 and strata-<command>.1 for every command";
