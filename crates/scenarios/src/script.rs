//! What a scenario writes with: a [`Script`] sends real requests through the [`Lab`] and records
//! everything a learner should see into a [`Transcript`], step by step.
//!
//! A scenario never writes an event by hand that a server could have produced: exchanges come from
//! the recording client, KMS calls from the KMS audit trail, at-rest views from the files in the
//! data folder. What a scenario adds itself is the explanation ([`Script::note`]) and the
//! assertions ([`Script::check`]).

use std::collections::BTreeMap;

use http::Method;
use s3lab_client::{RequestSpec, Response};
use s3lab_kms::audit::AuditQuery;
use s3lab_s3::encryption::StoredEncryption;
use s3lab_transcript::{
    AtRest, Check, Event, HexRegions, KmsCall, Note, Secret, Transcript, Transport,
    DEFAULT_BLOB_LIMIT,
};
use zeroize::Zeroizing;

use crate::error::ScenarioError;
use crate::lab::Lab;

/// One request, as a scenario describes it.
#[derive(Clone, Debug)]
pub struct Req {
    pub spec: RequestSpec,
    pub transport: Transport,
    /// The built-in identity that signs it (`admin`, `reader`, `writer`), or `None` for anonymous.
    pub identity: Option<String>,
    /// Whether to show what an eavesdropper saw.
    pub wire: bool,
    /// Whether the exchange shows a secret on purpose (an SSE-C key in the headers).
    pub shows_secret: bool,
}

impl Req {
    /// A request over HTTPS signed by `admin`.
    pub fn new(method: Method, path_and_query: impl Into<String>) -> Self {
        Req {
            spec: RequestSpec::new(method, path_and_query),
            transport: Transport::Https,
            identity: Some("admin".into()),
            wire: false,
            shows_secret: false,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Req::new(Method::GET, path)
    }

    pub fn put(path: impl Into<String>) -> Self {
        Req::new(Method::PUT, path)
    }

    pub fn head(path: impl Into<String>) -> Self {
        Req::new(Method::HEAD, path)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Req::new(Method::DELETE, path)
    }

    pub fn post(path: impl Into<String>) -> Self {
        Req::new(Method::POST, path)
    }

    /// A KMS JSON 1.1 call: `Req::kms("CreateKey", json!({...}))`.
    pub fn kms(operation: &str, body: serde_json::Value) -> Self {
        let mut req = Req::post("/");
        req.spec = req
            .spec
            .service("kms")
            .header("x-amz-target", format!("TrentService.{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string().into_bytes());
        req
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.spec = self.spec.header(name, value);
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.spec = self.spec.body(body);
        self
    }

    /// Signed by this built-in identity.
    pub fn by(mut self, identity: &str) -> Self {
        self.identity = Some(identity.into());
        self
    }

    /// Not signed at all.
    pub fn anonymous(mut self) -> Self {
        self.identity = None;
        self
    }

    /// Over plain HTTP.
    pub fn http(mut self) -> Self {
        self.transport = Transport::Http;
        self
    }

    /// Over HTTPS (the default).
    pub fn https(mut self) -> Self {
        self.transport = Transport::Https;
        self
    }

    /// Also records what an eavesdropper on the connection saw.
    pub fn tapped(mut self) -> Self {
        self.wire = true;
        self
    }

    /// The request carries a key the lesson shows on purpose (an SSE-C key).
    pub fn showing_secret(mut self) -> Self {
        self.shows_secret = true;
        self
    }
}

/// The parsed JSON body of a KMS answer, or `Null`.
pub fn json_body(response: &Response) -> serde_json::Value {
    serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null)
}

/// What storage holds for one object, as a scenario can check it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The stored bytes of the object's first segment (the whole blob for a single PUT).
    pub blob: Vec<u8>,
    pub encryption: Option<StoredEncryption>,
    /// The object's metadata file as written.
    pub metadata_json: String,
}

impl Stored {
    pub fn mode(&self) -> &'static str {
        self.encryption
            .as_ref()
            .map(StoredEncryption::mode_name)
            .unwrap_or("unknown")
    }

    /// Whether `needle` appears anywhere in the stored bytes.
    pub fn blob_contains(&self, needle: &[u8]) -> bool {
        !needle.is_empty() && self.blob.windows(needle.len()).any(|w| w == needle)
    }
}

/// Records one scenario's transcript while it drives the lab.
pub struct Script<'l> {
    lab: &'l Lab,
    transcript: Transcript,
    /// How much of the KMS audit trail has been shown already.
    kms_cursor: usize,
    /// Every key the scenario handled, so tests can prove none leaked into the transcript.
    secrets: Vec<crate::KeyBytes>,
}

impl<'l> Script<'l> {
    pub fn new(lab: &'l Lab, id: &str, title: &str) -> Self {
        Script {
            lab,
            transcript: Transcript::new(id, title),
            kms_cursor: lab.app().kms().audit_len(),
            secrets: Vec::new(),
        }
    }

