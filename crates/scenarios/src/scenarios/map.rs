//! `map`: One PUT per mode, the response headers side by side, and who holds each key.
//!
//! Also home to two helpers the other overview scenarios share (`in-transit`,
//! `metadata-and-mixed`): an SSE-C key made from the lab's entropy, and a client-side encryption
//! done locally with a raw AES master key.

use base64::Engine as _;
use md5::Digest as _;
use s3lab_client::Response;
use s3lab_cse::{CseClient, CseConfig, EncryptedObject, Keyring, Location, RawAesKeyring};
use s3lab_s3::encryption::StoredEncryption;

use crate::error::ScenarioError;
use crate::script::{at_rest, Req, Script, Stored};
use crate::{Scenario, Topic};

use super::common::{allow_sse_c_quietly, create_bucket_quietly, header_or_none};

pub const SCENARIO: Scenario = Scenario {
    id: "map",
    title: "The map: who holds which key, and where encryption happens",
    topic: Topic::Overview,
    summary: "One PUT per mode, the response headers side by side, and who holds each key",
    claims: &[
        "overview-1",
        "sse-1",
        "sse-s3-1",
        "sse-kms-1",
        "sse-c-1",
        "sse-c-2",
        "cse-1",
        "cse-2",
    ],
    script,
};

const BUCKET: &str = "map-demo";
const BODY: &str = "Payroll, March: 42 people, 181250 USD in all.";

