//! The RustCrypto backend: the `xaes-256-gcm` and `chacha20poly1305` crates
//! (pure Rust; both zeroize their key schedules on drop).

use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};
use xaes_256_gcm::aes_gcm::Aes256Gcm;

use super::hooks::Body;
use crate::format::wire::{NONCE_LEN, TAG_LEN};
use crate::key::Algorithm;

#[derive(Clone)]
pub(crate) enum Cipher {
    XAes(Box<Xaes256Gcm>),
    XChaCha(Box<XChaCha20Poly1305>),
}

impl core::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Cipher::XAes(_) => "Cipher(xaes-256-gcm)",
            Cipher::XChaCha(_) => "Cipher(xchacha20-poly1305)",
        })
    }
}

impl Cipher {
    pub(crate) fn new(subkey: &[u8; 32], algorithm: Algorithm) -> Cipher {
        match algorithm {
            Algorithm::XAes256Gcm => Cipher::XAes(Box::new(Xaes256Gcm::new(subkey.into()))),
            Algorithm::XChaCha20Poly1305 => {
                Cipher::XChaCha(Box::new(XChaCha20Poly1305::new(subkey.into())))
            }
        }
    }

    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let tag = match self {
            Cipher::XAes(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
            Cipher::XChaCha(c) => c.encrypt_inout_detached(nonce.into(), aad, buf.into()),
        };
        tag.ok().map(Into::into)
    }

    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        match self {
            Cipher::XAes(c) => c
                .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
                .is_ok(),
            Cipher::XChaCha(c) => c
                .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
                .is_ok(),
        }
    }
}

/// The 96-bit-nonce AEAD under this backend's extended-nonce one, sealing:
/// AES-256-GCM (the `aes-gcm` crate that `xaes-256-gcm` calls under the
/// derived key) or ChaCha20-Poly1305 (what `chacha20poly1305` runs under the
/// HChaCha20 subkey). For the Wycheproof tests.
pub(crate) fn body_seal(
    body: Body,
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let tag = match body {
        Body::AesGcm => {
            Aes256Gcm::new(key.into()).encrypt_inout_detached(nonce.into(), aad, buf.into())
        }
        Body::ChaChaPoly => {
            ChaCha20Poly1305::new(key.into()).encrypt_inout_detached(nonce.into(), aad, buf.into())
        }
    };
    tag.ok().map(Into::into)
}

/// [`body_seal`]'s opening half.
pub(crate) fn body_open(
    body: Body,
    key: &[u8; 32],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    match body {
        Body::AesGcm => Aes256Gcm::new(key.into())
            .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
            .is_ok(),
        Body::ChaChaPoly => ChaCha20Poly1305::new(key.into())
            .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
            .is_ok(),
    }
}
