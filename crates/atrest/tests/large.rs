//! A 64 MiB object, generated and streamed, never held in memory whole: neither when it is
//! encrypted nor when it is read back.

mod common;

use std::io::{self, Read, Seek, SeekFrom, Write};

use common::{ctx, key, NONCE};
use s3lab_atrest::{stored_len, Backend, ChunkSize, Encryptor, RangeReader, HEADER_LEN};

const SIZE: u64 = 64 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The byte at `pos` of the generated object.
fn pattern(pos: u64) -> u8 {
    (pos ^ (pos >> 8) ^ (pos >> 16).wrapping_mul(7)) as u8
}

/// Yields the pattern for `len` bytes, without ever holding them.
struct Generated {
    pos: u64,
    len: u64,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min((self.len - self.pos) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = pattern(self.pos + i as u64);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// Records the largest single write or read.
struct Tracking<T> {
    inner: T,
    largest: usize,
}

impl<T: Write> Write for Tracking<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<T: Read> Read for Tracking<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        self.inner.read(buf)
    }
}

impl<T: Seek> Seek for Tracking<T> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn check(chunk: &[u8], at: u64) {
    for (i, b) in chunk.iter().enumerate() {
        if *b != pattern(at + i as u64) {
            panic!("wrong byte at {}", at + i as u64);
        }
    }
}

#[test]
fn a_64_mib_object_streams_through_in_bounded_memory() {
    let file = tempfile::tempfile().expect("temp file");
    let mut writer = Tracking {
        inner: io::BufWriter::with_capacity(CHUNK, file),
        largest: 0,
    };
    let source = Generated { pos: 0, len: SIZE };
    let summary = Encryptor::new(&key(), NONCE, ChunkSize::DEFAULT, ctx(), Backend::Ring)
        .encrypt_stream(source, &mut writer)
        .expect("encrypts");
    assert_eq!(summary.plain_len, SIZE);
    assert_eq!(summary.chunks, SIZE / CHUNK as u64);
    assert_eq!(
        summary.stored_len,
        stored_len(SIZE, ChunkSize::DEFAULT).expect("fits")
    );
    // The encryptor hands over at most one sealed chunk at a time.
    assert!(
        writer.largest <= CHUNK + 16,
        "largest write {}",
        writer.largest
    );
    let file = writer.inner.into_inner().expect("flushes");
    assert_eq!(file.metadata().expect("metadata").len(), summary.stored_len);

    // The whole object, chunk by chunk.
    let mut reader = Tracking {
        inner: file,
        largest: 0,
    };
    reader.seek(SeekFrom::Start(0)).expect("seek");
    let full = RangeReader::full(reader, &key(), ctx(), Backend::Ring, SIZE).expect("opens");
    let mut largest_item = 0;
    let mut items = 0u64;
    let mut at = 0u64;
    let mut full = full;
    for chunk in full.by_ref() {
        let chunk = chunk.expect("decrypts");
        largest_item = largest_item.max(chunk.len());
        check(&chunk, at);
        at += chunk.len() as u64;
        items += 1;
    }
    assert_eq!(at, SIZE);
    assert_eq!(items, SIZE / CHUNK as u64);
    assert!(largest_item <= CHUNK, "largest item {largest_item}");
    let reader = full.into_inner();
    assert!(
        reader.largest <= CHUNK + 16,
        "largest read {}",
        reader.largest
    );

    // A range across three chunks in the middle, from the same file.
    let (start, end) = (SIZE / 2 - 100, SIZE / 2 + CHUNK as u64 + 100);
    let mut file = reader.inner;
    file.seek(SeekFrom::Start(0)).expect("seek");
    let ranged = RangeReader::new(file, &key(), ctx(), Backend::RustCrypto, SIZE, start, end)
        .expect("opens");
    assert_eq!(ranged.plan().last_chunk - ranged.plan().first_chunk, 2);
    assert_eq!(
        ranged.plan().stored_offset,
        HEADER_LEN as u64 + (SIZE / 2 / CHUNK as u64 - 1) * (CHUNK as u64 + 16)
    );
    let mut at = start;
    for chunk in ranged {
        let chunk = chunk.expect("decrypts");
        assert!(chunk.len() <= CHUNK);
        check(&chunk, at);
        at += chunk.len() as u64;
    }
    assert_eq!(at, end + 1);
}