const SSE: &str = "x-amz-server-side-encryption";
const SSE_KMS_KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
const SSE_C_ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
const SSE_C_KEY: &str = "x-amz-server-side-encryption-customer-key";
const SSE_C_KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    s.step("One object, five ways to encrypt it");
    s.note_claims(
        "S3 offers three kinds of server-side encryption (SSE-S3, SSE-KMS and its two-layer \
         variant DSSE-KMS, and SSE-C) and works with a fourth way it never sees: client-side \
         encryption. The same text goes up five times below, over HTTPS, once per mode. Watch \
         two things: which headers the request sends, and which ones S3 answers with.",
        &["overview-1"],
    );
    s.note(
        "Set-up, not shown: the bucket `map-demo`, whose encryption configuration allows SSE-C \
         (since April 2026 new buckets refuse SSE-C until you allow it; see the sse-c scenario).",
    );
    create_bucket_quietly(s, BUCKET)?;
    allow_sse_c_quietly(s, BUCKET)?;

    // ----- SSE-S3 -----
    s.step("SSE-S3: S3 holds every key");
    s.note_claims(
        "`x-amz-server-side-encryption: AES256`. S3 makes a data key, encrypts the object with \
         it, and wraps the data key with a root key of its own. You never see either key.",
        &["sse-s3-1"],
    );
    let sse_s3 = s.send(
        Req::put(format!("/{BUCKET}/sse-s3.txt"))
            .header(SSE, "AES256")
            .body(BODY),
    )?;
    s.check_status("the SSE-S3 upload succeeded", &sse_s3, 200, "", &[]);
    s.check_eq(
        "S3 answers x-amz-server-side-encryption: AES256",
        "AES256",
        header_or_none(&sse_s3, SSE),
        &["sse-s3-1"],
    );

    // ----- SSE-KMS -----
    s.step("SSE-KMS: a KMS key wraps the data key");
    s.note_claims(
        "`x-amz-server-side-encryption: aws:kms`, with no key id, so S3 uses the AWS managed key \
         `aws/s3` (a \"KMS key\"; the seed's \"CMK\" is the name AWS dropped in 2021). S3 asks \
         KMS for a data key: the GenerateDataKey record below is that call, made by S3 on \
         behalf of the caller (the CreateKey before it is the first SSE-KMS write of the \
         account creating `aws/s3`). The answer names the KMS key by its ARN.",
        &["sse-kms-1"],
    );
    let sse_kms = s.send(
        Req::put(format!("/{BUCKET}/sse-kms.txt"))
            .header(SSE, "aws:kms")
            .body(BODY),
    )?;
    s.check_status("the SSE-KMS upload succeeded", &sse_kms, 200, "", &[]);
    s.check_eq(
        "S3 answers x-amz-server-side-encryption: aws:kms",
        "aws:kms",
        header_or_none(&sse_kms, SSE),
        &["sse-kms-1"],
    );
    let kms_arn = header_or_none(&sse_kms, SSE_KMS_KEY_ID);
    s.check(
        "and names the KMS key by its ARN",
        kms_arn.starts_with("arn:aws:kms:us-east-1:111122223333:key/"),
        "arn:aws:kms:us-east-1:111122223333:key/…",
        kms_arn.clone(),
        &["sse-kms-1"],
    );

    // ----- DSSE-KMS -----
    s.step("DSSE-KMS: two layers, one of them KMS");
    s.note(
        "`x-amz-server-side-encryption: aws:kms:dsse` (since June 2023, beyond the seed): the \
         object is encrypted twice, once under a data key from KMS and once under a data key \
         S3 wraps itself. Same KMS call, same answer headers, a different mode.",
    );
    let dsse = s.send(
        Req::put(format!("/{BUCKET}/dsse-kms.txt"))
            .header(SSE, "aws:kms:dsse")
            .body(BODY),
    )?;
    s.check_status("the DSSE-KMS upload succeeded", &dsse, 200, "", &[]);
    s.check_eq(
        "S3 answers x-amz-server-side-encryption: aws:kms:dsse",
        "aws:kms:dsse",
        header_or_none(&dsse, SSE),
        &[],
    );
    s.check_eq(
        "with the same KMS key",
        &kms_arn,
        header_or_none(&dsse, SSE_KMS_KEY_ID),
        &[],
    );

    // ----- SSE-C -----
    s.step("SSE-C: you hold the key, S3 does the encrypting");
    let key = SseCKey::generate(s);
    s.note_claims(
        "You make a 256-bit key and send it with the request, in three headers: the algorithm \
         (`AES256`), the key (base64), and the key's MD5 (base64) so S3 can tell it arrived \
         intact. S3 encrypts with it, keeps only a salted HMAC to recognise it later, and \
         forgets it. The key is shown here on purpose: it is what travels in the request, and \
         why SSE-C needs HTTPS.",
        &["sse-c-1", "sse-c-2"],
    );
    let sse_c = s.send(
        key.on(Req::put(format!("/{BUCKET}/sse-c.txt")).body(BODY))
            .showing_secret(),
    )?;
    s.check_status("the SSE-C upload succeeded", &sse_c, 200, "", &[]);
    s.check_eq(
        "S3 echoes the algorithm",
        "AES256",
        header_or_none(&sse_c, SSE_C_ALGORITHM),
        &["sse-c-1", "sse-c-2"],
    );
    s.check_eq(
        "and the key's MD5, never the key",
        &key.md5_b64,
        header_or_none(&sse_c, SSE_C_KEY_MD5),
        &["sse-c-1"],
    );
    s.check(
        "and no x-amz-server-side-encryption header",
        sse_c.header(SSE).is_none() && sse_c.header(SSE_C_KEY).is_none(),
        "neither x-amz-server-side-encryption nor the key in the answer",
        header_or_none(&sse_c, SSE),
        &["sse-c-1"],
    );

    // ----- client-side -----
    s.step("Client-side: encrypted before it leaves this machine");
    let cse = ClientSide::encrypt(s, BODY.as_bytes())?;
    s.note_claims(
        "This program encrypts the text itself with a 256-bit master key it holds (the S3 \
         Encryption Client's V3 format), then uploads ciphertext. The envelope travels as user \
         metadata: `x-amz-3` is the data key wrapped by the master key (`x-amz-w: 02`, \
         AES-GCM), `x-amz-c: 115` the content algorithm, `x-amz-i` and `x-amz-d` a message id \
         and a key commitment. S3 sees neither key, and, as for every write since 2023, adds \
         its own SSE-S3 layer on top: the answer says AES256.",
        &["cse-1", "cse-2"],
    );
    let cse_put = s.send(cse.put(format!("/{BUCKET}/client-side.bin")))?;
    s.check_status(
        "the upload of the ciphertext succeeded",
        &cse_put,
        200,
        "",
        &[],
    );
    s.check(
        "the request body is ciphertext, not the text",
        !contains(&cse.object.body, BODY.as_bytes()),
        "the text is not in the body sent",
        if contains(&cse.object.body, BODY.as_bytes()) {
            "the text is in the body"
        } else {
            "not in the body"
        },
        &["cse-1"],
    );
    s.check(
        "no key is in the request",
        !cse.reveals_a_key(),
        "neither the master key nor the data key in the body or metadata",
        if cse.reveals_a_key() {
            "a key is in the request"
        } else {
            "no key found"
        },
        &["cse-1", "cse-2"],
    );
    s.check_eq(
        "S3 adds SSE-S3 on top",
        "AES256",
        header_or_none(&cse_put, SSE),
        &[],
    );

    // ----- the map -----
    s.step("The map, side by side");
    let rows = [
        Row::new("SSE-S3", &["sse: AES256"], &sse_s3, &["S3"], &["S3"]),
        Row::new(
            "SSE-KMS",
            &["sse: aws:kms"],
            &sse_kms,
            &["KMS (aws/s3)"],
            &["S3"],
        ),
        Row::new(
            "DSSE-KMS",
            &["sse: aws:kms:dsse"],
            &dsse,
            &["KMS, and S3"],
            &["S3, twice"],
        ),
        Row::new(
            "SSE-C",
            &["c-algorithm", "c-key", "c-key-MD5"],
            &sse_c,
            &["you"],
            &["S3"],
        ),
        Row::new(
            "client-side",
            &["x-amz-meta-x-amz-*", "(the envelope)"],
            &cse_put,
            &["you"],
            &["this machine", "(then SSE-S3)"],
        ),
    ];
    s.note_claims(
        format!(
            "What each request sent, what S3 answered (its SSE headers, as received), who holds \
             the key that protects the data, and where the encrypting happens. `sse` stands for \
             `x-amz-server-side-encryption`, `c-` for `…-customer-`, `kms-key-id` for \
             `…-aws-kms-key-id`.\n\n{}",
            table(&rows)
        ),
        &["overview-1", "sse-s3-1", "sse-kms-1", "sse-c-1", "cse-2"],
    );

    // ----- at rest -----
    s.step("What S3 stored");
    let objects = [
        ("sse-s3.txt", "SSE-S3"),
        ("sse-kms.txt", "SSE-KMS"),
        ("dsse-kms.txt", "DSSE-KMS"),
        ("sse-c.txt", "SSE-C"),
        ("client-side.bin", "SSE-S3"),
    ];
    let mut stored = Vec::new();
    for (name, _) in objects {
        let (_, st) = at_rest(s.lab(), BUCKET, name)?;
        stored.push(st);
    }
    let lines: Vec<String> = objects
        .iter()
        .zip(&stored)
        .map(|((name, _), st)| format!("{name:<16} {:<10} {}", st.mode(), kept(st)))
        .collect();
    s.note_claims(
        format!(
            "The metadata file beside each blob says how the object was encrypted and where its \
             data key is, never in the clear (the sse-s3 and sse-kms scenarios open these files \
             in full). The client-side object is stored as SSE-S3: S3 encrypted what it was \
             given, which was already ciphertext.\n\n{:<16} {:<10} {}\n{}",
            "object",
            "stored as",
            "the data key is kept",
            lines.join("\n")
        ),
        &["sse-1", "sse-s3-1", "sse-kms-1", "sse-c-1"],
    );
    for ((name, mode), st) in objects.iter().zip(&stored) {
        let claims: &[&str] = match *mode {
            "SSE-S3" if *name == "sse-s3.txt" => &["sse-s3-1", "sse-1"],
            "SSE-KMS" => &["sse-kms-1", "sse-1"],
            "SSE-C" => &["sse-c-1", "sse-c-2", "sse-1"],
            _ => &["sse-1"],
        };
        s.check_eq(
            format!("{name} is stored as {mode}"),
            mode,
            st.mode(),
            claims,
        );
    }
    let readable: Vec<&str> = objects
        .iter()
        .zip(&stored)
        .filter(|(_, st)| st.blob_contains(BODY.as_bytes()))
        .map(|((name, _), _)| *name)
        .collect();
    s.check(
        "the text is in none of the five blobs",
        readable.is_empty(),
        "no blob holds the plaintext",
        if readable.is_empty() {
            "none does".to_owned()
        } else {
            readable.join(", ")
        },
        &["overview-1", "sse-1"],
    );

    // ----- reading back -----
    s.step("Reading back: S3 decrypts four, the fifth is yours to decrypt");
    s.note_claims(
        "A plain GET returns the text for SSE-S3, SSE-KMS and DSSE-KMS, and for SSE-C when the \
         same key comes with the GET (not shown: the sse-c scenario is about that). For the \
         client-side object, S3 removes only its own SSE-S3 layer and hands back the \
         ciphertext: the decrypting is done here, with the master key only this program has.",
        &["cse-1", "cse-2"],
    );
    for (name, mode) in [
        ("sse-s3.txt", "SSE-S3"),
        ("sse-kms.txt", "SSE-KMS"),
        ("dsse-kms.txt", "DSSE-KMS"),
    ] {
        let get = s.quietly(Req::get(format!("/{BUCKET}/{name}")))?;
        s.check_eq(
            format!("GET {name} returns the text ({mode})"),
            BODY,
            get.text(),
            &[],
        );
    }
    let get_c = s.quietly(key.on(Req::get(format!("/{BUCKET}/sse-c.txt"))))?;
    s.check_eq(
        "GET sse-c.txt with the key returns the text (SSE-C)",
        BODY,
        get_c.text(),
        &["sse-c-1"],
    );
    let get = s.send(Req::get(format!("/{BUCKET}/client-side.bin")))?;
    s.check(
        "GET client-side.bin returns the ciphertext S3 was given",
        get.body == cse.object.body,
        "the bytes that were uploaded, not the text",
        if get.body == cse.object.body {
            "the uploaded ciphertext"
        } else {
            "something else"
        },
        &["cse-1"],
    );
    let plain = cse.decrypt(s, &get)?;
    s.check_eq(
        "decrypted here with the master key, it is the text",
        BODY,
        String::from_utf8_lossy(&plain),
        &["cse-2"],
    );
    Ok(())
}

