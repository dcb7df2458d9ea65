//! Every modification of a sealed cookie is the one opaque `Invalid` error.
//!
//! The assertions hold for every nonce and key: a modified cookie is either
//! not canonical base64url, or has another header, or changes the bytes the
//! AEAD authenticates, which then verify only with the AEAD's forgery
//! probability (about 2^-128 per cookie).

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use sealed_session::{OpenError, SessionStore, UserId};

/// The largest payload length that still seals for `user`.
fn largest_fitting(store: &SessionStore, user: &UserId) -> usize {
    let mut len = store.payload_budget(Some(user));
    while store
        .seal_for_user_at(user, 1, &payload(len + 1), t0())
        .is_ok()
    {
        len += 1;
    }
    len
}

/// Cookies of three sizes: small, medium and the largest that fits.
fn cookies(store: &SessionStore) -> Vec<String> {
    let user = UserId::from(7u64);
    let near_max = largest_fitting(store, &user);
    [16usize, 600, near_max]
        .iter()
        .map(|&len| {
            store
                .seal_for_user_at(&user, 1, &payload(len), t0())
                .unwrap()
                .into_value()
        })
        .collect()
}

fn assert_invalid(store: &SessionStore, value: &str, what: &str) {
    assert_eq!(
        store.open_at::<Payload>(value, at(1)).err(),
        Some(OpenError::Invalid),
        "{what}"
    );
}

#[test]
fn near_max_cookie_is_near_max() {
    let store = store(Default::default());
    let big = cookies(&store).pop().unwrap();
    assert!(NAME.len() + big.len() >= 4093, "{}", big.len());
    assert!(NAME.len() + big.len() <= 4096);
}

#[test]
fn every_bit_flip_of_the_decoded_bytes() {
    for alg in ALGORITHMS {
        let store = store(alg);
        for cookie in cookies(&store) {
            assert!(open_full(&store, &cookie, at(1), 1).is_ok());
            let bytes = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
            for i in 0..bytes.len() {
                for bit in 0..8 {
                    let mut b = bytes.clone();
                    b[i] ^= 1 << bit;
                    assert_invalid(&store, &URL_SAFE_NO_PAD.encode(&b), "bit flip");
                }
            }
        }
    }
}

#[test]
fn every_bit_flip_of_the_cookie_text() {
    let store = store(Default::default());
    for cookie in cookies(&store) {
        let text = cookie.as_bytes();
        for i in 0..text.len() {
            for bit in 0..8 {
                let mut t = text.to_vec();
                t[i] ^= 1 << bit;
                // Non-UTF-8 results can't even be a &str; the rest must be invalid.
                if let Ok(s) = std::str::from_utf8(&t) {
                    assert_invalid(&store, s, "text bit flip");
                }
            }
        }
    }
}

#[test]
fn every_truncation_and_appends_of_1_to_64_characters() {
    let store = store(Default::default());
    for cookie in cookies(&store) {
        for len in 0..cookie.len() {
            assert_invalid(&store, &cookie[..len], "truncated");
        }
        for n in 1..=64 {
            for fill in ["A", "_", "0", "-"] {
                assert_invalid(&store, &format!("{cookie}{}", fill.repeat(n)), "appended");
            }
        }
        // Bytes appended before encoding, re-encoded canonically.
        let mut bytes = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
        for n in 1..=48 {
            bytes.push(n as u8);
            assert_invalid(&store, &URL_SAFE_NO_PAD.encode(&bytes), "appended bytes");
        }
    }
}

