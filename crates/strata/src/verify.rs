//! The start-up check (SPEC §7): is this database compatible with the
//! migrations this build of the application was made with?
//!
//! One query (the history), no lock, nothing written: cheap enough for every
//! start of every replica. The application fails fast with every problem
//! listed, and never migrates unless it opts in with
//! [`Migrator`](crate::migrator::Migrator).
//!
//! Compatible means: every migration is applied with a matching checksum,
//! every repeatable ran in its current version, and nothing failed. Rows for
//! versions this build has no file for do not fail the check: during a
//! rolling deploy the database may be ahead of an older replica.

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::{self, TableName};
use crate::plan::{Plan, PlanOptions, Problem};
use crate::source::Migrations;

/// Why the database is not compatible with the application's migrations.
///
/// What an application prints before it refuses to start:
///
/// ```
/// use strata::Incompatible;
/// use strata::history::TableName;
/// use strata::plan::{Check, Problem, ProblemKind};
/// let e = Incompatible::Problems {
///     table: TableName::default(),
///     problems: vec![Problem {
///         script: "V3__orders.sql".into(),
///         version: Some("3".parse()?),
///         kind: ProblemKind::Pending { above_target: false },
///         check: Check::Verify,
///     }],
/// };
/// assert_eq!(
///     e.to_string(),
///     "the database schema is not compatible with this build \
///      (1 problem(s), history public.strata_schema_history):\n  \
///      V3__orders.sql: not applied; run `strata migrate`"
/// );
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Incompatible {
    /// The schema is behind, edited, or failed: one entry per problem.
    #[error("{}", problems_text(table, problems))]
    Problems {
        /// The history table that was read.
        table: TableName,
        /// Every problem, each naming the command that resolves it.
        problems: Vec<Problem>,
    },
    /// The history could not be read (connection or permission problem).
    #[error("cannot check the database schema")]
    Check(#[source] Error),
}

impl Incompatible {
    /// Every problem found (empty for [`Incompatible::Check`]).
    ///
    /// ```
    /// use strata::Incompatible;
    /// use strata::history::TableName;
    /// let e = Incompatible::Problems { table: TableName::default(), problems: vec![] };
    /// assert!(e.problems().is_empty());
    /// ```
    pub fn problems(&self) -> &[Problem] {
        match self {
            Incompatible::Problems { problems, .. } => problems,
            Incompatible::Check(_) => &[],
        }
    }
}

fn problems_text(table: &TableName, problems: &[Problem]) -> String {
    let mut s = format!(
        "the database schema is not compatible with this build ({} problem(s), history {table}):",
        problems.len()
    );
    for p in problems {
        s.push_str(&format!("\n  {p}"));
    }
    s
}

/// Checks the database against `migrations`, with the default history table
/// `public.strata_schema_history`. See [`verify_table`].
///
/// ```no_run
/// # async fn start() -> Result<(), Box<dyn std::error::Error>> {
/// # let url = std::env::var("DATABASE_URL")?;
/// let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
/// tokio::spawn(connection);
/// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
/// if let Err(e) = strata::verify(&client, &migrations).await {
///     for p in e.problems() {
///         eprintln!("schema problem: {p}"); // e.g. "V3__orders.sql: not applied; run `strata migrate`"
///     }
///     return Err(e.into()); // refuse to start
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Incompatible`], listing every problem.
pub async fn verify(client: &Client, migrations: &Migrations) -> Result<(), Incompatible> {
    verify_table(client, migrations, &TableName::default()).await
}

/// Checks the database against `migrations`, reading the history from `table`.
///
/// ```no_run
/// # async fn start(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let migrations = strata::embed_migrations!("$CARGO_MANIFEST_DIR/tests/fixtures/embedded")?;
/// let table = strata::history::TableName::parse("public.dreichor_schema_migrations")?;
/// if let Err(e) = strata::verify_table(&client, &migrations, &table).await {
///     eprintln!("refusing to start: {e}");
///     std::process::exit(1);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Incompatible::Problems`] listing every problem;
/// [`Incompatible::Check`] when the history cannot be read.
pub async fn verify_table(
    client: &Client,
    migrations: &Migrations,
    table: &TableName,
) -> Result<(), Incompatible> {
    let history = history::read(client, table)
        .await
        .map_err(Incompatible::Check)?
        .unwrap_or_default();
    let problems =
        Plan::new(&migrations.list, &history, &PlanOptions::default()).incompatibilities();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Incompatible::Problems {
            table: table.clone(),
            problems,
        })
    }
}
