//! The `strata` binary: parse, run, map the outcome to an exit code.

mod cli;
mod commands;
mod context;
mod duration;
mod exit;
mod output;
mod render;
mod signals;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let g = &cli.global;
    let out = Output::new(g.json, g.quiet, g.verbose, g.no_color);
    let result = run(&cli, &out);
    // A run that a signal stopped says so last, and exits with its code.
    let result = match (result, signals::received()) {
        (Ok(()), Some(code)) => Err(anyhow::Error::new(exit::Exit {
            code,
            message: format!("interrupted by {}", signals::name(code)),
        })),
        (Err(e), Some(code)) => Err(e.context(format!("interrupted by {}", signals::name(code)))),
        (result, None) => result,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            out.error(&e);
            exit::code_of(&e)
        }
    }
}

fn run(cli: &Cli, out: &Output) -> anyhow::Result<()> {
    if let Command::Init = cli.command {
        return commands::init::run(&cli.global, out);
    }
    if let Command::New(args) = &cli.command {
        let ctx = Ctx::load(&cli.global, out.clone())?;
        return commands::new::run(&ctx, args);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    // Listening from before the project loads: a signal is never the
    // default "die at once" from here on.
    {
        let _in_runtime = rt.enter();
        signals::listen();
    }
    let ctx = Ctx::load(&cli.global, out.clone())?;
    rt.block_on(async {
        match &cli.command {
            Command::Status(a) => commands::status::run(&ctx, a).await,
            Command::Validate(a) => commands::validate::run(&ctx, a).await,
            Command::Migrate(a) => commands::migrate::run(&ctx, a).await,
            Command::Verify(a) => commands::verify::run(&ctx, a).await,
            Command::Rollback(a) => commands::rollback::run(&ctx, a).await,
            Command::Repair(a) => commands::repair::run(&ctx, a).await,
            Command::Baseline(a) => commands::baseline::run(&ctx, a).await,
            Command::Dev(a) => commands::dev::run(&ctx, &a.action).await,
            Command::Db(a) => commands::db::run(&ctx, &a.action).await,
            Command::Env => commands::env::run(&ctx).await,
            Command::Init | Command::New(_) => Ok(()),
        }
    })
}
