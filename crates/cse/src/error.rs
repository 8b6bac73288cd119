//! Every way client-side encryption can refuse, each one a sentence that names the problem.

/// Why an encryption or decryption was refused.
///
/// The `Display` text of each variant is one sentence meant for a learner: what is wrong, and,
/// where it helps, what it means.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CseError {
    // --- the object and its metadata -------------------------------------------------------------
    /// The object carries no S3 Encryption Client metadata, and there is no instruction file.
    #[error("the object is not client-side encrypted: it has no S3 Encryption Client metadata and no instruction file")]
    NotEncrypted,
    /// The body is shorter than the GCM tag.
    #[error("the object body is {len} bytes, shorter than its {tag}-byte authentication tag: it was truncated")]
    Truncated { len: u64, tag: usize },
    /// A CBC body whose length is not a multiple of the block size.
    #[error(
        "the legacy CBC body is {len} bytes, not a multiple of 16: it was truncated or damaged"
    )]
    BadCbcLength { len: u64 },
    /// `x-amz-tag-len` is not 128.
    #[error("x-amz-tag-len is {0:?}, but the S3 Encryption Client only uses 128-bit GCM tags")]
    TagLength(String),
    /// A metadata value that should be base64 is not.
    #[error("the metadata value {key} is not valid base64")]
    Base64 { key: &'static str },
    /// A metadata value that should be a JSON object of strings is not.
    #[error("the metadata value {key} is not a JSON object of strings: {reason}")]
    Json { key: String, reason: String },
    /// A decoded value has the wrong length.
    #[error("{key} decodes to {len} bytes, but it must be {expected} bytes")]
    Length {
        key: &'static str,
        len: usize,
        expected: usize,
    },
    /// An IV or message id of all zero bytes (SPEC: "Cipher Initialization").
    #[error("the {key} value is all zero bytes, which no honest writer produces: refused")]
    ZeroNonce { key: &'static str },
    /// A wrapping algorithm this client does not know (or, in V3, an `x-amz-w` code outside 02/12/22).
    #[error("unknown key wrapping algorithm {0:?} (the metadata may have been tampered with)")]
    UnknownWrapAlgorithm(String),
    /// A content algorithm this client does not know.
    #[error(
        "unknown content encryption algorithm {0:?} (the metadata may have been tampered with)"
    )]
    UnknownContentAlgorithm(String),
    /// Required metadata is missing.
    #[error("the S3 Encryption Client metadata is incomplete: {0} is missing")]
    Missing(&'static str),
    /// Keys of more than one format version (`x-amz-key`, `x-amz-key-v2`, `x-amz-3`).
    #[error("the metadata holds keys of more than one format version ({0}): the object or its instruction file may have been tampered with")]
    MixedFormats(String),
    /// The metadata matches no format, or contradicts itself.
    #[error("the S3 Encryption Client metadata is contradictory: {0}")]
    Contradictory(String),
    /// A V3 object-only key (`x-amz-c`, `x-amz-d`, `x-amz-i`) inside an instruction file.
    #[error("the instruction file contains {0}, which V3 keeps only in the object metadata: it was tampered with")]
    ForbiddenInInstructionFile(String),
    /// The instruction file is not what the format allows.
    #[error("the instruction file {key} is invalid: {reason}")]
    InstructionFile { key: String, reason: String },

    // --- policies and opt-ins ---------------------------------------------------------------------
    /// The commitment policy forbids decrypting this object.
    #[error("the object uses {suite}, which has no key commitment, and the commitment policy {policy} refuses to decrypt it")]
    PolicyForbidsDecrypt {
        suite: &'static str,
        policy: &'static str,
    },
    /// The commitment policy and the configured algorithm do not agree.
    #[error("the commitment policy {policy} does not allow encrypting with {suite}")]
    PolicyForbidsEncrypt {
        suite: &'static str,
        policy: &'static str,
    },
    /// A legacy, unauthenticated mode was met without the opt-in.
    #[error("{0} is a legacy mode that is not authenticated; it is read only when legacy unauthenticated modes are enabled")]
    LegacyDisabled(String),

    // --- keys ---------------------------------------------------------------------------------------
    /// The object was wrapped with a different kind of master key than the keyring holds.
    #[error("the data key is wrapped with {wrap}, but the keyring is {keyring}: use the matching master key")]
    WrongKeyring { wrap: String, keyring: &'static str },
    /// The master key did not unwrap the data key.
    #[error("the master key could not unwrap the data key ({wrap}): it is not the key this object was encrypted with")]
    UnwrapFailed { wrap: String },
    /// A master key that cannot be used.
    #[error("invalid master key: {0}")]
    InvalidKey(String),
    /// The key commitment does not match the data key.
    #[error("the key commitment (x-amz-d) does not match the data key: the object's metadata was tampered with, or it is not the key it was encrypted with")]
    CommitmentMismatch,
    /// The GCM tag did not verify.
    #[error("the object failed authentication (its AES-GCM tag does not verify): it was tampered with or damaged, and no plaintext was released")]
    AuthenticationFailed,
    /// Legacy CBC decryption failed (one message for every failure: padding-oracle hygiene).
    #[error("the legacy CBC object could not be decrypted")]
    CbcFailed,
    /// The plaintext is longer than AES-GCM allows under one key and IV.
    #[error("the object is larger than AES-GCM allows (2^36 - 32 bytes)")]
    TooLarge,

    // --- encryption context -------------------------------------------------------------------------
    /// The request context names a key the client reserves.
    #[error("{0} is a reserved encryption context key of the S3 Encryption Client and cannot be given by the caller")]
    ReservedContextKey(String),
    /// The request context does not match the stored one.
    #[error("the encryption context given does not match the one stored with the object{0}")]
    ContextMismatch(String),
    /// The stored `aws:x-amz-cek-alg` disagrees with the content algorithm (a downgrade attempt).
    #[error("the stored encryption context says aws:x-amz-cek-alg={stored:?}, but the content algorithm is {content:?}: the metadata was tampered with")]
    ContextAlgorithmMismatch { stored: String, content: String },
    /// Non-ASCII context (S3 would double-encode it and reads would never match).
    #[error("encryption context and material description keys and values must be US-ASCII: {0:?} is not")]
    NonAsciiContext(String),
    /// An encryption context was given to a raw keyring.
    #[error("an encryption context is bound by KMS; a raw {0} keyring has only an (unauthenticated) material description")]
    ContextNeedsKms(&'static str),

    // --- ranged reads -------------------------------------------------------------------------------
    /// A range this client cannot serve.
    #[error("invalid range {0:?}: only bytes=A-B and bytes=A- are supported")]
    Range(String),

    // --- services -----------------------------------------------------------------------------------
    /// KMS answered with an error.
    #[error("KMS refused {operation}: {code}{}{}", if message.is_empty() { String::new() } else { format!(" ({message})") }, kms_hint(code))]
    Kms {
        operation: &'static str,
        code: String,
        message: String,
    },
    /// S3 answered with an error.
    #[error("S3 refused {operation}: {status} {code}{}", if message.is_empty() { String::new() } else { format!(" ({message})") })]
    S3 {
        operation: String,
        status: u16,
        code: String,
        message: String,
    },
    /// The network or the HTTP exchange failed.
    #[error("{0}")]
    Transport(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for CseError {
    fn from(e: std::io::Error) -> Self {
        CseError::Io(e.to_string())
    }
}

impl From<s3lab_client::ClientError> for CseError {
    fn from(e: s3lab_client::ClientError) -> Self {
        CseError::Transport(e.to_string())
    }
}

/// What a KMS error means for client-side encryption, as a clause.
fn kms_hint(code: &str) -> &'static str {
    match code {
        "InvalidCiphertextException" => {
            ": the data key was not wrapped under this KMS key, or the encryption context differs"
        }
        "IncorrectKeyException" => ": the object's data key is under a different KMS key",
        "AccessDeniedException" => ": this identity may not use the KMS key",
        "NotFoundException" => {
            ": the KMS key does not exist (if it was deleted, the data it protected is lost)"
        }
        "DisabledException" => ": the KMS key is disabled",
        "KMSInvalidStateException" => ": the KMS key is pending deletion or otherwise unusable",
        _ => "",
    }
}

pub type Result<T, E = CseError> = std::result::Result<T, E>;
