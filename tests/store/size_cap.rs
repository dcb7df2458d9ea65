//! The browser limit: `len(name) + len(value) <= 4096`, enforced at seal time,
//! and oversized input rejected by open before decoding.

use crate::common;

use common::*;
use sealed_session::{Key, KeyRing, OpenError, SealError, SessionStore, UserId};

/// Seals payloads of growing length and returns the largest cookie that fit
/// and the first refusal.
fn boundary(store: &SessionStore) -> (String, SealError) {
    let mut last = None;
    for len in store.payload_budget(None).. {
        match store.seal_at(&vec![0x5au8; len], t0()) {
            Ok(sealed) => last = Some(sealed.into_value()),
            Err(err) => return (last.unwrap(), err),
        }
    }
    unreachable!()
}

#[test]
fn exactly_4096_accepted_4097_refused() {
    // With a 14-byte name, 4082-character values exist (4082 = 4*1020 + 2).
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .padding(1)
        .build()
        .unwrap();
    let (largest, refused) = boundary(&store);
    assert_eq!(NAME.len() + largest.len(), 4096);
    assert!(store.open_at::<Vec<u8>>(&largest, at(1)).is_ok());
    match refused {
        SealError::TooLarge { len, max } => {
            assert_eq!(max, 4096);
            assert!(len > 4096, "{len}");
            // One more plaintext byte is one more character: exactly 4097.
            assert_eq!(len, 4097);
        }
        other => panic!("{other:?}"),
    }
    // A value of 4083 characters (4097 with the name) is refused by open
    // before decoding: append one character to the largest valid cookie.
    let too_long = format!("{largest}A");
    assert_eq!(NAME.len() + too_long.len(), 4097);
    assert_eq!(
        store.open_at::<Vec<u8>>(&too_long, at(1)).unwrap_err(),
        OpenError::Invalid
    );
}

#[test]
fn name_length_counts_against_the_limit() {
    for name in ["s", "__Host-a-much-longer-session-cookie-name"] {
        let store = SessionStore::builder(name, KeyRing::new(1, Key::generate()))
            .build()
            .unwrap();
        let (largest, _) = boundary(&store);
        assert!(name.len() + largest.len() <= 4096);
        assert!(name.len() + largest.len() >= 4093);
    }
}

#[test]
fn lower_configured_limit() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .max_cookie_len(1000)
        .build()
        .unwrap();
    let (largest, refused) = boundary(&store);
    assert!(NAME.len() + largest.len() <= 1000);
    assert!(matches!(refused, SealError::TooLarge { max: 1000, .. }));
    // A value valid for a 4096 store is refused by this one before decoding.
    let big = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let (big_cookie, _) = boundary(&big);
    assert_eq!(
        store.open_at::<Vec<u8>>(&big_cookie, at(1)).unwrap_err(),
        OpenError::Invalid
    );
}

#[test]
fn oversize_sessions_fail_at_seal_and_report_the_size() {
    let store = store(Default::default());
    for len in [4000usize, 10_000, 1_000_000] {
        match store.seal_at(&vec![1u8; len], t0()) {
            Err(SealError::TooLarge { len: got, max }) => {
                assert_eq!(max, 4096);
                assert!(got > len * 4 / 3, "{got} for {len}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn budget_always_fits_worst_case_user() {
    let store = store(Default::default());
    let worst = UserId::text("x".repeat(128)).unwrap();
    let budget = store.payload_budget(Some(&worst));
    // A byte string of `budget - 2` costs exactly `budget` postcard bytes.
    let payload = vec![0xffu8; budget - 2];
    let sealed = store
        .seal_for_user_at(&worst, u64::MAX, &payload, t0())
        .unwrap();
    assert!(NAME.len() + sealed.value().len() <= 4096);
    assert!(store.payload_budget(None) > budget);
}

#[test]
fn padding_hides_length_and_is_verified() {
    let ring = KeyRing::new(1, Key::generate());
    let store = SessionStore::builder(NAME, ring.clone())
        .padding(64)
        .build()
        .unwrap();
    let lens: Vec<usize> = (0..40)
        .map(|n| store.seal_at(&vec![1u8; n], t0()).unwrap().value().len())
        .collect();
    assert!(lens.iter().all(|l| *l == lens[0]), "{lens:?}");
    let sealed = store.seal_at(&vec![1u8; 5], t0()).unwrap();
    let opened = store.open_at::<Vec<u8>>(sealed.value(), at(1)).unwrap();
    assert_eq!(opened.anonymous().unwrap().data(), &vec![1u8; 5]);
    // An unpadded store opens padded cookies of the same key (padding is part
    // of the format, not of the configuration).
    let unpadded = SessionStore::builder(NAME, ring).build().unwrap();
    let opened = unpadded.open_at::<Vec<u8>>(sealed.value(), at(1)).unwrap();
    assert_eq!(opened.anonymous().unwrap().data(), &vec![1u8; 5]);
}

#[test]
fn bad_configurations_are_refused() {
    use sealed_session::ConfigError;
    let ring = || KeyRing::new(1, Key::generate());
    let build = |b: sealed_session::StoreBuilder| b.build().unwrap_err();
    assert_eq!(
        build(SessionStore::builder("", ring())),
        ConfigError::CookieName
    );
    assert_eq!(
        build(SessionStore::builder("a;b", ring())),
        ConfigError::CookieName
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).max_cookie_len(4097)),
        ConfigError::MaxLength
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).max_cookie_len(40)),
        ConfigError::MaxLength
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).padding(0)),
        ConfigError::Padding
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).padding(5000)),
        ConfigError::Padding
    );
    use sealed_session::time::Duration;
    assert_eq!(
        build(SessionStore::builder("s", ring()).ttl(Duration::ZERO)),
        ConfigError::Ttl
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).ttl(Duration::days(401))),
        ConfigError::Ttl
    );
    assert_eq!(
        build(
            SessionStore::builder("s", ring())
                .ttl(Duration::hours(1))
                .idle_timeout(Duration::hours(2))
        ),
        ConfigError::IdleTimeout
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).leeway(Duration::seconds(-1))),
        ConfigError::Leeway
    );
    assert_eq!(
        build(SessionStore::builder("s", ring()).leeway(Duration::hours(2))),
        ConfigError::Leeway
    );
}

/// A cap so small that not even the envelope's head fits is still a
/// `TooLarge` (found by the roundtrip fuzz target), never `Serialize`.
#[test]
fn a_head_that_does_not_fit_is_too_large() {
    let store = SessionStore::builder("s", KeyRing::new(34, Key::generate()))
        .max_cookie_len(92)
        .build()
        .unwrap();
    let user = UserId::from(u64::MAX);
    let err = store
        .seal_for_user_at(&user, u64::MAX, &(), t0())
        .unwrap_err();
    assert!(
        matches!(err, SealError::TooLarge { max: 92, len } if len > 92),
        "{err:?}"
    );
}
