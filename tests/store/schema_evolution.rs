//! Deploys that change the session struct log no one out: schema numbers,
//! typed migrations, and rolling deploys in both directions.

use crate::common;

use common::*;
use proptest::prelude::*;
use sealed_session::{ConfigError, Key, KeyRing, OpenError, Opened, SessionStore, StoreBuilder};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct V1 {
    visits: u32,
}

/// V1 plus a field, the most innocent change there is.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct V2 {
    visits: u32,
    #[serde(default)]
    theme: String,
}

/// A reordered, retyped struct.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct V3 {
    theme: String,
    visits: u64,
    history: Vec<u8>,
}

fn v1_to_v2(old: V1) -> V2 {
    V2 {
        visits: old.visits,
        theme: "light".into(),
    }
}

fn v2_to_v3(old: V2) -> V3 {
    V3 {
        theme: old.theme,
        visits: u64::from(old.visits),
        history: Vec::new(),
    }
}

fn v1_to_v3(old: V1) -> V3 {
    v2_to_v3(v1_to_v2(old))
}

fn builder(key: &Key) -> StoreBuilder {
    SessionStore::builder(NAME, KeyRing::new(1, key.clone()))
}

fn anonymous<T: serde::de::DeserializeOwned>(
    store: &SessionStore,
    value: &str,
) -> Result<sealed_session::Verified<T>, OpenError> {
    match store.open_at::<T>(value, at(10))? {
        Opened::Anonymous(session) => Ok(session),
        Opened::User(_) => panic!("anonymous cookie"),
    }
}

#[test]
fn a_struct_change_without_a_migration_logs_everyone_out() {
    // Today's behaviour, kept on purpose: postcard is not self-describing,
    // so even an added `#[serde(default)]` field does not decode.
    let key = Key::generate();
    let old_build = builder(&key).build().unwrap();
    let careless_new_build = builder(&key).build().unwrap();
    let cookie = old_build.seal_at(&V1 { visits: 3 }, t0()).unwrap();
    assert_eq!(
        anonymous::<V2>(&careless_new_build, cookie.value()).unwrap_err(),
        OpenError::Decode
    );
    // The same change with a schema bump and a migration keeps the session.
    let careful_new_build = builder(&key).schema(1).accept(0, v1_to_v2).build().unwrap();
    let session = anonymous::<V2>(&careful_new_build, cookie.value()).unwrap();
    assert_eq!(session.data(), &v1_to_v2(V1 { visits: 3 }));
    assert_eq!(session.info().schema(), 0);
    assert!(session.info().reseal_reasons().old_schema);
    // Re-sealed, it is of the current schema and needs nothing more.
    let again = careful_new_build.reseal_at(&session, at(10)).unwrap();
    let reopened = anonymous::<V2>(&careful_new_build, again.value()).unwrap();
    assert_eq!(reopened.info().schema(), 1);
    assert!(!reopened.info().should_reseal());
    assert_eq!(reopened.data(), session.data());
}

#[test]
fn an_unknown_schema_is_its_own_error() {
    let key = Key::generate();
    let newer = builder(&key).schema(7).build().unwrap();
    let older = builder(&key).schema(6).build().unwrap();
    let cookie = newer.seal_at(&V1 { visits: 1 }, t0()).unwrap();
    let err = anonymous::<V1>(&older, cookie.value()).unwrap_err();
    assert_eq!(err, OpenError::UnknownSchema);
    assert_ne!(err.to_string(), OpenError::Decode.to_string());
}

