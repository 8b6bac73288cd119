//! The secrets scan: the proof that no key and no plaintext is left where it should not be.
//!
//! A [`Scan`] is a list of things that must not be found — keys (SSE-C keys, client-side master
//! keys, and the lab's own keys, which [`inspect::service_keys`] reads back from a data folder) and
//! plaintexts (object bodies) — and [`Scan::run`] looks for them in every file of a data folder and
//! in the logs it is given:
//!
//! - a key raw, as hex (either case), or as base64 at each of the three alignments a longer base64
//!   text can give it; a key longer than 32 bytes by each of its 32-byte pieces, so that a piece
//!   on one line of a PEM file is found too. The two keys the lab keeps in the clear by design (the
//!   SSE-S3 root keys and the key standing in for KMS's HSMs) are allowed in their own file only;
//! - a plaintext of [`MIN_PLAINTEXT`] bytes or more by windows of 32 bytes (the whole plaintext
//!   when it is shorter): its first and its last 32 bytes and one window every 64 KiB (the at-rest
//!   chunk size) in between, each in the same forms as a key. So a leaked beginning or end of 32
//!   bytes is found, and a leaked stretch of 64 KiB + 32 bytes anywhere, and whole MiB bodies cost
//!   a few windows each. Plaintext is not looked for in the blobs of objects stored unencrypted on
//!   purpose (their metadata says mode `none`): it belongs there.
//!
//! Each file is read once and searched for every window at once (Aho-Corasick), so the cost is
//! the bytes scanned, whatever the number of keys and plaintexts.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::error::ScenarioError;
use crate::inspect::{self, NamedKey};

/// Plaintexts shorter than this are not looked for: too short to tell from chance.
pub const MIN_PLAINTEXT: usize = 16;
/// Keys shorter than this are not looked for.
pub const MIN_KEY: usize = 16;
/// The length of the windows that plaintexts and long keys are looked for by.
const WINDOW: usize = 32;
/// A plaintext is looked for by a window every this many bytes, besides its first and last.
const PLAINTEXT_STRIDE: usize = 64 * 1024;

/// Captured log output: a `tracing` writer (clone it into `with_writer`) whose bytes the scan can
/// read back with [`LogBuffer::take`].
#[derive(Clone, Default)]
pub struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuffer {
    /// Everything written since the last call.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// How a secret was written where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Form {
    Raw,
    Hex,
    UpperHex,
    Base64,
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Form::Raw => "as raw bytes",
            Form::Hex => "as hex",
            Form::UpperHex => "as upper-case hex",
            Form::Base64 => "as base64",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Key,
    Plaintext,
}

struct Item {
    name: String,
    kind: Kind,
    len: usize,
    home: Option<PathBuf>,
    /// A key's bytes, to look for each key once however many objects share it (a bucket key).
    key: Option<zeroize::Zeroizing<Vec<u8>>>,
}

/// One window of an item in one form.
#[derive(Clone, Copy)]
struct Needle {
    item: usize,
    form: Form,
    /// Where the window starts in the item.
    at: usize,
}

/// What to look for.
#[derive(Default)]
pub struct Scan {
    items: Vec<Item>,
    /// Distinct search patterns, and the needles each stands for.
    patterns: Vec<zeroize::Zeroizing<Vec<u8>>>,
    needles: Vec<Vec<Needle>>,
    index: HashMap<Vec<u8>, usize>,
}

/// One place a secret was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A file (relative to the data folder) or a log's name.
    pub place: String,
    /// What was found: "the SSE-C key in ssec.key", "bytes 0..32 of the body of c01/k3".
    pub what: String,
    pub form: Form,
    /// Where in the place, in bytes.
    pub offset: usize,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} holds {}, {}, at byte {}.",
            self.place, self.what, self.form, self.offset
        )
    }
}

