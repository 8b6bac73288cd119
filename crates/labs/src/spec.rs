//! The check specification of one lab: `labs/NN_topic/check.toml`.
//!
//! ```toml
//! format_version = 1
//!
//! [server]              # labs that need `s3lab lab start N` (command and investigation labs)
//! seed = 104            # the fixed seed its server starts from
//! allow_sse_c = false   # true: new buckets accept SSE-C (the pre-2026 default)
//!
//! [[setup]]             # state seeded into the server on its first start, in order, as admin
//! step = "create_bucket"
//! bucket = "enforce-lab"
//!
//! [[goals]]             # what `s3lab lab check N` verifies, each shown as ✓ or ✗
//! kind = "request"
//! description = "an upload without x-amz-server-side-encryption is refused"
//! method = "PUT"
//! bucket = "enforce-lab"
//! key = "probe.txt"
//! expect_status = 403
//! expect_code = "AccessDenied"
//! ```
//!
//! Every goal kind is a variant of [`Goal`]; every seeding step a variant of [`SetupStep`]; an
//! answer file is compared with a value derived from the lab's state ([`Derived`]).

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole `check.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// 1 for now: bumped only for changes an older runner cannot read.
    pub format_version: u32,
    /// How the lab's server starts; `None` for labs that need no server (code labs).
    #[serde(default)]
    pub server: Option<ServerSpec>,
    /// State seeded into the server on its first start.
    #[serde(default)]
    pub setup: Vec<SetupStep>,
    /// What the check verifies.
    #[serde(default)]
    pub goals: Vec<Goal>,
}

/// How a lab's server starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The fixed seed: the same ids, keys and clock (2026-01-01) for every learner.
    pub seed: u64,
    /// New buckets accept SSE-C, as before April 2026.
    #[serde(default)]
    pub allow_sse_c: bool,
}

/// One step of the state a lab's server is seeded with. Objects, keys and policies are made
/// through the S3 and KMS APIs as `admin`, exactly as a learner would.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum SetupStep {
    CreateBucket {
        bucket: String,
    },
    /// A KMS key (symmetric) and its alias.
    CreateKey {
        alias: String,
        #[serde(default)]
        description: String,
    },
    PutObject {
        bucket: String,
        key: String,
        body: String,
        /// `AES256`, `aws:kms` or `aws:kms:dsse`; none: the bucket default.
        #[serde(default)]
        sse: Option<String>,
        /// An alias (`alias/...`) for SSE-KMS and DSSE-KMS.
        #[serde(default)]
        kms_key: Option<String>,
        #[serde(default)]
        metadata: BTreeMap<String, String>,
        #[serde(default)]
        content_type: Option<String>,
    },
    /// A bucket policy (the JSON document as a string).
    PutBucketPolicy {
        bucket: String,
        policy: String,
    },
    /// A key policy (the JSON document as a string).
    PutKeyPolicy {
        alias: String,
        policy: String,
    },
    RotateKey {
        alias: String,
    },
    EnableKeyRotation {
        alias: String,
    },
    /// `s3lab admin history-unencrypted`: the bucket behaves as before 2023.
    HistoryUnencrypted {
        bucket: String,
    },
    /// A client-side encrypted object (V3, raw AES keyring). `key_file` is a file of the lab's
    /// work folder holding the 32-byte key; without it the key comes from the seed and is thrown
    /// away: the object can never be decrypted again.
    CsePut {
        bucket: String,
        key: String,
        body: String,
        #[serde(default)]
        key_file: Option<String>,
    },
}

/// One goal of a check.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Goal {
    /// The bucket exists.
    BucketExists {
        #[serde(default)]
        description: Option<String>,
        bucket: String,
    },
    /// An object exists, stored the way the goal says.
    Object {
        #[serde(default)]
        description: Option<String>,
        bucket: String,
        key: String,
        /// `AES256`, `aws:kms`, `aws:kms:dsse`, `SSE-C` or `none`.
        #[serde(default)]
        sse: Option<String>,
        /// The KMS key (an alias) its data key comes from.
        #[serde(default)]
        kms_key: Option<String>,
        #[serde(default)]
        bucket_key: Option<bool>,
        /// SSE-C: the object opens with the 32-byte key in this work-folder file.
        #[serde(default)]
        sse_c_key_file: Option<String>,
        /// User metadata (`x-amz-meta-NAME`): name to value, `*` for "present".
        #[serde(default)]
        metadata: BTreeMap<String, String>,
        /// Client-side encryption: `raw-aes` or `kms` (what `x-amz-w` names).
        #[serde(default)]
        cse: Option<String>,
        /// User metadata that must *not* be there.
        #[serde(default)]
        metadata_absent: Vec<String>,
        /// SSE-S3: the root key version that wraps its data key (a number, or `latest`).
        #[serde(default)]
        root_key_version: Option<String>,
    },
    /// At least `at_least` objects under a prefix, every one stored as the goal says.
    Objects {
        #[serde(default)]
        description: Option<String>,
        bucket: String,
        #[serde(default)]
        prefix: String,
        at_least: usize,
        #[serde(default)]
        sse: Option<String>,
        #[serde(default)]
        kms_key: Option<String>,
        #[serde(default)]
        bucket_key: Option<bool>,
    },
    /// The SSE-S3 root key has at least this many versions (`s3lab admin root-key-versions`).
    RootKeyVersions {
        #[serde(default)]
        description: Option<String>,
        at_least: usize,
    },
    /// The bucket's default encryption (GetBucketEncryption).
    BucketEncryption {
        #[serde(default)]
        description: Option<String>,
        bucket: String,
        #[serde(default)]
        sse: Option<String>,
        #[serde(default)]
        kms_key: Option<String>,
        #[serde(default)]
        bucket_key: Option<bool>,
        /// Whether SSE-C writes are accepted (`BlockedEncryptionTypes` is `NONE`).
        #[serde(default)]
        sse_c_allowed: Option<bool>,
    },
    /// The checker sends one request and compares the answer: how a policy is tested.
    Request {
        description: String,
        #[serde(default = "default_identity")]
        identity: String,
        /// `https` (default) or `http`.
        #[serde(default = "default_transport")]
        transport: String,
        method: String,
        bucket: String,
        #[serde(default)]
        key: Option<String>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        #[serde(default)]
        body: String,
        expect_status: u16,
        #[serde(default)]
        expect_code: Option<String>,
    },
    /// A KMS key (by alias) and its state.
    KmsKey {
        #[serde(default)]
        description: Option<String>,
        alias: String,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        rotation_enabled: Option<bool>,
        #[serde(default)]
        rotations_at_least: Option<usize>,
    },
    /// Records in the KMS audit trail (CloudTrail-shaped).
    Audit {
        #[serde(default)]
        description: Option<String>,
        /// `Decrypt`, `GenerateDataKey`, ...
        event: String,
        /// The caller's lab identity (`admin`, `reader`, `writer`).
        #[serde(default)]
        identity: Option<String>,
        /// The key, by alias.
        #[serde(default)]
        key: Option<String>,
        /// Only successful (`true`) or failed (`false`) calls.
        #[serde(default)]
        succeeded: Option<bool>,
        #[serde(default)]
        at_least: Option<usize>,
        #[serde(default)]
        at_most: Option<usize>,
    },
    /// An answer file of the work folder, compared with a value derived from the lab's state.
    Answer {
        description: String,
        file: String,
        expect: Derived,
        #[serde(default)]
        compare: Compare,
    },
    /// One test of a code lab's crate passes (the tests themselves are restored from the lab
    /// before they run, so only the `// TODO` parts count).
    CargoTest { description: String, test: String },
}

