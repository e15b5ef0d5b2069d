//! The one-line results of the commands: what ran, what would run, what was
//! rolled back, repaired, recorded, checked. Each returns the text; the
//! command prints it (stdout or stderr is the command's choice).

use std::path::Path;

use strata::adopt::Tool;
use strata::error::LockHolder;
use strata::history::{AppliedMigration, NewRow, TableName};
use strata::migration::{Migration, Version};
use strata::migrator::Executed;
use strata::plan::{Plan, Problem, State};
use strata::repair::ChecksumChange;

use super::DbReport;

/// `V004`, or `R` for a repeatable.
fn label(version: Option<&impl std::fmt::Display>) -> String {
    version.map_or_else(|| "R".to_owned(), |v| format!("V{v}"))
}

/// One line per applied migration: `applied V004 add orders (12 ms)`.
pub fn executed_line(e: &Executed) -> String {
    format!(
        "applied {} {} ({} ms)",
        label(e.version.as_ref()),
        e.description,
        e.execution_ms
    )
}

/// `main: applied V004 add orders (12 ms)`: a migration a run applied.
pub fn applied(db: &str, e: &Executed) -> String {
    format!("{db}: {}", executed_line(e))
}

/// `main: V004__add_orders.sql: WARNING: w1`: a notice the server raised
/// while a migration ran (its text escaped for the terminal).
pub fn notice(db: &str, script: &str, n: &strata::notice::Notice) -> String {
    let text: String = n
        .to_string()
        .chars()
        .flat_map(|c| {
            let keep = !c.is_control() || c == '\n';
            let escaped: Vec<char> = if keep {
                vec![c]
            } else {
                c.escape_default().collect()
            };
            escaped
        })
        .collect();
    format!("{db}: {script}: {text}")
}

/// `main: would apply V004 add orders (no transaction)  [V004__add_orders.sql]`.
pub fn would_apply(db: &str, m: &Migration) -> String {
    let tx = if m.no_transaction() {
        " (no transaction)"
    } else {
        ""
    };
    format!(
        "{db}: would apply {} {}{tx}  [{}]",
        label(m.version.as_ref()),
        m.description,
        m.script
    )
}

/// A dry run with nothing to apply.
pub fn nothing_to_apply(db: &str) -> String {
    format!("{db}: up to date, nothing to apply")
}

/// `main: up to date (version 4)`: a run that applied nothing.
pub fn up_to_date(db: &str, plan: &Plan) -> String {
    let current: Option<&Version> = plan
        .entries
        .iter()
        .rev()
        // Repeatables come last and have no version: skip them.
        .filter(|e| e.version.is_some())
        .find(|e| e.state.is_applied() || e.state == State::Baseline)
        .and_then(|e| e.version.as_ref());
    format!(
        "{db}: up to date{}",
        current
            .map(|v| format!(" (version {v})"))
            .unwrap_or_default()
    )
}

/// `main: 3 migration(s) applied (40 ms)`.
pub fn applied_total(db: &str, executed: &[Executed]) -> String {
    let total: u64 = executed.iter().map(|e| e.execution_ms).sum();
    format!("{db}: {} migration(s) applied ({total} ms)", executed.len())
}

/// A database's line in `migrate`'s summary.
pub fn migrate_summary(r: &DbReport) -> String {
    let detail = match (r.outcome(), &r.skipped) {
        ("skipped", Some(s)) => s.clone(),
        ("failed", _) => "failed".to_owned(),
        _ => format!("{} applied", r.executed.len()),
    };
    format!("  {}: {detail}", r.name)
}

/// A database's line in a `db` command's summary.
pub fn db_summary(r: &DbReport) -> String {
    let detail = match (r.outcome(), &r.skipped) {
        ("skipped", Some(s)) => s.clone(),
        (o, _) => o.to_owned(),
    };
    format!("  {}: {detail}", r.name)
}

/// A problem of a check, `main: …`.
pub fn problem(db: &str, p: &Problem) -> String {
    format!("{db}: {p}")
}

/// `verify` found nothing wrong.
pub fn verified(r: &DbReport) -> String {
    let (applied, _) = r.counts();
    format!("{}: ok, {applied} migrations applied and verified", r.name)
}