/// What a scan looked at and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub files: usize,
    pub file_bytes: u64,
    pub log_bytes: usize,
    pub keys: usize,
    pub plaintexts: usize,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// One line: "scanned 12 files and 3456 log bytes for 7 keys and 2 plaintexts: nothing found".
    pub fn summary(&self) -> String {
        let found = match self.findings.len() {
            0 => "nothing found".to_owned(),
            n => count(n, "finding"),
        };
        format!(
            "scanned {} and {} for {} and {}: {found}",
            count(self.files, "file"),
            count(self.log_bytes, "log byte"),
            count(self.keys, "key"),
            count(self.plaintexts, "plaintext"),
        )
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The base64 of `bytes` where it sits at `pad` bytes (0, 1 or 2) into a 3-byte group of a longer
/// text, without the characters that depend on the bytes around it.
fn base64_core(bytes: &[u8], pad: usize) -> Vec<u8> {
    let mut shifted = vec![0u8; pad];
    shifted.extend_from_slice(bytes);
    let text = base64::engine::general_purpose::STANDARD.encode(&shifted);
    let start = if pad == 0 { 0 } else { 4 };
    let end = 4 * ((pad + bytes.len()) / 3);
    text.as_bytes()
        .get(start..end.max(start))
        .unwrap_or_default()
        .to_vec()
}

/// Every form a window is looked for in.
fn forms(window: &[u8]) -> Vec<(Form, Vec<u8>)> {
    let hex = hex::encode(window);
    let mut out = vec![
        (Form::Raw, window.to_vec()),
        (Form::UpperHex, hex.to_uppercase().into_bytes()),
        (Form::Hex, hex.into_bytes()),
    ];
    for pad in 0..3 {
        let core = base64_core(window, pad);
        if core.len() >= MIN_PLAINTEXT {
            out.push((Form::Base64, core));
        }
    }
    out
}

/// Where the windows of an item of `len` bytes start: 0, every `stride`, and the last one.
fn window_starts(len: usize, stride: usize) -> Vec<usize> {
    if len <= WINDOW {
        return vec![0];
    }
    let last = len - WINDOW;
    let mut out: Vec<usize> = (0..last).step_by(stride.max(1)).collect();
    out.push(last);
    out
}

impl Scan {
    pub fn new() -> Scan {
        Scan::default()
    }

    /// Looks for `key` everywhere. Returns false (and looks for nothing) for a key shorter than
    /// [`MIN_KEY`] bytes.
    pub fn key(&mut self, name: impl Into<String>, key: &[u8]) -> bool {
        self.add(name.into(), Kind::Key, key, None, WINDOW)
    }

    /// Looks for `key` everywhere but in `home`, the file (relative to the data folder) that keeps
    /// it by design.
    pub fn key_kept_in(&mut self, name: impl Into<String>, key: &[u8], home: PathBuf) -> bool {
        self.add(name.into(), Kind::Key, key, Some(home), WINDOW)
    }

    /// Looks for one of the lab's own keys (see [`inspect::service_keys`]).
    pub fn service_key(&mut self, key: &NamedKey) -> bool {
        self.add(
            key.name.clone(),
            Kind::Key,
            &key.key,
            key.home.clone(),
            WINDOW,
        )
    }

    /// Looks for every key the data folder holds or wraps; `customer_keys` open the data keys of
    /// SSE-C objects. Returns how many keys that added (a key many objects share counts once).
    pub fn service_keys(
        &mut self,
        data_dir: &Path,
        customer_keys: &[&[u8]],
    ) -> Result<usize, ScenarioError> {
        let before = self.counts().0;
        for key in inspect::service_keys(data_dir, customer_keys)? {
            self.service_key(&key);
        }
        Ok(self.counts().0 - before)
    }

    /// Looks for `plaintext` everywhere but in the blobs of objects stored unencrypted on purpose.
    /// Returns false (and looks for nothing) for one shorter than [`MIN_PLAINTEXT`] bytes.
    pub fn plaintext(&mut self, name: impl Into<String>, plaintext: &[u8]) -> bool {
        self.add(
            name.into(),
            Kind::Plaintext,
            plaintext,
            None,
            PLAINTEXT_STRIDE,
        )
    }

    /// How many keys and plaintexts are looked for.
    pub fn counts(&self) -> (usize, usize) {
        let keys = self.items.iter().filter(|i| i.kind == Kind::Key).count();
        (keys, self.items.len() - keys)
    }

    fn add(
        &mut self,
        name: String,
        kind: Kind,
        bytes: &[u8],
        home: Option<PathBuf>,
        stride: usize,
    ) -> bool {
        let min = match kind {
            Kind::Key => MIN_KEY,
            Kind::Plaintext => MIN_PLAINTEXT,
        };
        if bytes.len() < min {
            return false;
        }
        let key = (kind == Kind::Key).then(|| zeroize::Zeroizing::new(bytes.to_vec()));
        if key.is_some()
            && self
                .items
                .iter()
                .any(|i| i.home == home && i.key.as_deref() == key.as_deref())
        {
            return true;
        }
        let item = self.items.len();
        self.items.push(Item {
            name,
            kind,
            len: bytes.len(),
            home,
            key,
        });
        for at in window_starts(bytes.len(), stride) {
            let window = &bytes[at..bytes.len().min(at + WINDOW)];
            for (form, pattern) in forms(window) {
                let pattern = zeroize::Zeroizing::new(pattern);
                let id = match self.index.get(pattern.as_slice()) {
                    Some(&id) => id,
                    None => {
                        let id = self.patterns.len();
                        self.index.insert(pattern.to_vec(), id);
                        self.patterns.push(pattern);
                        self.needles.push(Vec::new());
                        id
                    }
                };
                self.needles[id].push(Needle { item, form, at });
            }
        }
        true
    }

    fn describe(&self, needle: &Needle) -> String {
        let item = &self.items[needle.item];
        if item.len <= WINDOW {
            return item.name.clone();
        }
        let end = (needle.at + WINDOW).min(item.len);
        format!(
            "bytes {}..{end} (of {}) of {}",
            needle.at, item.len, item.name
        )
    }

    /// Looks in every file under `data_dir` and in every log of `logs` (a name and its bytes).
    pub fn run(&self, data_dir: &Path, logs: &[(&str, &[u8])]) -> Result<Report, ScenarioError> {
        let (keys, plaintexts) = self.counts();
        let mut report = Report {
            keys,
            plaintexts,
            ..Report::default()
        };
        let searcher = if self.patterns.is_empty() {
            None
        } else {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::Standard)
                    .build(self.patterns.iter().map(|p| p.as_slice()))
                    .map_err(|e| ScenarioError::lab(format!("building the scan: {e}")))?,
            )
        };
        let plain_blobs: HashSet<PathBuf> =
            inspect::unencrypted_blobs(data_dir)?.into_iter().collect();
        for file in files_under(data_dir)? {
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                // Deleted by a running server since the listing.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(ScenarioError::lab(format!(
                        "reading {}: {e}",
                        file.display()
                    )))
                }
            };
            report.files += 1;
            report.file_bytes += bytes.len() as u64;
            let relative = file.strip_prefix(data_dir).unwrap_or(&file).to_path_buf();
            let plaintext_allowed = plain_blobs.contains(&file);
            self.search(
                searcher.as_ref(),
                &relative.display().to_string(),
                &bytes,
                |item| {
                    !(item.home.as_deref() == Some(relative.as_path())
                        || (item.kind == Kind::Plaintext && plaintext_allowed))
                },
                &mut report.findings,
            );
        }
        for (name, bytes) in logs {
            report.log_bytes += bytes.len();
            self.search(
                searcher.as_ref(),
                name,
                bytes,
                |_| true,
                &mut report.findings,
            );
        }
        Ok(report)
    }

    /// Adds a finding for each item (in each form) found in `haystack`, at its first place.
    fn search(
        &self,
        searcher: Option<&aho_corasick::AhoCorasick>,
        place: &str,
        haystack: &[u8],
        counts: impl Fn(&Item) -> bool,
        findings: &mut Vec<Finding>,
    ) {
        let Some(searcher) = searcher else {
            return;
        };
        let mut seen: BTreeSet<(usize, Form)> = BTreeSet::new();
        for m in searcher.find_overlapping_iter(haystack) {
            for needle in &self.needles[m.pattern().as_usize()] {
                if !counts(&self.items[needle.item]) || !seen.insert((needle.item, needle.form)) {
                    continue;
                }
                findings.push(Finding {
                    place: place.to_owned(),
                    what: self.describe(needle),
                    form: needle.form,
                    offset: m.start(),
                });
            }
        }
    }
}

