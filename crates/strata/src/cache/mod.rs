//! A cache of what [`crate::migration::scan`] learnt about each file, so
//! `status` and `verify` on a folder of thousands of unchanged migrations cost
//! one `stat` per file instead of open, read, hash and close.
//!
//! An entry is reused only when the file's size, modification time, change
//! time (nanoseconds) and inode all match what was recorded — the same test
//! git uses for its index. Like git, it guards against "racy" entries: a file
//! whose modification time is within [`RACY`] of the moment the cache is
//! written is not cached at all, because a later edit in the same clock tick
//! could leave every recorded attribute unchanged. The cache is an
//! optimisation only: any problem reading or writing it just means scanning.
//!
//! The file is plain text, one line per migration, tab-separated, behind a
//! version header; it lives in the project's `.strata/cache/`.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::migration::ScannedFile;
use line::{Fields, format_line, parse_line};

mod line;
#[cfg(test)]
mod tests;

const HEADER: &str = "strata-scan-cache 2";

/// Files modified this close to the cache's write time are never cached.
///
/// ```
/// assert_eq!(strata::cache::RACY, std::time::Duration::from_secs(2));
/// ```
pub const RACY: Duration = Duration::from_secs(2);

/// What identifies a file's content without reading it: size, modification
/// and change times, inode.
///
/// ```
/// use strata::cache::Stamp;
///
/// # let tmp = tempfile::tempdir()?;
/// # let file = tmp.path().join("V1__users.sql");
/// std::fs::write(&file, "CREATE TABLE users (id int);")?;
/// let before = Stamp::of(&std::fs::metadata(&file)?);
/// assert_eq!(Stamp::of(&std::fs::metadata(&file)?), before);
/// std::fs::write(&file, "CREATE TABLE users (id bigint);")?;
/// assert_ne!(Stamp::of(&std::fs::metadata(&file)?), before);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
}

impl Stamp {
    /// The stamp of a file's metadata (one `stat`, no read).
    ///
    /// ```
    /// use strata::cache::Stamp;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// # std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let same_file = std::fs::File::open(&file)?.metadata()?;
    /// assert_eq!(Stamp::of(&same_file), stamp);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            ino: meta.ino(),
        }
    }
}

/// Cached scans, sorted by file name (as the file stores them), looked up by
/// binary search: cheaper than hashing ten thousand names.
///
/// [`Migrations::from_dir_cached`](crate::source::Migrations::from_dir_cached)
/// uses it like this:
///
/// ```
/// use strata::cache::{ScanCache, Stamp};
/// use strata::migration::scan;
///
/// # let tmp = tempfile::tempdir()?;
/// # let dir = tmp.path();
/// # std::fs::write(dir.join("V1__users.sql"), "CREATE TABLE users (id int);")?;
/// let cache_file = dir.join(".strata/cache/main");
/// let mut cache = ScanCache::load(&cache_file);
/// let file = dir.join("V1__users.sql");
/// let stamp = Stamp::of(&std::fs::metadata(&file)?);
/// let scanned = match cache.get("V1__users.sql", &stamp) {
///     Some(hit) => hit, // unchanged since it was cached: not read
///     None => {
///         let fresh = scan(&mut &std::fs::read(&file)?[..], &file)?;
///         cache.put("V1__users.sql", stamp, &fresh);
///         fresh
///     }
/// };
/// cache.save(&cache_file);
/// assert_eq!(scanned.size, 28);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct ScanCache {
    entries: Vec<(String, Stamp, ScannedFile)>,
    dirty: bool,
}

