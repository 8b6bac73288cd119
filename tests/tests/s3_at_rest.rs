//! What lands on disk: ciphertext only, no customer key, tampering detected, large objects streamed
//! and kept across a restart, and nothing left behind by an interrupted upload.

use std::io::Write as _;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use base64::Engine as _;
use md5::Digest;
use s3lab_e2e::TestLab;

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// A recognisable plaintext: every 16-byte window is unique, so any leak is found.
fn marker_data(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut i: u64 = 0;
    while out.len() < n {
        out.extend_from_slice(format!("PLAIN{i:011}").as_bytes());
        i += 1;
    }
    out.truncate(n);
    out
}

#[tokio::test]
async fn the_data_folder_holds_no_plaintext_and_no_customer_key() {
    let lab = TestLab::start().await;
    let s3 = lab.s3_client("admin", true);
    s3.create_bucket()
        .bucket("atrest")
        .send()
        .await
        .expect("bucket");
    let body = marker_data(200_000);
    let customer_key = *b"SSE-C-KEY-THAT-MUST-NEVER-LAND!!";
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(customer_key);
    let md5_b64 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(customer_key));
    s3.put_object()
        .bucket("atrest")
        .key("default")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put");
    s3.put_object()
        .bucket("atrest")
        .key("kms")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put");
    s3.put_object()
        .bucket("atrest")
        .key("dsse")
        .server_side_encryption(ServerSideEncryption::AwsKmsDsse)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put");
    s3.put_object()
        .bucket("atrest")
        .key("ssec")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key_b64)
        .sse_customer_key_md5(&md5_b64)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put");
    let all = files(&lab.data_dir);
    assert!(
        all.iter()
            .filter(|p| p.extension().is_some_and(|e| e == "blob"))
            .count()
            >= 4
    );
    for path in &all {
        let bytes = std::fs::read(path).expect("read");
        for window in body.chunks(16).filter(|c| c.len() == 16).step_by(61) {
            assert!(
                !bytes.windows(16).any(|w| w == window),
                "plaintext found in {}",
                path.display()
            );
        }
        for needle in [customer_key.as_slice(), key_b64.as_bytes()] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the SSE-C key is in {}",
                path.display()
            );
        }
    }
    lab.stop().await;
}

#[tokio::test]
async fn a_flipped_byte_on_disk_fails_the_read_cleanly() {
    let lab = TestLab::start().await;
    let s3 = lab.s3_client("admin", true);
    s3.create_bucket()
        .bucket("flip")
        .send()
        .await
        .expect("bucket");
    let body = marker_data(50_000);
    s3.put_object()
        .bucket("flip")
        .key("obj")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("put");
    let (_, blobs) = lab.app.s3().object_paths("flip", "obj").expect("paths");
    let mut bytes = std::fs::read(&blobs[0]).expect("read");
    bytes[1000] ^= 0x80;
    std::fs::write(&blobs[0], &bytes).expect("write");
    let err = s3
        .get_object()
        .bucket("flip")
        .key("obj")
        .send()
        .await
        .expect_err("tampered");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    lab.stop().await;
}

#[tokio::test]
async fn an_interrupted_upload_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = TestLab::start_in(dir.path()).await;
    let s3 = lab.s3_client("admin", true);
    s3.create_bucket()
        .bucket("cut")
        .send()
        .await
        .expect("bucket");
    let before = files(&lab.data_dir.join("s3"));
    // Announce 10 MB, send 1 MB, hang up.
    let addr = lab.server.as_ref().expect("server").http_addr;
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        tcp,
        "PUT /cut/partial HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n"
    )
    .expect("head");
    tcp.write_all(&vec![b'x'; 1_000_000]).expect("body");
    drop(tcp);
    // A graceful stop waits for every request in flight, the cut one included: after it, whatever
    // that request had started writing must be gone.
    let data_dir = lab.data_dir.clone();
    lab.stop().await;
    let after = files(&data_dir.join("s3"));
    assert_eq!(before, after, "no temp file, no blob, no metadata");
    let reopened = TestLab::start_in(&data_dir).await;
    let listed = reopened
        .s3_client("admin", true)
        .list_objects_v2()
        .bucket("cut")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.key_count(), Some(0));
    reopened.stop().await;
}

#[tokio::test]
async fn a_256_mib_object_streams_in_and_out_and_survives_a_restart() {
    const SIZE: usize = 256 * 1024 * 1024;
    let dir = tempfile::tempdir().expect("dir");
    let digest = {
        let lab = TestLab::start_in(dir.path()).await;
        let s3 = lab.s3_client("admin", true);
        s3.create_bucket()
            .bucket("big")
            .send()
            .await
            .expect("bucket");
        // A file on disk, streamed by the SDK: neither side holds the whole object.
        let path = dir.path().join("big.src");
        let mut f = std::fs::File::create(&path).expect("create");
        let mut hasher = sha2::Sha256::new();
        let chunk = marker_data(1024 * 1024);
        for i in 0..SIZE / chunk.len() {
            let mut c = chunk.clone();
            c[..8].copy_from_slice(&(i as u64).to_be_bytes());
            hasher.update(&c);
            f.write_all(&c).expect("write");
        }
        drop(f);
        let body = ByteStream::from_path(&path).await.expect("stream");
        s3.put_object()
            .bucket("big")
            .key("blob")
            .body(body)
            .send()
            .await
            .expect("put 256 MiB");
        std::fs::remove_file(&path).expect("rm");
        lab.stop().await;
        hasher.finalize()
    };
    let lab = TestLab::start_in(dir.path()).await;
    let s3 = lab.s3_client("admin", true);
    let got = s3
        .get_object()
        .bucket("big")
        .key("blob")
        .send()
        .await
        .expect("get after restart");
    assert_eq!(got.content_length(), Some(SIZE as i64));
    let mut body = got.body;
    let mut hasher = sha2::Sha256::new();
    let mut n = 0usize;
    while let Some(bytes) = body.try_next().await.expect("chunk") {
        n += bytes.len();
        hasher.update(&bytes);
    }
    assert_eq!(n, SIZE);
    assert_eq!(hasher.finalize(), digest, "byte for byte");
    lab.stop().await;
}