#[test]
fn a_failing_migration_is_an_error_not_a_panic() {
    let key = Key::generate();
    let old_build = builder(&key).build().unwrap();
    let new_build = builder(&key)
        .schema(1)
        .try_accept(0, |old: V1| {
            if old.visits > 100 {
                Err("too many visits")
            } else {
                Ok(v1_to_v2(old))
            }
        })
        .build()
        .unwrap();
    let fine = old_build.seal_at(&V1 { visits: 5 }, t0()).unwrap();
    assert!(anonymous::<V2>(&new_build, fine.value()).is_ok());
    let bad = old_build.seal_at(&V1 { visits: 500 }, t0()).unwrap();
    assert_eq!(
        anonymous::<V2>(&new_build, bad.value()).unwrap_err(),
        OpenError::Migration
    );
    // An old payload that does not decode as the declared old type.
    let garbage = old_build
        .seal_at(&"not a V1 at all, a long string", t0())
        .unwrap();
    assert_eq!(
        anonymous::<V2>(&new_build, garbage.value()).unwrap_err(),
        OpenError::Decode
    );
    // Asking for another type than the migration produces: Decode.
    assert_eq!(
        anonymous::<V3>(&new_build, fine.value()).unwrap_err(),
        OpenError::Decode
    );
}

#[test]
fn schema_declarations_are_checked_at_build() {
    let key = Key::generate();
    let twice = builder(&key)
        .schema(2)
        .accept(1, v1_to_v2)
        .accept(1, v1_to_v2);
    assert_eq!(twice.build().unwrap_err(), ConfigError::Schema);
    let current_accepted = builder(&key).schema(1).accept(1, v1_to_v2);
    assert_eq!(current_accepted.build().unwrap_err(), ConfigError::Schema);
    let seals_unknown = builder(&key)
        .schema(2)
        .seal_previous_schema(1, |cur: V2| V1 { visits: cur.visits });
    assert_eq!(seals_unknown.build().unwrap_err(), ConfigError::Schema);
}

#[test]
fn payload_budget_counts_the_v2_envelope() {
    let key = Key::generate();
    let store = builder(&key).build().unwrap();
    let budget = store.payload_budget(None);
    // A byte string costs its length plus a 2-byte length prefix here.
    let fits = vec![0u8; budget - 2];
    assert!(store.seal_at(&fits, t0()).is_ok());
}

/// A rolling deploy from build A (schema 1, struct V1) to build B (schema 2,
/// struct V2), simulated with two store configurations. A user's cookie
/// bounces between the two kinds of server through all three phases.
#[test]
fn a_rolling_deploy_loses_no_session_in_either_direction() {
    let key = Key::generate();
    // Before: every server runs A.
    let a = builder(&key).schema(1).build().unwrap();
    // Phase 1: B opens 1 and 2 but still seals 1.
    let b1 = builder(&key)
        .schema(2)
        .accept(1, v1_to_v2)
        .seal_previous_schema(1, |cur: V2| V1 { visits: cur.visits })
        .build()
        .unwrap();
    // Phase 2: every server runs B; B seals 2.
    let b2 = builder(&key).schema(2).accept(1, v1_to_v2).build().unwrap();
    // Phase 3: after the longest session lifetime, B drops schema 1.
    let b3 = builder(&key).schema(2).build().unwrap();

    let mut cookie = a.seal_at(&V1 { visits: 0 }, t0()).unwrap().into_value();
    let mut visits = 0u32;
    // Phase 1: the load balancer alternates A, B, A, B…
    for i in 0..6 {
        visits += 1;
        cookie = if i % 2 == 0 {
            let mut s = anonymous::<V1>(&a, &cookie).unwrap();
            assert_eq!(s.data().visits, visits - 1, "A lost a visit");
            s.data_mut().visits = visits;
            a.reseal_at(&s, at(10)).unwrap().into_value()
        } else {
            let mut s = anonymous::<V2>(&b1, &cookie).unwrap();
            assert_eq!(s.data().visits, visits - 1, "B lost a visit");
            assert_eq!(s.info().schema(), 1, "B wrote schema 1 during phase 1");
            s.data_mut().visits = visits;
            b1.reseal_at(&s, at(10)).unwrap().into_value()
        };
    }
    // Phase 2: only B; the cookie moves to schema 2 on its next re-seal.
    let s = anonymous::<V2>(&b2, &cookie).unwrap();
    assert_eq!(s.data().visits, visits);
    assert!(s.info().reseal_reasons().old_schema);
    cookie = b2.reseal_at(&s, at(10)).unwrap().into_value();
    let s = anonymous::<V2>(&b2, &cookie).unwrap();
    assert_eq!((s.info().schema(), s.data().visits), (2, visits));
    // A rollback to A in phase 2 would lose it, which is why phase 1 exists:
    assert_eq!(
        anonymous::<V1>(&a, &cookie).unwrap_err(),
        OpenError::UnknownSchema
    );
    // Phase 3: schema-2 cookies still open; a forgotten schema-1 cookie
    // fails cleanly, as an unknown schema.
    assert_eq!(anonymous::<V2>(&b3, &cookie).unwrap().data().visits, visits);
    let stale = a.seal_at(&V1 { visits: 1 }, t0()).unwrap();
    assert_eq!(
        anonymous::<V2>(&b3, stale.value()).unwrap_err(),
        OpenError::UnknownSchema
    );
}

