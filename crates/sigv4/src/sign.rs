//! The client side: signing requests and presigning URLs.

use http::header::{HeaderName, AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::canonical::{build, format_amz_date, push_trimmed, string_to_sign_bytes};
use crate::crypto::{sign_string, signing_key, SigningKey};
use crate::encode::{canonical_query_from, canonical_uri, param, parse_query};
use crate::{CredentialScope, PayloadHash, UriStyle, ALGORITHM, EMPTY_SHA256};

/// An access key and its secret.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"..")
            .finish()
    }
}

/// Everything a signature was made of, for a recording client to show and to sign chunks with.
#[derive(Clone, Debug)]
pub struct SignatureInfo {
    /// The `Authorization` header that was set.
    pub authorization: String,
    pub signature: String,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub scope: CredentialScope,
    pub request_time: OffsetDateTime,
    pub signed_headers: Vec<String>,
    /// For the chunk signatures of an `aws-chunked` body ([`crate::chunk_signature`]).
    pub signing_key: SigningKey,
}

/// Why a request could not be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the request has no host header, and SigV4 must sign it")]
    MissingHost,
    #[error("{0:?} cannot be sent as a header value")]
    InvalidHeaderValue(String),
}

/// Headers that clients leave unsigned because proxies and HTTP stacks add, change or drop them.
const UNSIGNED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "expect",
    "x-amzn-trace-id",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

fn header_value(value: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(value).map_err(|_| SignError::InvalidHeaderValue(value.to_owned()))
}

/// Signs a request in place: sets `x-amz-date`, `x-amz-content-sha256` when the service is S3,
/// and `Authorization`, signing every header present except the hop-by-hop ones and
/// `user-agent`, `expect` and `x-amzn-trace-id`. The headers must include `host`.
#[allow(clippy::too_many_arguments)] // each argument is one input of the SigV4 algorithm
pub fn sign_headers(
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &mut HeaderMap,
    payload: &PayloadHash,
    creds: &Credentials,
    region: &str,
    service: &str,
    uri_style: UriStyle,
    time: OffsetDateTime,
) -> Result<SignatureInfo, SignError> {
    if !headers.contains_key(HOST) {
        return Err(SignError::MissingHost);
    }
    headers.remove(AUTHORIZATION);
    let amz_date = format_amz_date(time);
    headers.insert(
        HeaderName::from_static("x-amz-date"),
        header_value(&amz_date)?,
    );
    if service == "s3" {
        headers.insert(
            HeaderName::from_static("x-amz-content-sha256"),
            header_value(payload.as_str())?,
        );
    }
    let mut signed: Vec<String> = headers
        .keys()
        .map(HeaderName::as_str)
        .filter(|name| !UNSIGNED_HEADERS.contains(name))
        .map(str::to_owned)
        .collect();
    signed.sort();
    signed.dedup();
    let line = signed.join(";");
    let query = canonical_query_from(&parse_query(raw_query.unwrap_or("")), false);
    let canonical = build(
        method,
        &canonical_uri(raw_path, uri_style),
        &query,
        headers,
        &signed,
        &line,
        payload.as_str(),
    );
    let scope = CredentialScope::new(time, region, service);
    let key = signing_key(&creds.secret_access_key, &scope.date, region, service);
    let string_to_sign = string_to_sign_bytes(&amz_date, &scope, &canonical.bytes);
    let signature = sign_string(&key, &string_to_sign);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={line}, Signature={signature}",
        creds.access_key_id
    );
    headers.insert(AUTHORIZATION, header_value(&authorization)?);
    Ok(SignatureInfo {
        authorization,
        signature,
        canonical_request: String::from_utf8_lossy(&canonical.bytes).into_owned(),
        string_to_sign,
        scope,
        request_time: time,
        signed_headers: signed,
        signing_key: key,
    })
}

/// Presigns a request whose only signed header is `host` and returns the whole query string: the
/// request's own parameters and the `X-Amz-*` ones, in canonical form, then `X-Amz-Signature`.
/// For S3 the payload is `UNSIGNED-PAYLOAD` and the path is used as given; for other services the
/// payload is the hash of an empty body and the path is normalised.
#[allow(clippy::too_many_arguments)] // each argument is one input of the SigV4 algorithm
pub fn presign(
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    host: &str,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: OffsetDateTime,
    expires_secs: u64,
) -> String {
    let scope = CredentialScope::new(time, region, service);
    let amz_date = format_amz_date(time);
    let mut params = parse_query(raw_query.unwrap_or(""));
    params.push(param("X-Amz-Algorithm", ALGORITHM));
    params.push(param(
        "X-Amz-Credential",
        &format!("{}/{scope}", creds.access_key_id),
    ));
    params.push(param("X-Amz-Date", &amz_date));
    params.push(param("X-Amz-Expires", &expires_secs.to_string()));
    params.push(param("X-Amz-SignedHeaders", "host"));
    let query = canonical_query_from(&params, false);
    let (uri_style, payload) = if service == "s3" {
        (UriStyle::S3, PayloadHash::UNSIGNED)
    } else {
        (UriStyle::Normalized, EMPTY_SHA256)
    };
    // The host value is canonicalised as the verifier does it: trimmed, and each run of spaces
    // and tabs inside it made one space.
    let mut host_value = Vec::with_capacity(host.len());
    push_trimmed(host.as_bytes(), &mut host_value);
    let canonical = format!(
        "{method}\n{}\n{query}\nhost:{}\n\nhost\n{payload}",
        canonical_uri(raw_path, uri_style),
        String::from_utf8_lossy(&host_value)
    );
    let key = signing_key(&creds.secret_access_key, &scope.date, region, service);
    let signature = sign_string(
        &key,
        &string_to_sign_bytes(&amz_date, &scope, canonical.as_bytes()),
    );
    format!("{query}&X-Amz-Signature={signature}")
}
