//! The entry points of the `kms_requests` and `kms_blob` fuzz targets (`fuzz/`), and of the
//! tests that replay their committed corpora. Not part of the crate's API.
//!
//! Both run against a fresh in-memory KMS ([`Lab::new`]): seeded, so its key ids, key material
//! and blobs are the same on every run, with one symmetric key that `alias/fuzz` names.
//!
//! `kms_requests`: an input is up to [`MAX_REQUESTS`] requests separated by lines `---`. Each is
//! an operation line, `Encrypt` or `reader Encrypt` (the caller: one of the built-in identities,
//! `admin` by default), and then the JSON 1.1 body, exactly as the protocol layer receives them
//! after the signature check. Every answer must be a 200 or a 4xx with the protocol's error shape.
//!
//! `kms_blob`: an input is a ciphertext blob. It is taken apart by [`crate::blob`], opened under a
//! fixed key material, and given to `Decrypt` and `ReEncrypt`, which must refuse it with a 4xx
//! unless it is one of the lab's own. As these change no key, one lab serves a few thousand
//! inputs.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http::Response;
use s3lab_env::Env;
use s3lab_iam::IdentityTable;

use crate::api::{AliasRequest, Blob, CreateKeyRequest, DecryptRequest, ReEncryptRequest};
use crate::blob::{self, uuid_bytes};
use crate::http::KmsHttp;
use crate::model::{EncryptionContext, KeySpec};
use crate::{Caller, Kms, KmsConfig};

/// The most requests one `kms_requests` input runs.
pub const MAX_REQUESTS: usize = 8;
/// The alias of the lab's key.
pub const ALIAS: &str = "alias/fuzz";

fn identities() -> &'static Arc<IdentityTable> {
    static TABLE: OnceLock<Arc<IdentityTable>> = OnceLock::new();
    TABLE.get_or_init(|| Arc::new(IdentityTable::builtin(&KmsConfig::default().account_id)))
}

fn caller(name: &str) -> Option<Caller<'static>> {
    let identity = identities().by_name(name)?;
    Some(Caller::direct(identity, "192.0.2.1", "s3lab-fuzz", true))
}

/// A fresh in-memory KMS with one key, `alias/fuzz`, and its JSON 1.1 endpoint.
pub struct Lab {
    pub kms: Arc<Kms>,
    pub http: KmsHttp,
    /// The id of the key `alias/fuzz` names.
    pub key_id: String,
}

impl Lab {
    pub fn new() -> Self {
        let kms = Arc::new(
            Kms::open(None, KmsConfig::default(), Env::seeded(1)).expect("an in-memory KMS"),
        );
        let admin = caller("admin").expect("the built-in admin");
        let key_id = kms
            .create_key(&admin, CreateKeyRequest::default())
            .expect("a symmetric key")
            .key_metadata
            .key_id;
        kms.create_alias(
            &admin,
            AliasRequest {
                alias_name: Some(ALIAS.to_owned()),
                target_key_id: Some(key_id.clone()),
            },
        )
        .expect("the alias");
        let http = KmsHttp::new(kms.clone(), identities().clone(), kms.env().clock.clone());
        Lab { kms, http, key_id }
    }

