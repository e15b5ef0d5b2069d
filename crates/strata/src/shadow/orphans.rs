//! Scratch databases that killed runs left on the local cluster.

use tokio_postgres::Client;

use super::PREFIX;
use crate::history::quote_ident;

/// Drops the scratch databases that runs killed before their drop (kill -9,
/// a power cut) left on the project's local cluster: those whose process
/// (the pid in the name) is gone and that nobody is connected to. Only on
/// the local cluster, whose runs all share this machine's pids; on a
/// `shadow_url_env` server another machine's run may own the name. Linux
/// only (`/proc`); a failure is ignored: the check runs anyway.
pub(super) async fn drop_orphans(admin: &Client) {
    if !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let sql = "SELECT datname FROM pg_catalog.pg_database d \
               WHERE datname LIKE 'strata\\_shadow\\_%' AND NOT EXISTS \
               (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid)";
    let Ok(messages) = admin.simple_query(sql).await else {
        return;
    };
    for m in &messages {
        let tokio_postgres::SimpleQueryMessage::Row(row) = m else {
            continue;
        };
        let Some(name) = row.get(0) else { continue };
        let Some(pid) = pid_of(name) else { continue };
        if pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        // Not WITH (FORCE): a database someone has just connected to stays.
        let _ = admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote_ident(name)))
            .await;
    }
}

/// The pid in a scratch database's name.
fn pid_of(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pid_is_read_back_from_a_scratch_name() {
        let name = super::super::scratch_name();
        assert_eq!(super::pid_of(&name), Some(std::process::id()));
        assert_eq!(super::pid_of("strata_shadow_x_1_0"), None);
        assert_eq!(super::pid_of("other_12_1_0"), None);
    }
}
