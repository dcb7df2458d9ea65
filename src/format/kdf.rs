//! Key derivation and associated data: the HKDF-SHA256 subkey per (key,
//! algorithm, key id, cookie name) and the PAE-encoded associated data. The
//! AEADs themselves are in `backend`. Nothing here is hand-rolled: the
//! primitives come from RustCrypto crates.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize as _, Zeroizing};

use crate::format::wire::VERSION;
use crate::key::{Algorithm, Key};

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

/// The AEAD layer lives in `backend`; the store reaches it from here.
pub(crate) use crate::backend::Cipher;
#[cfg(test)]
pub(crate) use crate::backend::DECRYPT_CALLS;

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

    /// The HMAC state HKDF keeps (keyed with the pseudo-random key) is made
    /// of SHA-256 cores, which wipe themselves on drop only with sha2's
    /// `zeroize` feature: this fails to compile without it.
    #[test]
    fn hkdf_state_is_zeroized_on_drop() {
        fn assert_zeroize_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        assert_zeroize_on_drop::<sha2::block_api::Sha256VarCore>();
    }
}
