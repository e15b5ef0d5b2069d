//! Where output goes: results to stdout, progress/warnings/errors to stderr,
//! JSON as exactly one document on stdout. Every line passes through
//! [`scrub`], which replaces every secret the CLI has seen (URL passwords)
//! with `***` — a second line of defence behind the library's redacted types,
//! covering driver messages too. A closed pipe is not an error: writes to a
//! closed stdout are dropped (ripgrep's behaviour), never a panic.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers a secret so it never appears in output.
pub fn add_secret(secret: &str) {
    // Very short secrets would scrub ordinary words; they are still never
    // printed by the library's redacted URL types.
    if secret.len() < 3 {
        return;
    }
    if let Ok(mut s) = SECRETS.lock()
        && !s.iter().any(|x| x == secret)
    {
        s.push(secret.to_owned());
        // Longest first, so a secret containing another is replaced whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }
}

/// Replaces every known secret (and its percent-encoded form) with `***`.
pub fn scrub(text: &str) -> String {
    let mut out = text.to_owned();
    if let Ok(secrets) = SECRETS.lock() {
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
            let enc = percent_encode(s);
            if enc != *s && out.contains(enc.as_str()) {
                out = out.replace(enc.as_str(), "***");
            }
        }
    }
    out
}

/// RFC 3986 unreserved characters stay; everything else is `%XX`, the way a
/// password usually appears inside a URL.
const ENCODED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ENCODED).to_string()
}

/// A stream the output writes to, shared by the clones of one [`Output`].
type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

fn sink(w: impl Write + Send + 'static) -> Sink {
    Arc::new(Mutex::new(Box::new(w)))
}

