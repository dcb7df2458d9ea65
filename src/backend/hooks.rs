//! Hooks into the AEAD layer for this crate's tests, fuzz targets and
//! benches, re-exported (hidden) as `sealed_session::__backend`. Not part of
//! the API: it may change in any release.
//!
//! - [`with_backend`] builds stores on a chosen [`Backend`];
//! - [`Aead`] is one extended-nonce AEAD on one backend, keyed directly (no
//!   HKDF), for known-answer and differential tests;
//! - [`body_seal`] and [`body_open`] run the 96-bit-nonce AEAD a backend uses
//!   under its derived keys, for the Wycheproof vectors.
//!
//! ```
//! use sealed_session::Algorithm;
//! use sealed_session::__backend::{Aead, Backend};
//!
//! let aead = Aead::new(Backend::RustCrypto, Algorithm::XAes256Gcm, &[1; 32]);
//! let mut buf = *b"XAES-256-GCM";
//! let tag = aead.seal_in_place(b"ABCDEFGHIJKLMNOPQRSTUVWX", b"", &mut buf).unwrap();
//! assert!(aead.open_in_place(b"ABCDEFGHIJKLMNOPQRSTUVWX", b"", &mut buf, &tag));
//! assert_eq!(&buf, b"XAES-256-GCM");
//! ```

pub use super::{Backend, with_backend};

/// Bytes (ciphertext and associated data) handed to AEAD opens on this
/// thread so far: fuzz targets assert the work a `Cookie` header causes
/// stays bounded by its length. Only in fuzzing builds (`--cfg fuzzing`).
#[cfg(fuzzing)]
pub fn opened_bytes() -> u64 {
    super::OPENED_BYTES.with(std::cell::Cell::get)
}

use super::Cipher;
use crate::format::wire::{NONCE_LEN, TAG_LEN};
use crate::key::Algorithm;

/// The 96-bit-nonce AEAD inside an extended-nonce one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Body {
    /// AES-256-GCM, under XAES-256-GCM's derived key.
    AesGcm,
    /// ChaCha20-Poly1305 (RFC 8439), under XChaCha20-Poly1305's HChaCha20
    /// subkey.
    ChaChaPoly,
}

/// XAES-256-GCM or XChaCha20-Poly1305 on one backend, keyed with `key` as
/// is (a store keys it with an HKDF subkey).
#[derive(Clone, Debug)]
pub struct Aead(Cipher);

impl Aead {
    /// The AEAD `algorithm` under `key`, on `backend`.
    pub fn new(backend: Backend, algorithm: Algorithm, key: &[u8; 32]) -> Aead {
        Aead(Cipher::with(backend, key, algorithm))
    }

    /// The backend it runs on.
    pub fn backend(&self) -> Backend {
        self.0.backend()
    }

    /// Encrypts `buf` in place and returns the tag.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        self.0.seal_in_place(nonce, aad, buf)
    }

    /// Decrypts `buf` in place; `false` if the tag does not verify.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        self.0.open_in_place(nonce, aad, buf, tag)
    }
}

/// Seals `buf` in place with `backend`'s `body` AEAD under `key` and a
/// 96-bit nonce.
pub fn body_seal(
    backend: Backend,
    body: Body,
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    match (backend, body) {
        (Backend::RustCrypto, _) => super::rustcrypto::body_seal(body, key, nonce, aad, buf),
        #[cfg(feature = "ring")]
        (Backend::Ring, Body::AesGcm) => super::ring_xaes::gcm_seal(key, *nonce, aad, buf),
        #[cfg(feature = "ring")]
        (Backend::Ring, Body::ChaChaPoly) => {
            super::ring_xchacha::chacha_seal(key, *nonce, aad, buf)
        }
    }
}

/// Opens `buf` in place with `backend`'s `body` AEAD; `false` if the tag
/// does not verify.
pub fn body_open(
    backend: Backend,
    body: Body,
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    match (backend, body) {
        (Backend::RustCrypto, _) => super::rustcrypto::body_open(body, key, nonce, aad, buf, tag),
        #[cfg(feature = "ring")]
        (Backend::Ring, Body::AesGcm) => super::ring_xaes::gcm_open(key, *nonce, aad, buf, tag),
        #[cfg(feature = "ring")]
        (Backend::Ring, Body::ChaChaPoly) => {
            super::ring_xchacha::chacha_open(key, *nonce, aad, buf, tag)
        }
    }
}
