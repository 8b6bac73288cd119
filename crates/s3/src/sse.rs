//! Server-side encryption as a request asks for it: the SSE headers parsed once, at the edge, into
//! typed values, with Amazon S3's error for every bad combination (reference sections 1–3).

use std::collections::BTreeMap;

use base64::Engine as _;
use http::HeaderMap;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use crate::error::{S3Error, S3Result};

pub const SSE: &str = "x-amz-server-side-encryption";
pub const SSE_KMS_KEY_ID: &str = "x-amz-server-side-encryption-aws-kms-key-id";
pub const SSE_CONTEXT: &str = "x-amz-server-side-encryption-context";
pub const SSE_BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled";
pub const SSE_C_ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
pub const SSE_C_KEY: &str = "x-amz-server-side-encryption-customer-key";
pub const SSE_C_KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
pub const COPY_SOURCE_SSE_C_PREFIX: &str = "x-amz-copy-source-server-side-encryption-customer-";
pub const SSE_C_PREFIX: &str = "x-amz-server-side-encryption-customer-";

/// The value of `x-amz-server-side-encryption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseAlgorithm {
    /// `AES256`: SSE-S3.
    Aes256,
    /// `aws:kms`: SSE-KMS.
    AwsKms,
    /// `aws:kms:dsse`: DSSE-KMS.
    AwsKmsDsse,
}

impl SseAlgorithm {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "AES256" => Some(SseAlgorithm::Aes256),
            "aws:kms" => Some(SseAlgorithm::AwsKms),
            "aws:kms:dsse" => Some(SseAlgorithm::AwsKmsDsse),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SseAlgorithm::Aes256 => "AES256",
            SseAlgorithm::AwsKms => "aws:kms",
            SseAlgorithm::AwsKmsDsse => "aws:kms:dsse",
        }
    }

    pub fn is_kms(self) -> bool {
        matches!(self, SseAlgorithm::AwsKms | SseAlgorithm::AwsKmsDsse)
    }
}

/// A customer-provided key (SSE-C). The key itself never leaves this value; it is zeroized on drop
/// and never printed.
#[derive(Clone)]
pub struct CustomerKey {
    key: Zeroizing<[u8; 32]>,
    /// base64 of the MD5 of the raw key, as the client sent it (and as S3 echoes it).
    pub key_md5: String,
}

impl CustomerKey {
    pub fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// For tests and scenarios that generate a key locally.
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(key));
        CustomerKey {
            key: Zeroizing::new(key),
            key_md5: md5,
        }
    }
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CustomerKey(md5={})", self.key_md5)
    }
}

impl PartialEq for CustomerKey {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.key.ct_eq(other.key.as_ref()).into()
    }
}

/// What a write (PutObject, CopyObject's target, CreateMultipartUpload, POST) asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum SseRequest {
    /// No encryption header: the bucket's default encryption decides.
    Unspecified { bucket_key: Option<bool> },
    /// `AES256`.
    S3 { bucket_key: Option<bool> },
    /// `aws:kms` or `aws:kms:dsse`, with an optional key id (id, ARN or alias) and context pairs.
    Kms {
        dsse: bool,
        key_id: Option<String>,
        context: Option<BTreeMap<String, String>>,
        bucket_key: Option<bool>,
    },
    /// SSE-C.
    Customer(CustomerKey),
}

impl SseRequest {
    pub fn is_customer(&self) -> bool {
        matches!(self, SseRequest::Customer(_))
    }

    pub fn is_kms(&self) -> bool {
        matches!(self, SseRequest::Kms { .. })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> S3Result<Option<&'a str>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(Some).map_err(|_| {
            S3Error::invalid_argument(format!("The value of the {name} header is not valid text."))
                .argument(name, "")
        }),
    }
}

