//! Master keys: generation, parsing, export, redaction, equality.

use sealed_session::{Key, KeyError};

#[test]
fn debug_and_errors_print_nothing_secret() {
    // 0xab in every other byte, so a leak would show up as "ab" or 171.
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| if i % 2 == 0 { 0xab } else { i })
        .collect();
    let key = Key::from_bytes(&bytes).unwrap();
    let exported = key.to_base64();
    let debug = format!("{key:?} {:#?}", key);
    assert_eq!(format!("{key:?}"), "Key(..)");
    assert!(!debug.contains(exported.as_str()));
    assert!(!debug.to_lowercase().contains("ab"));
    assert!(!debug.contains("171")); // 0xab in decimal
    // A key of the wrong length never echoes its text.
    let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ";
    let err = Key::from_base64(secret).unwrap_err();
    assert!(!format!("{err} {err:?}").contains(secret));
}

#[test]
fn exactly_32_bytes() {
    for len in [0usize, 1, 16, 31, 33, 64] {
        assert_eq!(
            Key::from_bytes(&vec![1u8; len]).unwrap_err(),
            KeyError::Length { got: len }
        );
    }
    assert!(Key::from_bytes(&(1u8..33).collect::<Vec<_>>()).is_ok());
}

#[test]
fn base64_round_trip_in_all_alphabets() {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let bytes: Vec<u8> = (200u8..232).collect(); // includes bytes that encode to + / - _
    let key = Key::from_bytes(&bytes).unwrap();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        let text = engine.encode(&bytes);
        assert_eq!(Key::from_base64(&text).unwrap(), key, "{text}");
        assert_eq!(Key::from_base64(&format!("  {text}\n")).unwrap(), key);
    }
    assert_eq!(Key::from_base64(&key.to_base64()).unwrap(), key);
    assert_eq!(key.to_base64().len(), 43);
    assert_eq!(
        Key::from_base64("not base64!").unwrap_err(),
        KeyError::Base64
    );
    assert!(matches!(
        Key::from_base64(&"A".repeat(1000)).unwrap_err(),
        KeyError::Length { .. }
    ));
    assert_eq!(
        Key::from_base64(&URL_SAFE_NO_PAD.encode([1u8; 31])).unwrap_err(),
        KeyError::Length { got: 31 }
    );
}

#[test]
fn generated_keys_differ_and_compare_by_value() {
    let a = Key::generate();
    let b = Key::try_generate().unwrap();
    // Two random 256-bit keys are equal with probability 2^-256.
    assert_ne!(a, b);
    assert_eq!(a, a.clone());
    let mut bytes: [u8; 32] = core::array::from_fn(|i| 9 + i as u8);
    let k1 = Key::from_bytes(&bytes).unwrap();
    bytes[31] ^= 1;
    assert_ne!(k1, Key::from_bytes(&bytes).unwrap());
}

#[test]
fn key_is_zeroize_on_drop() {
    fn assert_zod<T: zeroize::ZeroizeOnDrop>() {}
    assert_zod::<Key>();
}

#[test]
fn a_key_carries_its_algorithm_into_the_ring_and_the_cookie() {
    use sealed_session::{Algorithm, KeyRing, OpenError, SessionStore};

    let bytes: Vec<u8> = (0u8..32).collect();
    let xaes = Key::from_bytes(&bytes).unwrap();
    let xchacha = xaes.clone().with_algorithm(Algorithm::XChaCha20Poly1305);
    // The same bytes bound to two algorithms are two keys.
    assert_ne!(xaes, xchacha);
    assert_eq!(xchacha, xchacha.clone());

    let mut ring = KeyRing::new(1, xchacha.clone());
    assert_eq!(ring.algorithm(1), Some(Algorithm::XChaCha20Poly1305));
    ring.rotate(2, Key::generate()).unwrap();
    assert_eq!(ring.algorithm(2), Some(Algorithm::XAes256Gcm));
    ring.add_retired(
        3,
        Key::generate().with_algorithm(Algorithm::XChaCha20Poly1305),
    )
    .unwrap();
    assert_eq!(ring.algorithm(3), Some(Algorithm::XChaCha20Poly1305));
    // The configuration string keeps each key's algorithm.
    let again = KeyRing::from_config(&ring.to_config()).unwrap();
    assert_eq!(again, ring);

    // A cookie sealed under the XChaCha key opens only under that binding.
    let sealer = SessionStore::builder("sid", KeyRing::new(1, xchacha))
        .build()
        .unwrap();
    let cookie = sealer.seal(&7u32).unwrap();
    let same = SessionStore::builder(
        "sid",
        KeyRing::new(
            1,
            Key::from_bytes(&bytes)
                .unwrap()
                .with_algorithm(Algorithm::XChaCha20Poly1305),
        ),
    )
    .build()
    .unwrap();
    assert_eq!(
        *same
            .open::<u32>(cookie.value())
            .unwrap()
            .anonymous()
            .unwrap()
            .data(),
        7
    );
    let other = SessionStore::builder("sid", KeyRing::new(1, xaes))
        .build()
        .unwrap();
    assert_eq!(
        other.open::<u32>(cookie.value()).unwrap_err(),
        OpenError::Invalid
    );
}