/// Output settings for one invocation, and the two streams (stdout for
/// results, stderr for the rest): the process's in `main`, any [`Write`] in
/// tests.
#[derive(Clone)]
pub struct Output {
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--verbose`.
    pub verbose: bool,
    /// Colour on stderr.
    pub color: bool,
    /// Colour on stdout (results such as the status table).
    pub stdout_color: bool,
    /// stderr is a terminal (progress bars allowed).
    pub stderr_tty: bool,
    stdout: Sink,
    stderr: Sink,
    /// Whether the JSON document was written (so `main` writes the error
    /// document only when a command failed before it had one).
    json_written: Arc<AtomicBool>,
}

impl Output {
    /// From the global flags and the environment, over the process's stdout
    /// and stderr: colour only on a terminal that supports it, never with
    /// `--no-color` or `NO_COLOR`, always with `CLICOLOR_FORCE`.
    pub fn new(json: bool, quiet: bool, verbose: bool, no_color: bool) -> Output {
        let stderr_tty = std::io::stderr().is_terminal();
        // `--no-color` wins; otherwise anstream decides from NO_COLOR,
        // CLICOLOR_FORCE, CLICOLOR, TERM (`dumb` or unset: none) and whether
        // the stream is a terminal (https://bixense.com/clicolors/).
        let wanted =
            |choice: anstream::ColorChoice| !no_color && choice != anstream::ColorChoice::Never;
        Output {
            json,
            quiet,
            verbose,
            color: wanted(anstream::AutoStream::choice(&std::io::stderr())),
            stdout_color: wanted(anstream::AutoStream::choice(&std::io::stdout())),
            stderr_tty,
            stdout: sink(std::io::stdout()),
            stderr: sink(std::io::stderr()),
            json_written: Arc::default(),
        }
    }

    /// The same settings over other streams (a buffer, in tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn with_streams(
        self,
        stdout: impl Write + Send + 'static,
        stderr: impl Write + Send + 'static,
    ) -> Output {
        Output {
            stdout: sink(stdout),
            stderr: sink(stderr),
            ..self
        }
    }

    /// Writes `text` and a newline to a stream, scrubbed, with its control
    /// characters escaped (a file name may hold any of them). A write error
    /// (a closed pipe: EPIPE) is dropped, never a panic or an error.
    fn line(stream: &Sink, prefix: &str, text: &str) {
        Output::styled_line(stream, prefix, &printable(text));
    }

    /// [`Output::line`] for text whose parts were escaped by its renderer,
    /// which added colour of its own.
    fn styled_line(stream: &Sink, prefix: &str, text: &str) {
        let mut w = stream
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = writeln!(w, "{prefix}{}", scrub(text));
    }

    /// A result line on stdout (suppressed under `--json` and `--quiet`).
    pub fn result(&self, text: &str) {
        if self.json || self.quiet {
            return;
        }
        Output::line(&self.stdout, "", text);
    }

    /// A result on stdout already made printable by its renderer (the
    /// status table, coloured): written as it is.
    pub fn styled_result(&self, text: &str) {
        if self.json || self.quiet {
            return;
        }
        Output::styled_line(&self.stdout, "", text);
    }

    /// A progress/info line on stderr (suppressed under `--quiet`).
    pub fn info(&self, text: &str) {
        if self.quiet {
            return;
        }
        Output::line(&self.stderr, "", text);
    }

    /// A warning on stderr (suppressed under `--quiet`).
    pub fn warn(&self, text: &str) {
        if self.quiet {
            return;
        }
        let prefix = if self.color {
            "\x1b[33mwarning\x1b[0m"
        } else {
            "warning"
        };
        Output::line(&self.stderr, &format!("{prefix}: "), text);
    }

    /// A question on stderr, without a newline, flushed (the answer is read
    /// from stdin by the caller). Shown under `--quiet` too; not scrubbed: it
    /// names only the database and its redacted URL.
    pub fn prompt(&self, text: &str) {
        let mut w = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = write!(w, "{text}");
        let _ = w.flush();
    }

    /// The one JSON document on stdout. A second call writes nothing: the
    /// first document is the run's (SPEC §10: exactly one).
    pub fn json(&self, value: &impl serde::Serialize) {
        if self.json_written.swap(true, Ordering::SeqCst) {
            return;
        }
        // serde_json escapes every control character itself.
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
        Output::styled_line(&self.stdout, "", &text);
    }

    /// Whether the JSON document was written.
    pub fn json_written(&self) -> bool {
        self.json_written.load(Ordering::SeqCst)
    }

    /// An error with its whole chain, on stderr.
    pub fn error(&self, err: &anyhow::Error) {
        let chain = chain(err);
        let Some((first, causes)) = chain.split_first() else {
            return;
        };
        let mut text = first.clone();
        for cause in causes {
            text.push_str("\n  caused by: ");
            text.push_str(cause);
        }
        let prefix = if self.color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        Output::line(&self.stderr, &format!("{prefix}: "), &text);
    }
}

/// The messages of an error's chain, outermost first, as they are shown:
/// empty messages left out, and tokio-postgres's bare `db error` left out
/// where the server's message (its source) follows, so only real causes
/// remain.
pub fn chain(err: &anyhow::Error) -> Vec<String> {
    err.chain()
        .filter(|cause| {
            !cause
                .downcast_ref::<tokio_postgres::Error>()
                .is_some_and(|e| e.as_db_error().is_some() && e.to_string() == "db error")
        })
        .map(|cause| bounded(cause.to_string()))
        .filter(|m| !m.is_empty())
        .collect()
}

/// The most characters of one message of an error chain that are shown.
const CAUSE_MAX: usize = 8000;

/// `text` whole, or its beginning and end around `…` (a driver or server
/// message can echo a whole statement, megabytes long).
fn bounded(text: String) -> String {
    let len = text.chars().count();
    if len <= CAUSE_MAX {
        return text;
    }
    let half = CAUSE_MAX / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(len - half).collect();
    format!("{head}…{tail}")
}

/// `text` with every control character but newline and tab escaped
/// (`\x1b`, `\r`, `\u{9b}`), so a file or server message cannot move the
/// cursor, recolour or clear a terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if escaped(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if escaped(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The chain of [`chain`] on one line, joined by `: ` (anyhow's `{:#}`).
pub fn one_line(err: &anyhow::Error) -> String {
    chain(err).join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("V1__a\x1b[31m.sql"), "V1__a\\x1b[31m.sql");
        assert_eq!(printable("a\rb\u{9b}c\nd\te"), "a\\rb\\u{9b}c\nd\te");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn scrubs_plain_and_encoded_secrets() {
        add_secret("s3cr3t@pw");
        assert_eq!(
            scrub("postgres://u:s3cr3t%40pw@h/db and s3cr3t@pw"),
            "postgres://u:***@h/db and ***"
        );
    }
}