/// The same user session keeps its user, epoch and session id through a
/// migration.
#[test]
fn a_migrated_user_session_keeps_its_identity() {
    let key = Key::generate();
    let old_build = builder(&key).build().unwrap();
    let new_build = builder(&key).schema(1).accept(0, v1_to_v2).build().unwrap();
    let user = sealed_session::UserId::text("alice").unwrap();
    let cookie = old_build
        .seal_for_user_at(&user, 4, &V1 { visits: 9 }, t0())
        .unwrap();
    let before = old_build.open_at::<V1>(cookie.value(), at(10)).unwrap();
    let id = before.info().session_id();
    let session = new_build
        .open_at::<V2>(cookie.value(), at(10))
        .unwrap()
        .verify_with(|u| (u == &user).then_some(4))
        .unwrap();
    assert_eq!(session.info().session_id(), id);
    let again = new_build.reseal_at(&session, at(10)).unwrap();
    let reopened = new_build
        .open_at::<V2>(again.value(), at(10))
        .unwrap()
        .verify_with(|_| Some(4))
        .unwrap();
    assert_eq!(reopened.info().session_id(), id);
    assert_eq!(reopened.user_id(), Some(&user));
}

fn arb_v1() -> impl Strategy<Value = V1> {
    any::<u32>().prop_map(|visits| V1 { visits })
}

fn arb_v2() -> impl Strategy<Value = V2> {
    (any::<u32>(), ".{0,40}").prop_map(|(visits, theme)| V2 { visits, theme })
}

fn arb_v3() -> impl Strategy<Value = V3> {
    (
        ".{0,40}",
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(theme, visits, history)| V3 {
            theme,
            visits,
            history,
        })
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Two versions: whatever schema 1 sealed opens under schema 2 as its
    /// migration.
    #[test]
    fn two_versions(old in arb_v1(), current in arb_v2()) {
        let key = Key::generate();
        let v1 = builder(&key).schema(1).build().unwrap();
        let v2 = builder(&key).schema(2).accept(1, v1_to_v2).build().unwrap();
        let from_old = v1.seal_at(&old, t0()).unwrap();
        prop_assert_eq!(anonymous::<V2>(&v2, from_old.value()).unwrap().into_data(), v1_to_v2(old));
        let from_new = v2.seal_at(&current, t0()).unwrap();
        prop_assert_eq!(anonymous::<V2>(&v2, from_new.value()).unwrap().into_data(), current);
    }

    /// Three versions: a store of schema 3 opens cookies of 1, 2 and 3, each
    /// as the migrated current value.
    #[test]
    fn three_versions(a in arb_v1(), b in arb_v2(), c in arb_v3(), which in 0u8..3) {
        let key = Key::generate();
        let v3 = builder(&key)
            .schema(3)
            .accept(1, v1_to_v3)
            .accept(2, v2_to_v3)
            .build()
            .unwrap();
        let (cookie, expected) = match which {
            0 => (builder(&key).schema(1).build().unwrap().seal_at(&a, t0()).unwrap(), v1_to_v3(a)),
            1 => (builder(&key).schema(2).build().unwrap().seal_at(&b, t0()).unwrap(), v2_to_v3(b)),
            _ => (v3.seal_at(&c, t0()).unwrap(), c),
        };
        let session = anonymous::<V3>(&v3, cookie.value()).unwrap();
        prop_assert_eq!(session.info().reseal_reasons().old_schema, which < 2);
        prop_assert_eq!(session.into_data(), expected);
    }
}
