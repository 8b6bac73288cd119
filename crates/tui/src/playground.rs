//! The playground's form: a request the learner builds, how it becomes a real request to the
//! embedded lab, and the one-line hints that explain common mistakes.

use base64::Engine as _;
use md5::{Digest as _, Md5};
use s3lab_scenarios::Req;
use s3lab_transcript::{Exchange, Transport};

/// What the request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    PutObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateBucket,
    /// Sets the bucket's default encryption from the SSE mode, and unblocks SSE-C.
    PutBucketEncryption,
    /// A KMS key of your own (`CreateKey`), to name in the key id field.
    CreateKey,
}

impl Operation {
    pub const ALL: [Operation; 7] = [
        Operation::PutObject,
        Operation::GetObject,
        Operation::HeadObject,
        Operation::DeleteObject,
        Operation::CreateBucket,
        Operation::PutBucketEncryption,
        Operation::CreateKey,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::PutObject => "PutObject",
            Operation::GetObject => "GetObject",
            Operation::HeadObject => "HeadObject",
            Operation::DeleteObject => "DeleteObject",
            Operation::CreateBucket => "CreateBucket",
            Operation::PutBucketEncryption => "PutBucketEncryption",
            Operation::CreateKey => "CreateKey (KMS)",
        }
    }

    /// Whether the request names an object.
    fn has_key(self) -> bool {
        matches!(
            self,
            Operation::PutObject
                | Operation::GetObject
                | Operation::HeadObject
                | Operation::DeleteObject
        )
    }
}

/// The server-side encryption the request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseMode {
    None,
    SseS3,
    SseKms,
    DsseKms,
    SseC,
}

impl SseMode {
    pub const ALL: [SseMode; 5] = [
        SseMode::None,
        SseMode::SseS3,
        SseMode::SseKms,
        SseMode::DsseKms,
        SseMode::SseC,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SseMode::None => "none (bucket default)",
            SseMode::SseS3 => "SSE-S3",
            SseMode::SseKms => "SSE-KMS",
            SseMode::DsseKms => "DSSE-KMS",
            SseMode::SseC => "SSE-C",
        }
    }

    fn is_kms(self) -> bool {
        matches!(self, SseMode::SseKms | SseMode::DsseKms)
    }
}

/// Who signs the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Admin,
    Writer,
    Reader,
    Anonymous,
}

impl Identity {
    pub const ALL: [Identity; 4] = [
        Identity::Admin,
        Identity::Writer,
        Identity::Reader,
        Identity::Anonymous,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Identity::Admin => "admin",
            Identity::Writer => "writer",
            Identity::Reader => "reader",
            Identity::Anonymous => "anonymous",
        }
    }

    fn signer(self) -> Option<&'static str> {
        match self {
            Identity::Anonymous => None,
            other => Some(other.name()),
        }
    }
}

/// The fields of the form, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Operation,
    Bucket,
    Key,
    Body,
    Sse,
    KmsKeyId,
    CustomerKey,
    Context,
    Transport,
    Identity,
    Send,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::Operation,
        Field::Bucket,
        Field::Key,
        Field::Body,
        Field::Sse,
        Field::KmsKeyId,
        Field::CustomerKey,
        Field::Context,
        Field::Transport,
        Field::Identity,
        Field::Send,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::Operation => "operation",
            Field::Bucket => "bucket",
            Field::Key => "key",
            Field::Body => "body",
            Field::Sse => "SSE mode",
            Field::KmsKeyId => "KMS key id",
            Field::CustomerKey => "customer key",
            Field::Context => "enc. context",
            Field::Transport => "transport",
            Field::Identity => "identity",
            Field::Send => "",
        }
    }

    /// Whether Enter edits it as text (else ←/→ choose among values).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Field::Bucket
                | Field::Key
                | Field::Body
                | Field::KmsKeyId
                | Field::CustomerKey
                | Field::Context
        )
    }
}

/// The request the learner is building.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub operation: Operation,
    pub bucket: String,
    pub key: String,
    pub body: String,
    pub sse: SseMode,
    /// Empty: the `aws/s3` key.
    pub kms_key_id: String,
    /// 32 characters, or 64 hex digits.
    pub customer_key: String,
    /// `name=value` pairs separated by commas.
    pub context: String,
    pub transport: Transport,
    pub identity: Identity,
}

/// The bucket the playground's lab starts with.
pub const START_BUCKET: &str = "lab";

