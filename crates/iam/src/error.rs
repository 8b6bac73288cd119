//! Why a policy document was refused, in words for people and in the words S3 and KMS use.

/// What is wrong with a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The text does not parse as JSON.
    NotJson,
    /// The JSON is not an object (an array, a string...).
    NotAnObject,
    /// The document is longer than the limit the caller set.
    TooLarge,
    /// `Version` is neither `2012-10-17` nor `2008-10-17`.
    InvalidVersion,
    /// A top-level or statement field this grammar does not know (names are case-sensitive).
    UnknownField,
    /// A field has the wrong JSON type (say `"Sid": 3` or `"Statement": "x"`).
    InvalidSyntax,
    /// No `Statement`.
    MissingStatement,
    /// `"Statement": []`.
    EmptyStatement,
    /// A statement without `Effect`.
    MissingEffect,
    /// `Effect` other than `Allow` or `Deny`.
    InvalidEffect,
    /// A statement with both `Action` and `NotAction`.
    BothActionAndNotAction,
    /// A statement with neither `Action` nor `NotAction`.
    MissingAction,
    /// An action that is not `*` or `service:Name` (or names another service than the caller allows).
    InvalidAction,
    /// A statement with both `Resource` and `NotResource`.
    BothResourceAndNotResource,
    /// A statement with neither `Resource` nor `NotResource`.
    MissingResource,
    /// A resource that is not `*` or an ARN (or not the kind of ARN the caller allows).
    InvalidResource,
    /// `Principal` or `NotPrincipal` in an identity-based policy.
    PrincipalInIdentityPolicy,
    /// A resource-based policy statement without `Principal` or `NotPrincipal`.
    MissingPrincipal,
    /// A statement with both `Principal` and `NotPrincipal`.
    BothPrincipalAndNotPrincipal,
    /// A principal that is not `"*"` or a well-formed `AWS`/`Service`/`CanonicalUser`/`Federated` value.
    InvalidPrincipal,
    /// A condition operator this grammar does not know (`StringEqualz`, `NullIfExists`...).
    UnknownConditionOperator,
    /// A condition key with an empty list of values.
    EmptyConditionValues,
    /// A condition value the operator cannot use (`"Bool": {"k": "maybe"}`, a non-number for `Numeric...`).
    InvalidConditionValue,
}

/// A refused policy document: a [`kind`](PolicyError::kind), a message for people naming the place
/// and the fault, and the messages S3 ([`s3_message`](PolicyError::s3_message)) and KMS
/// ([`kms_message`](PolicyError::kms_message)) would send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    kind: PolicyErrorKind,
    message: String,
    /// The offending word, for the services' messages: a field name, an effect, an operator, a limit.
    subject: Option<String>,
    /// Whether the document's first byte was `{` (S3 words its JSON errors by this).
    starts_with_brace: bool,
}

impl PolicyError {
    pub(crate) fn new(kind: PolicyErrorKind, message: impl Into<String>) -> Self {
        PolicyError {
            kind,
            message: message.into(),
            subject: None,
            starts_with_brace: true,
        }
    }

    pub(crate) fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub(crate) fn with_first_byte(mut self, starts_with_brace: bool) -> Self {
        self.starts_with_brace = starts_with_brace;
        self
    }

    pub fn kind(&self) -> PolicyErrorKind {
        self.kind
    }

    /// The message for people, naming the statement and field at fault.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The offending word, if the fault has one (the unknown field, the bad effect, the operator...).
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    fn subject_or_empty(&self) -> &str {
        self.subject.as_deref().unwrap_or("")
    }

    /// The `<Message>` of S3's `400 MalformedPolicy` answer to PutBucketPolicy.
    ///
    /// Wording seen from AWS (in public issue reports): the first-byte message, "Missing required field
    /// Principal", "Invalid principal in policy", "Policy has invalid action", "Policy has invalid
    /// resource", "Unknown field ...". Others follow S3-compatible servers that copied AWS
    /// ("This policy contains invalid Json", "Missing required field Statement", "Could not parse the
    /// policy: Statement is empty!", "Invalid effect: X", "The policy must contain a valid version
    /// string", "Invalid Condition type : X"). The rest are best guesses; see the crate docs.
    pub fn s3_message(&self) -> String {
        use PolicyErrorKind as K;
        const FIRST_BYTE: &str = "Policies must be valid JSON and the first byte must be '{'";
        match self.kind {
            K::NotJson if self.starts_with_brace => "This policy contains invalid Json".to_owned(),
            K::NotJson | K::NotAnObject => FIRST_BYTE.to_owned(),
            K::TooLarge => "Policy exceeds the maximum allowed document size.".to_owned(),
            K::InvalidVersion => "The policy must contain a valid version string".to_owned(),
            K::UnknownField => format!("Unknown field {}", self.subject_or_empty()),
            K::InvalidSyntax
            | K::BothActionAndNotAction
            | K::BothResourceAndNotResource
            | K::BothPrincipalAndNotPrincipal
            | K::EmptyConditionValues => "Invalid policy syntax.".to_owned(),
            K::MissingStatement => "Missing required field Statement".to_owned(),
            K::EmptyStatement => "Could not parse the policy: Statement is empty!".to_owned(),
            K::MissingEffect => "Missing required field Effect".to_owned(),
            K::InvalidEffect => format!("Invalid effect: {}", self.subject_or_empty()),
            K::MissingAction => "Missing required field Action".to_owned(),
            K::InvalidAction => "Policy has invalid action".to_owned(),
            K::MissingResource => "Missing required field Resource".to_owned(),
            K::InvalidResource => "Policy has invalid resource".to_owned(),
            K::PrincipalInIdentityPolicy => {
                "Policy document should not specify a principal.".to_owned()
            }
            K::MissingPrincipal => "Missing required field Principal".to_owned(),
            K::InvalidPrincipal => "Invalid principal in policy".to_owned(),
            K::UnknownConditionOperator => {
                format!("Invalid Condition type : {}", self.subject_or_empty())
            }
            K::InvalidConditionValue => format!(
                "Invalid value in Conditions for operator {}",
                self.subject_or_empty()
            ),
        }
    }

    /// The `message` of KMS's answer to CreateKey or PutKeyPolicy (its `__type` is
    /// [`kms_error_type`](PolicyError::kms_error_type)).
    ///
    /// Confirmed wording: "Policy contains a statement with one or more invalid principals." For
    /// other faults real KMS often sends a terse or empty message; this mock sends the message for
    /// people instead, which is more useful in a lab. An over-long policy gets the shape of a
    /// `ValidationException` for the `policy` member.
    pub fn kms_message(&self) -> String {
        match self.kind {
            PolicyErrorKind::InvalidPrincipal => {
                "Policy contains a statement with one or more invalid principals.".to_owned()
            }
            PolicyErrorKind::TooLarge => format!(
                "1 validation error detected: Value at 'policy' failed to satisfy constraint: \
                 Member must have length less than or equal to {}",
                self.subject_or_empty()
            ),
            _ => self.message.clone(),
        }
    }

    /// The KMS error `__type`: `ValidationException` for an over-long policy,
    /// `MalformedPolicyDocumentException` otherwise.
    pub fn kms_error_type(&self) -> &'static str {
        match self.kind {
            PolicyErrorKind::TooLarge => "ValidationException",
            _ => "MalformedPolicyDocumentException",
        }
    }
}
