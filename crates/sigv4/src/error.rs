//! Why a request was refused, and how S3 and the JSON services (KMS) word it.
//!
//! The wording comes from AWS's responses as recorded in public issue threads, AWS's
//! documentation, and emulators written against the real services (dynalite and kinesalite for
//! the JSON services' "Coral" front end; MinIO, OpenStack Swift's s3api and others for S3). A
//! message that no such source confirmed is marked `[unsure]` with what was found.

use time::{Duration, OffsetDateTime};

use crate::canonical::{format_amz_date, format_iso};
use crate::{ALGORITHM, MAX_PRESIGN_EXPIRES_SECS, TERMINATOR};

/// An error as a service sends it: the status, the code, the message, and for S3 the further
/// elements of the `<Error>` document, in the order S3 writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub extra: Vec<(&'static str, String)>,
}

impl ServiceError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }
}

/// What was wrong with `X-Amz-Expires`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiresProblem {
    NotANumber,
    Negative,
    /// More than [`MAX_PRESIGN_EXPIRES_SECS`].
    TooLarge,
}

/// One way a credential scope differs from what the server expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeFault {
    Region {
        got: String,
        expected: String,
    },
    Service {
        got: String,
        expected: String,
    },
    Terminator {
        got: String,
    },
    /// The scope's date is not the date of the request time.
    Date {
        scope_date: String,
        request_date: String,
        /// The request time as `YYYYMMDDTHHMMSSZ`.
        amz_date: String,
    },
}

/// What the server computed for a request whose signature did not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureMismatch {
    pub access_key_id: String,
    pub canonical_request: Vec<u8>,
    pub string_to_sign: String,
    pub signature_provided: String,
}

impl SignatureMismatch {
    pub fn canonical_request_text(&self) -> String {
        String::from_utf8_lossy(&self.canonical_request).into_owned()
    }
}

/// Why [`crate::verify`] refused a request. The variants are service-neutral: [`AuthError::s3`]
/// and [`AuthError::json_service`] turn them into what S3 or KMS would answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request carries no credentials")]
    MissingCredentials,
    #[error(
        "the request is authenticated both by its Authorization header and by its query string"
    )]
    MultipleAuthMechanisms { authorization: String },
    #[error("the request is signed with Signature Version 2, which is not accepted")]
    SigV2NotSupported,
    #[error("the Authorization header is not AWS4-HMAC-SHA256: {authorization}")]
    UnsupportedAuthorizationType { authorization: String },
    #[error("X-Amz-Algorithm is {algorithm:?}, not AWS4-HMAC-SHA256")]
    UnsupportedAlgorithm { algorithm: String },
    #[error("the Authorization header lacks {missing:?}{}", date_note(.missing_date))]
    IncompleteAuthorization {
        authorization: String,
        missing: Vec<&'static str>,
        missing_date: bool,
    },
    #[error("the Authorization header component {component:?} is not a name=value pair")]
    MalformedAuthorizationComponent {
        authorization: String,
        component: String,
    },
    #[error("the query string lacks {missing:?}")]
    MissingQueryParameters { missing: Vec<&'static str> },
    #[error("the query string has {name} more than once")]
    DuplicateQueryParameter { name: String },
    #[error("the request time {value:?} is missing or not a valid date")]
    InvalidDate {
        value: Option<String>,
        presigned: bool,
    },
    #[error("X-Amz-Expires {value:?} is not valid: {problem:?}")]
    InvalidExpires {
        value: String,
        problem: ExpiresProblem,
    },
    #[error("the credential {credential:?} is not AKID/YYYYMMDD/region/service/aws4_request")]
    MalformedCredential { credential: String, presigned: bool },
    #[error("the credential has an empty access key id")]
    EmptyAccessKey { presigned: bool },
    #[error("the credential's date {date:?} is not YYYYMMDD")]
    InvalidCredentialDate {
        date: String,
        amz_date: String,
        presigned: bool,
    },
    #[error("the credential scope does not fit this endpoint: {faults:?}")]
    ScopeMismatch {
        faults: Vec<ScopeFault>,
        presigned: bool,
    },
    #[error("the host header is not signed")]
    HostNotSigned,
    #[error("headers {headers:?} are present but not signed")]
    HeadersNotSigned { headers: Vec<String> },
    #[error("x-amz-content-sha256 is missing")]
    MissingContentSha256,
    #[error("x-amz-content-sha256 {value:?} is neither a SHA-256 nor a known literal")]
    InvalidContentSha256 { value: String },
    #[error("access key {access_key_id:?} is unknown")]
    UnknownAccessKey { access_key_id: String },
    #[error("signed header {name:?} is not in the request")]
    SignedHeaderAbsent {
        name: String,
        mismatch: Box<SignatureMismatch>,
    },
    #[error("the signature does not match")]
    SignatureDoesNotMatch(Box<SignatureMismatch>),
    #[error("the request time is more than the allowed skew away from the server's clock")]
    RequestTimeTooSkewed {
        request_time: OffsetDateTime,
        /// The date header's value as sent.
        raw_request_time: String,
        server_time: OffsetDateTime,
        max_skew: Duration,
    },
    #[error("the presigned request's X-Amz-Date is in the future")]
    PresignNotYetValid {
        request_time: OffsetDateTime,
        expires_secs: u64,
        server_time: OffsetDateTime,
        max_skew: Duration,
    },
    #[error("the presigned request has expired")]
    PresignExpired {
        request_time: OffsetDateTime,
        expires: String,
        expires_secs: u64,
        server_time: OffsetDateTime,
    },
}

