//! Exit codes (SPEC §9). Only `main` decides the process's exit code; every
//! command returns a `Result` and this module maps its error.

/// Success (for verify/validate: everything is in order).
pub const OK: u8 = 0;
/// The operation failed (SQL error, connection failure, TLS setup, I/O, a
/// bug in strata).
pub const FAILED: u8 = 1;
/// Usage or configuration error (including options that conflict with a
/// migration, and TLS roots missing from the URL).
pub const USAGE: u8 = 2;
/// Checks found problems.
pub const PROBLEMS: u8 = 3;
/// Timed out waiting for the migration lock.
pub const LOCK_TIMEOUT: u8 = 4;
/// Refused: destructive and not allowed or not confirmed.
pub const REFUSED: u8 = 5;

// Interrupted by SIGINT / SIGTERM: 130 / 143, defined in `signals`, which
// decides them (`code_u8` asks it first).

/// An error that carries its own exit code (for outcomes that are not library errors).
#[derive(Debug)]
pub struct Exit {
    /// The code.
    pub code: u8,
    /// The message, already complete; empty when the output said it all.
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

/// Shorthand for an [`Exit`] error.
pub fn exit(code: u8, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Exit {
        code,
        message: message.into(),
    })
}

/// The exit code for an error chain.
pub(crate) fn code_u8(err: &anyhow::Error) -> u8 {
    // An interrupted run ends with the signal's code, whatever failed on the way.
    if let Some(code) = crate::signals::received() {
        return code;
    }
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Exit>() {
            return e.code;
        }
        // The predicates look through a partial failure to its error.
        if let Some(e) = cause.downcast_ref::<strata::error::Error>() {
            return if e.is_lock_timeout() {
                LOCK_TIMEOUT
            } else if e.is_config() {
                USAGE
            } else if e.is_check_failure() {
                PROBLEMS
            } else {
                FAILED
            };
        }
        if cause
            .downcast_ref::<strata::config::ConfigError>()
            .is_some()
        {
            return USAGE;
        }
    }
    FAILED
}
