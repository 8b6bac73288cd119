//! The seed's 26 claims, as data.
//!
//! The seed (`shared/seeds/000_ef13b1d016e27dce.txt`) is a study sheet on S3 encryption. Every one
//! of its bullet points is a [`Claim`] here, word for word, with a stable id. Every
//! [`s3lab_transcript::Check`] names the claims it proves, and a test fails when a claim has no
//! passing check in the curriculum. Where the sheet is out of date or imprecise, [`Claim::status`]
//! says how, and the scenario that proves the claim says so in a note.

use serde::Serialize;

/// How well a claim holds today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "correction")]
pub enum ClaimStatus {
    /// True as written.
    Holds,
    /// True in spirit, but the words are out of date or imprecise; the text says what is true now.
    Imprecise(&'static str),
}

/// One claim of the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Claim {
    /// Stable id, named by checks: `sse-s3-4`.
    pub id: &'static str,
    /// The seed's section.
    pub topic: &'static str,
    /// The seed's words.
    pub text: &'static str,
    pub status: ClaimStatus,
}

const fn holds(id: &'static str, topic: &'static str, text: &'static str) -> Claim {
    Claim {
        id,
        topic,
        text,
        status: ClaimStatus::Holds,
    }
}

const fn imprecise(
    id: &'static str,
    topic: &'static str,
    text: &'static str,
    correction: &'static str,
) -> Claim {
    Claim {
        id,
        topic,
        text,
        status: ClaimStatus::Imprecise(correction),
    }
}

/// Every claim of the seed, in the seed's order.
pub const CLAIMS: &[Claim] = &[
    holds(
        "overview-1",
        "S3 Encryption",
        "AWS S3 Encryption supports both data at rest and data in transit encryption",
    ),
    holds(
        "transit-1",
        "Data in transit",
        "S3 allows protection of data in transit by enabling SSL or using client-side encryption",
    ),
    holds(
        "sse-1",
        "Server-side encryption",
        "S3 encrypts the object before saving it on disks",
    ),
    holds(
        "sse-2",
        "Server-side encryption",
        "Server-side encryption encrypts only the object data",
    ),
    holds(
        "sse-3",
        "Server-side encryption",
        "Any object metadata is not encrypted",
    ),
    imprecise(
        "sse-4",
        "Server-side encryption",
        "Encrypted and unencrypted objects and is handled transparently by S3",
        "Since 5 January 2023 S3 encrypts every new object (SSE-S3 at least), so unencrypted objects \
         are only those written before then; they still read side by side with encrypted ones.",
    ),
    holds(
        "sse-s3-1",
        "SSE-S3",
        "Encryption keys are handled and managed by AWS",
    ),
    holds(
        "sse-s3-2",
        "SSE-S3",
        "SSE-S3 encrypts the data key with a master key that is regularly rotated",
    ),
    holds(
        "sse-s3-3",
        "SSE-S3",
        "Uses 256-bit Advanced Encryption Standard (AES-256)",
    ),
    imprecise(
        "sse-s3-4",
        "SSE-S3",
        "Request must set header x-amz-server-side-encryption to AES-256",
        "The header's value is `AES256` (no hyphen); S3 answers `AES-256` with 400 InvalidArgument. \
         And since 5 January 2023 the header is optional: a PUT without it is encrypted with SSE-S3.",
    ),
    imprecise(
        "sse-s3-5",
        "SSE-S3",
        "For enforcing server-side encryption for all of the objects, use a bucket policy that denies \
         permissions to upload an object unless the request includes x-amz-server-side-encryption header",
        "Such a policy still works, but since 2023 default bucket encryption already encrypts every \
         object; a policy is now used to require one particular mode (for example SSE-KMS).",
    ),
    imprecise(
        "sse-kms-1",
        "SSE-KMS",
        "KMS uses customer master keys (CMKs) to encrypt the S3 objects",
        "AWS renamed customer master keys (CMKs) to \"KMS keys\" in 2021. A KMS key encrypts the \
         object's data key, which encrypts the object.",
    ),
    holds("sse-kms-2", "SSE-KMS", "The master key is never made available"),
    holds("sse-kms-3", "SSE-KMS", "Allows keys to be rotated regularly"),
    holds(
        "sse-kms-4",
        "SSE-KMS",
        "Allows audit of keys used to prove they are being used correctly, by inspecting logs in AWS \
         CloudTrail",
    ),
    holds(
        "sse-kms-5",
        "SSE-KMS",
        "Security controls in AWS KMS can help meet encryption-related compliance requirements",
    ),
    imprecise(
        "sse-kms-6",
        "SSE-KMS",
        "SSE-KMS provides the option to create and manage encryption keys yourself, or use a default \
         customer master key",
        "The default key is the AWS managed key `aws/s3`, created on first use; \"customer master \
         key\" is now \"KMS key\".",
    ),
    holds(
        "sse-kms-7",
        "SSE-KMS",
        "S3 only supports symmetric keys and not asymmetric keys",
    ),
    holds(
        "sse-kms-8",
        "SSE-KMS",
        "Must set header x-amz-server-side-encryption to aws:kms",
    ),
    holds(
        "sse-c-1",
        "SSE-C",
        "Encryption keys can be managed and provided by the Customer and S3 manages the encryption",
    ),
    holds(
        "sse-c-2",
        "SSE-C",
        "When you upload an object, the encryption key is provided as a part of the request and S3 \
         uses that encryption key to apply AES-256 encryption",
    ),
    imprecise(
        "sse-c-3",
        "SSE-C",
        "SSE-C requests must be done through HTTPS and S3 will reject any requests made over HTTP \
         when using SSE-C",
        "Still true; and since April 2026 new buckets refuse SSE-C altogether until the bucket's \
         encryption configuration allows it again.",
    ),
    holds(
        "cse-1",
        "Client-side encryption",
        "Data is encrypted at the client-side and uploaded to S3",
    ),
    holds(
        "cse-2",
        "Client-side encryption",
        "The encryption process, the encryption keys, and related tools are managed by the user",
    ),
    holds(
        "cse-3",
        "Client-side encryption",
        "Client-side master keys and your unencrypted data are never sent to AWS",
    ),
    holds(
        "cse-4",
        "Client-side encryption",
        "If the master key is lost the data cannot be decrypted",
    ),
];

/// The claim with this id.
pub fn claim(id: &str) -> Option<&'static Claim> {
    CLAIMS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_26_claims_with_unique_ids() {
        assert_eq!(CLAIMS.len(), 26);
        let mut ids: Vec<_> = CLAIMS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 26);
    }

    #[test]
    fn claims_are_found_by_id() {
        assert_eq!(claim("sse-c-3").map(|c| c.topic), Some("SSE-C"));
        assert!(claim("nope").is_none());
    }
}