/// One row of the map.
struct Row {
    mode: &'static str,
    sent: Vec<String>,
    answered: Vec<String>,
    holder: Vec<String>,
    place: Vec<String>,
}

impl Row {
    fn new(
        mode: &'static str,
        sent: &[&str],
        response: &Response,
        holder: &[&str],
        place: &[&str],
    ) -> Row {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Row {
            mode,
            sent: owned(sent),
            answered: sse_headers_short(response),
            holder: owned(holder),
            place: owned(place),
        }
    }
}

/// The SSE headers of an answer, short: `sse: aws:kms`, `kms-key-id`, `c-key-MD5`.
fn sse_headers_short(response: &Response) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in &response.headers {
        let name = name.as_str();
        let Some(rest) = name.strip_prefix(SSE) else {
            continue;
        };
        let short = match rest {
            "" => format!("sse: {}", value.to_str().unwrap_or("?")),
            "-aws-kms-key-id" => "kms-key-id".to_owned(),
            "-customer-algorithm" => "c-algorithm".to_owned(),
            "-customer-key-md5" => "c-key-MD5".to_owned(),
            other => other.trim_start_matches('-').to_owned(),
        };
        out.push(short);
    }
    if out.is_empty() {
        out.push("(none)".into());
    }
    out
}

/// The rows as a fixed-width table that fits 80 columns.
fn table(rows: &[Row]) -> String {
    const W: [usize; 5] = [11, 18, 18, 13, 13];
    let head = [
        "mode",
        "request sends",
        "S3 answers",
        "key held by",
        "encrypted on",
    ];
    let mut lines = vec![format_row(&W, &head.map(String::from))];
    for row in rows {
        let cols = [
            vec![row.mode.to_owned()],
            row.sent.clone(),
            row.answered.clone(),
            row.holder.clone(),
            row.place.clone(),
        ];
        let height = cols.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let cells: [String; 5] =
                std::array::from_fn(|c| cols[c].get(i).cloned().unwrap_or_default());
            lines.push(format_row(&W, &cells));
        }
    }
    lines.join("\n")
}

