//! `strata validate --offline` on a folder breaking every load-time rule of
//! SPEC §2.1/§2.2 at once: every problem is printed, each naming its file
//! (and line), and the exit code is 3 — without a server, and without
//! blocking on a FIFO.

use crate::support::{self, Project};

#[test]
fn validate_offline_prints_every_file_rule_and_exits_3() {
    let project = Project::new();
    project
        .migration("V1__ok.sql", "CREATE TABLE ok (id int);\n")
        .migration("V2__a.SQL", "SELECT 1;\n")
        .migration(
            "V3__look_alike.sql",
            "CREATE TABLE a (id int);\n-- migrate:down:\nDROP TABLE a;\n",
        )
        .migration("V4__early.sql", "SELECT 1;\n-- migrate:up\nSELECT 2;\n")
        .migration(
            "V5__mixed.sql",
            "CREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY b_id ON b (id);\n",
        )
        .migration("V6__typo.sql", "-- strata:no-transactoin\nSELECT 1;\n")
        .migration("V7__open.sql", "SELECT 1;\nSELECT $$ never closed;\n")
        .migration("V8__connect.sql", "SELECT 1;\n\\connect other\n")
        .migration("V9__copy.sql", "COPY t FROM stdin;\n1\n")
        .migration("V10__scs.sql", "SET standard_conforming_strings = off;\n")
        .migration("V11__conf.sql", "SELECT 1;\n")
        .migration("V11__conf.sql.conf", "mixed=true\n")
        .migration("V12__blank.sql", "\n   \n");
    let fifo = project.path().join("migrations/V13__pipe.sql");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let run = support::Run::of(
        project
            .cmd(None, &["validate", "--offline"])
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap(),
    );
    run.expect_code(3).expect_no_panic();
    let all = format!("{}{}", run.stdout, run.stderr);
    for expected in [
        "V2__a.SQL: the extension must be `.sql` in lower case",
        "V3__look_alike.sql:2: `-- migrate:down:` looks like a section marker",
        "V4__early.sql:2: a statement comes before the `-- migrate:up` marker",
        "V5__mixed.sql:2: CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
        "V6__typo.sql:1: unknown directive `-- strata:no-transactoin`",
        "V7__open.sql:2: unterminated dollar-quoted string",
        "V8__connect.sql:2: psql meta-command `\\connect`",
        "V9__copy.sql:1: COPY FROM STDIN data is not terminated",
        "V10__scs.sql:1: standard_conforming_strings must stay on",
        "V11__conf.sql.conf:1: unsupported key `mixed`",
        "V12__blank.sql: migration is empty",
        "V13__pipe.sql: a FIFO (named pipe), not a regular file",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    assert!(!all.contains("V1__ok.sql"), "{all}");
}