/// `validate` found nothing wrong.
pub fn validated(db: &str, files: usize, files_only: bool) -> String {
    let scope = if files_only {
        "files"
    } else {
        "files and history"
    };
    format!("{db}: ok, {files} migration(s), {scope} consistent")
}

/// `main: rolled back V3 add items (4 ms)`.
pub fn rolled_back(db: &str, e: &Executed) -> String {
    let label = e
        .version
        .as_ref()
        .map(|v| format!("V{v}"))
        .unwrap_or_default();
    format!(
        "{db}: rolled back {label} {} ({} ms)",
        e.description, e.execution_ms
    )
}

/// A rollback with nothing to roll back.
pub fn nothing_to_roll_back(db: &str) -> String {
    format!("{db}: nothing to roll back")
}

/// `main: would roll back V3 add items  [V003__add_items.down.sql]`.
pub fn would_roll_back(db: &str, m: &Migration, down: &str) -> String {
    let label = m
        .version
        .as_ref()
        .map(|v| format!("V{v}"))
        .unwrap_or_default();
    format!("{db}: would roll back {label} {}  [{down}]", m.description)
}

/// `main: removed failed row #3 V3 (V003__x.sql, failed at …)`.
pub fn removed_row(db: &str, verb: &str, row: &AppliedMigration) -> String {
    format!(
        "{db}: {verb} failed row #{} {} ({}, failed at {})",
        row.installed_rank,
        label(row.version.as_ref()),
        row.script,
        row.applied_at
    )
}

/// `main: recorded checksum of V3 (V003__x.sql): OLD -> NEW`.
pub fn accepted_checksum(db: &str, verb: &str, c: &ChecksumChange) -> String {
    format!(
        "{db}: {verb} checksum of V{} ({}): {} -> {}",
        c.version,
        c.script,
        c.old.map_or_else(|| "none".to_owned(), |c| c.to_hex()),
        c.new
    )
}

/// The warning for a modified migration `repair` left alone.
pub fn still_modified(db: &str, script: &str) -> String {
    format!(
        "{db}: {script} is modified; run `strata repair --accept-checksums` to record its new checksum, \
         or restore the file"
    )
}

/// `main: recorded versioned V3 (V003__x.sql)`: a row `baseline --from` wrote.
pub fn recorded_row(db: &str, verb: &str, row: &NewRow) -> String {
    format!(
        "{db}: {verb} {} {} ({})",
        row.kind.as_str(),
        label(row.version.as_ref()),
        row.script
    )
}

/// `repair` found nothing to do.
pub fn nothing_to_repair(db: &str) -> String {
    format!("{db}: nothing to repair")
}

/// `main: adopted 3 row(s) from flyway's history public.flyway_schema_history
/// into public.strata_schema_history`.
pub fn adopted(
    db: &str,
    dry_run: bool,
    rows: usize,
    tool: Tool,
    source: &TableName,
    table: &TableName,
) -> String {
    let verb = if dry_run { "would adopt" } else { "adopted" };
    format!("{db}: {verb} {rows} row(s) from {tool}'s history {source} into {table}")
}

/// `main: would baseline at version 3`.
pub fn would_baseline(db: &str, version: &Version) -> String {
    format!("{db}: would baseline at version {version}")
}

/// `main: baselined at version 3 (public.strata_schema_history)`.
pub fn baselined(db: &str, version: &Version, table: &TableName) -> String {
    format!("{db}: baselined at version {version} ({table})")
}

/// `main: waiting for the migration lock, held by …`.
pub fn lock_waiting(db: &str, holder: &LockHolder) -> String {
    format!("{db}: waiting for the migration lock, held by {holder}")
}

/// `main: V3__add_index.sql: waiting for a lock (attempt 2 of 4, next in 1s):
/// blocked by pid 4242 (app "orders-api", idle in transaction since …): SELECT …`.
pub fn lock_retry(db: &str, retry: &strata::migrator::LockRetry) -> String {
    let who = if retry.blockers.is_empty() {
        "no blocking session seen".to_owned()
    } else {
        let each: Vec<String> = retry
            .blockers
            .iter()
            .map(|b| format!("blocked by {b}"))
            .collect();
        each.join("; ")
    };
    format!("{db}: {retry}: {who}")
}

