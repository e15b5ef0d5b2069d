//! [`Timestamp`]: the history's `applied_at`, kept as PostgreSQL sends it
//! in binary and shown as RFC 3339 in UTC.
//!
//! Plain integer arithmetic (the civil-from-days algorithm): `status` formats
//! one per history row, and a general date library made that a tenth of its
//! time.

use std::fmt;

use tokio_postgres::types::{FromSql, Type};

/// Seconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const UNIX_2000: i64 = 946_684_800;

/// A `timestamptz` of the history table: microseconds since
/// 2000-01-01 00:00 UTC, as PostgreSQL stores it (±infinity are the
/// extreme values).
///
/// Shown as RFC 3339 in UTC, to the second (fractions are cut, not rounded):
///
/// ```
/// use strata::history::Timestamp;
/// let at = Timestamp::from_unix_secs(1_795_278_748); // 2026-11-21 16:32:28 UTC
/// assert_eq!(at.to_string(), "2026-11-21T16:32:28Z");
/// assert_eq!(Timestamp::from_pg_micros(0).to_string(), "2000-01-01T00:00:00Z");
/// assert_eq!(Timestamp::from_pg_micros(i64::MAX).to_string(), "infinity");
/// assert!(Timestamp::from_pg_micros(0) < at);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From PostgreSQL's own representation: microseconds since
    /// 2000-01-01 00:00 UTC.
    ///
    /// ```
    /// use strata::history::Timestamp;
    /// assert_eq!(Timestamp::from_pg_micros(-1).to_string(), "1999-12-31T23:59:59Z");
    /// ```
    pub const fn from_pg_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    /// From seconds since 1970-01-01 00:00 UTC.
    ///
    /// ```
    /// use strata::history::Timestamp;
    /// assert_eq!(Timestamp::from_unix_secs(0).to_string(), "1970-01-01T00:00:00Z");
    /// ```
    pub const fn from_unix_secs(secs: i64) -> Timestamp {
        Timestamp(secs.saturating_sub(UNIX_2000).saturating_mul(1_000_000))
    }

    /// The current time of this machine's clock.
    ///
    /// ```
    /// use strata::history::Timestamp;
    /// assert!(Timestamp::now() > Timestamp::from_unix_secs(1_700_000_000));
    /// ```
    pub fn now() -> Timestamp {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let micros = i64::try_from(since.as_micros()).unwrap_or(i64::MAX);
        Timestamp(micros.saturating_sub(UNIX_2000 * 1_000_000))
    }

    /// Microseconds since 2000-01-01 00:00 UTC.
    ///
    /// ```
    /// use strata::history::Timestamp;
    /// assert_eq!(Timestamp::from_unix_secs(946_684_801).pg_micros(), 1_000_000);
    /// ```
    pub const fn pg_micros(self) -> i64 {
        self.0
    }
}

impl<'a> FromSql<'a> for Timestamp {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let bytes: [u8; 8] = raw.try_into()?;
        Ok(Timestamp(i64::from_be_bytes(bytes)))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-21T16:32:28Z`, without allocating for years 0 to 9999.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            i64::MAX => return f.write_str("infinity"),
            i64::MIN => return f.write_str("-infinity"),
            _ => {}
        }
        let secs = self.0.div_euclid(1_000_000) + UNIX_2000;
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Howard Hinnant's days_from_civil inverse, for the proleptic Gregorian calendar.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(0..=9999).contains(&year) {
            return write!(
                f,
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
                rem / 3600,
                rem / 60 % 60,
                rem % 60
            );
        }
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, rem / 3600);
        put(14, 2, rem / 60 % 60);
        put(17, 2, rem % 60);
        // Digits and punctuation: ASCII.
        f.write_str(std::str::from_utf8(&b).unwrap_or_default())
    }
}
