//! PostgreSQL-style timeouts (`lock_timeout`, `statement_timeout`).
//!
//! The syntax follows PostgreSQL's time-unit settings
//! (<https://www.postgresql.org/docs/current/config-setting.html#CONFIG-SETTING-NAMES-VALUES>):
//! an integer with an optional unit `ms`, `s`, `min`, `h` or `d`; a bare
//! integer is milliseconds, the base unit of both settings; `0` disables the
//! timeout. Fractions and microseconds are not accepted: strata keeps whole
//! milliseconds so the value it renders is exactly the value it parsed.

use std::fmt;
use std::time::Duration;

/// The largest value PostgreSQL accepts for a millisecond setting (`INT_MAX`).
const MAX_MILLIS: u64 = i32::MAX as u64;

/// A timeout in whole milliseconds; zero means disabled.
///
/// # Examples
///
/// ```
/// use strata::config::Timeout;
/// let t = Timeout::parse("1500ms").unwrap();
/// assert_eq!(t.to_string(), "1500ms");
/// assert_eq!(Timeout::parse("90s").unwrap().to_string(), "90s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeout {
    millis: u64,
}

impl Timeout {
    /// The disabled timeout (`0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::parse("0").unwrap(), Timeout::DISABLED);
    /// assert!(Timeout::DISABLED.is_disabled());
    /// ```
    pub const DISABLED: Timeout = Timeout { millis: 0 };

    /// A timeout of `millis` milliseconds (0 = disabled).
    /// Values above PostgreSQL's limit (`INT_MAX` ms) are clamped to it.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::from_millis(5_000), Timeout::parse("5s").unwrap());
    /// ```
    pub const fn from_millis(millis: u64) -> Timeout {
        Timeout {
            millis: if millis > MAX_MILLIS {
                MAX_MILLIS
            } else {
                millis
            },
        }
    }

    /// Parses `"5s"`, `"500ms"`, `"1min"`, `"2h"`, `"1d"`, `"0"` or a bare
    /// integer (milliseconds).
    ///
    /// # Errors
    ///
    /// A message saying what is expected, for the caller to attach to a key.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::parse("2min").unwrap().millis(), 120_000);
    /// assert_eq!(Timeout::parse("250").unwrap().millis(), 250);
    /// let err = Timeout::parse("5 seconds").unwrap_err();
    /// assert!(err.contains("is not a duration"), "{err}");
    /// ```
    pub fn parse(text: &str) -> Result<Timeout, String> {
        let t = text.trim();
        let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (number, unit) = t.split_at(digits_end);
        let expected = || {
            format!(
                "`{text}` is not a duration: use an integer with a unit ms, s, min, h or d (\"5s\", \"500ms\"), a bare integer for milliseconds, or \"0\" to disable"
            )
        };
        let number: u64 = number.parse().map_err(|_| expected())?;
        let factor: u64 = match unit.trim_start() {
            "" | "ms" => 1,
            "s" => 1_000,
            "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(expected()),
        };
        let millis = number
            .checked_mul(factor)
            .filter(|m| *m <= MAX_MILLIS)
            .ok_or_else(|| {
                format!("`{text}` is too large: PostgreSQL's limit is {MAX_MILLIS}ms")
            })?;
        Ok(Timeout { millis })
    }

    /// Whole milliseconds (0 = disabled).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::parse("1h").unwrap().millis(), 3_600_000);
    /// ```
    pub fn millis(self) -> u64 {
        self.millis
    }

    /// Whether this is `0`, PostgreSQL's "no timeout".
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert!(Timeout::parse("0").unwrap().is_disabled());
    /// assert!(!Timeout::parse("1ms").unwrap().is_disabled());
    /// ```
    pub fn is_disabled(self) -> bool {
        self.millis == 0
    }

    /// The duration, or `None` when disabled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::parse("5s").unwrap().as_duration(), Some(Duration::from_secs(5)));
    /// assert_eq!(Timeout::DISABLED.as_duration(), None);
    /// ```
    pub fn as_duration(self) -> Option<Duration> {
        (!self.is_disabled()).then(|| Duration::from_millis(self.millis))
    }

    /// The literal for `SET lock_timeout = '…'`: the largest unit that
    /// represents the value exactly (`5s`, `1500ms`, `2min`, `0`).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::Timeout;
    /// assert_eq!(Timeout::parse("120000").unwrap().as_setting(), "2min");
    /// assert_eq!(Timeout::DISABLED.as_setting(), "0");
    /// ```
    pub fn as_setting(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.millis;
        match m {
            0 => f.write_str("0"),
            _ if m.is_multiple_of(86_400_000) => write!(f, "{}d", m / 86_400_000),
            _ if m.is_multiple_of(3_600_000) => write!(f, "{}h", m / 3_600_000),
            _ if m.is_multiple_of(60_000) => write!(f, "{}min", m / 60_000),
            _ if m.is_multiple_of(1_000) => write!(f, "{}s", m / 1_000),
            _ => write!(f, "{m}ms"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic
mod tests {
    use super::*;

    #[test]
    fn parses_postgres_units() {
        let cases = [
            ("5s", 5_000, "5s"),
            ("500ms", 500, "500ms"),
            ("1min", 60_000, "1min"),
            ("2h", 7_200_000, "2h"),
            ("1d", 86_400_000, "1d"),
            ("1500", 1_500, "1500ms"),
            ("60000", 60_000, "1min"),
            ("10 s", 10_000, "10s"),
            (" 0 ", 0, "0"),
            ("0s", 0, "0"),
        ];
        for (text, millis, rendered) in cases {
            let t = Timeout::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(t.millis(), millis, "{text}");
            assert_eq!(t.as_setting(), rendered, "{text}");
            assert_eq!(Timeout::parse(&t.as_setting()), Ok(t), "round trip {text}");
        }
        assert!(Timeout::parse("0").unwrap().is_disabled());
        assert_eq!(Timeout::parse("0").unwrap().as_duration(), None);
        assert_eq!(
            Timeout::parse("2s").unwrap().as_duration(),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn rejects_garbage() {
        for text in [
            "",
            "s",
            "5 seconds",
            "1.5s",
            "-1s",
            "5m",
            "5S",
            "10us",
            "abc",
        ] {
            assert!(Timeout::parse(text).is_err(), "{text:?} should be rejected");
        }
        let too_big = Timeout::parse("25d").unwrap_err();
        assert!(too_big.contains("too large"), "{too_big}");
    }
}
