//! The `strata` binary: parse, run, map the outcome to an exit code.

mod cli;
mod commands;
mod context;
mod duration;
mod exit;
mod git;
mod help;
mod output;
mod render;
mod signals;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::context::Ctx;
use crate::output::Output;
use crate::render::json::ErrorDocument;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::from(exit::OK);
            }
            let _ = e.print();
            if json_requested() {
                let out = Output::new(true, false, false, true);
                let message = first_line(&e.render().to_string());
                out.json(&ErrorDocument::new(exit::USAGE, vec![message]));
            }
            return ExitCode::from(exit::USAGE);
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
        Ok(()) => {
            if out.json && !out.json_written() {
                // Every command writes its document; this is the backstop.
                out.json(&serde_json::json!({ "exit_code": exit::OK }));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            out.error(&e);
            let code = exit::code_u8(&e);
            if out.json && !out.json_written() {
                out.json(&ErrorDocument::new(code, output::chain(&e)));
            }
            ExitCode::from(code)
        }
    }
}

/// Whether `--json` is among the arguments (before a `--`), for a command
/// line clap could not parse.
fn json_requested() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// The first line of clap's message, without its `error: ` prefix.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

fn run(cli: &Cli, out: &Output) -> anyhow::Result<()> {
    // Generated from the clap definitions; no project needed.
    match &cli.command {
        Command::Completions(a) => return commands::completions::run(a, &mut std::io::stdout()),
        Command::Man(a) => return commands::man::run(a, &mut std::io::stdout(), out),
        _ => {}
    }
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
            Command::Lint(a) => commands::lint::run(&ctx, a).await,
            Command::Migrate(a) => commands::migrate::run(&ctx, a).await,
            Command::Verify(a) => commands::verify::run(&ctx, a).await,
            Command::Rollback(a) => commands::rollback::run(&ctx, a).await,
            Command::Repair(a) => commands::repair::run(&ctx, a).await,
            Command::Baseline(a) => commands::baseline::run(&ctx, a).await,
            Command::Dev(a) => commands::dev::run(&ctx, &a.action).await,
            Command::Db(a) => commands::db::run(&ctx, &a.action).await,
            Command::Env => commands::env::run(&ctx).await,
            Command::Drift(a) => commands::drift::run(&ctx, a).await,
            Command::Roundtrip => commands::roundtrip::run(&ctx).await,
            Command::Schema(a) => {
                commands::schema::run(&ctx, a, &context::work_dir(&cli.global)?).await
            }
            Command::Init | Command::New(_) | Command::Completions(_) | Command::Man(_) => Ok(()),
        }
    })
}
