//! The `cookie` feature: `Set-Cookie` with secure defaults, removal cookies,
//! and reading the session out of `Cookie` headers and jars.
#![cfg(feature = "cookie")]

use crate::common;

use common::ReadAt as _;
use common::{NAME, t0};
use proptest::prelude::*;
use sealed_session::cookie::{
    Cookie, CookieOptions, CookieOptionsError, MAX_HEADER_PAIRS, SameSite,
};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    BROWSER_COOKIE_LIMIT, Key, KeyRing, OpenError, Opened, SealError, SessionStore, UserId,
};

fn store() -> SessionStore {
    SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

fn open_u32(store: &SessionStore, header: &str, now: OffsetDateTime) -> Option<u32> {
    store
        .open_cookie_header_at::<u32>(header, now)
        .unwrap()
        .map(|o| *o.anonymous().unwrap().data())
}

#[test]
fn default_set_cookie_is_exactly_the_secure_defaults() {
    let store = store();
    let sealed = store.seal_at(&1u32, t0()).unwrap();
    let cookie = CookieOptions::new().cookie_at(&sealed, t0()).unwrap();
    assert_eq!(
        cookie.to_string(),
        format!(
            "__Host-session={}; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=86400",
            sealed.value()
        )
    );
    assert_eq!(CookieOptions::new().validate(NAME), Ok(()));
    // The header parses back to the same attributes.
    let parsed = Cookie::parse(cookie.to_string()).unwrap();
    assert_eq!(parsed.name(), NAME);
    assert_eq!(parsed.value(), sealed.value());
    assert_eq!(parsed.http_only(), Some(true));
    assert_eq!(parsed.secure(), Some(true));
    assert_eq!(parsed.same_site(), Some(SameSite::Lax));
    assert_eq!(parsed.path(), Some("/"));
    assert_eq!(parsed.domain(), None);
    assert_eq!(parsed.max_age(), Some(Duration::days(1)));
    assert_eq!(parsed.expires(), None);
}

#[test]
fn max_age_never_outlives_the_deadline() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(10))
        .idle_timeout(Duration::hours(1))
        .build()
        .unwrap();
    let sealed = store.seal_at(&(), t0()).unwrap();
    assert_eq!(sealed.deadline(), t0() + Duration::hours(1));
    let options = CookieOptions::new();
    // Sub-second offsets, whole seconds, and past the deadline.
    for millis in (0..4_000_000i64)
        .step_by(77_777)
        .chain([3_599_000, 3_599_999, 3_600_000, 3_600_001, 9_000_000])
    {
        let now = t0() + Duration::milliseconds(millis);
        let max_age = options.cookie_at(&sealed, now).unwrap().max_age().unwrap();
        assert_eq!(max_age.subsec_nanoseconds(), 0);
        if now >= sealed.deadline() {
            assert_eq!(max_age, Duration::ZERO, "{millis}");
            continue;
        }
        assert!(max_age >= Duration::ZERO, "{millis}");
        assert!(now + max_age <= sealed.deadline(), "{millis}: {max_age}");
        // And it is the longest whole number of seconds that fits.
        assert!(
            now + max_age + Duration::seconds(1) > sealed.deadline(),
            "{millis}: {max_age} is too short"
        );
    }
    // Exactly at and after the deadline: an already-expired cookie.
    let at_deadline = options.cookie_at(&sealed, sealed.deadline()).unwrap();
    assert_eq!(at_deadline.max_age(), Some(Duration::ZERO));
    let late = options
        .cookie_at(&sealed, sealed.deadline() + Duration::days(3))
        .unwrap();
    assert_eq!(late.max_age(), Some(Duration::ZERO));
}

#[test]
fn max_age_cap_and_non_persistent_cookies() {
    let store = store();
    let sealed = store.seal_at(&(), t0()).unwrap();
    let capped = CookieOptions::new().max_age(Duration::minutes(5));
    assert_eq!(
        capped.cookie_at(&sealed, t0()).unwrap().max_age(),
        Some(Duration::minutes(5))
    );
    // The cap never extends past the deadline.
    let near_end = sealed.deadline() - Duration::seconds(30);
    assert_eq!(
        capped.cookie_at(&sealed, near_end).unwrap().max_age(),
        Some(Duration::seconds(30))
    );
    let negative = CookieOptions::new().max_age(Duration::seconds(-5));
    assert_eq!(
        negative.cookie_at(&sealed, t0()).unwrap().max_age(),
        Some(Duration::ZERO)
    );
    let session_only = CookieOptions::new().persistent(false);
    let cookie = session_only.cookie_at(&sealed, t0()).unwrap();
    assert_eq!(cookie.max_age(), None);
    assert_eq!(cookie.expires(), None);
    assert!(!cookie.to_string().contains("Max-Age"));
}

