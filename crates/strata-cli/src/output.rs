//! Where output goes: results to stdout, progress/warnings/errors to stderr,
//! JSON as exactly one document on stdout. Every line passes through
//! [`scrub`], which replaces every secret the CLI has seen (URL passwords)
//! with `***` — a second line of defence behind the library's redacted types,
//! covering driver messages too. A closed pipe is not an error: writes to a
//! closed stdout are dropped (ripgrep's behaviour), never a panic.

use std::io::{IsTerminal, Write};
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

    /// Writes `text` and a newline to a stream, scrubbed. A write error (a
    /// closed pipe: EPIPE) is dropped, never a panic or an error.
    fn line(stream: &Sink, prefix: &str, text: &str) {
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

    /// The one JSON document on stdout.
    pub fn json(&self, value: &impl serde::Serialize) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
        Output::line(&self.stdout, "", &text);
    }

    /// An error with its whole chain, on stderr.
    pub fn error(&self, err: &anyhow::Error) {
        let mut text = String::new();
        let mut first = true;
        for cause in err.chain() {
            let msg = cause.to_string();
            if msg.is_empty() {
                continue;
            }
            if first {
                text.push_str(&msg);
                first = false;
            } else {
                text.push_str(&format!("\n  caused by: {msg}"));
            }
        }
        if text.is_empty() {
            return;
        }
        let prefix = if self.color {
            "\x1b[1;31merror\x1b[0m"
        } else {
            "error"
        };
        Output::line(&self.stderr, &format!("{prefix}: "), &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_plain_and_encoded_secrets() {
        add_secret("s3cr3t@pw");
        assert_eq!(
            scrub("postgres://u:s3cr3t%40pw@h/db and s3cr3t@pw"),
            "postgres://u:***@h/db and ***"
        );
    }
}
