//! Time and randomness, injected.
//!
//! Every id, nonce, key and timestamp that s3lab produces comes from an [`Env`]. In demo and snapshot
//! mode the env is [`Env::seeded`]: a ChaCha20 RNG from a seed and a simulated clock that only moves
//! when told to, so two runs produce byte-identical transcripts without any redaction. Otherwise it is
//! [`Env::live`]: the operating system's RNG and the real clock.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, OsRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

/// The instant a seeded lab starts at, unless told otherwise: 2026-01-01T00:00:00Z.
pub const DEFAULT_EPOCH: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00:00 UTC);

/// A source of "now".
#[derive(Clone, Debug)]
pub enum Clock {
    /// The real wall clock.
    System,
    /// A clock that stands still until [`Clock::advance`] moves it. Shared by every clone.
    Simulated(Arc<Mutex<OffsetDateTime>>),
}

/// Asked a real clock to jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSimulated;

impl std::fmt::Display for NotSimulated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("only a simulated clock can be advanced; this lab runs on the real clock")
    }
}

impl std::error::Error for NotSimulated {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the value half-updated (they hold plain values),
    // so a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Clock {
    pub fn simulated(start: OffsetDateTime) -> Self {
        Clock::Simulated(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> OffsetDateTime {
        match self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Simulated(t) => *lock(t),
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }

    /// Moves a simulated clock forward, for lessons such as "a year later, the key rotated".
    pub fn advance(&self, by: Duration) -> Result<OffsetDateTime, NotSimulated> {
        match self {
            Clock::System => Err(NotSimulated),
            Clock::Simulated(t) => {
                let mut t = lock(t);
                *t += by;
                Ok(*t)
            }
        }
    }
}

/// A cryptographically secure RNG: either the OS's or a seeded ChaCha20 stream shared by every clone.
#[derive(Clone, Debug)]
pub enum Entropy {
    Os,
    Seeded(Arc<Mutex<ChaCha20Rng>>),
}

impl Entropy {
    pub fn seeded(seed: u64) -> Self {
        Entropy::Seeded(Arc::new(Mutex::new(ChaCha20Rng::seed_from_u64(seed))))
    }

    pub fn is_seeded(&self) -> bool {
        matches!(self, Entropy::Seeded(_))
    }

    /// Moves a seeded stream to a new point that depends on `context`, deterministically.
    ///
    /// A seeded lab restarted on a folder that already holds state must not replay the stream it
    /// used the first time: the same key ids would collide, and the same nonces under the same key
    /// material would break AES-GCM. Mixing in the persisted state gives every history its own
    /// continuation, and the same history the same one. The OS RNG needs none of this.
    pub fn mix(&self, context: &[u8]) {
        if let Entropy::Seeded(rng) = self {
            let mut rng = lock(rng);
            let mut current = [0u8; 32];
            rng.fill_bytes(&mut current);
            let mut hasher = Sha256::new();
            hasher.update(b"s3lab-entropy-mix");
            hasher.update(current);
            hasher.update(context);
            *rng = ChaCha20Rng::from_seed(hasher.finalize().into());
        }
    }

    pub fn fill(&self, dest: &mut [u8]) {
        match self {
            Entropy::Os => OsRng.fill_bytes(dest),
            Entropy::Seeded(rng) => lock(rng).fill_bytes(dest),
        }
    }

    pub fn array<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    /// A random (version 4) UUID, as KMS uses for key ids.
    pub fn uuid(&self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(self.array()).into_uuid()
    }
}

impl RngCore for Entropy {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.fill(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill(dest);
        Ok(())
    }
}

// Both variants are cryptographically secure generators.
impl CryptoRng for Entropy {}

/// Time and randomness for one lab or server.
#[derive(Clone, Debug)]
pub struct Env {
    pub clock: Clock,
    pub entropy: Entropy,
}

impl Env {
    /// The OS RNG and the real clock.
    pub fn live() -> Self {
        Env {
            clock: Clock::System,
            entropy: Entropy::Os,
        }
    }

    /// A seeded RNG and a simulated clock starting at [`DEFAULT_EPOCH`].
    pub fn seeded(seed: u64) -> Self {
        Self::seeded_at(seed, DEFAULT_EPOCH)
    }

    pub fn seeded_at(seed: u64, start: OffsetDateTime) -> Self {
        Env {
            clock: Clock::simulated(start),
            entropy: Entropy::seeded(seed),
        }
    }

    /// `Some(seed)` gives [`Env::seeded`], `None` gives [`Env::live`].
    pub fn from_seed(seed: Option<u64>) -> Self {
        seed.map_or_else(Env::live, Env::seeded)
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_envs_agree_and_differ_by_seed() {
        let a = Env::seeded(7);
        let b = Env::seeded(7);
        let c = Env::seeded(8);
        assert_eq!(a.entropy.array::<32>(), b.entropy.array::<32>());
        assert_eq!(a.entropy.uuid(), b.entropy.uuid());
        assert_ne!(
            Env::seeded(7).entropy.array::<32>(),
            c.entropy.array::<32>()
        );
    }

    #[test]
    fn clones_share_one_stream() {
        let a = Env::seeded(1);
        let b = a.clone();
        let first = a.entropy.array::<16>();
        let second = b.entropy.array::<16>();
        assert_ne!(
            first, second,
            "a clone must continue the stream, not replay it"
        );
    }

    #[test]
    fn mixing_moves_the_stream_deterministically() {
        let (a, b, c) = (Env::seeded(1), Env::seeded(1), Env::seeded(1));
        a.entropy.mix(b"state one");
        b.entropy.mix(b"state one");
        c.entropy.mix(b"state two");
        let first = a.entropy.array::<32>();
        assert_eq!(first, b.entropy.array::<32>());
        assert_ne!(first, c.entropy.array::<32>());
        assert_ne!(
            first,
            Env::seeded(1).entropy.array::<32>(),
            "a restart must not replay the stream"
        );
    }

    #[test]
    fn uuid_is_version_4() {
        let id = Env::seeded(3).entropy.uuid();
        assert_eq!(id.get_version_num(), 4);
    }

    #[test]
    fn simulated_clock_moves_only_when_told() {
        let env = Env::seeded(1);
        assert_eq!(env.now(), DEFAULT_EPOCH);
        let clone = env.clone();
        clone.clock.advance(Duration::days(365)).unwrap();
        assert_eq!(env.now(), DEFAULT_EPOCH + Duration::days(365));
        assert_eq!(Clock::System.advance(Duration::SECOND), Err(NotSimulated));
    }
}
