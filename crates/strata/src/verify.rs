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
//!
//! [`verify_schema`] goes further for an application that ships its
//! schema: it compares the live schema (one catalog snapshot, one round
//! trip, SPEC §11) with a dump embedded in the binary, so an index added
//! by hand or a column changed by a hotfix also refuses the start.

use tokio_postgres::Client;

use crate::error::Error;
use crate::history::{self, TableName};
use crate::plan::{Plan, PlanOptions, Problem};
use crate::schema::{Difference, Dump, Scope};
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
    /// The live schema is not the one the application's dump describes
    /// ([`verify_schema`]): one entry per object, `+` only in the live
    /// database, `-` missing from it, `~` different.
    ///
    /// ```
    /// use strata::Incompatible;
    /// use strata::schema::{Change, Difference, Extension, Object, ObjectKind};
    /// let e = Incompatible::SchemaDiffers {
    ///     database: "main".into(),
    ///     expected_major: 15,
    ///     live_major: 15,
    ///     differences: vec![Difference {
    ///         kind: ObjectKind::Extension,
    ///         name: "citext".into(),
    ///         change: Change::Added {
    ///             after: Object::Extension(Extension { name: "citext".into(), schema: "public".into() }),
    ///         },
    ///     }],
    /// };
    /// assert_eq!(
    ///     e.to_string(),
    ///     "the database schema differs from the schema this build expects \
    ///      (1 difference(s) from the dump of database main):\n  + extension citext"
    /// );
    /// assert_eq!(e.differences().len(), 1);
    /// ```
    #[error("{}", differences_text(database, *expected_major, *live_major, differences))]
    SchemaDiffers {
        /// The dump's database (its name in strata.toml).
        database: String,
        /// The server major version the dump was taken on.
        expected_major: u32,
        /// The live server's major version.
        live_major: u32,
        /// Every difference, from the dump to the live schema.
        differences: Vec<Difference>,
    },
    /// The history or the catalogs could not be read (connection or
    /// permission problem).
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
            Incompatible::SchemaDiffers { .. } | Incompatible::Check(_) => &[],
        }
    }

    /// Every schema difference found by [`verify_schema`] (empty for the
    /// other variants).
    ///
    /// ```
    /// use strata::Incompatible;
    /// use strata::history::TableName;
    /// let e = Incompatible::Problems { table: TableName::default(), problems: vec![] };
    /// assert!(e.differences().is_empty());
    /// ```
    pub fn differences(&self) -> &[Difference] {
        match self {
            Incompatible::SchemaDiffers { differences, .. } => differences,
            Incompatible::Problems { .. } | Incompatible::Check(_) => &[],
        }
    }
}

fn differences_text(
    database: &str,
    expected_major: u32,
    live_major: u32,
    differences: &[Difference],
) -> String {
    let mut s = format!(
        "the database schema differs from the schema this build expects \
         ({} difference(s) from the dump of database {database}",
        differences.len()
    );
    if expected_major != live_major {
        // Definitions are deparsed by the server: another major version may
        // spell the same object differently.
        s.push_str(&format!(
            "; the dump was taken on PostgreSQL {expected_major}, the server runs {live_major}"
        ));
    }
    s.push_str("):");
    for d in differences {
        s.push_str(&format!("\n  {d}"));
    }
    s
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

/// Compares the live schema in `scope` with `expected`, the dump the
/// application was built with (`strata schema dump --out schema.sql`,
/// embedded with `include_str!`): one catalog snapshot, one round trip, no
/// lock, nothing written. Equal schemas pass; otherwise every difference is
/// listed, from the dump to the live database (`+ index orders_note_idx`:
/// created by hand; `~ column users.email: character varying(100) → text`).
/// The history table in `scope` is left out, so applying migrations with
/// other history rows does not count.
///
/// Call it beside [`verify_table`]: that one says the files ran, this one
/// that the database still looks like what they made.
///
/// ```no_run
/// # async fn start(client: tokio_postgres::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use strata::schema::{Dump, Scope};
///
/// // In the application: `Dump::parse(include_str!("../schema.sql"))`.
/// let expected = Dump::parse(&std::fs::read_to_string("schema.sql")?)?;
/// if let Err(e) = strata::verify_schema(&client, &Scope::new(["public"]), &expected).await {
///     eprintln!("refusing to start: {e}"); // one line per difference
///     std::process::exit(1);
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`Incompatible::SchemaDiffers`] listing every difference;
/// [`Incompatible::Check`] when the catalogs cannot be read.
pub async fn verify_schema(
    client: &Client,
    scope: &Scope,
    expected: &Dump,
) -> Result<(), Incompatible> {
    let live = crate::schema::snapshot(client, scope)
        .await
        .map_err(Incompatible::Check)?;
    let differences = expected.snapshot.diff(&live);
    if differences.is_empty() {
        Ok(())
    } else {
        Err(Incompatible::SchemaDiffers {
            database: expected.database.clone(),
            expected_major: expected.snapshot.server_major,
            live_major: live.server_major,
            differences,
        })
    }
}
