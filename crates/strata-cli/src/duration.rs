//! Duration flags (`--wait`, `--lock-wait`, `db wait --timeout`): one clap
//! value parser for all of them.
//!
//! A bare integer is seconds (`30`); a unit may follow, PostgreSQL's
//! (`ms`, `s`, `min`, `h`, `d`) or the humane short forms (`sec`, `m`). The
//! largest accepted value is `i32::MAX` seconds (about 68 years, libpq's
//! `connect_timeout` limit in the same unit): anything larger is a usage
//! error, so no deadline computed from a flag can overflow.

use std::time::Duration;

/// The largest duration a flag accepts, in seconds.
const MAX_SECS: u64 = i32::MAX as u64;

/// Parses a duration flag's value.
pub fn parse(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits_end);
    let expected = || {
        format!(
            "`{text}` is not a duration: use an integer with an optional unit ms, s, min, h or d (30, 30s, 500ms, 5min, 1h); a bare integer is seconds"
        )
    };
    if number.is_empty() {
        return Err(expected());
    }
    let too_large = || format!("`{text}` is too large: the limit is {MAX_SECS}s");
    // Digits only, so a parse failure is an overflow of u64.
    let number: u64 = number.parse().map_err(|_| too_large())?;
    let millis_per: u64 = match unit.trim_start() {
        "" | "s" | "sec" => 1_000,
        "ms" => 1,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(expected()),
    };
    let millis = number
        .checked_mul(millis_per)
        .filter(|m| *m <= MAX_SECS * 1_000)
        .ok_or_else(too_large)?;
    Ok(Duration::from_millis(millis))
}

/// Renders a duration the way a flag would take it: `10s`, `500ms`, `0s`.
pub fn humane(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn units() {
        for (text, millis) in [
            ("30", 30_000),
            ("0", 0),
            ("30s", 30_000),
            ("30 s", 30_000),
            ("2sec", 2_000),
            ("500ms", 500),
            ("5min", 300_000),
            ("1m", 60_000),
            ("1h", 3_600_000),
            ("1d", 86_400_000),
            ("2147483647", 2_147_483_647_000),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_millis(millis)), "{text}");
        }
    }

    #[test]
    fn refuses_garbage_and_overflow() {
        for text in ["", "s", "-1", "1.5s", "5 seconds", "10us", "abc"] {
            let e = parse(text).unwrap_err();
            assert!(e.contains("is not a duration"), "{text}: {e}");
        }
        for text in [
            "18446744073709551615",
            "99999999999h",
            "2147483648",
            "99999999999999999999999",
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains("too large"), "{text}: {e}");
        }
    }
}
