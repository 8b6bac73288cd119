//! S3 errors: status, code and message exactly as Amazon S3 sends them.

/// One S3 error reply. `extra` holds the additional XML elements AWS includes for some codes
/// (`ArgumentName`/`ArgumentValue`, `BucketName`, `Key`, ...), in AWS's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct S3Error {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub extra: Vec<(&'static str, String)>,
    /// Extra response headers (for example `x-amz-server-side-encryption` on some refusals).
    pub headers: Vec<(&'static str, String)>,
}

impl S3Error {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        S3Error {
            status,
            code,
            message: message.into(),
            extra: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    pub fn argument(self, name: &str, value: &str) -> Self {
        self.with("ArgumentName", name).with("ArgumentValue", value)
    }

    // ----- the common ones -----

    pub fn no_such_bucket(bucket: &str) -> Self {
        S3Error::new(404, "NoSuchBucket", "The specified bucket does not exist")
            .with("BucketName", bucket)
    }

    pub fn no_such_key(key: &str) -> Self {
        S3Error::new(404, "NoSuchKey", "The specified key does not exist.").with("Key", key)
    }

    pub fn no_such_upload(upload_id: &str) -> Self {
        S3Error::new(
            404,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        )
        .with("UploadId", upload_id)
    }

    pub fn access_denied() -> Self {
        S3Error::new(403, "AccessDenied", "Access Denied")
    }

    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal error");
        S3Error::new(
            500,
            "InternalError",
            "We encountered an internal error. Please try again.",
        )
    }

    pub fn malformed_xml() -> Self {
        S3Error::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        S3Error::new(400, "InvalidArgument", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        S3Error::new(400, "InvalidRequest", message)
    }

    /// SSE-C over plain HTTP: the key would travel in the clear.
    // [unsure] code and exact wording; AWS refuses with 400 (reference 3.3).
    pub fn sse_c_needs_tls() -> Self {
        S3Error::invalid_request(
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
        )
    }

    /// SSE-KMS over plain HTTP (reference 2.4, O3).
    pub fn kms_needs_tls() -> Self {
        S3Error::invalid_argument(
            "Requests specifying Server Side Encryption with AWS KMS managed keys must be made over a secure connection.",
        )
        .argument("Authorization", "null")
    }

    pub fn not_implemented(what: &str) -> Self {
        S3Error::new(
            501,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented.",
        )
        .with("Header", what)
    }

    pub fn method_not_allowed(method: &str, resource_type: &str) -> Self {
        S3Error::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with("Method", method)
        .with("ResourceType", resource_type)
    }

    /// A KMS error relayed by S3: `KMS.<Exception>` with KMS's message, status 400 (reference 2.6).
    /// Access denials become S3's own 403 `AccessDenied` carrying KMS's sentence.
    pub fn from_kms(e: &s3lab_kms::KmsError) -> Self {
        match e {
            s3lab_kms::KmsError::AccessDenied(m) => S3Error::new(403, "AccessDenied", m.clone()),
            s3lab_kms::KmsError::Internal(m) => S3Error::internal(m),
            other => {
                let code: &'static str = match other.type_name() {
                    "NotFoundException" => "KMS.NotFoundException",
                    "DisabledException" => "KMS.DisabledException",
                    "KMSInvalidStateException" => "KMS.KMSInvalidStateException",
                    "InvalidCiphertextException" => "KMS.InvalidCiphertextException",
                    "IncorrectKeyException" => "KMS.IncorrectKeyException",
                    "InvalidKeyUsageException" => "KMS.InvalidKeyUsageException",
                    "ValidationException" => "KMS.ValidationException",
                    "UnsupportedOperationException" => "KMS.UnsupportedOperationException",
                    _ => "KMS.KMSInternalException",
                };
                S3Error::new(400, code, other.message())
            }
        }
    }
}

pub type S3Result<T> = Result<T, S3Error>;
