//! `CookieOptions` never produces a cookie that injects attributes, breaks a
//! prefix rule or exceeds the size cap.
#![cfg(feature = "cookie")]

use crate::common;

use common::*;
use sealed_session::cookie::{CookieOptions, CookieOptionsError};
use sealed_session::{BROWSER_COOKIE_LIMIT, Key, KeyRing, SessionStore};

#[test]
fn prefixes_are_matched_ignoring_ascii_case() {
    let insecure = CookieOptions::new().secure(false);
    for name in ["__Host-s", "__HOST-s", "__host-s", "__hOsT-s"] {
        assert_eq!(
            insecure.validate(name),
            Err(CookieOptionsError::HostPrefix),
            "{name}"
        );
        assert_eq!(
            CookieOptions::new().domain("example.com").validate(name),
            Err(CookieOptionsError::HostPrefix)
        );
    }
    for name in ["__Secure-s", "__SECURE-s", "__secure-s"] {
        assert_eq!(
            insecure.validate(name),
            Err(CookieOptionsError::SecurePrefix),
            "{name}"
        );
    }
    assert_eq!(insecure.validate("__Hosts"), Ok(()));
}

#[test]
fn path_and_domain_cannot_inject_attributes() {
    let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let sealed = store.seal_at(&1u8, t0()).unwrap();
    for path in [
        "/; Domain=evil.example; SameSite=None",
        "/\r\nSet-Cookie: x=y",
        "/\0",
    ] {
        let options = CookieOptions::new().path(path);
        assert_eq!(
            options.cookie_at(&sealed, t0()).unwrap_err(),
            CookieOptionsError::Path
        );
        assert_eq!(
            options.removal("sid").unwrap_err(),
            CookieOptionsError::Path
        );
    }
    let options = CookieOptions::new().domain("example.com; SameSite=None");
    assert_eq!(
        options.cookie_at(&sealed, t0()).unwrap_err(),
        CookieOptionsError::Domain
    );
    assert_eq!(
        CookieOptions::new().removal("bad name").unwrap_err(),
        CookieOptionsError::Name
    );
    // A clean configuration still works, and its text has exactly the
    // attributes asked for.
    let text = CookieOptions::new()
        .path("/app")
        .cookie_at(&sealed, t0())
        .unwrap()
        .to_string();
    assert_eq!(text.matches("; ").count(), 5, "{text}");
}

#[test]
fn a_sealed_value_carries_its_name_so_no_cookie_exceeds_the_cap() {
    // A store with a one-byte name fills its cap with the value; the cookie
    // built from it is named with that name, so name + value stays within
    // 4096 (before, it could be given another store's longer name: 4113).
    let short = SessionStore::builder("s", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let mut len = short.payload_budget(None);
    while short.seal_at(&payload(len + 1), t0()).is_ok() {
        len += 1;
    }
    let sealed = short.seal_at(&payload(len), t0()).unwrap();
    assert_eq!(sealed.cookie_name(), "s");
    let cookie = CookieOptions::new().cookie_at(&sealed, t0()).unwrap();
    assert_eq!(cookie.name(), "s");
    let total = cookie.name().len() + cookie.value().len();
    assert!(total <= BROWSER_COOKIE_LIMIT, "{total}");
    assert!(
        total > BROWSER_COOKIE_LIMIT - 4,
        "the cap was really filled: {total}"
    );
}
