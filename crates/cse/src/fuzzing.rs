//! The entry point of the `cse_metadata` fuzz target (`fuzz/`), and of the test that replays its
//! committed corpus. Not part of the crate's API.
//!
//! An input has up to three parts separated by empty lines:
//!
//! ```text
//! x-amz-key-v2: ...          the object's user metadata, as GET returns it
//! x-amz-iv: ...              (each line becomes an `x-amz-meta-*` response header)
//!
//! {"x-amz-key-v2": ...}      the instruction file's body (may be empty: no instruction file)
//!
//! ciphertext and tag         the object's body (the rest of the input)
//! ```
//!
//! The metadata is decoded as the client decodes a GET response ([`from_headers`],
//! [`parse_instruction_file`], [`Envelope::parse`]). An envelope that parses must write itself
//! back ([`Envelope::to_metadata`]) to metadata that parses to the same envelope. Then a client
//! with the raw AES key [`KEY`] and every legacy mode allowed opens it and decrypts the body;
//! whatever the bytes, the answer is plaintext or an error, and the two ways of decrypting agree.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use http::{HeaderMap, HeaderName, HeaderValue};
use s3lab_env::Entropy;

use crate::metadata::{from_headers, instruction_file_body, parse_instruction_file};
use crate::{
    AlgorithmSuite, CommitmentPolicy, CseClient, CseConfig, Envelope, Keyring, Location,
    RawAesKeyring, StringMap,
};

/// The raw AES key the fuzzed objects are opened with.
pub const KEY: [u8; 32] = [0x5a; 32];

/// Runs a future that never waits (the raw AES keyring's), or gives up.
fn now<F: Future>(future: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

fn client(suite: AlgorithmSuite, policy: CommitmentPolicy) -> CseClient {
    let config = CseConfig {
        suite,
        policy,
        legacy_unauthenticated_modes: true,
        legacy_wrapping_algorithms: true,
        delayed_authentication: false,
    };
    CseClient::new(
        Keyring::RawAes(RawAesKeyring::new(KEY)),
        config,
        Entropy::seeded(7),
    )
    .expect("a valid configuration")
}

fn split_blank(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[]),
    }
}

/// The object's metadata as `x-amz-meta-*` response headers; lines `http` refuses are skipped.
pub fn metadata_headers(block: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let mut name = b"x-amz-meta-".to_vec();
        name.extend_from_slice(&line[..colon]);
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

/// Builds an input from an encrypted object, for seeds and tests.
pub fn input(object: &crate::EncryptedObject) -> Vec<u8> {
    // A first line that is no header, so the block is never empty.
    let mut out = b"# object metadata\n".to_vec();
    for (k, v) in &object.metadata {
        out.extend_from_slice(format!("{k}: {v}\n").as_bytes());
    }
    out.push(b'\n');
    if let Some(file) = &object.instruction_file {
        out.extend_from_slice(file);
    }
    out.extend_from_slice(b"\n\n");
    out.extend_from_slice(&object.body);
    out
}

/// Runs one input.
pub fn metadata(data: &[u8]) {
    let (block, rest) = split_blank(data);
    let (file, body) = split_blank(rest);
    let object = from_headers(&metadata_headers(block));
    let file = if file.is_empty() {
        None
    } else {
        match parse_instruction_file(file, "fuzz.instruction") {
            Ok(file) => Some(file),
            Err(e) => {
                let _ = e.to_string();
                return;
            }
        }
    };
    let envelope = match Envelope::parse(&object, file.as_ref()) {
        Ok(envelope) => envelope,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = format!("{envelope:?}");
    let _ = crate::client::describe(&envelope);
    let _ = envelope.gcm_iv();

    // What was read writes back to what reads the same.
    let (object2, file2) = envelope.to_metadata();
    let file2 = file2.map(|f| {
        let body = instruction_file_body(&f);
        parse_instruction_file(&body, "written.instruction")
            .unwrap_or_else(|e| panic!("our instruction file does not parse: {e}"))
    });
    assert_eq!(
        file2.is_some(),
        envelope.location == Location::InstructionFile
    );
    match Envelope::parse(&object2, file2.as_ref()) {
        Ok(again) => assert_eq!(again, envelope, "the envelope survives writing"),
        Err(e) => panic!("our metadata does not parse: {e}\n{envelope:?}"),
    }

    let client = client(
        AlgorithmSuite::AesGcmHkdfCommitV3,
        CommitmentPolicy::RequireEncryptAllowDecrypt,
    );
    let Some(Ok(key)) = now(client.open(&envelope, &StringMap::new())) else {
        return;
    };
    let whole = key.decrypt_all(body);
    if let Ok(plain) = &whole {
        assert_eq!(plain.len() + envelope.suite.tag_len(), body.len());
    }
    let mut delayed = key.delayed_decryptor();
    let mut out = Vec::new();
    let half = body.len() / 2;
    let streamed = delayed
        .update(&body[..half], &mut out)
        .and_then(|()| delayed.update(&body[half..], &mut out))
        .and_then(|()| delayed.finish(&mut out));
    match (&whole, &streamed) {
        (Ok(plain), Ok(())) => assert_eq!(plain.as_slice(), out.as_slice()),
        (Ok(_), Err(e)) => panic!("decrypt_all succeeds, streaming fails: {e}"),
        (Err(e), Ok(())) if key.is_authenticated() => {
            panic!("streaming succeeds, decrypt_all fails: {e}")
        }
        _ => {}
    }
}

/// Computed seeds: objects encrypted with [`KEY`] in V3 and V2, with the envelope in the object's
/// metadata and in an instruction file.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, suite, policy) in [
        (
            "v3",
            AlgorithmSuite::AesGcmHkdfCommitV3,
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ),
        (
            "v2",
            AlgorithmSuite::AesGcmV2,
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
        ),
    ] {
        for (place, location) in [
            ("metadata", Location::ObjectMetadata),
            ("instruction-file", Location::InstructionFile),
        ] {
            let client = client(suite, policy);
            let object = now(client.encrypt(b"s3lab fuzz seed", &StringMap::new(), location))
                .expect("the raw AES keyring does not wait")
                .expect("encrypts");
            out.push((format!("{name}-{place}"), input(&object)));
        }
    }
    out
}
