//! `client-side`: Encrypt locally with a raw AES key or a KMS keyring, the envelope in metadata,
//! lost and tampered.
//!
//! The encryption is `s3lab-cse` (byte-compatible with the Amazon S3 Encryption Client, V3 by
//! default), driven with the lab's seeded entropy so the transcript is the same on every run. The
//! crate encrypts in memory; the scenario sends the PUT and the GET itself, so the learner sees
//! exactly what S3 received and returned.

use std::sync::{Arc, Mutex};

use s3lab_cse::keyring::BoxFuture;
use s3lab_cse::{
    content_key, CseClient, CseConfig, CseError, EncryptedObject, GeneratedDataKey, HttpKms,
    Keyring, KmsApi, KmsKeyring, Location, RawAesKeyring, StringMap,
};
use s3lab_transcript::{Event, Transport};
use zeroize::Zeroizing;

use crate::error::ScenarioError;
use crate::script::{json_body, Req, Script};
use crate::{Scenario, Topic};

use super::common::{
    create_bucket_quietly, data_files_revealing, event_reveals, expect_ok, header_or_none,
    last_event,
};

pub const SCENARIO: Scenario = Scenario {
    id: "client-side",
    title: "Client-side encryption: S3 only sees ciphertext",
    topic: Topic::ClientSide,
    summary: "Encrypt locally with a raw AES key or a KMS keyring, the envelope in metadata, lost and tampered",
    claims: &["cse-1", "cse-2", "cse-3", "cse-4", "transit-1"],
    script,
};

const BUCKET: &str = "cse-demo";
const OBJECT: &str = "records/patient-4711.txt";
const KMS_OBJECT: &str = "records/patient-4712.txt";
const PLAINTEXT: &str = "Patient 4711: allergic to penicillin. Next visit 12 March.";
const KMS_PLAINTEXT: &str = "Patient 4712: blood type O negative. Next visit 3 April.";
const ADMIN_ARN: &str = "arn:aws:iam::111122223333:user/admin";

/// The lab's KMS over HTTPS, as the CSE client calls it, keeping every plaintext data key it
/// hands out so the scenario can prove none of them reaches S3 or the transcript.
struct KeepingKms {
    inner: HttpKms,
    data_keys: Mutex<Vec<Zeroizing<Vec<u8>>>>,
}

impl KeepingKms {
    fn keep(&self, key: &[u8]) {
        if let Ok(mut keys) = self.data_keys.lock() {
            keys.push(Zeroizing::new(key.to_vec()));
        }
    }

    fn data_keys(&self) -> Vec<Zeroizing<Vec<u8>>> {
        self.data_keys.lock().map(|k| k.clone()).unwrap_or_default()
    }
}

impl KmsApi for KeepingKms {
    fn generate_data_key<'a>(
        &'a self,
        key_id: &'a str,
        context: &'a StringMap,
    ) -> BoxFuture<'a, s3lab_cse::Result<GeneratedDataKey>> {
        Box::pin(async move {
            let generated = self.inner.generate_data_key(key_id, context).await?;
            self.keep(&generated.plaintext);
            Ok(generated)
        })
    }

    fn decrypt<'a>(
        &'a self,
        key_id: Option<&'a str>,
        blob: &'a [u8],
        context: &'a StringMap,
    ) -> BoxFuture<'a, s3lab_cse::Result<Zeroizing<Vec<u8>>>> {
        Box::pin(async move {
            let plaintext = self.inner.decrypt(key_id, blob, context).await?;
            self.keep(&plaintext);
            Ok(plaintext)
        })
    }
}

fn lab_error(what: &str) -> impl FnOnce(CseError) -> ScenarioError + '_ {
    move |e| ScenarioError::lab(format!("{what}: {e}"))
}

/// The PUT a client sends for an encrypted object: the envelope as `x-amz-meta-*` headers.
fn put_encrypted(key: &str, object: &EncryptedObject, body: Vec<u8>) -> Req {
    let mut req = Req::put(format!("/{BUCKET}/{key}"));
    for (name, value) in object.headers() {
        req = req.header(name, value);
    }
    req.header("content-type", "application/octet-stream")
        .body(body)
}

