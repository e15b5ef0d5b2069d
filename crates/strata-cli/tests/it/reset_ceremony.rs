//! The hard-reset ceremony of a protected environment (SPEC §5), driven
//! through a pseudo-terminal by util-linux `script`, the way an attacker
//! would automate it: input written before the prompt is discarded, a blind
//! script fails on the challenge code, the person who reads the code and
//! types it passes; `CI`, no terminal and `--confirm` are refused (exit 5)
//! with the data left intact.
#![allow(clippy::unwrap_used)] // tests may panic

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{self, db_exists, expect, project};
use strata_testkit::{TestDb, server};

/// A table with three rows, in a project whose `prod` environment is protected.
fn protected_project(db: &TestDb) -> tempfile::TempDir {
    db.query_strings_blocking(
        "CREATE TABLE items (id serial PRIMARY KEY, name text);
         INSERT INTO items (name) VALUES ('one'), ('two'), ('three');",
    );
    project(&[
        (
            "strata.toml",
            "default_env = \"dev\"\n[environments.dev]\n[environments.prod]\nprotected = true\n",
        ),
        (
            "migrations/V1__items.sql",
            "CREATE TABLE items (id serial PRIMARY KEY, name text);",
        ),
        (
            "seeds/001_items.sql",
            "INSERT INTO items (name) VALUES ('seeded');",
        ),
    ])
}

#[track_caller]
fn assert_intact(db: &TestDb) {
    assert!(db_exists(server().base_url(), db.name()));
    assert_eq!(
        db.query_strings_blocking("SELECT string_agg(name, ',' ORDER BY id) FROM items")[0][0]
            .as_deref(),
        Some("one,two,three")
    );
}

/// strata running on a pseudo-terminal made by `script`, whose stdin the
/// test writes into (as a program feeding the terminal) and whose screen it
/// reads.
struct Pty {
    child: Child,
    stdin: Option<ChildStdin>,
    screen: Arc<Mutex<String>>,
}

impl Pty {
    /// Starts `strata <args>` (a shell command line) in `dir` on a fresh
    /// pseudo-terminal, writing `early` into it at once.
    fn start(dir: &std::path::Path, args: &str, env: &[(&str, &str)], early: &str) -> Pty {
        let cmdline = format!("{} {args}", env!("CARGO_BIN_EXE_strata"));
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &cmdline, "/dev/null"])
            .current_dir(dir)
            .env("SHELL", "/bin/sh")
            .env_remove("CI");
        for v in support::SCRUBBED {
            cmd.env_remove(v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) runs the terminal tests");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(early.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let screen = Arc::new(Mutex::new(String::new()));
        let mut out = child.stdout.take().unwrap();
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Pty {
            child,
            stdin: Some(stdin),
            screen,
        }
    }

    fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits until the screen shows `text`; returns what follows it.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if let Some(at) = screen.find(text) {
                return screen[at + text.len()..].to_owned();
            }
            assert!(Instant::now() < deadline, "no {text:?} on\n{screen}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes the input (the terminal sees end-of-file) and waits for the
    /// exit code and the whole screen.
    fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("strata did not exit\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread drains what is left.
        std::thread::sleep(Duration::from_millis(100));
        (status.code().unwrap_or(-1), self.screen())
    }
}

const NAME_PROMPT: &str = "Type the database name to confirm: ";
const CODE_PROMPT: &str = "Type this challenge code to confirm: ";

#[test]
fn input_written_before_the_prompt_is_discarded() {
    let db = TestDb::new_blocking("ceremony_early");
    let dir = protected_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    // The name (and a guessed code) written into the terminal before strata
    // has asked for anything.
    let pty = Pty::start(
        dir.path(),
        "--env prod db reset",
        &env,
        &format!("{}\nACDEFH\n", db.name()),
    );
    pty.wait_for(NAME_PROMPT);
    // It was thrown away: strata still waits for the name.
    std::thread::sleep(Duration::from_millis(700));
    assert!(!pty.screen().contains(CODE_PROMPT), "{}", pty.screen());
    let (code, screen) = pty.finish();
    assert_eq!(code, 5, "{screen}");
    assert!(
        screen.contains("refused: the confirmation does not match database"),
        "{screen}"
    );
    assert_intact(&db);
}

