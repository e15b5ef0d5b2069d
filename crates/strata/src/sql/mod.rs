//! SQL text: where statements begin and end, and where an error is.
//!
//! This module owns everything strata knows about the *text* of a
//! migration, without a database:
//!
//! - [`statements`] splits a script on PostgreSQL's real lexical rules
//!   (squawk-lexer's tokens, never a search for `;`): strings of every kind,
//!   quoted identifiers, nested comments, tagged dollar quotes and the
//!   `BEGIN ATOMIC ... END` bodies of SQL-standard functions;
//!   [`first_statement`] is the cheap "is this file empty?" check.
//! - [`Chunker`] streams a script of any size as [`Chunk`]s of whole
//!   statements in bounded memory: a transactional migration goes to the
//!   server in as few simple-query messages as possible, a `no-transaction`
//!   one statement by statement (PostgreSQL runs a multi-statement query
//!   string as one implicit transaction, which `CREATE INDEX CONCURRENTLY`
//!   refuses).
//! - [`locate`] turns PostgreSQL's error position (1-based, in characters,
//!   into the query string sent) into a file line, column and the line's
//!   text; [`line_column`] does the same for a byte offset.
//! - The load-time checker (`check`) lexes a whole file as it is scanned and
//!   refuses what must never be sent ([`ScriptProblem`]: unterminated tokens,
//!   psql meta-commands, `COPY … FROM STDIN` data without its `\.`,
//!   `standard_conforming_strings` off); `classify` finds the statements that cannot run in a transaction
//!   block ([`NonTransactional`]).
//! - [`is_transaction_control`] recognises `BEGIN`/`COMMIT`/... so that the
//!   engine can refuse them inside a transactional migration.
//!
//! ```
//! use strata::sql::{locate, Chunker, Location};
//!
//! let script = "create table t (id int);\ninsert into t values ('x');\n";
//! let mut chunker = Chunker::new(script.as_bytes(), Location::START);
//! let chunk = chunker.next_chunk(1 << 20)?.expect("two statements");
//! assert_eq!(chunk.statements, 2);
//!
//! // The server rejected 'x' at character 48 of the query sent:
//! let at = locate(&chunk.text, chunk.location(), 48).expect("inside the chunk");
//! assert_eq!((at.line, at.column), (2, 23));
//! assert_eq!(at.line_text, "insert into t values ('x');");
//! # Ok::<(), std::io::Error>(())
//! ```

mod check;
mod chunk;
mod classify;
mod copy;
mod create_index;
mod lexer;
mod position;
mod split;

pub(crate) use check::{Checker, ScriptSummary, printable};
pub use check::{ScriptProblem, Unterminated};
pub use chunk::{Chunk, Chunker, CopyData};
pub use classify::NonTransactional;
pub(crate) use copy::failed_row as copy_failed_row;
pub(crate) use create_index::{ConcurrentIndex, concurrent_index};
pub use position::{Location, SourcePosition, line_column, locate, position_after_prefix};
pub use split::{Statement, first_statement, is_transaction_control, statements};