/// The warning that the connection goes through a pooler (SPEC §4.2 step 1).
pub fn behind_pooler(db: &str) -> String {
    format!(
        "{db}: the connection goes through a pooler (the server session is not the one the connection started with): \
         no session lock; each migration's transaction takes the lock and skips a migration another run applied"
    )
}

/// `main: connecting to postgres://app@db/app` (`--verbose`).
pub fn connecting(db: &str, url: &str) -> String {
    format!("{db}: connecting to {url}")
}

/// `main: connected to postgres://app@db/app` (`--verbose`).
pub fn connected(db: &str, url: &str) -> String {
    format!("{db}: connected to {url}")
}

/// `main: created history table public.strata_schema_history` (`--verbose`).
pub fn history_created(db: &str, table: &TableName) -> String {
    format!("{db}: created history table {table}")
}

/// `main: resuming V3__x.sql after the 2 statement(s) that already ran`.
pub fn resuming(db: &str, m: &Migration, skipped: usize) -> String {
    format!(
        "{db}: resuming {} after the {skipped} statement(s) that already ran",
        m.script
    )
}

/// A warning about a database's migrations, `main: …`.
pub fn warning(db: &str, warning: &str) -> String {
    format!("{db}: {warning}")
}

/// `main: the database held tables but no history; recorded a baseline at version 0 in …`.
pub fn baselined_on_migrate(db: &str, table: &strata::TableName) -> String {
    format!(
        "{db}: the database already held tables but no history (baseline_on_migrate): \
         recorded a baseline at version 0 in {table}"
    )
}

/// A problem `validate` found in a file, `main: …`.
pub fn file_error(db: &str, error: &str) -> String {
    format!("{db}: {error}")
}

/// Why a database was skipped: one it depends on failed.
pub fn depends_on_failed(dependency: &str) -> String {
    format!("skipped: it depends on {dependency}, which failed")
}

/// `database main: skipped: …`, the warning for a skipped database.
pub fn skipped(db: &str, why: &str) -> String {
    format!("database {db}: {why}")
}

/// `created strata.toml` (`strata init`).
pub fn created_file(path: &Path) -> String {
    format!("created {}", path.display())
}

/// `created migrations/` (`strata init`).
pub fn created_dir(path: &Path) -> String {
    format!("created {}/", path.display())
}

/// The line every command that talks to a database prints first (SPEC §4):
/// `strata: env dev, database core → 127.0.0.1:5432/app_dev`, from the
/// driver settings the connection will use (no password: host, port and
/// database name only).
pub fn banner(env: &str, db: &str, config: &tokio_postgres::Config, dbname: &str) -> String {
    format!(
        "strata: env {env}, database {db} → {}/{dbname}",
        address(config)
    )
}

/// `host:port` of each host the driver will try, in order (`[::1]:5432`
/// for IPv6, the directory for a Unix socket).
fn address(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let ports = config.get_ports();
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| match h {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{}", port(i)),
            Host::Tcp(name) => format!("{name}:{}", port(i)),
            Host::Unix(dir) => format!("{}:{}", dir.display(), port(i)),
        })
        .collect();
    if !hosts.is_empty() {
        return hosts.join(",");
    }
    let addrs: Vec<String> = config
        .get_hostaddrs()
        .iter()
        .enumerate()
        .map(|(i, a)| match a {
            std::net::IpAddr::V6(v6) => format!("[{v6}]:{}", port(i)),
            std::net::IpAddr::V4(v4) => format!("{v4}:{}", port(i)),
        })
        .collect();
    if addrs.is_empty() {
        format!("localhost:{}", port(0))
    } else {
        addrs.join(",")
    }
}

/// The password file ignored for its mode (libpq's warning, with the fix).
pub fn ignored_passfile(file: &Path) -> String {
    format!(
        "password file {} is ignored: group or others can access it; permissions should be \
         u=rw (0600) or less (`chmod 0600 {}`)",
        file.display(),
        file.display()
    )
}
