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
///
/// AWS's JSON front end answers a body it cannot read with a `SerializationException`. Measured on
/// a JSON 1.1 service of the same front end (Athena, raw HTTP against AWS): a body that is not
/// JSON, or is JSON `null`, a string or a number, gets no message at all; a list gets "Start of
/// list found where not expected"; a member of the wrong JSON type gets its parser's sentence,
/// such as "STRING_VALUE can not be converted to an Integer" ([`coral_message`]). Other type
/// faults (a blob that is not base64, for one) were not measured and get no message.
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, (&'static str, String)> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let refuse = |message: &str| ("SerializationException", message.to_owned());
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| refuse(""))?;
    match value {
        serde_json::Value::Object(_) => {}
        serde_json::Value::Array(_) => return Err(refuse(START_OF_LIST)),
        _ => return Err(refuse("")),
    }
    serde_json::from_value(value).map_err(|e| refuse(coral_message(&e.to_string()).unwrap_or("")))
}

const START_OF_LIST: &str = "Start of list found where not expected";

/// What AWS's JSON front end says when a member has the wrong JSON type, from serde's description
/// of the same fault (`invalid type: string "32", expected i64`). `None` where AWS's sentence is
/// not known.
fn coral_message(serde_text: &str) -> Option<&'static str> {
    #[derive(PartialEq)]
    enum Json {
        String,
        Number,
        True,
        False,
        List,
        Map,
    }
    #[derive(PartialEq)]
    enum Shape {
        Integer,
        String,
        List,
        Structure,
        Other,
    }
    let (found, expected) = serde_text
        .strip_prefix("invalid type: ")?
        .split_once(", expected ")?;
    let found = match found.split([' ', '`']).next()? {
        "string" => Json::String,
        "integer" | "floating" => Json::Number,
        "boolean" if found.contains("true") => Json::True,
        "boolean" => Json::False,
        "sequence" => Json::List,
        "map" => Json::Map,
        _ => return None,
    };
    let expected = expected.split(" at line ").next().unwrap_or(expected);
    let shape = match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => Shape::Integer,
        "a string" | "a borrowed string" => Shape::String,
        "a sequence" => Shape::List,
        e if e == "a map" || e.starts_with("struct ") => Shape::Structure,
        _ => Shape::Other,
    };
    Some(match (found, shape) {
        (Json::List, Shape::List) | (Json::Map, Shape::Structure) => return None,
        (Json::List, _) => START_OF_LIST,
        (Json::Map, _) => "Start of structure or map found where not expected.",
        (Json::String, Shape::Integer) => "STRING_VALUE can not be converted to an Integer",
        (Json::String, Shape::List) => "Expected list or null",
        (Json::String, Shape::Structure) => "Expected null",
        (Json::Number, Shape::String) => "NUMBER_VALUE can not be converted to a String",
        (Json::True, Shape::Integer) => "TRUE_VALUE can not be converted to an Integer",
        (Json::True, Shape::String) => "TRUE_VALUE can not be converted to a String",
        (Json::False, Shape::Integer) => "FALSE_VALUE can not be converted to an Integer",
        (Json::False, Shape::String) => "FALSE_VALUE can not be converted to a String",
        _ => return None,
    })
}

macro_rules! dispatch {
    ($self:ident, $caller:ident, $op:ident, $body:ident, $rid:ident, { $($name:literal => $method:ident),+ $(,)? }) => {
        match $op {
            $($name => match decode($body) {
                Ok(req) => match $self.kms.$method($caller, req) {
                    Ok(resp) => json_response($rid, 200, &resp),
                    Err(e) => kms_error($rid, &e),
                },
                Err((t, m)) => error_response($rid, 400, t, &m),
            },)+
            _ => error_response($rid, 400, "UnknownOperationException", ""),
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
        self.dispatch(&caller, op, req.body, &rid)
    }

    /// Runs operation `op` (`Encrypt`, ...) for a caller whose request is authenticated: decodes
    /// `body` as the operation's request, calls the [`Kms`], and encodes its answer or error.
    pub(crate) fn dispatch(
        &self,
        caller: &Caller,
        op: &str,
        body: &[u8],
        rid: &str,
    ) -> Response<Bytes> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> (&'static str, String) {
        match decode::<crate::api::GenerateDataKeyRequest>(body.as_bytes()) {
            Ok(_) => panic!("{body} was accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn unreadable_bodies_are_refused_in_the_words_of_aws_json_front_end() {
        let s = "SerializationException";
        for body in ["{KeyId:", "{", "null", "\"x\"", "5", r#"{"KeyId":"k",}"#] {
            assert_eq!(refusal(body), (s, String::new()), "{body}");
        }
        assert_eq!(refusal("[]"), (s, START_OF_LIST.to_owned()));
        let cases = [
            (
                r#"{"NumberOfBytes":"32"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"NumberOfBytes":true}"#,
                "TRUE_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"KeyId":5}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"KeyId":false}"#,
                "FALSE_VALUE can not be converted to a String",
            ),
            (r#"{"KeyId":["k"]}"#, START_OF_LIST),
            (
                r#"{"KeyId":{}}"#,
                "Start of structure or map found where not expected.",
            ),
            (r#"{"GrantTokens":"t"}"#, "Expected list or null"),
        ];
        for (body, message) in cases {
            assert_eq!(refusal(body), (s, message.to_owned()), "{body}");
        }
        // A fault whose AWS wording was never measured: no message rather than an invented one.
        assert_eq!(refusal(r#"{"NumberOfBytes":1.5}"#), (s, String::new()));
        // `null` members are absent members, and an empty body an empty request.
        assert!(decode::<crate::api::GenerateDataKeyRequest>(br#"{"KeyId":null}"#).is_ok());
        assert!(decode::<crate::api::GenerateDataKeyRequest>(b" ").is_ok());
    }
}
