//! AES-256-GCM behind one small trait, with two interchangeable implementations.
//!
//! [`Backend::Ring`] (the default) uses `ring`'s assembly AES-GCM; [`Backend::RustCrypto`] uses
//! the pure-Rust `aes-gcm` 0.10 crate (AES-NI and CLMUL when the processor has them). Both are
//! standard AES-256-GCM with a 96-bit nonce and a 128-bit tag, so they produce identical bytes and
//! each opens what the other sealed. Which one sealed a blob is not recorded in the blob: it
//! cannot matter.

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::Aes256Gcm;
use ring::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use zeroize::Zeroize;

use crate::error::{AtRestError, Result};
use crate::format::{Algorithm, NONCE_LEN, TAG_LEN};

/// Which AES-256-GCM implementation to use. Both produce identical bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Backend {
    /// `ring` 0.17 (`LessSafeKey`, `AES_256_GCM`): the fast one, several GB/s on one core.
    #[default]
    Ring,
    /// RustCrypto `aes-gcm` 0.10: pure Rust, its key schedule wiped on drop; slower.
    RustCrypto,
}

impl Backend {
    /// Both backends, for tests and benchmarks that compare them.
    pub const ALL: [Backend; 2] = [Backend::Ring, Backend::RustCrypto];

    /// A short name for reports: `ring` or `rustcrypto`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Ring => "ring",
            Backend::RustCrypto => "rustcrypto",
        }
    }
}

/// Which implementation an [`Aead`] is. The algorithm is the same for both: see
/// [`AeadId::algorithm`], which is what a blob's header records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AeadId {
    /// AES-256-GCM from `ring`.
    Aes256GcmRing,
    /// AES-256-GCM from RustCrypto `aes-gcm`.
    Aes256GcmRustCrypto,
}

impl AeadId {
    /// The algorithm, as a blob header records it.
    pub fn algorithm(self) -> Algorithm {
        Algorithm::Aes256Gcm
    }

    /// The backend that provides this implementation.
    pub fn backend(self) -> Backend {
        match self {
            AeadId::Aes256GcmRing => Backend::Ring,
            AeadId::Aes256GcmRustCrypto => Backend::RustCrypto,
        }
    }
}

/// An AEAD keyed with one 256-bit key: AES-256-GCM, 12-byte nonce, 16-byte tag.
///
/// The detached methods work on a slice and hand the tag back separately, so callers can
/// encrypt straight into an output buffer; [`Aead::seal`] and [`Aead::open`] are the
/// `ciphertext ‖ tag` convenience forms on a `Vec`.
pub trait Aead: Send + Sync {
    /// Encrypts `in_out` in place and returns the tag.
    fn seal_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN]>;

    /// Checks `tag` and decrypts `in_out` in place. On failure ([`AtRestError::Unauthentic`])
    /// `in_out` is zeroed: unauthenticated plaintext is never left behind.
    fn open_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<()>;

    /// Which implementation this is.
    fn id(&self) -> AeadId;

    /// Encrypts `in_out` in place and appends the 16-byte tag.
    fn seal(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], in_out: &mut Vec<u8>) -> Result<()> {
        let tag = self.seal_detached(nonce, aad, in_out)?;
        in_out.extend_from_slice(&tag);
        Ok(())
    }

    /// Takes `ciphertext ‖ tag`, checks the tag and leaves the plaintext in `in_out`. On failure
    /// `in_out` is wiped and emptied.
    fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], in_out: &mut Vec<u8>) -> Result<()> {
        let Some(body_len) = in_out.len().checked_sub(TAG_LEN) else {
            let actual = in_out.len() as u64;
            in_out.zeroize();
            return Err(AtRestError::Truncated {
                expected: TAG_LEN as u64,
                actual,
            });
        };
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&in_out[body_len..]);
        in_out.truncate(body_len);
        match self.open_detached(nonce, aad, in_out, &tag) {
            Ok(()) => Ok(()),
            Err(err) => {
                in_out.zeroize();
                Err(err)
            }
        }
    }
}

/// An AES-256-GCM [`Aead`] from the chosen backend.
pub fn aead(key: &[u8; 32], backend: Backend) -> Box<dyn Aead> {
    match backend {
        Backend::Ring => match UnboundKey::new(&AES_256_GCM, key) {
            Ok(key) => Box::new(RingAead(LessSafeKey::new(key))),
            // Cannot happen: AES_256_GCM takes exactly 32 bytes. Rather than panic, use the other
            // implementation, which produces the same bytes (and says so through `id()`).
            Err(_) => Box::new(RustCryptoAead::new(key)),
        },
        Backend::RustCrypto => Box::new(RustCryptoAead::new(key)),
    }
}

/// `ring`'s AES-256-GCM.
struct RingAead(LessSafeKey);

impl Aead for RingAead {
    fn seal_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        let nonce = ring::aead::Nonce::assume_unique_for_key(*nonce);
        let tag = self
            .0
            .seal_in_place_separate_tag(nonce, ring::aead::Aad::from(aad), in_out)
            .map_err(|_| AtRestError::TooLarge(in_out.len() as u64))?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    fn open_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<()> {
        let nonce = ring::aead::Nonce::assume_unique_for_key(*nonce);
        let tag = ring::aead::Tag::from(*tag);
        let opened =
            self.0
                .open_in_place_separate_tag(nonce, ring::aead::Aad::from(aad), tag, in_out, 0..);
        if opened.is_err() {
            in_out.zeroize();
            return Err(AtRestError::Unauthentic);
        }
        Ok(())
    }

    fn id(&self) -> AeadId {
        AeadId::Aes256GcmRing
    }
}

/// RustCrypto's AES-256-GCM (`aes-gcm` 0.10).
struct RustCryptoAead(Aes256Gcm);

impl RustCryptoAead {
    fn new(key: &[u8; 32]) -> Self {
        RustCryptoAead(Aes256Gcm::new(key.into()))
    }
}

impl Aead for RustCryptoAead {
    fn seal_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN]> {
        let tag = self
            .0
            .encrypt_in_place_detached(nonce.into(), aad, in_out)
            .map_err(|_| AtRestError::TooLarge(in_out.len() as u64))?;
        Ok(tag.into())
    }

    fn open_detached(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<()> {
        let opened = self
            .0
            .decrypt_in_place_detached(nonce.into(), aad, in_out, tag.into());
        if opened.is_err() {
            in_out.zeroize();
            return Err(AtRestError::Unauthentic);
        }
        Ok(())
    }

    fn id(&self) -> AeadId {
        AeadId::Aes256GcmRustCrypto
    }
}