    pub fn lab(&self) -> &'l Lab {
        self.lab
    }

    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    pub fn finish(self) -> Transcript {
        self.transcript
    }

    /// The transcript, and every key the scenario said it handled.
    pub fn finish_with_secrets(self) -> (Transcript, Vec<crate::KeyBytes>) {
        (self.transcript, self.secrets)
    }

    /// Notes a key the scenario handles (an SSE-C key, a client-side master key, a plaintext data
    /// key), so the secrets test can prove it appears only where a step shows it on purpose.
    pub fn remember_secret(&mut self, key: &[u8]) {
        self.secrets.push(Zeroizing::new(key.to_vec()));
    }

    /// Starts the next step. Events before the first step land in an untitled one.
    pub fn step(&mut self, title: impl Into<String>) -> &mut Self {
        self.skip_kms_calls();
        self.transcript.step(title);
        self
    }

    fn push(&mut self, event: impl Into<Event>) {
        if self.transcript.steps.is_empty() {
            self.transcript.step("");
        }
        let last = self.transcript.steps.len() - 1;
        self.transcript.steps[last].push(event);
    }

    /// The explanation of the current step.
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.push(Note::new(text));
        self
    }

    /// An explanation linked to the claims it explains.
    pub fn note_claims(&mut self, text: impl Into<String>, claims: &[&str]) -> &mut Self {
        self.push(Note::new(text).claims(claims.iter().copied()));
        self
    }

    /// Records a check and returns whether it passed.
    pub fn check(
        &mut self,
        name: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        observed: impl Into<String>,
        claims: &[&str],
    ) -> bool {
        let check = Check {
            name: name.into(),
            passed,
            expected: expected.into(),
            observed: observed.into(),
            claims: claims.iter().map(|c| (*c).to_owned()).collect(),
            shown_on_purpose: false,
        };
        self.push(check);
        passed
    }

    /// A check that passes when `observed == expected`.
    pub fn check_eq(
        &mut self,
        name: impl Into<String>,
        expected: impl ToString,
        observed: impl ToString,
        claims: &[&str],
    ) -> bool {
        let expected = expected.to_string();
        let observed = observed.to_string();
        self.check(name, expected == observed, expected, observed, claims)
    }

    /// A check of an S3 or KMS answer's status and error code: `("403", "AccessDenied")`.
    /// `code` is `""` for a success.
    pub fn check_status(
        &mut self,
        name: impl Into<String>,
        response: &Response,
        status: u16,
        code: &str,
        claims: &[&str],
    ) -> bool {
        let expected = if code.is_empty() {
            status.to_string()
        } else {
            format!("{status} {code}")
        };
        let observed = describe_status(response);
        self.check(name, expected == observed, expected, observed, claims)
    }

    /// Shows a key on purpose, saying why.
    pub fn secret(&mut self, label: &str, bytes: &[u8], why: &str) -> &mut Self {
        self.push(Secret::on_purpose(label, bytes, why));
        self
    }

    /// Sends a request, records the exchange (and the wire, if asked), then the KMS calls it caused.
    pub fn send(&mut self, req: Req) -> Result<Response, ScenarioError> {
        self.skip_kms_calls();
        let recorded = self
            .lab
            .send(req.transport, req.identity.as_deref(), &req.spec)?;
        let mark = |e: Event| if req.shows_secret { e.on_purpose() } else { e };
        self.push(mark(recorded.exchange));
        if req.wire {
            self.push(mark(recorded.wire));
        }
        self.kms_calls();
        Ok(recorded.response)
    }

    /// Sends a request without showing it: set-up the lesson is not about.
    pub fn quietly(&mut self, req: Req) -> Result<Response, ScenarioError> {
        let response = self
            .lab
            .send_quietly(req.transport, req.identity.as_deref(), &req.spec)?;
        self.skip_kms_calls();
        Ok(response)
    }

    /// Records the KMS audit records written since the last look, as `KmsCall` events.
    pub fn kms_calls(&mut self) -> Vec<KmsCall> {
        let kms = self.lab.app().kms();
        let records = kms.audit(&AuditQuery {
            since: self.kms_cursor,
            ..AuditQuery::default()
        });
        self.kms_cursor += records.len();
        let calls: Vec<KmsCall> = records.iter().map(kms_call).collect();
        for call in &calls {
            self.push(call.clone());
        }
        calls
    }

    /// Forgets the KMS records written since the last look (caused by unrecorded set-up).
    fn skip_kms_calls(&mut self) {
        self.kms_cursor = self.lab.app().kms().audit_len();
    }

    /// Looks at what storage wrote for `bucket/key`, records an `AtRest` event and returns it.
    pub fn at_rest(&mut self, bucket: &str, key: &str) -> Result<Stored, ScenarioError> {
        let (event, stored) = at_rest(self.lab, bucket, key)?;
        self.push(event);
        Ok(stored)
    }
}

