//! XAES-256-GCM as c2sp.org/XAES-256-GCM specifies it, composed from audited
//! primitives (no primitive is implemented here):
//!
//! 1. `L = AES-256_K(0^128)` and `K1` = the CMAC subkey doubling of `L`
//!    (NIST SP 800-38B 6.1, the `dbl` crate): once per key, kept with the
//!    AES-256 key schedule (the `aes` crate's encrypt-only `Aes256Enc`).
//! 2. Per message, `Kx = AES-256_K(M1 ⊕ K1) ‖ AES-256_K(M2 ⊕ K1)` with
//!    `Mi = 0x00 ‖ i ‖ 'X' ‖ 0x00 ‖ N[:12]` (the two blocks in one call).
//! 3. The body: ring's AES-256-GCM under `Kx` with the nonce `N[12:]`.
//!
//! `K1`, the key schedule and `Kx` are zeroized. ring does not wipe the
//! AES-GCM key schedule it expands from `Kx` (README, "Which backend").

use aes::Aes256Enc;
use aes::cipher::{BlockCipherEncrypt, KeyInit};
use dbl::Dbl;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::{Zeroize, Zeroizing};

use crate::format::wire::{NONCE_LEN, TAG_LEN};

/// One AES block.
type Block = aes::Block;

/// The per-key part of XAES-256-GCM: the AES-256 key schedule and `K1`.
#[derive(Clone)]
pub(crate) struct XAes {
    /// Zeroized on drop (`aes`'s `zeroize` feature).
    aes: Aes256Enc,
    k1: Zeroizing<[u8; 16]>,
}

impl core::fmt::Debug for XAes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Cipher(xaes-256-gcm, ring)")
    }
}

/// `N[:12]` and `N[12:]`.
fn split_nonce(nonce: &[u8; NONCE_LEN]) -> ([u8; 12], [u8; 12]) {
    let mut n1 = [0u8; 12];
    let mut n2 = [0u8; 12];
    let (a, b) = nonce.split_at(12);
    n1.copy_from_slice(a);
    n2.copy_from_slice(b);
    (n1, n2)
}

impl XAes {
    pub(crate) fn new(key: &[u8; 32]) -> XAes {
        let aes = Aes256Enc::new(key.into());
        let mut l = Block::default();
        aes.encrypt_block(&mut l);
        let mut k1 = l.dbl();
        l.as_mut_slice().zeroize();
        let mut out = Zeroizing::new([0u8; 16]);
        out.copy_from_slice(&k1);
        k1.as_mut_slice().zeroize();
        XAes { aes, k1: out }
    }

    /// `Kx` for the first half of a nonce (steps 3 to 5 of the spec).
    pub(crate) fn derive_key(&self, n1: &[u8; 12]) -> Zeroizing<[u8; 32]> {
        let mut kx = Zeroizing::new([0u8; 32]);
        let (blocks, _) = Block::slice_as_chunks_mut(kx.as_mut_slice());
        for (counter, block) in (1u8..).zip(blocks.iter_mut()) {
            let prefix = [0x00, counter, b'X', 0x00];
            for ((out, m), k) in block
                .iter_mut()
                .zip(prefix.iter().chain(n1))
                .zip(self.k1.iter())
            {
                *out = m ^ k;
            }
        }
        self.aes.encrypt_blocks(blocks);
        kx
    }

    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let (n1, n2) = split_nonce(nonce);
        gcm_seal(&self.derive_key(&n1), n2, aad, buf)
    }

    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> bool {
        let (n1, n2) = split_nonce(nonce);
        gcm_open(&self.derive_key(&n1), n2, aad, buf, tag)
    }
}

/// ring's AES-256-GCM under a 256-bit key with a 96-bit nonce, sealing in
/// place. The body of XAES-256-GCM, also run alone against Wycheproof.
pub(crate) fn gcm_seal(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf)
        .ok()?;
    tag.as_ref().try_into().ok()
}

/// [`gcm_seal`]'s opening half: `false` if the tag does not verify (ring
/// then zeroes `buf`).
pub(crate) fn gcm_open(
    key: &[u8; 32],
    nonce: [u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let Ok(key) = UnboundKey::new(&AES_256_GCM, key) else {
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

    /// The intermediate values of both C2SP vectors: `L`'s top bit is 0 in
    /// the first and 1 in the second, so both branches of the doubling run.
    #[test]
    fn c2sp_intermediate_values() {
        let nonce = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
        for (key_byte, l_hex, k1_hex, kx_hex) in [
            (
                0x01u8,
                "7298caa565031eadc6ce23d23ea66378",
                "e531954aca063d5b8d9c47a47d4cc6f0",
                "c8612c9ed53fe43e8e005b828a1631a0bbcb6ab2f46514ec4f439fcfd0fa969b",
            ),
            (
                0x03,
                "91c08762876dccf9ba204a33768fa5fe",
                "23810ec50edb99f374409466ed1f4b7b",
                "e9c621d4cdd9b11b00a6427ad7e559aeedd66b3857646677748f8ca796cb3fd8",
            ),
        ] {
            let x = XAes::new(&[key_byte; 32]);
            let mut l = Block::default();
            x.aes.encrypt_block(&mut l);
            assert_eq!(hex(&l), l_hex);
            assert_eq!(hex(x.k1.as_slice()), k1_hex);
            let (n1, n2) = split_nonce(&nonce);
            assert_eq!(hex(x.derive_key(&n1).as_slice()), kx_hex);
            assert_eq!(&n2, b"MNOPQRSTUVWX");
        }
    }
}
