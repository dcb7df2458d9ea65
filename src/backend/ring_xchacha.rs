//! XChaCha20-Poly1305 as draft-irtf-cfrg-xchacha specifies it, composed from
//! audited primitives (no primitive is implemented here):
//!
//! 1. The subkey: `chacha20`'s HChaCha20 of the key and `N[:16]`.
//! 2. The body: ring's ChaCha20-Poly1305 (RFC 8439) under the subkey with
//!    the nonce `0x00000000 ‖ N[16:24]`.
//!
//! Nothing depends on the key alone, so nothing is precomputed. The key and
//! each subkey are zeroized here; ring's copy of the subkey and the HChaCha20
//! state inside `chacha20` are not (README, "Which backend").

use chacha20::{R20, hchacha};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use crate::format::wire::{NONCE_LEN, TAG_LEN};

/// The XChaCha20-Poly1305 key.
#[derive(Clone)]
pub(crate) struct XChaCha {
    key: Box<Zeroizing<[u8; 32]>>,
}

impl core::fmt::Debug for XChaCha {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Cipher(xchacha20-poly1305, ring)")
    }
}

/// The HChaCha20 subkey for `N[:16]` and the ChaCha20-Poly1305 nonce
/// `0x00000000 ‖ N[16:24]`.
pub(crate) fn derive(key: &[u8; 32], nonce: &[u8; NONCE_LEN]) -> (Zeroizing<[u8; 32]>, [u8; 12]) {
    let (head, tail) = nonce.split_at(16);
    let mut input = [0u8; 16];
    input.copy_from_slice(head);
    let mut out = hchacha::<R20>(key.into(), &input.into());
    let mut subkey = Zeroizing::new([0u8; 32]);
    subkey.copy_from_slice(&out);
    out.as_mut_slice().zeroize();
    let mut body_nonce = [0u8; 12];
    let (_, last) = body_nonce.split_at_mut(4);
    last.copy_from_slice(tail);
    (subkey, body_nonce)
}

impl XChaCha {
    pub(crate) fn new(key: &[u8; 32]) -> XChaCha {
        XChaCha {
            key: Box::new(Zeroizing::new(*key)),
        }
    }

    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let (subkey, body_nonce) = derive(&self.key, nonce);
        chacha_seal(&subkey, body_nonce, aad, buf)
    }

    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        let (subkey, body_nonce) = derive(&self.key, nonce);
        chacha_open(&subkey, body_nonce, aad, buf, tag)
    }
}

/// ring's ChaCha20-Poly1305 with a 96-bit nonce, sealing in place. The body
/// of XChaCha20-Poly1305, also run alone against Wycheproof.
pub(crate) fn chacha_seal(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, key).ok()?);
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
        .ok()?;
    tag.as_ref().try_into().ok()
}

/// [`chacha_seal`]'s opening half: `false` if the tag does not verify (ring
/// then zeroes `buf`).
pub(crate) fn chacha_open(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let Ok(key) = UnboundKey::new(&CHACHA20_POLY1305, key) else {
        return false;
    };
    LessSafeKey::new(key)
        .open_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            Tag::from(*tag),
            buf,
            0..,
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// draft-irtf-cfrg-xchacha-03, section 2.2.1 (HChaCha20), through the
    /// derivation this backend runs: the subkey is HChaCha20 of the first 16
    /// nonce bytes, the body nonce is four zero bytes and the last eight.
    #[test]
    fn hchacha20_draft_vector() {
        let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i).unwrap_or_default());
        let mut nonce = [0xaau8; NONCE_LEN];
        nonce[..16].copy_from_slice(&[
            0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x4a, 0x00, 0x00, 0x00, 0x00, 0x31, 0x41,
            0x59, 0x27,
        ]);
        nonce[16..].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let (subkey, body_nonce) = derive(&key, &nonce);
        assert_eq!(
            hex(subkey.as_slice()),
            "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
        );
        assert_eq!(body_nonce, [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
}