/// Parses the SSE headers of a write.
pub fn parse_write(headers: &HeaderMap) -> S3Result<SseRequest> {
    let sse = header(headers, SSE)?;
    let algorithm = match sse {
        None => None,
        Some(v) => Some(SseAlgorithm::parse(v).ok_or_else(|| {
            // [unsure] ArgumentName/Value: S3-compatible servers send them; no AWS capture found.
            S3Error::invalid_argument("The encryption method specified is not supported")
                .argument(SSE, v)
        })?),
    };
    let customer = parse_customer(headers, SSE_C_PREFIX)?;
    if let Some(customer) = customer {
        if let Some(v) = sse {
            return Err(S3Error::invalid_argument(
                "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
            )
            .argument(SSE, v));
        }
        return Ok(SseRequest::Customer(customer));
    }
    let key_id = header(headers, SSE_KMS_KEY_ID)?;
    let context = header(headers, SSE_CONTEXT)?;
    let bucket_key = match header(headers, SSE_BUCKET_KEY)? {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
        // [unsure] wording; S3 models the header as a boolean.
        Some(v) => {
            return Err(S3Error::invalid_argument(format!(
                "Invalid value for {SSE_BUCKET_KEY}: {v}"
            ))
            .argument(SSE_BUCKET_KEY, v))
        }
    };
    let is_kms = algorithm.is_some_and(SseAlgorithm::is_kms);
    if !is_kms && (key_id.is_some() || context.is_some()) {
        let (name, value) = if let Some(k) = key_id {
            (SSE_KMS_KEY_ID, k)
        } else {
            (SSE_CONTEXT, context.unwrap_or(""))
        };
        return Err(S3Error::invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        )
        .argument(name, value));
    }
    match algorithm {
        None => Ok(SseRequest::Unspecified { bucket_key }),
        Some(SseAlgorithm::Aes256) => Ok(SseRequest::S3 { bucket_key }),
        Some(alg) => Ok(SseRequest::Kms {
            dsse: alg == SseAlgorithm::AwsKmsDsse,
            key_id: key_id.map(str::to_owned),
            context: context.map(parse_context).transpose()?,
            bucket_key,
        }),
    }
}

/// `x-amz-server-side-encryption-context`: base64 of a UTF-8 JSON object of string pairs.
pub fn parse_context(value: &str) -> S3Result<BTreeMap<String, String>> {
    // [unsure] AWS's exact message; this is the one S3 is reported to send.
    let bad = || {
        S3Error::invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
        )
        .argument(SSE_CONTEXT, value)
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| bad())?;
    let map: BTreeMap<String, String> = serde_json::from_slice(&raw).map_err(|_| bad())?;
    Ok(map)
}

/// Parses an SSE-C triple (`prefix` is [`SSE_C_PREFIX`] or [`COPY_SOURCE_SSE_C_PREFIX`]) with the
/// error matrix of reference section 3.3. `None` when none of the three headers is present.
pub fn parse_customer(headers: &HeaderMap, prefix: &str) -> S3Result<Option<CustomerKey>> {
    let alg_name = format!("{prefix}algorithm");
    let key_name = format!("{prefix}key");
    let md5_name = format!("{prefix}key-md5");
    let algorithm = header(headers, &alg_name)?;
    let key = header(headers, &key_name)?;
    let md5 = header(headers, &md5_name)?;
    if algorithm.is_none() && key.is_none() && md5.is_none() {
        return Ok(None);
    }
    // AWS names `x-amz-server-side-encryption` in these errors, whichever header is at fault.
    let err = |m: &str, value: &str| S3Error::invalid_argument(m).argument(SSE, value);
    let Some(algorithm) = algorithm else {
        return Err(err(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
            "null",
        ));
    };
    if algorithm != "AES256" {
        return Err(S3Error::new(
            400,
            "InvalidEncryptionAlgorithmError",
            "The Encryption request you specified is not valid. Supported value: AES256.",
        )
        .argument(SSE, algorithm));
    }
    let Some(key) = key else {
        return Err(err(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
            "null",
        ));
    };
    let raw = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .unwrap_or_default(),
    );
    let Ok(bytes) = <[u8; 32]>::try_from(raw.as_slice()) else {
        return Err(err(
            "The secret key was invalid for the specified algorithm.",
            "null",
        ));
    };
    let customer = CustomerKey::from_bytes(bytes);
    let Some(md5) = md5 else {
        // [unsure] AWS's text; this is MinIO's and IBM COS's.
        return Err(err(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.",
            "null",
        ));
    };
    if md5.trim() != customer.key_md5 {
        return Err(err(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
            "null",
        ));
    }
    Ok(Some(customer))
}

