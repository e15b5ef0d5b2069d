//! Reading and hashing the listed files — the expensive part of a source —
//! on up to eight threads, keeping their order, and taking unchanged files
//! from the scan cache instead of reading them.

use std::path::Path;

use super::folder::stat;
use crate::cache::{ScanCache, Stamp};
use crate::error::Error;
use std::collections::BTreeMap;

use crate::migration::{Content, FileName, ScannedFile, scan_with};

/// A listed file whose name parsed.
pub(super) type Named = (String, FileName, Content, Option<std::fs::DirEntry>);

/// Files up to this size are read whole into a buffer reused across files;
/// larger ones are streamed line by line.
const WHOLE_FILE_LIMIT: u64 = 1 << 20;

/// A scan, the file's stamp (when a cache is in use) and whether it came from the cache.
type Scanned = (Result<ScannedFile, Error>, Option<Stamp>, bool);

/// Scans one file, or takes it from the cache when its stamp matches.
fn scan_one(
    base: &Path,
    (name, _, content, entry): &Named,
    buf: &mut Vec<u8>,
    cache: Option<&ScanCache>,
    next: &mut usize,
    conf: Option<bool>,
) -> Scanned {
    // The cache does not know a `.sql.conf`: such a file is always read.
    let cache = cache.filter(|_| conf.is_none());
    let stamp = match (cache, content) {
        (Some(_), Content::File(file)) => match stat(file, entry.as_ref()) {
            Ok(meta) => Some(Stamp::of(&meta)),
            Err(e) => return (Err(Error::io(file, e)), None, false),
        },
        _ => None,
    };
    if let (Some(cache), Some(stamp)) = (cache, &stamp)
        && let Some(hit) = cache.get_after(name, stamp, next)
    {
        return (Ok(hit), Some(*stamp), true);
    }
    (
        read_and_scan(base, name, content, buf, conf == Some(true)),
        stamp,
        false,
    )
}

/// Reads a file into `buf` (reused, so thousands of small files cost no
/// allocation each) and scans it; large files are streamed.
fn read_and_scan(
    base: &Path,
    name: &str,
    content: &Content,
    buf: &mut Vec<u8>,
    no_transaction: bool,
) -> Result<ScannedFile, Error> {
    use std::io::Read;
    let path = base.join(name);
    match content {
        Content::File(file) => {
            let f = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
            buf.clear();
            // `take` also keeps std from asking the size with an extra stat.
            let n = f
                .take(WHOLE_FILE_LIMIT + 1)
                .read_to_end(buf)
                .map_err(|e| Error::io(file, e))?;
            if n as u64 > WHOLE_FILE_LIMIT {
                return scan_with(&mut content.open()?, &path, no_transaction);
            }
            scan_with(&mut &buf[..], &path, no_transaction)
        }
        Content::Static(bytes) => scan_with(&mut &bytes[..], &path, no_transaction),
    }
}

/// Scans every file, in parallel when there are many, keeping their order.
pub(super) fn scan_all(
    base: &Path,
    named: &[Named],
    cache: Option<&ScanCache>,
    confs: &BTreeMap<String, bool>,
) -> Vec<Scanned> {
    let scan_chunk = |chunk: &[Named]| {
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut next = 0;
        chunk
            .iter()
            .map(|named| {
                scan_one(
                    base,
                    named,
                    &mut buf,
                    cache,
                    &mut next,
                    confs.get(&named.0).copied(),
                )
            })
            .collect::<Vec<_>>()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    // Below this, starting threads costs more than it saves.
    if threads < 2 || named.len() < 64 {
        return scan_chunk(named);
    }
    let per_thread = named.len().div_ceil(threads);
    let mut chunks = named.chunks(per_thread);
    // This thread scans the first chunk itself while the others run.
    let Some(first) = chunks.next() else {
        return Vec::new();
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .map(|chunk| (chunk.len(), s.spawn(move || scan_chunk(chunk))))
            .collect();
        let mut all = scan_chunk(first);
        all.reserve(named.len() - all.len());
        for (len, h) in handles {
            match h.join() {
                Ok(results) => all.extend(results),
                // A scan never panics; if one did, report it per file, keeping the order.
                Err(_) => all.extend((0..len).map(|_| {
                    (
                        Err(Error::Internal {
                            what: "a migration scan thread panicked",
                        }),
                        None,
                        false,
                    )
                })),
            }
        }
        all
    })
}
