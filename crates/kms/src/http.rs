//! The AWS JSON 1.1 protocol of KMS: `POST /` with `X-Amz-Target: TrentService.<Operation>`,
//! a SigV4 signature for the service `kms`, JSON bodies with base64 blobs, and errors as
//! `{"__type": "...", "message": "..."}`.
//!
//! This module only translates: it verifies the signature, finds the caller, decodes the body
//! into the typed request, and encodes what [`Kms`] answers.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use s3lab_env::Clock;
use s3lab_iam::IdentityTable;
use s3lab_sigv4 as sigv4;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Digest;

use crate::error::KmsError;
use crate::service::{Caller, Kms};

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const TARGET_PREFIX: &str = "TrentService.";

/// Everything about one HTTP request that the KMS protocol needs. The server fills it in.
pub struct KmsHttpRequest<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure: bool,
    pub source_ip: String,
}

/// The KMS endpoint: a [`Kms`], the identities that may sign requests, and the clock that
/// signatures are checked against.
pub struct KmsHttp {
    kms: Arc<Kms>,
    identities: Arc<IdentityTable>,
    /// Signature times are checked against this clock. It is the real clock when external clients
    /// (the AWS CLI, boto3) talk to the lab, even if the KMS's own clock is simulated.
    auth_clock: Clock,
}

/// True when the request is addressed to KMS (by its `X-Amz-Target`).
pub fn is_kms_request(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(TARGET_PREFIX))
}

/// An error response in the JSON protocol's shape.
pub fn error_response(
    request_id: &str,
    status: u16,
    type_name: &str,
    message: &str,
) -> Response<Bytes> {
    let mut body = serde_json::json!({ "__type": type_name });
    if !message.is_empty() {
        body["message"] = serde_json::Value::String(message.to_owned());
    }
    json_response(request_id, status, &body)
}

fn json_response(request_id: &str, status: u16, body: &impl Serialize) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn kms_error(request_id: &str, e: &KmsError) -> Response<Bytes> {
    if let KmsError::Internal(detail) = e {
        tracing::error!(detail, "KMS internal error");
    }
    error_response(request_id, e.status(), e.type_name(), &e.message())
}

/// Decodes a request body. An empty body counts as `{}`, as AWS treats it.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (&'static str, String)> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        // AWS answers malformed or mistyped JSON with a SerializationException; its wording comes
        // from its Java parser and cannot be reproduced, so the message says what serde found.
        ("SerializationException", serde_json_message(&e))
    })
}

fn serde_json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("The request body is not valid JSON: {text}")
        }
        _ => format!("The request body does not match the operation's shape: {text}"),
    }
}

macro_rules! dispatch {
    ($self:ident, $caller:ident, $op:ident, $body:ident, $rid:ident, { $($name:literal => $method:ident),+ $(,)? }) => {
        match $op {
            $($name => match decode($body) {
                Ok(req) => match $self.kms.$method(&$caller, req) {
                    Ok(resp) => json_response(&$rid, 200, &resp),
                    Err(e) => kms_error(&$rid, &e),
                },
                Err((t, m)) => error_response(&$rid, 400, t, &m),
            },)+
            _ => error_response(&$rid, 400, "UnknownOperationException", ""),
        }
    };
}

impl KmsHttp {
    pub fn new(kms: Arc<Kms>, identities: Arc<IdentityTable>, auth_clock: Clock) -> Self {
        KmsHttp {
            kms,
            identities,
            auth_clock,
        }
    }

    pub fn kms(&self) -> &Arc<Kms> {
        &self.kms
    }

    pub fn handle(&self, req: &KmsHttpRequest) -> Response<Bytes> {
        let rid = self.kms.env().entropy.uuid().to_string();
        if req.method != "POST" {
            // [unsure] what KMS answers to other methods; the JSON protocol knows only POST.
            return error_response(&rid, 400, "UnknownOperationException", "");
        }
        let body_hash = hex::encode(sha2::Sha256::digest(req.body));
        let parts = sigv4::RequestParts {
            method: req.method,
            raw_path: req.raw_path,
            raw_query: req.raw_query,
            headers: req.headers,
        };
        let config = self.kms.config();
        let opts = sigv4::VerifyOptions {
            service: "kms",
            region: &config.region,
            uri_style: sigv4::UriStyle::Normalized,
            now: self.auth_clock.now(),
            max_skew: time::Duration::minutes(15),
        };
        let lookup = |ak: &str| self.identities.secret_for(ak);
        let verified = match sigv4::verify(
            &parts,
            sigv4::PayloadSource::Computed(&body_hash),
            &lookup,
            &opts,
        ) {
            Ok(v) => v,
            Err(e) => {
                let err = e.json_service();
                return error_response(&rid, err.status, err.code, &err.message);
            }
        };
        let Some(identity) = self.identities.lookup(&verified.access_key_id) else {
            return error_response(
                &rid,
                400,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            );
        };
        let user_agent = req
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let caller = Caller::direct(identity, req.source_ip.clone(), user_agent, req.secure);
        let target = req
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let op = target.strip_prefix(TARGET_PREFIX).unwrap_or("");
        let body = req.body;
        dispatch!(self, caller, op, body, rid, {
            "CreateKey" => create_key,
            "DescribeKey" => describe_key,
            "ListKeys" => list_keys,
            "CreateAlias" => create_alias,
            "UpdateAlias" => update_alias,
            "DeleteAlias" => delete_alias,
            "ListAliases" => list_aliases,
            "Encrypt" => encrypt,
            "Decrypt" => decrypt,
            "GenerateDataKey" => generate_data_key,
            "GenerateDataKeyWithoutPlaintext" => generate_data_key_without_plaintext,
            "GenerateRandom" => generate_random,
            "ReEncrypt" => re_encrypt,
            "EnableKey" => enable_key,
            "DisableKey" => disable_key,
            "ScheduleKeyDeletion" => schedule_key_deletion,
            "CancelKeyDeletion" => cancel_key_deletion,
            "EnableKeyRotation" => enable_key_rotation,
            "DisableKeyRotation" => disable_key_rotation,
            "GetKeyRotationStatus" => get_key_rotation_status,
            "RotateKeyOnDemand" => rotate_key_on_demand,
            "ListKeyRotations" => list_key_rotations,
            "GetKeyPolicy" => get_key_policy,
            "PutKeyPolicy" => put_key_policy,
        })
    }
}
