use super::*;
use crate::history::Timestamp;
use crate::migration::{Checksum, Content, Part};

fn file(name: &str, body: &str) -> Migration {
    let kind = if name.starts_with('R') {
        MigrationKind::Repeatable
    } else {
        MigrationKind::Versioned
    };
    let version = name
        .strip_prefix('V')
        .and_then(|r| r.split_once("__"))
        .map(|(v, _)| v.parse().unwrap());
    let description = name
        .split_once("__")
        .unwrap()
        .1
        .trim_end_matches(".sql")
        .to_owned();
    Migration {
        script: name.into(),
        content: Content::Static(b""),
        kind,
        version,
        description,
        checksum: Checksum::of(body.as_bytes()),
        up: Part {
            start: 0,
            end: 0,
            line: 1,
            no_transaction: false,
        },
        down: None,
        allow: vec![],
        size: 0,
    }
}

fn row(rank: i32, kind: RowKind, m: &Migration, success: bool) -> AppliedMigration {
    AppliedMigration {
        installed_rank: rank,
        version: m.version.clone(),
        description: m.description.clone(),
        kind,
        script: m.script.clone(),
        checksum: Some(m.checksum),
        applied_by: "me".into(),
        applied_at: Timestamp::from_unix_secs(1_795_255_200), // 2026-11-21 10:00 UTC
        execution_ms: 1,
        success,
        progress: None,
    }
}

fn states(p: &Plan) -> Vec<(String, State)> {
    p.entries
        .iter()
        .map(|e| (e.script.clone(), e.state))
        .collect()
}

#[test]
fn states_honour_width_and_alignment() {
    assert_eq!(format!("[{:<10}]", State::Applied), "[applied   ]");
    assert_eq!(format!("[{:>9}]", State::Pending), "[  pending]");
}

#[test]
fn fresh_database_everything_pending_in_order() {
    let files = vec![
        file("V1__a.sql", "a"),
        file("V2__b.sql", "b"),
        file("R__v.sql", "v"),
    ];
    let p = Plan::new(&files, &[], &PlanOptions::default());
    assert_eq!(p.to_apply, vec![0, 1, 2]);
    assert!(p.blockers.is_empty());
    assert_eq!(p.count(State::Pending), 3);
}

#[test]
fn applied_modified_missing() {
    let a = file("V1__a.sql", "a");
    let b = file("V2__b.sql", "b");
    let gone = file("V3__gone.sql", "c");
    let history = vec![
        row(1, RowKind::Versioned, &a, true),
        row(2, RowKind::Versioned, &b, true),
        row(3, RowKind::Versioned, &gone, true),
    ];
    let edited_b = file("V2__b.sql", "b edited");
    let p = Plan::new(&[a, edited_b], &history, &PlanOptions::default());
    assert_eq!(
        states(&p),
        vec![
            ("V1__a.sql".into(), State::Applied),
            ("V2__b.sql".into(), State::Modified),
            ("V3__gone.sql".into(), State::Missing)
        ]
    );
    assert_eq!(p.blockers.len(), 2);
    assert!(
        p.blockers[0]
            .message()
            .to_string()
            .contains("strata repair --accept-checksums")
    );
    assert!(p.blockers[1].message().to_string().contains("restore"));
    // verify: modified is a problem, missing is not
    assert_eq!(p.incompatibilities().len(), 1);
}

#[test]
fn failed_blocks_and_names_repair() {
    let a = file("V1__a.sql", "a");
    let p = Plan::new(
        std::slice::from_ref(&a),
        &[row(1, RowKind::Versioned, &a, false)],
        &PlanOptions::default(),
    );
    assert_eq!(p.entries[0].state, State::Failed);
    assert!(
        p.blockers[0]
            .message()
            .to_string()
            .contains("strata repair")
    );
    assert!(p.to_apply.is_empty());
}

#[test]
fn out_of_order_refused_unless_allowed() {
    let a = file("V1__a.sql", "a");
    let b = file("V2__b.sql", "b");
    let c = file("V3__c.sql", "c");
    let history = vec![
        row(1, RowKind::Versioned, &a, true),
        row(2, RowKind::Versioned, &c, true),
    ];
    let files = [a, b, c];
    let p = Plan::new(&files, &history, &PlanOptions::default());
    assert_eq!(p.entries[1].state, State::OutOfOrder);
    assert_eq!(p.blockers.len(), 1);
    assert!(
        p.blockers[0]
            .message()
            .to_string()
            .contains("--allow-out-of-order")
    );
    let p = Plan::new(
        &files,
        &history,
        &PlanOptions {
            allow_out_of_order: true,
            ..Default::default()
        },
    );
    assert!(p.blockers.is_empty());
    assert_eq!(p.to_apply, vec![1]);
}

#[test]
fn target_and_above_target() {
    let files = vec![
        file("V1__a.sql", "a"),
        file("V2__b.sql", "b"),
        file("V10__c.sql", "c"),
    ];
    let opts = PlanOptions {
        target: Some("2".parse().unwrap()),
        ..Default::default()
    };
    let p = Plan::new(&files, &[], &opts);
    assert_eq!(p.to_apply, vec![0, 1]);
    assert_eq!(p.entries[2].state, State::AboveTarget);
}

