//! Each rule of the default list fires on its hazard and not on the safe
//! alternative; severities, `-- strata:allow`, the existing-object logic and
//! positions in files with sections.

use super::{Finding, Linter, Rule, Rules, Severity, Source};

fn lint_with(rules: &Rules, text: &str) -> Vec<Finding> {
    Linter::new(rules)
        .lint(&Source::new("V2__test.sql", text))
        .unwrap_or_else(|e| panic!("lint failed: {e}\n{text}"))
}

fn ids(text: &str) -> Vec<String> {
    lint_with(&Rules::default(), text)
        .iter()
        .map(|f| f.rule.to_string())
        .collect()
}

/// (rule, fires on, does not fire on the safe alternative)
const CASES: &[(&str, &str, &str)] = &[
    // strata's own rules
    (
        "concurrently-in-transaction",
        "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON orders (id);",
        "CREATE INDEX CONCURRENTLY a_id ON orders (id);",
    ),
    (
        "non-transactional-in-transaction",
        "CREATE TABLE a (id int);\nVACUUM orders;",
        "VACUUM orders;",
    ),
    (
        "non-transactional-in-transaction",
        "CREATE TABLE a (id int);\nCREATE DATABASE other;",
        "-- strata:no-transaction\nCREATE TABLE a (id int);\nCREATE DATABASE other;",
    ),
    (
        "transaction-control",
        "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;",
        "CREATE TABLE a (id int);",
    ),
    (
        "enum-value-used-in-transaction",
        "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET mood = 'meh' WHERE mood IS NULL;",
        "-- strata:no-transaction\nALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET mood = 'meh' WHERE mood IS NULL;",
    ),
    (
        "ban-truncate",
        "TRUNCATE orders;",
        "DELETE FROM orders WHERE created < now() - interval '1 year';",
    ),
    ("comment-only", "-- to be written\n", "SELECT 1;"),
    // squawk's, in the default list
    (
        "require-concurrent-index-creation",
        "CREATE INDEX orders_at ON orders (at);",
        "CREATE INDEX CONCURRENTLY orders_at ON orders (at);",
    ),
    (
        "require-concurrent-index-deletion",
        "DROP INDEX orders_at;",
        "DROP INDEX CONCURRENTLY orders_at;",
    ),
    (
        "require-concurrent-reindex",
        "REINDEX INDEX orders_at;",
        "REINDEX INDEX CONCURRENTLY orders_at;",
    ),
    (
        "require-concurrent-partition-detach",
        "ALTER TABLE measurements DETACH PARTITION m2020;",
        "ALTER TABLE measurements DETACH PARTITION m2020 CONCURRENTLY;",
    ),
    (
        "constraint-missing-not-valid",
        "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0);",
        "ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;",
    ),
    (
        "adding-foreign-key-constraint",
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id);",
        "ALTER TABLE orders ADD CONSTRAINT fk_user FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;",
    ),
    (
        "adding-not-nullable-field",
        "ALTER TABLE orders ALTER COLUMN total SET NOT NULL;",
        "ALTER TABLE orders ADD CONSTRAINT total_nn CHECK (total IS NOT NULL) NOT VALID;",
    ),
    (
        "adding-field-with-default",
        "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        "ALTER TABLE orders ADD COLUMN token uuid;",
    ),
    (
        "adding-required-field",
        "ALTER TABLE orders ADD COLUMN region text NOT NULL;",
        "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';",
    ),
    (
        "adding-serial-primary-key-field",
        "ALTER TABLE orders ADD PRIMARY KEY (id);",
        "ALTER TABLE orders ADD CONSTRAINT orders_pkey PRIMARY KEY USING INDEX orders_id_idx;",
    ),
    (
        "disallowed-unique-constraint",
        "ALTER TABLE orders ADD CONSTRAINT orders_ref UNIQUE (ref);",
        "ALTER TABLE orders ADD CONSTRAINT orders_ref UNIQUE USING INDEX orders_ref_idx;",
    ),
    (
        "changing-column-type",
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);",
        "ALTER TABLE orders ADD COLUMN total_exact numeric(12, 2);",
    ),
    (
        "renaming-column",
        "ALTER TABLE orders RENAME COLUMN total TO amount;",
        "ALTER TABLE orders ADD COLUMN amount numeric;",
    ),
    (
        "renaming-table",
        "ALTER TABLE orders RENAME TO purchases;",
        "CREATE VIEW purchases AS SELECT * FROM orders;",
    ),
    (
        "ban-drop-column",
        "ALTER TABLE orders DROP COLUMN legacy;",
        "COMMENT ON COLUMN orders.legacy IS 'unused, dropped in a later release';",
    ),
    (
        "ban-drop-table",
        "DROP TABLE orders;",
        "ALTER TABLE orders RENAME TO orders_retired;\n-- strata:allow renaming-table",
    ),
    ("ban-drop-database", "DROP DATABASE old;", "SELECT 1;"),
    (
        "identifier-too-long",
        "CREATE TABLE a_table_name_that_goes_on_and_on_well_past_sixty_three_bytes_of_text (id int);",
        "CREATE TABLE a_short_name (id int);",
    ),
];