fn format_row(widths: &[usize; 5], cells: &[String; 5]) -> String {
    let mut line = String::new();
    for (w, cell) in widths.iter().zip(cells) {
        line.push_str(&format!("{cell:<w$} "));
    }
    line.trim_end().to_owned()
}

/// Where an object's data key is, as the metadata file says.
fn kept(stored: &Stored) -> String {
    match &stored.encryption {
        Some(StoredEncryption::SseS3 { data_key }) => {
            format!("wrapped by S3 root key v{}", data_key.root_key_version)
        }
        Some(StoredEncryption::SseKms(_)) => "wrapped by the KMS key".into(),
        Some(StoredEncryption::DsseKms { s3_layer, .. }) => format!(
            "wrapped by the KMS key; S3 layer by root key v{}",
            s3_layer.root_key_version
        ),
        Some(StoredEncryption::SseC { .. }) => "wrapped by your key; an HMAC of it".into(),
        Some(StoredEncryption::None { .. }) => "no key: not encrypted".into(),
        None => "(unreadable)".into(),
    }
}

/// The `Content-MD5` header value of `body` (base64 of its MD5), which S3 requires on bucket
/// configuration writes.
pub(super) fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// An SSE-C key, made from the lab's entropy (seeded labs repeat it), and the three headers that
/// carry it.
pub(super) struct SseCKey {
    /// The key in base64, as the request carries it.
    pub key_b64: zeroize::Zeroizing<String>,
    pub md5_b64: String,
}

