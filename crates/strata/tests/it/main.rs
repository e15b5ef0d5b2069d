//! strata's integration tests, one binary (so one throwaway PostgreSQL
//! cluster for all of them, started by strata-testkit on first use): the
//! engine, database lifecycle and connections, the life of a migration,
//! adopting another tool's history, the statement budget, the partial
//! report a failed run carries, migration folders as other tools write
//! them, and files edited while a run is going on.

mod adopt_from_other_tools;
mod copy_from_stdin;
mod edited_mid_run;
mod engine;
mod lifecycle;
mod lifecycle_of_a_migration;
mod notices;
mod partial_report;
mod schema_diff;
mod schema_snapshot;
mod schema_support;
mod session_isolation;
mod statements;
mod verify_schema;
mod world_folders;
