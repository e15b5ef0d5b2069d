//! The help a user reads without a project or a database: `--help` and
//! `-h`, `strata help COMMAND`, `strata completions SHELL` and `strata man`,
//! all generated from the one clap definition.
#![allow(clippy::unwrap_used)]

use crate::support::{self, Run};

/// strata in an empty directory (no strata.toml), at a fixed width: clap
/// wraps help to the terminal, and off a terminal to `COLUMNS`.
fn strata(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    support::strata(dir.path(), args, &[("COLUMNS", "100"), ("NO_COLOR", "1")])
}

#[test]
fn top_level_help() {
    let run = strata(&["--help"]);
    run.expect_code(0);
    insta::assert_snapshot!("help_top_level", run.stdout);
}

#[test]
fn migrate_help() {
    let run = strata(&["migrate", "--help"]);
    run.expect_code(0);
    insta::assert_snapshot!("help_migrate", run.stdout);
}

#[test]
fn help_subcommand_equals_the_commands_help() {
    for args in [
        &["migrate"][..],
        &["db", "create"],
        &["status"],
        &["dev", "up"],
    ] {
        let via_help = strata(&[&["help"][..], args].concat());
        via_help.expect_code(0);
        let mut flag = args.to_vec();
        flag.push("--help");
        let via_flag = strata(&flag);
        via_flag.expect_code(0);
        assert_eq!(via_help.stdout, via_flag.stdout, "strata help {args:?}");
        let usage = format!("Usage: strata {} [OPTIONS]", args.join(" "));
        assert!(via_help.stdout.contains(&usage), "{}", via_help.stdout);
    }
    strata(&["help", "no-such-command"]).expect_code(2);
}

#[test]
fn a_commands_help_lists_its_own_flags_apart_from_the_global_ones() {
    let help = strata(&["migrate", "-h"]).expect_code(0).stdout.clone();
    let (own, global) = help.split_once("Global options:").unwrap();
    assert!(
        own.contains("--dry-run") && own.contains("--lock-wait"),
        "{help}"
    );
    assert!(!own.contains("--json") && !own.contains("--env"), "{help}");
    assert!(
        global.contains("--json") && global.contains("--env <NAME>"),
        "{help}"
    );
    assert!(!global.contains("--dry-run"), "{help}");
}

#[test]
fn short_help_stays_compact_and_long_help_has_environment_exit_codes_and_examples() {
    let short = strata(&["-h"]).expect_code(0).stdout.clone();
    let long = strata(&["--help"]).expect_code(0).stdout.clone();
    for text in [
        "Exit codes:",
        "DATABASE_URL",
        "PGPASSWORD",
        "STRATA_PG_BIN",
        "130/143",
    ] {
        assert!(long.contains(text), "--help lacks {text}:\n{long}");
        assert!(!short.contains(text), "-h has {text}:\n{short}");
    }
    // The status alias, in both.
    assert!(short.contains("[alias: info]"), "{short}");
    assert!(long.contains("[alias: info]"), "{long}");
    strata(&["info", "--help"]).expect_code(0);

    let short = strata(&["db", "wait", "-h"]).expect_code(0).stdout.clone();
    let long = strata(&["db", "wait", "--help"])
        .expect_code(0)
        .stdout
        .clone();
    assert!(!short.contains("Example"), "{short}");
    assert!(
        long.contains("Example:\n  strata db wait --timeout 60s"),
        "{long}"
    );
}

#[test]
fn completions_for_every_shell_name_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = strata(&["completions", shell]);
        run.expect_code(0).expect_no_panic();
        assert!(run.stderr.is_empty(), "{shell}: {}", run.stderr);
        for word in [
            "migrate",
            "rollback",
            "baseline",
            "completions",
            "lock-wait",
            "no-color",
        ] {
            assert!(run.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let run = strata(&["completions", "tcsh"]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{}",
        run.stderr
    );
}

/// The first request of a roff page after the preamble that defines its
/// quote string (`.ie`/`.el`/`.ds`).
fn first_request(page: &str) -> &str {
    page.lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or_default()
}

#[test]
fn man_page_on_stdout_is_one_page_listing_every_command() {
    let run = strata(&["man"]);
    run.expect_code(0);
    let page = &run.stdout;
    assert!(first_request(page).starts_with(".TH strata 1 "), "{page}");
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH SUBCOMMANDS",
        ".SH \"GLOBAL OPTIONS\"",
    ] {
        assert!(page.contains(section), "no {section}:\n{page}");
    }
    for text in [
        "strata\\-migrate(1)",
        "strata\\-db(1)",
        "Exit codes:",
        "STRATA_ENV",
    ] {
        assert!(page.contains(text), "no {text}:\n{page}");
    }
}

#[test]
fn man_out_writes_a_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man/man1");
    let run = strata(&["man", "--out", out.to_str().unwrap()]);
    run.expect_code(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for (file, title) in [
        ("strata.1", ".TH strata 1 "),
        ("strata-migrate.1", ".TH strata-migrate 1 "),
        ("strata-db-create.1", ".TH strata-db-create 1 "),
        ("strata-dev-down.1", ".TH strata-dev-down 1 "),
    ] {
        let page = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(first_request(&page).starts_with(title), "{file}:\n{page}");
    }
    let migrate = std::fs::read_to_string(out.join("strata-migrate.1")).unwrap();
    assert!(migrate.contains("\\-\\-dry\\-run"), "{migrate}");
}
