//! One file per command. Each takes parsed arguments, does its work through
//! the library, and renders; none decides the exit code (main does). The
//! commands that work database by database are a [`driver::PerDatabase`]
//! each, run by the one [`driver::for_each_database`].

mod backup;
pub mod baseline;
pub mod completions;
pub mod db;
pub mod dev;
pub mod drift;
mod driver;
pub mod env;
pub mod init;
pub mod lint;
pub mod man;
pub mod migrate;
pub mod new;
pub mod repair;
pub mod rollback;
pub mod roundtrip;
pub mod schema;
pub mod status;
pub mod validate;
pub mod verify;

/// Leaves `value` to the operating system, which takes the whole heap back
/// at exit, instead of freeing it allocation by allocation: with ten
/// thousand migrations, dropping the file list, the history and the reports
/// was a tenth of `verify`'s time. Only for what a command holds until it
/// returns; the process ends right after.
pub(crate) fn release_at_exit<T>(value: T) {
    std::mem::forget(value);
}
