//! The KMS JSON 1.1 protocol: signing, routing, decoding and error shapes, without a socket.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue};
use s3lab_env::{Clock, Env};
use s3lab_iam::IdentityTable;
use s3lab_kms::http::{is_kms_request, KmsHttp, KmsHttpRequest};
use s3lab_kms::{Kms, KmsConfig};
use s3lab_sigv4 as sigv4;
use serde_json::{json, Value};
use sha2::Digest;

struct Endpoint {
    http: KmsHttp,
    ids: Arc<IdentityTable>,
    clock: Clock,
}

fn endpoint() -> Endpoint {
    let env = Env::seeded(5);
    let kms = Arc::new(Kms::open(None, KmsConfig::default(), env.clone()).unwrap());
    let ids = Arc::new(IdentityTable::builtin("111122223333"));
    Endpoint {
        http: KmsHttp::new(kms, ids.clone(), env.clock.clone()),
        ids,
        clock: env.clock,
    }
}

impl Endpoint {
    fn send_raw(
        &self,
        target: Option<&str>,
        body: &[u8],
        identity: &str,
        secret_override: Option<&str>,
    ) -> (u16, Value) {
        let id = self.ids.by_name(identity).unwrap();
        let secret = secret_override
            .map(str::to_owned)
            .unwrap_or_else(|| id.secret_access_key.to_string());
        let creds = sigv4::Credentials::new(id.access_key_id.clone(), secret);
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:9443"));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        if let Some(t) = target {
            headers.insert(
                "x-amz-target",
                HeaderValue::from_str(&format!("TrentService.{t}")).unwrap(),
            );
        }
        let hash = hex::encode(sha2::Sha256::digest(body));
        sigv4::sign_headers(
            "POST",
            "/",
            None,
            &mut headers,
            &sigv4::PayloadHash::Sha256Hex(hash),
            &creds,
            "us-east-1",
            "kms",
            sigv4::UriStyle::Normalized,
            self.clock.now(),
        )
        .unwrap();
        self.dispatch(&headers, body)
    }

    fn dispatch(&self, headers: &HeaderMap, body: &[u8]) -> (u16, Value) {
        let resp = self.http.handle(&KmsHttpRequest {
            method: "POST",
            raw_path: "/",
            raw_query: None,
            headers,
            body,
            secure: true,
            source_ip: "127.0.0.1".into(),
        });
        assert_eq!(resp.headers()["content-type"], "application/x-amz-json-1.1");
        assert!(resp.headers().contains_key("x-amzn-requestid"));
        let v = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        (resp.status().as_u16(), v)
    }

    fn call(&self, op: &str, body: Value) -> (u16, Value) {
        self.send_raw(Some(op), body.to_string().as_bytes(), "admin", None)
    }

    fn ok(&self, op: &str, body: Value) -> Value {
        let (status, v) = self.call(op, body);
        assert_eq!(status, 200, "{op}: {v}");
        v
    }
}

