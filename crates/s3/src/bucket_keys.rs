//! S3 Bucket Keys: one data key from KMS per bucket (and KMS key, and requester), kept for a while,
//! from which S3 derives each object's key locally. Far fewer KMS calls, and the KMS context names
//! the bucket, not the object (reference 2.3, D6).
//!
//! Entries are per requester, as AWS's are per IAM session: a cached key must never let one caller
//! skip the KMS permission check another caller passed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use hkdf::Hkdf;
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// How long S3 keeps using one bucket key before it asks KMS again (lab clock).
pub const BUCKET_KEY_TTL: Duration = Duration::hours(1);
/// At most this many bucket keys are cached; the oldest go first.
const MAX_ENTRIES: usize = 1024;

#[derive(Clone)]
pub struct CachedBucketKey {
    pub plaintext: Zeroizing<[u8; 32]>,
    pub ciphertext_blob: Vec<u8>,
    pub key_arn: String,
    pub key_material_id: String,
    created: OffsetDateTime,
}

/// A bucket key's plaintext and when it was obtained.
type ReadEntry = (Zeroizing<[u8; 32]>, OffsetDateTime);

#[derive(Default)]
pub struct BucketKeyCache {
    /// (bucket, key id as requested, requester ARN) → the key for new objects.
    for_writes: Mutex<HashMap<(String, String, String), CachedBucketKey>>,
    /// (ciphertext blob, requester ARN) → the plaintext, for reads.
    for_reads: Mutex<HashMap<(Vec<u8>, String), ReadEntry>>,
}

impl BucketKeyCache {
    pub fn write_key(
        &self,
        bucket: &str,
        key_id: &str,
        requester: &str,
        now: OffsetDateTime,
    ) -> Option<CachedBucketKey> {
        let map = self
            .for_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&(bucket.to_owned(), key_id.to_owned(), requester.to_owned()))
            .filter(|c| now - c.created < BUCKET_KEY_TTL && now >= c.created)
            .cloned()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn remember_write_key(
        &self,
        bucket: &str,
        key_id: &str,
        requester: &str,
        plaintext: Zeroizing<[u8; 32]>,
        ciphertext_blob: Vec<u8>,
        key_arn: String,
        key_material_id: String,
        now: OffsetDateTime,
    ) -> CachedBucketKey {
        let entry = CachedBucketKey {
            plaintext,
            ciphertext_blob,
            key_arn,
            key_material_id,
            created: now,
        };
        let mut map = self
            .for_writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            (bucket.to_owned(), key_id.to_owned(), requester.to_owned()),
            entry.clone(),
        );
        self.remember_read_key(
            &entry.ciphertext_blob,
            requester,
            entry.plaintext.clone(),
            now,
        );
        entry
    }

    pub fn read_key(
        &self,
        blob: &[u8],
        requester: &str,
        now: OffsetDateTime,
    ) -> Option<Zeroizing<[u8; 32]>> {
        let map = self
            .for_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&(blob.to_vec(), requester.to_owned()))
            .filter(|(_, created)| now - *created < BUCKET_KEY_TTL && now >= *created)
            .map(|(k, _)| k.clone())
    }

    pub fn remember_read_key(
        &self,
        blob: &[u8],
        requester: &str,
        plaintext: Zeroizing<[u8; 32]>,
        now: OffsetDateTime,
    ) {
        let mut map = self
            .for_reads
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert((blob.to_vec(), requester.to_owned()), (plaintext, now));
    }
}

/// An object's data key, derived from the bucket key: HKDF-SHA256 with a per-object random salt,
/// bound to the object's name.
pub fn derive_object_key(
    bucket_key: &[u8; 32],
    salt: &[u8],
    bucket: &str,
    key: &str,
) -> Zeroizing<[u8; 32]> {
    let hk = Hkdf::<Sha256>::new(Some(salt), bucket_key);
    let mut out = Zeroizing::new([0u8; 32]);
    let info = format!("s3lab-bucket-key|{bucket}|{key}");
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    if hk.expand(info.as_bytes(), out.as_mut()).is_err() {
        tracing::error!("HKDF refused a 32-byte output");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_differ_per_object_and_salt() {
        let bk = [1u8; 32];
        let a = derive_object_key(&bk, b"salt-one", "b", "k1");
        assert_eq!(*a, *derive_object_key(&bk, b"salt-one", "b", "k1"));
        assert_ne!(*a, *derive_object_key(&bk, b"salt-one", "b", "k2"));
        assert_ne!(*a, *derive_object_key(&bk, b"salt-two", "b", "k1"));
        assert_ne!(*a, bk);
    }

    #[test]
    fn entries_expire_and_are_per_requester() {
        let cache = BucketKeyCache::default();
        let t0 = s3lab_env::DEFAULT_EPOCH;
        cache.remember_write_key(
            "b",
            "k",
            "alice",
            Zeroizing::new([2; 32]),
            vec![9],
            "arn".into(),
            "m".into(),
            t0,
        );
        assert!(cache
            .write_key("b", "k", "alice", t0 + Duration::minutes(59))
            .is_some());
        assert!(
            cache.write_key("b", "k", "bob", t0).is_none(),
            "another requester must ask KMS itself"
        );
        assert!(cache
            .write_key("b", "k", "alice", t0 + BUCKET_KEY_TTL)
            .is_none());
        assert!(cache.read_key(&[9], "alice", t0).is_some());
        assert!(cache.read_key(&[9], "bob", t0).is_none());
    }
}