impl Default for Form {
    fn default() -> Form {
        Form {
            operation: Operation::PutObject,
            bucket: START_BUCKET.into(),
            key: "hello.txt".into(),
            body: "Hello, S3 encryption!".into(),
            sse: SseMode::SseS3,
            kms_key_id: String::new(),
            customer_key: "my-32-byte-key-for-sse-c-lab-01!".into(),
            context: String::new(),
            transport: Transport::Https,
            identity: Identity::Admin,
        }
    }
}

fn cycle<T: Copy + PartialEq>(all: &[T], now: T, forward: bool) -> T {
    let i = all.iter().position(|v| *v == now).unwrap_or(0);
    let n = all.len();
    let j = if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    };
    all[j]
}

/// What the playground sends: the request, and what to look at afterwards.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub req: Req,
    /// The step's title: `PutObject lab/hello.txt · SSE-KMS · https · admin`.
    pub title: String,
    /// The object to show at rest after a successful answer.
    pub object: Option<(String, String)>,
}

impl Form {
    /// The text of a text field.
    pub fn text(&self, field: Field) -> Option<&str> {
        Some(match field {
            Field::Bucket => &self.bucket,
            Field::Key => &self.key,
            Field::Body => &self.body,
            Field::KmsKeyId => &self.kms_key_id,
            Field::CustomerKey => &self.customer_key,
            Field::Context => &self.context,
            _ => return None,
        })
    }

    pub fn set_text(&mut self, field: Field, value: String) {
        match field {
            Field::Bucket => self.bucket = value,
            Field::Key => self.key = value,
            Field::Body => self.body = value,
            Field::KmsKeyId => self.kms_key_id = value,
            Field::CustomerKey => self.customer_key = value,
            Field::Context => self.context = value,
            _ => {}
        }
    }

    /// The value of any field, as the form shows it.
    pub fn value(&self, field: Field) -> String {
        match field {
            Field::Operation => self.operation.name().into(),
            Field::Sse => self.sse.name().into(),
            Field::Transport => self.transport.as_str().to_uppercase(),
            Field::Identity => self.identity.name().into(),
            Field::KmsKeyId if self.kms_key_id.is_empty() => "(aws/s3)".into(),
            Field::Context if self.context.is_empty() => "(none)".into(),
            Field::Send => "[ Send ]".into(),
            other => self.text(other).unwrap_or_default().to_owned(),
        }
    }

    /// Whether the field matters for the current operation and mode (the form dims the others).
    pub fn applies(&self, field: Field) -> bool {
        let op = self.operation;
        match field {
            Field::Key => op.has_key(),
            Field::Body => op == Operation::PutObject,
            Field::Bucket => op != Operation::CreateKey,
            Field::Sse => !matches!(op, Operation::CreateBucket | Operation::CreateKey),
            Field::KmsKeyId => self.sse.is_kms() && op != Operation::CreateKey,
            Field::CustomerKey => self.sse == SseMode::SseC && op.has_key(),
            Field::Context => self.sse.is_kms() && op == Operation::PutObject,
            _ => true,
        }
    }

    /// The next or previous value of a choice field.
    pub fn cycle(&mut self, field: Field, forward: bool) {
        match field {
            Field::Operation => self.operation = cycle(&Operation::ALL, self.operation, forward),
            Field::Sse => self.sse = cycle(&SseMode::ALL, self.sse, forward),
            Field::Transport => {
                self.transport = cycle(
                    &[Transport::Https, Transport::Http],
                    self.transport,
                    forward,
                )
            }
            Field::Identity => self.identity = cycle(&Identity::ALL, self.identity, forward),
            _ => {}
        }
    }

    /// The customer key's bytes: 64 hex digits are decoded, anything else is taken as text.
    fn customer_key_bytes(&self) -> Vec<u8> {
        let k = self.customer_key.trim();
        if k.len() == 64 {
            if let Ok(bytes) = hex::decode(k) {
                return bytes;
            }
        }
        k.as_bytes().to_vec()
    }

    /// The encryption context as JSON: `a=1, b=2` → `{"a":"1","b":"2"}`.
    fn context_json(&self) -> Option<String> {
        let mut map = serde_json::Map::new();
        for pair in self.context.split(',') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(k.trim().into(), v.trim().into());
        }
        (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
    }