#[test]
fn each_rule_fires_and_not_on_its_safe_alternative() {
    for (rule, bad, good) in CASES {
        let fired = ids(bad);
        assert!(
            fired.iter().any(|r| r == rule),
            "{rule} did not fire on:\n{bad}\n(got {fired:?})"
        );
        let safe = ids(good);
        assert!(
            !safe.iter().any(|r| r == rule),
            "{rule} fired on the safe:\n{good}\n(got {safe:?})"
        );
    }
}

#[test]
fn every_default_rule_has_a_case() {
    for rule in Rule::defaults() {
        let id = rule.to_string();
        // About the branch against its base, not a file's text: base.rs.
        if matches!(id.as_str(), "version-below-base" | "edited-migration") {
            continue;
        }
        assert!(CASES.iter().any(|(r, _, _)| *r == id), "no case for {id}");
    }
}

#[test]
fn line_and_column_are_in_the_file_when_the_statement_is_in_a_section() {
    let text = "-- a comment\n-- migrate:up\nCREATE TABLE t (id int);\n  TRUNCATE orders;\n-- migrate:down\nTRUNCATE t;\n";
    let found = lint_with(&Rules::default(), text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].line, found[0].column), (4, 3));
    assert_eq!(found[0].statement, "TRUNCATE orders;");
}

#[test]
fn severities_come_from_the_rules() {
    let mut rules = Rules::default();
    let drop: Rule = "ban-drop-column".parse().unwrap();
    rules.set(drop, Some(Severity::Error));
    rules.set("ban-truncate".parse().unwrap(), None);
    rules.set(
        "prefer-bigint-over-int".parse().unwrap(),
        Some(Severity::Warning),
    );
    let found = lint_with(
        &rules,
        "ALTER TABLE orders DROP COLUMN legacy;\nTRUNCATE orders;\nCREATE TABLE t (id int);",
    );
    let got: Vec<(String, Severity)> = found
        .iter()
        .map(|f| (f.rule.to_string(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("ban-drop-column".to_owned(), Severity::Error),
            ("prefer-bigint-over-int".to_owned(), Severity::Warning),
        ]
    );
}

#[test]
fn the_transactional_rules_cannot_be_lowered() {
    let mut rules = Rules::default();
    rules.set("concurrently-in-transaction".parse().unwrap(), None);
    let found = lint_with(
        &rules,
        "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON orders (id);",
    );
    assert!(
        found
            .iter()
            .any(|f| f.rule.to_string() == "concurrently-in-transaction" && f.is_error())
    );
}

#[test]
fn allow_suppresses_for_the_file() {
    let text = "-- strata:allow ban-truncate, ban-drop-table\nTRUNCATE orders;\nDROP TABLE old;\nALTER TABLE orders DROP COLUMN x;";
    assert_eq!(ids(text), ["ban-drop-column"]);
}

#[test]
fn an_unknown_rule_in_allow_is_an_error_naming_it_and_its_line() {
    let text = "-- first\n-- strata:allow ban-truncat\nTRUNCATE orders;";
    let err = Linter::new(&Rules::default())
        .lint(&Source::new("V7__x.sql", text))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("V7__x.sql:2"), "{msg}");
    assert!(msg.contains("ban-truncat"), "{msg}");
}

