//! Crash-safe writes.
//!
//! The lab promises that a kill in the middle of a write never leaves a corrupt state. Two tools keep
//! that promise: [`write_atomic`] replaces a whole file so that a reader sees the old content or the
//! new one, never a mix; and [`AppendLog`] appends whole lines, and on opening drops a last line that
//! a crash cut short.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename over the
/// target, then fsync of the folder so the rename itself is durable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir)?;
    let tmp = temp_path_for(path);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        sync_dir(&dir)
    })();
    if result.is_err() {
        // Best effort: the temp file is garbage either way, and the original error is what matters.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A temporary name beside `path`, unique within this process. Temp names start with `.` and contain
/// `.tmp-` so that start-up clean-up can recognise and remove leftovers of a crash.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_dir(path).join(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

/// True for names made by [`temp_path_for`].
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsync a directory, so that a rename or a new file in it survives a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    match File::open(dir) {
        Ok(d) => d.sync_all(),
        // Some platforms cannot open a directory as a file; the rename is still atomic there.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => Err(e),
    }
}

/// An append-only file of newline-terminated records.
#[derive(Debug)]
pub struct AppendLog {
    path: PathBuf,
    file: File,
}

/// What [`AppendLog::open`] found on disk.
#[derive(Debug)]
pub struct Recovered {
    /// Every complete line, without its newline.
    pub lines: Vec<String>,
    /// Bytes of an unterminated last line that a crash left behind and that were cut off.
    pub torn_tail_bytes: u64,
}

impl AppendLog {
    /// Opens (or creates) the log, returns its complete lines, and truncates a torn last line.
    pub fn open(path: &Path) -> io::Result<(AppendLog, Recovered)> {
        fs::create_dir_all(parent_dir(path))?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut raw = Vec::new();
        file.read_to_end(&mut raw)?;
        let complete = raw.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let torn_tail_bytes = (raw.len() - complete) as u64;
        if torn_tail_bytes > 0 {
            file.set_len(complete as u64)?;
            file.sync_all()?;
        }
        let text = String::from_utf8(raw[..complete].to_vec())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8: {e}")))?;
        let lines = text.lines().map(str::to_owned).collect();
        file.seek(SeekFrom::End(0))?;
        Ok((
            AppendLog {
                path: path.to_path_buf(),
                file,
            },
            Recovered {
                lines,
                torn_tail_bytes,
            },
        ))
    }

    /// Appends one record and fsyncs. `line` must not contain a newline.
    pub fn append(&mut self, line: &str) -> io::Result<()> {
        if line.contains('\n') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a log record must be one line",
            ));
        }
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn temp_names_are_recognisable() {
        let t = temp_path_for(Path::new("/x/state.json"));
        assert!(is_temp_name(&t.file_name().unwrap().to_string_lossy()));
        assert!(!is_temp_name("state.json"));
    }

    #[test]
    fn log_drops_torn_tail_and_keeps_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        {
            let (mut log, rec) = AppendLog::open(&p).unwrap();
            assert!(rec.lines.is_empty());
            log.append("{\"a\":1}").unwrap();
            log.append("{\"a\":2}").unwrap();
        }
        // Simulate a crash in the middle of the third append.
        OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"{\"a\":")
            .unwrap();
        let (mut log, rec) = AppendLog::open(&p).unwrap();
        assert_eq!(rec.lines, vec!["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(rec.torn_tail_bytes, 5);
        log.append("{\"a\":3}").unwrap();
        let (_, rec) = AppendLog::open(&p).unwrap();
        assert_eq!(rec.lines.len(), 3);
        assert_eq!(rec.lines[2], "{\"a\":3}");
    }

    #[test]
    fn log_refuses_multiline_records() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, _) = AppendLog::open(&dir.path().join("l")).unwrap();
        assert!(log.append("a\nb").is_err());
    }
}