fn date_note(missing_date: &bool) -> &'static str {
    if *missing_date {
        ", and the request has no date"
    } else {
        ""
    }
}

/// `41 57 53 34 ...`: S3's `StringToSignBytes` and `CanonicalRequestBytes`.
fn spaced_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn plus_secs(time: OffsetDateTime, secs: u64) -> OffsetDateTime {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time.checked_add(Duration::seconds(s)))
        .unwrap_or(time)
}

fn shifted(time: OffsetDateTime, by: Duration) -> OffsetDateTime {
    time.checked_add(by).unwrap_or(time)
}

const HEADER_MALFORMED: &str = "The authorization header is malformed; ";
const CREDENTIAL_PARAMETER: &str = "Error parsing the X-Amz-Credential parameter; ";
const QUERY_PARAMETERS_REQUIRED: &str = "Query-string authentication version 4 requires the X-Amz-Algorithm, \
     X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
const CREDENTIAL_FORMAT: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
const EMPTY_AKID: &str = "a non-empty Access Key (AKID) must be provided in the credential.";
const NO_VALID_DATE: &str = "AWS authentication requires a valid Date or x-amz-date header";
const NOT_SIGNED: &str = "There were headers present in the request which were not signed";
const S3_MISMATCH: &str =
    "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const JSON_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const PAYLOAD_HASH_VALUES: &str = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, \
     STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, \
     STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.";

fn s3_mismatch(m: &SignatureMismatch) -> ServiceError {
    ServiceError::new(403, "SignatureDoesNotMatch", S3_MISMATCH)
        .with("AWSAccessKeyId", m.access_key_id.clone())
        .with("StringToSign", m.string_to_sign.clone())
        .with("SignatureProvided", m.signature_provided.clone())
        .with("StringToSignBytes", spaced_hex(m.string_to_sign.as_bytes()))
        .with("CanonicalRequest", m.canonical_request_text())
        .with("CanonicalRequestBytes", spaced_hex(&m.canonical_request))
}

fn json_mismatch(m: &SignatureMismatch) -> ServiceError {
    // [unsure] for KMS itself: AWS's JSON ("Coral") services append the canonical request and the
    // string to sign to this message (seen for DynamoDB, Lambda and SQS responses and recorded by
    // dynalite); no KMS response with the tail was found, nor one without it.
    ServiceError::new(
        400,
        "InvalidSignatureException",
        format!(
            "{JSON_MISMATCH}\n\nThe Canonical String for this request should have been\n'{}'\n\n\
             The String-to-Sign should have been\n'{}'\n",
            m.canonical_request_text(),
            m.string_to_sign
        ),
    )
}

