//! Unit tests of the scan cache: what is trusted, what is not.

use super::*;

fn scanned(body: &str) -> ScannedFile {
    crate::migration::scan(&mut body.as_bytes(), Path::new("x.sql")).unwrap()
}

fn old_stamp(size: u64) -> Stamp {
    Stamp {
        size,
        mtime_ns: 1_000_000_000_000_000_000,
        ctime_ns: 1_000_000_000_000_000_001,
        ino: 42,
    }
}

#[test]
fn round_trips_through_the_file() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("cache/main.tsv");
    let f = scanned(
        "-- strata:allow a, b\n-- migrate:up transaction:false\nSELECT 1;\n-- migrate:down\nSELECT 2;\n",
    );
    let mut c = ScanCache::default();
    c.put("V1__x.sql", old_stamp(f.size), &f);
    c.save(&path);
    let loaded = ScanCache::load(&path);
    assert_eq!(loaded.get("V1__x.sql", &old_stamp(f.size)), Some(f.clone()));
    // any attribute that differs is a miss
    let mut other = old_stamp(f.size);
    other.ctime_ns += 1;
    assert_eq!(loaded.get("V1__x.sql", &other), None);
    assert_eq!(loaded.get("V1__x.sql", &old_stamp(f.size + 1)), None);
}

#[test]
fn recently_modified_files_are_not_cached() {
    let f = scanned("SELECT 1;\n");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    let fresh = Stamp {
        size: f.size,
        mtime_ns: now,
        ctime_ns: now,
        ino: 1,
    };
    let mut c = ScanCache::default();
    c.put("V1__x.sql", fresh, &f);
    assert_eq!(c.get("V1__x.sql", &fresh), None);
    // Nothing changed, so nothing is written (a fresh file in the folder
    // must not make every run rewrite the cache).
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("main.scan");
    c.save(&path);
    assert!(!path.exists());
}

#[test]
fn a_damaged_or_foreign_file_is_an_empty_cache() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.tsv");
    std::fs::write(&p, "something else\nV1__x.sql\t1\n").unwrap();
    assert!(ScanCache::load(&p).entries.is_empty());
    std::fs::write(&p, format!("{HEADER}\nV1__x.sql\tnot a number\n")).unwrap();
    assert!(ScanCache::load(&p).entries.is_empty());
}
