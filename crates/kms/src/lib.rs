//! A mock AWS KMS for s3lab.
//!
//! It is faithful enough that the AWS SDKs, the AWS CLI and the Amazon S3 Encryption Client use it
//! unchanged, and it is built to be looked at: every call leaves a CloudTrail-shaped record in the
//! audit trail, key material versions are visible as ids (never as bytes), and the ciphertext
//! blob format is documented in [`blob`].
//!
//! - [`Kms`] is the service as plain Rust: typed requests in, typed responses or [`KmsError`] out.
//!   S3 calls it in-process, through a [`Caller`] that says on whose behalf.
//! - [`http`] is the AWS JSON 1.1 protocol on top: SigV4, `X-Amz-Target`, base64 blobs, and
//!   `{"__type", "message"}` errors.
//! - [`store`] keeps the state in a folder: atomic state file, append-only audit trail, and key
//!   material wrapped under a root key that stands in for KMS's HSMs.
//!
//! Time and randomness come from an injected [`s3lab_env::Env`], so a seeded KMS produces the same
//! key ids, material, blobs and dates on every run.

pub mod api;
pub mod audit;
mod authz;
pub mod blob;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod model;
mod service;
pub mod store;

pub use audit::{AuditQuery, AuditRecord};
pub use error::KmsError;
pub use service::{
    Caller, Kms, KmsConfig, KmsOpenError, DEFAULT_ROTATION_DAYS, MAX_ON_DEMAND_ROTATIONS,
};