#[test]
fn every_override_reaches_the_header() {
    let store = SessionStore::builder("sid", KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let sealed = store.seal_at(&(), t0()).unwrap();
    let options = CookieOptions::new()
        .http_only(false)
        .secure(false)
        .same_site(SameSite::Strict)
        .path("/app")
        .domain("example.com");
    let header = options.cookie_at(&sealed, t0()).unwrap().to_string();
    assert_eq!(
        header,
        format!(
            "sid={}; SameSite=Strict; Path=/app; Domain=example.com; Max-Age=86400",
            sealed.value()
        )
    );
    let none = CookieOptions::new().same_site(SameSite::None);
    let header = none.cookie_at(&sealed, t0()).unwrap().to_string();
    assert!(header.contains("; SameSite=None; Secure;"), "{header}");
}

#[test]
fn removal_matches_the_session_cookie_and_expires_it() {
    for (store, options) in [
        (store(), CookieOptions::new()),
        (
            store_with_name("app_session"),
            CookieOptions::new()
                .secure(false)
                .path("/app")
                .domain("example.com")
                .same_site(SameSite::Strict),
        ),
    ] {
        let sealed = store.seal_at(&(), t0()).unwrap();
        let live = options.cookie_at(&sealed, t0()).unwrap();
        let removal = options.removal(store.cookie_name()).unwrap();
        assert_eq!(removal.name(), live.name());
        assert_eq!(removal.path(), live.path());
        assert_eq!(removal.domain(), live.domain());
        assert_eq!(removal.secure(), live.secure());
        assert_eq!(removal.http_only(), live.http_only());
        assert_eq!(removal.same_site(), live.same_site());
        assert_eq!(removal.value(), "");
        assert_eq!(removal.max_age(), Some(Duration::ZERO));
        assert_eq!(removal.expires_datetime(), Some(OffsetDateTime::UNIX_EPOCH));
        let text = removal.to_string();
        assert!(
            text.starts_with(&format!("{}=;", store.cookie_name())),
            "{text}"
        );
        assert!(text.contains("; Max-Age=0"), "{text}");
        assert!(
            text.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "{text}"
        );
        // It parses back as an already-expired cookie.
        let parsed = Cookie::parse(text).unwrap();
        assert_eq!(parsed.max_age(), Some(Duration::ZERO));
        assert_eq!(parsed.value(), "");
    }
}

#[test]
fn validate_reports_what_browsers_would_drop() {
    use CookieOptionsError as E;
    let cases: [(CookieOptions, &str, Result<(), E>); 13] = [
        (CookieOptions::new(), "__Host-s", Ok(())),
        (CookieOptions::new(), "__Secure-s", Ok(())),
        (CookieOptions::new().secure(false), "plain", Ok(())),
        (
            CookieOptions::new().secure(false),
            "__Host-s",
            Err(E::HostPrefix),
        ),
        (
            CookieOptions::new().path("/a"),
            "__Host-s",
            Err(E::HostPrefix),
        ),
        (
            CookieOptions::new().domain("a.example"),
            "__Host-s",
            Err(E::HostPrefix),
        ),
        (
            CookieOptions::new().domain("a.example"),
            "__Secure-s",
            Ok(()),
        ),
        (
            CookieOptions::new().secure(false),
            "__Secure-s",
            Err(E::SecurePrefix),
        ),
        (
            CookieOptions::new().secure(false).same_site(SameSite::None),
            "s",
            Err(E::SameSiteNoneWithoutSecure),
        ),
        (CookieOptions::new().path("relative"), "s", Err(E::Path)),
        (
            CookieOptions::new().path("/a\r\nX-Evil: 1"),
            "s",
            Err(E::Path),
        ),
        (
            CookieOptions::new().domain("a.example; Secure"),
            "s",
            Err(E::Domain),
        ),
        (CookieOptions::new().domain(""), "s", Err(E::Domain)),
    ];
    for (options, name, expected) in cases {
        assert_eq!(options.validate(name), expected, "{options:?} {name}");
        if let Err(err) = expected {
            assert!(!err.to_string().is_empty());
        }
    }
}

#[test]
fn header_with_one_session_among_other_cookies() {
    let store = store();
    let v = store.seal_at(&42u32, t0()).unwrap().into_value();
    for header in [
        format!("{NAME}={v}"),
        format!("a=1; {NAME}={v}; b=2"),
        format!("a=1;{NAME}={v};b=2"),
        format!("  junk ;; =x; a ; {NAME}={v} ;;; b=\"q\""),
        format!("{NAME}=\"{v}\""),
        format!("\t{NAME}={v}\t"),
    ] {
        assert_eq!(open_u32(&store, &header, t0()), Some(42), "{header}");
    }
}

#[test]
fn absent_cookie_is_none_and_similar_names_do_not_count() {
    let store = store();
    let v = store.seal_at(&1u32, t0()).unwrap().into_value();
    for header in [
        String::new(),
        ";;;".into(),
        "a=1; b=2".into(),
        format!("x{NAME}={v}"),
        format!("{}={v}", NAME.to_lowercase()),
        format!("{NAME}x={v}"),
        format!("a={NAME}={v}"),
    ] {
        assert!(
            store
                .open_cookie_header_at::<u32>(&header, t0())
                .unwrap()
                .is_none(),
            "{header}"
        );
    }
}

#[test]
fn the_authentic_value_wins_not_the_first_with_the_name() {
    let store = store();
    let good = store.seal_at(&7u32, t0()).unwrap().into_value();
    let other_store = store_with_name(NAME);
    let foreign = other_store.seal_at(&666u32, t0()).unwrap().into_value();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let header =
        format!("{NAME}=junk; {NAME}={foreign}; {NAME}=; {NAME}={tampered}; {NAME}={good}");
    assert_eq!(open_u32(&store, &header, t0()), Some(7));
    // Two different values that open: neither is picked (cookie tossing).
    let second = store.seal_at(&8u32, t0()).unwrap().into_value();
    let header = format!("{NAME}={second}; {NAME}={good}");
    assert_eq!(
        store
            .open_cookie_header_at::<u32>(&header, t0())
            .unwrap_err(),
        OpenError::Ambiguous
    );
    // The same value twice is one cookie, not two.
    let header = format!("{NAME}={good}; {NAME}={good}");
    assert_eq!(open_u32(&store, &header, t0()), Some(7));
}

fn store_with_name(name: &str) -> SessionStore {
    SessionStore::builder(name, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap()
}

#[test]
fn none_opening_reports_the_most_specific_error() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(1))
        .build()
        .unwrap();
    let old = store.seal_at(&1u32, t0()).unwrap().into_value();
    let later = t0() + Duration::hours(3);
    // Only junk: Invalid.
    let err = store
        .open_cookie_header_at::<u32>(&format!("{NAME}=junk; {NAME}=also-junk"), later)
        .unwrap_err();
    assert_eq!(err, OpenError::Invalid);
    // Junk around an expired cookie: Expired, not Invalid.
    let err = store
        .open_cookie_header_at::<u32>(&format!("{NAME}=junk; {NAME}={old}; {NAME}=x"), later)
        .unwrap_err();
    assert_eq!(err, OpenError::Expired);
    // A cookie sealed under another name does not open under this one.
    let moved = store_with_name("other").seal_at(&1u32, t0()).unwrap();
    let err = store
        .open_cookie_header_at::<u32>(&format!("{NAME}={}", moved.value()), t0())
        .unwrap_err();
    assert_eq!(err, OpenError::Invalid);
    // An empty value (a browser that kept a removal cookie) is Invalid.
    let err = store
        .open_cookie_header_at::<u32>(&format!("{NAME}="), t0())
        .unwrap_err();
    assert_eq!(err, OpenError::Invalid);
}

