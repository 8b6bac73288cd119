//! Algorithm suites, commitment policies and key wrapping algorithms (reference §3.1, §3.6).

use crate::error::{CseError, Result};

/// A content encryption algorithm suite, with the id the S3 Encryption Client gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgorithmSuite {
    /// 0x0070: AES-256-CBC with PKCS#7 padding. Legacy: decrypt only, behind the opt-in.
    AesCbcV1,
    /// 0x0072: AES-256-GCM, random 12-byte IV, no KDF (the V2 format).
    AesGcmV2,
    /// 0x0073: AES-256-GCM with an HKDF-SHA512 derived key and a 28-byte key commitment (V3).
    AesGcmHkdfCommitV3,
}

impl AlgorithmSuite {
    pub const fn id(self) -> u16 {
        match self {
            AlgorithmSuite::AesCbcV1 => 0x0070,
            AlgorithmSuite::AesGcmV2 => 0x0072,
            AlgorithmSuite::AesGcmHkdfCommitV3 => 0x0073,
        }
    }

    /// The name the reference and the official clients use.
    pub const fn name(self) -> &'static str {
        match self {
            AlgorithmSuite::AesCbcV1 => "ALG_AES_256_CBC_IV16_NO_KDF",
            AlgorithmSuite::AesGcmV2 => "ALG_AES_256_GCM_IV12_TAG16_NO_KDF",
            AlgorithmSuite::AesGcmHkdfCommitV3 => "ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
        }
    }

    /// The value stored in `x-amz-cek-alg` (V1/V2) or `x-amz-c` (V3), and used as the
    /// `aws:x-amz-cek-alg` encryption context value and the raw keyrings' AAD.
    pub const fn cek_alg(self) -> &'static str {
        match self {
            AlgorithmSuite::AesCbcV1 => "AES/CBC/PKCS5Padding",
            AlgorithmSuite::AesGcmV2 => "AES/GCM/NoPadding",
            AlgorithmSuite::AesGcmHkdfCommitV3 => "115",
        }
    }

    pub const fn is_committing(self) -> bool {
        matches!(self, AlgorithmSuite::AesGcmHkdfCommitV3)
    }

    pub const fn is_legacy(self) -> bool {
        matches!(self, AlgorithmSuite::AesCbcV1)
    }

    /// The stored IV (V2, V1) or message id (V3) length.
    pub const fn nonce_len(self) -> usize {
        match self {
            AlgorithmSuite::AesCbcV1 => 16,
            AlgorithmSuite::AesGcmV2 => 12,
            AlgorithmSuite::AesGcmHkdfCommitV3 => 28,
        }
    }

    /// The authentication tag appended to the body (0 for CBC).
    pub const fn tag_len(self) -> usize {
        match self {
            AlgorithmSuite::AesCbcV1 => 0,
            _ => 16,
        }
    }

    /// The format version this suite is written in.
    pub const fn format(self) -> Format {
        match self {
            AlgorithmSuite::AesCbcV1 => Format::V1,
            AlgorithmSuite::AesGcmV2 => Format::V2,
            AlgorithmSuite::AesGcmHkdfCommitV3 => Format::V3,
        }
    }

    /// From an `x-amz-cek-alg` (V2) value.
    pub fn from_cek_alg(value: &str) -> Result<Self> {
        match value {
            "AES/GCM/NoPadding" => Ok(AlgorithmSuite::AesGcmV2),
            "AES/CBC/PKCS5Padding" => Ok(AlgorithmSuite::AesCbcV1),
            other => Err(CseError::UnknownContentAlgorithm(other.to_owned())),
        }
    }
}

impl std::fmt::Display for AlgorithmSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The metadata layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Legacy: `x-amz-key`, CBC content.
    V1,
    /// `x-amz-key-v2`, `x-amz-cek-alg`, `x-amz-wrap-alg`, ... (GCM, or legacy CBC).
    V2,
    /// The compressed keys `x-amz-c/3/w/t/m/d/i`, key-committing GCM.
    V3,
}

