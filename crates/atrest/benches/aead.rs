//! Encrypt and decrypt 16 MiB with each backend, through the real chunked format (64 KiB
//! chunks), and compare the two.
//!
//! `cargo bench -p s3lab-atrest` prints criterion's numbers (its `thrpt` is in GiB/s), then a
//! summary of both backends measured back to back in the same run: GB/s (10^9 bytes/s) for
//! each and the ring / RustCrypto ratio. Pass criterion options after `--`, for example
//! `-- --measurement-time 2 --warm-up-time 1`.

use std::hint::black_box;
use std::io::Cursor;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use s3lab_atrest::{Backend, ChunkSize, Encryptor, RangeReader};
use zeroize::Zeroizing;

const SIZE: usize = 16 * 1024 * 1024;
const NONCE: [u8; 12] = [7; 12];

fn key() -> Zeroizing<[u8; 32]> {
    Zeroizing::new([0x42; 32])
}

fn context() -> Vec<u8> {
    b"bench-bucket/bench-key".to_vec()
}

fn plaintext() -> Vec<u8> {
    (0..SIZE).map(|i| (i as u8).wrapping_mul(31)).collect()
}

fn encrypt(plain: &[u8], backend: Backend, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut enc = Encryptor::new(&key(), NONCE, ChunkSize::DEFAULT, context(), backend);
    out.extend_from_slice(&enc.header());
    if let Err(err) = enc.push(plain, out) {
        panic!("push failed: {err}");
    }
    match enc.finish(out) {
        Ok(summary) => summary.stored_len,
        Err(err) => panic!("finish failed: {err}"),
    }
}

fn decrypt(blob: &[u8], backend: Backend) -> u64 {
    let reader = match RangeReader::full(Cursor::new(blob), &key(), context(), backend, SIZE as u64)
    {
        Ok(reader) => reader,
        Err(err) => panic!("open failed: {err}"),
    };
    let mut total = 0u64;
    for chunk in reader {
        match chunk {
            Ok(chunk) => total += black_box(chunk).len() as u64,
            Err(err) => panic!("decrypt failed: {err}"),
        }
    }
    total
}

fn benches(c: &mut Criterion) {
    let plain = plaintext();
    let mut blob = Vec::with_capacity(SIZE + SIZE / 1000 + 64);
    encrypt(&plain, Backend::Ring, &mut blob);

    let mut group = c.benchmark_group("encrypt_16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(20);
    for backend in Backend::ALL {
        let mut out = Vec::with_capacity(blob.len());
        group.bench_with_input(
            BenchmarkId::from_parameter(backend.name()),
            &plain,
            |b, p| b.iter(|| encrypt(black_box(p), backend, &mut out)),
        );
    }
    group.finish();

    let mut group = c.benchmark_group("decrypt_16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(20);
    for backend in Backend::ALL {
        group.bench_with_input(
            BenchmarkId::from_parameter(backend.name()),
            &blob,
            |b, s| b.iter(|| decrypt(black_box(s), backend)),
        );
    }
    group.finish();
}

/// Best of `rounds` runs of `f`, in GB/s (10^9 bytes per second) for `SIZE` bytes.
fn best_gbps(rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed());
    }
    SIZE as f64 / best.as_secs_f64() / 1e9
}

/// Both backends measured back to back (alternating, best of 15) so their ratio is fair.
fn summary() {
    let plain = plaintext();
    let mut blob = Vec::with_capacity(SIZE + SIZE / 1000 + 64);
    encrypt(&plain, Backend::Ring, &mut blob);
    let mut out = Vec::with_capacity(blob.len());
    let mut enc = [0f64; 2];
    let mut dec = [0f64; 2];
    for _ in 0..3 {
        for (i, backend) in Backend::ALL.into_iter().enumerate() {
            enc[i] = enc[i].max(best_gbps(5, || {
                black_box(encrypt(&plain, backend, &mut out));
            }));
            dec[i] = dec[i].max(best_gbps(5, || {
                black_box(decrypt(&blob, backend));
            }));
        }
    }
    println!();
    println!("summary: 16 MiB through 64 KiB chunks, best of 15, GB/s = 10^9 bytes/s");
    println!(
        "  encrypt  ring {:6.2} GB/s   rustcrypto {:6.2} GB/s   ratio ring/rustcrypto {:5.2}x",
        enc[0],
        enc[1],
        enc[0] / enc[1]
    );
    println!(
        "  decrypt  ring {:6.2} GB/s   rustcrypto {:6.2} GB/s   ratio ring/rustcrypto {:5.2}x",
        dec[0],
        dec[1],
        dec[0] / dec[1]
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    benches(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then criterion only
    // runs each benchmark once as a smoke test, so skip the timed summary too.
    if std::env::args().any(|arg| arg == "--bench") {
        summary();
    }
}
