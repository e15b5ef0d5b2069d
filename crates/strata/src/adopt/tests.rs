use super::*;

fn row(v: Option<&str>, d: Option<&str>, kind: Option<&str>, ok: bool) -> ToolRow {
    ToolRow {
        version: v.map(Into::into),
        description: d.map(Into::into),
        kind: kind.map(Into::into),
        success: ok,
    }
}

#[test]
fn flyway_latest_row_decides() {
    let rows = vec![
        row(
            Some("1"),
            Some("<< Flyway Baseline >>"),
            Some("BASELINE"),
            true,
        ),
        row(Some("2"), Some("b"), Some("SQL"), true),
        row(Some("3"), Some("c"), Some("SQL"), true),
        row(Some("3"), Some("c"), Some("UNDO_SQL"), true),
        row(None, Some("views"), Some("SQL"), true),
    ];
    let h = interpret(Tool::Flyway, &rows).unwrap();
    assert_eq!(h.baseline, Some("1".parse().unwrap()));
    assert_eq!(
        h.applied
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["2"]
    );
    assert_eq!(h.repeatables, ["views"]);
    assert!(interpret(Tool::Flyway, &[row(Some("4"), None, Some("SQL"), false)]).is_err());
}

#[test]
fn golang_migrate_dirty_is_refused_and_node_names_carry_versions() {
    assert!(interpret(Tool::GolangMigrate, &[row(Some("3"), None, None, false)]).is_err());
    let h = interpret(Tool::GolangMigrate, &[row(Some("3"), None, None, true)]).unwrap();
    assert_eq!(h.up_to, Some("3".parse().unwrap()));
    let h = interpret(
        Tool::NodePgMigrate,
        &[row(Some("1700000000000_init"), None, None, true)],
    )
    .unwrap();
    assert_eq!(
        h.applied.iter().next().unwrap().to_string(),
        "1700000000000"
    );
}
