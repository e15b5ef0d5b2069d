//! Running the server programs and reading what they leave behind: command
//! output, the server log from an offset, `/proc` for zombies, and quoting
//! for the `sh -c` that `pg_ctl` wraps around the server.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Command, Output};

use super::error::ClusterError;

pub(crate) fn run(mut cmd: Command, program: &Path) -> Result<Output, ClusterError> {
    cmd.output().map_err(|source| ClusterError::Spawn {
        program: program.to_path_buf(),
        source,
    })
}

/// True when `pid` is a zombie (dead, not yet reaped). Linux only (reads
/// `/proc`); elsewhere always false.
pub(crate) fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // "pid (comm) S …": the state follows the last ')'.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

pub(crate) fn combined_output(out: &Output) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let err = String::from_utf8_lossy(&out.stderr);
    if !err.trim().is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(err.trim());
    }
    s
}

pub(crate) fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The text of `path` from byte `offset` on (empty if unreadable).
pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let mut buf = Vec::new();
    if let Ok(mut f) = std::fs::File::open(path)
        && f.seek(SeekFrom::Start(offset)).is_ok()
    {
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Quotes `s` for `/bin/sh`: `'…'`, with `'` written as `'\''`.
pub(crate) fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-=+@:,".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}