#[test]
fn a_table_created_earlier_in_the_file_is_new() {
    let text = "-- strata:no-transaction\nCREATE TABLE t (id int, total int);\nCREATE INDEX t_id ON t (id);\nALTER TABLE t ALTER COLUMN total SET NOT NULL;\nALTER TABLE t ALTER COLUMN total TYPE bigint;";
    assert_eq!(ids(text), Vec::<String>::new());
    // Another table is not new.
    let other = "-- strata:no-transaction\nCREATE TABLE t (id int);\nCREATE INDEX u_id ON u (id);";
    assert_eq!(ids(other), ["require-concurrent-index-creation"]);
}

#[test]
fn a_table_created_by_an_earlier_file_of_the_run_is_new() {
    let rules = Rules::default();
    let mut linter = Linter::new(&rules);
    let first = linter
        .lint(&Source::new("V1__t.sql", "CREATE TABLE t (id int);"))
        .unwrap();
    let second = linter
        .lint(&Source::new(
            "V2__t.sql",
            "ALTER TABLE t ADD CONSTRAINT p CHECK (id > 0);\nCREATE INDEX ON t (id);",
        ))
        .unwrap();
    assert!(first.is_empty() && second.is_empty(), "{second:?}");
    // Another run does not know the table.
    let mut fresh = Linter::new(&rules);
    let again = fresh
        .lint(&Source::new("V2__t.sql", "CREATE INDEX ON t (id);"))
        .unwrap();
    assert_eq!(again.len(), 1);
}

#[test]
fn the_in_transaction_assumption_follows_the_file() {
    // In a no-transaction file, BEGIN/COMMIT are the file's own business.
    assert!(ids("-- strata:no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;").is_empty());
    // A Flyway .sql.conf saying executeInTransaction=false.
    let src = Source {
        no_transaction: true,
        ..Source::new(
            "V3__x.sql",
            "ALTER TYPE mood ADD VALUE 'ok';\nSELECT 'ok'::mood;",
        )
    };
    assert!(
        Linter::new(&Rules::default())
            .lint(&src)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn the_branch_against_its_base() {
    use super::BaseFiles;
    let check = |on_base: &[&str], added: &[&str], edited: &[&str], rules: &Rules| {
        BaseFiles {
            base: "main",
            on_base,
            added,
            edited,
        }
        .check(rules)
        .into_iter()
        .map(|f| format!("{}:{}", f.rule, f.script))
        .collect::<Vec<_>>()
    };
    let rules = Rules::default();
    let base = ["V1__a.sql", "V10__b.sql", "R__views.sql", "U10__b.sql"];
    // Numeric order: 9 < 10 < 10.1; V010 is V10.
    assert_eq!(
        check(
            &base,
            &["V9__c.sql", "V10_1__d.sql", "V010__e.sql"],
            &[],
            &rules
        ),
        [
            "version-below-base:V9__c.sql",
            "version-below-base:V010__e.sql"
        ]
    );
    // Repeatable files have no version; a file also on the base is not new.
    assert!(
        check(
            &base,
            &["R__other.sql", "V10__b.sql"],
            &["R__views.sql"],
            &rules
        )
        .is_empty()
    );
    // Nothing versioned on the base: any version is above it.
    assert!(check(&["R__views.sql"], &["V1__a.sql"], &[], &rules).is_empty());
    assert_eq!(
        check(&base, &[], &["V1__a.sql"], &rules),
        ["edited-migration:V1__a.sql"]
    );
    let mut off = Rules::default();
    off.set("version-below-base".parse().unwrap(), None);
    off.set("edited-migration".parse().unwrap(), Some(Severity::Warning));
    let found = BaseFiles {
        base: "main",
        on_base: &base,
        added: &["V2__x.sql"],
        edited: &["V1__a.sql"],
    }
    .check(&off);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].severity, Severity::Warning);
}