fn err(r: (u16, Value)) -> (u16, String, String) {
    (
        r.0,
        r.1["__type"].as_str().unwrap_or("").to_owned(),
        r.1["message"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn recognises_kms_requests() {
    let mut h = HeaderMap::new();
    assert!(!is_kms_request(&h));
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("TrentService.Encrypt"),
    );
    assert!(is_kms_request(&h));
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.GetItem"),
    );
    assert!(!is_kms_request(&h));
}

#[test]
fn create_encrypt_decrypt_over_the_protocol() {
    let ep = endpoint();
    let md = ep.ok("CreateKey", json!({"Description": "lab key"}));
    let key_id = md["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    assert_eq!(md["KeyMetadata"]["Description"], "lab key");
    assert_eq!(md["KeyMetadata"]["CreationDate"], json!(1767225600.0));
    let enc = ep.ok(
        "Encrypt",
        json!({"KeyId": key_id, "Plaintext": "aGVsbG8=", "EncryptionContext": {"a": "b"}}),
    );
    assert_eq!(enc["KeyId"], md["KeyMetadata"]["Arn"]);
    let dec = ep.ok(
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": {"a": "b"}}),
    );
    assert_eq!(dec["Plaintext"], "aGVsbG8=");
    assert_eq!(dec["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");
    let bad = err(ep.call(
        "Decrypt",
        json!({"CiphertextBlob": enc["CiphertextBlob"], "EncryptionContext": {"a": "c"}}),
    ));
    assert_eq!(
        bad,
        (400, "InvalidCiphertextException".into(), String::new())
    );
    let gdk = ep.ok(
        "GenerateDataKey",
        json!({"KeyId": key_id, "KeySpec": "AES_256"}),
    );
    assert_eq!(gdk["KeyMaterialId"].as_str().map(str::len), Some(64));
}

#[test]
fn protocol_errors_have_aws_shapes() {
    let ep = endpoint();
    assert_eq!(
        err(ep.send_raw(Some("NoSuchThing"), b"{}", "admin", None)).1,
        "UnknownOperationException"
    );
    assert_eq!(
        err(ep.send_raw(None, b"{}", "admin", None)).1,
        "UnknownOperationException"
    );
    let (status, t, m) = err(ep.send_raw(Some("CreateKey"), b"{not json", "admin", None));
    assert_eq!((status, t.as_str()), (400, "SerializationException"));
    assert_eq!(
        m, "",
        "AWS's JSON front end gives no message for a body that is not JSON"
    );
    assert_eq!(
        err(ep.call("Encrypt", json!({"KeyId": 5}))).1,
        "SerializationException"
    );
    assert_eq!(
        err(ep.call("Decrypt", json!({"CiphertextBlob": "%%%not base64"}))).1,
        "SerializationException"
    );
    let (status, t, m) = err(ep.call("Encrypt", json!({"Plaintext": "aGk="})));
    assert_eq!((status, t.as_str()), (400, "ValidationException"));
    assert_eq!(m, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    // An empty body is an empty request, as on AWS.
    assert_eq!(ep.send_raw(Some("ListKeys"), b"", "admin", None).0, 200);
}

#[test]
fn signatures_are_checked() {
    let ep = endpoint();
    let (status, t, m) = err(ep.send_raw(Some("ListKeys"), b"{}", "admin", Some("wrong-secret")));
    assert_eq!((status, t.as_str()), (400, "InvalidSignatureException"));
    assert!(
        m.starts_with("The request signature we calculated does not match"),
        "{m}"
    );
    // Unsigned.
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("127.0.0.1"));
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("TrentService.ListKeys"),
    );
    assert_eq!(
        err(ep.dispatch(&h, b"{}")).1,
        "MissingAuthenticationTokenException"
    );
    // A body changed after signing.
    let id = ep.ids.by_name("admin").unwrap();
    let creds = sigv4::Credentials::new(id.access_key_id.clone(), id.secret_access_key.to_string());
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1"));
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("TrentService.ListKeys"),
    );
    let hash = hex::encode(sha2::Sha256::digest(b"{}"));
    sigv4::sign_headers(
        "POST",
        "/",
        None,
        &mut headers,
        &sigv4::PayloadHash::Sha256Hex(hash),
        &creds,
        "us-east-1",
        "kms",
        sigv4::UriStyle::Normalized,
        ep.clock.now(),
    )
    .unwrap();
    assert_eq!(
        err(ep.dispatch(&headers, b"{\"Limit\":1}")).1,
        "InvalidSignatureException"
    );
    // An unknown access key.
    let creds = sigv4::Credentials::new("AKIAUNKNOWN000000000", "x");
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("127.0.0.1"));
    headers.insert(
        "x-amz-target",
        HeaderValue::from_static("TrentService.ListKeys"),
    );
    let hash = hex::encode(sha2::Sha256::digest(b"{}"));
    sigv4::sign_headers(
        "POST",
        "/",
        None,
        &mut headers,
        &sigv4::PayloadHash::Sha256Hex(hash),
        &creds,
        "us-east-1",
        "kms",
        sigv4::UriStyle::Normalized,
        ep.clock.now(),
    )
    .unwrap();
    assert_eq!(
        err(ep.dispatch(&headers, b"{}")),
        (
            400,
            "UnrecognizedClientException".into(),
            "The security token included in the request is invalid.".into()
        )
    );
}

#[test]
fn the_reader_is_refused_by_the_second_lock() {
    let ep = endpoint();
    let key = ep.ok("CreateKey", json!({}))["KeyMetadata"]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let enc = ep.ok("Encrypt", json!({"KeyId": key, "Plaintext": "aGk="}));
    let body = json!({"CiphertextBlob": enc["CiphertextBlob"]}).to_string();
    let (status, t, m) = err(ep.send_raw(Some("Decrypt"), body.as_bytes(), "reader", None));
    assert_eq!((status, t.as_str()), (400, "AccessDeniedException"));
    assert!(
        m.contains("user/reader is not authorized to perform: kms:Decrypt"),
        "{m}"
    );
}
