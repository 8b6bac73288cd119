use std::collections::BTreeMap;

use base64::Engine as _;

use super::*;

const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The SSE-C key of the sample: bytes 0xc0 ..= 0xdf.
fn customer_key() -> Vec<u8> {
    (0xc0u8..0xe0).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A blob in the at-rest format: 16-byte chunks, base nonce a0 ..= ab, a 28-byte object, so
/// two chunks (16 + 16 and 12 + 16 bytes). The "ciphertext" is made up.
fn blob() -> Vec<u8> {
    let mut b = b"S3LB\x01\x01\x00\x00\x00\x00\x00\x10".to_vec();
    b.extend(0xa0u8..0xac);
    b.extend([0u8; 8]);
    b.extend((0..60u32).map(|i| (i * 37 + 11) as u8));
    b
}

fn header(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// A hand-built transcript with every kind of event.
fn sample() -> Transcript {
    let mut t = Transcript::new("tour", "A tour of what s3lab shows");

    let step = t.step("Upload with SSE-KMS over HTTPS");
    step.push(
        Note::new(
            "S3 asks KMS for a data key, encrypts the object with it, and stores only the wrapped \
             copy of the key next to the ciphertext.\nThe request travels inside TLS.",
        )
        .claims(["sse-kms-1", "tls-1"]),
    );
    step.push(Exchange {
        transport: Transport::Https,
        identity: Some("writer".into()),
        request: HttpMessage {
            start_line: "PUT /lab/report.txt HTTP/1.1".into(),
            headers: vec![
                header("host", "localhost:9443"),
                header("x-amz-server-side-encryption", "aws:kms"),
                header("x-amz-server-side-encryption-aws-kms-key-id", KEY_ARN),
                header("x-amz-content-sha256", "5f2c9d8c3b0e0e6f0c1a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"),
                header("x-amz-date", "20260101T000000Z"),
                header(
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIAS3LABWRITER00001/20260101/us-east-1/s3/aws4_request, \
                     SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-server-side-encryption;x-amz-server-side-encryption-aws-kms-key-id, \
                     Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
                ),
                header("content-length", "28"),
            ],
            body: BodyPreview::of(b"Hello, s3lab at-rest format!", DEFAULT_BODY_LIMIT),
        },
        response: HttpMessage {
            start_line: "HTTP/1.1 200 OK".into(),
            headers: vec![
                header("ETag", "\"8d1f9c2ab7e4c0f3a6b5d4e3f2a1b0c9\""),
                header("x-amz-server-side-encryption", "aws:kms"),
                header("x-amz-server-side-encryption-aws-kms-key-id", KEY_ARN),
                header("content-length", "0"),
            ],
            body: BodyPreview::Empty,
        },
        shown_on_purpose: false,
    });
    step.push(KmsCall {
        event_name: "GenerateDataKey".into(),
        key_arn: Some(KEY_ARN.into()),
        key_material_id: Some("1f2e3d4c".into()),
        caller: "arn:aws:iam::111122223333:user/writer".into(),
        invoked_by: Some("s3.amazonaws.com".into()),
        encryption_context: BTreeMap::from([(
            "aws:s3:arn".to_owned(),
            "arn:aws:s3:::lab/report.txt".to_owned(),
        )]),
        error_code: None,
        event_time: "2026-01-01T00:00:00Z".into(),
        shown_on_purpose: false,
    });
    let blob = blob();
    step.push(AtRest {
        bucket: "lab".into(),
        key: "report.txt".into(),
        blob_path: Some("s3/buckets/lab/objects/report.txt.0001.blob".into()),
        blob_len: blob.len() as u64,
        blob_preview: HexRegions::at_rest_blob(&blob, blob.len() as u64, 80),
        metadata_json: "{\n  \"content-type\": \"text/plain\",\n  \"sse\": \"aws:kms\"\n}".into(),
        mode: "SSE-KMS".into(),
        wrapped_key: Some("AQIDAHh0ZXN0LWtleS13cmFwcGVk".into()),
        key_ids: vec![KEY_ARN.into()],
        material_versions: vec!["1f2e3d4c".into()],
        shown_on_purpose: false,
    });
    step.push(WireTap {
        transport: Transport::Https,
        summary: vec![
            "→ handshake 517 bytes (ClientHello)".into(),
            "← handshake 127 bytes (ServerHello)".into(),
            "← change_cipher_spec 6 bytes".into(),
            "← application_data 1234 bytes".into(),
            "→ application_data 842 bytes".into(),
        ],
        readable: false,
        shown_on_purpose: false,
    });
    step.push(Check::equal("PUT answered 200", 200, 200).claims(["sse-kms-1"]));

    let key = customer_key();
    let key_b64 = b64(&key);
    let step = t.step("SSE-C over plain HTTP");
    step.push(Secret::on_purpose(
        "SSE-C customer key",
        &key,
        "you chose this key; S3 uses it and forgets it",
    ));
    step.push(
        Event::from(Exchange {
            transport: Transport::Http,
            identity: None,
            request: HttpMessage {
                start_line: "GET /lab/c.txt HTTP/1.1".into(),
                headers: vec![
                    header("host", "localhost:9080"),
                    header("x-amz-server-side-encryption-customer-algorithm", "AES256"),
                    header("x-amz-server-side-encryption-customer-key", &key_b64),
                ],
                body: BodyPreview::Empty,
            },
            response: HttpMessage {
                start_line: "HTTP/1.1 400 Bad Request".into(),
                headers: vec![header("content-type", "application/xml")],
                body: BodyPreview::of(
                    b"<Error><Code>InvalidRequest</Code><Message>Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.</Message></Error>",
                    DEFAULT_BODY_LIMIT,
                ),
            },
            shown_on_purpose: false,
        })
        .on_purpose(),
    );
    step.push(
        Event::from(WireTap {
            transport: Transport::Http,
            summary: vec![
                "→ GET /lab/c.txt HTTP/1.1".into(),
                format!("→ x-amz-server-side-encryption-customer-key: {key_b64}"),
                "→".into(),
            ],
            readable: true,
            shown_on_purpose: false,
        })
        .on_purpose(),
    );
    step.push(Check {
        name: "GET over HTTP with an SSE-C key is refused".into(),
        passed: false,
        expected: "400 InvalidRequest".into(),
        observed: "200".into(),
        claims: vec!["sse-c-2".into()],
        shown_on_purpose: false,
    });
    t
}

#[test]
fn json_round_trip() {
    let t = sample();
    let json = t.to_json().unwrap_or_else(|e| panic!("{e}"));
    let back = Transcript::from_json(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, t);
    // The tag and the lowercase transport are the documented JSON shape.
    assert!(json.contains("\"kind\": \"Exchange\""));
    assert!(json.contains("\"transport\": \"https\""));
    // `shown_on_purpose` appears only where it is set.
    assert_eq!(json.matches("\"shown_on_purpose\": true").count(), 3);
    assert!(!json.contains("\"shown_on_purpose\": false"));
}

#[test]
fn json_errors_are_reported() {
    let err = Transcript::from_json("{\"scenario\": 1}");
    assert!(matches!(err, Err(TranscriptError::Json(_))));
}

#[test]
fn text_rendering() {
    let text = render_text(&sample(), 80);
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
    insta::assert_snapshot!("sample_text_80", text);
}

#[test]
fn markdown_rendering() {
    insta::assert_snapshot!("sample_markdown", render_markdown(&sample()));
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render_text(&sample(), 80), render_text(&sample(), 80));
    assert_eq!(render_markdown(&sample()), render_markdown(&sample()));
}

#[test]
fn narrow_terminals_still_wrap_notes() {
    let text = render_text(&sample(), 50);
    let note_line = text
        .lines()
        .find(|l| l.starts_with("S3 asks KMS"))
        .unwrap_or_else(|| panic!("no note in\n{text}"));
    assert!(note_line.chars().count() <= 50);
}

#[test]
fn sse_headers_are_marked() {
    assert!(is_sse_header("x-amz-server-side-encryption"));
    assert!(is_sse_header(
        "X-Amz-Server-Side-Encryption-Customer-Key-MD5"
    ));
    assert!(!is_sse_header("x-amz-server-side"));
    assert!(!is_sse_header("content-type"));
    let text = render_text(&sample(), 80);
    assert!(text.contains("  » x-amz-server-side-encryption: aws:kms\n"));
    assert!(text.contains("    host: localhost:9443\n"));
}

#[test]
fn short_text_body_is_kept_whole() {
    assert_eq!(BodyPreview::of(b"", 512), BodyPreview::Empty);
    assert_eq!(
        BodyPreview::of(b"<a>\r\n\tb</a>", 512),
        BodyPreview::Text {
            text: "<a>\r\n\tb</a>".into(),
            truncated_from: None
        }
    );
}

#[test]
fn long_text_body_is_truncated_with_its_length() {
    let body = "x".repeat(1000);
    let p = BodyPreview::of(body.as_bytes(), 512);
    assert_eq!(
        p,
        BodyPreview::Text {
            text: "x".repeat(512),
            truncated_from: Some(1000)
        }
    );
    assert_eq!(p.full_len(), 1000);
}

#[test]
fn truncation_never_splits_a_character() {
    // "é" is two bytes: a limit of 3 falls inside the second one.
    let p = BodyPreview::of("ééé".as_bytes(), 3);
    assert_eq!(
        p,
        BodyPreview::Text {
            text: "é".into(),
            truncated_from: Some(6)
        }
    );
}

#[test]
fn binary_body_is_hex() {
    let body: Vec<u8> = (0u8..40).collect();
    let p = BodyPreview::of(&body, 512);
    let BodyPreview::Hex {
        hex,
        truncated_from: None,
    } = &p
    else {
        panic!("not hex: {p:?}");
    };
    assert_eq!(
        hex,
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n\
         00000010  10 11 12 13 14 15 16 17  18 19 1a 1b 1c 1d 1e 1f  |................|\n\
         00000020  20 21 22 23 24 25 26 27                           | !\"#$%&'|"
    );
    assert_eq!(p.shown_bytes(), body);
    // Control characters make text binary too; so does invalid UTF-8.
    assert!(matches!(
        BodyPreview::of(b"ok\x1b[31m", 512),
        BodyPreview::Hex { .. }
    ));
    assert!(matches!(
        BodyPreview::of(b"\xff\xfe", 512),
        BodyPreview::Hex { .. }
    ));
}

#[test]
fn long_binary_body_is_truncated_hex() {
    let body = vec![0xffu8; 600];
    let p = BodyPreview::of(&body, 512);
    let BodyPreview::Hex {
        hex,
        truncated_from,
    } = &p
    else {
        panic!("not hex: {p:?}");
    };
    assert_eq!(*truncated_from, Some(600));
    assert_eq!(hex.lines().count(), 32);
    assert_eq!(p.shown_bytes().len(), 512);
}

#[test]
fn hexdump_rows_parse_back() {
    let bytes: Vec<u8> = (0..=255u8).collect();
    let rows = hexdump_at(&bytes, 0x100);
    assert_eq!(rows.len(), 16);
    assert!(rows.iter().all(|r| r.chars().count() == 78));
    let text = rows
        .iter()
        .map(|r| format!("← {r}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(parse_hexdump(&text), vec![(0x100, bytes)]);
    // Narrow rows say the same bytes.
    let bytes: Vec<u8> = (0..=255u8).collect();
    let narrow = hexdump_rows(&bytes, 0x100, 8);
    assert_eq!(narrow.len(), 32);
    assert!(narrow.iter().all(|r| r.chars().count() == 45), "{narrow:?}");
    assert_eq!(parse_hexdump(&narrow.join("\n")), vec![(0x100, bytes)]);
    assert_eq!(
        hexdump_rows(b"S3LB", 0, 8),
        ["00000000  53 33 4c 42              |S3LB|"]
    );
    // A gap in the offsets starts a new run.
    let two = format!("{}\n{}", hexdump_at(b"ab", 0)[0], hexdump_at(b"cd", 64)[0]);
    assert_eq!(
        parse_hexdump(&two),
        vec![(0, b"ab".to_vec()), (64, b"cd".to_vec())]
    );
}

#[test]
fn at_rest_regions_follow_the_format() {
    let blob = blob();
    let h = HexRegions::at_rest_blob(&blob, blob.len() as u64, 256);
    let names: Vec<(&str, u64, u64)> = h
        .regions
        .iter()
        .map(|r| (r.name.as_str(), r.start, r.end))
        .collect();
    assert_eq!(
        names,
        [
            ("header", 0, 12),
            ("base nonce", 12, 24),
            ("header (reserved)", 24, 32),
            ("chunk 0 ciphertext", 32, 48),
            ("chunk 0 tag", 48, 64),
            ("chunk 1 ciphertext", 64, 76),
            ("chunk 1 tag", 76, 92),
        ]
    );
    assert_eq!(h.shown_len, 92);
    assert_eq!(h.bytes(), blob);

    // Only the regions that start in the shown bytes are listed; the last one runs on.
    let h = HexRegions::at_rest_blob(&blob, 100_000, 40);
    assert_eq!(h.shown_len, 40);
    assert_eq!(h.total_len, 100_000);
    let last = h.regions.last().unwrap_or_else(|| panic!("no regions"));
    assert_eq!(
        (last.name.as_str(), last.start, last.end),
        ("chunk 0 ciphertext", 32, 48)
    );

    // Without the magic, the bytes are one region.
    let h = HexRegions::at_rest_blob(b"plain text object", 17, 256);
    assert_eq!(
        h.regions,
        [Region::new("stored bytes (no s3lab header)", 0, 17)]
    );
}

/// A transcript that leaks `key` in several ways, and shows it on purpose in others.
fn leaky(key: &[u8]) -> Transcript {
    let mut t = Transcript::new("leaks", "Leaks");
    let step = t.step("Leaky step");
    // Uppercase hex in a note.
    step.push(Note::new(format!(
        "the key is {}",
        hex_lower_for_test(key).to_uppercase()
    )));
    // Standard base64 in a header, not on purpose.
    step.push(Exchange {
        request: HttpMessage {
            start_line: "GET / HTTP/1.1".into(),
            headers: vec![header(
                "x-amz-server-side-encryption-customer-key",
                &b64(key),
            )],
            body: BodyPreview::Empty,
        },
        ..Exchange::default()
    });
    // Raw bytes inside a binary body, spanning two hexdump rows.
    let mut body = vec![0xeeu8; 5];
    body.extend_from_slice(key);
    body.extend([0xee; 7]);
    step.push(WireTap {
        summary: hexdump_at(&body, 0)
            .into_iter()
            .map(|r| format!("→ {r}"))
            .collect(),
        ..WireTap::default()
    });
    // Base64 of a longer blob with the key at offset 1 (not aligned to 3 bytes).
    let mut wrapped = vec![9u8];
    wrapped.extend_from_slice(key);
    wrapped.extend([1, 2, 3, 4]);
    let step = t.step("Another");
    step.push(Check {
        name: "wrapped".into(),
        observed: b64(&wrapped),
        passed: true,
        ..Check::default()
    });
    // On purpose: not reported.
    step.push(Secret::on_purpose("SSE-C key", key, "the lesson"));
    step.push(
        Event::from(Exchange {
            request: HttpMessage {
                headers: vec![header(
                    "x-amz-server-side-encryption-customer-key",
                    &b64(key),
                )],
                ..HttpMessage::default()
            },
            ..Exchange::default()
        })
        .on_purpose(),
    );
    t
}

fn hex_lower_for_test(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn find_secrets_finds_raw_hex_and_base64_but_not_on_purpose() {
    let key = customer_key();
    let other = [0x11u8; 32];
    let t = leaky(&key);
    let found = find_secrets(&t, &[&other, &key]);
    assert_eq!(
        found,
        [
            "step 1 \"Leaky step\", event 1 (Note), text: secret #1 as hex",
            "step 1 \"Leaky step\", event 2 (Exchange), request header \
             x-amz-server-side-encryption-customer-key: secret #1 as base64",
            "step 1 \"Leaky step\", event 3 (WireTap), wire tap: secret #1 as hex dump",
            "step 2 \"Another\", event 1 (Check), observed: secret #1 as base64",
        ]
    );
}

#[test]
fn find_secrets_finds_raw_text_and_url_safe_base64() {
    let key = b"a secret that is also plain text".to_vec();
    let mut t = Transcript::new("s", "raw");
    t.step("one")
        .push(Note::new(format!("raw: {}", String::from_utf8_lossy(&key))));
    // 0xfb bytes are `+/v7` in standard base64 and `-_v7` in the URL-safe alphabet.
    let binary = [0xfbu8; 32];
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(binary);
    t.step("two").push(Note::new(url));
    let found = find_secrets(&t, &[&key, &binary]);
    assert_eq!(
        found,
        [
            "step 1 \"one\", event 1 (Note), text: secret #0 as raw bytes",
            "step 2 \"two\", event 1 (Note), text: secret #1 as base64url",
        ]
    );
}

#[test]
fn the_sample_shows_its_key_only_on_purpose() {
    let t = sample();
    assert_eq!(find_secrets(&t, &[&customer_key()]), Vec::<String>::new());
    // Unmarking the exchange reveals it.
    let mut t = t;
    if let Event::Exchange(e) = &mut t.steps[1].events[1] {
        e.shown_on_purpose = false;
    }
    assert_eq!(find_secrets(&t, &[&customer_key()]).len(), 1);
}

#[test]
fn a_secret_event_not_marked_is_reported() {
    let mut secret = Secret::on_purpose("k", &customer_key(), "why");
    secret.shown_on_purpose = false;
    let mut t = Transcript::new("s", "t");
    t.step("one").push(secret);
    let found = find_secrets(&t, &[&customer_key()]);
    assert_eq!(
        found,
        [
            "step 1 \"one\", event 1 (Secret), hex: secret #0 as hex",
            "step 1 \"one\", event 1 (Secret), base64: secret #0 as base64",
        ]
    );
}

#[test]
fn checks_are_collected() {
    let t = sample();
    assert_eq!(t.checks().count(), 2);
    assert!(!t.all_checks_passed());
}
