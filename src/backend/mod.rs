//! The AEAD layer: one [`Cipher`] per key slot, built by a backend.
//!
//! - `rustcrypto` (always compiled): the `xaes-256-gcm` and
//!   `chacha20poly1305` crates, pure Rust. The default.
//! - `ring_xaes` and `ring_xchacha` (feature `ring`): the same two AEADs
//!   composed from audited primitives, with ring's AES-256-GCM and
//!   ChaCha20-Poly1305 for the body. With the feature on they are the
//!   default.
//!
//! Both produce the same bytes for the same key, nonce, associated data and
//! plaintext; the tests and the `backend_diff` fuzz target hold them to it.
//! Which backend a [`Cipher`] uses is fixed when it is built: the feature
//! picks the default, and [`with_backend`] (for tests, fuzz targets and
//! benches) overrides it on the current thread.

pub mod hooks;
#[cfg(feature = "ring")]
mod ring_xaes;
#[cfg(feature = "ring")]
mod ring_xchacha;
mod rustcrypto;

use core::cell::Cell;

use crate::format::wire::{NONCE_LEN, TAG_LEN};
use crate::key::Algorithm;

/// An AEAD implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// The RustCrypto crates `xaes-256-gcm` and `chacha20poly1305`.
    RustCrypto,
    /// `aes` + ring's AES-256-GCM, `chacha20`'s HChaCha20 + ring's
    /// ChaCha20-Poly1305 (feature `ring`).
    #[cfg(feature = "ring")]
    Ring,
}

impl Backend {
    /// The backend stores use unless [`with_backend`] says otherwise.
    #[cfg(not(feature = "ring"))]
    pub const DEFAULT: Backend = Backend::RustCrypto;
    /// The backend stores use unless [`with_backend`] says otherwise.
    #[cfg(feature = "ring")]
    pub const DEFAULT: Backend = Backend::Ring;

    /// Every backend compiled into this build, the RustCrypto one first.
    pub const ALL: &'static [Backend] = &[
        Backend::RustCrypto,
        #[cfg(feature = "ring")]
        Backend::Ring,
    ];

    /// A short name: `rustcrypto` or `ring`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rustcrypto",
            #[cfg(feature = "ring")]
            Backend::Ring => "ring",
        }
    }
}

thread_local! {
    /// The backend [`with_backend`] forces on this thread, if any.
    static FORCED: Cell<Option<Backend>> = const { Cell::new(None) };
}

/// Restores the previous forced backend, also when the closure unwinds.
struct Restore(Option<Backend>);

impl Drop for Restore {
    fn drop(&mut self) {
        FORCED.with(|f| f.set(self.0));
    }
}

/// Runs `f` with every cipher built on this thread (so every store built
/// inside `f`) using `backend`. Stores keep their backend after `f` returns.
pub fn with_backend<R>(backend: Backend, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(FORCED.with(|c| c.replace(Some(backend))));
    f()
}

/// The backend a [`Cipher`] built now on this thread gets.
fn current() -> Backend {
    FORCED.with(Cell::get).unwrap_or(Backend::DEFAULT)
}

#[cfg(fuzzing)]
thread_local! {
    /// Bytes handed to AEAD opens on this thread (ciphertext and associated
    /// data), so fuzz targets can assert that work stays bounded by the
    /// input (cargo-fuzz builds with `--cfg fuzzing`; never in a release).
    pub(crate) static OPENED_BYTES: Cell<u64> = const { Cell::new(0) };
}

#[cfg(test)]
thread_local! {
    /// Counts AEAD open attempts on this thread, so tests can prove that
    /// an unknown key id costs no decryption.
    pub(crate) static DECRYPT_CALLS: Cell<u64> = const { Cell::new(0) };
    /// Counts AEAD open attempts on this thread per backend (in
    /// [`Backend::ALL`] order), so tests can prove which backend a store
    /// was built with.
    pub(crate) static OPENS_BY_BACKEND: Cell<[u64; 2]> = const { Cell::new([0; 2]) };
}

