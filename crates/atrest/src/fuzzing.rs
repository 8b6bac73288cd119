//! The entry point of the `atrest_blob` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! Input: one mode byte, three big-endian `u64`s (`len`, `a`, `b`), then the blob.
//!
//! - Mode bit 0 clear: the rest is a stored blob, read under [`KEY`] and [`context`] with the
//!   plaintext length `len` (or, with mode bit 1, the length the blob's own size implies), as a
//!   whole and as the range `a..=b`. Reading must fail cleanly or return exactly the bytes the
//!   plan promised.
//! - Mode bit 0 set: the rest is a plaintext, sealed with a chunk size of `len % 64 + 1`, then
//!   read back whole and as the range `a % (n + 1) ..= b % (n + 1)`; both must give the
//!   plaintext's bytes.
//!
//! Mode bit 2 picks the RustCrypto backend instead of `ring`.

use std::io::Cursor;

use crate::{
    chunk_count, parse_header, plain_len, plan_full, plan_range, stored_len, Backend, ChunkSize,
    Decryptor, Encryptor, Header, RangeReader, HEADER_LEN,
};

/// The data key every fuzzed blob is read under.
pub const KEY: [u8; 32] = [0x42; 32];
/// The base nonce of the blobs the fuzzer seals.
pub const NONCE: [u8; 12] = [0xa5; 12];

/// The context every fuzzed blob is bound to.
pub fn context() -> Vec<u8> {
    crate::encode_context(&[b"fuzz-bucket", b"fuzz/key"])
}

/// Builds an input of the stored-blob kind (mode 0 or 2): for seeds and tests.
pub fn input(mode: u8, len: u64, a: u64, b: u64, blob: &[u8]) -> Vec<u8> {
    let mut out = vec![mode];
    for word in [len, a, b] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(blob);
    out
}

/// Runs one input.
pub fn blob(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((words, body)) = rest.split_at_checked(24) else {
        return;
    };
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&words[i * 8..i * 8 + 8]);
        u64::from_be_bytes(bytes)
    };
    let (len, a, b) = (word(0), word(1), word(2));
    let backend = if mode & 4 == 0 {
        Backend::Ring
    } else {
        Backend::RustCrypto
    };
    if mode & 1 == 0 {
        read_stored(body, len, a, b, mode & 2 != 0, backend);
    } else {
        round_trip(body, len, a, b, backend);
    }
}

fn read_all(reader: RangeReader<Cursor<&[u8]>>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for chunk in reader {
        out.extend_from_slice(&chunk.ok()?);
    }
    Some(out)
}

fn sizes(header: &Header, len: u64, a: u64, b: u64, stored: u64) {
    let size = header.chunk_size();
    let _ = chunk_count(len, size);
    let _ = stored_len(len, size);
    let _ = plain_len(stored, size);
    let _ = header.chunk_plain_len(len, a);
    let _ = header.chunk_offset(a);
    let _ = header.chunk_nonce(a);
    let _ = plan_full(header, len);
    if let Ok(plan) = plan_range(header, len, a, b) {
        assert!(plan.first_chunk <= plan.last_chunk);
        assert!(plan.take_total >= 1 && plan.take_total <= len - a);
    }
}

fn read_stored(body: &[u8], len: u64, a: u64, b: u64, derive_len: bool, backend: Backend) {
    let Ok(header) = parse_header(body) else {
        return;
    };
    let stored = body.len() as u64;
    let len = if derive_len {
        match header.plain_len(stored) {
            Ok(len) => len,
            Err(_) => return,
        }
    } else {
        len
    };
    sizes(&header, len, a, b, stored);

    if let Ok(reader) = RangeReader::full(Cursor::new(body), &KEY, context(), backend, len) {
        if let Some(plain) = read_all(reader) {
            assert_eq!(plain.len() as u64, len, "a full read returns every byte");
        }
    }
    if let Ok(reader) = RangeReader::new(Cursor::new(body), &KEY, context(), backend, len, a, b) {
        let promised = reader.plan().take_total;
        if let Some(plain) = read_all(reader) {
            assert_eq!(
                plain.len() as u64,
                promised,
                "a range read returns its plan"
            );
        }
    }
    // One chunk at a time, as S3's GET path opens them.
    let decryptor = Decryptor::new(&KEY, &header, len, context(), backend);
    let index = a % decryptor.chunk_count().max(1);
    if let Ok(at) = header.chunk_offset(index) {
        let start = usize::try_from(at).unwrap_or(usize::MAX).min(body.len());
        let _ = decryptor.open_chunk(index, &body[start..]);
    }
    let _ = decryptor.open_chunk(0, body.get(HEADER_LEN..).unwrap_or_default());
}

fn round_trip(plain: &[u8], len: u64, a: u64, b: u64, backend: Backend) {
    let Ok(size) = ChunkSize::new((len % 64) as u32 + 1) else {
        return;
    };
    let mut enc = Encryptor::new(&KEY, NONCE, size, context(), backend);
    let mut stored = enc.header().to_vec();
    // Push in two pieces, split where `a` says, so chunk boundaries fall anywhere.
    let split = (a % (plain.len() as u64 + 1)) as usize;
    enc.push(&plain[..split], &mut stored).expect("push");
    enc.push(&plain[split..], &mut stored).expect("push");
    let summary = enc.finish(&mut stored).expect("finish");
    let n = plain.len() as u64;
    assert_eq!(summary.plain_len, n);
    assert_eq!(summary.stored_len, stored.len() as u64);
    let header = parse_header(&stored).expect("our own header");
    assert_eq!(header.plain_len(stored.len() as u64), Ok(n));

    let reader = RangeReader::full(Cursor::new(stored.as_slice()), &KEY, context(), backend, n)
        .expect("a full reader");
    assert_eq!(read_all(reader).as_deref(), Some(plain), "full read");

    let (start, end) = (a % (n + 1), b % (n + 1));
    match RangeReader::new(
        Cursor::new(stored.as_slice()),
        &KEY,
        context(),
        backend,
        n,
        start,
        end,
    ) {
        Ok(reader) => {
            let last = end.min(n - 1);
            let want = &plain[start as usize..=last as usize];
            assert_eq!(read_all(reader).as_deref(), Some(want), "range read");
        }
        Err(_) => assert!(start >= n || start > end, "only unsatisfiable ranges fail"),
    }
}

/// Computed seeds: blobs sealed under [`KEY`] and [`context`], and plaintexts to round-trip.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let objects: [(&str, u32, &[u8]); 3] = [
        ("empty", 65536, b""),
        ("two-chunks", 16, b"Hello, s3lab at-rest format!"),
        ("five-chunks", 7, b"The quick brown fox jumps over the"),
    ];
    for (name, size, plain) in objects {
        let size = ChunkSize::new(size).expect("a valid chunk size");
        let mut enc = Encryptor::new(&KEY, NONCE, size, context(), Backend::Ring);
        let mut blob = enc.header().to_vec();
        enc.push(plain, &mut blob).expect("push");
        enc.finish(&mut blob).expect("finish");
        let len = plain.len() as u64;
        out.push((format!("stored-{name}"), input(0, len, 3, 20, &blob)));
        out.push((
            format!("stored-{name}-derived-rustcrypto"),
            input(6, 0, 0, u64::MAX, &blob),
        ));
    }
    out.push((
        "round-trip".to_owned(),
        input(1, 15, 5, 9, b"sealed and opened again"),
    ));
    out
}