#[test]
fn work_is_bounded() {
    let store = store();
    let good = store.seal_at(&3u32, t0()).unwrap().into_value();
    // Junk candidates with the name never hide the real cookie, however
    // many precede it (up to the pair limit).
    let junk = format!("{NAME}=junk; ").repeat(MAX_HEADER_PAIRS - 1);
    assert_eq!(
        open_u32(&store, &format!("{junk}{NAME}={good}"), t0()),
        Some(3)
    );
    // Past the pair limit the header is not read.
    let filler = "a=1; ".repeat(MAX_HEADER_PAIRS);
    assert!(
        store
            .open_cookie_header_at::<u32>(&format!("{filler}{NAME}={good}"), t0())
            .unwrap()
            .is_none()
    );
    let filler = "a=1; ".repeat(MAX_HEADER_PAIRS - 1);
    assert_eq!(
        open_u32(&store, &format!("{filler}{NAME}={good}"), t0()),
        Some(3)
    );
    // A huge header of one repeated junk cookie is still answered.
    let huge = format!("{NAME}={}; ", "A".repeat(5000)).repeat(200);
    assert_eq!(
        store.open_cookie_header_at::<u32>(&huge, t0()).unwrap_err(),
        OpenError::Invalid
    );
}

#[test]
fn user_sessions_still_need_their_epoch_verified() {
    let store = store();
    let v = store
        .seal_for_user_at(&UserId::from(5u64), 3, &9u32, t0())
        .unwrap()
        .into_value();
    let opened = store
        .open_cookie_header_at::<u32>(&format!("x=1; {NAME}={v}"), t0())
        .unwrap()
        .unwrap();
    let Opened::User(pending) = opened else {
        panic!("expected a user session")
    };
    assert_eq!(pending.user_id(), &UserId::from(5u64));
    assert_eq!(
        pending.clone().verify_epoch(4).unwrap_err(),
        OpenError::Revoked
    );
    assert_eq!(*pending.verify_epoch(3).unwrap().data(), 9);
}

