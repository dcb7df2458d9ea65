//! Time rules on open: absolute lifetime, idle timeout, leeway on both sides,
//! future-dated cookies, extreme clocks.

use crate::common;

use common::*;
use sealed_session::time::{Duration, OffsetDateTime, PrimitiveDateTime};
use sealed_session::{Key, KeyRing, OpenError, SealError, SessionStore};

fn store_with(ttl: Duration, idle: Option<Duration>) -> SessionStore {
    let b = SessionStore::builder(NAME, KeyRing::new(1, Key::generate())).ttl(ttl);
    match idle {
        Some(i) => b.idle_timeout(i),
        None => b,
    }
    .build()
    .unwrap()
}

fn open(store: &SessionStore, v: &str, now: OffsetDateTime) -> Result<(), OpenError> {
    store.open_at::<Payload>(v, now).map(|_| ())
}

#[test]
fn absolute_lifetime_with_leeway() {
    let store = store_with(Duration::hours(1), None);
    let c = store.seal_at(&payload(3), t0()).unwrap();
    assert_eq!(c.expires_at(), at(3600));
    assert_eq!(open(&store, c.value(), at(3600 + 59)), Ok(()));
    assert_eq!(
        open(&store, c.value(), at(3600 + 60)),
        Err(OpenError::Expired)
    );
    assert_eq!(
        open(&store, c.value(), at(10 * 3600)),
        Err(OpenError::Expired)
    );
}

#[test]
fn future_dated_rejected_beyond_leeway() {
    let store = store_with(Duration::hours(1), None);
    let c = store.seal_at(&payload(3), t0()).unwrap();
    assert_eq!(open(&store, c.value(), at(-60)), Ok(()));
    assert_eq!(
        open(&store, c.value(), at(-61)),
        Err(OpenError::NotYetValid)
    );
    assert_eq!(
        open(&store, c.value(), at(-86_400)),
        Err(OpenError::NotYetValid)
    );
}

#[test]
fn zero_leeway() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(1))
        .leeway(Duration::ZERO)
        .build()
        .unwrap();
    let c = store.seal_at(&payload(3), t0()).unwrap();
    assert_eq!(open(&store, c.value(), at(-1)), Err(OpenError::NotYetValid));
    assert_eq!(open(&store, c.value(), at(0)), Ok(()));
    assert_eq!(open(&store, c.value(), at(3599)), Ok(()));
    assert_eq!(open(&store, c.value(), at(3600)), Err(OpenError::Expired));
}

#[test]
fn idle_timeout_slides_but_absolute_lifetime_does_not() {
    let store = store_with(Duration::hours(3), Some(Duration::hours(1)));
    let mut cookie = store.seal_at(&payload(3), t0()).unwrap();
    assert_eq!(cookie.idle_deadline(), Some(at(3600)));
    assert_eq!(
        open(&store, cookie.value(), at(3600 + 60)),
        Err(OpenError::IdleExpired)
    );
    // A request every 50 minutes keeps it alive, until the absolute end.
    let mut now = 0;
    loop {
        now += 50 * 60;
        match store.open_at::<Payload>(cookie.value(), at(now)) {
            Ok(opened) => {
                let session = opened.anonymous().unwrap();
                assert_eq!(session.info().login_at(), t0());
                assert_eq!(session.info().expires_at(), at(3 * 3600));
                assert!(session.info().reseal_reasons().idle_half_used);
                match store.reseal_at(&session, at(now)) {
                    Ok(next) => {
                        assert_eq!(next.expires_at(), at(3 * 3600));
                        assert!(next.idle_deadline().unwrap() <= at(3 * 3600));
                        cookie = next;
                    }
                    Err(e) => panic!("reseal at {now}: {e}"),
                }
            }
            Err(e) => {
                assert_eq!(e, OpenError::Expired);
                assert!(now >= 3 * 3600 + 60);
                break;
            }
        }
    }
    // Re-sealing an expired session is refused.
    let s = store
        .open_at::<Payload>(store.seal_at(&payload(1), t0()).unwrap().value(), at(1))
        .unwrap()
        .anonymous()
        .unwrap();
    assert_eq!(
        store.reseal_at(&s, at(3 * 3600)).unwrap_err(),
        SealError::SessionExpired
    );
}

#[test]
fn shortened_lifetime_applies_to_cookies_already_issued() {
    let key = Key::generate();
    let long = SessionStore::builder(NAME, KeyRing::new(1, key.clone()))
        .ttl(Duration::days(30))
        .build()
        .unwrap();
    let short = SessionStore::builder(NAME, KeyRing::new(1, key))
        .ttl(Duration::days(1))
        .idle_timeout(Duration::hours(1))
        .build()
        .unwrap();
    let c = long.seal_at(&payload(1), t0()).unwrap();
    let s = short.open_at::<Payload>(c.value(), at(60)).unwrap();
    assert_eq!(s.info().expires_at(), at(86_400));
    assert_eq!(s.info().idle_deadline(), Some(at(3600)));
    assert!(s.info().reseal_reasons().policy_tightened);
    assert_eq!(
        open(&short, c.value(), at(2 * 86_400)),
        Err(OpenError::Expired)
    );
    assert_eq!(
        open(&short, c.value(), at(2 * 3600)),
        Err(OpenError::IdleExpired)
    );
    assert_eq!(open(&long, c.value(), at(2 * 86_400)), Ok(()));
}

#[test]
fn extreme_clocks_never_panic() {
    let store = store_with(Duration::days(400), Some(Duration::days(400)));
    let c = store.seal_at(&payload(3), t0()).unwrap();
    let extremes = [
        OffsetDateTime::UNIX_EPOCH,
        OffsetDateTime::UNIX_EPOCH - Duration::seconds(1),
        PrimitiveDateTime::MIN.assume_utc(),
        PrimitiveDateTime::MAX.assume_utc(),
    ];
    for now in extremes {
        let opened = open(&store, c.value(), now);
        assert!(
            matches!(opened, Err(OpenError::NotYetValid | OpenError::Expired)),
            "{now}: {opened:?}"
        );
    }
    // Seal at 1970-01-01T00:00:00Z works; before 1970 or with a lifetime
    // ending after 9999 is a typed error.
    let c0 = store
        .seal_at(&payload(1), OffsetDateTime::UNIX_EPOCH)
        .unwrap();
    assert_eq!(open(&store, c0.value(), OffsetDateTime::UNIX_EPOCH), Ok(()));
    for now in extremes.into_iter().skip(1) {
        assert_eq!(
            store.seal_at(&payload(1), now).unwrap_err(),
            SealError::Clock,
            "{now}"
        );
    }
    let near_end = unix(MAX_UNIX - 86_400);
    assert_eq!(
        store.seal_at(&payload(1), near_end).unwrap_err(),
        SealError::Clock
    );
}
