//! Reading a file a user named — a dump, an env file, strata.toml, a TLS
//! certificate, a seed, a file to lint — only when it is a regular file. A
//! FIFO would block the read for ever, and a process blocked in a read
//! does not even see Ctrl-C or SIGTERM; a device (`/dev/zero`) would never
//! end. The type is checked before the file is opened (opening a FIFO for
//! reading blocks too) and again on the opened file.

use std::fs::{File, FileType};
use std::io::{self, Read};
use std::path::Path;

use crate::migration::FileKind;

/// What a file type that is not a regular file is.
pub(crate) fn kind_of(t: FileType) -> FileKind {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        FileKind::Fifo
    } else if t.is_socket() {
        FileKind::Socket
    } else if t.is_block_device() {
        FileKind::BlockDevice
    } else if t.is_char_device() {
        FileKind::CharDevice
    } else {
        FileKind::Other
    }
}

fn not_regular(t: FileType) -> io::Error {
    let what = if t.is_dir() {
        "a directory".to_owned()
    } else {
        kind_of(t).to_string()
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file"),
    )
}

/// The bytes of `path` (symbolic links followed), or an error of kind
/// `InvalidInput` saying what it is when it is not a regular file
/// (`NotFound` and the rest as `std::fs::read` gives them).
///
/// ```
/// # #[cfg(unix)] {
/// let err = strata::source::read_regular_file("/dev/null".as_ref()).unwrap_err();
/// assert_eq!(err.to_string(), "a character device, not a regular file");
/// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// # }
/// ```
///
/// # Errors
///
/// As above.
pub fn read_regular_file(path: &Path) -> io::Result<Vec<u8>> {
    check_regular(path)?;
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether `path` is a regular file (symbolic links followed), without
/// opening it: the error says what it is otherwise.
pub(crate) fn check_regular(path: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(not_regular(meta.file_type()))
    }
}

/// [`read_regular_file`] as UTF-8 (an error of kind `InvalidData` when it
/// is not).
///
/// # Errors
///
/// As [`read_regular_file`].
pub fn read_regular_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read_regular_file(path)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::read_regular_file;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("dump.sql");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let err = read_regular_file(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "a FIFO (named pipe), not a regular file");
        let err = read_regular_file(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), "a directory, not a regular file");
        std::fs::write(dir.path().join("ok.sql"), "SELECT 1;").unwrap();
        assert_eq!(
            read_regular_file(&dir.path().join("ok.sql")).unwrap(),
            b"SELECT 1;"
        );
    }
}
