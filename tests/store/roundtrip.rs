//! Seal then open returns exactly what was sealed, for both algorithms and
//! every session kind.

use crate::common;

use common::*;
use sealed_session::{Opened, SessionStore, UserId};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Rich {
    id: u64,
    name: String,
    tags: Vec<String>,
    nested: Option<Box<Rich>>,
    score: f64,
    flags: (bool, i8, u128),
}

#[test]
fn anonymous_and_user_sessions_round_trip() {
    let rich = Rich {
        id: 1,
        name: "ünïcødé".into(),
        tags: vec!["a".into(), String::new()],
        nested: Some(Box::new(Rich {
            id: 2,
            name: "inner".into(),
            tags: vec![],
            nested: None,
            score: -0.5,
            flags: (false, -128, u128::MAX),
        })),
        score: 1e300,
        flags: (true, 127, 0),
    };
    for alg in ALGORITHMS {
        let store = store(alg);
        let anon = store.seal_at(&rich, t0()).unwrap();
        let s = store
            .open_at::<Rich>(anon.value(), at(5))
            .unwrap()
            .anonymous()
            .unwrap();
        assert_eq!(s.data(), &rich);
        assert_eq!(s.user_id(), None);
        assert_eq!(s.info().issued_at(), t0());
        for user in [
            UserId::from(0u64),
            UserId::from(u64::MAX),
            UserId::text("ada@example.org").unwrap(),
        ] {
            let c = store.seal_for_user_at(&user, 77, &rich, t0()).unwrap();
            match store.open_at::<Rich>(c.value(), at(5)).unwrap() {
                Opened::User(u) => {
                    assert_eq!(u.user_id(), &user);
                    assert_eq!(u.verify_epoch(77).unwrap().into_data(), rich);
                }
                Opened::Anonymous(_) => panic!("user lost"),
            }
        }
    }
}

#[test]
fn unit_and_empty_payloads() {
    let store = store(Default::default());
    let c = store.seal_at(&(), t0()).unwrap();
    assert!(store.open_at::<()>(c.value(), at(1)).is_ok());
    let c = store.seal_at(&Vec::<u8>::new(), t0()).unwrap();
    assert_eq!(
        store
            .open_at::<Vec<u8>>(c.value(), at(1))
            .unwrap()
            .anonymous()
            .unwrap()
            .into_data(),
        Vec::<u8>::new()
    );
}

#[test]
fn wrong_type_is_a_decode_error_not_invalid() {
    let store = store(Default::default());
    let c = store.seal_at(&300u32, t0()).unwrap();
    assert_eq!(
        store.open_at::<bool>(c.value(), at(1)).unwrap_err(),
        sealed_session::OpenError::Decode
    );
    // Trailing data the type does not consume is not zero padding.
    let c = store.seal_at(&(5u32, 6u32), t0()).unwrap();
    assert_eq!(
        store.open_at::<u32>(c.value(), at(1)).unwrap_err(),
        sealed_session::OpenError::Decode
    );
}

#[test]
fn store_is_send_sync_and_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<SessionStore>();
    let store = store(Default::default());
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..200u32)
                    .map(|i| {
                        let c = store.seal_at(&(t, i), t0()).unwrap();
                        store
                            .open_at::<(u32, u32)>(c.value(), at(1))
                            .unwrap()
                            .anonymous()
                            .unwrap()
                            .into_data()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        let got = h.join().unwrap();
        assert_eq!(got.len(), 200);
        assert!(
            got.iter()
                .enumerate()
                .all(|(i, v)| *v == (t as u32, i as u32))
        );
    }
}

#[test]
fn cookie_is_small() {
    // 99 postcard bytes, like the benches' small session (98 bytes and their
    // length); the fixed overhead is 2 (header) + 24 (nonce) + 16 (tag) bytes
    // plus the envelope, which in format v2 carries the 8-byte session id and
    // a one-byte schema number (12 more base64 characters than v1).
    let store = store(Default::default());
    let c = store
        .seal_for_user_at(&UserId::from(1u64), 1, &vec![7u8; 98], t0())
        .unwrap();
    assert!(c.value().len() <= 227, "{}", c.value().len());
    assert!(
        c.value()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}
