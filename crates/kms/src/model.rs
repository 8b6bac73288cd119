//! The typed vocabulary of KMS: key specs, usages, states, and the encryption context.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Declares an enum whose variants travel as fixed strings, with `as_str` and `parse`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// `[A, B, C]`, as AWS lists allowed values in validation messages.
            pub fn enum_set() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                format!("[{}]", names.join(", "))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The kind of key material. S3 accepts only `SYMMETRIC_DEFAULT`; the RSA specs exist so the lab
    /// can show that.
    KeySpec {
        SymmetricDefault = "SYMMETRIC_DEFAULT",
        Rsa2048 = "RSA_2048",
        Rsa3072 = "RSA_3072",
        Rsa4096 = "RSA_4096",
    }
);

impl KeySpec {
    pub fn is_symmetric(self) -> bool {
        self == KeySpec::SymmetricDefault
    }

    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeySpec::SymmetricDefault => None,
            KeySpec::Rsa2048 => Some(2048),
            KeySpec::Rsa3072 => Some(3072),
            KeySpec::Rsa4096 => Some(4096),
        }
    }

    /// The `EncryptionAlgorithms` DescribeKey lists for the spec.
    pub fn encryption_algorithms(self, usage: KeyUsage) -> Vec<EncryptionAlgorithm> {
        match (self.is_symmetric(), usage) {
            (true, _) => vec![EncryptionAlgorithm::SymmetricDefault],
            (false, KeyUsage::EncryptDecrypt) => vec![
                EncryptionAlgorithm::RsaesOaepSha1,
                EncryptionAlgorithm::RsaesOaepSha256,
            ],
            (false, KeyUsage::SignVerify) => vec![],
        }
    }

    pub fn signing_algorithms(self, usage: KeyUsage) -> Vec<&'static str> {
        match (self.is_symmetric(), usage) {
            (false, KeyUsage::SignVerify) => vec![
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
            ],
            _ => vec![],
        }
    }
}

wire_enum!(KeyUsage { EncryptDecrypt = "ENCRYPT_DECRYPT", SignVerify = "SIGN_VERIFY" });

wire_enum!(
    /// The states this mock models. AWS has more (`Creating`, `PendingImport`, ...), which only arise
    /// with features the lab does not offer (imported material, multi-Region keys).
    KeyState { Enabled = "Enabled", Disabled = "Disabled", PendingDeletion = "PendingDeletion" }
);

wire_enum!(KeyManager { Aws = "AWS", Customer = "CUSTOMER" });

wire_enum!(Origin { AwsKms = "AWS_KMS" });

wire_enum!(DataKeySpec { Aes256 = "AES_256", Aes128 = "AES_128" });

impl DataKeySpec {
    pub fn byte_len(self) -> usize {
        match self {
            DataKeySpec::Aes256 => 32,
            DataKeySpec::Aes128 => 16,
        }
    }
}

wire_enum!(EncryptionAlgorithm {
    SymmetricDefault = "SYMMETRIC_DEFAULT",
    RsaesOaepSha1 = "RSAES_OAEP_SHA_1",
    RsaesOaepSha256 = "RSAES_OAEP_SHA_256",
});

wire_enum!(RotationType { Automatic = "AUTOMATIC", OnDemand = "ON_DEMAND" });

/// Key/value pairs bound to a ciphertext as additional authenticated data. Ordered, so that the
/// binding does not depend on the order the caller wrote the pairs in.
pub type EncryptionContext = BTreeMap<String, String>;

/// The bytes an encryption context contributes to the AAD: each key and value length-prefixed, in
/// key order. Length prefixes keep `{"a":"bc"}` and `{"ab":"c"}` apart.
pub fn context_aad(ctx: &EncryptionContext) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(ctx.len() as u32).to_be_bytes());
    for (k, v) in ctx {
        for part in [k, v] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for s in KeySpec::ALL {
            assert_eq!(KeySpec::parse(s.as_str()), Some(*s));
        }
        assert_eq!(KeySpec::parse("AES_256"), None);
        assert_eq!(KeyUsage::enum_set(), "[ENCRYPT_DECRYPT, SIGN_VERIFY]");
    }

    #[test]
    fn context_binding_is_unambiguous_and_order_free() {
        let a: EncryptionContext = [("a".to_string(), "bc".to_string())].into();
        let b: EncryptionContext = [("ab".to_string(), "c".to_string())].into();
        assert_ne!(context_aad(&a), context_aad(&b));
        let x: EncryptionContext = [("k1".into(), "v".into()), ("k2".into(), "w".into())].into();
        let y: EncryptionContext = [("k2".into(), "w".into()), ("k1".into(), "v".into())].into();
        assert_eq!(context_aad(&x), context_aad(&y));
    }
}