#[test]
fn the_attack_of_issue_11_a_blind_script_after_the_prompt_is_refused() {
    let db = TestDb::new_blocking("ceremony_blind");
    let dir = protected_project(&db);
    let url = db.url();
    // Exactly as reported: `(sleep 2; echo <name>) | script -qc "strata --env prod db reset" /dev/null`.
    let pipeline = format!(
        "(sleep 2; echo {}) | script -qec '{} --env prod db reset' /dev/null",
        db.name(),
        env!("CARGO_BIN_EXE_strata")
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", &pipeline])
        .current_dir(dir.path())
        .env("SHELL", "/bin/sh")
        .env_remove("CI");
    for v in support::SCRUBBED {
        cmd.env_remove(v);
    }
    let out = cmd.env("DATABASE_URL", &url).output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(5), "{screen}");
    assert!(screen.contains("refused"), "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert_intact(&db);
}

#[test]
fn typed_after_the_prompts_with_the_code_shown_the_reset_runs() {
    let db = TestDb::new_blocking("ceremony_typed");
    let dir = protected_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];

    // The right name and a wrong code: refused, nothing touched.
    let mut pty = Pty::start(dir.path(), "--env prod db reset", &env, "");
    pty.wait_for(NAME_PROMPT);
    pty.type_line(db.name());
    let shown = pty.wait_for(CODE_PROMPT);
    let code = challenge(&shown, &pty);
    let wrong = if code == "AAAAAA" { "CCCCCC" } else { "AAAAAA" };
    pty.type_line(wrong);
    let (exit, screen) = pty.finish();
    assert_eq!(exit, 5, "{screen}");
    assert!(
        screen.contains("refused: the challenge code does not match"),
        "{screen}"
    );
    assert_intact(&db);

    // Read the code from the terminal and type it: the reset runs.
    let mut pty = Pty::start(dir.path(), "--env prod db reset", &env, "");
    let before = pty.wait_for("This will");
    assert!(before.contains("PROTECTED environment prod"), "{before}");
    pty.wait_for(NAME_PROMPT);
    pty.type_line(db.name());
    let shown = pty.wait_for(CODE_PROMPT);
    let second = challenge(&shown, &pty);
    assert_ne!(second, code, "a fresh code every time");
    // Lower case is accepted too.
    pty.type_line(&second.to_lowercase());
    let (exit, screen) = pty.finish();
    assert_eq!(exit, 0, "{screen}");
    assert!(
        screen.contains("main: dropped and recreated database"),
        "{screen}"
    );
    assert!(screen.contains("applied V1 items"), "{screen}");
    // Seeds are development data, not run in a protected environment.
    assert!(
        screen.contains("seeds not run: prod is a protected environment"),
        "{screen}"
    );
    assert_eq!(
        db.query_strings_blocking("SELECT count(*) FROM items")[0][0].as_deref(),
        Some("0")
    );
}

/// The six-character code at the start of `shown`, once its line is complete.
fn challenge(shown: &str, pty: &Pty) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut shown = shown.to_owned();
    while !shown.contains('\n') {
        assert!(Instant::now() < deadline, "{}", pty.screen());
        std::thread::sleep(Duration::from_millis(20));
        shown = pty.wait_for(CODE_PROMPT);
    }
    let code = shown.lines().next().unwrap().trim().to_owned();
    assert_eq!(code.len(), 6, "{shown:?}");
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code:?}");
    code
}

#[test]
fn ci_set_is_refused_even_on_a_terminal() {
    let db = TestDb::new_blocking("ceremony_ci");
    let dir = protected_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str()), ("CI", "1")];
    let pty = Pty::start(dir.path(), "--env prod db reset", &env, "");
    let (code, screen) = pty.finish();
    assert_eq!(code, 5, "{screen}");
    assert!(screen.contains("CI is set"), "{screen}");
    assert!(screen.contains("must be done by hand"), "{screen}");
    assert!(!screen.contains(NAME_PROMPT), "{screen}");
    assert_intact(&db);
    // Any value counts, an empty one too.
    let run = support::strata(
        dir.path(),
        &["--env", "prod", "db", "reset"],
        &[("DATABASE_URL", url.as_str()), ("CI", "")],
    );
    expect(&run, 5);
    assert!(run.stderr.contains("CI is set"), "{}", run.stderr);
    assert_intact(&db);
}

#[test]
fn no_terminal_is_refused() {
    let db = TestDb::new_blocking("ceremony_no_tty");
    let dir = protected_project(&db);
    let url = db.url();
    // Neither stdin nor stderr is a terminal.
    let mut cmd = support::command(
        dir.path(),
        &["--env", "prod", "db", "reset"],
        &[("DATABASE_URL", url.as_str())],
    );
    let run = support::Run::of(cmd.env_remove("CI").output().unwrap());
    expect(&run, 5);
    assert!(
        run.stderr.contains("stdin and stderr are not terminals"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("must be done by hand"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_intact(&db);
    // A terminal on stdin but stderr sent elsewhere: refused too.
    let pty = Pty::start(
        dir.path(),
        "--env prod db reset 2>reset.err",
        &[("DATABASE_URL", url.as_str())],
        "",
    );
    let (code, screen) = pty.finish();
    assert_eq!(code, 5, "{screen}");
    let err = std::fs::read_to_string(dir.path().join("reset.err")).unwrap();
    assert!(err.contains("stderr is not a terminal"), "{err}");
    assert_intact(&db);
}

#[test]
fn confirm_flag_is_not_enough_even_on_a_terminal() {
    let db = TestDb::new_blocking("ceremony_confirm");
    let dir = protected_project(&db);
    let url = db.url();
    let env = [("DATABASE_URL", url.as_str())];
    let run = support::strata(
        dir.path(),
        &["--env", "prod", "db", "reset", "--confirm", db.name()],
        &env,
    );
    expect(&run, 5);
    assert!(
        run.stderr
            .contains("--confirm is not enough in protected environment prod"),
        "{}",
        run.stderr
    );
    assert_intact(&db);
    let pty = Pty::start(
        dir.path(),
        &format!("--env prod db reset --confirm {}", db.name()),
        &env,
        "",
    );
    let (code, screen) = pty.finish();
    assert_eq!(code, 5, "{screen}");
    assert!(screen.contains("--confirm is not enough"), "{screen}");
    assert_intact(&db);
}
