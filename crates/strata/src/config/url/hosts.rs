//! Where a connection may go: each host with its `hostaddr` and port
//! ([`DbUrl::targets`]), and the summary a banner line shows.

use std::net::IpAddr;

use super::{DEFAULT_PORT, DbUrl};

impl DbUrl {
    /// Every place a connection may go, in order: `(host, hostaddr, port)`
    /// for each host (or for each `hostaddr` when no host is given). An
    /// empty list means libpq's default socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://a:6000,b/shop").unwrap();
    /// let t: Vec<_> = url.targets().into_iter().map(|t| (t.host, t.port)).collect();
    /// assert_eq!(t, [(Some("a".to_owned()), 6000), (Some("b".to_owned()), 5432)]);
    /// ```
    pub fn targets(&self) -> Vec<HostTarget> {
        let n = self.hosts.len().max(self.hostaddrs.len());
        (0..n)
            .map(|i| HostTarget {
                host: self.hosts.get(i).cloned(),
                hostaddr: self.hostaddrs.get(i).copied(),
                port: self.port_at(i),
            })
            .collect()
    }

    pub(super) fn port_at(&self, i: usize) -> u16 {
        let port = if self.ports.len() == 1 {
            self.ports[0]
        } else {
            self.ports.get(i).copied().flatten()
        };
        port.unwrap_or(DEFAULT_PORT)
    }

    /// The host, port and database with nothing secret: what a banner line
    /// shows (`db.internal:5432/shop`, `/var/run/postgresql:5432/shop`,
    /// `a:5432,b:5433/shop`). Use it on the effective connection
    /// ([`Libpq::effective`](crate::config::Libpq::effective)).
    ///
    /// # Examples
    ///
    /// ```
    /// use strata::config::DbUrl;
    /// let url = DbUrl::parse("postgres://app:pw@db.internal/shop").unwrap();
    /// assert_eq!(url.endpoint_summary(), "db.internal:5432/shop");
    /// ```
    pub fn endpoint_summary(&self) -> String {
        let targets = self.targets();
        let hosts = if targets.is_empty() {
            format!("(default socket):{}", self.port())
        } else {
            targets
                .iter()
                .map(|t| {
                    let h = match (&t.host, t.hostaddr) {
                        (_, Some(a)) => a.to_string(),
                        (Some(h), None) => h.clone(),
                        (None, None) => String::new(),
                    };
                    if h.contains(':') {
                        format!("[{h}]:{}", t.port)
                    } else {
                        format!("{h}:{}", t.port)
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        format!("{hosts}/{}", self.database())
    }
}

/// One place a connection may go: see [`DbUrl::targets`].
///
/// # Examples
///
/// ```
/// use strata::config::DbUrl;
/// let url = DbUrl::parse("host=db hostaddr=10.0.0.5 port=6432").unwrap();
/// let t = &url.targets()[0];
/// assert_eq!((t.host.as_deref(), t.hostaddr.map(|a| a.to_string()), t.port), (Some("db"), Some("10.0.0.5".to_owned()), 6432));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTarget {
    /// The host name, address or socket directory, if given.
    pub host: Option<String>,
    /// The address actually connected to, if given.
    pub hostaddr: Option<IpAddr>,
    /// The port.
    pub port: u16,
}
