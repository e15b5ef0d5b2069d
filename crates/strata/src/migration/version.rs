//! [`Version`]: the numbers of a versioned migration's name, compared as
//! numbers part by part (`V2 < V10`, `V1 == V001 == V1.0`).
//!
//! It imports nothing from the rest of the crate (its parse error is a plain
//! `String`), so any module — the history rows, the plan's problems, the error
//! type — can name a version without an import circle.

use std::cmp::Ordering;
use std::fmt;

/// A migration version: one or more numbers separated by `.` or `_`.
///
/// Versions compare numerically part by part (`2 < 10`), missing parts count
/// as zero, so `V1` and `V001` are the same version. The normalized form drops
/// leading zeros and joins the parts with `.` (`V2_01` is `2.1`).
///
/// ```
/// use strata::migration::Version;
/// let a: Version = "002".parse().unwrap();
/// let b: Version = "10".parse().unwrap();
/// assert!(a < b);
/// assert_eq!(a.to_string(), "2");
/// assert_eq!("2_1".parse::<Version>().unwrap().to_string(), "2.1");
/// ```
#[derive(Clone)]
pub struct Version {
    /// The numbers as written, each up to 38 digits (u128), compared as
    /// integers. Up to two parts live inline, so the common `V12__` and
    /// `V2_1__` versions cost no allocation: `status` parses and compares
    /// tens of thousands of them.
    parts: Parts,
}

#[derive(Clone)]
enum Parts {
    Inline { len: u8, parts: [u128; 2] },
    Heap(Box<[u128]>),
}

impl Version {
    /// The numeric parts, as written (trailing zeros included).
    ///
    /// ```
    /// use strata::migration::Version;
    /// let v: Version = "2_01.0".parse().unwrap();
    /// assert_eq!(v.parts(), &[2, 1, 0]);
    /// assert_eq!(v, "2.1".parse().unwrap()); // trailing zeros do not count
    /// ```
    pub fn parts(&self) -> &[u128] {
        match &self.parts {
            Parts::Inline { len, parts } => &parts[..usize::from(*len)],
            Parts::Heap(parts) => parts,
        }
    }

    /// Version 0: where `baseline_on_migrate` puts a database's baseline.
    pub(crate) fn zero() -> Version {
        Version {
            parts: Parts::Inline {
                len: 1,
                parts: [0, 0],
            },
        }
    }

    /// The parts without trailing zeros: equal versions have equal keys.
    fn key(&self) -> &[u128] {
        let parts = self.parts();
        let mut n = parts.len();
        while n > 1 && parts[n - 1] == 0 {
            n -= 1;
        }
        &parts[..n]
    }
}

impl std::str::FromStr for Version {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err("empty version".into());
        }
        let mut inline = [0u128; 2];
        let mut len = 0usize;
        let mut heap: Vec<u128> = Vec::new();
        for part in s.split(['.', '_']) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{s}` is not a version (numbers separated by `.` or `_`)"
                ));
            }
            let digits = part.trim_start_matches('0');
            if digits.len() > 38 {
                return Err(format!("`{s}`: a version part has more than 38 digits"));
            }
            // At most 38 ASCII digits always fit in a u128.
            let n = digits
                .bytes()
                .fold(0u128, |n, b| n * 10 + u128::from(b - b'0'));
            if len < 2 {
                inline[len] = n;
            } else {
                if heap.is_empty() {
                    heap.extend_from_slice(&inline);
                }
                heap.push(n);
            }
            len += 1;
        }
        let parts = if len <= 2 {
            Parts::Inline {
                len: len as u8,
                parts: inline,
            }
        } else {
            Parts::Heap(heap.into_boxed_slice())
        };
        Ok(Version { parts })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.parts(), other.parts());
        let n = a.len().max(b.len());
        for i in 0..n {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            match x.cmp(&y) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal versions must hash alike: ignore trailing zero parts.
        self.key().hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &p) in self.parts().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            // u128 formatting divides in 128 bits; nearly every part fits in 64.
            match u64::try_from(p) {
                Ok(small) => write!(f, "{small}")?,
                Err(_) => write!(f, "{p}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({self})")
    }
}
