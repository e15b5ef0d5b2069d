//! `strata man`: the man page (roff) from the same clap definitions as
//! `--help`. To stdout, one page, `strata(1)`, with every command listed (as
//! `rg --generate man`); with `--out DIR`, `strata.1` and one
//! `strata-<command>.1` per command and nested command (as cargo and git
//! ship `cargo-build(1)`, `git-commit(1)`), ready for a `man1` directory.
//! Needs no project.

use std::io::{ErrorKind, Write};

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, ManArgs};
use crate::output::Output;

/// Writes the page to `out`, or every page into `--out DIR`.
pub fn run(args: &ManArgs, out: &mut dyn Write, report: &Output) -> Result<()> {
    let cmd = Cli::command();
    match &args.out {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("cannot render the man page")?;
            write_all_or_closed(out, &page).context("cannot write the man page")
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            report.info(&format!(
                "wrote strata.1 and a page per command into {}",
                dir.display()
            ));
            Ok(())
        }
    }
}

/// Writes `bytes` and flushes; a closed pipe (`strata man | head`) is not an
/// error (ripgrep's behaviour).
pub(crate) fn write_all_or_closed(out: &mut dyn Write, bytes: &[u8]) -> std::io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