fn s3_scope_fault(fault: &ScopeFault, presigned: bool) -> ServiceError {
    let (code, prefix) = if presigned {
        ("AuthorizationQueryParametersError", CREDENTIAL_PARAMETER)
    } else {
        ("AuthorizationHeaderMalformed", HEADER_MALFORMED)
    };
    match fault {
        ScopeFault::Region { got, expected } => ServiceError::new(
            400,
            code,
            format!("{prefix}the region '{got}' is wrong; expecting '{expected}'"),
        )
        .with("Region", expected.clone()),
        ScopeFault::Service { got, expected } => ServiceError::new(
            400,
            code,
            format!(
                "{prefix}incorrect service \"{got}\". This endpoint belongs to \"{expected}\"."
            ),
        ),
        ScopeFault::Terminator { got } => ServiceError::new(
            400,
            code,
            format!("{prefix}incorrect terminal \"{got}\". This endpoint uses \"{TERMINATOR}\"."),
        ),
        ScopeFault::Date {
            scope_date,
            request_date,
            ..
        } => {
            if presigned {
                // [unsure] Presigned wording from S3-compatible servers written against S3; the header
                // form below is quoted from real S3 responses.
                ServiceError::new(
                    400,
                    code,
                    format!(
                        "Invalid credential date \"{scope_date}\". This date is not the same as X-Amz-Date: \"{request_date}\"."
                    ),
                )
            } else {
                ServiceError::new(
                    400,
                    code,
                    format!("{HEADER_MALFORMED}Invalid credential date. Date is not the same as X-Amz-Date."),
                )
            }
        }
    }
}

fn json_scope_fault(fault: &ScopeFault) -> String {
    match fault {
        ScopeFault::Region { got, .. } => format!("Credential should be scoped to a valid region, not '{got}'. "),
        ScopeFault::Service { expected, .. } => format!("Credential should be scoped to correct service: '{expected}'. "),
        ScopeFault::Terminator { got } => {
            format!("Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{got}'. ")
        }
        ScopeFault::Date { scope_date, request_date, amz_date } => format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{scope_date}' != '{request_date}', from '{amz_date}'."
        ),
    }
}

fn expires_message(problem: ExpiresProblem) -> String {
    match problem {
        ExpiresProblem::NotANumber => "X-Amz-Expires should be a number".to_owned(),
        ExpiresProblem::Negative => "X-Amz-Expires must be non-negative".to_owned(),
        // [unsure] MinIO, OpenStack Swift's s3api, s3rver and other S3 emulators all send this
        // longer form; the shorter "X-Amz-Expires must be less than a week (in seconds) that is
        // 604800" also circulates. The longer one has more independent sources.
        ExpiresProblem::TooLarge => format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_PRESIGN_EXPIRES_SECS} seconds"
        ),
    }
}

/// "Signature expired: ..." / "Signature not yet current: ...", as the JSON services word a request
/// time that is too far from theirs.
fn json_skew(
    request_time: OffsetDateTime,
    server_time: OffsetDateTime,
    max_skew: Duration,
) -> String {
    let minutes = max_skew.whole_minutes();
    if request_time < server_time {
        format!(
            "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
            format_amz_date(request_time),
            format_amz_date(shifted(server_time, -max_skew)),
            format_amz_date(server_time)
        )
    } else {
        format!(
            "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
            format_amz_date(request_time),
            format_amz_date(shifted(server_time, max_skew)),
            format_amz_date(server_time)
        )
    }
}

fn incomplete(message: impl Into<String>) -> ServiceError {
    ServiceError::new(400, "IncompleteSignatureException", message)
}

fn invalid_signature(message: impl Into<String>) -> ServiceError {
    ServiceError::new(400, "InvalidSignatureException", message)
}