    /// The request to send.
    pub fn build(&self) -> Outgoing {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let object_path = format!("/{}/{}", self.bucket.trim(), self.key.trim());
        let mut object = None;
        let mut req = match self.operation {
            Operation::PutObject => {
                object = Some((self.bucket.trim().into(), self.key.trim().into()));
                Req::put(&object_path)
                    .header("content-type", "text/plain")
                    .body(self.body.clone().into_bytes())
            }
            Operation::GetObject => {
                object = Some((self.bucket.trim().into(), self.key.trim().into()));
                Req::get(&object_path)
            }
            Operation::HeadObject => Req::head(&object_path),
            Operation::DeleteObject => Req::delete(&object_path),
            Operation::CreateBucket => Req::put(format!("/{}", self.bucket.trim())),
            Operation::PutBucketEncryption => {
                let algorithm = match self.sse {
                    SseMode::SseKms => "aws:kms",
                    SseMode::DsseKms => "aws:kms:dsse",
                    _ => "AES256",
                };
                let key = if self.sse.is_kms() && !self.kms_key_id.trim().is_empty() {
                    format!(
                        "<KMSMasterKeyID>{}</KMSMasterKeyID>",
                        self.kms_key_id.trim()
                    )
                } else {
                    String::new()
                };
                Req::put(format!("/{}?encryption", self.bucket.trim())).body(format!(
                    "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
                     <SSEAlgorithm>{algorithm}</SSEAlgorithm>{key}</ApplyServerSideEncryptionByDefault>\
                     <BucketKeyEnabled>false</BucketKeyEnabled>\
                     <BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes>\
                     </Rule></ServerSideEncryptionConfiguration>"
                ))
            }
            Operation::CreateKey => Req::kms(
                "CreateKey",
                serde_json::json!({"Description": "made in the s3lab playground"}),
            ),
        };
        let with_sse = matches!(
            self.operation,
            Operation::PutObject | Operation::GetObject | Operation::HeadObject
        );
        if with_sse {
            match self.sse {
                SseMode::None => {}
                SseMode::SseS3 => req = req.header("x-amz-server-side-encryption", "AES256"),
                SseMode::SseKms | SseMode::DsseKms => {
                    let value = if self.sse == SseMode::SseKms {
                        "aws:kms"
                    } else {
                        "aws:kms:dsse"
                    };
                    req = req.header("x-amz-server-side-encryption", value);
                    if !self.kms_key_id.trim().is_empty() {
                        req = req.header(
                            "x-amz-server-side-encryption-aws-kms-key-id",
                            self.kms_key_id.trim(),
                        );
                    }
                    if self.operation == Operation::PutObject {
                        if let Some(json) = self.context_json() {
                            req = req.header(
                                "x-amz-server-side-encryption-context",
                                b64(json.as_bytes()),
                            );
                        }
                    }
                }
                SseMode::SseC => {
                    let key = self.customer_key_bytes();
                    req = req
                        .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
                        .header("x-amz-server-side-encryption-customer-key", b64(&key))
                        .header(
                            "x-amz-server-side-encryption-customer-key-MD5",
                            b64(&Md5::digest(&key)),
                        )
                        .showing_secret();
                }
            }
        }
        req = match self.identity.signer() {
            Some(who) => req.by(who),
            None => req.anonymous(),
        };
        req = match self.transport {
            Transport::Http => req.http(),
            Transport::Https => req.https(),
        }
        .tapped();
        let mut title = self.operation.name().to_owned();
        match self.operation {
            Operation::CreateKey => {}
            op if op.has_key() => title.push_str(&format!(" {}/{}", self.bucket, self.key)),
            _ => title.push_str(&format!(" {}", self.bucket)),
        }
        if self.applies(Field::Sse) {
            title.push_str(&format!(" · {}", self.sse.name()));
        }
        title.push_str(&format!(
            " · {} · {}",
            self.transport.as_str(),
            self.identity.name()
        ));
        Outgoing { req, title, object }
    }
}

/// The S3 or KMS error code of an answer (`AccessDenied`), if it is an error.
pub fn error_code(exchange: &Exchange) -> Option<String> {
    let status = exchange
        .response
        .start_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())?;
    if status < 400 {
        return None;
    }
    let body = String::from_utf8_lossy(&exchange.response.body.shown_bytes()).into_owned();
    let code = between(&body, "<Code>", "</Code>")
        .or_else(|| {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("__type").and_then(|t| t.as_str()).map(str::to_owned))
                .map(|t| t.rsplit('#').next().unwrap_or(&t).to_owned())
        })
        .unwrap_or_else(|| status.to_string());
    Some(code)
}

