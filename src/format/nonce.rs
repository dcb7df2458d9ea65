//! Nonces (24 fresh random bytes per seal) and session ids, safe across
//! `fork()`.
//!
//! Both AEADs break if a nonce repeats under one key (the XOR of two
//! ciphertexts is the XOR of their plaintexts, and the authentication key
//! can be recovered and used to forge cookies). 192 random bits make a
//! collision between independent draws negligible; the danger is two
//! processes drawing the *same* bits.
//!
//! A user-space generator is copied, state and all, into the child of a
//! `fork()`: the parent and the child then produce the same nonce sequence
//! (rand's `ThreadRng` is not reseeded on fork). Pre-fork servers do this,
//! and so do Rust extensions inside Python or Ruby pre-fork servers.
//!
//! So each thread keeps a ChaCha12 generator (rand's `StdRng`) seeded from
//! the operating system, and every seal first asks a fork detector whether
//! the process has forked since that generator was seeded; if so, the
//! generator is reseeded from the OS before the nonce is drawn. A child's
//! first seal therefore always starts from fresh OS entropy, whatever the
//! parent drew before the fork.
//!
//! The detector (the `forkguard` crate) registers a `pthread_atfork` child
//! handler that bumps a process-wide counter, so the check on every seal is
//! one atomic load. Where `pthread_atfork` cannot be registered it compares
//! process ids instead (a `getpid` system call per seal); on platforms
//! without `fork()` there is nothing to detect. A process created by a raw
//! `clone`/`fork` system call that bypasses the C library runs no fork
//! handlers; such a child must not seal before it `exec`s.
//!
//! When the operating system's generator fails, the seal fails with
//! [`SealError::Random`](crate::SealError::Random); nothing falls back to
//! weaker randomness.
//!
//! Drawing 24 bytes from the OS on every seal would be equally fork-safe,
//! at the cost of a `getrandom` system call per seal; the benchmark `nonce`
//! measures every candidate.

use core::cell::RefCell;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng as _, SeedableRng as _};

use crate::error::SealError;
use crate::format::wire::NONCE_LEN;
use crate::id::SessionId;

/// Tells whether the process forked since the last call.
enum ForkDetector {
    #[cfg(unix)]
    AtFork(forkguard::atfork::Guard),
    #[cfg(unix)]
    ProcessId(forkguard::pid::Guard),
    #[cfg(not(unix))]
    NoFork,
}

impl ForkDetector {
    fn new() -> ForkDetector {
        #[cfg(unix)]
        {
            match forkguard::atfork::Guard::try_new() {
                Ok(guard) => ForkDetector::AtFork(guard),
                Err(_) => ForkDetector::ProcessId(forkguard::pid::Guard::default()),
            }
        }
        #[cfg(not(unix))]
        {
            ForkDetector::NoFork
        }
    }

    fn forked(&mut self) -> bool {
        match self {
            #[cfg(unix)]
            ForkDetector::AtFork(guard) => guard.detected_fork(),
            #[cfg(unix)]
            ForkDetector::ProcessId(guard) => guard.detected_fork(),
            #[cfg(not(unix))]
            ForkDetector::NoFork => false,
        }
    }
}

/// A generator and the fork detector armed when it was seeded.
struct Seeded {
    detector: ForkDetector,
    rng: StdRng,
}

thread_local! {
    static GENERATOR: RefCell<Option<Seeded>> = const { RefCell::new(None) };
}

#[cfg(test)]
thread_local! {
    /// Makes this thread's OS generator fail, to test `SealError::Random`.
    pub(crate) static FAIL_OS_RNG: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// A generator freshly seeded from the operating system.
fn seed() -> Result<StdRng, SealError> {
    #[cfg(test)]
    if FAIL_OS_RNG.with(core::cell::Cell::get) {
        return Err(SealError::Random);
    }
    StdRng::try_from_rng(&mut SysRng).map_err(|_| SealError::Random)
}

/// A fresh nonce.
///
/// # Errors
/// [`SealError::Random`] if the operating system's generator fails.
pub(crate) fn fresh() -> Result<[u8; NONCE_LEN], SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    fill(&mut nonce, &mut [])?;
    Ok(nonce)
}

/// A fresh session id, from the same fork-safe generator.
///
/// # Errors
/// [`SealError::Random`] if the operating system's generator fails.
pub(crate) fn session_id() -> Result<SessionId, SealError> {
    let mut bytes = [0u8; SessionId::LEN];
    fill(&mut bytes, &mut [])?;
    Ok(SessionId::from_bytes(bytes))
}

/// A fresh nonce and a fresh session id, in one visit to the generator.
///
/// # Errors
/// [`SealError::Random`] if the operating system's generator fails.
pub(crate) fn fresh_with_session_id() -> Result<([u8; NONCE_LEN], SessionId), SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    let mut id = [0u8; SessionId::LEN];
    fill(&mut nonce, &mut id)?;
    Ok((nonce, SessionId::from_bytes(id)))
}

/// Fills `out` then `more` from this thread's generator (one borrow, one
/// fork check).
fn fill(out: &mut [u8], more: &mut [u8]) -> Result<(), SealError> {
    let drawn = GENERATOR.try_with(|cell| -> Result<(), SealError> {
        let mut slot = cell.borrow_mut();
        let seeded = match &mut *slot {
            Some(seeded) => {
                if seeded.detector.forked() {
                    seeded.rng = seed()?;
                }
                seeded
            }
            empty => {
                // Armed before seeding, so a fork in between is seen.
                let detector = ForkDetector::new();
                empty.insert(Seeded {
                    detector,
                    rng: seed()?,
                })
            }
        };
        seeded.rng.fill_bytes(out);
        seeded.rng.fill_bytes(more);
        Ok(())
    });
    match drawn {
        Ok(result) => result,
        // This thread's storage is being torn down: draw from a one-off
        // generator seeded from the OS instead.
        Err(_) => {
            let mut rng = seed()?;
            rng.fill_bytes(out);
            rng.fill_bytes(more);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_generator_failure_is_a_seal_error_not_a_panic() {
        // A new thread has no seeded generator yet, so its first nonce must
        // come from the (failing) operating system generator.
        let result = std::thread::spawn(|| {
            FAIL_OS_RNG.with(|f| f.set(true));
            fresh()
        })
        .join();
        assert!(matches!(result, Ok(Err(SealError::Random))));
    }
}