/// GET and HEAD may not name an encryption method (it is fixed when the object is written).
pub fn reject_on_read(headers: &HeaderMap) -> S3Result<()> {
    for name in [SSE, SSE_KMS_KEY_ID, SSE_CONTEXT] {
        if let Some(v) = header(headers, name)? {
            // [unsure] exact text for GET; this is what AWS sends for other operations (reference 1).
            return Err(S3Error::invalid_argument(format!(
                "{name} header is not supported for this operation."
            ))
            .argument(name, v));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn key_b64(byte: u8, len: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(vec![byte; len])
    }

    fn md5_b64(byte: u8, len: usize) -> String {
        base64::engine::general_purpose::STANDARD.encode(Md5::digest(vec![byte; len]))
    }

    fn code_msg(r: S3Result<impl std::fmt::Debug>) -> (u16, &'static str, String) {
        let e = r.unwrap_err();
        (e.status, e.code, e.message)
    }

    #[test]
    fn no_headers_means_the_bucket_default() {
        assert_eq!(
            parse_write(&HeaderMap::new()).unwrap(),
            SseRequest::Unspecified { bucket_key: None }
        );
    }

    #[test]
    fn modes_parse() {
        assert_eq!(
            parse_write(&headers(&[(SSE, "AES256")])).unwrap(),
            SseRequest::S3 { bucket_key: None }
        );
        let ctx = base64::engine::general_purpose::STANDARD.encode(r#"{"project":"lab"}"#);
        let r = parse_write(&headers(&[
            (SSE, "aws:kms"),
            (SSE_KMS_KEY_ID, "alias/k"),
            (SSE_CONTEXT, &ctx),
            (SSE_BUCKET_KEY, "true"),
        ]))
        .unwrap();
        assert_eq!(
            r,
            SseRequest::Kms {
                dsse: false,
                key_id: Some("alias/k".into()),
                context: Some([("project".to_string(), "lab".to_string())].into()),
                bucket_key: Some(true)
            }
        );
        assert!(matches!(
            parse_write(&headers(&[(SSE, "aws:kms:dsse")])).unwrap(),
            SseRequest::Kms { dsse: true, .. }
        ));
    }

    #[test]
    fn the_seed_spelling_aes_256_is_refused() {
        for bad in ["AES-256", "aes256", "aes:kms", "true"] {
            let e = parse_write(&headers(&[(SSE, bad)])).unwrap_err();
            assert_eq!(
                (e.status, e.code, e.message.as_str()),
                (
                    400,
                    "InvalidArgument",
                    "The encryption method specified is not supported"
                )
            );
            assert_eq!(
                e.extra,
                vec![
                    ("ArgumentName", SSE.to_string()),
                    ("ArgumentValue", bad.to_string())
                ]
            );
        }
    }

    #[test]
    fn kms_key_id_without_aws_kms() {
        for h in [
            headers(&[(SSE, "AES256"), (SSE_KMS_KEY_ID, "k")]),
            headers(&[(SSE_KMS_KEY_ID, "k")]),
        ] {
            assert_eq!(
                code_msg(parse_write(&h)),
                (400, "InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms".into())
            );
        }
    }

    #[test]
    fn bad_context() {
        for v in [
            "%%%",
            &base64::engine::general_purpose::STANDARD.encode("[1,2]"),
            &base64::engine::general_purpose::STANDARD.encode(r#"{"a":1}"#),
        ] {
            assert_eq!(
                code_msg(parse_write(&headers(&[(SSE, "aws:kms"), (SSE_CONTEXT, v)]))).1,
                "InvalidArgument"
            );
        }
    }

    #[test]
    fn customer_key_matrix() {
        let good_key = key_b64(7, 32);
        let good_md5 = md5_b64(7, 32);
        let ok = parse_write(&headers(&[
            (SSE_C_ALGORITHM, "AES256"),
            (SSE_C_KEY, &good_key),
            (SSE_C_KEY_MD5, &good_md5),
        ]))
        .unwrap();
        let SseRequest::Customer(k) = ok else {
            panic!("not SSE-C")
        };
        assert_eq!(k.bytes(), &[7u8; 32]);
        assert_eq!(k.key_md5, good_md5);
        assert!(!format!("{k:?}").contains(&good_key));

        type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (vec![(SSE_C_ALGORITHM, "AES256")], 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."),
            (vec![(SSE_C_KEY, &good_key), (SSE_C_KEY_MD5, &good_md5)], 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm."),
            (vec![(SSE_C_ALGORITHM, "AES128"), (SSE_C_KEY, &good_key), (SSE_C_KEY_MD5, &good_md5)], 400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256."),
            (vec![(SSE_C_ALGORITHM, "AES256"), (SSE_C_KEY, "c2hvcnQ="), (SSE_C_KEY_MD5, &good_md5)], 400, "InvalidArgument", "The secret key was invalid for the specified algorithm."),
            (vec![(SSE_C_ALGORITHM, "AES256"), (SSE_C_KEY, &good_key)], 400, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."),
            (vec![(SSE_C_ALGORITHM, "AES256"), (SSE_C_KEY, &good_key), (SSE_C_KEY_MD5, "AAAAAAAAAAAAAAAAAAAAAA==")], 400, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."),
            (vec![(SSE, "AES256"), (SSE_C_ALGORITHM, "AES256"), (SSE_C_KEY, &good_key), (SSE_C_KEY_MD5, &good_md5)], 400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
            (vec![(SSE, "aws:kms"), (SSE_C_ALGORITHM, "AES256"), (SSE_C_KEY, &good_key), (SSE_C_KEY_MD5, &good_md5)], 400, "InvalidArgument", "Server Side Encryption with Customer provided key is incompatible with the encryption method specified"),
        ];
        for (h, status, code, message) in cases {
            let e = parse_write(&headers(&h)).unwrap_err();
            assert_eq!(
                (e.status, e.code, e.message.as_str()),
                (status, code, message),
                "{h:?}"
            );
            assert_eq!(
                e.extra.first().map(|(n, v)| (*n, v.as_str())).map(|x| x.0),
                Some("ArgumentName")
            );
        }
    }

    #[test]
    fn copy_source_triple_uses_its_own_headers() {
        let h = headers(&[
            (
                "x-amz-copy-source-server-side-encryption-customer-algorithm",
                "AES256",
            ),
            (
                "x-amz-copy-source-server-side-encryption-customer-key",
                &key_b64(1, 32),
            ),
            (
                "x-amz-copy-source-server-side-encryption-customer-key-md5",
                &md5_b64(1, 32),
            ),
        ]);
        assert!(parse_customer(&h, COPY_SOURCE_SSE_C_PREFIX)
            .unwrap()
            .is_some());
        assert!(parse_customer(&h, SSE_C_PREFIX).unwrap().is_none());
    }

    #[test]
    fn reads_may_not_name_a_method() {
        assert!(reject_on_read(&HeaderMap::new()).is_ok());
        assert_eq!(
            code_msg(reject_on_read(&headers(&[(SSE, "aws:kms")]))).1,
            "InvalidArgument"
        );
    }
}