impl ScanCache {
    /// Loads a cache file; a missing or unreadable one is an empty cache.
    ///
    /// ```
    /// use std::path::Path;
    /// use strata::cache::{ScanCache, Stamp};
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// # std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let cache = ScanCache::load(Path::new("no/such/cache"));
    /// assert_eq!(cache.get("V1__users.sql", &stamp), None);
    ///
    /// let damaged = tmp.path().join("cache");
    /// std::fs::write(&damaged, "not a cache")?;
    /// assert_eq!(ScanCache::load(&damaged).get("V1__users.sql", &stamp), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: &Path) -> ScanCache {
        let Ok(bytes) = std::fs::read(path) else {
            return ScanCache::default();
        };
        let mut lines = Fields::new(&bytes, b'\n');
        if lines.next() != Some(HEADER.as_bytes()) {
            return ScanCache::default();
        }
        let mut entries = Vec::with_capacity(bytes.len() / 128);
        entries.extend(lines.filter(|l| !l.is_empty()).filter_map(parse_line));
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|a, b| a.0 == b.0);
        }
        ScanCache {
            entries,
            dirty: false,
        }
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| e.0.as_str().cmp(name))
    }

    /// The cached scan of `name`, if its stamp still matches.
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::cache::{RACY, ScanCache, Stamp};
    /// use strata::migration::scan;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// # std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// // A file edited within the last RACY is never cached: let it age.
    /// std::thread::sleep(RACY + Duration::from_millis(100));
    /// let scanned = scan(&mut &std::fs::read(&file)?[..], &file)?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let mut cache = ScanCache::default();
    /// cache.put("V1__users.sql", stamp, &scanned);
    /// assert_eq!(cache.get("V1__users.sql", &stamp), Some(scanned));
    ///
    /// std::fs::write(&file, "CREATE TABLE users (id bigint);")?; // edited
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// assert_eq!(cache.get("V1__users.sql", &stamp), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, name: &str, stamp: &Stamp) -> Option<ScannedFile> {
        self.get_after(name, stamp, &mut 0)
    }

    /// [`ScanCache::get`] for names looked up in sorted order: `next` is
    /// where the previous name was found plus one, tried before searching.
    pub(crate) fn get_after(
        &self,
        name: &str,
        stamp: &Stamp,
        next: &mut usize,
    ) -> Option<ScannedFile> {
        let i = match self.entries.get(*next) {
            Some((n, _, _)) if n == name => *next,
            _ => self.find(name).ok()?,
        };
        *next = i + 1;
        let (_, s, f) = &self.entries[i];
        (s == stamp).then(|| f.clone())
    }

    /// Records a fresh scan, unless the file is too recently modified to be
    /// trusted later (see the module docs).
    ///
    /// ```
    /// use strata::cache::{ScanCache, Stamp};
    /// use strata::migration::scan;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// let scanned = scan(&mut &std::fs::read(&file)?[..], &file)?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let mut cache = ScanCache::default();
    /// cache.put("V1__users.sql", stamp, &scanned);
    /// // Written just now: another edit within the same clock tick could keep
    /// // the same stamp, so the entry is not kept.
    /// assert_eq!(cache.get("V1__users.sql", &stamp), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn put(&mut self, name: &str, stamp: Stamp, scanned: &ScannedFile) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let racy_from = i128::try_from(now.saturating_sub(RACY).as_nanos()).unwrap_or(i128::MAX);
        let racy = stamp.mtime_ns >= racy_from || stamp.ctime_ns >= racy_from;
        match (self.find(name), racy) {
            (Ok(i), true) => {
                self.entries.remove(i);
            }
            (Ok(i), false) => self.entries[i] = (name.to_owned(), stamp, scanned.clone()),
            (Err(i), false) => self
                .entries
                .insert(i, (name.to_owned(), stamp, scanned.clone())),
            // Nothing recorded, nothing to forget: no reason to rewrite the file.
            (Err(_), true) => return,
        }
        self.dirty = true;
    }

    /// Keeps only the names in `present` (files deleted since are forgotten).
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use std::time::Duration;
    /// use strata::cache::{RACY, ScanCache, Stamp};
    /// use strata::migration::scan;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// # std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// // A file edited within the last RACY is never cached: let it age.
    /// std::thread::sleep(RACY + Duration::from_millis(100));
    /// let scanned = scan(&mut &std::fs::read(&file)?[..], &file)?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let mut cache = ScanCache::default();
    /// cache.put("V1__users.sql", stamp, &scanned);
    /// cache.put("V2__deleted_since.sql", stamp, &scanned);
    /// cache.retain(&HashSet::from(["V1__users.sql"]));
    /// assert_eq!(cache.get("V2__deleted_since.sql", &stamp), None);
    /// assert!(cache.get("V1__users.sql", &stamp).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retain(&mut self, present: &std::collections::HashSet<&str>) {
        let before = self.entries.len();
        self.entries
            .retain(|(k, _, _)| present.contains(k.as_str()));
        self.dirty |= self.entries.len() != before;
    }

    /// [`ScanCache::retain`] for names in sorted order (as a folder's files
    /// are scanned): one merge pass, no hashing.
    pub(crate) fn retain_sorted<'a>(&mut self, present: impl IntoIterator<Item = &'a str>) {
        let before = self.entries.len();
        let mut present = present.into_iter().peekable();
        self.entries.retain(|(k, _, _)| {
            while present.next_if(|p| *p < k.as_str()).is_some() {}
            present.peek().is_some_and(|p| *p == k.as_str())
        });
        self.dirty |= self.entries.len() != before;
    }

    /// Writes the cache if it changed: to a temporary file, then renamed, so a
    /// concurrent reader sees the old or the new cache, never half of one.
    /// Errors are ignored: the cache is only an optimisation.
    ///
    /// ```
    /// use std::time::Duration;
    /// use strata::cache::{RACY, ScanCache, Stamp};
    /// use strata::migration::scan;
    ///
    /// # let tmp = tempfile::tempdir()?;
    /// # let file = tmp.path().join("V1__users.sql");
    /// # std::fs::write(&file, "CREATE TABLE users (id int);")?;
    /// // A file edited within the last RACY is never cached: let it age.
    /// std::thread::sleep(RACY + Duration::from_millis(100));
    /// let scanned = scan(&mut &std::fs::read(&file)?[..], &file)?;
    /// let stamp = Stamp::of(&std::fs::metadata(&file)?);
    /// let mut cache = ScanCache::default();
    /// cache.put("V1__users.sql", stamp, &scanned);
    /// let cache_file = tmp.path().join(".strata/cache/main"); // folders are created
    /// cache.save(&cache_file);
    /// assert_eq!(ScanCache::load(&cache_file).get("V1__users.sql", &stamp), Some(scanned));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save(&self, path: &Path) {
        if !self.dirty {
            return;
        }
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let mut text = String::with_capacity(self.entries.len() * 160);
        text.push_str(HEADER);
        text.push('\n');
        for (name, stamp, f) in &self.entries {
            text.push_str(&format_line(name, stamp, f));
        }
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("cache");
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(text.as_bytes()));
        if written.is_ok() {
            let _ = std::fs::rename(&tmp, path);
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