/// `200`, or `403 AccessDenied` (the S3 XML `Code`, or KMS's `__type`).
pub fn describe_status(response: &Response) -> String {
    let mut code = response.element("Code");
    if code.is_empty() {
        if let Some(t) = json_body(response).get("__type").and_then(|v| v.as_str()) {
            code = t.rsplit('#').next().unwrap_or(t).to_owned();
        }
    }
    if code.is_empty() {
        response.status.to_string()
    } else {
        format!("{} {}", response.status, code)
    }
}

fn kms_call(record: &s3lab_kms::audit::AuditRecord) -> KmsCall {
    let context = record
        .request_parameters
        .get("encryptionContext")
        .and_then(|v| v.as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect::<BTreeMap<_, _>>()
        })
        .unwrap_or_default();
    let identity = &record.user_identity;
    KmsCall {
        event_name: record.event_name.clone(),
        key_arn: record.key_arn().map(str::to_owned),
        key_material_id: record.key_material_id().map(str::to_owned),
        caller: identity
            .arn
            .clone()
            .unwrap_or_else(|| identity.kind.clone()),
        invoked_by: identity.invoked_by.clone(),
        encryption_context: context,
        error_code: record.error_code.clone(),
        event_time: record.event_time.clone(),
        shown_on_purpose: false,
    }
}

/// The `AtRest` event of one object, and the facts a check needs.
pub fn at_rest(lab: &Lab, bucket: &str, key: &str) -> Result<(AtRest, Stored), ScenarioError> {
    let s3 = lab.app().s3();
    let meta = s3
        .inspect_object(bucket, key)
        .map_err(|e| ScenarioError::lab(format!("no object {bucket}/{key}: {e:?}")))?;
    let (meta_path, blobs) = s3
        .object_paths(bucket, key)
        .map_err(|e| ScenarioError::lab(format!("no object {bucket}/{key}: {e:?}")))?;
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| ScenarioError::lab(format!("{}: {e}", p.display())))
    };
    let blob = match blobs.first() {
        Some(p) => read(p)?,
        None => Vec::new(),
    };
    let metadata_json = match &meta_path {
        Some(p) => {
            let raw = read(p)?;
            serde_json::from_slice::<serde_json::Value>(&raw)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| String::from_utf8_lossy(&raw).into_owned())
        }
        None => String::new(),
    };
    let encryption = StoredEncryption::from_value(&meta.encryption).ok();
    let relative = |p: &std::path::Path| {
        p.strip_prefix(lab.data_dir())
            .unwrap_or(p)
            .display()
            .to_string()
    };
    let (mode, wrapped_key, key_ids, material_versions) = describe(encryption.as_ref());
    let event = AtRest {
        bucket: bucket.into(),
        key: key.into(),
        blob_path: blobs.first().map(|p| relative(p)),
        blob_len: blob.len() as u64,
        blob_preview: HexRegions::at_rest_blob(&blob, blob.len() as u64, DEFAULT_BLOB_LIMIT),
        metadata_json: metadata_json.clone(),
        mode,
        wrapped_key,
        key_ids,
        material_versions,
        shown_on_purpose: false,
    };
    Ok((
        event,
        Stored {
            blob,
            encryption,
            metadata_json,
        },
    ))
}

/// Mode, wrapped key, key ids and material versions, as the `AtRest` event shows them.
fn describe(
    encryption: Option<&StoredEncryption>,
) -> (String, Option<String>, Vec<String>, Vec<String>) {
    let root = |v: u32| format!("S3 root key v{v}");
    match encryption {
        None => ("unknown".into(), None, Vec::new(), Vec::new()),
        Some(StoredEncryption::None { .. }) => ("none".into(), None, Vec::new(), Vec::new()),
        Some(StoredEncryption::SseS3 { data_key }) => (
            "SSE-S3".into(),
            Some(data_key.wrapped_data_key.clone()),
            vec![root(data_key.root_key_version)],
            vec![format!("v{}", data_key.root_key_version)],
        ),
        Some(StoredEncryption::SseKms(k)) => (
            "SSE-KMS".into(),
            Some(k.kms_ciphertext_blob.clone()),
            vec![k.kms_key_arn.clone()],
            vec![k.kms_key_material_id.clone()],
        ),
        Some(StoredEncryption::DsseKms {
            kms_layer,
            s3_layer,
        }) => (
            "DSSE-KMS".into(),
            Some(kms_layer.kms_ciphertext_blob.clone()),
            vec![
                kms_layer.kms_key_arn.clone(),
                root(s3_layer.root_key_version),
            ],
            vec![
                kms_layer.kms_key_material_id.clone(),
                format!("v{}", s3_layer.root_key_version),
            ],
        ),
        Some(StoredEncryption::SseC {
            wrapped_data_key, ..
        }) => (
            "SSE-C".into(),
            Some(wrapped_data_key.clone()),
            vec!["customer key (not stored; only a salted HMAC of it)".into()],
            Vec::new(),
        ),
    }
}
