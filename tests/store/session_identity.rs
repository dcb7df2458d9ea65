//! Session identity: a random id per login, kept across re-seals; a cookie
//! of the dropped format v1 (which had none) does not open.

use crate::common;

use common::*;
use sealed_session::{Key, KeyRing, OpenError, SessionStore, UserId};

fn new_store() -> SessionStore {
    SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

#[test]
fn every_login_gets_an_id_and_every_reseal_keeps_it() {
    let store = new_store();
    let user = UserId::from(7u64);
    let a = store.seal_for_user_at(&user, 0, &payload(1), t0()).unwrap();
    let b = store.seal_for_user_at(&user, 0, &payload(1), t0()).unwrap();
    let open = |value: &str| {
        store
            .open_at::<Payload>(value, at(1))
            .unwrap()
            .verify_with(|_| Some(0))
            .unwrap()
    };
    let (sa, sb) = (open(a.value()), open(b.value()));
    let (ia, ib) = (sa.info().session_id(), sb.info().session_id());
    assert_ne!(ia, ib, "two logins (two devices) are two sessions");
    // A chain of re-seals keeps the id.
    let mut value = a.into_value();
    for i in 0..5 {
        let session = open(&value);
        assert_eq!(session.info().session_id(), ia, "re-seal {i}");
        value = store.reseal_at(&session, at(2)).unwrap().into_value();
    }
    // Anonymous sessions have one too.
    let anon = store.seal_at(&payload(1), t0()).unwrap();
    let s = store.open_at::<Payload>(anon.value(), at(1)).unwrap();
    let other = store.seal_at(&payload(1), t0()).unwrap();
    let o = store.open_at::<Payload>(other.value(), at(1)).unwrap();
    assert_ne!(s.info().session_id(), o.info().session_id());
    assert_eq!(s.info().format_version(), 2);
}

#[test]
fn a_v2_cookie_relabelled_v1_does_not_open() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let store = new_store();
    let cookie = store.seal_at(&payload(3), t0()).unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(cookie.value()).unwrap();
    assert_eq!(bytes[0], 2);
    bytes[0] = 1;
    assert_eq!(
        store
            .open_at::<Payload>(&URL_SAFE_NO_PAD.encode(&bytes), at(1))
            .unwrap_err(),
        OpenError::Invalid
    );
}

#[test]
fn debug_of_the_info_does_not_print_the_session_id() {
    let store = new_store();
    let cookie = store.seal_at(&payload(3), t0()).unwrap();
    let opened = store.open_at::<Payload>(cookie.value(), at(1)).unwrap();
    let id = opened.info().session_id();
    for text in [format!("{:?}", opened.info()), format!("{opened:?}")] {
        assert!(!text.contains(&id.to_string()), "{text}");
        assert!(!text.contains(&id.as_u64().to_string()), "{text}");
    }
    assert_eq!(format!("{id:?}"), format!("SessionId({id})"));
}
