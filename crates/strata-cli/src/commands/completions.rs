//! `strata completions SHELL`: a completion script from the same clap
//! definitions as `--help`, on stdout. Needs no project.

use std::io::Write;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

/// Writes the completion script for `args.shell` to `out`.
pub fn run(args: &CompletionsArgs, out: &mut dyn Write) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "strata", &mut script);
    super::man::write_all_or_closed(out, &script).context("cannot write the completion script")
}
