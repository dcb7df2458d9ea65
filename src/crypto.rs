//! All cryptography: subkey derivation (HKDF-SHA256), the associated data
//! (PAE) and the two AEADs. Nothing here is hand-rolled: the primitives come
//! from RustCrypto crates.

use chacha20poly1305::XChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};
use zeroize::{Zeroize as _, Zeroizing};

use crate::key::{Algorithm, Key};
use crate::wire::{NONCE_LEN, TAG_LEN, VERSION};

/// HKDF salt (FORMAT.md section 3).
pub(crate) const HKDF_SALT: &[u8] = b"sealed-session/v1";
/// Domain label of the HKDF info.
pub(crate) const SUBKEY_LABEL: &[u8] = b"sealed-session/v1/subkey";
/// Domain label of the associated data.
pub(crate) const AAD_LABEL: &[u8] = b"sealed-session/v1/aad";

/// Pre-authentication encoding: `LE64(n) ‖ (LE64(len) ‖ piece)*`. Injective.
pub(crate) fn pae(pieces: &[&[u8]]) -> Vec<u8> {
    let total = pieces.iter().fold(8usize, |acc, p| {
        acc.saturating_add(8).saturating_add(p.len())
    });
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(pieces.len() as u64).to_le_bytes());
    for piece in pieces {
        out.extend_from_slice(&(piece.len() as u64).to_le_bytes());
        out.extend_from_slice(piece);
    }
    out
}

/// The associated data for one cookie name and header.
pub(crate) fn aad(cookie_name: &[u8], header: &[u8]) -> Vec<u8> {
    pae(&[AAD_LABEL, cookie_name, header])
}

/// HKDF-SHA256 subkey for one (master key, key id, algorithm, cookie name).
pub(crate) fn derive_subkey(
    master: &Key,
    algorithm: Algorithm,
    key_id: u32,
    cookie_name: &[u8],
) -> Zeroizing<[u8; 32]> {
    let info = pae(&[
        SUBKEY_LABEL,
        &[VERSION],
        algorithm.name().as_bytes(),
        &key_id.to_be_bytes(),
        cookie_name,
    ]);
    // The pseudo-random key is as secret as the master key: it is wiped
    // here, and the HMAC state keyed with it is wiped on drop (sha2's
    // `zeroize` feature).
    let (mut prk, hk) = Hkdf::<Sha256>::extract(Some(HKDF_SALT), master.as_bytes());
    prk.as_mut_slice().zeroize();
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte output limit, so this
    // cannot fail; if it could, the all-zero subkey would only make every
    // open fail.
    let _ = hk.expand(&info, okm.as_mut_slice());
    okm
}

/// A ready cipher instance, built once per key when the store is built.
/// Both variants zeroize their key schedules on drop.
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

#[cfg(test)]
thread_local! {
    /// Counts AEAD open attempts on this thread, so tests can prove that
    /// an unknown key id costs no decryption.
    pub(crate) static DECRYPT_CALLS: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
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

    /// Encrypts `buf` in place and returns the tag. Fails only for inputs
    /// beyond the AEADs' limits (gigabytes), which the size cap excludes.
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

    /// Decrypts `buf` in place; `false` if the tag does not verify (the
    /// buffer's contents are then unspecified and must be discarded).
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        #[cfg(test)]
        DECRYPT_CALLS.with(|c| c.set(c.get().saturating_add(1)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_injective_on_split_points() {
        assert_ne!(pae(&[b"ab", b"c"]), pae(&[b"a", b"bc"]));
        assert_ne!(pae(&[b"abc"]), pae(&[b"abc", b""]));
        assert_eq!(
            pae(&[b"a"]),
            [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, b'a']
        );
    }

    /// C2SP XAES-256-GCM vector through our own wrapper (the dependency
    /// and our nonce/tag plumbing agree with the spec).
    #[test]
    fn xaes_c2sp_vector() {
        let cipher = Cipher::new(&[1u8; 32], Algorithm::XAes256Gcm);
        let mut buf = *b"XAES-256-GCM";
        let tag = cipher
            .seal_in_place(b"ABCDEFGHIJKLMNOPQRSTUVWX", b"", &mut buf)
            .unwrap_or_default();
        assert_eq!(hex(&buf), "ce546ef63c9cc60765923609");
        assert_eq!(hex(&tag), "b33a9a1974e96e52daf2fcf7075e2271");
    }

    /// XChaCha20-Poly1305 vector from draft-irtf-cfrg-xchacha-03, appendix A.3.1.
    #[test]
    fn xchacha_draft_vector() {
        let key: Vec<u8> = (0x80u8..=0x9f).collect();
        let key: [u8; 32] = key.try_into().unwrap_or_default();
        let nonce: Vec<u8> = (0x40u8..=0x57).collect();
        let nonce: [u8; 24] = nonce.try_into().unwrap_or_default();
        let aad = [
            0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
        ];
        let mut buf = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".to_vec();
        let cipher = Cipher::new(&key, Algorithm::XChaCha20Poly1305);
        let tag = cipher
            .seal_in_place(&nonce, &aad, &mut buf)
            .unwrap_or_default();
        assert_eq!(hex(&tag), "c0875924c1c7987947deafd8780acf49");
        assert!(
            hex(&buf)
                .starts_with("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb")
        );
    }

    /// The HMAC state HKDF keeps (keyed with the pseudo-random key) is made
    /// of SHA-256 cores, which wipe themselves on drop only with sha2's
    /// `zeroize` feature: this fails to compile without it.
    #[test]
    fn hkdf_state_is_zeroized_on_drop() {
        fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<sha2::block_api::Sha256VarCore>();
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