fn default_identity() -> String {
    "admin".into()
}

fn default_transport() -> String {
    "https".into()
}

/// How an answer is compared with the expected value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// Equal after trimming, ignoring case.
    #[default]
    Text,
    /// The same items, one per line (or separated by commas), in any order.
    Set,
}

/// A value computed from the lab's state when the check runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum Derived {
    /// A fixed answer, kept as the SHA-256 (hex) of its normalised text (lower case, trimmed).
    Sha256 { sha256: String },
    /// The KeyId behind an alias.
    KeyIdOfAlias { alias: String },
    /// The KMS key material id that encrypted an object's data key (its SSE-KMS record).
    ObjectKeyMaterial { bucket: String, key: String },
    /// The SSE-S3 root key version that wraps an object's data key.
    ObjectRootKeyVersion { bucket: String, key: String },
    /// The objects of a bucket that this identity cannot GET.
    ObjectsUnreadableBy { bucket: String, identity: String },
    /// How many audit records match.
    AuditCount {
        event: String,
        #[serde(default)]
        key: Option<String>,
    },
    /// One user metadata value (`x-amz-meta-NAME`) of an object.
    ObjectMetadata {
        bucket: String,
        key: String,
        name: String,
    },
    /// The objects under a prefix that none of these work-folder key files decrypts
    /// (client-side, raw AES).
    ObjectsNotDecryptable {
        bucket: String,
        #[serde(default)]
        prefix: String,
        key_files: Vec<String>,
    },
    /// An object's plaintext, as `admin` reads it (SSE objects only).
    ObjectBody { bucket: String, key: String },
    /// The text of a file of the work folder (for example, the file that was encrypted).
    WorkFile { file: String },
    /// The objects under a prefix stored with this SSE mode (`none` for unencrypted).
    ObjectsStoredWith {
        bucket: String,
        #[serde(default)]
        prefix: String,
        sse: String,
    },
}
