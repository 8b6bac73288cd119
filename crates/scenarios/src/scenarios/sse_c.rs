//! `sse-c`: Your key on every request over HTTPS, only a salted HMAC at rest, the 2026 block.

use base64::Engine as _;
use md5::Digest as _;
use s3lab_s3::encryption::StoredEncryption;
use s3lab_transcript::Event;

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    create_bucket_quietly, data_files_revealing, encryption_config, event_reveals, header_or_none,
    last_event,
};

pub const SCENARIO: Scenario = Scenario {
    id: "sse-c",
    title: "SSE-C: keys the customer provides",
    topic: Topic::SseC,
    summary: "Your key on every request over HTTPS, only a salted HMAC at rest, the 2026 block",
    claims: &["sse-c-1", "sse-c-2", "sse-c-3"],
    script,
};

const BUCKET: &str = "sse-c-demo";
const OBJECT: &str = "payroll.csv";
const BODY: &str = "name,salary\nAda,123000\nGrace,125000\n";

const ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
const KEY: &str = "x-amz-server-side-encryption-customer-key";
const KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-MD5";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The three SSE-C headers for `key`: algorithm, key and the MD5 of the raw key, all base64.
fn with_key(req: Req, key: &[u8; 32]) -> Req {
    req.header(ALGORITHM, "AES256")
        .header(KEY, B64.encode(key))
        .header(KEY_MD5, key_md5(key))
}

fn key_md5(key: &[u8]) -> String {
    B64.encode(md5::Md5::digest(key))
}

fn object_path() -> String {
    format!("/{BUCKET}/{OBJECT}")
}