/// `migrate`'s check ([`Linter::errors_of_migration`]) finds exactly the
/// error-level findings of a full lint, whether or not it skips the parse:
/// over every case above (hazard and safe alternative), and with a squawk
/// rule raised to error, which turns the skipping off.
#[test]
fn the_error_only_check_finds_what_a_full_lint_finds_at_error_level() {
    use crate::migration::Content;
    use crate::source::Migrations;
    let mut raised = Rules::default();
    raised.set(
        "require-concurrent-index-creation".parse().unwrap(),
        Some(Severity::Error),
    );
    let extra: &[&str] = &[
        "CREATE TABLE t (id int);\n-- begin\nCREATE INDEX t_id ON t (id);",
        "CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b';\nSELECT 'b'::mood;",
        "CREATE INDEX orders_id ON orders (id);",
        "ALTER TABLE orders ADD COLUMN note text;",
        "-- strata:allow ban-truncate\nTRUNCATE orders;",
    ];
    let texts = CASES
        .iter()
        .flat_map(|(_, bad, good)| [*bad, *good])
        .chain(extra.iter().copied());
    for text in texts {
        for rules in [&Rules::default(), &raised] {
            let full: Vec<String> = Linter::new(rules)
                .lint(&Source::new("V2__test.sql", text))
                .map(|f| {
                    f.into_iter()
                        .filter(Finding::is_error)
                        .map(|f| f.rule.to_string())
                        .collect()
                })
                .unwrap_or_else(|e| vec![format!("error: {e}")]);
            let loaded = Migrations::from_files(
                std::path::Path::new("migrations"),
                vec![(
                    "V2__test.sql".into(),
                    Content::Static(text.to_owned().leak().as_bytes()),
                )],
            );
            // A file the load refuses never reaches the check.
            let Ok(loaded) = loaded else { continue };
            let quick: Vec<String> = Linter::new(rules)
                .errors_of_migration(&loaded.list[0], None)
                .map(|f| f.into_iter().map(|f| f.rule.to_string()).collect())
                .unwrap_or_else(|e| vec![format!("error: {e}")]);
            assert_eq!(quick, full, "{text}");
        }
    }
    // The raised rule is found only with the skipping off.
    let m = Migrations::from_files(
        std::path::Path::new("migrations"),
        vec![(
            "V2__i.sql".into(),
            Content::Static(b"CREATE INDEX orders_id ON orders (id);"),
        )],
    )
    .unwrap();
    assert!(
        Linter::new(&Rules::default())
            .errors_of_migration(&m.list[0], None)
            .unwrap()
            .is_empty()
    );
    let found = Linter::new(&raised)
        .errors_of_migration(&m.list[0], None)
        .unwrap();
    assert_eq!(
        found[0].rule.to_string(),
        "require-concurrent-index-creation"
    );
}

#[test]
fn a_file_without_the_transaction_rules_words_cannot_err() {
    assert!(super::quick::cannot_err(
        "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);"
    ));
    for text in [
        "commit;",
        "START TRANSACTION;",
        "ALTER TYPE m ADD VALUE 'x';",
        "create index concurrently i on t (x);",
        "CREATE TABLESPACE s LOCATION '/x';",
        "ALTER SYSTEM SET work_mem = '1MB';",
    ] {
        assert!(!super::quick::cannot_err(text), "{text}");
    }
}
