//! KMS errors, named and worded as AWS KMS names and words them.

use crate::model::KeySpec;

/// An error KMS returns to the caller. `type_name()` is the wire `__type`; `message()` the wire message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsError {
    #[error("{0}")]
    NotFound(String),
    /// `<key-arn> is disabled.`
    #[error("{0} is disabled.")]
    Disabled(String),
    #[error("{0}")]
    InvalidState(String),
    /// AWS sends this one without a message: it will not say whether the blob or the context was wrong.
    #[error("")]
    InvalidCiphertext,
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    InvalidAliasName(String),
    #[error("{0}")]
    InvalidArn(String),
    /// Reserved names such as `alias/aws/...`.
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    InvalidMarker(String),
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRunOperation,
    /// A fault of ours (for example the state could not be written). Logged; the caller may retry.
    #[error("{0}")]
    Internal(String),
}

impl KmsError {
    /// The `__type` AWS puts in the JSON error body.
    pub fn type_name(&self) -> &'static str {
        match self {
            KmsError::NotFound(_) => "NotFoundException",
            KmsError::Disabled(_) => "DisabledException",
            KmsError::InvalidState(_) => "KMSInvalidStateException",
            KmsError::InvalidCiphertext => "InvalidCiphertextException",
            KmsError::IncorrectKey => "IncorrectKeyException",
            KmsError::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            KmsError::AccessDenied(_) => "AccessDeniedException",
            KmsError::Validation(_) => "ValidationException",
            KmsError::AlreadyExists(_) => "AlreadyExistsException",
            KmsError::Unsupported(_) => "UnsupportedOperationException",
            KmsError::LimitExceeded(_) => "LimitExceededException",
            KmsError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            KmsError::InvalidAliasName(_) => "InvalidAliasNameException",
            KmsError::InvalidArn(_) => "InvalidArnException",
            KmsError::NotAuthorized(_) => "NotAuthorizedException",
            KmsError::InvalidMarker(_) => "InvalidMarkerException",
            KmsError::DryRunOperation => "DryRunOperationException",
            KmsError::Internal(_) => "KMSInternalException",
        }
    }

    pub fn message(&self) -> String {
        self.to_string()
    }

    /// HTTP status on the wire. AWS answers every client error of KMS with 400 (reference 7.1),
    /// AccessDeniedException included; only its own faults are 500.
    pub fn status(&self) -> u16 {
        match self {
            KmsError::Internal(_) => 500,
            _ => 400,
        }
    }

    pub(crate) fn pending_deletion(arn: &str) -> Self {
        KmsError::InvalidState(format!("{arn} is pending deletion."))
    }

    pub(crate) fn key_not_found(arn: &str) -> Self {
        KmsError::NotFound(format!("Key '{arn}' does not exist"))
    }

    pub(crate) fn usage_not_valid(arn: &str, usage: &str, op: &str) -> Self {
        KmsError::InvalidKeyUsage(format!(
            "{arn} key usage is {usage} which is not valid for {op}."
        ))
    }

    // [unsure] AWS's exact text for a data-key operation on an RSA key is not recorded in the
    // reference; this follows the shape of its key-usage message.
    pub(crate) fn spec_not_valid(arn: &str, spec: KeySpec, op: &str) -> Self {
        KmsError::InvalidKeyUsage(format!(
            "{arn} key spec is {} which is not valid for {op}.",
            spec.as_str()
        ))
    }
}

/// Collects shape violations into AWS's `ValidationException` wording:
/// `1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: ...`.
#[derive(Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// `value` is `None` for members AWS never echoes (plaintext, blobs, policies).
    pub fn add(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("Value '{v}' at"),
            None => "Value at".to_owned(),
        };
        self.0.push(format!(
            "{value} '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    pub fn null(&mut self, member: &str) {
        self.0.push(format!(
            "Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ));
    }

    pub fn into_result(self) -> Result<(), KmsError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(KmsError::Validation(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(KmsError::Validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_wording_matches_aws() {
        let mut v = Violations::default();
        v.add(
            None,
            "plaintext",
            "Member must have length less than or equal to 4096",
        );
        assert_eq!(
            v.into_result().unwrap_err().message(),
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
        );
        let mut v = Violations::default();
        v.null("keyId");
        v.add(
            Some("2000"),
            "numberOfBytes",
            "Member must have value less than or equal to 1024",
        );
        let msg = v.into_result().unwrap_err().message();
        assert!(
            msg.starts_with("2 validation errors detected: Value null at 'keyId'"),
            "{msg}"
        );
        assert!(msg.contains("; Value '2000' at 'numberOfBytes'"), "{msg}");
    }

    #[test]
    fn invalid_ciphertext_has_no_message_and_everything_is_400() {
        assert_eq!(KmsError::InvalidCiphertext.message(), "");
        assert_eq!(KmsError::AccessDenied("x".into()).status(), 400);
        assert_eq!(KmsError::Internal("x".into()).status(), 500);
    }
}