impl SseCKey {
    /// A fresh key, remembered as a secret of the script.
    pub fn generate(s: &mut Script<'_>) -> SseCKey {
        let key = zeroize::Zeroizing::new(s.lab().env().entropy.array::<32>());
        s.remember_secret(key.as_slice());
        let b64 = base64::engine::general_purpose::STANDARD;
        SseCKey {
            key_b64: zeroize::Zeroizing::new(b64.encode(key.as_slice())),
            md5_b64: b64.encode(md5::Md5::digest(key.as_slice())),
        }
    }

    /// `req` with the SSE-C triple.
    pub fn on(&self, req: Req) -> Req {
        req.header(SSE_C_ALGORITHM, "AES256")
            .header(SSE_C_KEY, self.key_b64.as_str())
            .header(
                "x-amz-server-side-encryption-customer-key-MD5",
                &self.md5_b64,
            )
    }
}

/// An object encrypted on this machine with a raw AES master key (S3 Encryption Client V3), as it
/// goes to S3.
pub(super) struct ClientSide {
    pub client: CseClient,
    pub object: EncryptedObject,
    master: zeroize::Zeroizing<[u8; 32]>,
    data_key: zeroize::Zeroizing<[u8; 32]>,
}

impl ClientSide {
    /// Encrypts `plaintext` with a fresh master key from the lab's entropy. The master key and
    /// the data key are remembered as secrets of the script.
    pub fn encrypt(s: &mut Script<'_>, plaintext: &[u8]) -> Result<ClientSide, ScenarioError> {
        let entropy = s.lab().env().entropy.clone();
        let master = zeroize::Zeroizing::new(entropy.array::<32>());
        let client = CseClient::new(
            Keyring::RawAes(RawAesKeyring::new(*master)),
            CseConfig::default(),
            entropy,
        )
        .map_err(|e| ScenarioError::lab(format!("client-side encryption: {e}")))?;
        let context = s3lab_cse::StringMap::new();
        let object = s
            .lab()
            .block_on(client.encrypt(plaintext, &context, Location::ObjectMetadata))
            .map_err(|e| ScenarioError::lab(format!("client-side encryption: {e}")))?;
        let data_key = s
            .lab()
            .block_on(client.keyring.unwrap(&object.envelope, &context, false))
            .map_err(|e| ScenarioError::lab(format!("client-side encryption: {e}")))?;
        s.remember_secret(master.as_slice());
        s.remember_secret(data_key.as_slice());
        Ok(ClientSide {
            client,
            object,
            master,
            data_key: zeroize::Zeroizing::new(*data_key),
        })
    }

    /// A PUT of the ciphertext to `path`, with the envelope in `x-amz-meta-*` headers.
    pub fn put(&self, path: String) -> Req {
        let mut req = Req::put(path);
        for (name, value) in self.object.headers() {
            req = req.header(name, value);
        }
        req.body(self.object.body.clone())
    }

    /// Whether the master key or the data key is anywhere the server sees.
    pub fn reveals_a_key(&self) -> bool {
        self.object.reveals(self.master.as_slice()) || self.object.reveals(self.data_key.as_slice())
    }

    /// Decrypts a GET's answer here, with the master key.
    pub fn decrypt(
        &self,
        s: &Script<'_>,
        get: &Response,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, ScenarioError> {
        let metadata = s3lab_cse::metadata::from_headers(&get.headers);
        s.lab()
            .block_on(
                self.client
                    .decrypt(&metadata, None, &get.body, &s3lab_cse::StringMap::new()),
            )
            .map_err(|e| ScenarioError::lab(format!("client-side decryption: {e}")))
    }
}