#[test]
fn all_other_version_bytes() {
    let store = store(Default::default());
    let cookie = &cookies(&store)[0];
    let bytes = URL_SAFE_NO_PAD.decode(cookie).unwrap();
    assert_eq!(bytes[0], 2, "seal writes format v2");
    // Every other byte, the known version 1 included: the version is in the
    // associated data, so a v2 cookie relabelled v1 does not open either.
    for v in (0u8..=255).filter(|v| *v != 2) {
        let mut b = bytes.clone();
        b[0] = v;
        assert_invalid(&store, &URL_SAFE_NO_PAD.encode(&b), "version");
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 edge cases around `cookie`: other renderings of its bytes (padded,
/// standard alphabet, non-canonical trailing bits), whitespace and quotes
/// around or inside it, and malformed values. None of them is the cookie.
fn edge_cases_of(cookie: &str) -> Vec<String> {
    let mut cases: Vec<String> = vec![
        String::new(),
        "=".into(),
        "A".into(),
        "AA".into(),
        "AAAA".into(),
        " ".repeat(10),
        "A".repeat(4097),
        "A".repeat(100_000),
        format!("{cookie}="),
        format!("{cookie}=="),
        format!(" {cookie}"),
        format!("{cookie} "),
        format!("{cookie}\n"),
        format!("\"{cookie}\""),
        cookie.replace('-', "+").replace('_', "/"),
        URL_SAFE_NO_PAD.encode([1u8, 1]),
        "\u{0}".repeat(50),
        "é".repeat(50),
    ];
    // A standard-alphabet or padded rendering of the same bytes.
    let bytes = URL_SAFE_NO_PAD.decode(cookie).unwrap();
    cases.push(base64::engine::general_purpose::URL_SAFE.encode(&bytes));
    cases.push(base64::engine::general_purpose::STANDARD.encode(&bytes));
    // Non-canonical trailing bits: same bytes, different last character. When
    // `len % 4` is 2 or 3 the lowest bit of the last character is a padding
    // bit, which a canonical encoding leaves zero.
    if !cookie.len().is_multiple_of(4) {
        let last = cookie.as_bytes()[cookie.len() - 1];
        let pos = ALPHABET.iter().position(|c| *c == last).unwrap();
        assert_eq!(pos % 2, 0, "a canonical encoding has zero padding bits");
        let alt = ALPHABET[pos | 1] as char;
        cases.push(format!("{}{alt}", &cookie[..cookie.len() - 1]));
    }
    // Whitespace inside.
    cases.push(format!("{} {}", &cookie[..10], &cookie[10..]));
    // Renderings that equal the cookie (the alphabet swap of a cookie without
    // `-` or `_`, the padded one of a length that is a multiple of 4) are not
    // edge cases.
    cases.retain(|case| case != cookie);
    cases
}

#[test]
fn base64_edge_cases() {
    // Golden vectors: fixed keys and nonces, so the same cookies and the same
    // edge cases on every run (whether a freshly sealed cookie holds a `-` or
    // `_` depends on its random nonce and tag). One per base64 length class:
    // (vector, length mod 4, has `-` or `_`, edge cases that differ from it).
    for (vector, len_mod_4, url_chars, renderings) in [
        // The padded URL-safe rendering is the cookie itself.
        ("xaes anonymous, schema 0", 0, true, 20),
        // Every rendering differs from the cookie.
        ("schema 128 (2-byte varint 80 01)", 2, true, 22),
        (
            "padding capped by the size limit: bucket 32 rounds 39 to 64, room is 50",
            3,
            true,
            22,
        ),
    ] {
        let v = golden_vector(vector);
        let store = vector_store(&v);
        let cookie = v["cookie"].as_str().unwrap();
        assert_eq!(cookie.len() % 4, len_mod_4, "{vector}");
        assert_eq!(cookie.contains(['-', '_']), url_chars, "{vector}");
        // Authentic (sealed at `t0`): the edge cases fail only for their
        // encoding.
        assert!(
            store.open_at::<(String, u32)>(cookie, at(600)).is_ok(),
            "{vector}"
        );
        let cases = edge_cases_of(cookie);
        for case in &cases {
            let shown: String = case.chars().take(40).collect();
            assert_invalid(&store, case, &shown);
        }
        assert_eq!(cases.len(), renderings, "{vector}");
    }
}

#[test]
fn moved_to_another_cookie_name() {
    let key = sealed_session::Key::generate();
    let ring = sealed_session::KeyRing::new(1, key);
    let a = SessionStore::builder("a", ring.clone()).build().unwrap();
    let ab = SessionStore::builder("ab", ring.clone()).build().unwrap();
    let other = SessionStore::builder("__Host-other", ring).build().unwrap();
    let cookie = a.seal_at(&payload(10), t0()).unwrap();
    assert!(a.open_at::<Payload>(cookie.value(), at(1)).is_ok());
    assert_invalid(&ab, cookie.value(), "a -> ab");
    assert_invalid(&other, cookie.value(), "a -> other");
}

#[test]
fn other_key_or_algorithm_does_not_open() {
    let cookie = store(Default::default())
        .seal_at(&payload(5), t0())
        .unwrap();
    // Same key id 1, fresh key; and the same key id under the other algorithm.
    for alg in ALGORITHMS {
        assert_invalid(&store(alg), cookie.value(), "other key");
    }
    let key = sealed_session::Key::generate();
    let x = SessionStore::builder(
        NAME,
        sealed_session::KeyRing::new(
            1,
            key.clone()
                .with_algorithm(sealed_session::Algorithm::XAes256Gcm),
        ),
    )
    .build()
    .unwrap();
    let c = SessionStore::builder(
        NAME,
        sealed_session::KeyRing::new(
            1,
            key.with_algorithm(sealed_session::Algorithm::XChaCha20Poly1305),
        ),
    )
    .build()
    .unwrap();
    let sealed = x.seal_at(&payload(5), t0()).unwrap();
    assert!(x.open_at::<Payload>(sealed.value(), at(1)).is_ok());
    assert_invalid(&c, sealed.value(), "same key, other algorithm");
}
