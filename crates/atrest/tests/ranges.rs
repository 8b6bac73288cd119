//! Ranged reads: every range of small objects, the plan's arithmetic, and reading only what
//! is needed.

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom};

use common::{cs, ctx, data, decrypt_range, encrypt, key};
use s3lab_atrest::{
    parse_header, plan_full, plan_range, AtRestError, Backend, Decryptor, RangePlan, RangeReader,
    HEADER_LEN,
};

#[test]
fn every_range_of_a_three_chunk_object_matches_the_plaintext() {
    // 40 = 16 + 16 + 8 (short last chunk) and 48 = 3 full chunks.
    for size in [40usize, 48] {
        let plain = data(size, 21);
        let blob = encrypt(&plain, cs(16), Backend::Ring);
        for start in 0..size {
            for end in start..size + 3 {
                let expected = &plain[start..(end + 1).min(size)];
                let got =
                    decrypt_range(&blob, size as u64, start as u64, end as u64, Backend::Ring)
                        .expect("decrypts");
                assert_eq!(got, expected, "size={size} {start}-{end}");
            }
        }
        // The other backend, on a sample.
        for (start, end) in [(0, 0), (15, 16), (5, 37), (31, 32), (0, 100)] {
            let got = decrypt_range(&blob, size as u64, start, end, Backend::RustCrypto)
                .expect("decrypts");
            assert_eq!(got, &plain[start as usize..(end as usize + 1).min(size)]);
        }
    }
}

/// Decrypts exactly the stored bytes a plan names, with a bare `Decryptor`, and applies the
/// plan's skip and take: checks the plan independently of `RangeReader`.
#[test]
fn plans_name_exactly_the_bytes_to_read() {
    for (c, size) in [(16u32, 40usize), (16, 48), (1, 7), (7, 50), (64, 1000)] {
        let plain = data(size, u64::from(c));
        let blob = encrypt(&plain, cs(c), Backend::Ring);
        let header = parse_header(&blob).expect("header");
        let dec = Decryptor::new(&key(), &header, size as u64, ctx(), Backend::Ring);
        for start in 0..size as u64 {
            for end in [start, start + 1, start + 13, size as u64 - 1, u64::MAX] {
                if end < start {
                    continue;
                }
                let plan = plan_range(&header, size as u64, start, end).expect("plan");
                let stored = &blob[plan.stored_offset as usize..][..plan.stored_len as usize];
                let mut got = Vec::new();
                let mut at = 0;
                for index in plan.first_chunk..=plan.last_chunk {
                    let len = dec.stored_chunk_len(index).expect("len");
                    got.extend(dec.open_chunk(index, &stored[at..at + len]).expect("opens"));
                    at += len;
                }
                assert_eq!(at, stored.len());
                let got = &got[plan.skip_in_first..][..plan.take_total as usize];
                let end_clamped = end.min(size as u64 - 1) as usize;
                assert_eq!(
                    got,
                    &plain[start as usize..=end_clamped],
                    "c={c} {start}-{end}"
                );
                assert_eq!(plan.start, start);
            }
        }
    }
}

#[test]
fn a_plan_by_hand() {
    let header = parse_header(&encrypt(&[0; 40], cs(16), Backend::Ring)).expect("header");
    // Bytes 20..=35 of 40: chunk 1 (16..32) from offset 4, and 4 bytes of chunk 2 (32..40).
    assert_eq!(
        plan_range(&header, 40, 20, 35),
        Ok(RangePlan {
            first_chunk: 1,
            last_chunk: 2,
            stored_offset: 32 + 32,
            stored_len: 32 + 8 + 16,
            skip_in_first: 4,
            take_total: 16,
            start: 20,
        })
    );
    // A suffix past the end is clamped.
    assert_eq!(
        plan_range(&header, 40, 39, 1000).map(|p| p.take_total),
        Ok(1)
    );
    assert_eq!(
        plan_full(&header, 40),
        Ok(RangePlan {
            first_chunk: 0,
            last_chunk: 2,
            stored_offset: 32,
            stored_len: 3 * 16 + 40,
            skip_in_first: 0,
            take_total: 40,
            start: 0,
        })
    );
    assert_eq!(
        plan_full(&header, 0).map(|p| (p.last_chunk, p.stored_len, p.take_total)),
        Ok((0, 16, 0))
    );
}

#[test]
fn unsatisfiable_ranges() {
    let blob = encrypt(&data(40, 1), cs(16), Backend::Ring);
    let header = parse_header(&blob).expect("header");
    for (len, start, end) in [
        (40u64, 40u64, 40u64),
        (40, 41, 100),
        (40, 10, 9),
        (0, 0, 0),
        (0, 0, 10),
    ] {
        assert_eq!(
            plan_range(&header, len, start, end),
            Err(AtRestError::RangeNotSatisfiable {
                start,
                end_inclusive: end,
                plain_len: len
            })
        );
    }
    assert!(matches!(
        decrypt_range(&blob, 40, 40, 50, Backend::Ring),
        Err(AtRestError::RangeNotSatisfiable { .. })
    ));
    let empty = encrypt(b"", cs(16), Backend::Ring);
    assert!(matches!(
        decrypt_range(&empty, 0, 0, 0, Backend::Ring),
        Err(AtRestError::RangeNotSatisfiable { .. })
    ));
}

/// Counts the bytes read and the largest single read.
struct Counting<R> {
    inner: R,
    read: u64,
    largest: usize,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.largest = self.largest.max(buf.len());
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn a_range_reads_only_the_chunks_it_needs() {
    let c = 1024u32;
    let size = 100 * c as usize + 17;
    let plain = data(size, 77);
    let blob = encrypt(&plain, cs(c), Backend::Ring);
    let counting = Counting {
        inner: Cursor::new(&blob),
        read: 0,
        largest: 0,
    };
    // Bytes inside chunks 50 and 51.
    let (start, end) = (50 * 1024 + 1000, 51 * 1024 + 3);
    let mut reader = RangeReader::new(
        counting,
        &key(),
        ctx(),
        Backend::Ring,
        size as u64,
        start,
        end,
    )
    .expect("opens");
    let plan = *reader.plan();
    assert_eq!((plan.first_chunk, plan.last_chunk), (50, 51));
    let mut got = Vec::new();
    for chunk in reader.by_ref() {
        got.extend(chunk.expect("decrypts"));
    }
    assert_eq!(got, &plain[start as usize..=end as usize]);
    let counting = reader.into_inner();
    assert_eq!(counting.read, HEADER_LEN as u64 + plan.stored_len);
    assert_eq!(plan.stored_len, 2 * (1024 + 16));
    assert!(counting.largest <= 1024 + 16);
}

#[test]
fn the_reader_ends_after_an_error() {
    let plain = data(48, 3);
    let mut blob = encrypt(&plain, cs(16), Backend::Ring);
    blob[HEADER_LEN + 32 + 3] ^= 1; // inside chunk 1
    let mut reader =
        RangeReader::full(Cursor::new(&blob), &key(), ctx(), Backend::Ring, 48).expect("opens");
    assert_eq!(reader.next(), Some(Ok(plain[..16].to_vec())));
    assert_eq!(reader.next(), Some(Err(AtRestError::Corrupt { chunk: 1 })));
    assert_eq!(reader.next(), None);
    assert_eq!(reader.next(), None);
}
