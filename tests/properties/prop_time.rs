//! Property tests for the time rules, against a simple model.
//!
//! A cookie is sealed by one store (lifetime, idle timeout, leeway) at
//! `sealed_at`, optionally re-sealed at `resealed_at`, then opened at any
//! `now` by a store with the same keys and possibly another policy. The model
//! (FORMAT.md §6 plus the stricter local policy of the reference opener):
//!
//! - `issued > now + leeway` → `NotYetValid`;
//! - `expires = min(cookie expires, login + ttl)`; `now >= expires + leeway`
//!   → `Expired`;
//! - `idle = min(cookie idle deadline, issued + idle timeout, expires)`
//!   (either of the first two may be absent; the third applies only to the
//!   store's timeout, as on a seal); `now >= idle + leeway` → `IdleExpired`;
//! - otherwise it opens with exactly those times, `idle_half_used` iff
//!   `now - issued >= (idle - issued) / 2`, `policy_tightened` iff the
//!   effective times differ from the cookie's.
//!
//! Sealing: `Clock` iff `now < 0` or `now + ttl` is past 9999; re-sealing:
//! `SessionExpired` iff `now >= expires`, `Clock` iff `now < login`,
//! otherwise login and expiry are kept and the idle window restarts.
//! 10 000 cases per property (`PROPTEST_CASES` overrides).

use crate::common;

use common::{MAX_UNIX, unix};
use proptest::prelude::*;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Key, KeyRing, OpenError, SealError, SessionStore, UserId};

/// The earliest time `time::OffsetDateTime` represents (year -9999).
const MIN_UNIX: i64 = -377_705_116_800;
const MAX_TTL: i64 = 400 * 86_400;
const NAME: &str = "sid";

#[derive(Debug, Clone, Copy)]
struct Policy {
    ttl: i64,
    idle: Option<i64>,
    leeway: i64,
}

fn ttl() -> impl Strategy<Value = i64> {
    prop_oneof![1i64..=300, 1i64..=MAX_TTL, Just(MAX_TTL)]
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        ttl(),
        any::<Option<u32>>(),
        prop_oneof![Just(0i64), Just(60), 0i64..=3600],
    )
        .prop_map(|(ttl, idle, leeway)| Policy {
            ttl,
            // 1..=ttl
            idle: idle.map(|i| 1 + i64::from(i) % ttl),
            leeway,
        })
}

fn store(policy: Policy, key: &Key) -> SessionStore {
    let mut builder = SessionStore::builder(NAME, KeyRing::new(1, key.clone()))
        .ttl(Duration::seconds(policy.ttl))
        .leeway(Duration::seconds(policy.leeway));
    if let Some(idle) = policy.idle {
        builder = builder.idle_timeout(Duration::seconds(idle));
    }
    builder.build().unwrap()
}

/// The times inside a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Times {
    login: i64,
    issued: i64,
    expires: i64,
    idle: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Open {
        times: Times,
        idle_half_used: bool,
        policy_tightened: bool,
        in_leeway: bool,
    },
    Err(OpenError),
}