    /// Runs one request as the protocol layer does once the signature has checked out.
    pub fn call(&self, caller_name: &str, op: &str, body: &[u8]) -> Option<Response<Bytes>> {
        let caller = caller(caller_name)?;
        Some(self.http.dispatch(&caller, op, body, "fuzz-request-id"))
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

/// RSA key generation takes a good part of a second: a `CreateKey` for an RSA key is skipped.
fn generates_rsa_key(op: &str, body: &[u8]) -> bool {
    if op != "CreateKey" {
        return false;
    }
    let Ok(req) = serde_json::from_slice::<CreateKeyRequest>(body) else {
        return false;
    };
    [req.key_spec, req.customer_master_key_spec]
        .iter()
        .flatten()
        .any(|spec| KeySpec::parse(spec).is_some_and(|s| !s.is_symmetric()))
}

fn check_response(op: &str, resp: &Response<Bytes>) {
    let status = resp.status().as_u16();
    assert!(
        status == 200 || (400..500).contains(&status),
        "{op} answered {status}: {}",
        String::from_utf8_lossy(resp.body())
    );
    let body: serde_json::Value =
        serde_json::from_slice(resp.body()).expect("every answer is JSON");
    if status != 200 {
        assert!(
            body.get("__type").is_some_and(serde_json::Value::is_string),
            "an error names its type: {body}"
        );
    }
}

/// Splits a `kms_requests` input into (caller, operation, body) triples.
pub fn parse_requests(data: &[u8]) -> Vec<(String, String, &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < MAX_REQUESTS && !rest.is_empty() {
        let (request, tail) = match rest.windows(5).position(|w| w == b"\n---\n") {
            Some(at) => (&rest[..at], &rest[at + 5..]),
            None => (rest, &[][..]),
        };
        rest = tail;
        let (line, body) = match request.iter().position(|&b| b == b'\n') {
            Some(at) => (&request[..at], &request[at + 1..]),
            None => (request, &[][..]),
        };
        let line = String::from_utf8_lossy(line);
        let (who, op) = match line.trim().split_once(' ') {
            Some((who, op)) => (who.to_owned(), op.trim().to_owned()),
            None => ("admin".to_owned(), line.trim().to_owned()),
        };
        out.push((who, op, body));
    }
    out
}

/// Runs one `kms_requests` input.
pub fn requests(data: &[u8]) {
    let requests = parse_requests(data);
    if requests.is_empty() {
        return;
    }
    let lab = Lab::new();
    for (who, op, body) in requests {
        if generates_rsa_key(&op, body) {
            continue;
        }
        if let Some(resp) = lab.call(&who, &op, body) {
            check_response(&op, &resp);
        }
    }
}

/// Runs one `kms_blob` input.
pub fn blob(data: &[u8]) {
    if let Ok(header) = blob::parse_header(data) {
        let id = uuid_bytes::format(&header.key_id);
        assert_eq!(uuid_bytes::parse(&id), Some(header.key_id));
        let _ = hex::encode(header.material_id);
    }
    let _ = blob::open(data, &[7; 32], &EncryptionContext::new());

    // Decrypt and ReEncrypt change nothing but the audit trail (and the random stream, which they
    // only use for new nonces), so one lab serves many inputs: a new lab every input would cost
    // more than the calls themselves.
    thread_local! {
        static LAB: RefCell<(Option<Lab>, u32)> = const { RefCell::new((None, 0)) };
    }
    LAB.with(|cell| {
        let mut cached = cell.borrow_mut();
        let (slot, uses) = &mut *cached;
        if *uses >= BLOB_LAB_USES {
            *slot = None;
        }
        if slot.is_none() {
            *uses = 0;
        }
        *uses += 1;
        decrypt_blob(slot.get_or_insert_with(Lab::new), data);
    });
}

/// How many `kms_blob` inputs one lab serves before it is replaced (its audit trail grows).
const BLOB_LAB_USES: u32 = 4096;

fn decrypt_blob(lab: &Lab, data: &[u8]) {
    let admin = caller("admin").expect("the built-in admin");
    let decrypted = lab.kms.decrypt(
        &admin,
        DecryptRequest {
            ciphertext_blob: Some(Blob::new(data.to_vec())),
            ..DecryptRequest::default()
        },
    );
    let reencrypted = lab.kms.re_encrypt(
        &admin,
        ReEncryptRequest {
            ciphertext_blob: Some(Blob::new(data.to_vec())),
            destination_key_id: Some(ALIAS.to_owned()),
            ..ReEncryptRequest::default()
        },
    );
    for e in [decrypted.err(), reencrypted.err()].into_iter().flatten() {
        assert!((400..500).contains(&e.status()), "{e:?}");
    }
}

/// Computed seeds for both targets: requests that succeed against [`Lab::new`], and blobs it
/// made.
pub fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let lab = Lab::new();
    let encrypt = br#"{"KeyId":"alias/fuzz","Plaintext":"aGVsbG8sIGxhYg==","EncryptionContext":{"bucket":"lab","aws:s3:arn":"arn:aws:s3:::lab/a.txt"}}"#;
    let resp = lab.call("admin", "Encrypt", encrypt).expect("admin");
    let answer: serde_json::Value = serde_json::from_slice(resp.body()).expect("JSON");
    let ciphertext = answer["CiphertextBlob"]
        .as_str()
        .expect("a blob")
        .to_owned();
    let gdk = br#"{"KeyId":"alias/fuzz","KeySpec":"AES_256"}"#;
    let resp = lab.call("admin", "GenerateDataKey", gdk).expect("admin");
    let answer: serde_json::Value = serde_json::from_slice(resp.body()).expect("JSON");
    let data_key_blob = answer["CiphertextBlob"]
        .as_str()
        .expect("a blob")
        .to_owned();
    let raw = |b64: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64")
    };
    let key = &lab.key_id;
    let text = |s: String| s.into_bytes();
    vec![
        (
            "kms_requests",
            "encrypt-decrypt".to_owned(),
            text(format!(
                "Encrypt\n{}\n---\nDecrypt\n{{\"CiphertextBlob\":\"{ciphertext}\",\"EncryptionContext\":{{\"bucket\":\"lab\",\"aws:s3:arn\":\"arn:aws:s3:::lab/a.txt\"}}}}",
                String::from_utf8_lossy(encrypt)
            )),
        ),
        (
            "kms_requests",
            "generate-data-key-reencrypt".to_owned(),
            text(format!(
                "GenerateDataKey\n{}\n---\nReEncrypt\n{{\"CiphertextBlob\":\"{data_key_blob}\",\"DestinationKeyId\":\"{key}\"}}",
                String::from_utf8_lossy(gdk)
            )),
        ),
        (
            "kms_requests",
            "reader-second-lock".to_owned(),
            text(format!(
                "reader DescribeKey\n{{\"KeyId\":\"{ALIAS}\"}}\n---\nreader Decrypt\n{{\"CiphertextBlob\":\"{data_key_blob}\"}}"
            )),
        ),
        (
            "kms_requests",
            "create-key-policy-alias".to_owned(),
            text(format!(
                "CreateKey\n{{\"Description\":\"second\",\"KeyUsage\":\"ENCRYPT_DECRYPT\",\"Tags\":[{{\"TagKey\":\"a\",\"TagValue\":\"b\"}}]}}\n---\nPutKeyPolicy\n{{\"KeyId\":\"{key}\",\"PolicyName\":\"default\",\"Policy\":\"{{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{{\\\"AWS\\\":\\\"arn:aws:iam::111122223333:root\\\"}},\\\"Action\\\":\\\"kms:*\\\",\\\"Resource\\\":\\\"*\\\"}}]}}\"}}\n---\nUpdateAlias\n{{\"AliasName\":\"{ALIAS}\",\"TargetKeyId\":\"{key}\"}}\n---\nListAliases\n{{\"Limit\":2}}"
            )),
        ),
        (
            "kms_requests",
            "rotation-and-deletion".to_owned(),
            text(format!(
                "EnableKeyRotation\n{{\"KeyId\":\"{key}\",\"RotationPeriodInDays\":90}}\n---\nRotateKeyOnDemand\n{{\"KeyId\":\"{key}\"}}\n---\nListKeyRotations\n{{\"KeyId\":\"{key}\"}}\n---\nDisableKey\n{{\"KeyId\":\"{key}\"}}\n---\nScheduleKeyDeletion\n{{\"KeyId\":\"{key}\",\"PendingWindowInDays\":7}}\n---\nCancelKeyDeletion\n{{\"KeyId\":\"{key}\"}}"
            )),
        ),
        (
            "kms_requests",
            "random-and-lists".to_owned(),
            text(
                "GenerateRandom\n{\"NumberOfBytes\":32}\n---\nListKeys\n{}\n---\nGetKeyRotationStatus\n{\"KeyId\":\"alias/fuzz\"}\n---\nGenerateDataKeyWithoutPlaintext\n{\"KeyId\":\"alias/fuzz\",\"NumberOfBytes\":16}"
                    .to_owned(),
            ),
        ),
        ("kms_blob", "encrypt-with-context".to_owned(), raw(&ciphertext)),
        ("kms_blob", "data-key".to_owned(), raw(&data_key_blob)),
    ]
}
