//! The in-memory revocation set: both kinds of entry, the bounds at which
//! entries go (both sides), the memory bound, staleness
//! of a fed set, concurrency, and a property over re-seal chains.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use common::{T0, at, t0};
use proptest::prelude::*;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    FeedOptions, Key, KeyRing, OpenError, Opened, Revocation, RevocationError, RevocationSet,
    SessionId, SessionStore, UserId,
};

const HOUR: i64 = 3600;

/// ttl 8 h, idle 1 h, leeway 60 s.
fn store() -> SessionStore {
    SessionStore::builder("__Host-sid", KeyRing::new(1, Key::generate()))
        .ttl(Duration::hours(8))
        .idle_timeout(Duration::hours(1))
        .leeway(Duration::seconds(60))
        .build()
        .unwrap()
}

fn user_cookie(store: &SessionStore, user: u64, login: OffsetDateTime) -> String {
    store
        .seal_for_user_at(&UserId::from(user), 0, &(), login)
        .unwrap()
        .into_value()
}

fn open(store: &SessionStore, value: &str, now: OffsetDateTime) -> Opened<()> {
    store.open_at::<()>(value, now).unwrap()
}

#[test]
fn a_session_entry_refuses_that_session_only() {
    let store = store();
    let set = RevocationSet::new(&store);
    let phone = open(&store, &user_cookie(&store, 1, t0()), at(10));
    let laptop = open(&store, &user_cookie(&store, 1, t0()), at(10));
    let guest = open(
        &store,
        &store.seal_at(&(), t0()).unwrap().into_value(),
        at(10),
    );
    for opened in [&phone, &laptop, &guest] {
        assert_eq!(set.check(opened.info(), opened.user_id()), Ok(()));
    }
    assert_ne!(phone.info().session_id(), laptop.info().session_id());

    set.revoke_at(Revocation::of_session(phone.info()), at(10));
    assert_eq!(
        set.check(phone.info(), phone.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(set.check(laptop.info(), laptop.user_id()), Ok(()));
    assert_eq!(set.check(guest.info(), guest.user_id()), Ok(()));
    // Anonymous sessions have ids too.
    set.revoke_at(Revocation::of_session(guest.info()), at(10));
    assert_eq!(
        set.check(guest.info(), guest.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(
        (set.stats().session_entries, set.stats().user_entries),
        (2, 0)
    );
}

#[test]
fn a_user_entry_refuses_logins_at_or_before_its_time_only() {
    let store = store();
    let set = RevocationSet::new(&store);
    let before = open(&store, &user_cookie(&store, 5, at(99)), at(200));
    let same_second = open(&store, &user_cookie(&store, 5, at(100)), at(200));
    let after = open(&store, &user_cookie(&store, 5, at(101)), at(200));
    let other_user = open(&store, &user_cookie(&store, 6, at(99)), at(200));
    // Sub-second part of the revocation time: logins are whole seconds.
    set.revoke_at(
        Revocation::User {
            user: UserId::from(5u64),
            logged_in_until: at(100) + Duration::milliseconds(999),
        },
        at(150),
    );
    assert_eq!(
        set.check(before.info(), before.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(
        set.check(same_second.info(), same_second.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(set.check(after.info(), after.user_id()), Ok(()));
    assert_eq!(set.check(other_user.info(), other_user.user_id()), Ok(()));
    assert_eq!(
        set.user_revoked_until(&UserId::from(5u64))
            .map(|t| t.unix_timestamp()),
        Some(T0 + 100)
    );

    // An earlier time never narrows a later one; a later one widens it.
    set.revoke_at(
        Revocation::User {
            user: UserId::from(5u64),
            logged_in_until: at(10),
        },
        at(150),
    );
    assert_eq!(
        set.check(same_second.info(), same_second.user_id()),
        Err(RevocationError::Revoked)
    );
    set.revoke_at(
        Revocation::User {
            user: UserId::from(5u64),
            logged_in_until: at(101),
        },
        at(150),
    );
    assert_eq!(
        set.check(after.info(), after.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(set.stats().user_entries, 1);

    // Text ids are distinct from integer ids that print alike.
    let text = UserId::text("5").unwrap();
    let text_cookie = store.seal_for_user_at(&text, 0, &(), at(99)).unwrap();
    let text_opened = open(&store, text_cookie.value(), at(200));
    assert_eq!(set.check(text_opened.info(), text_opened.user_id()), Ok(()));
    set.revoke(Revocation::User {
        user: text.clone(),
        logged_in_until: at(99),
    });
    assert_eq!(
        set.check(text_opened.info(), text_opened.user_id()),
        Err(RevocationError::Revoked)
    );
}

#[test]
fn a_session_entry_goes_exactly_when_its_cookie_stops_opening() {
    let store = store();
    let set = RevocationSet::new(&store);
    let cookie = user_cookie(&store, 1, t0());
    // Keep it alive past the idle timeout by re-sealing every 50 minutes,
    // so only the absolute deadline (t0 + 8 h) counts.
    let mut value = cookie;
    let mut now = t0();
    while now + Duration::minutes(50) < at(8 * HOUR) {
        now += Duration::minutes(50);
        let session = open(&store, &value, now).verify_with(|_| Some(0)).unwrap();
        value = store.reseal_at(&session, now).unwrap().into_value();
    }
    let info = *open(&store, &value, now).info();
    set.revoke_at(Revocation::of_session(&info), now);
    let bound = at(8 * HOUR + 60); // absolute deadline + leeway

    let last = bound - Duration::seconds(1);
    let opened = store.open_at::<()>(&value, last).unwrap(); // still opens (in the leeway)...
    assert!(opened.info().in_leeway());
    assert_eq!(set.purge_at(last), 0); // ...so the entry stays
    assert_eq!(
        set.check(opened.info(), opened.user_id()),
        Err(RevocationError::Revoked)
    );

    assert_eq!(
        store.open_at::<()>(&value, bound).unwrap_err(),
        OpenError::Expired
    );
    assert_eq!(set.purge_at(bound), 1);
    assert!((set.stats().entries == 0));
    // A revocation that can no longer match anything is not kept.
    assert!(!set.revoke_at(Revocation::of_session(&info), bound));
    assert!((set.stats().entries == 0));
}

#[test]
fn a_user_entry_goes_at_its_time_plus_lifetime_plus_leeway() {
    let store = store();
    let set = RevocationSet::new(&store);
    let revoked_at = at(1000);
    set.revoke_at(
        Revocation::User {
            user: UserId::from(1u64),
            logged_in_until: revoked_at,
        },
        revoked_at,
    );
    // The latest cookie it matches logged in at `revoked_at` and, re-sealed
    // as it may be, dies at revoked_at + 8 h (+ 60 s leeway).
    let value = user_cookie(&store, 1, revoked_at);
    let mut value = value;
    let mut now = revoked_at;
    while now + Duration::minutes(50) < revoked_at + Duration::hours(8) {
        now += Duration::minutes(50);
        let session = open(&store, &value, now).verify_with(|_| Some(0)).unwrap();
        value = store.reseal_at(&session, now).unwrap().into_value();
    }
    let bound = revoked_at + Duration::hours(8) + Duration::seconds(60);
    let last = bound - Duration::seconds(1);
    let opened = store.open_at::<()>(&value, last).unwrap();
    assert_eq!(set.purge_at(last), 0);
    assert_eq!(
        set.check(opened.info(), opened.user_id()),
        Err(RevocationError::Revoked)
    );
    assert_eq!(
        store.open_at::<()>(&value, bound).unwrap_err(),
        OpenError::Expired
    );
    assert_eq!(set.purge_at(bound), 1);
    assert!((set.stats().entries == 0));
}

#[test]
fn a_later_revocation_of_the_same_session_keeps_the_later_deadline() {
    let set = RevocationSet::with_lifetime(Duration::hours(8), Duration::seconds(60));
    let id = SessionId::from_u64(77);
    set.revoke_at(
        Revocation::Session {
            id,
            expires_at: at(HOUR),
        },
        t0(),
    );
    set.revoke_at(
        Revocation::Session {
            id,
            expires_at: at(2 * HOUR),
        },
        t0(),
    );
    set.revoke_at(
        Revocation::Session {
            id,
            expires_at: at(HOUR / 2),
        },
        t0(),
    ); // earlier: no change
    assert_eq!(set.purge_at(at(HOUR + 60)), 0);
    assert!(set.is_session_revoked(id));
    assert_eq!(set.purge_at(at(2 * HOUR + 59)), 0);
    assert_eq!(set.purge_at(at(2 * HOUR + 60)), 1);
    assert!(!set.is_session_revoked(id));
}

#[test]
fn memory_is_bounded_by_the_live_entries() {
    let set = RevocationSet::with_lifetime(Duration::hours(8), Duration::seconds(60));
    // 10 000 sessions expiring one a second, 1 000 users revoked one a
    // second: entries go as their cookies stop opening.
    for i in 0..10_000i64 {
        let id = SessionId::from_u64(
            u64::try_from(i)
                .unwrap()
                .wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        set.revoke_at(
            Revocation::Session {
                id,
                expires_at: at(i),
            },
            t0(),
        );
    }
    for i in 0..1_000i64 {
        set.revoke_at(
            Revocation::User {
                user: UserId::from(u64::try_from(i).unwrap()),
                logged_in_until: at(i),
            },
            t0(),
        );
    }
    assert_eq!(
        (set.stats().session_entries, set.stats().user_entries),
        (10_000, 1_000)
    );
    let full = set.stats().heap_bytes;
    // Session deadlines at(i) + 60: at at(5 059) the first 5 000 are gone.
    assert_eq!(set.purge_at(at(5_059)), 5_000);
    assert_eq!(set.stats().session_entries, 5_000);
    // Writes purge on their own (once a second): one revocation at a later
    // time takes the rest of the sessions and the users with it.
    let user_bound = 8 * HOUR + 60;
    set.revoke_at(
        Revocation::Session {
            id: SessionId::from_u64(1),
            expires_at: at(user_bound + 2_000),
        },
        at(user_bound + 500),
    );
    assert_eq!(set.stats().session_entries, 1);
    assert_eq!(set.stats().user_entries, 1_000 - 501);
    assert_eq!(set.purge_at(at(user_bound + 3_000)), 1 + 499);
    assert!((set.stats().entries == 0));
    assert!(full > 10_000 * 16, "estimate {full}");
}

#[test]
fn a_fed_set_is_stale_past_the_bound_for_user_sessions_only() {
    let store = store();
    let set = RevocationSet::new(&store);
    let user = open(&store, &user_cookie(&store, 1, t0()), at(1));
    let guest = open(
        &store,
        &store.seal_at(&(), t0()).unwrap().into_value(),
        at(1),
    );
    let revoked_guest = open(
        &store,
        &store.seal_at(&(), t0()).unwrap().into_value(),
        at(1),
    );
    set.revoke(Revocation::of_session(revoked_guest.info()));
    let t = Instant::now();
    // No feed: never stale.
    assert!(!set.is_stale_at(t + StdDuration::from_secs(3600)));
    assert_eq!(
        set.check_at(
            user.info(),
            user.user_id(),
            t + StdDuration::from_secs(3600)
        ),
        Ok(())
    );

    let published = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&published);
    let bound = StdDuration::from_millis(300);
    let link = set
        .attach_feed(FeedOptions::default().staleness_bound(bound), move |r| {
            sink.lock().unwrap().push(r.clone());
        })
        .unwrap();
    assert!(set.attach_feed(FeedOptions::default(), |_| {}).is_none());
    // Fed, never confirmed: stale.
    let check = |opened: &Opened<()>, now| set.check_at(opened.info(), opened.user_id(), now);
    assert_eq!(check(&user, t), Err(RevocationError::Stale));
    assert_eq!(check(&guest, t), Ok(()));
    assert_eq!(check(&revoked_guest, t), Err(RevocationError::Revoked));

    let confirmed = t + StdDuration::from_secs(1);
    link.confirm(confirmed);
    assert_eq!(check(&user, confirmed), Ok(()));
    assert_eq!(check(&user, confirmed + bound), Ok(())); // exactly at the bound: fresh
    assert!(!set.is_stale_at(confirmed + bound));
    let past = confirmed + bound + StdDuration::from_nanos(1);
    assert_eq!(check(&user, past), Err(RevocationError::Stale));
    assert!(set.is_stale_at(past));
    assert_eq!(check(&guest, past), Ok(()), "anonymous: never stale");
    // Known revocations still answer Revoked (removal cookie), stale or not.
    set.revoke(Revocation::User {
        user: UserId::from(1u64),
        logged_in_until: at(0),
    });
    assert_eq!(check(&user, past), Err(RevocationError::Revoked));
    assert_eq!(set.stats().stale_answers, 2);

    // Local revocations are published; the feed's own are not.
    link.apply(&Revocation::User {
        user: UserId::from(2u64),
        logged_in_until: OffsetDateTime::now_utc(),
    });
    assert_eq!(set.stats().user_entries, 2);
    let published = published.lock().unwrap();
    assert_eq!(published.len(), 1);
    assert!(matches!(&published[0], Revocation::User { user, .. } if *user == UserId::from(1u64)));
}

#[test]
fn failing_open_accepts_user_sessions_when_stale() {
    let store = store();
    let set = RevocationSet::new(&store);
    let _link = set
        .attach_feed(FeedOptions::default().dangerously_fail_open(), |_| {})
        .unwrap();
    let user = open(&store, &user_cookie(&store, 1, t0()), at(1));
    assert!(set.is_stale());
    assert_eq!(set.check(user.info(), user.user_id()), Ok(()));
    assert_eq!(set.stats().stale_answers, 1);
    set.revoke(Revocation::User {
        user: UserId::from(1u64),
        logged_in_until: at(0),
    });
    assert_eq!(
        set.check(user.info(), user.user_id()),
        Err(RevocationError::Revoked)
    );
}

#[test]
fn concurrent_checks_see_every_revocation_made_before_them() {
    let store = store();
    let set = RevocationSet::new(&store);
    let cookies: Vec<Opened<()>> = (0..64)
        .map(|i| open(&store, &user_cookie(&store, i, t0()), at(1)))
        .collect();
    let cookies = Arc::new(cookies);
    let revoked = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for (i, opened) in cookies.iter().enumerate() {
                set.revoke_at(Revocation::of_session(opened.info()), at(1));
                revoked.store(i + 1, Ordering::Release);
                // filler entries, to make the tables grow under the readers
                for j in 0..500u64 {
                    let id = SessionId::from_u64((u64::try_from(i).unwrap() << 32) | (j << 8) | 1);
                    set.revoke_at(
                        Revocation::Session {
                            id,
                            expires_at: at(HOUR),
                        },
                        at(1),
                    );
                }
            }
        });
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let n = revoked.load(Ordering::Acquire);
                    for (i, opened) in cookies.iter().enumerate() {
                        if i < n {
                            assert_eq!(
                                set.check(opened.info(), opened.user_id()),
                                Err(RevocationError::Revoked)
                            );
                        }
                    }
                    if n == cookies.len() {
                        break;
                    }
                }
            });
        }
    });
    for opened in cookies.iter() {
        assert_eq!(
            set.check(opened.info(), opened.user_id()),
            Err(RevocationError::Revoked)
        );
    }
    assert!(set.stats().session_entries >= 64 * 500);
}

/// One step of a re-seal chain: how long after the previous step.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..=60, 61i64..=3_000]
}

proptest! {
    #![proptest_config(common::proptest_config())]

    /// Seal, revoke the session's id at some step, re-seal any number of
    /// times at any (increasing) times: from the revocation on, every
    /// cookie of the chain is refused (and its entry is never purged while
    /// the cookie still opens); an unrelated session is never refused.
    #[test]
    fn a_revoked_session_never_opens_again_through_any_reseal_chain(
        user in any::<bool>(),
        steps in prop::collection::vec(step(), 1..24),
        revoke_at_step in 0usize..24,
    ) {
        let store = store();
        let set = RevocationSet::new(&store);
        let seal = |now| if user {
            store.seal_for_user_at(&UserId::from(1u64), 0, &(), now).unwrap().into_value()
        } else {
            store.seal_at(&(), now).unwrap().into_value()
        };
        let mut target = seal(t0());
        let mut unrelated = seal(t0());
        let mut now = t0();
        let mut revoked = false;
        for (i, dt) in steps.iter().enumerate() {
            now += Duration::seconds(*dt);
            set.purge_at(now);
            let Ok(opened) = store.open_at::<()>(&target, now) else { break };
            if i == revoke_at_step.min(steps.len() - 1) {
                set.revoke_at(Revocation::of_session(opened.info()), now);
                revoked = true;
            }
            if revoked {
                prop_assert_eq!(set.check(opened.info(), opened.user_id()), Err(RevocationError::Revoked));
            } else {
                prop_assert_eq!(set.check(opened.info(), opened.user_id()), Ok(()));
            }
            if let Ok(other) = store.open_at::<()>(&unrelated, now) {
                prop_assert_eq!(set.check(other.info(), other.user_id()), Ok(()));
                if let Ok(session) = other.verify_with(|_| Some(0))
                    && let Ok(next) = store.reseal_at(&session, now)
                {
                    unrelated = next.into_value();
                }
            }
            // A re-seal elsewhere (a server that did not check) keeps the id.
            let session = opened.verify_with(|_| Some(0)).unwrap();
            match store.reseal_at(&session, now) {
                Ok(next) => target = next.into_value(),
                Err(_) => break, // in the leeway: the session ends here
            }
        }
        // Whatever is left of the chain: refused while it opens, from the
        // revocation on.
        if revoked {
            let mut later = now;
            while let Ok(opened) = store.open_at::<()>(&target, later) {
                set.purge_at(later);
                prop_assert_eq!(set.check(opened.info(), opened.user_id()), Err(RevocationError::Revoked));
                later += Duration::minutes(7);
            }
        }
    }
}