fn between(s: &str, open: &str, close: &str) -> Option<String> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(s[start..end].to_owned())
}

/// One line that explains a mistake, given the form that was sent and the answer.
pub fn hint(form: &Form, exchange: &Exchange) -> Option<String> {
    let code = error_code(exchange)?;
    let body = String::from_utf8_lossy(&exchange.response.body.shown_bytes()).into_owned();
    let message = between(&body, "<Message>", "</Message>")
        .or_else(|| {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        })
        .unwrap_or_default();
    let says = |needle: &str| message.contains(needle);
    let hint = if says("Customer provided keys must be made over a secure connection") {
        "SSE-C needs HTTPS: the key travels in the request headers, so S3 refuses it over plain HTTP."
    } else if says("AWS KMS managed keys must be made over a secure connection") {
        "SSE-KMS needs HTTPS: switch the transport to HTTPS."
    } else if says("blocked upload requests that specify Server Side Encryption with Customer") {
        "New buckets refuse SSE-C since April 2026: send PutBucketEncryption to this bucket first (it unblocks SSE-C)."
    } else if code == "NoSuchBucket" {
        "There is no bucket by that name yet: send CreateBucket first."
    } else if code == "NoSuchKey" {
        "There is no object with that key: send PutObject first."
    } else if code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
        "That bucket exists already: go ahead and put objects in it."
    } else if code.contains("NotFoundException") {
        "KMS has no key with that id: leave the key id empty for aws/s3, or send CreateKey and copy its KeyId."
    } else if code == "AccessDenied" && form.identity == Identity::Anonymous {
        "Anonymous requests are refused: choose an identity (admin, writer or reader)."
    } else if code == "AccessDenied" && form.identity == Identity::Reader && says("kms:") {
        "reader may read S3 but may not use KMS keys: the second lock. Try writer or admin."
    } else if code == "AccessDenied" {
        "This identity may not do that: admin may do everything."
    } else if form.sse == SseMode::SseC && (says("secret key") || says("customer")) {
        "SSE-C: GET and HEAD need the same customer key the object was written with, and it must be 32 bytes."
    } else if form.sse != SseMode::SseC
        && (says("Customer provided keys") || says("customer-provided") || says("customer key"))
    {
        "This object is SSE-C: choose SSE mode SSE-C and give the customer key it was written with."
    } else if says("x-amz-server-side-encryption header is not supported")
        || says("not supported for this operation")
    {
        "GET and HEAD take no x-amz-server-side-encryption header: S3 decrypts SSE-S3 and SSE-KMS objects for you. Set the SSE mode to none."
    } else if says("AES-256") || (code == "InvalidArgument" && says("encryption")) {
        "Check the SSE header's value: AES256 (no hyphen), aws:kms or aws:kms:dsse."
    } else if code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" {
        "The signature was refused: pick one of the built-in identities."
    } else {
        "S3 refused the request: its Code and Message (in the Response pane) say why."
    };
    Some(hint.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_c_sends_key_and_md5_and_is_shown_on_purpose() {
        let form = Form {
            sse: SseMode::SseC,
            ..Form::default()
        };
        let out = form.build();
        let h = |n: &str| {
            out.req
                .spec
                .headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            h("x-amz-server-side-encryption-customer-algorithm").as_deref(),
            Some("AES256")
        );
        assert!(h("x-amz-server-side-encryption-customer-key-MD5").is_some());
        assert!(out.req.shows_secret);
        assert!(out.req.wire);
        assert_eq!(out.object, Some(("lab".into(), "hello.txt".into())));
    }

    #[test]
    fn kms_context_is_base64_json() {
        let form = Form {
            sse: SseMode::SseKms,
            context: "app=demo, team = blue".into(),
            ..Form::default()
        };
        let out = form.build();
        let ctx = out
            .req
            .spec
            .headers
            .iter()
            .find(|(k, _)| k == "x-amz-server-side-encryption-context")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let json = base64::engine::general_purpose::STANDARD
            .decode(ctx)
            .unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&json),
            r#"{"app":"demo","team":"blue"}"#
        );
    }

    #[test]
    fn choices_cycle_both_ways() {
        let mut form = Form::default();
        form.cycle(Field::Transport, true);
        assert_eq!(form.transport, Transport::Http);
        form.cycle(Field::Identity, false);
        assert_eq!(form.identity, Identity::Anonymous);
        form.cycle(Field::Operation, false);
        assert_eq!(form.operation, Operation::CreateKey);
    }
}
