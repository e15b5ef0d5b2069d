//! The command reference in `docs/commands/` against the binary's own help:
//! every command `strata --help` lists has a page, and every subcommand and
//! every long flag (its own and the global ones) its `--help` shows is named
//! on that page. A command or a flag added to the clap definition without a
//! line of documentation fails here.
//!
//! The mapping: a top-level command `X` and everything under it (`X Y`,
//! `X Y --flag`) is documented in `docs/commands/X.md`; a subcommand counts
//! as documented when the page names it as `X Y` (`db create` in `db.md`).
//! The flags under `Global options:` are documented once, in
//! `docs/commands/README.md`, and must be there. Only `help` (clap's) has no
//! page, and `--help` / `--version` need none.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use crate::support;

/// `strata ARGS --help`, wide enough that clap wraps nothing we parse.
fn help(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut all: Vec<&str> = args.to_vec();
    all.push("--help");
    let run = support::strata(dir.path(), &all, &[("COLUMNS", "200"), ("NO_COLOR", "1")]);
    run.expect_code(0);
    run.stdout.clone()
}

/// The names under a help text's `Commands:` heading (clap's `help` left out).
fn subcommands(help: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line == "Commands:" {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            inside = false;
        } else if inside && line.starts_with("  ") && !line.starts_with("   ") {
            let name = line.split_whitespace().next().unwrap_or_default();
            if !name.is_empty() && name != "help" {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// The long flags of a help text: the command's own, and the global ones.
struct Flags {
    own: Vec<String>,
    global: Vec<String>,
}

/// Every long flag that starts an option line (`  -e, --env <NAME>`,
/// `      --dry-run`), split at clap's `Global options:` heading, except
/// `--help` and `--version`.
fn long_flags(help: &str) -> Flags {
    let (own, global) = help.split_once("\nGlobal options:\n").unwrap_or((help, ""));
    Flags {
        own: flags_in(own),
        global: flags_in(global),
    }
}

fn flags_in(help: &str) -> Vec<String> {
    let mut flags = Vec::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        if !line.starts_with(' ') || !trimmed.starts_with('-') {
            continue;
        }
        let rest = match trimmed.split_once(", ") {
            Some((short, rest)) if !short.starts_with("--") => rest,
            _ => trimmed,
        };
        let Some(flag) = rest.split([' ', '=', '[', '<']).next() else {
            continue;
        };
        if flag.starts_with("--") && flag.len() > 2 && flag != "--help" && flag != "--version" {
            flags.push(flag.to_owned());
        }
    }
    flags
}

fn commands_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/commands")
}

/// Walks `path`'s help and its subcommands', collecting what `page` (and,
/// for the global flags, `globals`) lacks.
fn check(path: &[String], page: &str, globals: &str, missing: &mut Vec<String>) {
    let args: Vec<&str> = path.iter().map(String::as_str).collect();
    let text = help(&args);
    let name = path.join(" ");
    let file = &path[0];
    if path.len() > 1 && !page.contains(&name) {
        missing.push(format!("command `{name}` in docs/commands/{file}.md"));
    }
    let flags = long_flags(&text);
    for flag in flags.own {
        if !page.contains(&flag) {
            missing.push(format!(
                "`{flag}` of `strata {name}` in docs/commands/{file}.md"
            ));
        }
    }
    for flag in flags.global {
        if !globals.contains(&flag) {
            missing.push(format!(
                "global `{flag}` (`strata {name}`) in docs/commands/README.md"
            ));
        }
    }
    for sub in subcommands(&text) {
        let mut deeper = path.to_vec();
        deeper.push(sub);
        check(&deeper, page, globals, missing);
    }
}

#[test]
fn the_help_parser_finds_commands_and_flags() {
    // A guard for the walk below: were the parsing to find nothing, that
    // test would pass on an empty reference.
    let top = subcommands(&help(&[]));
    for name in ["init", "migrate", "db", "dev", "completions", "man"] {
        assert!(top.contains(&name.to_owned()), "{top:?}");
    }
    assert!(!top.contains(&"help".to_owned()), "{top:?}");
    let flags = long_flags(&help(&["migrate"]));
    for flag in ["--dry-run", "--target", "--lock-wait", "--no-lint"] {
        assert!(
            flags.own.contains(&flag.to_owned()),
            "{flag} not in {:?}",
            flags.own
        );
    }
    for flag in [
        "--config",
        "--env",
        "--db",
        "--json",
        "--quiet",
        "--no-color",
    ] {
        assert!(
            flags.global.contains(&flag.to_owned()),
            "{flag} not in {:?}",
            flags.global
        );
    }
    assert!(!flags.own.contains(&"--json".to_owned()), "{:?}", flags.own);
    assert!(!flags.own.contains(&"--help".to_owned()), "{:?}", flags.own);
    assert_eq!(
        subcommands(&help(&["db"])),
        ["create", "drop", "clean", "seed", "wait", "reset"]
    );
}

#[test]
fn every_command_and_flag_in_help_is_in_the_command_reference() {
    let dir = commands_dir();
    let globals = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let mut missing = Vec::new();
    for command in subcommands(&help(&[])) {
        let file = dir.join(format!("{command}.md"));
        let Ok(page) = std::fs::read_to_string(&file) else {
            missing.push(format!("docs/commands/{command}.md (no page)"));
            continue;
        };
        check(&[command], &page, &globals, &mut missing);
    }
    missing.dedup();
    assert!(
        missing.is_empty(),
        "the command reference (docs/commands/) lacks what `--help` shows:\n  {}",
        missing.join("\n  ")
    );
}