/// Which suites a client may encrypt with and decrypt (the reference's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CommitmentPolicy {
    /// Encrypt only without commitment (V2); decrypt anything.
    ForbidEncryptAllowDecrypt,
    /// Encrypt only with commitment (V3); decrypt anything.
    RequireEncryptAllowDecrypt,
    /// Encrypt and decrypt only with commitment (V3). The default, as in the official clients.
    #[default]
    RequireEncryptRequireDecrypt,
}

impl CommitmentPolicy {
    pub const fn name(self) -> &'static str {
        match self {
            CommitmentPolicy::ForbidEncryptAllowDecrypt => "FORBID_ENCRYPT_ALLOW_DECRYPT",
            CommitmentPolicy::RequireEncryptAllowDecrypt => "REQUIRE_ENCRYPT_ALLOW_DECRYPT",
            CommitmentPolicy::RequireEncryptRequireDecrypt => "REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
        }
    }

    /// Whether this policy lets a client encrypt with `suite` (legacy suites never).
    pub fn check_encrypt(self, suite: AlgorithmSuite) -> Result<()> {
        let allowed = !suite.is_legacy()
            && match self {
                CommitmentPolicy::ForbidEncryptAllowDecrypt => !suite.is_committing(),
                _ => suite.is_committing(),
            };
        if allowed {
            Ok(())
        } else {
            Err(CseError::PolicyForbidsEncrypt {
                suite: suite.name(),
                policy: self.name(),
            })
        }
    }

    /// Whether this policy lets a client decrypt an object of `suite`.
    pub fn check_decrypt(self, suite: AlgorithmSuite) -> Result<()> {
        if self == CommitmentPolicy::RequireEncryptRequireDecrypt && !suite.is_committing() {
            return Err(CseError::PolicyForbidsDecrypt {
                suite: suite.name(),
                policy: self.name(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Display for CommitmentPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the data key is wrapped (`x-amz-wrap-alg`, or the V3 code in `x-amz-w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WrapAlgorithm {
    /// `AES/GCM`, V3 code `02`: `IV(12) ‖ AES-256-GCM(dataKey) ‖ tag`, AAD = the cek-alg.
    AesGcm,
    /// `kms+context`, V3 code `12`: a KMS ciphertext blob bound to the encryption context.
    KmsContext,
    /// `RSA-OAEP-SHA1`, V3 code `22`: OAEP(SHA-1) of `len ‖ dataKey ‖ cekAlg`.
    RsaOaepSha1,
    /// Legacy `kms`: a KMS blob under `{"kms_cmk_id": ...}`. Decrypt only, behind the opt-in.
    KmsV1,
    /// Legacy `AESWrap` (RFC 3394). Decrypt only, behind the opt-in.
    AesWrap,
    /// Legacy V1 "AES": AES/ECB/PKCS5Padding of the data key. Decrypt only, behind the opt-in.
    AesEcbV1,
    /// Legacy V1 "RSA": RSA PKCS#1 v1.5. Decrypt only, behind the opt-in.
    RsaPkcs1V1,
    /// Legacy `RSA/ECB/OAEPWithSHA-256AndMGF1Padding` (SunJCE: OAEP-SHA-256, MGF1-SHA-1).
    RsaOaepSha256,
}

impl WrapAlgorithm {
    /// The V2 `x-amz-wrap-alg` name.
    pub const fn name(self) -> &'static str {
        match self {
            WrapAlgorithm::AesGcm => "AES/GCM",
            WrapAlgorithm::KmsContext => "kms+context",
            WrapAlgorithm::RsaOaepSha1 => "RSA-OAEP-SHA1",
            WrapAlgorithm::KmsV1 => "kms",
            WrapAlgorithm::AesWrap => "AESWrap",
            WrapAlgorithm::AesEcbV1 => "AES",
            WrapAlgorithm::RsaPkcs1V1 => "RSA",
            WrapAlgorithm::RsaOaepSha256 => "RSA/ECB/OAEPWithSHA-256AndMGF1Padding",
        }
    }

    /// The V3 `x-amz-w` code, for the three current algorithms.
    pub const fn v3_code(self) -> Option<&'static str> {
        match self {
            WrapAlgorithm::AesGcm => Some("02"),
            WrapAlgorithm::KmsContext => Some("12"),
            WrapAlgorithm::RsaOaepSha1 => Some("22"),
            _ => None,
        }
    }

    pub const fn is_legacy(self) -> bool {
        !matches!(
            self,
            WrapAlgorithm::AesGcm | WrapAlgorithm::KmsContext | WrapAlgorithm::RsaOaepSha1
        )
    }

    pub const fn is_kms(self) -> bool {
        matches!(self, WrapAlgorithm::KmsContext | WrapAlgorithm::KmsV1)
    }

    /// From a V2 `x-amz-wrap-alg` value.
    pub fn from_name(value: &str) -> Result<Self> {
        Ok(match value {
            "AES/GCM" => WrapAlgorithm::AesGcm,
            "kms+context" => WrapAlgorithm::KmsContext,
            "RSA-OAEP-SHA1" => WrapAlgorithm::RsaOaepSha1,
            "kms" => WrapAlgorithm::KmsV1,
            "AESWrap" => WrapAlgorithm::AesWrap,
            "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" => WrapAlgorithm::RsaOaepSha256,
            other => return Err(CseError::UnknownWrapAlgorithm(other.to_owned())),
        })
    }

    /// From a V3 `x-amz-w` code; any other value is an error.
    pub fn from_v3_code(value: &str) -> Result<Self> {
        match value {
            "02" => Ok(WrapAlgorithm::AesGcm),
            "12" => Ok(WrapAlgorithm::KmsContext),
            "22" => Ok(WrapAlgorithm::RsaOaepSha1),
            other => Err(CseError::UnknownWrapAlgorithm(other.to_owned())),
        }
    }
}

impl std::fmt::Display for WrapAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_match_the_reference() {
        use AlgorithmSuite::*;
        use CommitmentPolicy::*;
        assert!(RequireEncryptRequireDecrypt
            .check_encrypt(AesGcmHkdfCommitV3)
            .is_ok());
        assert!(RequireEncryptRequireDecrypt
            .check_encrypt(AesGcmV2)
            .is_err());
        assert!(ForbidEncryptAllowDecrypt.check_encrypt(AesGcmV2).is_ok());
        assert!(ForbidEncryptAllowDecrypt
            .check_encrypt(AesGcmHkdfCommitV3)
            .is_err());
        assert!(ForbidEncryptAllowDecrypt.check_encrypt(AesCbcV1).is_err());
        assert!(RequireEncryptRequireDecrypt
            .check_decrypt(AesGcmV2)
            .is_err());
        assert!(RequireEncryptAllowDecrypt.check_decrypt(AesGcmV2).is_ok());
        assert!(ForbidEncryptAllowDecrypt
            .check_decrypt(AesGcmHkdfCommitV3)
            .is_ok());
        assert_eq!(CommitmentPolicy::default(), RequireEncryptRequireDecrypt);
    }

    #[test]
    fn wrap_codes_round_trip_and_unknown_codes_fail() {
        for w in [
            WrapAlgorithm::AesGcm,
            WrapAlgorithm::KmsContext,
            WrapAlgorithm::RsaOaepSha1,
        ] {
            let code = w.v3_code().unwrap_or_default();
            assert_eq!(WrapAlgorithm::from_v3_code(code).ok(), Some(w));
            assert_eq!(WrapAlgorithm::from_name(w.name()).ok(), Some(w));
        }
        assert!(matches!(
            WrapAlgorithm::from_v3_code("99"),
            Err(CseError::UnknownWrapAlgorithm(v)) if v == "99"
        ));
        assert!(WrapAlgorithm::from_name("ROT13").is_err());
    }
}
