//! `in-transit`: The same PUT over HTTP and HTTPS, aws:SecureTransport, and client-side encryption
//! over HTTP.

use s3lab_transcript::{Event, WireTap};

use crate::error::ScenarioError;
use crate::script::{Req, Script};
use crate::{Scenario, Topic};

use super::common::{allow_sse_c_quietly, create_bucket_quietly};
use super::map::{content_md5, ClientSide, SseCKey};

pub const SCENARIO: Scenario = Scenario {
    id: "in-transit",
    title: "In transit: what an eavesdropper sees",
    topic: Topic::InTransit,
    summary: "The same PUT over HTTP and HTTPS, aws:SecureTransport, and client-side encryption over HTTP",
    claims: &["overview-1", "transit-1", "sse-c-3", "cse-3"],
    script,
};

const BUCKET: &str = "transit-demo";
const TLS_ONLY: &str = "transit-tls-only";
const BODY: &str = "Board minutes: the merger with Example Corp closes on 30 June.";

fn script(s: &mut Script<'_>) -> Result<(), ScenarioError> {
    create_bucket_quietly(s, BUCKET)?;
    allow_sse_c_quietly(s, BUCKET)?;
    create_bucket_quietly(s, TLS_ONLY)?;

    s.step("Over plain HTTP, the wire carries everything");
    s.note(
        "The lab listens on plain HTTP too, so you can see what anyone on the path (a Wi-Fi \
         neighbour, a proxy, a compromised router) would see. The wire tap below is the bytes \
         on the socket: the request line with the bucket and key, every header, the body, and \
         S3's answer. The SigV4 signature proves who sent the request; it hides nothing.",
    );
    let put = s.send(
        Req::put(format!("/{BUCKET}/minutes.txt"))
            .http()
            .tapped()
            .header("content-type", "text/plain")
            .body(BODY),
    )?;
    s.check_status("S3 accepts the upload over HTTP", &put, 200, "", &[]);
    let tap = last_tap(s)?;
    s.check(
        "the body is readable on the wire",
        tap.readable && tap_has(&tap, BODY),
        "the minutes, as sent",
        seen(tap_has(&tap, BODY)),
        &[],
    );
    s.note_claims(
        "At rest this object is encrypted like any other (SSE-S3, as every write since January \
         2023). In transit it was not: encryption at rest and encryption in transit are two \
         separate protections, and S3 offers both.",
        &["overview-1"],
    );

    s.step("Over HTTPS, only TLS records");
    s.note_claims(
        "The same request over HTTPS. The eavesdropper now sees only TLS records, one a line: \
         direction, type, length (lengths vary from run to run, so the saved lesson shows `…`). \
         Only the two hellos are in the clear. After `change_cipher_spec` every record is \
         encrypted and labelled `application_data` (TLS 1.3 hides its own handshake that way \
         too): the server's certificate, your request, S3's answer, the closing alert. The key \
         name, the headers and the body are all inside.",
        &["transit-1"],
    );
    let put = s.send(
        Req::put(format!("/{BUCKET}/minutes.txt"))
            .https()
            .tapped()
            .header("content-type", "text/plain")
            .body(BODY),
    )?;
    s.check_status("S3 accepts the upload over HTTPS", &put, 200, "", &[]);
    let tap = last_tap(s)?;
    let only_records = tap.summary.iter().all(|l| is_tls_record_line(l));
    s.check(
        "the wire shows only TLS records",
        !tap.readable && only_records,
        "TLS record headers, nothing else",
        if only_records {
            "only TLS records"
        } else {
            "something else too"
        },
        &["transit-1", "overview-1"],
    );
    let leaked = tap_has(&tap, BODY) || tap_has(&tap, "minutes.txt");
    s.check(
        "neither the body nor the key name is readable",
        !leaked,
        "not on the wire",
        seen(leaked),
        &["transit-1", "overview-1"],
    );

    s.step("A bucket policy that refuses plain HTTP");
    let policy = format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "DenyPlainHttp",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::{TLS_ONLY}",
        "arn:aws:s3:::{TLS_ONLY}/*"
      ],
      "Condition": {{
        "Bool": {{"aws:SecureTransport": "false"}}
      }}
    }}
  ]
}}"#
    );
    s.note_claims(
        "S3 accepts plain HTTP unless you say otherwise. The usual way to say otherwise is a \
         bucket policy that denies every action when `aws:SecureTransport` is `false`, which \
         it is for any request that did not come over TLS. Here it goes on a second bucket, \
         `transit-tls-only`.",
        &["transit-1"],
    );
    let set = s.send(
        Req::put(format!("/{TLS_ONLY}?policy"))
            .header("content-md5", content_md5(policy.as_bytes()))
            .body(policy.clone()),
    )?;
    s.check_status("the policy is set", &set, 204, "", &[]);
    let refused = s.send(
        Req::put(format!("/{TLS_ONLY}/minutes.txt"))
            .http()
            .tapped()
            .header("content-type", "text/plain")
            .body(BODY),
    )?;
    s.check_status(
        "over HTTP: 403 AccessDenied",
        &refused,
        403,
        "AccessDenied",
        &["transit-1"],
    );
    let tap = last_tap(s)?;
    s.check(
        "yet the refused body did cross the wire in the clear",
        tap_has(&tap, BODY),
        "the minutes on the wire",
        seen(tap_has(&tap, BODY)),
        &[],
    );
    s.note(
        "The policy makes S3 refuse the request, and say so in the answer's message; it cannot \
         stop a client from sending. Everything in the refused request was on the wire. The \
         policy is there to catch a misconfigured client early; the client itself must use \
         HTTPS.",
    );
    let ok = s.send(
        Req::put(format!("/{TLS_ONLY}/minutes.txt"))
            .header("content-type", "text/plain")
            .body(BODY),
    )?;
    s.check_status("over HTTPS: 200", &ok, 200, "", &["transit-1"]);

    s.step("SSE-C over HTTP: refused, but the key has travelled");
    let key = SseCKey::generate(s);
    s.note_claims(
        "With SSE-C the key itself is a request header, so S3 refuses any SSE-C request that \
         does not come over HTTPS, whatever the bucket policy says: 400, and nothing is stored. \
         (AWS documents the 400 but not its wording; this is the wording S3-compatible servers \
         use.) Now look at the wire: the key went out in the clear before S3 could refuse it. \
         A key that has crossed a network unencrypted must be thrown away. The key is shown on \
         purpose.",
        &["sse-c-3"],
    );
    let c = s.send(
        key.on(Req::put(format!("/{BUCKET}/sse-c.txt"))
            .http()
            .tapped()
            .body(BODY))
            .showing_secret(),
    )?;
    s.check_status(
        "SSE-C over HTTP: 400 InvalidRequest",
        &c,
        400,
        "InvalidRequest",
        &["sse-c-3"],
    );
    s.check_eq(
        "with the message S3 gives",
        "Requests specifying Server Side Encryption with Customer provided keys must be made \
         over a secure connection.",
        c.element("Message"),
        &["sse-c-3"],
    );
    let tap = last_tap(s)?;
    s.check(
        "the key was on the wire anyway",
        tap_has(&tap, key.key_b64.as_str()),
        "x-amz-server-side-encryption-customer-key readable in the tap",
        seen(tap_has(&tap, key.key_b64.as_str())),
        &["sse-c-3"],
    );
    let none = s.quietly(key.on(Req::head(format!("/{BUCKET}/sse-c.txt"))))?;
    s.check_status("and nothing was stored", &none, 404, "", &["sse-c-3"]);

    s.step("SSE-KMS over HTTP: refused too");
    s.note(
        "S3 also refuses SSE-KMS uploads and downloads over plain HTTP (400 InvalidArgument, \
         the message below is the one AWS sends). No key travels in an SSE-KMS request, but \
         the data and its KMS-protected key belong together on TLS. S3 refuses before it asks \
         KMS for anything: the audit trail gets no record. SSE-S3 has no such rule, as the \
         first step showed.",
    );
    let kms = s.send(
        Req::put(format!("/{BUCKET}/kms.txt"))
            .http()
            .header("x-amz-server-side-encryption", "aws:kms")
            .body(BODY),
    )?;
    let kms_records = s.kms_calls().len();
    s.check_status(
        "SSE-KMS over HTTP: 400 InvalidArgument",
        &kms,
        400,
        "InvalidArgument",
        &[],
    );
    s.check_eq(
        "with the message AWS sends",
        "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over \
         a secure connection.",
        kms.element("Message"),
        &[],
    );
    s.check_eq("and KMS was never called", 0, kms_records, &[]);

    s.step("Client-side encryption over plain HTTP");
    let cse = ClientSide::encrypt(s, BODY.as_bytes())?;
    s.note_claims(
        "The other protection in transit the seed names: encrypt before sending. The minutes \
         are encrypted here with a master key this program holds, and only ciphertext is \
         uploaded, on purpose over plain HTTP. The eavesdropper gets the body as random bytes. \
         What client-side encryption does not hide: the key name, your own metadata \
         (`x-amz-meta-author`), and the envelope in `x-amz-meta-x-amz-*` (the wrapped data \
         key, the algorithm). Key names and metadata can say a lot: use HTTPS as well.",
        &["transit-1", "cse-3"],
    );
    let put = s.send(
        cse.put(format!("/{BUCKET}/merger-plan-2026.bin"))
            .header("x-amz-meta-author", "cfo")
            .http()
            .tapped(),
    )?;
    s.check_status("S3 stores the ciphertext", &put, 200, "", &[]);
    let tap = last_tap(s)?;
    s.check(
        "the minutes are not on the wire",
        !tap_has(&tap, BODY) && !contains(&cse.object.body, BODY.as_bytes()),
        "neither in the tap nor anywhere in the body sent",
        seen(tap_has(&tap, BODY)),
        &["transit-1", "cse-3"],
    );
    s.check(
        "nor is any key",
        !cse.reveals_a_key(),
        "neither the master key nor the data key in the request",
        if cse.reveals_a_key() {
            "a key is in the request"
        } else {
            "no key found"
        },
        &["cse-3"],
    );
    let visible = [
        "merger-plan-2026.bin",
        "x-amz-meta-author: cfo",
        "x-amz-meta-x-amz-3:",
    ];
    let shown: Vec<&str> = visible
        .iter()
        .copied()
        .filter(|v| tap_has(&tap, v))
        .collect();
    s.check_eq(
        "the key name, the metadata and the envelope are readable",
        visible.join(", "),
        shown.join(", "),
        &[],
    );
    Ok(())
}

/// The last wire tap of the current step.
fn last_tap(s: &Script<'_>) -> Result<WireTap, ScenarioError> {
    s.transcript()
        .steps
        .last()
        .and_then(|step| {
            step.events.iter().rev().find_map(|e| match e {
                Event::WireTap(t) => Some(t.clone()),
                _ => None,
            })
        })
        .ok_or_else(|| ScenarioError::lab("no wire tap was recorded"))
}

/// Whether `text` appears in what the tap shows.
fn tap_has(tap: &WireTap, text: &str) -> bool {
    tap.summary.iter().any(|line| line.contains(text))
}

/// `→ handshake 517 bytes (ClientHello)`, `← application_data 90 bytes`, or a count of more.
fn is_tls_record_line(line: &str) -> bool {
    let rest = line
        .strip_prefix("→ ")
        .or_else(|| line.strip_prefix("← "))
        .unwrap_or(line);
    [
        "handshake ",
        "application_data ",
        "change_cipher_spec ",
        "alert ",
        "… ",
    ]
    .iter()
    .any(|p| rest.starts_with(p))
}

fn seen(yes: bool) -> &'static str {
    if yes {
        "seen on the wire"
    } else {
        "not seen"
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
