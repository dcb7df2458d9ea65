//! Cookie tossing: a planted cookie with the session's name is never picked
//! silently, and junk in front of the real cookie cannot hide it.
#![cfg(feature = "cookie")]

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use sealed_session::cookie::{CookieOptions, CookieOptionsError, MAX_HEADER_PAIRS};
use sealed_session::time::Duration;
use sealed_session::{Key, KeyRing, OpenError, Opened, SessionStore, UserId};

fn store_named(name: &str) -> SessionStore {
    SessionStore::builder(name, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

fn user_of(store: &SessionStore, header: &str) -> Result<Option<UserId>, OpenError> {
    store
        .open_cookie_header_at::<Payload>(header, t0())
        .map(|opened| opened.and_then(|o| o.user_id().cloned()))
}

#[test]
fn the_attackers_valid_session_beside_the_victims_is_ambiguous() {
    // Without a __Host- name a sibling subdomain can plant a cookie with a
    // longer Path, which the browser sends first.
    let store = store_named("session");
    let attacker = store
        .seal_for_user_at(&UserId::from(666u64), 0, &payload(1), t0())
        .unwrap();
    let victim = store
        .seal_for_user_at(&UserId::from(42u64), 0, &payload(1), t0())
        .unwrap();
    for header in [
        format!("session={}; session={}", attacker.value(), victim.value()),
        format!("session={}; session={}", victim.value(), attacker.value()),
        format!(
            "a=1; session={}; b=2; session={}",
            attacker.value(),
            victim.value()
        ),
    ] {
        assert_eq!(user_of(&store, &header), Err(OpenError::Ambiguous));
    }
    // Alone, each is just that user's session.
    let alone = format!("session={}", victim.value());
    assert_eq!(user_of(&store, &alone), Ok(Some(UserId::from(42u64))));
}

#[test]
fn an_expired_authentic_cookie_still_counts() {
    let store = SessionStore::builder("session", KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(1))
        .build()
        .unwrap();
    let old = store.seal_at(&payload(1), t0()).unwrap();
    let fresh = store.seal_at(&payload(2), at(7200)).unwrap();
    let header = format!("session={}; session={}", old.value(), fresh.value());
    assert_eq!(
        store
            .open_cookie_header_at::<Payload>(&header, at(7200))
            .unwrap_err(),
        OpenError::Ambiguous
    );
}

#[test]
fn junk_in_front_never_hides_the_real_cookie() {
    let store = store_named("session");
    let real = store.seal_at(&payload(5), t0()).unwrap();
    // Junk of every cheap kind, and junk that costs an AEAD pass: a value
    // with a valid header for the store's key id and a wrong tag.
    let mut forged = URL_SAFE_NO_PAD.decode(real.value()).unwrap();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = URL_SAFE_NO_PAD.encode(forged);
    for junk in ["x", "", "AAAA", forged.as_str()] {
        for count in [1, 8, 9, 100, MAX_HEADER_PAIRS - 1] {
            let header = format!("session={junk}; ").repeat(count) + "session=" + real.value();
            let opened = store
                .open_cookie_header_at::<Payload>(&header, t0())
                .unwrap_or_else(|e| panic!("{count} × {junk:?}: {e}"))
                .unwrap();
            assert_eq!(opened.anonymous().unwrap().into_data(), payload(5));
        }
    }
}

#[test]
fn the_same_value_twice_is_one_cookie() {
    let store = store_named("session");
    let real = store.seal_at(&payload(5), t0()).unwrap();
    let header = format!("session={0}; session={0}", real.value());
    assert!(matches!(
        store.open_cookie_header_at::<Payload>(&header, t0()),
        Ok(Some(Opened::Anonymous(_)))
    ));
}

#[test]
fn strict_validation_requires_the_host_prefix() {
    let options = CookieOptions::new();
    assert_eq!(options.validate("session"), Ok(()));
    assert_eq!(
        options.validate_strict("session"),
        Err(CookieOptionsError::NoHostPrefix)
    );
    assert_eq!(
        options.validate_strict("__Secure-session"),
        Err(CookieOptionsError::NoHostPrefix)
    );
    assert_eq!(options.validate_strict("__Host-session"), Ok(()));
    // Browsers match the prefix in any case, so this one is protected too.
    assert_eq!(options.validate_strict("__HOST-session"), Ok(()));
}
