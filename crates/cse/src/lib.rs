//! Client-side encryption, byte-compatible with the Amazon S3 Encryption Client (V2 and V3).
//!
//! The data is encrypted before it leaves the client; the master key never reaches S3 (and, with
//! a raw keyring, never reaches AWS at all); if the master key is lost, so is the data. What this
//! crate writes, the official clients read, and the other way round. The format is the one in
//! the reference `s3-encryption-client-format.md`:
//!
//! - **V3** (the default): `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY`. A 28-byte message id salts
//!   HKDF-SHA512 over the data key, which gives the content key and a 28-byte key commitment;
//!   the content is AES-256-GCM with the IV `01 × 12` and the AAD `00 73`. The commitment is
//!   checked in constant time before anything is decrypted. Metadata: `x-amz-c/3/w/t/m/d/i`.
//! - **V2**: `AES/GCM/NoPadding` with a random 12-byte IV. Metadata: `x-amz-key-v2`, `x-amz-iv`,
//!   `x-amz-cek-alg`, `x-amz-tag-len`, `x-amz-wrap-alg`, `x-amz-matdesc`.
//! - **V1 and V2-CBC** are read only, and only with
//!   [`CseConfig::legacy_unauthenticated_modes`]: CBC has no tag.
//!
//! The body is `ciphertext ‖ tag` with no header, so a stored object is 16 bytes longer than its
//! plaintext; a multipart upload is one GCM stream across its parts, the tag on the last.
//!
//! Keyrings ([`Keyring`]): raw AES (`AES/GCM`, `02`), raw RSA (`RSA-OAEP-SHA1`, `22`) and KMS
//! (`kms+context`, `12`, over HTTP with [`HttpKms`]). Commitment policies
//! ([`CommitmentPolicy`]) as the reference names them, `REQUIRE_ENCRYPT_REQUIRE_DECRYPT` by
//! default. All randomness (data keys, IVs, message ids, RSA padding) comes from the
//! [`s3lab_env::Entropy`] the client is given, so a seeded lab is deterministic.
//!
//! Layers, from the bottom:
//! - [`crypto`]: HKDF and the commitment, streaming AES-GCM, AES-CTR, legacy CBC;
//! - [`metadata`]: [`Envelope`], parsed from and written to metadata and instruction files;
//! - [`keyring`]: wrapping and unwrapping data keys;
//! - [`client`]: [`CseClient`], the encryptor and the two-pass authenticated decryptor;
//! - [`remote`] and [`transfer`]: objects to and from any S3 over HTTP(S), streamed;
//! - [`lessons`]: what the scenarios show (what the server saw, and that no key means no data).

pub mod client;
pub mod context;
pub mod crypto;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod keyring;
pub mod lessons;
pub mod metadata;
pub mod remote;
pub mod suite;
pub mod transfer;

pub use client::{
    content_key, encryption_with, seal, ContentEncryptor, ContentKey, CseClient, CseConfig,
    EncryptedObject,
};
pub use context::{EncryptionContext, StringMap, RESERVED_CEK_ALG};
pub use error::{CseError, Result};
pub use keyring::{
    GeneratedDataKey, HttpKms, Keyring, KmsApi, KmsKeyring, RawAesKeyring, RawRsaKeyring,
    WrappedDataKey,
};
pub use metadata::{Envelope, Location, MetadataMap};
pub use remote::S3Remote;
pub use suite::{AlgorithmSuite, CommitmentPolicy, Format, WrapAlgorithm};
pub use transfer::{
    get_object, put_object, GetOptions, GetReport, Phase, Progress, PutOptions, PutReport,
};

#[cfg(test)]
mod tests;
