//! The leeway lets a late cookie open, never re-seal: a session cannot
//! outlive its idle or absolute deadline by re-sealing inside the leeway.

use crate::common;

use common::*;
use sealed_session::time::Duration;
use sealed_session::{Key, KeyRing, OpenError, SealError, SessionStore};

fn store(idle: Duration, leeway: Duration) -> SessionStore {
    SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .ttl(Duration::days(1))
        .idle_timeout(idle)
        .leeway(leeway)
        .build()
        .unwrap()
}

#[test]
fn gaps_longer_than_the_idle_timeout_end_the_session() {
    // Idle 5 min, leeway 1 h: a 64-minute gap is past the idle deadline but
    // inside the leeway. Before, five such gaps in a row survived.
    let store = store(Duration::minutes(5), Duration::hours(1));
    let mut value = store.seal_at(&payload(1), t0()).unwrap().into_value();
    let gap = 64 * 60;
    let now = at(gap);
    let session = store
        .open_at::<Payload>(&value, now)
        .unwrap()
        .anonymous()
        .unwrap();
    assert!(session.info().in_leeway());
    assert!(!session.info().should_reseal(), "nothing to suggest");
    assert_eq!(
        store.reseal_at(&session, now).unwrap_err(),
        SealError::SessionExpired
    );
    // Within the idle window, re-sealing slides it, as always.
    for i in 1..=5 {
        let now = at(i * 4 * 60);
        let session = store
            .open_at::<Payload>(&value, now)
            .unwrap()
            .anonymous()
            .unwrap();
        assert!(!session.info().in_leeway());
        value = store.reseal_at(&session, now).unwrap().into_value();
    }
    // And the last re-seal's cookie is past the leeway an hour later.
    assert_eq!(
        store
            .open_at::<Payload>(&value, at(20 * 60 + 5 * 60 + 3600))
            .unwrap_err(),
        OpenError::IdleExpired
    );
}

#[test]
fn the_boundary_is_the_idle_deadline_itself() {
    let store = store(Duration::minutes(5), Duration::minutes(1));
    let value = store.seal_at(&payload(1), t0()).unwrap().into_value();
    let open = |secs| {
        store
            .open_at::<Payload>(&value, at(secs))
            .unwrap()
            .anonymous()
            .unwrap()
    };
    let before = open(299);
    assert!(!before.info().in_leeway());
    assert!(store.reseal_at(&before, at(299)).is_ok());
    let on = open(300);
    assert!(on.info().in_leeway());
    assert_eq!(
        store.reseal_at(&on, at(300)).unwrap_err(),
        SealError::SessionExpired
    );
    // The re-seal decision uses the time it is given, not the open's.
    assert_eq!(
        store.reseal_at(&before, at(300)).unwrap_err(),
        SealError::SessionExpired
    );
}

#[test]
fn the_absolute_deadline_inside_the_leeway_is_final_too() {
    let store = SessionStore::builder(NAME, KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(1))
        .build()
        .unwrap();
    let value = store.seal_at(&payload(1), t0()).unwrap().into_value();
    let late = at(3600 + 30);
    let session = store
        .open_at::<Payload>(&value, late)
        .unwrap()
        .anonymous()
        .unwrap();
    assert!(session.info().in_leeway());
    assert_eq!(
        store.reseal_at(&session, late).unwrap_err(),
        SealError::SessionExpired
    );
}

#[test]
fn a_cookie_from_a_clock_ahead_reseals_as_of_its_own_time() {
    // Server A's clock is 30 s ahead of server B's; B opens A's cookie
    // inside the leeway and re-seals it: no error, and neither the login
    // time nor the seal time moves backwards.
    let store = store(Duration::minutes(30), Duration::seconds(60));
    let sealed = store.seal_at(&payload(1), at(30)).unwrap();
    let session = store
        .open_at::<Payload>(sealed.value(), t0())
        .unwrap()
        .anonymous()
        .unwrap();
    let again = store.reseal_at(&session, t0()).unwrap();
    let reopened = store
        .open_at::<Payload>(again.value(), at(31))
        .unwrap()
        .anonymous()
        .unwrap();
    assert_eq!(reopened.info().login_at(), at(30));
    assert_eq!(reopened.info().issued_at(), at(30));
    assert_eq!(reopened.info().idle_deadline(), Some(at(30 + 30 * 60)));
}