#[test]
fn a_full_size_cookie_is_exactly_the_browser_limit_and_one_more_byte_is_refused() {
    // name length 4 leaves 4092 value characters: exactly 3069 bytes of base64.
    let name = "size";
    let probe = SessionStore::builder(name, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    let budget = probe.payload_budget(None);
    let store = SessionStore::builder(name, KeyRing::new(1, Key::generate()))
        .build()
        .unwrap();
    // Find the largest byte string that seals; one more byte must be TooLarge.
    let mut len = budget;
    while store.seal_at(&vec![0u8; len + 1], t0()).is_ok() {
        len += 1;
    }
    let sealed = store.seal_at(&vec![0u8; len], t0()).unwrap();
    let cookie = CookieOptions::new().cookie_at(&sealed, t0()).unwrap();
    assert_eq!(
        cookie.name().len() + cookie.value().len(),
        BROWSER_COOKIE_LIMIT
    );
    match store.seal_at(&vec![0u8; len + 1], t0()) {
        Err(SealError::TooLarge { len, max }) => {
            assert!(len > max);
            assert_eq!(max, BROWSER_COOKIE_LIMIT);
        }
        other => panic!("{other:?}"),
    }
    // And the full-size cookie opens from a header.
    let header = format!("a=b; {}", cookie.stripped());
    let opened = store
        .open_cookie_header_at::<Vec<u8>>(&header, t0())
        .unwrap()
        .unwrap();
    assert_eq!(opened.anonymous().unwrap().data().len(), len);
}

#[test]
fn non_persistent_removal_and_defaults_are_consistent() {
    assert_eq!(CookieOptions::default(), CookieOptions::new());
    let removal = CookieOptions::new().removal("__Host-sid").unwrap();
    assert_eq!(removal.http_only(), Some(true));
    assert_eq!(removal.secure(), Some(true));
    assert_eq!(removal.same_site(), Some(SameSite::Lax));
    assert_eq!(removal.path(), Some("/"));
    assert_eq!(removal.domain(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary header text never panics, and a valid session cookie spliced
    /// in after junk that contains no `;`-free same-name pair still opens.
    #[test]
    fn arbitrary_headers_never_panic(junk in ".{0,300}", junk2 in "[^;]{0,50}") {
        let store = store();
        let _ = store.open_cookie_header_at::<u32>(&junk, t0());
        let v = store.seal_at(&5u32, t0()).unwrap().into_value();
        // `junk2` has no `;`, so it is one pair at most, and never our name
        // with a valid value.
        let header = format!("{junk2}; {NAME}={v}");
        prop_assert_eq!(open_u32(&store, &header, t0()), Some(5));
    }
}