fn wire_text(s: &Script<'_>) -> String {
    last_event(s, |e| match e {
        Event::WireTap(t) => Some(t.summary.join("\n")),
        _ => None,
    })
    .unwrap_or_default()
}

fn last_of_kind(s: &Script<'_>, kind: &str) -> Option<Event> {
    last_event(s, |e| (e.kind() == kind).then(|| e.clone()))
}

fn yes_no(found: bool, yes: &str, no: &str) -> String {
    if found { yes } else { no }.to_owned()
}

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    let entropy = s.lab().env().entropy.clone();
    let empty = StringMap::new();

    s.step("A master key that never leaves this machine");
    s.note_claims(
        "Client-side encryption happens before anything is sent: your program holds the master \
         key, makes a fresh data key for each object, encrypts the object with it, and wraps \
         the data key with the master key. Here the master key is a raw 256-bit AES key the \
         lab draws from its seeded generator; it is not shown, because nothing outside this \
         program ever sees it. The client is `s3lab-cse`, which writes the format of the \
         Amazon S3 Encryption Client: V3 by default (AES-256-GCM with a key derived by \
         HKDF-SHA512 and a key commitment).",
        &["cse-2"],
    );
    create_bucket_quietly(s, BUCKET)?;
    let master: [u8; 32] = entropy.array();
    s.remember_secret(&master);
    let client = CseClient::new(
        Keyring::RawAes(RawAesKeyring::new(master)),
        CseConfig::default(),
        entropy.clone(),
    )
    .map_err(lab_error("the CSE client"))?;
    let lab = s.lab();
    let object = lab
        .block_on(client.encrypt(PLAINTEXT.as_bytes(), &empty, Location::ObjectMetadata))
        .map_err(lab_error("encrypt"))?;
    let data_key = lab
        .block_on(client.keyring.unwrap(&object.envelope, &empty, false))
        .map_err(lab_error("unwrap the data key"))?;
    s.remember_secret(data_key.as_ref());
    s.check_eq(
        "encrypted here: the body is the ciphertext and a 16-byte tag",
        PLAINTEXT.len() + 16,
        object.body.len(),
        &["cse-1"],
    );
    s.check_eq(
        "the client wrote the V3 format",
        "115",
        object
            .metadata
            .get("x-amz-c")
            .map_or("(none)", String::as_str),
        &["cse-2"],
    );

    s.step("PUT the ciphertext (over plain HTTP, to watch the wire)");
    s.note_claims(
        "The PUT carries the ciphertext as its body and the envelope as user metadata: \
         `x-amz-c: 115` names the V3 algorithm suite, `x-amz-3` is the data key wrapped by \
         your master key, `x-amz-w: 02` says it was wrapped with AES-GCM (a raw AES key), \
         `x-amz-i` is the 28-byte message id that salts the key derivation and `x-amz-d` the \
         key commitment. It goes over plain HTTP on purpose, to see what client-side \
         encryption alone protects in transit: the body is ciphertext on the wire too, but \
         the object's name and its metadata are readable. Use HTTPS as well.",
        &["cse-1", "transit-1"],
    );
    let put = s.send(
        put_encrypted(OBJECT, &object, object.body.clone())
            .http()
            .tapped(),
    )?;
    s.check_status("S3 stored it", &put, 200, "", &["cse-1"]);
    let wire = wire_text(s);
    s.check(
        "the eavesdropper saw only ciphertext",
        !wire.contains("allergic"),
        "no word of the plaintext on the wire",
        yes_no(
            wire.contains("allergic"),
            "the plaintext is on the wire",
            "no word of the plaintext on the wire",
        ),
        &["transit-1", "cse-1"],
    );
    s.check(
        "but the envelope and the name were readable",
        wire.contains("x-amz-meta-x-amz-3:") && wire.contains(OBJECT),
        "x-amz-meta-x-amz-3 and the object's name on the wire",
        yes_no(
            wire.contains("x-amz-meta-x-amz-3:"),
            "both readable",
            "not found",
        ),
        &["transit-1"],
    );
    let exchange = last_of_kind(s, "Exchange");
    let tap = last_of_kind(s, "WireTap");
    let mut leaks = Vec::new();
    for (what, key) in [("master key", &master[..]), ("data key", &data_key[..])] {
        for (place, event) in [("request", &exchange), ("wire", &tap)] {
            if event.as_ref().is_some_and(|e| event_reveals(e, key)) {
                leaks.push(format!("the {what} in the {place}"));
            }
        }
    }
    s.check(
        "no key in the request or on the wire",
        leaks.is_empty(),
        "neither the master key nor the data key, raw, hex or base64",
        if leaks.is_empty() {
            "neither key found".to_owned()
        } else {
            leaks.join(", ")
        },
        &["cse-3"],
    );
    s.check_eq(
        "S3 added its own SSE-S3 layer on top",
        "AES256",
        header_or_none(&put, "x-amz-server-side-encryption"),
        &[],
    );

    s.step("What S3 holds");
    s.note_claims(
        "On S3's disk the blob is your ciphertext, encrypted once more by S3 (SSE-S3, the \
         default since 2023). The metadata file holds the envelope in plaintext, as any user \
         metadata. Neither key is anywhere in S3's data folder: S3 could decrypt its own layer, \
         and would find only your ciphertext.",
        &["cse-1", "cse-3"],
    );
    let stored = s.at_rest(BUCKET, OBJECT)?;
    s.check(
        "the envelope is stored as plain user metadata",
        stored.metadata_json.contains("\"x-amz-c\": \"115\""),
        "\"x-amz-c\": \"115\" in the metadata file",
        yes_no(
            stored.metadata_json.contains("\"x-amz-c\": \"115\""),
            "found",
            "not found",
        ),
        &["cse-1"],
    );
    let mut on_disk = Vec::new();
    for (what, key) in [("master key", &master[..]), ("data key", &data_key[..])] {
        for file in data_files_revealing(s.lab(), key)? {
            on_disk.push(format!("the {what} in {file}"));
        }
    }
    s.check(
        "no key anywhere in S3's data folder",
        on_disk.is_empty(),
        "neither key, raw, hex or base64, in any file",
        if on_disk.is_empty() {
            "neither key found".to_owned()
        } else {
            on_disk.join(", ")
        },
        &["cse-3"],
    );

    s.step("GET returns the ciphertext; decrypt it here");
    s.note_claims(
        "A plain GET is all S3 can do: it removes its own SSE-S3 layer and returns exactly \
         the bytes your client sent, ciphertext and envelope. Anyone allowed to read the object \
         gets the same. Only the client with the master key can go further: it unwraps the \
         data key, checks the key commitment, verifies the GCM tag and decrypts.",
        &["cse-1", "cse-2"],
    );
    let get = s.send(Req::get(format!("/{BUCKET}/{OBJECT}")))?;
    s.check(
        "S3 returns the ciphertext it was given",
        get.body == object.body,
        "the bytes the client sent",
        yes_no(get.body == object.body, "the same bytes", "different bytes"),
        &["cse-1"],
    );
    let metadata = s3lab_cse::metadata::from_headers(&get.headers);
    let decrypted = lab
        .block_on(client.decrypt(&metadata, None, &get.body, &empty))
        .map_err(lab_error("decrypt"))?;
    let decrypted = String::from_utf8_lossy(&decrypted).into_owned();
    s.note(format!(
        "Decrypted here with the master key: \"{decrypted}\""
    ));
    s.check_eq(
        "decrypted locally",
        PLAINTEXT,
        decrypted,
        &["cse-1", "cse-2"],
    );

    s.step("The same with a KMS keyring");
    s.note_claims(
        "Instead of a raw key, the master key can be a KMS key (created quietly here). It never \
         leaves KMS; the client calls KMS itself, over HTTPS: GenerateDataKey returns a fresh data key in plaintext and \
         wrapped, with `aws:x-amz-cek-alg` in the encryption context binding it to the V3 \
         suite. That call is the client's own: the audit record names you as the caller and \
         has no `invokedBy` (S3 is not involved). With a KMS keyring the master key does live \
         in AWS, so the seed's \"master keys are never sent to AWS\" is about keys you hold \
         yourself, like the raw key above.",
        &["cse-2", "cse-3"],
    );
    let created = s.quietly(Req::kms(
        "CreateKey",
        serde_json::json!({"Description": "client-side encryption master key"}),
    ))?;
    expect_ok(created.clone(), "create a KMS key")?;
    let key_id = json_body(&created)
        .pointer("/KeyMetadata/Arn")
        .and_then(|v| v.as_str())
        .ok_or_else(|| ScenarioError::lab("CreateKey returned no key ARN"))?
        .to_owned();
    let mut kms_http = HttpKms::new(
        s.lab().endpoint(Transport::Https).clone(),
        s.lab().signing(Some("admin"))?,
    );
    kms_http.clock = s.lab().env().clock.clone();
    let kms = Arc::new(KeepingKms {
        inner: kms_http,
        data_keys: Mutex::new(Vec::new()),
    });
    let kms_client = CseClient::new(
        Keyring::Kms(KmsKeyring::new(kms.clone(), Some(key_id.clone()))),
        CseConfig::default(),
        entropy.clone(),
    )
    .map_err(lab_error("the CSE client"))?;
    let kms_object = lab
        .block_on(kms_client.encrypt(KMS_PLAINTEXT.as_bytes(), &empty, Location::ObjectMetadata))
        .map_err(lab_error("encrypt with KMS"))?;
    let calls = s.kms_calls();
    let generate = calls.iter().find(|c| c.event_name == "GenerateDataKey");
    s.check(
        "the client itself called GenerateDataKey",
        generate.is_some_and(|c| c.caller == ADMIN_ARN && c.invoked_by.is_none()),
        format!("caller {ADMIN_ARN}, no invokedBy"),
        generate.map_or("no GenerateDataKey record".to_owned(), |c| {
            format!(
                "caller {}, invokedBy {}",
                c.caller,
                c.invoked_by.as_deref().unwrap_or("(none)")
            )
        }),
        &["cse-2"],
    );
    s.check_eq(
        "the context binds the data key to the V3 suite",
        "115",
        generate
            .and_then(|c| c.encryption_context.get("aws:x-amz-cek-alg"))
            .map_or("(none)", String::as_str),
        &["cse-2"],
    );
    let put = s.send(put_encrypted(
        KMS_OBJECT,
        &kms_object,
        kms_object.body.clone(),
    ))?;
    s.check_status("S3 stored it", &put, 200, "", &["cse-1"]);
    s.check_eq(
        "the envelope says KMS wrapped the data key (x-amz-w: 12)",
        "12",
        kms_object
            .metadata
            .get("x-amz-w")
            .map_or("(none)", String::as_str),
        &["cse-2"],
    );
    let get = s.send(Req::get(format!("/{BUCKET}/{KMS_OBJECT}")))?;
    let metadata = s3lab_cse::metadata::from_headers(&get.headers);
    let decrypted = lab
        .block_on(kms_client.decrypt(&metadata, None, &get.body, &empty))
        .map_err(lab_error("decrypt with KMS"))?;
    let calls = s.kms_calls();
    let decrypt = calls.iter().find(|c| c.event_name == "Decrypt");
    s.check(
        "to read, the client itself called Decrypt",
        decrypt.is_some_and(|c| c.caller == ADMIN_ARN && c.invoked_by.is_none()),
        format!("caller {ADMIN_ARN}, no invokedBy"),
        decrypt.map_or("no Decrypt record".to_owned(), |c| {
            format!(
                "caller {}, invokedBy {}",
                c.caller,
                c.invoked_by.as_deref().unwrap_or("(none)")
            )
        }),
        &["cse-2"],
    );
    s.check_eq(
        "decrypted locally",
        KMS_PLAINTEXT,
        String::from_utf8_lossy(&decrypted),
        &["cse-1"],
    );
    let kms_keys = kms.data_keys();
    for k in &kms_keys {
        s.remember_secret(k);
    }
    let mut leaked = Vec::new();
    for k in &kms_keys {
        leaked.extend(data_files_revealing(s.lab(), k)?);
    }
    s.check(
        "the KMS data key is nowhere in S3's data folder",
        !kms_keys.is_empty() && leaked.is_empty(),
        "not in any file",
        if leaked.is_empty() {
            "not in any file".to_owned()
        } else {
            leaked.join(", ")
        },
        &["cse-3"],
    );

    s.step("Lose the master key, lose the data");
    let other: [u8; 32] = entropy.array();
    s.remember_secret(&other);
    let stranger = CseClient::new(
        Keyring::RawAes(RawAesKeyring::new(other)),
        CseConfig::default(),
        entropy.clone(),
    )
    .map_err(lab_error("the CSE client"))?;
    let refused = lab
        .block_on(stranger.decrypt(&object.metadata, None, &object.body, &empty))
        .err();
    let guess: [u8; 32] = entropy.array();
    s.remember_secret(&guess);
    let guessed = content_key(&object.envelope, &guess).err();
    s.note_claims(
        format!(
            "Everything S3 holds is not enough without the master key. With another AES key \
             the client refuses: \"{}\". Guessing the data key instead does not work either, \
             and V3 tells at once, before decrypting a byte: \"{}\". No service can help: S3 \
             and AWS never had the key. (With a KMS keyring, the same happens once the KMS \
             key is deleted: nothing can unwrap the data keys any more.)",
            refused
                .as_ref()
                .map_or("(it decrypted!)".to_owned(), ToString::to_string),
            guessed
                .as_ref()
                .map_or("(it decrypted!)".to_owned(), ToString::to_string),
        ),
        &["cse-4"],
    );
    s.check(
        "another master key cannot unwrap the data key",
        matches!(refused, Some(CseError::UnwrapFailed { .. })),
        "refused: the master key could not unwrap the data key",
        refused.map_or("decrypted".to_owned(), |e| e.to_string()),
        &["cse-4"],
    );
    s.check(
        "a guessed data key fails the key commitment",
        matches!(guessed, Some(CseError::CommitmentMismatch)),
        "refused: the key commitment does not match",
        guessed.map_or("decrypted".to_owned(), |e| e.to_string()),
        &["cse-4"],
    );

    s.step("A tampered object is detected");
    s.note(
        "Someone with write access to the bucket replaces the object with the same envelope and \
         one bit of the ciphertext flipped. S3 cannot notice: it never had the key. The client \
         does, when it checks the AES-GCM tag, and releases nothing.",
    );
    let mut flipped = object.body.clone();
    flipped[0] ^= 0x01;
    let put = s.send(put_encrypted(OBJECT, &object, flipped))?;
    s.check_status("S3 accepts the tampered object", &put, 200, "", &[]);
    let get = s.quietly(Req::get(format!("/{BUCKET}/{OBJECT}")))?;
    let metadata = s3lab_cse::metadata::from_headers(&get.headers);
    let tampered = lab
        .block_on(client.decrypt(&metadata, None, &get.body, &empty))
        .err();
    s.note(format!(
        "The client with the right master key refuses it: \"{}\"",
        tampered
            .as_ref()
            .map_or("(it decrypted!)".to_owned(), ToString::to_string)
    ));
    s.check(
        "decryption fails authentication",
        matches!(tampered, Some(CseError::AuthenticationFailed)),
        "refused: the AES-GCM tag does not verify",
        tampered.map_or("decrypted".to_owned(), |e| e.to_string()),
        &["cse-2"],
    );
    Ok(())
}