/// The model of opening a cookie with `times` at `now` under `policy`.
fn model_open(times: Times, policy: Policy, now: i64) -> Outcome {
    if times.issued > now + policy.leeway {
        return Outcome::Err(OpenError::NotYetValid);
    }
    let expires = times.expires.min(times.login + policy.ttl);
    if now >= expires + policy.leeway {
        return Outcome::Err(OpenError::Expired);
    }
    // The store's idle timeout counts from the issue time and, as on a seal,
    // never reaches past the absolute deadline.
    let idle = match (
        times.idle,
        policy.idle.map(|i| (times.issued + i).min(expires)),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if idle.is_some_and(|d| now >= d + policy.leeway) {
        return Outcome::Err(OpenError::IdleExpired);
    }
    let effective = Times {
        expires,
        idle,
        ..times
    };
    // Past a deadline but inside the leeway: it opens, and suggests no
    // re-seal (it cannot be re-sealed).
    let in_leeway = now >= idle.map_or(expires, |d| d.min(expires));
    Outcome::Open {
        times: effective,
        idle_half_used: !in_leeway
            && idle.is_some_and(|d| now - times.issued >= (d - times.issued) / 2),
        policy_tightened: !in_leeway && effective != times,
        in_leeway,
    }
}

fn observe(store: &SessionStore, value: &str, now: i64, epoch: Option<u64>) -> Outcome {
    match store.open_at::<u32>(value, unix(now)) {
        Err(e) => Outcome::Err(e),
        Ok(opened) => {
            let info = *opened.info();
            // `epoch` is `Some` exactly for a user cookie, which opens only
            // with its own epoch; an anonymous one needs none.
            assert_eq!(opened.user_id().is_some(), epoch.is_some());
            if let Some(epoch) = epoch {
                assert_eq!(
                    opened.clone().verify_with(|_| Some(epoch ^ 1)).unwrap_err(),
                    OpenError::Revoked
                );
            }
            assert_eq!(*opened.verify_with(|_| epoch).unwrap().data(), 7);
            let secs = |t: OffsetDateTime| t.unix_timestamp();
            Outcome::Open {
                times: Times {
                    login: secs(info.login_at()),
                    issued: secs(info.issued_at()),
                    expires: secs(info.expires_at()),
                    idle: info.idle_deadline().map(secs),
                },
                idle_half_used: info.reseal_reasons().idle_half_used,
                policy_tightened: info.reseal_reasons().policy_tightened,
                in_leeway: info.in_leeway(),
            }
        }
    }
}

/// Points of interest around a cookie's deadlines, or anywhere.
fn probe(times: Times, policy: Policy, which: u8, delta: i64, anywhere: i64) -> i64 {
    let l = policy.leeway;
    let t = match which % 8 {
        0 => times.issued - l,
        1 => times.expires + l,
        2 => times.login + policy.ttl + l,
        3 => times.idle.unwrap_or(times.issued) + l,
        4 => times.issued + policy.idle.unwrap_or(0) + l,
        5 => times.issued + (times.idle.unwrap_or(times.expires) - times.issued) / 2,
        6 => times.issued + anywhere.rem_euclid(policy.ttl + 2 * l + 2) - l - 1,
        _ => anywhere,
    };
    (t + delta).clamp(MIN_UNIX, MAX_UNIX)
}

proptest! {
    #![proptest_config(common::proptest_config())]

    /// Seal (and maybe re-seal), then open at any time under any policy:
    /// the result is exactly the model's.
    #[test]
    fn open_agrees_with_the_model(
        sealer in policy(),
        opener in policy(),
        sealed_at in 0i64..=MAX_UNIX,
        reseal in proptest::option::of((any::<u8>(), -2i64..=2, any::<i64>())),
        which in any::<u8>(),
        delta in -2i64..=2,
        anywhere in MIN_UNIX..=MAX_UNIX,
        user in any::<bool>(),
        epoch in any::<u64>(),
    ) {
        let sealed_at = sealed_at.min(MAX_UNIX - sealer.ttl);
        let key = Key::generate();
        let sealing_store = store(sealer, &key);
        let epoch = user.then_some(epoch);
        let sealed = match epoch {
            Some(e) => sealing_store.seal_for_user_at(&UserId::from(9u64), e, &7u32, unix(sealed_at)),
            None => sealing_store.seal_at(&7u32, unix(sealed_at)),
        }
        .unwrap();
        let expires = sealed_at + sealer.ttl;
        let mut times = Times {
            login: sealed_at,
            issued: sealed_at,
            expires,
            idle: sealer.idle.map(|i| (sealed_at + i).min(expires)),
        };
        prop_assert_eq!(sealed.expires_at(), unix(times.expires));
        prop_assert_eq!(sealed.idle_deadline(), times.idle.map(unix));
        let mut value = sealed.into_value();

        // Optionally: the sealing store opens it at `resealed_at` and re-seals it.
        if let Some((w, d, anywhere)) = reseal {
            let resealed_at = probe(times, sealer, w, d, anywhere);
            if let Ok(opened) = sealing_store.open_at::<u32>(&value, unix(resealed_at)) {
                let session = opened.verify_with(|_| epoch).unwrap();
                let current = *session.info();
                let expires = current.expires_at().unix_timestamp();
                // Re-sealing stops at the earlier deadline, never at the leeway.
                let deadline = current
                    .idle_deadline()
                    .map_or(expires, |d| d.unix_timestamp().min(expires));
                match sealing_store.reseal_at(&session, unix(resealed_at)) {
                    Ok(again) => {
                        // A cookie from a clock ahead (opened inside the
                        // leeway) is re-sealed as of its own time, never
                        // before it.
                        let at = resealed_at.max(times.issued);
                        prop_assert!(resealed_at < deadline && at >= times.login);
                        prop_assert!(!current.in_leeway());
                        times = Times {
                            login: times.login,
                            issued: at,
                            expires,
                            idle: sealer.idle.map(|i| (at + i).min(expires)),
                        };
                        prop_assert_eq!(again.expires_at(), unix(times.expires));
                        prop_assert_eq!(again.idle_deadline(), times.idle.map(unix));
                        value = again.into_value();
                    }
                    Err(SealError::SessionExpired) => {
                        prop_assert!(resealed_at >= deadline);
                        prop_assert!(current.in_leeway());
                    }
                    Err(SealError::Clock) => prop_assert!(resealed_at < times.login && resealed_at < deadline),
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }

        let opening_store = store(opener, &key);
        let now = probe(times, opener, which, delta, anywhere);
        prop_assert_eq!(
            observe(&opening_store, &value, now, epoch),
            model_open(times, opener, now),
            "times {:?} opener {:?} now {}", times, opener, now
        );
    }

    /// Sealing succeeds exactly for times from 1970 whose lifetime ends by
    /// 9999, and then the cookie's deadlines are `now + ttl` and
    /// `min(now + idle, now + ttl)`.
    #[test]
    fn seal_time_range(
        policy in policy(),
        now in prop_oneof![MIN_UNIX..=MAX_UNIX, -3i64..=3, MAX_UNIX - MAX_TTL - 3..=MAX_UNIX],
    ) {
        let s = store(policy, &Key::generate());
        let result = s.seal_at(&7u32, unix(now));
        let valid = now >= 0 && now + policy.ttl <= MAX_UNIX;
        match result {
            Ok(sealed) => {
                prop_assert!(valid, "sealed at {}", now);
                prop_assert_eq!(sealed.expires_at(), unix(now + policy.ttl));
                prop_assert_eq!(
                    sealed.idle_deadline(),
                    policy.idle.map(|i| unix((now + i).min(now + policy.ttl)))
                );
                prop_assert_eq!(sealed.deadline(), unix(policy.idle.map_or(now + policy.ttl, |i| (now + i).min(now + policy.ttl))));
            }
            Err(e) => {
                prop_assert_eq!(e, SealError::Clock);
                prop_assert!(!valid, "refused {}", now);
            }
        }
    }
}
