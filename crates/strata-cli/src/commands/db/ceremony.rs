//! The hard-reset ceremony of a protected environment (SPEC §5): a person at
//! a terminal types the database name, then a random challenge code that is
//! shown only on that terminal, after the name. Input already waiting when a
//! prompt appears is discarded, so a script that writes into a
//! pseudo-terminal ahead of time, or without reading the code, cannot pass.
//! With `CI` set, or with no terminal on stdin and stderr, the reset is
//! refused before anything is shown.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context as _, Result};
use strata::config::DatabaseConfig;

use crate::context::Ctx;
use crate::exit::{REFUSED, exit};

/// The characters of a challenge code: capitals and digits without those
/// that read alike (0/O/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B).
const ALPHABET: &[u8] = b"ACDEFHJKMNPRTUVWXY3479";
/// Characters in a challenge code.
const CODE_LEN: usize = 6;

/// Why the ceremony cannot take place here, if it cannot: `CI` is set, or
/// stdin or stderr is not a terminal.
pub(super) fn refusal(env: &str) -> Option<String> {
    let why = if std::env::var_os("CI").is_some() {
        "CI is set".to_owned()
    } else if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        let which = match (
            std::io::stdin().is_terminal(),
            std::io::stderr().is_terminal(),
        ) {
            (false, false) => "stdin and stderr are not terminals",
            (false, true) => "stdin is not a terminal",
            _ => "stderr is not a terminal",
        };
        which.to_owned()
    } else {
        return None;
    };
    Some(format!(
        "refused: `strata db reset` in protected environment {env} ({why}): a hard reset of a \
         protected environment must be done by hand, on a terminal, typing the database name and \
         a challenge code; it cannot be automated; nothing was changed"
    ))
}

/// Runs the ceremony for each database, in order; the first wrong answer
/// refuses the whole command (exit 5) before anything is touched.
pub(super) fn run(ctx: &Ctx, names: &[(&&DatabaseConfig, (String, String))]) -> Result<()> {
    let env = &ctx.env.name;
    for (db, (name, where_)) in names {
        ctx.out.prompt(&format!(
            "This will terminate its sessions, DROP, recreate and migrate database {name} \
             (strata database {}, PROTECTED environment {env}, {where_}).\n",
            db.name
        ));
        let typed = ask(ctx, "Type the database name to confirm: ")?;
        if typed != *name {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: the confirmation does not match database {name}; nothing was changed"
                ),
            ));
        }
        let code = challenge_code()?;
        let typed = ask(
            ctx,
            &format!("Type this challenge code to confirm: {code}\n> "),
        )?;
        if !typed.eq_ignore_ascii_case(&code) {
            return Err(exit(
                REFUSED,
                format!(
                    "refused: the challenge code does not match (database {name}); nothing was changed"
                ),
            ));
        }
    }
    Ok(())
}

/// Discards what is waiting on the terminal, shows `prompt` and reads one
/// line, trimmed.
fn ask(ctx: &Ctx, prompt: &str) -> Result<String> {
    // Anything typed (or written by a program) before the prompt is up is
    // thrown away, not taken as the answer.
    rustix::termios::tcflush(std::io::stdin(), rustix::termios::QueueSelector::IFlush)
        .context("cannot discard the terminal's pending input")?;
    ctx.out.prompt(prompt);
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the confirmation")?;
    Ok(line.trim().to_owned())
}

/// A fresh code of [`CODE_LEN`] characters of [`ALPHABET`], from the
/// operating system's random source, without modulo bias.
fn challenge_code() -> Result<String> {
    let limit = u8::MAX - u8::MAX % ALPHABET.len() as u8;
    let mut code = String::with_capacity(CODE_LEN);
    while code.len() < CODE_LEN {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("cannot read the random source: {e}"))?;
        for b in bytes {
            if b < limit && code.len() < CODE_LEN {
                code.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_codes_use_the_alphabet_and_differ() {
        let a = challenge_code().unwrap();
        let b = challenge_code().unwrap();
        assert_eq!(a.len(), CODE_LEN);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)), "{a}");
        // 22^6 ≈ 1.1e8 codes: two equal draws mean the source is not random.
        assert_ne!(a, b);
    }
}
