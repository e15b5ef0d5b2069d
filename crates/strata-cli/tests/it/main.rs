//! The `strata` binary's integration tests, one binary (so one throwaway
//! PostgreSQL cluster for all of them, started by strata-testkit on first
//! use): exit codes, JSON and human output, secrets, concurrency, the `db`
//! commands, environment resolution, and the example projects. Every test
//! runs the binary through [`support`].

mod support;

mod backup;
mod capsule_example;
mod cogni_template_example;
mod concurrency;
mod db_atriz_example;
mod db_lifecycle;
mod db_owner;
mod deadlines;
mod docs_reference;
mod drift;
mod drift_in_place;
mod env_resolution;
mod example_dreichor;
mod example_project;
mod example_research_agent;
mod exit_codes;
mod file_rules;
mod help;
mod history_guards;
mod interruptions;
mod json;
mod libpq_parity;
mod lint;
mod lint_base;
mod local_cluster_notice;
mod lock_retries;
mod lost_commit;
mod messages;
mod named_files;
mod pg_dump_roundtrip;
mod placeholders;
mod pooler;
mod proxy;
mod quickstart;
mod reset_ceremony;
mod rollback_repair_baseline;
mod schema_dump;
mod scripts;
mod secrets;
mod server_notices;
mod snapshots;
