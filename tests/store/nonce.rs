//! Nonces: 192 random bits per seal, never repeated.

use crate::common;

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;

/// Random 192-bit nonces: 10^6 of them hold a repeat with probability at
/// most (10^6)^2 / 2^193, about 2^-153, so this fails only if nonces are not
/// fresh random bytes.
#[test]
fn a_million_seals_no_duplicate_nonce() {
    let store = store(Default::default());
    let mut seen = HashSet::with_capacity(1_000_000);
    let mut values = HashSet::new();
    for i in 0..1_000_000u32 {
        let sealed = store.seal_at(&(), t0()).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(sealed.value()).unwrap();
        let nonce: [u8; 24] = bytes[2..26].try_into().unwrap();
        assert!(seen.insert(nonce), "duplicate nonce at seal {i}");
        if i < 1000 {
            values.insert(sealed.into_value());
        }
    }
    // Same plaintext, same time: every cookie still differs.
    assert_eq!(values.len(), 1000);
    assert_eq!(seen.len(), 1_000_000);
}
