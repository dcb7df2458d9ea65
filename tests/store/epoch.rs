//! Per-user epochs: "log out everywhere".

use crate::common;

use common::*;
use sealed_session::{OpenError, Opened, UserId};

#[test]
fn epoch_bump_rejects_every_older_cookie() {
    for alg in ALGORITHMS {
        let store = store(alg);
        let user = UserId::text("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let other = UserId::from(8u64);
        let mut epoch = 0u64;
        let mut old = Vec::new();
        for round in 0..5 {
            for i in 0..10 {
                let c = store
                    .seal_for_user_at(&user, epoch, &payload(i), at(round * 10 + i as i64))
                    .unwrap();
                old.push((epoch, c.into_value()));
            }
            epoch += 1; // log out everywhere
            for (sealed_epoch, cookie) in &old {
                assert!(*sealed_epoch < epoch);
                assert_eq!(
                    open_full(&store, cookie, at(100), epoch),
                    Err(OpenError::Revoked)
                );
            }
        }
        // Another user's sessions are unaffected by this user's epoch.
        let c = store
            .seal_for_user_at(&other, 0, &payload(1), t0())
            .unwrap();
        assert_eq!(open_full(&store, c.value(), at(1), 0), Ok(payload(1)));
        // Random epochs work the same way (only equality matters).
        let salt = 0x9e37_79b9_7f4a_7c15u64;
        let c = store
            .seal_for_user_at(&user, salt, &payload(1), t0())
            .unwrap();
        assert_eq!(open_full(&store, c.value(), at(1), salt), Ok(payload(1)));
        assert_eq!(
            open_full(&store, c.value(), at(1), salt ^ 1),
            Err(OpenError::Revoked)
        );
    }
}

#[test]
fn user_session_needs_the_epoch_to_get_the_data() {
    let store = store(Default::default());
    let user = UserId::from(42u64);
    let c = store.seal_for_user_at(&user, 3, &payload(2), t0()).unwrap();
    let opened = store.open_at::<Payload>(c.value(), at(1)).unwrap();
    assert_eq!(opened.user_id(), Some(&user));
    assert!(opened.clone().anonymous().is_none());
    let Opened::User(pending) = opened.clone() else {
        panic!("a user cookie must open as Opened::User")
    };
    assert_eq!(pending.user_id(), &user);
    assert_eq!(
        pending.clone().verify_epoch(4).unwrap_err(),
        OpenError::Revoked
    );
    let s = pending.verify_epoch(3).unwrap();
    assert_eq!((s.user_id(), s.epoch()), (Some(&user), Some(3)));
    // verify_with: a user that no longer exists is revoked.
    assert_eq!(
        opened.clone().verify_with(|_| None).unwrap_err(),
        OpenError::Revoked
    );
    assert_eq!(
        opened
            .verify_with(|u| (u == &user).then_some(3))
            .unwrap()
            .data(),
        &payload(2)
    );
}

#[test]
fn reseal_keeps_user_and_epoch() {
    let store = store(Default::default());
    let user = UserId::from(u64::MAX);
    let c = store.seal_for_user_at(&user, 9, &payload(2), t0()).unwrap();
    let s = match store.open_at::<Payload>(c.value(), at(10)).unwrap() {
        Opened::User(u) => u.verify_epoch(9).unwrap(),
        Opened::Anonymous(_) => panic!("lost the user"),
    };
    let again = store.reseal_at(&s, at(20)).unwrap();
    assert_eq!(open_full(&store, again.value(), at(30), 9), Ok(payload(2)));
    assert_eq!(
        open_full(&store, again.value(), at(30), 10),
        Err(OpenError::Revoked)
    );
    let Opened::User(u) = store.open_at::<Payload>(again.value(), at(30)).unwrap() else {
        panic!()
    };
    assert_eq!(u.user_id(), &user);
    assert_eq!(u.info().login_at(), t0());
    assert_eq!(u.info().issued_at(), at(20));
}

#[test]
fn user_ids_are_bounded() {
    assert!(UserId::text("x".repeat(128)).is_ok());
    assert!(UserId::text("x".repeat(129)).is_err());
    assert!(UserId::text("").is_err());
    assert_eq!(UserId::try_from("bob").unwrap().as_str(), Some("bob"));
    assert_eq!(UserId::from(5u32).as_u64(), Some(5));
}
