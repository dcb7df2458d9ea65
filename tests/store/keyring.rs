//! Key rotation: one sealing key, retired keys that only open, exactly one
//! key tried per cookie.

use crate::common;

use common::*;
use sealed_session::{Algorithm, Key, KeyRing, KeyRingError, OpenError, SessionStore};

fn build(ring: &KeyRing) -> SessionStore {
    SessionStore::builder(NAME, ring.clone()).build().unwrap()
}

#[test]
fn rotation_keeps_old_cookies_opening_until_removed() {
    let mut ring = KeyRing::new(1, Key::generate());
    let mut cookies = vec![(1u32, build(&ring).seal_at(&payload(1), t0()).unwrap())];
    for id in 2..=4u32 {
        let alg = if id % 2 == 0 {
            Algorithm::XChaCha20Poly1305
        } else {
            Algorithm::XAes256Gcm
        };
        ring.rotate(id, Key::generate().with_algorithm(alg))
            .unwrap();
        let store = build(&ring);
        assert_eq!(store.sealing_key_id(), id);
        cookies.push((id, store.seal_at(&payload(id as usize), t0()).unwrap()));
        for (kid, c) in &cookies {
            let s = store
                .open_at::<Payload>(c.value(), at(1))
                .unwrap()
                .anonymous()
                .unwrap();
            assert_eq!(s.info().key_id(), *kid);
            assert_eq!(s.info().reseal_reasons().retired_key, *kid != id);
            // Re-sealing moves it to the current key.
            let again = store.reseal_at(&s, at(2)).unwrap();
            let s2 = store
                .open_at::<Payload>(again.value(), at(3))
                .unwrap()
                .anonymous()
                .unwrap();
            assert_eq!(s2.info().key_id(), id);
            assert!(!s2.info().should_reseal());
        }
    }
    assert_eq!(ring.retired_ids().collect::<Vec<_>>(), vec![3, 2, 1]);
    // Removing a retired key: its cookies stop opening; the others still open.
    ring.remove_retired(1).unwrap();
    let store = build(&ring);
    assert_eq!(
        store
            .open_at::<Payload>(cookies[0].1.value(), at(1))
            .unwrap_err(),
        OpenError::Invalid
    );
    for (_, c) in &cookies[1..] {
        assert!(store.open_at::<Payload>(c.value(), at(1)).is_ok());
    }
}

#[test]
fn ring_errors() {
    let mut ring = KeyRing::new(1, Key::generate());
    assert_eq!(
        ring.rotate(1, Key::generate()),
        Err(KeyRingError::DuplicateId(1))
    );
    ring.add_retired(5, Key::generate()).unwrap();
    assert_eq!(
        ring.add_retired(5, Key::generate()),
        Err(KeyRingError::DuplicateId(5))
    );
    assert_eq!(
        ring.rotate(5, Key::generate()),
        Err(KeyRingError::DuplicateId(5))
    );
    assert_eq!(ring.remove_retired(1), Err(KeyRingError::SealingKey(1)));
    assert_eq!(ring.remove_retired(9), Err(KeyRingError::UnknownId(9)));
    assert!(ring.contains(5));
    ring.remove_retired(5).unwrap();
    assert!(!ring.contains(5));
    for e in [
        KeyRingError::DuplicateId(1),
        KeyRingError::SealingKey(1),
        KeyRingError::UnknownId(1),
    ] {
        let s = e.to_string();
        assert_eq!(s, s.to_lowercase());
    }
}

#[test]
fn unknown_key_id_is_invalid() {
    let a = build(&KeyRing::new(1, Key::generate()));
    let b = build(&KeyRing::new(2, Key::generate()));
    let c = a.seal_at(&payload(1), t0()).unwrap();
    assert_eq!(
        b.open_at::<Payload>(c.value(), at(1)).unwrap_err(),
        OpenError::Invalid
    );
}

#[test]
fn large_key_ids_round_trip() {
    for id in [0u32, 127, 128, 16_384, u32::MAX] {
        let store = build(&KeyRing::new(id, Key::generate()));
        let c = store.seal_at(&payload(1), t0()).unwrap();
        let s = store.open_at::<Payload>(c.value(), at(1)).unwrap();
        assert_eq!(s.info().key_id(), id);
    }
}

#[test]
fn debug_shows_ids_not_keys() {
    // 0x41 in every other byte: a leak would show up as "65, " or "0x41".
    let bytes: Vec<u8> = (0u8..32)
        .map(|i| if i % 2 == 0 { 0x41 } else { 100 + i })
        .collect();
    let key = Key::from_bytes(&bytes).unwrap();
    let ring = KeyRing::new(7, key.clone());
    let store = build(&ring);
    for text in [format!("{ring:?}"), format!("{store:?}")] {
        assert!(text.contains('7'), "{text}");
        assert!(!text.contains(key.to_base64().as_str()));
        assert!(!text.contains("65, ") && !text.contains("0x41"), "{text}");
    }
}