#[test]
fn undo_makes_a_version_pending_again() {
    let a = file("V1__a.sql", "a");
    let history = vec![
        row(1, RowKind::Versioned, &a, true),
        row(2, RowKind::Undo, &a, true),
    ];
    let p = Plan::new(&[a], &history, &PlanOptions::default());
    assert_eq!(p.entries[0].state, State::Pending);
    assert_eq!(p.to_apply, vec![0]);
}

#[test]
fn baseline_and_below_baseline() {
    let files = vec![
        file("V1__a.sql", "a"),
        file("V2__b.sql", "b"),
        file("V3__c.sql", "c"),
    ];
    let mut base = row(1, RowKind::Baseline, &files[1], true);
    base.checksum = None;
    let p = Plan::new(&files, &[base], &PlanOptions::default());
    assert_eq!(
        states(&p).into_iter().map(|s| s.1).collect::<Vec<_>>(),
        vec![State::BelowBaseline, State::Baseline, State::Pending]
    );
    assert_eq!(p.to_apply, vec![2]);
    assert!(p.blockers.is_empty());
}

#[test]
fn repeatables_rerun_when_changed() {
    let v = file("R__views.sql", "v1");
    let history = vec![row(1, RowKind::Repeatable, &v, true)];
    let p = Plan::new(std::slice::from_ref(&v), &history, &PlanOptions::default());
    assert_eq!(p.entries[0].state, State::Applied);
    assert!(p.to_apply.is_empty());
    let changed = file("R__views.sql", "v2");
    let p = Plan::new(&[changed], &history, &PlanOptions::default());
    assert_eq!(p.entries[0].state, State::Pending);
    assert_eq!(p.incompatibilities().len(), 1);
}

#[test]
fn resume_turns_a_recorded_failure_into_work() {
    let a = file("V1__a.sql", "a");
    let b = file("V2__b.sql", "b");
    let mut failed = row(2, RowKind::Versioned, &b, false);
    failed.progress =
        Some(serde_json::json!({"statements_succeeded": 1, "statement_hashes": ["ab"]}));
    let history = vec![row(1, RowKind::Versioned, &a, true), failed];
    let files = [a, b];
    let mut p = Plan::new(&files, &history, &PlanOptions::default());
    assert_eq!(p.blockers.len(), 1);
    assert!(
        p.blockers[0].message().to_string().contains("--resume"),
        "{}",
        p.blockers[0]
    );
    p.allow_resume(&files);
    assert!(p.blockers.is_empty());
    assert_eq!(p.to_apply, vec![1]);
    assert_eq!(p.resumable[0].statement_hashes, vec!["ab".to_owned()]);
    // Without recorded progress there is nothing to resume from.
    let history = vec![row(1, RowKind::Versioned, &files[1], false)];
    let mut p = Plan::new(&files[1..], &history, &PlanOptions::default());
    p.allow_resume(&files[1..]);
    assert_eq!(p.blockers.len(), 1);
}

#[test]
fn versions_normalize_across_naming_styles() {
    // V001 applied, then the file renamed to V1: the same version, reported
    // as renamed (SPEC §4.1), blocking nothing.
    let old = file("V001__a.sql", "a");
    let new = file("V1__a.sql", "a");
    let p = Plan::new(
        &[new],
        &[row(1, RowKind::Versioned, &old, true)],
        &PlanOptions::default(),
    );
    assert_eq!(p.entries.len(), 1);
    assert_eq!(p.entries[0].state, State::Renamed);
    assert!(p.blockers.is_empty() && p.to_apply.is_empty());
}

#[test]
fn a_renamed_applied_file_is_a_warning_not_a_blocker() {
    let before = file("V1__create_users.sql", "CREATE TABLE users (id int);");
    let history = [row(1, RowKind::Versioned, &before, true)];
    let renamed = file("V001__users.sql", "CREATE TABLE users (id int);");
    let p = Plan::new(
        &[renamed, file("V2__b.sql", "SELECT 2;")],
        &history,
        &PlanOptions::default(),
    );
    assert_eq!(
        states(&p),
        [
            ("V001__users.sql".to_owned(), State::Renamed),
            ("V2__b.sql".to_owned(), State::Pending),
        ]
    );
    assert!(p.blockers.is_empty());
    assert_eq!(p.to_apply, [1]);
    assert_eq!(
        p.warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "V001__users.sql: renamed: applied as V1__create_users.sql (same version and checksum); \
          the history keeps the old name"
        ]
    );
    // Renamed and edited: modified wins, and it blocks.
    let edited = file("V001__users.sql", "CREATE TABLE users (id bigint);");
    let p = Plan::new(&[edited], &history, &PlanOptions::default());
    assert_eq!(p.entries[0].state, State::Modified);
    assert!(p.warnings.is_empty() && p.blockers.len() == 1);
}