fn found_or_nowhere(files: &[String]) -> String {
    if files.is_empty() {
        "nowhere".into()
    } else {
        files.join(", ")
    }
}

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    let entropy = s.lab().env().entropy.clone();
    let key: [u8; 32] = entropy.array();
    s.remember_secret(&key);

    s.step("A 256-bit key, made on your machine");
    s.note_claims(
        "With SSE-C you own the key: you generate it, you keep it, and you send it with every \
         request that writes or reads the object. S3 does the encryption (AES-256) and forgets \
         the key. Here the lab draws 32 random bytes from its seeded generator, as you would \
         with `head -c 32 /dev/urandom`.",
        &["sse-c-1", "sse-c-2"],
    );
    s.secret(
        "SSE-C customer key (256 bits)",
        &key,
        "shown only because this is a lesson: a real key never appears on a screen or in a \
         log. Every request below that carries it is marked as showing it on purpose.",
    );

    s.step("Since April 2026, a new bucket refuses SSE-C");
    create_bucket_quietly(s, BUCKET)?;
    s.note_claims(
        "The bucket was just created. Since April 2026 Amazon S3 blocks SSE-C on every new \
         general purpose bucket: its encryption configuration lists SSE-C under \
         `BlockedEncryptionTypes`, and a write that carries an SSE-C key is refused with 403 \
         AccessDenied. The seed predates this: SSE-C now has to be allowed first.",
        &["sse-c-3"],
    );
    let config = s.send(Req::get(format!("/{BUCKET}?encryption")))?;
    s.check(
        "a new bucket blocks SSE-C",
        config
            .text()
            .contains("<EncryptionType>SSE-C</EncryptionType>"),
        "BlockedEncryptionTypes lists SSE-C",
        if config.text().contains("SSE-C") {
            "it lists SSE-C"
        } else {
            "it does not list SSE-C"
        },
        &["sse-c-3"],
    );
    let blocked = s.send(
        with_key(Req::put(object_path()), &key)
            .body(BODY)
            .showing_secret(),
    )?;
    s.check_status(
        "an SSE-C upload to the new bucket is refused",
        &blocked,
        403,
        "AccessDenied",
        &["sse-c-3"],
    );
    let message = blocked.element("Message");
    s.check(
        "S3 says why: the bucket blocks SSE-C",
        message.contains(
            "because this bucket has blocked upload requests that specify Server Side \
             Encryption with Customer provided keys (SSE-C)",
        ),
        "\"... because this bucket has blocked upload requests that specify Server Side \
         Encryption with Customer provided keys (SSE-C) ...\"",
        message,
        &["sse-c-3"],
    );

    s.step("Allow SSE-C on this bucket");
    s.note_claims(
        "PutBucketEncryption with `BlockedEncryptionTypes` set to NONE lifts the block for this \
         bucket (it needs `s3:PutEncryptionConfiguration`). The default encryption stays SSE-S3 \
         for writes that bring no key of their own. Prefer SSE-S3 or SSE-KMS unless you really \
         must hold the key yourself: that is why AWS turned SSE-C off by default.",
        &["sse-c-3"],
    );
    let body = encryption_config("AES256", None, false);
    let allow = s.send(
        Req::put(format!("/{BUCKET}?encryption"))
            .header("content-md5", B64.encode(md5::Md5::digest(body.as_bytes())))
            .body(body),
    )?;
    s.check_status("the bucket now allows SSE-C", &allow, 200, "", &["sse-c-3"]);

    s.step("Upload over HTTPS with your key");
    let md5 = key_md5(&key);
    s.note_claims(
        format!(
            "The request carries three headers: the algorithm (`AES256`), the key itself in \
             base64, and the MD5 of the raw key ({md5}) so that S3 can tell a key damaged on \
             the way. S3 encrypts the object with AES-256 and answers with the algorithm and \
             the same MD5, never the key. There is no `x-amz-server-side-encryption` header: \
             that one is for SSE-S3 and SSE-KMS."
        ),
        &["sse-c-1", "sse-c-2"],
    );
    let put = s.send(
        with_key(Req::put(object_path()), &key)
            .header("content-type", "text/csv")
            .body(BODY)
            .showing_secret(),
    )?;
    s.check_status("the upload succeeded", &put, 200, "", &["sse-c-2"]);
    s.check_eq(
        "S3 confirms the algorithm",
        "AES256",
        header_or_none(&put, ALGORITHM),
        &["sse-c-2"],
    );
    s.check_eq(
        "S3 echoes the MD5 of your key, not the key",
        &md5,
        header_or_none(&put, KEY_MD5),
        &["sse-c-1"],
    );
    s.check_eq(
        "and no server-side-encryption header",
        "(none)",
        header_or_none(&put, "x-amz-server-side-encryption"),
        &["sse-c-1"],
    );

    s.step("At rest: ciphertext and a salted HMAC of the key");
    s.note_claims(
        "The blob is ciphertext. The metadata file keeps, besides the plain metadata, a random \
         salt and an HMAC-SHA256 of your key under that salt: enough for S3 to recognise your \
         key the next time, and useless to find it (AWS stores \"a randomly salted HMAC\" in \
         the same way). How S3 uses your key inside is not published; the lab encrypts a \
         per-object data key under your key and keeps only that wrapped data key.",
        &["sse-c-1", "sse-c-2"],
    );
    let stored = s.at_rest(BUCKET, OBJECT)?;
    let leaked = stored.blob_contains(BODY.as_bytes());
    s.check(
        "the blob on disk is ciphertext",
        !leaked,
        "the plaintext does not appear in the blob",
        if leaked {
            "the plaintext is in the blob"
        } else {
            "the plaintext is not in the blob"
        },
        &["sse-c-2"],
    );
    let recognises = match &stored.encryption {
        Some(StoredEncryption::SseC {
            customer_key_hmac, ..
        }) => customer_key_hmac.matches(&key),
        _ => false,
    };
    s.check(
        "the stored salted HMAC recognises your key",
        recognises,
        "HMAC-SHA256(salt, your key) equals the stored hmac",
        if recognises { "it does" } else { "it does not" },
        &["sse-c-1"],
    );
    let (meta_path, blobs) = s
        .lab()
        .app()
        .s3()
        .object_paths(BUCKET, OBJECT)
        .map_err(|e| ScenarioError::lab(format!("no object {BUCKET}/{OBJECT}: {e:?}")))?;
    let mut in_files = Vec::new();
    for path in meta_path.iter().chain(blobs.iter()) {
        let bytes = std::fs::read(path)
            .map_err(|e| ScenarioError::lab(format!("{}: {e}", path.display())))?;
        if s3lab_cse::lessons::contains_secret(&bytes, &key) {
            in_files.push(path.display().to_string());
        }
    }
    s.check(
        "your key is in none of the object's files",
        in_files.is_empty(),
        "not raw, not as hex, not as base64",
        if in_files.is_empty() {
            "not found in the blob or the metadata file".to_owned()
        } else {
            in_files.join(", ")
        },
        &["sse-c-1"],
    );

    s.step("Reading needs the same key, every time");
    s.note_claims(
        "Without the key, S3 answers 400 InvalidRequest; with another key, 403 AccessDenied (the \
         salted HMAC does not match); with the right key, S3 decrypts and returns the \
         plaintext, echoing the key's MD5.",
        &["sse-c-1", "sse-c-2"],
    );
    let no_key = s.send(Req::get(object_path()))?;
    s.check_status(
        "GET without the key",
        &no_key,
        400,
        "InvalidRequest",
        &["sse-c-1"],
    );
    s.check_eq(
        "S3's message without the key",
        "The object was stored using a form of Server Side Encryption. The correct parameters \
         must be provided to retrieve the object.",
        no_key.element("Message"),
        &["sse-c-1"],
    );
    let other: [u8; 32] = entropy.array();
    s.remember_secret(&other);
    let wrong = s.send(with_key(Req::get(object_path()), &other).showing_secret())?;
    s.check_status(
        "GET with another key",
        &wrong,
        403,
        "AccessDenied",
        &["sse-c-1"],
    );
    s.check_eq(
        "S3's message for another key",
        "Requests specifying Server Side Encryption with Customer provided keys must provide \
         the correct secret key.",
        wrong.element("Message"),
        &["sse-c-1"],
    );
    let right = s.send(with_key(Req::get(object_path()), &key).showing_secret())?;
    s.check_status("GET with your key", &right, 200, "", &["sse-c-1"]);
    s.check_eq(
        "S3 decrypts it for you",
        BODY,
        right.text(),
        &["sse-c-1", "sse-c-2"],
    );

    s.step("Over plain HTTP, S3 refuses SSE-C");
    let burned: [u8; 32] = entropy.array();
    s.remember_secret(&burned);
    s.note_claims(
        "Over plain HTTP the key would cross the network in clear, so S3 refuses any SSE-C \
         request that is not over HTTPS, with 400. Too late, though: the eavesdropper below \
         read the request, key included. AWS's advice is to treat a key sent over HTTP as \
         compromised, so this step uses a throwaway key, now burned.",
        &["sse-c-3"],
    );
    let http = s.send(
        with_key(Req::put(format!("/{BUCKET}/over-http.csv")), &burned)
            .body(BODY)
            .http()
            .tapped()
            .showing_secret(),
    )?;
    s.check_status(
        "SSE-C over HTTP is refused",
        &http,
        400,
        "InvalidRequest",
        &["sse-c-3"],
    );
    s.check_eq(
        "S3's message over HTTP",
        "Requests specifying Server Side Encryption with Customer provided keys must be made \
         over a secure connection.",
        http.element("Message"),
        &["sse-c-3"],
    );
    let tap = last_event(s, |e| match e {
        Event::WireTap(_) => Some(e.clone()),
        _ => None,
    });
    let exposed = tap.as_ref().is_some_and(|t| event_reveals(t, &burned));
    s.check(
        "the eavesdropper read the key anyway",
        exposed,
        "the key, in base64, in the bytes on the wire",
        if exposed {
            "it is there, in the x-amz-server-side-encryption-customer-key header"
        } else {
            "not found on the wire"
        },
        &["sse-c-3"],
    );

    s.step("A lost key leaves nothing to recover");
    s.note_claims(
        "Suppose the key is lost. Without it, S3 gives nothing back: a GET fails (above), a \
         HEAD answers 400 with no body, and a copy of the object to a new name fails like the \
         GET. Nor does S3 hold the key anywhere: the whole data folder (objects, metadata, the \
         SSE-S3 root keys, the KMS state) is searched for it below. What S3 keeps is the \
         salted HMAC, which only says yes or no to a key you already have.",
        &["sse-c-1"],
    );
    let head = s.send(Req::head(object_path()))?;
    s.check_eq("HEAD without the key", 400, head.status, &["sse-c-1"]);
    let copy = s.send(
        Req::put(format!("/{BUCKET}/copy-of-{OBJECT}")).header("x-amz-copy-source", object_path()),
    )?;
    s.check_status(
        "a copy without the key",
        &copy,
        400,
        "InvalidRequest",
        &["sse-c-1"],
    );
    let anywhere = data_files_revealing(s.lab(), &key)?;
    s.check_eq(
        "no file in S3's data folder holds your key",
        "nowhere",
        found_or_nowhere(&anywhere),
        &["sse-c-1"],
    );
    Ok(())
}
