//! Unit tests of folder sources and the scan cache.

use super::*;
use crate::migration::DownPart;

fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, c) in files {
        std::fs::write(d.path().join(n), c).unwrap();
    }
    d
}

fn names(m: &Migrations) -> Vec<&str> {
    m.list.iter().map(|m| m.script.as_str()).collect()
}

#[test]
fn orders_numerically_then_repeatables() {
    let d = dir(&[
        ("V10__ten.sql", "SELECT 10;"),
        ("V2__two.sql", "SELECT 2;"),
        ("R__b.sql", "SELECT 'b';"),
        ("R__a.sql", "SELECT 'a';"),
        ("V1.5__one_five.sql", "SELECT 15;"),
        ("notes.md", "ignored"),
    ]);
    let m = Migrations::from_dir(d.path()).unwrap();
    assert_eq!(
        names(&m),
        [
            "V1.5__one_five.sql",
            "V2__two.sql",
            "V10__ten.sql",
            "R__a.sql",
            "R__b.sql"
        ]
    );
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(m.warnings[0].contains("V10__ten.sql"));
}

#[test]
fn zero_padded_names_give_no_warning() {
    let d = dir(&[("001_init.sql", "SELECT 1;"), ("002_more.sql", "SELECT 2;")]);
    let m = Migrations::from_dir(d.path()).unwrap();
    assert!(m.warnings.is_empty());
}

#[test]
fn duplicate_versions_name_both_files() {
    let d = dir(&[("V1__a.sql", "SELECT 1;"), ("V001__b.sql", "SELECT 2;")]);
    let e = Migrations::from_dir(d.path()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("V001__b.sql")
            && msg.contains("V1__a.sql")
            && msg.contains("duplicate version 1"),
        "{msg}"
    );
}

#[test]
fn every_problem_is_reported() {
    let d = dir(&[
        ("V1__ok.sql", "SELECT 1;"),
        ("init.sql", "SELECT 1;"),
        ("V2__empty.sql", "\n  \n"),
        ("V3__nul.sql", "SELECT 1;\0"),
    ]);
    let Err(Error::InvalidMigrations(errors)) = Migrations::from_dir(d.path()) else {
        panic!()
    };
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn up_down_pairs_and_undo_files() {
    let d = dir(&[
        ("20250101_users.up.sql", "CREATE TABLE users (id int);"),
        ("20250101_users.down.sql", "DROP TABLE users;"),
        ("V2__b.sql", "CREATE TABLE b (id int);"),
        ("U2__b.sql", "DROP TABLE b;"),
    ]);
    let m = Migrations::from_dir(d.path()).unwrap();
    assert_eq!(m.list.len(), 2);
    assert!(
        m.list
            .iter()
            .all(|m| matches!(m.down, Some(DownPart::File(_))))
    );
    let d = dir(&[("U3__x.sql", "DROP TABLE x;")]);
    assert!(matches!(
        Migrations::from_dir(d.path()),
        Err(Error::OrphanDown { .. })
    ));
}

#[test]
fn the_scan_cache_follows_symbolic_links() {
    // A migration that is a link to a shared file: an edit of the target
    // changes the target's stamp, not the link's, and must still show.
    let d = dir(&[("V1__a.sql", "SELECT 1;\n")]);
    // Inside the project directory (here the migrations folder itself): a
    // link leading elsewhere is refused.
    std::fs::create_dir(d.path().join("shared")).unwrap();
    let target = d.path().join("shared/b.sql");
    std::fs::write(&target, "SELECT 2;\n").unwrap();
    std::os::unix::fs::symlink(&target, d.path().join("V2__b.sql")).unwrap();
    let cache = d.path().join(".cache/scan");
    std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
    let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_eq!(
        first.list[1].checksum,
        crate::migration::Checksum::of(b"SELECT 2;\n")
    );
    std::fs::write(&target, "SELECT 3;\n").unwrap();
    let edited = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_eq!(
        edited.list[1].checksum,
        crate::migration::Checksum::of(b"SELECT 3;\n")
    );
}

#[test]
fn many_files_keep_their_cache_entries_in_step() {
    // Enough files for the parallel scan; a later run hits the cache for
    // all but the edited one, and a deleted file's entry goes.
    let files: Vec<(String, String)> = (1..=300)
        .map(|i| (format!("V{i:03}__m.sql"), format!("SELECT {i};\n")))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_str()))
        .collect();
    let d = dir(&refs);
    let cache = d.path().join(".cache/scan");
    std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
    let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_eq!(first.list.len(), 300);
    std::fs::write(d.path().join("V150__m.sql"), "SELECT -150;\n").unwrap();
    std::fs::remove_file(d.path().join("V007__m.sql")).unwrap();
    let again = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_eq!(again.list.len(), 299);
    let fresh = Migrations::from_dir(d.path()).unwrap();
    assert_eq!(again.list, fresh.list);
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(!text.contains("V007__m.sql"));
    // The edited file is too fresh to cache; the other 298 stay.
    assert_eq!(text.lines().count(), 1 + 298, "{text}");
}

#[test]
fn the_scan_cache_never_hides_an_edit() {
    let d = dir(&[("V1__a.sql", "SELECT 1;\n"), ("V2__b.sql", "SELECT 2;\n")]);
    let cache = d.path().join(".cache/scan");
    // Files this fresh are "racy" and not cached; let them age past the window.
    std::thread::sleep(crate::cache::RACY + std::time::Duration::from_millis(200));
    let first = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    let text = std::fs::read_to_string(&cache).unwrap();
    assert_eq!(text.lines().count(), 3, "header + 2 entries: {text}");
    let again = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_eq!(first.list, again.list);
    // Same size, new content: the change time moves, so the entry is not used.
    std::fs::write(d.path().join("V2__b.sql"), "SELECT 3;\n").unwrap();
    let edited = Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert_ne!(edited.list[1].checksum, first.list[1].checksum);
    assert_eq!(
        edited.list[1].checksum,
        crate::migration::Checksum::of(b"SELECT 3;\n")
    );
    // A deleted file leaves the cache too.
    std::fs::remove_file(d.path().join("V1__a.sql")).unwrap();
    Migrations::from_dir_cached(d.path(), &cache).unwrap();
    assert!(
        !std::fs::read_to_string(&cache)
            .unwrap()
            .contains("V1__a.sql")
    );
}

#[test]
fn missing_folder_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    assert!(matches!(
        Migrations::from_dir(&d.path().join("nope")),
        Err(Error::NoMigrationsDir { .. })
    ));
}