/// A ready cipher instance, built once per key when the store is built.
/// Every backend zeroizes the key material it holds on drop.
#[derive(Clone)]
pub(crate) enum Cipher {
    RustCrypto(rustcrypto::Cipher),
    #[cfg(feature = "ring")]
    RingXAes(Box<ring_xaes::XAes>),
    #[cfg(feature = "ring")]
    RingXChaCha(ring_xchacha::XChaCha),
}

impl core::fmt::Debug for Cipher {
    /// `Cipher(<algorithm>)`, with `, ring` on the ring backend; never a key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Cipher::RustCrypto(c) => c.fmt(f),
            #[cfg(feature = "ring")]
            Cipher::RingXAes(c) => c.fmt(f),
            #[cfg(feature = "ring")]
            Cipher::RingXChaCha(c) => c.fmt(f),
        }
    }
}

impl Cipher {
    /// A cipher for `subkey` on the current backend (the default, or the
    /// one [`with_backend`] forces).
    pub(crate) fn new(subkey: &[u8; 32], algorithm: Algorithm) -> Cipher {
        Cipher::with(current(), subkey, algorithm)
    }

    /// A cipher for `subkey` on `backend`.
    pub(crate) fn with(backend: Backend, subkey: &[u8; 32], algorithm: Algorithm) -> Cipher {
        match (backend, algorithm) {
            (Backend::RustCrypto, _) => {
                Cipher::RustCrypto(rustcrypto::Cipher::new(subkey, algorithm))
            }
            #[cfg(feature = "ring")]
            (Backend::Ring, Algorithm::XAes256Gcm) => {
                Cipher::RingXAes(Box::new(ring_xaes::XAes::new(subkey)))
            }
            #[cfg(feature = "ring")]
            (Backend::Ring, Algorithm::XChaCha20Poly1305) => {
                Cipher::RingXChaCha(ring_xchacha::XChaCha::new(subkey))
            }
        }
    }

    /// The backend this cipher was built with.
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Cipher::RustCrypto(_) => Backend::RustCrypto,
            #[cfg(feature = "ring")]
            Cipher::RingXAes(_) | Cipher::RingXChaCha(_) => Backend::Ring,
        }
    }

    /// Encrypts `buf` in place and returns the tag. Fails only for inputs
    /// beyond the AEADs' limits (gigabytes), which the size cap excludes.
    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        match self {
            Cipher::RustCrypto(c) => c.seal_in_place(nonce, aad, buf),
            #[cfg(feature = "ring")]
            Cipher::RingXAes(c) => c.seal_in_place(nonce, aad, buf),
            #[cfg(feature = "ring")]
            Cipher::RingXChaCha(c) => c.seal_in_place(nonce, aad, buf),
        }
    }

    /// Decrypts `buf` in place; `false` if the tag does not verify (the
    /// buffer's contents are then unspecified and must be discarded).
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        #[cfg(fuzzing)]
        OPENED_BYTES.with(|c| {
            let n = u64::try_from(buf.len().saturating_add(aad.len())).unwrap_or(u64::MAX);
            c.set(c.get().saturating_add(n));
        });
        #[cfg(test)]
        {
            DECRYPT_CALLS.with(|c| c.set(c.get().saturating_add(1)));
            let index = usize::from(self.backend() != Backend::RustCrypto);
            OPENS_BY_BACKEND.with(|c| {
                let mut counts = c.get();
                if let Some(n) = counts.get_mut(index) {
                    *n = n.saturating_add(1);
                }
                c.set(counts);
            });
        }
        match self {
            Cipher::RustCrypto(c) => c.open_in_place(nonce, aad, buf, tag),
            #[cfg(feature = "ring")]
            Cipher::RingXAes(c) => c.open_in_place(nonce, aad, buf, tag),
            #[cfg(feature = "ring")]
            Cipher::RingXChaCha(c) => c.open_in_place(nonce, aad, buf, tag),
        }
    }
}