/// The `AWS4-HMAC-SHA256` of an Authorization header: its first word.
fn scheme_of(authorization: &str) -> &str {
    authorization.split_whitespace().next().unwrap_or("")
}

impl AuthError {
    /// The error as S3 sends it (REST-XML `<Error>` document).
    pub fn s3(&self) -> ServiceError {
        match self {
            // The caller decided that the resource needs credentials.
            AuthError::MissingCredentials => ServiceError::new(403, "AccessDenied", "Access Denied"),
            AuthError::MultipleAuthMechanisms { authorization } => ServiceError::new(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
                 parameter or the Authorization header should be specified",
            )
            .with("ArgumentName", "Authorization")
            .with("ArgumentValue", authorization.clone()),
            // S3 answers InvalidRequest here (many recorded responses), not InvalidArgument.
            AuthError::SigV2NotSupported => ServiceError::new(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            ),
            AuthError::UnsupportedAuthorizationType { authorization } => {
                ServiceError::new(400, "InvalidArgument", "Unsupported Authorization Type")
                    .with("ArgumentName", "Authorization")
                    .with("ArgumentValue", authorization.clone())
            }
            // [unsure] The form most S3 emulators send; newer S3 responses are reported as
            // `only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"`, which would name SigV4a,
            // which s3lab does not speak.
            AuthError::UnsupportedAlgorithm { .. } => ServiceError::new(
                400,
                "AuthorizationQueryParametersError",
                format!("X-Amz-Algorithm only supports \"{ALGORITHM}\""),
            ),
            AuthError::IncompleteAuthorization { missing, .. } => {
                if missing.is_empty() {
                    ServiceError::new(403, "AccessDenied", NO_VALID_DATE)
                } else {
                    ServiceError::new(
                        400,
                        "AuthorizationHeaderMalformed",
                        format!(
                            "{HEADER_MALFORMED}the authorization header requires three components: Credential, \
                             SignedHeaders, and Signature."
                        ),
                    )
                }
            }
            AuthError::MalformedAuthorizationComponent { component, .. } => ServiceError::new(
                400,
                "AuthorizationHeaderMalformed",
                format!("{HEADER_MALFORMED}the authorization component \"{component}\" is malformed."),
            ),
            AuthError::MissingQueryParameters { .. } => {
                ServiceError::new(400, "AuthorizationQueryParametersError", QUERY_PARAMETERS_REQUIRED)
            }
            // [unsure] No record of S3 answering a repeated X-Amz-* parameter was found; it is
            // reported as the parameters not being given as required.
            AuthError::DuplicateQueryParameter { .. } => {
                ServiceError::new(400, "AuthorizationQueryParametersError", QUERY_PARAMETERS_REQUIRED)
            }
            AuthError::InvalidDate { presigned: true, .. } => ServiceError::new(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            ),
            AuthError::InvalidDate { presigned: false, .. } => ServiceError::new(403, "AccessDenied", NO_VALID_DATE),
            AuthError::InvalidExpires { problem, .. } => {
                ServiceError::new(400, "AuthorizationQueryParametersError", expires_message(*problem))
            }
            AuthError::MalformedCredential { presigned, .. } => {
                // [unsure] for presigned requests: the header wording after S3's presigned prefix.
                if *presigned {
                    ServiceError::new(
                        400,
                        "AuthorizationQueryParametersError",
                        format!("{CREDENTIAL_PARAMETER}{CREDENTIAL_FORMAT}"),
                    )
                } else {
                    ServiceError::new(400, "AuthorizationHeaderMalformed", format!("{HEADER_MALFORMED}{CREDENTIAL_FORMAT}"))
                }
            }
            AuthError::EmptyAccessKey { presigned } => {
                // [unsure] for presigned requests, as above.
                if *presigned {
                    ServiceError::new(
                        400,
                        "AuthorizationQueryParametersError",
                        format!("{CREDENTIAL_PARAMETER}{EMPTY_AKID}"),
                    )
                } else {
                    ServiceError::new(400, "AuthorizationHeaderMalformed", format!("{HEADER_MALFORMED}{EMPTY_AKID}"))
                }
            }
            AuthError::InvalidCredentialDate { date, presigned, .. } => {
                let (code, prefix) = if *presigned {
                    ("AuthorizationQueryParametersError", CREDENTIAL_PARAMETER)
                } else {
                    ("AuthorizationHeaderMalformed", HEADER_MALFORMED)
                };
                ServiceError::new(
                    400,
                    code,
                    format!(
                        "{prefix}incorrect date format \"{date}\". This date in the credential must be in the format \"yyyyMMdd\"."
                    ),
                )
            }
            AuthError::ScopeMismatch { faults, presigned } => match faults.first() {
                Some(fault) => s3_scope_fault(fault, *presigned),
                None => ServiceError::new(400, "AuthorizationHeaderMalformed", format!("{HEADER_MALFORMED}{CREDENTIAL_FORMAT}")),
            },
            AuthError::HostNotSigned => ServiceError::new(403, "AccessDenied", NOT_SIGNED).with("HeadersNotSigned", "host"),
            // [unsure] how S3 separates several names; one name is what the recorded responses show.
            AuthError::HeadersNotSigned { headers } => {
                ServiceError::new(403, "AccessDenied", NOT_SIGNED).with("HeadersNotSigned", headers.join(", "))
            }
            AuthError::MissingContentSha256 => ServiceError::new(
                400,
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
            ),
            AuthError::InvalidContentSha256 { value } => ServiceError::new(400, "InvalidArgument", PAYLOAD_HASH_VALUES)
                .with("ArgumentName", "x-amz-content-sha256")
                .with("ArgumentValue", value.clone()),
            AuthError::UnknownAccessKey { access_key_id } => ServiceError::new(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", access_key_id.clone()),
            // S3 does not say which header is missing: the canonical request simply differs.
            AuthError::SignedHeaderAbsent { mismatch, .. } | AuthError::SignatureDoesNotMatch(mismatch) => {
                s3_mismatch(mismatch)
            }
            AuthError::RequestTimeTooSkewed { raw_request_time, server_time, max_skew, .. } => ServiceError::new(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
            .with("RequestTime", raw_request_time.clone())
            .with("ServerTime", format_iso(*server_time))
            .with("MaxAllowedSkewMilliseconds", max_skew.whole_milliseconds().to_string()),
            // S3 really does send X-Amz-Date here as milliseconds since the epoch.
            AuthError::PresignNotYetValid { request_time, expires_secs, server_time, .. } => {
                ServiceError::new(403, "AccessDenied", "Request is not yet valid")
                    .with("X-Amz-Date", (request_time.unix_timestamp() * 1000).to_string())
                    .with("Expires", format_iso(plus_secs(*request_time, *expires_secs)))
                    .with("ServerTime", format_iso(*server_time))
            }
            AuthError::PresignExpired { request_time, expires, expires_secs, server_time } => {
                ServiceError::new(403, "AccessDenied", "Request has expired")
                    .with("X-Amz-Expires", expires.clone())
                    .with("Expires", format_iso(plus_secs(*request_time, *expires_secs)))
                    .with("ServerTime", format_iso(*server_time))
            }
        }
    }

    /// The error as AWS's JSON services (KMS) send it: `__type` is the code. These services add
    /// no further fields.
    pub fn json_service(&self) -> ServiceError {
        match self {
            // [unsure] for KMS itself: Kinesis, a JSON 1.1 service like KMS, answers 400 with this
            // message (as kinesalite records); DynamoDB's wording is "Request is missing Authentication
            // Token".
            AuthError::MissingCredentials => {
                ServiceError::new(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
            }
            AuthError::MultipleAuthMechanisms { .. } => invalid_signature(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
            ),
            // [unsure] verify() never returns this for a JSON service: a SigV2 header is read like
            // any other and lacks the SigV4 parameters (IncompleteSignatureException, as recorded
            // for SSM), and SigV2 query parameters are no credentials at all.
            AuthError::SigV2NotSupported => {
                ServiceError::new(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
            }
            AuthError::UnsupportedAuthorizationType { authorization } => incomplete(format!(
                "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now). ",
                scheme_of(authorization)
            )),
            AuthError::UnsupportedAlgorithm { algorithm } => {
                incomplete(format!("Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "))
            }
            AuthError::IncompleteAuthorization { authorization, missing, missing_date } => {
                let mut message = String::new();
                for name in missing {
                    message.push_str(&format!("Authorization header requires '{name}' parameter. "));
                }
                if *missing_date {
                    message.push_str("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
                }
                message.push_str("Authorization=");
                message.push_str(authorization);
                incomplete(message)
            }
            AuthError::MalformedAuthorizationComponent { authorization, component } => incomplete(format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."
            )),
            AuthError::MissingQueryParameters { missing } => {
                let mut message = String::new();
                for name in missing {
                    message.push_str(&format!("AWS query-string parameters must include '{name}'. "));
                }
                message.push_str("Re-examine the query-string parameters.");
                incomplete(message)
            }
            // [unsure] No record of a JSON service answering a repeated parameter.
            AuthError::DuplicateQueryParameter { name } => incomplete(format!(
                "AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
            )),
            AuthError::InvalidDate { value: Some(value), .. } => incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )),
            AuthError::InvalidDate { value: None, presigned: false } => {
                incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
            }
            AuthError::InvalidDate { value: None, presigned: true } => {
                incomplete("AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
            }
            // [unsure] S3's wording; no record of a JSON service refusing X-Amz-Expires.
            AuthError::InvalidExpires { problem, .. } => incomplete(expires_message(*problem)),
            AuthError::MalformedCredential { credential, .. } => incomplete(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
            )),
            // The JSON services look an empty key up like any other.
            AuthError::EmptyAccessKey { .. } | AuthError::UnknownAccessKey { .. } => ServiceError::new(
                400,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            AuthError::InvalidCredentialDate { date, amz_date, .. } => invalid_signature(json_scope_fault(&ScopeFault::Date {
                scope_date: date.clone(),
                request_date: amz_date.get(..8).unwrap_or(amz_date).to_owned(),
                amz_date: amz_date.clone(),
            })),
            AuthError::ScopeMismatch { faults, .. } => {
                invalid_signature(faults.iter().map(json_scope_fault).collect::<String>())
            }
            AuthError::HostNotSigned => {
                invalid_signature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
            }
            // [unsure] verify() checks unsigned x-amz-* headers for S3 only.
            AuthError::HeadersNotSigned { .. } => invalid_signature(NOT_SIGNED),
            // [unsure] verify() reads x-amz-content-sha256 only when told to (S3).
            AuthError::MissingContentSha256 => {
                incomplete("Missing required header for this request: x-amz-content-sha256")
            }
            AuthError::InvalidContentSha256 { .. } => incomplete(PAYLOAD_HASH_VALUES),
            AuthError::SignedHeaderAbsent { mismatch, .. } | AuthError::SignatureDoesNotMatch(mismatch) => {
                json_mismatch(mismatch)
            }
            AuthError::RequestTimeTooSkewed { request_time, server_time, max_skew, .. } => {
                invalid_signature(json_skew(*request_time, *server_time, *max_skew))
            }
            AuthError::PresignNotYetValid { request_time, server_time, max_skew, .. } => {
                invalid_signature(json_skew(*request_time, *server_time, *max_skew))
            }
            // [unsure] The "Signature expired" form with the URL's own lifetime in place of the
            // allowed skew; no record of a JSON service refusing an expired presigned URL.
            AuthError::PresignExpired { request_time, expires_secs, server_time, .. } => {
                let secs = i64::try_from(*expires_secs).unwrap_or(i64::MAX);
                invalid_signature(format!(
                    "Signature expired: {} is now earlier than {} ({} - {expires_secs} sec.)",
                    format_amz_date(*request_time),
                    format_amz_date(shifted(*server_time, -Duration::seconds(secs))),
                    format_amz_date(*server_time)
                ))
            }
        }
    }
}