/// Every file under `dir` (symbolic links not followed), sorted.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, ScenarioError> {
    let fail =
        |p: &Path, e: std::io::Error| ScenarioError::lab(format!("reading {}: {e}", p.display()));
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let read = match std::fs::read_dir(&d) {
            Ok(r) => r,
            // A folder a running server removed since it was listed.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && d != dir => continue,
            Err(e) => return Err(fail(&d, e)),
        };
        for entry in read {
            let entry = entry.map_err(|e| fail(&d, e))?;
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [
        0x5c, 0x11, 0xa2, 0x7e, 0x90, 0x03, 0xd4, 0x6b, 0x28, 0xf1, 0x47, 0xbe, 0x0d, 0x93, 0x6a,
        0xc5, 0x3f, 0x82, 0x19, 0xe0, 0x74, 0xab, 0x56, 0x0c, 0xd8, 0x21, 0x9f, 0x4e, 0xb7, 0x60,
        0x35, 0xea,
    ];

    fn found_in(scan: &Scan, haystack: &[u8]) -> Vec<Finding> {
        let dir = tempfile::tempdir().expect("temp dir");
        scan.run(dir.path(), &[("log", haystack)])
            .expect("scan")
            .findings
    }

    #[test]
    fn a_key_is_found_raw_as_hex_and_at_every_base64_alignment() {
        let mut scan = Scan::new();
        assert!(scan.key("the key", &KEY));
        for pad in 0..3 {
            let mut data = vec![1u8; pad];
            data.extend_from_slice(&KEY);
            data.extend_from_slice(b"and more after it");
            let text = base64::engine::general_purpose::STANDARD.encode(&data);
            let found = found_in(&scan, format!("x-amz-key: {text}\n").as_bytes());
            assert_eq!(found.len(), 1, "alignment {pad}: {found:?}");
            assert_eq!(found[0].form, Form::Base64);
        }
        let hex = hex::encode(KEY);
        assert_eq!(found_in(&scan, hex.as_bytes())[0].form, Form::Hex);
        assert_eq!(
            found_in(&scan, hex.to_uppercase().as_bytes())[0].form,
            Form::UpperHex
        );
        let mut raw = b"binary: ".to_vec();
        raw.extend_from_slice(&KEY);
        let found = found_in(&scan, &raw);
        assert_eq!(found[0].form, Form::Raw);
        assert_eq!(found[0].offset, 8);
        assert!(found_in(&scan, b"nothing to see here, nothing at all").is_empty());
        // A key with one byte changed is not the key.
        let mut other = KEY;
        other[31] ^= 1;
        assert!(found_in(&scan, hex::encode(&other[..31]).as_bytes()).is_empty());
    }

    #[test]
    fn short_keys_and_plaintexts_are_refused_and_a_key_is_counted_once() {
        let mut scan = Scan::new();
        assert!(!scan.key("short", &[1; 15]));
        assert!(!scan.plaintext("short", b"fifteen bytes!!"));
        assert!(scan.plaintext("sixteen", b"sixteen bytes!!!"));
        assert!(scan.key("the bucket key (used by a)", &KEY));
        assert!(scan.key("the bucket key (used by b)", &KEY));
        assert_eq!(scan.counts(), (1, 1));
        let found = found_in(&scan, hex::encode(KEY).as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, "the bucket key (used by a)");
    }

    #[test]
    fn a_plaintext_is_found_by_its_beginning_its_end_and_any_long_stretch() {
        let body: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut scan = Scan::new();
        assert!(scan.plaintext("the body of lab/big.bin", &body));
        // The first 40 bytes, in a log line.
        let mut line = b"PUT /lab/big.bin body=".to_vec();
        line.extend_from_slice(&body[..40]);
        let found = found_in(&scan, &line);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0]
            .what
            .starts_with("bytes 0..32 (of 300000) of the body"));
        // The last 32 bytes, as base64.
        let tail = base64::engine::general_purpose::STANDARD.encode(&body[body.len() - 33..]);
        assert_eq!(found_in(&scan, tail.as_bytes())[0].form, Form::Base64);
        // 70 KiB from the middle.
        let middle = &body[100_000..100_000 + 70 * 1024];
        assert_eq!(found_in(&scan, middle).len(), 1);
        // A short text, whole.
        let mut scan = Scan::new();
        scan.plaintext("notes.txt", b"Ledger 2025: 12 invoices, all paid.\n");
        let found = found_in(&scan, b"...Ledger 2025: 12 invoices, all paid.\n...");
        assert_eq!(found[0].what, "bytes 0..32 (of 36) of notes.txt");
        assert!(found_in(&scan, b"Ledger 2025: 12 invoices").is_empty());
    }

    /// A key and a plaintext planted in a data folder and in a log are found, each where it is;
    /// plaintext in an unencrypted object's blob is allowed, and a key in its home file.
    #[test]
    fn planted_secrets_are_found_in_files_and_logs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let plain = b"The plaintext of an object that must be encrypted at rest.";
        let objects = dir.path().join("s3/buckets/lab/objects");
        std::fs::create_dir_all(&objects).expect("mkdir");
        // An object stored unencrypted on purpose, with the plaintext in its blob.
        let blob = "0123456789abcdef0123456789abcdef";
        let meta = serde_json::json!({
            "bucket": "lab", "key": "old.txt", "size": plain.len(), "etag": "\"x\"",
            "last_modified": "2026-01-01T00:00:00Z", "storage_class": "STANDARD",
            "encryption": {"mode": "none", "note": "pre-2023"},
            "segments": [{"blob": blob, "stored_len": plain.len(), "plain_len": plain.len(), "etag": "\"x\""}],
        });
        std::fs::write(objects.join("old.txt.meta.json"), meta.to_string()).expect("meta");
        std::fs::write(objects.join(format!("old.txt.{blob}.blob")), plain).expect("blob");
        // The same plaintext, and the key as hex, somewhere they must not be.
        let mut leaky = b"{\"note\": \"".to_vec();
        leaky.extend_from_slice(plain);
        leaky.extend_from_slice(hex::encode(KEY).as_bytes());
        std::fs::write(dir.path().join("s3/leak.json"), &leaky).expect("leak");
        // The key in its home file.
        std::fs::create_dir_all(dir.path().join("kms")).expect("mkdir");
        std::fs::write(dir.path().join("kms/home.key"), KEY).expect("home");

        let mut scan = Scan::new();
        scan.key_kept_in("the home key", &KEY, PathBuf::from("kms/home.key"));
        scan.plaintext("the body of lab/new.txt", plain);
        let log = format!(
            "TRACE s3lab_s3: key={}\n",
            base64::engine::general_purpose::STANDARD.encode(KEY)
        );
        let report = scan
            .run(dir.path(), &[("server.log", log.as_bytes())])
            .expect("scan");
        let lines: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            lines,
            [
                "s3/leak.json holds bytes 0..32 (of 58) of the body of lab/new.txt, as raw bytes, at byte 10.",
                "s3/leak.json holds the home key, as hex, at byte 68.",
                "server.log holds the home key, as base64, at byte 20.",
            ],
        );
        assert_eq!(report.files, 4);
        assert_eq!(report.log_bytes, log.len());
        assert_eq!(
            report.summary(),
            format!(
                "scanned 4 files and {} log bytes for 1 key and 1 plaintext: 3 findings",
                log.len()
            )
        );
    }
}
